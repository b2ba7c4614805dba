// The course's Go tester on a student's Go Raft, as raftlab runs it (src/golab): the fixture module of
// test/fixtures/go (written for these tests: a 6.824-shaped checkout whose tests pass, fail with a config.go message,
// exit with an apply error, panic, hang and race), built with go test -c into a cache of its own, each outcome
// turned into the run record, cluster and trace a TypeScript run would have.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildGoLab } from '../../src/golab/index.ts';
import { runBatch, type BatchResult } from '../../src/runner/batch.ts';
import { prepareGoImpl, type PreparedGoImpl } from '../../src/runner/impl.ts';
import type { RunRecord } from '../../src/runner/types.ts';
import { readTraceEvents, readTraceHeader } from '../../src/trace/file.ts';
import { columnLines, textLines } from '../../src/trace/export.ts';
import type { TraceEvent } from '../../src/trace/events.ts';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const fixture = path.join(repo, 'test', 'fixtures', 'go', 'src');

/** The line of `text` in a fixture file (1-based): sites are asserted against the source, not hard-coded. */
function lineOf(file: string, text: string): number {
  const lines = readFileSync(path.join(fixture, 'raft', file), 'utf8').split('\n');
  const at = lines.findIndex((l) => l.includes(text));
  assert.ok(at >= 0, `${text} in ${file}`);
  return at + 1;
}

async function eventsOf(file: string): Promise<TraceEvent[]> {
  const out: TraceEvent[] = [];
  for await (const e of readTraceEvents(file)) out.push(e);
  return out;
}

describe('golab: the fixture Go lab, built and run', function () {
  this.timeout(240_000);
  let temp: string;
  let raftDir: string;
  let savedCache: string | undefined;
  let prepared: PreparedGoImpl;
  let batch: BatchResult;
  const record = (id: string): RunRecord => batch.records.find((r) => r.id === id)!;

  before(async () => {
    temp = mkdtempSync(path.join(os.tmpdir(), 'raftlab-golab-'));
    savedCache = process.env.RAFTLAB_CACHE;
    process.env.RAFTLAB_CACHE = path.join(temp, 'cache');
    cpSync(fixture, path.join(temp, 'src'), { recursive: true });
    raftDir = path.join(temp, 'src', 'raft');
  });
  after(() => {
    if (savedCache === undefined) delete process.env.RAFTLAB_CACHE;
    else process.env.RAFTLAB_CACHE = savedCache;
    rmSync(temp, { recursive: true, force: true });
  });

  it('keeps the fixture\'s raftlab_trace.go the one labs/go gives students', () => {
    assert.equal(readFileSync(path.join(fixture, 'raft', 'raftlab_trace.go'), 'utf8'), readFileSync(path.join(repo, 'labs', 'go', 'raftlab_trace.go'), 'utf8'));
  });

  it('builds the test binary once per change of the Go sources', async () => {
    const first = await buildGoLab(raftDir);
    assert.equal(first.compiled, true);
    assert.deepEqual(first.tests, ['TestInitialElection2A', 'TestReElection2A', 'TestBasicAgree2B', 'TestFailAgree2B', 'TestConcurrentStarts2B', 'TestSnapshotBasic2D']);
    assert.deepEqual(first.snapshot.files.map((f) => f.path), ['go.mod', 'labgob/labgob.go', 'labrpc/labrpc.go', 'raft/config.go', 'raft/persister.go', 'raft/raft.go', 'raft/raftlab_trace.go', 'raft/test_test.go', 'raft/util.go']);
    const again = await buildGoLab(raftDir);
    assert.deepEqual({ compiled: again.compiled, binary: again.binary }, { compiled: false, binary: first.binary });
    writeFileSync(path.join(raftDir, 'raft.go'), readFileSync(path.join(raftDir, 'raft.go'), 'utf8') + '\n// an edit\n');
    const edited = await buildGoLab(raftDir);
    assert.equal(edited.compiled, true);
    assert.notEqual(edited.binary, first.binary);
    assert.notEqual(edited.snapshot.hash, first.snapshot.hash);
    // Restore the fixture's raft.go: the runs below use the cached build of the original sources.
    cpSync(path.join(fixture, 'raft', 'raft.go'), path.join(raftDir, 'raft.go'));
    assert.equal((await buildGoLab(raftDir)).compiled, false);
  });

  it('runs each test as its own process in the pool: pass, fail, apply error, panic, hang', async () => {
    prepared = await prepareGoImpl(raftDir);
    batch = await runBatch({
      tests: prepared.tests,
      count: 1,
      baseSeed: 1,
      mode: 'sim', // a Go run is on the wall clock whatever the clock asked
      implDir: raftDir,
      prepared,
      parallel: 2,
      trace: { keep: 'failed', dir: path.join(temp, 'traces') },
      pool: { timeoutMs: () => 3000 },
    });
    assert.equal(batch.mode, 'real');
    assert.equal(batch.lang, 'go');
    assert.equal(batch.records.length, 6);
    for (const r of batch.records) assert.deepEqual({ id: r.id, mode: r.mode, lang: r.lang, seed: r.seed }, { id: r.id, mode: 'real', lang: 'go', seed: 1 });

    const pass = record('TestInitialElection2A');
    assert.equal(pass.status, 'pass');
    assert.equal(pass.passed?.peers, 3);
    assert.equal(pass.traceFile, undefined, 'a passing run keeps no trace (--keep failed)');
    // Without -race, the racy test passes, as `go test` says.
    assert.equal(record('TestConcurrentStarts2B').status, 'pass');

    const fail = record('TestReElection2A');
    assert.deepEqual(
      { status: fail.status, message: fail.message, site: fail.site, location: fail.location, description: fail.description },
      {
        status: 'fail',
        message: 'expected one leader, got none',
        site: 'checkOneLeader',
        location: `config.go:${lineOf('config.go', 'cfg.t.Fatalf("expected one leader, got none")')}`,
        description: 'Test (2A): election after network failure',
      },
    );

    const apply = record('TestBasicAgree2B');
    assert.equal(apply.status, 'fail');
    assert.match(apply.message!, /^apply error: commit index=1 server=\d 1?\d01 != server=\d 1?\d0[01]$/);

    const panic = record('TestFailAgree2B');
    assert.deepEqual(
      { status: panic.status, code: panic.errorCode, message: panic.message, site: panic.site },
      { status: 'error', code: 'GO_PANIC', message: 'panic: runtime error: index out of range [1] with length 1', site: `raft.go:${lineOf('raft.go', '_ = args.Entries[len(args.Entries)]')}` },
    );
    assert.match(panic.stack!.split('\n')[1]!, /^ {4}at raft\.\(\*Raft\)\.AppendEntries \(raft\.go:\d+\)$/);

    const hang = record('TestSnapshotBasic2D');
    assert.equal(hang.status, 'timeout');
    assert.equal(hang.errorCode, 'WATCHDOG_TIMEOUT');
    assert.equal(hang.completed, false);
    const groups = hang.goroutines!.groups;
    const locks = groups.find((g) => g.code === 'rf.mu.Lock()' && g.waits === 'lock');
    assert.ok(locks && locks.count >= 3, 'the ticker, handlers and Start wait on rf.mu');
    const send = groups.find((g) => g.waits === 'channel' && g.code?.startsWith('rf.applyCh <- ApplyMsg'));
    assert.deepEqual(
      { count: send?.count, site: send?.site, func: send?.func },
      { count: 1, site: `raft.go:${lineOf('raft.go', 'rf.applyCh <- ApplyMsg{SnapshotValid: true')}`, func: 'raft.(*Raft).Snapshot' },
    );
    assert.equal(groups[0], locks, 'the lock waits come first');
    assert.match(hang.message!, /^the run did not finish within 3 s of wall time and was stopped.*: \d+ goroutines in `rf\.mu\.Lock\(\)` at raft\.go:\d+.*; 1 in `rf\.applyCh <- ApplyMsg/);
    assert.match(hang.goroutineDump!, /^SIGQUIT: quit/);
  });

  it('clusters Go failures as TypeScript ones: by the tester check, or the error and its file', () => {
    const sites = Object.fromEntries(batch.clusters.map((c) => [c.test, c.site]));
    assert.deepEqual(sites, {
      TestReElection2A: 'checkOneLeader',
      TestBasicAgree2B: 'applier',
      TestFailAgree2B: 'GO_PANIC at raft.go',
      TestSnapshotBasic2D: 'WATCHDOG_TIMEOUT at raft.go',
    });
  });

  it("turns a failed run's lines into a trace: tester lines, per-node debug lines, raftlab_trace.go's events", async () => {
    const file = record('TestReElection2A').traceFile!;
    const header = await readTraceHeader(file);
    assert.deepEqual({ lang: header.lang, mode: header.mode, status: header.status, servers: header.servers }, { lang: 'go', mode: 'real', status: 'fail', servers: 3 });
    assert.equal(header.sources?.hash, prepared.ref.sourcesHash);
    const events = await eventsOf(file);
    assert.deepEqual(events[events.findIndex((e) => e.kind === 'test-begin')], { t: events.find((e) => e.kind === 'test-begin')!.t, kind: 'test-begin', description: 'Test (2A): election after network failure' });
    const timers = events.filter((e) => e.kind === 'log' && e.topic === 'TIMR');
    assert.deepEqual([...new Set(timers.map((e) => e.kind === 'log' && e.node))].sort(), [0, 1, 2], 'every server times out');
    assert.ok(events.some((e) => e.kind === 'log' && e.node === -1 && e.topic === 'TEST' && /config\.go:\d+: expected one leader, got none/.test(e.message)));
    // Disconnected: RequestVotes are sent and dropped (raftlab_trace.go), each drop with its send's id; none delivered
    // (the calls still in flight when the test ended have no drop).
    const sends = new Map(events.flatMap((e) => (e.kind === 'send' ? [[e.rpc, e] as const] : [])));
    const drops = events.filter((e) => e.kind === 'drop');
    assert.ok(drops.length > 0 && drops.length >= sends.size - 6);
    assert.ok(drops.every((d) => d.kind === 'drop' && sends.get(d.rpc)?.method === 'Raft.RequestVote' && sends.get(d.rpc)!.t <= d.t));
    assert.equal(events.filter((e) => e.kind === 'deliver' || e.kind === 'reply').length, 0);
    assert.ok(events.some((e) => e.kind === 'state' && e.term >= 1));
    assert.ok(events.some((e) => e.kind === 'persist' && e.log !== undefined));
    assert.deepEqual(events.at(-1), { t: events.at(-1)!.t, kind: 'test-end', status: 'fail', message: 'expected one leader, got none' });
    for (let i = 1; i < events.length; i++) assert.ok(events[i]!.t >= events[i - 1]!.t);
    // The column view puts each debug line in its server's column; the text export is dslogs's, server first.
    const columns = [...columnLines(events, { servers: 3, columnWidth: 30 })];
    assert.match(columns[0]!, /^TIME {3}TOPC S0 +S1 +S2$/);
    for (const node of [0, 1, 2]) {
      const column = 12 + node * 31;
      assert.ok(columns.some((l) => / TIMR /.test(l) && l.indexOf('election timeout') === column), `S${node}'s timeouts in its column`);
      assert.ok([...textLines(events)].some((l) => new RegExp(`^\\d{6} TIMR S${node} .*election timeout`).test(l)), `S${node}'s timeouts in dslogs's form`);
    }
  });

  it("keeps a hang's trace with its goroutine groups at the end", async () => {
    const file = record('TestSnapshotBasic2D').traceFile!;
    const header = await readTraceHeader(file);
    assert.equal(header.truncated, true);
    const events = await eventsOf(file);
    const at = events.findIndex((e) => e.kind === 'log' && e.message.startsWith('goroutines when the watchdog stopped the run'));
    assert.ok(at > 0);
    const next = events[at + 1]!;
    assert.match(next.kind === 'log' ? next.message : '', /^ {2}\d+ goroutines in `rf\.mu\.Lock\(\)`/);
    assert.equal(events.at(-1)!.kind, 'test-end');
    // Commits went through raftlab_trace.go's apply events before the deadlock.
    assert.ok(events.filter((e) => e.kind === 'apply').length >= 9);
  });

  it("--check: the safety checker reads raftlab_trace.go's events: the apply error is also a State Machine Safety violation", async () => {
    const checked = await runBatch({ tests: [{ id: 'TestInitialElection2A' }, { id: 'TestBasicAgree2B' }], count: 1, baseSeed: 1, mode: 'real', implDir: raftDir, prepared, parallel: 2, check: true });
    const pass = checked.records.find((r) => r.id === 'TestInitialElection2A')!;
    assert.deepEqual({ status: pass.status, violations: pass.violations }, { status: 'pass', violations: undefined });
    const apply = checked.records.find((r) => r.id === 'TestBasicAgree2B')!;
    assert.equal(apply.status, 'fail');
    assert.match(apply.message!, /^apply error: /, "the tester's verdict stays first");
    assert.equal(apply.violations?.[0]?.invariant, 'state-machine-safety');
    assert.match(apply.failureMessages.at(-1)!, /^safety violation: State Machine Safety: server \d applied \d+ at index 1, where server \d applied \d+$/);
  });

  it('-race: the racy test is an error naming the racing lines, reports deduplicated, clustered across runs', async () => {
    const racy = await prepareGoImpl(raftDir, { race: true });
    assert.equal(racy.ref.race, true);
    assert.notEqual(racy.ref.binary, prepared.ref.binary);
    const raced = await runBatch({ tests: [{ id: 'TestConcurrentStarts2B' }, { id: 'TestInitialElection2A' }], count: 2, baseSeed: 1, mode: 'real', implDir: raftDir, prepared: racy, parallel: 2 });
    for (const r of raced.records.filter((x) => x.id === 'TestInitialElection2A')) assert.equal(r.status, 'pass', r.message);
    const runs = raced.records.filter((x) => x.id === 'TestConcurrentStarts2B');
    assert.equal(runs.length, 2);
    for (const r of runs) {
      assert.deepEqual({ status: r.status, code: r.errorCode, race: r.race }, { status: 'error', code: 'GO_DATA_RACE', race: true });
      assert.ok(r.races!.some((x) => x.accesses.some((a) => a.func === 'raft.(*Raft).GetState' && a.site === `raft.go:${lineOf('raft.go', 'return rf.currentTerm, rf.role == leader')}`)), JSON.stringify(r.races));
      assert.equal(new Set(r.races!.map((x) => x.key)).size, r.races!.length, 'each pair of stacks once');
      assert.ok(r.raceReports! >= r.races!.length);
      assert.ok(r.races!.reduce((n, x) => n + x.count, 0) === r.raceReports);
    }
    const clusters = raced.clusters.filter((c) => c.test === 'TestConcurrentStarts2B');
    assert.ok(clusters.length >= 1);
    assert.ok(clusters.every((c) => c.site.startsWith('GO_DATA_RACE at raft.go')));
  });
});

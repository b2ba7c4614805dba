import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { runCommand, type RunCommandOptions } from '../../src/cli/run-command.ts';
import { clusterFailures, failureSite, normalizeMessage } from '../../src/runner/cluster.ts';
import { History, resolveDataDir } from '../../src/runner/history.ts';
import { escapeXml, type BatchJson } from '../../src/runner/report.ts';
import { summarize, wilsonInterval } from '../../src/runner/stats.ts';
import type { RunRecord } from '../../src/runner/types.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/impls/${name}/`, import.meta.url));
const tmpDirs: string[] = [];
const tmp = (): string => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'raftlab-runner-'));
  tmpDirs.push(dir);
  return dir;
};
after(() => {
  for (const dir of tmpDirs) rmSync(dir, { recursive: true, force: true });
});

/** Run `raftlab run` in-process, capturing stdout and stderr. */
async function runCli(pattern: string, options: Partial<RunCommandOptions>) {
  let text = '';
  let errText = '';
  const out = new Writable({
    write(chunk, _enc, done) {
      text += String(chunk);
      done();
    },
  });
  const err = { write: (s: string) => ((errText += s), true) };
  const status = await runCommand(pattern, { count: 1, mode: 'sim', ...options }, { out, err, argv: ['run', pattern] });
  return { status, text, errText };
}

describe('runner: statistics', () => {
  it('the Wilson interval matches known values', () => {
    const close = (actual: number, expected: number) => assert.ok(Math.abs(actual - expected) < 5e-4, `${actual} vs ${expected}`);
    // Reference values (z = 1.96), e.g. from R's binom::binom.wilson / Newcombe (1998).
    let i = wilsonInterval(0, 10);
    close(i.low, 0);
    close(i.high, 0.2775);
    i = wilsonInterval(5, 10);
    close(i.low, 0.2366);
    close(i.high, 0.7634);
    i = wilsonInterval(1, 100);
    close(i.low, 0.0018);
    close(i.high, 0.0545);
    i = wilsonInterval(81, 263); // Newcombe's example: 0.2553 to 0.3662
    close(i.low, 0.2553);
    close(i.high, 0.3662);
    i = wilsonInterval(20, 20);
    close(i.low, 0.8389);
    close(i.high, 1);
    assert.deepEqual(wilsonInterval(0, 0), { low: 0, high: 1 });
  });

  it('summarizes durations: mean, sample sd, nearest-rank p95', () => {
    const s = summarize(Array.from({ length: 20 }, (_, k) => k + 1));
    assert.equal(s.mean, 10.5);
    assert.ok(Math.abs(s.sd - 5.9161) < 1e-4);
    assert.equal(s.p95, 19);
    assert.equal(summarize([7]).sd, 0);
  });
});

describe('runner: failure clustering', () => {
  const rec = (over: Partial<RunRecord>): RunRecord => ({
    id: 'TestX2B', part: '2B', description: '', mode: 'sim', seed: 1, status: 'fail', failureMessages: [], output: [],
    testMs: 1000, wallMs: 10, codecWarnings: [], implDir: '/impl', completed: true, dispatchWallMs: 10, freshWorker: false, ...over,
  });

  it('normalizes numbers, hex and random strings', () => {
    assert.equal(normalizeMessage('one(4031) failed to reach agreement'), 'one(N) failed to reach agreement');
    assert.equal(normalizeMessage('one(x8Kq2ZpL0aBc) failed to reach agreement'), 'one(<rand>) failed to reach agreement');
    assert.equal(normalizeMessage('bad pointer 0xdeadBEEF at 1234567890123'), 'bad pointer <hex> at <int>');
    assert.equal(normalizeMessage('term 3 has 2 (>1) leaders'), 'term N has N (>N) leaders');
  });

  it('names the check a failure came from (the run carries it), or the error code and the implementation frame', () => {
    assert.equal(failureSite(rec({ message: 'expected one leader, got none', site: 'checkOneLeader' })), 'checkOneLeader');
    assert.equal(failureSite(rec({ message: 'one(12) failed to reach agreement', site: 'one' })), 'one');
    assert.equal(failureSite(rec({ message: 'a message nobody parses', site: 'TestBackup2B' })), 'TestBackup2B');
    assert.equal(
      failureSite(rec({ status: 'error', errorCode: 'RPC_HANDLER_THREW', message: 'x', stack: 'Error: x\n    at f (/elsewhere/a.ts:1:1)\n    at RequestVote (/impl/raft.ts:42:7)' })),
      'RPC_HANDLER_THREW at raft.ts:42',
    );
  });

  it('groups by test, site and normalized message, with count, first seed and shortest run', () => {
    const clusters = clusterFailures([
      rec({ seed: 5, message: 'one(101) failed to reach agreement', testMs: 9000, site: 'one' }),
      rec({ seed: 3, message: 'one(202) failed to reach agreement', testMs: 4000, site: 'one' }),
      rec({ seed: 4, message: 'one(303) failed to reach agreement', testMs: 6000, site: 'one' }),
      rec({ seed: 6, message: 'expected one leader, got none', site: 'checkOneLeader' }),
      rec({ seed: 7, status: 'pass' }),
    ]);
    assert.equal(clusters.length, 2);
    assert.deepEqual(
      { count: clusters[0]!.count, site: clusters[0]!.site, first: clusters[0]!.firstSeed, shortest: clusters[0]!.shortestSeed },
      { count: 3, site: 'one', first: 3, shortest: 3 },
    );
    assert.equal(clusters[1]!.count, 1);
  });
});

describe('cli: raftlab run', () => {
  it('run 2A --count 20 --parallel 2 (sim): 0 failures; JSON and JUnit validate; history records the batch', async () => {
    const dir = tmp();
    const json = path.join(dir, 'out', 'batch.json');
    const junit = path.join(dir, 'out', 'junit.xml');
    const { status, text } = await runCli('2A', { count: 20, parallel: 2, seed: 100, json, junit, data: path.join(dir, 'data') });
    assert.equal(status, 0, text);
    assert.match(text, /test time is virtual \(sim clock\)/);
    assert.match(text, /TestManyElections2A\s+20\s+0\s+0\.0% \[0\.0%, 16\.1%\]/);
    assert.match(text, /PASS: 60 runs, 0 failed/);

    const batch = JSON.parse(readFileSync(json, 'utf8')) as BatchJson;
    assert.equal(batch.runs.length, 60);
    assert.equal(batch.batch.failed, 0);
    assert.deepEqual(batch.batch.tests, ['TestInitialElection2A', 'TestReElection2A', 'TestManyElections2A']);
    assert.deepEqual([...new Set(batch.runs.map((r) => r.seed))].sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => 100 + i));

    const xml = readFileSync(junit, 'utf8');
    assert.equal(XMLValidator.validate(xml), true);
    const doc = new XMLParser({ ignoreAttributes: false, isArray: (name) => ['testcase'].includes(name) }).parse(xml);
    // One testsuite (Surefire's schema has no other root), a testcase per run, grouped by test through classname.
    const cases = doc.testsuite.testcase as Array<{ '@_name': string; '@_classname': string }>;
    assert.equal(doc.testsuite['@_tests'], '60');
    assert.deepEqual([...new Set(cases.map((c) => c['@_classname']))], batch.batch.tests.map((t) => `raft.${t}`));
    assert.equal(cases.filter((c) => c['@_classname'] === 'raft.TestInitialElection2A').length, 20);
    assert.equal(cases[0]!['@_name'], 'TestInitialElection2A seed 100');

    const history = new History(path.join(dir, 'data'));
    const [entry] = history.listBatches();
    assert.equal(entry?.state, 'done');
    assert.equal(history.readBatch(entry!.id)?.runs.length, 60);
  });

  it('failures: non-zero exit, seed and replay command, clusters, <error> elements in JUnit for errors (escaped), TTY progress', async () => {
    const dir = tmp();
    const junit = path.join(dir, 'junit.xml');
    const impl = fixture('handler-throws');
    const { status, text } = await runCli('^TestInitialElection2A$|^TestReElection2A$', { count: 3, parallel: 2, seed: 7, impl, junit, history: false, tty: true });
    assert.equal(status, 1);
    assert.match(text, /ETA/);
    assert.ok(text.includes('\x1b[31m'), 'red once a run failed');
    assert.ok(text.includes(`replay: npx raftlab test '^TestInitialElection2A$' --mode sim --seed 7 --impl ${JSON.stringify(impl)}`));
    assert.match(text, /Failure clusters \(2\):/);
    assert.match(text, /3 x TestInitialElection2A \[RPC_HANDLER_THREW at index\.ts:\d+\] RPC handler Raft\.RequestVote on server N threw: planted: RequestVote threw for candidate N in term N$/m);
    const doc = new XMLParser({ ignoreAttributes: false, isArray: (name) => ['testcase'].includes(name) }).parse(readFileSync(junit, 'utf8'));
    const suite = doc.testsuite as { '@_errors': string; '@_failures': string; testcase: Array<{ error?: { '@_message': string; '@_type': string; '#text': string } }> };
    const cases = suite.testcase;
    assert.equal(cases.length, 6);
    assert.deepEqual([suite['@_errors'], suite['@_failures']], ['6', '0']);
    for (const c of cases) {
      // A handler that threw is an error of the implementation's, not a failed check: <error>, typed by its code.
      assert.match(c.error!['@_message'], /planted: RequestVote threw/);
      assert.equal(c.error!['@_type'], 'RPC_HANDLER_THREW');
      assert.match(c.error!['#text'], /replay: npx raftlab test/);
    }
  });

  it('--stop-on-fail stops at the first failing run and records the batch as stopped', async () => {
    const data = tmp();
    const { status, text } = await runCli('^TestInitialElection2A$', { count: 10, parallel: 2, seed: 1, impl: fixture('never-elects'), stopOnFail: true, data });
    assert.equal(status, 1);
    assert.match(text, /stopped after the first failure \(--stop-on-fail\): 1 of 10 runs done/);
    const history = new History(data);
    const [entry] = history.listBatches();
    assert.equal(entry?.state, 'stopped');
    assert.equal(history.readBatch(entry!.id)?.runs.length, 1);
  });

  it('escapes XML so that it parses back to the same text', () => {
    const nasty = `a < b && c > "d" 'e' \u0001 ]]> \n line2`;
    const xml = `<x a="${escapeXml(nasty)}">${escapeXml(nasty)}</x>`;
    assert.equal(XMLValidator.validate(xml), true);
    const doc = new XMLParser({ ignoreAttributes: false, processEntities: true, htmlEntities: true, trimValues: false }).parse(xml);
    assert.equal(doc.x['#text'], nasty.replace('\u0001', '\\u0001'));
  });

  it('bad input exits 2', async () => {
    assert.equal((await runCli('NoSuchTest', { history: false })).status, 2);
    assert.equal((await runCli('2A', { history: false, impl: fixture('no-make') })).status, 2);
  });

  it('killing the CLI mid-batch leaves a readable history with the finished runs', async () => {
    const data = tmp();
    const child = spawn(process.execPath, [path.join(root, 'bin/raftlab.js'), 'run', '2A', '--count', '200', '--parallel', '1', '--seed', '1', '--data', data], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // Off a terminal the progress is a line per test: watch the history for the 12th finished run instead.
    let exited = false;
    child.once('exit', () => (exited = true));
    const finished = (): number => {
      const [entry] = new History(data, { warn: () => {} }).listBatches();
      return entry ? (new History(data, { warn: () => {} }).readBatch(entry.id)?.runs.length ?? 0) : 0;
    };
    while (finished() < 12) {
      assert.ok(!exited, 'exited before 12 runs');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    // The next raftlab to open the history sees that the batch's process is gone: interrupted, with its runs.
    const history = new History(data, { warn: (m) => assert.fail(m) });
    const [entry] = history.listBatches();
    assert.equal(entry?.state, 'interrupted');
    const batch = history.readBatch(entry!.id)!;
    assert.equal(batch.state, 'interrupted');
    assert.ok(batch.runs.length >= 12 && batch.runs.length < 600, `${batch.runs.length} runs`);
    assert.equal(entry!.totals?.runs, batch.runs.length);
    assert.ok(batch.runs.every((r) => r.status === 'pass'));
    assert.equal(batch.settings.count, 200);
  });
});

describe('runner: history', () => {
  it('finds its folder: --data, $RAFTLAB_DATA, $XDG_DATA_HOME/raftlab, ~/.local/share/raftlab', () => {
    assert.equal(resolveDataDir('/x/y', { RAFTLAB_DATA: '/a' }), '/x/y');
    assert.equal(resolveDataDir(undefined, { RAFTLAB_DATA: '/a', XDG_DATA_HOME: '/b' }), '/a');
    assert.equal(resolveDataDir(undefined, { XDG_DATA_HOME: '/b' }), '/b/raftlab');
    assert.equal(resolveDataDir(undefined, {}), path.join(os.homedir(), '.local/share/raftlab'));
  });

  it('an unreadable or wrong-shaped index is rebuilt from the batch folders: nothing recorded is lost', () => {
    const data = tmp();
    const warnings: string[] = [];
    const warn = (m: string) => void warnings.push(m);
    const history = new History(data, { warn });
    const settings = { pattern: '2A', tests: ['TestInitialElection2A'], mode: 'sim', baseSeed: 1, count: 1, parallel: 1, implDir: '/i', argv: [] };
    history.startBatch(settings).finish({ runs: 0, failed: 0, wallMs: 1, stopped: false });
    history.startBatch({ ...settings, pattern: '2B' }).finish({ runs: 0, failed: 0, wallMs: 1, stopped: false });
    for (const damage of ['{"version":2,"batches":[{"id":', 'not json', '{"version":2,"batches":"nope"}', '[]']) {
      writeFileSync(path.join(data, 'history.json'), damage);
      assert.deepEqual(history.listBatches().map((b) => b.pattern), ['2A', '2B'], damage);
    }
    assert.ok(warnings.every((w) => /unreadable or of the wrong shape; rebuilding it/.test(w)) && warnings.length === 4, warnings.join('\n'));
    // A new batch after damage keeps the earlier ones too.
    writeFileSync(path.join(data, 'history.json'), 'garbage');
    history.startBatch({ ...settings, pattern: '2C' }).finish({ runs: 0, failed: 0, wallMs: 1, stopped: false });
    assert.deepEqual(history.listBatches().map((b) => b.pattern), ['2A', '2B', '2C']);
  });

  it('records each test\'s counts and mean times in end.json; a batch without them is counted from its runs', () => {
    const data = tmp();
    const history = new History(data);
    const recorder = history.startBatch({ pattern: '2A', tests: ['TestInitialElection2A'], mode: 'sim', baseSeed: 1, count: 2, parallel: 1, implDir: '/i', argv: [] });
    const run = (seed: number, status: 'pass' | 'fail', testMs: number) =>
      ({ id: 'TestInitialElection2A', seed, mode: 'sim', status, testMs, wallMs: 10, completed: true, implDir: '/i' }) as unknown as RunRecord;
    recorder.recordRun(run(1, 'pass', 1000));
    recorder.recordRun(run(2, 'fail', 3000));
    recorder.finish({ runs: 2, failed: 1, wallMs: 20, stopped: false });
    const expected = { runs: 2, failed: 1, completed: 2, testMsMean: 2000, wallMsMean: 10, last: { status: 'fail', seed: 2 } };
    const end = JSON.parse(readFileSync(path.join(data, 'batches', recorder.id, 'end.json'), 'utf8')) as { tests: unknown };
    assert.deepEqual(end.tests, { TestInitialElection2A: expected });
    assert.deepEqual(history.readHead(recorder.id)?.tests, { TestInitialElection2A: expected });
    // raftlab 0.1's end.json had no per-test counts.
    const { tests: _tests, ...older } = end as Record<string, unknown>;
    writeFileSync(path.join(data, 'batches', recorder.id, 'end.json'), JSON.stringify(older));
    assert.deepEqual(history.readHead(recorder.id)?.tests, { TestInitialElection2A: expected });
    assert.equal(history.readHead('no-such-batch'), undefined);
  });

  it('keeps at most maxBatches batches, deleting older batch files', () => {
    const data = tmp();
    const history = new History(data, { maxBatches: 3 });
    for (let i = 0; i < 5; i++) {
      history.startBatch({ pattern: String(i), tests: [], mode: 'sim', baseSeed: 1, count: 1, parallel: 1, implDir: '/i', argv: [] }).finish({ runs: 0, failed: 0, wallMs: 0, stopped: false });
    }
    assert.deepEqual(history.listBatches().map((b) => b.pattern), ['2', '3', '4']);
    assert.equal(readdirSync(path.join(data, 'batches')).length, 3);
  });
});

describe('runner: preparing an implementation', () => {
  it("loads a built module in a run process once: the next process reuses what that probe found, under the same flags only", async () => {
    const { prepareTsImpl } = await import('../../src/runner/impl.ts');
    const { probeSuffix } = await import('../../src/harness/loader/index.ts');
    const outDir = mkdtempSync(path.join(os.tmpdir(), 'raftlab-probe-'));
    try {
      const skeleton = fileURLToPath(new URL('../../labs/skeleton/', import.meta.url));
      const first = await prepareTsImpl(skeleton, {}, { outDir });
      assert.equal(first.describesState, false, 'the skeleton exports no describeState');
      const record = `${first.built.file}${probeSuffix}`;
      assert.deepEqual(JSON.parse(readFileSync(record, 'utf8')), { flags: [], describeState: false });
      // What the next prepare believes comes from the record, not from another load: a record saying otherwise is read.
      writeFileSync(record, JSON.stringify({ flags: [], describeState: true }));
      assert.equal((await prepareTsImpl(skeleton, {}, { outDir })).describesState, true);
      // Other flags, another process: probed again, and the record now says what that probe found.
      assert.equal((await prepareTsImpl(skeleton, {}, { outDir, processFlags: ['--no-warnings'] })).describesState, false);
      assert.deepEqual(JSON.parse(readFileSync(record, 'utf8')), { flags: ['--no-warnings'], describeState: false });
    } finally {
      rmSync(outDir, { recursive: true, force: true });
    }
  });
});

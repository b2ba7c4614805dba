import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { exportCommand } from '../../src/cli/export-command.ts';
import type { NetEvent } from '../../src/harness/labrpc/index.ts';
import { findTest, loadImplementation, runTest, type LoadedImpl, type TestRunResult } from '../../src/harness/tester/index.ts';
import {
  TraceFileError,
  createTraceRecorder,
  encodeTrace,
  readTraceEvents,
  readTraceHeader,
  readTraceIndex,
  readTracePage,
  readTracePagesText,
  traceEventKinds,
  traceHeaderFor,
  writeTraceFile,
  type TraceEvent,
} from '../../src/trace/index.ts';
import { columnLines, shivizLines, shivizRegex, textLines } from '../../src/trace/export.ts';
import { parseTracePageText, TracePageTextError } from '../../src/trace/page-text.ts';

let impl: LoadedImpl;
const traced = new Map<string, { result: TestRunResult; events: TraceEvent[] }>();

async function traceRun(id: string, seed: number, make = impl.make) {
  const key = `${id}/${seed}/${make === impl.make ? 'ref' : 'other'}`;
  const cached = traced.get(key);
  if (cached) return cached;
  const recorder = createTraceRecorder();
  const result = await runTest(findTest(id)!, { mode: 'sim', seed, make, ...recorder.options });
  const run = { result, events: recorder.events };
  traced.set(key, run);
  return run;
}

const tmp = mkdtempSync(path.join(tmpdir(), 'raftlab-trace-'));

before(async () => {
  impl = await loadImplementation();
});
after(() => rmSync(tmp, { recursive: true, force: true }));

describe('trace: events', () => {
  it('a real run of the reference yields every kind of event, as plain data with t, node and term', async () => {
    const never = await loadImplementation(fileURLToPath(new URL('../fixtures/impls/never-elects/', import.meta.url)));
    const runs = [
      await traceRun('TestSnapshotInstallCrash2D', 1),
      await traceRun('TestFigure8Unreliable2C', 1),
      await traceRun('TestConcurrentStarts2B', 1),
      await traceRun('TestReElection2A', 1),
      await traceRun('TestInitialElection2A', 1, never.make),
    ];
    const seen = new Set(runs.flatMap((r) => r.events.map((e) => e.kind)));
    assert.deepEqual(traceEventKinds.filter((k) => !seen.has(k)), [], 'every kind occurs');

    const { result, events } = runs[0]!;
    assert.equal(result.status, 'pass');
    // Plain data: survives JSON unchanged; time never goes backwards.
    assert.deepEqual(JSON.parse(JSON.stringify(events)), events);
    for (let i = 1; i < events.length; i++) assert.ok(events[i]!.t >= events[i - 1]!.t, `t is monotonic at ${i}`);
    assert.deepEqual(events[events.length - 1], { t: result.testMs, kind: 'test-end', status: 'pass' });
    assert.deepEqual(events.find((e) => e.kind === 'test-begin'), { t: 0, kind: 'test-begin', description: 'Test (2D): install snapshots (crash)' });

    const send = events.find((e) => e.kind === 'send' && e.method === 'Raft.AppendEntries');
    assert.ok(send && send.kind === 'send');
    assert.equal(typeof send.term, 'number');
    assert.ok(send.to !== send.node && send.node >= 0 && send.node < 3);
    const deliver = events.find((e) => e.kind === 'deliver' && e.rpc === send.rpc);
    assert.ok(deliver && deliver.kind === 'deliver' && deliver.node === send.to && deliver.from === send.node);
    // Log entries are kept small.
    const big = events.find((e) => e.kind === 'send' && JSON.stringify(e.args).includes('"$len"'));
    assert.ok(big, 'long entry arrays are summarized');

    const persist = events.find((e) => e.kind === 'persist' && e.term !== undefined);
    assert.ok(persist, 'persists carry the decoded term');
    const leader = events.find((e) => e.kind === 'state' && e.isLeader);
    assert.ok(leader && leader.kind === 'state' && leader.term > 0);
    const oneLeader = events.find((e) => e.kind === 'check' && e.check === 'one-leader' && e.ok);
    assert.ok(oneLeader && oneLeader.kind === 'check' && typeof oneLeader.node === 'number');

    const failed = runs[4]!;
    assert.equal(failed.result.status, 'fail');
    assert.deepEqual(
      failed.events.filter((e) => e.kind === 'check' && !e.ok).map((e) => e.kind === 'check' && e.message),
      ['expected one leader, got none'],
    );
    const end = failed.events.at(-1)!;
    assert.ok(end.kind === 'test-end' && end.status === 'fail' && end.message === 'expected one leader, got none');
  });

  it('tracing does not change a sim run: same output and the same network events, event for event', async () => {
    for (const id of ['TestFigure8Unreliable2C', 'TestSnapshotInstallCrash2D']) {
      const run = async (trace: boolean) => {
        const net: string[] = [];
        const netObserver = (e: NetEvent) => void net.push(`${e.atMs} ${e.type} ${e.rpcId} ${e.endName} ${'reason' in e ? e.reason : ''} ${'bytes' in e ? e.bytes : ''}`);
        const recorder = createTraceRecorder({ also: { netObserver } });
        const result = await runTest(findTest(id)!, {
          mode: 'sim',
          seed: 1,
          make: impl.make,
          ...(trace ? recorder.options : { netObserver }),
        });
        return { result, net, traced: recorder.events.length };
      };
      const off = await run(false);
      const on = await run(true);
      assert.equal(off.traced, 0);
      assert.ok(on.traced > 1000);
      assert.equal(on.result.status, 'pass');
      assert.deepEqual(on.result.output, off.result.output, `${id}: same Passed line`);
      assert.deepEqual(on.result.passed, off.result.passed);
      assert.equal(on.result.testMs, off.result.testMs);
      assert.equal(on.net.length, off.net.length);
      assert.deepEqual(on.net, off.net, `${id}: same network events`);
    }
  });
});

describe('trace: file', () => {
  it('round-trips through gzip pages: header, index, any page alone, every event in order', async () => {
    const { result, events } = await traceRun('TestSnapshotInstallCrash2D', 1);
    const file = path.join(tmp, 'install.trace.gz');
    const header = traceHeaderFor(result, { servers: 3 });
    const bytes = await writeTraceFile(file, header, events, { pageSize: 500 });
    assert.equal(bytes, readFileSync(file).length);

    const read = await readTraceHeader(file);
    assert.equal(read.format, 'raftlab-trace/1');
    assert.equal(read.test, 'TestSnapshotInstallCrash2D');
    assert.equal(read.seed, 1);
    assert.equal(read.mode, 'sim');
    assert.equal(read.status, 'pass');
    assert.equal(read.events, events.length);
    assert.equal(read.node, process.version);
    assert.match(read.raftlabVersion, /^\d+\.\d+\.\d+/);

    const index = await readTraceIndex(file);
    assert.equal(index.pages.length, Math.ceil(events.length / 500));
    assert.equal(index.pages[2]!.firstT, events[1000]!.t);
    const expected = JSON.parse(JSON.stringify(events)) as TraceEvent[];
    assert.deepEqual(await readTracePage(file, 2, index), expected.slice(1000, 1500));
    const all: TraceEvent[] = [];
    for await (const e of readTraceEvents(file)) all.push(e);
    assert.deepEqual(all, expected);

    // Any gunzip reads the whole file as NDJSON: header, events, then the index and the footer.
    const lines = gunzipSync(readFileSync(file)).toString('utf8').trimEnd().split('\n');
    assert.equal(lines.length, events.length + 3);
    assert.equal((JSON.parse(lines[0]!) as { format: string }).format, 'raftlab-trace/1');
    assert.deepEqual(JSON.parse(lines[1]!), expected[0]);
  });

  it('a truncated, corrupt or foreign file is a TraceFileError naming the file', async () => {
    const { result, events } = await traceRun('TestReElection2A', 1);
    const good = encodeTrace(traceHeaderFor(result), events, { pageSize: 200 });
    const cases: Array<[string, Buffer, string]> = [
      ['truncated.trace.gz', good.subarray(0, good.length - 7), 'TRACE_CORRUPT'],
      ['tiny.trace.gz', good.subarray(0, 5), 'TRACE_CORRUPT'],
      ['foreign.trace.gz', Buffer.from('{"hello":"world"}\n'.repeat(10)), 'TRACE_CORRUPT'],
    ];
    for (const [name, bytes, code] of cases) {
      const file = path.join(tmp, name);
      writeFileSync(file, bytes);
      await assert.rejects(readTraceHeader(file), (error: unknown) => {
        assert.ok(error instanceof TraceFileError, String(error));
        assert.equal(error.code, code, `${name}: ${error.message}`);
        assert.ok(error.message.startsWith(file + ': '), error.message);
        return true;
      });
    }
    // A damaged page: the header still reads, the page is a clear error.
    const index = await (async () => {
      const f = path.join(tmp, 'ok.trace.gz');
      writeFileSync(f, good);
      return readTraceIndex(f);
    })();
    const damaged = Buffer.from(good);
    const page = index.pages[1]!;
    for (let i = 20; i < 40; i++) damaged[page.offset + i] = damaged[page.offset + i]! ^ 0xff;
    const file = path.join(tmp, 'damaged.trace.gz');
    writeFileSync(file, damaged);
    assert.equal((await readTraceHeader(file)).test, 'TestReElection2A');
    await assert.rejects(readTracePage(file, 1), (error: unknown) => error instanceof TraceFileError && error.code === 'TRACE_BAD_PAGE' && error.message.includes(file));
    await assert.rejects(readTracePage(file, 99), /no page 99/);
    // Read through as text (what the app passes to the viewer), a damaged page is the same error; its neighbours read.
    await assert.rejects(readTracePagesText(file, 0, 2), (error: unknown) => error instanceof TraceFileError && error.code === 'TRACE_BAD_PAGE' && /page 1 /.test(error.message));
    const okFile = path.join(tmp, 'ok.trace.gz');
    const text = (await readTracePagesText(okFile, 0, 2)).toString('utf8');
    const counts = index.pages.map((p) => p.count);
    assert.equal(counts.length, 2);
    assert.deepEqual(
      parseTracePageText(text, counts[0]! + counts[1]!),
      [...(await readTracePage(okFile, 0)), ...(await readTracePage(okFile, 1))],
      'two pages read through as text are the two pages',
    );
    assert.throws(() => parseTracePageText(text, counts[0]!), /holds \d+ events, the index says/);
    assert.throws(() => parseTracePageText('{"t":0}\n{"t":\n', 2), (error: unknown) => error instanceof TracePageTextError && error.event === 1);
    await assert.rejects(readTracePagesText(okFile, index.pages.length - 1, 2), /no pages/);
    await assert.rejects(readTraceHeader(path.join(tmp, 'missing.trace.gz')), (error: unknown) => error instanceof TraceFileError && error.code === 'TRACE_UNREADABLE');
  });
});

describe('trace: exports', () => {
  it("text: dslogs's input, one line per event — %06d tenths of ms, a dslogs topic, S<n> first on a server's line", async () => {
    const { events } = await traceRun('TestReElection2A', 1);
    const lines = [...textLines(events)];
    assert.equal(lines.length, events.length);
    lines.forEach((line, i) => {
      const e = events[i]!;
      const m = /^(\d{6,}) ([A-Z0-9]{4}) (.*)$/.exec(line);
      assert.ok(m, line);
      assert.equal(Number(m[1]), Math.floor(e.t * 10), line);
      const node = 'node' in e && typeof e.node === 'number' && e.node >= 0 ? e.node : undefined;
      if (node === undefined) assert.equal(m[2], 'TEST', line);
      else assert.ok(m[3]!.startsWith(`S${node} `), line);
    });
    assert.ok(lines.includes('000000 TEST Test (2A): election after network failure'), 'the begin line');
    // RPCs take their method's topic; a persist PERS; a node's own log line its own topic.
    assert.ok(lines.some((l) => /^\d{6} VOTE S\d Raft\.RequestVote → S\d/.test(l)));
    assert.ok(lines.some((l) => /^\d{6} LOG1 S\d Raft\.AppendEntries for S\d #\d+ returned/.test(l)));
    assert.ok(lines.some((l) => /^\d{6} PERS S\d persist /.test(l)));
    // raftlab's finer topics behind the option.
    const finer = [...textLines(events, { topics: 'raftlab' })];
    assert.ok(finer.some((l) => /^\d{6} SEND S\d Raft\.RequestVote/.test(l)) && finer.some((l) => / RTRN S\d /.test(l)));
  });

  it('columns: one fixed-width column per node, wrapped rows keeping their time and topic; coloured only when asked', async () => {
    const { events } = await traceRun('TestReElection2A', 1);
    const width = 30;
    const lines = [...columnLines(events, { servers: 3, columnWidth: width })];
    assert.equal(lines[0], `TIME   TOPC ${'S0'.padEnd(width)} ${'S1'.padEnd(width)} S2`);
    const col = (node: number) => 12 + node * (width + 1);
    let nodeRows = 0;
    let wrapped = 0;
    for (const line of lines.slice(1)) {
      const m = /^(\d{6}) (.{4}) /.exec(line);
      assert.ok(m, `every row has its time and topic: ${line}`);
      if (m[2] === 'TEST') continue;
      // Exactly one column holds text, and it starts at its column.
      const filled = [0, 1, 2].filter((n) => line.slice(col(n), col(n) + width).trim() !== '');
      assert.equal(filled.length, 1, line);
      if (line.slice(col(filled[0]!), col(filled[0]!) + 2) === '  ') wrapped++;
      assert.ok(line.length <= col(2) + width, line);
      nodeRows++;
    }
    assert.ok(nodeRows > 100 && wrapped > 10, `${nodeRows} rows, ${wrapped} continued`);
    assert.ok(!lines.some((l) => l.includes('\x1b[')), 'no colour unless asked');
    const coloured = [...columnLines(events, { servers: 3, columnWidth: width, color: true })];
    assert.ok(coloured.some((l) => l.includes('\x1b[')));
  });

  it("shiviz: the regex first, every entry parses with it, and a reply's clock includes what its server did before its handler returned", async () => {
    const { events } = await traceRun('TestFigure8Unreliable2C', 1);
    const lines = [...shivizLines(events)];
    assert.equal(lines[0], String.raw`(?<event>.*)\n(?<host>\S*) (?<clock>{.*})`);
    assert.equal(lines[1], '');
    const log = lines.slice(2).join('\n') + '\n';
    const re = new RegExp(shivizRegex, 'g');
    const entries = [...log.matchAll(re)].map((m) => ({ event: m.groups!.event!, host: m.groups!.host!, clock: JSON.parse(m.groups!.clock!) as Record<string, number> }));
    assert.equal(entries.length, events.length);
    const last = new Map<string, number>();
    const atSend = new Map<number, Record<string, number>>();
    const atHandled = new Map<number, Record<string, number>>();
    const geq = (a: Record<string, number>, b: Record<string, number>) => Object.entries(b).every(([h, v]) => (a[h] ?? 0) >= v);
    let persistsBeforeReply = 0;
    const lastPersist = new Map<number, Record<string, number>>();
    entries.forEach((entry, i) => {
      const e = events[i]!;
      // The host's own entry goes up by exactly one per event, from 1.
      assert.equal(entry.clock[entry.host], (last.get(entry.host) ?? 0) + 1, `entry ${i}`);
      last.set(entry.host, entry.clock[entry.host]!);
      if (e.kind === 'send') atSend.set(e.rpc, entry.clock);
      if (e.kind === 'deliver') assert.ok(geq(entry.clock, atSend.get(e.rpc)!), `deliver ${e.rpc} ≥ its send`);
      if (e.kind === 'persist') lastPersist.set(e.node, entry.clock);
      if (e.kind === 'handled') atHandled.set(e.rpc, entry.clock);
      if (e.kind === 'reply') {
        assert.ok(geq(entry.clock, atHandled.get(e.rpc)!), `reply ${e.rpc} ≥ its handler's return`);
        const saved = lastPersist.get(e.to);
        if (saved && geq(atHandled.get(e.rpc)!, saved)) persistsBeforeReply++;
      }
    });
    assert.ok(atHandled.size > 100);
    assert.ok(persistsBeforeReply > 100, `${persistsBeforeReply} replies causally after their server's last save`);
  });

  it('raftlab export: ndjson (the header first), text and shiviz to --out; a corrupt file exits 2 naming it', async () => {
    const { result, events } = await traceRun('TestReElection2A', 1);
    const file = path.join(tmp, 'cli.trace.gz');
    await writeTraceFile(file, traceHeaderFor(result, { servers: 3 }), events);
    const ndjson = path.join(tmp, 'out.ndjson');
    assert.equal(await exportCommand(file, { format: 'ndjson', out: ndjson }), 0);
    const lines = readFileSync(ndjson, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(lines[0], { ...traceHeaderFor(result, { servers: 3 }), events: events.length });
    assert.equal(lines.length, events.length + 1);
    // Every event's own fields as they are; the fields it lacks as null.
    lines.slice(1).forEach((line, i) => {
      for (const [k, v] of Object.entries(events[i]!)) assert.deepEqual(line[k], JSON.parse(JSON.stringify(v)), `event ${i}.${k}`);
      for (const [k, v] of Object.entries(line)) if (!(k in events[i]!)) assert.equal(v, null, `event ${i}.${k}`);
    });
    const deliver = lines.find((l) => l.kind === 'deliver')!;
    assert.deepEqual(Object.keys(deliver), ['t', 'rpc', 'method', 'term', 'kind', 'node', 'from']);
    const text = path.join(tmp, 'out.txt');
    assert.equal(await exportCommand(file, { format: 'text', out: text }), 0);
    assert.match(readFileSync(text, 'utf8'), /^000000 TEST TestReElection2A seed 1 \(sim clock, the reference\): pass\n000000 TEST network reliable\n000000 TEST S0 started\n/);
    const shiviz = path.join(tmp, 'out.log');
    assert.equal(await exportCommand(file, { format: 'shiviz', out: shiviz }), 0);
    assert.equal(readFileSync(shiviz, 'utf8').split('\n')[0], shivizRegex);

    const bad = path.join(tmp, 'bad.trace.gz');
    writeFileSync(bad, readFileSync(file).subarray(0, 100));
    const stderr: string[] = [];
    const err = { write: (chunk: string) => stderr.push(chunk) > 0 };
    assert.equal(await exportCommand(bad, { format: 'text' }, { write: () => true }, err), 2);
    assert.match(stderr.join(''), new RegExp(`^raftlab: ${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: `));
  });
});

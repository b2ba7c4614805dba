// The app's services (src/main/services) together, through the same dispatcher the Electron shell and the web
// server use: no Electron, a temporary data folder.
import { strict as assert } from 'node:assert';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createDispatcher, type Dispatch } from '../../src/main/rpc.ts';
import { AppServices, createHandlers } from '../../src/main/services/index.ts';
import { histogram } from '../../src/main/services/results.ts';
import { runBatch } from '../../src/runner/batch.ts';
import { replayCommand } from '../../src/cli/replay-command.ts';
import { readBundle } from '../../src/runner/bundle.ts';
import type {
  AppEvent,
  BatchView,
  BugView,
  CatalogView,
  HistoryPage,
  HistorySeries,
  ImplResolution,
  IpcResult,
  OpenedTrace,
  SavedSettings,
  TraceCheck,
  TraceExport,
  TraceFailure,
  TraceReplay,
} from '../../src/shared/ipc.ts';
import { parseTracePageText } from '../../src/trace/page-text.ts';
import type { TraceEvent } from '../../src/trace/events.ts';
import { exportedEvent } from '../../src/trace/export.ts';
import { encodeTrace, readTraceEvents, readTraceHeader, type TraceHeader, type TraceIndex } from '../../src/trace/file.ts';

const BUGGY = resolve('labs/bugs/vote-without-up-to-date-check');

function value<T>(result: IpcResult<unknown>): T {
  assert.ok(result.ok, JSON.stringify(result));
  return result.value as T;
}

function badInput(result: IpcResult<unknown>, message: RegExp): void {
  assert.ok(!result.ok, `expected an error, got ${JSON.stringify(result)}`);
  assert.equal(result.error.code, 'BAD_INPUT', result.error.message);
  assert.match(result.error.message, message);
}

describe('ui: app services, through the dispatcher', function () {
  this.timeout(60_000);
  let dataDir: string;
  let app: AppServices;
  let call: (channel: string, input?: unknown) => Promise<IpcResult<unknown>>;
  const events: AppEvent[] = [];
  /** The planted bug's kept trace (set by the stop-at-first-failure test). */
  let failedTrace: { file: string; seed: number } | undefined;

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'raftlab-data-'));
    app = new AppServices({ dataDir });
    app.events.subscribe((e) => events.push(e));
    const dispatch: Dispatch = createDispatcher(createHandlers(() => app), { logError: () => undefined });
    call = (channel, input) => dispatch(channel, input, { shell: 'web' });
  });

  after(async () => {
    await app.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('lists the 24 graded tests by part, none run yet', async () => {
    const view = value<CatalogView>(await call('catalog:list'));
    assert.deepEqual({ ...view.scope, sourcesHash: typeof view.scope.sourcesHash }, { implDir: resolve('labs/raft'), sourcesHash: 'string', mode: 'sim' });
    const catalog = view.tests;
    assert.equal(catalog.length, 24);
    assert.deepEqual([...new Set(catalog.map((e) => e.part))], ['2A', '2B', '2C', '2D']);
    const first = catalog[0]!;
    assert.equal(first.id, 'TestInitialElection2A');
    assert.equal(first.servers, 3);
    assert.match(first.description, /initial election/);
    assert.equal(first.last, undefined);
    assert.deepEqual(first.current, { runs: 0, failed: 0, rate: null, interval: null });
  });

  it('runs a batch, pushes its progress, records it in history and remembers the settings', async () => {
    events.length = 0;
    const started = value<BatchView>(
      await call('batch:start', { tests: ['TestInitialElection2A'], count: 3, parallel: 2, mode: 'sim', seed: 5, impl: 'reference' }),
    );
    assert.equal(started.state, 'running');
    assert.equal(started.total, 3);
    const done = (await app.batches.whenDone(started.id))!;
    assert.equal(done.state, 'done');
    assert.equal(done.done, 3);
    assert.equal(done.failed, 0);
    assert.deepEqual(
      events.filter((e) => e.type !== 'progress').map((e) => e.type),
      ['batch-started', 'run', 'run', 'run', 'batch-finished'],
    );
    const last = events.findLast((e) => e.type === 'run');
    assert.ok(last?.type === 'run' && last.test.interval && last.test.interval.high < 0.6, 'each test carries its interval so far');
    assert.match(done.sourcesHash ?? '', /^[0-9a-f]{64}$/);
    assert.equal(app.history.store.readBatch(started.id)!.settings.sourcesHash, done.sourcesHash, 'the batch records its code version');
    const seeds = events.flatMap((e) => (e.type === 'run' ? [e.run.seed] : [])).sort();
    assert.deepEqual(seeds, [5, 6, 7]);
    const result = done.results!.perTest[0]!;
    assert.equal(result.runs, 3);
    assert.equal(result.failed, 0);
    assert.equal(result.interval.low, 0);
    assert.ok(result.interval.high > 0.5 && result.interval.high < 0.6, String(result.interval.high)); // Wilson 0/3
    assert.equal(result.histogram.reduce((n, b) => n + b.count, 0), 3);
    assert.deepEqual(done.results!.clusters, []);
    assert.deepEqual(value<BatchView>(await call('batch:get', { batchId: started.id })).results, done.results);

    const catalog = value<CatalogView>(await call('catalog:list', { impl: 'reference' })).tests;
    assert.equal(catalog[0]!.last?.status, 'pass');
    assert.deepEqual({ runs: catalog[0]!.current.runs, failed: catalog[0]!.current.failed, rate: catalog[0]!.current.rate }, { runs: 3, failed: 0, rate: 0 });
    assert.equal(value<CatalogView>(await call('catalog:list', { impl: 'skeleton' })).tests[0]!.current.runs, 0);
    assert.equal(value<CatalogView>(await call('catalog:list', { impl: 'reference', mode: 'real' })).tests[0]!.current.runs, 0, 'the other clock is another scope');

    const history = value<HistoryPage>(await call('history:batches')).batches;
    assert.equal(history[0]!.id, started.id);
    assert.equal(history[0]!.runs, 3);
    assert.equal(history[0]!.state, 'done');
    assert.deepEqual(history[0]!.testIds, ['TestInitialElection2A']);
    const again = value<BatchView>(await call('history:batch', { batchId: started.id }));
    assert.deepEqual(again.results?.perTest.map((t) => [t.id, t.runs, t.failed]), [['TestInitialElection2A', 3, 0]]);

    const settings = value<SavedSettings>(await call('settings:get'));
    assert.deepEqual(settings, { tests: ['TestInitialElection2A'], count: 3, parallel: 2, mode: 'sim', impl: 'reference', stopOnFail: false, check: false });
    assert.deepEqual(new AppServices({ dataDir }).settings.get(), settings, 'settings survive a restart');
  });

  it('runs a batch under chaos knobs: recorded on the batch, the history and each run, never remembered', async () => {
    const chaos = { crashesPerMinute: 30, timerQuantumMs: 250 };
    const started = value<BatchView>(
      await call('batch:start', { tests: ['TestFailAgree2B'], count: 2, parallel: 1, mode: 'sim', seed: 3, impl: 'reference', chaos }),
    );
    assert.deepEqual(started.settings.chaos, chaos);
    const done = (await app.batches.whenDone(started.id))!;
    assert.equal(done.state, 'done');
    const file = app.history.store.readBatch(started.id)!;
    assert.deepEqual(file.settings.argv, ['(app)', '--chaos', 'quantum=250,crash=30']);
    assert.deepEqual(file.settings.chaos, chaos);
    assert.equal(file.runs.length, 2);
    assert.equal(Object.hasOwn(value<SavedSettings>(await call('settings:get')), 'chaos'), false, 'chaos is not a remembered setting');
    // All knobs at zero is a plain run.
    const plain = value<BatchView>(
      await call('batch:start', { tests: ['TestFailAgree2B'], count: 1, parallel: 1, mode: 'sim', seed: 3, impl: 'reference', chaos: { dropRate: 0 } }),
    );
    assert.equal(plain.settings.chaos, undefined);
    await app.batches.whenDone(plain.id);
  });

  it('refuses bad input before anything runs', async () => {
    const base = { tests: ['TestInitialElection2A'], count: 1, parallel: 1, mode: 'sim', impl: 'reference' };
    badInput(await call('batch:start', { ...base, tests: [] }), /tests/);
    badInput(await call('batch:start', { ...base, tests: ['TestNope2A'] }), /Unknown test: TestNope2A/);
    badInput(await call('batch:start', { ...base, count: 0 }), /runs per test: at least 1/);
    badInput(await call('batch:start', { ...base, mode: 'fast' }), /mode/);
    badInput(await call('batch:start', { ...base, impl: 'no/such/folder' }), new RegExp(`No such folder: ${resolve('no/such/folder')}`));
    badInput(await call('batch:start', { ...base, impl: join(dataDir, 'missing') }), /No such folder/);
    badInput(await call('batch:start', { ...base, seed: 'abc' }), /seed: a whole number/);
    badInput(await call('batch:start', { ...base, count: 1.5 }), /runs per test: a whole number/);
    badInput(await call('batch:start', { ...base, impl: dataDir }), /no index\.ts/);
    badInput(await call('batch:start', { ...base, extra: 1 }), /extra/);
    badInput(await call('batch:start', { ...base, chaos: { dropRate: 2 } }), /chaos\.dropRate/);
    badInput(await call('batch:start', { ...base, chaos: { meteors: 1 } }), /meteors/);
    badInput(await call('batch:cancel', { batchId: '../x' }), /batch id/);
  });

  it('stops at the first failure of a planted bug, clusters it and keeps its trace for the trace channels', async () => {
    const started = value<BatchView>(
      await call('batch:start', { tests: ['TestBackup2B'], count: 20, parallel: 2, mode: 'sim', seed: 1, impl: BUGGY, stopOnFail: true }),
    );
    const done = (await app.batches.whenDone(started.id))!;
    assert.equal(done.state, 'stopped');
    assert.ok(done.failed >= 1 && done.done < 20, `${done.failed} failed of ${done.done}`);
    const cluster = done.results!.clusters[0]!;
    assert.equal(cluster.test, 'TestBackup2B');
    const failure = cluster.failures[0]!;
    assert.ok(failure.traceFile?.startsWith(join(dataDir, 'traces', started.id)), failure.traceFile);
    failedTrace = { file: failure.traceFile!, seed: failure.seed };

    const { header, index } = value<{ header: TraceHeader; index: TraceIndex }>(await call('trace:index', { file: failure.traceFile }));
    assert.equal(header.test, 'TestBackup2B');
    assert.equal(header.seed, failure.seed);
    assert.equal(header.status, 'fail');
    assert.ok(index.pages.length >= 1);
    // The page as the file stores it (the dispatcher inflates it for a caller that does not take gzip).
    const page = parseTracePageText(value<string>(await call('trace:page', { file: failure.traceFile, page: 0 })), index.pages[0]!.count);
    assert.equal(page.length, index.pages[0]!.count);
    assert.ok(page.some((e) => e.kind === 'test-begin'), 'the first page holds the test-begin event');
    badInput(await call('trace:page', { file: failure.traceFile, page: index.pages.length }), /No page/);
    badInput(await call('trace:page', { file: failure.traceFile, page: 0, count: index.pages.length + 1 }), /No pages 0–/);
    badInput(await call('trace:page', { file: failure.traceFile, page: 0, count: 17 }), /count/);

    // Where it failed: the tester's check that failed, not the start of the trace.
    const failedAt = value<TraceFailure>(await call('trace:failure', { file: failure.traceFile }));
    assert.equal(failedAt.kind, 'check');
    const all: TraceEvent[] = [];
    for await (const e of readTraceEvents(failure.traceFile!)) all.push(e);
    const at = all[failedAt.eventIndex]!;
    assert.ok(['check', 'one', 'wait', 'apply'].includes(at.kind), at.kind);
    if (at.kind === 'apply') assert.match(header.message ?? '', new RegExp(`^apply error: .*(index=${at.index} server=${at.node}|server ${at.node} apply out of order ${at.index})`));
    assert.ok(failedAt.eventIndex > all.length / 2, `${failedAt.eventIndex} of ${all.length}`);

    // Only the app's own traces: not a copy elsewhere, not through .., not another kind of file.
    const outside = join(dataDir, 'elsewhere.trace.gz');
    await copyFile(failure.traceFile!, outside);
    badInput(await call('trace:index', { file: outside }), /Not a trace of this app/);
    badInput(await call('trace:index', { file: join(dataDir, 'traces', '..', 'elsewhere.trace.gz') }), /Not a trace of this app/);
    badInput(await call('trace:index', { file: join(dataDir, 'history.json') }), /\.trace\.gz/);
    badInput(await call('trace:index', { file: 'relative.trace.gz' }), /absolute/);
    badInput(await call('trace:index', { file: join(dataDir, 'traces', 'none.trace.gz') }), /No such trace file/);
  });

  it('exports a kept trace as NDJSON, text, ShiViz and a bundle that replays', async () => {
    assert.ok(failedTrace, 'the planted bug left a trace');
    const { file, seed } = failedTrace;
    const recorded: TraceEvent[] = [];
    for await (const e of readTraceEvents(file)) recorded.push(e);
    const exported = async (format: string) => {
      const out = value<TraceExport>(await call('trace:export', { file, format }));
      assert.equal(out.savedTo, undefined);
      const bytes = Buffer.from(out.data!, 'base64');
      assert.equal(bytes.length, out.size);
      return { out, bytes };
    };

    const ndjson = await exported('ndjson');
    assert.equal(ndjson.out.fileName, `TestBackup2B-seed${seed}.ndjson`);
    const lines = ndjson.bytes.toString('utf8').trimEnd().split('\n');
    // The header first, then every event in the export's form (every field of its kind).
    assert.equal(lines.length, recorded.length + 1);
    assert.deepEqual(JSON.parse(lines[0]!), await readTraceHeader(file));
    assert.deepEqual(JSON.parse(lines[1]!), exportedEvent(recorded[0]!));

    const text = await exported('text');
    assert.equal(text.out.fileName, `TestBackup2B-seed${seed}.txt`);
    assert.match(text.bytes.toString('utf8'), new RegExp(`^000000 TEST TestBackup2B seed ${seed} \\(sim clock, .*\\): fail`));

    const shiviz = await exported('shiviz');
    assert.equal(shiviz.out.fileName, `TestBackup2B-seed${seed}.shiviz.log`);
    assert.match(shiviz.bytes.toString('utf8'), /^\S+ \{.*\}$/m);

    const bundle = await exported('bundle');
    assert.equal(bundle.out.fileName, `TestBackup2B-seed${seed}.bundle.gz`);
    assert.equal(bundle.out.mimeType, 'application/gzip');
    assert.match(gunzipSync(bundle.bytes).toString('utf8'), /^\{"format":"raftlab-bundle\/2"/);
    const saved = join(dataDir, bundle.out.fileName);
    await writeFile(saved, bundle.bytes);
    const parsed = readBundle(saved)!;
    assert.deepEqual({ test: parsed.run.test, seed: parsed.run.seed, mode: parsed.run.mode }, { test: 'TestBackup2B', seed, mode: 'sim' });
    let printed = '';
    const out = new Writable({ write: (chunk, _enc, done) => void ((printed += String(chunk)), done()) });
    const replayed = await replayCommand(saved, {}, out, out);
    assert.equal(replayed.status, 0, printed);
    assert.deepEqual({ recurred: replayed.report?.recurred, identical: replayed.report?.identical }, { recurred: true, identical: true });

    // Validated like the other trace channels.
    badInput(await call('trace:export', { file, format: 'pdf' }), /format/);
    const outside = join(dataDir, 'copy.trace.gz');
    await copyFile(file, outside);
    badInput(await call('trace:export', { file: outside, format: 'ndjson' }), /Not a trace of this app/);
    badInput(await call('trace:export', { file: join(dataDir, 'history.json'), format: 'ndjson' }), /\.trace\.gz/);
  });

  it('replays a kept sim trace in a worker and says whether it recurred and where it first differs', async () => {
    assert.ok(failedTrace, 'the planted bug left a trace');
    const { file, seed } = failedTrace;
    const same = value<TraceReplay>(await call('trace:replay', { file }));
    assert.equal(same.test, 'TestBackup2B');
    assert.equal(same.seed, seed);
    assert.equal(same.recurred, true);
    assert.equal(same.identical, true);
    assert.equal(same.firstDifference, undefined);
    assert.equal(same.recorded.status, 'fail');
    assert.equal(same.replayed.status, 'fail');
    assert.equal(same.replayed.message, same.recorded.message);
    assert.equal(same.replayed.events, same.recorded.events);

    // A recording whose 4th event was different: found, and both sides described.
    const header = await readTraceHeader(file);
    const recorded: TraceEvent[] = [];
    for await (const e of readTraceEvents(file)) recorded.push(e);
    const edited = recorded.map((e, i) => (i === 3 ? { ...e, t: e.t + 1 } : e));
    const dir = join(dataDir, 'traces', 'edited');
    await mkdir(dir, { recursive: true });
    const editedFile = join(dir, 'edited.trace.gz');
    await writeFile(editedFile, encodeTrace(header, edited));
    const differs = value<TraceReplay>(await call('trace:replay', { file: editedFile }));
    assert.equal(differs.recurred, true);
    assert.equal(differs.identical, false);
    assert.equal(differs.firstDifference?.index, 3);
    assert.equal(differs.firstDifference.recorded?.t, recorded[3]!.t + 1);
    assert.equal(differs.firstDifference.replayed?.t, recorded[3]!.t);
    assert.ok(differs.firstDifference.replayed.text.length > 0);

    // A real-clock run is not replayed in the app: the command line is named instead.
    const realFile = join(dir, 'real.trace.gz');
    await writeFile(realFile, encodeTrace({ ...header, mode: 'real' }, recorded));
    badInput(await call('trace:replay', { file: realFile }), /command line: npx raftlab replay/);
    badInput(await call('trace:replay', { file: join(dataDir, 'copy.trace.gz') }), /Not a trace of this app/);
  });

  it('checks a kept trace for safety: each violation with its rule and event (batch:start check keeps the trace)', async () => {
    // votedFor not persisted passes the tester on TestInitialElection2A seed 1; "check" fails it on the violation.
    const view = value<BatchView>(
      await call('batch:start', {
        tests: ['TestInitialElection2A'],
        count: 1,
        parallel: 1,
        mode: 'sim',
        seed: 1,
        impl: resolve('labs/bugs/votedfor-not-persisted'),
        check: true,
      }),
    );
    assert.equal(view.settings.check, true);
    const done = (await app.batches.whenDone(view.id))!;
    assert.equal(done.failed, 1);
    const file = done.results!.clusters[0]!.failures[0]!.traceFile!;
    assert.ok(file, 'the failing run kept its trace');
    const found = value<TraceCheck>(await call('trace:check', { file }));
    const events: TraceEvent[] = [];
    for await (const e of readTraceEvents(file)) events.push(e);
    assert.equal(found.events, events.length);
    const v = found.violations[0]!;
    assert.equal(v.invariant, 'vote-persisted');
    assert.equal(v.title, 'Vote persisted before replying');
    assert.match(v.rule, /stable storage before it grants a vote/);
    assert.ok(v.message.length > 0);
    assert.ok(v.eventIndex >= 0 && v.eventIndex < events.length);
    assert.equal(v.t, events[v.eventIndex]!.t);
    // A run the checker failed fails where the first rule broke.
    assert.deepEqual(value<TraceFailure>(await call('trace:failure', { file })), { eventIndex: v.eventIndex, t: v.t, kind: 'violation', text: `${v.title}: ${v.message}` });

    // The reference's trace: no violations.
    const dir = join(dataDir, 'traces', 'reference');
    const ref = await runBatch({
      tests: [{ id: 'TestInitialElection2A' }],
      count: 1,
      baseSeed: 1,
      mode: 'sim',
      implDir: resolve('labs/raft'),
      parallel: 1,
      trace: { keep: 'all', dir },
    });
    const refFile = ref.records[0]!.traceFile!;
    const clean = value<TraceCheck>(await call('trace:check', { file: refFile }));
    assert.deepEqual(clean.violations, []);
    assert.ok(clean.events > 0);

    // Validated like the other trace channels.
    const outside = join(dataDir, 'check-copy.trace.gz');
    await copyFile(refFile, outside);
    badInput(await call('trace:check', { file: outside }), /Not a trace of this app/);
    badInput(await call('trace:check', { file: join(dataDir, 'history.json') }), /\.trace\.gz/);
    badInput(await call('trace:check', { file: 'relative.trace.gz' }), /absolute/);
  });

  it('opens traces and bundles from anywhere by their bytes; a bundle replays with its own sources', async () => {
    assert.ok(failedTrace, 'the planted bug left a trace');
    const bytes = (await readFile(failedTrace.file)).toString('base64');
    const opened = value<OpenedTrace>(await call('trace:open', { name: 'from-a-TA.trace.gz', data: bytes }));
    assert.equal(opened.kind, 'trace');
    assert.ok(!opened.file.startsWith(dataDir), opened.file);
    const { header } = value<{ header: TraceHeader; opened?: OpenedTrace }>(await call('trace:index', { file: opened.file }));
    assert.equal(header.seed, failedTrace.seed);
    assert.deepEqual(value<{ opened?: OpenedTrace }>(await call('trace:index', { file: opened.file })).opened, opened);

    const bundle = value<TraceExport>(await call('trace:export', { file: failedTrace.file, format: 'bundle' }));
    const fromBundle = value<OpenedTrace>(await call('trace:open', { name: 'run.bundle.gz', data: bundle.data }));
    assert.equal(fromBundle.kind, 'bundle');
    assert.match(fromBundle.file, /TestBackup2B-seed\d+\.trace\.gz$/);
    const replayed = value<TraceReplay>(await call('trace:replay', { file: fromBundle.file }));
    assert.deepEqual({ recurred: replayed.recurred, identical: replayed.identical, sourcesChanged: replayed.sourcesChanged }, { recurred: true, identical: true, sourcesChanged: false });

    badInput(await call('trace:open', { name: 'notes.txt', data: Buffer.from('hello').toString('base64') }), /notes\.txt is neither a raftlab trace \(\.trace\.gz\) nor a bundle/);
    badInput(await call('trace:open', { name: 'x', data: 'not base64!' }), /base64/);
  });

  it('reads history back: pages, filters, a batch whole, and each test\'s rate batch by batch', async () => {
    const all = value<HistoryPage>(await call('history:batches', { limit: 2 }));
    assert.ok(all.total >= 5, String(all.total));
    assert.equal(all.batches.length, 2);
    const next = value<HistoryPage>(await call('history:batches', { limit: 2, offset: 2 }));
    assert.ok(next.batches.every((b) => !all.batches.some((a) => a.id === b.id)), 'pages do not overlap');
    assert.ok(all.batches[0]!.startedAt >= next.batches[0]!.startedAt, 'newest first');
    const chaos = value<HistoryPage>(await call('history:batches', { chaos: 'only' }));
    assert.ok(chaos.batches.length >= 1 && chaos.batches.every((b) => b.chaos), 'only batches under chaos');
    const buggy = value<HistoryPage>(await call('history:batches', { implDir: BUGGY }));
    assert.ok(buggy.batches.length >= 1 && buggy.batches.every((b) => b.implDir === BUGGY));
    assert.ok(all.impls.some((i) => i.dir === BUGGY));

    const batch = value<BatchView>(await call('history:batch', { batchId: buggy.batches.at(-1)!.id }));
    assert.ok(batch.results!.clusters[0]!.failures[0]!.traceFile, 'the batch\'s kept traces');
    assert.equal(value<BatchView | null>(await call('history:batch', { batchId: 'no-such-batch' })), null);

    const series = value<HistorySeries>(await call('history:series', { implDir: resolve('labs/raft'), mode: 'sim' }));
    const election = series.tests.find((t) => t.id === 'TestInitialElection2A')!;
    assert.ok(election.points.length >= 1);
    assert.ok(election.points.every((p) => p.low <= p.rate && p.rate <= p.high));
    assert.ok(!series.tests.some((t) => t.id === 'TestFailAgree2B' && t.points.some((p) => series.batches[p.batch]!.id === chaos.batches[0]!.id)), 'chaos runs apart');
  });

  it('names folders as a person types them, lists the planted bugs, and remembers the folders used', async () => {
    const bug = value<ImplResolution>(await call('impl:resolve', { impl: 'labs/bugs/heartbeat-10ms' }));
    assert.deepEqual(bug, { dir: resolve('labs/bugs/heartbeat-10ms'), kind: 'bug', bug: { name: 'heartbeat-10ms', title: 'Heartbeats every 10 ms' } });
    badInput(await call('impl:resolve', { impl: '~/surely-no-such-folder-here' }), /No such folder: \//);
    badInput(await call('dialog:folder'), /browser cannot pick a folder/);

    const bugs = value<BugView[]>(await call('bugs:list'));
    assert.equal(bugs.length, 14);
    const vote = value<BugView>(await call('bugs:get', { name: 'vote-without-up-to-date-check' }));
    assert.equal(vote.catch.invariant?.title, 'State Machine Safety');
    assert.deepEqual(vote.catch.tests, ['TestBackup2B']);
    assert.match(vote.diff, /^--- a\/raft\.ts/);
    assert.match(vote.notes, /^Planted bug:/);
    badInput(await call('bugs:get', { name: 'no-such-bug' }), /No planted bug named no-such-bug/);
    assert.ok(value<SavedSettings>(await call('settings:get')).recentFolders?.includes(BUGGY), 'the folder a batch ran is offered again');
  });

  it('cancels a running batch', async () => {
    events.length = 0;
    const started = await app.batches.start({ tests: ['TestInitialElection2A'], count: 200, parallel: 1, mode: 'sim', seed: 1, impl: 'reference', stopOnFail: false });
    await new Promise<void>((resolveRun) => {
      const off = app.events.subscribe((e) => {
        if (e.type === 'run') {
          off();
          resolveRun();
        }
      });
    });
    assert.deepEqual(value<{ cancelled: boolean }>(await call('batch:cancel', { batchId: started.id })), { cancelled: true });
    const done = (await app.batches.whenDone(started.id))!;
    assert.equal(done.state, 'cancelled');
    assert.ok(done.done < 200, String(done.done));
    assert.equal(events.at(-1)?.type, 'batch-finished');
    assert.deepEqual(value<{ cancelled: boolean }>(await call('batch:cancel', { batchId: started.id })), { cancelled: false });
    const entry = app.history.batches().find((b) => b.id === started.id)!;
    assert.equal(entry.state, 'cancelled');
  });

  it('bins durations for the histogram', () => {
    assert.deepEqual(histogram([]), []);
    assert.deepEqual(histogram([5, 5]), [{ from: 5, to: 5, count: 2 }]);
    const bins = histogram([0, 1, 2, 10], 5);
    assert.equal(bins.length, 5);
    assert.deepEqual(bins.map((b) => b.count), [2, 1, 0, 0, 1]);
  });
});

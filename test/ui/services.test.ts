// Each of the app's services on its own (src/main/services), over a temporary data folder and fabricated history:
// nothing here runs a test (app-services.test.ts runs batches through the dispatcher).
import { strict as assert } from 'node:assert';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CatalogService } from '../../src/main/services/catalog.ts';
import { EventHub } from '../../src/main/services/events.ts';
import { HistoryService } from '../../src/main/services/history.ts';
import { Implementations, skeletonImplDir } from '../../src/main/services/implementations.ts';
import { histogram, resultsView } from '../../src/main/services/results.ts';
import { SettingsService } from '../../src/main/services/settings.ts';
import { applyErrorSite, OpenedStore, safeName, TraceAccess } from '../../src/main/services/traces.ts';
import { estimateRemainingMs } from '../../src/main/services/batches.ts';
import { BugService, splitPatch } from '../../src/main/services/bugs.ts';
import { InputError } from '../../src/main/rpc.ts';
import { History, summarizeRun } from '../../src/runner/history.ts';
import type { RunRecord } from '../../src/runner/types.ts';
import type { AppEvent } from '../../src/shared/ipc.ts';
import { fakeSettings, recordBatch, writeBatches } from './fake-history.ts';

const repo = path.resolve('.');
let work: string;
beforeEach(() => (work = mkdtempSync(path.join(os.tmpdir(), 'raftlab-services-'))));
afterEach(() => rmSync(work, { recursive: true, force: true }));

describe('ui services: settings', () => {
  const run = { tests: ['TestBackup2B'], count: 3, parallel: 2, mode: 'real' as const, impl: 'skeleton', stopOnFail: true, check: true, seed: 9, chaos: { dropRate: 0.1 } };

  it('remembers the form without the seed and chaos knobs, in memory or across restarts in its file', () => {
    const memory = new SettingsService();
    assert.equal(memory.get().count, 10, 'defaults first');
    memory.remember(run);
    const { seed: _s, chaos: _c, ...kept } = run;
    assert.deepEqual(memory.get(), kept);
    const file = path.join(work, 'settings.json');
    new SettingsService(file).remember(run);
    assert.deepEqual(new SettingsService(file).get(), kept);
  });

  it('offers the folders used lately, newest first, each once, at most eight', () => {
    const settings = new SettingsService();
    for (let i = 0; i < 10; i++) settings.remember(run, `/f/${i}`);
    settings.remember(run, '/f/3');
    settings.remember(run);
    assert.deepEqual(settings.get().recentFolders, ['/f/3', '/f/9', '/f/8', '/f/7', '/f/6', '/f/5', '/f/4', '/f/2']);
  });

  it('starts from the defaults over a damaged file', () => {
    const file = path.join(work, 'settings.json');
    for (const bad of ['not json', '{"version":7}', '{"version":1,"run":null}']) {
      writeFileSync(file, bad);
      assert.equal(new SettingsService(file).get().impl, 'reference', bad);
    }
  });
});

describe('ui services: implementations', () => {
  it('names the reference, the skeleton, a planted bug and a folder: absolute, relative or under ~', () => {
    const impls = new Implementations(repo);
    assert.deepEqual(impls.resolve('reference').kind, 'reference');
    assert.deepEqual(impls.resolve('skeleton'), { dir: path.resolve(skeletonImplDir), kind: 'skeleton' });
    assert.deepEqual(impls.resolve('labs/bugs/heartbeat-10ms'), { dir: path.join(repo, 'labs/bugs/heartbeat-10ms'), kind: 'bug' });
    assert.deepEqual(impls.resolve('./labs/corpus/cond/'), { dir: path.join(repo, 'labs/corpus/cond'), kind: 'folder' });
    assert.equal(impls.resolve('labs/raft').kind, 'reference', 'the reference by its folder is the reference');
    const home = os.homedir();
    const underHome = mkdtempSync(path.join(home, '.raftlab-impl-test-'));
    try {
      writeFileSync(path.join(underHome, 'index.ts'), 'export const make = () => undefined;\n');
      assert.deepEqual(impls.resolve(`~/${path.basename(underHome)}`), { dir: underHome, kind: 'folder' });
    } finally {
      rmSync(underHome, { recursive: true, force: true });
    }
  });

  it('refuses, in words, what cannot run', () => {
    const impls = new Implementations(work);
    writeFileSync(path.join(work, 'file.txt'), '');
    const refused = (impl: string, message: RegExp) => assert.throws(() => impls.resolve(impl), (e: unknown) => e instanceof InputError && message.test(e.message));
    refused('  ', /Type the path/);
    refused('missing', new RegExp(`No such folder: ${path.join(work, 'missing')}`));
    refused('file.txt', /Not a folder/);
    refused('.', /has no index\.ts exporting make/);
    assert.equal(impls.tryResolve('missing'), undefined);
  });

  it('tells the code version of a folder that builds, and none for one that does not', async () => {
    const impls = new Implementations(repo);
    const hash = await impls.sourcesHash(path.join(repo, 'labs/raft'));
    assert.match(hash ?? '', /^[0-9a-f]{64}$/);
    assert.equal(await impls.sourcesHash(path.join(repo, 'labs/raft')), hash, 'the same sources, the same version');
    assert.notEqual(await impls.sourcesHash(path.join(repo, 'labs/bugs/heartbeat-10ms')), hash, 'a patched copy is another version');
    assert.equal(await impls.sourcesHash(work), undefined);
  });
});

describe('ui services: history and catalog', () => {
  it('reads batches back as rows, newest first, with per-test totals from end.json', () => {
    const store = new History(work);
    const a = recordBatch(store, fakeSettings(), [{ id: 'TestInitialElection2A', seed: 1 }, { id: 'TestInitialElection2A', seed: 2, status: 'fail' }], new Date('2026-01-01T00:00:00Z'));
    const b = recordBatch(store, fakeSettings({ implDir: '/impl/b', mode: 'real' }), [{ id: 'TestInitialElection2A', seed: 1 }], new Date('2026-01-02T00:00:00Z'));
    const history = new HistoryService(store, (id) => (id === b ? 'running' : undefined));
    const rows = history.batches();
    assert.deepEqual(rows.map((r) => [r.id, r.runs, r.failed, r.state]), [[b, 1, 0, 'running'], [a, 2, 1, 'done']]);
    const head = history.head(a)!;
    assert.deepEqual(head.tests['TestInitialElection2A'], { runs: 2, failed: 1, completed: 2, testMsMean: 1000, wallMsMean: 50, last: { status: 'fail', seed: 2 } });
    assert.equal(history.head(a), head, 'an ended batch is read once');
    assert.equal(history.file(a)!.runs.length, 2);
    const view = history.view(a)!;
    assert.deepEqual([view.state, view.done, view.failed, view.fromHistory], ['done', 2, 1, true]);
    assert.deepEqual(view.results?.clusters.map((c) => [c.test, c.count]), [['TestInitialElection2A', 1]]);
    assert.equal(history.view('no-such-batch'), null);
  });

  it("counts each test's rate in the form's scope: this code version and clock; chaos and earlier code apart", async () => {
    const store = new History(work);
    const impls = new Implementations(repo);
    const reference = path.join(repo, 'labs/raft');
    const now = (await impls.sourcesHash(reference))!;
    const at = (day: number) => new Date(`2026-01-0${day}T00:00:00Z`);
    const e = 'TestInitialElection2A';
    recordBatch(store, fakeSettings({ implDir: reference, sourcesHash: 'f'.repeat(64) }), [{ id: e, seed: 1, status: 'fail' }, { id: e, seed: 2, status: 'fail' }], at(1));
    recordBatch(store, fakeSettings({ implDir: reference, sourcesHash: now }), [{ id: e, seed: 1 }, { id: e, seed: 2 }, { id: e, seed: 3, status: 'fail' }], at(2));
    recordBatch(store, fakeSettings({ implDir: reference, sourcesHash: now, chaos: { dropRate: 0.2 } }), [{ id: e, seed: 1, status: 'fail' }], at(3));
    recordBatch(store, fakeSettings({ implDir: reference, sourcesHash: now, mode: 'real' }), [{ id: e, seed: 1, status: 'fail' }], at(4));
    recordBatch(store, fakeSettings({ implDir: '/elsewhere', sourcesHash: now }), [{ id: e, seed: 7, status: 'fail' }], at(5));
    const catalog = new CatalogService(new HistoryService(store), impls);
    const view = await catalog.list('reference', 'sim');
    assert.deepEqual(view.scope, { implDir: reference, sourcesHash: now, mode: 'sim' });
    assert.equal(view.tests.length, 24);
    const t = view.tests[0]!;
    assert.deepEqual([t.current.runs, t.current.failed], [3, 1], 'this code, this clock, no chaos');
    assert.ok(t.current.interval!.low < 1 / 3 && t.current.interval!.high > 1 / 3);
    assert.deepEqual([t.chaos.runs, t.chaos.failed], [1, 1]);
    assert.deepEqual([t.earlier.runs, t.earlier.failed], [2, 2]);
    assert.equal(t.last?.seed, 1, 'the newest run of this clock (the chaos batch)');
    const real = (await catalog.list('labs/raft', 'real')).tests[0]!;
    assert.deepEqual([real.current.runs, real.current.failed], [1, 1]);
    assert.deepEqual(view.tests[1]!.current, { runs: 0, failed: 0, rate: null, interval: null });
    const nowhere = await catalog.list('/no/such/folder');
    assert.equal(nowhere.scope.implDir, null);
    assert.equal(nowhere.tests[0]!.current.runs, 0);
  });

  it('pages and filters thousands of batches from the index, and draws each test batch by batch', () => {
    const batches = Array.from({ length: 2000 }, (_, i) => ({
      id: `b-${String(i).padStart(5, '0')}`,
      startedAt: new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString(),
      settings: fakeSettings({ implDir: i % 2 ? '/impl/odd' : '/impl/even', sourcesHash: (i < 1000 ? 'a' : 'b').repeat(64), ...(i % 10 === 0 ? { chaos: { dropRate: 0.1 } } : {}) }),
      runs: [{ id: 'TestInitialElection2A', seed: 1, status: i % 3 ? ('pass' as const) : ('fail' as const) }],
    }));
    writeBatches(work, batches);
    const history = new HistoryService(new History(work));
    const page = history.page({ offset: 0, limit: 50 });
    assert.equal(page.total, 2000);
    assert.deepEqual(page.batches.slice(0, 2).map((b) => b.id), ['b-01999', 'b-01998'], 'newest first');
    assert.deepEqual(page.impls.map((i) => [i.dir, i.batches]), [['/impl/even', 1000], ['/impl/odd', 1000]]);
    const odd = history.page({ implDir: '/impl/odd', chaos: 'without', offset: 100, limit: 10 });
    assert.equal(odd.total, 1000, 'odd batches are never the chaos ones');
    assert.equal(odd.batches[0]!.id, 'b-01799');
    assert.equal(history.page({ chaos: 'only' }).total, 200);
    assert.equal(history.page({ offset: 1990, limit: 50 }).batches.length, 10);
    const series = history.series({ implDir: '/impl/even', limit: 100 });
    assert.equal(series.batches.length, 100);
    assert.deepEqual(new Set(series.batches.map((b) => b.sourcesHash![0])), new Set(['b']));
    const points = series.tests[0]!.points;
    assert.equal(points.length, 100);
    assert.ok(points.every((p) => p.runs === 1 && p.low <= p.rate && p.rate <= p.high));
    const usual = history.usualDurations('sim').get('TestInitialElection2A')!;
    assert.deepEqual([usual.testMs, usual.wallMs], [1000, 50]);
  });

  it('builds the results view from history summaries as from records', () => {
    const runs = [
      { id: 'TestBackup2B', seed: 1, status: 'pass' as const, testMs: 100, wallMs: 5, completed: true },
      { id: 'TestBackup2B', seed: 2, status: 'fail' as const, message: 'one(101) failed to reach agreement', testMs: 300, wallMs: 5, completed: true, traceFile: '/t/2.trace.gz' },
      { id: 'TestBackup2B', seed: 3, status: 'fail' as const, message: 'one(17) failed to reach agreement', testMs: 200, wallMs: 5, completed: true },
      { id: 'TestBackup2B', seed: 4, status: 'fail' as const, message: 'one(17) failed to reach agreement', testMs: 250, wallMs: 5, completed: true, traceError: 'no trace: run again from its seed to record one, it did not end the same way' },
    ];
    const view = resultsView(['TestBackup2B'], runs, 42);
    assert.equal(view.perTest[0]!.failed, 3);
    assert.equal(view.clusters.length, 1);
    assert.deepEqual(view.clusters[0]!.failures, [
      { seed: 2, status: 'fail', traceFile: '/t/2.trace.gz' },
      { seed: 3, status: 'fail' },
      { seed: 4, status: 'fail', traceError: 'no trace: run again from its seed to record one, it did not end the same way' },
    ], 'a failure without a trace says why, when the run said');
    // History keeps the reason too, cut to its limit, so a batch read back shows it.
    const record = { ...runs[3]!, mode: 'sim', output: [], failureMessages: [], codecWarnings: [], implDir: '/i', dispatchWallMs: 5, freshWorker: false, part: '2B', description: '' } as unknown as RunRecord;
    assert.equal(summarizeRun(record).traceError, runs[3]!.traceError);
    assert.equal(summarizeRun({ ...record, traceError: 'x'.repeat(3000) }).traceError!.length, 2000);
    assert.equal('traceError' in summarizeRun({ ...record, traceError: undefined }), false);
    assert.equal(view.clusters[0]!.shortestSeed, 3);
    assert.equal(view.wallMs, 42);
    assert.deepEqual(histogram([]), []);
    assert.deepEqual(histogram([0, 1, 2, 10], 5).map((b) => b.count), [2, 1, 0, 0, 1]);
  });
});

describe('ui services: batches, bugs', () => {
  it('estimates the time left from each test\'s usual wall time, over the lanes', () => {
    const usual = new Map([['A', 1000], ['B', 4000]]);
    const per = (t: string) => usual.get(t);
    assert.equal(estimateRemainingMs(new Map([['A', 4], ['B', 1]]), [], per, 2), (4 * 1000 + 4000) / 2);
    assert.equal(estimateRemainingMs(new Map([['A', 0]]), [{ test: 'B', wallElapsedMs: 3000 }], per, 1), 1000, 'a run in flight has what is left of its usual time');
    assert.equal(estimateRemainingMs(new Map([['A', 0]]), [{ test: 'B', wallElapsedMs: 9000 }], per, 1), 0, 'never negative');
    assert.equal(estimateRemainingMs(new Map([['C', 1]]), [], per, 1), null, 'unknown until some run says');
  });

  it('reads every planted bug: its explanation, the patch as prose and diff, and the sweep that catches it', () => {
    const bugs = new BugService();
    const list = bugs.list();
    assert.equal(list.length, 14);
    for (const b of list) {
      assert.ok(b.explanation.length > 40 && b.title.length > 5, b.name);
      assert.match(b.diff, /^--- a\//, b.name);
      assert.ok(b.catch.tests.length >= 1 && b.catch.seeds >= 1, b.name);
      assert.match(b.command, new RegExp(`--impl "labs/bugs/${b.name}" --check`));
    }
    const snap = bugs.get('install-older-snapshot');
    assert.deepEqual(snap.catch.chaosKnobs, { delayMaxMs: 50 });
    assert.deepEqual(splitPatch('Prose here.\n\n--- a/x\n+++ b/x\n'), { notes: 'Prose here.', diff: '--- a/x\n+++ b/x' });
    assert.throws(() => bugs.get('nope'), InputError);
  });
});

describe('ui services: traces and events', () => {
  it("finds the apply an applier's failure names", () => {
    assert.deepEqual(applyErrorSite('apply error: commit index=2 server=3 100 != server=4 200'), { node: 3, index: 2 });
    assert.deepEqual(applyErrorSite('apply error: server 1 apply out of order 7'), { node: 1, index: 7 });
    assert.equal(applyErrorSite('expected one leader, got none'), undefined);
  });

  it('keeps opened files under safe names in its own folder, removed when it closes', () => {
    assert.equal(safeName('../../etc/passwd'), 'passwd');
    assert.equal(safeName('C:\\Users\\me\\run 1.trace.gz'), 'run_1.trace.gz');
    assert.equal(safeName('...'), 'opened');
    const store = new OpenedStore();
    const a = store.path('x.trace.gz', '.trace.gz');
    const b = store.path('x', '.trace.gz');
    assert.notEqual(path.dirname(a), work);
    assert.match(path.basename(a), /^1-x\.trace\.gz$/);
    assert.match(path.basename(b), /^2-x\.trace\.gz$/);
    writeFileSync(a, '');
    store.close();
    assert.equal(existsSync(path.dirname(a)), false);
  });

  it('lets the page read the kept traces and the files the user opened, nothing else', () => {
    const traces = path.join(work, 'traces');
    mkdirSync(path.join(traces, 'b1'), { recursive: true });
    const kept = path.join(traces, 'b1', 'x.trace.gz');
    const elsewhere = path.join(work, 'y.trace.gz');
    for (const f of [kept, elsewhere, path.join(traces, 'b1', 'notes.txt')]) writeFileSync(f, '');
    symlinkSync(elsewhere, path.join(traces, 'b1', 'link.trace.gz'));
    const access = new TraceAccess(traces);
    assert.equal(access.check(kept), kept);
    const refused = (file: string, message: RegExp) => assert.throws(() => access.check(file), (e: unknown) => e instanceof InputError && message.test(e.message));
    refused(elsewhere, /Not a trace of this app/);
    refused(path.join(traces, 'b1', 'link.trace.gz'), /Not a trace of this app/);
    refused(path.join(traces, 'b1', 'notes.txt'), /Not a trace of this app/);
    refused(path.join(traces, '..', 'y.trace.gz'), /Not a trace of this app/);
    refused('relative.trace.gz', /absolute/);
    refused(path.join(traces, 'none.trace.gz'), /No such trace file/);
    access.allow(elsewhere);
    assert.equal(access.check(elsewhere), elsewhere);
    assert.equal(access.check(path.join(traces, 'b1', 'link.trace.gz')), elsewhere, 'the opened file, by any name');
  });

  it('fans events out; a listener that throws does not stop the others', () => {
    const hub = new EventHub();
    const got: AppEvent[] = [];
    const errors: unknown[] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => void errors.push(args);
    try {
      hub.subscribe(() => {
        throw new Error('boom');
      });
      const off = hub.subscribe((e) => got.push(e));
      const event = { type: 'batch-finished', batch: {} } as unknown as AppEvent;
      hub.emit(event);
      off();
      hub.emit(event);
    } finally {
      console.error = original;
    }
    assert.equal(got.length, 1);
    assert.equal(errors.length, 2);
  });
});

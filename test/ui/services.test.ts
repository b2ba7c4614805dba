// Each of the app's services on its own (src/main/services), over a temporary data folder and fabricated history:
// nothing here runs a test (app-services.test.ts runs batches through the dispatcher).
import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CatalogService } from '../../src/main/services/catalog.ts';
import { EventHub } from '../../src/main/services/events.ts';
import { HistoryService } from '../../src/main/services/history.ts';
import { Implementations, skeletonImplDir } from '../../src/main/services/implementations.ts';
import { histogram, resultsView } from '../../src/main/services/results.ts';
import { SettingsService } from '../../src/main/services/settings.ts';
import { TraceAccess } from '../../src/main/services/traces.ts';
import { InputError } from '../../src/main/rpc.ts';
import { History } from '../../src/runner/history.ts';
import type { AppEvent } from '../../src/shared/ipc.ts';
import { fakeSettings, recordBatch } from './fake-history.ts';

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
  });

  it('gives each test its newest run and failure rate, of one implementation when asked', () => {
    const store = new History(work);
    recordBatch(store, fakeSettings({ implDir: path.join(repo, 'labs/raft') }), [{ id: 'TestInitialElection2A', seed: 1 }, { id: 'TestInitialElection2A', seed: 2 }]);
    recordBatch(store, fakeSettings({ implDir: '/elsewhere' }), [{ id: 'TestInitialElection2A', seed: 7, status: 'fail' }]);
    const catalog = new CatalogService(new HistoryService(store), new Implementations(repo));
    const all = catalog.list();
    assert.equal(all.length, 24);
    assert.deepEqual(all[0]!.history, { runs: 3, failed: 1, rate: 1 / 3 });
    assert.equal(all[0]!.last?.seed, 7);
    assert.deepEqual(catalog.list('reference')[0]!.history, { runs: 2, failed: 0, rate: 0 });
    assert.deepEqual(catalog.list('reference')[1]!.history, { runs: 0, failed: 0, rate: null });
  });

  it('builds the results view from history summaries as from records', () => {
    const runs = [
      { id: 'TestBackup2B', seed: 1, status: 'pass' as const, testMs: 100, wallMs: 5, completed: true },
      { id: 'TestBackup2B', seed: 2, status: 'fail' as const, message: 'one(101) failed to reach agreement', testMs: 300, wallMs: 5, completed: true, traceFile: '/t/2.trace.gz' },
      { id: 'TestBackup2B', seed: 3, status: 'fail' as const, message: 'one(17) failed to reach agreement', testMs: 200, wallMs: 5, completed: true },
    ];
    const view = resultsView(['TestBackup2B'], runs, 42);
    assert.equal(view.perTest[0]!.failed, 2);
    assert.equal(view.clusters.length, 1);
    assert.deepEqual(view.clusters[0]!.failures, [{ seed: 2, status: 'fail', traceFile: '/t/2.trace.gz' }, { seed: 3, status: 'fail' }]);
    assert.equal(view.clusters[0]!.shortestSeed, 3);
    assert.equal(view.wallMs, 42);
    assert.deepEqual(histogram([]), []);
    assert.deepEqual(histogram([0, 1, 2, 10], 5).map((b) => b.count), [2, 1, 0, 0, 1]);
  });
});

describe('ui services: traces and events', () => {
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

/**
 * The runner service: batches of graded test runs for the UI, on the same runner as `raftlab run`
 * (src/runner/batch.ts), recorded in the same history (src/runner/history.ts) in the app's data folder,
 * with the traces of failed runs kept under `<data>/traces/<batch>`. Live progress goes to subscribers
 * (Electron main forwards it with webContents.send, the web server as server-sent events).
 *
 * Electron-free: it runs in Electron's main process and in the plain-Node web server alike.
 */
import { randomInt } from 'node:crypto';
import { existsSync, mkdirSync, realpathSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LowSync } from 'lowdb';
import { JSONFileSync } from 'lowdb/node';
import { chaosActive, formatChaos } from '../../harness/chaos.ts';
import { BugPatchError, allTests, findTest, isBugDir, referenceImplDir, resolveImplDir } from '../../harness/tester/index.ts';
import { runBatch, type BatchResult } from '../../runner/batch.ts';
import { isGoLabDir } from '../../runner/impl.ts';
import { inspectGoLab } from '../../golab/index.ts';
import { ImplLoadError } from '../../harness/loader/index.ts';
import { History, resolveDataDir, type BatchFile, type BatchRecorder } from '../../runner/history.ts';
import { BundleError, createBundle } from '../../runner/bundle.ts';
import { describe as describeEvent, exportTrace, nodeOf, topicOf } from '../../trace/export.ts';
import {
  readTraceEvents,
  readTraceHeader,
  readTraceIndex,
  readTracePage,
  TraceFileError,
  type TraceHeader,
  type TraceIndex,
} from '../../trace/file.ts';
import type { TraceEvent } from '../../trace/events.ts';
import { checkTrace, invariants } from '../../checker/checker.ts';
import { replay, ReplayInputError, type ReplayReport } from '../../runner/replay.ts';
import type { RunRecord } from '../../runner/types.ts';
import type {
  AppEvent,
  BatchView,
  CatalogEntry,
  FailureClusterView,
  HistogramBin,
  HistoryBatchEntry,
  ImplChoice,
  RunSettings,
  RunView,
  SavedSettings,
  TestResultView,
  TraceCheck,
  TraceEventSummary,
  TraceExportFormat,
  TraceReplay,
} from '../../shared/ipc.ts';
import { InputError } from '../rpc.ts';

export const skeletonImplDir = fileURLToPath(new URL('../../../labs/skeleton/', import.meta.url));

export { InputError };

export type Listener = (event: AppEvent) => void;

export interface RunnerServiceOptions {
  /** The app's data folder (default: resolveDataDir(): $RAFTLAB_DATA, $XDG_DATA_HOME/raftlab, ~/.local/share/raftlab). */
  dataDir?: string;
  /** Passed to the worker pool (tests use short watchdogs). */
  timeoutMs?: number;
}

const defaultSettings = (): SavedSettings => ({
  tests: [],
  count: 10,
  parallel: Math.max(1, os.availableParallelism?.() ?? os.cpus().length),
  mode: 'sim',
  impl: 'reference',
  stopOnFail: false,
});

interface SettingsFile {
  version: 1;
  run: SavedSettings;
}

interface LiveBatch {
  view: BatchView;
  controller: AbortController;
  cancelled: boolean;
  done: Promise<void>;
}

const HISTOGRAM_BINS = 12;
/** Batches the app runs at once: each starts its own run processes, so more would only compete for the CPUs. */
export const MAX_RUNNING_BATCHES = 2;

/** Equal-width bins over [min, max] of the values (one bin when they are all equal). */
export function histogram(values: readonly number[], bins = HISTOGRAM_BINS): HistogramBin[] {
  if (values.length === 0) return [];
  const min = Math.min(...values);
  const max = Math.max(...values);
  if (max === min) return [{ from: min, to: max, count: values.length }];
  const width = (max - min) / bins;
  const out: HistogramBin[] = Array.from({ length: bins }, (_, i) => ({ from: min + i * width, to: min + (i + 1) * width, count: 0 }));
  for (const v of values) out[Math.min(bins - 1, Math.floor((v - min) / width))]!.count++;
  return out;
}

export function runView(record: RunRecord): RunView {
  return {
    test: record.id,
    seed: record.seed,
    status: record.status,
    ...(record.message !== undefined ? { message: record.message.slice(0, 2_000) } : {}),
    testMs: record.testMs,
    wallMs: record.wallMs,
    ...(record.traceFile ? { traceFile: record.traceFile } : {}),
  };
}

/** The batch's per-test results and failure clusters, as plain numbers for the UI. */
export function resultsView(result: BatchResult): NonNullable<BatchView['results']> {
  const perTest: TestResultView[] = result.perTest.map((t) => ({
    id: t.id,
    runs: t.runs,
    failed: t.failed,
    failureRate: t.failureRate,
    interval: { low: t.interval.low, high: t.interval.high },
    testMs: t.testMs.n > 0 ? { ...t.testMs } : null,
    histogram: histogram(result.records.filter((r) => r.id === t.id && r.completed).map((r) => r.testMs)),
  }));
  // The runner's clusters carry their members: nothing here groups them again.
  const clusters: FailureClusterView[] = result.clusters.map((c) => ({
    test: c.test,
    site: c.site,
    message: c.message,
    example: c.example.slice(0, 2_000),
    count: c.count,
    statuses: [...c.statuses],
    shortestSeed: c.shortestSeed,
    failures: c.members.map((m) => ({ seed: m.seed, status: m.status, ...(m.traceFile ? { traceFile: m.traceFile } : {}) })),
  }));
  return { perTest, clusters, wallMs: result.wallMs };
}

export class RunnerService {
  readonly dataDir: string;
  readonly tracesDir: string;
  readonly history: History;
  private readonly listeners = new Set<Listener>();
  private readonly batches = new Map<string, LiveBatch>();
  private newest: string | undefined;
  private readonly settingsDb: LowSync<SettingsFile>;
  /** Ended batches never change: their files are read once. */
  private readonly historyCache = new Map<string, BatchFile>();
  private readonly timeoutMs: number | undefined;

  constructor(options: RunnerServiceOptions = {}) {
    this.dataDir = resolveDataDir(options.dataDir);
    this.tracesDir = path.join(this.dataDir, 'traces');
    mkdirSync(this.tracesDir, { recursive: true });
    this.history = new History(this.dataDir);
    this.settingsDb = new LowSync<SettingsFile>(new JSONFileSync<SettingsFile>(path.join(this.dataDir, 'settings.json')), {
      version: 1,
      run: defaultSettings(),
    });
    try {
      this.settingsDb.read();
      if (this.settingsDb.data?.version !== 1 || typeof this.settingsDb.data.run !== 'object') throw new Error('bad settings');
    } catch {
      this.settingsDb.data = { version: 1, run: defaultSettings() };
    }
    this.timeoutMs = options.timeoutMs;
  }

  // --- events ----------------------------------------------------------------------------------

  /** Live progress; returns the unsubscribe function. */
  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  private emit(event: AppEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        console.error('raftlab: an event listener failed:', error);
      }
    }
  }

  // --- settings --------------------------------------------------------------------------------

  settings(): SavedSettings {
    return { ...defaultSettings(), ...this.settingsDb.data.run };
  }

  private saveSettings(settings: RunSettings): void {
    // Neither the seed nor chaos knobs are remembered: a new launch starts from a plain run of the course's tests.
    const { seed: _seed, chaos: _chaos, ...rest } = settings;
    this.settingsDb.data = { version: 1, run: rest };
    try {
      this.settingsDb.write();
    } catch (error) {
      console.error(`raftlab: could not save the settings: ${(error as Error).message}`);
    }
  }

  // --- implementations -------------------------------------------------------------------------

  /**
   * The folder an implementation choice names; a typed-in folder must exist and hold an index.ts, or be a planted
   * bug (labs/bugs/<name>) whose patch still applies. Batches record this folder; the workers load what
   * resolveImplDir makes of it.
   */
  resolveImpl(impl: ImplChoice): string {
    if (impl === 'reference') return path.resolve(referenceImplDir);
    if (impl === 'skeleton') return path.resolve(skeletonImplDir);
    if (!path.isAbsolute(impl)) throw new InputError(`The implementation folder must be an absolute path: ${impl}`);
    const dir = path.resolve(impl);
    let info;
    try {
      info = statSync(dir);
    } catch {
      throw new InputError(`No such folder: ${dir}`);
    }
    if (!info.isDirectory()) throw new InputError(`Not a folder: ${dir}`);
    if (isGoLabDir(dir)) {
      // A 6.824 checkout's src/raft: the course's Go tester on the student's Go code (src/golab).
      try {
        inspectGoLab(dir);
      } catch (error) {
        if (error instanceof ImplLoadError) throw new InputError(error.message);
        throw error;
      }
      return dir;
    }
    if (isBugDir(dir)) {
      try {
        resolveImplDir(dir);
      } catch (error) {
        if (error instanceof BugPatchError) throw new InputError(error.message);
        throw error;
      }
      return dir;
    }
    if (!existsSync(path.join(dir, 'index.ts')) && !existsSync(path.join(dir, 'index.js'))) {
      throw new InputError(`${dir} has no index.ts exporting make (see labs/api/index.ts)`);
    }
    return dir;
  }

  // --- catalog ---------------------------------------------------------------------------------

  private recordedBatches(implDir?: string): BatchFile[] {
    const files: BatchFile[] = [];
    for (const entry of this.history.listBatches()) {
      if (implDir && path.resolve(entry.implDir) !== implDir) continue;
      let file = this.historyCache.get(entry.id);
      if (!file) {
        file = this.history.readBatch(entry.id);
        if (!file) continue;
        if (file.state !== 'running') this.historyCache.set(entry.id, file);
      }
      files.push(file);
    }
    return files;
  }

  /** Every graded test, with its newest run and failure rate over the history (of one implementation, if given). */
  catalog(impl?: ImplChoice): CatalogEntry[] {
    let implDir: string | undefined;
    if (impl !== undefined) {
      try {
        implDir = this.resolveImpl(impl);
      } catch {
        implDir = path.resolve(impl);
      }
    }
    const stats = new Map<string, { runs: number; failed: number; last?: CatalogEntry['last'] }>();
    for (const file of this.recordedBatches(implDir)) {
      for (const run of file.runs) {
        const s = stats.get(run.id) ?? { runs: 0, failed: 0 };
        s.runs++;
        if (run.status !== 'pass') s.failed++;
        s.last = { status: run.status, seed: run.seed, batchId: file.id, at: file.finishedAt ?? file.startedAt };
        stats.set(run.id, s);
      }
    }
    return allTests.map((test) => {
      const s = stats.get(test.id);
      return {
        id: test.id,
        part: test.part,
        description: test.description,
        servers: test.servers,
        ...(s?.last ? { last: s.last } : {}),
        history: { runs: s?.runs ?? 0, failed: s?.failed ?? 0, rate: s && s.runs > 0 ? s.failed / s.runs : null },
      };
    });
  }

  historyBatches(): HistoryBatchEntry[] {
    return this.history
      .listBatches()
      .map((entry) => {
        const file = this.historyCache.get(entry.id) ?? this.history.readBatch(entry.id);
        if (file && file.state !== 'running') this.historyCache.set(entry.id, file);
        const runs = file?.runs ?? [];
        return {
          id: entry.id,
          startedAt: entry.startedAt,
          pattern: entry.pattern,
          tests: file?.settings.tests.length ?? 0,
          mode: entry.mode,
          implDir: entry.implDir,
          state: this.batches.get(entry.id)?.view.state ?? entry.state,
          runs: entry.totals?.runs ?? runs.length,
          failed: entry.totals?.failed ?? runs.filter((r) => r.status !== 'pass').length,
          ...(entry.totals ? { wallMs: entry.totals.wallMs } : {}),
        };
      })
      .reverse();
  }

  // --- batches ---------------------------------------------------------------------------------

  /** Start a batch; resolves once it is recorded and dispatching (not when it ends: see `whenDone`). */
  start(settings: RunSettings): BatchView {
    const running = [...this.batches.values()].filter((b) => b.view.state === 'running').length;
    if (running >= MAX_RUNNING_BATCHES) {
      throw new InputError(`${running} batches are running already: wait for one to end, or cancel it (each runs its own processes on this machine)`);
    }
    const implDir = this.resolveImpl(settings.impl);
    // A Go lab's tests are its own (the course's names, mostly): the build checks them, and runs on the wall clock.
    const go = isGoLabDir(implDir);
    const unknown = go ? [] : settings.tests.filter((id) => !findTest(id));
    if (unknown.length) throw new InputError(`Unknown test${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}`);
    if (go && (settings.check || chaosActive(settings.chaos))) {
      throw new InputError(`${settings.check ? 'The safety checker' : 'Chaos knobs'} need the TypeScript harness: a Go lab runs the course's own tester and labrpc (${implDir})`);
    }
    if (!go && settings.race) throw new InputError(`The race detector is Go's: ${implDir} is a TypeScript implementation`);
    if (go) settings = { ...settings, mode: 'real' };
    const testIds = [...new Set(settings.tests)];
    const tests = testIds.map((id) => findTest(id) ?? { id });
    // A Go run has no seed (Go seeds its tester from crypto/rand): its number, from 1, names it.
    const baseSeed = settings.seed ?? (go ? 1 : randomInt(1, 2 ** 31 - settings.count));
    this.saveSettings({ ...settings, tests: testIds });
    const chaos = chaosActive(settings.chaos) ? settings.chaos : undefined;

    let recorder: BatchRecorder | undefined = this.history.startBatch({
      pattern: testIds.length === 1 ? `^${testIds[0]}$` : `^(${testIds.join('|')})$`,
      tests: testIds,
      mode: settings.mode,
      baseSeed,
      count: settings.count,
      parallel: settings.parallel,
      implDir,
      argv: ['(app)', ...(chaos ? ['--chaos', formatChaos(chaos)] : []), ...(settings.race ? ['--race'] : [])],
      ...(chaos ? { chaos } : {}),
      ...(settings.check ? { check: true } : {}),
      ...(go ? { lang: 'go' as const, ...(settings.race ? { race: true } : {}) } : {}),
    });
    const id = recorder.id;
    const view: BatchView = {
      id,
      state: 'running',
      settings: { ...settings, tests: testIds, baseSeed, chaos },
      implDir,
      ...(go ? { lang: 'go' as const } : {}),
      startedAt: new Date().toISOString(),
      total: testIds.length * settings.count,
      done: 0,
      failed: 0,
      tests: testIds.map((t) => ({ id: t, total: settings.count, done: 0, failed: 0 })),
    };
    const controller = new AbortController();
    const live: LiveBatch = { view, controller, cancelled: false, done: Promise.resolve() };
    this.batches.set(id, live);
    this.newest = id;
    this.emit({ type: 'batch-started', batch: structuredClone(view) });

    live.done = runBatch({
      tests,
      count: settings.count,
      baseSeed,
      mode: settings.mode,
      implDir,
      parallel: settings.parallel,
      stopOnFail: settings.stopOnFail,
      ...(settings.check ? { check: true } : {}),
      ...(chaos ? { chaos } : {}),
      ...(settings.race ? { race: true } : {}),
      signal: controller.signal,
      trace: { keep: 'failed', dir: path.join(this.tracesDir, id) },
      ...(this.timeoutMs ? { pool: { timeoutMs: () => this.timeoutMs! } } : {}),
      onRun: (record) => {
        try {
          recorder?.recordRun(record);
        } catch (error) {
          console.error(`raftlab: could not record a run in history: ${(error as Error).message}`);
          recorder = undefined;
        }
        const test = view.tests.find((t) => t.id === record.id)!;
        view.done++;
        test.done++;
        if (record.status !== 'pass') {
          view.failed++;
          test.failed++;
        }
        this.emit({ type: 'run', batchId: id, run: runView(record), done: view.done, failed: view.failed, test: { ...test } });
      },
    }).then(
      (result) => {
        view.state = live.cancelled ? 'cancelled' : result.stopped ? 'stopped' : 'done';
        view.results = resultsView(result);
        view.finishedAt = new Date().toISOString();
        try {
          recorder?.finish({ runs: result.records.length, failed: result.failed, wallMs: result.wallMs, stopped: result.stopped || live.cancelled });
        } catch (error) {
          console.error(`raftlab: could not record the batch's end: ${(error as Error).message}`);
        }
        this.emit({ type: 'batch-finished', batch: structuredClone(view) });
      },
      (error: unknown) => {
        view.state = 'error';
        view.error = error instanceof Error ? error.message : String(error);
        view.finishedAt = new Date().toISOString();
        try {
          recorder?.finish({ runs: view.done, failed: view.failed, wallMs: 0, stopped: true });
        } catch {
          // already reported
        }
        this.emit({ type: 'batch-finished', batch: structuredClone(view) });
      },
    );
    return structuredClone(view);
  }

  cancel(batchId: string): boolean {
    const live = this.batches.get(batchId);
    if (!live || live.view.state !== 'running') return false;
    live.cancelled = true;
    live.controller.abort();
    return true;
  }

  get(batchId: string): BatchView | null {
    const live = this.batches.get(batchId);
    return live ? structuredClone(live.view) : null;
  }

  current(): BatchView | null {
    return this.newest ? this.get(this.newest) : null;
  }

  /** Resolves when the batch has ended and its end was recorded and announced. */
  async whenDone(batchId: string): Promise<BatchView | null> {
    await this.batches.get(batchId)?.done;
    return this.get(batchId);
  }

  /** Cancel every running batch and wait for them (shutdown, tests). */
  async close(): Promise<void> {
    for (const id of this.batches.keys()) this.cancel(id);
    await Promise.all([...this.batches.values()].map((b) => b.done));
  }

  // --- traces ----------------------------------------------------------------------------------

  /** A trace file the UI may read: an existing .trace.gz under the traces folder (symlinks resolved). */
  traceFile(file: string): string {
    if (!path.isAbsolute(file)) throw new InputError(`Not an absolute path: ${file}`);
    let real: string;
    let root: string;
    try {
      real = realpathSync(path.resolve(file));
      root = realpathSync(this.tracesDir);
    } catch {
      throw new InputError(`No such trace file: ${file}`);
    }
    if (!real.startsWith(root + path.sep) || !real.endsWith('.trace.gz') || !statSync(real).isFile()) {
      throw new InputError(`Not a trace of this app (only files under ${this.tracesDir}): ${file}`);
    }
    return real;
  }

  async traceIndex(file: string): Promise<{ header: TraceHeader; index: TraceIndex }> {
    const real = this.traceFile(file);
    const index = await readTraceIndex(real);
    return { header: await readTraceHeader(real, index), index };
  }

  async tracePage(file: string, page: number): Promise<TraceEvent[]> {
    const real = this.traceFile(file);
    const index = await readTraceIndex(real);
    if (page >= index.pages.length) throw new InputError(`No page ${page}: the trace has ${index.pages.length}`);
    return readTracePage(real, page, index);
  }

  /** A kept trace as NDJSON, text, ShiViz or a bundle: its bytes and suggested file name. */
  async exportTrace(file: string, format: TraceExportFormat): Promise<TraceExportFile> {
    return exportTraceFile(this.traceFile(file), format);
  }

  /** The safety checker over a kept trace (as `raftlab check` does): each violation with its rule and event. */
  async checkTrace(file: string): Promise<TraceCheck> {
    const real = this.traceFile(file);
    let events: TraceEvent[];
    try {
      events = await readAllEvents(real);
    } catch (error) {
      if (error instanceof TraceFileError) throw new InputError(error.message);
      throw error;
    }
    const result = checkTrace(events);
    return {
      events: events.length,
      violations: result.violations.map((v) => ({
        invariant: v.invariant,
        title: invariants[v.invariant].title,
        rule: invariants[v.invariant].rule,
        message: v.message,
        eventIndex: v.eventIndex,
        t: events[v.eventIndex]?.t ?? 0,
        context: v.context,
      })),
      skipped: result.skipped.map((s) => ({ ...s, title: invariants[s.invariant].title })),
    };
  }

  /**
   * Replay a kept sim-clock trace (src/runner/replay.ts, as `raftlab replay` does): the same test, seed, chaos knobs,
   * checker and implementation, in a run process, compared with the recording event for event. Real-clock runs are
   * replayed from the command line.
   */
  async replayTrace(file: string): Promise<TraceReplay> {
    const real = this.traceFile(file);
    let header: TraceHeader;
    try {
      header = await readTraceHeader(real);
    } catch (error) {
      if (error instanceof TraceFileError) throw new InputError(error.message);
      throw error;
    }
    if (header.lang === 'go') {
      throw new InputError(`A Go lab's run cannot be replayed (Go seeds its tester from crypto/rand and runs on the wall clock): run ${header.test} again instead`);
    }
    if (header.mode !== 'sim') {
      throw new InputError(`A real-clock run follows the machine's timing and is replayed from the command line: ${replayCommandLine(real)}`);
    }
    let report: ReplayReport;
    try {
      report = await replay(real, this.timeoutMs ? { pool: { timeoutMs: () => this.timeoutMs!, stallMs: this.timeoutMs } } : {});
    } catch (error) {
      if (error instanceof ReplayInputError) throw new InputError(error.message);
      throw error;
    }
    const d = report.firstDifference;
    return {
      test: report.test,
      seed: report.seed,
      recorded: report.recorded,
      replayed: { status: report.replayed.status, ...(report.replayed.message !== undefined ? { message: report.replayed.message } : {}), events: report.replayed.events },
      recurred: report.recurred,
      identical: report.identical ?? false,
      ...(d ? { firstDifference: { index: d.index, recorded: eventSummary(d.recorded, d.index), replayed: eventSummary(d.replayed, d.index) } } : {}),
      sourcesChanged: report.sourcesChanged,
      checked: report.checked,
      wallMs: report.wallMs,
    };
  }
}

/** An export's bytes, with the name and type to save them under. */
export interface TraceExportFile {
  fileName: string;
  mimeType: string;
  bytes: Buffer;
  warnings: string[];
}

const EXPORT_SUFFIX: Record<TraceExportFormat, { suffix: string; mimeType: string }> = {
  ndjson: { suffix: '.ndjson', mimeType: 'application/x-ndjson' },
  text: { suffix: '.txt', mimeType: 'text/plain; charset=utf-8' },
  shiviz: { suffix: '.shiviz.log', mimeType: 'text/plain; charset=utf-8' },
  bundle: { suffix: '.bundle.gz', mimeType: 'application/gzip' },
};

/** `<Test>-seed<n>.ndjson|.txt|.shiviz.log|.bundle.gz` */
export function exportFileName(header: Pick<TraceHeader, 'test' | 'seed'>, format: TraceExportFormat): string {
  return `${header.test}-seed${header.seed}${EXPORT_SUFFIX[format].suffix}`;
}

/** The command line that replays a trace (what the page shows for real-clock traces). */
export function replayCommandLine(file: string): string {
  return `npx raftlab replay ${JSON.stringify(file)}`;
}

function eventSummary(e: TraceEvent | undefined, index: number): TraceEventSummary | undefined {
  if (!e) return undefined;
  const node = nodeOf(e);
  return { index, t: e.t, ...(node !== undefined ? { node } : {}), topic: topicOf(e), text: describeEvent(e).slice(0, 500) };
}

async function readAllEvents(file: string): Promise<TraceEvent[]> {
  const events: TraceEvent[] = [];
  for await (const e of readTraceEvents(file)) events.push(e);
  return events;
}

/**
 * Export a kept trace (the same code as `raftlab export`): the bytes and a suggested file name. Electron-free: the
 * desktop shell asks where to save them, the web server hands them to the page.
 */
export async function exportTraceFile(real: string, format: TraceExportFormat): Promise<TraceExportFile> {
  try {
    const header = await readTraceHeader(real);
    let bytes: Buffer;
    const warnings: string[] = [];
    if (format === 'bundle') {
      const bundle = await createBundle(real);
      bytes = bundle.bytes;
      warnings.push(...bundle.warnings);
    } else {
      const chunks: string[] = [];
      await exportTrace(real, format, (chunk) => void chunks.push(chunk));
      bytes = Buffer.from(chunks.join(''), 'utf8');
    }
    return { fileName: exportFileName(header, format), mimeType: EXPORT_SUFFIX[format].mimeType, bytes, warnings };
  } catch (error) {
    if (error instanceof TraceFileError || error instanceof BundleError) throw new InputError(error.message);
    throw error;
  }
}

let defaultService: RunnerService | undefined;

/** The app's runner, on the default data folder; made on first use. */
export function defaultRunner(): RunnerService {
  defaultService ??= new RunnerService();
  return defaultService;
}

/** Cancel the default runner's batches, if it was ever made (shutdown). */
export async function closeDefaultRunner(): Promise<void> {
  await defaultService?.close();
}

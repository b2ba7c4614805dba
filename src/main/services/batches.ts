/**
 * Batches for the UI: graded test runs on the same runner as `raftlab run` (src/runner/batch.ts), recorded in the
 * same history (src/runner/history.ts), the traces of failed runs kept under `<traces>/<batch>`. Progress goes out as
 * events (src/main/services/events.ts): each finished run, with each test's failure rate and interval so far, and a
 * few times a second how far the runs in flight are against their tests' usual length, with the wall time left as
 * the tests' usual durations say (a long real-clock test moves the bar while it runs). The implementation is built
 * and probed before the batch is recorded, so the batch records the code version (the sources' hash) it ran, and a
 * folder that does not load is refused at once.
 */
import { randomInt } from 'node:crypto';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { chaosActive, formatChaos } from '../../harness/chaos.ts';
import { ImplLoadError } from '../../harness/loader/index.ts';
import { findTest } from '../../harness/tester/index.ts';
import { runBatch } from '../../runner/batch.ts';
import { readBugAbout } from '../../runner/bug-about.ts';
import type { BatchRecorder, History } from '../../runner/history.ts';
import { prepareImpl, type PreparedImpl } from '../../runner/impl.ts';
import { wilsonInterval } from '../../runner/stats.ts';
import type { RunTask } from '../../runner/types.ts';
import type { BatchView, RunInFlight, RunSettings } from '../../shared/ipc.ts';
import { InputError } from '../rpc.ts';
import type { EventHub } from './events.ts';
import type { UsualDuration } from './history.ts';
import type { Implementations } from './implementations.ts';
import { resultsView, runView } from './results.ts';
import type { SettingsService } from './settings.ts';

/** Batches the app runs at once: each starts its own run processes, so more would only compete for the CPUs. */
export const MAX_RUNNING_BATCHES = 2;
/** How often the runs in flight are reported. */
export const PROGRESS_EVERY_MS = 500;

interface Flight extends RunInFlight {
  startedWall: number;
}

/**
 * The wall time a batch still needs, from its tests' usual wall time per run: the runs not started, and what the
 * runs in flight have left, over the lanes that run them. Null while some test's length is not known at all.
 */
export function estimateRemainingMs(
  remaining: ReadonlyMap<string, number>,
  inFlight: readonly { test: string; wallElapsedMs: number }[],
  usualWallMs: (test: string) => number | undefined,
  lanes: number,
): number | null {
  let total = 0;
  for (const [test, runs] of remaining) {
    if (runs <= 0) continue;
    const per = usualWallMs(test);
    if (per === undefined) return null;
    total += runs * per;
  }
  for (const f of inFlight) {
    const per = usualWallMs(f.test);
    if (per === undefined) return null;
    total += Math.max(0, per - f.wallElapsedMs);
  }
  return total / Math.max(1, lanes);
}

interface LiveBatch {
  view: BatchView;
  controller: AbortController;
  cancelled: boolean;
  done: Promise<void>;
}

export interface BatchServiceOptions {
  history: History;
  /** Where failed runs' traces are kept, a folder per batch. */
  tracesDir: string;
  events: EventHub;
  impls: Implementations;
  settings: SettingsService;
  /** Each test's usual length on a clock (from history), for the runs in flight and the time left. */
  usualDurations?: (mode: RunSettings['mode']) => ReadonlyMap<string, UsualDuration>;
  /** Passed to the run processes' pool (tests use short watchdogs). */
  timeoutMs?: number | undefined;
}

export class BatchService {
  readonly #batches = new Map<string, LiveBatch>();
  /** Batches being prepared (built and probed) but not yet recorded: they count against the limit too. */
  #preparing = 0;
  #newest: string | undefined;

  constructor(private readonly o: BatchServiceOptions) {}

  /** The state of a batch this service runs (fresher than history's while it runs). */
  state(id: string): BatchView['state'] | undefined {
    return this.#batches.get(id)?.view.state;
  }

  /** Start a batch; resolves once it is recorded and dispatching (not when it ends: see `whenDone`). */
  async start(settings: RunSettings): Promise<BatchView> {
    const busy = [...this.#batches.values()].filter((b) => b.view.state === 'running').length + this.#preparing;
    if (busy >= MAX_RUNNING_BATCHES) {
      throw new InputError(`${busy} batches are running already: wait for one to end, or cancel it (each runs its own processes on this machine)`);
    }
    const { dir: implDir, kind } = this.o.impls.resolve(settings.impl);
    // A Go lab (src/golab) runs the course's test binary: its own tests, on the wall clock, without raftlab's knobs.
    const go = kind === 'go';
    const unknown = go ? [] : settings.tests.filter((id) => !findTest(id));
    if (unknown.length) throw new InputError(`Unknown test${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}`);
    if (go && chaosActive(settings.chaos)) {
      throw new InputError(`Chaos knobs need raftlab's simulated network: a Go lab runs the course's own labrpc (${implDir})`);
    }
    if (!go && settings.race) throw new InputError(`The race detector is Go's: ${implDir} is a TypeScript implementation`);
    if (go) settings = { ...settings, mode: 'real' };
    const testIds = [...new Set(settings.tests)];
    const pool = this.o.timeoutMs ? { timeoutMs: () => this.o.timeoutMs! } : undefined;
    let prepared: PreparedImpl;
    this.#preparing++;
    try {
      prepared = await prepareImpl(implDir, pool, { race: settings.race ?? false });
    } catch (error) {
      if (error instanceof ImplLoadError) throw new InputError(error.message);
      throw error;
    } finally {
      this.#preparing--;
    }
    const goTests = prepared.kind === 'go' ? new Map(prepared.tests.map((t) => [t.id, t])) : undefined;
    const missing = goTests ? testIds.filter((id) => !goTests.has(id)) : [];
    if (missing.length) throw new InputError(`${implDir} has no test ${missing.join(', ')}: its tests are ${[...goTests!.keys()].join(', ')}`);
    const tests = testIds.map((id) => goTests?.get(id) ?? findTest(id)!);
    // A Go run has no seed (Go seeds its tester from crypto/rand): its number, from 1, names it.
    const baseSeed = settings.seed ?? (go ? 1 : randomInt(1, 2 ** 31 - settings.count));
    this.o.settings.remember({ ...settings, tests: testIds }, kind === 'folder' || kind === 'bug' || kind === 'go' ? implDir : undefined);
    const chaos = chaosActive(settings.chaos) ? settings.chaos : undefined;

    let recorder: BatchRecorder | undefined = this.o.history.startBatch({
      pattern: testIds.length === 1 ? `^${testIds[0]}$` : `^(${testIds.join('|')})$`,
      tests: testIds,
      mode: settings.mode,
      baseSeed,
      count: settings.count,
      parallel: settings.parallel,
      implDir,
      sourcesHash: prepared.ref.sourcesHash,
      argv: ['(app)', ...(chaos ? ['--chaos', formatChaos(chaos)] : []), ...(settings.race ? ['--race'] : [])],
      ...(chaos ? { chaos } : {}),
      ...(settings.check ? { check: true } : {}),
      ...(go ? { lang: 'go' as const, ...(settings.race ? { race: true } : {}) } : {}),
    });
    const id = recorder.id;
    const bug = kind === 'bug' ? bugAbout(implDir) : undefined;
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
      tests: testIds.map((t) => ({ id: t, total: settings.count, done: 0, failed: 0, interval: null })),
      sourcesHash: prepared.ref.sourcesHash,
      ...(bug ? { bug } : {}),
      inFlight: [],
      etaMs: null,
    };
    const controller = new AbortController();

    // Progress inside runs, and the time left, from the tests' usual durations (history's, else this batch's own).
    const usual = new Map(this.o.usualDurations?.(settings.mode) ?? []);
    // A test the real clock has not run yet lasts about as long as its virtual time on the sim clock (the same
    // steps, the same timeouts): a real-clock run starts with that estimate.
    if (settings.mode === 'real') {
      for (const [test, sim] of this.o.usualDurations?.('sim') ?? []) {
        if (!usual.has(test)) usual.set(test, { testMs: sim.testMs, wallMs: sim.testMs, runs: sim.runs });
      }
    }
    const own = new Map<string, { testMs: number; wallMs: number; n: number }>();
    const flights = new Map<string, Flight>();
    const lanes = Math.max(1, Math.min(settings.parallel, view.total));
    const usualOf = (test: string): { testMs: number; wallMs: number } | undefined => {
      const mine = own.get(test);
      if (mine && mine.n > 0) return { testMs: mine.testMs / mine.n, wallMs: mine.wallMs / mine.n };
      return usual.get(test);
    };
    const usualWall = (test: string): number | undefined => {
      const known = usualOf(test)?.wallMs;
      if (known !== undefined) return known;
      // A test not seen yet: the mean of those that are (null until some run of the batch has ended).
      const walls = [...own.values()].filter((o) => o.n > 0).map((o) => o.wallMs / o.n);
      return walls.length ? walls.reduce((a, b) => a + b, 0) / walls.length : undefined;
    };
    const snapshot = (): { inFlight: RunInFlight[]; etaMs: number | null } => {
      const now = performance.now();
      const remaining = new Map(view.tests.map((t) => [t.id, t.total - t.done - [...flights.values()].filter((f) => f.test === t.id).length]));
      const inFlight = [...flights.values()].map(({ startedWall: _s, ...f }) => ({ ...f, ...(usualOf(f.test) ? { usualMs: usualOf(f.test)!.testMs } : {}) }));
      const etaMs = estimateRemainingMs(remaining, [...flights.values()].map((f) => ({ test: f.test, wallElapsedMs: now - f.startedWall })), usualWall, lanes);
      return { inFlight, etaMs };
    };
    let progressed = false;
    const ticker = setInterval(() => {
      if (!progressed || view.state !== 'running') return;
      progressed = false;
      const { inFlight, etaMs } = snapshot();
      view.inFlight = inFlight;
      view.etaMs = etaMs;
      this.o.events.emit({ type: 'progress', batchId: id, inFlight, etaMs });
    }, PROGRESS_EVERY_MS);
    ticker.unref?.();
    const flightKey = (test: string, seed: number): string => `${test}#${seed}`;
    const hooks = (task: RunTask) => {
      const key = flightKey(task.testId, task.seed);
      flights.set(key, { test: task.testId, seed: task.seed, elapsedMs: 0, startedWall: performance.now() });
      progressed = true;
      return {
        onProgress: (testMs: number) => {
          const f = flights.get(key);
          if (f) f.elapsedMs = testMs;
          progressed = true;
        },
      };
    };
    const live: LiveBatch = { view, controller, cancelled: false, done: Promise.resolve() };
    this.#batches.set(id, live);
    this.#newest = id;
    this.o.events.emit({ type: 'batch-started', batch: structuredClone(view) });

    const runs = runBatch({
      tests,
      count: settings.count,
      baseSeed,
      mode: settings.mode,
      implDir,
      prepared,
      parallel: settings.parallel,
      stopOnFail: settings.stopOnFail,
      ...(settings.check ? { check: true } : {}),
      ...(chaos ? { chaos } : {}),
      signal: controller.signal,
      trace: { keep: 'failed', dir: path.join(this.o.tracesDir, id) },
      ...(pool ? { pool } : {}),
      hooks,
      onRun: (record) => {
        flights.delete(flightKey(record.id, record.seed));
        if (record.completed) {
          const o = own.get(record.id) ?? { testMs: 0, wallMs: 0, n: 0 };
          o.testMs += record.testMs;
          o.wallMs += record.wallMs;
          o.n++;
          own.set(record.id, o);
        }
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
        test.interval = wilsonInterval(test.failed, test.done);
        const { inFlight, etaMs } = snapshot();
        view.inFlight = inFlight;
        view.etaMs = etaMs;
        this.o.events.emit({ type: 'run', batchId: id, run: runView(record), done: view.done, failed: view.failed, test: { ...test }, etaMs });
      },
    });
    const ended = runs.finally(() => {
      clearInterval(ticker);
      view.inFlight = [];
      view.etaMs = null;
    });
    live.done = ended.then(
      (result) => {
        view.state = live.cancelled ? 'cancelled' : result.stopped ? 'stopped' : 'done';
        view.results = resultsView(testIds, result.records, result.wallMs);
        view.finishedAt = new Date().toISOString();
        try {
          recorder?.finish({ runs: result.records.length, failed: result.failed, wallMs: result.wallMs, stopped: result.stopped || live.cancelled });
        } catch (error) {
          console.error(`raftlab: could not record the batch's end: ${(error as Error).message}`);
        }
        this.o.events.emit({ type: 'batch-finished', batch: structuredClone(view) });
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
        this.o.events.emit({ type: 'batch-finished', batch: structuredClone(view) });
      },
    );
    return structuredClone(view);
  }

  cancel(batchId: string): boolean {
    const live = this.#batches.get(batchId);
    if (!live || live.view.state !== 'running') return false;
    live.cancelled = true;
    live.controller.abort();
    return true;
  }

  get(batchId: string): BatchView | null {
    const live = this.#batches.get(batchId);
    return live ? structuredClone(live.view) : null;
  }

  current(): BatchView | null {
    return this.#newest ? this.get(this.#newest) : null;
  }

  /** Resolves when the batch has ended and its end was recorded and announced. */
  async whenDone(batchId: string): Promise<BatchView | null> {
    await this.#batches.get(batchId)?.done;
    return this.get(batchId);
  }

  /** Cancel every running batch and wait for them (shutdown, tests). */
  async close(): Promise<void> {
    for (const id of this.#batches.keys()) this.cancel(id);
    await Promise.all([...this.#batches.values()].map((b) => b.done));
  }
}

/** A planted bug's explanation, for the batch panel (none when its about.json cannot be read). */
function bugAbout(dir: string): BatchView['bug'] {
  try {
    const about = readBugAbout(dir);
    return { name: path.basename(dir), title: about.title, explanation: about.explanation };
  } catch {
    return undefined;
  }
}

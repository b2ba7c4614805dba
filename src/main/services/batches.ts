/**
 * Batches for the UI: graded test runs on the same runner as `raftlab run` (src/runner/batch.ts), recorded in the
 * same history (src/runner/history.ts), the traces of failed runs kept under `<traces>/<batch>`. Progress goes out as
 * events (src/main/services/events.ts). The implementation is built and probed before the batch is recorded, so the
 * batch records the code version (the sources' hash) it ran, and a folder that does not load is refused at once.
 */
import { randomInt } from 'node:crypto';
import path from 'node:path';
import { chaosActive, formatChaos } from '../../harness/chaos.ts';
import { ImplLoadError } from '../../harness/loader/index.ts';
import { findTest } from '../../harness/tester/index.ts';
import { runBatch } from '../../runner/batch.ts';
import type { BatchRecorder, History } from '../../runner/history.ts';
import { prepareImpl, type PreparedImpl } from '../../runner/impl.ts';
import type { BatchView, RunSettings } from '../../shared/ipc.ts';
import { InputError } from '../rpc.ts';
import type { EventHub } from './events.ts';
import type { Implementations } from './implementations.ts';
import { resultsView, runView } from './results.ts';
import type { SettingsService } from './settings.ts';

/** Batches the app runs at once: each starts its own run processes, so more would only compete for the CPUs. */
export const MAX_RUNNING_BATCHES = 2;

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
    const running = [...this.#batches.values()].filter((b) => b.view.state === 'running').length + this.#preparing;
    if (running >= MAX_RUNNING_BATCHES) {
      throw new InputError(`${running} batches are running already: wait for one to end, or cancel it (each runs its own processes on this machine)`);
    }
    const unknown = settings.tests.filter((id) => !findTest(id));
    if (unknown.length) throw new InputError(`Unknown test${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}`);
    const testIds = [...new Set(settings.tests)];
    const tests = testIds.map((id) => findTest(id)!);
    const { dir: implDir } = this.o.impls.resolve(settings.impl);
    const pool = this.o.timeoutMs ? { timeoutMs: () => this.o.timeoutMs! } : undefined;
    let prepared: PreparedImpl;
    this.#preparing++;
    try {
      prepared = await prepareImpl(implDir, pool);
    } catch (error) {
      if (error instanceof ImplLoadError) throw new InputError(error.message);
      throw error;
    } finally {
      this.#preparing--;
    }
    const baseSeed = settings.seed ?? randomInt(1, 2 ** 31 - settings.count);
    this.o.settings.remember({ ...settings, tests: testIds });
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
      argv: ['(app)', ...(chaos ? ['--chaos', formatChaos(chaos)] : [])],
      ...(chaos ? { chaos } : {}),
      ...(settings.check ? { check: true } : {}),
    });
    const id = recorder.id;
    const view: BatchView = {
      id,
      state: 'running',
      settings: { ...settings, tests: testIds, baseSeed, chaos },
      implDir,
      startedAt: new Date().toISOString(),
      total: testIds.length * settings.count,
      done: 0,
      failed: 0,
      tests: testIds.map((t) => ({ id: t, total: settings.count, done: 0, failed: 0 })),
    };
    const controller = new AbortController();
    const live: LiveBatch = { view, controller, cancelled: false, done: Promise.resolve() };
    this.#batches.set(id, live);
    this.#newest = id;
    this.o.events.emit({ type: 'batch-started', batch: structuredClone(view) });

    live.done = runBatch({
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
        this.o.events.emit({ type: 'run', batchId: id, run: runView(record), done: view.done, failed: view.failed, test: { ...test } });
      },
    }).then(
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

/**
 * A pool of P worker threads, each running one test at a time. A run that throws, rejects unhandled, loops forever
 * or runs out of memory ends as one marked record; its worker is terminated and the next run gets a fresh one.
 * A worker is reused while the implementation it loaded is unchanged (a stat walk of the folder before each run);
 * an edited implementation gets a fresh worker, so the next run sees the edit.
 */
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { findTest, resolveImplDir } from '../harness/tester/index.ts';
import type { RunRecord, RunTask, WorkerReply } from './types.ts';

export interface PoolOptions {
  /** How many workers run at once. */
  size: number;
  /** The watchdog: a run still going after this many wall milliseconds is terminated. Default: real 150 s, sim 60 s. */
  timeoutMs?: (task: RunTask) => number;
  /** V8 old-generation cap per worker, in MB (default 512): a run that exceeds it ends as an error. */
  maxOldGenerationSizeMb?: number;
  /** Start a fresh worker for every run (slow: ~250 ms each), instead of reusing one while the impl is unchanged. */
  freshWorkerPerRun?: boolean;
}

/** The real course budget is 120 s per test; the margin covers start-up and a slow machine. */
export const defaultTimeoutMs = (task: Pick<RunTask, 'mode'>): number => (task.mode === 'real' ? 150_000 : 60_000);

const consoleCap = 8_192;
const workerEntry = new URL('./worker-entry.mjs', import.meta.url);

/**
 * A cheap fingerprint of an implementation folder: file count, newest mtime, total size (recursive). For a planted
 * bug, of its materialized copy, which changes with the patch and with the reference.
 */
export function implFingerprint(implDir: string): string {
  let dir: string;
  try {
    dir = resolveImplDir(implDir);
  } catch {
    return 'unresolvable';
  }
  let files = 0;
  let newest = 0;
  let bytes = 0;
  const walk = (d: string): void => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
      const full = path.join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) {
        const st = statSync(full);
        files++;
        newest = Math.max(newest, st.mtimeMs);
        bytes += st.size;
      }
    }
  };
  try {
    walk(dir);
  } catch {
    return 'unreadable';
  }
  return `${files}:${newest}:${bytes}`;
}

export class PoolClosedError extends Error {
  constructor() {
    super('the worker pool was closed');
    this.name = 'PoolClosedError';
  }
}

interface Pending {
  task: RunTask;
  resolve: (record: RunRecord) => void;
  reject: (error: Error) => void;
}

/** Counters for the report: how many workers were started, and why. */
export interface PoolStats {
  workersStarted: number;
  replacedAfterCrash: number;
  replacedAfterEdit: number;
}

class Slot {
  worker: Worker | undefined;
  /** implDir -> fingerprint of what this worker loaded. */
  loaded = new Map<string, string>();
  console = '';
  /** Ends the run in flight (used by close()). */
  abort: (() => void) | undefined;

  constructor(private readonly pool: WorkerPool) {}

  private spawn(): Worker {
    const worker = new Worker(workerEntry, {
      resourceLimits: { maxOldGenerationSizeMb: this.pool.options.maxOldGenerationSizeMb ?? 512 },
      stdout: true,
      stderr: true,
    });
    const collect = (chunk: Buffer): void => {
      if (this.console.length < consoleCap) this.console += chunk.toString('utf8').slice(0, consoleCap - this.console.length);
    };
    worker.stdout.on('data', collect);
    worker.stderr.on('data', collect);
    this.loaded = new Map();
    this.pool.stats.workersStarted++;
    return worker;
  }

  kill(): void {
    const worker = this.worker;
    this.worker = undefined;
    if (worker) void worker.terminate();
  }

  async run(task: RunTask): Promise<RunRecord> {
    const fingerprint = implFingerprint(task.implDir);
    const previous = this.loaded.get(task.implDir);
    if (this.worker && (this.pool.options.freshWorkerPerRun || (previous !== undefined && previous !== fingerprint))) {
      if (previous !== undefined && previous !== fingerprint) this.pool.stats.replacedAfterEdit++;
      this.kill();
    }
    const fresh = !this.worker;
    const worker = (this.worker ??= this.spawn());
    this.loaded.set(task.implDir, fingerprint);
    this.console = '';
    const started = performance.now();
    const timeoutMs = (this.pool.options.timeoutMs ?? defaultTimeoutMs)(task);

    const outcome = await new Promise<WorkerReply | { type: 'died'; code: string; message: string; stack?: string }>((resolve) => {
      let settled = false;
      const finish = (value: Parameters<typeof resolve>[0]): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
        this.abort = undefined;
        resolve(value);
      };
      const onMessage = (reply: WorkerReply): void => finish(reply);
      const onError = (error: Error & { code?: string }): void =>
        finish({
          type: 'died',
          code: error.code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'WORKER_OUT_OF_MEMORY' : (error.code ?? 'WORKER_ERROR'),
          message:
            error.code === 'ERR_WORKER_OUT_OF_MEMORY'
              ? `out of memory: the run exceeded the worker's ${this.pool.options.maxOldGenerationSizeMb ?? 512} MB heap limit (${error.message})`
              : `${error.name}: ${error.message}`,
          ...(error.stack ? { stack: error.stack } : {}),
        });
      const onExit = (exitCode: number): void =>
        finish({ type: 'died', code: 'WORKER_EXIT', message: `the worker exited with code ${exitCode} during the run` });
      const timer = setTimeout(
        () =>
          finish({
            type: 'died',
            code: 'WATCHDOG_TIMEOUT',
            message: `the run did not finish within ${(timeoutMs / 1000).toFixed(0)} s of wall time and was terminated (an infinite loop, or a hang the ${task.mode} clock cannot see)`,
          }),
        timeoutMs,
      );
      this.abort = () => finish({ type: 'died', code: 'CANCELLED', message: 'cancelled: the pool was closed' });
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
      worker.postMessage({ type: 'run', task });
    });
    const dispatchWallMs = performance.now() - started;
    const consoleOutput = this.console || undefined;

    if (outcome.type === 'result') {
      return {
        ...outcome.result,
        implDir: task.implDir,
        completed: true,
        dispatchWallMs,
        freshWorker: fresh,
        ...(consoleOutput ? { consoleOutput } : {}),
        ...(outcome.traceFile ? { traceFile: outcome.traceFile } : {}),
        ...(outcome.violations?.length ? { violations: outcome.violations } : {}),
      };
    }
    // The worker crashed, died or hangs: end it; the next run starts a fresh one.
    this.kill();
    if (outcome.code !== 'CANCELLED') this.pool.stats.replacedAfterCrash++;
    const test = findTest(task.testId);
    return {
      id: task.testId,
      part: test?.part ?? '?',
      description: test?.description ?? '',
      mode: task.mode,
      seed: task.seed,
      status: outcome.code === 'WATCHDOG_TIMEOUT' ? 'timeout' : 'error',
      message: outcome.message,
      failureMessages: [outcome.message],
      errorCode: outcome.code,
      ...(outcome.stack ? { stack: outcome.stack } : {}),
      output: outcome.type === 'crash' ? outcome.output : [],
      testMs: dispatchWallMs,
      wallMs: dispatchWallMs,
      codecWarnings: [],
      implDir: task.implDir,
      completed: false,
      dispatchWallMs,
      freshWorker: fresh,
      ...(consoleOutput ? { consoleOutput } : {}),
      ...(outcome.type === 'crash' && outcome.traceFile ? { traceFile: outcome.traceFile } : {}),
    };
  }
}

export class WorkerPool {
  readonly stats: PoolStats = { workersStarted: 0, replacedAfterCrash: 0, replacedAfterEdit: 0 };
  private readonly idle: Slot[] = [];
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private closed = false;

  constructor(readonly options: PoolOptions) {
    if (!(options.size >= 1)) throw new Error('the pool needs at least one worker');
    for (let i = 0; i < options.size; i++) {
      const slot = new Slot(this);
      this.slots.push(slot);
      this.idle.push(slot);
    }
  }

  /** Queue one run; resolves with its record (never rejects for what the run did), rejects once the pool is closed. */
  run(task: RunTask): Promise<RunRecord> {
    if (this.closed) return Promise.reject(new PoolClosedError());
    return new Promise((resolve, reject) => {
      this.queue.push({ task, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (!this.closed && this.idle.length > 0 && this.queue.length > 0) {
      const slot = this.idle.pop()!;
      const pending = this.queue.shift()!;
      slot.run(pending.task).then(
        (record) => {
          if (this.closed && record.errorCode === 'CANCELLED') pending.reject(new PoolClosedError());
          else pending.resolve(record);
          this.idle.push(slot);
          this.pump();
        },
        (error: unknown) => {
          slot.kill();
          pending.reject(error instanceof Error ? error : new Error(String(error)));
          this.idle.push(slot);
          this.pump();
        },
      );
    }
  }

  /** Terminate every worker; queued and in-flight runs reject with PoolClosedError. */
  async close(): Promise<void> {
    this.closed = true;
    for (const pending of this.queue.splice(0)) pending.reject(new PoolClosedError());
    const workers = this.slots.map((slot) => slot.worker).filter((w): w is Worker => w !== undefined);
    for (const slot of this.slots) {
      slot.abort?.();
      slot.worker = undefined;
    }
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

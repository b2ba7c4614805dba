/**
 * A pool of P run processes (src/runner/child/main.ts), each running one test at a time. The implementation's code
 * runs only there: never on raftlab's own thread. A run that throws, hangs, loops, blocks its event loop, exhausts
 * memory, prints without end, exits or tampers with the channel ends as one marked record with the trace it
 * recorded until then; its process is replaced and the other runs keep their verdicts. A process is reused for the
 * next run only when it reports itself clean (no timers, listeners, globals or changed built-ins left behind).
 *
 * Watchdogs: the run process reports progress four times a second from a real timer, so a run whose event loop
 * stops turning (a synchronous loop, or one that only awaits settled promises) is caught after `stallMs`, whether
 * or not virtual time would have moved; a real-clock run also has the course's wall budget; every run has a cap on
 * its process's resident memory (Buffers included), polled from /proc.
 *
 * A Go lab's run (task.impl.kind 'go') is another kind of run in the same pool: its test binary is the process, one per
 * run (src/golab/run.ts), so the channel, nonce and clean check of a run process do not apply; the wall budget, the
 * memory cap, cancellation, trace keeping and the record are the same. On the budget the binary gets SIGQUIT and its
 * goroutine dump is kept, grouped by where the goroutines wait.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, readSync, rmSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Readable, Writable } from 'node:stream';
import { ensureBuilt } from '../build/self-build.mjs';
import { makeScratch, removeOrphanedScratch } from './scratch.ts';
import { chaosActive } from '../harness/chaos.ts';
import type { ClockMode } from '../harness/runtime/index.ts';
import { isReference } from '../harness/loader/index.ts';
import { findTest, type NodeLogLine } from '../harness/tester/index.ts';
import { encodeFrame, FrameError, FrameReader, type ChildFrame, type TraceChunk } from './child/protocol.ts';
import { traceHeaderFor, writeTraceFromChunks } from '../trace/file.ts';
import { describeGroup, GoRunProcess } from '../golab/index.ts';
import { checkTrace, invariants } from '../checker/index.ts';
import { nodeOf } from '../trace/describe.ts';
import type { TraceEvent } from '../trace/events.ts';
import type { GoImplRef, RunRecord, RunStatus, RunTask, TsImplRef } from './types.ts';

export interface PoolOptions {
  /** How many run processes at once. */
  size: number;
  /** A run that has not reported progress for this long is stopped (default 15 s). */
  stallMs?: number;
  /** The whole-run wall budget (default: real 150 s, the course's 120 s plus margin; sim 30 min). */
  timeoutMs?: (task: RunTask) => number;
  /** V8 heap cap per run process, in MB (default 512). */
  maxOldGenerationSizeMb?: number;
  /** Resident memory cap per run process, in MB, Buffers included (default 1024; Linux only). */
  memoryMb?: number;
  /** Console output kept per run, in bytes (default 64 KB); the rest is counted and dropped. */
  consoleCapBytes?: number;
  /** A fresh process for every run, instead of reusing a clean one. */
  freshWorkerPerRun?: boolean;
  /** Runs per process before it is replaced anyway (default 200): bounds what each run's fresh module costs. */
  maxRunsPerProcess?: number;
  /** Extra Node flags for the run processes (e.g. the permission model). */
  execArgv?: string[];
}

export const defaultTimeoutMs = (task: Pick<RunTask, 'mode'>): number => (task.mode === 'real' ? 150_000 : 30 * 60_000);
export const defaultStallMs = 15_000;

export class PoolClosedError extends Error {
  constructor() {
    super('the worker pool was closed');
    this.name = 'PoolClosedError';
  }
}

/** What a caller may watch while a run goes (raftlab test prints these live). */
export interface RunHooks {
  onOutput?: (line: string) => void;
  onLog?: (line: NodeLogLine) => void;
  /** The run's test time so far (virtual on the sim clock), ms: four times a second (the app shows it). */
  onProgress?: (testMs: number) => void;
}

export interface PoolStats {
  workersStarted: number;
  replacedAfterCrash: number;
  /** Processes not reused because a run left something behind. */
  replacedUnclean: number;
  replacedAfterRuns: number;
}

export interface ProbeResult {
  ok: boolean;
  code?: string;
  message?: string;
  stack?: string;
  describeState?: boolean;
}

/** The environment a run process gets: enough to run Node, nothing of the user's secrets or raftlab's settings. */
function scrubbedEnv(): NodeJS.ProcessEnv {
  const keep = ['PATH', 'HOME', 'TMPDIR', 'TEMP', 'TMP', 'LANG', 'LC_ALL', 'TZ', 'SYSTEMROOT'];
  const env: NodeJS.ProcessEnv = {};
  for (const name of keep) if (process.env[name] !== undefined) env[name] = process.env[name];
  if (process.versions.electron) env.ELECTRON_RUN_AS_NODE = '1';
  return env;
}

/** A Go test binary's environment: the same, plus the Go runtime's own settings when the user set them. */
function goEnv(): NodeJS.ProcessEnv {
  const env = scrubbedEnv();
  delete env.ELECTRON_RUN_AS_NODE;
  for (const name of ['GOMAXPROCS', 'GOGC', 'GOMEMLIMIT', 'GORACE', 'GOTRACEBACK', 'GODEBUG']) if (process.env[name] !== undefined) env[name] = process.env[name];
  return env;
}

/** The lab part a test's name ends with (`TestBackup2B` → 2B). */
const partOf = (id: string): string => /(2[A-D])$/.exec(id)?.[1] ?? '?';

/**
 * A process's resident memory in MB, for the watchdog that reads it four times a second: /proc/<pid>/statm (Linux)
 * opened once and re-read in place, so a read is one pread, not an open, a read and a close. Undefined where /proc
 * cannot tell, and once the process is gone (its descriptor then reads nothing, whatever has the pid since).
 */
class ResidentMemory {
  /** null: cannot be read (not Linux, closed, or the process is gone). */
  #fd: number | null | undefined;
  readonly #buf = Buffer.alloc(128);

  constructor(private readonly pid: number | undefined) {
    if (pid === undefined) this.#fd = null;
  }

  mb(): number | undefined {
    if (this.#fd === null) return undefined;
    try {
      this.#fd ??= openSync(`/proc/${this.pid}/statm`, 'r');
      const n = readSync(this.#fd, this.#buf, 0, this.#buf.length, 0);
      // "size resident shared …" in pages: the second number, read from the bytes (no string made four times a second).
      let at = this.#buf.indexOf(0x20) + 1;
      if (at <= 0 || at >= n) return undefined;
      let pages = 0;
      for (let c = this.#buf[at]!; at < n && c >= 0x30 && c <= 0x39; c = this.#buf[++at]!) pages = pages * 10 + (c - 0x30);
      return (pages * 4096) / 1024 / 1024;
    } catch {
      this.close();
      return undefined;
    }
  }

  close(): void {
    if (typeof this.#fd === 'number') {
      try {
        closeSync(this.#fd);
      } catch {
        // already closed
      }
    }
    this.#fd = null;
  }
}

let childEntry: Promise<string> | undefined;

type Ending = { code: string; status: RunStatus; message: string; stack?: string };

/** One run process and the run it is doing. */
class RunProcess {
  readonly child: ChildProcess;
  readonly ready: Promise<void>;
  runs = 0;
  dead = false;
  private readonly reader = new FrameReader();
  private listener: ((frame: ChildFrame) => void) | undefined;
  private onDeath: ((ending: Ending) => void) | undefined;
  private stderrTail = '';
  console = '';
  consoleDropped = 0;
  capturing = false;

  /** What the process was started with beyond the pool's own flags (a run needing others gets another process). */
  readonly flagsKey: string;

  /** Where the process writes its progress record and the trace of the run in flight (removed when it exits). */
  readonly scratch: string;

  /** Its resident memory, for the memory watchdog. */
  readonly resident: ResidentMemory;

  constructor(file: string, private readonly pool: WorkerPool, flags: readonly string[] = []) {
    const options = pool.options;
    this.flagsKey = flags.join('\0');
    this.scratch = makeScratch('run');
    // A confined process (grading) may write only there; and read there, which it needs to remove the folder when its
    // pool is gone (it could write those files anyway: they are its own progress record and trace).
    const scratchWrite = flags.includes('--experimental-permission') ? [`--allow-fs-write=${this.scratch}/`, `--allow-fs-read=${this.scratch}/`] : [];
    // The young generation is the clock's (clockFlags).
    const heapFlags = [`--max-old-space-size=${options.maxOldGenerationSizeMb ?? 512}`];
    this.child = spawn(process.execPath, [...(options.execArgv ?? []), ...flags, ...scratchWrite, ...heapFlags, file, this.scratch], {
      stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'pipe'],
      env: scrubbedEnv(),
    });
    const cap = options.consoleCapBytes ?? 64 * 1024;
    const collect = (chunk: Buffer): void => {
      if (!this.capturing) return;
      const room = cap - this.console.length;
      if (room > 0) this.console += chunk.toString('utf8', 0, Math.min(chunk.length, room));
      this.consoleDropped += Math.max(0, chunk.length - Math.max(0, room));
    };
    this.child.stdout!.on('data', collect);
    this.child.stderr!.on('data', (chunk: Buffer) => {
      collect(chunk);
      this.stderrTail = (this.stderrTail + chunk.toString('utf8')).slice(-4096);
    });
    let readyResolve!: () => void;
    let readyReject!: (error: Error) => void;
    this.ready = new Promise((resolve, reject) => {
      readyResolve = resolve;
      readyReject = reject;
    });
    this.ready.catch(() => {});
    (this.child.stdio[3] as Readable).on('data', (chunk: Buffer) => {
      let frames: ChildFrame[];
      try {
        frames = this.reader.push(chunk) as ChildFrame[];
      } catch (error) {
        this.die({ code: 'CHANNEL_TAMPERED', status: 'error', message: `raftlab's result channel received ${(error as FrameError).message}: the implementation wrote to it` });
        return;
      }
      for (const frame of frames) {
        if (frame?.type === 'ready') readyResolve();
        else if (this.listener) this.listener(frame);
        else this.die({ code: 'CHANNEL_TAMPERED', status: 'error', message: 'a message on raftlab\'s result channel between runs' });
      }
    });
    (this.child.stdio[3] as Readable).on('error', () => {});
    (this.child.stdio[4] as Writable).on('error', () => {});
    this.child.on('error', (error) => {
      readyReject(error);
      this.die({ code: 'RUN_PROCESS_FAILED', status: 'error', message: `could not start a run process: ${error.message}` });
    });
    this.resident = new ResidentMemory(this.child.pid);
    this.child.on('exit', (code, signal) => {
      this.resident.close();
      // Read anything a dead run left before the folder goes (die() reads it synchronously, below).
      setImmediate(() => rmSync(this.scratch, { recursive: true, force: true }));
      readyReject(new Error(`the run process exited (${signal ?? code}) before it was ready: ${this.stderrTail.trim().split('\n').at(-1) ?? ''}`));
      const oom = /heap limit|out of memory|Allocation failed/i.test(this.stderrTail);
      const heap = this.pool.options.maxOldGenerationSizeMb ?? 512;
      this.die(
        oom
          ? { code: 'WORKER_OUT_OF_MEMORY', status: 'error', message: `out of memory: the run passed its ${heap} MB heap limit` }
          : { code: 'RUN_PROCESS_EXIT', status: 'error', message: `the run process ended (${signal ? `signal ${signal}` : `exit code ${code}`}) during the run${this.stderrTail ? `: ${this.stderrTail.trim().split('\n').at(-1)}` : ''}` },
      );
    });
    pool.stats.workersStarted++;
  }

  /** The last progress record the process wrote: where its run was, in virtual time. */
  progress(): { virtualMs: number; events: number } | undefined {
    try {
      return JSON.parse(readFileSync(path.join(this.scratch, 'progress'), 'utf8').trim()) as { virtualMs: number; events: number };
    } catch {
      return undefined;
    }
  }

  /** The trace the run in flight has written so far, whole lines only. */
  traceSoFar(): TraceChunk[] {
    let text: string;
    try {
      text = readFileSync(path.join(this.scratch, 'trace.ndjson'), 'utf8');
    } catch {
      return [];
    }
    const end = text.lastIndexOf('\n');
    return end < 0 ? [] : [{ text: text.slice(0, end), count: 0, firstT: 0, lastT: 0 }];
  }

  send(frame: unknown): void {
    (this.child.stdio[4] as Writable).write(encodeFrame(frame));
  }

  /** Listen for the current run's frames (undefined between runs: any frame then is an intrusion). */
  attach(listener: ((frame: ChildFrame) => void) | undefined, onDeath: ((ending: Ending) => void) | undefined): void {
    this.listener = listener;
    this.onDeath = onDeath;
  }

  die(ending: Ending): void {
    const onDeath = this.onDeath;
    this.onDeath = undefined;
    this.listener = undefined;
    this.kill();
    onDeath?.(ending);
  }

  kill(): void {
    if (this.dead) return;
    this.dead = true;
    this.child.kill('SIGKILL');
  }

  /** An idle process is told there is no more work (it exits on its own); one that does not within a second is killed. */
  retire(): void {
    if (this.dead) return;
    this.dead = true;
    (this.child.stdio[4] as Writable).end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 1_000);
    timer.unref();
    this.child.once('exit', () => clearTimeout(timer));
  }
}

const statusOf = (ending: Ending): RunStatus => ending.status;

/**
 * V8's flags for a run process, by the clock of its runs.
 * - sim: a 2 MB young generation (Node's default is 16 MB): a sim run allocates fast and keeps little, so short-lived
 *   garbage is collected sooner; the whole sim suite peaked at ~74 MB instead of ~118 MB, for the same CPU. Its
 *   collections stay on the main thread (`--single-threaded-gc`): a sim run never waits, so collecting in parallel
 *   gains it nothing, and the helper threads take cores that the run, or a parallel sweep's other run, would use
 *   (4 seeds of the suite at parallel 2, 2 alternated pairs: 4.35 → 3.64 s of wall, 7.87 → 6.96 s of CPU; the suite
 *   now peaks at 78–80 MB against 73–75). It keeps V8's compiler threads: without them (`--single-threaded`) it is
 *   ~20 % slower.
 * - real: a real-clock run mostly waits for its timers. V8's helper threads, woken for every small collection and
 *   compilation, cost more than they save: without them the run process takes ~12 % less CPU and ~2 MB less
 *   memory, and a 1 MB young generation (it allocates slowly) ~2 MB less again. V8's memory reducer stays on here
 *   (the CLI turns its own off, bin/raftlab.js): off, it would save ~10 ms of collection over a real-clock 2A, and
 *   the run process would peak ~1 MB higher (59 against 58 MB over 2A+2B, twice each). Functions tier up after 4×
 *   V8's default interrupt budget: in a light test, optimizing compiles of code that runs a few hundred times a
 *   second cost more than they save (2A+2B: 7–10 % less CPU of the whole tree, in pairs run side by side; two of the
 *   heaviest tests, TestFigure8Unreliable2C and TestSnapshotInstallUnreliable2D, 2–6 % more).
 */
const v8DefaultInterruptBudget = 67_584;
/**
 * How often the pool looks at a run in flight: its stall and time budget, and its memory (a run allocating fast may
 * pass its limit by what it allocates between two looks). A real-clock run is looked at half as often: each look wakes
 * the pool's process, which otherwise sleeps along with the run.
 */
const watchIntervalMs: Record<ClockMode, number> = { sim: 250, real: 500 };

/**
 * How often a run in flight tells the pool it is alive (and flushes its log lines). A real-clock run mostly sleeps on
 * its timers, and each wake-up for the frame costs both processes: once a second, a quarter of the stall watchdog's
 * time at most (a real-clock 2A+2B, with the pool looking twice a second: 0.89–0.95× the whole tree's CPU per second
 * of wall against four frames and four looks, 3 pairs side by side). A sim run's frames carry its virtual time, which
 * the progress display shows, and a run whose log lines are shown as they come (`test -v`) sends them four times a
 * second.
 */
function progressIntervalMs(mode: ClockMode, logsShown: boolean, stallMs: number): number {
  return mode === 'real' && !logsShown ? Math.max(50, Math.min(1_000, Math.floor(stallMs / 4))) : 250;
}

const clockFlags: Record<ClockMode, readonly string[]> = {
  sim: ['--max-semi-space-size=2', '--single-threaded-gc'],
  real: ['--single-threaded', '--max-semi-space-size=1', `--interrupt-budget=${4 * v8DefaultInterruptBudget}`],
};

class Slot {
  proc: RunProcess | undefined;
  abort: (() => void) | undefined;

  constructor(private readonly pool: WorkerPool) {}

  private async process(flags: readonly string[] = []): Promise<{ proc: RunProcess; fresh: boolean }> {
    const o = this.pool.options;
    // An idle process replaced (other flags: a grader's next submission; a fresh one per run; enough runs) is retired,
    // not killed: it removes its own scratch folder as it leaves, even if this process is killed the moment after.
    if (this.proc && this.proc.flagsKey !== flags.join('\0')) this.retire();
    if (this.proc && (this.proc.dead || o.freshWorkerPerRun || this.proc.runs >= (o.maxRunsPerProcess ?? 200))) {
      if (!this.proc.dead && this.proc.runs >= (o.maxRunsPerProcess ?? 200)) this.pool.stats.replacedAfterRuns++;
      this.retire();
    }
    const fresh = !this.proc;
    if (!this.proc) {
      childEntry ??= ensureBuilt('child');
      this.proc = new RunProcess(await childEntry, this.pool, flags);
    }
    await this.proc.ready;
    return { proc: this.proc, fresh };
  }

  kill(): void {
    this.proc?.kill();
    this.proc = undefined;
  }

  /** Let an idle process go (RunProcess.retire). */
  retire(): void {
    this.proc?.retire();
    this.proc = undefined;
  }

  /** Load the implementation in a run process and report whether it exports make. */
  async probe(file: string, flags: readonly string[] = []): Promise<ProbeResult> {
    const { proc } = await this.process([...flags, ...clockFlags.sim]);
    const runId = `probe-${randomBytes(4).toString('hex')}`;
    const nonce = randomBytes(16).toString('hex');
    const stallMs = this.pool.options.stallMs ?? defaultStallMs;
    const outcome = await new Promise<ProbeResult>((resolve) => {
      const timer = setTimeout(
        () => proc.die({ code: 'STALLED', status: 'timeout', message: `the implementation did not finish loading within ${Math.round(stallMs / 1000)} s (a loop at the top level of a module?)` }),
        stallMs,
      );
      proc.attach(
        (frame) => {
          if (frame.type !== 'probed' || frame.runId !== runId || frame.nonce !== nonce) {
            proc.die({ code: 'CHANNEL_TAMPERED', status: 'error', message: 'an unexpected message on raftlab\'s result channel' });
            return;
          }
          clearTimeout(timer);
          proc.attach(undefined, undefined);
          resolve(frame.ok ? { ok: true, describeState: frame.describeState } : { ok: false, code: frame.code, message: frame.message, ...(frame.stack ? { stack: frame.stack } : {}) });
        },
        (ending) => {
          clearTimeout(timer);
          resolve({ ok: false, code: ending.code, message: ending.message });
        },
      );
      proc.send({ type: 'probe', runId, nonce, file });
    });
    // Loading may have left timers or globals behind: never reuse a probed process for a run.
    this.retire();
    return outcome;
  }

  async run(task: RunTask, hooks: RunHooks): Promise<RunRecord> {
    if (task.impl.kind === 'go') return this.runGo(task, task.impl, hooks);
    if (!tracedOnlyIfFailed(task)) return this.runJs(task, task.impl, hooks);
    // A sim run is the same run from the same seed, event for event: run it untraced, and record the trace of a
    // failed one by running its seed again. Most runs of a sweep pass, and tracing every run cost 1.3–2.8× a sweep's CPU.
    const first = await this.runJs({ ...task, trace: undefined }, task.impl, hooks);
    if (first.status === 'pass' || first.errorCode === 'CANCELLED') return first;
    if (first.errorCode === 'WATCHDOG_TIMEOUT') {
      // Its seed again would take the whole budget again.
      return { ...first, traceError: 'no trace: a run stopped by the wall-clock watchdog is not run again to record one (it would take as long again); --keep all traces every run as it goes' };
    }
    const replay = await this.runJs(task, task.impl, {});
    if (replay.errorCode === 'CANCELLED') return first;
    const differs = outcomeDifference(first, replay);
    if (differs === undefined) return { ...replay, dispatchWallMs: first.dispatchWallMs, freshWorker: first.freshWorker, wallMs: first.wallMs };
    if (replay.errorCode === 'DESCRIBE_STATE_INVALID') {
      // Only a traced run reads saved states through the implementation's describeState.
      return { ...first, traceError: `no trace: recording it ended the run with an error: ${replay.message ?? replay.errorCode}` };
    }
    return { ...first, traceError: `no trace: run again from its seed to record one, it did not end the same way (${differs}); the implementation is not deterministic under the sim clock (raftlab replay shows where)` };
  }

  private async runJs(task: RunTask, impl: TsImplRef, hooks: RunHooks): Promise<RunRecord> {
    const started = performance.now();
    const { proc, fresh } = await this.process([...(task.processFlags ?? []), ...clockFlags[task.mode]]);
    const runId = `${task.testId}-${task.seed}-${randomBytes(4).toString('hex')}`;
    const nonce = randomBytes(16).toString('hex');
    const o = this.pool.options;
    const stallMs = o.stallMs ?? defaultStallMs;
    const budgetMs = (o.timeoutMs ?? defaultTimeoutMs)(task);
    const memoryMb = o.memoryMb ?? 1024;
    let lastProgress = performance.now();
    let virtualMs = 0;
    proc.console = '';
    proc.consoleDropped = 0;
    proc.capturing = true;
    proc.runs++;

    type Done = { kind: 'result'; frame: Extract<ChildFrame, { type: 'result' }> } | { kind: 'ended'; ending: Ending };
    const done = await new Promise<Done>((resolve) => {
      let settled = false;
      const finish = (value: Done): void => {
        if (settled) return;
        settled = true;
        clearInterval(watch);
        this.abort = undefined;
        proc.attach(undefined, undefined);
        resolve(value);
      };
      const watch = setInterval(() => {
        const now = performance.now();
        if (now - lastProgress > stallMs) {
          const s = Math.round(stallMs / 1000);
          virtualMs = Math.max(virtualMs, proc.progress()?.virtualMs ?? 0);
          proc.die({
            code: 'STALLED',
            status: 'timeout',
            message:
              task.mode === 'sim'
                ? `no virtual time passed in ${s} s of wall time (stuck at t=${(virtualMs / 1000).toFixed(3)} s): the implementation kept the thread busy without yielding — a loop that never awaits, or one that awaits only already-settled promises (await runtime.sleep(ms) instead)`
                : `the implementation blocked the event loop for ${s} s (at t=${(virtualMs / 1000).toFixed(3)} s): a loop that never awaits, or one that awaits only already-settled promises`,
          });
        } else if (now - started > budgetMs) {
          proc.die({
            code: 'WATCHDOG_TIMEOUT',
            status: 'timeout',
            message: `the run did not finish within ${(budgetMs / 1000).toFixed(0)} s of wall time and was stopped${task.mode === 'real' ? ' (the course allows a test 120 s)' : ''}`,
          });
        } else {
          const rss = proc.resident.mb();
          if (rss !== undefined && rss > memoryMb) {
            proc.die({ code: 'WORKER_OUT_OF_MEMORY', status: 'error', message: `out of memory: the run's process grew past ${memoryMb} MB (${Math.round(rss)} MB resident, Buffers included)` });
          }
        }
      }, watchIntervalMs[task.mode]);
      this.abort = () => proc.die({ code: 'CANCELLED', status: 'error', message: 'cancelled: the pool was closed' });
      proc.attach(
        (frame) => {
          if (!('runId' in frame) || frame.runId !== runId || frame.nonce !== nonce) {
            proc.die({ code: 'CHANNEL_TAMPERED', status: 'error', message: 'a message on raftlab\'s result channel that raftlab did not send: the implementation wrote to it' });
            return;
          }
          lastProgress = performance.now();
          switch (frame.type) {
            case 'progress':
              virtualMs = frame.virtualMs;
              hooks.onProgress?.(virtualMs);
              break;
            case 'output':
              for (const line of frame.lines) hooks.onOutput?.(line);
              break;
            case 'log':
              for (const line of frame.lines) hooks.onLog?.(line);
              break;
            case 'result':
              finish({ kind: 'result', frame });
              break;
            default:
              proc.die({ code: 'CHANNEL_TAMPERED', status: 'error', message: `an unexpected ${String((frame as { type?: unknown }).type)} message on raftlab's result channel` });
          }
        },
        (ending) => finish({ kind: 'ended', ending }),
      );
      proc.send({
        type: 'run',
        runId,
        nonce,
        task: {
          testId: task.testId,
          mode: task.mode,
          seed: task.seed,
          file: impl.file,
          sourceRoot: impl.sourceRoot,
          sourceDir: impl.sourceDir,
          trace: !!task.trace || !!task.check,
          streamTrace: !!task.trace,
          keepPassing: task.trace?.keep === 'all',
          ...(task.trace?.wholeValues ? { wholeValues: true } : {}),
          check: !!task.check,
          ...(task.chaos ? { chaos: task.chaos } : {}),
          streamOutput: !!hooks.onOutput,
          streamLogs: !!hooks.onLog,
          consoleCapBytes: o.consoleCapBytes ?? 64 * 1024,
          progressIntervalMs: progressIntervalMs(task.mode, !!hooks.onLog, stallMs),
          ...(task.persistDir ? { persistDir: task.persistDir } : {}),
        },
      });
    });
    proc.capturing = false;
    const dispatchWallMs = performance.now() - started;
    const consoleOutput = proc.console || undefined;
    const consoleDroppedBytes = proc.consoleDropped + (done.kind === 'result' ? done.frame.consoleDroppedBytes : 0) || undefined;

    let record: RunRecord;
    if (done.kind === 'result') {
      const { frame } = done;
      if (!frame.clean) {
        if (process.env.RAFTLAB_DEBUG) process.stderr.write(`raftlab: run process not reused after ${runId}: ${frame.leftovers.join('; ')}\n`);
        this.pool.stats.replacedUnclean++;
        this.kill();
      }
      record = {
        ...frame.result,
        implDir: task.implDir,
        sourcesHash: task.impl.sourcesHash,
        runId,
        completed: true,
        dispatchWallMs,
        freshWorker: fresh,
        ...(consoleOutput ? { consoleOutput } : {}),
        ...(consoleDroppedBytes ? { consoleDroppedBytes } : {}),
        ...(frame.violations.length ? { violations: frame.violations } : {}),
      };
      if (task.trace && frame.traceKept) await this.keepTrace(task, record, proc.traceSoFar(), false);
    } else {
      const { ending } = done;
      // What the run left in its scratch folder, read before the process's folder goes.
      const chunks = task.trace ? proc.traceSoFar() : [];
      const last = proc.progress();
      if (last && last.virtualMs > virtualMs) virtualMs = last.virtualMs;
      // A sim run may pass seconds of virtual time between two frames: its record, written as it advances, says how far
      // it got, for a caller that reports a run it stopped (raftlab test's Ctrl-C).
      hooks.onProgress?.(virtualMs);
      this.kill();
      if (ending.code !== 'CANCELLED') this.pool.stats.replacedAfterCrash++;
      const test = findTest(task.testId);
      record = {
        id: task.testId,
        part: test?.part ?? '?',
        description: test?.description ?? '',
        mode: task.mode,
        seed: task.seed,
        status: statusOf(ending),
        message: ending.message,
        failureMessages: [ending.message],
        errorCode: ending.code,
        ...(ending.stack ? { stack: ending.stack } : {}),
        output: [],
        testMs: virtualMs,
        wallMs: dispatchWallMs,
        codecWarnings: [],
        implDir: task.implDir,
        sourcesHash: task.impl.sourcesHash,
        runId,
        completed: false,
        dispatchWallMs,
        freshWorker: fresh,
        ...(consoleOutput ? { consoleOutput } : {}),
        ...(consoleDroppedBytes ? { consoleDroppedBytes } : {}),
      };
      if (task.trace && ending.code !== 'CANCELLED') await this.keepTrace(task, record, chunks, true);
    }
    return record;
  }

  /**
   * One run of a Go lab's test binary, under the same watchdogs: the wall budget (SIGQUIT, so Go prints its
   * goroutines, then SIGKILL), the resident-memory cap, and cancellation when the pool closes.
   */
  private async runGo(task: RunTask, impl: GoImplRef, hooks: RunHooks): Promise<RunRecord> {
    const started = performance.now();
    const o = this.pool.options;
    const budgetMs = (o.timeoutMs ?? defaultTimeoutMs)(task);
    const memoryMb = o.memoryMb ?? 1024;
    const runId = `${task.testId}-${task.seed}-${randomBytes(4).toString('hex')}`;
    const proc = new GoRunProcess({
      testId: task.testId,
      binary: impl.binary,
      lab: impl.lab,
      snapshot: impl.snapshot,
      env: goEnv(),
      consoleCapBytes: o.consoleCapBytes ?? 64 * 1024,
      hooks: { onOutput: hooks.onOutput, onLog: hooks.onLog },
    });
    this.pool.goRuns.add(proc);
    this.pool.stats.workersStarted++;
    let stopped = false;
    const resident = new ResidentMemory(proc.pid);
    const watch = setInterval(() => {
      // A Go run's test time is the wall clock: its progress is the time it has run.
      hooks.onProgress?.(performance.now() - started);
      if (performance.now() - started > budgetMs) {
        stopped = true;
        proc.stop({
          code: 'WATCHDOG_TIMEOUT',
          status: 'timeout',
          message: `the run did not finish within ${(budgetMs / 1000).toFixed(0)} s of wall time and was stopped (the course allows a test 120 s)`,
        });
        return;
      }
      const rss = resident.mb();
      if (rss !== undefined && rss > memoryMb) {
        stopped = true;
        proc.kill({ code: 'WORKER_OUT_OF_MEMORY', status: 'error', message: `out of memory: the test binary grew past ${memoryMb} MB (${Math.round(rss)} MB resident)` });
      }
    }, 250);
    this.abort = () => {
      stopped = true;
      proc.kill({ code: 'CANCELLED', status: 'error', message: 'cancelled: the pool was closed' });
    };
    const result = await proc.done;
    clearInterval(watch);
    resident.close();
    this.abort = undefined;
    this.pool.goRuns.delete(proc);
    const v = result.verdict;
    const test = findTest(task.testId);
    const dispatchWallMs = performance.now() - started;
    const record: RunRecord = {
      id: task.testId,
      part: test?.part ?? partOf(task.testId),
      description: result.description ?? test?.description ?? '',
      mode: 'real',
      seed: task.seed,
      status: v.status,
      ...(v.message !== undefined ? { message: v.message } : {}),
      failureMessages: v.failureMessages,
      ...(v.errorCode ? { errorCode: v.errorCode } : {}),
      ...(v.stack ? { stack: v.stack } : {}),
      ...(v.site ? { site: v.site } : {}),
      ...(v.location ? { location: v.location } : {}),
      output: result.output,
      ...(v.passed ? { passed: v.passed } : {}),
      testMs: v.testMs,
      wallMs: result.wallMs,
      codecWarnings: [],
      implDir: task.implDir,
      sourcesHash: impl.sourcesHash,
      runId,
      completed: !stopped,
      dispatchWallMs,
      freshWorker: true,
      ...(result.consoleOutput ? { consoleOutput: result.consoleOutput } : {}),
      ...(result.consoleDroppedBytes ? { consoleDroppedBytes: result.consoleDroppedBytes } : {}),
      lang: 'go',
      ...(impl.race ? { race: true as const } : {}),
      ...(v.goroutines ? { goroutines: v.goroutines } : {}),
      ...(v.goroutineDump ? { goroutineDump: v.goroutineDump.slice(0, 1024 * 1024) } : {}),
      ...(v.races ? { races: v.races, raceReports: v.raceReports ?? v.races.length } : {}),
    };
    if (task.check && v.errorCode !== 'CANCELLED') this.checkGoRun(record, result.events);
    const keep = task.trace && v.errorCode !== 'CANCELLED' && (task.trace.keep === 'all' || record.status !== 'pass');
    if (keep) {
      const events = withTriage(result.events, v.goroutines?.groups.map((g) => describeGroup(g)) ?? []);
      const text = events.map((e) => JSON.stringify(e)).join('\n');
      const servers = findTest(task.testId)?.servers ?? 1 + events.reduce((n, e) => Math.max(n, nodeOf(e) ?? -1), -1);
      await this.keepTrace(task, record, events.length ? [{ text, count: events.length, firstT: events[0]!.t, lastT: events.at(-1)!.t }] : [], v.status === 'timeout', {
        servers,
        lang: 'go',
      });
    }
    return record;
  }

  /**
   * The safety checker over a Go run's events (what raftlab_trace.go printed: data, read in raftlab's own process), as
   * a run process does for a TypeScript run: a violation fails a run that passed; the tester's verdict stays first.
   */
  private checkGoRun(record: RunRecord, events: readonly TraceEvent[]): void {
    let violations;
    try {
      violations = checkTrace(events as TraceEvent[]).violations;
    } catch (error) {
      record.failureMessages = [...record.failureMessages, `the safety checker could not read the run's events: ${(error as Error).message}`];
      return;
    }
    if (violations.length === 0) return;
    record.violations = violations;
    const said = violations.map((v) => `safety violation: ${invariants[v.invariant].title}: ${v.message}`);
    if (record.status === 'pass') Object.assign(record, { status: 'fail', message: said[0]!, failureMessages: said, site: `safety:${violations[0]!.invariant}` });
    else record.failureMessages = [...record.failureMessages, ...said];
  }

  /** Write the run's trace (what the run process sent), atomically; a failure is noted, never a change of verdict. */
  private async keepTrace(task: RunTask, record: RunRecord, chunks: TraceChunk[], truncated: boolean, extra: { servers?: number; lang?: 'go' } = {}): Promise<void> {
    const spec = task.trace!;
    const file = traceFileFor(task, spec.dir);
    const chaos = record.chaos ?? task.chaos;
    const header = traceHeaderFor(
      { id: task.testId, seed: task.seed, mode: task.mode, status: record.status, message: record.message, ...(chaosActive(chaos) ? { chaos } : {}) },
      {
        impl: isReference(task.implDir) ? 'reference' : task.implDir,
        servers: extra.servers ?? findTest(task.testId)?.servers ?? 0,
        sources: { hash: task.impl.sourcesHash, files: task.impl.sourceFiles },
        truncated,
        ...(task.check ? { checked: true } : {}),
        ...(extra.lang ? { lang: extra.lang } : {}),
      },
    );
    try {
      mkdirSync(spec.dir, { recursive: true });
      await writeTraceFromChunks(file, header, chunks, spec.sources ? { sources: spec.sources } : {});
      record.traceFile = file;
    } catch (error) {
      const e = error as NodeJS.ErrnoException;
      const why = e.code === 'ENOSPC' ? 'disk full' : e.code === 'EACCES' || e.code === 'EROFS' || e.code === 'EPERM' ? 'the folder is not writable' : e.message;
      record.traceError = `could not save the trace: ${why} (${file})`;
    }
  }
}

/** A hang's groups of goroutines as TEST lines at the end of its trace, where the viewer shows how it ended. */
function withTriage(events: TraceEvent[], groups: string[]): TraceEvent[] {
  if (groups.length === 0) return events;
  const end = events.at(-1);
  const t = end?.t ?? 0;
  const lines: TraceEvent[] = [
    { t, kind: 'log', node: -1, topic: 'TEST', message: 'goroutines when the watchdog stopped the run, by where they wait:' },
    ...groups.map((g): TraceEvent => ({ t, kind: 'log', node: -1, topic: 'TEST', message: `  ${g}` })),
  ];
  return end?.kind === 'test-end' ? [...events.slice(0, -1), ...lines, end] : [...events, ...lines];
}

/**
 * Whether a run is traced only if it fails: a sim run whose trace is kept only on failure, and that no checker
 * reads (--check reads every run's events).
 */
function tracedOnlyIfFailed(task: RunTask): boolean {
  return task.mode === 'sim' && task.trace?.keep === 'failed' && !task.check;
}

/** How a run from the same seed ended differently, or undefined if it ended the same way. */
function outcomeDifference(first: RunRecord, again: RunRecord): string | undefined {
  const facts = (r: RunRecord) => ({ status: r.status, errorCode: r.errorCode, message: r.message, failureMessages: r.failureMessages, site: r.site, testMs: r.testMs, output: r.output });
  const a = facts(first);
  const b = facts(again);
  for (const key of Object.keys(a) as Array<keyof typeof a>) {
    if (JSON.stringify(a[key]) !== JSON.stringify(b[key])) return `${key}: ${JSON.stringify(a[key])?.slice(0, 80)} the first time, ${JSON.stringify(b[key])?.slice(0, 80)} again`;
  }
  return undefined;
}

/** Where a run's trace goes: one file per (test, seed, clock), so a rerun of the same seed replaces its own. */
export function traceFileFor(task: Pick<RunTask, 'testId' | 'seed' | 'mode'>, dir: string): string {
  return path.join(dir, `${task.testId}-seed${task.seed}-${task.mode}.trace.gz`);
}

interface Pending {
  task: RunTask;
  hooks: RunHooks;
  resolve: (record: RunRecord) => void;
  reject: (error: Error) => void;
}

export class WorkerPool {
  readonly stats: PoolStats = { workersStarted: 0, replacedAfterCrash: 0, replacedUnclean: 0, replacedAfterRuns: 0 };
  private readonly idle: Slot[] = [];
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private closed = false;
  /** Go test binaries running now (each is its own run's process). */
  readonly goRuns = new Set<GoRunProcess>();

  constructor(readonly options: PoolOptions) {
    if (!(options.size >= 1)) throw new Error('the pool needs at least one worker');
    removeOrphanedScratch();
    for (let i = 0; i < options.size; i++) {
      const slot = new Slot(this);
      this.slots.push(slot);
      this.idle.push(slot);
    }
  }

  /** Queue one run; resolves with its record (never rejects for what the run did), rejects once the pool is closed. */
  run(task: RunTask, hooks: RunHooks = {}): Promise<RunRecord> {
    if (this.closed) return Promise.reject(new PoolClosedError());
    return new Promise((resolve, reject) => {
      this.queue.push({ task, hooks, resolve, reject });
      this.pump();
    });
  }

  /** Load a built implementation in a run process (with the stall watchdog) and report what it exports. */
  async probe(file: string, flags: readonly string[] = []): Promise<ProbeResult> {
    if (this.closed) throw new PoolClosedError();
    const slot = new Slot(this);
    try {
      return await slot.probe(file, flags);
    } finally {
      slot.kill();
    }
  }

  private pump(): void {
    while (!this.closed && this.idle.length > 0 && this.queue.length > 0) {
      const slot = this.idle.pop()!;
      const pending = this.queue.shift()!;
      slot.run(pending.task, pending.hooks).then(
        (record) => {
          if (this.closed && record.errorCode === 'CANCELLED') pending.reject(new PoolClosedError());
          else pending.resolve(record);
          this.idle.push(slot);
          this.pump();
        },
        (error: unknown) => {
          slot.kill();
          // A run process that could not start because the pool was closed meanwhile is a cancelled run.
          pending.reject(this.closed ? new PoolClosedError() : error instanceof Error ? error : new Error(String(error)));
          this.idle.push(slot);
          this.pump();
        },
      );
    }
  }

  /** Stop every run process; queued and in-flight runs reject with PoolClosedError. */
  async close(): Promise<void> {
    this.closed = true;
    for (const pending of this.queue.splice(0)) pending.reject(new PoolClosedError());
    const procs = this.slots.map((slot) => slot.proc).filter((p): p is RunProcess => p !== undefined);
    for (const slot of this.slots) {
      if (slot.abort) {
        slot.abort();
        slot.kill();
      } else {
        slot.proc?.retire();
        slot.proc = undefined;
      }
    }
    await Promise.all(procs.map((p) => (p.child.exitCode !== null || p.child.signalCode !== null ? undefined : new Promise((r) => p.child.once('exit', r)))));
    // Each process's scratch folder goes a turn after it exits (what a dead run left is read first); a caller that
    // exits as soon as the pool is closed (a grade worker's SIGTERM) would not give it that turn.
    for (const p of procs) rmSync(p.scratch, { recursive: true, force: true });
    removeOrphanedScratch();
    await Promise.all([...this.goRuns].map((run) => run.done));
  }
}

/**
 * A run process: the only place the code under test runs. The pool starts it (src/runner/pool.ts), hands it one
 * run at a time on its private channel (./protocol.ts), and reads back progress, output, trace chunks and the
 * result. Before any implementation code is loaded it keeps its own copies of what its plumbing needs, so code
 * under test that rewrites a global later does not reach them; after each run it checks that the run left nothing
 * behind (timers, listeners, globals, changed built-ins) and says so, and the pool starts a fresh process when not.
 * Each run imports a fresh instance of the built module, so module-level state never leaks from one run to the
 * next: a seed replays the same whether it ran first or hundredth.
 */
import fs from 'node:fs';
import net from 'node:net';
import { checkTrace, invariants, type Violation } from '../../checker/index.ts';
import { ImplLoadError } from '../../harness/loader/build.ts';
import { describeThrown, importBuilt } from '../../harness/loader/load.ts';
import { implementationSite, mapStack } from '../../harness/loader/site.ts';
import type { Runtime } from '../../harness/runtime/index.ts';
import { findTest, runTest, type NodeLogLine, type TestRunResult } from '../../harness/tester/index.ts';
import { wholeValueLimits } from '../../trace/events.ts';
import { createTraceRecorder, type TraceRecorder } from '../../trace/recorder.ts';
import type { TraceEvent } from '../../trace/schema.ts';
import { encodeFrame, FrameReader, type ChildFrame, type ChildTask, type ParentFrame } from './protocol.ts';
import { captureIntrinsics, describeLeftovers, type ProcessBaseline } from './integrity.ts';

// --- Our own copies, taken before any implementation code runs. ---------------------------------------------
const writeSync = fs.writeSync;
const stringify = JSON.stringify as (value: unknown) => string;
const hrtime = process.hrtime.bigint;
const realSetInterval = setInterval;
const realClearInterval = clearInterval;
const nowMs = (): number => Number(hrtime() / 1_000_000n);
const exitProcess = process.exit.bind(process) as (code?: number) => never;
const resultFd = 3;
const taskFd = 4;
// The pool's scratch folder for this process: the progress record and the trace being recorded go to files there
// as the run goes (a write to a file wakes nobody), so a run that stops turning leaves both behind for the pool.
const scratchDir = process.argv[2] ?? '';
const openSync = fs.openSync;
const closeSync = fs.closeSync;
const rmSync = fs.rmSync;
const progressFd = scratchDir ? openSync(`${scratchDir}/progress`, 'w') : -1;
const progressRecord = Buffer.alloc(64, 0x20);
let traceFd = -1;

process.setSourceMapsEnabled(true);

/** Write all of `bytes` to `fd`, blocking, so they leave even when the event loop never turns again. */
function writeAll(fd: number, bytes: Buffer): void {
  let offset = 0;
  while (offset < bytes.length) {
    try {
      offset += writeSync(fd, bytes, offset, bytes.length - offset);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // The pool's end of the result pipe is closed (its process killed): nobody will read this frame or the next.
      // Thrown, the error would fail the run in flight (or be dropped between runs) and this process would wait for
      // its task channel to end.
      if (code === 'EPIPE' && fd === resultFd) poolGone();
      if (code !== 'EAGAIN') throw error;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
    }
  }
}

/**
 * The pool is gone (our channel ended, or its end of the result pipe closed): nothing more will come and nobody reads
 * what we send. An idle process is retired so, and the pool removes its scratch folder once it has exited; but when
 * the pool's process is gone (killed with SIGKILL, say), nobody else would remove it. Nothing in it is wanted by then:
 * the pool reads a run's leftovers only from a process it killed itself, mid-run, and that one never gets here.
 */
function poolGone(): never {
  try {
    if (scratchDir) rmSync(scratchDir, { recursive: true, force: true });
  } catch {
    // the pool removes it, if it can (a graded run may not remove the folder itself)
  }
  return exitProcess(0);
}

/** Send a frame to the pool. */
function send(frame: ChildFrame): void {
  writeAll(resultFd, encodeFrame(frame, stringify));
}

// Ctrl-C in a terminal signals the whole process group, this process too, and a supervisor may signal the group with
// SIGTERM: raftlab decides what a stop means (it reports the runs in flight as stopped, and ends its run processes).
// Dying of it first, a run would be reported as a crash of the implementation. This process leaves when its channel
// ends (poolGone), whatever ends raftlab.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => {});

// Code under test may not end raftlab's process or reach Node's internal bindings on its own.
let exitCalled: { code: unknown; stack: string } | undefined;
process.exit = ((code?: unknown) => {
  const error = new Error(`the implementation called process.exit(${code === undefined ? '' : String(code)})`);
  exitCalled ??= { code, stack: error.stack ?? '' };
  throw error;
}) as typeof process.exit;
for (const name of ['binding', '_linkedBinding'] as const) {
  Object.defineProperty(process, name, {
    value: () => {
      throw new Error(`process.${name} is not available to a Raft under raftlab`);
    },
    configurable: false,
    writable: false,
  });
}

// Console output is the implementation's; a run may write only so much of it (the rest is counted, not sent), so a
// flood neither fills this process's memory nor the pool's.
let consoleBudget = { left: Infinity, dropped: 0 };
for (const stream of [process.stdout, process.stderr]) {
  const write = stream.write.bind(stream) as (chunk: unknown, ...rest: unknown[]) => boolean;
  stream.write = ((chunk: unknown, ...rest: unknown[]): boolean => {
    const size = typeof chunk === 'string' ? Buffer.byteLength(chunk) : ((chunk as Uint8Array | undefined)?.byteLength ?? 0);
    if (size <= consoleBudget.left) {
      consoleBudget.left -= size;
      return write(chunk, ...rest);
    }
    // What fits is written; the rest is counted.
    const fits = consoleBudget.left;
    consoleBudget.left = 0;
    consoleBudget.dropped += size - fits;
    const callback = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
    if (fits > 0) return write(Buffer.from(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Uint8Array)).subarray(0, fits), callback);
    callback?.();
    return true;
  }) as typeof stream.write;
}

/** Until what the run printed has left this process (bounded by its budget). */
const drained = (stream: NodeJS.WriteStream): Promise<void> =>
  stream.writableLength === 0 ? Promise.resolve() : new Promise((resolve) => stream.once('drain', () => resolve()));

interface CurrentRun {
  runId: string;
  nonce: string;
  task: ChildTask;
  runtime: Runtime | undefined;
  recorder: TraceRecorder | undefined;
  /**
   * The events not yet in the trace file. Once written they are dropped: a long traced run keeps only what the
   * checker needs (everything, with --check), not its whole trace, in the heap the Raft runs in.
   */
  unwritten: TraceEvent[];
  lastFlushMs: number;
  logBuffer: NodeLogLine[];
  crash: { code: string; error: unknown } | undefined;
}

let current: CurrentRun | undefined;

/** Append the events recorded since the last flush to the run's trace file (one JSON line each). */
function flushTrace(run: CurrentRun): void {
  const events = run.unwritten;
  if (events.length === 0 || traceFd < 0) return;
  let text = '';
  for (let i = 0; i < events.length; i++) text += stringify(events[i]) + '\n';
  run.unwritten = [];
  run.lastFlushMs = nowMs();
  writeAll(traceFd, Buffer.from(text, 'utf8'));
}

/** Where the run is, in virtual time, for the pool to read if the run stops turning. */
function recordProgress(virtualMs: number, events: number): void {
  if (progressFd < 0) return;
  progressRecord.fill(0x20);
  progressRecord.write(stringify({ virtualMs, events }), 0, 'utf8');
  writeSync(progressFd, progressRecord, 0, progressRecord.length, 0);
}

function flushLogs(run: CurrentRun): void {
  if (run.logBuffer.length === 0) return;
  send({ type: 'log', runId: run.runId, nonce: run.nonce, lines: run.logBuffer });
  run.logBuffer = [];
}

// A throw nobody catches belongs to the run in flight: it fails that run (with its stack and its trace so far)
// instead of ending the process, and the process is replaced afterwards.
function onStray(code: string) {
  return (reason: unknown): void => {
    const run = current;
    if (!run) return; // between runs: the pool sees the process as unclean at the next check
    run.crash ??= { code, error: reason };
    run.runtime?.fail(reason);
  };
}
process.on('unhandledRejection', onStray('UNHANDLED_REJECTION'));
process.on('uncaughtException', onStray('UNCAUGHT_EXCEPTION'));

function errorResult(task: ChildTask, code: string, error: unknown): TestRunResult {
  const test = findTest(task.testId);
  const message = error instanceof ImplLoadError ? error.message : describeThrown(error);
  const stack = error instanceof Error ? (error.cause instanceof Error ? error.cause.stack : error.stack) : undefined;
  return {
    id: task.testId,
    part: test?.part ?? '?',
    description: test?.description ?? '',
    mode: task.mode,
    seed: task.seed,
    status: 'error',
    message,
    failureMessages: [message],
    errorCode: code,
    ...(stack ? { stack } : {}),
    output: [],
    testMs: 0,
    wallMs: 0,
    codecWarnings: [],
  };
}

const strayMessages: Record<string, string> = {
  UNHANDLED_REJECTION: 'the implementation threw inside an async function nobody awaited (an unhandled rejection)',
  UNCAUGHT_EXCEPTION: 'the implementation threw where nothing could catch it (an uncaught exception)',
};

async function runOne(frame: Extract<ParentFrame, { type: 'run' }>): Promise<void> {
  const { runId, nonce, task } = frame;
  const test = findTest(task.testId);
  const run: CurrentRun = {
    runId,
    nonce,
    task,
    runtime: undefined,
    recorder: undefined,
    unwritten: [],
    lastFlushMs: nowMs(),
    logBuffer: [],
    crash: undefined,
  };
  current = run;
  exitCalled = undefined;
  if (traceFd >= 0) closeSync(traceFd);
  traceFd = scratchDir && task.streamTrace ? openSync(`${scratchDir}/trace.ndjson`, 'w') : -1;
  recordProgress(0, 0);
  consoleBudget = { left: task.consoleCapBytes, dropped: 0 };
  // The progress frame tells the pool what the record would (and the record is for what frames cannot carry: a sim
  // run's time between ticks, written as it advances, below).
  const ticker = realSetInterval(() => {
    const virtualMs = run.runtime?.now() ?? 0;
    const events = run.runtime?.stats().events ?? 0;
    if (run.task.streamTrace) flushTrace(run);
    send({ type: 'progress', runId, nonce, virtualMs, events });
    flushLogs(run);
  }, task.progressIntervalMs);

  let result: TestRunResult;
  let violations: Violation[] = [];
  try {
    if (!test) throw new Error(`unknown test ${task.testId}`);
    const mod = await importBuilt(task.file, runId);
    let seen = 0;
    const recorder = task.trace
      ? createTraceRecorder({
          ...(task.wholeValues ? { limits: wholeValueLimits } : {}),
          keep: task.check || !task.streamTrace,
          // Events leave as they come (in batches, every 10 ms or so), so a run that then hangs or dies still leaves
          // its trace up to the moment it stopped.
          onEvent: (event) => {
            if (!task.streamTrace) return;
            run.unwritten.push(event);
            if (++seen % 32 === 0 && nowMs() - run.lastFlushMs >= 10) flushTrace(run);
          },
        })
      : undefined;
    run.recorder = recorder;
    const hooks = recorder?.options;
    let lastReportMs = nowMs();
    let lastReportVirtualMs = -Infinity;
    result = await runTest(test, {
      mode: task.mode,
      seed: task.seed,
      make: mod.make,
      ...(mod.describeState ? { describeState: mod.describeState } : {}),
      // Every 100 ms of virtual time (or 20 ms of wall time) the progress record and the trace so far go to their
      // files: a run that then stops turning is reported with about the time it stopped at, and keeps its trace.
      simOptions: {
        onAdvance: (virtualMs) => {
          const now = nowMs();
          if (virtualMs - lastReportVirtualMs < 100 && now - lastReportMs < 20) return;
          lastReportMs = now;
          lastReportVirtualMs = virtualMs;
          if (task.streamTrace) flushTrace(run);
          recordProgress(virtualMs, run.runtime?.stats().events ?? 0);
        },
      },
      onRuntime: (runtime) => {
        run.runtime = runtime;
      },
      ...(task.streamOutput
        ? {
            onOutput: (line: string) => {
              flushLogs(run); // the log lines logged before this output line go first (`test -v` prints them in order)
              send({ type: 'output', runId, nonce, lines: [line] });
            },
          }
        : {}),
      ...(hooks ? { netObserver: hooks.netObserver, onTraceEvent: hooks.onTraceEvent } : {}),
      onLog: (line: NodeLogLine) => {
        hooks?.onLog(line);
        if (task.streamLogs) {
          run.logBuffer.push(line);
          if (run.logBuffer.length >= 500) flushLogs(run);
        }
      },
      ...(task.chaos ? { chaos: task.chaos } : {}),
      ...(task.persistDir ? { persistDir: task.persistDir } : {}),
    });
    if (run.crash) {
      const stray = run.crash;
      const message = `${strayMessages[stray.code] ?? stray.code}: ${describeThrown(stray.error)}`;
      result = { ...result, status: 'error', message, errorCode: stray.code, failureMessages: [...result.failureMessages.filter((m) => m !== result.message), message] };
      const stack = stray.error instanceof Error ? stray.error.stack : undefined;
      if (stack) result.stack = stack;
      else delete result.stack;
    }
    const exit = exitCalled as { code: unknown; stack: string } | undefined;
    if (exit) {
      const message = `the implementation called process.exit(${exit.code === undefined ? '' : String(exit.code)}): a Raft must never end the tester's process`;
      result = { ...result, status: 'error', message, errorCode: 'IMPL_EXIT', failureMessages: [message], stack: exit.stack };
    }
    if (task.check && recorder) {
      violations = checkTrace(recorder.events as TraceEvent[]).violations;
      if (violations.length > 0) {
        const said = violations.map((v) => `safety violation: ${invariants[v.invariant].title}: ${v.message}`);
        // The tester's own verdict stays first when it failed too; a violation alone fails a run that passed.
        result =
          result.status === 'pass'
            ? { ...result, status: 'fail', message: said[0]!, failureMessages: said, site: `safety:${violations[0]!.invariant}` }
            : { ...result, failureMessages: [...result.failureMessages, ...said] };
      }
    }
  } catch (error) {
    result = errorResult(task, error instanceof ImplLoadError ? error.code : 'HARNESS_ERROR', error);
  } finally {
    realClearInterval(ticker);
  }
  if (result.status === 'error' && /Access to this API has been restricted/.test(result.message ?? '')) {
    // Node's permission model (grading) refused a file, a process or a worker to the code under test.
    const message = `the implementation reached outside its own files, which grading forbids: ${result.message}`;
    result = { ...result, errorCode: 'PERMISSION_DENIED', message, failureMessages: [message] };
  }
  if (result.stack) result = { ...result, stack: mapStack(result.stack)! };
  const site = implementationSite(result.stack, task.sourceRoot, task.sourceDir);
  if (site) result = { ...result, site };

  const leftovers = describeLeftovers(baseline);
  const tampered = leftovers.filter((l) => l.startsWith('built-in'));
  if (tampered.length > 0) {
    const message = `the implementation changed JavaScript's built-ins (${tampered.join('; ')}): this run's verdict cannot be trusted`;
    result = { ...result, status: 'error', message, errorCode: 'IMPL_TAMPERED', failureMessages: [message] };
  }
  flushLogs(run);
  await Promise.all([drained(process.stdout), drained(process.stderr)]);
  const traceKept = !!run.recorder && (result.status !== 'pass' || task.keepPassing);
  if (traceKept) flushTrace(run);
  current = undefined;
  send({
    type: 'result',
    runId,
    nonce,
    result,
    violations,
    traceKept,
    clean: leftovers.length === 0 && !run.crash && !exitCalled,
    leftovers,
    consoleDroppedBytes: consoleBudget.dropped,
  });
  consoleBudget = { left: Infinity, dropped: 0 };
}

/** Given by raftlab's bundle loader (src/build/self-build.mjs): this process's work is not a run process's. */
declare const __raftlabSkipCodeCache: (() => void) | undefined;

async function probe(frame: Extract<ParentFrame, { type: 'probe' }>): Promise<void> {
  current = undefined;
  // A probed process never runs a test (WorkerPool.probe retires it): a code cache of what it compiled would leave out
  // what every run process after it compiles.
  if (typeof __raftlabSkipCodeCache === 'function') __raftlabSkipCodeCache();
  try {
    const mod = await importBuilt(frame.file, frame.runId);
    send({ type: 'probed', runId: frame.runId, nonce: frame.nonce, ok: true, describeState: !!mod.describeState });
  } catch (error) {
    const code = error instanceof ImplLoadError ? error.code : 'IMPL_LOAD_FAILED';
    const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
    const stack = mapStack(cause instanceof Error ? cause.stack : undefined);
    send({ type: 'probed', runId: frame.runId, nonce: frame.nonce, ok: false, code, message: (error as Error).message, ...(stack ? { stack } : {}) });
  }
}

const reader = new FrameReader();
const tasks = new net.Socket({ fd: taskFd, readable: true, writable: false });
const baseline: ProcessBaseline = captureIntrinsics();
let queue = Promise.resolve();
tasks.on('data', (chunk: Buffer) => {
  for (const frame of reader.push(chunk) as ParentFrame[]) {
    queue = queue.then(() => (frame.type === 'run' ? runOne(frame) : probe(frame)));
  }
});
tasks.on('end', poolGone);
tasks.on('error', poolGone);
send({ type: 'ready', pid: process.pid, node: process.version });

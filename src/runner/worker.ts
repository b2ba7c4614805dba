/**
 * One runner worker: loads implementations itself (by folder), runs one test at a time with runTest and posts back
 * the plain result. An unhandled rejection or uncaught exception from the implementation is reported as a crash of
 * the current run; the parent then terminates this worker and starts another. With a trace spec, the run's events
 * are recorded and, when kept, written to a trace file before the result is posted (a crash writes what it has).
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { parentPort } from 'node:worker_threads';
import { findTest, loadImplementation, referenceImplDir, runTest, type LoadedImpl, type TestRunResult } from '../harness/tester/index.ts';
import { checkTrace, invariants, type Violation } from '../checker/index.ts';
import { createTraceRecorder, encodeTrace, traceHeaderFor, type TraceRecorder } from './trace/index.ts';
import type { RunTask, WorkerReply, WorkerRequest } from './types.ts';

const port = parentPort;
if (!port) throw new Error('src/runner/worker.ts must run in a worker thread');

const impls = new Map<string, LoadedImpl>();
let output: string[] = [];
let crashed = false;
let current: { task: RunTask; recorder: TraceRecorder | undefined } | undefined;

function post(reply: WorkerReply): void {
  port!.postMessage(reply);
}

/** Where a run's trace goes: one file per (test, seed, clock), so a rerun of the same seed replaces its own. */
export function traceFileFor(task: RunTask, dir: string): string {
  return path.join(dir, `${task.testId}-seed${task.seed}-${task.mode}.trace.gz`);
}

/** Write the recorded trace if the spec keeps it. Synchronous, so a crashing worker still gets it out. */
function keepTrace(result: TestRunResult): string | undefined {
  if (!current?.recorder || !current.task.trace) return undefined;
  const { task, recorder } = current;
  const spec = task.trace!;
  if (spec.keep === 'failed' && result.status === 'pass') return undefined;
  const file = traceFileFor(task, spec.dir);
  const header = traceHeaderFor(result, {
    impl: path.resolve(task.implDir) === path.resolve(referenceImplDir) ? 'reference' : task.implDir,
    servers: findTest(task.testId)?.servers ?? 0,
  });
  mkdirSync(spec.dir, { recursive: true });
  writeFileSync(file, encodeTrace(header, recorder.events));
  return file;
}

function crash(code: string, reason: unknown): void {
  if (crashed) return;
  crashed = true;
  const error = reason instanceof Error ? reason : undefined;
  const message = error ? `${error.name}: ${error.message}` : `non-error value: ${String(reason)}`;
  let traceFile: string | undefined;
  if (current) {
    const test = findTest(current.task.testId);
    try {
      traceFile = keepTrace({
        id: current.task.testId,
        part: test?.part ?? '?',
        description: test?.description ?? '',
        mode: current.task.mode,
        seed: current.task.seed,
        status: 'error',
        message,
        failureMessages: [message],
        output,
        testMs: 0,
        wallMs: 0,
        codecWarnings: [],
      });
    } catch {
      // The crash report matters more than its trace.
    }
  }
  post({ type: 'crash', code, message, ...(error?.stack ? { stack: error.stack } : {}), output, ...(traceFile ? { traceFile } : {}) });
}

process.on('unhandledRejection', (reason) => crash('UNHANDLED_REJECTION', reason));
process.on('uncaughtException', (error) => crash('UNCAUGHT_EXCEPTION', error));

async function run(request: WorkerRequest): Promise<{ result: TestRunResult; traceFile: string | undefined; violations: Violation[] }> {
  const { task } = request;
  const test = findTest(task.testId);
  if (!test) throw new Error(`unknown test ${task.testId}`);
  let impl = impls.get(task.implDir);
  if (!impl) {
    impl = await loadImplementation(task.implDir);
    impls.set(task.implDir, impl);
  }
  output = [];
  const recorder = task.trace || task.check ? createTraceRecorder() : undefined;
  current = { task, recorder };
  let result = await runTest(test, {
    mode: task.mode,
    seed: task.seed,
    make: impl.make,
    describeState: impl.describeState,
    onOutput: (line) => output.push(line),
    ...(task.chaos ? { chaos: task.chaos } : {}),
    ...(recorder ? recorder.options : {}),
  });
  let violations: Violation[] = [];
  if (task.check && recorder) {
    violations = checkTrace(recorder.events).violations;
    if (violations.length > 0) {
      const said = violations.map((v) => `safety violation: ${invariants[v.invariant].title}: ${v.message}`);
      // The tester's own verdict stays first when it failed too; a violation alone fails a run that passed.
      result =
        result.status === 'pass'
          ? { ...result, status: 'fail', message: said[0]!, failureMessages: said }
          : { ...result, failureMessages: [...result.failureMessages, ...said] };
    }
  }
  return { result, traceFile: keepTrace(result), violations };
}

port.on('message', (request: WorkerRequest) => {
  run(request).then(
    ({ result, traceFile, violations }) => {
      current = undefined;
      if (!crashed) post({ type: 'result', result, ...(traceFile ? { traceFile } : {}), ...(violations.length ? { violations } : {}) });
    },
    (error: unknown) => crash((error as { code?: string } | null)?.code ?? 'WORKER_ERROR', error),
  );
});

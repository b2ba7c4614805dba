import type { ClockMode } from '../harness/runtime/index.ts';
import type { TestRunResult, TestStatus } from '../harness/tester/index.ts';
import type { Violation } from '../checker/index.ts';
import type { ChaosKnobs } from '../harness/chaos.ts';

/** One run to do: a test, a seed, a clock, and the implementation folder the worker loads itself. */
export interface RunTask {
  testId: string;
  mode: ClockMode;
  seed: number;
  /** Absolute path of the implementation folder. */
  implDir: string;
  /** Record the run's trace, and keep it as a file under `dir` when `keep` says so (failed: any run that did not pass). */
  trace?: TraceSpec;
  /** Run the safety checker over the run's trace: a violation fails the run even where the tester's checks passed. */
  check?: boolean;
  /** Harsher conditions (src/harness/chaos.ts). */
  chaos?: ChaosKnobs;
}

export type TraceKeep = 'failed' | 'all' | 'none';

export interface TraceSpec {
  keep: Exclude<TraceKeep, 'none'>;
  dir: string;
}

/** A run's status: runTest's, plus `timeout` when the watchdog had to terminate the worker. */
export type RunStatus = TestStatus | 'timeout';

/**
 * One finished run, plain data (structured-clone and JSON safe). `completed` is false when the worker died or was
 * terminated (timeout, out of memory, unhandled rejection...): then testMs is the wall time until it was stopped.
 */
export interface RunRecord extends Omit<TestRunResult, 'status'> {
  status: RunStatus;
  implDir: string;
  completed: boolean;
  /** Wall time from dispatch to the result, including worker start-up and loading when a fresh worker ran it. */
  dispatchWallMs: number;
  /** Set when the worker was fresh for this run (started, tsx registered, harness and impl imported). */
  freshWorker: boolean;
  /** What the implementation wrote to stdout/stderr directly (console.log), capped. */
  consoleOutput?: string;
  /** The trace file kept for this run (gzip NDJSON, see src/runner/trace/file.ts). */
  traceFile?: string;
  /** What the safety checker found (with --check). */
  violations?: Violation[];
}

/** Messages from the parent to a worker. */
export interface WorkerRequest {
  type: 'run';
  task: RunTask;
}

/** Messages from a worker to the parent. */
export type WorkerReply =
  | { type: 'result'; result: TestRunResult; traceFile?: string; violations?: Violation[] }
  | { type: 'crash'; code: string; message: string; stack?: string; output: string[]; traceFile?: string };

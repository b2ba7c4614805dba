import type { ClockMode } from '../harness/runtime/index.ts';
import type { TestRunResult, TestStatus } from '../harness/tester/index.ts';
import type { Violation } from '../checker/index.ts';
import type { ChaosKnobs } from '../harness/chaos.ts';
import type { SourceSnapshot } from '../harness/loader/index.ts';
import type { GoLab, GoRace, GoroutineTriage } from '../golab/index.ts';

/** The built implementation a run executes: the same for every run of a batch. */
export type ImplRef = TsImplRef | GoImplRef;

/** A TypeScript implementation, built into one module (src/harness/loader), run in a run process. */
export interface TsImplRef {
  kind?: 'ts';
  /** The built module. */
  file: string;
  /** Absolute folder the snapshot's paths start from (to point stacks at the student's own files). */
  sourceRoot: string;
  /** The folder the build read the implementation from (for a planted bug, its patched copy). */
  sourceDir: string;
  /** The source snapshot's hash: which code ran. */
  sourcesHash: string;
  /** How many files the snapshot holds. */
  sourceFiles: number;
}

/** A Go lab (src/golab): its cached test binary, started as a process of its own for each run. */
export interface GoImplRef {
  kind: 'go';
  binary: string;
  lab: GoLab;
  /** Built with -race. */
  race: boolean;
  /** `go1.19.8` */
  goVersion: string;
  /** The Go sources (to quote the line a goroutine waits on, and for the trace). */
  snapshot: SourceSnapshot;
  sourcesHash: string;
  sourceFiles: number;
}

/** One run to do: a test, a seed, a clock, and the built implementation. */
export interface RunTask {
  testId: string;
  mode: ClockMode;
  seed: number;
  /** Absolute path of the implementation folder (as the user named it). */
  implDir: string;
  impl: ImplRef;
  /** Keep each node's persisted state as JSON files under this folder (raftlab test --persist-dir). */
  persistDir?: string;
  /** Node flags for the run process (the permission model that confines a graded submission to its own build). */
  processFlags?: string[];
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
  /** The implementation's sources as they ran: each kept trace carries them (so it exports and replays as it ran). */
  sources?: SourceSnapshot;
  /** Keep arguments, replies, commands and log fields whole, not summarized (`raftlab export --full`). */
  wholeValues?: boolean;
}

/** A run's status: runTest's, plus `timeout` when the watchdog had to stop the run process. */
export type RunStatus = TestStatus | 'timeout';

/**
 * One finished run, plain data (structured-clone and JSON safe). `completed` is false when the worker died or was
 * terminated (timeout, out of memory, unhandled rejection...): then testMs is the wall time until it was stopped.
 */
export interface RunRecord extends Omit<TestRunResult, 'status'> {
  status: RunStatus;
  implDir: string;
  /** The hash of the source snapshot that ran. */
  sourcesHash?: string;
  /** The pool's id for the run (results are matched to it). */
  runId?: string;
  completed: boolean;
  /** Wall time from dispatch to the result, including the run process's start when a fresh one ran it. */
  dispatchWallMs: number;
  /** Set when a fresh run process was started for this run. */
  freshWorker: boolean;
  /** What the implementation wrote to stdout/stderr directly (console.log), capped. */
  consoleOutput?: string;
  /** Bytes of console output beyond the cap, dropped. */
  consoleDroppedBytes?: number;
  /** The trace file kept for this run (gzip NDJSON, see src/runner/trace/file.ts). */
  traceFile?: string;
  /** Why the trace could not be kept (a full disk, a read-only folder); the run's verdict does not change. */
  traceError?: string;
  /** What the safety checker found (with --check). */
  violations?: Violation[];
  /** A Go lab's run (its seed is only the run's number: Go runs are not replayable). */
  lang?: 'go';
  /** A Go run's failure: the line that reported it, as go test prints it (`config.go:345`). */
  location?: string;
  /** A Go run of a -race build. */
  race?: true;
  /** A Go run stopped by the watchdog, or ended by a fatal error: its goroutines, grouped by where they wait. */
  goroutines?: GoroutineTriage;
  /** The goroutine dump itself, as Go printed it (capped). */
  goroutineDump?: string;
  /** A Go run's -race reports, deduplicated by their pair of stacks, and how many reports there were. */
  races?: GoRace[];
  raceReports?: number;
}

import type { DescribeState, MakeRaft } from '../../../labs/api/index.ts';
import { chaosActive, type ChaosKnobs } from '../chaos.ts';
import { Codec, type CodecWarning } from '../codec/index.ts';
import type { NetObserver } from '../labrpc/index.ts';
import { makeRuntime, wallClockMs, type ClockMode, type Runtime, type SimOptions } from '../runtime/index.ts';
import type { TesterTraceEvent } from '../../trace/schema.ts';
import { ChaosMonkey } from './chaos-monkey.ts';
import { Config, type PassedLine } from './config.ts';
import type { NodeLogLine } from './node-runtime.ts';
import { PathCounter, countingPaths, type PathCounts } from './paths.ts';
import { TestFailure, makeTestingT } from './failure.ts';
import { testerTracing } from './tracing.ts';
import type { RaftTest, TestEnv } from './types.ts';
import { messageOf } from '../thrown.ts';

/** pass; fail: the test's own verdict (t.Fatalf, an apply error); error: anything else went wrong. */
export type TestStatus = 'pass' | 'fail' | 'error';

export interface TestRunOptions {
  mode: ClockMode;
  seed: number;
  make: MakeRaft;
  /** The implementation's describeState export, if any (LoadedImpl.describeState): how traced persists are read. */
  describeState?: DescribeState | undefined;
  /** Each line of the test's output as it is printed (the description, the Passed line, warnings). */
  onOutput?: (line: string) => void;
  /** The implementation's runtime.log lines. */
  onLog?: (line: NodeLogLine) => void;
  netObserver?: NetObserver;
  /**
   * The tester's own trace events (faults, checks, starts, applies, persists, state changes), ending with one
   * `test-end`. Tracing never changes a sim run. See src/runner/trace for a recorder that joins these with onLog
   * and netObserver.
   */
  onTraceEvent?: (event: TesterTraceEvent) => void;
  persistDir?: string;
  /** Harsher conditions than the course's (src/harness/chaos.ts); recorded in the result. */
  chaos?: ChaosKnobs;
  simOptions?: SimOptions;
  /** Called once with the run's runtime, before the test starts (a run process reports progress from it). */
  onRuntime?: (runtime: Runtime) => void;
}

export interface TestRunResult {
  id: string;
  part: string;
  description: string;
  mode: ClockMode;
  seed: number;
  status: TestStatus;
  /** Why it failed: the course's message for a failure, the error's message otherwise. */
  message?: string;
  /** Every failure message the test recorded, in order (a test can fail in several tasks). */
  failureMessages: string[];
  /** A code for errors that have one (SIM_DEADLOCK, IMPL_THREW, RPC_HANDLER_THREW, ...). */
  errorCode?: string;
  stack?: string;
  /**
   * Where it fired: for a failure, the check (config.go's and test_test.go's names: checkOneLeader, one, applier, the
   * test itself…; `safety:<rule>` for the checker); for an error, the implementation's own file and line
   * (`raft.ts:120:7`), when its stack passes through them. Set where it happens, never read back from a message.
   */
  site?: string;
  output: string[];
  passed?: PassedLine;
  /** Run-relative time at the end: virtual in sim mode. */
  testMs: number;
  /** Wall-clock time the run took. */
  wallMs: number;
  codecWarnings: CodecWarning[];
  /** The chaos knobs the run had on, if any (a replay needs them). */
  chaos?: ChaosKnobs;
  /** What the run exercised: elections, rejected AppendEntries by reason, InstallSnapshot, snapshots (paths.ts). */
  paths?: PathCounts;
}

/** Clean up every config a test made, its chaos first; `quietly` ignores cleanup's own failures (the test already failed). */
function cleanupAll(configs: readonly Config[], monkeys: readonly ChaosMonkey[], { quietly }: { quietly: boolean }): void {
  for (const monkey of monkeys) monkey.stop();
  for (const cfg of configs) {
    try {
      cfg.cleanup();
    } catch (error) {
      if (!quietly) throw error;
    }
  }
}

/** Run one graded test on a fresh runtime, network and cluster. Never throws for what the test or the Raft did. */
export async function runTest(test: RaftTest, options: TestRunOptions): Promise<TestRunResult> {
  const output: string[] = [];
  const print = (line: string): void => {
    output.push(line);
    options.onOutput?.(line);
  };
  const runtime = makeRuntime(options.mode, options.seed, { ...options.simOptions, interleave: options.chaos?.interleave ?? options.simOptions?.interleave });
  options.onRuntime?.(runtime);
  const codecWarnings: CodecWarning[] = [];
  const codec = new Codec({
    onWarning: (warning) => {
      codecWarnings.push(warning);
      print(`codec warning: ${warning.message}`);
    },
  });
  const t = makeTestingT(print, test.id);
  const configs: Config[] = [];
  const paths = new PathCounter();
  const monkeys: ChaosMonkey[] = [];
  const tracer = options.onTraceEvent
    ? testerTracing({ onEvent: options.onTraceEvent, runtime, codec, describeState: options.describeState })
    : undefined;
  const env: TestEnv = {
    t,
    random: runtime.stream('tester'),
    sleep: (ms) => runtime.sleep(ms),
    now: () => runtime.now(),
    go: <T,>(task: () => Promise<T>) => {
      const run = (): Promise<T | undefined> =>
        task().catch((error: unknown): undefined => {
          if (!(error instanceof TestFailure)) runtime.fail(error);
          return undefined;
        });
      // A goroutine of the test starts when the scheduler says (at level 0 at once, as raftlab ran before it had one).
      if (runtime.interleave === 0) return run();
      return new Promise<T | undefined>((resolve) => runtime.spawn('go', () => resolve(run())));
    },
    makeConfig: (n, unreliable, snapshot) => {
      const cfg = new Config(
        {
          t,
          runtime,
          make: options.make,
          random: env.random,
          codec,
          persistDir: options.persistDir,
          chaos: options.chaos,
          onLog: options.onLog,
          netObserver: options.netObserver,
          tracer: countingPaths(paths, tracer),
          onConfig: (made) => configs.push(made),
        },
        n,
        unreliable,
        snapshot,
      );
      monkeys.push(new ChaosMonkey(cfg, runtime, options.chaos).start());
      return cfg;
    },
  };

  const wallStart = wallClockMs();
  const result: TestRunResult = {
    id: test.id,
    part: test.part,
    description: test.description,
    mode: options.mode,
    seed: options.seed,
    status: 'pass',
    output,
    failureMessages: [],
    testMs: 0,
    wallMs: 0,
    codecWarnings,
    ...(chaosActive(options.chaos) ? { chaos: options.chaos } : {}),
  };
  try {
    await runtime.run(async () => {
      try {
        await test.run(env);
      } catch (error) {
        // Go's `defer cfg.cleanup()` after a failure: the test's error is the one to report.
        cleanupAll(configs, monkeys, { quietly: true });
        throw error;
      }
      cleanupAll(configs, monkeys, { quietly: false });
    });
    result.passed = configs.at(-1)?.passed;
    // A task started with env.go failed while the test itself ran on, as a goroutine's t.Fatalf does.
    if (t.failed()) throw new TestFailure(t.messages[0]!, t.sites[0]!);
  } catch (error) {
    result.status = error instanceof TestFailure ? 'fail' : 'error';
    result.message = messageOf(error);
    if (error instanceof TestFailure) result.site = error.site;
    const code = (error as { code?: unknown } | null)?.code;
    if (result.status === 'error' && typeof code === 'string') result.errorCode = code;
    if (result.status === 'error' && error instanceof Error) {
      // The stack that says where it went wrong: the innermost cause's (a handler's own throw inside RPC_HANDLER_THREW).
      let inner: unknown = error;
      while (inner instanceof Error && inner.cause instanceof Error) inner = inner.cause;
      const stack = (inner as Error).stack ?? error.stack;
      if (stack) result.stack = stack;
    }
  }
  result.failureMessages = [...t.messages];
  result.paths = paths.counts;
  if (result.message !== undefined && !result.failureMessages.includes(result.message)) result.failureMessages.push(result.message);
  result.testMs = runtime.now();
  options.onTraceEvent?.({ t: result.testMs, kind: 'test-end', status: result.status, message: result.message });
  result.wallMs = wallClockMs() - wallStart;
  return result;
}

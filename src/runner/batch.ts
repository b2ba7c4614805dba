/**
 * A batch: every selected test `count` times, seeds base+i, on a worker pool. Reports each finished run as it
 * comes (for progress and history) and summarizes per test at the end.
 */
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { ClockMode } from '../harness/runtime/index.ts';
import { addPathCounts, emptyPathCounts, findTest, TestSelectionError, type PathCounts, type RaftTest } from '../harness/tester/index.ts';
import { clusterFailures, type FailureCluster } from './cluster.ts';
import { dispatchOrder } from './dispatch-order.ts';
import { prepareImpl, snapshotOf, type PreparedImpl } from './impl.ts';
import { PoolClosedError, WorkerPool, type PoolOptions, type PoolStats, type RunHooks } from './pool.ts';
import { summarize, wilsonInterval, type DurationSummary, type Interval } from './stats.ts';
import type { RunRecord, RunTask } from './types.ts';

export interface BatchOptions {
  tests: readonly Pick<RaftTest, 'id'>[];
  count: number;
  baseSeed: number;
  mode: ClockMode;
  implDir: string;
  /** The implementation, already built and probed (prepareImpl); otherwise runBatch prepares implDir itself. */
  prepared?: PreparedImpl;
  parallel: number;
  /** Traces to record and keep (default: none). */
  trace?: RunTask['trace'];
  /** Run the safety checker on every run. */
  check?: boolean;
  /** Harsher conditions for every run. */
  chaos?: RunTask['chaos'];
  /** Stop dispatching after the first failure; runs in flight are cancelled (not recorded). */
  stopOnFail?: boolean;
  /** Aborting stops dispatching; runs in flight are cancelled (not recorded), as with stopOnFail. */
  signal?: AbortSignal;
  pool?: Omit<PoolOptions, 'size'>;
  /** Called as each run is handed to a worker and as it finishes, with the run's place in the batch (batchTasks' order). */
  onStart?: (task: RunTask, index: number) => void;
  onRun?: (record: RunRecord, index: number) => void;
  /** Live output of each run (raftlab test prints it). */
  hooks?: (task: RunTask, index: number) => RunHooks;
  /** Keep each node's persisted state under this folder, one subfolder per run (raftlab test --persist-dir). */
  persistDir?: string;
  /** A Go lab prepared here (not given as `prepared`): build it with -race. */
  race?: boolean;
  /** Node flags for the run processes (grading's permission model). */
  processFlags?: string[];
  /**
   * Hand each round's sim runs out heaviest first when more than one runs at once (dispatch-order.ts): `raftlab test
   * --parallel` does, its one round's longest run then does not start last. A sweep does not: there it took 1.04× the
   * CPU for the same wall (docs/benchmarks.md).
   */
  heaviestFirst?: boolean;
}

export interface TestSummary {
  id: string;
  runs: number;
  failed: number;
  failureRate: number;
  /** 95 % Wilson interval of the failure rate. */
  interval: Interval;
  /** The test's own time (virtual in sim mode), over the runs that completed. */
  testMs: DurationSummary;
  wallMs: DurationSummary;
  /** What its runs exercised (tester/paths.ts), when any run reported it. */
  paths?: TestPaths;
}

export interface TestPaths {
  /** Summed over the runs counted. */
  total: PathCounts;
  /** Runs that reported counts (a run whose process died reports none). */
  runsCounted: number;
  /** Of these, the runs that sent at least one InstallSnapshot: whether the test reached the install path at all. */
  runsWithInstallSnapshot: number;
}

export interface BatchResult {
  /** When the batch began (ISO 8601, UTC). */
  startedAt: string;
  mode: ClockMode;
  baseSeed: number;
  count: number;
  parallel: number;
  implDir: string;
  /** The hash of the sources every run of the batch ran. */
  sourcesHash: string;
  /** Every finished run, in the order they finished. */
  records: RunRecord[];
  /** The runs the batch did not reach (stopped at a failure, interrupted) or cancelled in flight: test and seed. */
  notRun: Array<{ id: string; seed: number }>;
  perTest: TestSummary[];
  clusters: FailureCluster[];
  failed: number;
  stopped: boolean;
  wallMs: number;
  pool: PoolStats;
  /** A Go lab's batch (its runs are the Go test binary's, on the wall clock; seeds only number them). */
  lang?: 'go';
  /** A Go lab built with -race. */
  race?: true;
}

/** The tasks of a batch: run i of every test before run i + 1 of any, so each test's counts grow together. */
export function batchTasks(
  options: Pick<BatchOptions, 'tests' | 'count' | 'baseSeed' | 'mode' | 'implDir' | 'trace' | 'check' | 'chaos' | 'persistDir' | 'processFlags'>,
  prepared: PreparedImpl,
): RunTask[] {
  const tasks: RunTask[] = [];
  // A Go run is the course's test binary: the wall clock, and none of the TypeScript harness's knobs.
  const go = prepared.kind === 'go';
  for (let i = 0; i < options.count; i++) {
    for (const test of options.tests) {
      const seed = options.baseSeed + i;
      tasks.push({
        testId: test.id,
        mode: go ? 'real' : options.mode,
        seed,
        implDir: prepared.dir,
        impl: prepared.ref,
        ...(options.persistDir && !go ? { persistDir: path.resolve(options.persistDir, `${test.id}-seed${seed}`) } : {}),
        ...(options.processFlags && !go ? { processFlags: options.processFlags } : {}),
        ...(options.trace ? { trace: { ...options.trace, sources: snapshotOf(prepared) } } : {}),
        ...(options.check ? { check: true } : {}),
        ...(options.chaos && !go ? { chaos: options.chaos } : {}),
      });
    }
  }
  return tasks;
}

export function summarizeTests(testIds: readonly string[], records: readonly Pick<RunRecord, 'id' | 'status' | 'completed' | 'testMs' | 'wallMs' | 'paths'>[]): TestSummary[] {
  return testIds.map((id) => {
    const mine = records.filter((r) => r.id === id);
    const failed = mine.filter((r) => r.status !== 'pass').length;
    const completed = mine.filter((r) => r.completed);
    const counted = mine.filter((r) => r.paths);
    const paths: TestPaths | undefined = counted.length
      ? {
          total: counted.reduce((sum, r) => addPathCounts(sum, r.paths), emptyPathCounts()),
          runsCounted: counted.length,
          runsWithInstallSnapshot: counted.filter((r) => r.paths!.installSnapshotSent > 0).length,
        }
      : undefined;
    return {
      id,
      runs: mine.length,
      failed,
      failureRate: mine.length ? failed / mine.length : 0,
      interval: wilsonInterval(failed, mine.length),
      testMs: summarize(completed.map((r) => r.testMs)),
      wallMs: summarize(completed.map((r) => r.wallMs)),
      ...(paths ? { paths } : {}),
    };
  });
}

const none: never[] = [];
Object.freeze(none);

/**
 * What a batch keeps of a finished run: a failure whole; a pass without the lines it printed, its strings shared
 * with the registry and the batch, so a sweep of thousands of runs keeps only a few hundred bytes each.
 */
export function keptRecord(record: RunRecord, shared: { implDir: string; sourcesHash: string }): RunRecord {
  const test = findTest(record.id);
  const common = {
    ...record,
    implDir: shared.implDir,
    sourcesHash: shared.sourcesHash,
    ...(test ? { part: test.part, description: test.description } : {}),
  };
  if (record.status !== 'pass') return common;
  const { consoleOutput: _console, runId: _runId, ...rest } = common;
  return { ...rest, output: none, failureMessages: none, codecWarnings: none };
}

export async function runBatch(options: BatchOptions): Promise<BatchResult> {
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const prepared = options.prepared ?? (await prepareImpl(options.implDir, options.pool, { race: options.race ?? false }));
  if (prepared.kind === 'go') {
    const known = new Set(prepared.tests.map((t) => t.id));
    const missing = options.tests.filter((t) => !known.has(t.id)).map((t) => t.id);
    if (missing.length) {
      throw new TestSelectionError('NO_TEST_MATCHES', `${prepared.dir} has no test ${missing.join(', ')}: its tests are ${[...known].join(', ')}`);
    }
  }
  const tasks = batchTasks(options, prepared);
  const shared = { implDir: prepared.dir, sourcesHash: prepared.ref.sourcesHash };
  const pool = new WorkerPool({ ...options.pool, size: Math.max(1, Math.min(options.parallel, tasks.length)) });
  const order = options.heaviestFirst ? dispatchOrder(tasks, (index) => Math.floor(index / options.tests.length), pool.options.size) : tasks.map((_, i) => i);
  const records: RunRecord[] = [];
  let stopped = false;
  let next = 0;
  const onAbort = (): void => {
    stopped = true;
    void pool.close();
  };
  if (options.signal?.aborted) onAbort();
  else options.signal?.addEventListener('abort', onAbort, { once: true });

  const lane = async (): Promise<void> => {
    while (!stopped && next < order.length) {
      const index = order[next++]!;
      const task = tasks[index]!;
      options.onStart?.(task, index);
      let record: RunRecord;
      try {
        record = await pool.run(task, options.hooks?.(task, index) ?? {});
      } catch (error) {
        if (error instanceof PoolClosedError) return;
        throw error;
      }
      if (stopped) return; // finished after the stop: not part of the batch
      options.onRun?.(record, index);
      records.push(keptRecord(record, shared));
      if (record.status !== 'pass' && options.stopOnFail) {
        stopped = true;
        await pool.close();
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: pool.options.size }, lane));
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    await pool.close();
  }
  const testIds = options.tests.map((t) => t.id);
  const ran = new Set(records.map((r) => `${r.id}\0${r.seed}`));
  return {
    startedAt,
    mode: prepared.kind === 'go' ? 'real' : options.mode,
    baseSeed: options.baseSeed,
    count: options.count,
    parallel: pool.options.size,
    implDir: prepared.dir,
    sourcesHash: prepared.ref.sourcesHash,
    records,
    notRun: tasks.filter((t) => !ran.has(`${t.testId}\0${t.seed}`)).map((t) => ({ id: t.testId, seed: t.seed })),
    perTest: summarizeTests(testIds, records),
    clusters: clusterFailures(records),
    failed: records.filter((r) => r.status !== 'pass').length,
    stopped: stopped && records.length < tasks.length,
    wallMs: performance.now() - started,
    pool: pool.stats,
    ...(prepared.kind === 'go' ? { lang: 'go' as const, ...(prepared.ref.race ? { race: true as const } : {}) } : {}),
  };
}

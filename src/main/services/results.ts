/**
 * A batch's results as the UI shows them: per test, its failure rate with the 95 % Wilson interval, its test times
 * and their histogram; the failures grouped by cause (src/runner/cluster.ts), each with its kept trace. Built from a
 * finished batch's records, or from the run summaries history keeps: the same view either way.
 */
import { summarizeTests } from '../../runner/batch.ts';
import { clusterFailures } from '../../runner/cluster.ts';
import type { RunSummary } from '../../runner/history.ts';
import type { BatchView, FailureClusterView, HistogramBin, RunView, TestResultView } from '../../shared/ipc.ts';

export const HISTOGRAM_BINS = 12;

/** Equal-width bins over [min, max] of the values (one bin when they are all equal). */
export function histogram(values: readonly number[], bins = HISTOGRAM_BINS): HistogramBin[] {
  if (values.length === 0) return [];
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (max === min) return [{ from: min, to: max, count: values.length }];
  const width = (max - min) / bins;
  const out: HistogramBin[] = Array.from({ length: bins }, (_, i) => ({ from: min + i * width, to: min + (i + 1) * width, count: 0 }));
  for (const v of values) out[Math.min(bins - 1, Math.floor((v - min) / width))]!.count++;
  return out;
}

/** What a result view reads of a run: a RunRecord and history's RunSummary both have it. */
export type ResultRun = Pick<RunSummary, 'id' | 'seed' | 'status' | 'message' | 'errorCode' | 'site' | 'testMs' | 'wallMs' | 'completed' | 'traceFile' | 'traceError' | 'paths'>;

export function runView(record: ResultRun): RunView {
  return {
    test: record.id,
    seed: record.seed,
    status: record.status,
    ...(record.message !== undefined ? { message: record.message.slice(0, 2_000) } : {}),
    testMs: record.testMs,
    wallMs: record.wallMs,
    ...(record.traceFile ? { traceFile: record.traceFile } : {}),
  };
}

/** Per-test results and failure clusters of some runs of the given tests. */
export function resultsView(testIds: readonly string[], runs: readonly ResultRun[], wallMs: number): NonNullable<BatchView['results']> {
  const perTest: TestResultView[] = summarizeTests(testIds, runs).map((t) => ({
    id: t.id,
    runs: t.runs,
    failed: t.failed,
    failureRate: t.failureRate,
    interval: { low: t.interval.low, high: t.interval.high },
    testMs: t.testMs.n > 0 ? { ...t.testMs } : null,
    histogram: histogram(runs.filter((r) => r.id === t.id && r.completed).map((r) => r.testMs)),
    ...(t.paths ? { paths: t.paths } : {}),
  }));
  // The runner's clusters carry their members: nothing here groups them again.
  const traceErrors = new Map(runs.flatMap((r) => (r.traceError !== undefined ? [[`${r.id}\0${r.seed}`, r.traceError] as const] : [])));
  const clusters: FailureClusterView[] = clusterFailures(runs).map((c) => ({
    test: c.test,
    site: c.site,
    message: c.message,
    example: c.example.slice(0, 2_000),
    count: c.count,
    statuses: [...c.statuses],
    shortestSeed: c.shortestSeed,
    failures: c.members.map((m) => {
      const traceError = traceErrors.get(`${c.test}\0${m.seed}`);
      return { seed: m.seed, status: m.status, ...(m.traceFile ? { traceFile: m.traceFile } : {}), ...(traceError !== undefined ? { traceError } : {}) };
    }),
  }));
  return { perTest, clusters, wallMs };
}

/** Small statistics for batch reports: Wilson score intervals and duration summaries. */

export interface Interval {
  low: number;
  high: number;
}

/**
 * The Wilson score interval for a binomial proportion: `failures` out of `runs`, at confidence z (1.96 for 95 %).
 * Unlike the normal approximation it stays inside [0, 1] and is informative at 0 failures: 0 of 20 gives [0, 16.1 %].
 */
export function wilsonInterval(failures: number, runs: number, z = 1.959963984540054): Interval {
  if (runs <= 0) return { low: 0, high: 1 };
  const p = failures / runs;
  const z2 = z * z;
  const denom = 1 + z2 / runs;
  const center = (p + z2 / (2 * runs)) / denom;
  const half = (z / denom) * Math.sqrt((p * (1 - p)) / runs + z2 / (4 * runs * runs));
  return { low: Math.max(0, center - half), high: Math.min(1, center + half) };
}

export interface DurationSummary {
  n: number;
  mean: number;
  /** Sample standard deviation (n - 1); 0 for a single value. */
  sd: number;
  /** 95th percentile, nearest rank. */
  p95: number;
  min: number;
  max: number;
}

export function summarize(values: readonly number[]): DurationSummary {
  const n = values.length;
  if (n === 0) return { n: 0, mean: NaN, sd: NaN, p95: NaN, min: NaN, max: NaN };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const variance = n > 1 ? values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1) : 0;
  const sorted = [...values].sort((a, b) => a - b);
  const p95 = sorted[Math.min(n - 1, Math.ceil(0.95 * n) - 1)]!;
  return { n, mean, sd: Math.sqrt(variance), p95, min: sorted[0]!, max: sorted[n - 1]! };
}

export const formatPercent = (x: number): string => `${(x * 100).toFixed(1)}%`;

export function formatSeconds(ms: number): string {
  if (!Number.isFinite(ms)) return '-';
  if (ms < 1000) return `${ms.toFixed(0)}ms`;
  return ms >= 10_000 ? `${(ms / 1000).toFixed(1)}s` : `${(ms / 1000).toFixed(2)}s`;
}

/** Small formatting helpers for the views. */

export const percent = (x: number | null | undefined, digits = 1): string =>
  x === null || x === undefined || !Number.isFinite(x) ? '–' : `${(x * 100).toFixed(digits)}%`;

export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–';
  if (ms < 1000) return `${ms.toFixed(0)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
}

export function when(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

/** The last path segment of a folder, for compact display. */
export const baseName = (p: string): string => p.replace(/[\\/]+$/, '').split(/[\\/]/).pop() ?? p;

/** A failure rate in words: `3 of 8 failed (37.5 %)`, `none of 8 failed`. */
export function failedOf(failed: number, runs: number): string {
  if (runs === 0) return 'never run';
  if (failed === 0) return `0 of ${runs} failed`;
  return `${failed} of ${runs} failed (${percent(failed / runs)})`;
}

/** An interval as `[13.7–69.4 %]`. */
export function interval(i: { low: number; high: number } | null | undefined): string {
  if (!i) return '';
  return `[${(i.low * 100).toFixed(1)}–${(i.high * 100).toFixed(1)}%]`;
}

/** The first 12 hex digits of a sources hash: a code version, as the CLI prints it. */
export const shortHash = (hash: string | null | undefined): string => (hash ? hash.slice(0, 12) : '–');

/** How the Grading page shows a submission × test: its colour by failure rate, its label, and its hover text. */
import type { GradeCellView } from '../../shared/ipc.ts';
import { interval, percent } from './format.ts';

/** none: no run yet; clean: runs, none failed; then by failure rate: low < 10 %, mid < 50 %, high < 100 %, all. */
export type RateBand = 'none' | 'clean' | 'low' | 'mid' | 'high' | 'all';

export function rateBand(cell: Pick<GradeCellView, 'runs' | 'failed'>): RateBand {
  if (cell.runs === 0) return 'none';
  if (cell.failed === 0) return 'clean';
  const rate = cell.failed / cell.runs;
  return rate >= 1 ? 'all' : rate >= 0.5 ? 'high' : rate >= 0.1 ? 'mid' : 'low';
}

/**
 * The cell's colour: green when no run failed; else from amber (a rare failure) to deep red (every run), so that
 * one failure in a hundred is never mistaken for none. No run yet: no colour.
 */
export function cellStyle(cell: Pick<GradeCellView, 'runs' | 'failed'>): Record<string, string> {
  if (cell.runs === 0) return {};
  if (cell.failed === 0) return { background: 'var(--grade-clean)', color: 'var(--ok)' };
  const rate = cell.failed / cell.runs;
  const lightness = 80 - 38 * rate;
  return { background: `hsl(${(42 - 42 * rate).toFixed(1)} 85% ${lightness.toFixed(1)}%)`, color: lightness < 60 ? '#fff' : '#3a1a00' };
}

/** What the cell says: its failed runs over its runs. */
export const cellLabel = (cell: Pick<GradeCellView, 'runs' | 'failed'>): string => (cell.runs === 0 ? '' : `${cell.failed}/${cell.runs}`);

/** Everything about the cell, for its hover text. */
export function cellTitle(submission: string, test: string, cell: GradeCellView, titles: Record<string, string>): string {
  const lines = [`${submission} · ${test}`];
  if (cell.runs === 0) lines.push('no run recorded yet');
  else lines.push(`${cell.failed} of ${cell.runs} runs failed: ${percent(cell.rate)}, 95 % interval ${interval(cell.interval)}`);
  const statuses = Object.entries(cell.statuses).map(([status, n]) => `${n} ${status}`);
  if (statuses.length) lines.push(statuses.join(', '));
  const violations = Object.entries(cell.violations).map(([id, n]) => `${titles[id] ?? id} ×${n}`);
  if (violations.length) lines.push(`checker: ${violations.join(', ')}`);
  if (cell.missing) lines.push(`${cell.missing} run${cell.missing === 1 ? '' : 's'} not recorded yet`);
  if (cell.failed) lines.push(`${cell.traces} trace${cell.traces === 1 ? '' : 's'} kept: click for the failed runs`);
  return lines.join('\n');
}

/** A test's id without `Test` and its part, for a narrow column: TestFigure8Unreliable2C → Figure8Unreliable. */
export const shortTestName = (id: string): string => id.replace(/^Test/, '').replace(/2[A-D]$/, '');

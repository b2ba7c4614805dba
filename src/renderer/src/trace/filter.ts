/** The log view's rows: indices of the events that pass the topic chips, the node filter and the search. */
import type { TraceData } from './data.ts';
import { lowerBound } from './model.ts';

export interface LogFilter {
  /** Topics shown; every other topic is hidden. */
  topics: ReadonlySet<string>;
  /** Case-insensitive substring over topic, node (`s2`) and prose; blank matches all. */
  search: string;
}

export function filterRows(data: TraceData, filter: LogFilter, from = 0, into?: number[]): number[] {
  const out = into ?? [];
  const q = filter.search.trim().toLowerCase();
  const n = data.length;
  for (let i = from; i < n; i++) {
    if (!filter.topics.has(data.topics[i]!)) continue;
    if (q && !data.text(i).includes(q)) continue;
    out.push(i);
  }
  return out;
}

/** The row showing `cursor`, or the last row before it (0 when none). */
export function rowOfEvent(rows: readonly number[], cursor: number): number {
  const i = lowerBound(rows, cursor);
  if (i < rows.length && rows[i] === cursor) return i;
  return Math.max(0, i - 1);
}

/**
 * Where the trace viewer gets a trace from: a header, an index of pages, and the pages themselves, each fetched
 * on demand. The app wraps its IPC calls in one; tests and the bench use `memoryTraceSource`.
 */
import type { TraceEvent } from '../../../trace/events.ts';
import type { TraceHeader, TraceIndex, TracePageInfo } from '../../../trace/file.ts';

export interface TraceSource {
  header(): Promise<TraceHeader>;
  index(): Promise<TraceIndex>;
  page(i: number): Promise<TraceEvent[]>;
}

/** A source over events held in memory, cut into pages of `pageSize` (as the trace file does). */
export function memoryTraceSource(header: TraceHeader, events: TraceEvent[], pageSize = 2000): TraceSource {
  if (!(pageSize >= 1)) throw new RangeError(`pageSize must be at least 1, got ${pageSize}`);
  const pages: TracePageInfo[] = [];
  for (let i = 0; i < events.length; i += pageSize) {
    const count = Math.min(pageSize, events.length - i);
    pages.push({ offset: i, length: count, count, firstT: events[i]!.t, lastT: events[i + count - 1]!.t });
  }
  const index: TraceIndex = { header: { offset: 0, length: 0 }, pages, events: events.length };
  return {
    header: () => Promise.resolve({ ...header, events: events.length }),
    index: () => Promise.resolve(index),
    page: (i) => {
      const info = pages[i];
      if (!info) return Promise.reject(new RangeError(`no page ${i} (the trace has ${pages.length})`));
      return Promise.resolve(events.slice(info.offset, info.offset + info.count));
    },
  };
}

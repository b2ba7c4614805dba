/**
 * The viewer's view of trace events: topics and their colours, and binary search by time. Topic, node and prose come
 * from src/runner/trace/describe.ts, shared with the exports.
 */
import type { TraceEvent } from '../../../trace/events.ts';

/** dslogs's topics (the implementation's runtime.log topics), then those the viewer gives trace events. */
export const logTopicNames = [
  'TIMR', 'VOTE', 'LEAD', 'TERM', 'LOG1', 'LOG2', 'CMIT', 'PERS', 'SNAP', 'DROP', 'CLNT', 'TEST', 'INFO', 'WARN', 'ERRO', 'TRCE',
] as const;
export const eventTopicNames = ['SEND', 'RECV', 'RPLY', 'LOST', 'CRSH', 'BOOT', 'CONN', 'DISC', 'APLY'] as const;
export const allTopics: readonly string[] = [...logTopicNames, ...eventTopicNames];

import { nodeOf } from '../../../trace/describe.ts';

export { describe, nodeOf, topicOf } from '../../../trace/describe.ts';

/** dslogs-ish colours per topic (foreground), readable on light and dark backgrounds. */
export const topicColors: Readonly<Record<string, string>> = {
  TIMR: '#9a9a99',
  VOTE: '#67a0b2',
  LEAD: '#d0b343',
  TERM: '#70c43f',
  LOG1: '#4878bc',
  LOG2: '#398280',
  CMIT: '#98719f',
  PERS: '#d08341',
  SNAP: '#fd971f',
  DROP: '#ff615c',
  CLNT: '#00813c',
  TEST: '#fe2c79',
  INFO: '#a0a0a0',
  WARN: '#d08341',
  ERRO: '#fe2626',
  TRCE: '#7f7f7f',
  SEND: '#4878bc',
  RECV: '#67a0b2',
  RPLY: '#398280',
  LOST: '#ff615c',
  CRSH: '#fe2626',
  BOOT: '#00813c',
  CONN: '#70c43f',
  DISC: '#d08341',
  APLY: '#98719f',
};

export const colorOf = (topic: string): string => topicColors[topic] ?? '#888888';

/** Number of node columns: the header's count, or one more than the largest node seen. */
export function serverCount(declared: number | undefined, events: readonly TraceEvent[]): number {
  let n = declared ?? 0;
  if (declared === undefined) {
    for (const e of events) {
      const node = nodeOf(e);
      if (node !== undefined && node + 1 > n) n = node + 1;
      if ((e.kind === 'send' || e.kind === 'drop' || e.kind === 'reply' || e.kind === 'reply-lost') && e.to + 1 > n) n = e.to + 1;
    }
  }
  return Math.max(1, n);
}

/** First index i in the sorted (non-decreasing) `ts` with ts[i] >= t (ts.length when none). */
export function lowerBound(ts: ArrayLike<number>, t: number, lo = 0, hi = ts.length): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ts[mid]! < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index i with ts[i] > t. */
export function upperBound(ts: ArrayLike<number>, t: number, lo = 0, hi = ts.length): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ts[mid]! <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

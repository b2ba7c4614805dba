/**
 * The trace's events (the schema is ./schema.ts, re-exported here) and the small helpers that read them: whose end
 * an RPC went through, a term in a decoded message, and summarize(), which keeps decoded values small.
 */

export type * from './schema.ts';
export { traceEventKinds, traceSchemaVersion } from './schema.ts';

/** End names are `${i}->${j}#${generation}` (Config.start1): the caller, the callee and the caller's incarnation. */
export function parseEndName(endName: string): { from: number; to: number; generation: number } | undefined {
  const m = /^(\d+)->(\d+)#(\d+)$/.exec(endName);
  if (!m) return undefined;
  return { from: Number(m[1]), to: Number(m[2]), generation: Number(m[3]) };
}

export interface SummarizeLimits {
  /** Arrays longer than this keep their first `keep` items and a count. */
  maxArray: number;
  keep: number;
  maxString: number;
  maxDepth: number;
}

export const defaultSummarizeLimits: SummarizeLimits = { maxArray: 8, keep: 3, maxString: 96, maxDepth: 5 };

/** No limits: arguments, replies, commands and fields kept whole (`raftlab export --full` re-records a run so). */
export const wholeValueLimits: SummarizeLimits = { maxArray: Infinity, keep: Infinity, maxString: Infinity, maxDepth: Infinity };

// The marks a summary leaves, shared with summarize-encoded.ts, which reads bytes into the same summary.
/** What a value nested deeper than maxDepth becomes, and what ends a cut string. */
export const summaryCut = '…';
export const bytesSummary = (length: number): { $bytes: number } => ({ $bytes: length });
export const longArraySummary = (length: number, head: unknown[]): { $len: number; head: unknown[] } => ({ $len: length, head });
/** A string of `length` characters whose first min(length, maxString) are `kept`. */
export const cutString = (kept: string, length: number, limits: SummarizeLimits): string => (length > limits.maxString ? kept + summaryCut : kept);

/**
 * A small, JSON-safe picture of a decoded value: long arrays (log entries) become their first items and a count
 * (`{ $len, head }`), bytes become `{ $bytes: n }`, long strings are cut, deep nesting stops at `'…'`.
 */
export function summarize(value: unknown, limits: SummarizeLimits = defaultSummarizeLimits, depth = 0): unknown {
  switch (typeof value) {
    case 'number':
      return Number.isFinite(value) ? value : String(value);
    case 'string':
      return cutString(value.slice(0, limits.maxString), value.length, limits);
    case 'boolean':
      return value;
    case 'bigint':
      return String(value);
    case 'undefined':
      return null;
    case 'object': {
      if (value === null) return null;
      if (value instanceof Uint8Array) return bytesSummary(value.length);
      if (depth >= limits.maxDepth) return summaryCut;
      if (Array.isArray(value)) {
        if (value.length <= limits.maxArray) return value.map((v) => summarize(v, limits, depth + 1));
        return longArraySummary(value.length, value.slice(0, limits.keep).map((v) => summarize(v, limits, depth + 1)));
      }
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = summarize(v, limits, depth + 1);
      return out;
    }
    default:
      return String(value);
  }
}

/** The `term` field of a decoded argument or reply, if it has a numeric one (Term or term). */
export function termOf(value: unknown): number | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const v = value as Record<string, unknown>;
  const term = v.term ?? v.Term;
  return typeof term === 'number' ? term : undefined;
}

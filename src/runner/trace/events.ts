/**
 * A trace: every event of one run as plain, serializable data. Each event has `t` (run-relative ms: virtual in sim
 * mode, wall-clock in real mode) and `kind`, and `node` / `term` where they apply.
 *
 * - network (from labrpc's NetEvent): send, deliver, drop, reply, reply-lost, with the RPC's id, both ends and the
 *   method; arguments and replies decoded and kept small (see `summarize`).
 * - the tester (TesterTraceEvent): test-begin / test-end, crash, restart, connect, disconnect, unreliable,
 *   long-reordering, check, one, wait, start, apply, apply-snapshot, persist, snapshot, state.
 * - the implementation's own `runtime.log` lines: log.
 */
import type { LogTopic } from '../../../labs/api/index.ts';
import type { DropReason, ReplyLostReason } from '../../harness/labrpc/index.ts';
import type { TesterTraceEvent } from '../../harness/tester/index.ts';

export type { TesterTraceEvent };

interface RpcBase {
  t: number;
  /** The RPC's id, shared by all its events. */
  rpc: number;
  method: string;
  /** Term carried by the arguments (send) or the reply (reply), when it has one. */
  term?: number | undefined;
}

export type NetTraceEvent =
  /** `node` sends to `to`; `generation` is the sender's incarnation (its restart count, as in `restart`). */
  | (RpcBase & { kind: 'send'; node: number; to: number; bytes: number; args: unknown; generation?: number | undefined })
  /** The request reached `node`'s handler. */
  | (RpcBase & { kind: 'deliver'; node: number; from: number })
  /** `node`'s request to `to` never reached a handler. */
  | (RpcBase & { kind: 'drop'; node: number; to: number; reason: DropReason })
  /** `node` got `to`'s reply. */
  | (RpcBase & { kind: 'reply'; node: number; to: number; bytes: number; reply: unknown; delayedMs?: number | undefined })
  /** `node`'s call to `to` was handled but its reply never came back. */
  | (RpcBase & { kind: 'reply-lost'; node: number; to: number; reason: ReplyLostReason });

export interface LogTraceEvent {
  t: number;
  kind: 'log';
  node: number;
  topic: LogTopic;
  message: string;
  fields?: unknown;
}

export type TraceEvent = NetTraceEvent | TesterTraceEvent | LogTraceEvent;
export type TraceEventKind = TraceEvent['kind'];

/** Every kind, for filters and tests. */
export const traceEventKinds: readonly TraceEventKind[] = [
  'send', 'deliver', 'drop', 'reply', 'reply-lost',
  'test-begin', 'test-end', 'crash', 'restart', 'connect', 'disconnect', 'unreliable', 'long-reordering',
  'check', 'one', 'wait', 'start', 'apply', 'apply-snapshot', 'persist', 'snapshot', 'state',
  'log',
];

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

/**
 * A small, JSON-safe picture of a decoded value: long arrays (log entries) become their first items and a count
 * (`{ $len, head }`), bytes become `{ $bytes: n }`, long strings are cut, deep nesting stops at `'…'`.
 */
export function summarize(value: unknown, limits: SummarizeLimits = defaultSummarizeLimits, depth = 0): unknown {
  switch (typeof value) {
    case 'number':
      return Number.isFinite(value) ? value : String(value);
    case 'string':
      return value.length > limits.maxString ? value.slice(0, limits.maxString) + '…' : value;
    case 'boolean':
      return value;
    case 'bigint':
      return String(value);
    case 'undefined':
      return null;
    case 'object': {
      if (value === null) return null;
      if (value instanceof Uint8Array) return { $bytes: value.length };
      if (depth >= limits.maxDepth) return '…';
      if (Array.isArray(value)) {
        if (value.length <= limits.maxArray) return value.map((v) => summarize(v, limits, depth + 1));
        return { $len: value.length, head: value.slice(0, limits.keep).map((v) => summarize(v, limits, depth + 1)) };
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

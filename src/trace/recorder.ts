/**
 * Records one run's trace. Spread `recorder.options` into runTest's options:
 *
 *   const recorder = createTraceRecorder();
 *   const result = await runTest(test, { mode, seed, make, ...recorder.options });
 *   recorder.events; // every event, in order
 *
 * The recorder never touches the run's random streams, timers or codec: it decodes payloads with its own codec.
 */
import { Codec } from '../harness/codec/index.ts';
import type { NetEvent, NetObserver } from '../harness/labrpc/index.ts';
import type { NodeLogLine, TestRunOptions } from '../harness/tester/index.ts';
import type { TesterTraceEvent } from './schema.ts';
import { summarizeEncoded } from './summarize-encoded.ts';
import {
  defaultSummarizeLimits,
  parseEndName,
  summarize,
  termOf,
  type NetTraceEvent,
  type SummarizeLimits,
  type TraceEvent,
} from './events.ts';

export type TraceHooks = Required<Pick<TestRunOptions, 'onLog' | 'netObserver' | 'onTraceEvent'>>;

export interface TraceRecorderOptions {
  /** Also called with each event as it is recorded (e.g. to stream it to the app). */
  onEvent?: (event: TraceEvent) => void;
  /** Keep events in `events` (default true); false to only stream them through onEvent. */
  keep?: boolean;
  /** How small decoded arguments, replies, commands and log fields are kept. */
  limits?: SummarizeLimits;
  /** Chain to other hooks the caller already has (e.g. `-v` printing of log lines). */
  also?: Partial<TraceHooks>;
}

export interface TraceRecorder {
  /** Spread into runTest's options. */
  readonly options: TraceHooks;
  /** The events recorded so far, in order. */
  readonly events: TraceEvent[];
}

interface RpcInfo {
  from: number;
  to: number;
  method: string;
}

export function createTraceRecorder(opts: TraceRecorderOptions = {}): TraceRecorder {
  const events: TraceEvent[] = [];
  const keep = opts.keep ?? true;
  const limits = opts.limits ?? defaultSummarizeLimits;
  const codec = new Codec({ onWarning: () => {} });
  const rpcs = new Map<number, RpcInfo>();
  const push = (event: TraceEvent): void => {
    // Plain data: no undefined fields, so an event equals its JSON round trip.
    for (const key in event) if ((event as unknown as Record<string, unknown>)[key] === undefined) delete (event as unknown as Record<string, unknown>)[key];
    if (keep) events.push(event);
    opts.onEvent?.(event);
  };
  const decode = (payload: Uint8Array): unknown => {
    try {
      return codec.decode(payload);
    } catch {
      return { $undecodable: payload.length };
    }
  };
  /** A payload's term and its summary: read straight from the bytes where it can be, else decoded whole. */
  const payloadOf = (payload: Uint8Array): { term: number | undefined; summary: unknown } => {
    const read = summarizeEncoded(payload, limits);
    if (read) return { term: termOf(read.value), summary: read.value };
    const decoded = decode(payload);
    return { term: termOf(decoded), summary: summarize(decoded, limits) };
  };

  const fromNet = (e: NetEvent): NetTraceEvent | undefined => {
    const ends = parseEndName(e.endName);
    const from = ends?.from ?? -1;
    const to = ends?.to ?? -1;
    switch (e.type) {
      case 'send': {
        rpcs.set(e.rpcId, { from, to, method: e.method });
        const args = payloadOf(e.payload);
        return {
          t: e.atMs, kind: 'send', rpc: e.rpcId, node: from, to, method: e.method, bytes: e.bytes, term: args.term, args: args.summary,
          ...(ends ? { generation: ends.generation } : {}),
        };
      }
      case 'deliver':
        return { t: e.atMs, kind: 'deliver', rpc: e.rpcId, node: to, from, method: rpcs.get(e.rpcId)?.method ?? e.method };
      case 'handled':
        return { t: e.atMs, kind: 'handled', rpc: e.rpcId, node: to, from, method: rpcs.get(e.rpcId)?.method ?? '', bytes: e.bytes };
      case 'drop': {
        const info = rpcs.get(e.rpcId);
        rpcs.delete(e.rpcId);
        return { t: e.atMs, kind: 'drop', rpc: e.rpcId, node: from, to, method: info?.method ?? '', reason: e.reason };
      }
      case 'reply': {
        const info = rpcs.get(e.rpcId);
        rpcs.delete(e.rpcId);
        const reply = payloadOf(e.payload);
        return {
          t: e.atMs, kind: 'reply', rpc: e.rpcId, node: from, to, method: info?.method ?? '', bytes: e.bytes,
          term: reply.term, reply: reply.summary, ...(e.delayedMs !== undefined ? { delayedMs: e.delayedMs } : {}),
        };
      }
      case 'reply-lost': {
        const info = rpcs.get(e.rpcId);
        rpcs.delete(e.rpcId);
        return { t: e.atMs, kind: 'reply-lost', rpc: e.rpcId, node: from, to, method: info?.method ?? '', reason: e.reason };
      }
    }
    return undefined;
  };

  const netObserver: NetObserver = (e) => {
    opts.also?.netObserver?.(e);
    const event = fromNet(e);
    if (event) push(event);
  };
  const onLog = (line: NodeLogLine): void => {
    opts.also?.onLog?.(line);
    push({
      t: line.atMs, kind: 'log', node: line.node, topic: line.topic, message: line.message,
      ...(line.fields !== undefined ? { fields: summarize(line.fields, limits) } : {}),
    });
  };
  const onTraceEvent = (e: TesterTraceEvent): void => {
    opts.also?.onTraceEvent?.(e);
    push(smallTesterEvent(e, limits));
  };
  return { options: { onLog, netObserver, onTraceEvent }, events };
}

/**
 * An event recorded with other limits, as it would have been recorded with `limits`: an event recorded whole
 * (wholeValueLimits) made small again equals the same event recorded with the default limits.
 */
export function summarizeEvent(e: TraceEvent, limits: SummarizeLimits = defaultSummarizeLimits): TraceEvent {
  switch (e.kind) {
    case 'send':
      return { ...e, args: summarize(e.args, limits) };
    case 'reply':
      return { ...e, reply: summarize(e.reply, limits) };
    case 'log':
      return e.fields === undefined ? e : { ...e, fields: summarize(e.fields, limits) };
    default:
      return smallTesterEvent(e as TesterTraceEvent, limits);
  }
}

/** The tester's events carry the implementation's values (commands) as they are; keep them small and JSON-safe. */
function smallTesterEvent(e: TesterTraceEvent, limits: SummarizeLimits): TraceEvent {
  switch (e.kind) {
    case 'one':
    case 'start':
    case 'apply':
      return { ...e, command: summarize(e.command, limits) };
    case 'wait':
      return 'value' in e ? { ...e, value: summarize(e.value, limits) } : e;
    case 'persist':
      // A vote that could not be read stays absent (summarize would make it null, which means "no vote").
      return e.votedFor === undefined ? { ...e } : { ...e, votedFor: summarize(e.votedFor, limits) };
    default:
      return { ...e };
  }
}

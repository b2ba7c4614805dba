/**
 * A Go run's lines as trace events. Two kinds of line come with the Go program's own clock:
 *
 * - debug lines in the dslogs convention of "Debugging by Pretty Printing": `TIME TOPIC S<n> message`, TIME in tenths
 *   of a millisecond since the program started (`%06d`), TOPIC one of dslogs's four-letter topics — a `log` event on
 *   node n (no `S<n>`: a line of the whole run);
 * - event lines of labs/go/raftlab_trace.go: `@raftlab {json}`, one trace event each (t in ms since the program started),
 *   checked field by field before it is kept: a line that does not check out stays a console line.
 */
import * as z from 'zod';
import { logTopics, type LogTopic } from '../../labs/api/index.ts';
import { summarize, type TraceEvent } from '../trace/events.ts';

/** A log line's timestamp, when the student kept log's default flags (`2021/03/04 10:00:00.123456 `). */
const logStamp = /^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d(?:\.\d+)? /;
/** And its file:line, with log.Lshortfile / Llongfile. */
const logFile = /^\S+\.go:\d+: /;

export const stripLogPrefix = (text: string): string => text.replace(logStamp, '').replace(logFile, '');

const topics = new Set<string>(logTopics);

export interface DebugLine {
  /** ms since the Go program started (the line's TIME / 10). */
  goMs: number;
  topic: LogTopic;
  /** Absent: a line of the whole run (dslogs prints it across the columns). */
  node?: number | undefined;
  message: string;
}

/** A dslogs-convention line, or undefined. A topic dslogs does not know is kept as INFO, the topic in the message. */
export function parseDebugLine(text: string): DebugLine | undefined {
  const m = /^(\d{1,12}) ([A-Z][A-Z0-9]{3}) (?:S(\d{1,3}) ?)?(.*)$/.exec(stripLogPrefix(text));
  if (!m) return undefined;
  const known = topics.has(m[2]!);
  return {
    goMs: Number(m[1]) / 10,
    topic: (known ? m[2] : 'INFO') as LogTopic,
    ...(m[3] !== undefined ? { node: Number(m[3]) } : {}),
    message: known ? m[4]! : `${m[2]} ${m[4]}`,
  };
}

const int = z.number().int().min(-1).max(Number.MAX_SAFE_INTEGER);
const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const node = z.number().int().min(0).max(255);
const method = z.string().min(1).max(100);
const digest = z.union([z.number(), z.string().max(100)]).nullable();
const base = { t: z.number().min(0).max(1e10) };

const eventLine = z.discriminatedUnion('kind', [
  z.object({ ...base, kind: z.literal('restart'), node, generation: count }),
  z.object({ ...base, kind: z.literal('crash'), node }),
  z.object({ ...base, kind: z.literal('state'), node, term: int, isLeader: z.boolean() }),
  z.object({ ...base, kind: z.literal('send'), rpc: count, node, to: node, method, bytes: count, term: int.optional(), args: z.unknown() }),
  z.object({ ...base, kind: z.literal('deliver'), rpc: count, node, from: node, method }),
  z.object({ ...base, kind: z.literal('reply'), rpc: count, node, to: node, method, bytes: count, term: int.optional(), reply: z.unknown() }),
  z.object({ ...base, kind: z.literal('reply-lost'), rpc: count, node, to: node, method, reason: z.enum(['reply-lost', 'server-dead']) }),
  z.object({ ...base, kind: z.literal('drop'), rpc: count, node, to: node, method, reason: z.enum(['request-lost', 'end-disabled']) }),
  z.object({
    ...base,
    kind: z.literal('persist'),
    node,
    bytes: count,
    term: int,
    votedFor: int.nullable(),
    source: z.literal('describeState').optional(),
    log: z
      .object({ snapshotIndex: count, from: count, lastIndex: count, terms: z.array(int).max(100_000), commands: z.array(digest).max(100_000) })
      .refine((l) => l.from >= l.snapshotIndex + 1 && l.terms.length === l.commands.length && l.lastIndex === l.from - 1 + l.terms.length, 'an inconsistent log change'),
  }),
  z.object({ ...base, kind: z.literal('start'), node, command: digest, index: int, term: int, isLeader: z.boolean() }),
  z.object({ ...base, kind: z.literal('apply'), node, index: count, command: digest }),
  z.object({ ...base, kind: z.literal('snapshot'), node, index: count, bytes: count }),
]);

/** An `@raftlab {json}` line as a trace event (t: the Go program's ms), or undefined when it is not a valid one. */
export function parseEventLine(text: string): TraceEvent | undefined {
  const at = text.indexOf('@raftlab {');
  if (at < 0) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(text.slice(at + '@raftlab '.length));
  } catch {
    return undefined;
  }
  const parsed = eventLine.safeParse(json);
  if (!parsed.success) return undefined;
  const e = parsed.data;
  switch (e.kind) {
    case 'send':
      return { t: e.t, kind: 'send', rpc: e.rpc, node: e.node, to: e.to, method: e.method, bytes: e.bytes, ...(e.term !== undefined ? { term: e.term } : {}), args: summarize(e.args) };
    case 'reply':
      return { t: e.t, kind: 'reply', rpc: e.rpc, node: e.node, to: e.to, method: e.method, bytes: e.bytes, ...(e.term !== undefined ? { term: e.term } : {}), reply: summarize(e.reply) };
    case 'persist': {
      const { log, ...rest } = e;
      return { ...rest, source: 'describeState', log: { snapshotIndex: log.snapshotIndex, from: log.from, terms: log.terms, commands: log.commands.map((c) => c ?? 'nil'), lastIndex: log.lastIndex } };
    }
    case 'start':
    case 'apply':
      return { ...e, command: e.command ?? 'nil' } as TraceEvent;
    default:
      return e as TraceEvent;
  }
}

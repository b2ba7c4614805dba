/**
 * Exports of a trace, each for the tool that reads it:
 *
 * - ndjson: the header on the first line, then one event a line in the form docs/schema/ publishes (every field of
 *   its kind, null where the run did not know it) — for jq, pandas, a notebook.
 * - text: dslogs's input, one line per event, `TIME TOPIC S<n> message` (TIME in dslogs's units, tenths of a
 *   millisecond, `%06d`), so `raftlab export F | dslogs -c 3` works as on the Go lab's own logs. Topics are dslogs's
 *   own set by default; `topics: 'raftlab'` uses raftlab's finer ones for network and tester events instead.
 * - columns: a column per node for reading in a terminal (what `dslogs -c N` shows), wrapped within its column with
 *   every row keeping its time and topic, coloured when asked.
 * - shiviz: a ShiViz log (the parsing regex, an empty delimiter line, then each event with its host and vector clock).
 *
 * Every format takes the same filter (a time window, nodes, kinds, no log lines): ShiViz's vector clocks are computed
 * over the events kept, so a trimmed log is still one ShiViz accepts.
 */
import { createColors } from 'picocolors';
import { describe, nodeOf, topicOf } from './describe.ts';
import { dslogsTime, dslogsTopicOf, type TopicSet } from './dslogs.ts';
import type { TraceEvent, TraceEventKind } from './events.ts';
import { readTraceEvents, readTraceHeader, type TraceHeader } from './file.ts';
import { eventFields, nullWhenAbsent } from './json-schema.ts';

export { describe, nodeOf, topicOf };
export { dslogsTime, dslogsTopicOf, dslogsTopics, raftlabExtraTopics, type TopicSet } from './dslogs.ts';

export const exportFormats = ['ndjson', 'text', 'columns', 'shiviz'] as const;
export type ExportFormat = (typeof exportFormats)[number];

// --- Filter -----------------------------------------------------------------------------------------------------

/** Which events an export keeps. */
export interface ExportFilter {
  /** Keep events with t ≥ fromMs (run-relative ms). */
  fromMs?: number;
  /** Keep events with t < toMs. */
  toMs?: number;
  /** Keep events on these nodes, and events on no node (the tester's own). */
  nodes?: readonly number[];
  /** Keep only these kinds. */
  kinds?: readonly TraceEventKind[];
  /** Drop the implementation's log lines. */
  noLogs?: boolean;
}

export function keepEvent(filter: ExportFilter): (e: TraceEvent) => boolean {
  const nodes = filter.nodes ? new Set(filter.nodes) : undefined;
  const kinds = filter.kinds ? new Set(filter.kinds) : undefined;
  return (e) => {
    if (filter.fromMs !== undefined && e.t < filter.fromMs) return false;
    if (filter.toMs !== undefined && e.t >= filter.toMs) return false;
    if (filter.noLogs && e.kind === 'log') return false;
    if (kinds && !kinds.has(e.kind)) return false;
    if (nodes) {
      const node = nodeOf(e);
      if (node !== undefined && !nodes.has(node)) return false;
    }
    return true;
  };
}

export function* filtered(events: Iterable<TraceEvent>, filter: ExportFilter): Generator<TraceEvent> {
  const keep = keepEvent(filter);
  for (const e of events) if (keep(e)) yield e;
}

// --- NDJSON -----------------------------------------------------------------------------------------------------

/** An event in the export's form: its kind's fields in the schema's order, null where absent (see json-schema.ts). */
export function exportedEvent(e: TraceEvent): Record<string, unknown> {
  const source = e as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const field of eventFields[e.kind] ?? []) {
    if (field in source) out[field] = source[field];
    else if (nullWhenAbsent(field)) out[field] = null;
  }
  // A field the schema does not list (a newer raftlab's) is kept rather than lost.
  for (const [field, v] of Object.entries(source)) if (!(field in out)) out[field] = v;
  return out;
}

export function* ndjsonLines(events: Iterable<TraceEvent>, header?: TraceHeader): Generator<string> {
  if (header) yield JSON.stringify(header);
  for (const e of events) yield JSON.stringify(exportedEvent(e));
}

// --- Text: dslogs's input ----------------------------------------------------------------------------------------

const oneLine = (s: string): string => s.replace(/[\r\n]+/g, ' ');

export interface TextOptions {
  topics?: TopicSet;
}

/** One event as dslogs reads it: `TIME TOPIC S<n> message`, or `TIME TEST message` for the tester's own. */
export function dslogsLine(e: TraceEvent, options: TextOptions = {}): string {
  const node = nodeOf(e);
  // dslogs reads the server from the message's second character: a line on no server must be a TEST line.
  const topic = node === undefined ? 'TEST' : options.topics === 'raftlab' ? topicOf(e) : dslogsTopicOf(e);
  return `${dslogsTime(e.t)} ${topic} ${node !== undefined ? `S${node} ` : ''}${oneLine(describe(e))}`.trimEnd();
}

/** The header as a dslogs TEST line. */
export function headerLine(header: TraceHeader): string {
  const impl = header.impl === 'reference' ? 'the reference' : header.impl;
  return oneLine(`${dslogsTime(0)} TEST ${header.test} seed ${header.seed} (${header.mode} clock, ${impl}): ${header.status}${header.message ? ` -- ${header.message}` : ''}`);
}

export function* textLines(events: Iterable<TraceEvent>, options: TextOptions & { header?: TraceHeader } = {}): Generator<string> {
  if (options.header) yield headerLine(options.header);
  for (const e of events) yield dslogsLine(e, options);
}

// --- Columns -----------------------------------------------------------------------------------------------------

export interface ColumnsOptions extends TextOptions {
  /** Number of node columns. */
  servers: number;
  /** Width of each node column (default 40). */
  columnWidth?: number;
  /** ANSI colours by topic (default off). */
  color?: boolean;
}

/** Split `s` into pieces of at most `width` characters, at spaces where possible; later pieces start with `  `. */
function wrap(s: string, width: number): string[] {
  const out: string[] = [];
  let rest = s;
  let room = width;
  while (rest.length > room) {
    let cut = rest.lastIndexOf(' ', room);
    if (cut <= room / 2) cut = room;
    out.push(rest.slice(0, cut));
    rest = rest.slice(cut).replace(/^ /, '');
    room = width - 2;
  }
  out.push(rest);
  return out.map((piece, i) => (i === 0 ? piece : `  ${piece}`));
}

type Paint = (s: string) => string;

function topicColors(enabled: boolean): (topic: string) => Paint {
  const c = createColors(enabled);
  const table: Record<string, Paint> = {
    TIMR: c.gray, VOTE: c.cyan, LEAD: c.yellow, TERM: c.green, LOG1: c.blue, LOG2: c.cyan, CMIT: c.magenta, PERS: c.yellow,
    SNAP: c.yellow, DROP: c.red, CLNT: c.green, TEST: (s) => c.bold(c.magenta(s)), INFO: c.white, WARN: c.yellow, ERRO: c.red, TRCE: c.red,
    SEND: c.blue, RECV: c.cyan, RTRN: c.cyan, RPLY: c.blue, LOST: c.red, CRSH: c.red, BOOT: c.green, CONN: c.green, DISC: c.red, APLY: c.magenta,
  };
  return (topic) => table[topic] ?? ((s) => s);
}

/**
 * The column view: the time (dslogs's units) and topic, then the message in its node's column (`S0`, `S1`, … each
 * `columnWidth` wide). A long message wraps within its column; every row it takes repeats the time and topic, so a
 * `grep` for a topic or a time never loses part of an event. The tester's own events span the row.
 */
export function* columnLines(events: Iterable<TraceEvent>, options: ColumnsOptions): Generator<string> {
  const width = options.columnWidth ?? 40;
  const n = Math.max(1, options.servers);
  const blank = ' '.repeat(width);
  const paint = topicColors(options.color ?? false);
  const dim = createColors(options.color ?? false).dim;
  yield ['TIME  ', 'TOPC', ...Array.from({ length: n }, (_, i) => `S${i}`.padEnd(width))].join(' ').trimEnd();
  for (const e of events) {
    const time = dslogsTime(e.t);
    const node = nodeOf(e);
    const topicName = node === undefined ? 'TEST' : options.topics === 'raftlab' ? topicOf(e) : dslogsTopicOf(e);
    const topic = topicName.padEnd(4).slice(0, 4);
    const color = paint(topicName);
    const message = oneLine(describe(e));
    if (node === undefined || node >= n) {
      yield `${time} ${color(topic)} ${color(`${node !== undefined ? `S${node} ` : ''}${message}`)}`.trimEnd();
      continue;
    }
    for (const [row, piece] of wrap(message, width).entries()) {
      const cols = Array.from({ length: n }, (_, i) => (i === node ? color(piece) + ' '.repeat(Math.max(0, width - piece.length)) : blank));
      const prefix = row === 0 ? `${time} ${color(topic)}` : dim(`${time} ${topic}`);
      yield `${prefix} ${cols.join(' ')}`.trimEnd();
    }
  }
}

// --- ShiViz -----------------------------------------------------------------------------------------------------

/** ShiViz's default log-parsing regular expression; the first line of the file, as ShiViz's file upload expects. */
export const shivizRegex = String.raw`(?<event>.*)\n(?<host>\S*) (?<clock>{.*})`;

type Clock = Record<string, number>;

/**
 * A ShiViz log: the parsing regex, an empty line (no multiple-executions delimiter), then two lines an event:
 * `<t>ms <TOPIC> <what>` and `<host> <vector clock>`. Hosts are `S0`…`Sn` and `tester`. Every event ticks its host's
 * own entry by one; a deliver merges the caller's clock at its send, and a reply merges the server's clock when its
 * handler returned (`handled`; at the deliver in traces recorded before it existed), so whatever the server did while
 * handling the request — a persist — happens before the caller's reply. The clocks are computed over the events
 * given: a filtered log is as consistent as a whole one.
 */
export function* shivizLines(events: Iterable<TraceEvent>): Generator<string> {
  yield shivizRegex;
  yield '';
  const step = shivizStepper();
  for (const e of events) yield* step(e);
}

/** The ShiViz entry of each event in turn (its two lines), with the clocks carried from one to the next. */
export function shivizStepper(): (e: TraceEvent) => [string, string] {
  const clocks = new Map<string, Clock>();
  const atSend = new Map<number, Clock>();
  const atServer = new Map<number, Clock>();
  const merge = (into: Clock, from: Clock | undefined): void => {
    if (!from) return;
    for (const [h, v] of Object.entries(from)) if ((into[h] ?? 0) < v) into[h] = v;
  };
  return (e) => {
    const node = nodeOf(e);
    const host = node === undefined ? 'tester' : `S${node}`;
    let clock = clocks.get(host);
    if (!clock) clocks.set(host, (clock = {}));
    if (e.kind === 'deliver') merge(clock, atSend.get(e.rpc));
    if (e.kind === 'reply') merge(clock, atServer.get(e.rpc));
    clock[host] = (clock[host] ?? 0) + 1;
    if (e.kind === 'send') atSend.set(e.rpc, { ...clock });
    if (e.kind === 'deliver' || e.kind === 'handled') {
      atSend.delete(e.rpc);
      atServer.set(e.rpc, { ...clock });
    }
    if (e.kind === 'drop') atSend.delete(e.rpc);
    if (e.kind === 'reply' || e.kind === 'reply-lost') atServer.delete(e.rpc);
    return [oneLine(`${Math.floor(e.t)}ms ${topicOf(e)} ${describe(e)}`), `${host} ${JSON.stringify(clock)}`];
  };
}

// --- From a file ------------------------------------------------------------------------------------------------

function serversOf(header: TraceHeader, events: readonly TraceEvent[]): number {
  if (header.servers && header.servers > 0) return header.servers;
  let max = -1;
  for (const e of events) max = Math.max(max, nodeOf(e) ?? -1);
  return max + 1;
}

export interface ExportOptions extends ExportFilter, TextOptions {
  /** columns: width of each node column. */
  columnWidth?: number;
  /** columns: colour by topic. */
  color?: boolean;
  /** Read the events from here instead of the file (the file still gives the header): `export --full`'s re-recording. */
  events?: AsyncIterable<TraceEvent> | Iterable<TraceEvent>;
}

/**
 * Export a trace file, line by line, to `write` (each call one line with its newline). The file is read page by
 * page and written as it is read; only columns holds the events (to know how many columns when the header does
 * not say).
 */
export async function exportTrace(
  file: string,
  format: ExportFormat,
  write: (chunk: string) => void | Promise<void>,
  options: ExportOptions = {},
): Promise<{ events: number }> {
  const header = await readTraceHeader(file);
  const keep = keepEvent(options);
  const source = options.events ?? readTraceEvents(file);
  let written = 0;
  async function* events(): AsyncGenerator<TraceEvent> {
    for await (const e of source) {
      if (!keep(e)) continue;
      written++;
      yield e;
    }
  }
  await exportEvents(header, format, events, write, options);
  return { events: written };
}

async function exportEvents(
  header: TraceHeader,
  format: ExportFormat,
  events: () => AsyncIterable<TraceEvent>,
  write: (chunk: string) => void | Promise<void>,
  options: ExportOptions,
): Promise<void> {
  if (format === 'ndjson') {
    await write(JSON.stringify(header) + '\n');
    for await (const e of events()) await write(JSON.stringify(exportedEvent(e)) + '\n');
    return;
  }
  if (format === 'text') {
    await write(headerLine(header) + '\n');
    for await (const e of events()) await write(dslogsLine(e, options) + '\n');
    return;
  }
  if (format === 'shiviz') {
    await write(`${shivizRegex}\n\n`);
    const step = shivizStepper();
    for await (const e of events()) {
      const [event, clock] = step(e);
      await write(`${event}\n${clock}\n`);
    }
    return;
  }
  const all: TraceEvent[] = [];
  for await (const e of events()) all.push(e);
  await write(`# ${header.test} seed ${header.seed} (${header.mode}) ${header.status}${header.message ? ': ' + oneLine(header.message) : ''}\n`);
  const lines = columnLines(all, {
    servers: serversOf(header, all),
    ...(options.columnWidth ? { columnWidth: options.columnWidth } : {}),
    ...(options.topics ? { topics: options.topics } : {}),
    ...(options.color ? { color: true } : {}),
  });
  for (const line of lines) await write(line + '\n');
}

/**
 * Exports of a trace: plain NDJSON; a dslogs-like text view (a time column, a 4-letter topic column, one column per
 * node, as dslogs prints with `-c N`); and a ShiViz log (each event with its host and vector clock).
 */
import { describe, nodeOf, topicOf } from './describe.ts';
import type { TraceEvent } from './events.ts';

export { describe, nodeOf, topicOf };
import { readTraceEvents, readTraceHeader, type TraceHeader } from './file.ts';

export const exportFormats = ['ndjson', 'text', 'shiviz'] as const;
export type ExportFormat = (typeof exportFormats)[number];

// --- NDJSON -----------------------------------------------------------------------------------------------------

export function* ndjsonLines(events: Iterable<TraceEvent>): Generator<string> {
  for (const e of events) yield JSON.stringify(e);
}

// --- Text: dslogs's column view ----------------------------------------------------------------------------------

export interface TextOptions {
  /** Number of node columns. */
  servers: number;
  /** Width of each node column (default 40). */
  columnWidth?: number;
}

/** Split `s` into pieces of at most `width` characters, at spaces where possible. */
function wrap(s: string, width: number): string[] {
  const out: string[] = [];
  let rest = s;
  while (rest.length > width) {
    let cut = rest.lastIndexOf(' ', width);
    if (cut <= width / 2) cut = width;
    out.push(rest.slice(0, cut));
    rest = rest.slice(cut).replace(/^ /, '');
  }
  out.push(rest);
  return out;
}

/**
 * dslogs's layout: `%06d` ms, the 4-letter topic, then the message in its node's column (`S0`, `S1`, … each
 * `columnWidth` wide), wrapped within the column. Tester-wide events (TEST) span the row, as dslogs prints them.
 */
export function* textLines(events: Iterable<TraceEvent>, options: TextOptions): Generator<string> {
  const width = options.columnWidth ?? 40;
  const n = Math.max(1, options.servers);
  const blank = ' '.repeat(width);
  yield ['TIME  ', 'TOPC', ...Array.from({ length: n }, (_, i) => `S${i}`.padEnd(width))].join(' ').trimEnd();
  for (const e of events) {
    const time = String(Math.max(0, Math.floor(e.t))).padStart(6, '0');
    const topic = topicOf(e).padEnd(4).slice(0, 4);
    const node = nodeOf(e);
    const message = describe(e);
    if (node === undefined || node >= n) {
      yield `${time} ${topic} ${node !== undefined ? `S${node} ` : ''}${message}`.trimEnd();
      continue;
    }
    for (const [row, piece] of wrap(message, width).entries()) {
      const cols = Array.from({ length: n }, (_, i) => (i === node ? piece.padEnd(width) : blank));
      const prefix = row === 0 ? `${time} ${topic}` : ' '.repeat(11);
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
 * own entry by one; a deliver merges the sender's clock at its send, a reply merges the server's clock at its
 * deliver (the handler's start), so receive ≥ send.
 */
export function* shivizLines(events: Iterable<TraceEvent>): Generator<string> {
  yield shivizRegex;
  yield '';
  const clocks = new Map<string, Clock>();
  const atSend = new Map<number, Clock>();
  const atDeliver = new Map<number, Clock>();
  const merge = (into: Clock, from: Clock | undefined): void => {
    if (!from) return;
    for (const [h, v] of Object.entries(from)) if ((into[h] ?? 0) < v) into[h] = v;
  };
  for (const e of events) {
    const node = nodeOf(e);
    const host = node === undefined ? 'tester' : `S${node}`;
    let clock = clocks.get(host);
    if (!clock) clocks.set(host, (clock = {}));
    if (e.kind === 'deliver') merge(clock, atSend.get(e.rpc));
    if (e.kind === 'reply') merge(clock, atDeliver.get(e.rpc));
    clock[host] = (clock[host] ?? 0) + 1;
    if (e.kind === 'send') atSend.set(e.rpc, { ...clock });
    if (e.kind === 'deliver') {
      atSend.delete(e.rpc);
      atDeliver.set(e.rpc, { ...clock });
    }
    if (e.kind === 'drop') atSend.delete(e.rpc);
    if (e.kind === 'reply' || e.kind === 'reply-lost') atDeliver.delete(e.rpc);
    yield `${Math.floor(e.t)}ms ${topicOf(e)} ${describe(e)}`.replace(/[\r\n]/g, ' ');
    yield `${host} ${JSON.stringify(clock)}`;
  }
}

// --- From a file ------------------------------------------------------------------------------------------------

async function collect(file: string): Promise<TraceEvent[]> {
  const events: TraceEvent[] = [];
  for await (const e of readTraceEvents(file)) events.push(e);
  return events;
}

function serversOf(header: TraceHeader, events: readonly TraceEvent[]): number {
  if (header.servers && header.servers > 0) return header.servers;
  let max = -1;
  for (const e of events) max = Math.max(max, nodeOf(e) ?? -1);
  return max + 1;
}

/**
 * Export a trace file, line by line, to `write` (each call one line with its newline). The file is read page by
 * page; text and shiviz hold the events in memory (text needs the node count when the header lacks it).
 */
export async function exportTrace(
  file: string,
  format: ExportFormat,
  write: (chunk: string) => void | Promise<void>,
  options: { columnWidth?: number } = {},
): Promise<void> {
  const header = await readTraceHeader(file);
  if (format === 'ndjson') {
    for await (const e of readTraceEvents(file)) await write(JSON.stringify(e) + '\n');
    return;
  }
  const events = await collect(file);
  const lines =
    format === 'text'
      ? textLines(events, { servers: serversOf(header, events), ...(options.columnWidth ? { columnWidth: options.columnWidth } : {}) })
      : shivizLines(events);
  if (format === 'text') {
    await write(`# ${header.test} seed ${header.seed} (${header.mode}) ${header.status}${header.message ? ': ' + header.message : ''}\n`);
  }
  for (const line of lines) await write(line + '\n');
}

/**
 * The on-disk trace: gzip'd NDJSON in independent gzip members, so a reader can page through a long run without
 * inflating all of it, while `zcat FILE` (or any gunzip) still reads the whole file as one NDJSON stream.
 *
 *   member 0        the header line: { format: 'raftlab-trace/1', test, seed, mode, impl, … }
 *   members 1..k    pages: `pageSize` events each, one JSON object a line
 *   member k+1      the index line: { "$index": { header: span, pages: [{ offset, length, count, firstT, lastT }] } }
 *   last member     the footer line: { "$indexAt": "<16 digits>" }, stored uncompressed so its size is fixed
 *
 * A reader takes the fixed-size footer from the end of the file, then the index, then only the members it needs.
 * Offsets are bytes from the start of the file. A truncated or corrupt file is a TraceFileError naming the file.
 */
import { readFileSync } from 'node:fs';
import { open, writeFile } from 'node:fs/promises';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { ChaosKnobs } from '../../harness/chaos.ts';
import type { TestRunResult } from '../../harness/tester/index.ts';
import type { TraceEvent } from './events.ts';

export const traceFormat = 'raftlab-trace/1';
export const defaultPageSize = 2000;

export interface TraceHeader {
  format: typeof traceFormat;
  test: string;
  seed: number;
  mode: 'sim' | 'real';
  /** The implementation folder ('reference' for the built-in Raft). */
  impl: string;
  raftlabVersion: string;
  /** The Node.js version that ran it. */
  node: string;
  status: 'pass' | 'fail' | 'error';
  message?: string | undefined;
  /** How many servers the test ran (the text export's columns). */
  servers?: number | undefined;
  /** Filled in by the writer. */
  events?: number;
  /** The chaos knobs the run had on (a replay turns them on again). */
  chaos?: ChaosKnobs | undefined;
}

const raftlabVersion = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** The header for a finished run. */
export function traceHeaderFor(result: TestRunResult, options: { impl?: string; servers?: number } = {}): TraceHeader {
  return {
    format: traceFormat,
    test: result.id,
    seed: result.seed,
    mode: result.mode,
    impl: options.impl ?? 'reference',
    raftlabVersion,
    node: process.version,
    status: result.status,
    ...(result.message !== undefined ? { message: result.message } : {}),
    ...(options.servers !== undefined ? { servers: options.servers } : {}),
    ...(result.chaos ? { chaos: result.chaos } : {}),
  };
}

export interface TracePageInfo {
  offset: number;
  length: number;
  count: number;
  /** t of the page's first and last event. */
  firstT: number;
  lastT: number;
}

export interface TraceIndex {
  header: { offset: number; length: number };
  pages: TracePageInfo[];
  events: number;
}

export type TraceFileErrorCode = 'TRACE_UNREADABLE' | 'TRACE_CORRUPT' | 'TRACE_BAD_PAGE' | 'TRACE_FORMAT';

export class TraceFileError extends Error {
  readonly code: TraceFileErrorCode;
  readonly file: string;
  constructor(code: TraceFileErrorCode, file: string, message: string, options?: { cause?: unknown }) {
    super(`${file}: ${message}`, options);
    this.name = 'TraceFileError';
    this.code = code;
    this.file = file;
  }
}

const footerText = (at: number): string => `{"$indexAt":"${String(at).padStart(16, '0')}"}\n`;
const gzipStored = (text: string): Buffer => gzipSync(Buffer.from(text, 'utf8'), { level: 0 });
/** The footer's size in bytes: the same for every offset (stored deflate, fixed-width digits). */
export const footerSize = gzipStored(footerText(0)).length;

const gz = (text: string): Buffer => gzipSync(Buffer.from(text, 'utf8'), { level: 6 });

/** The whole file's bytes. */
export function encodeTrace(header: TraceHeader, events: readonly TraceEvent[], { pageSize = defaultPageSize } = {}): Buffer {
  if (!(pageSize >= 1)) throw new RangeError(`pageSize must be at least 1, got ${pageSize}`);
  const parts: Buffer[] = [];
  let offset = 0;
  const add = (buf: Buffer): { offset: number; length: number } => {
    parts.push(buf);
    const span = { offset, length: buf.length };
    offset += buf.length;
    return span;
  };
  const headerSpan = add(gz(JSON.stringify({ ...header, format: traceFormat, events: events.length }) + '\n'));
  const pages: TracePageInfo[] = [];
  for (let i = 0; i < events.length; i += pageSize) {
    const page = events.slice(i, i + pageSize);
    const text = page.map((e) => JSON.stringify(e)).join('\n') + '\n';
    const span = add(gz(text));
    pages.push({ ...span, count: page.length, firstT: page[0]!.t, lastT: page.at(-1)!.t });
  }
  const index: TraceIndex = { header: headerSpan, pages, events: events.length };
  const indexAt = add(gz(JSON.stringify({ $index: index }) + '\n')).offset;
  add(gzipStored(footerText(indexAt)));
  return Buffer.concat(parts);
}

/** Write a trace file; returns its size in bytes. */
export async function writeTraceFile(
  file: string,
  header: TraceHeader,
  events: readonly TraceEvent[],
  options: { pageSize?: number } = {},
): Promise<number> {
  const bytes = encodeTrace(header, events, options);
  await writeFile(file, bytes);
  return bytes.length;
}

// --- Reading ---------------------------------------------------------------------------------------------------

async function readSpan(file: string, offset: number, length: number): Promise<Buffer> {
  let fh;
  try {
    fh = await open(file, 'r');
  } catch (error) {
    throw new TraceFileError('TRACE_UNREADABLE', file, `cannot open: ${(error as Error).message}`, { cause: error });
  }
  try {
    const buf = Buffer.alloc(length);
    const { bytesRead } = await fh.read(buf, 0, length, offset);
    if (bytesRead !== length) throw new TraceFileError('TRACE_CORRUPT', file, `truncated: wanted ${length} bytes at ${offset}, got ${bytesRead}`);
    return buf;
  } finally {
    await fh.close();
  }
}

async function fileSize(file: string): Promise<number> {
  let fh;
  try {
    fh = await open(file, 'r');
  } catch (error) {
    throw new TraceFileError('TRACE_UNREADABLE', file, `cannot open: ${(error as Error).message}`, { cause: error });
  }
  try {
    return (await fh.stat()).size;
  } finally {
    await fh.close();
  }
}

function inflate(file: string, buf: Buffer, what: string, code: TraceFileErrorCode = 'TRACE_CORRUPT'): string {
  try {
    return gunzipSync(buf).toString('utf8');
  } catch (error) {
    throw new TraceFileError(code, file, `${what} is not valid gzip (${(error as Error).message}): the file is truncated or corrupt`, { cause: error });
  }
}

function parseJson(file: string, text: string, what: string, code: TraceFileErrorCode = 'TRACE_CORRUPT'): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new TraceFileError(code, file, `${what} is not valid JSON (${(error as Error).message})`, { cause: error });
  }
}

/** The file's index: where the header and each page are. */
export async function readTraceIndex(file: string): Promise<TraceIndex> {
  const size = await fileSize(file);
  if (size < footerSize) throw new TraceFileError('TRACE_CORRUPT', file, `truncated: ${size} bytes is too short for a trace`);
  const footer = inflate(file, await readSpan(file, size - footerSize, footerSize), 'the footer');
  const m = /^\{"\$indexAt":"(\d{16})"\}\n$/.exec(footer);
  if (!m) throw new TraceFileError('TRACE_CORRUPT', file, 'no trace footer at the end: not a raftlab trace, or truncated');
  const indexAt = Number(m[1]);
  if (indexAt >= size - footerSize) throw new TraceFileError('TRACE_CORRUPT', file, `the footer points outside the file (${indexAt})`);
  const text = inflate(file, await readSpan(file, indexAt, size - footerSize - indexAt), 'the index');
  const parsed = parseJson(file, text, 'the index') as { $index?: TraceIndex } | null;
  const index = parsed?.$index;
  const inside = (s: { offset: number; length: number } | undefined): boolean =>
    !!s && Number.isSafeInteger(s.offset) && Number.isSafeInteger(s.length) && s.offset >= 0 && s.length > 0 && s.offset + s.length <= indexAt;
  if (!index || !inside(index.header) || !Array.isArray(index.pages) || !index.pages.every(inside)) {
    throw new TraceFileError('TRACE_CORRUPT', file, 'the index is malformed');
  }
  return index;
}

export async function readTraceHeader(file: string, index?: TraceIndex): Promise<TraceHeader> {
  const idx = index ?? (await readTraceIndex(file));
  const text = inflate(file, await readSpan(file, idx.header.offset, idx.header.length), 'the header');
  const header = parseJson(file, text, 'the header') as TraceHeader | null;
  if (!header || typeof header !== 'object' || header.format !== traceFormat) {
    throw new TraceFileError('TRACE_FORMAT', file, `not a ${traceFormat} file (format ${JSON.stringify(header?.format)})`);
  }
  return header;
}

/** One page of events (pageIndex from 0). */
export async function readTracePage(file: string, pageIndex: number, index?: TraceIndex): Promise<TraceEvent[]> {
  const idx = index ?? (await readTraceIndex(file));
  const page = idx.pages[pageIndex];
  if (!page) throw new RangeError(`${file}: no page ${pageIndex} (the trace has ${idx.pages.length})`);
  const what = `page ${pageIndex}`;
  const text = inflate(file, await readSpan(file, page.offset, page.length), what, 'TRACE_BAD_PAGE');
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  if (lines.length !== page.count) {
    throw new TraceFileError('TRACE_BAD_PAGE', file, `${what} holds ${lines.length} events, the index says ${page.count}`);
  }
  return lines.map((line, i) => parseJson(file, line, `${what}, event ${i}`, 'TRACE_BAD_PAGE') as TraceEvent);
}

/** Every event, page by page (one page in memory at a time). */
export async function* readTraceEvents(file: string): AsyncGenerator<TraceEvent> {
  const index = await readTraceIndex(file);
  for (let i = 0; i < index.pages.length; i++) yield* await readTracePage(file, i, index);
}


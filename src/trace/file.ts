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
import { randomBytes } from 'node:crypto';
import { open, rename, rm, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { gunzipSync, gzip, gzipSync } from 'node:zlib';
import type { ChaosKnobs } from '../harness/chaos.ts';
import type { TestRunResult } from '../harness/tester/index.ts';
import { raftlabVersion } from '../harness/paths.ts';
import type { SourceSnapshot } from '../harness/loader/index.ts';
import type { TraceEvent } from './events.ts';
import type { Same, TraceHeaderFromSchema } from './json-schema.ts';
import { parseTracePageText, TracePageTextError } from './page-text.ts';
import { traceSchemaVersion } from './schema.ts';

const gzipAsync = promisify(gzip);

export const traceFormat = 'raftlab-trace/1';
export const defaultPageSize = 2000;

export interface TraceHeader {
  format: typeof traceFormat;
  /** The event schema's version (traceSchemaVersion); absent in traces recorded before version 3. */
  schema?: number | undefined;
  test: string;
  seed: number;
  mode: 'sim' | 'real';
  /** The implementation folder ('reference' for the built-in Raft). */
  impl: string;
  raftlabVersion: string;
  /** The Node.js version that ran it. */
  node: string;
  status: 'pass' | 'fail' | 'error' | 'timeout';
  message?: string | undefined;
  /** The safety checker judged the run too (run --check): a replay judges it the same way. */
  checked?: boolean | undefined;
  /** The run was stopped (watchdog, crash) before it ended: the trace holds what it recorded until then. */
  truncated?: boolean | undefined;
  /** The implementation's sources as they ran (their snapshot's hash); the file carries the snapshot itself. */
  sources?: { hash: string; files: number } | undefined;
  /** How many servers the test ran (the text export's columns). */
  servers?: number | undefined;
  /** Filled in by the writer. */
  events?: number | undefined;
  /** The chaos knobs the run had on (a replay turns them on again). */
  chaos?: ChaosKnobs | undefined;
  /** A Go lab's run (src/golab): the course's Go tester on the wall clock, not replayable. Absent: TypeScript. */
  lang?: 'go' | undefined;
}

// A compile error here: TraceHeader and its schema in json-schema.ts disagree.
const headerAgrees: Same<TraceHeader, TraceHeaderFromSchema> = true;
void headerAgrees;

/** The header for a finished run. */
export function traceHeaderFor(
  result: Pick<TestRunResult, 'id' | 'seed' | 'mode' | 'message' | 'chaos'> & { status: TraceHeader['status'] },
  options: { impl?: string; servers?: number; sources?: TraceHeader['sources']; truncated?: boolean; checked?: boolean; lang?: 'go' } = {},
): TraceHeader {
  return {
    format: traceFormat,
    schema: traceSchemaVersion,
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
    ...(options.sources ? { sources: options.sources } : {}),
    ...(options.truncated ? { truncated: true } : {}),
    ...(options.checked ? { checked: true } : {}),
    ...(options.lang ? { lang: options.lang } : {}),
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
  /** Where the implementation's source snapshot is (gzip'd JSON), when the file carries it. */
  sources?: { offset: number; length: number };
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

/**
 * Write a trace from NDJSON chunks (what a run process streams: one event a line) to `file`, atomically: the bytes
 * go to a temporary file beside it that is renamed over it, so a failed write (a full disk) never leaves a partial
 * trace behind. Pages are compressed off the event loop. Returns the file's size.
 */
export async function writeTraceFromChunks(
  file: string,
  header: TraceHeader,
  chunks: readonly { text: string }[],
  options: { pageSize?: number; sources?: SourceSnapshot } = {},
): Promise<number> {
  const pageSize = options.pageSize ?? defaultPageSize;
  const lines: string[] = [];
  for (const chunk of chunks) if (chunk.text) for (const line of chunk.text.split('\n')) lines.push(line);
  const pageTexts: string[] = [];
  const pageInfo: Array<{ count: number; firstT: number; lastT: number }> = [];
  for (let i = 0; i < lines.length; i += pageSize) {
    const page = lines.slice(i, i + pageSize);
    pageTexts.push(page.join('\n') + '\n');
    const t = (line: string): number => (JSON.parse(line) as { t: number }).t;
    pageInfo.push({ count: page.length, firstT: t(page[0]!), lastT: t(page.at(-1)!) });
  }
  const headerBytes = await gzipAsync(Buffer.from(JSON.stringify({ ...header, format: traceFormat, events: lines.length }) + '\n', 'utf8'));
  const pageBytes = await Promise.all(pageTexts.map((text) => gzipAsync(Buffer.from(text, 'utf8'), { level: 6 })));
  const sourcesBytes = options.sources ? await gzipAsync(Buffer.from(JSON.stringify(options.sources), 'utf8')) : undefined;
  const parts: Buffer[] = [headerBytes];
  let offset = headerBytes.length;
  const pages: TracePageInfo[] = pageBytes.map((bytes, k) => {
    parts.push(bytes);
    const span = { offset, length: bytes.length };
    offset += bytes.length;
    return { ...span, ...pageInfo[k]! };
  });
  let sources: TraceIndex['sources'];
  if (sourcesBytes) {
    parts.push(sourcesBytes);
    sources = { offset, length: sourcesBytes.length };
    offset += sourcesBytes.length;
  }
  const index: TraceIndex = { header: { offset: 0, length: headerBytes.length }, pages, events: lines.length, ...(sources ? { sources } : {}) };
  const indexBytes = gzipSync(Buffer.from(JSON.stringify({ $index: index }) + '\n', 'utf8'), { level: 6 });
  parts.push(indexBytes, gzipStored(footerText(offset)));
  const bytes = Buffer.concat(parts);
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(temp, bytes);
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  return bytes.length;
}

/** The source snapshot a trace file carries, or undefined when it has none (traces from before raftlab 0.2). */
export async function readTraceSources(file: string, index?: TraceIndex): Promise<SourceSnapshot | undefined> {
  const idx = index ?? (await readTraceIndex(file));
  if (!idx.sources) return undefined;
  const text = inflate(file, await readSpan(file, idx.sources.offset, idx.sources.length), 'the sources');
  return parseJson(file, text, 'the sources') as SourceSnapshot;
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

function inflate(file: string, buf: Buffer, what: string): string {
  try {
    return gunzipSync(buf).toString('utf8');
  } catch (error) {
    throw new TraceFileError('TRACE_CORRUPT', file, `${what} is not valid gzip (${(error as Error).message}): the file is truncated or corrupt`, { cause: error });
  }
}

function parseJson(file: string, text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new TraceFileError('TRACE_CORRUPT', file, `${what} is not valid JSON (${(error as Error).message})`, { cause: error });
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
  if (!index || !inside(index.header) || !Array.isArray(index.pages) || !index.pages.every(inside) || (index.sources !== undefined && !inside(index.sources))) {
    throw new TraceFileError('TRACE_CORRUPT', file, 'the index is malformed');
  }
  return index;
}

export async function readTraceHeader(file: string, index?: TraceIndex): Promise<TraceHeader> {
  const idx = index ?? (await readTraceIndex(file));
  const text = inflate(file, await readSpan(file, idx.header.offset, idx.header.length), 'the header');
  const header = parseJson(file, text, 'the header') as Partial<TraceHeader> | null;
  if (!header || typeof header !== 'object' || header.format !== traceFormat) {
    throw new TraceFileError('TRACE_FORMAT', file, `not a ${traceFormat} file (format ${JSON.stringify(header?.format)})`);
  }
  if (typeof header.schema === 'number' && header.schema > traceSchemaVersion) {
    throw new TraceFileError('TRACE_FORMAT', file, `recorded by a newer raftlab (event schema ${header.schema}; this raftlab reads up to ${traceSchemaVersion})`);
  }
  const { firstIssue, traceHeaderReadSchema } = await import('./json-schema.ts');
  const parsed = traceHeaderReadSchema.safeParse(header);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const got = issue && issue.path.length === 1 ? ` (it says ${JSON.stringify((header as Record<string, unknown>)[String(issue.path[0])])})` : '';
    throw new TraceFileError('TRACE_FORMAT', file, `not a valid trace header: ${firstIssue(parsed.error)}${got}`);
  }
  return header as TraceHeader;
}

/** A page's text from its stored bytes (a gzip member), checked: it inflates, to as many lines as the index says. */
function pageText(file: string, pageIndex: number, page: TracePageInfo, gzip: Buffer): Buffer {
  let text: Buffer;
  try {
    text = gunzipSync(gzip);
  } catch (error) {
    throw new TraceFileError('TRACE_BAD_PAGE', file, `page ${pageIndex} is not valid gzip (${(error as Error).message}): the file is truncated or corrupt`, { cause: error });
  }
  // Every event ends its line, the last too: pages read one after another stay one event a line.
  if (text.length > 0 && text[text.length - 1] !== 10) throw new TraceFileError('TRACE_BAD_PAGE', file, `page ${pageIndex} does not end with a newline`);
  let lines = 0;
  for (let at = text.indexOf(10); at >= 0; at = text.indexOf(10, at + 1)) lines++;
  if (lines !== page.count) throw new TraceFileError('TRACE_BAD_PAGE', file, `page ${pageIndex} holds ${lines} events, the index says ${page.count}`);
  return text;
}

/** One page of events (pageIndex from 0). */
export async function readTracePage(file: string, pageIndex: number, index?: TraceIndex): Promise<TraceEvent[]> {
  const idx = index ?? (await readTraceIndex(file));
  const page = idx.pages[pageIndex];
  if (!page) throw new RangeError(`${file}: no page ${pageIndex} (the trace has ${idx.pages.length})`);
  const text = await readTracePagesText(file, pageIndex, 1, idx);
  try {
    return parseTracePageText(text.toString('utf8'), page.count);
  } catch (error) {
    if (error instanceof TracePageTextError) throw new TraceFileError('TRACE_BAD_PAGE', file, `page ${pageIndex}, ${error.message}`, { cause: error });
    throw error;
  }
}

/**
 * `count` pages from `from`, as the file stores them: their NDJSON text, one after the other (checked as
 * readTracePage checks each, but not parsed). What the app passes through to the viewer, which parses it.
 */
export async function readTracePagesText(file: string, from: number, count: number, index?: TraceIndex): Promise<Buffer> {
  const idx = index ?? (await readTraceIndex(file));
  const pages = idx.pages.slice(from, from + count);
  if (!(count >= 1) || pages.length !== count) throw new RangeError(`${file}: no pages ${from}..${from + count - 1} (the trace has ${idx.pages.length})`);
  // The pages lie one after another in the file: one read for all of them.
  const start = Math.min(...pages.map((p) => p.offset));
  const span = await readSpan(file, start, Math.max(...pages.map((p) => p.offset + p.length)) - start);
  return Buffer.concat(pages.map((page, k) => pageText(file, from + k, page, span.subarray(page.offset - start, page.offset - start + page.length))));
}

/** Every event, page by page (one page in memory at a time). */
export async function* readTraceEvents(file: string): AsyncGenerator<TraceEvent> {
  const index = await readTraceIndex(file);
  for (let i = 0; i < index.pages.length; i++) yield* await readTracePage(file, i, index);
}


/**
 * Traces for the UI: reading one (header, page index, pages), exporting it (the same code as `raftlab export`),
 * checking it for safety (as `raftlab check`) and replaying it (src/runner/replay.ts, as `raftlab replay`).
 *
 * The page names a trace by its path, so every call first asks `TraceAccess` whether the page may read it: the app's
 * own kept traces, and the files the user opened. No other path the page sends is read.
 */
import { realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { checkTrace, invariants } from '../../checker/checker.ts';
import { BundleError, createBundle } from '../../runner/bundle.ts';
import { replay, ReplayInputError, type ReplayReport } from '../../runner/replay.ts';
import { describe as describeEvent, exportTrace, nodeOf, topicOf } from '../../trace/export.ts';
import type { TraceEvent } from '../../trace/events.ts';
import {
  readTraceEvents,
  readTraceHeader,
  readTraceIndex,
  readTracePage,
  TraceFileError,
  type TraceHeader,
  type TraceIndex,
} from '../../trace/file.ts';
import type { TraceCheck, TraceEventSummary, TraceExportFormat, TraceReplay } from '../../shared/ipc.ts';
import { InputError } from '../rpc.ts';

/** Which trace files the page may read. */
export class TraceAccess {
  /** Files the user opened (by a desktop dialog or an upload kept in this launch's store), by their real path. */
  readonly #opened = new Set<string>();

  constructor(readonly tracesDir: string) {}

  /** Let the page read this file (the user chose it). */
  allow(file: string): string {
    const real = realpathSync(file);
    this.#opened.add(real);
    return real;
  }

  /** The real path of a trace the page may read; InputError otherwise. */
  check(file: string): string {
    if (!path.isAbsolute(file)) throw new InputError(`Not an absolute path: ${file}`);
    let real: string;
    let root: string;
    try {
      real = realpathSync(path.resolve(file));
      root = realpathSync(this.tracesDir);
    } catch {
      throw new InputError(`No such trace file: ${file}`);
    }
    const mine = real.startsWith(root + path.sep) && real.endsWith('.trace.gz');
    if (!(mine || this.#opened.has(real)) || !statSync(real).isFile()) {
      throw new InputError(`Not a trace of this app (only files under ${this.tracesDir}, or one you opened): ${file}`);
    }
    return real;
  }
}

/** An export's bytes, with the name and type to save them under. */
export interface TraceExportFile {
  fileName: string;
  mimeType: string;
  bytes: Buffer;
  warnings: string[];
}

const EXPORT_SUFFIX: Record<TraceExportFormat, { suffix: string; mimeType: string }> = {
  ndjson: { suffix: '.ndjson', mimeType: 'application/x-ndjson' },
  text: { suffix: '.txt', mimeType: 'text/plain; charset=utf-8' },
  shiviz: { suffix: '.shiviz.log', mimeType: 'text/plain; charset=utf-8' },
  bundle: { suffix: '.bundle.gz', mimeType: 'application/gzip' },
};

/** `<Test>-seed<n>.ndjson|.txt|.shiviz.log|.bundle.gz` */
export function exportFileName(header: Pick<TraceHeader, 'test' | 'seed'>, format: TraceExportFormat): string {
  return `${header.test}-seed${header.seed}${EXPORT_SUFFIX[format].suffix}`;
}

/** The command line that replays a trace (what the page shows for real-clock traces). */
export function replayCommandLine(file: string): string {
  return `npx raftlab replay ${JSON.stringify(file)}`;
}

function eventSummary(e: TraceEvent | undefined, index: number): TraceEventSummary | undefined {
  if (!e) return undefined;
  const node = nodeOf(e);
  return { index, t: e.t, ...(node !== undefined ? { node } : {}), topic: topicOf(e), text: describeEvent(e).slice(0, 500) };
}

async function readAllEvents(file: string): Promise<TraceEvent[]> {
  const events: TraceEvent[] = [];
  for await (const e of readTraceEvents(file)) events.push(e);
  return events;
}

/** A trace file error is the user's input being wrong (a truncated or foreign file), not the app failing. */
async function asInput<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof TraceFileError || error instanceof BundleError) throw new InputError(error.message);
    throw error;
  }
}

/**
 * Export a trace (the same code as `raftlab export`): the bytes and a suggested file name. Electron-free: the
 * desktop shell asks where to save them, the web server hands them to the page.
 */
export async function exportTraceFile(real: string, format: TraceExportFormat): Promise<TraceExportFile> {
  return asInput(async () => {
    const header = await readTraceHeader(real);
    let bytes: Buffer;
    const warnings: string[] = [];
    if (format === 'bundle') {
      const bundle = await createBundle(real);
      bytes = bundle.bytes;
      warnings.push(...bundle.warnings);
    } else {
      const chunks: string[] = [];
      await exportTrace(real, format, (chunk) => void chunks.push(chunk));
      bytes = Buffer.from(chunks.join(''), 'utf8');
    }
    return { fileName: exportFileName(header, format), mimeType: EXPORT_SUFFIX[format].mimeType, bytes, warnings };
  });
}

export class TraceService {
  constructor(
    readonly access: TraceAccess,
    private readonly timeoutMs?: number,
  ) {}

  async index(file: string): Promise<{ header: TraceHeader; index: TraceIndex }> {
    const real = this.access.check(file);
    return asInput(async () => {
      const index = await readTraceIndex(real);
      return { header: await readTraceHeader(real, index), index };
    });
  }

  async page(file: string, page: number): Promise<TraceEvent[]> {
    const real = this.access.check(file);
    return asInput(async () => {
      const index = await readTraceIndex(real);
      if (page >= index.pages.length) throw new InputError(`No page ${page}: the trace has ${index.pages.length}`);
      return readTracePage(real, page, index);
    });
  }

  /** A trace as NDJSON, text, ShiViz or a bundle: its bytes and suggested file name. */
  async export(file: string, format: TraceExportFormat): Promise<TraceExportFile> {
    return exportTraceFile(this.access.check(file), format);
  }

  /** The safety checker over a trace (as `raftlab check` does): each violation with its rule and event. */
  async check(file: string): Promise<TraceCheck> {
    const real = this.access.check(file);
    const events = await asInput(() => readAllEvents(real));
    const result = checkTrace(events);
    return {
      events: events.length,
      violations: result.violations.map((v) => ({
        invariant: v.invariant,
        title: invariants[v.invariant].title,
        rule: invariants[v.invariant].rule,
        message: v.message,
        eventIndex: v.eventIndex,
        t: events[v.eventIndex]?.t ?? 0,
        context: v.context,
      })),
      skipped: result.skipped.map((s) => ({ ...s, title: invariants[s.invariant].title })),
    };
  }

  /**
   * Replay a sim-clock trace (src/runner/replay.ts, as `raftlab replay` does): the same test, seed, chaos knobs,
   * checker and implementation, in a run process, compared with the recording event for event. Real-clock runs are
   * replayed from the command line.
   */
  async replay(file: string): Promise<TraceReplay> {
    const real = this.access.check(file);
    const header = await asInput(() => readTraceHeader(real));
    if (header.mode !== 'sim') {
      throw new InputError(`A real-clock run follows the machine's timing and is replayed from the command line: ${replayCommandLine(real)}`);
    }
    let report: ReplayReport;
    try {
      report = await replay(real, this.timeoutMs ? { pool: { timeoutMs: () => this.timeoutMs!, stallMs: this.timeoutMs } } : {});
    } catch (error) {
      if (error instanceof ReplayInputError) throw new InputError(error.message);
      throw error;
    }
    const d = report.firstDifference;
    return {
      test: report.test,
      seed: report.seed,
      recorded: report.recorded,
      replayed: { status: report.replayed.status, ...(report.replayed.message !== undefined ? { message: report.replayed.message } : {}), events: report.replayed.events },
      recurred: report.recurred,
      identical: report.identical ?? false,
      ...(d ? { firstDifference: { index: d.index, recorded: eventSummary(d.recorded, d.index), replayed: eventSummary(d.replayed, d.index) } } : {}),
      sourcesChanged: report.sourcesChanged,
      checked: report.checked,
      wallMs: report.wallMs,
    };
  }
}

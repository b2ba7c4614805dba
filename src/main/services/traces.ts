/**
 * Traces for the UI: opening one from anywhere (a file the user picked, uploaded or dropped: a trace, or a bundle,
 * whose trace opens and replays with the bundle's own sources), reading it (header, page index, pages), finding where
 * its run failed, exporting it (the same code as `raftlab export`), checking it for safety (as `raftlab check`) and
 * replaying it (src/runner/replay.ts, as `raftlab replay`).
 *
 * The page names a trace by its path, so every call first asks `TraceAccess` whether the page may read it: the app's
 * own kept traces, those a recorded batch names, and the files the user opened (uploaded bytes are kept in this
 * launch's own folder; a desktop dialog's choice is read where it is). No other path the page sends is read.
 */
import { copyFileSync, existsSync, mkdtempSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkTrace, invariants } from '../../checker/checker.ts';
import { BundleError, createBundle, readBundle } from '../../runner/bundle.ts';
import { replay, ReplayInputError, type ReplayReport } from '../../runner/replay.ts';
import { describe as describeEvent, exportTrace, nodeOf, topicOf } from '../../trace/export.ts';
import type { TraceEvent } from '../../trace/events.ts';
import {
  readTraceEvents,
  readTraceHeader,
  readTraceIndex,
  readTracePagesText,
  TraceFileError,
  type TraceHeader,
  type TraceIndex,
} from '../../trace/file.ts';
import type { OpenedTrace, TraceCheck, TraceEventSummary, TraceExportFormat, TraceFailure, TraceReplay } from '../../shared/ipc.ts';
import { InputError, TextBody } from '../rpc.ts';

/** Which trace files the page may read. */
export class TraceAccess {
  /** Files the user opened (by a desktop dialog or an upload kept in this launch's store), by their real path. */
  readonly #opened = new Set<string>();
  /** Folders of kept traces the user opened (a grade's traces/), by their real path: their .trace.gz files only. */
  readonly #folders = new Set<string>();

  constructor(readonly tracesDir: string) {}

  /** Let the page read this file (the user chose it, or a recorded batch names it). */
  allow(file: string): string {
    const real = realpathSync(file);
    this.#opened.add(real);
    return real;
  }

  /** Let the page read the trace files a recorded batch names (those that are still there). */
  allowRecorded(files: readonly string[]): void {
    for (const file of files) {
      if (!path.isAbsolute(file) || !file.endsWith('.trace.gz')) continue;
      try {
        if (statSync(file).isFile()) this.allow(file);
      } catch {
        // gone since: the page says so when it asks
      }
    }
  }

  /**
   * Let the page read the traces kept in a folder (a grade's traces/, which fills as the grade runs): any .trace.gz
   * whose real path is inside it, nothing else there.
   */
  allowFolder(dir: string): void {
    // Not made yet (no run has failed): the folder it will be, through its nearest existing parent's real path.
    let at = path.resolve(dir);
    const rest: string[] = [];
    while (!existsSync(at) && path.dirname(at) !== at) {
      rest.unshift(path.basename(at));
      at = path.dirname(at);
    }
    this.#folders.add(path.join(realpathSync(at), ...rest));
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
    const trace = real.endsWith('.trace.gz');
    const mine = trace && (real.startsWith(root + path.sep) || [...this.#folders].some((dir) => real.startsWith(dir + path.sep)));
    if (!(mine || this.#opened.has(real)) || !statSync(real).isFile()) {
      throw new InputError(`Not a trace of this app (only files under ${this.tracesDir}, a grade folder you opened, or one you opened): ${file}`);
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
export { replayCommandLine } from '../../runner/commands.ts';
import { replayCommandLine, testCommandLine } from '../../runner/commands.ts';

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

/** A file name as a person gave it, made safe to keep in the store (no folders, no odd characters). */
export function safeName(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? '';
  return base.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^\.+/, '').slice(0, 120) || 'opened';
}

/** This launch's folder for the files the user opened by their bytes (removed when the app closes). */
export class OpenedStore {
  #dir: string | undefined;
  #n = 0;

  /** A new file in the store named after `name` (`suffix` appended unless it already ends so). */
  path(name: string, suffix = ''): string {
    this.#dir ??= mkdtempSync(path.join(os.tmpdir(), 'raftlab-opened-'));
    const safe = safeName(name);
    return path.join(this.#dir, `${++this.#n}-${safe}${suffix && !safe.endsWith(suffix) ? suffix : ''}`);
  }

  close(): void {
    if (this.#dir) rmSync(this.#dir, { recursive: true, force: true });
    this.#dir = undefined;
  }
}

/** The server and index an applier's failure names (config.go's checkLogs messages). */
export function applyErrorSite(message: string): { node: number; index: number } | undefined {
  const mismatch = /^apply error: commit index=(\d+) server=(\d+) /.exec(message);
  if (mismatch) return { node: Number(mismatch[2]), index: Number(mismatch[1]) };
  const order = /^apply error: server (\d+) apply out of order (\d+)/.exec(message);
  if (order) return { node: Number(order[1]), index: Number(order[2]) };
  return undefined;
}

/** The tester's failures, as trace events: the first of these is where a run failed. */
function testerFailure(e: TraceEvent): boolean {
  return (e.kind === 'check' && !e.ok) || (e.kind === 'one' && e.phase === 'failed') || (e.kind === 'wait' && e.outcome === 'failed');
}

/** Trace indexes kept by the trace service (each is a few kilobytes). */
const tracesIndexedMax = 32;

export class TraceService {
  /** Traces opened from a bundle (their real path) → the bundle, which a replay runs with its own sources. */
  readonly #bundles = new Map<string, { bundle: string; name: string }>();
  readonly #opened = new Map<string, OpenedTrace>();
  /** The index of each trace lately read page by page, while its file stays as it was (size and mtime). */
  readonly #indexes = new Map<string, { size: number; mtimeMs: number; index: TraceIndex }>();

  constructor(
    readonly access: TraceAccess,
    private readonly timeoutMs?: number,
    readonly store: OpenedStore = new OpenedStore(),
  ) {}

  /**
   * Open a file the user chose: a bundle (validated; its trace is unpacked into the store and replays with the
   * bundle's sources) or a trace (read where it is if it is named .trace.gz, else copied into the store under that
   * name). Anything else is refused in words.
   */
  async openFile(file: string, name = path.basename(file)): Promise<OpenedTrace> {
    const bundle = await asInput(async () => readBundle(file));
    if (bundle) {
      const trace = this.store.path(`${bundle.run.test}-seed${bundle.run.seed}`, '.trace.gz');
      writeFileSync(trace, Buffer.from(bundle.trace, 'base64'));
      await this.#readable(trace, name);
      const real = this.access.allow(trace);
      this.#bundles.set(real, { bundle: this.access.allow(file), name });
      return this.#remember({ file: real, kind: 'bundle', name });
    }
    let trace = file;
    if (!file.endsWith('.trace.gz')) {
      trace = this.store.path(name, '.trace.gz');
      copyFileSync(file, trace);
    }
    await this.#readable(trace, name);
    return this.#remember({ file: this.access.allow(trace), kind: 'trace', name });
  }

  /** Open a file by its bytes (uploaded or dropped on the page): kept in this launch's store, then opened. */
  async openBytes(name: string, bytes: Buffer): Promise<OpenedTrace> {
    const kept = this.store.path(name);
    writeFileSync(kept, bytes);
    return this.openFile(kept, name);
  }

  #remember(opened: OpenedTrace): OpenedTrace {
    this.#opened.set(opened.file, opened);
    return opened;
  }

  async #readable(trace: string, name: string): Promise<void> {
    try {
      await readTraceHeader(trace, await readTraceIndex(trace));
    } catch (error) {
      if (error instanceof TraceFileError) throw new InputError(`${name} is neither a raftlab trace (.trace.gz) nor a bundle (.bundle.gz): ${error.message.replace(`${trace}: `, '')}`);
      throw error;
    }
  }

  async index(file: string): Promise<{ header: TraceHeader; index: TraceIndex; opened?: OpenedTrace; replayCommand: string }> {
    const real = this.access.check(file);
    return asInput(async () => {
      const index = await readTraceIndex(real);
      const opened = this.#opened.get(real);
      const header = await readTraceHeader(real, index);
      // A Go lab's run is not replayable: the command runs its test again instead.
      const command = header.lang === 'go' ? testCommandLine({ id: header.test, mode: header.mode, seed: header.seed, lang: 'go' }, header.impl) : replayCommandLine(real);
      return { header, index, ...(opened ? { opened } : {}), replayCommand: command };
    });
  }

  /**
   * Where the run failed: for a run the checker judged, the first event that broke a rule; else the first tester
   * check that failed (checkOneLeader, one(), a wait, the applier's check on an apply); else the test's end. Null for
   * a run that passed.
   */
  async failure(file: string): Promise<TraceFailure | null> {
    const real = this.access.check(file);
    const header = await asInput(() => readTraceHeader(real));
    if (header.status === 'pass') return null;
    const events = await asInput(() => readAllEvents(real));
    // A checked run: the first broken rule is where it went wrong, however the tester noticed later.
    if (header.checked) {
      const first = checkTrace(events).violations[0];
      if (first) return { eventIndex: first.eventIndex, t: events[first.eventIndex]?.t ?? 0, kind: 'violation', text: `${invariants[first.invariant].title}: ${first.message}` };
    }
    const at = events.findIndex(testerFailure);
    if (at >= 0) return { eventIndex: at, t: events[at]!.t, kind: 'check', text: describeEvent(events[at]!) };
    // The applier's checks fire on an apply (traced just before it is checked): the last one the message names.
    const applied = applyErrorSite(header.message ?? '');
    if (applied) {
      const i = events.findLastIndex((e) => e.kind === 'apply' && e.node === applied.node && e.index === applied.index);
      if (i >= 0) return { eventIndex: i, t: events[i]!.t, kind: 'check', text: header.message! };
    }
    let end = events.findLastIndex((e) => e.kind === 'test-end');
    if (end < 0) end = events.length - 1;
    if (end < 0) return null;
    return { eventIndex: end, t: events[end]!.t, kind: 'end', text: header.message ?? describeEvent(events[end]!) };
  }

  /** Remove this launch's store of opened files. */
  close(): void {
    this.store.close();
  }

  /** `count` pages from `page`, as the file stores them (NDJSON), checked but not parsed: the viewer parses them. */
  async pages(file: string, page: number, count = 1): Promise<TextBody> {
    const real = this.access.check(file);
    return asInput(async () => {
      const index = await this.#indexOf(real);
      if (page + count > index.pages.length) {
        throw new InputError(count === 1 ? `No page ${page}: the trace has ${index.pages.length}` : `No pages ${page}–${page + count - 1}: the trace has ${index.pages.length}`);
      }
      return new TextBody(await readTracePagesText(real, page, count, index));
    });
  }

  /** A viewer reads a trace's pages one after another: its index is read once, not once per page. */
  async #indexOf(file: string): Promise<TraceIndex> {
    const { size, mtimeMs } = statSync(file);
    const known = this.#indexes.get(file);
    if (known && known.size === size && known.mtimeMs === mtimeMs) return known.index;
    const index = await readTraceIndex(file);
    if (this.#indexes.size >= tracesIndexedMax) this.#indexes.delete(this.#indexes.keys().next().value!);
    this.#indexes.set(file, { size, mtimeMs, index });
    return index;
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
    if (header.lang === 'go') {
      throw new InputError(`A Go lab's run cannot be replayed (Go seeds its tester from crypto/rand and runs on the wall clock): run ${header.test} again instead`);
    }
    if (header.mode !== 'sim') {
      throw new InputError(`A real-clock run follows the machine's timing and is replayed from the command line: ${replayCommandLine(real)}`);
    }
    // A bundle's trace replays the bundle: with its own sources, wherever it came from.
    const from = this.#bundles.get(real)?.bundle;
    if (from && !existsSync(from)) throw new InputError(`The bundle this trace came from is gone: ${from}`);
    let report: ReplayReport;
    try {
      report = await replay(from ?? real, this.timeoutMs ? { pool: { timeoutMs: () => this.timeoutMs!, stallMs: this.timeoutMs } } : {});
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

/**
 * Results history: a data folder per user. Each batch is a folder of its own that only the process running it
 * writes, append-only, so nothing already recorded is ever rewritten:
 *
 *   batches/<id>/batch.json    settings, start time and owner (written once, atomically)
 *   batches/<id>/runs.ndjson   one run summary a line, appended as each run ends
 *   batches/<id>/end.json      state, totals and each test's counts and mean times (written once, atomically, when
 *                              the batch ends), so a reader of thousands of batches need not read their runs
 *   history.json               the index of batches: derived from the folders, rebuilt from them whenever it is
 *                              missing, unreadable or of the wrong shape (lowdb, written under history.lock)
 *
 * A run costs one appended line, so a long batch keeps its pace. A batch whose process died (kill -9) is marked
 * `interrupted` by the next raftlab that opens the history. Everything read is checked against a schema: a bad
 * line or file is skipped or set aside with a message, and the rest is kept. Batch ids are validated before they
 * name a path. Traces are not kept here (see src/runner/trace/).
 */
import { randomBytes } from 'node:crypto';
import {
  appendFileSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LowSync } from 'lowdb';
import * as z from 'zod';
import { chaosKnobsSchema, type ChaosKnobs } from '../harness/chaos-schema.ts';
import { pathCountsSchema } from '../harness/tester/paths-schema.ts';
import { writeAtomic } from '../harness/write-atomic.ts';
import type { RunRecord, RunStatus } from './types.ts';
import { processAlive } from './process-alive.ts';

/** Where history lives: --data, else $RAFTLAB_DATA, else $XDG_DATA_HOME/raftlab, else ~/.local/share/raftlab. */
export function resolveDataDir(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (explicit) return path.resolve(explicit);
  if (env.RAFTLAB_DATA) return path.resolve(env.RAFTLAB_DATA);
  if (env.XDG_DATA_HOME) return path.join(path.resolve(env.XDG_DATA_HOME), 'raftlab');
  return path.join(os.homedir(), '.local', 'share', 'raftlab');
}

/** A batch id: what `startBatch` makes (an ISO time and a random suffix). Nothing else names a path. */
export const batchIdPattern = /^[A-Za-z0-9-]{1,80}$/;
export const isBatchId = (id: string): boolean => batchIdPattern.test(id);

const runStatus = z.enum(['pass', 'fail', 'error', 'timeout']);

const runSummarySchema = z.object({
  id: z.string().max(100),
  seed: z.number().int().nonnegative(),
  mode: z.string().max(10),
  status: runStatus,
  message: z.string().max(2_000).optional(),
  errorCode: z.string().max(100).optional(),
  site: z.string().max(500).optional(),
  testMs: z.number(),
  wallMs: z.number(),
  completed: z.boolean(),
  traceFile: z.string().max(4_096).optional(),
  /** Why a failed run has no trace (it did not fail the same way from its seed again, say). */
  traceError: z.string().max(2_000).optional(),
  paths: pathCountsSchema.optional(),
});

/** One run as history keeps it: the verdict, timings and what it exercised, not the output or a trace. */
export type RunSummary = z.infer<typeof runSummarySchema>;

const settingsSchema = z.object({
  pattern: z.string().max(10_000),
  tests: z.array(z.string().max(100)).max(1_000),
  mode: z.string().max(10),
  baseSeed: z.number().int().nonnegative(),
  count: z.number().int().positive(),
  parallel: z.number().int().positive(),
  implDir: z.string().max(4_096),
  /** The hash of the sources the batch ran (its code version). */
  sourcesHash: z.string().max(100).optional(),
  /** The exact command line. */
  argv: z.array(z.string().max(10_000)).max(1_000),
  /** Chaos knobs the batch ran with (absent: the course's conditions). */
  chaos: chaosKnobsSchema.optional(),
  check: z.boolean().optional(),
  /** A Go lab's batch (the course's test binary), and whether it was built with -race. */
  lang: z.literal('go').optional(),
  race: z.boolean().optional(),
});

export type BatchSettings = z.infer<typeof settingsSchema> & { chaos?: ChaosKnobs | undefined };

const totalsSchema = z.object({ runs: z.number().int().nonnegative(), failed: z.number().int().nonnegative(), wallMs: z.number(), stopped: z.boolean() });
export type BatchTotals = z.infer<typeof totalsSchema>;

const testTotalsSchema = z.object({
  runs: z.number().int().nonnegative(),
  failed: z.number().int().nonnegative(),
  /** Runs that completed (not stopped by a watchdog), and their mean test time (virtual on the sim clock) and wall time. */
  completed: z.number().int().nonnegative(),
  testMsMean: z.number().nonnegative().optional(),
  wallMsMean: z.number().nonnegative().optional(),
  /** The last run recorded. */
  last: z.object({ status: z.enum(['pass', 'fail', 'error', 'timeout']), seed: z.number().int().nonnegative() }).optional(),
});
/** One test's runs in one batch, as end.json keeps them. */
export type TestTotals = z.infer<typeof testTotalsSchema>;

/** running: its process is alive (or was, last we knew); interrupted: its process died before it ended. */
export type BatchState = 'running' | 'done' | 'stopped' | 'interrupted';
const stateSchema = z.enum(['running', 'done', 'stopped', 'interrupted']);

const ownerSchema = z.object({ pid: z.number().int().positive(), host: z.string().max(255) });

const batchStartSchema = z.object({
  version: z.literal(2),
  id: z.string().regex(batchIdPattern),
  startedAt: z.string().max(40),
  owner: ownerSchema,
  settings: settingsSchema,
});

const batchEndSchema = z.object({
  state: stateSchema.exclude(['running']),
  finishedAt: z.string().max(40),
  totals: totalsSchema,
  /** Per test id (absent in batches of raftlab 0.1). */
  tests: z.record(z.string().max(100), testTotalsSchema).optional(),
});

const indexEntrySchema = z.object({
  id: z.string().regex(batchIdPattern),
  startedAt: z.string().max(40),
  pattern: z.string().max(10_000),
  mode: z.string().max(10),
  implDir: z.string().max(4_096),
  sourcesHash: z.string().max(100).optional(),
  chaos: chaosKnobsSchema.optional(),
  state: stateSchema,
  totals: totalsSchema.optional(),
});
export type BatchIndexEntry = z.infer<typeof indexEntrySchema>;

const indexSchema = z.object({ version: z.literal(2), batches: z.array(indexEntrySchema) });
type IndexFile = z.infer<typeof indexSchema>;

/** One batch, whole: what the app shows and `raftlab` history tools read. */
export interface BatchFile {
  id: string;
  startedAt: string;
  finishedAt?: string;
  state: BatchState;
  settings: BatchSettings;
  runs: RunSummary[];
  totals?: BatchTotals;
  /** Lines of runs.ndjson that could not be read (a torn last line after a crash, say). */
  skippedLines?: number;
}

/** One batch without its runs: what its start and end files say (cheap to read for thousands of batches). */
export interface BatchHead {
  id: string;
  startedAt: string;
  finishedAt?: string;
  state: BatchState;
  settings: BatchSettings;
  totals?: BatchTotals;
  /** Per test, from end.json (or counted from the runs, for a batch that has not ended or predates them). */
  tests: Record<string, TestTotals>;
}

type CountedRun = Pick<RunSummary, 'id' | 'status' | 'seed' | 'completed' | 'testMs' | 'wallMs'>;

/** Per-test totals, counted run by run (a recorder keeps counts, not the runs). */
export class TestTotalsCounter {
  readonly #sums = new Map<string, { t: TestTotals; testMs: number; wallMs: number }>();

  add(run: CountedRun): void {
    let s = this.#sums.get(run.id);
    if (!s) this.#sums.set(run.id, (s = { t: { runs: 0, failed: 0, completed: 0 }, testMs: 0, wallMs: 0 }));
    s.t.runs++;
    if (run.status !== 'pass') s.t.failed++;
    if (run.completed) {
      s.t.completed++;
      s.testMs += run.testMs;
      s.wallMs += run.wallMs;
    }
    s.t.last = { status: run.status, seed: run.seed };
  }

  totals(): Record<string, TestTotals> {
    const out: Record<string, TestTotals> = {};
    for (const [id, s] of this.#sums) {
      out[id] = { ...s.t, ...(s.t.completed ? { testMsMean: s.testMs / s.t.completed, wallMsMean: s.wallMs / s.t.completed } : {}) };
    }
    return out;
  }
}

/** Per-test totals of some runs (what end.json records, and what a reader counts for older batches). */
export function testTotals(runs: readonly CountedRun[]): Record<string, TestTotals> {
  const counter = new TestTotalsCounter();
  for (const run of runs) counter.add(run);
  return counter.totals();
}

export interface HistoryOptions {
  /** Keep at most this many batches; the oldest batch folders are deleted (default 5 000). */
  maxBatches?: number;
  /** Where to report what was set aside or skipped (default: stderr). */
  warn?: (message: string) => void;
}

export function summarizeRun(record: RunRecord): RunSummary {
  return {
    id: record.id,
    seed: record.seed,
    mode: record.mode,
    status: record.status,
    ...(record.message !== undefined ? { message: record.message.slice(0, 2_000) } : {}),
    ...(record.errorCode !== undefined ? { errorCode: record.errorCode } : {}),
    ...(record.site !== undefined ? { site: record.site } : {}),
    testMs: record.testMs,
    wallMs: record.wallMs,
    completed: record.completed,
    ...(record.traceFile !== undefined ? { traceFile: record.traceFile } : {}),
    ...(record.traceError !== undefined ? { traceError: record.traceError.slice(0, 2_000) } : {}),
    ...(record.paths !== undefined ? { paths: record.paths } : {}),
  };
}

export { writeAtomic };

/** lowdb's adapter contract over writeAtomic and a schema: unreadable or wrong-shaped data reads as null. */
class CheckedJsonFile<T> {
  constructor(
    private readonly file: string,
    private readonly schema: z.ZodType<T>,
  ) {}
  read(): T | null {
    if (!existsSync(this.file)) return null;
    try {
      const parsed = this.schema.safeParse(JSON.parse(readFileSync(this.file, 'utf8')));
      return parsed.success ? parsed.data : null;
    } catch {
      return null;
    }
  }
  write(data: T): void {
    writeAtomic(this.file, JSON.stringify(data, null, 1));
  }
}

const sleepSync = (ms: number): void => void Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/**
 * Hold `lockFile` while `fn` runs: one writer of the index at a time, across processes. A lock left by a dead
 * process (or older than 30 s) is taken over. Returns false, without running `fn`, if the lock stays busy.
 */
function withLock(lockFile: string, fn: () => void, waitMs = 5_000): boolean {
  const deadline = Date.now() + waitMs;
  for (;;) {
    let fd: number | undefined;
    try {
      fd = openSync(lockFile, 'wx');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    if (fd !== undefined) {
      try {
        writeSync(fd, JSON.stringify({ pid: process.pid, host: os.hostname() }));
        closeSync(fd);
        fn();
      } finally {
        rmSync(lockFile, { force: true });
      }
      return true;
    }
    try {
      const holder = JSON.parse(readFileSync(lockFile, 'utf8')) as { pid?: number; host?: string };
      const stale = (holder.host === os.hostname() && typeof holder.pid === 'number' && !processAlive(holder.pid)) || Date.now() - statSync(lockFile).mtimeMs > 30_000;
      if (stale) {
        unlinkSync(lockFile);
        continue;
      }
    } catch {
      // the holder is writing it, or just removed it: try again
    }
    if (Date.now() > deadline) return false;
    sleepSync(5 + Math.floor(Math.random() * 10));
  }
}

export class History {
  readonly dir: string;
  readonly indexFile: string;
  private readonly batchesDir: string;
  private readonly lockFile: string;
  private readonly maxBatches: number;
  private readonly warn: (message: string) => void;
  private readonly host = os.hostname();

  constructor(dataDir: string, options: HistoryOptions = {}) {
    this.dir = path.resolve(dataDir);
    this.indexFile = path.join(this.dir, 'history.json');
    this.batchesDir = path.join(this.dir, 'batches');
    this.lockFile = path.join(this.dir, 'history.lock');
    this.maxBatches = options.maxBatches ?? 5_000;
    this.warn = options.warn ?? ((m) => void process.stderr.write(m + '\n'));
    mkdirSync(this.batchesDir, { recursive: true });
  }

  private batchDir(id: string): string {
    if (!isBatchId(id)) throw new Error(`not a batch id: ${JSON.stringify(id)}`);
    return path.join(this.batchesDir, id);
  }

  /** Every batch, oldest first (the index, rebuilt from the batch folders when it cannot be read). */
  listBatches(): BatchIndexEntry[] {
    const index = new CheckedJsonFile(this.indexFile, indexSchema).read();
    return index ? this.markInterrupted(index.batches) : this.rebuildIndex();
  }

  /**
   * Rebuild the index from the batch folders (the truth): after a crash between a batch's files and the index,
   * after the index was lost or damaged, and after raftlab 0.1's single-file batches, which are converted here.
   */
  rebuildIndex(): BatchIndexEntry[] {
    if (existsSync(this.indexFile) && new CheckedJsonFile(this.indexFile, indexSchema).read() === null) {
      this.warn(`raftlab: the history index ${this.indexFile} is unreadable or of the wrong shape; rebuilding it from the batch folders`);
    }
    let entries: BatchIndexEntry[] | undefined;
    withLock(this.lockFile, () => {
      entries = this.scanFolders();
      new CheckedJsonFile(this.indexFile, indexSchema).write({ version: 2, batches: entries });
    });
    // A busy lock: read the folders anyway; the next writer rebuilds the file.
    return this.markInterrupted(entries ?? this.scanFolders());
  }

  /** The index as the batch folders say it is, oldest first. */
  private scanFolders(): BatchIndexEntry[] {
    this.convertLegacy();
    return readdirSync(this.batchesDir)
      .filter(isBatchId)
      .map((id) => this.entryFromFolder(id))
      .filter((e): e is BatchIndexEntry => e !== undefined)
      .sort((a, b) => (a.startedAt < b.startedAt ? -1 : a.startedAt > b.startedAt ? 1 : 0));
  }

  private readStart(id: string): z.infer<typeof batchStartSchema> | undefined {
    const file = path.join(this.batchDir(id), 'batch.json');
    const start = new CheckedJsonFile(file, batchStartSchema).read();
    if (!start || start.id !== id) {
      if (existsSync(file)) this.setAside(id, 'its batch.json is unreadable');
      return undefined;
    }
    return start;
  }

  private readEnd(id: string): z.infer<typeof batchEndSchema> | undefined {
    return new CheckedJsonFile(path.join(this.batchDir(id), 'end.json'), batchEndSchema).read() ?? undefined;
  }

  private readRuns(id: string): { runs: RunSummary[]; skipped: number } {
    let text: string;
    try {
      text = readFileSync(path.join(this.batchDir(id), 'runs.ndjson'), 'utf8');
    } catch {
      return { runs: [], skipped: 0 };
    }
    const runs: RunSummary[] = [];
    let skipped = 0;
    for (const line of text.split('\n')) {
      if (!line) continue;
      try {
        const parsed = runSummarySchema.safeParse(JSON.parse(line));
        if (parsed.success) runs.push(parsed.data);
        else skipped++;
      } catch {
        skipped++;
      }
    }
    return { runs, skipped };
  }

  private entryFromFolder(id: string): BatchIndexEntry | undefined {
    const start = this.readStart(id);
    if (!start) return undefined;
    const end = this.readEnd(id);
    const s = start.settings;
    return {
      id,
      startedAt: start.startedAt,
      pattern: s.pattern,
      mode: s.mode,
      implDir: s.implDir,
      ...(s.sourcesHash ? { sourcesHash: s.sourcesHash } : {}),
      ...(s.chaos ? { chaos: s.chaos } : {}),
      state: end?.state ?? 'running',
      ...(end ? { totals: end.totals } : {}),
    };
  }

  private setAside(id: string, why: string): void {
    let n = 1;
    while (existsSync(path.join(this.batchesDir, `${id}.corrupt-${n}`))) n++;
    try {
      renameSync(this.batchDir(id), path.join(this.batchesDir, `${id}.corrupt-${n}`));
      this.warn(`raftlab: history batch ${id} set aside (${why}): ${path.join(this.batchesDir, `${id}.corrupt-${n}`)}`);
    } catch {
      // another raftlab did it first
    }
  }

  /** raftlab 0.1 kept a batch in one JSON file; make it a folder like the others. */
  private convertLegacy(): void {
    for (const name of readdirSync(this.batchesDir)) {
      const m = /^([A-Za-z0-9-]{1,80})\.json$/.exec(name);
      if (!m) continue;
      const file = path.join(this.batchesDir, name);
      try {
        const old = JSON.parse(readFileSync(file, 'utf8')) as { id: string; startedAt: string; finishedAt?: string; state: string; settings: BatchSettings; runs: unknown[]; totals?: BatchTotals };
        const settings = settingsSchema.parse(old.settings);
        const dir = this.batchDir(m[1]!);
        mkdirSync(dir, { recursive: true });
        const runs = old.runs.map((r) => runSummarySchema.safeParse(r)).filter((r) => r.success).map((r) => JSON.stringify(r.data) + '\n');
        writeFileSync(path.join(dir, 'runs.ndjson'), runs.join(''));
        if (old.totals && old.state !== 'running') {
          writeAtomic(path.join(dir, 'end.json'), JSON.stringify({ state: old.state === 'stopped' ? 'stopped' : 'done', finishedAt: old.finishedAt ?? old.startedAt, totals: old.totals }));
        }
        writeAtomic(path.join(dir, 'batch.json'), JSON.stringify({ version: 2, id: m[1], startedAt: old.startedAt, owner: { pid: 1, host: '(raftlab 0.1)' }, settings }));
        rmSync(file);
      } catch (error) {
        renameSync(file, `${file}.corrupt-1`);
        this.warn(`raftlab: history file ${file} could not be read (${(error as Error).message.split('\n')[0]}); set aside`);
      }
    }
  }

  /** Batches whose process died on this machine before they ended: recorded as interrupted, with what they did. */
  private markInterrupted(entries: BatchIndexEntry[]): BatchIndexEntry[] {
    const dead = entries.filter((e) => e.state === 'running' && this.ownerGone(e.id));
    if (dead.length === 0) return entries;
    for (const entry of dead) {
      const { runs } = this.readRuns(entry.id);
      const totals: BatchTotals = { runs: runs.length, failed: runs.filter((r) => r.status !== 'pass').length, wallMs: runs.reduce((s, r) => s + r.wallMs, 0), stopped: true };
      try {
        writeAtomic(path.join(this.batchDir(entry.id), 'end.json'), JSON.stringify({ state: 'interrupted', finishedAt: new Date().toISOString(), totals, tests: testTotals(runs) }));
      } catch {
        continue;
      }
      entry.state = 'interrupted';
      entry.totals = totals;
    }
    this.writeIndexEntries(dead);
    return entries;
  }

  private ownerGone(id: string): boolean {
    let start;
    try {
      start = this.readStart(id);
    } catch {
      return false;
    }
    if (!start) return false;
    if (this.readEnd(id)) return false;
    return start.owner.host === this.host && start.owner.pid !== process.pid && !processAlive(start.owner.pid);
  }

  /** Update (or add) index entries under the lock; the index is derived, so a busy lock only delays it. */
  private writeIndexEntries(changed: BatchIndexEntry[], onTrimmed?: (ids: string[]) => void): void {
    const done = withLock(this.lockFile, () => {
      const adapter = new CheckedJsonFile(this.indexFile, indexSchema);
      // An index that cannot be read is rebuilt from the folders first, so no earlier batch is orphaned.
      const db = new LowSync<IndexFile>(adapter, { version: 2, batches: adapter.read() ? [] : this.scanFolders() });
      db.read();
      for (const entry of changed) {
        const at = db.data.batches.findIndex((b) => b.id === entry.id);
        if (at >= 0) db.data.batches[at] = entry;
        else db.data.batches.push(entry);
      }
      const dropped = db.data.batches.splice(0, Math.max(0, db.data.batches.length - this.maxBatches));
      db.write();
      for (const old of dropped) rmSync(this.batchDir(old.id), { recursive: true, force: true });
      onTrimmed?.(dropped.map((d) => d.id));
    });
    if (!done) this.warn(`raftlab: the history index is busy (${this.lockFile}); it will be rebuilt from the batch folders later`);
  }

  /** One batch with its runs, or undefined when there is no such batch (or it could not be read). */
  readBatch(id: string): BatchFile | undefined {
    if (!isBatchId(id) || !existsSync(this.batchDir(id))) return undefined;
    const start = this.readStart(id);
    if (!start) return undefined;
    const end = this.readEnd(id);
    const { runs, skipped } = this.readRuns(id);
    return {
      id,
      startedAt: start.startedAt,
      ...(end ? { finishedAt: end.finishedAt } : {}),
      state: end?.state ?? (this.ownerGone(id) ? 'interrupted' : 'running'),
      settings: start.settings,
      runs,
      ...(end ? { totals: end.totals } : {}),
      ...(skipped ? { skippedLines: skipped } : {}),
    };
  }

  /** One batch's start and end, without reading its runs when end.json has the per-test totals; undefined if none. */
  readHead(id: string): BatchHead | undefined {
    if (!isBatchId(id) || !existsSync(this.batchDir(id))) return undefined;
    const start = this.readStart(id);
    if (!start) return undefined;
    const end = this.readEnd(id);
    return {
      id,
      startedAt: start.startedAt,
      ...(end ? { finishedAt: end.finishedAt } : {}),
      state: end?.state ?? (this.ownerGone(id) ? 'interrupted' : 'running'),
      settings: start.settings,
      ...(end ? { totals: end.totals } : {}),
      tests: end?.tests ?? testTotals(this.readRuns(id).runs),
    };
  }

  /** Start recording a batch: its folder and settings at once, then one line per run. */
  startBatch(settings: BatchSettings, now: Date = new Date()): BatchRecorder {
    const startedAt = now.toISOString();
    const id = `${startedAt.replace(/[:.]/g, '-')}-${randomBytes(3).toString('hex')}`;
    const dir = this.batchDir(id);
    mkdirSync(dir, { recursive: true });
    const parsed = settingsSchema.parse(settings);
    writeAtomic(path.join(dir, 'batch.json'), JSON.stringify({ version: 2, id, startedAt, owner: { pid: process.pid, host: this.host }, settings: parsed }));
    const entry: BatchIndexEntry = {
      id,
      startedAt,
      pattern: settings.pattern,
      mode: settings.mode,
      implDir: settings.implDir,
      ...(settings.sourcesHash ? { sourcesHash: settings.sourcesHash } : {}),
      ...(settings.chaos ? { chaos: settings.chaos } : {}),
      state: 'running',
    };
    this.writeIndexEntries([entry]);
    return new BatchRecorder(dir, entry, (e) => this.writeIndexEntries([e]));
  }
}

export class BatchRecorder {
  private fd: number | undefined;
  /** What end.json will say per test: counted as runs are recorded. */
  private readonly counter = new TestTotalsCounter();

  constructor(
    private readonly dir: string,
    private readonly entry: BatchIndexEntry,
    private readonly onIndex: (entry: BatchIndexEntry) => void,
  ) {}

  get id(): string {
    return this.entry.id;
  }

  /** Append one finished run: one line, so a killed process loses at most the run in flight. */
  recordRun(record: RunRecord): void {
    this.fd ??= openSync(path.join(this.dir, 'runs.ndjson'), 'a');
    appendFileSync(this.fd, JSON.stringify(summarizeRun(record)) + '\n');
    this.counter.add(record);
  }

  finish(totals: BatchTotals, now: Date = new Date()): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    const state: BatchState = totals.stopped ? 'stopped' : 'done';
    writeAtomic(path.join(this.dir, 'end.json'), JSON.stringify({ state, finishedAt: now.toISOString(), totals, tests: this.counter.totals() }));
    this.onIndex({ ...this.entry, state, totals });
  }
}

export type { RunStatus };

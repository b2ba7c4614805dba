/**
 * Results history, on lowdb: a data folder per user holding `history.json` (an index of batches, newest last,
 * capped) and `batches/<id>.json` (one batch's settings, its runs' summaries and, once done, its summary).
 * Every write is lowdb's JSONFileSync (temp file + rename), done after each run, so a killed process loses at most
 * the run in flight. A file that does not parse is renamed aside (`history.json.corrupt-<n>`) with a message on
 * stderr, and a fresh one starts. Traces are not kept here.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LowSync } from 'lowdb';
import { JSONFileSync } from 'lowdb/node';
import type { RunRecord, RunStatus } from './types.ts';
import type { ChaosKnobs } from '../harness/chaos.ts';

/** Where history lives: --data, else $RAFTLAB_DATA, else $XDG_DATA_HOME/raftlab, else ~/.local/share/raftlab. */
export function resolveDataDir(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (explicit) return path.resolve(explicit);
  if (env.RAFTLAB_DATA) return path.resolve(env.RAFTLAB_DATA);
  if (env.XDG_DATA_HOME) return path.join(path.resolve(env.XDG_DATA_HOME), 'raftlab');
  return path.join(os.homedir(), '.local', 'share', 'raftlab');
}

/** One run as history keeps it: the verdict and timings, not the output or a trace. */
export interface RunSummary {
  id: string;
  seed: number;
  mode: string;
  status: RunStatus;
  message?: string;
  errorCode?: string;
  testMs: number;
  wallMs: number;
  completed: boolean;
}

export interface BatchSettings {
  pattern: string;
  tests: string[];
  mode: string;
  baseSeed: number;
  count: number;
  parallel: number;
  implDir: string;
  /** The exact command line. */
  argv: string[];
  /** Chaos knobs the batch ran with (absent: the course's conditions). */
  chaos?: ChaosKnobs | undefined;
}

export interface BatchTotals {
  runs: number;
  failed: number;
  wallMs: number;
  stopped: boolean;
}

export type BatchState = 'running' | 'done' | 'stopped';

export interface BatchIndexEntry {
  id: string;
  startedAt: string;
  pattern: string;
  mode: string;
  implDir: string;
  state: BatchState;
  totals?: BatchTotals;
}

export interface BatchFile {
  version: 1;
  id: string;
  startedAt: string;
  finishedAt?: string;
  state: BatchState;
  settings: BatchSettings;
  runs: RunSummary[];
  totals?: BatchTotals;
}

interface IndexFile {
  version: 1;
  batches: BatchIndexEntry[];
}

export interface HistoryOptions {
  /** Keep at most this many batches; older batch files are deleted (default 200). */
  maxBatches?: number;
  /** Where to report a corrupt file (default: stderr). */
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
    testMs: record.testMs,
    wallMs: record.wallMs,
    completed: record.completed,
  };
}

/** Open a lowdb JSON file; a file that is not valid JSON of the right shape is set aside and replaced by `fresh`. */
function openFile<T extends { version: number }>(file: string, fresh: () => T, warn: (m: string) => void): LowSync<T> {
  const db = new LowSync<T>(new JSONFileSync<T>(file), fresh());
  try {
    db.read();
    if (typeof db.data !== 'object' || db.data === null || db.data.version !== 1) throw new Error('not a raftlab history file');
  } catch (error) {
    let n = 1;
    while (existsSync(`${file}.corrupt-${n}`)) n++;
    const aside = `${file}.corrupt-${n}`;
    renameSync(file, aside);
    warn(
      `raftlab: the history file ${file} is unreadable (${(error as Error).message.split('\n')[0]}); ` +
        `moved it to ${aside} and started a fresh one`,
    );
    db.data = fresh();
  }
  return db;
}

export class History {
  readonly dir: string;
  readonly indexFile: string;
  private readonly batchesDir: string;
  private readonly maxBatches: number;
  private readonly warn: (message: string) => void;

  constructor(dataDir: string, options: HistoryOptions = {}) {
    this.dir = path.resolve(dataDir);
    this.indexFile = path.join(this.dir, 'history.json');
    this.batchesDir = path.join(this.dir, 'batches');
    this.maxBatches = options.maxBatches ?? 200;
    this.warn = options.warn ?? ((m) => void process.stderr.write(m + '\n'));
    mkdirSync(this.batchesDir, { recursive: true });
  }

  private index(): LowSync<IndexFile> {
    return openFile<IndexFile>(this.indexFile, () => ({ version: 1, batches: [] }), this.warn);
  }

  /** Every batch in the index, oldest first. */
  listBatches(): BatchIndexEntry[] {
    return this.index().data.batches;
  }

  /** One batch with its runs, or undefined when it is gone (or was corrupt, and set aside). */
  readBatch(id: string): BatchFile | undefined {
    const file = this.batchFile(id);
    if (!existsSync(file)) return undefined;
    const db = openFile<BatchFile>(file, () => ({ version: 1 }) as BatchFile, this.warn);
    return db.data.id === id ? db.data : undefined;
  }

  private batchFile(id: string): string {
    return path.join(this.batchesDir, `${id}.json`);
  }

  private updateIndex(entry: BatchIndexEntry): void {
    // Read afresh before each write: another raftlab may have added a batch meanwhile.
    const db = this.index();
    const at = db.data.batches.findIndex((b) => b.id === entry.id);
    if (at >= 0) db.data.batches[at] = entry;
    else db.data.batches.push(entry);
    const dropped = db.data.batches.splice(0, Math.max(0, db.data.batches.length - this.maxBatches));
    db.write();
    for (const old of dropped) rmSync(this.batchFile(old.id), { force: true });
  }

  /** Start recording a batch: written to disk at once, then after every run. */
  startBatch(settings: BatchSettings, now: Date = new Date()): BatchRecorder {
    const startedAt = now.toISOString();
    const id = `${startedAt.replace(/[:.]/g, '-')}-${randomBytes(3).toString('hex')}`;
    const db = new LowSync<BatchFile>(new JSONFileSync<BatchFile>(this.batchFile(id)), {
      version: 1,
      id,
      startedAt,
      state: 'running',
      settings,
      runs: [],
    });
    db.write();
    const entry: BatchIndexEntry = { id, startedAt, pattern: settings.pattern, mode: settings.mode, implDir: settings.implDir, state: 'running' };
    this.updateIndex(entry);
    return new BatchRecorder(db, entry, (e) => this.updateIndex(e));
  }
}

export class BatchRecorder {
  constructor(
    private readonly db: LowSync<BatchFile>,
    private readonly entry: BatchIndexEntry,
    private readonly onIndex: (entry: BatchIndexEntry) => void,
  ) {}

  get id(): string {
    return this.entry.id;
  }

  /** Append one finished run and write the batch file (atomically). */
  recordRun(record: RunRecord): void {
    this.db.data.runs.push(summarizeRun(record));
    this.db.write();
  }

  finish(totals: BatchTotals, now: Date = new Date()): void {
    const state: BatchState = totals.stopped ? 'stopped' : 'done';
    this.db.data.state = state;
    this.db.data.totals = totals;
    this.db.data.finishedAt = now.toISOString();
    this.db.write();
    this.onIndex({ ...this.entry, state, totals });
  }
}

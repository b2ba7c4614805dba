/**
 * The app's view of the results history (src/runner/history.ts: a folder per batch and an index), shared with
 * `raftlab run`: pages of batches, filtered by implementation, clock and chaos; one batch's whole results again;
 * each test's failure rate batch by batch; each test's usual length. Ended batches never change, so what is read of
 * them is kept (their heads: a few hundred bytes each), and the index is read again only when its file changed.
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import { formatChaos } from '../../harness/chaos.ts';
import { allTests } from '../../harness/tester/index.ts';
import { History, type BatchFile, type BatchHead, type BatchIndexEntry } from '../../runner/history.ts';
import { wilsonInterval } from '../../runner/stats.ts';
import type { BatchView, BatchViewState, ClockMode, HistoryBatchEntry, HistoryFilter, HistoryPage, HistorySeries } from '../../shared/ipc.ts';
import { resultsView } from './results.ts';

/** What a caller knows about a batch that is still running in this process (its state here is fresher). */
export type LiveState = (id: string) => string | undefined;

/** A test's usual length on one clock, from the recorded runs that completed. */
export interface UsualDuration {
  testMs: number;
  wallMs: number;
  runs: number;
}

/** How many of the newest batches the usual durations are taken from. */
const USUAL_FROM_BATCHES = 300;

export function matches(entry: BatchIndexEntry, filter: HistoryFilter): boolean {
  if (filter.implDir !== undefined && path.resolve(entry.implDir) !== path.resolve(filter.implDir)) return false;
  if (filter.mode !== undefined && entry.mode !== filter.mode) return false;
  const chaos = !!entry.chaos && formatChaos(entry.chaos) !== '';
  if (filter.chaos === 'without' && chaos) return false;
  if (filter.chaos === 'only' && !chaos) return false;
  return true;
}

export class HistoryService {
  readonly #heads = new Map<string, BatchHead>();
  readonly #files = new Map<string, BatchFile>();
  #index: { key: string; entries: BatchIndexEntry[] } | undefined;
  #usual = new Map<string, { key: string; usual: Map<string, UsualDuration> }>();

  constructor(
    readonly store: History,
    private readonly liveState: LiveState = () => undefined,
    /** Told of every trace file a recorded batch names, as the page is shown it (so the page may open it). */
    private readonly onTraceFiles: (files: string[]) => void = () => undefined,
  ) {}

  #indexKey(): string {
    try {
      const st = statSync(this.store.indexFile);
      return `${st.mtimeMs}:${st.size}`;
    } catch {
      return 'none';
    }
  }

  /** Every batch in the index, oldest first (read again only when the index file changed). */
  entries(): BatchIndexEntry[] {
    const key = this.#indexKey();
    if (this.#index?.key === key && key !== 'none' && !this.#index.entries.some((e) => e.state === 'running')) return this.#index.entries;
    const entries = this.store.listBatches();
    this.#index = { key: this.#indexKey(), entries };
    return entries;
  }

  /** A batch's start and end (per-test totals, no runs); kept once it has ended. */
  head(id: string): BatchHead | undefined {
    const cached = this.#heads.get(id);
    if (cached) return cached;
    const head = this.store.readHead(id);
    if (head && head.state !== 'running') this.#heads.set(id, head);
    return head;
  }

  /** A batch with its runs; the newest few ended ones are kept. */
  file(id: string): BatchFile | undefined {
    const cached = this.#files.get(id);
    if (cached) return cached;
    const file = this.store.readBatch(id);
    if (file && file.state !== 'running') {
      if (this.#files.size >= 32) this.#files.delete(this.#files.keys().next().value!);
      this.#files.set(id, file);
    }
    return file;
  }

  /** A page of batches, newest first, that pass the filter. */
  page(filter: HistoryFilter & { offset?: number; limit?: number } = {}): HistoryPage {
    const entries = this.entries();
    const counts = new Map<string, number>();
    for (const e of entries) counts.set(e.implDir, (counts.get(e.implDir) ?? 0) + 1);
    const kept = entries.filter((e) => matches(e, filter));
    const offset = filter.offset ?? 0;
    const limit = filter.limit ?? 100;
    const end = kept.length - offset;
    const rows = kept.slice(Math.max(0, end - limit), Math.max(0, end)).reverse();
    return {
      total: kept.length,
      offset,
      batches: rows.map((e) => this.row(e)),
      impls: [...counts].map(([dir, batches]) => ({ dir, batches })).sort((a, b) => b.batches - a.batches || a.dir.localeCompare(b.dir)),
    };
  }

  /** Every recorded batch as a row, newest first. */
  batches(): HistoryBatchEntry[] {
    return this.page({ limit: Number.MAX_SAFE_INTEGER }).batches;
  }

  row(entry: BatchIndexEntry): HistoryBatchEntry {
    const head = this.head(entry.id);
    const tests = head ? Object.values(head.tests) : [];
    const chaos = formatChaos(entry.chaos);
    return {
      id: entry.id,
      startedAt: entry.startedAt,
      pattern: entry.pattern,
      tests: head?.settings.tests.length ?? 0,
      testIds: head?.settings.tests ?? [],
      mode: entry.mode,
      implDir: entry.implDir,
      ...(entry.sourcesHash ? { sourcesHash: entry.sourcesHash } : {}),
      ...(chaos ? { chaos } : {}),
      check: !!head?.settings.check,
      state: this.liveState(entry.id) ?? entry.state,
      runs: entry.totals?.runs ?? tests.reduce((n, t) => n + t.runs, 0),
      failed: entry.totals?.failed ?? tests.reduce((n, t) => n + t.failed, 0),
      ...(entry.totals ? { wallMs: entry.totals.wallMs } : {}),
    };
  }

  /** A recorded batch, whole, as the results panel shows a batch that has ended; null when there is none. */
  view(id: string): BatchView | null {
    const file = this.file(id);
    if (!file) return null;
    const s = file.settings;
    const tests = s.tests.length ? s.tests : [...new Set(file.runs.map((r) => r.id))];
    const failed = file.runs.filter((r) => r.status !== 'pass').length;
    const state: BatchViewState = file.state === 'done' ? 'done' : file.state === 'running' ? 'running' : file.state === 'interrupted' ? 'interrupted' : 'stopped';
    this.onTraceFiles(file.runs.flatMap((r) => (r.traceFile ? [r.traceFile] : [])));
    return {
      id,
      state: (this.liveState(id) as BatchViewState | undefined) ?? state,
      settings: {
        tests,
        count: s.count,
        parallel: s.parallel,
        mode: s.mode === 'real' ? 'real' : 'sim',
        seed: s.baseSeed,
        baseSeed: s.baseSeed,
        impl: s.implDir,
        stopOnFail: false,
        ...(s.check ? { check: true } : {}),
        ...(s.chaos ? { chaos: s.chaos } : {}),
      },
      implDir: s.implDir,
      ...(s.sourcesHash ? { sourcesHash: s.sourcesHash } : {}),
      startedAt: file.startedAt,
      ...(file.finishedAt ? { finishedAt: file.finishedAt } : {}),
      total: tests.length * s.count,
      done: file.runs.length,
      failed,
      tests: tests.map((t) => {
        const mine = file.runs.filter((r) => r.id === t);
        const f = mine.filter((r) => r.status !== 'pass').length;
        return { id: t, total: s.count, done: mine.length, failed: f, interval: mine.length ? wilsonInterval(f, mine.length) : null };
      }),
      results: resultsView(tests, file.runs, file.totals?.wallMs ?? 0),
      fromHistory: true,
    };
  }

  /** Each test's failure rate, batch by batch, over the newest `limit` batches that pass the filter (oldest first). */
  series(filter: HistoryFilter & { implDir: string; limit?: number }): HistorySeries {
    const kept = this.entries().filter((e) => matches(e, { chaos: 'without', ...filter }));
    const chosen = kept.slice(Math.max(0, kept.length - (filter.limit ?? 200)));
    const points = new Map<string, HistorySeries['tests'][number]['points']>();
    const batches: HistorySeries['batches'] = [];
    for (const entry of chosen) {
      const head = this.head(entry.id);
      if (!head) continue;
      const at = batches.length;
      batches.push({ id: entry.id, startedAt: entry.startedAt, ...(entry.sourcesHash ? { sourcesHash: entry.sourcesHash } : {}) });
      for (const [test, t] of Object.entries(head.tests)) {
        if (t.runs === 0) continue;
        const interval = wilsonInterval(t.failed, t.runs);
        const list = points.get(test) ?? [];
        list.push({ batch: at, runs: t.runs, failed: t.failed, rate: t.failed / t.runs, low: interval.low, high: interval.high });
        points.set(test, list);
      }
    }
    const order = new Map(allTests.map((t, i) => [t.id, i]));
    return {
      batches,
      tests: [...points]
        .map(([id, p]) => ({ id, points: p }))
        .sort((a, b) => (order.get(a.id) ?? 999) - (order.get(b.id) ?? 999) || a.id.localeCompare(b.id)),
    };
  }

  /** Each test's usual length on a clock (over the newest batches on it, chaos or not, any implementation). */
  usualDurations(mode: ClockMode): Map<string, UsualDuration> {
    const entries = this.entries();
    const key = `${this.#indexKey()}:${entries.length}`;
    const cached = this.#usual.get(mode);
    if (cached?.key === key) return cached.usual;
    const sums = new Map<string, { testMs: number; wallMs: number; runs: number }>();
    let seen = 0;
    for (let i = entries.length - 1; i >= 0 && seen < USUAL_FROM_BATCHES; i--) {
      const entry = entries[i]!;
      if (entry.mode !== mode || entry.state === 'running') continue;
      seen++;
      const head = this.head(entry.id);
      for (const [test, t] of Object.entries(head?.tests ?? {})) {
        if (!t.completed || t.testMsMean === undefined || t.wallMsMean === undefined) continue;
        const s = sums.get(test) ?? { testMs: 0, wallMs: 0, runs: 0 };
        s.testMs += t.testMsMean * t.completed;
        s.wallMs += t.wallMsMean * t.completed;
        s.runs += t.completed;
        sums.set(test, s);
      }
    }
    const usual = new Map([...sums].map(([test, s]) => [test, { testMs: s.testMs / s.runs, wallMs: s.wallMs / s.runs, runs: s.runs }]));
    this.#usual.set(mode, { key, usual });
    return usual;
  }
}

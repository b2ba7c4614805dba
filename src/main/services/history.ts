/**
 * The app's view of the results history (src/runner/history.ts: a folder per batch and an index), shared with
 * `raftlab run`: pages of batches, filtered; one batch's whole results again; each test's failure rate batch by
 * batch. Ended batches never change, so what is read of them is kept (their heads: a few hundred bytes each).
 */
import { History, type BatchHead, type BatchIndexEntry, type BatchFile } from '../../runner/history.ts';
import type { HistoryBatchEntry } from '../../shared/ipc.ts';

/** What a caller knows about a batch that is still running in this process (its state here is fresher). */
export type LiveState = (id: string) => string | undefined;

export class HistoryService {
  readonly #heads = new Map<string, BatchHead>();
  readonly #files = new Map<string, BatchFile>();

  constructor(
    readonly store: History,
    private readonly liveState: LiveState = () => undefined,
  ) {}

  /** Every batch in the index, oldest first. */
  entries(): BatchIndexEntry[] {
    return this.store.listBatches();
  }

  /** A batch's start and end (per-test totals, no runs); kept once it has ended. */
  head(id: string): BatchHead | undefined {
    const cached = this.#heads.get(id);
    if (cached) return cached;
    const head = this.store.readHead(id);
    if (head && head.state !== 'running') this.#heads.set(id, head);
    return head;
  }

  /** A batch with its runs; kept once it has ended. */
  file(id: string): BatchFile | undefined {
    const cached = this.#files.get(id);
    if (cached) return cached;
    const file = this.store.readBatch(id);
    if (file && file.state !== 'running') this.#files.set(id, file);
    return file;
  }

  /** The recorded batches, newest first, as rows of the History table. */
  batches(): HistoryBatchEntry[] {
    return this.entries()
      .map((entry) => this.row(entry))
      .reverse();
  }

  row(entry: BatchIndexEntry): HistoryBatchEntry {
    const head = this.head(entry.id);
    const tests = head ? Object.values(head.tests) : [];
    return {
      id: entry.id,
      startedAt: entry.startedAt,
      pattern: entry.pattern,
      tests: head?.settings.tests.length ?? 0,
      mode: entry.mode,
      implDir: entry.implDir,
      state: this.liveState(entry.id) ?? entry.state,
      runs: entry.totals?.runs ?? tests.reduce((n, t) => n + t.runs, 0),
      failed: entry.totals?.failed ?? tests.reduce((n, t) => n + t.failed, 0),
      ...(entry.totals ? { wallMs: entry.totals.wallMs } : {}),
    };
  }
}

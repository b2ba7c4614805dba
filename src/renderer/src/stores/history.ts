import { defineStore } from 'pinia';
import { reactive, ref, shallowRef } from 'vue';
import type { ClockMode, HistoryBatchEntry, HistoryPage, HistorySeries } from '../../../shared/ipc.ts';
import { api } from '../api.ts';

/** How many rows one call to `history:batches` brings. */
export const HISTORY_PAGE = 100;

/**
 * The recorded batches (`history:batches`), newest first, fetched a page at a time as the table scrolls, under the
 * filters; and for one implementation, each test's failure rate batch by batch (`history:series`).
 */
export const useHistoryStore = defineStore('history', () => {
  const filter = reactive({ implDir: '' as string, mode: '' as '' | ClockMode, chaos: 'any' as 'any' | 'without' | 'only' });
  const total = ref(0);
  /** Rows by position (newest first); holes are pages not fetched yet. */
  const rows = shallowRef<(HistoryBatchEntry | undefined)[]>([]);
  const impls = ref<HistoryPage['impls']>([]);
  const error = ref<string | null>(null);
  const loading = ref(false);
  const series = shallowRef<HistorySeries | null>(null);
  /** The implementation the series is of: the filter's, else the newest batch's. */
  const seriesImpl = ref('');
  const seriesError = ref<string | null>(null);
  const pending = new Map<number, Promise<void>>();
  let generation = 0;

  const query = () => ({
    ...(filter.implDir ? { implDir: filter.implDir } : {}),
    ...(filter.mode ? { mode: filter.mode } : {}),
    ...(filter.chaos !== 'any' ? { chaos: filter.chaos } : {}),
  });

  function fetchPage(page: number): Promise<void> {
    const known = pending.get(page);
    if (known) return known;
    const mine = generation;
    const p = api.historyBatches({ ...query(), offset: page * HISTORY_PAGE, limit: HISTORY_PAGE }).then(
      (answer) => {
        if (mine !== generation) return;
        total.value = answer.total;
        impls.value = answer.impls;
        const next = rows.value.slice();
        next.length = answer.total;
        answer.batches.forEach((b, i) => (next[answer.offset + i] = b));
        rows.value = next;
      },
      (err: unknown) => {
        pending.delete(page);
        if (mine === generation) error.value = err instanceof Error ? err.message : String(err);
      },
    );
    pending.set(page, p);
    return p;
  }

  /** Make sure the rows in [from, to) are fetched. */
  function ensure(from: number, to: number): void {
    for (let page = Math.floor(from / HISTORY_PAGE); page * HISTORY_PAGE < Math.max(to, 1); page++) void fetchPage(page);
  }

  /** Start over (a filter changed, or the history did): the first page, and the series for the implementation. */
  async function load(): Promise<void> {
    generation++;
    pending.clear();
    rows.value = [];
    error.value = null;
    loading.value = true;
    try {
      await fetchPage(0);
    } finally {
      loading.value = false;
    }
    await loadSeries();
  }

  async function loadSeries(): Promise<void> {
    seriesError.value = null;
    const implDir = filter.implDir || rows.value[0]?.implDir || impls.value[0]?.dir;
    seriesImpl.value = implDir ?? '';
    if (!implDir) {
      series.value = null;
      return;
    }
    try {
      series.value = await api.historySeries({
        implDir,
        ...(filter.mode ? { mode: filter.mode } : {}),
        chaos: filter.chaos === 'any' ? 'without' : filter.chaos,
      });
    } catch (err) {
      seriesError.value = err instanceof Error ? err.message : String(err);
    }
  }

  return { filter, total, rows, impls, error, loading, series, seriesImpl, seriesError, load, ensure };
});

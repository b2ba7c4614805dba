import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { HistoryBatchEntry } from '../../../shared/ipc.ts';
import { api } from '../api.ts';

/** The recorded batches (`history:batches`), newest first. */
export const useHistoryStore = defineStore('history', () => {
  const batches = ref<HistoryBatchEntry[]>([]);
  const error = ref<string | null>(null);
  const loading = ref(false);

  async function load(): Promise<void> {
    loading.value = true;
    error.value = null;
    try {
      batches.value = await api.historyBatches();
    } catch (err) {
      error.value = err instanceof Error ? err.message : String(err);
    } finally {
      loading.value = false;
    }
  }

  return { batches, error, loading, load };
});

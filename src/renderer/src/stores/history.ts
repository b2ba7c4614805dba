import { defineStore } from 'pinia';
import type { HistoryBatchEntry } from '../../../shared/ipc.ts';
import { api } from '../api.ts';
import { loadable } from './loadable.ts';

/** The recorded batches (`history:batches`), newest first. */
export const useHistoryStore = defineStore('history', () => {
  const { value: batches, error, loading, load } = loadable<HistoryBatchEntry[]>(() => api.historyBatches(), []);
  return { batches, error, loading, load };
});

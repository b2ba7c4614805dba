import { defineStore } from 'pinia';
import type { AppInfo } from '../../../shared/ipc.ts';
import { api } from '../api.ts';
import { loadable } from './loadable.ts';

/** `app:info`, fetched once and kept. */
export const useAppInfoStore = defineStore('appInfo', () => {
  const { value: info, error, loading, load } = loadable<AppInfo | null>(() => api.appInfo(), null);
  return { info, error, loading, load };
});

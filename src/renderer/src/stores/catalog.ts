import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { CatalogEntry, CatalogView, ClockMode, ImplChoice, LabPart } from '../../../shared/ipc.ts';
import { api } from '../api.ts';

const PARTS: LabPart[] = ['2A', '2B', '2C', '2D'];

/** The graded tests (`catalog:list`), which of them are picked, and their rates in the form's scope. */
export const useCatalogStore = defineStore('catalog', () => {
  const entries = ref<CatalogEntry[]>([]);
  const scope = ref<CatalogView['scope'] | null>(null);
  const selected = ref<string[]>([]);
  const error = ref<string | null>(null);
  const loading = ref(false);
  let asked = 0;

  const groups = computed(() =>
    PARTS.map((part) => ({ part, tests: entries.value.filter((e) => e.part === part) })).filter((g) => g.tests.length > 0),
  );

  async function load(impl?: ImplChoice, mode?: ClockMode): Promise<void> {
    const mine = ++asked;
    loading.value = true;
    error.value = null;
    try {
      const view = await api.catalogList({ ...(impl ? { impl } : {}), ...(mode ? { mode } : {}) });
      if (mine !== asked) return;
      entries.value = view.tests;
      scope.value = view.scope;
      const known = new Set(entries.value.map((e) => e.id));
      selected.value = selected.value.filter((id) => known.has(id));
    } catch (err) {
      if (mine === asked) error.value = err instanceof Error ? err.message : String(err);
    } finally {
      if (mine === asked) loading.value = false;
    }
  }

  function isSelected(id: string): boolean {
    return selected.value.includes(id);
  }

  function toggle(id: string, on = !isSelected(id)): void {
    selected.value = on ? [...new Set([...selected.value, id])] : selected.value.filter((s) => s !== id);
  }

  /** Pick or drop every test of a part. */
  function togglePart(part: LabPart, on: boolean): void {
    for (const e of entries.value) if (e.part === part) toggle(e.id, on);
  }

  return { entries, scope, selected, error, loading, groups, load, isSelected, toggle, togglePart };
});

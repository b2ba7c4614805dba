import { ref, type Ref } from 'vue';

/** A value fetched from the main process on demand, with its loading flag and the last error, for a store to expose. */
export function loadable<T>(fetch: () => Promise<T>, initial: T): {
  value: Ref<T>;
  error: Ref<string | null>;
  loading: Ref<boolean>;
  load: () => Promise<void>;
} {
  const value = ref(initial) as Ref<T>;
  const error = ref<string | null>(null);
  const loading = ref(false);
  async function load(): Promise<void> {
    loading.value = true;
    error.value = null;
    try {
      value.value = await fetch();
    } catch (err) {
      error.value = err instanceof Error ? err.message : String(err);
    } finally {
      loading.value = false;
    }
  }
  return { value, error, loading, load };
}

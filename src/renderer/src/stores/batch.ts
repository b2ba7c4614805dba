import { defineStore } from 'pinia';
import { computed, reactive, ref } from 'vue';
import { chaosKnobSpecs, type ChaosKnobs } from '../../../shared/chaos.ts';
import type { AppEvent, BatchView, ClockMode, RunView } from '../../../shared/ipc.ts';
import { api, subscribe } from '../api.ts';
import { useCatalogStore } from './catalog.ts';
import { useHistoryStore } from './history.ts';

export type ImplKind = 'reference' | 'skeleton' | 'folder';

/** The run form, the batch being watched (live through the back end's events), and starting / cancelling it. */
export const useBatchStore = defineStore('batch', () => {
  const form = reactive({
    implKind: 'reference' as ImplKind,
    folder: '',
    count: 10,
    parallel: 2,
    mode: 'sim' as ClockMode,
    seed: '' as string | number,
    stopOnFail: false,
    check: false,
    /** A Go lab: build it with the race detector. */
    race: false,
    /** Chaos knobs by their short name ('' = off); never saved across launches. */
    chaos: Object.fromEntries(Object.keys(chaosKnobSpecs).map((name) => [name, ''])) as Record<string, string | number>,
  });
  const current = ref<BatchView | null>(null);
  /** The failing runs of the current batch, as they come. */
  const failures = ref<RunView[]>([]);
  const error = ref<string | null>(null);
  const starting = ref(false);
  let unsubscribe: (() => void) | undefined;
  let poller: ReturnType<typeof setInterval> | undefined;

  const impl = computed(() => (form.implKind === 'folder' ? form.folder.trim() : form.implKind));
  const running = computed(() => current.value?.state === 'running');
  /** The knobs the form has on, as the back end takes them. */
  const chaos = computed<ChaosKnobs>(() => {
    const knobs: ChaosKnobs = {};
    for (const [name, spec] of Object.entries(chaosKnobSpecs)) {
      const raw = String(form.chaos[name] ?? '').trim();
      if (raw !== '' && Number(raw) !== 0) knobs[spec.knob] = Number(raw);
    }
    return knobs;
  });

  function onEvent(event: AppEvent): void {
    switch (event.type) {
      case 'batch-started':
        if (current.value?.id !== event.batch.id) {
          current.value = event.batch;
          failures.value = [];
        }
        break;
      case 'run': {
        const batch = current.value;
        if (!batch || batch.id !== event.batchId || batch.state !== 'running') return;
        batch.done = event.done;
        batch.failed = event.failed;
        const at = batch.tests.findIndex((t) => t.id === event.test.id);
        if (at >= 0) batch.tests[at] = event.test;
        if (event.run.status !== 'pass') failures.value.push(event.run);
        break;
      }
      case 'batch-finished':
        if (current.value && current.value.id !== event.batch.id) return;
        finished(event.batch);
        break;
    }
  }

  function finished(batch: BatchView): void {
    current.value = batch;
    void useCatalogStore().load(impl.value || undefined);
    void useHistoryStore().load();
  }

  /**
   * A safety net under the events: while a batch runs, ask for it now and then, so that events missed
   * (an event stream that was still connecting, or reconnecting) never leave the view stale.
   */
  function watchCurrent(): void {
    if (poller) return;
    poller = setInterval(() => {
      const batch = current.value;
      if (!batch || batch.state !== 'running') {
        clearInterval(poller);
        poller = undefined;
        return;
      }
      void api.batchGet({ batchId: batch.id }).then((view) => {
        if (!view || current.value?.id !== view.id || current.value.state !== 'running') return;
        if (view.state !== 'running') finished(view);
        else if (view.done > current.value.done) Object.assign(current.value, { done: view.done, failed: view.failed, tests: view.tests });
      }, () => undefined);
    }, 1500);
  }

  /** Subscribe to events, fill the form from the saved settings, and pick up a batch already running. */
  async function init(): Promise<void> {
    unsubscribe ??= subscribe(onEvent);
    try {
      const saved = await api.settingsGet();
      form.count = saved.count;
      form.parallel = saved.parallel;
      form.mode = saved.mode;
      form.stopOnFail = saved.stopOnFail;
      form.check = saved.check ?? false;
      form.race = saved.race ?? false;
      if (saved.impl === 'reference') form.implKind = 'reference';
      else if (saved.impl === 'skeleton') form.implKind = 'skeleton';
      else {
        form.implKind = 'folder';
        form.folder = saved.impl;
      }
      const catalog = useCatalogStore();
      if (catalog.selected.length === 0) catalog.selected = saved.tests;
      const batch = await api.batchCurrent();
      if (batch && !current.value) {
        current.value = batch;
        watchCurrent();
      }
    } catch (err) {
      error.value = err instanceof Error ? err.message : String(err);
    }
  }

  async function start(): Promise<void> {
    const catalog = useCatalogStore();
    error.value = null;
    if (catalog.selected.length === 0) {
      error.value = 'Pick at least one test.';
      return;
    }
    if (!impl.value) {
      error.value = 'Type the absolute path of your implementation folder.';
      return;
    }
    const seed = String(form.seed).trim();
    starting.value = true;
    try {
      const view = await api.batchStart({
        tests: [...catalog.selected],
        count: Number(form.count),
        parallel: Number(form.parallel),
        mode: form.mode,
        ...(seed !== '' ? { seed: Number(seed) } : {}),
        impl: impl.value,
        stopOnFail: form.stopOnFail,
        check: form.check,
        ...(form.race ? { race: true } : {}),
        ...(Object.keys(chaos.value).length ? { chaos: chaos.value } : {}),
      });
      if (current.value?.id !== view.id) {
        current.value = view;
        failures.value = [];
      }
      watchCurrent();
    } catch (err) {
      error.value = err instanceof Error ? err.message : String(err);
    } finally {
      starting.value = false;
    }
  }

  async function cancel(): Promise<void> {
    if (!current.value) return;
    try {
      await api.batchCancel({ batchId: current.value.id });
    } catch (err) {
      error.value = err instanceof Error ? err.message : String(err);
    }
  }

  /** Run one test of a folder again, `count` times, with the course's conditions (what a Go trace offers instead of a replay). */
  async function rerun(test: string, folder: string, count: number): Promise<void> {
    form.implKind = 'folder';
    form.folder = folder;
    form.count = count;
    form.check = false;
    form.seed = '';
    for (const name of Object.keys(form.chaos)) form.chaos[name] = '';
    useCatalogStore().selected = [test];
    await start();
  }

  return { form, current, failures, error, starting, impl, running, chaos, init, start, cancel, rerun };
});

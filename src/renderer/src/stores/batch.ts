import { defineStore } from 'pinia';
import { computed, reactive, ref, watch } from 'vue';
import { chaosKnobSpecs, type ChaosKnobs } from '../../../shared/chaos.ts';
import { IpcError, type AppEvent, type BatchView, type BugView, type ClockMode, type ImplResolution, type RunView } from '../../../shared/ipc.ts';
import { api, subscribe } from '../api.ts';
import { chaosOf, emptyChaosForm, SEED_MAX, wholeNumber } from '../fields.ts';
import { useCatalogStore } from './catalog.ts';

export type ImplKind = 'reference' | 'skeleton' | 'folder';

/** The form's fields that can be wrong, each with its message in words (shown next to the field). */
export type FieldName = 'folder' | 'count' | 'parallel' | 'seed' | 'tests';

/** The run form, the batch being watched (live through the back end's events), and starting / cancelling it. */
export const useBatchStore = defineStore('batch', () => {
  const form = reactive({
    implKind: 'reference' as ImplKind,
    folder: '',
    count: 10 as string | number,
    parallel: 2 as string | number,
    mode: 'sim' as ClockMode,
    seed: '' as string | number,
    stopOnFail: false,
    check: false,
    /** A Go lab: build it with the race detector. */
    race: false,
    /** Chaos knobs by their short name ('' = off); never saved across launches. */
    chaos: emptyChaosForm(),
  });
  const current = ref<BatchView | null>(null);
  /** The failing runs of the current batch, as they come. */
  const failures = ref<RunView[]>([]);
  const error = ref<string | null>(null);
  const fieldErrors = reactive<Partial<Record<FieldName, string>>>({});
  const starting = ref(false);
  const recentFolders = ref<string[]>([]);
  /** What the typed folder names (or why it names nothing that runs), as the back end resolves it. */
  const resolution = ref<ImplResolution | null>(null);
  const resolving = ref(false);
  let unsubscribe: (() => void) | undefined;
  let poller: ReturnType<typeof setInterval> | undefined;

  const impl = computed(() => (form.implKind === 'folder' ? form.folder.trim() : form.implKind));
  const running = computed(() => current.value?.state === 'running');
  /** The knobs the form has on, as the back end takes them. */
  const chaos = computed<ChaosKnobs>(() => chaosOf(form.chaos));

  // The fields say what is wrong with them as they are typed.
  watch(
    () => [form.count, form.parallel, form.seed] as const,
    ([count, parallel, seed]) => {
      setField('count', wholeNumber(count, 'Runs per test', 1, 10_000));
      setField('parallel', wholeNumber(parallel, 'Parallel', 1, 64));
      setField('seed', wholeNumber(seed, 'The seed', 0, SEED_MAX, ''));
    },
  );

  function setField(name: FieldName, message: string | null | undefined): void {
    if (message) fieldErrors[name] = message;
    else delete fieldErrors[name];
  }

  let resolveTimer: ReturnType<typeof setTimeout> | undefined;
  let asked = 0;
  /** Resolve the folder (relative paths and ~ too) and say what it is, or why it cannot run. */
  function resolveFolder(delayMs = 250): void {
    clearTimeout(resolveTimer);
    if (form.implKind !== 'folder') {
      resolution.value = null;
      setField('folder', null);
      return;
    }
    const typed = form.folder.trim();
    if (!typed) {
      resolution.value = null;
      setField('folder', null);
      return;
    }
    const mine = ++asked;
    resolveTimer = setTimeout(() => {
      resolving.value = true;
      api.implResolve({ impl: typed }).then(
        (r) => {
          if (mine !== asked) return;
          resolution.value = r;
          setField('folder', null);
        },
        (err: unknown) => {
          if (mine !== asked) return;
          resolution.value = null;
          setField('folder', err instanceof Error ? err.message : String(err));
        },
      ).finally(() => {
        if (mine === asked) resolving.value = false;
      });
    }, delayMs);
  }
  watch(() => [form.implKind, form.folder], () => resolveFolder());

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
        if (event.etaMs !== undefined) batch.etaMs = event.etaMs;
        const at = batch.tests.findIndex((t) => t.id === event.test.id);
        if (at >= 0) batch.tests[at] = event.test;
        if (event.run.status !== 'pass') failures.value.push(event.run);
        break;
      }
      case 'progress': {
        const batch = current.value;
        if (!batch || batch.id !== event.batchId || batch.state !== 'running') return;
        batch.inFlight = event.inFlight;
        batch.etaMs = event.etaMs;
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
    void useCatalogStore().load(impl.value || undefined, form.mode);
    void refreshRecent();
  }

  async function refreshRecent(): Promise<void> {
    try {
      recentFolders.value = (await api.settingsGet()).recentFolders ?? [];
    } catch {
      // the list stays as it was
    }
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
        else if (view.done > current.value.done) Object.assign(current.value, { done: view.done, failed: view.failed, tests: view.tests, etaMs: view.etaMs });
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
      recentFolders.value = saved.recentFolders ?? [];
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

  /** Map the back end's refusal to the fields it names (its issues carry the argument's path). */
  function showRefusal(err: unknown): void {
    if (err instanceof IpcError && err.code === 'BAD_INPUT') {
      const named = new Map<string, FieldName>([['impl', 'folder'], ['count', 'count'], ['parallel', 'parallel'], ['seed', 'seed'], ['tests', 'tests']]);
      let placed = false;
      for (const issue of err.issues ?? []) {
        const field = named.get(issue.path.split('.')[0] ?? '');
        if (field) {
          setField(field, issue.message);
          placed = true;
        }
      }
      if (placed) return;
      // A refusal of the folder itself (it does not load, say) is said next to it.
      if (form.implKind === 'folder' && /folder|index\.ts|compile|load|patch|make/i.test(err.message)) {
        setField('folder', err.message);
        return;
      }
    }
    error.value = err instanceof Error ? err.message : String(err);
  }

  async function start(): Promise<void> {
    const catalog = useCatalogStore();
    error.value = null;
    setField('tests', catalog.selected.length === 0 ? 'Pick at least one test.' : null);
    if (form.implKind === 'folder' && !impl.value) setField('folder', 'Type the path of your implementation folder (absolute, relative to where raftlab started, or ~/…).');
    setField('count', wholeNumber(form.count, 'Runs per test', 1, 10_000));
    setField('parallel', wholeNumber(form.parallel, 'Parallel', 1, 64));
    setField('seed', wholeNumber(form.seed, 'The seed', 0, SEED_MAX, ''));
    if (Object.keys(fieldErrors).length > 0) return;
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
      showRefusal(err);
    } finally {
      starting.value = false;
    }
  }

  /** Set the form to a planted bug's stated sweep (its tests and seeds, the checker on, its chaos knobs). */
  function useBug(bug: BugView): void {
    form.implKind = 'folder';
    form.folder = bug.dir;
    form.count = bug.catch.seeds;
    form.seed = 1;
    form.mode = 'sim';
    form.check = true;
    form.stopOnFail = true;
    for (const [name, spec] of Object.entries(chaosKnobSpecs)) {
      const v = bug.catch.chaosKnobs?.[spec.knob];
      form.chaos[name] = v === undefined ? '' : v;
    }
    useCatalogStore().selected = [...bug.catch.tests];
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

  return { form, current, failures, error, fieldErrors, starting, recentFolders, resolution, resolving, impl, running, chaos, init, start, useBug, cancel, resolveFolder, rerun };
});

import { defineStore } from 'pinia';
import { computed, reactive, ref, shallowRef, watch } from 'vue';
import { IpcError, type AppEvent, type ClockMode, type GradeCellRuns, type GradeCheck, type GradeForm, type GradeRunView, type GradeView, type PassRule } from '../../../shared/ipc.ts';
import { chaosKnobSpecs } from '../../../shared/chaos.ts';
import { api, subscribe } from '../api.ts';
import { chaosOf, emptyChaosForm, SEED_MAX, wholeNumber, type ChaosForm } from '../fields.ts';

/** The grade form's fields that can be wrong, each with its message in words. */
export type GradeField = 'submissions' | 'out' | 'tests' | 'count' | 'seed' | 'parallel' | 'rule' | 'chaos';

/** The most runs per test the back end takes (src/grade/plan.ts's gradeCountMax: the CLI's --count). */
const COUNT_MAX = 100_000;
const PARALLEL_MAX = 64;
/** How often an open grade is read again while it is incomplete (the back end reads only what was appended). */
export const GRADE_REFRESH_MS = 2000;

/** Each knob's short name → its name in ChaosKnobs. */
const SHORT: Record<string, string> = Object.fromEntries(Object.entries(chaosKnobSpecs).map(([short, spec]) => [short, spec.knob]));
/** The fields only the back end can judge (a folder's contents, what a pattern selects): cleared before it is asked again. */
const JUDGED: GradeField[] = ['submissions', 'out', 'tests', 'chaos'];

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/**
 * The Grading page: the grade form (checked by the back end as it is typed: which submissions and tests, whether it
 * resumes a grade), the grade the app runs (live through the back end's events), and the grade folder open on the
 * page (its matrix, read again while runs are still coming in), with a cell's failed runs.
 */
export const useGradingStore = defineStore('grading', () => {
  const form = reactive({
    submissions: '',
    out: '',
    /** The grade folder was typed (not suggested from the submissions folder). */
    outTyped: false,
    tests: '.',
    count: 10 as string | number,
    seed: 1 as string | number,
    mode: 'sim' as ClockMode,
    check: false,
    rule: 'all' as PassRule['kind'],
    maxRate: '0.05' as string | number,
    parallel: 2 as string | number,
    chaos: emptyChaosForm() as ChaosForm,
  });
  const fieldErrors = reactive<Partial<Record<GradeField, string>>>({});
  /** What the form would do (null while it cannot run, or is being checked). */
  const check = shallowRef<GradeCheck | null>(null);
  const checking = ref(false);
  /** A refusal that names no field. */
  const error = ref<string | null>(null);
  const starting = ref(false);
  const recentGrades = ref<string[]>([]);
  const recentSubmissions = ref<string[]>([]);
  /** The grade the app runs (or ran last, in this session). */
  const live = ref<GradeRunView | null>(null);
  /** The grade folder on the page. */
  const view = shallowRef<GradeView | null>(null);
  const viewDir = ref('');
  const viewError = ref<string | null>(null);
  const loading = ref(false);
  /** Verdicts under another rule than the grade's own (null: the grade's). */
  const ruleOverride = ref<PassRule | null>(null);
  const cell = shallowRef<GradeCellRuns | null>(null);
  const cellKey = ref<{ submission: string; test: string } | null>(null);
  const cellError = ref<string | null>(null);
  let unsubscribe: (() => void) | undefined;
  let initialized = false;

  const running = computed(() => live.value?.state === 'preparing' || live.value?.state === 'running');
  /** The live grade, when it is the one on the page. */
  const liveHere = computed(() => (live.value && view.value && live.value.dir === view.value.dir ? live.value : null));

  function setField(name: GradeField, text: string | null | undefined): void {
    if (text) fieldErrors[name] = text;
    else delete fieldErrors[name];
  }

  /** The pass rule the form says, or the message of why it says none. */
  function formRule(): PassRule | string {
    if (form.rule === 'all') return { kind: 'all' };
    const text = String(form.maxRate).trim();
    const rate = Number(text);
    if (text === '' || !Number.isFinite(rate) || rate < 0 || rate > 1) return `The largest failure rate a test may have is from 0 to 1 (0.05 is 5 %), not “${text}”`;
    return { kind: 'rate', maxRate: rate };
  }

  /** The form as the back end takes it, after the checks the page can make itself (each said next to its field). */
  function formValue(): GradeForm | null {
    setField('count', wholeNumber(form.count, 'Runs per test', 1, COUNT_MAX));
    setField('seed', wholeNumber(form.seed, 'The first seed', 0, SEED_MAX));
    setField('parallel', wholeNumber(form.parallel, 'Parallel', 1, PARALLEL_MAX));
    const rule = formRule();
    setField('rule', typeof rule === 'string' ? rule : null);
    if (!form.submissions.trim()) setField('submissions', 'Type the path of the folder of submissions (one subfolder each).');
    if (!form.out.trim()) setField('out', 'Type the path of the grade folder (new, empty, or a grade to resume).');
    if (!form.tests.trim()) setField('tests', "Type a pattern over test ids ('.' for all, '2A', 'TestBackup2B').");
    if (Object.keys(fieldErrors).length > 0 || typeof rule === 'string') return null;
    const chaos = chaosOf(form.chaos);
    return {
      submissions: form.submissions.trim(),
      out: form.out.trim(),
      tests: form.tests.trim(),
      count: Number(form.count),
      seed: Number(form.seed),
      mode: form.mode,
      check: form.check,
      ...(Object.keys(chaos).length ? { chaos } : {}),
      rule,
      parallel: Number(form.parallel),
    };
  }

  /** Put the back end's refusal on the fields it names; true when it named one. */
  function placeRefusal(err: unknown): boolean {
    if (!(err instanceof IpcError) || err.code !== 'BAD_INPUT') return false;
    let placed = false;
    for (const issue of err.issues ?? []) {
      const field = issue.path.split('.')[0] as GradeField;
      if (['submissions', 'out', 'tests', 'count', 'seed', 'parallel', 'rule', 'chaos'].includes(field)) {
        setField(field, issue.message);
        placed = true;
      }
    }
    return placed;
  }

  let checkTimer: ReturnType<typeof setTimeout> | undefined;
  let asked = 0;
  /** Ask the back end what the form would do, a moment after the last keystroke. */
  function checkSoon(delayMs = 350): void {
    clearTimeout(checkTimer);
    checkTimer = setTimeout(() => void runCheck(), delayMs);
  }

  async function runCheck(): Promise<void> {
    const mine = ++asked;
    for (const f of JUDGED) setField(f, null);
    error.value = null;
    const value = formValue();
    check.value = null;
    if (!value) return;
    checking.value = true;
    try {
      const answer = await api.gradeCheck(value);
      if (mine === asked) check.value = answer;
    } catch (err) {
      if (mine !== asked) return;
      if (!placeRefusal(err)) error.value = message(err);
    } finally {
      if (mine === asked) checking.value = false;
    }
  }

  watch(
    () => [form.submissions, form.out, form.tests, form.count, form.seed, form.mode, form.check, form.rule, form.maxRate, form.parallel, form.chaos],
    () => checkSoon(),
  );
  // Until the grade folder is typed, it is suggested beside the submissions folder: ~/class → ~/class-grade.
  watch(
    () => form.submissions,
    (typed) => {
      if (!form.outTyped) form.out = typed.trim() ? `${typed.trim().replace(/[\\/]+$/, '')}-grade` : '';
    },
  );

  function onEvent(event: AppEvent): void {
    if (event.type === 'grade') {
      live.value = event.grade;
      if (view.value?.dir === event.grade.dir) void refresh();
      // A grade that ended changed what the form would do (it resumes that folder now).
      if (event.grade.state !== 'preparing' && event.grade.state !== 'running') checkSoon(0);
    } else if (event.type === 'grade-progress') {
      const g = live.value;
      if (!g || g.dir !== event.dir) return;
      g.done = event.done;
      g.failed = event.failed;
      for (const s of event.submissions) {
        const at = g.submissions.findIndex((x) => x.id === s.id);
        if (at >= 0) g.submissions[at] = s;
      }
      if (view.value?.dir === g.dir) refreshSoon();
    }
  }

  /** Subscribe to events; fill the form as last used, the recent folders, and a grade the app runs already. */
  async function init(): Promise<void> {
    unsubscribe ??= subscribe(onEvent);
    if (initialized) return;
    initialized = true;
    try {
      const memory = await api.gradeForm();
      recentGrades.value = memory.recentGrades;
      recentSubmissions.value = memory.recentSubmissions;
      form.parallel = memory.defaultParallel;
      const f = memory.form;
      if (f) {
        Object.assign(form, { submissions: f.submissions, tests: f.tests, count: f.count, seed: f.seed, mode: f.mode, check: f.check, parallel: f.parallel });
        form.out = f.out;
        form.outTyped = true;
        form.rule = f.rule.kind;
        if (f.rule.kind === 'rate') form.maxRate = f.rule.maxRate;
      }
      live.value = (await api.gradeCurrent()) ?? live.value;
    } catch (err) {
      error.value = message(err);
    }
  }

  async function start(): Promise<string | null> {
    clearTimeout(checkTimer);
    asked++;
    for (const f of JUDGED) setField(f, null);
    error.value = null;
    const value = formValue();
    if (!value) return null;
    starting.value = true;
    try {
      const started = await api.gradeStart(value);
      live.value = started;
      recentGrades.value = [started.dir, ...recentGrades.value.filter((d) => d !== started.dir)].slice(0, 8);
      recentSubmissions.value = [started.submissionsDir, ...recentSubmissions.value.filter((d) => d !== started.submissionsDir)].slice(0, 8);
      return started.dir;
    } catch (err) {
      if (!placeRefusal(err)) error.value = message(err);
      return null;
    } finally {
      starting.value = false;
    }
  }

  async function cancel(): Promise<void> {
    if (!live.value) return;
    try {
      await api.gradeCancel({ dir: live.value.dir });
    } catch (err) {
      error.value = message(err);
    }
  }

  /** Open a grade folder on the page (as typed: absolute, relative or ~/…). */
  async function open(dir: string): Promise<void> {
    if (dir !== viewDir.value) {
      view.value = null;
      cell.value = null;
      cellKey.value = null;
      ruleOverride.value = null;
    }
    viewDir.value = dir;
    viewError.value = null;
    if (!dir) return;
    loading.value = true;
    try {
      view.value = await api.gradeOpen({ dir, ...(ruleOverride.value ? { rule: ruleOverride.value } : {}) });
      const opened = view.value.dir;
      recentGrades.value = [opened, ...recentGrades.value.filter((d) => d !== opened)].slice(0, 8);
    } catch (err) {
      view.value = null;
      viewError.value = message(err);
    } finally {
      loading.value = false;
    }
  }

  let inFlight: Promise<void> | undefined;
  /** Read the open grade again (the back end reads only what was appended); the selected cell too. */
  function refresh(): Promise<void> {
    const dir = view.value?.dir;
    if (!dir) return Promise.resolve();
    inFlight ??= (async () => {
      try {
        const next = await api.gradeOpen({ dir, ...(ruleOverride.value ? { rule: ruleOverride.value } : {}) });
        if (view.value?.dir === next.dir) view.value = next;
        if (cellKey.value) await loadCell(cellKey.value.submission, cellKey.value.test);
      } catch (err) {
        viewError.value = message(err);
      } finally {
        inFlight = undefined;
      }
    })();
    return inFlight;
  }

  let refreshTimer: ReturnType<typeof setTimeout> | undefined;
  /** Read it again within a second (progress events come a few times a second; the matrix follows at most once a second). */
  function refreshSoon(): void {
    refreshTimer ??= setTimeout(() => {
      refreshTimer = undefined;
      void refresh();
    }, 1000);
  }

  async function setRule(rule: PassRule | null): Promise<void> {
    ruleOverride.value = rule;
    await refresh();
  }

  async function loadCell(submission: string, test: string): Promise<void> {
    const dir = view.value?.dir;
    if (!dir) return;
    cellKey.value = { submission, test };
    cellError.value = null;
    try {
      const runs = await api.gradeRuns({ dir, submission, test });
      if (cellKey.value?.submission === submission && cellKey.value.test === test) cell.value = runs;
    } catch (err) {
      cellError.value = message(err);
    }
  }

  function closeCell(): void {
    cellKey.value = null;
    cell.value = null;
    cellError.value = null;
  }

  /** Fill the form from the grade on the page: the same settings and folders resume it. */
  function useGrade(g: GradeView): void {
    const s = g.settings;
    if (g.submissionsDir) form.submissions = g.submissionsDir;
    form.out = g.dir;
    form.outTyped = true;
    Object.assign(form, { tests: s.tests, count: s.count, seed: s.baseSeed, mode: s.mode, check: s.check, rule: s.rule.kind });
    if (s.rule.kind === 'rate') form.maxRate = s.rule.maxRate;
    const chaos = emptyChaosForm();
    for (const [name, value] of Object.entries(s.chaos ?? {})) {
      const short = Object.entries(SHORT).find(([, knob]) => knob === name)?.[0];
      if (short && typeof value === 'number') chaos[short] = value;
    }
    form.chaos = chaos;
  }

  return {
    form,
    fieldErrors,
    check,
    checking,
    error,
    starting,
    recentGrades,
    recentSubmissions,
    live,
    liveHere,
    running,
    view,
    viewDir,
    viewError,
    loading,
    ruleOverride,
    cell,
    cellKey,
    cellError,
    init,
    start,
    cancel,
    open,
    refresh,
    setRule,
    loadCell,
    closeCell,
    useGrade,
    runCheck,
  };
});

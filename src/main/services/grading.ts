/**
 * Grading for the UI: a class graded on this machine's pool by the same code as `raftlab grade` (src/grade), its
 * progress per submission pushed as events (events.ts), and any grade folder read back — the CLI's, the app's, or
 * one workers over a queue are still writing (results.ndjson is read from where the last read stopped) — as a
 * submissions × tests matrix with each part's verdict under the grade's rule or another the page asks for.
 *
 * The page names a grade by its folder. Only folders it opened or started are read again by path (grade:runs,
 * grade:report-file), and only their report files are handed out; the traces in their traces/ folders are let
 * through to the trace channels (TraceAccess.allowFolder) and nothing else of them.
 */
import os from 'node:os';
import path from 'node:path';
import { invariants, type InvariantId } from '../../checker/checker.ts';
import { formatChaos } from '../../harness/chaos.ts';
import { expandPath } from '../../harness/loader/index.ts';
import { GradeFolder, partOf } from '../../grade/folder.ts';
import { grade } from '../../grade/grade.ts';
import { formatPassRule, gradeSettingsOf, previewGrade, recordedSettings, type GradePlanPreview } from '../../grade/options.ts';
import { resultKey, sameSettings, type GradeSettings, type PassRule } from '../../grade/plan.ts';
import { GradeInputError } from '../../grade/submissions.ts';
import type { LabPart } from '../../harness/tester/index.ts';
import type {
  GradeCellRuns,
  GradeCellView,
  GradeCheck,
  GradeForm,
  GradeFormMemory,
  GradeRunView,
  GradeSettingsView,
  GradeStudentView,
  GradeSubmissionProgress,
  GradeView,
} from '../../shared/ipc.ts';
import { InputError } from '../rpc.ts';
import type { EventHub } from './events.ts';
import type { SettingsService } from './settings.ts';
import type { TraceAccess } from './traces.ts';

/** How often a running grade's progress goes out (the submissions whose runs moved since). */
export const GRADE_PROGRESS_EVERY_MS = 250;
/** Grade folders kept read (each holds its results in memory; another is read again from its file). */
export const OPEN_GRADES_MAX = 8;

export interface GradeServiceOptions {
  events: EventHub;
  access: TraceAccess;
  settings: SettingsService;
  /** What a relative folder is relative to (the folder the app was started from). */
  cwd?: string | undefined;
  /** Passed to the run processes' pool (tests use short watchdogs). */
  timeoutMs?: number | undefined;
}

interface LiveGrade {
  view: GradeRunView;
  controller: AbortController;
  done: Promise<void>;
}

/** A grade's refusal, for the page: the message, on the form's field it is about. */
function refusal(error: GradeInputError): InputError {
  return new InputError(error.message, error.field ? [{ path: error.field, message: error.message }] : undefined);
}

function asInput<T>(work: () => T): T {
  try {
    return work();
  } catch (error) {
    if (error instanceof GradeInputError) throw refusal(error);
    throw error;
  }
}

export function settingsView(settings: GradeSettings): GradeSettingsView {
  const chaosText = formatChaos(settings.chaos);
  return { ...settings, ruleText: formatPassRule(settings.rule), ...(chaosText ? { chaosText } : {}) };
}

/** The matrix of a grade folder as read so far, its verdicts under `rule` (the grade's own without one). */
export function gradeViewOf(folder: GradeFolder, rule: PassRule | undefined, running: boolean): GradeView {
  const { submissions, submissionsDir, fromManifest } = folder.submissions();
  const report = folder.report(submissions, rule);
  const { settings } = folder;
  const testIndex = new Map(folder.tests.map((t, i) => [t, i]));
  const byStudent = new Map<string, { statuses: GradeCellView['statuses']; traces: number }[]>();
  const studentIds = new Set(submissions.map((s) => s.id));
  for (const r of folder.results.values()) {
    const i = testIndex.get(r.test);
    if (i === undefined || !studentIds.has(r.submission) || r.status === 'pass') continue;
    if (r.seed < settings.baseSeed || r.seed >= settings.baseSeed + settings.count) continue;
    let cells = byStudent.get(r.submission);
    if (!cells) byStudent.set(r.submission, (cells = folder.tests.map(() => ({ statuses: {}, traces: 0 }))));
    const cell = cells[i]!;
    cell.statuses[r.status] = (cell.statuses[r.status] ?? 0) + 1;
    if (folder.tracePath(r)) cell.traces++;
  }
  const violationTitles: Record<string, string> = {};
  const students: GradeStudentView[] = report.students.map((s) => {
    const extra = byStudent.get(s.id);
    const cells = s.tests.map((t, i): GradeCellView => {
      for (const v of Object.keys(t.violations)) violationTitles[v] ??= invariants[v as InvariantId]?.title ?? v;
      return {
        runs: t.runs,
        failed: t.failed,
        missing: t.missing,
        rate: t.runs ? t.failureRate : null,
        interval: t.runs ? t.interval : null,
        passed: t.passed,
        statuses: extra?.[i]?.statuses ?? {},
        violations: t.violations,
        traces: extra?.[i]?.traces ?? 0,
      };
    });
    const parts: GradeStudentView['parts'] = {};
    for (const [part, p] of Object.entries(s.parts) as [LabPart, { passed: boolean; testsPassed: number; tests: number }][]) {
      const incomplete = s.tests.some((t) => t.part === part && t.missing > 0);
      parts[part] = { verdict: incomplete ? 'incomplete' : p.passed ? 'pass' : 'fail', testsPassed: p.testsPassed, tests: p.tests };
    }
    const runs = cells.reduce((n, c) => n + c.runs, 0);
    return {
      id: s.id,
      ...(s.sourcesHash ? { sourcesHash: s.sourcesHash } : {}),
      ...(s.error ? { error: s.error } : {}),
      cells,
      parts,
      runs,
      failed: cells.reduce((n, c) => n + c.failed, 0),
      total: folder.tests.length * settings.count,
    };
  });
  const resultsFile = folder.resultsFile();
  const files = folder.reportFiles();
  const reportJson = files.find((f) => f.name === 'report.json');
  const used = rule ?? settings.rule;
  return {
    dir: folder.dir,
    ...(submissionsDir ? { submissionsDir } : {}),
    settings: settingsView(settings),
    rule: used,
    ruleText: formatPassRule(used),
    tests: folder.tests.map((id) => ({ id, part: partOf(id) })),
    students,
    runs: students.reduce((n, s) => n + s.runs, 0),
    failed: students.reduce((n, s) => n + s.failed, 0),
    expected: students.length * folder.tests.length * settings.count,
    results: { bytes: resultsFile?.bytes ?? 0, modifiedAt: resultsFile ? new Date(resultsFile.modifiedMs).toISOString() : null, skippedLines: folder.skippedLines },
    reports: {
      files: files.map((f) => ({ name: f.name, kind: f.kind, size: f.size, modifiedAt: new Date(f.modifiedMs).toISOString() })),
      stale: !!reportJson && !!resultsFile && resultsFile.modifiedMs > reportJson.modifiedMs,
    },
    violationTitles,
    running,
    fromManifest,
  };
}

const MIME: Record<'json' | 'csv' | 'junit', string> = { json: 'application/json', csv: 'text/csv; charset=utf-8', junit: 'application/xml' };

export class GradeService {
  #live: LiveGrade | undefined;
  /** Grade folders read, by folder, most recently used last. */
  readonly #folders = new Map<string, GradeFolder>();
  /** Grade folders the page opened or started: the only ones read again by path. */
  readonly #opened = new Set<string>();
  readonly #cwd: string;

  constructor(private readonly o: GradeServiceOptions) {
    this.#cwd = o.cwd ?? process.cwd();
  }

  /** The form's folders resolved (relative to where the app started, or under ~) and its settings as a grade records them. */
  #resolve(form: GradeForm): { submissionsDir: string; out: string; settings: GradeSettings } {
    return {
      submissionsDir: expandPath(form.submissions.trim(), this.#cwd),
      out: expandPath(form.out.trim(), this.#cwd),
      settings: asInput(() => gradeSettingsOf({ tests: form.tests, count: form.count, seed: form.seed, mode: form.mode, check: form.check, chaos: form.chaos, rule: form.rule })),
    };
  }

  #preview(form: GradeForm): GradePlanPreview {
    const { submissionsDir, out, settings } = this.#resolve(form);
    return asInput(() => previewGrade(submissionsDir, out, settings));
  }

  /** What the form would do, or why it cannot run (on the field it is about). */
  check(form: GradeForm): GradeCheck {
    const p = this.#preview(form);
    return { submissionsDir: p.submissionsDir, out: p.out, submissions: p.submissions, tests: p.tests, total: p.submissions.length * p.tests.length * p.settings.count, resumes: p.resumes, recorded: p.recorded };
  }

  /** The form as last used, the folders used lately, and the run processes a grade takes by default (every core). */
  memory(): GradeFormMemory {
    return { ...this.o.settings.gradeMemory(), defaultParallel: Math.max(1, os.availableParallelism?.() ?? os.cpus().length) };
  }

  /** Start grading; resolves once everything that can be refused was checked (the grade runs on; see `whenDone`). */
  start(form: GradeForm): GradeRunView {
    if (this.#live && (this.#live.view.state === 'preparing' || this.#live.view.state === 'running')) {
      throw new InputError(`A grade is running already (${this.#live.view.dir}): wait for it to end, or cancel it (a grade uses every run process of this machine)`);
    }
    const p = this.#preview(form);
    this.o.settings.rememberGrade({ form, grade: p.out, submissions: p.submissionsDir });
    const total = p.tests.length * p.settings.count;
    const view: GradeRunView = {
      dir: p.out,
      submissionsDir: p.submissionsDir,
      state: 'preparing',
      settings: settingsView(p.settings),
      tests: p.tests,
      startedAt: new Date().toISOString(),
      submissions: [],
      done: 0,
      total: p.submissions.length * total,
      failed: 0,
      recorded: p.recorded,
    };
    const controller = new AbortController();
    const byId = new Map<string, GradeSubmissionProgress>();
    const moved = new Set<string>();
    const ticker = setInterval(() => {
      if (moved.size === 0 || view.state !== 'running') return;
      const submissions = [...moved].map((id) => ({ ...byId.get(id)! }));
      moved.clear();
      this.o.events.emit({ type: 'grade-progress', dir: view.dir, done: view.done, failed: view.failed, submissions });
    }, GRADE_PROGRESS_EVERY_MS);
    ticker.unref?.();
    this.#opened.add(view.dir);
    this.o.access.allowFolder(path.join(view.dir, 'traces'));
    this.#folders.delete(view.dir);
    const emit = (): void => this.o.events.emit({ type: 'grade', grade: structuredClone(view) });

    const running = grade({
      submissionsDir: p.submissionsDir,
      out: p.out,
      settings: p.settings,
      parallel: form.parallel,
      signal: controller.signal,
      ...(this.o.timeoutMs ? { pool: { timeoutMs: () => this.o.timeoutMs!, stallMs: this.o.timeoutMs } } : {}),
      onPlan: (plan) => {
        view.submissions = plan.submissions.map((s) => ({ id: s.id, done: s.done, total: s.total, failed: s.failed, ...(s.error ? { error: s.error } : {}) }));
        for (const s of view.submissions) byId.set(s.id, s);
        view.done = plan.recorded;
        view.failed = view.submissions.reduce((n, s) => n + s.failed, 0);
        view.recorded = plan.recorded;
        view.state = 'running';
        emit();
      },
      onProgress: (progress) => {
        const s = byId.get(progress.submission);
        if (!s) return;
        view.done += progress.done - s.done;
        view.failed += progress.failed - s.failed;
        s.done = progress.done;
        s.failed = progress.failed;
        moved.add(s.id);
      },
    });
    const live: LiveGrade = {
      view,
      controller,
      done: running.then(
        (outcome) => {
          view.state = controller.signal.aborted || outcome.cut ? 'cancelled' : 'done';
          view.ran = outcome.ran;
        },
        (error: unknown) => {
          view.state = controller.signal.aborted ? 'cancelled' : 'error';
          view.error = error instanceof Error ? error.message : String(error);
          if (!(error instanceof GradeInputError) && !controller.signal.aborted) console.error('raftlab: a grade failed:', error);
        },
      ).finally(() => {
        clearInterval(ticker);
        view.finishedAt = new Date().toISOString();
        emit();
      }),
    };
    this.#live = live;
    emit();
    return structuredClone(view);
  }

  cancel(dir: string): boolean {
    const live = this.#live;
    if (!live || path.resolve(dir) !== live.view.dir || (live.view.state !== 'preparing' && live.view.state !== 'running')) return false;
    live.controller.abort();
    return true;
  }

  current(): GradeRunView | null {
    return this.#live ? structuredClone(this.#live.view) : null;
  }

  /** Resolves when the grade the app runs has ended and its end was announced. */
  async whenDone(): Promise<GradeRunView | null> {
    await this.#live?.done;
    return this.current();
  }

  /** Open a grade folder (as a person types it) and read what it holds now; later opens read only what was appended. */
  open(typed: string, rule?: PassRule): GradeView {
    const dir = expandPath(typed.trim(), this.#cwd);
    const folder = this.#folder(dir);
    this.o.access.allowFolder(path.join(folder.dir, 'traces'));
    if (!this.#opened.has(folder.dir)) {
      this.#opened.add(folder.dir);
      this.o.settings.rememberGrade({ grade: folder.dir });
    }
    const live = this.#live;
    return gradeViewOf(folder, rule, !!live && live.view.dir === folder.dir && (live.view.state === 'preparing' || live.view.state === 'running'));
  }

  /** A folder read before, refreshed; or read now (a grade being written is read again, from the start, when its settings changed). */
  #folder(dir: string): GradeFolder {
    let folder = this.#folders.get(dir);
    if (folder) {
      this.#folders.delete(dir);
      try {
        const now = recordedSettings(dir);
        if (now && sameSettings(now, folder.settings)) folder.refresh();
        else folder = undefined;
      } catch {
        folder = undefined;
      }
    }
    folder ??= asInput(() => GradeFolder.open(dir));
    this.#folders.set(dir, folder);
    while (this.#folders.size > OPEN_GRADES_MAX) this.#folders.delete(this.#folders.keys().next().value!);
    return folder;
  }

  /** A grade folder the page opened or started, read up to now; InputError for any other path. */
  #openedFolder(dir: string): GradeFolder {
    const resolved = path.resolve(dir);
    if (!this.#opened.has(resolved)) throw new InputError(`Not a grade folder this app opened: ${dir} (open it on the Grading page first)`);
    return this.#folder(resolved);
  }

  /** One submission × test: its failed runs, each with its kept trace. */
  runs(dir: string, submission: string, test: string): GradeCellRuns {
    const folder = this.#openedFolder(dir);
    if (!folder.tests.includes(test)) throw new InputError(`This grade has no test ${test}: its tests are ${folder.tests.join(', ')}`);
    const failures: GradeCellRuns['failures'] = [];
    let runs = 0;
    for (let i = 0; i < folder.settings.count; i++) {
      const r = folder.results.get(resultKey({ submission, test, seed: folder.settings.baseSeed + i }));
      if (!r) continue;
      runs++;
      if (r.status === 'pass') continue;
      const trace = folder.tracePath(r);
      failures.push({
        seed: r.seed,
        status: r.status,
        ...(r.message !== undefined ? { message: r.message } : {}),
        ...(r.site ? { site: r.site } : {}),
        ...(r.errorCode ? { errorCode: r.errorCode } : {}),
        ...(r.violations?.length ? { violations: r.violations } : {}),
        testMs: r.testMs,
        ...(trace ? { trace } : {}),
      });
    }
    return { submission, test, runs, passed: runs - failures.length, failures };
  }

  /** A report file an opened grade wrote: its bytes, name and type. */
  reportFile(dir: string, name: string): { fileName: string; mimeType: string; bytes: Buffer } {
    const folder = this.#openedFolder(dir);
    const bytes = asInput(() => folder.readReportFile(name));
    const kind = name.endsWith('.json') ? 'json' : name.endsWith('.csv') ? 'csv' : 'junit';
    // junit/alice.xml saves as <grade>-junit-alice.xml: a name that says which grade and student it is.
    const fileName = `${path.basename(folder.dir)}-${name.replace('/', '-')}`;
    return { fileName, mimeType: MIME[kind], bytes };
  }

  /** Cancel the grade the app runs, and wait for it (shutdown, tests). */
  async close(): Promise<void> {
    this.#live?.controller.abort();
    await this.#live?.done;
  }
}

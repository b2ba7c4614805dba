/**
 * The one IPC contract between the UI and the app's back end.
 *
 * Every channel is defined once, here: its name, a zod schema for its argument and the type of its
 * result. Everything else is derived from this table:
 *  - Electron main registers `ipcMain.handle(channel)` for each entry and validates the argument
 *    with the schema before the handler runs (src/main/electron-ipc.ts);
 *  - the web server answers `POST /api/<channel>` the same way (src/main/web-server.ts);
 *  - the preload exposes one method per channel on `window.raftlab` (src/preload/index.ts);
 *  - the renderer gets the same typed client over either transport (src/renderer/src/api.ts).
 *
 * To add a channel: add an entry to `contract`, a handler to src/main/services/index.ts (the type
 * checker insists), and call it as `api.<methodName>()` (`'runs:list'` becomes `api.runsList()`).
 *
 * This module is shared by Node (main, web server, tests) and the browser (renderer): it must not
 * use Node or DOM APIs.
 */
import * as z from 'zod';
import { chaosKnobsSchema, type ChaosKnobs } from '../harness/chaos-schema.ts';
import type { TraceHeader, TraceIndex } from '../trace/file.ts';
import type { InvariantId } from '../checker/checker.ts';
import type { ClockMode } from '../harness/runtime/types.ts';
import type { LabPart } from '../harness/tester/types.ts';
import type { RunStatus } from '../runner/types.ts';
import type { TestPaths } from '../runner/batch.ts';
import { gradeCountMax, gradeParallelMax, passRuleSchema, submissionIdPattern, type PassRule } from '../grade/plan.ts';

export type { ChaosKnobs };

// ---------------------------------------------------------------------------------------------
// Domain types carried over the contract
// ---------------------------------------------------------------------------------------------

/** Where the UI runs: an Electron window, or a browser talking to the local web server. */
export type Shell = 'electron' | 'web';

// One definition of each: the clock (the runtime seam's), the lab part (the tests'), a run's verdict (the runner's).
export type { ClockMode } from '../harness/runtime/types.ts';
export type { LabPart } from '../harness/tester/types.ts';
export type { RunStatus } from '../runner/types.ts';

export const CLOCK_MODES = ['real', 'sim'] as const satisfies readonly ClockMode[];

export interface AppInfo {
  /** Package name (`raftlab`). */
  name: string;
  /** Package version, from package.json. */
  version: string;
  /** Version of the Node.js that runs the back end (Electron's own Node in the desktop shell). */
  node: string;
  /** Electron version; only in the desktop shell. */
  electron?: string;
  /** Chromium version of the Electron shell; only in the desktop shell. */
  chrome?: string;
  /** `process.platform` of the back end, e.g. `linux`. */
  platform: string;
  /** `process.arch` of the back end, e.g. `x64`. */
  arch: string;
  shell: Shell;
  /** The clocks this build can run tests on. */
  clocks: ClockMode[];
}

/** Which Raft a batch runs: the built-in reference, the student skeleton, or a folder (absolute, relative or ~/…). */
export type ImplChoice = 'reference' | 'skeleton' | (string & {});

/** A failure rate: failures over runs, with its 95 % Wilson interval (null without runs). */
export interface RateView {
  runs: number;
  failed: number;
  rate: number | null;
  interval: { low: number; high: number } | null;
}

export interface CatalogEntry {
  id: string;
  part: LabPart;
  description: string;
  servers: number;
  /** The newest recorded run of this test in the catalog's scope (any code version, this clock). */
  last?: { status: RunStatus; seed: number; batchId: string; at: string };
  /** This code version, this clock, without chaos: what the test's badge says. */
  current: RateView;
  /** This code version and clock under chaos knobs: harsher than the course's, so counted apart. */
  chaos: RateView;
  /** Earlier code versions of the implementation (this clock, without chaos). */
  earlier: RateView;
}

/** The catalog, and the scope its rates are counted in. */
export interface CatalogView {
  scope: {
    /** The implementation folder (null: none could be resolved from the form, so no rates). */
    implDir: string | null;
    /** Its code version now: the hash of its sources (null when it does not build). */
    sourcesHash: string | null;
    mode: ClockMode;
  };
  tests: CatalogEntry[];
}

/** What a batch was started with, as the form sends it. */
export interface RunSettings {
  tests: string[];
  count: number;
  parallel: number;
  mode: ClockMode;
  seed?: number | undefined;
  impl: ImplChoice;
  stopOnFail: boolean;
  /** Run the safety checker on every run: a violation fails the run even when the tester passed it. */
  check?: boolean | undefined;
  /** Chaos knobs (src/harness/chaos.ts): harsher conditions than the course's; none by default. */
  chaos?: ChaosKnobs | undefined;
  /** A Go lab (a 6.824 checkout's src/raft): build its test binary with the race detector. */
  race?: boolean | undefined;
}

/** The form's remembered values (the settings file in the data folder). */
export type SavedSettings = Omit<RunSettings, 'tests' | 'seed' | 'chaos'> & {
  tests: string[];
  /** Implementation folders used lately, newest first (absolute). */
  recentFolders?: string[] | undefined;
};

/** What an implementation choice names, as the form shows it next to the field. */
export interface ImplResolution {
  /** The folder, absolute. */
  dir: string;
  /** go: a 6.824 checkout's src/raft, run by the course's Go tester (not replayable, wall clock only). */
  kind: 'reference' | 'skeleton' | 'bug' | 'folder' | 'go';
  /** For a planted bug: its name and title. */
  bug?: { name: string; title: string } | undefined;
}

export interface RunView {
  test: string;
  seed: number;
  status: RunStatus;
  message?: string | undefined;
  /** The test's own time (virtual in sim mode). */
  testMs: number;
  wallMs: number;
  /** The kept trace file (failed runs), an absolute path under the app's traces folder. */
  traceFile?: string | undefined;
}

export interface TestProgress {
  id: string;
  total: number;
  done: number;
  failed: number;
  /** 95 % Wilson interval of the failure rate so far (null before the first run ends). */
  interval?: { low: number; high: number } | null | undefined;
}

/** A run in flight: how far it is, against how long the test usually takes. */
export interface RunInFlight {
  test: string;
  seed: number;
  /** Test time so far (virtual on the sim clock, wall on the real clock), ms. */
  elapsedMs: number;
  /** The test's usual length on this clock (mean of recorded runs), ms, when known. */
  usualMs?: number | undefined;
}

export interface HistogramBin {
  /** Test time, ms: [from, to). */
  from: number;
  to: number;
  count: number;
}

export interface TestResultView {
  id: string;
  runs: number;
  failed: number;
  failureRate: number;
  /** 95 % Wilson interval of the failure rate. */
  interval: { low: number; high: number };
  /** Test time over the completed runs (virtual in sim mode); NaN-free: null when there were none. */
  testMs: { n: number; mean: number; sd: number; p95: number; min: number; max: number } | null;
  histogram: HistogramBin[];
  /** What its runs exercised (summed; runs counted; runs that sent InstallSnapshot), when they reported it. */
  paths?: TestPaths | undefined;
}

export interface FailureClusterView {
  test: string;
  /** The tester check (or error site) that fired. */
  site: string;
  /** The normalized message shared by the group. */
  message: string;
  example: string;
  count: number;
  statuses: string[];
  shortestSeed: number;
  /** Every failing run of the group, with its trace when one was kept, else why none was (when known). */
  failures: { seed: number; status: RunStatus; traceFile?: string | undefined; traceError?: string | undefined }[];
}

export type BatchViewState = 'running' | 'done' | 'stopped' | 'cancelled' | 'error' | 'interrupted';

export interface BatchView {
  id: string;
  state: BatchViewState;
  settings: RunSettings & { baseSeed: number };
  /** The implementation folder that ran. */
  implDir: string;
  /** A Go lab's batch: the course's Go test binary, on the wall clock; its runs are numbered, not seeded, and not replayable. */
  lang?: 'go' | undefined;
  startedAt: string;
  finishedAt?: string | undefined;
  total: number;
  done: number;
  failed: number;
  tests: TestProgress[];
  /** The code version that ran: the hash of the implementation's sources. */
  sourcesHash?: string | undefined;
  /** When the implementation is a planted bug: what it is (labs/bugs/<name>/about.json). */
  bug?: { name: string; title: string; explanation: string } | undefined;
  /** While running: the runs in flight, and the wall time left by the tests' usual durations (ms). */
  inFlight?: RunInFlight[] | undefined;
  etaMs?: number | null | undefined;
  /** Set once the batch has ended. */
  results?: { perTest: TestResultView[]; clusters: FailureClusterView[]; wallMs: number } | undefined;
  error?: string | undefined;
  /** Read back from history (not started in this session). */
  fromHistory?: boolean | undefined;
}

export interface HistoryBatchEntry {
  id: string;
  startedAt: string;
  pattern: string;
  /** How many tests, and their ids. */
  tests: number;
  testIds: string[];
  mode: string;
  implDir: string;
  /** The code version that ran (batches before raftlab recorded it have none). */
  sourcesHash?: string | undefined;
  /** The chaos knobs, as `--chaos` writes them (absent: the course's conditions). */
  chaos?: string | undefined;
  check: boolean;
  state: string;
  runs: number;
  failed: number;
  wallMs?: number | undefined;
}

/** Which recorded batches a History query wants. */
export interface HistoryFilter {
  implDir?: string | undefined;
  mode?: ClockMode | undefined;
  /** Batches without chaos knobs, only those with, or both (default). */
  chaos?: 'without' | 'only' | 'any' | undefined;
}

/** One page of recorded batches, newest first, and what the filters can choose from. */
export interface HistoryPage {
  /** Batches that pass the filter. */
  total: number;
  offset: number;
  batches: HistoryBatchEntry[];
  /** Every implementation folder in the history, with its number of batches (most used first). */
  impls: { dir: string; batches: number }[];
}

/** Each test's failure rate, batch by batch (oldest first), for one implementation. */
export interface HistorySeries {
  batches: { id: string; startedAt: string; sourcesHash?: string | undefined }[];
  tests: { id: string; points: { batch: number; runs: number; failed: number; rate: number; low: number; high: number }[] }[];
}

/** A planted bug (labs/bugs/<name>): what it is, the patch that plants it, and the sweep stated to catch it. */
export interface BugView {
  name: string;
  /** The bug's folder, absolute: what a batch runs. */
  dir: string;
  title: string;
  explanation: string;
  /** The patch's own prose (its header), and the diff a student would have written. */
  notes: string;
  diff: string;
  catch: {
    /** A regular expression over test ids, and the tests it selects. */
    pattern: string;
    tests: string[];
    seeds: number;
    /** Chaos knobs, as `--chaos` writes them, and as the form takes them. */
    chaos?: string | undefined;
    chaosKnobs?: ChaosKnobs | undefined;
    /** The invariant the checker names, for a bug that breaks a safety property. */
    invariant?: { id: InvariantId; title: string; rule: string } | undefined;
  };
  /** The sweep on the command line. */
  command: string;
}

/** A trace the user opened (a file picked, uploaded or dropped): where the app keeps it for this launch. */
export interface OpenedTrace {
  /** The trace file the trace channels take. */
  file: string;
  /** A trace file, or a bundle (whose trace this is, replayed with the bundle's own sources). */
  kind: 'trace' | 'bundle';
  /** The name it was opened by. */
  name: string;
}

/** Where a trace says its run failed: the tester check that failed, or the first broken rule when it was checked. */
export interface TraceFailure {
  eventIndex: number;
  t: number;
  kind: 'check' | 'violation' | 'end';
  /** What failed, in words. */
  text: string;
}

// ---------------------------------------------------------------------------------------------
// Grading a class (src/grade): the Grading page
// ---------------------------------------------------------------------------------------------

/** When a test passes, under a grade: every run passed, or its failure rate is at most maxRate. */
export type { PassRule } from '../grade/plan.ts';

/** A grade's settings (its grade.json), with the rule and the chaos knobs as the CLI writes them. */
export interface GradeSettingsView {
  /** A regular expression over test ids. */
  tests: string;
  count: number;
  baseSeed: number;
  mode: ClockMode;
  check: boolean;
  chaos?: ChaosKnobs | undefined;
  rule: PassRule;
  /** `all` or `rate<=X`, as --rule takes it. */
  ruleText: string;
  /** As --chaos takes them; absent without chaos. */
  chaosText?: string | undefined;
}

/** The grade form, as the page sends it (folders as a person types them: absolute, relative or ~/…). */
export interface GradeForm {
  submissions: string;
  out: string;
  tests: string;
  count: number;
  seed: number;
  mode: ClockMode;
  check: boolean;
  chaos?: ChaosKnobs | undefined;
  rule: PassRule;
  parallel: number;
}

/** What a grade form would do, as far as can be known before anything is built. */
export interface GradeCheck {
  /** The folders, absolute. */
  submissionsDir: string;
  out: string;
  submissions: string[];
  tests: string[];
  /** Runs the grade has: submissions × tests × count. */
  total: number;
  /** The out folder holds this grade already: the runs it recorded are not run again. */
  resumes: boolean;
  recorded: number;
}

/** The grade form as last used, and the grade folders opened or made lately (newest first). */
export interface GradeFormMemory {
  /** Without its chaos knobs (never kept). */
  form?: Omit<GradeForm, 'chaos'> | undefined;
  recentGrades: string[];
  recentSubmissions: string[];
  /** Run processes a grade takes unless told: every core of the back end's machine. */
  defaultParallel: number;
}

export type GradeRunState = 'preparing' | 'running' | 'done' | 'cancelled' | 'error';

/** One submission's progress in a grade the app runs. */
export interface GradeSubmissionProgress {
  id: string;
  done: number;
  total: number;
  failed: number;
  /** It did not build or load: every run of it is an error with this message. */
  error?: string | undefined;
}

/** A grade the app runs (on this machine's pool), live. */
export interface GradeRunView {
  /** The grade folder, absolute. */
  dir: string;
  submissionsDir: string;
  state: GradeRunState;
  settings: GradeSettingsView;
  tests: string[];
  startedAt: string;
  finishedAt?: string | undefined;
  /** Every submission, once they are built and loaded (empty while preparing). */
  submissions: GradeSubmissionProgress[];
  done: number;
  total: number;
  failed: number;
  /** Runs recorded by an earlier grade of this folder (not run again). */
  recorded: number;
  /** Runs recorded by this one, once it has ended. */
  ran?: number | undefined;
  error?: string | undefined;
}

/** One submission × test of a grade: its runs so far and what the failures were. */
export interface GradeCellView {
  runs: number;
  failed: number;
  /** Runs not recorded (yet). */
  missing: number;
  /** failed / runs (null without runs), and its 95 % Wilson interval. */
  rate: number | null;
  interval: { low: number; high: number } | null;
  /** The test passes under the rule the view is under (never while runs are missing). */
  passed: boolean;
  /** The failed runs by status. */
  statuses: { fail?: number; error?: number; timeout?: number };
  /** How many runs the checker found breaking each rule (by invariant id). */
  violations: Record<string, number>;
  /** Failed runs whose trace the grade kept. */
  traces: number;
}

export interface GradePartVerdict {
  /** incomplete: some run of the part is not recorded yet, so it has no verdict. */
  verdict: 'pass' | 'fail' | 'incomplete';
  testsPassed: number;
  tests: number;
}

export interface GradeStudentView {
  id: string;
  sourcesHash?: string | undefined;
  /** The submission did not build or load. */
  error?: string | undefined;
  /** One per test, in the view's test order. */
  cells: GradeCellView[];
  parts: Partial<Record<LabPart, GradePartVerdict>>;
  runs: number;
  failed: number;
  /** Runs the grade has for this submission (tests × count). */
  total: number;
}

/** A report file the grade wrote (relative name: report.json, report.csv, junit/<student>.xml). */
export interface GradeFileView {
  name: string;
  kind: 'json' | 'csv' | 'junit';
  size: number;
  modifiedAt: string;
}

/** A grade folder read back: the submissions × tests matrix, the verdicts per part, the report files. */
export interface GradeView {
  dir: string;
  /** Where the class was (submissions.json); absent for a grade made before raftlab recorded it. */
  submissionsDir?: string | undefined;
  settings: GradeSettingsView;
  /** The rule the verdicts are under: the grade's own unless the page asked for another. */
  rule: PassRule;
  ruleText: string;
  tests: { id: string; part: LabPart }[];
  students: GradeStudentView[];
  runs: number;
  failed: number;
  /** submissions × tests × count. */
  expected: number;
  /** results.ndjson: its size and last write (null: no run recorded yet), lines that could not be read. */
  results: { bytes: number; modifiedAt: string | null; skippedLines: number };
  reports: {
    files: GradeFileView[];
    /** Runs were recorded after report.json was written: the report does not have them. */
    stale: boolean;
  };
  /** The checker's rules, by invariant id: their names. */
  violationTitles: Record<string, string>;
  /** The app is running this grade now. */
  running: boolean;
  /** The class came from submissions.json (false: from the report and the results of an older grade). */
  fromManifest: boolean;
}

/** One failed run of a grade. */
export interface GradeFailedRun {
  seed: number;
  status: RunStatus;
  message?: string | undefined;
  site?: string | undefined;
  errorCode?: string | undefined;
  violations?: string[] | undefined;
  testMs: number;
  /** Its kept trace, absolute (the trace channels read it); absent when none was kept. */
  trace?: string | undefined;
}

/** A matrix cell's runs: how many passed, and each failure. */
export interface GradeCellRuns {
  submission: string;
  test: string;
  runs: number;
  passed: number;
  failures: GradeFailedRun[];
}

/** A report file of a grade, as a download (web) or saved where the user picked (desktop). */
export interface FileExport {
  fileName: string;
  mimeType: string;
  size: number;
  data?: string | undefined;
  savedTo?: string | null | undefined;
}

/** What the back end pushes to the UI: on Electron's `raftlab:event` channel, or over SSE in web mode. */
export type AppEvent =
  | { type: 'batch-started'; batch: BatchView }
  | { type: 'run'; batchId: string; run: RunView; done: number; failed: number; test: TestProgress; etaMs?: number | null | undefined }
  /** A few times a second while runs are in flight: how far each is. */
  | { type: 'progress'; batchId: string; inFlight: RunInFlight[]; etaMs: number | null }
  | { type: 'batch-finished'; batch: BatchView }
  /** A grade the app runs: started, its class built and loaded, ended (the whole view each time). */
  | { type: 'grade'; grade: GradeRunView }
  /** A few times a second while a grade runs: the submissions whose runs moved since the last one. */
  | { type: 'grade-progress'; dir: string; done: number; failed: number; submissions: GradeSubmissionProgress[] };

/** What a trace can be exported as: the CLI's `raftlab export --format` choices. */
export const TRACE_EXPORT_FORMATS = ['ndjson', 'text', 'shiviz', 'bundle'] as const;
export type TraceExportFormat = (typeof TRACE_EXPORT_FORMATS)[number];

/**
 * An exported trace. In web mode it carries the bytes (base64) for the page to offer as a download; in the
 * desktop shell main has already asked where to save it and written it (`savedTo`, null when the user cancelled).
 */
export interface TraceExport {
  /** The suggested file name: `<Test>-seed<n>.ndjson|.txt|.shiviz.log|.bundle.gz`. */
  fileName: string;
  mimeType: string;
  /** Size of the export in bytes. */
  size: number;
  /** What the user should know about it (a bundle of sources that changed on disk since the run). */
  warnings?: string[] | undefined;
  /** Web mode: the file's bytes, base64. */
  data?: string | undefined;
  /** Desktop shell: where the file was saved, or null when the save dialog was cancelled. */
  savedTo?: string | null | undefined;
}

/** One trace event, in a line (for showing where a replay first differs). */
export interface TraceEventSummary {
  index: number;
  t: number;
  node?: number | undefined;
  topic: string;
  text: string;
}

/** What replaying a kept sim-clock trace found (the app's counterpart of `raftlab replay`). */
export interface TraceReplay {
  test: string;
  seed: number;
  recorded: { status: RunStatus; message?: string | undefined; events: number };
  replayed: { status: RunStatus; message?: string | undefined; events: number };
  /** The replay ended as the recorded run did: same status and message. */
  recurred: boolean;
  /** The replay's events equal the recorded ones, one for one. */
  identical: boolean;
  /** When not identical: the first event that differs, as recorded and as replayed (absent past the end). */
  firstDifference?: { index: number; recorded?: TraceEventSummary | undefined; replayed?: TraceEventSummary | undefined } | undefined;
  /** The folder's sources differ from the ones the run had (the code changed since). */
  sourcesChanged: boolean;
  /** The safety checker judged the run, and judged the replay. */
  checked: boolean;
  wallMs: number;
}

/** One broken guarantee the safety checker found in a trace (src/checker/checker.ts). */
export interface TraceViolationView {
  invariant: InvariantId;
  /** The invariant's name, e.g. "State Machine Safety". */
  title: string;
  /** The rule it states (Figure 2 / 3 of the Raft paper). */
  rule: string;
  /** What happened, in the words of the run. */
  message: string;
  /** Index (in the trace) of the first event that broke it, and that event's time (ms). */
  eventIndex: number;
  t: number;
  /** Indices of earlier events that led there, oldest first. */
  context: number[];
}

/** The safety checker over a kept trace (the app's counterpart of `raftlab check`). */
export interface TraceCheck {
  events: number;
  violations: TraceViolationView[];
  /** Rules the trace did not let the checker check, and why. */
  skipped: { invariant: InvariantId; title: string; reason: string }[];
}

/** Electron's event channel (webContents.send). */
export const EVENT_CHANNEL = 'raftlab:event';

// ---------------------------------------------------------------------------------------------
// Schemas shared by several channels
// ---------------------------------------------------------------------------------------------

const TEST_ID = z.string().regex(/^Test[A-Za-z0-9]+$/, { error: 'expected a test id like TestBackup2B' });
const BUG_NAME = z.string().regex(/^[a-z0-9][a-z0-9-]{0,79}$/, { error: 'expected a planted bug name like heartbeat-10ms' });
const BATCH_ID = z.string().regex(/^[A-Za-z0-9-]{1,80}$/, { error: 'expected a batch id' });
/** Each chaos knob within its range (the one table of knobs); unknown knobs are refused. */
const CHAOS_KNOBS = chaosKnobsSchema as unknown as z.ZodType<ChaosKnobs>;
/** Absolute on POSIX (/…) or Windows (C:\… or \\server\…); no NUL. Existence is checked by the back end. */
export const ABSOLUTE_PATH = z
  .string()
  .min(1)
  .max(4096)
  .refine((p) => !p.includes('\0') && (p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p) || p.startsWith('\\\\')), {
    error: 'expected an absolute path',
  });
/** A folder as a person types it: absolute, relative to where the app started, or under ~. Checked by the back end. */
export const FOLDER_PATH = z
  .string()
  .max(4096, { error: 'a folder path is at most 4096 characters' })
  .refine((p) => p.trim() !== '', { error: 'type the path of your implementation folder' })
  .refine((p) => !p.includes('\0'), { error: 'a folder path cannot hold a NUL character' });
const IMPL = z.union([z.literal('reference'), z.literal('skeleton'), FOLDER_PATH], {
  error: "expected 'reference', 'skeleton' or a folder path",
});
/** A folder of the grading page, as a person types it; `what` names it in the message. */
const folderField = (what: string) =>
  z
    .string()
    .max(4096, { error: `${what}: at most 4096 characters` })
    .refine((p) => p.trim() !== '', { error: `type the path of ${what}` })
    .refine((p) => !p.includes('\0'), { error: `${what}: a path cannot hold a NUL character` });
const SUBMISSION_ID = z.string().regex(submissionIdPattern, { error: 'expected a submission (its folder name)' });
const PASS_RULE = passRuleSchema as unknown as z.ZodType<PassRule>;
const GRADE_FORM = z.strictObject({
  submissions: folderField('the submissions folder'),
  out: folderField('the grade folder'),
  tests: z.string({ error: 'tests: a regular expression over test ids' }).trim().min(1, { error: "tests: a regular expression over test ids ('.' for all, '2A', 'TestBackup2B')" }).max(10_000),
  count: z.int({ error: 'runs per test: a whole number' }).min(1, { error: 'runs per test: at least 1' }).max(gradeCountMax, { error: `runs per test: at most ${gradeCountMax.toLocaleString('en')}` }),
  seed: z.int({ error: 'seed: a whole number' }).min(0, { error: 'seed: 0 or more' }).max(2 ** 31 - 1, { error: 'seed: at most 2147483647' }),
  mode: z.enum(CLOCK_MODES, { error: "clock: 'sim' or 'real'" }),
  check: z.boolean().default(false),
  chaos: CHAOS_KNOBS.optional(),
  rule: PASS_RULE,
  parallel: z.int({ error: 'parallel: a whole number' }).min(1, { error: 'parallel: at least 1' }).max(gradeParallelMax, { error: `parallel: at most ${gradeParallelMax}` }),
});
const TRACE_FILE = ABSOLUTE_PATH.refine((p) => p.endsWith('.trace.gz'), { error: 'expected a .trace.gz file' });

// ---------------------------------------------------------------------------------------------
// Defining channels
// ---------------------------------------------------------------------------------------------

declare const outputType: unique symbol;

/** One channel: the schema of its argument, and (as a type only) its result. */
export interface ChannelDef<I extends z.ZodType = z.ZodType, O = unknown> {
  /** One line on what the channel does. */
  readonly summary: string;
  /** Validates the argument; `z.undefined()` for a channel that takes none. */
  readonly input: I;
  /** The largest argument the web server reads, in bytes of JSON (default DEFAULT_MAX_INPUT_BYTES). */
  readonly maxInputBytes?: number;
  /** Phantom: carries the result type, never set at run time. */
  readonly [outputType]?: O;
}

/** `channel<Result>()({ summary, input })`: the result type is given, the input type inferred. */
export function channel<O>() {
  return <I extends z.ZodType>(def: { summary: string; input: I; maxInputBytes?: number }): ChannelDef<I, O> => def;
}

/** The most trace pages one trace:page call returns (each is at most 2 000 events). */
export const TRACE_PAGES_PER_CALL_MAX = 16;

/** Most arguments are small. */
export const DEFAULT_MAX_INPUT_BYTES = 1 << 20;
/** An opened file travels base64 in its argument: a bundle is at most 64 MB (src/runner/bundle.ts), a third more as base64. */
export const OPEN_MAX_BYTES = 64 * 1024 * 1024;
const OPEN_MAX_INPUT_BYTES = Math.ceil((OPEN_MAX_BYTES * 4) / 3) + 4096;

/** The largest argument the channel takes. */
export function maxInputBytes(name: Channel): number {
  return (contract[name] as ChannelDef).maxInputBytes ?? DEFAULT_MAX_INPUT_BYTES;
}

/** The schema of a channel that takes no argument. */
export function noArgument() {
  return z.undefined({ error: (issue) => `expected no argument, got ${describeValue(issue.input)}` });
}

// ---------------------------------------------------------------------------------------------
// The contract
// ---------------------------------------------------------------------------------------------

export const contract = {
  'app:info': channel<AppInfo>()({
    summary: 'What this installation is: versions, shell and the clocks it offers.',
    input: noArgument(),
  }),
  'catalog:list': channel<CatalogView>()({
    summary: "The 24 graded tests with part, description, servers, and their failure rates: this code version's, under chaos, and earlier versions'.",
    input: z.strictObject({ impl: IMPL.optional(), mode: z.enum(CLOCK_MODES).optional() }).optional(),
  }),
  'settings:get': channel<SavedSettings>()({
    summary: 'The run form as last used (the settings file in the data folder), with the folders used lately.',
    input: noArgument(),
  }),
  'impl:resolve': channel<ImplResolution>()({
    summary: 'What an implementation choice names: its folder (a relative path or ~ resolved), and whether it is a planted bug.',
    input: z.strictObject({ impl: IMPL }),
  }),
  'dialog:folder': channel<{ path: string | null }>()({
    summary: 'Desktop: pick a folder in a dialog (null when cancelled): an implementation, a class of submissions or a grade folder. The browser cannot: it says so.',
    input: z.strictObject({ purpose: z.enum(['impl', 'submissions', 'grade']) }).optional(),
  }),
  'batch:start': channel<BatchView>()({
    summary: 'Start a batch: the chosen tests, count times each, on a worker pool; progress comes as events.',
    input: z.strictObject({
      tests: z.array(TEST_ID).min(1, { error: 'pick at least one test' }).max(64, { error: 'at most 64 tests at once' }),
      count: z.int({ error: 'runs per test: a whole number' }).min(1, { error: 'runs per test: at least 1' }).max(10_000, { error: 'runs per test: at most 10 000' }),
      parallel: z.int({ error: 'parallel: a whole number' }).min(1, { error: 'parallel: at least 1' }).max(64, { error: 'parallel: at most 64' }),
      mode: z.enum(CLOCK_MODES, { error: "clock: 'sim' or 'real'" }),
      seed: z.int({ error: 'seed: a whole number' }).min(0, { error: 'seed: 0 or more' }).max(2 ** 31 - 1, { error: 'seed: at most 2147483647' }).optional(),
      impl: IMPL,
      stopOnFail: z.boolean().default(false),
      check: z.boolean().default(false),
      chaos: CHAOS_KNOBS.optional(),
      race: z.boolean().optional(),
    }),
  }),
  'batch:cancel': channel<{ cancelled: boolean }>()({
    summary: 'Cancel a running batch: nothing more is dispatched, runs in flight are dropped.',
    input: z.strictObject({ batchId: BATCH_ID }),
  }),
  'batch:get': channel<BatchView | null>()({
    summary: 'A batch started in this session (live or ended), or null.',
    input: z.strictObject({ batchId: BATCH_ID }),
  }),
  'batch:current': channel<BatchView | null>()({
    summary: 'The newest batch started in this session, or null.',
    input: noArgument(),
  }),
  'history:batches': channel<HistoryPage>()({
    summary: 'A page of recorded batches, newest first, filtered by implementation, clock and chaos.',
    input: z
      .strictObject({
        offset: z.int().min(0).default(0),
        limit: z.int().min(1).max(500).default(100),
        implDir: z.string().min(1).max(4096).optional(),
        mode: z.enum(CLOCK_MODES).optional(),
        chaos: z.enum(['without', 'only', 'any']).optional(),
      })
      .optional(),
  }),
  'history:batch': channel<BatchView | null>()({
    summary: "A recorded batch, whole: its results, failure clusters and kept traces, as when it ended (null: no such batch).",
    input: z.strictObject({ batchId: BATCH_ID }),
  }),
  'history:series': channel<HistorySeries>()({
    summary: "Each test's failure rate with its interval, batch by batch, for one implementation (the newest batches).",
    input: z.strictObject({
      implDir: z.string().min(1).max(4096),
      mode: z.enum(CLOCK_MODES).optional(),
      chaos: z.enum(['without', 'only', 'any']).optional(),
      limit: z.int().min(1).max(1000).default(200),
    }),
  }),
  'bugs:list': channel<BugView[]>()({
    summary: 'The planted bugs (labs/bugs): what each mistake is, its patch, the tests and seeds that catch it.',
    input: noArgument(),
  }),
  'bugs:get': channel<BugView>()({
    summary: 'One planted bug by name.',
    input: z.strictObject({ name: BUG_NAME }),
  }),
  'trace:open': channel<OpenedTrace>()({
    summary: "Open a trace or a bundle the user picked or dropped: its bytes, kept in this launch's own folder.",
    input: z.strictObject({
      name: z.string().min(1).max(255),
      data: z.base64({ error: 'the file, base64' }).max(OPEN_MAX_INPUT_BYTES, { error: `a file of at most ${OPEN_MAX_BYTES / 1024 / 1024} MB` }),
    }),
    maxInputBytes: OPEN_MAX_INPUT_BYTES + 1024,
  }),
  'trace:open-dialog': channel<OpenedTrace | null>()({
    summary: 'Desktop: pick a trace or a bundle anywhere in a dialog (null when cancelled). The browser uploads instead.',
    input: noArgument(),
  }),
  'trace:failure': channel<TraceFailure | null>()({
    summary: 'Where a trace says its run failed: the tester check that failed, or the first broken rule when checked.',
    input: z.strictObject({ file: TRACE_FILE }),
  }),
  'trace:index': channel<{ header: TraceHeader; index: TraceIndex; opened?: OpenedTrace | undefined; replayCommand: string }>()({
    summary: "A trace's header and page index (the app's kept traces, and those the user opened).",
    input: z.strictObject({ file: TRACE_FILE }),
  }),
  'trace:page': channel<string>()({
    summary: "Pages of a kept trace's events (`count` from `page`, default one), as the file stores them: NDJSON, one event a line (parseTracePageText).",
    input: z.strictObject({ file: TRACE_FILE, page: z.int().min(0).max(1_000_000), count: z.int().min(1).max(TRACE_PAGES_PER_CALL_MAX).optional() }),
  }),
  'trace:export': channel<TraceExport>()({
    summary: 'A kept trace as NDJSON, dslogs-like text, a ShiViz log or a bundle (web: the bytes; desktop: saved where the user picks).',
    input: z.strictObject({ file: TRACE_FILE, format: z.enum(TRACE_EXPORT_FORMATS) }),
  }),
  'trace:replay': channel<TraceReplay>()({
    summary: 'Replay a kept sim-clock trace (its test, seed and implementation, in a worker) and compare it event for event.',
    input: z.strictObject({ file: TRACE_FILE }),
  }),
  'trace:check': channel<TraceCheck>()({
    summary: "Run the safety checker over a kept trace: each broken guarantee, its rule and the event that broke it.",
    input: z.strictObject({ file: TRACE_FILE }),
  }),
  'grade:form': channel<GradeFormMemory>()({
    summary: 'The grade form as last used, and the grade and submissions folders used lately.',
    input: noArgument(),
  }),
  'grade:check': channel<GradeCheck>()({
    summary: 'What a grade form would do (its submissions, tests, and whether it resumes a grade), or why it cannot run.',
    input: GRADE_FORM,
  }),
  'grade:start': channel<GradeRunView>()({
    summary: "Grade a class on this machine's pool: every submission × the tests × count seeds, into the grade folder; progress comes as events.",
    input: GRADE_FORM,
  }),
  'grade:cancel': channel<{ cancelled: boolean }>()({
    summary: 'Cancel the grade the app runs: runs in flight are dropped, the recorded ones stay (the same grade resumes).',
    input: z.strictObject({ dir: ABSOLUTE_PATH }),
  }),
  'grade:current': channel<GradeRunView | null>()({
    summary: 'The grade the app runs now, or the last one it ran in this session, or null.',
    input: noArgument(),
  }),
  'grade:open': channel<GradeView>()({
    summary: "A grade folder read back (the CLI's, the app's, or one workers are still writing): the matrix, the verdicts per part, the report files.",
    input: z.strictObject({ dir: folderField('the grade folder'), rule: PASS_RULE.optional() }),
  }),
  'grade:runs': channel<GradeCellRuns>()({
    summary: "One submission × test of an opened grade: its failed runs, each with its message and kept trace.",
    input: z.strictObject({ dir: ABSOLUTE_PATH, submission: SUBMISSION_ID, test: TEST_ID }),
  }),
  'grade:report-file': channel<FileExport>()({
    summary: "A report file an opened grade wrote (report.json, report.csv, junit/<student>.xml): web, its bytes; desktop, saved where the user picks.",
    input: z.strictObject({ dir: ABSOLUTE_PATH, name: z.string().min(1).max(200) }),
  }),
} as const satisfies Record<string, ChannelDef>;

export type Contract = typeof contract;
export type Channel = keyof Contract & string;
/** What a caller passes. */
export type InputOf<C extends Channel> = z.input<Contract[C]['input']>;
/** What a handler receives, after validation. */
export type ParsedInputOf<C extends Channel> = z.output<Contract[C]['input']>;
export type OutputOf<C extends Channel> = Contract[C] extends ChannelDef<z.ZodType, infer O> ? O : never;

export const channels: readonly Channel[] = Object.keys(contract) as Channel[];

export function isChannel(name: string): name is Channel {
  return Object.hasOwn(contract, name);
}

// ---------------------------------------------------------------------------------------------
// Results and errors: the same envelope over Electron IPC and over HTTP
// ---------------------------------------------------------------------------------------------

export type IpcErrorCode =
  /** The argument failed the channel's schema (HTTP 400). */
  | 'BAD_INPUT'
  /** The request itself is malformed: bad JSON, wrong content type, too large (HTTP 400/413/415). */
  | 'BAD_REQUEST'
  /** No such channel (HTTP 404). */
  | 'UNKNOWN_CHANNEL'
  /** The web API was called without the launch's token (HTTP 401). */
  | 'UNAUTHORIZED'
  /** The caller is not the app's own UI (HTTP 403). */
  | 'FORBIDDEN'
  /** The handler failed (HTTP 500). */
  | 'INTERNAL';

export interface IpcIssue {
  /** Dotted path into the argument, '' for the argument itself. */
  path: string;
  message: string;
}

export interface IpcErrorBody {
  code: IpcErrorCode;
  message: string;
  issues?: IpcIssue[];
}

export type IpcResult<T> = { ok: true; value: T } | { ok: false; error: IpcErrorBody };

/** Thrown by the client when a call fails; carries the error the back end sent. */
export class IpcError extends Error {
  readonly code: IpcErrorCode;
  readonly issues: IpcIssue[] | undefined;

  constructor(body: IpcErrorBody) {
    super(body.message);
    this.name = 'IpcError';
    this.code = body.code;
    this.issues = body.issues;
  }
}

export function ipcError(code: IpcErrorCode, message: string, issues?: IpcIssue[]): { ok: false; error: IpcErrorBody } {
  return { ok: false, error: issues ? { code, message, issues } : { code, message } };
}

/** Validates `raw` against the channel's schema; a failure explains itself in one sentence. */
export function parseInput<C extends Channel>(
  name: C,
  raw: unknown,
): { ok: true; value: ParsedInputOf<C> } | { ok: false; error: IpcErrorBody } {
  const parsed = contract[name].input.safeParse(raw);
  if (parsed.success) return { ok: true, value: parsed.data as ParsedInputOf<C> };
  const issues = parsed.error.issues.map((issue) => ({
    path: issue.path.map(String).join('.'),
    message: issue.message,
  }));
  const detail = issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ');
  return ipcError('BAD_INPUT', `Bad argument for ${name}: ${detail}`, issues);
}

export function isIpcResult(value: unknown): value is IpcResult<unknown> {
  if (typeof value !== 'object' || value === null || !('ok' in value)) return false;
  if (value.ok === true) return 'value' in value;
  if (value.ok !== false || !('error' in value)) return false;
  const error = value.error;
  return typeof error === 'object' && error !== null && 'code' in error && 'message' in error;
}

export function unwrap<T>(result: IpcResult<T>): T {
  if (result.ok) return result.value;
  throw new IpcError(result.error);
}

// ---------------------------------------------------------------------------------------------
// The typed client: one interface, any transport
// ---------------------------------------------------------------------------------------------

/** `'app:info'` → `'appInfo'`, `'runs:start-one'` → `'runsStartOne'`. */
export type MethodName<S extends string> = S extends `${infer H}:${infer T}`
  ? `${MethodName<H>}${Capitalize<MethodName<T>>}`
  : S extends `${infer H}-${infer T}`
    ? `${H}${Capitalize<MethodName<T>>}`
    : S;

export function methodName<S extends string>(name: S): MethodName<S> {
  return name.replace(/[:-]([a-zA-Z0-9])/g, (_, c: string) => c.toUpperCase()) as MethodName<S>;
}

type ArgsOf<C extends Channel> = undefined extends InputOf<C> ? [input?: InputOf<C>] : [input: InputOf<C>];

/** The app's API as the UI sees it: one async method per channel. */
export type RaftlabApi = {
  readonly [C in Channel as MethodName<C>]: (...args: ArgsOf<C>) => Promise<OutputOf<C>>;
};

/** Moves one call to the back end and brings back its result envelope. Never throws for an error result. */
export type Transport = (channel: Channel, input: unknown) => Promise<IpcResult<unknown>>;

/** What the preload puts on `window.raftlab`: the API, the raw transport it is built on, and the app's events. */
export type RaftlabBridge = RaftlabApi & {
  readonly invoke: Transport;
  /** Calls `listener` with each AppEvent; returns the unsubscribe function. */
  readonly onEvent: (listener: (event: AppEvent) => void) => () => void;
};

export function createClient(transport: Transport): RaftlabApi {
  const api: Record<string, (input?: unknown) => Promise<unknown>> = {};
  for (const name of channels) {
    api[methodName(name)] = async (input?: unknown) => unwrap(await transport(name, input));
  }
  return Object.freeze(api) as unknown as RaftlabApi;
}

/** The web API's token header (or `?token=` where a header cannot be set, as for EventSource). */
export const TOKEN_HEADER = 'x-raftlab-token';
/** Set on a web answer whose body is the call's text result itself rather than the IpcResult envelope. */
export const RESULT_TEXT_HEADER = 'x-raftlab-result';

/** The web transport: `POST <base>/api/<channel>` with the argument as the JSON body (empty for none). */
export function httpTransport(base = '', token?: string): Transport {
  return async (name, input) => {
    const url = `${base}/api/${name}`;
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { [TOKEN_HEADER]: token } : {}) },
        body: input === undefined ? '' : JSON.stringify(input),
      });
    } catch (err) {
      return ipcError('INTERNAL', `Cannot reach the raftlab server at ${url}: ${err instanceof Error ? err.message : String(err)}`);
    }
    // A text result comes as the body itself (a trace page, passed through as its file stores it).
    if (response.ok && response.headers.get(RESULT_TEXT_HEADER) === 'text') {
      try {
        return { ok: true, value: await response.text() };
      } catch (err) {
        return ipcError('INTERNAL', `POST ${url}: the answer could not be read: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    const body: unknown = await response.json().catch(() => undefined);
    if (isIpcResult(body)) return body;
    return ipcError('INTERNAL', `POST ${url} answered ${response.status} ${response.statusText} without a result`);
  };
}

// ---------------------------------------------------------------------------------------------

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'object':
      return 'an object';
    case 'string':
      return 'a string';
    case 'number':
      return `the number ${value}`;
    case 'boolean':
      return `${value}`;
    default:
      return `a ${typeof value}`;
  }
}

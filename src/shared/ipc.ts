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
import { z } from 'zod';
import { chaosKnobsSchema, type ChaosKnobs } from '../harness/chaos-schema.ts';
import type { TraceEvent } from '../trace/events.ts';
import type { TraceHeader, TraceIndex } from '../trace/file.ts';
import type { InvariantId } from '../checker/checker.ts';
import type { ClockMode } from '../harness/runtime/types.ts';
import type { LabPart } from '../harness/tester/types.ts';
import type { RunStatus } from '../runner/types.ts';

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

/** Which Raft a batch runs: the built-in reference, the student skeleton, or an absolute folder path. */
export type ImplChoice = 'reference' | 'skeleton' | (string & {});

export interface CatalogEntry {
  id: string;
  part: LabPart;
  description: string;
  servers: number;
  /** The newest recorded run of this test (with the implementation asked about, if one was). */
  last?: { status: RunStatus; seed: number; batchId: string; at: string };
  /** Every recorded run of this test: failures over runs (0 runs: no rate). */
  history: { runs: number; failed: number; rate: number | null };
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
export type SavedSettings = Omit<RunSettings, 'tests' | 'seed' | 'chaos'> & { tests: string[] };

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
  /** Every failing run of the group, with its trace when one was kept. */
  failures: { seed: number; status: RunStatus; traceFile?: string | undefined }[];
}

export type BatchViewState = 'running' | 'done' | 'stopped' | 'cancelled' | 'error';

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
  /** Set once the batch has ended. */
  results?: { perTest: TestResultView[]; clusters: FailureClusterView[]; wallMs: number } | undefined;
  error?: string | undefined;
}

export interface HistoryBatchEntry {
  id: string;
  startedAt: string;
  pattern: string;
  tests: number;
  mode: string;
  implDir: string;
  state: string;
  runs: number;
  failed: number;
  wallMs?: number | undefined;
}

/** What the back end pushes to the UI: on Electron's `raftlab:event` channel, or over SSE in web mode. */
export type AppEvent =
  | { type: 'batch-started'; batch: BatchView }
  | { type: 'run'; batchId: string; run: RunView; done: number; failed: number; test: TestProgress }
  | { type: 'batch-finished'; batch: BatchView };

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
const IMPL = z.union([z.literal('reference'), z.literal('skeleton'), ABSOLUTE_PATH], {
  error: "expected 'reference', 'skeleton' or an absolute folder path",
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
  /** Phantom: carries the result type, never set at run time. */
  readonly [outputType]?: O;
}

/** `channel<Result>()({ summary, input })`: the result type is given, the input type inferred. */
export function channel<O>() {
  return <I extends z.ZodType>(def: { summary: string; input: I }): ChannelDef<I, O> => def;
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
  'catalog:list': channel<CatalogEntry[]>()({
    summary: 'The 24 graded tests with part, description, servers, and their last result and failure rate from history.',
    input: z.strictObject({ impl: IMPL.optional() }).optional(),
  }),
  'settings:get': channel<SavedSettings>()({
    summary: 'The run form as last used (the settings file in the data folder).',
    input: noArgument(),
  }),
  'batch:start': channel<BatchView>()({
    summary: 'Start a batch: the chosen tests, count times each, on a worker pool; progress comes as events.',
    input: z.strictObject({
      tests: z.array(TEST_ID).min(1).max(64),
      count: z.int().min(1).max(10_000),
      parallel: z.int().min(1).max(64),
      mode: z.enum(CLOCK_MODES),
      seed: z.int().min(0).max(2 ** 31 - 1).optional(),
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
  'history:batches': channel<HistoryBatchEntry[]>()({
    summary: 'Recorded batches, newest first.',
    input: noArgument(),
  }),
  'trace:index': channel<{ header: TraceHeader; index: TraceIndex }>()({
    summary: "A kept trace's header and page index (files under the app's traces folder only).",
    input: z.strictObject({ file: TRACE_FILE }),
  }),
  'trace:page': channel<TraceEvent[]>()({
    summary: "One page of a kept trace's events.",
    input: z.strictObject({ file: TRACE_FILE, page: z.int().min(0).max(1_000_000) }),
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

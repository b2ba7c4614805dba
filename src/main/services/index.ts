/**
 * The app's back end, one service per concern, and the handlers behind the IPC contract (src/shared/ipc.ts), one
 * per channel:
 *
 *   settings.ts         the run form as last used (settings.json in the data folder)
 *   implementations.ts  which folder an implementation choice names, and its code version
 *   catalog.ts          the graded tests with their record in history
 *   history.ts          recorded batches (src/runner/history.ts), their results again
 *   batches.ts          running batches, live progress as events (events.ts)
 *   traces.ts           opening, reading, exporting, checking and replaying traces, and which ones the page may read
 *   bugs.ts             the planted bugs: what each is, its patch, the sweep that catches it
 *   grading.ts          grading a class on this machine (src/grade), and grade folders read back as a matrix
 *   results.ts          a batch's results as the UI shows them (shared by batches and history)
 *
 * Nothing under src/main/services may import electron: these modules run in Electron's main process and in the
 * plain-Node web server alike (test/ui/contract.test.ts checks).
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { History, resolveDataDir } from '../../runner/history.ts';
import type { Handlers } from '../rpc.ts';
import { appInfo } from './app-info.ts';
import { BatchService } from './batches.ts';
import { BugService } from './bugs.ts';
import { CatalogService } from './catalog.ts';
import { EventHub } from './events.ts';
import { GradeService } from './grading.ts';
import { HistoryService } from './history.ts';
import { Implementations } from './implementations.ts';
import { SettingsService } from './settings.ts';
import { TraceAccess, TraceService } from './traces.ts';
import { InputError } from '../rpc.ts';

export { InputError } from '../rpc.ts';

export interface AppServicesOptions {
  /** The app's data folder (default: resolveDataDir(): $RAFTLAB_DATA, $XDG_DATA_HOME/raftlab, ~/.local/share/raftlab). */
  dataDir?: string;
  /** What a relative implementation folder is relative to (default: the working directory the app started in). */
  cwd?: string;
  /** Passed to the run processes' pool (tests use short watchdogs). */
  timeoutMs?: number;
}

/** The services over one data folder, wired together. */
export class AppServices {
  readonly dataDir: string;
  readonly tracesDir: string;
  readonly events = new EventHub();
  readonly settings: SettingsService;
  readonly impls: Implementations;
  readonly history: HistoryService;
  readonly catalog: CatalogService;
  readonly batches: BatchService;
  readonly traces: TraceService;
  readonly bugs = new BugService();
  readonly grading: GradeService;

  constructor(options: AppServicesOptions = {}) {
    this.dataDir = resolveDataDir(options.dataDir);
    this.tracesDir = path.join(this.dataDir, 'traces');
    mkdirSync(this.tracesDir, { recursive: true });
    const store = new History(this.dataDir);
    this.settings = new SettingsService(path.join(this.dataDir, 'settings.json'));
    this.impls = new Implementations(options.cwd);
    const access = new TraceAccess(this.tracesDir);
    this.traces = new TraceService(access, options.timeoutMs);
    this.history = new HistoryService(store, (id) => this.batches.state(id), (files) => access.allowRecorded(files));
    this.catalog = new CatalogService(this.history, this.impls);
    this.batches = new BatchService({
      history: store,
      tracesDir: this.tracesDir,
      events: this.events,
      impls: this.impls,
      settings: this.settings,
      usualDurations: (mode) => this.history.usualDurations(mode),
      timeoutMs: options.timeoutMs,
    });
    this.grading = new GradeService({ events: this.events, access, settings: this.settings, cwd: options.cwd, timeoutMs: options.timeoutMs });
  }

  /** Cancel running batches and wait for them, and drop this launch's opened files (shutdown, tests). */
  async close(): Promise<void> {
    await Promise.all([this.batches.close(), this.grading.close()]);
    this.traces.close();
  }
}

/** The handlers over one set of services (`services` is called on each use, so the default ones are made lazily). */
export function createHandlers(services: () => AppServices): Handlers {
  return {
    'app:info': appInfo,
    'catalog:list': (input) => services().catalog.list(input?.impl, input?.mode),
    'settings:get': () => services().settings.get(),
    'impl:resolve': ({ impl }) => services().impls.describe(impl),
    // The desktop shell replaces the two dialogs (src/main/index.ts); a browser page has none to offer.
    'dialog:folder': () => {
      throw new InputError('A browser cannot pick a folder for the app: type its path (relative to where raftlab started, or ~/…)');
    },
    'trace:open-dialog': () => {
      throw new InputError('A browser page opens files by upload: use Open… or drop the file on the page');
    },
    'batch:start': (input) => services().batches.start(input),
    'batch:cancel': ({ batchId }) => ({ cancelled: services().batches.cancel(batchId) }),
    'batch:get': ({ batchId }) => services().batches.get(batchId),
    'batch:current': () => services().batches.current(),
    'history:batches': (input) => services().history.page(input ?? {}),
    'history:batch': ({ batchId }) => services().batches.get(batchId) ?? services().history.view(batchId),
    'history:series': (input) => services().history.series(input),
    'bugs:list': () => services().bugs.list(),
    'bugs:get': ({ name }) => services().bugs.get(name),
    'trace:open': ({ name, data }) => services().traces.openBytes(name, Buffer.from(data, 'base64')),
    'trace:failure': ({ file }) => services().traces.failure(file),
    'trace:index': ({ file }) => services().traces.index(file),
    'trace:page': ({ file, page, count }) => services().traces.pages(file, page, count),
    // Web mode: the bytes go to the page, which offers them as a download. (Electron main replaces this handler
    // with one that asks where to save them: src/main/index.ts.)
    'trace:export': async ({ file, format }) => {
      const out = await services().traces.export(file, format);
      return { fileName: out.fileName, mimeType: out.mimeType, size: out.bytes.length, data: out.bytes.toString('base64'), ...(out.warnings.length ? { warnings: out.warnings } : {}) };
    },
    'trace:replay': ({ file }) => services().traces.replay(file),
    'trace:check': ({ file }) => services().traces.check(file),
    'grade:form': () => services().grading.memory(),
    'grade:check': (form) => services().grading.check(form),
    'grade:start': (form) => services().grading.start(form),
    'grade:cancel': ({ dir }) => ({ cancelled: services().grading.cancel(dir) }),
    'grade:current': () => services().grading.current(),
    'grade:open': ({ dir, rule }) => services().grading.open(dir, rule),
    'grade:runs': ({ dir, submission, test }) => services().grading.runs(dir, submission, test),
    // Web mode: the bytes go to the page, which offers them as a download (Electron main asks where to save them).
    'grade:report-file': ({ dir, name }) => {
      const out = services().grading.reportFile(dir, name);
      return { fileName: out.fileName, mimeType: out.mimeType, size: out.bytes.length, data: out.bytes.toString('base64') };
    },
  };
}

let defaults: AppServices | undefined;

/** The app's services, on the default data folder; made on first use. */
export function defaultServices(): AppServices {
  defaults ??= new AppServices();
  return defaults;
}

/** Cancel the default services' batches, if they were ever made (shutdown). */
export async function closeDefaultServices(): Promise<void> {
  await defaults?.close();
}

/** The app's handlers, on the default data folder ($RAFTLAB_DATA or the platform's default). */
export const handlers: Handlers = createHandlers(defaultServices);

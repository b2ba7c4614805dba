/**
 * The handlers behind the IPC contract (src/shared/ipc.ts), one per channel.
 *
 * Nothing under src/main/services may import electron: these modules run in Electron's main
 * process and in the plain-Node web server alike (test/ui/contract.test.ts checks).
 */
import type { Handlers } from '../rpc.ts';
import { appInfo } from './app-info.ts';
import { defaultRunner, type RunnerService } from './runner.ts';

/** The handlers over one runner service (`runner` is called on each use, so the default one is made lazily). */
export function createHandlers(runner: () => RunnerService): Handlers {
  return {
    'app:info': appInfo,
    'catalog:list': (input) => runner().catalog(input?.impl),
    'settings:get': () => runner().settings(),
    'batch:start': (input) => runner().start(input),
    'batch:cancel': ({ batchId }) => ({ cancelled: runner().cancel(batchId) }),
    'batch:get': ({ batchId }) => runner().get(batchId),
    'batch:current': () => runner().current(),
    'history:batches': () => runner().historyBatches(),
    'trace:index': ({ file }) => runner().traceIndex(file),
    'trace:page': ({ file, page }) => runner().tracePage(file, page),
    // Web mode: the bytes go to the page, which offers them as a download. (Electron main replaces this handler
    // with one that asks where to save them: src/main/index.ts.)
    'trace:export': async ({ file, format }) => {
      const out = await runner().exportTrace(file, format);
      return { fileName: out.fileName, mimeType: out.mimeType, size: out.bytes.length, data: out.bytes.toString('base64'), ...(out.warnings.length ? { warnings: out.warnings } : {}) };
    },
    'trace:replay': ({ file }) => runner().replayTrace(file),
    'trace:check': ({ file }) => runner().checkTrace(file),
  };
}

/** The app's handlers, on the default data folder ($RAFTLAB_DATA or the platform's default). */
export const handlers: Handlers = createHandlers(defaultRunner);

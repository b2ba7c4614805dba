/**
 * The handlers behind the IPC contract (src/shared/ipc.ts), one per channel.
 *
 * Nothing under src/main/services may import electron: these modules run in Electron's main
 * process and in the plain-Node web server alike (test/ui/contract.test.ts checks).
 */
import type { Handlers } from '../rpc.ts';
import { appInfo } from './app-info.ts';

export const handlers: Handlers = {
  'app:info': appInfo,
};

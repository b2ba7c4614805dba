/**
 * Electron adapter for the IPC contract: one `ipcMain.handle` per channel, each going through the
 * shared dispatcher (which validates the argument with the channel's zod schema before any handler
 * runs). Calls from any frame other than the app's own page are refused.
 */
import type { IpcMain } from 'electron';
import { channels, ipcError } from '../shared/ipc.ts';
import type { Dispatch } from './rpc.ts';

export function registerIpc(ipcMain: IpcMain, dispatch: Dispatch, isTrustedUrl: (url: string) => boolean): void {
  for (const name of channels) {
    ipcMain.handle(name, (event, input: unknown) => {
      const url = event.senderFrame?.url ?? '';
      if (!isTrustedUrl(url)) {
        return ipcError('FORBIDDEN', `${name} is not available to ${url || 'this frame'}`);
      }
      return dispatch(name, input, { shell: 'electron' });
    });
  }
}

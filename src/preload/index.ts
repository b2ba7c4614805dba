/**
 * Preload (sandboxed, context-isolated): puts the typed API of the IPC contract on
 * `window.raftlab` — one method per channel (`window.raftlab.appInfo()`), plus the raw `invoke`
 * transport that returns the result envelope, and `onEvent` for the app's pushed events (EVENT_CHANNEL). Nothing else of Electron or Node reaches the page.
 *
 * Built as a self-contained CommonJS bundle (sandboxed preloads cannot load modules).
 */
import { contextBridge, ipcRenderer } from 'electron';
import {
  createClient,
  EVENT_CHANNEL,
  ipcError,
  isChannel,
  type AppEvent,
  type IpcResult,
  type RaftlabBridge,
  type Transport,
} from '../shared/ipc.ts';

const invoke: Transport = async (name, input) => {
  if (typeof name !== 'string' || !isChannel(name)) {
    return ipcError('UNKNOWN_CHANNEL', `Unknown channel "${String(name)}"`);
  }
  return (await ipcRenderer.invoke(name, input)) as IpcResult<unknown>;
};

const onEvent: RaftlabBridge['onEvent'] = (listener) => {
  const forward = (_event: unknown, payload: AppEvent) => listener(payload);
  ipcRenderer.on(EVENT_CHANNEL, forward);
  return () => void ipcRenderer.off(EVENT_CHANNEL, forward);
};

const bridge: RaftlabBridge = { ...createClient(invoke), invoke, onEvent };

contextBridge.exposeInMainWorld('raftlab', bridge);

/**
 * The renderer's one client for the IPC contract. In Electron the preload has put a bridge on
 * `window.raftlab`; in a browser there is none, and calls go to the web server as
 * `POST /api/<channel>`. Either way the rest of the UI sees the same typed `RaftlabApi`.
 */
import { createClient, httpTransport, type RaftlabApi, type Shell } from '../../shared/ipc.ts';

const bridge = window.raftlab;

/** Which transport this page uses. */
export const transport: Shell = bridge ? 'electron' : 'web';

export const api: RaftlabApi = createClient(bridge ? bridge.invoke : httpTransport(''));

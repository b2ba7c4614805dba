/**
 * The renderer's one client for the IPC contract. In Electron the preload has put a bridge on
 * `window.raftlab`; in a browser there is none, and calls go to the web server as
 * `POST /api/<channel>` with the launch's token (from the address, `?token=…`). Either way the rest
 * of the UI sees the same typed `RaftlabApi`, the same pushed events (`subscribe`), and the same
 * trace source for the trace viewer (`traceSource`).
 */
import { createClient, httpTransport, OPEN_MAX_BYTES, type AppEvent, type OpenedTrace, type RaftlabApi, type Shell, type TraceExport } from '../../shared/ipc.ts';
import type { TraceEvent } from '../../trace/events.ts';
import { parseTracePageText } from '../../trace/page-text.ts';
import type { TraceSource } from './trace/source.ts';

const bridge = window.raftlab;

/** Which transport this page uses. */
export const transport: Shell = bridge ? 'electron' : 'web';

/**
 * Web mode's API token. The server trades the token in the printed address for an HttpOnly cookie and sends the
 * browser on without it, so the page normally never sees it: calls carry the cookie. Should a page still arrive
 * with `?token=` (a server of an older raftlab), it is used and taken out of the address bar.
 */
function webToken(): string {
  const url = new URL(window.location.href);
  const fromUrl = url.searchParams.get('token');
  if (!fromUrl) return '';
  url.searchParams.delete('token');
  window.history.replaceState(window.history.state, '', url.pathname + url.search + url.hash);
  return fromUrl;
}

const token = bridge ? '' : webToken();

export const api: RaftlabApi = createClient(bridge ? bridge.invoke : httpTransport('', token));

type Listener = (event: AppEvent) => void;
const listeners = new Set<Listener>();
let source: EventSource | undefined;
let unhook: (() => void) | undefined;

function deliver(event: AppEvent): void {
  for (const listener of listeners) listener(event);
}

/** The back end's pushed events (batch progress): Electron's event channel, or server-sent events in web mode. */
export function subscribe(listener: Listener): () => void {
  listeners.add(listener);
  if (bridge) unhook ??= bridge.onEvent(deliver);
  else if (!source) {
    source = new EventSource(token ? `/api/events?token=${encodeURIComponent(token)}` : '/api/events');
    source.onmessage = (message: MessageEvent<string>) => {
      try {
        deliver(JSON.parse(message.data) as AppEvent);
      } catch (error) {
        console.error('raftlab: a bad event from the server:', error);
      }
    };
  }
  return () => {
    listeners.delete(listener);
    if (listeners.size > 0) return;
    source?.close();
    source = undefined;
    unhook?.();
    unhook = undefined;
  };
}

export type { TraceSource };

/** Pages a trace viewer asks for in one call after the first (a call costs the browser a few milliseconds). */
const pagesPerCall = 8;

/**
 * A trace the page may read, over the API: the header and index in one call (with how it was opened), pages on
 * demand. Pages come as their file stores them (NDJSON) and are parsed here, each checked against the index's count:
 * the first alone (to paint soon), the rest `pagesPerCall` at a time.
 */
export function traceSource(file: string): TraceSource & { info: () => ReturnType<RaftlabApi['traceIndex']> } {
  let loaded: ReturnType<RaftlabApi['traceIndex']> | undefined;
  const load = () => (loaded ??= api.traceIndex({ file }));
  /** Calls made, by their first page: 0, then 1, 1 + pagesPerCall, … */
  const calls = new Map<number, Promise<TraceEvent[][]>>();
  const fetchPages = async (from: number): Promise<TraceEvent[][]> => {
    const { index } = await load();
    const counts = index.pages.slice(from, from === 0 ? 1 : from + pagesPerCall).map((p) => p.count);
    if (counts.length === 0) throw new Error(`No page ${from}: the trace has ${index.pages.length}`);
    const text = await api.tracePage({ file, page: from, count: counts.length });
    let events: TraceEvent[];
    try {
      events = parseTracePageText(text, counts.reduce((sum, n) => sum + n, 0));
    } catch (error) {
      throw new Error(`Pages ${from}–${from + counts.length - 1} of ${file}: ${(error as Error).message}`, { cause: error });
    }
    let at = 0;
    return counts.map((n) => events.slice(at, (at += n)));
  };
  return {
    info: load,
    header: async () => (await load()).header,
    index: async () => (await load()).index,
    page: async (i) => {
      const from = i === 0 ? 0 : 1 + Math.floor((i - 1) / pagesPerCall) * pagesPerCall;
      let call = calls.get(from);
      if (!call) {
        call = fetchPages(from);
        call.catch(() => calls.delete(from));
        calls.set(from, call);
      }
      const page = (await call)[i - from];
      if (!page) throw new Error(`No page ${i}: the trace has ${(await load()).index.pages.length}`);
      return page;
    },
  };
}

/** Web mode: hand an export's bytes to the browser as a download of its suggested name. */
export function offerDownload(out: TraceExport): void {
  if (out.data === undefined) return;
  const binary = window.atob(out.data);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  const url = URL.createObjectURL(new Blob([bytes], { type: out.mimeType }));
  const link = document.createElement('a');
  link.href = url;
  link.download = out.fileName;
  link.style.display = 'none';
  document.body.append(link);
  link.click();
  link.remove();
  window.setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** A file's bytes as base64, in chunks (a string of a whole large file at once would overflow the call stack). */
function base64(bytes: Uint8Array): string {
  let binary = '';
  const chunk = 0x8000;
  for (let i = 0; i < bytes.length; i += chunk) binary += String.fromCharCode(...bytes.subarray(i, i + chunk));
  return window.btoa(binary);
}

/** Open a trace or a bundle the user picked or dropped: its bytes go to the back end, which keeps them for this launch. */
export async function openTraceFile(file: File): Promise<OpenedTrace> {
  if (file.size > OPEN_MAX_BYTES) throw new Error(`${file.name} is ${(file.size / 1024 / 1024).toFixed(0)} MB: raftlab opens files of at most ${OPEN_MAX_BYTES / 1024 / 1024} MB`);
  return api.traceOpen({ name: file.name, data: base64(new Uint8Array(await file.arrayBuffer())) });
}

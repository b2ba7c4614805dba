/**
 * Web mode: the same UI and the same IPC contract, for a browser instead of an Electron window.
 *
 *   GET  /…                 the built renderer (out/renderer)
 *   POST /api/<channel>     one call; the JSON body is the argument (empty for none), validated with
 *                           the channel's zod schema; the answer is the IpcResult envelope, or, for a
 *                           text result passed through (trace pages), that text as the body
 *                           (header x-raftlab-result: text)
 *   GET  /api/events        the app's events (AppEvent) as server-sent events, one `data:` line each
 *
 * Listens on 127.0.0.1 only, and answers only requests addressed to it (Host check against DNS
 * rebinding; Origin check against other sites posting to the API). Every /api request must carry the
 * launch's random token (`x-raftlab-token` header, or `?token=` for EventSource, which cannot set
 * headers): other local users and processes cannot drive the runner. The token comes in the address
 * printed at start-up, `http://127.0.0.1:<port>/?token=…`; the page reads it from there.
 *
 * Run it: `node --import tsx src/main/web-server.ts [--port N]` (or through `npm start`).
 * Must not import electron.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { contentSecurityPolicy } from '../shared/csp.ts';
import { DEFAULT_MAX_INPUT_BYTES, ipcError, isChannel, maxInputBytes, RESULT_TEXT_HEADER, TOKEN_HEADER, type AppEvent, type IpcResult } from '../shared/ipc.ts';
import { createDispatcher, httpStatus, TextBody, type Dispatch } from './rpc.ts';
import { closeDefaultServices, defaultServices, handlers } from './services/index.ts';

export const HOST = '127.0.0.1';
/** 6824, after the course. */
export const DEFAULT_PORT = 6824;
export const DEFAULT_RENDERER_DIR = fileURLToPath(new URL('../../out/renderer/', import.meta.url));

export interface WebServerOptions {
  /** 0 picks a free port. Default 6824. */
  port?: number;
  /** The built renderer. Default out/renderer. */
  rendererDir?: string;
  /** Defaults to the app's own handlers. */
  dispatch?: Dispatch;
  /** Where /api/events gets its events. Defaults to the app's services. */
  events?: EventHub;
  /** The API token. Default: a fresh random one. */
  token?: string;
}

/** Anything that pushes the app's events: the services' event hub. */
export interface EventHub {
  subscribe(listener: (event: AppEvent) => void): () => void;
}

export interface WebServer {
  /** `http://127.0.0.1:<port>/` */
  readonly url: string;
  /** The address to open: `url` with the token, `http://127.0.0.1:<port>/?token=…`. */
  readonly appUrl: string;
  readonly token: string;
  readonly port: number;
  close(): Promise<void>;
}

/** The server could not listen. Its message is meant for the user as it is: no stack trace needed. */
export class ListenError extends Error {
  readonly port: number;
  readonly code: string;

  constructor(port: number, code: string, message: string) {
    super(message);
    this.name = 'ListenError';
    this.port = port;
    this.code = code;
  }
}

const HOW_TO_CHOOSE_PORT = 'Choose another port with --port <n> or RAFTLAB_PORT=<n> (0 picks any free port).';

function listenError(port: number, err: NodeJS.ErrnoException): Error {
  switch (err.code) {
    case 'EADDRINUSE':
      return new ListenError(
        port,
        err.code,
        `Port ${port} on ${HOST} is already in use (by another raftlab, perhaps). ${HOW_TO_CHOOSE_PORT}`,
      );
    case 'EACCES':
      return new ListenError(port, err.code, `Not allowed to listen on port ${port} on ${HOST}. ${HOW_TO_CHOOSE_PORT}`);
    default:
      return err;
  }
}

export async function startWebServer(options: WebServerOptions = {}): Promise<WebServer> {
  const port = options.port ?? DEFAULT_PORT;
  const rendererDir = resolve(options.rendererDir ?? DEFAULT_RENDERER_DIR);
  const dispatch = options.dispatch ?? createDispatcher(handlers);
  const events = (): EventHub => options.events ?? defaultServices().events;
  const token = options.token ?? randomBytes(24).toString('base64url');
  if (token.length < 16 || !/^[A-Za-z0-9_-]+$/.test(token)) throw new Error('the API token must be at least 16 URL-safe characters');

  let origin = '';
  const streams = { open: 0 };
  const server: Server = createServer((req, res) => {
    handle(req, res, { rendererDir, dispatch, origin, token, events, streams }).catch((err: unknown) => {
      console.error('raftlab: web request failed:', err);
      if (!res.headersSent) sendText(res, 500, 'Internal error');
      else res.destroy();
    });
  });

  await new Promise<void>((resolveListen, rejectListen) => {
    const onError = (err: NodeJS.ErrnoException) => rejectListen(listenError(port, err));
    server.once('error', onError);
    // One user's page needs a handful of connections; a flood of them is refused at the socket.
    server.maxConnections = MAX_CONNECTIONS;
    server.listen({ port, host: HOST, exclusive: true }, () => {
      server.off('error', onError);
      resolveListen();
    });
  });

  const actualPort = (server.address() as AddressInfo).port;
  origin = `http://${HOST}:${actualPort}`;
  return {
    url: `${origin}/`,
    appUrl: `${origin}/?token=${token}`,
    token,
    port: actualPort,
    close: () =>
      new Promise<void>((resolveClose, rejectClose) => {
        server.close((err) => (err ? rejectClose(err) : resolveClose()));
        server.closeAllConnections();
      }),
  };
}

// ---------------------------------------------------------------------------------------------

interface RequestContext {
  rendererDir: string;
  dispatch: Dispatch;
  /** `http://127.0.0.1:<port>` */
  origin: string;
  token: string;
  events: () => EventHub;
  /** Event streams open now (each holds a connection for as long as its page lives). */
  streams: { open: number };
}

/** Connections the server accepts at once, and event streams among them. */
export const MAX_CONNECTIONS = 64;
export const MAX_EVENT_STREAMS = 16;
/** The cookie that carries the token once the page has been opened with it. */
export const TOKEN_COOKIE = 'raftlab-token';

const SECURITY_HEADERS = {
  'content-security-policy': contentSecurityPolicy({ header: true }),
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

async function handle(req: IncomingMessage, res: ServerResponse, ctx: RequestContext): Promise<void> {
  const port = new URL(ctx.origin).port;
  const host = req.headers.host ?? '';
  if (host !== `${HOST}:${port}` && host !== `localhost:${port}`) {
    sendText(res, 421, `This server answers only to ${HOST}:${port}`);
    return;
  }
  const [path = '/', query = ''] = (req.url ?? '/').split('?', 2);
  // The address raftlab prints carries the token: trade it for an HttpOnly cookie at once and send the browser to the
  // same page without it, so the token stays out of the address bar, the history and any page's reach.
  const offered = new URLSearchParams(query).get('token');
  if (offered !== null && !(path === '/api' || path.startsWith('/api/')) && (req.method === 'GET' || req.method === 'HEAD')) {
    const rest = new URLSearchParams(query);
    rest.delete('token');
    const location = path + (rest.size ? `?${rest}` : '');
    res.writeHead(303, {
      ...SECURITY_HEADERS,
      location,
      'cache-control': 'no-store',
      ...(sameToken(offered, ctx.token) ? { 'set-cookie': `${TOKEN_COOKIE}=${ctx.token}; HttpOnly; SameSite=Strict; Path=/` } : {}),
    });
    res.end();
    return;
  }
  if (path === '/api' || path.startsWith('/api/')) {
    if (!hasToken(req, query, ctx.token)) {
      sendResult(res, 401, ipcError('UNAUTHORIZED', 'This API needs the token from the address raftlab printed at start-up (?token=…)'));
      return;
    }
    if (path === '/api/events' && (req.method === 'GET' || req.method === 'HEAD')) {
      handleEvents(req, res, ctx);
      return;
    }
    await handleApi(req, res, ctx, path.slice('/api/'.length));
  } else {
    await handleStatic(req, res, ctx, path);
  }
}

function sameToken(given: string, token: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function cookieToken(req: IncomingMessage): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === TOKEN_COOKIE) return value.join('=');
  }
  return undefined;
}

/** The token, from the header, the page's cookie or the query; compared in constant time. */
function hasToken(req: IncomingMessage, query: string, token: string): boolean {
  const header = req.headers[TOKEN_HEADER];
  const given = typeof header === 'string' ? header : (cookieToken(req) ?? new URLSearchParams(query).get('token') ?? '');
  return sameToken(given, token);
}

/** Server-sent events: each AppEvent as one `data:` JSON line; a comment every 15 s keeps the connection open. */
function handleEvents(req: IncomingMessage, res: ServerResponse, ctx: RequestContext): void {
  const requestOrigin = req.headers.origin;
  if (requestOrigin !== undefined && requestOrigin !== ctx.origin) {
    sendResult(res, 403, ipcError('FORBIDDEN', `Calls from ${requestOrigin} are not accepted`));
    return;
  }
  if (ctx.streams.open >= MAX_EVENT_STREAMS) {
    sendResult(res, 503, ipcError('BAD_REQUEST', `${MAX_EVENT_STREAMS} event streams are open already; close a tab of raftlab`));
    return;
  }
  res.writeHead(200, {
    ...SECURITY_HEADERS,
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    connection: 'keep-alive',
  });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  res.write(': raftlab events\n\n');
  ctx.streams.open++;
  const unsubscribe = ctx.events().subscribe((event) => void res.write(`data: ${JSON.stringify(event)}\n\n`));
  const keepAlive = setInterval(() => void res.write(': keep-alive\n\n'), 15_000);
  let stopped = false;
  const stop = (): void => {
    if (stopped) return;
    stopped = true;
    ctx.streams.open--;
    clearInterval(keepAlive);
    unsubscribe();
  };
  req.on('close', stop);
  res.on('close', stop);
}

async function handleApi(req: IncomingMessage, res: ServerResponse, ctx: RequestContext, rawChannel: string) {
  if (req.method !== 'POST') {
    res.setHeader('allow', 'POST');
    sendResult(res, 405, ipcError('BAD_REQUEST', `Use POST /api/<channel> with a JSON body (got ${req.method})`));
    return;
  }
  const requestOrigin = req.headers.origin;
  if (requestOrigin !== undefined && requestOrigin !== ctx.origin) {
    sendResult(res, 403, ipcError('FORBIDDEN', `Calls from ${requestOrigin} are not accepted`));
    return;
  }
  let channelName: string;
  try {
    channelName = decodeURIComponent(rawChannel);
  } catch {
    sendResult(res, 400, ipcError('BAD_REQUEST', `Bad channel name in the URL: ${rawChannel}`));
    return;
  }

  // Each channel says how large an argument it takes (an opened file is large; everything else small).
  const limit = isChannel(channelName) ? maxInputBytes(channelName) : DEFAULT_MAX_INPUT_BYTES;
  const body = await readBody(req, limit);
  if (body === 'too-large') {
    sendResult(res, 413, ipcError('BAD_REQUEST', `Request body is larger than ${limit} bytes`));
    return;
  }
  let input: unknown = undefined;
  if (body.trim() !== '') {
    const contentType = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
    if (contentType !== 'application/json') {
      sendResult(res, 415, ipcError('BAD_REQUEST', `Send the argument as JSON (Content-Type: application/json), not ${contentType || 'no content type'}`));
      return;
    }
    try {
      input = JSON.parse(body);
    } catch (err) {
      sendResult(res, 400, ipcError('BAD_REQUEST', `Request body is not valid JSON: ${(err as Error).message}`));
      return;
    }
  }

  const result = await ctx.dispatch(channelName, input, { shell: 'web', passText: true });
  if (result.ok && result.value instanceof TextBody) sendTextResult(res, result.value.bytes);
  else sendResult(res, result.ok ? 200 : httpStatus(result.error.code), result);
}

/** A text result as the body itself (the header says it is the call's value, not an envelope). */
function sendTextResult(res: ServerResponse, bytes: Buffer) {
  res.writeHead(200, {
    ...SECURITY_HEADERS,
    'content-type': 'text/plain; charset=utf-8',
    'content-length': bytes.length,
    'cache-control': 'no-store',
    [RESULT_TEXT_HEADER]: 'text',
  });
  res.end(bytes);
}

async function readBody(req: IncomingMessage, limit: number): Promise<string | 'too-large'> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) return 'too-large';
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function sendResult(res: ServerResponse, status: number, result: IpcResult<unknown>) {
  const body = JSON.stringify(result);
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  });
  res.end(body);
}

function sendText(res: ServerResponse, status: number, text: string) {
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

async function handleStatic(req: IncomingMessage, res: ServerResponse, ctx: RequestContext, urlPath: string) {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('allow', 'GET, HEAD');
    sendText(res, 405, 'Method not allowed');
    return;
  }
  let relative: string;
  try {
    relative = decodeURIComponent(urlPath);
  } catch {
    sendText(res, 400, 'Bad path');
    return;
  }
  if (relative.includes('\0')) {
    sendText(res, 400, 'Bad path');
    return;
  }
  let file = join(ctx.rendererDir, normalize(`/${relative}`));
  if (file !== ctx.rendererDir && !file.startsWith(ctx.rendererDir + sep)) {
    sendText(res, 404, 'Not found');
    return;
  }
  const info = await stat(file).catch(() => undefined);
  if (info?.isDirectory()) file = join(file, 'index.html');
  else if (!info) {
    const isIndex = relative === '/' || relative === '/index.html';
    sendText(
      res,
      isIndex ? 503 : 404,
      isIndex ? `The UI is not built (no ${join(ctx.rendererDir, 'index.html')}): run npm run build` : 'Not found',
    );
    return;
  }
  const content = await readFile(file).catch(() => undefined);
  if (!content) {
    sendText(res, 404, 'Not found');
    return;
  }
  res.writeHead(200, {
    ...SECURITY_HEADERS,
    'content-type': MIME[extname(file).toLowerCase()] ?? 'application/octet-stream',
    'content-length': content.length,
    'cache-control': extname(file) === '.html' ? 'no-cache' : 'public, max-age=0, must-revalidate',
  });
  res.end(req.method === 'HEAD' ? undefined : content);
}

// ---------------------------------------------------------------------------------------------
// Command line
// ---------------------------------------------------------------------------------------------

const USAGE = `Usage: node --import tsx src/main/web-server.ts [--port <n>] [--renderer-dir <dir>]

Serves the raftlab UI and its API on http://${HOST}:<port>/ (default port ${DEFAULT_PORT},
or RAFTLAB_PORT; 0 picks any free port).`;

function parsePort(text: string, from: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isInteger(port) || port > 65535) {
    throw new UsageError(`${from} must be a port number from 0 to 65535, not "${text}"`);
  }
  return port;
}

class UsageError extends Error {}

async function main(argv: string[]): Promise<number> {
  let port = DEFAULT_PORT;
  let rendererDir: string | undefined;
  try {
    const { values } = parseArgs({
      args: argv,
      options: {
        port: { type: 'string', short: 'p' },
        'renderer-dir': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) {
      console.log(USAGE);
      return 0;
    }
    const envPort = process.env['RAFTLAB_PORT'];
    if (values.port !== undefined) port = parsePort(values.port, '--port');
    else if (envPort) port = parsePort(envPort, 'RAFTLAB_PORT');
    rendererDir = values['renderer-dir'];
  } catch (err) {
    console.error(`raftlab: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }

  let server: WebServer;
  try {
    server = await startWebServer({ port, ...(rendererDir ? { rendererDir } : {}) });
  } catch (err) {
    if (err instanceof ListenError) {
      console.error(`raftlab: ${err.message}`);
      return 1;
    }
    throw err;
  }
  const dir = resolve(rendererDir ?? DEFAULT_RENDERER_DIR);
  const built = await stat(join(dir, 'index.html')).catch(() => undefined);
  if (!built) console.error(`raftlab: warning: no UI build in ${dir} (run npm run build); the API works regardless.`);
  console.log(`raftlab is serving its UI at ${server.appUrl} (Ctrl-C to stop)`);

  await new Promise<void>((resolveStop) => {
    const stop = () => resolveStop();
    // `on`, not `once`: Ctrl-C reaches both npm start and this process; a second signal must not
    // kill it halfway through closing.
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await server.close();
  await closeDefaultServices();
  return 0;
}

const entry = process.argv[1];
if (entry && import.meta.url === pathToFileURL(resolve(entry)).href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error('raftlab: the web server failed:', err);
      process.exit(1);
    },
  );
}

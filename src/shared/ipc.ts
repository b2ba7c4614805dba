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

// ---------------------------------------------------------------------------------------------
// Domain types carried over the contract
// ---------------------------------------------------------------------------------------------

/** Where the UI runs: an Electron window, or a browser talking to the local web server. */
export type Shell = 'electron' | 'web';

/** The two clocks a run can use (the harness's `ClockMode`). */
export type ClockMode = 'real' | 'sim';

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

/** What the preload puts on `window.raftlab`: the API, plus the raw transport it is built on. */
export type RaftlabBridge = RaftlabApi & { readonly invoke: Transport };

export function createClient(transport: Transport): RaftlabApi {
  const api: Record<string, (input?: unknown) => Promise<unknown>> = {};
  for (const name of channels) {
    api[methodName(name)] = async (input?: unknown) => unwrap(await transport(name, input));
  }
  return Object.freeze(api) as unknown as RaftlabApi;
}

/** The web transport: `POST <base>/api/<channel>` with the argument as the JSON body (empty for none). */
export function httpTransport(base = ''): Transport {
  return async (name, input) => {
    const url = `${base}/api/${name}`;
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
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

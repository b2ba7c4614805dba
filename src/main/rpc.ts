/**
 * The transport-free back end of the IPC contract: validate the argument with the channel's schema,
 * run the handler, wrap the outcome in a result envelope. Electron IPC (electron-ipc.ts) and the web
 * server (web-server.ts) are thin adapters over `dispatch`.
 *
 * Must not import electron.
 */
import {
  ipcError,
  isChannel,
  parseInput,
  type Channel,
  type IpcErrorCode,
  type IpcIssue,
  type IpcResult,
  type OutputOf,
  type ParsedInputOf,
  type Shell,
} from '../shared/ipc.ts';

/** What a handler knows about the call besides its argument. */
export interface CallContext {
  shell: Shell;
  /**
   * The transport sends a TextBody's bytes as they are (the web server: the answer's body); for any other caller
   * the dispatcher decodes them into the string the contract promises.
   */
  passText?: boolean;
}

/**
 * A channel's text result as UTF-8 bytes (trace pages, as their file stores them): the web server sends them as the
 * answer's body, so the text is never decoded and escaped into a JSON envelope, nor unescaped by the page.
 */
export class TextBody {
  constructor(readonly bytes: Buffer) {}

  text(): string {
    return this.bytes.toString('utf8');
  }
}

/** What a handler returns: its result, or, for a text result, that text's bytes. */
type HandlerResult<O> = O | (O extends string ? TextBody : never);

/** One handler per channel; the type checker reports a missing or mistyped one. */
export type Handlers = {
  readonly [C in Channel]: (input: ParsedInputOf<C>, ctx: CallContext) => HandlerResult<OutputOf<C>> | Promise<HandlerResult<OutputOf<C>>>;
};

/**
 * Thrown by a handler that refuses what the argument asks for, beyond what the schema can check (an unknown test,
 * a folder that does not exist): the caller gets BAD_INPUT with the message, and nothing is logged.
 */
export class InputError extends Error {
  /** `issues`: the fields of the argument the refusal is about (a form shows the message next to them). */
  constructor(
    message: string,
    readonly issues?: IpcIssue[],
  ) {
    super(message);
    this.name = 'InputError';
  }
}

export type Dispatch = (channel: string, input: unknown, ctx: CallContext) => Promise<IpcResult<unknown>>;

export interface DispatcherOptions {
  /** Where handler failures are reported with their stack (the caller only gets the message). */
  logError?: (message: string, err: unknown) => void;
}

export function createDispatcher(handlers: Handlers, options: DispatcherOptions = {}): Dispatch {
  const logError = options.logError ?? ((message, err) => console.error(message, err));
  return async (name, raw, ctx) => {
    if (!isChannel(name)) return ipcError('UNKNOWN_CHANNEL', `Unknown channel "${name}"`);
    const input = parseInput(name, raw);
    if (!input.ok) return input;
    try {
      const handler = handlers[name] as (input: unknown, ctx: CallContext) => unknown;
      const value = await handler(input.value, ctx);
      return { ok: true, value: value instanceof TextBody && !ctx.passText ? value.text() : value };
    } catch (err) {
      if (err instanceof InputError) return ipcError('BAD_INPUT', err.message, err.issues);
      logError(`raftlab: handler for ${name} failed:`, err);
      return ipcError('INTERNAL', `${name} failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
}

/** HTTP status for an error code. */
export function httpStatus(code: IpcErrorCode): number {
  switch (code) {
    case 'BAD_INPUT':
    case 'BAD_REQUEST':
      return 400;
    case 'UNAUTHORIZED':
      return 401;
    case 'FORBIDDEN':
      return 403;
    case 'UNKNOWN_CHANNEL':
      return 404;
    case 'INTERNAL':
      return 500;
  }
}

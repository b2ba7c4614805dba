/**
 * `node:timers/promises` as a student's Raft (or a package it bundles) sees it: the same API, made of the global
 * timers at the moment of each call. During a sim run those are virtual (virtual-globals.ts), so an `await
 * setTimeout(ms)` waits virtual time, as a global setTimeout does; otherwise they are Node's own. Node's module binds
 * its own timers when loaded, and would wait real time in a sim run, where nothing the tester waits for moves with it.
 * Imports nothing: it is bundled into the student's code (build.ts) as well as used by the harness.
 */

interface TimerOptions {
  signal?: AbortSignal | undefined;
  ref?: boolean | undefined;
}

type Handle = { ref?(): unknown; unref?(): unknown } | number | undefined;

const timers = (): {
  setTimeout: (callback: () => void, delayMs: number) => Handle;
  clearTimeout: (handle: Handle) => void;
  setInterval: (callback: () => void, delayMs: number) => Handle;
  clearInterval: (handle: Handle) => void;
  setImmediate: (callback: () => void) => Handle;
  clearImmediate: (handle: Handle) => void;
} => globalThis as never;

/** Node's AbortError: what an aborted timer rejects with (name AbortError, code ABORT_ERR, the signal's reason). */
class AbortError extends Error {
  readonly code = 'ABORT_ERR';
  constructor(cause: unknown) {
    super('The operation was aborted', { cause });
    this.name = 'AbortError';
  }
}

/** Node's ERR_INVALID_ARG_TYPE, which its timers/promises reject with (they do not throw) for bad options. */
function badOptions(options: TimerOptions | undefined, name: string): TypeError | undefined {
  const fail = (what: string, type: string): TypeError => Object.assign(new TypeError(`The "${what}" argument of ${name} must be ${type}`), { code: 'ERR_INVALID_ARG_TYPE' });
  if (options === undefined) return undefined;
  if (options === null || typeof options !== 'object') return fail('options', 'of type object');
  const { signal, ref } = options;
  if (signal !== undefined && (signal === null || typeof signal !== 'object' || !('aborted' in signal))) return fail('options.signal', 'an instance of AbortSignal');
  if (ref !== undefined && typeof ref !== 'boolean') return fail('options.ref', 'of type boolean');
  return undefined;
}

/** A one-shot timer as a promise, cancelled (and rejected) when the signal aborts. */
function oneShot<T>(arm: (fire: () => void) => Handle, disarm: (handle: Handle) => void, value: T, options: TimerOptions | undefined): Promise<T> {
  const signal = options?.signal;
  if (signal?.aborted) return Promise.reject(new AbortError(signal.reason));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      disarm(handle);
      reject(new AbortError(signal!.reason));
    };
    const handle = arm(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(value);
    });
    if (options?.ref === false && typeof handle === 'object') handle.unref?.();
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export function setTimeout<T = void>(delayMs?: number, value?: T, options?: TimerOptions): Promise<T> {
  const bad = badOptions(options, 'setTimeout');
  if (bad) return Promise.reject(bad);
  const t = timers();
  return oneShot((fire) => t.setTimeout(fire, delayMs ?? 1), (h) => t.clearTimeout(h), value as T, options);
}

export function setImmediate<T = void>(value?: T, options?: TimerOptions): Promise<T> {
  const bad = badOptions(options, 'setImmediate');
  if (bad) return Promise.reject(bad);
  const t = timers();
  return oneShot((fire) => t.setImmediate(fire), (h) => t.clearImmediate(h), value as T, options);
}

/**
 * An async iterator that yields `value` every `delayMs`, as Node's: ticks that come while nobody waits are counted and
 * handed out at once later; `return()` (a `break` out of `for await`) clears the interval; an abort rejects.
 */
export function setInterval<T = void>(delayMs?: number, value?: T, options?: TimerOptions): AsyncIterableIterator<T> {
  const bad = badOptions(options, 'setInterval');
  const t = timers();
  const signal = options?.signal;
  let pendingTicks = 0;
  let waiting: { resolve: (r: IteratorResult<T>) => void; reject: (e: unknown) => void } | undefined;
  let done = false;
  let handle: Handle;
  const finish = (): void => {
    done = true;
    t.clearInterval(handle);
    signal?.removeEventListener('abort', onAbort);
  };
  const onAbort = (): void => {
    finish();
    if (waiting) waiting.reject(new AbortError(signal!.reason));
    waiting = undefined;
  };
  if (bad || signal?.aborted) done = true;
  else {
    handle = t.setInterval(() => {
      if (waiting) {
        const w = waiting;
        waiting = undefined;
        w.resolve({ value: value as T, done: false });
      } else pendingTicks++;
    }, delayMs ?? 1);
    if (options?.ref === false && typeof handle === 'object') handle.unref?.();
    signal?.addEventListener('abort', onAbort, { once: true });
  }
  const iterator: AsyncIterableIterator<T> = {
    next(): Promise<IteratorResult<T>> {
      if (bad) return Promise.reject(bad);
      if (signal?.aborted) return Promise.reject(new AbortError(signal.reason));
      if (pendingTicks > 0) {
        pendingTicks--;
        return Promise.resolve({ value: value as T, done: false });
      }
      if (done) return Promise.resolve({ value: undefined, done: true });
      return new Promise((resolve, reject) => (waiting = { resolve, reject }));
    },
    return(): Promise<IteratorResult<T>> {
      finish();
      if (waiting) waiting.resolve({ value: undefined, done: true });
      waiting = undefined;
      return Promise.resolve({ value: undefined, done: true });
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}

/** The Scheduling API's part Node ships: `wait(ms)` and `yield()`. */
export const scheduler = {
  wait: (delayMs: number, options?: TimerOptions): Promise<void> => setTimeout(delayMs, undefined, options),
  yield: (): Promise<void> => setImmediate(),
};

export default { setTimeout, setImmediate, setInterval, scheduler };

import * as timersPromises from './node-timers/promises.ts';
import type { Rng } from './types.ts';

/** What the virtual globals need of the sim run they stand in for (SimRuntime). */
export interface VirtualClock {
  now(): number;
  schedule(delayMs: number, fire: () => void): { cancel(): void };
  stream(name: string): Rng;
  noteGlobalUse(name: string): void;
}

/**
 * While a sim run is active, the global clocks and Math.random are replaced by virtual ones driven by the run,
 * so a student's Raft that calls setTimeout or Date.now directly stays deterministic instead of silently
 * depending on the wall clock. Each use is counted (`runtime.stats().globalUses`) so the harness can point the
 * student at the runtime seam. process.nextTick's callbacks become microtasks (not counted: no clock). Everything is
 * restored when the run ends.
 */

/** The virtual wall clock starts at the lab's release date, so `new Date()` in a sim run is reproducible. */
export const virtualEpochMs = Date.UTC(2021, 2, 8);

type Callback = (...args: unknown[]) => void;

const promisifyCustom = Symbol.for('nodejs.util.promisify.custom');

/** Stands in for Node's Timeout/Immediate objects: enough of their surface for ordinary code. */
class VirtualHandle {
  static #nextId = 1;
  readonly id = VirtualHandle.#nextId++;
  cancel: () => void = () => {};
  #refed = true;
  ref(): this {
    this.#refed = true;
    return this;
  }
  unref(): this {
    this.#refed = false;
    return this;
  }
  hasRef(): boolean {
    return this.#refed;
  }
  close(): this {
    this.cancel();
    return this;
  }
  [Symbol.toPrimitive](): number {
    return this.id;
  }
}

export function installVirtualGlobals(run: VirtualClock): () => void {
  const g = globalThis as Record<string, unknown>;
  const saved = {
    setTimeout: g.setTimeout,
    clearTimeout: g.clearTimeout,
    setInterval: g.setInterval,
    clearInterval: g.clearInterval,
    setImmediate: g.setImmediate,
    clearImmediate: g.clearImmediate,
    Date: g.Date,
    random: Math.random,
    performanceNow: Object.getOwnPropertyDescriptor(performance, 'now'),
    nextTick: process.nextTick,
  };
  const RealDate = Date;
  const realClearTimeout = clearTimeout;
  const realClearImmediate = clearImmediate;
  const byId = new Map<number, VirtualHandle>();

  const once = (name: string, callback: Callback, delayMs: unknown, args: unknown[]): VirtualHandle => {
    run.noteGlobalUse(name);
    const handle = new VirtualHandle();
    const delay = Math.max(0, Number(delayMs) || 0);
    const scheduled = run.schedule(delay, () => {
      byId.delete(handle.id);
      callback(...args);
    });
    handle.cancel = () => {
      scheduled.cancel();
      byId.delete(handle.id);
    };
    byId.set(handle.id, handle);
    return handle;
  };
  const repeating = (callback: Callback, delayMs: unknown, args: unknown[]): VirtualHandle => {
    run.noteGlobalUse('setInterval');
    const handle = new VirtualHandle();
    // Node clamps interval delays below 1 ms to 1 ms; without it a 0 ms interval would never let time advance.
    const delay = Math.max(1, Number(delayMs) || 0);
    let scheduled = { cancel() {} };
    const arm = (): void => {
      scheduled = run.schedule(delay, () => {
        arm();
        callback(...args);
      });
    };
    arm();
    handle.cancel = () => {
      scheduled.cancel();
      byId.delete(handle.id);
    };
    byId.set(handle.id, handle);
    return handle;
  };
  const clear = (handle: unknown, realClear: (h: never) => void): void => {
    if (handle instanceof VirtualHandle) handle.cancel();
    else if (typeof handle === 'number' && byId.has(handle)) byId.get(handle)!.cancel();
    else if (handle !== undefined && handle !== null) realClear(handle as never);
  };

  g.setTimeout = (callback: Callback, delayMs?: unknown, ...args: unknown[]) =>
    once('setTimeout', callback, delayMs, args);
  g.setInterval = (callback: Callback, delayMs?: unknown, ...args: unknown[]) => repeating(callback, delayMs, args);
  g.setImmediate = (callback: Callback, ...args: unknown[]) => once('setImmediate', callback, 0, args);
  // As Node's globals do: util.promisify(setTimeout) is timers/promises' setTimeout, here on the virtual timers.
  Object.defineProperty(g.setTimeout, promisifyCustom, { value: timersPromises.setTimeout });
  Object.defineProperty(g.setImmediate, promisifyCustom, { value: timersPromises.setImmediate });
  g.clearTimeout = (handle: unknown) => clear(handle, realClearTimeout);
  g.clearInterval = (handle: unknown) => clear(handle, realClearTimeout);
  g.clearImmediate = (handle: unknown) => clear(handle, realClearImmediate);

  // Date counts whole milliseconds; virtual time has microseconds (the scheduler's delays).
  const virtualNow = (): number => virtualEpochMs + Math.floor(run.now());
  class VirtualDate extends RealDate {
    constructor(...args: unknown[]) {
      if (args.length === 0) {
        run.noteGlobalUse('new Date()');
        super(virtualNow());
      } else {
        super(...(args as [number]));
      }
    }
    static override now(): number {
      run.noteGlobalUse('Date.now');
      return virtualNow();
    }
  }
  g.Date = VirtualDate;

  const mathRandom = run.stream('Math.random');
  Math.random = () => {
    run.noteGlobalUse('Math.random');
    return mathRandom.float();
  };
  Object.defineProperty(performance, 'now', {
    configurable: true,
    writable: true,
    value: () => {
      run.noteGlobalUse('performance.now');
      return run.now();
    },
  });

  // A tick is a microtask here: the run loop settles in ticks (sim.ts), and a student's tick must not wait behind it.
  // Node's own code that calls the global (its streams) gets microtasks too while the run lasts; they defer as ticks do.
  process.nextTick = (callback: Callback, ...args: unknown[]): void => {
    if (typeof callback !== 'function') saved.nextTick(callback); // Node's own TypeError
    queueMicrotask(() => callback(...args));
  };

  return () => {
    process.nextTick = saved.nextTick;
    g.setTimeout = saved.setTimeout;
    g.clearTimeout = saved.clearTimeout;
    g.setInterval = saved.setInterval;
    g.clearInterval = saved.clearInterval;
    g.setImmediate = saved.setImmediate;
    g.clearImmediate = saved.clearImmediate;
    g.Date = saved.Date;
    Math.random = saved.random;
    if (saved.performanceNow) Object.defineProperty(performance, 'now', saved.performanceNow);
    else delete (performance as { now?: unknown }).now;
  };
}

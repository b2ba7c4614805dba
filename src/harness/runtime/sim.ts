import { RngStreams } from './prng.ts';
import { defaultInterleave, readyDelayUs, type ReadyKind } from './scheduler.ts';
import { installVirtualGlobals } from './virtual-globals.ts';
import {
  RuntimeError,
  TimerHandle,
  assertDelay,
  formatSeconds,
  type Rng,
  type Runtime,
  type RuntimeStats,
  type Timer,
} from './types.ts';

// The scheduler's own ways to let pending work settle, captured before any run can virtualize the globals. Both
// run their callback only once the microtask queue is empty: a tick queued from a microtask runs after the queue
// drains (and after the ticks queued before it), an immediate after a whole turn of the event loop. The tick serves
// all but one event in `eventsPerRealTurn` (3–5 % off the sim suite and a sweep, wall and CPU); the turn lets the
// process's own I/O (progress, its channel) and Node's report of unhandled rejections happen, and ends every run. In
// a run with virtual globals, process.nextTick queues a microtask (virtual-globals.ts), so none of the run's own work
// is left behind a tick; which events get a turn depends only on their count, so a seed still gives the same run.
const realSetImmediate = globalThis.setImmediate;
const realNextTick = process.nextTick;
/** Its then() queues a microtask: Node's queueMicrotask makes an async resource for each, ~2× what a then() makes. */
const resolved = Promise.resolve();
const eventsPerRealTurn = 64;
const never = new Promise<void>(() => {});

export interface SimLimits {
  /** Timer callbacks allowed at one virtual instant before the run fails as stuck (a 0 ms loop). */
  eventsPerInstantMax: number;
  /** Timer callbacks allowed in one run. */
  eventsPerRunMax: number;
}

export const defaultSimLimits: SimLimits = {
  eventsPerInstantMax: 100_000,
  eventsPerRunMax: 50_000_000,
};

export interface SimOptions {
  limits?: Partial<SimLimits>;
  /**
   * Replace setTimeout, setInterval, setImmediate, Date, performance.now and Math.random with virtual ones, and run
   * process.nextTick's callbacks as microtasks, for the duration of the run (default true), so student code that
   * reaches for them stays deterministic (and the loop may settle in ticks).
   */
  virtualizeGlobals?: boolean;
  /** Called each time virtual time moves forward, with the new time (a run process reports progress from it). */
  onAdvance?: (nowMs: number) => void;
  /** The scheduler's level (scheduler.ts; the chaos knob `interleave`): 0 off, 1 a realistic machine (default). */
  interleave?: number | undefined;
}

interface Scheduled {
  /** Virtual time is kept in whole microseconds, so that sums of small delays stay exact. */
  readonly dueUs: number;
  /** Tie-break: at one instant, timers fire in the order they were armed. */
  readonly seq: number;
  /** Replaced by `neverFired` when cancelled: the heap keeps the entry until its time, not what its callback reaches. */
  fire: () => void;
  cancelled: boolean;
}

/** Earlier due time first; equal due times by arming order. */
function before(a: Scheduled, b: Scheduled): boolean {
  return a.dueUs < b.dueUs || (a.dueUs === b.dueUs && a.seq < b.seq);
}

/** A binary min-heap of scheduled callbacks; cancelled entries are dropped lazily when they reach the top. */
class TimerQueue {
  readonly #heap: Scheduled[] = [];

  push(entry: Scheduled): void {
    const heap = this.#heap;
    heap.push(entry);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(entry, heap[parent]!)) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = entry;
  }

  /** The earliest entry that is not cancelled, removed from the queue. */
  pop(): Scheduled | undefined {
    const heap = this.#heap;
    while (heap.length > 0) {
      const top = heap[0]!;
      const last = heap.pop()!;
      if (heap.length > 0) {
        let i = 0;
        for (;;) {
          const left = 2 * i + 1;
          if (left >= heap.length) break;
          const right = left + 1;
          const child = right < heap.length && before(heap[right]!, heap[left]!) ? right : left;
          if (!before(heap[child]!, last)) break;
          heap[i] = heap[child]!;
          i = child;
        }
        heap[i] = last;
      }
      if (!top.cancelled) return top;
    }
    return undefined;
  }

  clear(): void {
    this.#heap.length = 0;
  }
}

/** Never fired: stands in for a cancelled entry's callback. */
const neverFired = (): void => {};

/**
 * A cancelled entry stays in the heap until it reaches the top (a re-armed election timer, a poll timer of an RPC
 * that was answered: up to 100 ms of virtual time), but what its callback reaches (a whole RPC's state) goes now.
 */
function cancel(entry: Scheduled): void {
  entry.cancelled = true;
  entry.fire = neverFired;
}

let activeRun: SimRuntime | undefined;

/**
 * Virtual time and seeded randomness. The run loop lets all pending work (promise continuations) settle,
 * then jumps virtual time to the earliest armed timer or ready task and runs it, and repeats. A ready task (a
 * goroutine's start, a hand-off's wake-up: `spawn`, `wake`) waits a delay the scheduler draws from its own stream
 * (scheduler.ts), so concurrent tasks run in a seeded random order. Nothing waits on the wall clock, so a run is a
 * pure function of (code, seed): the same seed gives the same events in the same order at the same virtual times.
 *
 * One sim run at a time per thread (the globals it virtualizes are per thread); parallel runs use workers.
 */
export class SimRuntime implements Runtime {
  readonly mode = 'sim' as const;
  readonly seed: number;
  readonly random: Rng;
  readonly limits: SimLimits;
  readonly interleave: number;
  readonly #streams: RngStreams;
  /** The scheduler's own stream: its draws never shift the network's, the tester's or a node's. */
  readonly #schedulerRng: Rng;
  readonly #readyTasks: Partial<Record<ReadyKind, number>> = {};
  readonly #queue = new TimerQueue();
  readonly #virtualizeGlobals: boolean;
  readonly #onAdvance: ((nowMs: number) => void) | undefined;
  readonly #globalUses: Record<string, number> = {};
  #nowUs = 0;
  #seq = 0;
  #events = 0;
  #eventsAtInstant = 0;
  #closed = false;
  #started = false;
  #failure: { error: unknown } | undefined;

  constructor(seed: number, options: SimOptions = {}) {
    this.seed = seed;
    this.limits = { ...defaultSimLimits, ...options.limits };
    this.#virtualizeGlobals = options.virtualizeGlobals ?? true;
    this.#onAdvance = options.onAdvance;
    this.#streams = new RngStreams(seed);
    this.random = this.#streams.get('default');
    this.interleave = options.interleave ?? defaultInterleave;
    if (!(this.interleave >= 0 && Number.isFinite(this.interleave))) throw new RangeError(`interleave must be a finite level >= 0, got ${this.interleave}`);
    this.#schedulerRng = this.#streams.get('scheduler');
  }

  get closed(): boolean {
    return this.#closed;
  }

  now(): number {
    return this.#nowUs / 1000;
  }

  stream(name: string): Rng {
    return this.#streams.get(name);
  }

  sleep(delayMs: number): Promise<void> {
    assertDelay(delayMs);
    if (this.#closed) return never;
    return new Promise((resolve) => this.#schedule(delayMs, resolve));
  }

  after(delayMs: number, callback: () => void): Timer {
    const timer = this.timer(callback);
    timer.reset(delayMs);
    return timer;
  }

  timer(callback: () => void): Timer {
    let armed: Scheduled | undefined;
    const stop = (): void => {
      if (armed) cancel(armed);
      armed = undefined;
    };
    const fire = (): void => {
      armed = undefined;
      callback();
    };
    const reset = (delayMs: number): void => {
      assertDelay(delayMs);
      stop();
      if (!this.#closed) armed = this.#schedule(delayMs, fire);
    };
    return new TimerHandle(reset, stop, () => armed !== undefined);
  }

  fail(error: unknown): void {
    if (!this.#closed) this.#failure ??= { error };
  }

  /** Count a use of a global clock or Math.random that this run virtualized (see virtual-globals.ts). */
  noteGlobalUse(name: string): void {
    this.#globalUses[name] = (this.#globalUses[name] ?? 0) + 1;
  }

  /** Arm a callback `delayMs` of virtual time from now. Used by the timers and the virtual globals. */
  schedule(delayMs: number, fire: () => void): { cancel(): void } {
    assertDelay(delayMs);
    if (this.#closed) return { cancel() {} };
    const entry = this.#schedule(delayMs, fire);
    return {
      cancel() {
        cancel(entry);
      },
    };
  }

  /**
   * Rounded up to whole microseconds, so a timer never fires before `now() + delayMs` — except by float noise: a delay
   * computed from a fractional now() (`grid - now()`) is not rounded up past the grid. A positive delay always moves
   * time by a microsecond at least, so a loop that re-arms for `deadline - now()` reaches its deadline.
   */
  #schedule(delayMs: number, fire: () => void): Scheduled {
    const us = Math.ceil(delayMs * 1000 - 1e-6);
    return this.#scheduleUs(us <= 0 && delayMs > 0 ? 1 : us, fire);
  }

  #scheduleUs(delayUs: number, fire: () => void): Scheduled {
    const entry: Scheduled = { dueUs: this.#nowUs + delayUs, seq: this.#seq++, fire, cancelled: false };
    this.#queue.push(entry);
    return entry;
  }

  spawn(kind: ReadyKind, task: () => void): void {
    if (this.#closed) return;
    this.#ready(kind, task);
  }

  wake(kind: ReadyKind, task: () => void): void {
    if (this.#closed) return;
    if (this.interleave === 0) {
      this.#readyTasks[kind] = (this.#readyTasks[kind] ?? 0) + 1;
      task();
      return;
    }
    this.#ready(kind, task);
  }

  #ready(kind: ReadyKind, task: () => void): void {
    this.#readyTasks[kind] = (this.#readyTasks[kind] ?? 0) + 1;
    this.#scheduleUs(this.interleave === 0 ? 0 : readyDelayUs(kind, this.interleave, this.#schedulerRng), task);
  }

  async run<T>(main: () => Promise<T>): Promise<T> {
    if (this.#started) throw new RuntimeError('RUNTIME_REUSED', 'a runtime runs once; make a new one per run');
    if (activeRun) {
      throw new RuntimeError(
        'SIM_ALREADY_RUNNING',
        'another sim run is active in this thread; run sim runs one after another, or in separate workers',
      );
    }
    this.#started = true;
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the one active run of this thread
    activeRun = this;
    const restoreGlobals = this.#virtualizeGlobals ? installVirtualGlobals(this) : () => {};
    let outcome: { value: T } | { error: unknown } | undefined;
    try {
      new Promise<T>((resolve) => resolve(main())).then(
        (value) => (outcome ??= { value }),
        (error: unknown) => (outcome ??= { error }),
      );
      // One event per step, each once the work the one before it set off has settled. The steps are callbacks, not
      // an awaiting loop: a loop's every await made a promise and its resolvers, ~10 % of what a sim run allocated.
      await new Promise<void>((finished, stopped) => {
        const settleInTicks = this.#virtualizeGlobals;
        let turn = 0;
        const afterTick = (): void => step(false);
        const afterTurn = (): void => step(true);
        // Queued as a microtask, the tick runs once the microtasks queued before and after it have all run.
        const queueTick = (): void => {
          realNextTick(afterTick);
        };
        const step = (real: boolean): void => {
          try {
            // A rejection nobody handled fails the run, as it did: Node reports it at the end of a turn.
            if (!this.#failure && outcome && !real) {
              realSetImmediate(afterTurn);
              return;
            }
            if (this.#failure) throw this.#failure.error;
            if (outcome) {
              finished();
              return;
            }
            const next = this.#queue.pop();
            if (!next) {
              throw new RuntimeError(
                'SIM_DEADLOCK',
                `nothing left to do at t=${formatSeconds(this.now())}: no timer is armed, yet the run is still ` +
                  'waiting (on a promise nothing will resolve: a reply never sent, a send nobody receives)',
              );
            }
            this.#advanceTo(next.dueUs);
            try {
              next.fire();
            } catch (error) {
              this.fail(error);
            }
            turn++;
            if (!settleInTicks || turn % eventsPerRealTurn === 0) realSetImmediate(afterTurn);
            else void resolved.then(queueTick);
          } catch (error) {
            stopped(error);
          }
        };
        // The first settle is a turn: a tick queued outside a microtask (here, run() itself) would run before the
        // microtasks queued beside it.
        realSetImmediate(afterTurn);
      });
      if (!outcome) throw new Error('the sim loop finished without the run having ended');
    } finally {
      this.#closed = true;
      this.#queue.clear();
      restoreGlobals();
      activeRun = undefined;
    }
    if ('error' in outcome) throw outcome.error;
    return outcome.value;
  }

  #advanceTo(dueUs: number): void {
    this.#events++;
    if (dueUs > this.#nowUs) {
      this.#nowUs = dueUs;
      this.#eventsAtInstant = 1;
      this.#onAdvance?.(this.now());
    } else if (++this.#eventsAtInstant > this.limits.eventsPerInstantMax) {
      throw new RuntimeError(
        'SIM_NO_PROGRESS',
        `${this.limits.eventsPerInstantMax} events at t=${formatSeconds(this.now())} without time advancing ` +
          '(a timer or loop that re-arms itself with a 0 ms delay?)',
      );
    }
    if (this.#events > this.limits.eventsPerRunMax) {
      throw new RuntimeError(
        'SIM_EVENT_LIMIT',
        `the run passed ${this.limits.eventsPerRunMax} events (at t=${formatSeconds(this.now())}) and was stopped`,
      );
    }
  }

  stats(): RuntimeStats {
    return {
      mode: this.mode,
      seed: this.seed,
      nowMs: this.now(),
      events: this.#events,
      globalUses: { ...this.#globalUses },
      readyTasks: { ...this.#readyTasks },
    };
  }
}

/**
 * Go's concurrency on the runtime seam: goroutines, sync.Mutex, sync.Cond, channels, select, time.After and
 * sync.WaitGroup, with Go's semantics (labs/api documents them for students). Every wake-up — a channel hand-off, a
 * mutex passing to its next holder, a cond or WaitGroup releasing its waiters — and every goroutine start goes
 * through the runtime's scheduler (`Runtime.wake`, `Runtime.spawn`), so in sim mode the order in which concurrent
 * tasks continue is the scheduler's seeded choice, as the order goroutines run in is Go's scheduler's.
 *
 * The party that completes a hand-off goes on at once (a receiver that finds a sender waiting takes its value and
 * continues); the one that was parked is woken. That is how Go's runtime does it (the parked goroutine is made
 * runnable, the running one keeps its core).
 */
import type {
  Chan,
  Cond,
  Mutex,
  RecvChan,
  SelectCase,
  Selected,
  WaitGroup,
} from '../../../labs/api/index.ts';
import type { ReadyKind } from './scheduler.ts';
import type { Rng, Runtime, Timer } from './types.ts';

export type ConcurrencyErrorCode =
  | 'UNLOCK_OF_UNLOCKED_MUTEX'
  | 'MUTEX_HELD'
  | 'SEND_ON_CLOSED_CHANNEL'
  | 'CLOSE_OF_CLOSED_CHANNEL'
  | 'NEGATIVE_WAITGROUP'
  | 'NOT_A_PRIMITIVE';

/** What Go would panic with (a bug in the code under test): it crashes the run, with Go's words. */
export class ConcurrencyError extends Error {
  readonly code: ConcurrencyErrorCode;
  constructor(code: ConcurrencyErrorCode, message: string) {
    super(message);
    this.name = 'ConcurrencyError';
    this.code = code;
  }
}

/** What the primitives need of the runtime: its scheduler and a timer for time.After. */
export type SchedulerSeam = Pick<Runtime, 'spawn' | 'wake' | 'now'> & { timer(callback: () => void): Timer };

const resolved: Promise<void> = Promise.resolve();

// --- sync.Mutex ---------------------------------------------------------------------------------------------------

/** Go lets a waiter that has waited this long take the mutex directly (starvation mode) instead of competing. */
const mutexStarvationMs = 1;

interface LockWaiter {
  readonly sinceMs: number;
  readonly acquire: () => void;
}

/**
 * Every acquisition by lock() happens in a ready task of its own (`spawn`), and the new holder's code is the first
 * to run in it: so a mutex is never seen held by a task that has taken it but not yet run. When lockSync() finds it
 * held, its holder has run and is suspended at an await while holding it — what Go would block on.
 */
export class GoMutex implements Mutex {
  readonly #rt: SchedulerSeam;
  #locked = false;
  /** Handed over (starvation mode) to a waiter whose task has not run yet. */
  #reserved: LockWaiter | undefined;
  /** Parked lockers, longest-waiting first. */
  readonly #waiters: LockWaiter[] = [];

  constructor(rt: SchedulerSeam) {
    this.#rt = rt;
  }

  get locked(): boolean {
    return this.#locked;
  }

  lock(): Promise<void> {
    return new Promise((acquire) => {
      const waiter: LockWaiter = { sinceMs: this.#rt.now(), acquire };
      this.#rt.spawn('mutex', () => {
        if (this.#locked || this.#reserved) this.#waiters.push(waiter);
        else this.#grant(waiter);
      });
    });
  }

  tryLock(): boolean {
    if (this.#locked || this.#reserved) return false;
    this.#locked = true;
    return true;
  }

  lockSync(): void {
    if (this.#locked) {
      throw new ConcurrencyError(
        'MUTEX_HELD',
        'the mutex is held by a task that is awaiting something (an RPC, a sleep, applyCh.send?) while holding it, and ' +
          'this synchronous call cannot wait for it: Go would block here (a deadlock, if the holder waits for the tester). ' +
          'Unlock before every await that is not cond.wait()',
      );
    }
    // A mutex reserved for a waiter is lent: this call ends before the waiter's task runs.
    this.#locked = true;
  }

  unlock(): void {
    if (!this.#locked) throw new ConcurrencyError('UNLOCK_OF_UNLOCKED_MUTEX', 'fatal error: sync: unlock of unlocked mutex');
    this.#locked = false;
    if (this.#reserved) return;
    const next = this.#waiters.shift();
    if (!next) return;
    if (this.#rt.now() - next.sinceMs >= mutexStarvationMs) {
      // Starvation mode: the mutex goes to the waiter.
      this.#reserved = next;
      this.#rt.spawn('mutex', () => {
        this.#reserved = undefined;
        this.#grant(next);
      });
      return;
    }
    // Normal mode: the mutex is free; the woken waiter competes for it with whoever comes first.
    this.#rt.spawn('mutex', () => {
      if (this.#locked || this.#reserved) this.#waiters.unshift(next);
      else this.#grant(next);
    });
  }

  #grant(waiter: LockWaiter): void {
    this.#locked = true;
    waiter.acquire();
  }
}

// --- sync.Cond ----------------------------------------------------------------------------------------------------

export class GoCond implements Cond {
  readonly #rt: SchedulerSeam;
  readonly #locker: Mutex;
  #waiters: Array<() => void> = [];

  constructor(rt: SchedulerSeam, locker: Mutex) {
    if (!(locker instanceof GoMutex)) throw new ConcurrencyError('NOT_A_PRIMITIVE', 'cond(locker): the locker must be a mutex from runtime.mutex()');
    this.#rt = rt;
    this.#locker = locker;
  }

  async wait(): Promise<void> {
    // As in Go: join the wait list first, then release the lock, so a signal sent after the unlock is not missed.
    const woken = new Promise<void>((wake) => this.#waiters.push(wake));
    try {
      this.#locker.unlock();
    } catch (error) {
      this.#waiters.pop();
      throw error;
    }
    await woken;
    await this.#locker.lock();
  }

  signal(): void {
    const first = this.#waiters.shift();
    if (first) this.#rt.wake('cond', first);
  }

  broadcast(): void {
    const all = this.#waiters;
    this.#waiters = [];
    for (const wake of all) this.#rt.wake('cond', wake);
  }
}

// --- sync.WaitGroup -----------------------------------------------------------------------------------------------

export class GoWaitGroup implements WaitGroup {
  readonly #rt: SchedulerSeam;
  #counter = 0;
  #waiters: Array<() => void> = [];

  constructor(rt: SchedulerSeam) {
    this.#rt = rt;
  }

  add(delta: number): void {
    if (!Number.isInteger(delta)) throw new RangeError(`WaitGroup.add needs an integer, got ${delta}`);
    this.#counter += delta;
    if (this.#counter < 0) throw new ConcurrencyError('NEGATIVE_WAITGROUP', 'sync: negative WaitGroup counter');
    if (this.#counter === 0) {
      const all = this.#waiters;
      this.#waiters = [];
      for (const wake of all) this.#rt.wake('waitgroup', wake);
    }
  }

  done(): void {
    this.add(-1);
  }

  wait(): Promise<void> {
    if (this.#counter === 0) return resolved;
    return new Promise((wake) => this.#waiters.push(wake));
  }
}

// --- channels -----------------------------------------------------------------------------------------------------

/** One select in progress: the first of its cases to go ahead completes it and withdraws the others. */
interface SelectState {
  done: boolean;
  withdraw(): void;
}

interface Receiver<T> {
  readonly select: SelectState | undefined;
  /** Called once, when a sender hands over (ok) or the channel closes (not ok); the receiver is woken from it. */
  take(value: T | undefined, ok: boolean): void;
}

interface Sender<T> {
  readonly select: SelectState | undefined;
  readonly value: T;
  /** Called once, when a receiver has taken the value (closed: the channel was closed under it, a panic). */
  taken(closed: boolean): void;
}

export class GoChan<T> implements Chan<T> {
  readonly capacity: number;
  readonly #rt: SchedulerSeam;
  readonly #kind: ReadyKind;
  readonly #buffer: T[] = [];
  readonly #receivers: Array<Receiver<T>> = [];
  readonly #senders: Array<Sender<T>> = [];
  #closed = false;

  constructor(rt: SchedulerSeam, capacity = 0, kind: ReadyKind = 'chan') {
    if (!Number.isSafeInteger(capacity) || capacity < 0) throw new RangeError(`a channel's capacity must be an integer >= 0, got ${capacity}`);
    this.#rt = rt;
    this.capacity = capacity;
    this.#kind = kind;
  }

  get length(): number {
    return this.#buffer.length;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Parked senders (for the tester: messages offered on applyCh and not taken yet). */
  get waitingSenders(): number {
    return this.#senders.length;
  }

  send(value: T): Promise<void> {
    if (this.trySend(value)) return resolved;
    return new Promise((resolve, reject) => {
      this.#senders.push({
        select: undefined,
        value,
        taken: (closed) => (closed ? reject(sendOnClosed()) : resolve()),
      });
    });
  }

  /** A send that does not wait: whether the value went (to a waiting receiver or into the buffer). Throws if closed. */
  trySend(value: T): boolean {
    if (this.#closed) throw sendOnClosed();
    const receiver = this.#receivers.shift();
    if (receiver) {
      complete(receiver.select);
      this.#rt.wake(this.#kind, () => receiver.take(value, true));
      return true;
    }
    if (this.#buffer.length < this.capacity) {
      this.#buffer.push(value);
      return true;
    }
    return false;
  }

  recv(): Promise<T | undefined> {
    const now = this.tryRecv();
    if (now) return Promise.resolve(now.value);
    return new Promise((resolve) => this.#receivers.push({ select: undefined, take: (value) => resolve(value) }));
  }

  recvOk(): Promise<[value: T, ok: true] | [value: undefined, ok: false]> {
    const now = this.tryRecv();
    if (now) return Promise.resolve(now.ok ? [now.value as T, true] : [undefined, false]);
    return new Promise((resolve) =>
      this.#receivers.push({ select: undefined, take: (value, ok) => resolve(ok ? [value as T, true] : [undefined, false]) }),
    );
  }

  /** A receive that does not wait: undefined when it would have to. */
  tryRecv(): { value: T | undefined; ok: boolean } | undefined {
    const sender = this.#senders.shift();
    if (sender) {
      complete(sender.select);
      let value = sender.value;
      if (this.capacity > 0) {
        // A full buffer: take its head, and the sender's value joins the tail.
        this.#buffer.push(value);
        value = this.#buffer.shift()!;
      }
      this.#rt.wake(this.#kind, () => sender.taken(false));
      return { value, ok: true };
    }
    if (this.#buffer.length > 0) return { value: this.#buffer.shift()!, ok: true };
    if (this.#closed) return { value: undefined, ok: false };
    return undefined;
  }

  close(): void {
    if (this.#closed) throw new ConcurrencyError('CLOSE_OF_CLOSED_CHANNEL', 'panic: close of closed channel');
    this.#closed = true;
    for (const receiver of this.#receivers.splice(0)) {
      complete(receiver.select);
      this.#rt.wake(this.#kind, () => receiver.take(undefined, false));
    }
    for (const sender of this.#senders.splice(0)) {
      complete(sender.select);
      this.#rt.wake(this.#kind, () => sender.taken(true));
    }
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (;;) {
      const [value, ok] = await this.recvOk();
      if (!ok) return;
      yield value;
    }
  }

  /** select's side: park a case's receiver or sender here until it goes ahead or its select is over. */
  parkReceiver(receiver: Receiver<T>): () => void {
    this.#receivers.push(receiver);
    return () => remove(this.#receivers, receiver);
  }

  parkSender(sender: Sender<T>): () => void {
    this.#senders.push(sender);
    return () => remove(this.#senders, sender);
  }
}

function sendOnClosed(): ConcurrencyError {
  return new ConcurrencyError('SEND_ON_CLOSED_CHANNEL', 'panic: send on closed channel');
}

function remove<T>(list: T[], item: T): void {
  const i = list.indexOf(item);
  if (i >= 0) list.splice(i, 1);
}

/** A select's case went ahead: mark it done and take its other cases off their channels. */
function complete(select: SelectState | undefined): void {
  if (!select) return;
  select.done = true;
  select.withdraw();
}

function asChan(channel: unknown, what: string): GoChan<unknown> {
  if (channel instanceof GoChan) return channel as GoChan<unknown>;
  throw new ConcurrencyError('NOT_A_PRIMITIVE', `select: ${what} is not a channel from runtime.chan() (or applyCh, or runtime.after())`);
}

type AnySelected = { readonly index: number; readonly value: unknown; readonly ok: boolean };

/** Go's select: poll the cases in a random order; if none can go ahead, park on all of them (or take default). */
export function select<const C extends readonly SelectCase[]>(rng: Rng, cases: C, options: { default?: boolean } = {}): Promise<Selected<C>> {
  const live: Array<{ index: number; chan: GoChan<unknown>; send: boolean; value: unknown }> = [];
  cases.forEach((c, index) => {
    if ('recv' in c) {
      if (c.recv !== null) live.push({ index, chan: asChan(c.recv, `case ${index}`), send: false, value: undefined });
    } else if (c.send !== null) {
      live.push({ index, chan: asChan(c.send, `case ${index}`), send: true, value: c.value });
    }
  });
  // Go polls the cases in a random order, so no case is favoured when several are ready.
  for (let i = live.length - 1; i > 0; i--) {
    const j = rng.intn(i + 1);
    [live[i], live[j]] = [live[j]!, live[i]!];
  }
  for (const c of live) {
    if (c.send) {
      if (c.chan.trySend(c.value)) return Promise.resolve({ index: c.index, value: undefined, ok: true } as AnySelected as Selected<C>);
    } else {
      const got = c.chan.tryRecv();
      if (got) return Promise.resolve({ index: c.index, value: got.value, ok: got.ok } as AnySelected as Selected<C>);
    }
  }
  if (options.default) return Promise.resolve({ index: -1, value: undefined, ok: false } as AnySelected as Selected<C>);
  // `select {}`, or only nil channels: blocks for ever, as in Go.
  if (live.length === 0) return new Promise(() => {});
  return new Promise<Selected<C>>((resolve, reject) => {
    const withdrawals: Array<() => void> = [];
    const state: SelectState = { done: false, withdraw: () => withdrawals.forEach((w) => w()) };
    for (const c of live) {
      if (c.send) {
        withdrawals.push(
          c.chan.parkSender({
            select: state,
            value: c.value,
            taken: (closed) => (closed ? reject(sendOnClosed()) : resolve({ index: c.index, value: undefined, ok: true } as AnySelected as Selected<C>)),
          }),
        );
      } else {
        withdrawals.push(
          c.chan.parkReceiver({
            select: state,
            take: (value, ok) => resolve({ index: c.index, value, ok } as AnySelected as Selected<C>),
          }),
        );
      }
    }
  });
}

// --- the set a node gets --------------------------------------------------------------------------------------------

export interface Concurrency {
  go(fn: () => unknown): void;
  mutex(): Mutex;
  cond(locker: Mutex): Cond;
  chan<T>(capacity?: number): Chan<T>;
  select<const C extends readonly SelectCase[]>(cases: C, options?: { default?: boolean }): Promise<Selected<C>>;
  after(delayMs: number): RecvChan<number>;
  waitGroup(): WaitGroup;
}

/**
 * Go's primitives for one node: scheduled by `rt`, time.After on `clock`, select's choices from `rng`. A goroutine
 * that throws (or whose promise rejects) is reported to `onPanic`.
 */
export function concurrency(rt: SchedulerSeam, rng: Rng, onPanic: (error: unknown) => void): Concurrency {
  return {
    go(fn) {
      if (typeof fn !== 'function') throw new TypeError('go(fn): fn must be a function');
      rt.spawn('go', () => {
        let result: unknown;
        try {
          result = fn();
        } catch (error) {
          onPanic(error);
          return;
        }
        if (result !== null && typeof result === 'object' && typeof (result as PromiseLike<unknown>).then === 'function') {
          (result as PromiseLike<unknown>).then(undefined, onPanic);
        }
      });
    },
    mutex: () => new GoMutex(rt),
    cond: (locker) => new GoCond(rt, locker),
    chan: <T,>(capacity = 0) => new GoChan<T>(rt, capacity),
    select: (cases, options) => select(rng, cases, options),
    after(delayMs) {
      const ch = new GoChan<number>(rt, 1);
      const timer = rt.timer(() => ch.trySend(rt.now()));
      timer.reset(delayMs);
      return ch;
    },
    waitGroup: () => new GoWaitGroup(rt),
  };
}

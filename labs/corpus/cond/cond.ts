/**
 * Go's sync.Cond, for a single-threaded event loop, plus a bounded wait built from runtime.timer.
 *
 * There is no mutex to release: JavaScript code runs undisturbed until its next `await`, so "holding the lock" is
 * simply not awaiting. What Go's semantics keep is the part that matters for correctness:
 * - `wait()` returns a promise that only a *later* `signal()` or `broadcast()` resolves;
 * - a `signal()` or `broadcast()` with nobody waiting is lost (it is not remembered for the next waiter);
 * - so a waiter must re-check its condition in a loop after every wake-up, exactly as in Go:
 *
 *       while (!ready()) await cond.wait();
 */
import type { RaftRuntime } from '../../api/index.ts';

export class Cond {
  private waiters: Array<() => void> = [];

  /** Park until a later signal() or broadcast(). */
  wait(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.waiters.push(resolve);
    });
  }

  /** Wake the longest-waiting waiter, if there is one; otherwise the signal is lost. */
  signal(): void {
    const first = this.waiters.shift();
    if (first) first();
  }

  /** Wake every current waiter; waiters that arrive afterwards wait for the next signal. */
  broadcast(): void {
    const all = this.waiters;
    this.waiters = [];
    for (const wake of all) wake();
  }

  /** How many are parked (for logs and tests). */
  get waiting(): number {
    return this.waiters.length;
  }
}

/**
 * Wait for `work` at most `ms` milliseconds: resolves with its value, or with `fallback` if the time runs out first.
 * The work is not cancelled; whatever it does when it finishes later still happens.
 */
export function within<T>(runtime: RaftRuntime, work: Promise<T>, ms: number, fallback: T): Promise<T> {
  return new Promise<T>((resolve) => {
    let settled = false;
    const timer = runtime.timer(() => {
      if (settled) return;
      settled = true;
      resolve(fallback);
    });
    timer.reset(ms);
    void work.then((value) => {
      if (settled) return;
      settled = true;
      timer.stop();
      resolve(value);
    });
  });
}

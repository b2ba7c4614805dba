/**
 * A wake-up call for a long-lived async loop: the JavaScript stand-in for Go's sync.Cond.
 *
 * A loop awaits `wait()`; other code calls `notify()` when there may be work for it. A notify that arrives while
 * the loop is busy elsewhere (awaiting an RPC or applyCh) is remembered, so the loop goes round once more instead
 * of missing the news. Several notifies before the next wait count as one: the loop re-reads the state anyway.
 */
export class Signal {
  #pending = false;
  #waiters: (() => void)[] = [];

  /** Wake whoever waits now, or else the next call to wait(). */
  notify(): void {
    if (this.#waiters.length === 0) {
      this.#pending = true;
      return;
    }
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  /** Resolves at the next notify(), or at once if one came since the last wait. */
  wait(): Promise<void> {
    if (this.#pending) {
      this.#pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#waiters.push(resolve));
  }
}

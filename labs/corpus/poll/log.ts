/**
 * The log after a snapshot: `entries[k]` holds index `base.index + 1 + k`; `base` is the snapshot's last included
 * index and term (0/0 before any snapshot), so `termAt(base.index)` is defined and nothing below it is.
 */
import type { Base, Entry } from './types.ts';

export class PollLog {
  entries: Entry[];
  base: Base;

  constructor(entries: Entry[] = [], base: Base = { index: 0, term: 0 }) {
    this.entries = entries;
    this.base = base;
  }

  lastIndex(): number {
    return this.base.index + this.entries.length;
  }

  lastTerm(): number {
    return this.termAt(this.lastIndex());
  }

  /** The term at `index`, for base.index <= index <= lastIndex(). */
  termAt(index: number): number {
    if (index === this.base.index) return this.base.term;
    return this.at(index)[0];
  }

  /** The entry at `index`, for base.index < index <= lastIndex(). */
  at(index: number): Entry {
    const entry = this.entries[index - this.base.index - 1];
    if (!entry) throw new Error(`poll: no log entry ${index} (base ${this.base.index}, last ${this.lastIndex()})`);
    return entry;
  }

  /** A copy of the entries from `index` (> base.index) to the end. */
  from(index: number): Entry[] {
    return this.entries.slice(index - this.base.index - 1);
  }

  /** Drop the entry at `index` (> base.index) and everything after it. */
  truncateFrom(index: number): void {
    this.entries.splice(index - this.base.index - 1);
  }

  append(entries: readonly Entry[]): void {
    for (const e of entries) this.entries.push(e);
  }

  /** The first index of the run of entries that share the term of `index`, not going below base.index. */
  firstIndexOfTerm(index: number): number {
    const term = this.termAt(index);
    let i = index;
    while (i - 1 > this.base.index && this.termAt(i - 1) === term) i--;
    return i;
  }

  /** The last index at or below `from` holding `term` (the base counts), or -1 if there is none. */
  lastIndexOfTerm(term: number, from: number): number {
    for (let i = Math.min(from, this.lastIndex()); i >= this.base.index; i--) {
      const t = this.termAt(i);
      if (t === term) return i;
      if (t < term) return -1;
    }
    return -1;
  }

  /** Forget everything up to `index` (base.index < index <= lastIndex()): a snapshot now covers it. */
  compact(index: number): void {
    const term = this.termAt(index);
    this.entries = this.entries.slice(index - this.base.index);
    this.base = { index, term };
  }

  /**
   * Move the base to a snapshot ending at `index`/`term` (index > base.index): keep the entries after it if this log
   * holds that very entry, else drop them all.
   */
  install(index: number, term: number): void {
    if (index <= this.lastIndex() && this.termAt(index) === term) {
      this.compact(index);
      return;
    }
    this.entries = [];
    this.base = { index, term };
  }
}

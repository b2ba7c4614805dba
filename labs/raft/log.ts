import type { LogEntry, PersistedLog } from './types.ts';

/**
 * The Raft log, addressed by Raft index, with the snapshot folded in.
 *
 * Position 0 holds a sentinel that stands for the last entry the snapshot covers: its index and term are the
 * snapshot's lastIncludedIndex and lastIncludedTerm (0 and 0 before any snapshot, which is why real entries start
 * at index 1). Every access turns a Raft index into an array position by subtracting the sentinel's index, so the
 * rest of the code never thinks about positions. Entries before the sentinel are gone (they are in the snapshot);
 * asking for one is a bug and throws.
 */
export class RaftLog {
  #entries: LogEntry[];

  /** A log from persisted entries (sentinel first), or an empty log. */
  constructor(entries: readonly LogEntry[] = []) {
    this.#entries = entries.length > 0 ? [...entries] : [sentinel(0, 0)];
  }

  /** The sentinel's index: the last index the snapshot covers (0 without a snapshot). */
  get snapshotIndex(): number {
    return this.#entries[0]!.index;
  }

  get snapshotTerm(): number {
    return this.#entries[0]!.term;
  }

  get lastIndex(): number {
    return this.snapshotIndex + this.#entries.length - 1;
  }

  get lastTerm(): number {
    return this.#entries[this.#entries.length - 1]!.term;
  }

  /** Whether the log can tell the term at `index` (the sentinel counts). */
  has(index: number): boolean {
    return index >= this.snapshotIndex && index <= this.lastIndex;
  }

  entry(index: number): LogEntry {
    const entry = this.has(index) ? this.#entries[index - this.snapshotIndex] : undefined;
    if (!entry) throw new RangeError(`log index ${index} is outside [${this.snapshotIndex}, ${this.lastIndex}]`);
    return entry;
  }

  term(index: number): number {
    return this.entry(index).term;
  }

  /** The entries from `index` to the end (a new array; empty if index is lastIndex + 1). */
  from(index: number): LogEntry[] {
    if (index <= this.snapshotIndex || index > this.lastIndex + 1) {
      throw new RangeError(`cannot read the log from ${index}: it holds (${this.snapshotIndex}, ${this.lastIndex}]`);
    }
    return this.#entries.slice(index - this.snapshotIndex);
  }

  append(entries: readonly LogEntry[]): void {
    for (const entry of entries) this.#entries.push(entry);
  }

  /** Delete the entry at `index` and all that follow it. */
  truncateFrom(index: number): void {
    if (index <= this.snapshotIndex) throw new RangeError(`cannot truncate at ${index}: it is in the snapshot`);
    if (index <= this.lastIndex) this.#entries.length = index - this.snapshotIndex;
  }

  /** The snapshot now covers everything up to `index`: drop those entries, keeping a sentinel for `index`. */
  compact(index: number): void {
    const term = this.term(index);
    this.#entries = [sentinel(index, term), ...this.#entries.slice(index - this.snapshotIndex + 1)];
  }

  /** Replace the whole log by a sentinel for a snapshot that ends at (index, term). */
  reset(index: number, term: number): void {
    this.#entries = [sentinel(index, term)];
  }

  /** The first index of the run of entries that share the term of the entry at `index` (never the sentinel). */
  firstIndexOfTerm(index: number): number {
    const term = this.term(index);
    let first = index;
    while (first - 1 > this.snapshotIndex && this.term(first - 1) === term) first--;
    return first;
  }

  /** The last index at or before `atOrBefore` that holds `term`, if the log (sentinel included) has one. */
  lastIndexOfTerm(term: number, atOrBefore: number): number | undefined {
    for (let index = Math.min(atOrBefore, this.lastIndex); index >= this.snapshotIndex; index--) {
      const t = this.term(index);
      if (t === term) return index;
      if (t < term) return undefined; // terms never decrease along a log
    }
    return undefined;
  }

  /**
   * The log as persist() saves it: column-wise, the sentinel as snapshotIndex/snapshotTerm and then one array of
   * terms and one of commands. persist() encodes the whole log after every change, so this matters: two flat
   * arrays encode about 4x faster and 3x smaller than an array of { index, term, command } objects.
   */
  toPersisted(): PersistedLog {
    const terms: number[] = [];
    const commands: unknown[] = [];
    for (let i = 1; i < this.#entries.length; i++) {
      terms.push(this.#entries[i]!.term);
      commands.push(this.#entries[i]!.command);
    }
    return { snapshotIndex: this.snapshotIndex, snapshotTerm: this.snapshotTerm, terms, commands };
  }

  static fromPersisted(saved: PersistedLog): RaftLog {
    const entries = [sentinel(saved.snapshotIndex, saved.snapshotTerm)];
    saved.terms.forEach((term, i) => entries.push({ index: saved.snapshotIndex + 1 + i, term, command: saved.commands[i] }));
    return new RaftLog(entries);
  }
}

function sentinel(index: number, term: number): LogEntry {
  return { index, term, command: null };
}

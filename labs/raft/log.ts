import type { LogEntry, PersistedLog } from './types.ts';

/**
 * The Raft log, addressed by Raft index, with the snapshot folded in.
 *
 * The snapshot stands in for the entries it covers: its lastIncludedIndex and lastIncludedTerm (0 and 0 before any
 * snapshot, which is why real entries start at index 1) act as the entry before the first one kept. Every access
 * turns a Raft index into an array position by subtracting snapshotIndex, so the rest of the code never thinks
 * about positions. Entries before the snapshot's are gone; asking for one is a bug and throws.
 *
 * The entries are kept column-wise, one array of terms and one of commands, which is also how persist() saves
 * them: persist() encodes the whole log after every change, and two flat arrays copy and encode several times
 * faster (and 3x smaller) than an array of { index, term, command } objects.
 */
export class RaftLog {
  #snapshotIndex = 0;
  #snapshotTerm = 0;
  /** #terms[i] and #commands[i] are the entry at index snapshotIndex + 1 + i. */
  #terms: number[] = [];
  #commands: unknown[] = [];

  /** The last index the snapshot covers (0 without a snapshot). */
  get snapshotIndex(): number {
    return this.#snapshotIndex;
  }

  get snapshotTerm(): number {
    return this.#snapshotTerm;
  }

  get lastIndex(): number {
    return this.#snapshotIndex + this.#terms.length;
  }

  get lastTerm(): number {
    return this.#terms.length === 0 ? this.#snapshotTerm : this.#terms[this.#terms.length - 1]!;
  }

  /** Whether the log can tell the term at `index` (the snapshot's last index counts). */
  has(index: number): boolean {
    return index >= this.#snapshotIndex && index <= this.lastIndex;
  }

  /** The entry at `index`; at snapshotIndex, the snapshot's last entry, whose command is gone (null). */
  entry(index: number): LogEntry {
    return { index, term: this.term(index), command: index === this.#snapshotIndex ? null : this.#commands[index - this.#snapshotIndex - 1] };
  }

  term(index: number): number {
    if (!this.has(index)) throw new RangeError(`log index ${index} is outside [${this.#snapshotIndex}, ${this.lastIndex}]`);
    return index === this.#snapshotIndex ? this.#snapshotTerm : this.#terms[index - this.#snapshotIndex - 1]!;
  }

  /** The entries from `index` to the end (a new array; empty if index is lastIndex + 1). */
  from(index: number): LogEntry[] {
    if (index <= this.#snapshotIndex || index > this.lastIndex + 1) {
      throw new RangeError(`cannot read the log from ${index}: it holds (${this.#snapshotIndex}, ${this.lastIndex}]`);
    }
    const entries: LogEntry[] = [];
    for (let i = index - this.#snapshotIndex - 1; i < this.#terms.length; i++) {
      entries.push({ index: this.#snapshotIndex + 1 + i, term: this.#terms[i]!, command: this.#commands[i] });
    }
    return entries;
  }

  append(entries: readonly LogEntry[]): void {
    for (const entry of entries) {
      if (entry.index !== this.lastIndex + 1) throw new RangeError(`cannot append entry ${entry.index} after ${this.lastIndex}`);
      this.#terms.push(entry.term);
      this.#commands.push(entry.command);
    }
  }

  /** Delete the entry at `index` and all that follow it. */
  truncateFrom(index: number): void {
    if (index <= this.#snapshotIndex) throw new RangeError(`cannot truncate at ${index}: it is in the snapshot`);
    if (index <= this.lastIndex) {
      this.#terms.length = index - this.#snapshotIndex - 1;
      this.#commands.length = index - this.#snapshotIndex - 1;
    }
  }

  /** The snapshot now covers everything up to `index`: drop those entries. */
  compact(index: number): void {
    const term = this.term(index);
    const drop = index - this.#snapshotIndex;
    this.#terms = this.#terms.slice(drop);
    this.#commands = this.#commands.slice(drop);
    this.#snapshotIndex = index;
    this.#snapshotTerm = term;
  }

  /** Replace the whole log by a snapshot that ends at (index, term). */
  reset(index: number, term: number): void {
    this.#snapshotIndex = index;
    this.#snapshotTerm = term;
    this.#terms = [];
    this.#commands = [];
  }

  /** The first index of the run of entries that share the term of the entry at `index` (never the snapshot's). */
  firstIndexOfTerm(index: number): number {
    const term = this.term(index);
    let first = index;
    while (first - 1 > this.snapshotIndex && this.term(first - 1) === term) first--;
    return first;
  }

  /** The last index at or before `atOrBefore` that holds `term`, if the log (the snapshot's last entry included) has one. */
  lastIndexOfTerm(term: number, atOrBefore: number): number | undefined {
    for (let index = Math.min(atOrBefore, this.lastIndex); index >= this.snapshotIndex; index--) {
      const t = this.term(index);
      if (t === term) return index;
      if (t < term) return undefined; // terms never decrease along a log
    }
    return undefined;
  }

  /**
   * The log as persist() saves it: its columns themselves, not copies, for persist() to encode at once. Encoding reads
   * them before the log can change, so copies would only make garbage, two arrays the length of the log on every save.
   */
  persistedView(): PersistedLog {
    return { snapshotIndex: this.#snapshotIndex, snapshotTerm: this.#snapshotTerm, terms: this.#terms, commands: this.#commands };
  }

  static fromPersisted(saved: PersistedLog): RaftLog {
    if (saved.terms.length !== saved.commands.length) {
      throw new RangeError(`a persisted log with ${saved.terms.length} terms and ${saved.commands.length} commands`);
    }
    const log = new RaftLog();
    log.reset(saved.snapshotIndex, saved.snapshotTerm);
    log.#terms = [...saved.terms];
    log.#commands = [...saved.commands];
    return log;
  }
}

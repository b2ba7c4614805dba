/**
 * Every node's stable log, rebuilt from the log deltas of a trace's persist events (harness persisted-log.ts). What
 * a node has persisted is its log as far as safety goes: it is what survives a crash.
 */
import type { CommandDigest, PersistedLogDelta, PersistedLogView } from '../harness/tester/persisted-log.ts';

export interface LogMismatch {
  other: number;
  /** The highest index where both logs hold an entry of the same term. */
  index: number;
  term: number;
  /** The highest index at or below it where the two logs differ. */
  differsAt: number;
  mine: { term: number; command: CommandDigest };
  theirs: { term: number; command: CommandDigest };
}

export class StableLogs {
  readonly #logs = new Map<number, PersistedLogView>();
  /**
   * For a pair of nodes ("a-b", a < b): an index up to which their logs are known identical (above both snapshots).
   * A change to either log from index f lowers it to f - 1, so a check only compares what changed: O(delta), not
   * O(log), per persist.
   */
  readonly #agreedUpTo = new Map<string, number>();

  has(node: number): boolean {
    return this.#logs.has(node);
  }

  get nodes(): number {
    return this.#logs.size;
  }

  snapshotIndex(node: number): number {
    return this.#logs.get(node)?.snapshotIndex ?? 0;
  }

  lastIndex(node: number): number {
    const log = this.#logs.get(node);
    return log ? log.snapshotIndex + log.terms.length : 0;
  }

  /** The entry at `index`, if the node's stable log holds it (not covered by its snapshot). */
  entry(node: number, index: number): { term: number; command: CommandDigest } | undefined {
    const log = this.#logs.get(node);
    if (!log) return undefined;
    const k = index - log.snapshotIndex - 1;
    if (k < 0 || k >= log.terms.length) return undefined;
    return { term: log.terms[k]!, command: log.commands[k]! };
  }

  /** The term at `index`, counting the snapshot's last entry where the state says its term. */
  termAt(node: number, index: number): number | undefined {
    const log = this.#logs.get(node);
    if (!log) return undefined;
    if (index === log.snapshotIndex) return log.snapshotTerm;
    return this.entry(node, index)?.term;
  }

  /** The node's log can no longer be read: drop it, and what its pairs were known to agree on. */
  forget(node: number): void {
    this.#logs.delete(node);
    for (const key of [...this.#agreedUpTo.keys()]) {
      const [a, b] = key.split('-').map(Number);
      if (a === node || b === node) this.#agreedUpTo.delete(key);
    }
  }

  /** Apply a persist's change. Throws when the change does not follow the node's previous log (a broken trace). */
  apply(node: number, delta: PersistedLogDelta): void {
    const before = this.#logs.get(node);
    const keep = delta.from - delta.snapshotIndex - 1;
    const offset = before ? delta.snapshotIndex - before.snapshotIndex : 0;
    if (keep > 0 && (!before || offset < 0 || offset + keep > before.terms.length)) {
      throw new Error(`trace: server ${node}'s persisted log delta from ${delta.from} does not follow its previous log`);
    }
    const terms = keep > 0 ? before!.terms.slice(offset, offset + keep).concat(delta.terms) : [...delta.terms];
    const commands = keep > 0 ? before!.commands.slice(offset, offset + keep).concat(delta.commands) : [...delta.commands];
    if (delta.snapshotIndex + terms.length !== delta.lastIndex) {
      throw new Error(`trace: server ${node}'s persisted log delta ends at ${delta.snapshotIndex + terms.length}, not ${delta.lastIndex}`);
    }
    this.#logs.set(node, { snapshotIndex: delta.snapshotIndex, snapshotTerm: delta.snapshotTerm, terms, commands });
    for (const [key, upTo] of this.#agreedUpTo) {
      const [a, b] = key.split('-').map(Number);
      if ((a === node || b === node) && upTo >= delta.from) this.#agreedUpTo.set(key, delta.from - 1);
    }
  }

  /**
   * Log Matching between `node`'s log, changed from index `from` on, and every other stable log: wherever both hold
   * an entry of the same term at one index (at or after `from`, the only place a new match can appear), the logs must
   * agree on every entry up to it. Returns the first pair that does not.
   */
  logMatching(node: number, from: number): LogMismatch | undefined {
    const mine = this.#logs.get(node);
    if (!mine) return undefined;
    for (const [other, theirs] of this.#logs) {
      if (other === node) continue;
      const floor = Math.max(mine.snapshotIndex, theirs.snapshotIndex);
      const top = Math.min(mine.snapshotIndex + mine.terms.length, theirs.snapshotIndex + theirs.terms.length);
      const at = (log: PersistedLogView, i: number): number => i - log.snapshotIndex - 1;
      let match = -1;
      for (let i = top; i >= Math.max(from, floor + 1); i--) {
        if (mine.terms[at(mine, i)] === theirs.terms[at(theirs, i)]) {
          match = i;
          break;
        }
      }
      if (match < 0) continue;
      const key = node < other ? `${node}-${other}` : `${other}-${node}`;
      const agreed = Math.max(floor, this.#agreedUpTo.get(key) ?? floor);
      for (let i = match; i > agreed; i--) {
        const a = at(mine, i);
        const b = at(theirs, i);
        if (mine.terms[a] !== theirs.terms[b] || mine.commands[a] !== theirs.commands[b]) {
          return {
            other,
            index: match,
            term: mine.terms[at(mine, match)]!,
            differsAt: i,
            mine: { term: mine.terms[a]!, command: mine.commands[a]! },
            theirs: { term: theirs.terms[b]!, command: theirs.commands[b]! },
          };
        }
      }
      this.#agreedUpTo.set(key, Math.max(agreed, match));
    }
    return undefined;
  }
}

/** A run of consecutive indices holding entries of one term: how a stable log is drawn. */
export interface TermRun {
  from: number;
  to: number;
  term: number;
}

/** The runs of `before` up to index from - 1, then `terms` from `from` on, kept within snapshotIndex + 1 .. lastIndex. */
export function applyLogChange(
  before: readonly TermRun[],
  change: { snapshotIndex: number; from: number; terms: readonly number[]; lastIndex: number },
): TermRun[] {
  const runs: TermRun[] = [];
  for (const r of before) {
    if (r.from >= change.from) break;
    runs.push(r.to >= change.from ? { ...r, to: change.from - 1 } : r);
  }
  change.terms.forEach((term, k) => {
    const index = change.from + k;
    const last = runs.at(-1);
    if (last && last.term === term && last.to === index - 1) runs[runs.length - 1] = { ...last, to: index };
    else runs.push({ from: index, to: index, term });
  });
  return runs
    .filter((r) => r.to > change.snapshotIndex && r.from <= change.lastIndex)
    .map((r) => (r.from <= change.snapshotIndex || r.to > change.lastIndex ? { ...r, from: Math.max(r.from, change.snapshotIndex + 1), to: Math.min(r.to, change.lastIndex) } : r));
}


/**
 * What the rules found: violations, and what they could not judge. A violation that rests on a term or vote read by
 * field names (not by the implementation's describeState) counts only if the trace confirms those names
 * (Facts.fieldsConfirmed, known at the end); otherwise it is dropped and its rule reported as skipped.
 */
import { invariants, type CheckResult, type InvariantId, type Skip, type Violation } from './invariants.ts';

/** How many violations of one invariant to report before the rest are summarized away. */
export const maxPerInvariant = 5;

export class Findings {
  readonly #found: Array<{ v: Violation; onSaves: boolean }> = [];
  readonly #skips = new Map<string, Skip>();

  /** A violation; `onSaves`: it rests on a saved term or vote, which field names may have misread. */
  report(v: Violation, { onSaves = false }: { onSaves?: boolean } = {}): void {
    this.#found.push({ v, onSaves });
  }

  /** A rule (or part of one) this trace does not let the checker judge. Each reason is listed once. */
  skip(invariant: InvariantId, reason: string): void {
    this.#skips.set(`${invariant}\n${reason}`, { invariant, reason });
  }

  /** The result, in trace order, at most maxPerInvariant violations of each rule (then one summary line). */
  result(events: number, savesCertain: boolean): CheckResult {
    const kept: Violation[] = [];
    for (const { v, onSaves } of this.#found) {
      if (onSaves && !savesCertain) {
        this.skip(
          v.invariant,
          'the persisted state was read by field names that this trace does not confirm (no candidate saved its term and votedFor = itself): export describeState (labs/api)',
        );
      } else {
        kept.push(v);
      }
    }
    kept.sort((a, b) => a.eventIndex - b.eventIndex);
    const perInvariant = new Map<InvariantId, number>();
    const violations: Violation[] = [];
    for (const v of kept) {
      const n = (perInvariant.get(v.invariant) ?? 0) + 1;
      perInvariant.set(v.invariant, n);
      if (n <= maxPerInvariant) violations.push(v);
    }
    for (const [invariant, n] of perInvariant) {
      if (n > maxPerInvariant) {
        violations.push({ invariant, message: `... and ${n - maxPerInvariant} more violations of ${invariants[invariant].title}`, eventIndex: -1, context: [] });
      }
    }
    return { violations, skipped: [...this.#skips.values()], events };
  }
}

/**
 * A Raft safety checker over a trace. The course's tests judge a run by its end-to-end symptoms; this reads every
 * event and names the first one that broke one of Raft's guarantees (Figure 3 of the paper) or a rule that keeps them,
 * so a run can fail on a violation even when the tester's checks passed.
 *
 * It must never fire on a correct Raft: each rule (src/checker/rules/) reads only what a trace says with certainty,
 * states next to its code why a correct Raft cannot break it, and where its inputs are missing or uncertain it skips
 * and says why (CheckResult.skipped) instead of guessing. One walk over the trace: Facts (facts.ts) absorbs each
 * event, then every rule looks at it.
 */
import type { TraceEvent } from '../trace/events.ts';
import { Facts } from './facts.ts';
import { Findings } from './findings.ts';
import type { CheckResult } from './invariants.ts';
import { applyOrder, stateMachineSafety } from './rules/apply.ts';
import { commitCurrentTerm, commitMonotonic } from './rules/commit.ts';
import { electionSafety, higherTermAdopted, termMonotonic } from './rules/election.ts';
import { leaderCompleteness, logMatching } from './rules/log.ts';
import { appendPersisted, votePersisted } from './rules/persistence.ts';
import type { RuleFactory } from './rules/rule.ts';

export * from './invariants.ts';
export { maxPerInvariant } from './findings.ts';

/** Every rule family, in the order they look at an event. */
export const rules: readonly RuleFactory[] = [
  electionSafety,
  termMonotonic,
  higherTermAdopted,
  stateMachineSafety,
  applyOrder,
  votePersisted,
  appendPersisted,
  logMatching,
  leaderCompleteness,
  commitCurrentTerm,
  commitMonotonic,
];

/** Check every invariant over a run's events, in order. */
export function checkTrace(events: readonly TraceEvent[], only: readonly RuleFactory[] = rules): CheckResult {
  const facts = new Facts();
  const findings = new Findings();
  const active = only.map((make) => make(facts, findings));
  events.forEach((e, i) => {
    facts.absorb(e, i);
    for (const rule of active) rule.on(e, i);
    facts.settle(e);
  });
  for (const rule of active) rule.finish?.();
  return findings.result(events.length, facts.certainSaves());
}

import type { TraceEvent } from '../../trace/events.ts';
import type { Facts } from '../facts.ts';
import type { Findings } from '../findings.ts';

/**
 * One family of rules over the shared facts. `on` sees every event in order, after Facts has absorbed it; `finish`
 * runs after the last one (for what could not be judged).
 */
export interface Rule {
  on(e: TraceEvent, i: number): void;
  finish?(): void;
}

export type RuleFactory = (facts: Facts, findings: Findings) => Rule;

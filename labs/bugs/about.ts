/**
 * What each planted bug says about itself: for students (title, explanation) and for the catalog (which tests,
 * how many sim seeds, with the safety checker and any chaos knobs, are stated to catch it; mocha holds it to that).
 */
import type { InvariantId } from '../../src/checker/index.ts';

export interface BugAbout {
  title: string;
  explanation: string;
  /** The sweep stated to catch it (mocha holds every bug to its own). */
  catch: {
    /** A regular expression over test ids, as for `raftlab run`. */
    tests: string;
    /** Seeds 1..seeds of each matching test, on the sim clock, with the checker on. */
    seeds: number;
    /** Chaos knobs (`raftlab run --chaos`), when the sweep needs them. */
    chaos?: string;
    /** The invariant the checker must name, for a bug that breaks a safety property. */
    invariant?: InvariantId;
  };
}

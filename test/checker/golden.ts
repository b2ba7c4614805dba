/**
 * Golden traces for the safety checker, in the manner of etcd raft's testdata/: real runs, recorded once and stored
 * under test/checker/testdata/<source>/ as the trace files `raftlab run --keep all --out DIR` writes, each with the
 * checker's verdict in verdicts.json. test/checker/golden.test.ts fails when the checker's verdict on any of them
 * changes; `npm run golden` records them again (`-- NAME...` for some sources, `-- --verdicts` to re-judge the stored
 * traces after a deliberate change to the checker).
 *
 * Sources:
 * - correct Rafts (the reference, read by describeState and by field names; fixtures that do what correct student
 *   Rafts do and an earlier checker flagged): every run of a small sweep, which must be clean;
 * - every catalog bug that breaks safety (labs/bugs/<name>, whose about.ts names its sweep and rule): the first run
 *   of its stated sweep in which the checker names that rule.
 *
 * To add a correct implementation (e.g. a corpus Raft), add one line to `sources`: `correct('corpus-poll',
 * 'labs/corpus/poll')`, then `npm run golden -- corpus-poll`.
 */
import { fileURLToPath } from 'node:url';
import type { InvariantId, Skip, Violation } from '../../src/checker/index.ts';
import { bugsDir, listBugs, readBugAbout } from '../../src/runner/bug-about.ts';
import path from 'node:path';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const testdataDir = fileURLToPath(new URL('./testdata/', import.meta.url));

export interface GoldenSource {
  /** Its folder under testdata/. */
  name: string;
  /** The implementation folder, relative to the repository root. */
  impl: string;
  /** Read saved state by field names, even where the folder exports describeState. */
  fields?: boolean;
  /** The runs: tests (a pattern, as for `raftlab run`) x seeds 1..seeds, on the sim clock, with chaos knobs if any. */
  sweep: { tests: string; seeds: number; chaos?: string };
  /**
   * What the checker must say: nothing (every run recorded; `skipped` lists the rules it must report skipped), or
   * that rule (only the first run of the sweep in which it is named is recorded).
   */
  expect: { clean: true; skipped?: InvariantId[] } | { invariant: InvariantId };
}

/** The checker's verdict on one stored trace, as verdicts.json keeps it. */
export interface Verdict {
  test: string;
  seed: number;
  chaos?: string;
  /** The tester's own verdict on the run. */
  status: 'pass' | 'fail' | 'error' | 'timeout';
  violations: Violation[];
  skipped: Skip[];
}

/** Every graded test but TestReliableChurn2C (1 MB of trace for nothing the others lack). */
const suite = '^Test(?!ReliableChurn2C)';
/** A correct Raft: the suite, seed 1. */
const correct = (name: string, impl: string, extra: Partial<GoldenSource> = {}): GoldenSource => ({
  name,
  impl,
  sweep: { tests: suite, seeds: 1 },
  expect: { clean: true },
  ...extra,
});

/** Every catalog bug that breaks a safety rule, with the sweep its about.json states. */
async function catalogBugs(): Promise<GoldenSource[]> {
  const out: GoldenSource[] = [];
  for (const name of listBugs()) {
    const { tests, seeds, chaos, invariant } = readBugAbout(path.join(bugsDir, name)).catch;
    if (invariant) out.push({ name: `bug-${name}`, impl: `labs/bugs/${name}`, sweep: { tests, seeds, ...(chaos ? { chaos } : {}) }, expect: { invariant } });
  }
  return out;
}

const logRules: InvariantId[] = ['log-matching', 'leader-completeness', 'append-persisted'];

export const sources: GoldenSource[] = [
  correct('reference', 'labs/raft'),
  correct('reference-fields', 'labs/raft', { fields: true, sweep: { tests: '^Test(ReElection2A|Backup2B|Persist22C|Figure8Unreliable2C|SnapshotInstallCrash2D)$', seeds: 1 } }),
  // Re-sends identical arguments and saves only on change: the commit-index and repeated-vote false alarms.
  correct('retries-rpcs', 'test/fixtures/impls/retries-rpcs', { sweep: { tests: '^Test(FailAgree2B|Persist12C|UnreliableAgree2C|Figure8Unreliable2C|SnapshotInstallUnreliable2D)$', seeds: 1 } }),
  // Clips leaderCommit per follower and drops stale replies before their term.
  correct('clips-commit', 'test/fixtures/impls/clips-commit', { sweep: { tests: '^Test(Figure8Unreliable2C|UnreliableChurn2C)$', seeds: 1 } }),
  // The snapshot base under a name of its own: skipped by field names, checked through its describeState.
  correct('offset-base-fields', 'test/fixtures/impls/offset-base', { fields: true, sweep: { tests: '2D', seeds: 1 }, expect: { clean: true, skipped: logRules } }),
  correct('offset-base', 'test/fixtures/impls/offset-base', { sweep: { tests: '2D', seeds: 1 } }),
  // The corpus of independently designed Rafts (labs/corpus/): clean on every rule each can be read for.
  correct('corpus-cond', 'labs/corpus/cond'),
  // No describeState and names the field reader does not know: the rules it cannot read are skipped, with the reason.
  correct('corpus-poll', 'labs/corpus/poll', { expect: { clean: true, skipped: logRules } }),
  correct('corpus-queue', 'labs/corpus/queue'),
  ...(await catalogBugs()),
];

/** A stored trace's file name. */
export function traceFileName(test: string, seed: number): string {
  return `${test}-seed${seed}-sim.trace.gz`;
}

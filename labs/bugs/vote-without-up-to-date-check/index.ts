/**
 * Planted bug: a server grants its vote without checking that the candidate's log is at least as up to date as its
 * own (§5.4.1).
 *
 * Then a candidate that missed committed entries can win an election and overwrite them on the others: two servers
 * end up applying different commands at one index, or a committed command disappears. The tests that partition
 * and heal the cluster catch it (TestBackup2B, TestRejoin2B, TestFailAgree2B, and 2C tests: docs/bug-catalog.md).
 */
import type { MakeRaft } from '../../api/index.ts';
import type { BugAbout } from '../about.ts';
import { Raft } from '../../raft/index.ts';

class VotesForAnyLog extends Raft {
  protected override isUpToDate(): boolean {
    return true;
  }
}

export const about: BugAbout = {
  title: 'Vote without the up-to-date check',
  explanation:
    "A server votes for any candidate of a newer term, even one whose log lacks committed entries. That candidate can win and overwrite what was committed (Election restriction, §5.4.1).",
  catch: { tests: '^TestBackup2B$', seeds: 5, invariant: 'state-machine-safety' },
};

export const make: MakeRaft = (...args) => new VotesForAnyLog(...args);

/** The reference's persisted format, unchanged by this bug: the checker reads it the same way. */
export { describeState } from '../../raft/index.ts';

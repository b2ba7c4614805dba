/**
 * Planted bug: the leader commits an entry of an earlier term as soon as a majority holds it.
 *
 * Figure 8 of the paper shows why that is unsafe: such an entry can still be overwritten by a leader of a newer
 * term that never had it, after servers have applied it. Raft commits earlier-term entries only together with an
 * entry of the leader's own term (§5.4.2). TestFigure82C and TestFigure8Unreliable2C are built to catch this, yet
 * with this reference both passed every seed of 1–200 (400 runs; also 200 more under chaos quantum=250,crash=20):
 * the overwrite needs a leader change at just the wrong moment. The safety checker (Commit only through the current
 * term) catches the first such commit, within the first seeds.
 */
import type { MakeRaft } from '../../api/index.ts';
import type { BugAbout } from '../about.ts';
import { Raft } from '../../raft/index.ts';

class CommitsByCounting extends Raft {
  protected override mayCommitByCounting(): boolean {
    return true;
  }
}

export const about: BugAbout = {
  title: 'Commit an earlier-term entry by counting replicas',
  explanation:
    "The leader commits any entry a majority holds, whatever its term. Figure 8 of the paper: such an entry can still be overwritten after it was applied (§5.4.2).",
  catch: { tests: '^TestFigure8Unreliable2C$', seeds: 2, invariant: 'commit-current-term' },
};

export const make: MakeRaft = (...args) => new CommitsByCounting(...args);

/** The reference's persisted format, unchanged by this bug: the checker reads it the same way. */
export { describeState } from '../../raft/index.ts';

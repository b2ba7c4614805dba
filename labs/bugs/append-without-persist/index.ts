/**
 * Planted bug: a follower appends the leader's entries and replies success without saving them.
 *
 * The leader counts a success as "stored on that server" and may commit on it. If the follower crashes before its
 * next save (here, the next change of term or vote), the entries are gone, and a committed entry may now live on
 * fewer than a majority of servers: a new leader without it can be elected and overwrite it (Figure 2: persistent
 * state is updated on stable storage before responding to RPCs). The checker sees the success leave before the save.
 */
import type { MakeRaft } from '../../api/index.ts';
import type { BugAbout } from '../about.ts';
import { Raft } from '../../raft/index.ts';

class RepliesBeforeSaving extends Raft {
  protected override persistAppendedEntries(): void {
    // The mistake: no persist() here; the log reaches stable storage only with the next term or vote change.
  }
}

export const about: BugAbout = {
  title: 'Reply success before saving the entries',
  explanation:
    'A follower appends the leader’s entries and says success without persisting them. The leader counts them as stored and may commit; a crash then loses entries a majority was supposed to hold.',
  catch: { tests: '^TestBasicAgree2B$', seeds: 1, invariant: 'append-persisted' },
};

export const make: MakeRaft = (...args) => new RepliesBeforeSaving(...args);

/** The reference's persisted format, unchanged by this bug: the checker reads it the same way. */
export { describeState } from '../../raft/index.ts';

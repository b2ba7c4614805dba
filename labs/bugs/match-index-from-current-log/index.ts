/**
 * Planted bug: on an AppendEntries success, the leader sets matchIndex from its log as it is now, not from the
 * request the reply answers.
 *
 * start() may have appended entries while the request was in flight, so "the follower matches my whole log" claims
 * entries the follower never received. The leader counts them as replicated and commits entries that a majority does
 * not hold; after a leader change they are overwritten, though servers have applied them. The Students' Guide to
 * Raft ("term confusion") gives the rule: matchIndex = prevLogIndex + len(entries) from the arguments sent.
 */
import type { MakeRaft } from '../../api/index.ts';
import type { BugAbout } from '../about.ts';
import { Raft } from '../../raft/index.ts';
import type { AppendEntriesArgs } from '../../raft/types.ts';

class MatchesCurrentLog extends Raft {
  protected override matchedBy(_args: AppendEntriesArgs): number {
    // The mistake: the state after the update, not the request's prevLogIndex + entries.length.
    return this.log.lastIndex;
  }
}

export const about: BugAbout = {
  title: 'Set matchIndex from the log as it is now',
  explanation:
    'On a successful AppendEntries reply the leader sets matchIndex to its own last index instead of prevLogIndex + entries sent. Entries appended since the request left count as replicated, so the leader commits entries a majority does not hold.',
  catch: { tests: '^TestFigure8Unreliable2C$', seeds: 3, invariant: 'leader-completeness' },
};

export const make: MakeRaft = (...args) => new MatchesCurrentLog(...args);

/** The reference's persisted format, unchanged by this bug: the checker reads it the same way. */
export { describeState } from '../../raft/index.ts';

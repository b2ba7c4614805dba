/**
 * Planted bug: a server resets its election timer on every RequestVote of its term or newer, granted or not.
 *
 * Figure 2 resets the timer on hearing from the current leader and on granting a vote, nothing else. A candidate
 * whose log is behind can never win, yet each of its requests now holds back the servers that could: after a
 * partition heals, the up-to-date servers keep waiting while stale candidates keep asking, and no leader emerges in
 * time (Students' Guide to Raft: reset the timer only when Figure 2 says so).
 */
import type { MakeRaft } from '../../api/index.ts';
import type { BugAbout } from '../about.ts';
import { Raft } from '../../raft/index.ts';
import type { RequestVoteArgs, RequestVoteReply } from '../../raft/types.ts';

class ResetsOnEveryRequest extends Raft {
  override RequestVote(args: RequestVoteArgs): RequestVoteReply {
    // The mistake: the reset comes before, and regardless of, the decision to grant.
    if (!this.killed && args.term >= this.currentTerm) this.resetElectionTimer();
    return super.RequestVote(args);
  }
}

export const about: BugAbout = {
  title: 'Reset the election timer on every vote request',
  explanation:
    'Every RequestVote resets the election timer, even one the server refuses. Candidates whose logs are behind can never win, but they keep the servers that could win from ever timing out: no leader in time after a partition heals.',
  catch: { tests: '^TestPersist22C$', seeds: 3, chaos: 'quantum=250' },
};

export const make: MakeRaft = (...args) => new ResetsOnEveryRequest(...args);

/** The reference's persisted format, unchanged by this bug: the checker reads it the same way. */
export { describeState } from '../../raft/index.ts';

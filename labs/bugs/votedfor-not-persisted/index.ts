/**
 * Planted bug: votedFor is not persisted (it is saved as "no vote").
 *
 * A server that votes, crashes and restarts within the same term has forgotten its vote and may vote again for
 * another candidate: two leaders in one term, and with them two different commands committed at one index.
 * With this reference the course's tests never see it: every 2C test passed seeds 1–100, and under chaos reboots
 * (crash=120,quantum=250,delay=200, seeds 1–20) it failed 8 of 160 runs by timeouts, the reference 7 of the same.
 * A candidate asks each peer once per term, so the forgotten vote is used only if a second candidate of that same
 * term first asks after the reboot. The safety checker (Vote persisted before replying) catches the first vote.
 */
import type { MakeRaft } from '../../api/index.ts';
import type { BugAbout } from '../about.ts';
import { Raft } from '../../raft/index.ts';
import { noVote } from '../../raft/types.ts';

class ForgetsItsVote extends Raft {
  protected override persistentState(): ReturnType<Raft['persistentState']> {
    return { ...super.persistentState(), votedFor: noVote };
  }
}

export const about: BugAbout = {
  title: 'votedFor not persisted',
  explanation:
    'After a crash and restart a server has forgotten whom it voted for in the current term, and can vote twice: two leaders in one term.',
  catch: { tests: '^TestInitialElection2A$', seeds: 1, invariant: 'vote-persisted' },
};

export const make: MakeRaft = (...args) => new ForgetsItsVote(...args);

/** The reference's persisted format, unchanged by this bug: the checker reads it the same way. */
export { describeState } from '../../raft/index.ts';

/**
 * Planted bug: a server that grants its vote does not reset its election timer.
 *
 * Figure 2 (Followers) resets the timer on granting a vote as well as on hearing from the leader. Without it, a
 * voter whose timer was about to fire starts an election of its own right after voting, bumping the term and
 * knocking out the candidate it just voted for before that candidate's first heartbeat: more split votes, more
 * terms, slower elections. Safety is untouched; only liveness suffers.
 */
import type { MakeRaft } from '../../api/index.ts';
import type { BugAbout } from '../about.ts';
import { Raft } from '../../raft/index.ts';
import { noVote, type RequestVoteArgs, type RequestVoteReply } from '../../raft/types.ts';

class VotesWithoutTimerReset extends Raft {
  override RequestVote(args: RequestVoteArgs): RequestVoteReply {
    if (this.killed) return { term: this.currentTerm, voteGranted: false };
    if (args.term < this.currentTerm) return { term: this.currentTerm, voteGranted: false };
    if (args.term > this.currentTerm) this.adoptTerm(args.term);

    const free = this.votedFor === noVote || this.votedFor === args.candidateId;
    if (!free || !this.isUpToDate(args.lastLogTerm, args.lastLogIndex)) {
      return { term: this.currentTerm, voteGranted: false };
    }
    this.votedFor = args.candidateId;
    this.persist();
    // The mistake: no resetElectionTimer() here.
    this.runtime.log('VOTE', `granted vote to ${args.candidateId}`, { term: this.currentTerm });
    return { term: this.currentTerm, voteGranted: true };
  }
}

export const about: BugAbout = {
  title: 'No election-timer reset on granting a vote',
  explanation:
    'A voter keeps its old election deadline after granting a vote, so it may time out and start a competing election right after voting: more split votes and terms, slower elections (Figure 2, Followers).',
  // Not caught yet, by the tests or the checker, within the seeds tried: see docs/bug-catalog.md.
  catch: undefined,
};

export const make: MakeRaft = (...args) => new VotesWithoutTimerReset(...args);

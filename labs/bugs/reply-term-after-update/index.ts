/**
 * Planted bug: a candidate counts a vote without checking that the reply answers its current election.
 *
 * A RequestVote reply can arrive long after it was sent. Each election counts its own votes, but the candidate
 * only checks that it is still a candidate, not that currentTerm is still the term the request was for: a late
 * majority from an election it already gave up on makes it leader of its new term, where nobody voted for it.
 * Another candidate may win that term properly: two leaders in one term (Figure 3, Election Safety).
 */
import type { MakeRaft } from '../../api/index.ts';
import type { BugAbout } from '../about.ts';
import { Raft } from '../../raft/index.ts';
import type { Election } from '../../raft/election.ts';
import type { RequestVoteArgs, RequestVoteReply } from '../../raft/types.ts';

class CountsStaleVotes extends Raft {
  protected override async requestVote(peer: number, args: RequestVoteArgs, election: Election): Promise<void> {
    const result = await this.call<RequestVoteReply>(peer, 'Raft.RequestVote', args);
    if (!result.ok || this.killed) return;
    const reply = result.reply;
    if (reply.term > this.currentTerm) {
      this.adoptTerm(reply.term);
      return;
    }
    // The mistake: no `this.currentTerm !== args.term` check.
    if (this.role !== 'candidate') return;
    if (!reply.voteGranted) return;
    election.votes += 1;
    this.runtime.log('VOTE', `got vote from ${peer}`, { term: args.term, votes: election.votes });
    if (this.isMajority(election.votes)) this.becomeLeader();
  }
}

export const about: BugAbout = {
  title: 'Count a vote from an earlier election',
  explanation:
    'A candidate counts a late RequestVote reply without checking that it answers the current term: votes from an election it already abandoned make it leader of a term in which another may also win.',
  // Not caught yet, by the tests or the checker, within the seeds tried: see docs/bug-catalog.md.
  catch: undefined,
};

export const make: MakeRaft = (...args) => new CountsStaleVotes(...args);

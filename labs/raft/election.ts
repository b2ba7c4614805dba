import { RaftCore } from './core.ts';
import { noVote, type RequestVoteArgs, type RequestVoteReply } from './types.ts';

/** The votes one election has gathered so far, shared by that election's RequestVote calls. */
export interface Election {
  votes: number;
}

/** Leader election (2A): Figure 2's RequestVote RPC and the rules for candidates. */
export abstract class RaftElection extends RaftCore {
  /**
   * Figure 2, Candidates, on conversion to candidate: increment currentTerm, vote for self, reset the election
   * timer (the caller does), and send RequestVote to every other server.
   */
  protected startElection(): void {
    this.currentTerm += 1;
    this.votedFor = this.me;
    this.persist();
    this.runtime.log('VOTE', 'starting election', { term: this.currentTerm, lastLogIndex: this.log.lastIndex });

    const args: RequestVoteArgs = {
      term: this.currentTerm,
      candidateId: this.me,
      lastLogIndex: this.log.lastIndex,
      lastLogTerm: this.log.lastTerm,
    };
    const election: Election = { votes: 1 };
    if (this.isMajority(election.votes)) {
      this.becomeLeader(); // a cluster of one
      return;
    }
    this.requestVotes(args, election);
  }

  /**
   * Ask every other peer for its vote, all at once: a call to a disconnected peer can take seconds to fail, and the
   * election must not wait for it.
   */
  protected requestVotes(args: RequestVoteArgs, election: Election): void {
    for (const peer of this.others) void this.requestVote(peer, args, election);
  }

  /** Ask one peer for its vote in the election `args` belongs to, and count the answer. */
  protected async requestVote(peer: number, args: RequestVoteArgs, election: Election): Promise<void> {
    const result = await this.call<RequestVoteReply>(peer, 'Raft.RequestVote', args);
    if (!result.ok || this.killed) return;
    const reply = result.reply;
    if (this.adoptHigherTermOfReply(reply.term)) return;
    // Stale: the election this reply answers is over (won, lost, or followed by another).
    if (this.role !== 'candidate' || this.currentTerm !== args.term) return;
    if (!reply.voteGranted) return;
    election.votes += 1;
    this.runtime.log('VOTE', `got vote from ${peer}`, { term: args.term, votes: election.votes });
    // Figure 2, Candidates: votes received from a majority of servers: become leader.
    if (this.isMajority(election.votes)) this.becomeLeader();
  }

  protected becomeLeader(): void {
    this.runtime.log('LEAD', 'elected leader', { term: this.currentTerm, lastIndex: this.log.lastIndex });
    this.changeRole('leader');
  }

  /** RequestVote RPC handler (Figure 2, RequestVote RPC, receiver implementation). */
  RequestVote(args: RequestVoteArgs): RequestVoteReply {
    if (this.killed) return { term: this.currentTerm, voteGranted: false };
    // 1. Reply false if term < currentTerm.
    if (args.term < this.currentTerm) return { term: this.currentTerm, voteGranted: false };
    if (args.term > this.currentTerm) this.adoptTerm(args.term);

    // 2. If votedFor is null or candidateId, and the candidate's log is at least as up to date as ours, grant.
    const free = this.votedFor === noVote || this.votedFor === args.candidateId;
    if (!free || !this.isUpToDate(args.lastLogTerm, args.lastLogIndex)) {
      return { term: this.currentTerm, voteGranted: false };
    }
    this.votedFor = args.candidateId;
    this.persist(); // before the reply: a restarted server must not vote twice in this term
    // Figure 2, Followers: granting a vote resets the election timer.
    this.resetElectionTimer();
    this.runtime.log('VOTE', `granted vote to ${args.candidateId}`, { term: this.currentTerm });
    return { term: this.currentTerm, voteGranted: true };
  }

  /**
   * §5.4.1: is a log ending at (lastLogTerm, lastLogIndex) at least as up to date as ours? The one with the later
   * last term is; with equal last terms, the longer one is. Voting only for such candidates keeps every committed
   * entry in the next leader's log.
   */
  protected isUpToDate(lastLogTerm: number, lastLogIndex: number): boolean {
    if (lastLogTerm !== this.log.lastTerm) return lastLogTerm > this.log.lastTerm;
    return lastLogIndex >= this.log.lastIndex;
  }
}

/**
 * Planted bug: a leader or candidate that gets a reply carrying a higher term ignores it: it neither adopts the term
 * nor steps down to follower.
 *
 * Figure 2 (All Servers): if an RPC request or response contains term T > currentTerm, set currentTerm = T and
 * convert to follower. Here only requests do that. A stale leader keeps leading, and a candidate whose term is
 * behind keeps campaigning, until some request of the newer term reaches it: elections and recovery are slower.
 */
import type { MakeRaft } from '../../api/index.ts';
import type { BugAbout } from '../about.ts';
import { Raft } from '../../raft/index.ts';
import type { Election } from '../../raft/election.ts';
import type { AppendEntriesArgs, AppendEntriesReply, InstallSnapshotArgs, InstallSnapshotReply, RequestVoteArgs, RequestVoteReply } from '../../raft/types.ts';

class IgnoresHigherTermReplies extends Raft {
  protected override async requestVote(peer: number, args: RequestVoteArgs, election: Election): Promise<void> {
    const result = await this.call<RequestVoteReply>(peer, 'Raft.RequestVote', args);
    if (!result.ok || this.killed) return;
    const reply = result.reply;
    // The mistake: no step-down on reply.term > currentTerm.
    if (this.role !== 'candidate' || this.currentTerm !== args.term) return;
    if (!reply.voteGranted) return;
    election.votes += 1;
    this.runtime.log('VOTE', `got vote from ${peer}`, { term: args.term, votes: election.votes });
    if (this.isMajority(election.votes)) this.becomeLeader();
  }

  protected override handleAppendEntriesReply(peer: number, args: AppendEntriesArgs, reply: AppendEntriesReply): void {
    // The mistake: hide the higher term from the reference's step-down; the reply is handled as any other.
    super.handleAppendEntriesReply(peer, args, { ...reply, term: Math.min(reply.term, this.currentTerm) });
  }

  protected override async sendInstallSnapshot(peer: number): Promise<void> {
    const args: InstallSnapshotArgs = {
      term: this.currentTerm,
      leaderId: this.me,
      lastIncludedIndex: this.log.snapshotIndex,
      lastIncludedTerm: this.log.snapshotTerm,
      data: this.persister.readSnapshot(),
    };
    const result = await this.call<InstallSnapshotReply>(peer, 'Raft.InstallSnapshot', args);
    if (!result.ok || this.killed) return;
    // The mistake: no step-down on reply.term > currentTerm.
    if (this.role !== 'leader' || this.currentTerm !== args.term) return;
    const matchBefore = this.matchIndex[peer]!;
    const nextBefore = this.nextIndex[peer]!;
    this.matchIndex[peer] = Math.max(matchBefore, args.lastIncludedIndex);
    this.nextIndex[peer] = this.matchIndex[peer]! + 1;
    this.continueIfMoved(peer, matchBefore, nextBefore);
  }
}

export const about: BugAbout = {
  title: 'No step-down on a reply with a higher term',
  explanation:
    'A leader or candidate ignores the higher term in RPC replies and carries on in its old term until a request of the newer term reaches it (Figure 2, All Servers).',
  catch: { tests: '^TestFailNoAgree2B$', seeds: 2, invariant: 'higher-term-adopted' },
};

export const make: MakeRaft = (...args) => new IgnoresHigherTermReplies(...args);

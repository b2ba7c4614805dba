/**
 * Planted bug: on seeing a higher term, a server adopts it but keeps votedFor from the previous term.
 *
 * votedFor is the vote cast in currentTerm; a new term starts with no vote (Figure 2, All Servers). Keeping the old
 * one, a server refuses every candidate of the new term but the one it voted for before (or itself, if it was a
 * candidate). After a leader fails, the survivors each still "voted" for the old leader or for themselves and refuse
 * one another in every later term: no leader is ever elected again.
 */
import type { MakeRaft } from '../../api/index.ts';
import type { BugAbout } from '../about.ts';
import { Raft } from '../../raft/index.ts';

class KeepsOldVote extends Raft {
  protected override adoptTerm(term: number): void {
    this.runtime.log('TERM', `term ${this.currentTerm} -> ${term}`, { from: this.currentTerm, to: term });
    this.currentTerm = term;
    // The mistake: no `this.votedFor = noVote`.
    this.changeRole('follower');
    this.persist();
  }
}

export const about: BugAbout = {
  title: 'Keep votedFor when the term changes',
  explanation:
    'A server adopts a higher term but keeps the vote it cast in the old one, so it refuses candidates of the new term: after a leader fails, no one can win an election (Figure 2, All Servers).',
  catch: { tests: '^TestReElection2A$', seeds: 3 },
};

export const make: MakeRaft = (...args) => new KeepsOldVote(...args);

/** The reference's persisted format, unchanged by this bug: the checker reads it the same way. */
export { describeState } from '../../raft/index.ts';

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

class IgnoresHigherTermReplies extends Raft {
  protected override adoptHigherTermOfReply(_replyTerm: number): boolean {
    // The mistake: no step-down on reply.term > currentTerm; the reply is then handled like any other.
    return false;
  }
}

export const about: BugAbout = {
  title: 'No step-down on a reply with a higher term',
  explanation:
    'A leader or candidate ignores the higher term in RPC replies and carries on in its old term until a request of the newer term reaches it (Figure 2, All Servers).',
  catch: { tests: '^TestFailNoAgree2B$', seeds: 2, invariant: 'higher-term-adopted' },
};

export const make: MakeRaft = (...args) => new IgnoresHigherTermReplies(...args);

/** The reference's persisted format, unchanged by this bug: the checker reads it the same way. */
export { describeState } from '../../raft/index.ts';

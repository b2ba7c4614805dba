/** The rules the checker knows, their ids (stable: traces, the app and the bug catalog name them) and their words. */

export type InvariantId =
  | 'election-safety'
  | 'state-machine-safety'
  | 'term-monotonic'
  | 'apply-order'
  | 'vote-persisted'
  | 'commit-current-term'
  | 'higher-term-adopted'
  | 'commit-monotonic'
  | 'log-matching'
  | 'leader-completeness'
  | 'append-persisted';

export const invariants: Record<InvariantId, { title: string; rule: string }> = {
  'election-safety': {
    title: 'Election Safety',
    rule: 'at most one leader can be elected in a given term (Figure 3)',
  },
  'log-matching': {
    title: 'Log Matching',
    rule: 'if two logs contain an entry with the same index and term, then the logs are identical in all entries up through that index (Figure 3)',
  },
  'leader-completeness': {
    title: 'Leader Completeness',
    rule: 'if a log entry is committed in a given term, it is present in the logs of the leaders of all higher terms (Figure 3)',
  },
  'append-persisted': {
    title: 'Entries persisted before success',
    rule: 'a follower saves the entries of an AppendEntries to stable storage before it replies success: the leader counts them as stored (Figure 2: persistent state is updated before responding to RPCs)',
  },
  'state-machine-safety': {
    title: 'State Machine Safety',
    rule: 'if a server has applied a log entry at a given index, no other server ever applies a different entry at that index (Figure 3)',
  },
  'term-monotonic': {
    title: 'Monotonic term',
    rule: "a server's currentTerm never decreases, across crashes too: it is persistent state, and a restarted server starts from the term it saved (Figure 2)",
  },
  'apply-order': {
    title: 'Apply order',
    rule: 'each server applies log entries in index order, each exactly once, with no gaps (Figure 2: lastApplied)',
  },
  'commit-current-term': {
    title: 'Commit only through the current term',
    rule: "a leader commits by counting replicas only an entry of its own term; entries of earlier terms are committed along with it, never on their own (§5.4.2, Figure 8)",
  },
  'higher-term-adopted': {
    title: 'Adopt a higher term',
    rule: 'if an RPC request or response contains term T > currentTerm: set currentTerm = T, convert to follower (Figure 2, All Servers); a leader told of a higher term does not go on leading its old one',
  },
  'commit-monotonic': {
    title: 'Monotonic commit index',
    rule: "a server's commitIndex never decreases while it runs (Figure 2: it only advances): a leader's message built later never carries a lower leaderCommit than one built earlier",
  },
  'vote-persisted': {
    title: 'Vote persisted before replying',
    rule: 'a server saves currentTerm and votedFor to stable storage before it grants a vote (Figure 2: persistent state is updated before responding to RPCs)',
  },
};

export interface Violation {
  invariant: InvariantId;
  /** What happened, in the words of the run. */
  message: string;
  /** Index (in the trace) of the first event that broke it. */
  eventIndex: number;
  /** Indices of earlier events that led there, oldest first. */
  context: number[];
}

/** A rule, or part of one, that the trace did not let the checker judge with certainty, and why. */
export interface Skip {
  invariant: InvariantId;
  reason: string;
}

export interface CheckResult {
  violations: Violation[];
  /** Rules the trace did not let us check, and why (e.g. the persisted state has no log this checker can read). */
  skipped: Skip[];
  events: number;
}

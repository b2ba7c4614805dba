/**
 * The polling Raft's data: its persisted state and its RPC messages. Everything here crosses the codec (the
 * persister or the network), so it is plain data only.
 */

/** One log entry: its term and the command, as the tester passed it to start(). */
export type Entry = [term: number, command: unknown];

/** The snapshot's last included index and term (0/0 before any snapshot). */
export interface Base {
  index: number;
  term: number;
}

/**
 * What this Raft saves, exactly: `entries[0]` is the entry at index `base.index + 1`; there is no dummy entry.
 * `vote` is -1 when the node has voted for nobody in `term`.
 */
export interface PersistedState {
  term: number;
  vote: number;
  entries: Entry[];
  base: Base;
}

/** RequestVote (Figure 2). */
export interface RequestVoteArgs {
  term: number;
  candidateId: number;
  lastLogIndex: number;
  lastLogTerm: number;
}

export interface RequestVoteReply {
  term: number;
  voteGranted: boolean;
}

/** AppendEntries (Figure 2); an empty `entries` is a heartbeat. */
export interface AppendEntriesArgs {
  term: number;
  leaderId: number;
  prevLogIndex: number;
  prevLogTerm: number;
  entries: Entry[];
  leaderCommit: number;
}

/**
 * The reply, with the lab page's fast backup on a rejection: `xTerm` is the term of the follower's entry at
 * prevLogIndex (-1 when its log is too short to have one), `xIndex` the first index it holds of that term, and `xLen`
 * the length of its log (its last index: the snapshot counts).
 */
export interface AppendEntriesReply {
  term: number;
  success: boolean;
  xTerm: number;
  xIndex: number;
  xLen: number;
}

/** InstallSnapshot (Figure 13), whole at once. */
export interface InstallSnapshotArgs {
  term: number;
  leaderId: number;
  lastIncludedIndex: number;
  lastIncludedTerm: number;
  data: Uint8Array;
}

export interface InstallSnapshotReply {
  term: number;
}

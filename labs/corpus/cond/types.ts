/**
 * The data this Raft keeps and exchanges. Everything here crosses the harness codec, so it is plain data only.
 */

/** One log entry. */
export interface Entry {
  term: number;
  command: unknown;
}

/**
 * What goes to persister.saveRaftState (through runtime.encode). `log[0]` is the entry at index `offset + 1`;
 * `offset` / `offsetTerm` are the last index and term the snapshot covers (0 / 0 before any snapshot). There is no
 * dummy entry. `votedFor` is null when the node has voted for nobody in `currentTerm`.
 */
export interface PersistedState {
  currentTerm: number;
  votedFor: number | null;
  log: Entry[];
  offset: number;
  offsetTerm: number;
}

/** What describeState tells raftlab's checker about a persisted state (declared here until labs/api has it). */
export interface StateDescription {
  currentTerm: number;
  /** null: no vote in currentTerm. */
  votedFor: number | null;
  /** terms[i] / commands[i] are the entry at index firstIndex + i. */
  log: { firstIndex: number; terms: number[]; commands: unknown[] };
}

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

export interface AppendEntriesArgs {
  term: number;
  leaderId: number;
  prevLogIndex: number;
  prevLogTerm: number;
  entries: Entry[];
  leaderCommit: number;
}

export interface AppendEntriesReply {
  term: number;
  success: boolean;
  /**
   * On a log mismatch: where the leader should resume. The first index the follower holds of the term it has at
   * prevLogIndex, or the follower's last index + 1 when its log ends before prevLogIndex. 0 when not a mismatch.
   */
  conflictIndex: number;
}

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

/** The RPCs and the persisted state, with the Go port's field names (lower-cased: the codec keeps names as they are). */

export interface LogEntry {
  index: number;
  term: number;
  command: unknown;
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
  entries: LogEntry[];
  leaderCommit: number;
}

/**
 * On a mismatch, the lab page's fast backup: xTerm is the term at prevLogIndex (-1 when the log is too short or
 * prevLogIndex lies inside the snapshot), xIndex the first index of that term here, xLen the index the leader may
 * try next when xTerm is -1.
 */
export interface AppendEntriesReply {
  term: number;
  success: boolean;
  xTerm: number;
  xIndex: number;
  xLen: number;
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

/** What persist() saves: log[0] is a dummy standing for the snapshot (its index and term; index 0 before any). */
export interface PersistentState {
  currentTerm: number;
  votedFor: number;
  log: LogEntry[];
}

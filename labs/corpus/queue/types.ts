/**
 * Wire and disk shapes of the queue Raft. Everything here is plain data: it crosses the codec (RPCs) or the
 * persister (state) and comes back as a copy.
 */

/** What `persist` writes through runtime.encode. The log is column-wise: terms[i]/cmds[i] sit at snap.index + 1 + i. */
export interface Persisted {
  /** currentTerm */
  t: number;
  /** votedFor in term t, -1 for none */
  v: number;
  log: { terms: number[]; cmds: unknown[] };
  /** last index and term the snapshot covers; 0/0 before any snapshot */
  snap: { index: number; term: number };
}

/** One entry as it travels in AppendEntries (the log itself is stored column-wise). */
export interface WireEntry {
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
  entries: WireEntry[];
  leaderCommit: number;
}

/**
 * The lab handout's fast backup: on a rejection, xTerm is the term of the follower's entry at prevLogIndex (-1 if
 * its log is too short), xIndex the first index the follower holds with that term, xLen the follower's log length
 * counting the index-0 sentinel (that is, its last index + 1).
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

/** What describeState tells raftlab's checker about a persisted state (declared here; labs/api will get its own). */
export interface DescribedState {
  currentTerm: number;
  /** null: no vote in currentTerm */
  votedFor: number | null;
  /** terms[i]/commands[i] are the entry at index firstIndex + i */
  log: { firstIndex: number; terms: number[]; commands: unknown[] };
}

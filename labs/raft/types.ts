/**
 * The data Raft peers exchange and keep: log entries, the three RPCs' arguments and replies (Figure 2 and
 * Figure 13 of the extended Raft paper), and what goes to the persister.
 *
 * Everything here is plain data (no classes, no methods): it crosses the network and the persister through the
 * harness codec, which copies plain objects, arrays, numbers, strings and byte arrays faithfully.
 */

/** One log entry. `index` is redundant with the entry's position, but makes logs and traces easy to read. */
export interface LogEntry {
  index: number;
  term: number;
  /** Whatever the service passed to start(), stored as-is. */
  command: unknown;
}

export type Role = 'follower' | 'candidate' | 'leader';

/** votedFor when this node has voted for nobody in the current term. */
export const noVote = -1;

/** conflictTerm when a follower's log is too short to hold prevLogIndex at all. */
export const noTerm = -1;

// --- RequestVote RPC (Figure 2) ---------------------------------------------------------------------------------

export interface RequestVoteArgs {
  /** The candidate's term. */
  term: number;
  candidateId: number;
  /** Index and term of the candidate's last log entry: voters use them for the up-to-date check (§5.4.1). */
  lastLogIndex: number;
  lastLogTerm: number;
}

export interface RequestVoteReply {
  /** The voter's currentTerm, for the candidate to update itself. */
  term: number;
  voteGranted: boolean;
}

// --- AppendEntries RPC (Figure 2, plus the fast-backup hint of §5.3) --------------------------------------------

export interface AppendEntriesArgs {
  /** The leader's term. */
  term: number;
  leaderId: number;
  /** Index and term of the entry just before `entries`: the follower must hold exactly that entry to accept. */
  prevLogIndex: number;
  prevLogTerm: number;
  /** Entries to store, from prevLogIndex + 1 on (empty for a heartbeat to an up-to-date follower). */
  entries: LogEntry[];
  /** The leader's commitIndex. */
  leaderCommit: number;
}

export interface AppendEntriesReply {
  /** The follower's currentTerm, for the leader to update itself. */
  term: number;
  /** True if the follower held an entry matching prevLogIndex and prevLogTerm (and now holds `entries`). */
  success: boolean;
  /**
   * When rejecting: the term of the follower's entry at prevLogIndex (noTerm if its log is too short), and the
   * first index it holds for that term (its last index + 1 if too short). The leader then skips the whole
   * conflicting term in one round trip instead of backing up one entry at a time.
   */
  conflictTerm: number;
  conflictIndex: number;
}

// --- InstallSnapshot RPC (Figure 13; sent whole, not in chunks, as the lab allows) ------------------------------

export interface InstallSnapshotArgs {
  /** The leader's term. */
  term: number;
  leaderId: number;
  /** The snapshot replaces all entries up to and including this index... */
  lastIncludedIndex: number;
  /** ...whose term is this. */
  lastIncludedTerm: number;
  /** The service's snapshot bytes. */
  data: Uint8Array;
}

export interface InstallSnapshotReply {
  /** The follower's currentTerm, for the leader to update itself. */
  term: number;
}

// --- Persistence ------------------------------------------------------------------------------------------------

/** Figure 2's persistent state, as encoded into the persister (the log column-wise, see log.ts). */
export interface PersistentState {
  currentTerm: number;
  votedFor: number;
  log: PersistedLog;
}

/** The log as persisted: the snapshot's last index and term, then the terms and commands of the entries after it. */
export interface PersistedLog {
  snapshotIndex: number;
  snapshotTerm: number;
  terms: number[];
  commands: unknown[];
}

/**
 * The data your Raft peers exchange. RPC arguments and replies cross the (simulated) network through the harness
 * codec, which copies plain data: objects, arrays, numbers, strings, booleans, null and Uint8Array. Class instances
 * lose their methods on the way, and a Map or Set changes shape, so keep these plain. Unlike Go's labgob, field
 * names may start with a lower-case letter.
 *
 * The fields below are the ones Figure 2 (and Figure 13, for InstallSnapshot) of the Raft paper lists. Add the
 * ones you need, e.g. for the faster log backup the lab page describes.
 */

/** One entry of your log. Store the command as-is: the tester compares it with what it passed to start(). */
export interface LogEntry {
  term: number;
  command: unknown;
}

/** RequestVote RPC arguments (2A, 2B). */
export interface RequestVoteArgs {
  /** The candidate's term. */
  term: number;
  /** The candidate requesting the vote. */
  candidateId: number;
  /** Index of the candidate's last log entry (§5.4). */
  lastLogIndex: number;
  /** Term of the candidate's last log entry (§5.4). */
  lastLogTerm: number;
}

/** RequestVote RPC reply (2A). */
export interface RequestVoteReply {
  /** currentTerm, for the candidate to update itself. */
  term: number;
  /** True means the candidate received the vote. */
  voteGranted: boolean;
}

/** AppendEntries RPC arguments (2A: heartbeats; 2B: entries). */
export interface AppendEntriesArgs {
  /** The leader's term. */
  term: number;
  /** So the follower can redirect clients. */
  leaderId: number;
  /** Index of the log entry immediately preceding the new ones. */
  prevLogIndex: number;
  /** Term of the prevLogIndex entry. */
  prevLogTerm: number;
  /** Log entries to store (empty for a heartbeat; may send more than one for efficiency). */
  entries: LogEntry[];
  /** The leader's commitIndex. */
  leaderCommit: number;
}

/** AppendEntries RPC reply. */
export interface AppendEntriesReply {
  /** currentTerm, for the leader to update itself. */
  term: number;
  /** True if the follower contained an entry matching prevLogIndex and prevLogTerm. */
  success: boolean;
}

/** InstallSnapshot RPC arguments (2D). Send the whole snapshot at once: the lab needs no chunking. */
export interface InstallSnapshotArgs {
  /** The leader's term. */
  term: number;
  leaderId: number;
  /** The snapshot replaces all entries up through and including this index. */
  lastIncludedIndex: number;
  /** Term of lastIncludedIndex. */
  lastIncludedTerm: number;
  /** The snapshot's bytes, as the service gave them to snapshot(). */
  data: Uint8Array;
}

/** InstallSnapshot RPC reply (2D). */
export interface InstallSnapshotReply {
  /** currentTerm, for the leader to update itself. */
  term: number;
}

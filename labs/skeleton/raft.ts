/**
 * This is an outline of the API that Raft must expose to the service (or tester). See the comments below for each
 * of these methods for more details.
 *
 *   make(peers, me, persister, applyCh, runtime)   create a new Raft server (index.ts calls `new Raft(...)`)
 *   start(command) → { index, term, isLeader }      start agreement on a new log entry
 *   getState() → { term, isLeader }                 ask a Raft for its current term, and whether it thinks it is leader
 *   applyCh.send(msg)                               each time a new entry is committed to the log, each Raft peer
 *                                                   should send an ApplyMsg to the service (or tester) in the same
 *                                                   server
 *
 * How JavaScript differs from the Go lab:
 * - There are no threads and no locks: one piece of code runs at a time, until it reaches an `await`. But at every
 *   `await` anything may happen (RPCs arrive, timers fire, terms change), so after one, check again that the state
 *   you rely on still holds (e.g. that you are still a candidate in the same term).
 * - Go's goroutines are async functions you start with `runtime.go(() => this.ticker())` (or without awaiting them,
 *   `void this.ticker()`, which runs at once up to its first await). Each long-lived loop must await something that
 *   takes time at every turn: `runtime.sleep(ms)`, an RPC, a channel or a condition variable. On the simulated clock,
 *   a loop that never awaits one of these stops time for ever.
 * - If you port Go code: `runtime` also has Go's mutex, cond, channels, select, time.After and WaitGroup, with Go's
 *   semantics (labs/api lists each beside its Go form).
 * - Time, randomness and encoding come from `runtime` (runtime.sleep, runtime.timer, runtime.now, runtime.random,
 *   runtime.encode/decode). Do not use setTimeout, Date.now or Math.random: runs on the simulated clock must replay
 *   exactly from their seed. Log with runtime.log(topic, message, fields): the trace viewer shows it per node.
 * - RPC handlers are the methods `rpcMethods` lists (below). A handler takes the arguments and returns the reply.
 *   Other peers reach it with `await this.peers[i]!.call('Raft.RequestVote', args)`.
 *
 * In the method stubs below, parameters you have not used yet start with `_` (that keeps the linter quiet); rename
 * them when you use them.
 */
import type { ApplyChannel, CallResult, Peer, Persister, RaftNode, RaftRuntime, StartResult } from 'raftlab/api';
import type {
  AppendEntriesArgs,
  AppendEntriesReply,
  InstallSnapshotArgs,
  InstallSnapshotReply,
  RequestVoteArgs,
  RequestVoteReply,
} from './types.ts';

/**
 * A TypeScript class implementing a single Raft peer.
 *
 * As each Raft peer becomes aware that successive log entries are committed, the peer should send an ApplyMsg to
 * the service (or tester) on the same server, via the applyCh passed to make(): `await this.applyCh.send(msg)`. Set
 * `commandValid` to true to indicate that the ApplyMsg contains a newly committed log entry, with `command` and
 * `commandIndex` set. Entries go out in log order, each exactly once, starting at index 1.
 *
 * In part 2D you'll want to send other kinds of messages (e.g. snapshots) on the applyCh; at that point you set
 * `snapshotValid` (and `commandValid` false) and fill in the snapshot fields.
 */
export class Raft implements RaftNode {
  /** The RPC handlers other peers may call: only these, so upper-case helpers of your own are not reachable. */
  readonly rpcMethods = ['RequestVote', 'AppendEntries', 'InstallSnapshot'] as const;
  /** Ends to talk to every peer, this one included (peers[me]). All peers list them in the same order. */
  private readonly peers: Peer[];
  /** This peer's index into peers[]. */
  private readonly me: number;
  /** Where this peer saves its persisted state; it holds the last state saved before a restart. */
  private readonly persister: Persister;
  /** Where committed entries (and, in 2D, snapshots) go to the service. */
  private readonly applyCh: ApplyChannel;
  /** The clock, randomness, encoding and logging this peer must use. */
  private readonly runtime: RaftRuntime;
  /** Set by kill(). */
  private killed = false;

  // Your data here (2A, 2B, 2C).
  // Look at the paper's Figure 2 for a description of what state a Raft server must maintain.

  /**
   * The service or tester wants to create a Raft server. The ports of all the Raft servers (including this one)
   * are in peers[]. This server's port is peers[me]. All the servers' peers[] arrays have the same order. persister
   * is a place for this server to save its persistent state, and also initially holds the most recent saved state,
   * if any. applyCh is a channel on which the tester or service expects Raft to send ApplyMsg messages.
   *
   * The constructor must return quickly, so it should start async loops (without awaiting them) for any
   * long-running work.
   */
  constructor(peers: Peer[], me: number, persister: Persister, applyCh: ApplyChannel, runtime: RaftRuntime) {
    this.peers = peers;
    this.me = me;
    this.persister = persister;
    this.applyCh = applyCh;
    this.runtime = runtime;

    // Your initialization code here (2A, 2B, 2C).

    // initialize from state persisted before a crash
    this.readPersist(persister.readRaftState());

    // start the ticker loop to start elections
    void this.ticker();
  }

  /**
   * Return currentTerm and whether this server believes it is the leader. The tester calls it often (every half
   * second or so while it looks for a leader), so make it cheap.
   */
  getState(): { term: number; isLeader: boolean } {
    const term = 0;
    const isLeader = false;
    // Your code here (2A).
    return { term, isLeader };
  }

  /**
   * Save Raft's persistent state to stable storage, where it can later be retrieved after a crash and restart. See
   * the paper's Figure 2 for a description of what should be persistent. Save it before you reply to an RPC or send
   * one that depends on it: a server may crash at any moment after that. raftlab's safety checker (`raftlab run
   * --check`) reads what you save: export describeState from index.ts (see the example there) and it reads any
   * format; without it, it reads these field names and an array of { term, command } entries, and skips what it
   * cannot read for certain.
   */
  private persist(): void {
    // Your code here (2C).
    // Example:
    //   const data = this.runtime.encode({ currentTerm: this.currentTerm, votedFor: this.votedFor, log: this.log });
    //   this.persister.saveRaftState(data);
  }

  /** Restore previously persisted state. */
  private readPersist(data: Uint8Array): void {
    if (data.length === 0) {
      // bootstrap without any state
      return;
    }
    // Your code here (2C).
    // Example:
    //   const state = this.runtime.decode<{ currentTerm: number; votedFor: number; log: LogEntry[] }>(data);
    //   this.currentTerm = state.currentTerm;
    //   ...
  }

  /**
   * A service wants to switch to a snapshot that it received on applyCh (a message with snapshotValid). Only do so
   * if Raft hasn't had more recent info since it communicated the snapshot on applyCh; return whether it switched.
   * If it does, it trims or replaces its log, and saves its state and the snapshot together
   * (persister.saveStateAndSnapshot). The tester calls this while it is taking messages from applyCh: never make it
   * wait for anything.
   */
  condInstallSnapshot(_lastIncludedTerm: number, _lastIncludedIndex: number, _snapshot: Uint8Array): boolean {
    // Your code here (2D).
    return true;
  }

  /**
   * The service says it has created a snapshot that has all info up to and including index. This means the service
   * no longer needs the log through (and including) that index. Raft should now trim its log as much as possible,
   * and save the trimmed state together with the snapshot (persister.saveStateAndSnapshot). The tester calls it
   * from the same loop that takes your messages from applyCh, while your applyCh.send() is still pending: it must
   * not wait for anything your sending code holds.
   */
  snapshot(_index: number, _snapshot: Uint8Array): void {
    // Your code here (2D).
  }

  /** RequestVote RPC handler. Return the reply; persist whatever you changed before returning it. */
  RequestVote(_args: RequestVoteArgs): RequestVoteReply {
    // Your code here (2A, 2B).
    return { term: 0, voteGranted: false };
  }

  /**
   * Example code to send a RequestVote RPC to a server. server is the index of the target server in this.peers[].
   * The arguments are copied on the way, so the handler never sees your objects.
   *
   * The labrpc package simulates a lossy network, in which servers may be unreachable, and in which requests and
   * replies may be lost. call() sends a request and waits for a reply. If a reply arrives within a timeout
   * interval, the result is { ok: true, reply }; otherwise { ok: false }. Thus call() may not return for a while
   * (up to 7 s for a disconnected peer): don't wait for one peer's answer before asking the next. A false result
   * can be caused by a dead server, a live server that can't be reached, a lost request, or a lost reply.
   *
   * call() is guaranteed to return (perhaps after a delay) *except* if the handler function on the server side
   * does not return. Thus there is no need to implement your own timeouts around call().
   *
   * Look at the comments of raftlab's API (`raftlab/api`: labs/api/index.ts in raftlab) for more details.
   */
  private sendRequestVote(server: number, args: RequestVoteArgs): Promise<CallResult<RequestVoteReply>> {
    return this.peers[server]!.call<RequestVoteReply>('Raft.RequestVote', args);
  }

  /**
   * AppendEntries RPC handler (2A: heartbeats; 2B: log entries). Figure 2 says what a receiver does. Return the
   * reply; persist whatever you changed before returning it.
   */
  AppendEntries(_args: AppendEntriesArgs): AppendEntriesReply {
    // Your code here (2A, 2B).
    return { term: 0, success: false };
  }

  /**
   * InstallSnapshot RPC handler (2D): a leader sends its snapshot to a follower that lags behind it. Hand the
   * snapshot to the service on applyCh (a message with snapshotValid) rather than switching to it here; the service
   * then calls condInstallSnapshot(). Don't await applyCh.send() in the handler: reply at once.
   */
  InstallSnapshot(_args: InstallSnapshotArgs): InstallSnapshotReply {
    // Your code here (2D).
    return { term: 0 };
  }

  /**
   * The service using Raft (e.g. a k/v server) wants to start agreement on the next command to be appended to
   * Raft's log. If this server isn't the leader, returns isLeader false. Otherwise start the agreement and return
   * immediately. There is no guarantee that this command will ever be committed to the Raft log, since the leader
   * may fail or lose an election. Even if the Raft instance has been killed, this function should return
   * gracefully.
   *
   * The first return value is the index that the command will appear at if it's ever committed (the first command
   * is at index 1). The second return value is the current term. The third return value is true if this server
   * believes it is the leader.
   */
  start(_command: unknown): StartResult {
    const index = -1;
    const term = -1;
    const isLeader = false;
    // Your code here (2B).
    return { index, term, isLeader };
  }

  /**
   * The tester doesn't halt the peers Raft creates after each test, but it does call kill(). Your code can check
   * `this.killed` to see whether kill() has been called.
   *
   * The issue is that long-running loops use time and resources and can confuse the tests: after kill() a peer
   * must deliver nothing more on applyCh, and every loop should notice `killed` and return. Stop any runtime.timer
   * you started, and wake any loop waiting on a promise of yours so that it can exit.
   */
  kill(): void {
    this.killed = true;
    // Your code here, if desired.
  }

  /** The ticker loop starts a new election if this peer hasn't received heartbeats recently. */
  private async ticker(): Promise<void> {
    while (!this.killed) {
      // Your code here (2A): check whether a leader election should be started.

      // Sleep for a randomized while before checking again. (The leader may send at most ten heartbeats a second,
      // so election timeouts must be well above 100 ms, and still let a new leader be chosen within five seconds.)
      await this.runtime.sleep(50 + this.runtime.random.intn(300));
    }
  }
}

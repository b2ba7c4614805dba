/**
 * The reference Raft peer, one class to read beside Figure 2 of the extended Raft paper (and Figure 13 for
 * snapshots). Its sections follow the figure: the state, the three RPCs' receiver implementations, then the
 * rules for all servers, for followers and candidates, and for leaders; persistence and the service's snapshot
 * calls close it. The design it follows is spec/raft-design.md.
 *
 *   raft.ts    this class
 *   log.ts     the log, addressed by Raft index, with the snapshot folded into its first entry
 *   types.ts   RPC arguments and replies, log entries, the persisted state
 *   signal.ts  the wake-up call the long-lived loops sleep on
 *
 * JavaScript runs one piece of code at a time, so there are no locks. Instead, every `await` is a point where
 * anything may have changed: after one, re-check that the node is alive and still in the role and term it had.
 */
import type { ApplyChannel, ApplyMsg, Peer, Persister, RaftNode, RaftRuntime, StartResult, Timer } from '../api/index.ts';
import { RaftLog } from './log.ts';
import { Signal } from './signal.ts';
import {
  noTerm,
  noVote,
  type AppendEntriesArgs,
  type AppendEntriesReply,
  type InstallSnapshotArgs,
  type InstallSnapshotReply,
  type LogEntry,
  type PersistentState,
  type RequestVoteArgs,
  type RequestVoteReply,
  type Role,
} from './types.ts';

/** How often a leader sends heartbeats. The tester allows at most ten a second. */
const heartbeatIntervalMs = 125;
/**
 * Election timeouts are drawn anew, uniformly from [min, max), at every reset. Far above the heartbeat interval, so
 * followers of a live leader never time out; low enough that a new leader emerges within the tester's 5 s even after
 * a split vote or two.
 */
const electionTimeoutMinMs = 1000;
const electionTimeoutMaxMs = 2000;
/** A command's ApplyMsg carries no snapshot: one empty array serves them all (nothing can be written into it). */
const noSnapshot = new Uint8Array(0);

/** The votes one election has gathered so far, shared by that election's RequestVote calls. */
interface Election {
  votes: number;
}

/** A snapshot received by InstallSnapshot, waiting for the applier to hand it to the service. */
interface PendingSnapshot {
  term: number;
  index: number;
  data: Uint8Array;
}

export class Raft implements RaftNode {
  // --- What make() was given. -------------------------------------------------------------------------------------

  private readonly peers: Peer[];
  private readonly me: number;
  private readonly persister: Persister;
  private readonly applyCh: ApplyChannel;
  private readonly runtime: RaftRuntime;
  /** Every peer index but ours. */
  private readonly others: number[];

  // --- Figure 2: persistent state on all servers (saved by persist() before any reply or send that relies on it).

  /** Latest term this server has seen (0 at first boot, increases monotonically). */
  private currentTerm = 0;
  /** Candidate that received this server's vote in currentTerm, or noVote. */
  private votedFor = noVote;
  /** Log entries, after those the snapshot covers. The first real index is 1. */
  private log = new RaftLog();

  // --- Figure 2: volatile state on all servers. -------------------------------------------------------------------

  private role: Role = 'follower';
  /** Highest log index known to be committed. */
  private commitIndex = 0;
  /** Highest log index handed to the applier (delivered, or being delivered, on applyCh). */
  private lastApplied = 0;

  // --- Figure 2: volatile state on leaders (reinitialized after election). ----------------------------------------

  /** For each peer, the index of the next log entry to send it. */
  private nextIndex: number[] = [];
  /** For each peer, the highest index known to be replicated on it. */
  private matchIndex: number[] = [];

  // --- Machinery. -------------------------------------------------------------------------------------------------

  /** Set by kill(): every loop and timer callback checks it and stops. */
  private killed = false;
  /** Fires when no leader (or candidate we voted for) was heard from for a whole timeout. */
  private readonly electionTimer: Timer;
  /** Fires every heartbeatIntervalMs while leader. */
  private readonly heartbeatTimer: Timer;
  /** Wakes the applier: commitIndex moved, or a snapshot arrived. */
  private readonly applySignal = new Signal();
  /** A snapshot from InstallSnapshot that the applier has yet to deliver. */
  private pendingSnapshot: PendingSnapshot | undefined;
  /** One per peer (ours unused): wakes that peer's replicator. */
  private readonly replicatorSignals: Signal[];
  /** Per peer: the highest leaderCommit sent to it, and whether a commit announcement to it is in flight. */
  private readonly commitSent: number[];
  private readonly announcing: boolean[];

  constructor(peers: Peer[], me: number, persister: Persister, applyCh: ApplyChannel, runtime: RaftRuntime) {
    this.peers = peers;
    this.me = me;
    this.persister = persister;
    this.applyCh = applyCh;
    this.runtime = runtime;
    this.others = peers.map((_, i) => i).filter((i) => i !== me);
    // The "ticker": one timer per duty. Each is re-armed when it fires or when the role changes (changeRole).
    this.electionTimer = runtime.timer(() => this.onElectionTimeout());
    this.heartbeatTimer = runtime.timer(() => this.onHeartbeatTimeout());

    this.readPersist(persister.readRaftState());
    // Everything in the snapshot was committed and applied before it was taken.
    this.commitIndex = this.log.snapshotIndex;
    this.lastApplied = this.log.snapshotIndex;

    this.replicatorSignals = peers.map(() => new Signal());
    this.commitSent = peers.map(() => 0);
    this.announcing = peers.map(() => false);

    this.resetElectionTimer();
    void this.applier();
    for (const peer of this.others) void this.replicator(peer);
  }

  // --- The tester's API (snapshot() and condInstallSnapshot() are with InstallSnapshot, below). ----------------

  getState(): { term: number; isLeader: boolean } {
    return { term: this.currentTerm, isLeader: !this.killed && this.role === 'leader' };
  }

  /**
   * Agree on `command`, if we are the leader: append it to our log (Figure 2, Leaders: "if command received from
   * client: append entry to local log") and wake the replicators. Returns at once, never waiting for agreement.
   */
  start(command: unknown): StartResult {
    if (this.killed || this.role !== 'leader') return { index: -1, term: this.currentTerm, isLeader: false };
    const entry: LogEntry = { index: this.log.lastIndex + 1, term: this.currentTerm, command };
    this.log.append([entry]);
    this.persist();
    this.runtime.log('LOG1', `start: appended index ${entry.index}`, { term: entry.term, index: entry.index });
    this.advanceCommitIndex(); // only matters in a cluster of one
    for (const peer of this.others) this.replicatorSignals[peer]!.notify();
    return { index: entry.index, term: entry.term, isLeader: true };
  }

  /**
   * The tester is done with this node (a crash, or the end of the test): stop the timers and wake every loop so
   * that each sees `killed` and returns. Nothing more is delivered on applyCh. RPCs still in flight may reach the
   * handlers, which then answer without changing anything.
   */
  kill(): void {
    if (this.killed) return;
    this.killed = true;
    this.electionTimer.stop();
    this.heartbeatTimer.stop();
    this.applySignal.notify();
    this.runtime.log('INFO', 'killed', { term: this.currentTerm, role: this.role });
    for (const signal of this.replicatorSignals) signal.notify();
  }

  // --- RequestVote RPC (Figure 2; §5.2, §5.4.1) ---------------------------------------------------------------

  /** RequestVote RPC handler (Figure 2, RequestVote RPC, receiver implementation). */
  RequestVote(args: RequestVoteArgs): RequestVoteReply {
    if (this.killed) return { term: this.currentTerm, voteGranted: false };
    // 1. Reply false if term < currentTerm.
    if (args.term < this.currentTerm) return { term: this.currentTerm, voteGranted: false };
    if (args.term > this.currentTerm) this.adoptTerm(args.term);

    // 2. If votedFor is null or candidateId, and the candidate's log is at least as up to date as ours, grant.
    const free = this.votedFor === noVote || this.votedFor === args.candidateId;
    if (!free || !this.isUpToDate(args.lastLogTerm, args.lastLogIndex)) {
      return { term: this.currentTerm, voteGranted: false };
    }
    this.votedFor = args.candidateId;
    this.persist(); // before the reply: a restarted server must not vote twice in this term
    // Figure 2, Followers: granting a vote resets the election timer.
    this.resetElectionTimer();
    this.runtime.log('VOTE', `granted vote to ${args.candidateId}`, { term: this.currentTerm });
    return { term: this.currentTerm, voteGranted: true };
  }

  /**
   * §5.4.1: is a log ending at (lastLogTerm, lastLogIndex) at least as up to date as ours? The one with the later
   * last term is; with equal last terms, the longer one is. Voting only for such candidates keeps every committed
   * entry in the next leader's log.
   */
  private isUpToDate(lastLogTerm: number, lastLogIndex: number): boolean {
    if (lastLogTerm !== this.log.lastTerm) return lastLogTerm > this.log.lastTerm;
    return lastLogIndex >= this.log.lastIndex;
  }

  // --- AppendEntries RPC (Figure 2; §5.3) ------------------------------------------------------------------------

  /** AppendEntries RPC handler (Figure 2, AppendEntries RPC, receiver implementation). */
  AppendEntries(args: AppendEntriesArgs): AppendEntriesReply {
    // A dead node changes nothing; this answer asks the leader to change nothing either.
    if (this.killed) return this.rejection(noTerm, args.prevLogIndex + 1);
    // 1. Reply false if term < currentTerm.
    if (args.term < this.currentTerm) return this.rejection(noTerm, this.log.lastIndex + 1);
    if (args.term > this.currentTerm) this.adoptTerm(args.term);
    // The sender is the leader of our term: a candidate steps down (§5.2), and everyone waits for it again.
    this.changeRole('follower');
    this.resetElectionTimer();

    let { prevLogIndex, prevLogTerm, entries } = args;
    if (prevLogIndex < this.log.snapshotIndex) {
      // Entries our snapshot covers are committed, so they match the leader's: consider only those after it.
      const covered = this.log.snapshotIndex - prevLogIndex;
      if (covered >= entries.length) return this.acceptance();
      entries = entries.slice(covered);
      prevLogIndex = this.log.snapshotIndex;
      prevLogTerm = this.log.snapshotTerm;
    }

    // 2. Reply false if the log has no entry at prevLogIndex whose term matches prevLogTerm. The reply says where
    //    the follower's conflicting term starts (fast backup), so the leader skips a whole term per round trip.
    if (prevLogIndex > this.log.lastIndex) return this.rejection(noTerm, this.log.lastIndex + 1);
    if (this.log.term(prevLogIndex) !== prevLogTerm) {
      return this.rejection(this.log.term(prevLogIndex), this.log.firstIndexOfTerm(prevLogIndex));
    }

    // 3. If an existing entry conflicts with a new one (same index, different terms), delete it and all that
    //    follow. 4. Append any new entries not already in the log. Entries that match stay: a stale, reordered
    //    AppendEntries carrying fewer entries must not cut the log short.
    const firstNew = entries.findIndex((e) => e.index > this.log.lastIndex || this.log.term(e.index) !== e.term);
    if (firstNew >= 0) {
      const first = entries[firstNew]!;
      this.log.truncateFrom(first.index);
      this.log.append(entries.slice(firstNew));
      this.persist(); // before the reply: the leader counts a success as stored here
      this.runtime.log('LOG2', `appended ${first.index}..${this.log.lastIndex} from leader ${args.leaderId}`, {
        term: this.currentTerm,
        from: first.index,
        to: this.log.lastIndex,
      });
    }

    // 5. If leaderCommit > commitIndex, set commitIndex = min(leaderCommit, index of last new entry).
    const lastNewIndex = prevLogIndex + entries.length;
    const commit = Math.min(args.leaderCommit, lastNewIndex);
    if (commit > this.commitIndex) this.setCommitIndex(commit);
    return this.acceptance();
  }

  private acceptance(): AppendEntriesReply {
    return { term: this.currentTerm, success: true, conflictTerm: noTerm, conflictIndex: 0 };
  }

  private rejection(conflictTerm: number, conflictIndex: number): AppendEntriesReply {
    return { term: this.currentTerm, success: false, conflictTerm, conflictIndex };
  }

  // --- InstallSnapshot RPC and the service's snapshots (Figure 13; §7; the lab's 2021 API) -----------------------

  /**
   * InstallSnapshot RPC handler (Figure 13, receiver implementation), sent whole rather than in chunks. The log
   * changes only if the service agrees, in condInstallSnapshot().
   */
  InstallSnapshot(args: InstallSnapshotArgs): InstallSnapshotReply {
    if (this.killed) return { term: this.currentTerm };
    // 1. Reply immediately if term < currentTerm.
    if (args.term < this.currentTerm) return { term: this.currentTerm };
    if (args.term > this.currentTerm) this.adoptTerm(args.term);
    // The sender is the leader of our term, as for AppendEntries.
    this.changeRole('follower');
    this.resetElectionTimer();

    // Hand the snapshot to the service through the applier, unless we already committed (or have pending) as much:
    // the entries it covers are then applied, or on their way to the service, and it would take the service back.
    const pending = this.pendingSnapshot;
    if (args.lastIncludedIndex > this.commitIndex && (!pending || args.lastIncludedIndex > pending.index)) {
      this.pendingSnapshot = { term: args.lastIncludedTerm, index: args.lastIncludedIndex, data: args.data };
      this.applySignal.notify();
      this.runtime.log('SNAP', `received snapshot at ${args.lastIncludedIndex} from leader ${args.leaderId}`, {
        term: this.currentTerm,
        index: args.lastIncludedIndex,
      });
    }
    return { term: this.currentTerm };
  }

  /**
   * The service has a snapshot of everything up to and including `index`: drop those entries (the snapshot
   * stands in for `index`), and save state and snapshot together. Called by the tester from the loop that reads applyCh.
   */
  snapshot(index: number, snapshot: Uint8Array): void {
    if (this.killed) return;
    // Nothing to gain from an older snapshot than ours (one installed from the leader may be newer), and the
    // service cannot have applied past commitIndex.
    if (index <= this.log.snapshotIndex || index > this.commitIndex) return;
    this.log.compact(index);
    this.persistWithSnapshot(snapshot);
    this.runtime.log('SNAP', `snapshot at ${index}`, { index, term: this.log.snapshotTerm, lastIndex: this.log.lastIndex });
  }

  /**
   * The service received a snapshot on applyCh and asks whether to switch to it. Refuse if we committed that far
   * since it arrived: the entries it covers are then on their way to the service through applyCh, and switching
   * would take the service back in time. Otherwise make it our log's starting point and say yes.
   */
  condInstallSnapshot(lastIncludedTerm: number, lastIncludedIndex: number, snapshot: Uint8Array): boolean {
    if (this.killed || lastIncludedIndex <= this.commitIndex) return false;
    // Figure 13, 6-7: if we hold the snapshot's last entry, keep what follows it; otherwise discard the whole log.
    if (this.log.has(lastIncludedIndex) && this.log.term(lastIncludedIndex) === lastIncludedTerm) {
      this.log.compact(lastIncludedIndex);
    } else {
      this.log.reset(lastIncludedIndex, lastIncludedTerm);
    }
    this.commitIndex = lastIncludedIndex;
    this.lastApplied = lastIncludedIndex;
    this.persistWithSnapshot(snapshot);
    this.runtime.log('SNAP', `installed snapshot at ${lastIncludedIndex}`, {
      index: lastIncludedIndex,
      term: lastIncludedTerm,
      lastIndex: this.log.lastIndex,
    });
    return true;
  }

  // --- Rules for Servers: all servers ----------------------------------------------------------------------------

  /**
   * If an RPC request or response contains term T > currentTerm: set currentTerm = T, with no vote cast in it yet,
   * and convert to follower.
   */
  private adoptTerm(term: number): void {
    this.runtime.log('TERM', `term ${this.currentTerm} -> ${term}`, { from: this.currentTerm, to: term });
    this.currentTerm = term;
    this.votedFor = noVote;
    this.changeRole('follower');
    this.persist();
  }

  private setCommitIndex(index: number): void {
    this.runtime.log('CMIT', `commit index ${this.commitIndex} -> ${index}`, { term: this.currentTerm, from: this.commitIndex, to: index });
    this.commitIndex = index;
    this.applySignal.notify();
  }

  /**
   * If commitIndex > lastApplied: increment lastApplied, apply log[lastApplied]. One loop delivers everything, in
   * index order, exactly once; it sleeps on applySignal when there is nothing to deliver.
   *
   * applyCh is a rendezvous and the tester calls snapshot() / condInstallSnapshot() while taking a message, so
   * nothing here may be half-done while awaiting send(): the message is fully built, and lastApplied already
   * advanced, before the await.
   */
  private async applier(): Promise<void> {
    while (!this.killed) {
      const msg = this.nextApplyMsg();
      if (msg) await this.applyCh.send(msg);
      else await this.applySignal.wait();
    }
  }

  /** The next message to deliver, if any: a pending snapshot first, then the next committed entry. */
  private nextApplyMsg(): ApplyMsg | undefined {
    const snapshot = this.pendingSnapshot;
    if (snapshot) {
      this.pendingSnapshot = undefined;
      return {
        commandValid: false,
        command: null,
        commandIndex: 0,
        snapshotValid: true,
        snapshot: snapshot.data,
        snapshotTerm: snapshot.term,
        snapshotIndex: snapshot.index,
      };
    }
    if (this.lastApplied >= this.commitIndex) return undefined;
    this.lastApplied += 1;
    const entry = this.log.entry(this.lastApplied);
    return {
      commandValid: true,
      command: entry.command,
      commandIndex: entry.index,
      snapshotValid: false,
      snapshot: noSnapshot,
      snapshotTerm: 0,
      snapshotIndex: 0,
    };
  }

  // --- Rules for Servers: followers and candidates (§5.2) ----------------------------------------------------------

  /** No word from a leader (or a vote granted) for a whole timeout: become a candidate. */
  private onElectionTimeout(): void {
    if (this.killed) return;
    this.runtime.log('TIMR', 'election timeout', { term: this.currentTerm, role: this.role });
    this.changeRole('candidate');
    this.startElection();
    // If this election ends in a split vote, the timer starts the next one.
    this.resetElectionTimer();
  }

  private resetElectionTimer(): void {
    this.electionTimer.reset(electionTimeoutMinMs + this.runtime.random.intn(electionTimeoutMaxMs - electionTimeoutMinMs));
  }

  /**
   * The one place the role changes, so each role always runs the right timers: followers and candidates wait on
   * the election timer; a leader stops it and sends heartbeats instead. Staying in the same role changes nothing
   * (in particular a follower's election timer keeps running: only the events Figure 2 names reset it).
   */
  private changeRole(role: Role): void {
    if (this.role === role) return;
    this.runtime.log('TERM', `${this.role} -> ${role}`, { term: this.currentTerm });
    this.role = role;
    switch (role) {
      case 'follower':
        this.heartbeatTimer.stop();
        this.resetElectionTimer();
        break;
      case 'candidate':
        break;
      case 'leader':
        this.electionTimer.stop();
        // Figure 2: reinitialized after election. Optimistically assume every peer is up to date.
        this.nextIndex = this.peers.map(() => this.log.lastIndex + 1);
        this.matchIndex = this.peers.map(() => 0);
        // Figure 2: upon election, send heartbeats at once so no one else starts an election.
        this.broadcastHeartbeat();
        this.heartbeatTimer.reset(heartbeatIntervalMs);
        break;
    }
  }

  /**
   * On conversion to candidate: increment currentTerm, vote for self, reset the election timer (the caller does),
   * and send RequestVote to every other server, all at once: a call to a disconnected peer can take seconds to
   * fail, and the election must not wait for it.
   */
  private startElection(): void {
    this.currentTerm += 1;
    this.votedFor = this.me;
    this.persist();
    this.runtime.log('VOTE', 'starting election', { term: this.currentTerm, lastLogIndex: this.log.lastIndex });

    const args: RequestVoteArgs = {
      term: this.currentTerm,
      candidateId: this.me,
      lastLogIndex: this.log.lastIndex,
      lastLogTerm: this.log.lastTerm,
    };
    const election: Election = { votes: 1 };
    if (this.isMajority(election.votes)) {
      this.becomeLeader(); // a cluster of one
      return;
    }
    for (const peer of this.others) void this.requestVote(peer, args, election);
  }

  /** Ask one peer for its vote in the election `args` belongs to, and count the answer. */
  private async requestVote(peer: number, args: RequestVoteArgs, election: Election): Promise<void> {
    const result = await this.peers[peer]!.call<RequestVoteReply>('Raft.RequestVote', args);
    if (!result.ok || this.killed) return;
    const reply = result.reply;
    if (reply.term > this.currentTerm) {
      this.adoptTerm(reply.term);
      return;
    }
    // Stale: the election this reply answers is over (won, lost, or followed by another).
    if (this.role !== 'candidate' || this.currentTerm !== args.term) return;
    if (!reply.voteGranted) return;
    election.votes += 1;
    this.runtime.log('VOTE', `got vote from ${peer}`, { term: args.term, votes: election.votes });
    // Votes received from a majority of servers: become leader.
    if (this.isMajority(election.votes)) this.becomeLeader();
  }

  private becomeLeader(): void {
    this.runtime.log('LEAD', 'elected leader', { term: this.currentTerm, lastIndex: this.log.lastIndex });
    this.changeRole('leader');
  }

  private isMajority(count: number): boolean {
    return count * 2 > this.peers.length;
  }

  // --- Rules for Servers: leaders (§5.3, §5.4) --------------------------------------------------------------------
  //
  // How a leader moves entries to a peer:
  // - a replicator loop per peer sleeps until signalled, then sends the peer one round of what it lacks. start()
  //   signals every replicator; so does any reply that moved the peer forward while it still lags. However many
  //   start()s arrive while a round is in flight, the next round carries them all in one RPC (TestCount2B).
  // - the heartbeat timer sends a round to every peer directly, not through the replicators, so a replicator stuck
  //   on an RPC to an unreachable peer never delays heartbeats. A heartbeat is a full round too: it carries whatever
  //   the peer lacks, which also makes it the retry for a lost RPC.

  /** Heartbeat during idle periods so followers do not time out. */
  private onHeartbeatTimeout(): void {
    if (this.killed || this.role !== 'leader') return;
    this.broadcastHeartbeat();
    this.heartbeatTimer.reset(heartbeatIntervalMs);
  }

  /** Upon election, and then every heartbeatIntervalMs: one concurrent round to every peer, bypassing the replicators. */
  private broadcastHeartbeat(): void {
    for (const peer of this.others) void this.replicateOnce(peer);
  }

  /** The long-lived loop that brings one peer up to date, one round per signal. */
  private async replicator(peer: number): Promise<void> {
    const signal = this.replicatorSignals[peer]!;
    while (!this.killed) {
      await signal.wait();
      if (this.needsReplication(peer)) await this.replicateOnce(peer);
    }
  }

  /** Does the leader hold entries this peer is not known to have? */
  private needsReplication(peer: number): boolean {
    return !this.killed && this.role === 'leader' && this.matchIndex[peer]! < this.log.lastIndex;
  }

  /**
   * One round to `peer`: "if last log index ≥ nextIndex for a follower: send AppendEntries RPC with log entries
   * starting at nextIndex", or the snapshot if nextIndex has fallen into the part of the log the snapshot replaced.
   */
  private async replicateOnce(peer: number): Promise<void> {
    if (this.killed || this.role !== 'leader') return;
    const prevLogIndex = this.nextIndex[peer]! - 1;
    if (prevLogIndex < this.log.snapshotIndex) {
      await this.sendInstallSnapshot(peer);
      return;
    }
    await this.sendAppendEntries(peer, prevLogIndex, this.log.from(prevLogIndex + 1));
  }

  /** One AppendEntries to `peer`: `entries` follow prevLogIndex, and our commitIndex rides along. */
  private async sendAppendEntries(peer: number, prevLogIndex: number, entries: LogEntry[]): Promise<void> {
    const args: AppendEntriesArgs = {
      term: this.currentTerm,
      leaderId: this.me,
      prevLogIndex,
      prevLogTerm: this.log.term(prevLogIndex),
      entries,
      leaderCommit: this.commitIndex,
    };
    this.commitSent[peer] = Math.max(this.commitSent[peer]!, args.leaderCommit);
    const result = await this.peers[peer]!.call<AppendEntriesReply>('Raft.AppendEntries', args);
    if (!result.ok || this.killed) return;
    const reply = result.reply;
    if (reply.term > this.currentTerm) {
      this.adoptTerm(reply.term);
      return;
    }
    // Stale: sent in a term, or as a leader, we no longer are.
    if (this.role !== 'leader' || this.currentTerm !== args.term) return;

    const matchBefore = this.matchIndex[peer]!;
    const nextBefore = this.nextIndex[peer]!;
    if (reply.success) {
      // The peer holds what this request carried; not our log as it is now (start() may have appended since).
      // Replies may come out of order: never move matchIndex back.
      this.matchIndex[peer] = Math.max(matchBefore, args.prevLogIndex + args.entries.length);
      this.nextIndex[peer] = this.matchIndex[peer]! + 1;
      this.advanceCommitIndex();
    } else if (nextBefore === args.prevLogIndex + 1) {
      // If AppendEntries fails because of log inconsistency: decrement nextIndex and retry; here by a whole term at
      // a time. (If nextIndex moved since this was sent, the rejection is stale: ignore it.)
      this.nextIndex[peer] = Math.max(1, Math.min(nextBefore, this.backedUpNextIndex(args, reply)));
    }
    this.continueIfMoved(peer, matchBefore, nextBefore);
  }

  /**
   * Fast backup: where to resume after a rejection. If we hold entries of the follower's conflicting term, resume
   * after our last one (the follower may hold those); otherwise skip the follower's whole term.
   */
  private backedUpNextIndex(args: AppendEntriesArgs, reply: AppendEntriesReply): number {
    if (reply.conflictTerm !== noTerm) {
      const last = this.log.lastIndexOfTerm(reply.conflictTerm, args.prevLogIndex);
      if (last !== undefined) return last + 1;
    }
    return reply.conflictIndex;
  }

  /** Send `peer` our snapshot: it needs entries our log no longer holds. */
  private async sendInstallSnapshot(peer: number): Promise<void> {
    const args: InstallSnapshotArgs = {
      term: this.currentTerm,
      leaderId: this.me,
      lastIncludedIndex: this.log.snapshotIndex,
      lastIncludedTerm: this.log.snapshotTerm,
      data: this.persister.readSnapshot(),
    };
    const result = await this.peers[peer]!.call<InstallSnapshotReply>('Raft.InstallSnapshot', args);
    if (!result.ok || this.killed) return;
    const reply = result.reply;
    if (reply.term > this.currentTerm) {
      this.adoptTerm(reply.term);
      return;
    }
    // Stale: sent in a term, or as a leader, we no longer are.
    if (this.role !== 'leader' || this.currentTerm !== args.term) return;
    const matchBefore = this.matchIndex[peer]!;
    const nextBefore = this.nextIndex[peer]!;
    // The peer has (or is about to install) everything up to lastIncludedIndex: carry on after it.
    this.matchIndex[peer] = Math.max(matchBefore, args.lastIncludedIndex);
    this.nextIndex[peer] = this.matchIndex[peer]! + 1;
    this.continueIfMoved(peer, matchBefore, nextBefore);
  }

  /**
   * After a reply: if it moved the peer on (matchIndex up, or nextIndex down to retry further back) and the peer
   * still lags, go again at once. A reply that moved nothing (stale, or a peer still installing our snapshot)
   * leaves the retry to the next heartbeat or start(): retrying it at once would only spin.
   */
  private continueIfMoved(peer: number, matchBefore: number, nextBefore: number): void {
    const moved = this.matchIndex[peer]! > matchBefore || this.nextIndex[peer]! < nextBefore;
    if (moved && this.needsReplication(peer)) this.replicatorSignals[peer]!.notify();
  }

  /**
   * If there exists an N > commitIndex such that a majority of matchIndex[i] ≥ N and log[N].term == currentTerm:
   * set commitIndex = N. Entries of earlier terms are committed only along with one of the current term, never by
   * counting their own replicas (§5.4.2, Figure 8).
   */
  private advanceCommitIndex(): void {
    for (let n = this.log.lastIndex; n > this.commitIndex; n--) {
      if (this.log.term(n) !== this.currentTerm) break; // terms never decrease along the log: no lower N qualifies
      if (this.isMajority(this.replicasOf(n))) {
        this.setCommitIndex(n);
        this.announceCommit();
        return;
      }
    }
  }

  /** How many servers hold the entry at `index`: this leader, and each peer whose matchIndex has reached it. */
  private replicasOf(index: number): number {
    let replicas = 1;
    for (const peer of this.others) if (this.matchIndex[peer]! >= index) replicas++;
    return replicas;
  }

  /**
   * Tell the followers of a new commit index at once instead of at the next heartbeat (up to 125 ms later): the
   * tester's one() waits until every server has applied, so this saves that wait on each agreement. Each peer gets
   * an AppendEntries without entries, anchored at its matchIndex: it commits what it is known to hold, and nothing
   * in flight is sent twice. At most one announcement per peer is in flight; advances meanwhile go out together when
   * it returns, so a busy leader sends few (TestCount2B). A peer that needs our snapshot is left to its replicator.
   */
  private announceCommit(): void {
    for (const peer of this.others) void this.announceCommitTo(peer);
  }

  private async announceCommitTo(peer: number): Promise<void> {
    if (this.announcing[peer]) return; // the announcement in flight looks again when it returns
    this.announcing[peer] = true;
    try {
      while (!this.killed && this.role === 'leader' && this.commitIndex > this.commitSent[peer]!) {
        const match = this.matchIndex[peer]!;
        if (match < this.log.snapshotIndex) return;
        await this.sendAppendEntries(peer, match, []);
      }
    } finally {
      this.announcing[peer] = false;
    }
  }

  // --- Persistence (2C) -------------------------------------------------------------------------------------------

  /** Save currentTerm, votedFor and the log. Call after every change to them, before replying or sending. */
  private persist(): void {
    const state = this.encodeState();
    this.persister.saveRaftState(state);
    this.runtime.log('PERS', 'saved state', {
      term: this.currentTerm,
      votedFor: this.votedFor,
      lastIndex: this.log.lastIndex,
      bytes: state.length,
    });
  }

  /** Save the state and a snapshot in one step, as the lab requires whenever the snapshot changes (2D). */
  private persistWithSnapshot(snapshot: Uint8Array): void {
    const state = this.encodeState();
    this.persister.saveStateAndSnapshot(state, snapshot);
    this.runtime.log('PERS', 'saved state and snapshot', {
      term: this.currentTerm,
      snapshotIndex: this.log.snapshotIndex,
      lastIndex: this.log.lastIndex,
      bytes: state.length,
      snapshotBytes: snapshot.length,
    });
  }

  private encodeState(): Uint8Array {
    const state: PersistentState = { currentTerm: this.currentTerm, votedFor: this.votedFor, log: this.log.persistedView() };
    return this.runtime.encode(state);
  }

  /** Restore what persist() saved; a first boot finds nothing and starts from scratch. */
  private readPersist(data: Uint8Array): void {
    if (data.length === 0) return;
    const state = this.runtime.decode<PersistentState>(data);
    this.currentTerm = state.currentTerm;
    this.votedFor = state.votedFor;
    this.log = RaftLog.fromPersisted(state.log);
    this.runtime.log('PERS', 'restored state', {
      term: this.currentTerm,
      votedFor: this.votedFor,
      snapshotIndex: this.log.snapshotIndex,
      lastIndex: this.log.lastIndex,
    });
  }
}

import type {
  ApplyChannel,
  ApplyMsg,
  CallResult,
  Peer,
  Persister,
  RaftRuntime,
  Timer,
} from '../api/index.ts';
import { RaftLog } from './log.ts';
import { Signal } from './signal.ts';
import { noVote, type PersistentState, type Role } from './types.ts';

/** A snapshot received by InstallSnapshot, waiting for the applier to hand it to the service. */
export interface PendingSnapshot {
  term: number;
  index: number;
  data: Uint8Array;
}

/**
 * The core of a Raft peer: Figure 2's state, the two timers that drive it (the "ticker"), role changes,
 * persistence and the applier. The RPCs are added by the classes built on this one, one file each:
 *
 *   core.ts         state, timers, roles, persistence, applying        (this file)
 *   election.ts     RequestVote: leader election                       (2A)
 *   replication.ts  start() and AppendEntries: log replication, commit (2B)
 *   snapshot.ts     snapshot(), InstallSnapshot, condInstallSnapshot   (2D)
 *   raft.ts         the class the tester gets
 *
 * JavaScript runs one piece of code at a time, so there are no locks. Instead, every `await` is a point where
 * anything may have changed: after one, re-check that the node is alive and still in the role and term it had.
 */
export abstract class RaftCore {
  // --- Timing. Getters, so a subclass can override them (and the constructor already sees the override). ------

  /** How often a leader sends heartbeats. The tester allows at most ten a second. */
  protected get heartbeatIntervalMs(): number {
    return 125;
  }

  /**
   * Election timeouts are drawn anew, uniformly from [min, max), at every reset. Far above the heartbeat interval,
   * so followers of a live leader never time out; low enough that a new leader emerges within the tester's 5 s even
   * after a split vote or two.
   */
  protected get electionTimeoutMinMs(): number {
    return 1000;
  }

  protected get electionTimeoutMaxMs(): number {
    return 2000;
  }

  // --- What make() was given. ---------------------------------------------------------------------------------

  protected readonly peers: Peer[];
  protected readonly me: number;
  protected readonly persister: Persister;
  protected readonly applyCh: ApplyChannel;
  protected readonly runtime: RaftRuntime;
  /** Every peer index but ours. */
  protected readonly others: number[];

  // --- Figure 2: persistent state on all servers (saved by persist() before any reply or send that relies on it).

  /** Latest term this server has seen (0 at first boot, increases monotonically). */
  protected currentTerm = 0;
  /** Candidate that received this server's vote in currentTerm, or noVote. */
  protected votedFor = noVote;
  /** Log entries, after the snapshot sentinel. The first real index is 1. */
  protected log = new RaftLog();

  // --- Figure 2: volatile state on all servers. ---------------------------------------------------------------

  protected role: Role = 'follower';
  /** Highest log index known to be committed. */
  protected commitIndex = 0;
  /** Highest log index handed to the applier (delivered, or being delivered, on applyCh). */
  protected lastApplied = 0;

  // --- Figure 2: volatile state on leaders (reinitialized after election). -------------------------------------

  /** For each peer, the index of the next log entry to send it. */
  protected nextIndex: number[] = [];
  /** For each peer, the highest index known to be replicated on it. */
  protected matchIndex: number[] = [];

  // --- Machinery. -----------------------------------------------------------------------------------------------

  /** Set by kill(): every loop and timer callback checks it and stops. */
  protected killed = false;
  /** Fires when no leader (or candidate we voted for) was heard from for a whole timeout. */
  protected readonly electionTimer: Timer;
  /** Fires every heartbeatIntervalMs while leader. */
  protected readonly heartbeatTimer: Timer;
  /** Wakes the applier: commitIndex moved, or a snapshot arrived. */
  protected readonly applySignal = new Signal();
  /** A snapshot from InstallSnapshot that the applier has yet to deliver (see snapshot.ts). */
  protected pendingSnapshot: PendingSnapshot | undefined;

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
  }

  /**
   * Arm the election timer and start the long-lived loops. Called once, by the last constructor in the chain
   * (raft.ts), so that every class's fields exist before any loop or timer runs. Subclasses that start loops of
   * their own override it and call super.
   */
  protected startBackgroundWork(): void {
    this.resetElectionTimer();
    void this.applier();
  }

  // --- The API's state queries and kill() ---------------------------------------------------------------------

  getState(): { term: number; isLeader: boolean } {
    return { term: this.currentTerm, isLeader: !this.killed && this.role === 'leader' };
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
  }

  // --- Timers and roles -----------------------------------------------------------------------------------------

  /** Figure 2, Followers and Candidates: no word from a leader for a whole timeout, so try to become one. */
  protected onElectionTimeout(): void {
    if (this.killed) return;
    this.runtime.log('TIMR', 'election timeout', { term: this.currentTerm, role: this.role });
    this.changeRole('candidate');
    this.startElection();
    // If this election ends in a split vote, the timer starts the next one.
    this.resetElectionTimer();
  }

  /** Figure 2, Leaders: heartbeat during idle periods so followers do not time out. */
  protected onHeartbeatTimeout(): void {
    if (this.killed || this.role !== 'leader') return;
    this.broadcastHeartbeat();
    this.heartbeatTimer.reset(this.heartbeatIntervalMs);
  }

  protected resetElectionTimer(): void {
    this.electionTimer.reset(this.randomElectionTimeoutMs());
  }

  protected randomElectionTimeoutMs(): number {
    return this.electionTimeoutMinMs + this.runtime.random.intn(this.electionTimeoutMaxMs - this.electionTimeoutMinMs);
  }

  /**
   * The one place the role changes, so each role always runs the right timers: followers and candidates wait on
   * the election timer; a leader stops it and sends heartbeats instead. Staying in the same role changes nothing
   * (in particular a follower's election timer keeps running: only the events Figure 2 names reset it).
   */
  protected changeRole(role: Role): void {
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
        this.heartbeatTimer.reset(this.heartbeatIntervalMs);
        break;
    }
  }

  /**
   * Figure 2, all servers: a request or reply with a higher term means we are behind. Take the term, with no vote
   * cast in it yet, and follow.
   */
  protected adoptTerm(term: number): void {
    this.runtime.log('TERM', `term ${this.currentTerm} -> ${term}`, { from: this.currentTerm, to: term });
    this.currentTerm = term;
    this.votedFor = noVote;
    this.changeRole('follower');
    this.persist();
  }

  /**
   * Figure 2, All Servers: a reply carrying a term above ours makes us a follower of that term. Returns whether it
   * did, in which case the reply says nothing more to us.
   */
  protected adoptHigherTermOfReply(replyTerm: number): boolean {
    if (replyTerm <= this.currentTerm) return false;
    this.adoptTerm(replyTerm);
    return true;
  }

  protected isMajority(count: number): boolean {
    return count * 2 > this.peers.length;
  }

  /** Send one RPC to a peer. Never throws; `ok` is false if the request or reply was lost. */
  protected call<Reply>(peer: number, method: string, args: unknown): Promise<CallResult<Reply>> {
    return this.peers[peer]!.call<Reply>(method, args);
  }

  // --- The parts the other files provide ----------------------------------------------------------------------

  /** election.ts: become a candidate's campaign. Called by the election timer. */
  protected abstract startElection(): void;

  /** replication.ts: one AppendEntries to every peer at once. Called on election and by the heartbeat timer. */
  protected abstract broadcastHeartbeat(): void;

  // --- Persistence (2C) -----------------------------------------------------------------------------------------

  protected persistentState(): PersistentState {
    return { currentTerm: this.currentTerm, votedFor: this.votedFor, log: this.log.toPersisted() };
  }

  protected encodeState(): Uint8Array {
    return this.runtime.encode(this.persistentState());
  }

  /** Save currentTerm, votedFor and the log. Call after every change to them, before replying or sending. */
  protected persist(): void {
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
  protected persistWithSnapshot(snapshot: Uint8Array): void {
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

  /** Restore what persist() saved; a first boot finds nothing and starts from scratch. */
  protected readPersist(data: Uint8Array): void {
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

  // --- Applying -------------------------------------------------------------------------------------------------

  /**
   * Figure 2, all servers: if commitIndex > lastApplied, apply log[lastApplied + 1]. One loop delivers everything,
   * in index order, exactly once; it sleeps on applySignal when there is nothing to deliver.
   *
   * applyCh is a rendezvous and the tester calls snapshot() / condInstallSnapshot() while taking a message, so
   * nothing here may be half-done while awaiting send(): the message is fully built, and lastApplied already
   * advanced, before the await.
   */
  protected async applier(): Promise<void> {
    while (!this.killed) {
      const msg = this.nextApplyMsg();
      if (msg) await this.applyCh.send(msg);
      else await this.applySignal.wait();
    }
  }

  /** The next message to deliver, if any: a pending snapshot first, then the next committed entry. */
  protected nextApplyMsg(): ApplyMsg | undefined {
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
      snapshot: new Uint8Array(0),
      snapshotTerm: 0,
      snapshotIndex: 0,
    };
  }
}

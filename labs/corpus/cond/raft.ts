/**
 * "cond": a Raft whose leader runs one long-lived sender per peer, parked on a condition variable.
 *
 * - Leader: per peer, `sender()` sleeps on that peer's Cond until there is a reason to send (entries the peer has
 *   not acknowledged, a commit index it has not been told, or a heartbeat due), sends one AppendEntries (or
 *   InstallSnapshot when the peer's nextIndex is inside the snapshot), waits for the reply (at most PATIENCE_MS),
 *   and goes back to sleep. start() appends and broadcasts; a heartbeat timer marks heartbeats due and broadcasts.
 * - Everyone: an election timer (runtime.timer), re-armed at random in [ELECTION_MIN_MS, +ELECTION_SPREAD_MS).
 * - Everyone: an applier loop on its own Cond, woken when commitIndex moves or a snapshot is queued for delivery.
 * - Log backup: the follower answers a mismatch with a single conflictIndex; the leader jumps nextIndex there.
 */
import type { ApplyChannel, ApplyMsg, Peer, Persister, RaftNode, RaftRuntime, StartResult, Timer } from '../../api/index.ts';
import { Cond, within } from './cond.ts';
import type {
  AppendEntriesArgs,
  AppendEntriesReply,
  Entry,
  InstallSnapshotArgs,
  InstallSnapshotReply,
  PersistedState,
  RequestVoteArgs,
  RequestVoteReply,
} from './types.ts';

/** At most ~8 heartbeats a second per follower (the tester allows ten). */
const HEARTBEAT_MS = 120;
/** A peer counts as heard from recently if something went to it this close to a tick; no extra heartbeat then. */
const HEARTBEAT_SLACK_MS = 20;
const ELECTION_MIN_MS = 400;
const ELECTION_SPREAD_MS = 400;
/**
 * How long a sender waits for its RPC's reply before it stops waiting and may send again. A reply that comes later
 * is still used. Without this bound a reply held back by the network (long reordering: up to 2.2 s; a dead peer:
 * up to 7 s) would silence the sender for longer than a follower's election timeout.
 */
const PATIENCE_MS = 150;
/**
 * Sends to one peer that are not due heartbeats are spaced at least this far apart, so a burst of start()s
 * (or of commits) goes out as one AppendEntries: fewer RPCs, and fewer whole-state persists on the follower.
 */
const MIN_GAP_MS = 20;

type Role = 'follower' | 'candidate' | 'leader';

/** What a leader keeps for one term of leadership. A new term of leadership gets a new one (and new senders). */
interface Leadership {
  readonly term: number;
  /** Next index to send to each peer. */
  readonly next: number[];
  /** Highest index each peer has acknowledged holding (persisted) in this term. */
  readonly match: number[];
  /** Highest commit index each peer is known to have been able to apply from our AppendEntries. */
  readonly told: number[];
  /** A heartbeat is due: send even if there is nothing new. */
  readonly due: boolean[];
  /** The last send failed or went unanswered: wait for the next tick before sending for any other reason. */
  readonly hold: boolean[];
  /** When the sender last sent to each peer. */
  readonly lastSent: number[];
  /** Each sender parks on its own Cond. */
  readonly wake: Cond[];
}

interface QueuedSnapshot {
  term: number;
  index: number;
  data: Uint8Array;
}

const noSnapshot = new Uint8Array(0);

export class CondRaft implements RaftNode {
  private readonly peers: Peer[];
  private readonly me: number;
  private readonly persister: Persister;
  private readonly applyCh: ApplyChannel;
  private readonly rt: RaftRuntime;

  // Persistent (Figure 2), plus where the snapshot ends.
  private currentTerm = 0;
  private votedFor: number | null = null;
  /** log[k] is the entry at index offset + 1 + k. */
  private log: Entry[] = [];
  private offset = 0;
  private offsetTerm = 0;
  /** The snapshot that covers indices 1..offset (what the persister holds), kept to send to laggards. */
  private snapshotData: Uint8Array;

  // Volatile.
  private commitIndex = 0;
  private lastApplied = 0;
  private role: Role = 'follower';
  private lead: Leadership | null = null;
  private dead = false;
  /** A snapshot from InstallSnapshot, waiting for the applier to hand it to the service. */
  private queued: QueuedSnapshot | null = null;

  private readonly applyWake = new Cond();
  private readonly electionTimer: Timer;
  private readonly heartbeatTimer: Timer;

  constructor(peers: Peer[], me: number, persister: Persister, applyCh: ApplyChannel, runtime: RaftRuntime) {
    this.peers = peers;
    this.me = me;
    this.persister = persister;
    this.applyCh = applyCh;
    this.rt = runtime;

    this.restore(persister.readRaftState());
    this.snapshotData = persister.readSnapshot();
    // What the snapshot covers is already in the service's hands (it restores from the same persister).
    this.commitIndex = this.offset;
    this.lastApplied = this.offset;

    this.electionTimer = runtime.timer(() => this.onElectionTimeout());
    this.heartbeatTimer = runtime.timer(() => this.onHeartbeatTick());
    this.armElectionTimer();
    void this.applier();
  }

  // ---------------------------------------------------------------- the log

  private lastIndex(): number {
    return this.offset + this.log.length;
  }

  /** The term at `index`, for offset <= index <= lastIndex (the snapshot's term at offset); -1 outside. */
  private termAt(index: number): number {
    if (index === this.offset) return this.offsetTerm;
    if (index < this.offset || index > this.lastIndex()) return -1;
    return this.log[index - this.offset - 1]!.term;
  }

  // ---------------------------------------------------------------- persistence

  private encodeState(): Uint8Array {
    const state: PersistedState = {
      currentTerm: this.currentTerm,
      votedFor: this.votedFor,
      log: this.log,
      offset: this.offset,
      offsetTerm: this.offsetTerm,
    };
    return this.rt.encode(state);
  }

  private persist(): void {
    this.persister.saveRaftState(this.encodeState());
  }

  private persistWithSnapshot(): void {
    this.persister.saveStateAndSnapshot(this.encodeState(), this.snapshotData);
  }

  private restore(data: Uint8Array): void {
    if (data.length === 0) return;
    const s = this.rt.decode<PersistedState>(data);
    this.currentTerm = s.currentTerm;
    this.votedFor = s.votedFor ?? null;
    this.log = s.log.map((e) => ({ term: e.term, command: e.command }));
    this.offset = s.offset;
    this.offsetTerm = s.offsetTerm;
  }

  // ---------------------------------------------------------------- roles and terms

  private armElectionTimer(): void {
    this.electionTimer.reset(ELECTION_MIN_MS + this.rt.random.intn(ELECTION_SPREAD_MS));
  }

  /**
   * Adopt a higher term seen in a request or reply (and become a follower). Returns whether anything persistent
   * changed; the caller persists before it replies or sends.
   */
  private observeTerm(term: number): boolean {
    if (term <= this.currentTerm) return false;
    this.rt.log('TERM', `term ${this.currentTerm} -> ${term}`, { from: this.currentTerm, to: term, was: this.role });
    this.currentTerm = term;
    this.votedFor = null;
    this.becomeFollower();
    return true;
  }

  private becomeFollower(): void {
    if (this.role === 'leader') {
      const lead = this.lead;
      this.lead = null;
      this.role = 'follower';
      this.heartbeatTimer.stop();
      if (lead) for (const c of lead.wake) c.broadcast(); // let the senders see they are done
      this.armElectionTimer();
      return;
    }
    this.role = 'follower';
  }

  private isCurrent(lead: Leadership): boolean {
    return !this.dead && this.role === 'leader' && this.lead === lead;
  }

  // ---------------------------------------------------------------- election

  private onElectionTimeout(): void {
    if (this.dead || this.role === 'leader') return;
    this.currentTerm += 1;
    this.votedFor = this.me;
    this.role = 'candidate';
    this.persist();
    this.armElectionTimer();

    const term = this.currentTerm;
    const args: RequestVoteArgs = {
      term,
      candidateId: this.me,
      lastLogIndex: this.lastIndex(),
      lastLogTerm: this.termAt(this.lastIndex()),
    };
    this.rt.log('VOTE', `candidate in term ${term}`, { term, lastLogIndex: args.lastLogIndex, lastLogTerm: args.lastLogTerm });
    const ballot = { votes: 1 };
    for (let p = 0; p < this.peers.length; p++) {
      if (p !== this.me) void this.canvass(p, args, ballot);
    }
  }

  private async canvass(p: number, args: RequestVoteArgs, ballot: { votes: number }): Promise<void> {
    const res = await this.peers[p]!.call<RequestVoteReply>('Raft.RequestVote', args);
    if (!res.ok || this.dead) return;
    if (this.observeTerm(res.reply.term)) {
      this.persist();
      return;
    }
    if (this.role !== 'candidate' || this.currentTerm !== args.term || !res.reply.voteGranted) return;
    ballot.votes += 1;
    if (ballot.votes * 2 > this.peers.length) this.becomeLeader();
  }

  private becomeLeader(): void {
    const n = this.peers.length;
    const last = this.lastIndex();
    const lead: Leadership = {
      term: this.currentTerm,
      next: new Array<number>(n).fill(last + 1),
      match: new Array<number>(n).fill(0),
      told: new Array<number>(n).fill(0),
      due: new Array<boolean>(n).fill(true),
      hold: new Array<boolean>(n).fill(false),
      lastSent: new Array<number>(n).fill(-Infinity),
      wake: Array.from({ length: n }, () => new Cond()),
    };
    this.role = 'leader';
    this.lead = lead;
    this.electionTimer.stop();
    this.heartbeatTimer.reset(HEARTBEAT_MS);
    this.rt.log('LEAD', `leader of term ${lead.term}`, { term: lead.term, lastIndex: last });
    for (let p = 0; p < n; p++) {
      if (p !== this.me) void this.sender(lead, p);
    }
  }

  // ---------------------------------------------------------------- leader: senders

  private onHeartbeatTick(): void {
    const lead = this.lead;
    if (!lead || !this.isCurrent(lead)) return;
    const now = this.rt.now();
    for (let p = 0; p < this.peers.length; p++) {
      if (p === this.me) continue;
      lead.hold[p] = false;
      if (now - lead.lastSent[p]! >= HEARTBEAT_MS - HEARTBEAT_SLACK_MS) lead.due[p] = true;
      lead.wake[p]!.broadcast();
    }
    this.heartbeatTimer.reset(HEARTBEAT_MS);
  }

  private wakeSenders(lead: Leadership): void {
    for (const c of lead.wake) c.broadcast();
  }

  /** Whether the sender for `p` has a reason to send now. */
  private wantsSend(lead: Leadership, p: number): boolean {
    if (lead.due[p]) return true;
    if (lead.hold[p]) return false;
    return lead.match[p]! < this.lastIndex() || lead.told[p]! < this.commitIndex;
  }

  /** The long-lived sender to peer `p` for one term of leadership. One RPC at a time. */
  private async sender(lead: Leadership, p: number): Promise<void> {
    while (this.isCurrent(lead)) {
      if (!this.wantsSend(lead, p)) {
        await lead.wake[p]!.wait();
        continue;
      }
      if (!lead.due[p]) {
        const early = lead.lastSent[p]! + MIN_GAP_MS - this.rt.now();
        if (early > 0) {
          await this.rt.sleep(early);
          continue;
        }
      }
      lead.due[p] = false;
      lead.lastSent[p] = this.rt.now();
      const answered = lead.next[p]! <= this.offset ? await this.sendSnapshot(lead, p) : await this.sendEntries(lead, p);
      if (!answered) lead.hold[p] = true;
    }
  }

  /** Send one AppendEntries; resolves whether a reply came in time (it is handled whenever it comes). */
  private sendEntries(lead: Leadership, p: number): Promise<boolean> {
    const prev = lead.next[p]! - 1;
    const args: AppendEntriesArgs = {
      term: lead.term,
      leaderId: this.me,
      prevLogIndex: prev,
      prevLogTerm: this.termAt(prev),
      entries: this.log.slice(prev - this.offset),
      leaderCommit: this.commitIndex,
    };
    const reply = this.peers[p]!.call<AppendEntriesReply>('Raft.AppendEntries', args).then((res) => {
      if (res.ok) this.onAppendReply(lead, p, args, res.reply);
      return res.ok;
    });
    return within(this.rt, reply, PATIENCE_MS, false);
  }

  private onAppendReply(lead: Leadership, p: number, args: AppendEntriesArgs, reply: AppendEntriesReply): void {
    if (this.dead) return;
    if (this.observeTerm(reply.term)) {
      this.persist();
      return;
    }
    if (!this.isCurrent(lead)) return;
    if (reply.success) {
      const reached = args.prevLogIndex + args.entries.length;
      if (reached > lead.match[p]!) lead.match[p] = reached;
      if (reached + 1 > lead.next[p]!) lead.next[p] = reached + 1;
      const told = Math.min(args.leaderCommit, reached);
      if (told > lead.told[p]!) lead.told[p] = told;
      this.advanceCommit(lead);
    } else if (reply.conflictIndex > 0) {
      // Jump to where the follower says; never below what it has acknowledged, never past our log.
      lead.next[p] = Math.min(Math.max(reply.conflictIndex, lead.match[p]! + 1), this.lastIndex() + 1);
    }
  }

  /** Send the snapshot; the next AppendEntries waits for the next tick, giving the follower time to install it. */
  private async sendSnapshot(lead: Leadership, p: number): Promise<boolean> {
    const args: InstallSnapshotArgs = {
      term: lead.term,
      leaderId: this.me,
      lastIncludedIndex: this.offset,
      lastIncludedTerm: this.offsetTerm,
      data: this.snapshotData,
    };
    this.rt.log('SNAP', `InstallSnapshot to S${p} through ${args.lastIncludedIndex}`, { to: p, index: args.lastIncludedIndex });
    const reply = this.peers[p]!.call<InstallSnapshotReply>('Raft.InstallSnapshot', args).then((res) => {
      if (res.ok) this.onSnapshotReply(lead, p, args, res.reply);
      return res.ok;
    });
    await within(this.rt, reply, PATIENCE_MS, false);
    return false;
  }

  private onSnapshotReply(lead: Leadership, p: number, args: InstallSnapshotArgs, reply: InstallSnapshotReply): void {
    if (this.dead) return;
    if (this.observeTerm(reply.term)) {
      this.persist();
      return;
    }
    if (!this.isCurrent(lead)) return;
    // Not matchIndex: the follower has only queued the snapshot, and a crash before it installs loses it.
    if (args.lastIncludedIndex + 1 > lead.next[p]!) lead.next[p] = args.lastIncludedIndex + 1;
  }

  /** Figure 2's rule for leaders, with §5.4.2: only an entry of the current term is committed by counting. */
  private advanceCommit(lead: Leadership): void {
    for (let n = this.lastIndex(); n > this.commitIndex; n--) {
      const term = this.termAt(n);
      if (term < lead.term) break; // terms only fall going back: nothing earlier is of this term
      if (term !== lead.term) continue;
      let count = 0;
      for (let p = 0; p < this.peers.length; p++) {
        if (p === this.me || lead.match[p]! >= n) count++;
      }
      if (count * 2 > this.peers.length) {
        this.commitIndex = n;
        this.rt.log('CMIT', `commit ${n}`, { commitIndex: n, term: lead.term });
        this.applyWake.signal();
        this.wakeSenders(lead); // followers learn the new commit index
        return;
      }
    }
  }

  // ---------------------------------------------------------------- applier

  private async applier(): Promise<void> {
    while (!this.dead) {
      const snap = this.queued;
      if (snap) {
        this.queued = null;
        if (snap.index <= this.lastApplied) continue; // overtaken by entries applied since
        const msg: ApplyMsg = {
          commandValid: false,
          command: null,
          commandIndex: 0,
          snapshotValid: true,
          snapshot: snap.data,
          snapshotTerm: snap.term,
          snapshotIndex: snap.index,
        };
        this.rt.log('SNAP', `deliver snapshot through ${snap.index}`, { index: snap.index, term: snap.term });
        await this.applyCh.send(msg);
        continue;
      }
      if (this.lastApplied < this.commitIndex) {
        const index = this.lastApplied + 1;
        if (index <= this.offset) {
          // Cannot happen (the service snapshots only what it has applied), but never deliver a hole.
          this.rt.log('WARN', `applier behind the snapshot: ${this.lastApplied} < ${this.offset}`);
          this.lastApplied = this.offset;
          continue;
        }
        const entry = this.log[index - this.offset - 1]!;
        this.lastApplied = index;
        await this.applyCh.send({
          commandValid: true,
          command: entry.command,
          commandIndex: index,
          snapshotValid: false,
          snapshot: noSnapshot,
          snapshotTerm: 0,
          snapshotIndex: 0,
        });
        continue;
      }
      await this.applyWake.wait();
    }
  }

  // ---------------------------------------------------------------- RPC handlers

  RequestVote(args: RequestVoteArgs): RequestVoteReply {
    if (args.term < this.currentTerm) return { term: this.currentTerm, voteGranted: false };
    let dirty = this.observeTerm(args.term);
    const myLast = this.lastIndex();
    const myLastTerm = this.termAt(myLast);
    const upToDate = args.lastLogTerm > myLastTerm || (args.lastLogTerm === myLastTerm && args.lastLogIndex >= myLast);
    let granted = false;
    if ((this.votedFor === null || this.votedFor === args.candidateId) && upToDate) {
      granted = true;
      if (this.votedFor !== args.candidateId) {
        this.votedFor = args.candidateId;
        dirty = true;
      }
      this.armElectionTimer();
    }
    if (dirty) this.persist();
    if (granted) this.rt.log('VOTE', `vote for S${args.candidateId} in term ${args.term}`, { term: args.term, for: args.candidateId });
    return { term: this.currentTerm, voteGranted: granted };
  }

  AppendEntries(args: AppendEntriesArgs): AppendEntriesReply {
    if (args.term < this.currentTerm) return { term: this.currentTerm, success: false, conflictIndex: 0 };
    let dirty = this.observeTerm(args.term);
    if (this.role !== 'follower') this.becomeFollower(); // a candidate of this term meets its leader
    this.armElectionTimer();

    let prev = args.prevLogIndex;
    let entries = args.entries;
    if (prev < this.offset) {
      // The start is inside our snapshot: those entries are committed, hence the same. Skip them.
      entries = entries.slice(Math.min(this.offset - prev, entries.length));
      prev = this.offset;
    } else {
      if (prev > this.lastIndex()) {
        if (dirty) this.persist();
        return { term: this.currentTerm, success: false, conflictIndex: this.lastIndex() + 1 };
      }
      const have = this.termAt(prev);
      if (prev > this.offset && have !== args.prevLogTerm) {
        let first = prev;
        while (first - 1 > this.offset && this.termAt(first - 1) === have) first--;
        if (dirty) this.persist();
        return { term: this.currentTerm, success: false, conflictIndex: first };
      }
    }

    for (let k = 0; k < entries.length; k++) {
      const index = prev + 1 + k;
      if (index <= this.lastIndex()) {
        if (this.termAt(index) === entries[k]!.term) continue;
        this.log.length = index - this.offset - 1; // a conflict: drop it and all that follows
      }
      for (const e of entries.slice(k)) this.log.push({ term: e.term, command: e.command });
      dirty = true;
      break;
    }
    if (dirty) this.persist();

    const lastNew = args.prevLogIndex + args.entries.length;
    if (args.leaderCommit > this.commitIndex) {
      const commit = Math.min(args.leaderCommit, lastNew);
      if (commit > this.commitIndex) {
        this.commitIndex = commit;
        this.applyWake.signal();
      }
    }
    return { term: this.currentTerm, success: true, conflictIndex: 0 };
  }

  InstallSnapshot(args: InstallSnapshotArgs): InstallSnapshotReply {
    if (args.term < this.currentTerm) return { term: this.currentTerm };
    if (this.observeTerm(args.term)) this.persist();
    if (this.role !== 'follower') this.becomeFollower();
    this.armElectionTimer();
    // Newer than what we have: queue it for the applier, which hands it to the service in order.
    if (args.lastIncludedIndex > this.commitIndex && (!this.queued || this.queued.index < args.lastIncludedIndex)) {
      this.queued = { term: args.lastIncludedTerm, index: args.lastIncludedIndex, data: args.data };
      this.rt.log('SNAP', `queued snapshot through ${args.lastIncludedIndex}`, { index: args.lastIncludedIndex, from: args.leaderId });
      this.applyWake.signal();
    }
    return { term: this.currentTerm };
  }

  // ---------------------------------------------------------------- service API

  start(command: unknown): StartResult {
    const lead = this.lead;
    if (this.dead || this.role !== 'leader' || !lead) return { index: -1, term: this.currentTerm, isLeader: false };
    this.log.push({ term: lead.term, command });
    this.persist();
    this.wakeSenders(lead);
    return { index: this.lastIndex(), term: lead.term, isLeader: true };
  }

  getState(): { term: number; isLeader: boolean } {
    return { term: this.currentTerm, isLeader: !this.dead && this.role === 'leader' };
  }

  snapshot(index: number, snapshot: Uint8Array): void {
    if (this.dead || index <= this.offset || index > this.lastIndex()) return;
    const term = this.termAt(index);
    this.log = this.log.slice(index - this.offset);
    this.offset = index;
    this.offsetTerm = term;
    this.snapshotData = snapshot;
    this.persistWithSnapshot();
    this.rt.log('SNAP', `snapshot through ${index}`, { index, term, kept: this.log.length });
  }

  condInstallSnapshot(lastIncludedTerm: number, lastIncludedIndex: number, snapshot: Uint8Array): boolean {
    if (this.dead) return false;
    // Refuse if entries past it have been applied since it was queued (or we already hold a newer snapshot).
    if (lastIncludedIndex <= this.lastApplied || lastIncludedIndex <= this.offset) return false;
    if (lastIncludedIndex <= this.lastIndex() && this.termAt(lastIncludedIndex) === lastIncludedTerm) {
      this.log = this.log.slice(lastIncludedIndex - this.offset); // keep what follows it (Figure 13, step 6)
    } else {
      this.log = [];
    }
    this.offset = lastIncludedIndex;
    this.offsetTerm = lastIncludedTerm;
    this.snapshotData = snapshot;
    if (this.commitIndex < lastIncludedIndex) this.commitIndex = lastIncludedIndex;
    this.lastApplied = lastIncludedIndex;
    this.persistWithSnapshot();
    this.rt.log('SNAP', `installed snapshot through ${lastIncludedIndex}`, { index: lastIncludedIndex, term: lastIncludedTerm, kept: this.log.length });
    return true;
  }

  kill(): void {
    if (this.dead) return;
    this.dead = true;
    this.electionTimer.stop();
    this.heartbeatTimer.stop();
    const lead = this.lead;
    this.lead = null;
    if (lead) this.wakeSenders(lead);
    this.applyWake.broadcast();
  }
}

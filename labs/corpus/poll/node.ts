/**
 * The polling Raft: one ticker per node wakes every 10–20 ms and looks at the clock (election due? heartbeat due
 * for a peer?); each start() launches, per peer, a retrying send task that runs until that peer has caught up; one
 * applier loop delivers what is committed. Written from Figure 2 and Figure 13 of the Raft paper and the 2021 lab
 * page.
 */
import type { ApplyChannel, ApplyMsg, Peer, Persister, RaftNode, RaftRuntime, StartResult } from '../../api/index.ts';
import { PollLog } from './log.ts';
import type {
  AppendEntriesArgs,
  AppendEntriesReply,
  InstallSnapshotArgs,
  InstallSnapshotReply,
  PersistedState,
  RequestVoteArgs,
  RequestVoteReply,
} from './types.ts';

type Role = 'follower' | 'candidate' | 'leader';

/** The ticker sleeps 10–20 ms between looks at the clock. */
const TICK_MIN_MS = 10;
const TICK_SPREAD_MS = 11;
/** A leader sends a peer a heartbeat when it has sent that peer nothing for this long (so at most 10 per second). */
const HEARTBEAT_MS = 100;
/** Election timeout: 500–1000 ms, drawn afresh each time the timer is reset. */
const ELECTION_MIN_MS = 500;
const ELECTION_SPREAD_MS = 501;
/** A send task pauses 20–40 ms after a lost RPC (or a reply that changed nothing) before it tries again. */
const RETRY_MIN_MS = 20;
const RETRY_SPREAD_MS = 21;
/** The applier looks for newly committed entries this often when it has nothing to deliver. */
const APPLY_IDLE_MS = 10;
/**
 * A send task started by start() waits this long before its first send, so that the starts of a few milliseconds go
 * out (and are saved by each follower) together: every persist rewrites the whole log.
 */
const GATHER_MS = 5;

/** What the leader knows of one peer, and the state of that peer's send task. */
interface PeerTrack {
  /** Figure 2's nextIndex and matchIndex. */
  next: number;
  match: number;
  /** The highest commit index this peer has been told, as far as the leader knows (it never exceeds match). */
  told: number;
  /** When the leader last sent this peer an AppendEntries or InstallSnapshot (heartbeat bookkeeping). */
  sentAt: number;
  /** The send task's generation: a task whose generation is not the current one stops at its next look. */
  gen: number;
  /** Whether a task of the current generation is running. */
  active: boolean;
  /** When the current task's RPC was sent. */
  callAt: number;
}

export class PollRaft implements RaftNode {
  private readonly peers: Peer[];
  private readonly me: number;
  private readonly persister: Persister;
  private readonly applyCh: ApplyChannel;
  private readonly runtime: RaftRuntime;
  private killed = false;

  // persistent
  private term = 0;
  private vote = -1;
  private readonly log: PollLog;
  /** The snapshot the log's base stands for (empty before the first one). */
  private snap: Uint8Array;
  /** start() appended entries that are not saved yet (saved before they are sent, counted or voted on). */
  private unsaved = false;

  // volatile
  private role: Role = 'follower';
  private commitIndex: number;
  private lastApplied: number;
  /** When the election timer was last reset, and how long it runs. */
  private heardAt: number;
  private timeout = 0;

  // leader
  private readonly track: PeerTrack[];

  /**
   * Every message to applyCh goes through this chain, one at a time: the applier's entries and the snapshots the
   * InstallSnapshot handler hands over never interleave.
   */
  private lane: Promise<void> = Promise.resolve();

  constructor(peers: Peer[], me: number, persister: Persister, applyCh: ApplyChannel, runtime: RaftRuntime) {
    this.peers = peers;
    this.me = me;
    this.persister = persister;
    this.applyCh = applyCh;
    this.runtime = runtime;
    this.track = peers.map(() => ({ next: 1, match: 0, told: 0, sentAt: 0, gen: 0, active: false, callAt: 0 }));

    this.log = new PollLog();
    const state = persister.readRaftState();
    if (state.length > 0) {
      const saved = runtime.decode<PersistedState>(state);
      this.term = saved.term;
      this.vote = saved.vote;
      this.log = new PollLog(saved.entries, saved.base);
    }
    this.snap = persister.readSnapshot();
    this.commitIndex = this.log.base.index;
    this.lastApplied = this.log.base.index;
    this.heardAt = runtime.now();
    this.resetTimer();

    void this.ticker();
    void this.applier();
  }

  // ---------------------------------------------------------------------------------------------------------------
  // The API the tester uses

  getState(): { term: number; isLeader: boolean } {
    return { term: this.term, isLeader: this.role === 'leader' };
  }

  start(command: unknown): StartResult {
    if (this.killed || this.role !== 'leader') return { index: -1, term: this.term, isLeader: false };
    const term = this.term;
    this.log.append([[term, command]]);
    this.unsaved = true;
    const index = this.log.lastIndex();
    for (let p = 0; p < this.peers.length; p++) {
      if (p !== this.me && !this.track[p]!.active) void this.replicateTo(p, term, GATHER_MS);
    }
    if (this.peers.length === 1) this.advanceCommit();
    return { index, term, isLeader: true };
  }

  snapshot(index: number, snapshot: Uint8Array): void {
    if (this.killed || index <= this.log.base.index || index > this.commitIndex) return;
    this.log.compact(index);
    this.snap = snapshot;
    this.persist(true);
    this.runtime.log('SNAP', `snapshot through ${index}`, { index, kept: this.log.entries.length });
  }

  condInstallSnapshot(lastIncludedTerm: number, lastIncludedIndex: number, snapshot: Uint8Array): boolean {
    // Refuse if it committed (and so will apply, or has applied) that far since the snapshot was handed over.
    if (this.killed || lastIncludedIndex <= this.commitIndex) return false;
    this.log.install(lastIncludedIndex, lastIncludedTerm);
    this.snap = snapshot;
    this.commitIndex = lastIncludedIndex;
    this.lastApplied = lastIncludedIndex;
    this.persist(true);
    this.runtime.log('SNAP', `installed snapshot through ${lastIncludedIndex}`, { index: lastIncludedIndex, term: lastIncludedTerm });
    return true;
  }

  kill(): void {
    this.killed = true;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // RPC handlers

  RequestVote(args: RequestVoteArgs): RequestVoteReply {
    this.save();
    if (args.term > this.term) this.adopt(args.term);
    if (args.term < this.term) return { term: this.term, voteGranted: false };
    const lastTerm = this.log.lastTerm();
    const upToDate = args.lastLogTerm > lastTerm || (args.lastLogTerm === lastTerm && args.lastLogIndex >= this.log.lastIndex());
    if (!upToDate || (this.vote !== -1 && this.vote !== args.candidateId)) return { term: this.term, voteGranted: false };
    if (this.vote !== args.candidateId) {
      this.vote = args.candidateId;
      this.persist();
    }
    this.resetTimer();
    this.runtime.log('VOTE', `vote for ${args.candidateId} in term ${this.term}`, { candidate: args.candidateId, term: this.term });
    return { term: this.term, voteGranted: true };
  }

  AppendEntries(args: AppendEntriesArgs): AppendEntriesReply {
    this.save();
    if (args.term < this.term) return this.appendReply(false);
    if (args.term > this.term) this.adopt(args.term);
    this.role = 'follower';
    this.resetTimer();

    const base = this.log.base;
    const lastNew = args.prevLogIndex + args.entries.length;
    let prev = args.prevLogIndex;
    let prevTerm = args.prevLogTerm;
    let entries = args.entries;
    if (prev < base.index) {
      // The snapshot covers the start of this request: those entries are committed here already.
      if (lastNew <= base.index) return this.appendReply(true);
      entries = entries.slice(base.index - prev);
      prev = base.index;
      prevTerm = base.term;
    }
    if (prev > this.log.lastIndex()) return this.appendReply(false, -1, -1);
    const have = this.log.termAt(prev);
    if (have !== prevTerm) return this.appendReply(false, have, this.log.firstIndexOfTerm(prev));

    for (let k = 0; k < entries.length; k++) {
      const index = prev + 1 + k;
      if (index <= this.log.lastIndex()) {
        if (this.log.termAt(index) === entries[k]![0]) continue;
        this.log.truncateFrom(index);
      }
      this.log.append(entries.slice(k));
      this.persist();
      this.runtime.log('LOG2', `took entries ${index}..${lastNew} from ${args.leaderId}`, { from: index, to: lastNew });
      break;
    }
    const commit = Math.min(args.leaderCommit, lastNew);
    if (commit > this.commitIndex) this.commitIndex = commit;
    return this.appendReply(true);
  }

  /**
   * A newer snapshot goes to the service on applyCh, and this handler replies only once the service has taken it
   * (its condInstallSnapshot() decides whether to switch).
   */
  async InstallSnapshot(args: InstallSnapshotArgs): Promise<InstallSnapshotReply> {
    this.save();
    if (args.term < this.term) return { term: this.term };
    if (args.term > this.term) this.adopt(args.term);
    this.role = 'follower';
    this.resetTimer();
    if (args.lastIncludedIndex <= this.commitIndex) return { term: this.term };
    await this.inLane(async () => {
      if (this.killed || args.lastIncludedIndex <= this.commitIndex) return;
      this.runtime.log('SNAP', `hand over snapshot through ${args.lastIncludedIndex} from ${args.leaderId}`, { index: args.lastIncludedIndex });
      await this.applyCh.send({
        commandValid: false,
        command: null,
        commandIndex: 0,
        snapshotValid: true,
        snapshot: args.data,
        snapshotTerm: args.lastIncludedTerm,
        snapshotIndex: args.lastIncludedIndex,
      });
    });
    return { term: this.term };
  }

  // ---------------------------------------------------------------------------------------------------------------
  // State, persistence, timers

  /** Save what start() left unsaved, if anything. */
  private save(): void {
    if (this.unsaved) this.persist();
  }

  private persist(withSnapshot = false): void {
    this.unsaved = false;
    const state: PersistedState = { term: this.term, vote: this.vote, entries: this.log.entries, base: this.log.base };
    const bytes = this.runtime.encode(state);
    if (withSnapshot) this.persister.saveStateAndSnapshot(bytes, this.snap);
    else this.persister.saveRaftState(bytes);
  }

  /** A higher term seen anywhere: take it, forget the vote, follow. */
  private adopt(term: number): void {
    if (term <= this.term) return;
    if (this.role === 'leader') this.runtime.log('LEAD', `step down in term ${this.term}: saw term ${term}`, { term });
    this.term = term;
    this.vote = -1;
    this.role = 'follower';
    this.persist();
    this.runtime.log('TERM', `term ${term}`, { term });
  }

  private resetTimer(): void {
    this.heardAt = this.runtime.now();
    this.timeout = ELECTION_MIN_MS + this.runtime.random.intn(ELECTION_SPREAD_MS);
  }

  private leads(term: number): boolean {
    return !this.killed && this.role === 'leader' && this.term === term;
  }

  private appendReply(success: boolean, xTerm = -1, xIndex = -1): AppendEntriesReply {
    return { term: this.term, success, xTerm, xIndex, xLen: this.log.lastIndex() };
  }

  // ---------------------------------------------------------------------------------------------------------------
  // The ticker: elections and heartbeats, by looking at the clock

  private async ticker(): Promise<void> {
    while (!this.killed) {
      this.save();
      const now = this.runtime.now();
      if (this.role === 'leader') {
        for (let p = 0; p < this.peers.length; p++) {
          if (p !== this.me && now - this.track[p]!.sentAt >= HEARTBEAT_MS) this.heartbeat(p);
        }
      } else if (now - this.heardAt >= this.timeout) {
        this.campaign();
      }
      await this.runtime.sleep(TICK_MIN_MS + this.runtime.random.intn(TICK_SPREAD_MS));
    }
  }

  private campaign(): void {
    this.term += 1;
    this.vote = this.me;
    this.role = 'candidate';
    this.persist();
    this.resetTimer();
    const term = this.term;
    this.runtime.log('TIMR', `election timeout: campaign in term ${term}`, { term });
    const args: RequestVoteArgs = { term, candidateId: this.me, lastLogIndex: this.log.lastIndex(), lastLogTerm: this.log.lastTerm() };
    let votes = 1;
    const count = (): void => {
      votes += 1;
      if (2 * votes > this.peers.length) this.lead(term);
    };
    if (2 * votes > this.peers.length) this.lead(term);
    for (let p = 0; p < this.peers.length; p++) {
      if (p === this.me) continue;
      void this.peers[p]!.call<RequestVoteReply>('Raft.RequestVote', args).then((res) => {
        if (!res.ok || this.killed) return;
        if (res.reply.term > this.term) {
          this.adopt(res.reply.term);
          return;
        }
        if (this.role === 'candidate' && this.term === term && res.reply.voteGranted) count();
      });
    }
  }

  private lead(term: number): void {
    if (this.role !== 'candidate' || this.term !== term) return;
    this.role = 'leader';
    const next = this.log.lastIndex() + 1;
    for (const t of this.track) {
      t.next = next;
      t.match = 0;
      t.told = 0;
      t.sentAt = -Infinity;
      t.gen += 1; // any send task of an earlier term is now stale
      t.active = false;
      t.callAt = 0;
    }
    this.runtime.log('LEAD', `leader of term ${term}`, { term, lastIndex: next - 1 });
    for (let p = 0; p < this.peers.length; p++) if (p !== this.me) this.heartbeat(p);
  }

  /**
   * An empty AppendEntries anchored at nextIndex - 1 (or at the snapshot's base if that is lower). When its reply
   * shows the peer lacks entries or the commit point, a send task is started, or restarted if the running one has
   * been waiting on an RPC sent before this heartbeat (to a peer that was away, its call may take seconds to fail).
   */
  private heartbeat(peer: number): void {
    const t = this.track[peer]!;
    const term = this.term;
    this.clampNext(t);
    const prev = Math.max(t.next - 1, this.log.base.index);
    const args: AppendEntriesArgs = {
      term,
      leaderId: this.me,
      prevLogIndex: prev,
      prevLogTerm: this.log.termAt(prev),
      entries: [],
      leaderCommit: this.commitIndex,
    };
    const sent = this.runtime.now();
    t.sentAt = sent;
    void this.peers[peer]!.call<AppendEntriesReply>('Raft.AppendEntries', args).then((res) => {
      if (!res.ok) return;
      this.onAppendReply(peer, args, res.reply);
      if (!this.leads(term) || !this.behind(peer)) return;
      if (!t.active || t.callAt < sent) void this.replicateTo(peer, term);
    });
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Replication: one retrying send task per peer

  /** Defensive: nextIndex never points past the end of the log. */
  private clampNext(t: PeerTrack): void {
    const end = this.log.lastIndex() + 1;
    if (t.next > end) t.next = end;
  }

  /** Whether the peer lacks entries, or has not been told the commit point. */
  private behind(peer: number): boolean {
    const t = this.track[peer]!;
    return t.match < this.log.lastIndex() || t.told < this.commitIndex;
  }

  /**
   * Send the peer AppendEntries (or InstallSnapshot when it is behind the snapshot) until it has caught up, this
   * node no longer leads `term`, a newer task replaces this one, or the node is killed.
   */
  private async replicateTo(peer: number, term: number, gatherMs = 0): Promise<void> {
    const t = this.track[peer]!;
    const gen = ++t.gen;
    t.active = true;
    try {
      if (gatherMs > 0) await this.runtime.sleep(gatherMs);
      while (this.leads(term) && t.gen === gen && this.behind(peer)) {
        const before = `${t.next}/${t.match}/${t.told}`;
        const delivered = await this.sendOnce(peer, term);
        if (!this.leads(term) || t.gen !== gen) return;
        if (!delivered || before === `${t.next}/${t.match}/${t.told}`) {
          await this.runtime.sleep(RETRY_MIN_MS + this.runtime.random.intn(RETRY_SPREAD_MS));
        }
      }
    } finally {
      if (t.gen === gen) t.active = false;
    }
  }

  /** One RPC of a send task; whether a reply came back. */
  private async sendOnce(peer: number, term: number): Promise<boolean> {
    const t = this.track[peer]!;
    this.save();
    this.clampNext(t);
    const now = this.runtime.now();
    t.sentAt = now;
    t.callAt = now;
    const base = this.log.base;
    if (t.next <= base.index) {
      const args: InstallSnapshotArgs = { term, leaderId: this.me, lastIncludedIndex: base.index, lastIncludedTerm: base.term, data: this.snap };
      this.runtime.log('SNAP', `send snapshot through ${base.index} to ${peer}`, { peer, index: base.index });
      const res = await this.peers[peer]!.call<InstallSnapshotReply>('Raft.InstallSnapshot', args);
      if (!res.ok) return false;
      this.onSnapshotReply(peer, args, res.reply);
      return true;
    }
    const prev = t.next - 1;
    const args: AppendEntriesArgs = {
      term,
      leaderId: this.me,
      prevLogIndex: prev,
      prevLogTerm: this.log.termAt(prev),
      entries: this.log.from(prev + 1),
      leaderCommit: this.commitIndex,
    };
    if (args.entries.length > 0) this.runtime.log('LOG1', `send ${prev + 1}..${prev + args.entries.length} to ${peer}`, { peer });
    const res = await this.peers[peer]!.call<AppendEntriesReply>('Raft.AppendEntries', args);
    if (!res.ok) return false;
    this.onAppendReply(peer, args, res.reply);
    return true;
  }

  private onAppendReply(peer: number, args: AppendEntriesArgs, reply: AppendEntriesReply): void {
    if (this.killed) return;
    if (reply.term > this.term) {
      this.adopt(reply.term);
      return;
    }
    if (!this.leads(args.term)) return;
    const t = this.track[peer]!;
    if (reply.success) {
      const matched = args.prevLogIndex + args.entries.length;
      if (matched > t.match) t.match = matched;
      if (t.next < matched + 1) t.next = matched + 1;
      const told = Math.min(args.leaderCommit, matched);
      if (told > t.told) t.told = told;
      this.advanceCommit();
      return;
    }
    // A rejection of an index already known to match is stale (a reordered reply): ignore it.
    if (args.prevLogIndex <= t.match) return;
    let next: number;
    if (reply.xTerm < 0) {
      next = reply.xLen + 1;
    } else {
      const last = this.log.lastIndexOfTerm(reply.xTerm, args.prevLogIndex);
      next = last >= 0 ? last + 1 : reply.xIndex;
    }
    t.next = Math.max(t.match + 1, Math.min(t.next, next));
  }

  private onSnapshotReply(peer: number, args: InstallSnapshotArgs, reply: InstallSnapshotReply): void {
    if (this.killed) return;
    if (reply.term > this.term) {
      this.adopt(reply.term);
      return;
    }
    if (!this.leads(args.term)) return;
    const t = this.track[peer]!;
    if (args.lastIncludedIndex > t.match) t.match = args.lastIncludedIndex;
    if (t.next < args.lastIncludedIndex + 1) t.next = args.lastIncludedIndex + 1;
    if (args.lastIncludedIndex > t.told) t.told = args.lastIncludedIndex;
    this.advanceCommit();
  }

  /** Figure 2's commit rule: the highest index of the current term that a majority holds (§5.4.2). */
  private advanceCommit(): void {
    if (this.role !== 'leader') return;
    this.save(); // the leader counts itself: its entries must be on stable storage
    for (let n = this.log.lastIndex(); n > this.commitIndex && n > this.log.base.index; n--) {
      const term = this.log.termAt(n);
      if (term < this.term) return;
      let count = 1;
      for (let p = 0; p < this.peers.length; p++) if (p !== this.me && this.track[p]!.match >= n) count++;
      if (2 * count > this.peers.length) {
        this.commitIndex = n;
        this.runtime.log('CMIT', `commit through ${n}`, { index: n, term });
        // Tell the peers: a task for each idle one that has not heard of this commit point.
        for (let p = 0; p < this.peers.length; p++) {
          if (p !== this.me && !this.track[p]!.active && this.behind(p)) void this.replicateTo(p, this.term);
        }
        return;
      }
    }
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Delivery to applyCh

  /** Run `step` once every message queued before it has been taken. */
  private inLane(step: () => Promise<void>): Promise<void> {
    const run = this.lane.then(step);
    this.lane = run.catch(() => undefined);
    return run;
  }

  private async applier(): Promise<void> {
    while (!this.killed) {
      if (this.lastApplied < this.commitIndex) await this.inLane(() => this.applyNext());
      else await this.runtime.sleep(APPLY_IDLE_MS);
    }
  }

  /** Deliver the entry after lastApplied, if it is committed; chosen only when the lane is ours. */
  private async applyNext(): Promise<void> {
    if (this.killed || this.lastApplied >= this.commitIndex) return;
    const index = this.lastApplied + 1;
    if (index <= this.log.base.index) {
      this.lastApplied = this.log.base.index;
      return;
    }
    const msg: ApplyMsg = {
      commandValid: true,
      command: this.log.at(index)[1],
      commandIndex: index,
      snapshotValid: false,
      snapshot: new Uint8Array(0),
      snapshotTerm: 0,
      snapshotIndex: 0,
    };
    await this.applyCh.send(msg);
    if (index > this.lastApplied) this.lastApplied = index;
  }
}

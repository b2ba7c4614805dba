/**
 * A Raft written the way the Go lab's students write one, and ported with raftlab's Go helpers: one mutex `mu`
 * guards every field; a ticker goroutine polls the clock every 10 ms; every start() and every heartbeat sends each
 * peer an RPC from a goroutine of its own, which reads nextIndex when it runs and moves it past what it sends
 * (pipelining); an applier goroutine waits on a condition variable; the InstallSnapshot handler hands the snapshot
 * to the service on applyCh and replies only once the service has taken it. Written from Figure 2 and Figure 13 of
 * the Raft paper and the 2021 lab page.
 *
 * The tester calls start, getState, snapshot, condInstallSnapshot and kill synchronously, so they take the mutex with
 * lockSync(): it is always free then, because nothing here holds it across an await (cond.wait() releases it).
 */
import type { ApplyChannel, ApplyMsg, Cond, Mutex, Peer, Persister, RaftNode, RaftRuntime, StartResult } from '../../api/index.ts';
import type {
  AppendEntriesArgs,
  AppendEntriesReply,
  InstallSnapshotArgs,
  InstallSnapshotReply,
  LogEntry,
  PersistentState,
  RequestVoteArgs,
  RequestVoteReply,
} from './types.ts';

const follower = 'follower';
const candidate = 'candidate';
const leader = 'leader';
type State = typeof follower | typeof candidate | typeof leader;

/** The ticker looks at the clock this often. */
const tickMs = 10;
/** A leader sends heartbeats this often (the lab allows at most ten a second). */
const heartbeatMs = 100;
/** Election timeout: 400 ms plus up to 300 ms, drawn at every reset. */
const electionBaseMs = 400;
const electionSpreadMs = 300;

export class Raft implements RaftNode {
  readonly rpcMethods = ['RequestVote', 'AppendEntries', 'InstallSnapshot'] as const;

  private readonly mu: Mutex;
  private readonly applyCond: Cond;
  private readonly peers: Peer[];
  private readonly persister: Persister;
  private readonly me: number;
  private readonly applyCh: ApplyChannel;
  private readonly rt: RaftRuntime;
  private dead = false;

  private state: State = follower;
  private currentTerm = 0;
  private votedFor = -1;
  /** log[0] stands for the snapshot: its index and term. */
  private log: LogEntry[] = [{ index: 0, term: 0, command: null }];
  private snapshotData: Uint8Array;

  private commitIndex = 0;
  private lastApplied = 0;
  private nextIndex: number[] = [];
  private matchIndex: number[] = [];

  private electionDeadline = 0;
  private heartbeatDue = 0;

  constructor(peers: Peer[], me: number, persister: Persister, applyCh: ApplyChannel, runtime: RaftRuntime) {
    this.peers = peers;
    this.me = me;
    this.persister = persister;
    this.applyCh = applyCh;
    this.rt = runtime;
    this.mu = runtime.mutex();
    this.applyCond = runtime.cond(this.mu);

    this.readPersist(persister.readRaftState());
    this.snapshotData = persister.readSnapshot();
    this.commitIndex = this.log[0]!.index;
    this.lastApplied = this.log[0]!.index;
    this.resetElectionTimer();

    runtime.go(() => this.ticker());
    runtime.go(() => this.applier());
  }

  // --- the service's calls ----------------------------------------------------------------------------------------

  getState(): { term: number; isLeader: boolean } {
    this.mu.lockSync();
    const result = { term: this.currentTerm, isLeader: this.state === leader };
    this.mu.unlock();
    return result;
  }

  start(command: unknown): StartResult {
    this.mu.lockSync();
    try {
      if (this.killed() || this.state !== leader) return { index: -1, term: this.currentTerm, isLeader: false };
      const index = this.lastLogIndex() + 1;
      this.log.push({ index, term: this.currentTerm, command });
      this.persist();
      this.broadcast();
      return { index, term: this.currentTerm, isLeader: true };
    } finally {
      this.mu.unlock();
    }
  }

  snapshot(index: number, snapshot: Uint8Array): void {
    this.mu.lockSync();
    try {
      const base = this.log[0]!.index;
      if (index <= base || index > this.commitIndex) return;
      this.log = this.log.slice(index - base);
      this.log[0] = { index, term: this.log[0]!.term, command: null };
      this.snapshotData = snapshot;
      this.persist(true);
    } finally {
      this.mu.unlock();
    }
  }

  condInstallSnapshot(lastIncludedTerm: number, lastIncludedIndex: number, snapshot: Uint8Array): boolean {
    this.mu.lockSync();
    try {
      // Committed that far since the snapshot was handed over: what it would bring is here already.
      if (lastIncludedIndex <= this.commitIndex) return false;
      if (lastIncludedIndex < this.lastLogIndex() && this.termAt(lastIncludedIndex) === lastIncludedTerm) {
        this.log = this.log.slice(lastIncludedIndex - this.log[0]!.index);
      } else {
        this.log = [{ index: lastIncludedIndex, term: lastIncludedTerm, command: null }];
      }
      this.log[0] = { index: lastIncludedIndex, term: lastIncludedTerm, command: null };
      this.snapshotData = snapshot;
      this.commitIndex = lastIncludedIndex;
      this.lastApplied = lastIncludedIndex;
      this.persist(true);
      this.rt.log('SNAP', `installed snapshot through ${lastIncludedIndex}`, { index: lastIncludedIndex, term: lastIncludedTerm });
      return true;
    } finally {
      this.mu.unlock();
    }
  }

  kill(): void {
    this.dead = true;
    this.applyCond.broadcast();
  }

  private killed(): boolean {
    return this.dead;
  }

  // --- RPC handlers -----------------------------------------------------------------------------------------------

  async RequestVote(args: RequestVoteArgs): Promise<RequestVoteReply> {
    await this.mu.lock();
    try {
      if (args.term > this.currentTerm) this.becomeFollower(args.term);
      const reply = { term: this.currentTerm, voteGranted: false };
      if (args.term < this.currentTerm) return reply;
      const upToDate =
        args.lastLogTerm > this.lastLogTerm() || (args.lastLogTerm === this.lastLogTerm() && args.lastLogIndex >= this.lastLogIndex());
      if ((this.votedFor === -1 || this.votedFor === args.candidateId) && upToDate) {
        this.votedFor = args.candidateId;
        this.persist();
        this.resetElectionTimer();
        reply.voteGranted = true;
      }
      return reply;
    } finally {
      this.mu.unlock();
    }
  }

  async AppendEntries(args: AppendEntriesArgs): Promise<AppendEntriesReply> {
    await this.mu.lock();
    try {
      const reply: AppendEntriesReply = { term: this.currentTerm, success: false, xTerm: -1, xIndex: -1, xLen: -1 };
      if (args.term < this.currentTerm) return reply;
      if (args.term > this.currentTerm) this.becomeFollower(args.term);
      this.state = follower;
      this.resetElectionTimer();
      reply.term = this.currentTerm;

      const base = this.log[0]!.index;
      if (args.prevLogIndex < base) {
        // Inside our snapshot: we cannot check it. Ask for what follows the snapshot.
        reply.xLen = base + 1;
        return reply;
      }
      if (args.prevLogIndex > this.lastLogIndex()) {
        reply.xLen = this.lastLogIndex() + 1;
        return reply;
      }
      if (this.termAt(args.prevLogIndex) !== args.prevLogTerm) {
        reply.xTerm = this.termAt(args.prevLogIndex);
        let first = args.prevLogIndex;
        while (first - 1 > base && this.termAt(first - 1) === reply.xTerm) first--;
        reply.xIndex = first;
        return reply;
      }

      let changed = false;
      for (let k = 0; k < args.entries.length; k++) {
        const entry = args.entries[k]!;
        if (entry.index <= this.lastLogIndex()) {
          if (this.termAt(entry.index) === entry.term) continue;
          this.log = this.log.slice(0, entry.index - base);
        }
        this.log.push(...args.entries.slice(k));
        changed = true;
        break;
      }
      if (changed) this.persist();
      const lastNew = args.prevLogIndex + args.entries.length;
      if (args.leaderCommit > this.commitIndex) {
        this.commitIndex = Math.min(args.leaderCommit, lastNew);
        this.applyCond.signal();
      }
      reply.success = true;
      return reply;
    } finally {
      this.mu.unlock();
    }
  }

  /** Hand a newer snapshot to the service on applyCh and reply once it has taken it (condInstallSnapshot decides). */
  async InstallSnapshot(args: InstallSnapshotArgs): Promise<InstallSnapshotReply> {
    await this.mu.lock();
    if (args.term < this.currentTerm) {
      const reply = { term: this.currentTerm };
      this.mu.unlock();
      return reply;
    }
    if (args.term > this.currentTerm) this.becomeFollower(args.term);
    this.state = follower;
    this.resetElectionTimer();
    const reply = { term: this.currentTerm };
    if (args.lastIncludedIndex <= this.commitIndex || this.killed()) {
      this.mu.unlock();
      return reply;
    }
    this.mu.unlock();
    const msg: ApplyMsg = {
      commandValid: false,
      command: null,
      commandIndex: 0,
      snapshotValid: true,
      snapshot: args.data,
      snapshotTerm: args.lastIncludedTerm,
      snapshotIndex: args.lastIncludedIndex,
    };
    await this.applyCh.send(msg);
    return reply;
  }

  // --- the ticker: elections and heartbeats -----------------------------------------------------------------------

  private async ticker(): Promise<void> {
    while (!this.killed()) {
      await this.rt.sleep(tickMs);
      await this.mu.lock();
      const now = this.rt.now();
      if (this.state === leader) {
        if (now >= this.heartbeatDue) this.broadcast();
      } else if (now >= this.electionDeadline) {
        this.startElection();
      }
      this.mu.unlock();
    }
  }

  private resetElectionTimer(): void {
    this.electionDeadline = this.rt.now() + electionBaseMs + this.rt.random.intn(electionSpreadMs);
  }

  private becomeFollower(term: number): void {
    this.state = follower;
    this.currentTerm = term;
    this.votedFor = -1;
    this.persist();
  }

  /** Holding mu. */
  private startElection(): void {
    this.currentTerm++;
    this.state = candidate;
    this.votedFor = this.me;
    this.persist();
    this.resetElectionTimer();
    const term = this.currentTerm;
    this.rt.log('TIMR', `election timeout: campaign in term ${term}`, { term });
    const args: RequestVoteArgs = { term, candidateId: this.me, lastLogIndex: this.lastLogIndex(), lastLogTerm: this.lastLogTerm() };
    let votes = 1;
    for (let peer = 0; peer < this.peers.length; peer++) {
      if (peer === this.me) continue;
      this.rt.go(async () => {
        const res = await this.peers[peer]!.call<RequestVoteReply>('Raft.RequestVote', args);
        if (!res.ok) return;
        await this.mu.lock();
        if (res.reply.term > this.currentTerm) this.becomeFollower(res.reply.term);
        else if (this.state === candidate && this.currentTerm === term && res.reply.voteGranted) {
          votes++;
          if (2 * votes > this.peers.length) this.becomeLeader();
        }
        this.mu.unlock();
      });
    }
  }

  private becomeLeader(): void {
    this.state = leader;
    this.rt.log('LEAD', `leader of term ${this.currentTerm}`, { term: this.currentTerm });
    this.nextIndex = this.peers.map(() => this.lastLogIndex() + 1);
    this.matchIndex = this.peers.map(() => 0);
    this.broadcast();
  }

  // --- replication ----------------------------------------------------------------------------------------------

  /** Holding mu: send every peer what it lacks, each from a goroutine of its own. */
  private broadcast(): void {
    this.heartbeatDue = this.rt.now() + heartbeatMs;
    const term = this.currentTerm;
    for (let peer = 0; peer < this.peers.length; peer++) {
      if (peer !== this.me) this.rt.go(() => this.replicate(peer, term));
    }
  }

  private async replicate(peer: number, term: number): Promise<void> {
    await this.mu.lock();
    if (this.killed() || this.state !== leader || this.currentTerm !== term) {
      this.mu.unlock();
      return;
    }
    const base = this.log[0]!;
    if (this.nextIndex[peer]! <= base.index) {
      const args: InstallSnapshotArgs = { term, leaderId: this.me, lastIncludedIndex: base.index, lastIncludedTerm: base.term, data: this.snapshotData };
      this.mu.unlock();
      this.rt.log('SNAP', `send snapshot through ${args.lastIncludedIndex} to ${peer}`, { peer, index: args.lastIncludedIndex });
      const res = await this.peers[peer]!.call<InstallSnapshotReply>('Raft.InstallSnapshot', args);
      if (!res.ok) return;
      await this.mu.lock();
      if (res.reply.term > this.currentTerm) this.becomeFollower(res.reply.term);
      else if (this.state === leader && this.currentTerm === term) {
        this.matchIndex[peer] = Math.max(this.matchIndex[peer]!, args.lastIncludedIndex);
        this.nextIndex[peer] = Math.max(this.nextIndex[peer]!, args.lastIncludedIndex + 1);
      }
      this.mu.unlock();
      return;
    }
    const prev = this.nextIndex[peer]! - 1;
    const args: AppendEntriesArgs = {
      term,
      leaderId: this.me,
      prevLogIndex: prev,
      prevLogTerm: this.termAt(prev),
      entries: this.log.slice(prev + 1 - base.index),
      leaderCommit: this.commitIndex,
    };
    // Pipelining: count on the peer taking them; a rejection moves nextIndex back.
    this.nextIndex[peer] = prev + args.entries.length + 1;
    this.mu.unlock();

    const res = await this.peers[peer]!.call<AppendEntriesReply>('Raft.AppendEntries', args);
    if (!res.ok) return;
    const reply = res.reply;
    await this.mu.lock();
    if (reply.term > this.currentTerm) this.becomeFollower(reply.term);
    else if (this.state === leader && this.currentTerm === term) {
      if (reply.success) {
        const match = prev + args.entries.length;
        if (match > this.matchIndex[peer]!) this.matchIndex[peer] = match;
        this.advanceCommit();
      } else {
        this.nextIndex[peer] = this.backUp(reply);
        this.rt.go(() => this.replicate(peer, term));
      }
    }
    this.mu.unlock();
  }

  /** Where to try next after a rejection (the lab page's fast backup). */
  private backUp(reply: AppendEntriesReply): number {
    if (reply.xTerm === -1) return Math.max(1, reply.xLen);
    for (let i = this.lastLogIndex(); i > this.log[0]!.index; i--) {
      if (this.termAt(i) === reply.xTerm) return i + 1;
      if (this.termAt(i) < reply.xTerm) break;
    }
    return Math.max(1, reply.xIndex);
  }

  /** Holding mu: Figure 2's commit rule, counting only entries of the current term (§5.4.2). */
  private advanceCommit(): void {
    for (let n = this.lastLogIndex(); n > this.commitIndex && n > this.log[0]!.index; n--) {
      if (this.termAt(n) !== this.currentTerm) break;
      let count = 1;
      for (let peer = 0; peer < this.peers.length; peer++) if (peer !== this.me && this.matchIndex[peer]! >= n) count++;
      if (2 * count > this.peers.length) {
        this.commitIndex = n;
        this.applyCond.signal();
        break;
      }
    }
  }

  // --- applying ---------------------------------------------------------------------------------------------------

  private async applier(): Promise<void> {
    await this.mu.lock();
    while (!this.killed()) {
      if (this.lastApplied >= this.commitIndex) {
        await this.applyCond.wait();
        continue;
      }
      if (this.lastApplied < this.log[0]!.index) this.lastApplied = this.log[0]!.index;
      const msgs: ApplyMsg[] = [];
      for (let i = this.lastApplied + 1; i <= this.commitIndex; i++) {
        msgs.push({
          commandValid: true,
          command: this.log[i - this.log[0]!.index]!.command,
          commandIndex: i,
          snapshotValid: false,
          snapshot: new Uint8Array(0),
          snapshotTerm: 0,
          snapshotIndex: 0,
        });
      }
      this.lastApplied = this.commitIndex;
      this.mu.unlock();
      for (const msg of msgs) {
        if (this.killed()) return;
        await this.applyCh.send(msg);
      }
      await this.mu.lock();
    }
    this.mu.unlock();
  }

  // --- the log and persistence ------------------------------------------------------------------------------------

  private lastLogIndex(): number {
    return this.log[this.log.length - 1]!.index;
  }

  private lastLogTerm(): number {
    return this.log[this.log.length - 1]!.term;
  }

  private termAt(index: number): number {
    return this.log[index - this.log[0]!.index]!.term;
  }

  private persist(withSnapshot = false): void {
    const state: PersistentState = { currentTerm: this.currentTerm, votedFor: this.votedFor, log: this.log };
    const bytes = this.rt.encode(state);
    if (withSnapshot) this.persister.saveStateAndSnapshot(bytes, this.snapshotData);
    else this.persister.saveRaftState(bytes);
  }

  private readPersist(data: Uint8Array): void {
    if (data.length === 0) return;
    const state = this.rt.decode<PersistentState>(data);
    this.currentTerm = state.currentTerm;
    this.votedFor = state.votedFor;
    this.log = state.log;
  }
}

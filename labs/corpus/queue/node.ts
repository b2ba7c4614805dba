/**
 * The driver of one queue-Raft node: an inbox of events processed one at a time, in arrival order, by `step`
 * (core.ts), and the I/O that carries out each step's effects. Timers, RPC requests and RPC replies only enqueue
 * events; start() and snapshot(), which the tester calls synchronously, run their event through the same `step`
 * at once (step never awaits, so nothing interleaves with it). A separate applier loop drains the apply queue into
 * applyCh.
 */
import type {
  ApplyChannel,
  ApplyMsg,
  Peer,
  Persister,
  RaftNode,
  RaftRuntime,
  StartResult,
  Timer,
} from '../../api/index.ts';
import { type ApplyItem, type Effects, type Event, type State, initialState, nextDeadline, step } from './core.ts';
import type {
  AppendEntriesArgs,
  AppendEntriesReply,
  InstallSnapshotArgs,
  InstallSnapshotReply,
  Persisted,
  RequestVoteArgs,
  RequestVoteReply,
} from './types.ts';

type RpcReply = RequestVoteReply | AppendEntriesReply | InstallSnapshotReply;

interface Queued {
  ev: Event;
  /** For an RPC request: resolves the handler's promise with the reply. */
  respond: ((reply: RpcReply) => void) | null;
}

const emptySnapshot = new Uint8Array(0);

export class QueueRaft implements RaftNode {
  private readonly state: State;
  private readonly inbox: Queued[] = [];
  private wakeLoop: (() => void) | null = null;
  private readonly applyQueue: ApplyItem[] = [];
  private wakeApplier: (() => void) | null = null;
  private readonly timer: Timer;
  /** The deadline the timer is armed for (Infinity when it is not armed). */
  private armedFor = Infinity;
  private flushQueued = false;
  private stepping = false;
  private killed = false;

  constructor(
    private readonly peers: Peer[],
    me: number,
    private readonly persister: Persister,
    private readonly applyCh: ApplyChannel,
    private readonly runtime: RaftRuntime,
  ) {
    const saved = readPersisted(persister.readRaftState(), runtime);
    const snapData = persister.readSnapshot();
    this.state = initialState(runtime.now(), me, peers.length, (k) => runtime.random.intn(k), saved, snapData);
    if (saved.snapIndex > 0) {
      // What the snapshot holds may never have reached this server's service (an InstallSnapshot saved just before
      // a crash): hand it over first, so that applying resumes after it on a known footing.
      this.applyQueue.push({ kind: 'snapshot', index: saved.snapIndex, term: saved.snapTerm, data: snapData });
    }
    this.timer = runtime.timer(() => this.onTimer());
    this.arm(nextDeadline(this.state));
    void this.eventLoop();
    void this.applyLoop();
  }

  // ------------------------------------------------------------------------------------------------------------
  // The tester's API

  getState(): { term: number; isLeader: boolean } {
    return { term: this.state.term, isLeader: !this.killed && this.state.role === 'leader' };
  }

  start(command: unknown): StartResult {
    if (this.killed) return { index: -1, term: this.state.term, isLeader: false };
    const fx = this.dispatch({ kind: 'start', command }, null);
    return fx.started ?? { index: -1, term: this.state.term, isLeader: false };
  }

  snapshot(index: number, snapshot: Uint8Array): void {
    if (this.killed) return;
    this.dispatch({ kind: 'compact', index, data: snapshot }, null);
  }

  /**
   * The snapshot was installed into the state when its InstallSnapshot was processed; the service may switch to
   * it if it is still the installed one. If a newer one was installed meanwhile, everything queued behind this
   * message up to the newer one was dropped and the newer one follows, so the service loses nothing by refusing.
   */
  condInstallSnapshot(lastIncludedTerm: number, lastIncludedIndex: number, _snapshot: Uint8Array): boolean {
    return !this.killed && this.state.snapIndex === lastIncludedIndex && this.state.snapTerm === lastIncludedTerm;
  }

  kill(): void {
    if (this.killed) return;
    this.killed = true;
    this.timer.stop();
    this.wake();
    const w = this.wakeApplier;
    this.wakeApplier = null;
    w?.();
  }

  // ------------------------------------------------------------------------------------------------------------
  // RPC handlers: each enqueues its request and waits for the loop to answer it.

  RequestVote(args: RequestVoteArgs): Promise<RequestVoteReply> {
    return this.ask({ kind: 'requestVote', args }) as Promise<RequestVoteReply>;
  }

  AppendEntries(args: AppendEntriesArgs): Promise<AppendEntriesReply> {
    return this.ask({ kind: 'appendEntries', args }) as Promise<AppendEntriesReply>;
  }

  InstallSnapshot(args: InstallSnapshotArgs): Promise<InstallSnapshotReply> {
    return this.ask({ kind: 'installSnapshot', args }) as Promise<InstallSnapshotReply>;
  }

  private ask(ev: Event): Promise<RpcReply> {
    if (this.killed) return Promise.resolve(this.refusal(ev));
    return new Promise((resolve) => this.enqueue(ev, resolve));
  }

  /** What a killed node answers (the network drops it anyway: the server is gone). */
  private refusal(ev: Event): RpcReply {
    const term = this.state.term;
    if (ev.kind === 'requestVote') return { term, voteGranted: false };
    if (ev.kind === 'appendEntries') return { term, success: false, xTerm: -1, xIndex: -1, xLen: -1 };
    return { term };
  }

  // ------------------------------------------------------------------------------------------------------------
  // The event loop

  /** The timer only enqueues an event; processing it re-arms the timer for whatever is due next. */
  private onTimer(): void {
    this.armedFor = Infinity;
    if (!this.killed) this.enqueue({ kind: 'timeout' }, null);
  }

  /**
   * Have the timer fire by `due`. A deadline that moved later (a heartbeat arrived) leaves the timer as it is: it
   * fires early, the timeout event finds nothing due, and the timer is armed again for the new deadline.
   */
  private arm(due: number): void {
    if (this.killed || due >= this.armedFor) return;
    this.armedFor = due;
    this.timer.reset(Math.max(0, due - this.runtime.now()));
  }

  private enqueue(ev: Event, respond: Queued['respond']): void {
    this.inbox.push({ ev, respond });
    this.wake();
  }

  private wake(): void {
    const w = this.wakeLoop;
    this.wakeLoop = null;
    w?.();
  }

  private async eventLoop(): Promise<void> {
    let head = 0;
    while (!this.killed) {
      if (head === this.inbox.length) {
        this.inbox.length = 0;
        head = 0;
        await new Promise<void>((resolve) => {
          this.wakeLoop = resolve;
        });
        continue;
      }
      const { ev, respond } = this.inbox[head++]!;
      if (ev.kind === 'flush') this.flushQueued = false;
      this.dispatch(ev, respond);
    }
    for (const { ev, respond } of this.inbox.slice(head)) respond?.(this.refusal(ev));
    this.inbox.length = 0;
  }

  /** Run one event through the state machine and carry out its effects. */
  private dispatch(ev: Event, respond: Queued['respond']): Effects {
    if (this.stepping) throw new Error('queue raft: step re-entered');
    this.stepping = true;
    let fx: Effects;
    try {
      fx = step(this.state, ev, this.runtime.now());
    } finally {
      this.stepping = false;
    }
    this.execute(fx, respond);
    return fx;
  }

  private execute(fx: Effects, respond: Queued['respond']): void {
    const s = this.state;
    for (const { topic, message, fields } of fx.notes) this.runtime.log(topic, message, fields);

    // 1. Stable storage first: every reply and message below may depend on it.
    if (fx.persist !== 'none') {
      const bytes = this.runtime.encode({
        t: s.term,
        v: s.votedFor,
        log: { terms: s.terms, cmds: s.cmds },
        snap: { index: s.snapIndex, term: s.snapTerm },
      } satisfies Persisted);
      if (fx.persist === 'state+snapshot') this.persister.saveStateAndSnapshot(bytes, s.snapData);
      else this.persister.saveRaftState(bytes);
    }

    // 2. The applier.
    if (fx.dropAppliesThrough > 0) {
      const cut = fx.dropAppliesThrough;
      const kept = this.applyQueue.filter((item) => item.index > cut);
      this.applyQueue.length = 0;
      this.applyQueue.push(...kept);
    }
    if (fx.apply.length > 0) {
      for (const item of fx.apply) this.applyQueue.push(item);
      const w = this.wakeApplier;
      this.wakeApplier = null;
      w?.();
    }

    // 3. The answer to the request being handled.
    if (fx.reply !== null && respond !== null) respond(fx.reply);

    // 4. Messages. Replies come back as events tagged with the term the request was sent in.
    for (const out of fx.send) {
      const sentTerm = out.args.term;
      const from = out.to;
      const peer = this.peers[out.to]!;
      switch (out.method) {
        case 'RequestVote':
          void peer.call<RequestVoteReply>('Raft.RequestVote', out.args).then((res) => {
            if (res.ok && !this.killed) this.enqueue({ kind: 'voteReply', from, sentTerm, reply: res.reply }, null);
          });
          break;
        case 'AppendEntries': {
          const args = out.args;
          void peer.call<AppendEntriesReply>('Raft.AppendEntries', args).then((res) => {
            if (res.ok && !this.killed) this.enqueue({ kind: 'appendReply', from, sentTerm, args, reply: res.reply }, null);
          });
          break;
        }
        case 'InstallSnapshot': {
          const args = out.args;
          void peer.call<InstallSnapshotReply>('Raft.InstallSnapshot', args).then((res) => {
            if (res.ok && !this.killed) this.enqueue({ kind: 'snapReply', from, sentTerm, args, reply: res.reply }, null);
          });
          break;
        }
      }
    }

    // 5. The timer, and new entries from start(): one flush event replicates however many were started before it.
    this.arm(fx.wakeAt);
    if (fx.flush && !this.flushQueued) {
      this.flushQueued = true;
      this.enqueue({ kind: 'flush' }, null);
    }
  }

  // ------------------------------------------------------------------------------------------------------------
  // The applier

  private async applyLoop(): Promise<void> {
    while (!this.killed) {
      const item = this.applyQueue.shift();
      if (item === undefined) {
        await new Promise<void>((resolve) => {
          this.wakeApplier = resolve;
        });
        continue;
      }
      const msg: ApplyMsg =
        item.kind === 'entry'
          ? {
              commandValid: true,
              command: item.command,
              commandIndex: item.index,
              snapshotValid: false,
              snapshot: emptySnapshot,
              snapshotTerm: 0,
              snapshotIndex: 0,
            }
          : {
              commandValid: false,
              command: null,
              commandIndex: 0,
              snapshotValid: true,
              snapshot: item.data,
              snapshotTerm: item.term,
              snapshotIndex: item.index,
            };
      await this.applyCh.send(msg);
    }
  }
}

function readPersisted(
  bytes: Uint8Array,
  runtime: RaftRuntime,
): { term: number; votedFor: number; terms: number[]; cmds: unknown[]; snapIndex: number; snapTerm: number } {
  if (bytes.length === 0) return { term: 0, votedFor: -1, terms: [], cmds: [], snapIndex: 0, snapTerm: 0 };
  const p = runtime.decode<Persisted>(bytes);
  return { term: p.t, votedFor: p.v, terms: p.log.terms, cmds: p.log.cmds, snapIndex: p.snap.index, snapTerm: p.snap.term };
}

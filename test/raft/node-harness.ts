/**
 * One reference Raft node, alone, driven through its handlers: its peers are fakes that record every RPC the node
 * sends and answer only when the test says so; its persister, applyCh and clock are the harness's own (a
 * SimRuntime, so timeouts are virtual and a seed gives the same draws). For test/raft/paper.test.ts.
 */
import type { ApplyMsg, CallResult, Peer, RaftRuntime } from '../../labs/api/index.ts';
import { Raft } from '../../labs/raft/index.ts';
import type {
  AppendEntriesArgs,
  AppendEntriesReply,
  InstallSnapshotArgs,
  InstallSnapshotReply,
  PersistentState,
  RequestVoteArgs,
  RequestVoteReply,
} from '../../labs/raft/index.ts';
import { Codec } from '../../src/harness/codec/index.ts';
import { Persister } from '../../src/harness/persister/index.ts';
import { SimRuntime, concurrency } from '../../src/harness/runtime/index.ts';
import { goRandom } from '../../src/harness/tester/node-runtime.ts';

export const codec = new Codec({ onWarning: () => {} });

interface RpcTypes {
  'Raft.RequestVote': [RequestVoteArgs, RequestVoteReply];
  'Raft.AppendEntries': [AppendEntriesArgs, AppendEntriesReply];
  'Raft.InstallSnapshot': [InstallSnapshotArgs, InstallSnapshotReply];
}
export type Method = keyof RpcTypes;

/** An RPC the node sent, waiting for the test to answer it (or never). */
export interface SentRpc<M extends Method = Method> {
  t: number;
  peer: number;
  method: M;
  args: RpcTypes[M][0];
  answered: boolean;
  reply(reply: RpcTypes[M][1]): void;
  /** The request or its reply was lost. */
  lose(): void;
}

/** What the node did, in order: saves to its persister, RPCs sent, messages applied. */
export type NodeEvent =
  | { kind: 'save'; t: number; state: PersistentState; snapshot?: Uint8Array }
  | { kind: 'send'; t: number; peer: number; method: Method }
  | { kind: 'apply'; t: number; msg: ApplyMsg };

/** A log to boot from, as entry terms from index snapshotIndex + 1 on; commands are `c<index>` unless given. */
export interface BootLog {
  terms: number[];
  commands?: unknown[];
  snapshotIndex?: number;
  snapshotTerm?: number;
  snapshot?: Uint8Array;
}

export interface BootOptions {
  /** Cluster size; the node is server 0. Default 3. */
  servers?: number;
  seed?: number;
  /** Persisted state to restart from (default: a first boot). */
  term?: number;
  votedFor?: number;
  log?: BootLog;
}

export class NodeHarness {
  readonly rt: SimRuntime;
  readonly persister = Persister.memory();
  readonly servers: number;
  readonly events: NodeEvent[] = [];
  readonly sent: SentRpc[] = [];
  readonly logLines: string[] = [];
  raft!: Raft;

  constructor(private readonly options: BootOptions = {}) {
    this.servers = options.servers ?? 3;
    this.rt = new SimRuntime(options.seed ?? 1);
    const { term, votedFor, log } = options;
    if (term !== undefined || log) {
      const snapshotIndex = log?.snapshotIndex ?? 0;
      const terms = log?.terms ?? [];
      const state: PersistentState = {
        currentTerm: term ?? 0,
        votedFor: votedFor ?? -1,
        log: {
          snapshotIndex,
          snapshotTerm: log?.snapshotTerm ?? 0,
          terms,
          commands: log?.commands ?? terms.map((_, i) => `c${snapshotIndex + 1 + i}`),
        },
      };
      const bytes = codec.encode(state);
      if (log?.snapshot) this.persister.saveStateAndSnapshot(bytes, log.snapshot);
      else this.persister.saveRaftState(bytes);
    }
  }

  /** Run `body` on virtual time with a freshly made node (make() is called inside the run, as the tester does). */
  async run(body: (h: this) => Promise<void>): Promise<void> {
    await this.rt.run(async () => {
      this.boot();
      await this.settle();
      await body(this);
      this.raft.kill();
    });
  }

  /** make() the node from what the persister holds now (again, for a restart). */
  boot(): Raft {
    const me = 0;
    const peers: Peer[] = Array.from({ length: this.servers }, (_, peer) => ({
      call: <Reply,>(method: string, args: unknown): Promise<CallResult<Reply>> => this.#send(peer, method as Method, args) as Promise<CallResult<Reply>>,
    }));
    const persister = this.persister;
    const record = (state: Uint8Array, snapshot?: Uint8Array): void => {
      this.events.push({ kind: 'save', t: this.rt.now(), state: codec.decode<PersistentState>(state), ...(snapshot ? { snapshot } : {}) });
    };
    const observed = {
      saveRaftState: (state: Uint8Array) => {
        persister.saveRaftState(state);
        record(state);
      },
      saveStateAndSnapshot: (state: Uint8Array, snapshot: Uint8Array) => {
        persister.saveStateAndSnapshot(state, snapshot);
        record(state, snapshot);
      },
      readRaftState: () => persister.readRaftState(),
      readSnapshot: () => persister.readSnapshot(),
      raftStateSize: () => persister.raftStateSize(),
      snapshotSize: () => persister.snapshotSize(),
    };
    const applyCh = {
      send: async (msg: ApplyMsg): Promise<void> => {
        this.events.push({ kind: 'apply', t: this.rt.now(), msg });
        this.onApply?.(msg);
      },
      close: () => {
        throw new Error('the reference never closes applyCh');
      },
    };
    const runtime: RaftRuntime = {
      now: () => this.rt.now(),
      sleep: (ms) => this.rt.sleep(ms),
      timer: (callback) => this.rt.timer(callback),
      random: goRandom(this.rt.stream(`raft-${me}`)),
      encode: (value) => codec.encode(value),
      decode: <T,>(bytes: Uint8Array) => codec.decode<T>(bytes),
      log: (topic, message) => void this.logLines.push(`${topic} ${message}`),
      ...concurrency(this.rt, this.rt.stream(`select-${me}`), (error) => this.rt.fail(error)),
    };
    this.raft = new Raft(peers, me, observed, applyCh, runtime);
    return this.raft;
  }

  /** Called with each message the node applies, as the tester's applier would be (it may call back into the node). */
  onApply: ((msg: ApplyMsg) => void) | undefined;

  #send(peer: number, method: Method, args: unknown): Promise<CallResult<unknown>> {
    return new Promise((resolve) => {
      // Through the codec, as labrpc sends it: the test never shares an object with the node.
      const copy = codec.decode(codec.encode(args));
      const rpc: SentRpc = {
        t: this.rt.now(),
        peer,
        method,
        args: copy as never,
        answered: false,
        reply: (reply) => {
          rpc.answered = true;
          resolve({ ok: true, reply: codec.decode(codec.encode(reply)) });
        },
        lose: () => {
          rpc.answered = true;
          resolve({ ok: false });
        },
      };
      this.sent.push(rpc);
      this.events.push({ kind: 'send', t: rpc.t, peer, method });
    });
  }

  /** Let every pending continuation run (virtual time does not move). */
  async settle(): Promise<void> {
    await this.rt.sleep(0);
  }

  /** Let `ms` of virtual time pass. */
  async sleep(ms: number): Promise<void> {
    await this.rt.sleep(ms);
  }

  /** Wait (in virtual time, up to `withinMs`) until the node has sent an unanswered RPC matching `filter`. */
  async waitFor<M extends Method>(method: M, filter: (rpc: SentRpc<M>) => boolean = () => true, withinMs = 5000): Promise<SentRpc<M>> {
    const deadline = this.rt.now() + withinMs;
    for (;;) {
      const found = this.pending(method).find(filter);
      if (found) return found;
      if (this.rt.now() >= deadline) throw new Error(`no ${method} within ${withinMs} ms; sent: ${this.describeSent()}`);
      await this.sleep(1);
    }
  }

  /** Every RPC of one method the node sent, oldest first. */
  sentOf<M extends Method>(method: M): SentRpc<M>[] {
    return this.sent.filter((rpc): rpc is SentRpc<M> => rpc.method === method);
  }

  /** The unanswered RPCs of one method, oldest first. */
  pending<M extends Method>(method: M): SentRpc<M>[] {
    return this.sentOf(method).filter((rpc) => !rpc.answered);
  }

  describeSent(): string {
    return this.sent.map((r) => `${r.method}->${r.peer}@${r.t}${r.answered ? '' : '(pending)'}`).join(', ') || 'nothing';
  }

  /** Answer every pending RPC of `method` with `reply` (a function of the request). */
  async answerAll<M extends Method>(method: M, reply: (rpc: SentRpc<M>) => RpcTypes[M][1] | undefined): Promise<void> {
    for (const rpc of this.pending(method)) {
      const r = reply(rpc);
      if (r) rpc.reply(r);
    }
    await this.settle();
  }

  /** The node's state as last saved (decoded). */
  persisted(): PersistentState {
    return codec.decode<PersistentState>(this.persister.readRaftState());
  }

  saves(): Extract<NodeEvent, { kind: 'save' }>[] {
    return this.events.filter((e): e is Extract<NodeEvent, { kind: 'save' }> => e.kind === 'save');
  }

  applied(): ApplyMsg[] {
    return this.events.filter((e): e is Extract<NodeEvent, { kind: 'apply' }> => e.kind === 'apply').map((e) => e.msg);
  }

  /** Let the election timer fire and win the election with every vote; the node is then leader of the term it asked in. */
  async electLeader(): Promise<number> {
    const rv = await this.waitFor('Raft.RequestVote', () => true, 2100);
    const term = rv.args.term;
    await this.answerAll('Raft.RequestVote', (r) => (r.args.term === term ? { term, voteGranted: true } : undefined));
    if (!this.raft.getState().isLeader) throw new Error(`not leader after every vote; sent: ${this.describeSent()}`);
    return term;
  }
}

/** A log entry as AppendEntries carries it. */
export const entry = (index: number, term: number, command: unknown = `c${index}`) => ({ index, term, command });

/** The persisted log's entries as [term, command] pairs after its snapshot. */
export function persistedEntries(state: PersistentState): Array<[number, unknown]> {
  return state.log.terms.map((t, i) => [t, state.log.commands[i]]);
}

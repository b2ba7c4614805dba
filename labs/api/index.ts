/**
 * The Raft API of the 6.824 (2021) lab, in TypeScript. The tester calls `make` once per server (and again for each
 * restart) and then uses only what `RaftNode` declares, plus the RPC handlers a node exposes.
 *
 * An implementation is a folder whose `index.ts` exports `make: MakeRaft`. It needs no build step. Everything it
 * may use at run time arrives through `make`'s parameters, so the folder imports nothing but types and can live
 * anywhere (`raftlab test --impl DIR`).
 *
 * Go → TypeScript, for readers of the lab page:
 *   Make(peers, me, persister, applyCh)          → make(peers, me, persister, applyCh, runtime)
 *   rf.Start(command) (index, term, isLeader)    → node.start(command) → { index, term, isLeader }
 *   rf.GetState() (term, isLeader)               → node.getState() → { term, isLeader }
 *   rf.Snapshot(index, snapshot)                 → node.snapshot(index, snapshot)
 *   rf.CondInstallSnapshot(term, index, snap)    → node.condInstallSnapshot(term, index, snap)
 *   rf.Kill()                                    → node.kill()
 *   peers[i].Call("Raft.RequestVote", &a, &r)    → await peers[i].call('Raft.RequestVote', a) → { ok, reply }
 *   applyCh <- msg                               → await applyCh.send(msg)
 *   time.Sleep / time.Now / rand                 → runtime.sleep / runtime.now / runtime.random
 *   labgob encode / decode                       → runtime.encode / runtime.decode
 *   DPrintf                                      → runtime.log(topic, message, fields)
 */

/** What a node delivers on applyCh, once per committed entry (or installed snapshot), in index order. */
export interface ApplyMsg {
  commandValid: boolean;
  command: unknown;
  commandIndex: number;

  /** 2D: set (with commandValid false) when the node hands the service a snapshot from InstallSnapshot. */
  snapshotValid: boolean;
  snapshot: Uint8Array;
  snapshotTerm: number;
  snapshotIndex: number;
}

/**
 * The apply channel: a rendezvous, like the lab's unbuffered Go channel. `send` resolves only once the tester has
 * taken the message, and the tester may call back into the node (`snapshot`, `condInstallSnapshot`) before it takes
 * the next one: never hold anything those calls need while awaiting `send`.
 */
export interface ApplyChannel {
  send(msg: ApplyMsg): Promise<void>;
}

/** The outcome of an RPC: the reply, or `ok: false` when the request or the reply was lost or the peer is down. */
export type CallResult<Reply> = { readonly ok: true; readonly reply: Reply } | { readonly ok: false };

/**
 * A connection to one peer (labrpc's ClientEnd). `call` may take long to fail (up to 7 s to a disconnected peer)
 * and never throws for a network failure, so send RPCs concurrently and never wait on one before sending the next.
 * Arguments and replies are copied through the codec: the peer never sees your objects.
 */
export interface Peer {
  call<Reply = unknown>(method: string, args: unknown): Promise<CallResult<Reply>>;
}

/** Where a node keeps what must survive a crash (the lab's Persister): bytes, copied on save and on read. */
export interface Persister {
  saveRaftState(state: Uint8Array): void;
  /** Save the Raft state and a snapshot together, in one step (2D). */
  saveStateAndSnapshot(state: Uint8Array, snapshot: Uint8Array): void;
  readRaftState(): Uint8Array;
  readSnapshot(): Uint8Array;
  raftStateSize(): number;
  snapshotSize(): number;
}

/** A seeded random stream. */
export interface Random {
  /** Uniform integer in [0, n). */
  intn(n: number): number;
  /** Uniform float in [0, 1). */
  float(): number;
}

/** A one-shot timer that can be re-armed and stopped. */
export interface Timer {
  reset(delayMs: number): void;
  stop(): void;
  readonly active: boolean;
}

/** Log topics, as in the course's dslogs tooling: the trace viewer filters and colours by them. */
export const logTopics = [
  'TIMR', 'VOTE', 'LEAD', 'TERM', 'LOG1', 'LOG2', 'CMIT', 'PERS', 'SNAP', 'DROP', 'CLNT', 'TEST', 'INFO', 'WARN', 'ERRO', 'TRCE',
] as const;
export type LogTopic = (typeof logTopics)[number];

/**
 * Time, randomness, encoding and logging for one node. Use these instead of setTimeout, Date.now and Math.random:
 * in sim mode they run on virtual time, so a failing run replays exactly from its seed.
 */
export interface RaftRuntime {
  /** Milliseconds since the test started (virtual in sim mode). */
  now(): number;
  /** Resolves after `delayMs`. Once the test is over it never resolves, so your loops simply stop. */
  sleep(delayMs: number): Promise<void>;
  /** A stopped timer that calls `callback` whenever it fires. */
  timer(callback: () => void): Timer;
  /** This node's own random stream (seeded; independent of the network's and the tester's). */
  readonly random: Random;
  /** Encode a value to bytes with the harness codec (labgob's counterpart), e.g. for the persister. */
  encode(value: unknown): Uint8Array;
  decode<T = unknown>(bytes: Uint8Array): T;
  /** A structured log line, kept in the run's trace with the time, node and topic. */
  log(topic: LogTopic, message: string, fields?: Record<string, unknown>): void;
}

export interface StartResult {
  /** The index the command will appear at if it is ever committed. */
  index: number;
  term: number;
  isLeader: boolean;
}

/**
 * One Raft peer, as the tester sees it. RPC handlers are the node's methods whose names begin with an upper-case
 * letter (`RequestVote`, `AppendEntries`, `InstallSnapshot`): the tester registers them as the service `Raft`, and
 * a peer reaches them with `call('Raft.RequestVote', args)`. A handler takes the arguments and returns the reply
 * (or a promise of it).
 */
export interface RaftNode {
  /** Agree on `command` (if leader). Returns at once; never waits for agreement. */
  start(command: unknown): StartResult;
  getState(): { term: number; isLeader: boolean };
  /** 2D: the service has a snapshot of everything up to and including `index`; the log before it may go. */
  snapshot(index: number, snapshot: Uint8Array): void;
  /** 2D: switch to this snapshot (received as an ApplyMsg) unless it is stale; return whether you did. */
  condInstallSnapshot(lastIncludedTerm: number, lastIncludedIndex: number, snapshot: Uint8Array): boolean;
  /** The tester is done with this node (a crash, or the end of the test): stop every loop and deliver nothing more. */
  kill(): void;
}

export type MakeRaft = (
  peers: Peer[],
  me: number,
  persister: Persister,
  applyCh: ApplyChannel,
  runtime: RaftRuntime,
) => RaftNode;

/**
 * What a node's persisted Raft state holds, in the terms of Figure 2, for raftlab's safety checker (`raftlab run
 * --check`, `raftlab check`). The tester cannot read your encoding by itself: export `describeState` from your
 * `index.ts` and it reads this instead (see `DescribeState`).
 */
export interface PersistedStateDescription {
  currentTerm: number;
  /** The server index this node voted for in currentTerm; null: no vote in currentTerm. */
  votedFor: number | null;
  /**
   * The log after the snapshot: terms[i] and commands[i] are the term and command of the entry at index
   * firstIndex + i. firstIndex is the snapshot's lastIncludedIndex + 1 (1 without a snapshot). A dummy entry that
   * stands for the snapshot (or for index 0) is not part of it. The commands are the values start() was given.
   */
  log: { firstIndex: number; terms: number[]; commands: unknown[] };
}

/**
 * Optional export of an implementation's `index.ts`: `export function describeState(raftState, decode)`. It gets
 * the bytes your Raft passed to `persister.saveRaftState` (or `saveStateAndSnapshot`) and the codec's decode (the
 * same as `runtime.decode`), and says what they hold. It must be a pure reading: no side effects, no randomness.
 * The tester calls it on every save of a traced run; if it throws or returns something that is not a
 * PersistedStateDescription, the run ends with an error (DESCRIBE_STATE_INVALID) naming the server and the field.
 *
 *   export function describeState(raftState: Uint8Array, decode: (bytes: Uint8Array) => unknown): PersistedStateDescription {
 *     const s = decode(raftState) as { currentTerm: number; votedFor: number; log: LogEntry[]; lastIncludedIndex: number };
 *     return {
 *       currentTerm: s.currentTerm,
 *       votedFor: s.votedFor === -1 ? null : s.votedFor,
 *       log: { firstIndex: s.lastIncludedIndex + 1, terms: s.log.slice(1).map((e) => e.term), commands: s.log.slice(1).map((e) => e.command) },
 *     };
 *   }
 *
 * Without it, the tester reads the decoded state by field names and reads only what is certain (see
 * src/harness/tester/persisted-log.ts): `currentTerm` (or `term`), `votedFor` (a server index; -1 or null for none),
 * and `log`, either column-wise `{ snapshotIndex, snapshotTerm, terms, commands }` or an array of
 * `{ term, command }` entries (with an optional `index` each; a first entry without a command, or of term 0, stands
 * for the snapshot), the snapshot's base at the top level as `lastIncludedIndex` / `snapshotIndex` / `baseIndex`.
 * A state with other top-level fields, or whose base cannot be found, is not guessed at: the checker skips the
 * rules that need it and says so. A vote read by field names is trusted only once the trace shows a candidate
 * saving votedFor = itself with its term.
 *
 * The checker reads RPC arguments and replies by Figure 2's names, with either capitalisation of the first letter:
 * term, candidateId, prevLogIndex, entries (each with a term), leaderCommit, lastIncludedIndex; voteGranted,
 * success. A rule whose inputs a trace does not have is skipped, and the result says which and why.
 */
export type DescribeState = (raftState: Uint8Array, decode: (bytes: Uint8Array) => unknown) => PersistedStateDescription;

/** What an implementation folder's `index.ts` exports. */
export interface RaftModule {
  make: MakeRaft;
  /** Optional: how the safety checker reads this implementation's persisted state. */
  describeState?: DescribeState;
}

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
 *   time.Sleep / time.Now / rand.Intn(n)         → await runtime.sleep(ms) / runtime.now() / runtime.random.intn(n)
 *   labgob encode / decode                       → runtime.encode / runtime.decode
 *   DPrintf                                      → runtime.log(topic, message, fields)
 *
 * Go's concurrency, for code ported from a Go Raft (each works on both clocks; see "Concurrency" below):
 *   go f()                                       → runtime.go(() => f())
 *   var mu sync.Mutex; mu.Lock(); mu.Unlock()    → const mu = runtime.mutex(); await mu.lock(); mu.unlock()
 *   mu.Lock() in Start/GetState/Snapshot/Kill    → mu.lockSync() (those calls cannot wait: see Mutex.lockSync)
 *   sync.NewCond(&mu); c.Wait(); c.Signal()      → const c = runtime.cond(mu); await c.wait(); c.signal()
 *   make(chan T) / make(chan T, n)               → runtime.chan<T>() / runtime.chan<T>(n)
 *   ch <- v / v := <-ch / v, ok := <-ch          → await ch.send(v) / await ch.recv() / const [v, ok] = await ch.recvOk()
 *   close(ch) / for v := range ch                → ch.close() / for await (const v of ch)
 *   select { case v := <-a: … case b <- x: … }   → const c = await runtime.select([{ recv: a }, { send: b, value: x }]); c.index
 *   select { … default: … }                      → await runtime.select([...], { default: true }) (index -1: default)
 *   <-time.After(d) in a select                  → { recv: runtime.after(ms) }
 *   var wg sync.WaitGroup; wg.Add(1); wg.Done()  → const wg = runtime.waitGroup(); wg.add(1); wg.done(); await wg.wait()
 *   rand.Int() / rand.Int63() / rand.Float64()   → runtime.random.int() / .int63() / .float64() (53 bits: see Random)
 *   every exported method is an RPC handler      → list them: `readonly rpcMethods = ['RequestVote', …]` (RaftNode)
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
 * The apply channel: a rendezvous, like the lab's unbuffered Go channel (it is one: a `Chan` the tester receives
 * from, so it can be a case of `runtime.select`). `send` resolves only once the tester has taken the message, and
 * the tester may call back into the node (`snapshot`, `condInstallSnapshot`) before it takes the next one: never hold
 * anything those calls need (your mutex) while awaiting `send`.
 */
export interface ApplyChannel extends SendChan<ApplyMsg> {
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

/**
 * A seeded random stream, with the names of Go's math/rand. JavaScript numbers hold integers exactly up to 2^53, so
 * `int()` and `int63()` are uniform over [0, 2^53) rather than Go's [0, 2^63): as random, and as unlikely to collide.
 */
export interface Random {
  /** rand.Intn(n): uniform integer in [0, n). */
  intn(n: number): number;
  /** Uniform float in [0, 1) (the same as float64()). */
  float(): number;
  /** rand.Int(): a uniform non-negative integer, below 2^53. */
  int(): number;
  /** rand.Int63(): the same as int(). */
  int63(): number;
  /** rand.Int31(): uniform integer in [0, 2^31). */
  int31(): number;
  /** rand.Int31n(n) / rand.Int63n(n): uniform integer in [0, n), like intn. */
  int31n(n: number): number;
  int63n(n: number): number;
  /** rand.Float64(): uniform float in [0, 1). */
  float64(): number;
  /** rand.Perm(n): a random permutation of 0..n-1. */
  perm(n: number): number[];
  /** rand.Shuffle(n, swap). */
  shuffle(n: number, swap: (i: number, j: number) => void): void;
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

  // --- Go's concurrency (see "Concurrency" below) ---------------------------------------------------------------

  /**
   * `go f()`: start `fn` as a task of its own, later — after the code that called `go` reaches its next `await` or
   * returns, as a goroutine starts — never in the middle of the caller. If it throws (or its promise rejects) the
   * run fails with that error, as a panic in a goroutine ends a Go program.
   */
  go(fn: () => unknown): void;
  /** `var mu sync.Mutex`: unlocked. */
  mutex(): Mutex;
  /** `sync.NewCond(&mu)`: a condition variable whose wait() releases and re-takes `locker`. */
  cond(locker: Mutex): Cond;
  /** `make(chan T)` (capacity 0: every send waits for its receiver) or `make(chan T, capacity)`. */
  chan<T>(capacity?: number): Chan<T>;
  /**
   * `select`: wait until one of the cases can go ahead, do it, and say which (`index`, and for a receive `value` and
   * `ok`). When several can, one is chosen at random, as in Go. With `{ default: true }` it never waits: index -1
   * when no case could go ahead at once. A case with no channel (`{ recv: null }`), like a nil channel in Go, is
   * never chosen.
   */
  select<const C extends readonly SelectCase[]>(cases: C, options?: { default?: boolean }): Promise<Selected<C>>;
  /** `time.After(d)`: a channel that receives `now()` once, `delayMs` from now. */
  after(delayMs: number): RecvChan<number>;
  /** `var wg sync.WaitGroup`. */
  waitGroup(): WaitGroup;
}

/*
 * Concurrency. JavaScript runs one piece of code at a time, until it reaches an `await`; raftlab's tasks are Go's
 * goroutines with that one difference. On the simulated clock a scheduler decides what runs next: tasks that become
 * ready (a goroutine starting, a channel hand-off, a mutex or condition variable waking a waiter, an RPC reaching its
 * handler or its reply reaching the caller, a message on applyCh) run in a seeded random order after a small seeded
 * delay, as they would on a real machine, so the interleavings Go produces occur here too, and the same seed still
 * gives the same run. (The chaos knob `interleave` turns this up, or off: `--chaos interleave=0`.) On the real clock
 * they run on the event loop's next turn.
 *
 * Go's rules carry over: a mutex's holder may await (it keeps the mutex meanwhile); a cond's wait() must be called
 * holding its mutex, in a loop that re-checks the condition; a signal with no waiter is lost; sending on a closed
 * channel, closing one twice and unlocking an unlocked mutex throw, as Go panics.
 */

/** Go's sync.Mutex. Not re-entrant, as in Go: locking it again from its holder waits for ever. */
export interface Mutex {
  /** mu.Lock(): resolves once the caller holds the mutex. */
  lock(): Promise<void>;
  /** mu.TryLock(): take it if it is free; whether it was taken. */
  tryLock(): boolean;
  /**
   * mu.Lock() for the calls the tester makes synchronously (start, getState, snapshot, condInstallSnapshot, kill),
   * which cannot wait. It takes the mutex when it is free, as it always is when every holder unlocks before its
   * next `await` (waiting in cond.wait() releases it). If a task holds it across an `await` (an RPC, a sleep,
   * `applyCh.send`), it throws instead of waiting: Go's Lock would block there, and if the holder is waiting for the
   * tester (on applyCh) that is a deadlock.
   */
  lockSync(): void;
  /** mu.Unlock(): throws if the mutex is not locked. */
  unlock(): void;
  /** Whether some task holds it. */
  readonly locked: boolean;
}

/** Go's sync.Cond, with Go's semantics. */
export interface Cond {
  /**
   * c.Wait(): release the mutex, park until a later signal() or broadcast(), take the mutex again, return. Call it
   * holding the mutex, in a loop: `while (!ready()) await c.wait();`.
   */
  wait(): Promise<void>;
  /** c.Signal(): wake the longest-parked waiter, if any. A signal with nobody waiting is lost. */
  signal(): void;
  /** c.Broadcast(): wake every waiter parked now. */
  broadcast(): void;
}

/** The sending side of a channel (`chan<- T`). */
export interface SendChan<T> {
  /** ch <- v: resolves once the value is in the buffer or, unbuffered, taken by a receiver. Throws if closed. */
  send(value: T): Promise<void>;
  /** close(ch): receivers get what is buffered, then `undefined` / ok false. Throws if already closed. */
  close(): void;
}

/** The receiving side of a channel (`<-chan T`). */
export interface RecvChan<T> extends AsyncIterable<T> {
  /** v := <-ch: the next value; `undefined` once the channel is closed and drained. */
  recv(): Promise<T | undefined>;
  /** v, ok := <-ch: ok is false once the channel is closed and drained. */
  recvOk(): Promise<[value: T, ok: true] | [value: undefined, ok: false]>;
  /** len(ch): values buffered now. */
  readonly length: number;
  /** cap(ch). */
  readonly capacity: number;
}

/** Go's `chan T`, from `runtime.chan<T>(capacity)`. `for await (const v of ch)` is `for v := range ch`. */
export interface Chan<T> extends SendChan<T>, RecvChan<T> {}

/** A case of `runtime.select`: receive from a channel, or send a value on one. A null channel never goes ahead. */
export type SelectCase = { readonly recv: RecvChan<unknown> | null } | { readonly send: SendChan<unknown> | null; readonly value: unknown };

/** What `runtime.select` did: the case's index (-1: default) and, for a receive, the value and whether ok. */
export type Selected<C extends readonly SelectCase[]> =
  | { [K in keyof C]: K extends `${infer I extends number}` ? SelectedCase<I, C[K]> : never }[number]
  | { readonly index: -1; readonly value: undefined; readonly ok: false };
type SelectedCase<I extends number, Case> = Case extends { readonly recv: RecvChan<infer T> | null }
  ? { readonly index: I; readonly value: T | undefined; readonly ok: boolean }
  : { readonly index: I; readonly value: undefined; readonly ok: true };

/** Go's sync.WaitGroup. */
export interface WaitGroup {
  /** wg.Add(delta): throws if the counter would go negative. */
  add(delta: number): void;
  /** wg.Done(): add(-1). */
  done(): void;
  /** wg.Wait(): resolves once the counter is zero. */
  wait(): Promise<void>;
}

export interface StartResult {
  /** The index the command will appear at if it is ever committed. */
  index: number;
  term: number;
  isLeader: boolean;
}

/**
 * One Raft peer, as the tester sees it. Its RPC handlers are the methods `rpcMethods` names (or, without it, every
 * method whose name begins with an upper-case letter): the tester registers them as the service `Raft`, and a peer
 * reaches them with `call('Raft.RequestVote', args)`. A handler takes the arguments and returns the reply (or a
 * promise of it).
 */
export interface RaftNode {
  /**
   * The names of this node's RPC handlers, e.g. `['RequestVote', 'AppendEntries', 'InstallSnapshot']`: only these are
   * reachable by `call`, so upper-case helpers (`AssertTrue`, `ReadSnapshot`) are not. A name that is not a method of
   * the node is an error when it starts. Leave it out and every upper-case method is a handler.
   */
  readonly rpcMethods?: readonly string[];
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

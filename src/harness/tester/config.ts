/**
 * The course's config.go, ported: it builds a cluster of Raft peers on a simulated network, crashes and restarts
 * them, partitions them, and checks what they agree on. Same loop counts, sleeps, timeouts and failure messages as
 * the original (spec §4); the exceptions are named where they occur.
 */
import type { ApplyMsg, DescribeState, LogTopic, MakeRaft, Persister as RaftPersister, RaftNode, RaftRuntime } from '../../../labs/api/index.ts';
import type { ChaosKnobs } from '../chaos.ts';
import { Codec } from '../codec/index.ts';
import { Network, Server, makeService, type ClientEnd, type NetObserver } from '../labrpc/index.ts';
import { Persister, persisterFile } from '../persister/index.ts';
import {
  DescribeStateError,
  persistedLogDelta,
  readDescription,
  readPersistedState,
  type LogLayout,
  type PersistedLogDelta,
  type PersistedLogView,
  type PersistedStateReading,
} from './persisted-log.ts';
import type { Rng, Runtime } from '../runtime/index.ts';
import { RendezvousChannel } from './apply-channel.ts';
import { TestFailure, fmtV, type TestingT } from './failure.ts';
import type { TesterTraceEvent } from '../../trace/schema.ts';

/** The tester's generous election budget (test_test.go's RaftElectionTimeout). */
export const raftElectionTimeoutMs = 1000;
/** applierSnap asks for a snapshot after every 10 applied commands. */
export const snapshotInterval = 10;
/** A test that ran longer than this since makeConfig fails at end()/cleanup(). */
export const testTimeLimitMs = 120_000;

/** One line of an implementation's `runtime.log`, as the trace and `--verbose` see it. */
export interface NodeLogLine {
  readonly atMs: number;
  readonly node: number;
  readonly topic: LogTopic;
  readonly message: string;
  readonly fields: Record<string, unknown> | undefined;
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
type TesterTraceInput = DistributiveOmit<TesterTraceEvent, 't'>;

export interface ConfigEnv {
  t: TestingT;
  runtime: Runtime;
  make: MakeRaft;
  /** The tester's own random stream (Go's math/rand in test_test.go and config.go). */
  random: Rng;
  codec: Codec;
  /** Keep each node's persister in a readable JSON file under this folder (default: memory). */
  persistDir?: string | undefined;
  onLog?: ((line: NodeLogLine) => void) | undefined;
  netObserver?: NetObserver | undefined;
  /**
   * Trace hook: every tester event (see TesterTraceEvent). Reading it never changes a run: no random draws, no
   * timers, only pure reads (getState) and decodes. Unset, the config behaves exactly as without it.
   */
  onTraceEvent?: ((event: TesterTraceEvent) => void) | undefined;
  /** Called with the config as soon as it exists, so the runner can clean it up if the test throws. */
  onConfig?: ((cfg: Config) => void) | undefined;
  /** Harsher conditions than the course's (src/harness/chaos.ts); off by default. */
  chaos?: ChaosKnobs | undefined;
  /**
   * The implementation's describeState (labs/api), if it exports one: how a traced persist's term, vote and log are
   * read. Without it, persisted-log.ts reads field names.
   */
  describeState?: DescribeState | undefined;
}

type Applier = (i: number, applyCh: RendezvousChannel) => Promise<void>;

export class Config {
  readonly t: TestingT;
  readonly net: Network;
  readonly n: number;
  readonly rafts: Array<RaftNode | null>;
  readonly applyErr: string[];
  readonly connected: boolean[];
  readonly saved: Array<Persister | null>;
  /** endnames[i][j]: the name of server i's outgoing end to server j. */
  readonly endnames: string[][];
  /** logs[i]: the committed commands server i has applied, by index. Survives crashes, as in the original. */
  readonly logs: Array<Map<number, unknown>>;
  readonly #env: ConfigEnv;
  readonly #rt: Runtime;
  readonly #random: Rng;
  readonly #applier: Applier;
  readonly startMs: number;
  #t0Ms = 0;
  #rpcs0 = 0;
  #bytes0 = 0;
  maxIndex = 0;
  #maxIndex0 = 0;
  /** How many times each server has been (re)started, for readable, unique end names. */
  readonly #generation: number[];
  /** Each node's last persisted log as traces saw it (it survives crashes, as the persisted state does). */
  readonly #persistedLogs: Array<PersistedLogView | undefined> = [];
  /** Whether this implementation's array logs keep a dummy first entry, once a state has shown it. */
  #logLayout: LogLayout | undefined;
  /** The trace hook, if tracing; and each node's last (term, isLeader) the trace reported. */
  readonly #onTrace: ((event: TesterTraceEvent) => void) | undefined;
  readonly #traceState: Array<{ term: number; isLeader: boolean } | undefined>;

  constructor(env: ConfigEnv, n: number, unreliable: boolean, snapshot: boolean) {
    this.#env = env;
    this.t = env.t;
    this.#rt = env.runtime;
    this.#random = env.random;
    this.n = n;
    this.#onTrace = env.onTraceEvent;
    this.#traceState = Array.from({ length: n }, () => undefined);
    const netObserver = env.netObserver;
    const observer: NetObserver | undefined = this.#onTrace
      ? (event) => {
          netObserver?.(event);
          this.#pollStates();
        }
      : netObserver;
    this.net = new Network(env.runtime, { codec: env.codec, observer, ...(env.chaos ? { chaos: env.chaos } : {}) });
    this.rafts = Array.from({ length: n }, () => null);
    this.applyErr = Array.from({ length: n }, () => '');
    this.connected = Array.from({ length: n }, () => false);
    this.saved = Array.from({ length: n }, () => null);
    this.endnames = Array.from({ length: n }, () => []);
    this.logs = Array.from({ length: n }, () => new Map());
    this.#generation = Array.from({ length: n }, () => 0);
    this.startMs = this.#rt.now();
    env.onConfig?.(this);

    this.setUnreliable(unreliable);
    this.net.longDelays(true);
    this.#applier = snapshot ? this.applierSnap : this.applier;
    // Create a full set of Rafts, each isolated, then connect them all.
    for (let i = 0; i < n; i++) this.start1(i, this.#applier);
    for (let i = 0; i < n; i++) this.connect(i);
    this.#startChaosFaults();
  }

  /**
   * Chaos knobs crashesPerMinute / partitionsPerMinute: at random moments (a Poisson process on the test's clock),
   * reboot a running server, or disconnect a connected one and reconnect it 0.5..2 s later unless the test has
   * meanwhile done something to that server itself.
   */
  #startChaosFaults(): void {
    const chaos = this.#env.chaos;
    const rng = this.#rt.stream('chaos-faults');
    const loop = async (perMinute: number, act: (i: number) => (() => void) | undefined): Promise<void> => {
      while (!this.#cleanedUp) {
        await this.#rt.sleep(Math.ceil((-Math.log(1 - rng.float()) * 60_000) / perMinute));
        if (this.#cleanedUp) return;
        const undo = act(rng.intn(this.n));
        if (!undo) continue;
        await this.#rt.sleep(500 + rng.intn(1501));
        if (!this.#cleanedUp) undo();
      }
    };
    const fail = (error: unknown): void => this.#rt.fail(error);
    if (chaos?.crashesPerMinute) {
      // A reboot: crash and restart from the persisted state at once, as start1() on a live server does
      // (TestPersist12C). The server is never missing, so tests that do not expect a crash still run, and a
      // forgotten vote or log entry meets the requests that follow within milliseconds.
      void loop(chaos.crashesPerMinute, (i) => {
        if (!this.rafts[i]) return undefined;
        const wasConnected = this.connected[i];
        this.crash1(i);
        this.start1(i, this.#applier);
        if (wasConnected) this.connect(i);
        return undefined;
      }).catch(fail);
    }
    if (chaos?.partitionsPerMinute) {
      void loop(chaos.partitionsPerMinute, (i) => {
        if (!this.connected[i] || !this.rafts[i]) return undefined;
        this.disconnect(i);
        const raft = this.rafts[i];
        return () => {
          if (!this.connected[i] && this.rafts[i] === raft) this.connect(i);
        };
      }).catch(fail);
    }
  }


  /** Shut down server i but keep its persisted state. */
  crash1(i: number): void {
    this.disconnect(i);
    this.net.deleteServer(i); // disable client connections to the server
    // A fresh persister, so the old instance doesn't overwrite the new one's persisted state.
    const saved = this.saved[i];
    if (saved) this.saved[i] = saved.copy();
    const rf = this.rafts[i];
    if (rf) {
      this.rafts[i] = null;
      this.#callNode(i, 'kill()', () => rf.kill());
      if (this.#onTrace) {
        this.#traceState[i] = undefined;
        this.#trace({ kind: 'crash', node: i });
      }
    }
    const current = this.saved[i];
    if (current) {
      const raftlog = current.readRaftState();
      const snapshot = current.readSnapshot();
      const fresh = this.#makePersister(i);
      fresh.saveStateAndSnapshot(raftlog, snapshot);
      this.saved[i] = fresh;
    }
  }

  /**
   * Start or restart server i: crash it first if it is running, give it fresh outgoing ends (the old instance's ends
   * stay disabled for ever, so a zombie cannot talk), a copy of its persister, and a new applyCh. The caller must
   * connect(i) to put it on the network.
   */
  start1(i: number, applier: Applier = this.#applier): void {
    this.crash1(i);
    const generation = ++this.#generation[i]!;
    this.endnames[i] = Array.from({ length: this.n }, (_, j) => `${i}->${j}#${generation}`);
    const ends: ClientEnd[] = [];
    for (let j = 0; j < this.n; j++) {
      ends.push(this.net.makeEnd(this.endnames[i]![j]!));
      this.net.connect(this.endnames[i]![j]!, j);
    }
    const saved = this.saved[i];
    this.saved[i] = saved ? saved.copy() : this.#makePersister(i);

    const applyCh = new RendezvousChannel();
    // The original starts the applier before Make, so a Raft may deliver before make() returns.
    void applier.call(this, i, applyCh).catch((error: unknown) => this.#rt.fail(error));
    if (this.#onTrace) this.#trace({ kind: 'restart', node: i, generation });
    const persister = this.#onTrace ? this.#tracedPersister(i, this.saved[i]!) : this.saved[i]!;
    const rf = this.#callNode(i, 'make()', () => this.#env.make(ends, i, persister, applyCh, this.#nodeRuntime(i)));
    if (!rf || typeof rf !== 'object') {
      throw new TypeError(`make() for server ${i} returned ${fmtV(rf)}, not a Raft node`);
    }
    // Tracing sees every start(), the tester's and the tests' own (cfg.rafts[i].start), through a thin proxy.
    this.rafts[i] = this.#onTrace ? this.#tracedNode(i, rf) : rf;
    const srv = new Server();
    srv.addService(makeService('Raft', rf));
    this.net.addServer(i, srv);
  }

  // --- Tracing (only when env.onTraceEvent is set) --------------------------------------------------------------

  #trace(event: TesterTraceInput): void {
    const onTrace = this.#onTrace;
    if (!onTrace) return;
    onTrace({ t: this.#rt.now(), ...event } as TesterTraceEvent);
    this.#pollStates();
  }

  /** Report each running node's (term, isLeader) when it differs from what was last reported. A pure read. */
  #pollStates(): void {
    const onTrace = this.#onTrace;
    if (!onTrace) return;
    for (let i = 0; i < this.n; i++) {
      const rf = this.rafts[i];
      if (!rf) continue;
      let state: { term: number; isLeader: boolean };
      try {
        state = rf.getState();
      } catch {
        continue; // the tester's own getState calls report a throwing implementation
      }
      const last = this.#traceState[i];
      if (last && last.term === state.term && last.isLeader === state.isLeader) continue;
      this.#traceState[i] = { term: state.term, isLeader: state.isLeader };
      onTrace({ t: this.#rt.now(), kind: 'state', node: i, term: state.term, isLeader: state.isLeader });
    }
  }

  /** Read a saved state for the trace: through describeState (a malformed answer is the implementation's bug), or by field names. */
  #readSavedState(i: number, state: Uint8Array): PersistedStateReading & { source: 'describeState' | 'fields' } {
    const describe = this.#env.describeState;
    const codec = this.#env.codec;
    if (describe) {
      let description: unknown;
      try {
        description = describe(state, (bytes) => codec.decode(bytes));
      } catch (error) {
        throw new DescribeStateError(`server ${i}: describeState threw: ${error instanceof Error ? error.message : fmtV(error)}`, { cause: error });
      }
      try {
        return { ...readDescription(description, this.n), source: 'describeState' };
      } catch (error) {
        throw error instanceof DescribeStateError ? new DescribeStateError(`server ${i}: ${error.message}`) : error;
      }
    }
    let decoded: unknown;
    try {
      decoded = codec.decode(state);
    } catch {
      return { logUnreadable: 'the persisted state does not decode with the codec (runtime.encode)', source: 'fields' };
    }
    const reading = readPersistedState(decoded, this.#logLayout);
    if (reading.layout) this.#logLayout ??= reading.layout;
    return { ...reading, source: 'fields' };
  }

  /**
   * The persister node i sees while tracing: the same one, reporting each save with what it holds. A save by a crashed
   * incarnation (its persister is no longer the node's) is marked detached and changes no stable log.
   */
  #tracedPersister(i: number, p: Persister): RaftPersister {
    const report = (state: Uint8Array, snapshot: Uint8Array | undefined): void => {
      let reading;
      try {
        reading = this.#readSavedState(i, state);
      } catch (error) {
        this.#rt.fail(error);
        reading = { source: 'describeState' as const, logUnreadable: 'describeState failed' };
      }
      const { term, votedFor, log: view, logUnreadable, source } = reading;
      const detached = this.saved[i] !== p;
      let log: PersistedLogDelta | undefined;
      if (!detached) {
        log = view ? persistedLogDelta(this.#persistedLogs[i], view) : undefined;
        // After an unreadable save, the next readable one is reported whole.
        this.#persistedLogs[i] = view;
      }
      this.#trace({
        kind: 'persist', node: i, bytes: state.length, snapshotBytes: snapshot?.length, term, votedFor,
        ...(log ? { log } : {}), ...(logUnreadable ? { logUnreadable } : {}), source, ...(detached ? { detached: true } : {}),
      });
    };
    return {
      saveRaftState: (state) => {
        p.saveRaftState(state);
        report(state, undefined);
      },
      saveStateAndSnapshot: (state, snapshot) => {
        p.saveStateAndSnapshot(state, snapshot);
        report(state, snapshot);
      },
      readRaftState: () => p.readRaftState(),
      readSnapshot: () => p.readSnapshot(),
      raftStateSize: () => p.raftStateSize(),
      snapshotSize: () => p.snapshotSize(),
    };
  }

  /** Node i as the tester and the tests see it while tracing: the node itself, with start() reported. */
  #tracedNode(i: number, rf: RaftNode): RaftNode {
    const start = (command: unknown): ReturnType<RaftNode['start']> => {
      const r = rf.start(command);
      if (r && typeof r === 'object') {
        this.#trace({ kind: 'start', node: i, command, index: r.index, term: r.term, isLeader: r.isLeader });
      }
      return r;
    };
    return new Proxy(rf, {
      get(target, prop) {
        if (prop === 'start') return start;
        const value: unknown = Reflect.get(target, prop, target);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
  }

  #makePersister(i: number): Persister {
    const dir = this.#env.persistDir;
    return dir ? Persister.file(persisterFile(dir, i), { node: i, codec: this.#env.codec }) : Persister.memory();
  }

  /** The runtime a node sees: the run's clock, its own random stream, the codec, and logging tagged with the node. */
  #nodeRuntime(i: number): RaftRuntime {
    const rt = this.#rt;
    const codec = this.#env.codec;
    const onLog = this.#env.onLog;
    // Chaos timerQuantumMs: every timer and sleep fires on a grid, so nodes time out together.
    const quantumMs = this.#env.chaos?.timerQuantumMs;
    const onGrid = quantumMs ? (ms: number): number => Math.ceil((rt.now() + ms) / quantumMs) * quantumMs - rt.now() : (ms: number): number => ms;
    return {
      now: () => rt.now(),
      sleep: (ms) => rt.sleep(onGrid(ms)),
      timer: (callback) => {
        const timer = rt.timer(callback);
        if (!quantumMs) return timer;
        return {
          reset: (ms: number) => timer.reset(onGrid(ms)),
          stop: () => timer.stop(),
          get active() {
            return timer.active;
          },
        };
      },
      random: rt.stream(`raft-${i}`),
      encode: (value) => codec.encode(value, `server ${i} encode`),
      decode: <T,>(bytes: Uint8Array) => codec.decode<T>(bytes),
      log: (topic, message, fields) => onLog?.({ atMs: rt.now(), node: i, topic, message, fields }),
    };
  }

  /** Call into the implementation; if it throws, say which server and which call. */
  #callNode<T>(i: number, what: string, fn: () => T): T {
    try {
      return fn();
    } catch (error) {
      if (error instanceof TestFailure) throw error;
      const message = error instanceof Error ? error.message : fmtV(error);
      throw new ImplementationError(`server ${i}: ${what} threw: ${message}`, error);
    }
  }

  #getState(i: number): { term: number; isLeader: boolean } {
    const rf = this.rafts[i];
    if (!rf) throw new Error(`harness bug: GetState on server ${i}, which is not running`);
    return this.#callNode(i, 'getState()', () => rf.getState());
  }

  /** checkLogs: record an applied command and compare it with every other server's; the caller reports errors. */
  checkLogs(i: number, m: ApplyMsg): { errMsg: string; prevOk: boolean } {
    let errMsg = '';
    const v = m.command;
    for (let j = 0; j < this.logs.length; j++) {
      const log = this.logs[j]!;
      if (log.has(m.commandIndex) && log.get(m.commandIndex) !== v) {
        // some server has already committed a different value for this entry!
        errMsg = `commit index=${m.commandIndex} server=${i} ${fmtV(m.command)} != server=${j} ${fmtV(log.get(m.commandIndex))}`;
      }
    }
    const prevOk = this.logs[i]!.has(m.commandIndex - 1);
    this.logs[i]!.set(m.commandIndex, v);
    if (m.commandIndex > this.maxIndex) this.maxIndex = m.commandIndex;
    return { errMsg, prevOk };
  }

  /**
   * The original ends the whole test binary with log.Fatalf on an apply error; here the test fails with the same
   * message and the next test carries on.
   */
  #applyError(errMsg: string): never {
    const failure = new TestFailure(`apply error: ${errMsg}`);
    this.#rt.fail(failure);
    throw failure;
  }

  /** The checks both appliers make on an applied command. */
  #checkApplied(i: number, m: ApplyMsg): void {
    const checked = this.checkLogs(i, m);
    let errMsg = checked.errMsg;
    if (m.commandIndex > 1 && !checked.prevOk) errMsg = `server ${i} apply out of order ${m.commandIndex}`;
    if (errMsg !== '') this.#applyError(errMsg);
  }

  /** Applier for 2A-2C: check that committed commands agree across servers and arrive in order. */
  readonly applier: Applier = async (i, applyCh) => {
    for (;;) {
      const m = await applyCh.receive();
      if (!m.commandValid) continue; // ignore other types of ApplyMsg
      if (this.#onTrace) this.#trace({ kind: 'apply', node: i, index: m.commandIndex, command: m.command });
      this.#checkApplied(i, m);
    }
  };

  /** Applier for 2D: also installs snapshots, and asks for one every `snapshotInterval` commands. */
  readonly applierSnap: Applier = async (i, applyCh) => {
    let lastApplied = 0;
    for (;;) {
      const m = await applyCh.receive();
      if (m.snapshotValid) {
        const rf = this.#currentRaft(i, 'a snapshot');
        const installed = this.#callNode(i, 'condInstallSnapshot()', () => rf.condInstallSnapshot(m.snapshotTerm, m.snapshotIndex, m.snapshot));
        if (this.#onTrace) {
          this.#trace({ kind: 'apply-snapshot', node: i, index: m.snapshotIndex, term: m.snapshotTerm, bytes: m.snapshot?.length ?? 0, installed: !!installed });
        }
        if (installed) {
          this.logs[i] = new Map();
          let v: unknown;
          try {
            v = this.#env.codec.decode(m.snapshot);
          } catch {
            v = undefined;
          }
          if (!Number.isInteger(v)) this.#applyError('decode error');
          this.logs[i]!.set(m.snapshotIndex, v);
          lastApplied = m.snapshotIndex;
        }
      } else if (m.commandValid && m.commandIndex > lastApplied) {
        if (this.#onTrace) this.#trace({ kind: 'apply', node: i, index: m.commandIndex, command: m.command });
        this.#checkApplied(i, m);
        lastApplied = m.commandIndex;
        if ((m.commandIndex + 1) % snapshotInterval === 0) {
          const snapshot = this.#env.codec.encode(m.command, 'snapshot');
          const rf = this.#currentRaft(i, 'command ' + m.commandIndex);
          if (this.#onTrace) this.#trace({ kind: 'snapshot', node: i, index: m.commandIndex, bytes: snapshot.length });
          this.#callNode(i, 'snapshot()', () => rf.snapshot(m.commandIndex, snapshot));
        }
      }
      // Ignore other types of ApplyMsg, and commands at or below a snapshot.
    }
  };

  /**
   * The original calls back into whatever rafts[i] is now; after a crash that is nil and Go panics. Name the cause.
   */
  #currentRaft(i: number, what: string): RaftNode {
    const rf = this.rafts[i];
    if (!rf) {
      throw new ImplementationError(`server ${i} delivered ${what} on applyCh after it was killed (Kill() must stop all delivery)`);
    }
    return rf;
  }

  /** Attach server i to the net: enable its links to and from every connected server. */
  connect(i: number): void {
    const was = this.connected[i];
    this.connected[i] = true;
    if (this.#onTrace && !was) this.#trace({ kind: 'connect', node: i });
    for (let j = 0; j < this.n; j++) {
      if (this.connected[j]) {
        this.net.enable(this.endnames[i]![j]!, true); // outgoing
        this.net.enable(this.endnames[j]![i]!, true); // incoming
      }
    }
  }

  /** Detach server i from the net: disable all its links, both ways. */
  disconnect(i: number): void {
    const was = this.connected[i];
    this.connected[i] = false;
    // Reported when it changes something (crash1 and start1 disconnect a server that may already be off the net).
    if (this.#onTrace && was) this.#trace({ kind: 'disconnect', node: i });
    for (let j = 0; j < this.n; j++) {
      const out = this.endnames[i]?.[j];
      if (out) this.net.enable(out, false);
      const inc = this.endnames[j]?.[i];
      if (inc) this.net.enable(inc, false);
    }
  }

  rpcCount(server: number): number {
    return this.net.getCount(server);
  }
  rpcTotal(): number {
    return this.net.getTotalCount();
  }
  bytesTotal(): number {
    return this.net.getTotalBytes();
  }
  setUnreliable(unreliable: boolean): void {
    this.net.reliable(!unreliable);
    if (this.#onTrace) this.#trace({ kind: 'unreliable', on: unreliable });
  }
  setLongReordering(longReordering: boolean): void {
    this.net.longReordering(longReordering);
    if (this.#onTrace) this.#trace({ kind: 'long-reordering', on: longReordering });
  }

  /** The largest persisted Raft state (bytes; snapshots not included). */
  logSize(): number {
    let logsize = 0;
    for (const p of this.saved) if (p) logsize = Math.max(logsize, p.raftStateSize());
    return logsize;
  }

  /** Check that there is exactly one leader among the connected servers, retrying up to 10 times. */
  async checkOneLeader(): Promise<number> {
    for (let iters = 0; iters < 10; iters++) {
      const ms = 450 + this.#random.intn(100);
      await this.#rt.sleep(ms);
      const leaders = new Map<number, number[]>();
      for (let i = 0; i < this.n; i++) {
        if (this.connected[i]) {
          const { term, isLeader } = this.#getState(i);
          if (isLeader) leaders.set(term, [...(leaders.get(term) ?? []), i]);
        }
      }
      let lastTermWithLeader = -1;
      for (const [term, ids] of leaders) {
        if (ids.length > 1) this.#fatalCheck('one-leader', `term ${term} has ${ids.length} (>1) leaders`, { term });
        if (term > lastTermWithLeader) lastTermWithLeader = term;
      }
      if (leaders.size !== 0) {
        const leader = leaders.get(lastTermWithLeader)![0]!;
        if (this.#onTrace) this.#trace({ kind: 'check', check: 'one-leader', ok: true, node: leader, term: lastTermWithLeader });
        return leader;
      }
    }
    this.#fatalCheck('one-leader', 'expected one leader, got none', {});
  }

  /** Check that everyone connected agrees on the term; -1 if nobody is connected. */
  checkTerms(): number {
    let term = -1;
    for (let i = 0; i < this.n; i++) {
      if (this.connected[i]) {
        const { term: xterm } = this.#getState(i);
        if (term === -1) term = xterm;
        else if (term !== xterm) this.#fatalCheck('terms', 'servers disagree on term', {});
      }
    }
    if (this.#onTrace) this.#trace({ kind: 'check', check: 'terms', ok: true, term });
    return term;
  }

  /** Check that no connected server thinks it is the leader. */
  checkNoLeader(): void {
    for (let i = 0; i < this.n; i++) {
      if (this.connected[i] && this.#getState(i).isLeader) {
        this.#fatalCheck('no-leader', `expected no leader, but ${i} claims to be leader`, { node: i });
      }
    }
    if (this.#onTrace) this.#trace({ kind: 'check', check: 'no-leader', ok: true });
  }

  /** How many servers think a log entry is committed, and its value. */
  nCommitted(index: number): { count: number; cmd: unknown } {
    let count = 0;
    let cmd: unknown = null;
    for (let i = 0; i < this.rafts.length; i++) {
      if (this.applyErr[i] !== '') this.#fatalCheck('n-committed', this.applyErr[i]!, { index });
      const log = this.logs[i]!;
      if (log.has(index)) {
        const cmd1 = log.get(index);
        if (count > 0 && cmd !== cmd1) {
          this.#fatalCheck('n-committed', `committed values do not match: index ${index}, ${fmtV(cmd)}, ${fmtV(cmd1)}`, { index });
        }
        count += 1;
        cmd = cmd1;
      }
    }
    return { count, cmd };
  }

  /**
   * Wait for at least n servers to commit index, backing off from 10 ms to 1 s. Returns the value, or -1 if some
   * server moved past startTerm (so the test can't judge).
   */
  async wait(index: number, n: number, startTerm: number): Promise<unknown> {
    let toMs = 10;
    for (let iters = 0; iters < 30; iters++) {
      const { count } = this.nCommitted(index);
      if (count >= n) break;
      await this.#rt.sleep(toMs);
      if (toMs < 1000) toMs *= 2;
      if (startTerm > -1) {
        for (let i = 0; i < this.rafts.length; i++) {
          if (this.#getState(i).term > startTerm) {
            // someone has moved on; can no longer guarantee that we'll "win"
            if (this.#onTrace) this.#trace({ kind: 'wait', index, n, startTerm, outcome: 'moved-on' });
            return -1;
          }
        }
      }
    }
    const { count, cmd } = this.nCommitted(index);
    if (count < n) {
      const message = `only ${count} decided for index ${index}; wanted ${n}`;
      if (this.#onTrace) this.#trace({ kind: 'wait', index, n, startTerm, outcome: 'failed' });
      this.t.fatalf(message);
    }
    if (this.#onTrace) this.#trace({ kind: 'wait', index, n, startTerm, outcome: 'committed', value: cmd });
    return cmd;
  }

  /**
   * Do a complete agreement: find a leader (trying servers from 1, round-robin), submit cmd, and wait for
   * expectedServers to commit it. With retry, resubmit after 2 s without agreement; give up after 10 s.
   */
  async one(cmd: unknown, expectedServers: number, retry: boolean): Promise<number> {
    const t0 = this.#rt.now();
    let starts = 0;
    while (this.#rt.now() - t0 < 10_000) {
      // try all the servers, maybe one is the leader.
      let index = -1;
      for (let si = 0; si < this.n; si++) {
        starts = (starts + 1) % this.n;
        const rf = this.connected[starts] ? this.rafts[starts] : null;
        if (rf) {
          const r = this.#callNode(starts, 'start()', () => rf.start(cmd));
          if (r.isLeader) {
            index = r.index;
            if (this.#onTrace) this.#trace({ kind: 'one', phase: 'submit', command: cmd, node: starts, index });
            break;
          }
        }
      }
      if (index !== -1) {
        // somebody claimed to be the leader and to have submitted our command; wait a while for agreement.
        const t1 = this.#rt.now();
        while (this.#rt.now() - t1 < 2000) {
          const { count, cmd: cmd1 } = this.nCommitted(index);
          if (count > 0 && count >= expectedServers && cmd1 === cmd) {
            // and it was the command we submitted.
            if (this.#onTrace) this.#trace({ kind: 'one', phase: 'agreed', command: cmd, index });
            return index;
          }
          await this.#rt.sleep(20);
        }
        if (!retry) this.#fatalOne(cmd, index);
      } else {
        await this.#rt.sleep(50);
      }
    }
    this.#fatalOne(cmd, undefined);
  }

  #fatalOne(cmd: unknown, index: number | undefined): never {
    const message = `one(${fmtV(cmd)}) failed to reach agreement`;
    if (this.#onTrace) this.#trace({ kind: 'one', phase: 'failed', command: cmd, index, message });
    this.t.fatalf(message);
  }

  /** A check failed: report it to the trace, then fail the test with the course's message. */
  #fatalCheck(
    check: 'one-leader' | 'no-leader' | 'terms' | 'n-committed',
    message: string,
    extra: { node?: number; term?: number; index?: number },
  ): never {
    if (this.#onTrace) this.#trace({ kind: 'check', check, ok: false, message, ...extra });
    this.t.fatalf(message);
  }

  /** Start a test: print its description and take the counters' baselines. */
  begin(description: string): void {
    this.t.print(`${description} ...`);
    if (this.#onTrace) this.#trace({ kind: 'test-begin', description });
    this.#t0Ms = this.#rt.now();
    this.#rpcs0 = this.rpcTotal();
    this.#bytes0 = this.bytesTotal();
    this.#maxIndex0 = this.maxIndex;
  }

  /** End a test: if it has not failed, print the Passed line with time, peers, RPCs, bytes and commands. */
  end(): PassedLine | undefined {
    this.checkTimeout();
    if (this.t.failed()) return undefined;
    const line: PassedLine = {
      seconds: (this.#rt.now() - this.#t0Ms) / 1000,
      peers: this.n,
      rpcs: this.rpcTotal() - this.#rpcs0,
      bytes: this.bytesTotal() - this.#bytes0,
      commands: this.maxIndex - this.#maxIndex0,
    };
    this.t.print(formatPassedLine(line));
    this.passed = line;
    return line;
  }

  /** The figures of the Passed line, once end() has printed it. */
  passed: PassedLine | undefined;

  /** Fail a test that ran longer than 120 s since makeConfig (checked only here and at cleanup, as in the original). */
  checkTimeout(): void {
    if (!this.t.failed() && this.#rt.now() - this.startMs > testTimeLimitMs) {
      this.t.fatalf('test took longer than 120 seconds');
    }
  }

  #cleanedUp = false;

  /** Kill every server and stop the network. Every test ends with it, failed or not. */
  cleanup(): void {
    if (this.#cleanedUp) return;
    this.#cleanedUp = true;
    for (let i = 0; i < this.rafts.length; i++) {
      const rf = this.rafts[i];
      if (rf) this.#callNode(i, 'kill()', () => rf.kill());
    }
    this.net.cleanup();
    this.checkTimeout();
  }
}

/** Thrown when the implementation under test throws from one of its API methods. */
export class ImplementationError extends Error {
  readonly code = 'IMPL_THREW';
  constructor(message: string, cause?: unknown) {
    super(message, { cause });
    this.name = 'ImplementationError';
  }
}

export interface PassedLine {
  seconds: number;
  peers: number;
  rpcs: number;
  bytes: number;
  commands: number;
}

/** `  ... Passed --  %4.1f  %d %4d %7d %4d`, as config.go prints it. */
export function formatPassedLine(p: PassedLine): string {
  return `  ... Passed --  ${p.seconds.toFixed(1).padStart(4)}  ${p.peers} ${String(p.rpcs).padStart(4)} ${String(p.bytes).padStart(7)} ${String(p.commands).padStart(4)}`;
}

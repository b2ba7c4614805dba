/**
 * The course's config.go, ported: it builds a cluster of Raft peers on a simulated network, crashes and restarts
 * them, partitions them, and checks what they agree on. Same loop counts, sleeps, timeouts and failure messages as
 * the original (spec §4), in its order; the exceptions are named where they occur. Every tester event goes to a
 * tracer (tracer.ts: by default one that does nothing). Chaos stays outside (chaos-monkey.ts, node-runtime.ts).
 */
import type { ApplyMsg, MakeRaft, RaftNode } from '../../../labs/api/index.ts';
import { Network, Server, makeService, type ClientEnd, type NetObserver } from '../labrpc/index.ts';
import { Persister, persisterFile } from '../persister/index.ts';
import { GoChan, type Rng, type Runtime } from '../runtime/index.ts';
import { ImplementationError, TestFailure, callNode, fmtV, type TestingT } from './failure.ts';
import { nodeRuntime, type NodeRuntimeEnv } from './node-runtime.ts';
import { noTracer, type CheckDetails, type CheckName, type ConfigTracer, type MakeConfigTracer } from './tracer.ts';

/** config.go's names for its checks: where a failure fired. */
const checkSites: Record<CheckName, string> = { 'one-leader': 'checkOneLeader', 'no-leader': 'checkNoLeader', terms: 'checkTerms', 'n-committed': 'nCommitted' };

/** The tester's generous election budget (test_test.go's RaftElectionTimeout). */
export const raftElectionTimeoutMs = 1000;
/** applierSnap asks for a snapshot after every 10 applied commands. */
export const snapshotInterval = 10;
/** A test that ran longer than this since makeConfig fails at end()/cleanup(). */
export const testTimeLimitMs = 120_000;

/** What a config is made with: the run's clock, codec and hooks, and the implementation. */
export interface ConfigEnv extends NodeRuntimeEnv {
  t: TestingT;
  make: MakeRaft;
  /** The tester's own random stream (Go's math/rand in test_test.go and config.go). */
  random: Rng;
  /** Keep each node's persister in a readable JSON file under this folder (default: memory). */
  persistDir?: string | undefined;
  netObserver?: NetObserver | undefined;
  /** Makes the tracer that hears every tester event (tracing.ts); without one, nothing is traced. */
  tracer?: MakeConfigTracer | undefined;
  /** Called with the config as soon as it exists, so the runner can clean it up if the test throws. */
  onConfig?: ((cfg: Config) => void) | undefined;
}

/** The lab's unbuffered `chan ApplyMsg`: every send waits until the applier has taken the message. */
type ApplyCh = GoChan<ApplyMsg>;
type Applier = (i: number, applyCh: ApplyCh) => Promise<void>;

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
  readonly startMs: number;
  #t0Ms = 0;
  #rpcs0 = 0;
  #bytes0 = 0;
  maxIndex = 0;
  #maxIndex0 = 0;
  /** The figures of the Passed line, once end() has printed it. */
  passed: PassedLine | undefined;

  readonly #env: ConfigEnv;
  readonly #rt: Runtime;
  readonly #tracer: ConfigTracer;
  readonly #applier: Applier;
  /** How many times each server has been (re)started, for readable, unique end names. */
  readonly #generation: number[];
  #cleanedUp = false;

  /** make_config: n servers, each started isolated, then all connected. */
  constructor(env: ConfigEnv, n: number, unreliable: boolean, snapshot: boolean) {
    this.#env = env;
    this.t = env.t;
    this.#rt = env.runtime;
    this.n = n;
    this.net = new Network(env.runtime, { codec: env.codec, observer: env.netObserver, chaos: env.chaos });
    this.rafts = Array.from({ length: n }, () => null);
    this.applyErr = Array.from({ length: n }, () => '');
    this.connected = Array.from({ length: n }, () => false);
    this.saved = Array.from({ length: n }, () => null);
    this.endnames = Array.from({ length: n }, () => []);
    this.logs = Array.from({ length: n }, () => new Map());
    this.#generation = Array.from({ length: n }, () => 0);
    this.startMs = this.#rt.now();
    this.#tracer = env.tracer?.(this) ?? noTracer;
    env.onConfig?.(this);

    this.setUnreliable(unreliable);
    this.net.longDelays(true);
    this.#applier = snapshot ? this.applierSnap : this.applier;
    // Create a full set of Rafts, each isolated, then connect them all.
    for (let i = 0; i < n; i++) this.start1(i, this.#applier);
    for (let i = 0; i < n; i++) this.connect(i);
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
      callNode(i, 'kill()', () => rf.kill());
      this.#tracer.crash(i);
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

  /** Applier for 2A-2C: check that committed commands agree across servers and arrive in order. */
  readonly applier: Applier = async (i, applyCh) => {
    const generation = this.#generation[i]!; // the incarnation start1 made this applyCh for
    for (;;) {
      const [m, ok] = await applyCh.recvOk();
      if (!ok) return;
      if (m.commandValid) this.#checkApplied(i, m, generation); // ignore other types of ApplyMsg
    }
  };

  /** Applier for 2D: also installs snapshots, and asks for one every `snapshotInterval` commands. */
  readonly applierSnap: Applier = async (i, applyCh) => {
    const generation = this.#generation[i]!;
    let lastApplied = 0;
    for (;;) {
      const [m, ok] = await applyCh.recvOk();
      if (!ok) return;
      if (m.snapshotValid) {
        const rf = this.#currentRaft(i, 'a snapshot');
        const installed = callNode(i, 'condInstallSnapshot()', () => rf.condInstallSnapshot(m.snapshotTerm, m.snapshotIndex, m.snapshot));
        this.#tracer.applySnapshot(i, m.snapshotIndex, m.snapshotTerm, m.snapshot?.length ?? 0, !!installed, generation);
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
        this.#checkApplied(i, m, generation);
        lastApplied = m.commandIndex;
        if ((m.commandIndex + 1) % snapshotInterval === 0) {
          const snapshot = this.#env.codec.encode(m.command, 'snapshot');
          const rf = this.#currentRaft(i, 'command ' + m.commandIndex);
          this.#tracer.snapshot(i, m.commandIndex, snapshot.length);
          callNode(i, 'snapshot()', () => rf.snapshot(m.commandIndex, snapshot));
        }
      }
      // Ignore other types of ApplyMsg, and commands at or below a snapshot.
    }
  };

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
    this.saved[i] = this.saved[i]?.copy() ?? this.#makePersister(i);

    const applyCh: ApplyCh = new GoChan<ApplyMsg>(this.#rt, 0, 'apply');
    // The original starts the applier before Make, so a Raft may deliver before make() returns.
    void applier.call(this, i, applyCh).catch((error: unknown) => this.#rt.fail(error));
    this.#tracer.restart(i, generation);
    const persister = this.#tracer.persister(i, this.saved[i]!);
    const rf = callNode(i, 'make()', () => this.#env.make(ends, i, persister, applyCh, nodeRuntime(i, this.#env)));
    if (!rf || typeof rf !== 'object') {
      throw new TypeError(`make() for server ${i} returned ${fmtV(rf)}, not a Raft node`);
    }
    // The tester and the tests (cfg.rafts[i].start) call the node as the tracer hands it back.
    this.rafts[i] = this.#tracer.node(i, rf);
    const srv = new Server();
    srv.addService(makeService('Raft', rf));
    this.net.addServer(i, srv);
  }

  /** Fail a test that ran longer than 120 s since makeConfig (checked only here and at cleanup, as in the original). */
  checkTimeout(): void {
    if (!this.t.failed() && this.#rt.now() - this.startMs > testTimeLimitMs) this.t.fatalf('test took longer than 120 seconds', 'checkTimeout');
  }

  /** Kill every server and stop the network. Every test ends with it, failed or not. */
  cleanup(): void {
    if (this.#cleanedUp) return;
    this.#cleanedUp = true;
    for (let i = 0; i < this.rafts.length; i++) {
      const rf = this.rafts[i];
      if (rf) callNode(i, 'kill()', () => rf.kill());
    }
    this.net.cleanup();
    this.checkTimeout();
  }

  /** Attach server i to the net: enable its links to and from every connected server. */
  connect(i: number): void {
    this.#tracer.connect(i, this.connected[i]!);
    this.connected[i] = true;
    for (let j = 0; j < this.n; j++) {
      if (this.connected[j]) {
        this.net.enable(this.endnames[i]![j]!, true); // outgoing
        this.net.enable(this.endnames[j]![i]!, true); // incoming
      }
    }
  }

  /** Detach server i from the net: disable all its links, both ways. */
  disconnect(i: number): void {
    this.#tracer.disconnect(i, this.connected[i]!);
    this.connected[i] = false;
    for (let j = 0; j < this.n; j++) {
      const out = this.endnames[i]?.[j];
      if (out) this.net.enable(out, false);
      const inc = this.endnames[j]?.[i];
      if (inc) this.net.enable(inc, false);
    }
  }

  rpcCount = (server: number): number => this.net.getCount(server);
  rpcTotal = (): number => this.net.getTotalCount();
  bytesTotal = (): number => this.net.getTotalBytes();
  setUnreliable(unreliable: boolean): void {
    this.net.reliable(!unreliable);
    this.#tracer.unreliable(unreliable);
  }
  setLongReordering(longReordering: boolean): void {
    this.net.longReordering(longReordering);
    this.#tracer.longReordering(longReordering);
  }

  /** Check that there is exactly one leader among the connected servers, retrying up to 10 times. */
  async checkOneLeader(): Promise<number> {
    for (let iters = 0; iters < 10; iters++) {
      await this.#rt.sleep(450 + this.#env.random.intn(100));
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
        this.#tracer.checkPassed('one-leader', { node: leader, term: lastTermWithLeader });
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
    this.#tracer.checkPassed('terms', { term });
    return term;
  }

  /** Check that no connected server thinks it is the leader. */
  checkNoLeader(): void {
    for (let i = 0; i < this.n; i++) {
      if (this.connected[i] && this.#getState(i).isLeader) this.#fatalCheck('no-leader', `expected no leader, but ${i} claims to be leader`, { node: i });
    }
    this.#tracer.checkPassed('no-leader', {});
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

  /** Wait for n servers to commit index, backing off 10 ms to 1 s: its value, or -1 once one is past startTerm. */
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
            this.#tracer.wait(index, n, startTerm, 'moved-on');
            return -1;
          }
        }
      }
    }
    const { count, cmd } = this.nCommitted(index);
    if (count < n) {
      this.#tracer.wait(index, n, startTerm, 'failed');
      this.t.fatalf(`only ${count} decided for index ${index}; wanted ${n}`, 'wait');
    }
    this.#tracer.wait(index, n, startTerm, 'committed', cmd);
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
          const r = callNode(starts, 'start()', () => rf.start(cmd));
          if (r.isLeader) {
            index = r.index;
            this.#tracer.oneSubmitted(cmd, starts, index);
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
            this.#tracer.oneAgreed(cmd, index);
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

  /** Start a test: print its description and take the counters' baselines. */
  begin(description: string): void {
    this.t.print(`${description} ...`);
    this.#tracer.begin(description);
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

  /** The largest persisted Raft state (bytes; snapshots not included). */
  logSize(): number {
    return Math.max(0, ...this.saved.map((p) => p?.raftStateSize() ?? 0));
  }

  // --- Not in config.go: what Go gets from its runtime, and failing with a message instead of a panic ------------

  /** What both appliers do with an applied command: report it, and check it. */
  #checkApplied(i: number, m: ApplyMsg, generation: number): void {
    this.#tracer.apply(i, m.commandIndex, m.command, generation);
    const checked = this.checkLogs(i, m);
    let errMsg = checked.errMsg;
    if (m.commandIndex > 1 && !checked.prevOk) errMsg = `server ${i} apply out of order ${m.commandIndex}`;
    if (errMsg !== '') this.#applyError(errMsg);
  }

  /** The original ends the test binary with log.Fatalf on an apply error; here the test fails with that message. */
  #applyError(errMsg: string): never {
    const failure = new TestFailure(`apply error: ${errMsg}`, 'applier');
    this.#rt.fail(failure);
    throw failure;
  }

  /** The original calls back into whatever rafts[i] is now; after a crash that is nil and Go panics. Name the cause. */
  #currentRaft(i: number, what: string): RaftNode {
    const rf = this.rafts[i];
    if (!rf) throw new ImplementationError(`server ${i} delivered ${what} on applyCh after it was killed (Kill() must stop all delivery)`);
    return rf;
  }

  /** A check failed: report it to the trace, then fail the test with the course's message. */
  #fatalCheck(check: CheckName, message: string, details: CheckDetails): never {
    this.#tracer.checkFailed(check, message, details);
    this.t.fatalf(message, checkSites[check]);
  }

  #fatalOne(cmd: unknown, index: number | undefined): never {
    const message = `one(${fmtV(cmd)}) failed to reach agreement`;
    this.#tracer.oneFailed(cmd, index, message);
    this.t.fatalf(message, 'one');
  }

  /** MakePersister: in memory, or in a readable file per node. */
  #makePersister(i: number): Persister {
    const dir = this.#env.persistDir;
    return dir ? Persister.file(persisterFile(dir, i), { node: i, codec: this.#env.codec }) : Persister.memory();
  }

  #getState(i: number): { term: number; isLeader: boolean } {
    const rf = this.rafts[i];
    if (!rf) throw new Error(`harness bug: GetState on server ${i}, which is not running`);
    return callNode(i, 'getState()', () => rf.getState());
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

/**
 * The tracer of a traced run: turns each tester event into a TesterTraceEvent (src/trace/schema.ts), reads what
 * each node persists into stable-log deltas, and reports every node's (term, isLeader) whenever it changes (looked
 * at after each tester and network event). Reading never changes a run: no random draws, no timers, only pure reads
 * (getState) and decodes.
 */
import type { DescribeState, Persister as RaftPersister, RaftNode } from '../../../labs/api/index.ts';
import type { TesterTraceEvent } from '../../trace/schema.ts';
import { SuccessiveReader, type Codec } from '../codec/index.ts';
import { TracingPersister } from '../persister/index.ts';
import type { Runtime } from '../runtime/index.ts';
import { fmtV } from './failure.ts';
import {
  DescribeStateError,
  PersistedLogTracker,
  readDescription,
  readPersistedState,
  type LogLayout,
  type PersistedLogDelta,
  type PersistedStateReading,
} from './persisted-log.ts';
import type { CheckDetails, CheckName, ConfigTracer, MakeConfigTracer, TracedCluster, WaitOutcome } from './tracer.ts';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
type TesterTraceInput = DistributiveOmit<TesterTraceEvent, 't'>;

export interface TesterTracingOptions {
  onEvent: (event: TesterTraceEvent) => void;
  /** The run's clock (each event's time), and where a describeState failure is reported. */
  runtime: Pick<Runtime, 'now' | 'fail'>;
  codec: Codec;
  /**
   * The implementation's describeState (labs/api), if it exports one: how a persist's term, vote and log are read.
   * Without it, persisted-log.ts reads field names.
   */
  describeState?: DescribeState | undefined;
}

/** The tracer factory a Config takes (ConfigEnv.tracer) for a run traced to `options.onEvent`. */
export const testerTracing =
  (options: TesterTracingOptions): MakeConfigTracer =>
  (cluster) =>
    new TesterTracing(options, cluster);

export class TesterTracing implements ConfigTracer {
  readonly #options: TesterTracingOptions;
  readonly #cluster: TracedCluster;
  /** Each node's last (term, isLeader) the trace reported; forgotten at a crash. */
  readonly #states: Array<{ term: number; isLeader: boolean } | undefined>;
  /** Each node's last persisted log as the trace saw it (it survives crashes, as the persisted state does). */
  readonly #persistedLogs: PersistedLogTracker[];
  /** Each node's saves, read against the one before (most of a save is the last one's bytes again). */
  readonly #savedStates: SuccessiveReader[];
  /** Whether this implementation's array logs keep a dummy first entry, once a state has shown it. */
  #logLayout: LogLayout | undefined;

  constructor(options: TesterTracingOptions, cluster: TracedCluster) {
    this.#options = options;
    this.#cluster = cluster;
    this.#states = Array.from({ length: cluster.n }, () => undefined);
    this.#persistedLogs = Array.from({ length: cluster.n }, () => new PersistedLogTracker());
    this.#savedStates = Array.from({ length: cluster.n }, () => new SuccessiveReader());
    cluster.net.observe(() => this.#pollStates());
  }

  #emit(event: TesterTraceInput): void {
    this.#options.onEvent({ t: this.#options.runtime.now(), ...event } as TesterTraceEvent);
    this.#pollStates();
  }

  /** Report each running node's (term, isLeader) when it differs from what was last reported. A pure read. */
  #pollStates(): void {
    const rafts = this.#cluster.rafts;
    for (let i = 0; i < rafts.length; i++) {
      const rf = rafts[i];
      if (!rf) continue;
      let state: { term: number; isLeader: boolean };
      try {
        state = rf.getState();
      } catch {
        continue; // the tester's own getState calls report a throwing implementation
      }
      const last = this.#states[i];
      if (last && last.term === state.term && last.isLeader === state.isLeader) continue;
      this.#states[i] = { term: state.term, isLeader: state.isLeader };
      this.#options.onEvent({ t: this.#options.runtime.now(), kind: 'state', node: i, term: state.term, isLeader: state.isLeader });
    }
  }

  /** Node i's persister, reporting each save with what it holds. */
  persister(i: number, persister: RaftPersister): RaftPersister {
    return new TracingPersister(persister, (state, snapshot) => this.#persisted(i, persister, state, snapshot));
  }

  /**
   * A save, as the trace's persist event. A save by a crashed incarnation (its persister is no longer the node's)
   * is marked detached and changes no stable log.
   */
  #persisted(i: number, persister: RaftPersister, state: Uint8Array, snapshot: Uint8Array | undefined): void {
    let reading;
    try {
      reading = this.#readSavedState(i, state);
    } catch (error) {
      this.#options.runtime.fail(error);
      reading = { source: 'describeState' as const, logUnreadable: 'describeState failed' };
    }
    const { term, votedFor, log: view, logUnreadable, source } = reading;
    const detached = this.#cluster.saved[i] !== persister;
    let log: PersistedLogDelta | undefined;
    if (!detached) {
      const tracker = this.#persistedLogs[i]!;
      if (view) log = tracker.advance(view);
      else tracker.forget();
    }
    this.#emit({
      // Fields left out rather than undefined: the recorder deletes undefined ones, which costs each event its shape.
      kind: 'persist', node: i, bytes: state.length, ...(snapshot ? { snapshotBytes: snapshot.length } : {}), term, votedFor,
      ...(log ? { log } : {}), ...(logUnreadable ? { logUnreadable } : {}), source, ...(detached ? { detached: true } : {}),
    });
  }

  /** Read a saved state: through describeState (a malformed answer is the implementation's bug), or by field names. */
  #readSavedState(i: number, state: Uint8Array): PersistedStateReading & { source: 'describeState' | 'fields' } {
    const { describeState: describe, codec } = this.#options;
    const decodeSaved = (): unknown => codec.decode(state, this.#savedStates[i]);
    if (describe) {
      let description: unknown;
      try {
        description = describe(state, (bytes) => (bytes === state ? decodeSaved() : codec.decode(bytes)));
      } catch (error) {
        throw new DescribeStateError(`server ${i}: describeState threw: ${error instanceof Error ? error.message : fmtV(error)}`, { cause: error });
      }
      try {
        return { ...readDescription(description, this.#cluster.n), source: 'describeState' };
      } catch (error) {
        throw error instanceof DescribeStateError ? new DescribeStateError(`server ${i}: ${error.message}`) : error;
      }
    }
    let decoded: unknown;
    try {
      decoded = decodeSaved();
    } catch {
      return { logUnreadable: 'the persisted state does not decode with the codec (runtime.encode)', source: 'fields' };
    }
    const reading = readPersistedState(decoded, this.#logLayout);
    if (reading.layout) this.#logLayout ??= reading.layout;
    return { ...reading, source: 'fields' };
  }

  /** Node i, with each start() reported: the tester's own and the tests' (cfg.rafts[i].start). */
  node(i: number, rf: RaftNode): RaftNode {
    return {
      start: (command) => {
        const r = rf.start(command);
        if (r && typeof r === 'object') this.#emit({ kind: 'start', node: i, command, index: r.index, term: r.term, isLeader: r.isLeader });
        return r;
      },
      getState: () => rf.getState(),
      snapshot: (index, snapshot) => rf.snapshot(index, snapshot),
      condInstallSnapshot: (lastIncludedTerm, lastIncludedIndex, snapshot) => rf.condInstallSnapshot(lastIncludedTerm, lastIncludedIndex, snapshot),
      kill: () => rf.kill(),
    };
  }

  begin(description: string): void {
    this.#emit({ kind: 'test-begin', description });
  }
  crash(i: number): void {
    this.#states[i] = undefined;
    this.#emit({ kind: 'crash', node: i });
  }
  restart(i: number, generation: number): void {
    this.#emit({ kind: 'restart', node: i, generation });
  }
  /** Reported only when it changes something. */
  connect(i: number, wasConnected: boolean): void {
    if (!wasConnected) this.#emit({ kind: 'connect', node: i });
  }
  disconnect(i: number, wasConnected: boolean): void {
    if (wasConnected) this.#emit({ kind: 'disconnect', node: i });
  }
  unreliable(on: boolean): void {
    this.#emit({ kind: 'unreliable', on });
  }
  longReordering(on: boolean): void {
    this.#emit({ kind: 'long-reordering', on });
  }
  checkPassed(check: CheckName, details: CheckDetails): void {
    this.#emit({ kind: 'check', check, ok: true, ...details });
  }
  checkFailed(check: CheckName, message: string, details: CheckDetails): void {
    this.#emit({ kind: 'check', check, ok: false, message, ...details });
  }
  oneSubmitted(command: unknown, node: number, index: number): void {
    this.#emit({ kind: 'one', phase: 'submit', command, node, index });
  }
  oneAgreed(command: unknown, index: number): void {
    this.#emit({ kind: 'one', phase: 'agreed', command, index });
  }
  oneFailed(command: unknown, index: number | undefined, message: string): void {
    this.#emit({ kind: 'one', phase: 'failed', command, index, message });
  }
  wait(index: number, n: number, startTerm: number, outcome: WaitOutcome, value?: unknown): void {
    this.#emit(outcome === 'committed' ? { kind: 'wait', index, n, startTerm, outcome, value } : { kind: 'wait', index, n, startTerm, outcome });
  }
  apply(i: number, index: number, command: unknown, generation: number): void {
    this.#emit({ kind: 'apply', node: i, index, command, generation });
  }
  applySnapshot(i: number, index: number, term: number, bytes: number, installed: boolean, generation: number): void {
    this.#emit({ kind: 'apply-snapshot', node: i, index, term, bytes, installed, generation });
  }
  snapshot(i: number, index: number, bytes: number): void {
    this.#emit({ kind: 'snapshot', node: i, index, bytes });
  }
}

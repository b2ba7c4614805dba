/**
 * What the tester tells a trace: one method per kind of tester event, called by config.ts wherever the event
 * happens, tracing or not. The default tracer does nothing, so config.ts reads as the course's config.go with one
 * call per event and no "if tracing" anywhere; tracing.ts is the tracer that builds the trace's events.
 */
import type { Persister as RaftPersister, RaftNode } from '../../../labs/api/index.ts';
import type { CallObserver, NetObserver } from '../labrpc/index.ts';

/** The checks of config.go a trace reports, by name. */
export type CheckName = 'one-leader' | 'no-leader' | 'terms' | 'n-committed';

/** What a check found: the leader and its term (one-leader), the term (terms), the server or index at fault. */
export interface CheckDetails {
  node?: number;
  term?: number;
  index?: number;
}

export type WaitOutcome = 'committed' | 'moved-on' | 'failed';

/** What a tracer may read of the cluster it traces (a Config): pure reads only, never a change. */
export interface TracedCluster {
  readonly n: number;
  readonly net: { observe(observer: NetObserver): () => void; observeCalls(observer: CallObserver): void };
  /** The running nodes, as the tester sees them (null: crashed). */
  readonly rafts: ReadonlyArray<RaftNode | null>;
  /** The persister each server's newest incarnation saves to: a save to another one is a crashed incarnation's. */
  readonly saved: ReadonlyArray<RaftPersister | null>;
}

export interface ConfigTracer {
  /** The persister make() gives node i: `persister` itself, or one that also reports each save. */
  persister(i: number, persister: RaftPersister): RaftPersister;
  /** Node i as the tester and the tests see it: `node` itself, or one that also reports each start(). */
  node(i: number, node: RaftNode): RaftNode;

  begin(description: string): void;
  crash(i: number): void;
  /** start1: generation 1 is the first boot, each later one a restart. */
  restart(i: number, generation: number): void;
  /** Server i goes on the net; `wasConnected`: it already was (crash1 and start1 disconnect servers that may be off). */
  connect(i: number, wasConnected: boolean): void;
  disconnect(i: number, wasConnected: boolean): void;
  unreliable(on: boolean): void;
  longReordering(on: boolean): void;
  checkPassed(check: CheckName, details: CheckDetails): void;
  checkFailed(check: CheckName, message: string, details: CheckDetails): void;
  oneSubmitted(command: unknown, node: number, index: number): void;
  oneAgreed(command: unknown, index: number): void;
  oneFailed(command: unknown, index: number | undefined, message: string): void;
  wait(index: number, n: number, startTerm: number, outcome: WaitOutcome, value?: unknown): void;
  /** `generation`: the incarnation whose applyCh it came on (a crashed one's applier may still take deliveries). */
  apply(i: number, index: number, command: unknown, generation: number): void;
  applySnapshot(i: number, index: number, term: number, bytes: number, installed: boolean, generation: number): void;
  /** applierSnap is about to hand node i a snapshot of everything up to `index`. */
  snapshot(i: number, index: number, bytes: number): void;
}

const nothing = (): void => {};

/** The tracer of an untraced run: hands every node and persister back as it is, and reports nothing. */
export const noTracer: ConfigTracer = Object.freeze({
  persister: (_i: number, persister: RaftPersister) => persister,
  node: (_i: number, node: RaftNode) => node,
  begin: nothing,
  crash: nothing,
  restart: nothing,
  connect: nothing,
  disconnect: nothing,
  unreliable: nothing,
  longReordering: nothing,
  checkPassed: nothing,
  checkFailed: nothing,
  oneSubmitted: nothing,
  oneAgreed: nothing,
  oneFailed: nothing,
  wait: nothing,
  apply: nothing,
  applySnapshot: nothing,
  snapshot: nothing,
});

/** Makes the tracer of one Config, once the config's network and arrays exist. */
export type MakeConfigTracer = (cluster: TracedCluster) => ConfigTracer;

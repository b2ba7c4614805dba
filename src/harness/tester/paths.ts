/**
 * What a run exercised: how often it went down the paths a bug hides in. A test that never sends InstallSnapshot
 * cannot catch a bug in the install path, however many seeds it runs; these counts show whether it got there.
 *
 * RPCs are recognised by the lab's method names (Raft.RequestVote, Raft.AppendEntries, Raft.InstallSnapshot, as the
 * checker reads them) and their fields by Figure 2's names, with either capitalisation of the first letter. An
 * implementation that names them otherwise is simply not counted: nothing here changes a verdict. The counter hears
 * the tester as a tracer does (countingPaths wraps the run's tracer), so config.ts stays the port of config.go.
 */
import { appendEntries, figure2Field, installSnapshot, intField, requestVote } from '../figure2-fields.ts';
import { noTracer, type ConfigTracer, type MakeConfigTracer } from './tracer.ts';

export interface PathCounts {
  /** Elections started: distinct (candidate, term) among the RequestVote RPCs sent. */
  electionsStarted: number;
  /** AppendEntries replies with success false, by reason: the follower's term was newer, or its log did not match. */
  appendEntriesRejected: { staleTerm: number; logMismatch: number };
  /** InstallSnapshot RPCs sent. */
  installSnapshotSent: number;
  /** Snapshots a node delivered on applyCh that CondInstallSnapshot accepted (the tester then installs them). */
  snapshotsInstalled: number;
  /** Snapshots the tester asked a node to take (config.go's applierSnap, every 10 commands). */
  snapshotsTaken: number;
}

export const emptyPathCounts = (): PathCounts => ({
  electionsStarted: 0,
  appendEntriesRejected: { staleTerm: 0, logMismatch: 0 },
  installSnapshotSent: 0,
  snapshotsInstalled: 0,
  snapshotsTaken: 0,
});

/** Sums of several runs' counts (a run without counts, e.g. one that crashed its process, adds nothing). */
export function addPathCounts(into: PathCounts, more: PathCounts | undefined): PathCounts {
  if (!more) return into;
  into.electionsStarted += more.electionsStarted;
  into.appendEntriesRejected.staleTerm += more.appendEntriesRejected.staleTerm;
  into.appendEntriesRejected.logMismatch += more.appendEntriesRejected.logMismatch;
  into.installSnapshotSent += more.installSnapshotSent;
  into.snapshotsInstalled += more.snapshotsInstalled;
  into.snapshotsTaken += more.snapshotsTaken;
  return into;
}

/** Counts one run's paths; the network and the tester's applier report to it. */
export class PathCounter {
  readonly counts: PathCounts = emptyPathCounts();
  /** `${caller}:${term}` of every RequestVote sent. */
  readonly #candidacies = new Set<string>();

  /**
   * An RPC handed to the network (labrpc's send): `args` as the caller passed them, read now, before the caller can
   * change them. Returns what to do with its reply, if it gets one and its reply matters.
   */
  sent(caller: number, svcMeth: string, args: unknown): ((reply: unknown) => void) | undefined {
    switch (svcMeth) {
      case requestVote: {
        const term = intField(args, 'term');
        if (term !== undefined) this.#candidacies.add(`${caller}:${term}`);
        this.counts.electionsStarted = this.#candidacies.size;
        return undefined;
      }
      case installSnapshot:
        this.counts.installSnapshotSent++;
        return undefined;
      case appendEntries: {
        const term = intField(args, 'term');
        return (reply) => {
          if (figure2Field(reply, 'success') !== false) return;
          const replyTerm = intField(reply, 'term');
          if (term !== undefined && replyTerm !== undefined && replyTerm > term) this.counts.appendEntriesRejected.staleTerm++;
          else this.counts.appendEntriesRejected.logMismatch++;
        };
      }
      default:
        return undefined;
    }
  }

  snapshotInstalled(): void {
    this.counts.snapshotsInstalled++;
  }

  snapshotTaken(): void {
    this.counts.snapshotsTaken++;
  }
}

/**
 * The run's tracer (or none), with `counter` also told of the snapshots the tester takes and installs and of every
 * RPC on the cluster's network. End names are `${caller}->${callee}#${generation}` (config.ts's start1).
 */
export function countingPaths(counter: PathCounter, inner: MakeConfigTracer | undefined): MakeConfigTracer {
  return (cluster) => {
    const tracer: ConfigTracer = inner?.(cluster) ?? noTracer;
    cluster.net.observeCalls((endName, svcMeth, args) => counter.sent(Number.parseInt(endName, 10), svcMeth, args));
    // Every method forwarded to the tracer (a class instance: its methods are on its prototype), two counted first.
    const counting = {} as Record<keyof ConfigTracer, unknown>;
    for (const key of Object.keys(noTracer) as Array<keyof ConfigTracer>) {
      const method = tracer[key] as (...args: unknown[]) => unknown;
      counting[key] = (...args: unknown[]) => method.apply(tracer, args);
    }
    counting.applySnapshot = (i: number, index: number, term: number, bytes: number, installed: boolean, generation: number): void => {
      if (installed) counter.snapshotInstalled();
      tracer.applySnapshot(i, index, term, bytes, installed, generation);
    };
    counting.snapshot = (i: number, index: number, bytes: number): void => {
      counter.snapshotTaken();
      tracer.snapshot(i, index, bytes);
    };
    return counting as ConfigTracer;
  };
}

/**
 * What the trace tells about each node at a point in time, folded event by event: term and role (`state`
 * events), vote (`persist`), the stable log (the log changes `persist` events carry, where the tester could read the
 * persisted state: each node's log as runs of terms, exactly), otherwise log bounds and last entries as start() and
 * acknowledged AppendEntries imply them, applied and commit indices (`apply`, leaderCommit of acknowledged
 * AppendEntries), snapshot index, liveness and connectivity.
 * Pure and cheap to clone, so TraceData can checkpoint it.
 */
import type { TraceEvent } from '../../../trace/events.ts';
import { applyLogChange, type TermRun } from '../../../trace/stable-logs.ts';

export { applyLogChange, type TermRun };

export interface LogEntryView {
  index: number;
  term?: number | undefined;
  command: unknown;
}

/** A node's log as it last persisted it. */
export interface StableLog {
  snapshotIndex: number;
  lastIndex: number;
  /** In index order, covering snapshotIndex + 1 .. lastIndex. Runs are replaced, never mutated (cheap clones). */
  runs: TermRun[];
}

export interface NodeState {
  term: number | null;
  leader: boolean;
  /** The persisted vote, as decoded (null: none). */
  votedFor: unknown;
  alive: boolean;
  connected: boolean;
  /** How many times started (0: never). */
  generation: number;
  /** Highest index known to be in the log (from start() and acknowledged AppendEntries). */
  lastIndex: number;
  /** Highest index applied (since the last restart). */
  lastApplied: number;
  /**
   * A lower bound on the commit index: what it applied, the leaderCommit of the AppendEntries it sent (a leader's
   * commitIndex when it built them: what the checker reads), or the leaderCommit a successful AppendEntries to it
   * carried, clipped to the entries it then held.
   */
  commitIndex: number;
  snapshotIndex: number;
  /** The last few entries known to be in the log, oldest first. */
  lastEntries: LogEntryView[];
  persistBytes: number;
  /** The stable log, from persist events (null where the trace has none). */
  stableLog: StableLog | null;
}

export interface TraceState {
  /** Index of the last event folded in (-1: none). */
  cursor: number;
  t: number;
  unreliable: boolean;
  longReordering: boolean;
  nodes: NodeState[];
}

export const keepEntries = 4;

export function initialNode(): NodeState {
  return {
    term: null, leader: false, votedFor: null, alive: false, connected: false, generation: 0,
    lastIndex: 0, lastApplied: 0, commitIndex: 0, snapshotIndex: 0, lastEntries: [], persistBytes: 0, stableLog: null,
  };
}

export function initialState(servers: number): TraceState {
  return { cursor: -1, t: 0, unreliable: false, longReordering: false, nodes: Array.from({ length: servers }, initialNode) };
}

export function cloneState(s: TraceState): TraceState {
  return {
    ...s,
    nodes: s.nodes.map((n) => ({ ...n, lastEntries: n.lastEntries.slice(), stableLog: n.stableLog && { ...n.stableLog, runs: n.stableLog.runs.slice() } })),
  };
}

/** What foldEvent needs to know about an RPC from its send (AppendEntries arguments). */
export interface RpcLookup {
  (rpc: number): { args: unknown } | undefined;
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

function field(obj: unknown, ...names: string[]): unknown {
  if (!obj || typeof obj !== 'object') return undefined;
  const o = obj as Record<string, unknown>;
  for (const n of names) if (n in o) return o[n];
  return undefined;
}

/** Entries as summarized in the trace: an array, or `{ $len, head }` for a long one. */
function entriesOf(v: unknown): { length: number; head: unknown[] } | undefined {
  if (Array.isArray(v)) return { length: v.length, head: v };
  const len = num(field(v, '$len'));
  const head = field(v, 'head');
  if (len !== undefined) return { length: len, head: Array.isArray(head) ? head : [] };
  return undefined;
}

function node(s: TraceState, i: number): NodeState {
  while (s.nodes.length <= i) s.nodes.push(initialNode());
  return s.nodes[i]!;
}

function remember(n: NodeState, entry: LogEntryView): void {
  // A new entry at an index replaces that index and everything after it (as a Raft log does).
  const at = n.lastEntries.findIndex((e) => e.index >= entry.index);
  if (at >= 0) n.lastEntries.splice(at);
  n.lastEntries.push(entry);
  if (n.lastEntries.length > keepEntries) n.lastEntries.splice(0, n.lastEntries.length - keepEntries);
}

/** Fold one event into the state (mutates it). */
export function foldEvent(s: TraceState, e: TraceEvent, lookup: RpcLookup): void {
  s.t = e.t;
  switch (e.kind) {
    case 'state': {
      const n = node(s, e.node);
      n.term = e.term;
      n.leader = e.isLeader;
      break;
    }
    case 'persist': {
      if (e.detached) break; // a crashed incarnation's save: not this node's stable state
      const n = node(s, e.node);
      if (e.term !== undefined) n.term = Math.max(n.term ?? 0, e.term);
      if (e.votedFor !== undefined) n.votedFor = e.votedFor;
      n.persistBytes = e.bytes;
      const log = e.log;
      if (log) {
        n.stableLog = { snapshotIndex: log.snapshotIndex, lastIndex: log.lastIndex, runs: applyLogChange(n.stableLog?.runs ?? [], log) };
        n.lastIndex = log.lastIndex;
        n.snapshotIndex = log.snapshotIndex;
        n.lastEntries = n.lastEntries.filter((x) => x.index <= log.lastIndex && x.index > log.snapshotIndex);
        for (let k = Math.max(0, log.terms.length - keepEntries); k < log.terms.length; k++) {
          remember(n, { index: log.from + k, term: log.terms[k], command: log.commands[k] });
        }
      }
      break;
    }
    case 'crash': {
      const n = node(s, e.node);
      n.alive = false;
      n.leader = false;
      break;
    }
    case 'restart': {
      const n = node(s, e.node);
      n.alive = true;
      n.generation = e.generation;
      n.leader = false;
      n.lastApplied = n.snapshotIndex;
      break;
    }
    case 'connect':
      node(s, e.node).connected = true;
      break;
    case 'disconnect':
      node(s, e.node).connected = false;
      break;
    case 'unreliable':
      s.unreliable = e.on;
      break;
    case 'long-reordering':
      s.longReordering = e.on;
      break;
    case 'start': {
      if (!e.isLeader) break;
      const n = node(s, e.node);
      n.lastIndex = e.index;
      remember(n, { index: e.index, term: e.term, command: e.command });
      break;
    }
    case 'apply': {
      const n = node(s, e.node);
      n.lastApplied = e.index;
      n.commitIndex = Math.max(n.commitIndex, e.index);
      n.lastIndex = Math.max(n.lastIndex, e.index);
      break;
    }
    case 'apply-snapshot': {
      if (!e.installed) break;
      const n = node(s, e.node);
      n.snapshotIndex = Math.max(n.snapshotIndex, e.index);
      n.lastApplied = e.index;
      n.commitIndex = Math.max(n.commitIndex, e.index);
      n.lastIndex = Math.max(n.lastIndex, e.index);
      break;
    }
    case 'snapshot': {
      const n = node(s, e.node);
      n.snapshotIndex = Math.max(n.snapshotIndex, e.index);
      break;
    }
    case 'send': {
      // A leader's commitIndex when it built the message: the checker's reading of its commit point.
      if (!/AppendEntries$/.test(e.method)) break;
      const leaderCommit = num(field(e.args, 'leaderCommit', 'LeaderCommit'));
      if (leaderCommit === undefined) break;
      const n = node(s, e.node);
      n.commitIndex = Math.max(n.commitIndex, leaderCommit);
      break;
    }
    case 'reply': {
      if (!/AppendEntries$/.test(e.method)) break;
      if (field(e.reply, 'success', 'Success') !== true) break;
      const args = lookup(e.rpc)?.args;
      const prev = num(field(args, 'prevLogIndex', 'PrevLogIndex'));
      const entries = entriesOf(field(args, 'entries', 'Entries'));
      if (prev === undefined) break;
      const follower = node(s, e.to);
      const last = prev + (entries?.length ?? 0);
      follower.lastIndex = Math.max(follower.lastIndex, last);
      const leaderCommit = num(field(args, 'leaderCommit', 'LeaderCommit'));
      if (leaderCommit !== undefined) follower.commitIndex = Math.max(follower.commitIndex, Math.min(leaderCommit, last));
      if (entries && entries.length === entries.head.length) {
        entries.head.forEach((entry, k) =>
          remember(follower, { index: prev + 1 + k, term: num(field(entry, 'term', 'Term')), command: field(entry, 'command', 'Command') }),
        );
      }
      break;
    }
    default:
      break;
  }
}

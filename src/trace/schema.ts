/**
 * The trace schema: every event of one run, as plain, serializable data — one tagged union on `kind`, versioned
 * (`traceSchemaVersion`; the trace file's header carries it). Each event has `t` (run-relative ms: virtual in sim
 * mode, wall-clock in real mode) and `kind`, and `node` / `term` where they apply.
 *
 * - network (from labrpc's observations): send, deliver, handled, drop, reply, reply-lost, with the RPC's id, both
 *   ends and the method; arguments and replies decoded and kept small (summarize() in src/trace/events.ts).
 * - the tester: test-begin / test-end, crash, restart, connect, disconnect, unreliable, long-reordering, check, one,
 *   wait, start, apply, apply-snapshot, persist, snapshot, state.
 * - the implementation's own `runtime.log` lines: log.
 *
 * Types only, importing nothing but the student API: the harness emits these events, and every layer above reads them.
 * docs/schema/ publishes them as JSON Schema (written from src/trace/json-schema.ts, which mirrors these types and
 * is checked against them at compile time).
 */
import type { LogTopic } from '../../labs/api/index.ts';

/**
 * Bumped whenever an event changes shape; the trace header carries it (`schema`), and a reader refuses a trace of a
 * newer version than it knows. 3: `handled` (a handler returned). 4: `apply` and `apply-snapshot` say which
 * incarnation's applier took them (`generation`).
 */
export const traceSchemaVersion = 4;

/** Why a request never reached a handler. */
export type DropReason =
  /** The caller's end is disabled (its peer or the caller is disconnected). */
  | 'end-disabled'
  /** The end was never connected to a server name. */
  | 'not-connected'
  /** No server is registered under the name (crashed / deleted). */
  | 'no-server'
  /** An unreliable network lost the request (10 %). */
  | 'request-lost'
  /** The chaos knob dropRate lost it. */
  | 'chaos-drop';

/** Why a reply that a handler produced (or was producing) never reached the caller. */
export type ReplyLostReason =
  /** The end was disabled, or the server deleted or replaced, while the handler ran. */
  | 'server-dead'
  /** An unreliable network lost the reply (10 %). */
  | 'reply-lost'
  /** The chaos knob dropRate lost it. */
  | 'chaos-drop'
  /** The handler threw, or its reply could not be encoded: a bug, and the run fails. */
  | 'handler-error';

/** A command as traces keep it: a number as itself, anything else as a short hash of its encoding. */
export type CommandDigest = number | string;

export interface PersistedLogView {
  /** The last index the snapshot covers (0 without one); entries start right after it. */
  snapshotIndex: number;
  /** The snapshot's last term, where the state says it (describeState does not). */
  snapshotTerm?: number | undefined;
  /** terms[k] and commands[k] belong to index snapshotIndex + 1 + k. */
  terms: number[];
  commands: CommandDigest[];
}

/** How a persist changed a node's stable log: everything from `from` on is now `terms` / `commands`. */
export interface PersistedLogDelta {
  snapshotIndex: number;
  snapshotTerm?: number | undefined;
  /** The first index that changed; entries before it are as in the node's previous persist. */
  from: number;
  terms: number[];
  commands: CommandDigest[];
  /** The log's last index after this persist. */
  lastIndex: number;
}

/**
 * What the tester itself reports to a trace, as plain data: faults and topology, checks and their outcome, calls
 * into the nodes (start, snapshot) and what they hand back (applies, persists), and each node's (term, isLeader) as
 * getState() reads it whenever it changes. `t` is run-relative ms (virtual in sim mode). Values the implementation
 * chose (commands) are passed as they are; the trace recorder keeps them small.
 */
export type TesterTraceEvent =
  | { t: number; kind: 'test-begin'; description: string }
  | { t: number; kind: 'test-end'; status: 'pass' | 'fail' | 'error'; message?: string | undefined }
  | { t: number; kind: 'crash'; node: number }
  /** start1: generation 1 is the first boot, each later one a restart. */
  | { t: number; kind: 'restart'; node: number; generation: number }
  | { t: number; kind: 'connect'; node: number }
  | { t: number; kind: 'disconnect'; node: number }
  | { t: number; kind: 'unreliable'; on: boolean }
  | { t: number; kind: 'long-reordering'; on: boolean }
  | {
      t: number;
      kind: 'check';
      check: 'one-leader' | 'no-leader' | 'terms' | 'n-committed';
      ok: boolean;
      /** one-leader: the leader found; no-leader: the server that claims to lead. */
      node?: number | undefined;
      term?: number | undefined;
      index?: number | undefined;
      message?: string | undefined;
    }
  | { t: number; kind: 'one'; phase: 'submit' | 'agreed' | 'failed'; command: unknown; node?: number | undefined; index?: number | undefined; message?: string | undefined }
  | { t: number; kind: 'wait'; index: number; n: number; startTerm: number; outcome: 'committed' | 'moved-on' | 'failed'; value?: unknown }
  | { t: number; kind: 'start'; node: number; command: unknown; index: number; term: number; isLeader: boolean }
  /** generation: the incarnation whose applyCh it came on (a crashed one's may still deliver after the restart). */
  | { t: number; kind: 'apply'; node: number; index: number; command: unknown; generation?: number | undefined }
  | { t: number; kind: 'apply-snapshot'; node: number; index: number; term: number; bytes: number; installed: boolean; generation?: number | undefined }
  | {
      t: number;
      kind: 'persist';
      node: number;
      bytes: number;
      snapshotBytes?: number | undefined;
      /** currentTerm and votedFor as saved, where they could be read (votedFor null: no vote, with describeState). */
      term?: number | undefined;
      votedFor?: unknown;
      /** How the node's stable log changed, where its persisted state has a log we can read (src/harness/tester/persisted-log.ts). */
      log?: PersistedLogDelta | undefined;
      /** Why the saved log could not be read with certainty: the checker skips the log rules for this node. */
      logUnreadable?: string | undefined;
      /** Who read term, vote and log: the implementation's describeState, or the field names of persisted-log.ts. */
      source?: 'describeState' | 'fields' | undefined;
      /** Saved by a crashed incarnation to a persister no longer in use: not the node's stable state. */
      detached?: true | undefined;
    }
  | { t: number; kind: 'snapshot'; node: number; index: number; bytes: number }
  | { t: number; kind: 'state'; node: number; term: number; isLeader: boolean };

interface RpcBase {
  t: number;
  /** The RPC's id, shared by all its events. */
  rpc: number;
  method: string;
  /** Term carried by the arguments (send) or the reply (reply), when it has one. */
  term?: number | undefined;
}

export type NetTraceEvent =
  /** `node` sends to `to`; `generation` is the sender's incarnation (its restart count, as in `restart`). */
  | (RpcBase & { kind: 'send'; node: number; to: number; bytes: number; args: unknown; generation?: number | undefined })
  /** The request reached `node`'s handler. */
  | (RpcBase & { kind: 'deliver'; node: number; from: number })
  /**
   * `node`'s handler for the request from `from` returned a reply of `bytes` (encoded): whatever the node did before
   * this (a persist) it did before answering. Followed by the caller's `reply` or a `reply-lost`.
   */
  | (RpcBase & { kind: 'handled'; node: number; from: number; bytes: number })
  /** `node`'s request to `to` never reached a handler. */
  | (RpcBase & { kind: 'drop'; node: number; to: number; reason: DropReason })
  /** `node` got `to`'s reply. */
  | (RpcBase & { kind: 'reply'; node: number; to: number; bytes: number; reply: unknown; delayedMs?: number | undefined })
  /** `node`'s call to `to` was handled but its reply never came back. */
  | (RpcBase & { kind: 'reply-lost'; node: number; to: number; reason: ReplyLostReason });

export interface LogTraceEvent {
  t: number;
  kind: 'log';
  node: number;
  topic: LogTopic;
  message: string;
  fields?: unknown;
}

export type TraceEvent = NetTraceEvent | TesterTraceEvent | LogTraceEvent;
export type TraceEventKind = TraceEvent['kind'];

/** Every kind, for filters and tests. */
export const traceEventKinds: readonly TraceEventKind[] = [
  'send', 'deliver', 'handled', 'drop', 'reply', 'reply-lost',
  'test-begin', 'test-end', 'crash', 'restart', 'connect', 'disconnect', 'unreliable', 'long-reordering',
  'check', 'one', 'wait', 'start', 'apply', 'apply-snapshot', 'persist', 'snapshot', 'state',
  'log',
];

/**
 * The loaded part of a trace and everything the views derive from it, built incrementally as pages arrive
 * (`append`), never reactive (the views watch a version counter instead): times, topics, RPCs (send → delivery →
 * reply, drops, lost replies), crash / disconnect bands, role-and-term segments, and state checkpoints.
 */
import type { TraceEvent } from '../../../trace/events.ts';
import { describe, lowerBound, nodeOf, topicOf, upperBound } from './model.ts';
import { cloneState, foldEvent, initialNode, initialState, type TraceState } from './state.ts';

export interface RpcRecord {
  rpc: number;
  method: string;
  from: number;
  to: number;
  /** Index of the send event. */
  iSend: number;
  tSend: number;
  tDeliver?: number;
  tReply?: number;
  /** The request was dropped (never reached the handler). */
  tDrop?: number;
  /** The reply never came back. */
  tLost?: number;
  /** The latest time any of its events happened. */
  tEnd: number;
  args: unknown;
  reply?: unknown;
  /** Indices of its other events, where it has them. */
  iDeliver?: number;
  iReply?: number;
  iDrop?: number;
  iLost?: number;
}

export interface Band {
  node: number;
  kind: 'crash' | 'disconnect';
  t0: number;
  /** Infinity while still open. */
  t1: number;
}

export interface RoleSegment {
  node: number;
  term: number;
  leader: boolean;
  t0: number;
  /** Infinity while still open. */
  t1: number;
}

/** Checkpoint spacing: moving the cursor folds at most this many events. */
export const checkpointEvery = 512;

export class TraceData {
  readonly events: TraceEvent[] = [];
  readonly times: number[] = [];
  /** Each event's topic. */
  readonly topics: string[] = [];
  /** Lazily filled: each event's lower-cased searchable text. */
  readonly #texts: (string | undefined)[] = [];
  servers: number;
  readonly rpcs: RpcRecord[] = [];
  /** rpcs[] sorted by tSend, so byStart[i] = rpcs[i].tSend. */
  readonly rpcStarts: number[] = [];
  readonly rpcById = new Map<number, RpcRecord>();
  /** The longest an RPC spans (tEnd - tSend), to window the arrows. */
  maxRpcSpan = 0;
  readonly bands: Band[] = [];
  readonly #openBands = new Map<string, Band>();
  readonly roles: RoleSegment[] = [];
  readonly #openRoles = new Map<number, RoleSegment>();
  /** checkpoints[k]: the state after events [0, k * checkpointEvery). */
  readonly checkpoints: TraceState[] = [];
  #state: TraceState;
  /** How many events the total trace has (from the index), and its time range. */
  readonly total: number;
  readonly firstT: number;
  readonly lastT: number;

  constructor(opts: { servers?: number | undefined; total: number; firstT: number; lastT: number }) {
    this.servers = Math.max(1, opts.servers ?? 1);
    this.total = opts.total;
    this.firstT = opts.firstT;
    this.lastT = opts.lastT;
    this.#state = initialState(this.servers);
    this.checkpoints.push(cloneState(this.#state));
  }

  get length(): number {
    return this.events.length;
  }

  /** Add the next page of events (in order). */
  append(page: readonly TraceEvent[]): void {
    for (const e of page) {
      const i = this.events.length;
      this.events.push(e);
      // Guard against a non-monotonic clock: times stay sorted so binary search holds.
      const prevT = i > 0 ? this.times[i - 1]! : -Infinity;
      this.times.push(e.t >= prevT ? e.t : prevT);
      this.topics.push(topicOf(e));
      const node = nodeOf(e);
      if (node !== undefined && node + 1 > this.servers) this.#grow(node + 1);
      this.#index(e, i);
      foldEvent(this.#state, e, this.#lookup);
      if ((i + 1) % checkpointEvery === 0) this.checkpoints.push(cloneState(this.#state));
    }
  }

  readonly #lookup = (rpc: number): RpcRecord | undefined => this.rpcById.get(rpc);

  #grow(n: number): void {
    this.servers = n;
    for (const cp of [this.#state, ...this.checkpoints]) while (cp.nodes.length < n) cp.nodes.push(initialNode());
  }

  #index(e: TraceEvent, i: number): void {
    const t = this.times[i]!;
    switch (e.kind) {
      case 'send': {
        if (e.to + 1 > this.servers) this.#grow(e.to + 1);
        const r: RpcRecord = { rpc: e.rpc, method: e.method, from: e.node, to: e.to, iSend: i, tSend: t, tEnd: t, args: e.args };
        this.rpcs.push(r);
        this.rpcStarts.push(t);
        this.rpcById.set(e.rpc, r);
        break;
      }
      case 'deliver':
      case 'drop':
      case 'reply':
      case 'reply-lost': {
        const r = this.rpcById.get(e.rpc);
        if (!r) break;
        if (e.kind === 'deliver') {
          r.tDeliver = t;
          r.iDeliver = i;
        } else if (e.kind === 'drop') {
          r.tDrop = t;
          r.iDrop = i;
        } else if (e.kind === 'reply') {
          r.tReply = t;
          r.reply = e.reply;
          r.iReply = i;
        } else {
          r.tLost = t;
          r.iLost = i;
        }
        r.tEnd = Math.max(r.tEnd, t);
        this.maxRpcSpan = Math.max(this.maxRpcSpan, r.tEnd - r.tSend);
        break;
      }
      case 'crash':
        this.#openBand(e.node, 'crash', t);
        this.#closeRole(e.node, t);
        break;
      case 'restart':
        this.#closeBand(e.node, 'crash', t);
        break;
      case 'disconnect':
        this.#openBand(e.node, 'disconnect', t);
        break;
      case 'connect':
        this.#closeBand(e.node, 'disconnect', t);
        break;
      case 'state': {
        const open = this.#openRoles.get(e.node);
        if (open && open.term === e.term && open.leader === e.isLeader) break;
        this.#closeRole(e.node, t);
        const seg: RoleSegment = { node: e.node, term: e.term, leader: e.isLeader, t0: t, t1: Infinity };
        this.roles.push(seg);
        this.#openRoles.set(e.node, seg);
        break;
      }
      default:
        break;
    }
  }

  #openBand(node: number, kind: Band['kind'], t: number): void {
    const key = `${kind}:${node}`;
    if (this.#openBands.has(key)) return;
    const band: Band = { node, kind, t0: t, t1: Infinity };
    this.bands.push(band);
    this.#openBands.set(key, band);
  }

  #closeBand(node: number, kind: Band['kind'], t: number): void {
    const key = `${kind}:${node}`;
    const band = this.#openBands.get(key);
    if (!band) return;
    band.t1 = t;
    this.#openBands.delete(key);
  }

  #closeRole(node: number, t: number): void {
    const seg = this.#openRoles.get(node);
    if (!seg) return;
    seg.t1 = t;
    this.#openRoles.delete(node);
  }

  /** The lower-cased text a search matches against: topic, node and prose. */
  text(i: number): string {
    let s = this.#texts[i];
    if (s === undefined) {
      const e = this.events[i]!;
      const node = nodeOf(e);
      s = `${this.topics[i]} ${node !== undefined ? `s${node} ` : ''}${describe(e)}`.toLowerCase();
      this.#texts[i] = s;
    }
    return s;
  }

  /** The state after events [0, cursor] (cursor -1: before any event). Folds at most checkpointEvery events. */
  stateAt(cursor: number): TraceState {
    const upto = Math.min(cursor + 1, this.events.length);
    const k = Math.min(Math.floor(upto / checkpointEvery), this.checkpoints.length - 1);
    const state = cloneState(this.checkpoints[k]!);
    for (let i = k * checkpointEvery; i < upto; i++) foldEvent(state, this.events[i]!, this.#lookup);
    state.cursor = upto - 1;
    return state;
  }

  /** Event indices [lo, hi) whose time lies in [t0, t1]. */
  eventRange(t0: number, t1: number): [number, number] {
    return [lowerBound(this.times, t0), upperBound(this.times, t1)];
  }

  /** The event nearest to time t. */
  nearestEvent(t: number): number {
    const n = this.times.length;
    if (n === 0) return -1;
    const i = lowerBound(this.times, t);
    if (i >= n) return n - 1;
    if (i === 0) return 0;
    return t - this.times[i - 1]! <= this.times[i]! - t ? i - 1 : i;
  }

  /** RPCs whose span meets [t0, t1]. */
  rpcsIn(t0: number, t1: number): RpcRecord[] {
    const lo = lowerBound(this.rpcStarts, t0 - this.maxRpcSpan);
    const hi = upperBound(this.rpcStarts, t1);
    const out: RpcRecord[] = [];
    for (let i = lo; i < hi; i++) {
      const r = this.rpcs[i]!;
      if (r.tEnd >= t0) out.push(r);
    }
    return out;
  }
}

/**
 * What the trace says about each server, event by event, shared by every rule: its term and leadership as getState
 * reports them, its incarnation, its last saved state (term, vote, who read it), its stable log, and every RPC in
 * flight with its arguments read. The checker walks the trace once: for each event, `absorb` it here, let each rule
 * look, then `settle` (an RPC's last event retires it).
 *
 * Only what is certain is kept. A persist written by a crashed incarnation to a persister no longer in use
 * (`detached`) is not the server's stable state and is ignored. A stable log that cannot be read is dropped, with the
 * reason kept for the result, and comes back with the next persist that can be read (the tester reports that one
 * whole).
 */
import type { TraceEvent } from '../trace/events.ts';
import { appendEntries, readAppendEntries, requestVote, type AppendEntriesFacts } from './messages.ts';
import { StableLogs } from '../trace/stable-logs.ts';

export interface RpcFact {
  rpc: number;
  method: string;
  from: number;
  to: number;
  /** The sender's incarnation, where the trace says it (traces before raftlab 0.1 do not). */
  generation: number | undefined;
  sendIndex: number;
  t: number;
  /** The term its arguments carry. */
  term: number | undefined;
  args: unknown;
  /** For an AppendEntries: its arguments, read. */
  ae: AppendEntriesFacts | undefined;
  deliverIndex: number | undefined;
}

/** A server's last save of its persisted state. */
export interface SavedState {
  index: number;
  term: number | undefined;
  /** As read: describeState says null for no vote; field names give whatever the state holds. */
  votedFor: unknown;
  /** How it was read: describeState (certain by contract) or field names (see fieldsConfirmed). */
  source: 'describeState' | 'fields';
}

export class Facts {
  readonly stable = new StableLogs();
  /** How many servers the run has (the highest server index seen, plus one). */
  servers = 0;
  /** Whether any save in the trace was read through the implementation's describeState. */
  described = false;
  /** Whether any save read a votedFor at all (a Raft that persists nothing yet is not judged on votes). */
  votesSaved = false;
  /**
   * Whether a state read by field names is confirmed to mean what the names say: some candidate saved term T and
   * votedFor = itself while it asked for votes in term T (Figure 2: it votes for itself). Until then a rule that rests
   * on a vote or term read by field names does not count it.
   */
  fieldsConfirmed = false;
  /** Servers whose stable log could not be read at some point, and why (for the result's skipped list). */
  readonly logUnreadable = new Map<number, string>();
  /** For a persist event with a log change: the index its change starts at (the log rules look there). */
  logChangedFrom: number | undefined;

  readonly #state = new Map<number, { term: number; isLeader: boolean; index: number }>();
  readonly #generation = new Map<number, number>();
  readonly #alive = new Set<number>();
  readonly #saved = new Map<number, SavedState>();
  readonly #rpcs = new Map<number, RpcFact>();
  readonly #campaigns = new Map<number, Set<number>>();
  readonly #selfVotes = new Map<number, Set<number>>();

  /** The term getState last reported for `node`. */
  term(node: number): number | undefined {
    return this.#state.get(node)?.term;
  }

  isLeader(node: number): boolean {
    return this.#state.get(node)?.isLeader ?? false;
  }

  /** The index of the state event that last reported `node`'s term. */
  termEvent(node: number): number | undefined {
    return this.#state.get(node)?.index;
  }

  generation(node: number): number {
    return this.#generation.get(node) ?? 0;
  }

  alive(node: number): boolean {
    return this.#alive.has(node);
  }

  /** `node`'s last save that is its stable state (detached saves excluded). */
  saved(node: number): SavedState | undefined {
    return this.#saved.get(node);
  }

  rpc(id: number): RpcFact | undefined {
    return this.#rpcs.get(id);
  }

  absorb(e: TraceEvent, i: number): void {
    this.logChangedFrom = undefined;
    if ('node' in e && typeof e.node === 'number' && e.node >= this.servers) this.servers = e.node + 1;
    switch (e.kind) {
      case 'state':
        this.#state.set(e.node, { term: e.term, isLeader: e.isLeader, index: i });
        break;
      case 'restart':
        this.#generation.set(e.node, e.generation);
        this.#alive.add(e.node);
        this.#state.delete(e.node);
        break;
      case 'crash':
        this.#alive.delete(e.node);
        this.#state.delete(e.node);
        break;
      case 'send':
        this.#send(e, i);
        break;
      case 'deliver': {
        const rpc = this.#rpcs.get(e.rpc);
        if (rpc) rpc.deliverIndex = i;
        break;
      }
      case 'persist':
        if (!e.detached) this.#persist(e, i);
        break;
    }
  }

  /** After the rules have seen an event: an RPC's last event retires it. */
  settle(e: TraceEvent): void {
    if (e.kind === 'drop' || e.kind === 'reply' || e.kind === 'reply-lost') this.#rpcs.delete(e.rpc);
  }

  #send(e: Extract<TraceEvent, { kind: 'send' }>, i: number): void {
    if (e.to >= this.servers) this.servers = e.to + 1;
    this.#rpcs.set(e.rpc, {
      rpc: e.rpc,
      method: e.method,
      from: e.node,
      to: e.to,
      generation: e.generation,
      sendIndex: i,
      t: e.t,
      term: e.term,
      args: e.args,
      ae: e.method === appendEntries ? readAppendEntries(e.args) : undefined,
      deliverIndex: undefined,
    });
    if (e.method === requestVote && e.term !== undefined) {
      this.#campaigns.set(e.node, (this.#campaigns.get(e.node) ?? new Set()).add(e.term));
      if (this.#selfVotes.get(e.node)?.has(e.term)) this.fieldsConfirmed = true;
    }
  }

  #persist(e: Extract<TraceEvent, { kind: 'persist' }>, i: number): void {
    const source = e.source ?? 'fields';
    if (source === 'describeState') this.described = true;
    if (e.votedFor !== undefined) this.votesSaved = true;
    this.#saved.set(e.node, { index: i, term: e.term, votedFor: e.votedFor, source });
    if (e.term !== undefined && e.votedFor === e.node) {
      this.#selfVotes.set(e.node, (this.#selfVotes.get(e.node) ?? new Set()).add(e.term));
      if (this.#campaigns.get(e.node)?.has(e.term)) this.fieldsConfirmed = true;
    }
    if (e.log) {
      try {
        this.stable.apply(e.node, e.log);
        this.logChangedFrom = e.log.from;
      } catch (error) {
        this.stable.forget(e.node);
        this.logUnreadable.set(e.node, (error as Error).message);
      }
    } else if (e.logUnreadable !== undefined) {
      this.stable.forget(e.node);
      this.logUnreadable.set(e.node, e.logUnreadable);
    } else if (!this.stable.has(e.node) && !this.logUnreadable.has(e.node)) {
      this.logUnreadable.set(e.node, 'the persist events carry no saved log (a trace recorded without one, or a state the tester could not read)');
    }
  }

  /** Whether a rule resting on `node`'s saved term or vote reads them with certainty. */
  certainSaves(): boolean {
    return this.described || this.fieldsConfirmed;
  }
}

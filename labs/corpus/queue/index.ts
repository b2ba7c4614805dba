/**
 * raftlab corpus: the "queue" Raft. Each node is an actor: one inbox of events (timeouts, RPC requests, RPC
 * replies tagged with the term they were sent in) processed in order by a pure-ish `step(state, event) → effects`
 * (core.ts); a thin driver (node.ts) persists, feeds the applier, answers and sends. See README.md.
 */
import type { MakeRaft } from '../../api/index.ts';
import { QueueRaft } from './node.ts';
import type { DescribedState, Persisted } from './types.ts';

export const make: MakeRaft = (peers, me, persister, applyCh, runtime) => new QueueRaft(peers, me, persister, applyCh, runtime);

/**
 * What a persisted state of this Raft means, for raftlab's checker. The state is `{ t, v, log: { terms, cmds },
 * snap: { index, term } }`: term, vote (-1 for none), and the entries after the snapshot, column-wise, the first at
 * snap.index + 1. An empty state (nothing saved yet) is term 0, no vote, an empty log starting at index 1.
 */
export function describeState(raftState: Uint8Array, decode: (bytes: Uint8Array) => unknown): DescribedState {
  if (raftState.length === 0) return { currentTerm: 0, votedFor: null, log: { firstIndex: 1, terms: [], commands: [] } };
  const p = decode(raftState) as Persisted;
  return {
    currentTerm: p.t,
    votedFor: p.v === -1 ? null : p.v,
    log: { firstIndex: p.snap.index + 1, terms: p.log.terms, commands: p.log.cmds },
  };
}

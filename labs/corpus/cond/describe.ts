import type { PersistedState, StateDescription } from './types.ts';

/**
 * What a persisted Raft state of this implementation means, for raftlab's checker: the bytes are runtime.encode of
 * a PersistedState, whose log[0] is the entry at index offset + 1 (no dummy entry). An empty state (nothing saved
 * yet) is term 0, no vote, an empty log starting at index 1.
 */
export function describeState(raftState: Uint8Array, decode: (bytes: Uint8Array) => unknown): StateDescription {
  if (raftState.length === 0) return { currentTerm: 0, votedFor: null, log: { firstIndex: 1, terms: [], commands: [] } };
  const s = decode(raftState) as PersistedState;
  const log = Array.isArray(s.log) ? s.log : [];
  const offset = typeof s.offset === 'number' ? s.offset : 0;
  return {
    currentTerm: s.currentTerm,
    votedFor: typeof s.votedFor === 'number' ? s.votedFor : null,
    log: {
      firstIndex: offset + 1,
      terms: log.map((e) => e.term),
      commands: log.map((e) => e.command),
    },
  };
}

import type { DescribeState, MakeRaft } from '../../api/index.ts';
import { Raft } from './raft.ts';
import type { PersistentState } from './types.ts';
export const make: MakeRaft = (peers, me, persister, applyCh, runtime) => new Raft(peers, me, persister, applyCh, runtime);
export const describeState: DescribeState = (raftState, decode) => {
  const { currentTerm, votedFor, log } = decode(raftState) as PersistentState;
  return {
    currentTerm,
    votedFor: votedFor === -1 ? null : votedFor,
    log: { firstIndex: log[0]!.index + 1, terms: log.slice(1).map((e) => e.term), commands: log.slice(1).map((e) => e.command) },
  };
};

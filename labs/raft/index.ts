/**
 * The reference Raft for the 6.824 (2021) lab. The tester loads this folder and calls `make` once per server
 * (and again at every restart). The peer itself is one class, in raft.ts.
 */
import type { DescribeState, MakeRaft } from '../api/index.ts';
import { Raft } from './raft.ts';
import { noVote, type PersistentState } from './types.ts';

export { Raft } from './raft.ts';
export type * from './types.ts';

export const make: MakeRaft = (peers, me, persister, applyCh, runtime) => new Raft(peers, me, persister, applyCh, runtime);

/** What persist() saved (raft.ts), for the safety checker: the log after the snapshot, noVote as null. */
export const describeState: DescribeState = (raftState, decode) => {
  const { currentTerm, votedFor, log } = decode(raftState) as PersistentState;
  return {
    currentTerm,
    votedFor: votedFor === noVote ? null : votedFor,
    log: { firstIndex: log.snapshotIndex + 1, terms: log.terms, commands: log.commands },
  };
};

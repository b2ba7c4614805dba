/**
 * The "cond" member of raftlab's corpus: a leader with one long-lived sender per peer, woken by a condition
 * variable (see README.md). `make` is what the tester loads; `describeState` tells the checker how to read the
 * persisted state.
 */
import type { MakeRaft } from '../../api/index.ts';
import { CondRaft } from './raft.ts';

export const make: MakeRaft = (peers, me, persister, applyCh, runtime) => new CondRaft(peers, me, persister, applyCh, runtime);

export { describeState } from './describe.ts';
export type { StateDescription } from './types.ts';

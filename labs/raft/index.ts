/**
 * The reference Raft for the 6.824 (2021) lab. The tester loads this folder and calls `make` once per server
 * (and again at every restart). The peer itself is one class, in raft.ts.
 */
import type { MakeRaft } from '../api/index.ts';
import { Raft } from './raft.ts';

export { Raft } from './raft.ts';
export type * from './types.ts';

export const make: MakeRaft = (peers, me, persister, applyCh, runtime) => new Raft(peers, me, persister, applyCh, runtime);

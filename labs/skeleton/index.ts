/**
 * Your Raft, for the 6.824 (2021) lab. The tester loads this folder and calls `make` once per server (and again
 * every time it restarts one). Keep this file as it is and write your code in raft.ts (and any files you add).
 *
 * Run the tests with `npx raftlab test 2A` in this folder (a pattern such as 2A, 2B, TestBackup2B or 2[AB]),
 * on the simulated clock (the default: fast, and a failing seed replays exactly) or with `--mode real`.
 */
import type { MakeRaft } from 'raftlab/api';
import { Raft } from './raft.ts';

export const make: MakeRaft = (peers, me, persister, applyCh, runtime) => new Raft(peers, me, persister, applyCh, runtime);

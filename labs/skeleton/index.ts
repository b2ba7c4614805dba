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

// Optional: tell raftlab's safety checker (`raftlab run --check`) what your persisted state holds, so it can check
// votes and logs against it whatever names and layout you chose (labs/api: DescribeState). Without it the checker
// reads field names it knows and skips, with a reason, the rules it cannot read for certain. For example, if persist()
// saves { currentTerm, votedFor, log } with votedFor -1 for "none" and log[0] a dummy entry for the snapshot, and
// lastIncludedIndex next to them:
//
// import type { DescribeState } from '../api/index.ts';
// import type { LogEntry } from './types.ts';
//
// export const describeState: DescribeState = (raftState, decode) => {
//   const s = decode(raftState) as { currentTerm: number; votedFor: number; log: LogEntry[]; lastIncludedIndex: number };
//   return {
//     currentTerm: s.currentTerm,
//     votedFor: s.votedFor === -1 ? null : s.votedFor,
//     // the entry at index firstIndex + i is terms[i] / commands[i]; the dummy log[0] is left out
//     log: { firstIndex: s.lastIncludedIndex + 1, terms: s.log.slice(1).map((e) => e.term), commands: s.log.slice(1).map((e) => e.command) },
//   };
// };

/**
 * The polling Raft, one of raftlab's corpus of independently designed implementations (see README.md).
 */
import type { MakeRaft } from '../../api/index.ts';
import { PollRaft } from './node.ts';

export const make: MakeRaft = (peers, me, persister, applyCh, runtime) => new PollRaft(peers, me, persister, applyCh, runtime);

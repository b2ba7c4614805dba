import type { MakeRaft, RaftNode } from '../api/index.ts';
import { RaftSnapshots } from './snapshot.ts';

/**
 * The reference Raft peer: what the tester gets from make(). Its parts, each beside the box of Figure 2 (and
 * Figure 13) it implements:
 *
 *   core.ts         state, the election and heartbeat timers, role changes, persistence, the applier
 *   election.ts     RequestVote: leader election                        (2A)
 *   replication.ts  start() and AppendEntries: log replication, commit  (2B)
 *   snapshot.ts     snapshot(), InstallSnapshot, condInstallSnapshot    (2D)
 *   log.ts          the log with its snapshot sentinel
 *   types.ts        RPC arguments and replies, log entries
 *
 * Each file adds a layer (RaftCore <- RaftElection <- RaftReplication <- RaftSnapshots <- Raft). To vary the
 * behaviour, extend this class and override a protected method or timing getter, e.g.
 * `protected override get heartbeatIntervalMs() { return 10; }`.
 */
export class Raft extends RaftSnapshots implements RaftNode {
  constructor(...args: Parameters<MakeRaft>) {
    super(...args);
    this.startBackgroundWork();
  }
}

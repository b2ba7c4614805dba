import { RaftReplication } from './replication.ts';
import type { InstallSnapshotArgs, InstallSnapshotReply } from './types.ts';

/**
 * Log compaction (2D): snapshot() from the service, the InstallSnapshot RPC (Figure 13) for followers that lag
 * behind the leader's snapshot, and condInstallSnapshot() for the service to switch to a received snapshot.
 *
 * The log keeps a sentinel for the snapshot's last entry (log.ts), so everything else in the code works unchanged:
 * a peer whose nextIndex falls at or below the sentinel gets the snapshot instead of entries.
 */
export abstract class RaftSnapshots extends RaftReplication {
  /**
   * The service has a snapshot of everything up to and including `index`: drop those entries, keeping a sentinel
   * for `index`, and save state and snapshot together. Called by the tester from the loop that reads applyCh.
   */
  snapshot(index: number, snapshot: Uint8Array): void {
    if (this.killed) return;
    // Nothing to gain from an older snapshot than ours (one installed from the leader may be newer), and the
    // service cannot have applied past commitIndex.
    if (index <= this.log.snapshotIndex || index > this.commitIndex) return;
    this.log.compact(index);
    this.persistWithSnapshot(snapshot);
    this.runtime.log('SNAP', `snapshot at ${index}`, { index, term: this.log.snapshotTerm, lastIndex: this.log.lastIndex });
  }

  /**
   * The service received a snapshot on applyCh and asks whether to switch to it. Refuse if we committed past it
   * since it arrived: the entries it covers are then on their way to the service through applyCh, and switching
   * would take the service back in time. Otherwise make it our log's starting point and say yes.
   */
  condInstallSnapshot(lastIncludedTerm: number, lastIncludedIndex: number, snapshot: Uint8Array): boolean {
    if (this.killed || this.isStaleSnapshot(lastIncludedIndex)) return false;
    // Figure 13, 6-7: if we hold the snapshot's last entry, keep what follows it; otherwise discard the whole log.
    if (this.log.has(lastIncludedIndex) && this.log.term(lastIncludedIndex) === lastIncludedTerm) {
      this.log.compact(lastIncludedIndex);
    } else {
      this.log.reset(lastIncludedIndex, lastIncludedTerm);
    }
    this.commitIndex = lastIncludedIndex;
    this.lastApplied = lastIncludedIndex;
    this.persistWithSnapshot(snapshot);
    this.runtime.log('SNAP', `installed snapshot at ${lastIncludedIndex}`, {
      index: lastIncludedIndex,
      term: lastIncludedTerm,
      lastIndex: this.log.lastIndex,
    });
    return true;
  }

  /**
   * A snapshot through `lastIncludedIndex` is stale once we have committed that far: the entries it covers are
   * applied, or on their way to the service through applyCh, and installing it would take the service back in time.
   */
  protected isStaleSnapshot(lastIncludedIndex: number): boolean {
    return lastIncludedIndex <= this.commitIndex;
  }

  /** Send `peer` our snapshot: it needs entries our log no longer holds. */
  protected async sendInstallSnapshot(peer: number): Promise<void> {
    const args: InstallSnapshotArgs = {
      term: this.currentTerm,
      leaderId: this.me,
      lastIncludedIndex: this.log.snapshotIndex,
      lastIncludedTerm: this.log.snapshotTerm,
      data: this.persister.readSnapshot(),
    };
    const result = await this.call<InstallSnapshotReply>(peer, 'Raft.InstallSnapshot', args);
    if (!result.ok || this.killed) return;
    const reply = result.reply;
    if (this.adoptHigherTermOfReply(reply.term)) return;
    // Stale: sent in a term, or as a leader, we no longer are.
    if (this.role !== 'leader' || this.currentTerm !== args.term) return;
    const matchBefore = this.matchIndex[peer]!;
    const nextBefore = this.nextIndex[peer]!;
    // The peer has (or is about to install) everything up to lastIncludedIndex: carry on after it.
    this.matchIndex[peer] = Math.max(matchBefore, args.lastIncludedIndex);
    this.nextIndex[peer] = this.matchIndex[peer]! + 1;
    this.continueIfMoved(peer, matchBefore, nextBefore);
  }

  /** InstallSnapshot RPC handler (Figure 13, receiver implementation, adapted to the lab's 2021 API). */
  InstallSnapshot(args: InstallSnapshotArgs): InstallSnapshotReply {
    if (this.killed) return { term: this.currentTerm };
    // 1. Reply immediately if term < currentTerm.
    if (args.term < this.currentTerm) return { term: this.currentTerm };
    if (args.term > this.currentTerm) this.adoptTerm(args.term);
    // The sender is the leader of our term, as for AppendEntries.
    this.changeRole('follower');
    this.resetElectionTimer();

    // Hand the snapshot to the service through the applier, unless we already committed (or have pending) as much.
    // The log changes only if the service agrees, in condInstallSnapshot().
    const pending = this.pendingSnapshot;
    if (!this.isStaleSnapshot(args.lastIncludedIndex) && (!pending || args.lastIncludedIndex > pending.index)) {
      this.pendingSnapshot = { term: args.lastIncludedTerm, index: args.lastIncludedIndex, data: args.data };
      this.applySignal.notify();
      this.runtime.log('SNAP', `received snapshot at ${args.lastIncludedIndex} from leader ${args.leaderId}`, {
        term: this.currentTerm,
        index: args.lastIncludedIndex,
      });
    }
    return { term: this.currentTerm };
  }
}

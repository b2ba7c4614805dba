/**
 * Planted bug: snapshots are installed however old they are. The InstallSnapshot handler hands every snapshot from
 * the leader to the service, and condInstallSnapshot() always switches to it and says yes.
 *
 * The lab's rule has two halves, and this Raft keeps neither: the handler ignores a snapshot that is not past
 * commitIndex, and condInstallSnapshot() refuses one the node has committed past since it arrived, because the
 * entries after it are already on their way to the service. A delayed or duplicated InstallSnapshot then moves
 * commitIndex and lastApplied back and throws away the log after the old snapshot: the service goes back in time.
 * The tester re-applies the same entries and sees nothing; the checker's Apply order rule sees the install.
 */
import type { MakeRaft } from '../../api/index.ts';
import type { BugAbout } from '../about.ts';
import { Raft } from '../../raft/index.ts';
import type { InstallSnapshotArgs, InstallSnapshotReply } from '../../raft/types.ts';

class InstallsStaleSnapshots extends Raft {
  override InstallSnapshot(args: InstallSnapshotArgs): InstallSnapshotReply {
    if (this.killed) return { term: this.currentTerm };
    if (args.term < this.currentTerm) return { term: this.currentTerm };
    if (args.term > this.currentTerm) this.adoptTerm(args.term);
    this.changeRole('follower');
    this.resetElectionTimer();
    // The mistake, first half: no `args.lastIncludedIndex > this.commitIndex` check.
    this.pendingSnapshot = { term: args.lastIncludedTerm, index: args.lastIncludedIndex, data: args.data };
    this.applySignal.notify();
    return { term: this.currentTerm };
  }

  override condInstallSnapshot(lastIncludedTerm: number, lastIncludedIndex: number, snapshot: Uint8Array): boolean {
    // The mistake, second half: no `lastIncludedIndex <= this.commitIndex` refusal.
    if (this.killed) return false;
    if (this.log.has(lastIncludedIndex) && this.log.term(lastIncludedIndex) === lastIncludedTerm) {
      this.log.compact(lastIncludedIndex);
    } else {
      this.log.reset(lastIncludedIndex, lastIncludedTerm);
    }
    this.commitIndex = lastIncludedIndex;
    this.lastApplied = lastIncludedIndex;
    this.persistWithSnapshot(snapshot);
    return true;
  }
}

export const about: BugAbout = {
  title: 'Install a snapshot however old',
  explanation:
    'Every InstallSnapshot is handed to the service and condInstallSnapshot() accepts it, even when the node has already committed past it: a late or duplicated snapshot takes commitIndex, lastApplied and the service back in time.',
  catch: { tests: '^TestSnapshotBasic2D$', seeds: 10, chaos: 'delay=50', invariant: 'apply-order' },
};

export const make: MakeRaft = (...args) => new InstallsStaleSnapshots(...args);

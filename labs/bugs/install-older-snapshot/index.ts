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

class InstallsStaleSnapshots extends Raft {
  protected override isStaleSnapshot(_lastIncludedIndex: number): boolean {
    // The mistake: no `lastIncludedIndex <= commitIndex` test, so neither the InstallSnapshot handler nor
    // condInstallSnapshot() ever refuses a snapshot.
    return false;
  }
}

export const about: BugAbout = {
  title: 'Install a snapshot however old',
  explanation:
    'Every InstallSnapshot is handed to the service and condInstallSnapshot() accepts it, even when the node has already committed past it: a late or duplicated snapshot takes commitIndex, lastApplied and the service back in time.',
  catch: { tests: '^TestSnapshotBasic2D$', seeds: 10, chaos: 'delay=50', invariant: 'apply-order' },
};

export const make: MakeRaft = (...args) => new InstallsStaleSnapshots(...args);

/** The reference's persisted format, unchanged by this bug: the checker reads it the same way. */
export { describeState } from '../../raft/index.ts';

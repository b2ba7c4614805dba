/**
 * Planted bug: condInstallSnapshot() always installs the snapshot and says yes, even when the node has committed
 * past it since it arrived.
 *
 * The lab's rule: refuse a snapshot older than commitIndex, because the entries after it are already on their way
 * to the service through applyCh. Installing it moves commitIndex and lastApplied back and, if the log no longer
 * holds the snapshot's last entry, throws away the log after it.
 */
import type { MakeRaft } from '../../api/index.ts';
import type { BugAbout } from '../about.ts';
import { Raft } from '../../raft/index.ts';

class InstallsStaleSnapshots extends Raft {
  override condInstallSnapshot(lastIncludedTerm: number, lastIncludedIndex: number, snapshot: Uint8Array): boolean {
    // The mistake: no `lastIncludedIndex <= this.commitIndex` check.
    if (this.killed) return false;
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
}

export const about: BugAbout = {
  title: 'Install a snapshot older than commitIndex',
  explanation:
    'condInstallSnapshot() accepts every snapshot, even one the node has committed past: commitIndex and lastApplied go back, and the service may be taken back in time.',
  // Not caught yet, by the tests or the checker, within the seeds tried: see docs/bug-catalog.md.
  catch: undefined,
};

export const make: MakeRaft = (...args) => new InstallsStaleSnapshots(...args);

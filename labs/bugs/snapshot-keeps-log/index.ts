/**
 * Planted bug: snapshot() saves the snapshot but never trims the log.
 *
 * The point of a snapshot is to let Raft discard the log entries it covers. Keeping them makes the persisted Raft
 * state grow without bound: the 2D tests fail with "Log size too large" (over 2000 bytes).
 */
import type { MakeRaft } from '../../api/index.ts';
import type { BugAbout } from '../about.ts';
import { Raft } from '../../raft/index.ts';

class NeverTrims extends Raft {
  override snapshot(index: number, snapshot: Uint8Array): void {
    if (this.killed || index > this.commitIndex) return;
    this.persistWithSnapshot(snapshot);
  }
}

export const about: BugAbout = {
  title: 'A snapshot that does not trim the log',
  explanation:
    'snapshot() saves the snapshot but keeps every log entry it covers, so the persisted state grows without bound: "Log size too large".',
  catch: { tests: '^TestSnapshotBasic2D$', seeds: 1 },
};

export const make: MakeRaft = (...args) => new NeverTrims(...args);

/** The reference's persisted format, unchanged by this bug: the checker reads it the same way. */
export { describeState } from '../../raft/index.ts';

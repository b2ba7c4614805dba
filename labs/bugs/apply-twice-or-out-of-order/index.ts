/**
 * Planted bug: when commitIndex has moved on, the applier jumps lastApplied straight to commitIndex and delivers
 * only that entry (Go: `rf.lastApplied = rf.commitIndex; rf.applyCh <- ApplyMsg{..., CommandIndex: rf.commitIndex}`).
 *
 * Figure 2: apply log[lastApplied + 1], one entry at a time, until lastApplied reaches commitIndex. Whenever
 * commitIndex advances by more than one at once (a follower learning of several commits in one heartbeat, a leader
 * committing a batch, a restarted server catching up), the entries in between are never applied: the service sees
 * index 5 after index 2, which the tester reports as "apply out of order".
 *
 * (The race version of this mistake, a new apply task per wake-up with lastApplied advanced after the await, cannot
 * show here: the tester takes every message in the same instant it is sent, so no wake-up lands inside an await.)
 */
import type { ApplyMsg, MakeRaft } from '../../api/index.ts';
import type { BugAbout } from '../about.ts';
import { Raft } from '../../raft/index.ts';

class AppliesOnlyTheNewest extends Raft {
  protected override nextApplyMsg(): ApplyMsg | undefined {
    if (this.pendingSnapshot || this.lastApplied >= this.commitIndex) return super.nextApplyMsg();
    // The mistake: skip to commitIndex instead of lastApplied + 1.
    this.lastApplied = this.commitIndex;
    const entry = this.log.entry(this.lastApplied);
    return {
      commandValid: true,
      command: entry.command,
      commandIndex: entry.index,
      snapshotValid: false,
      snapshot: new Uint8Array(0),
      snapshotTerm: 0,
      snapshotIndex: 0,
    };
  }
}

export const about: BugAbout = {
  title: 'Apply only the newest committed entry',
  explanation:
    'The applier sets lastApplied = commitIndex and delivers that one entry: when several entries commit at once, those in between are never applied and the service sees indices out of order (Figure 2: lastApplied).',
  catch: { tests: '^TestFailAgree2B$', seeds: 3, invariant: 'apply-order' },
};

export const make: MakeRaft = (...args) => new AppliesOnlyTheNewest(...args);

/** The reference's persisted format, unchanged by this bug: the checker reads it the same way. */
export { describeState } from '../../raft/index.ts';

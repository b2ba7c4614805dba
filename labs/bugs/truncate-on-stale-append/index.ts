/**
 * Planted bug: a follower truncates its log after prevLogIndex on every AppendEntries, then appends the entries,
 * even when the entries it holds already match (Go: `rf.log = append(rf.log[:args.PrevLogIndex+1], args.Entries...)`).
 *
 * Figure 2 says to delete entries only from the first one that conflicts. The network reorders RPCs: a stale
 * AppendEntries (or heartbeat) carrying fewer entries than one already accepted cuts the log short, removing
 * entries the leader already counts as stored here (its matchIndex never moves back). The leader may then commit an
 * entry a majority no longer holds, which a later leader can overwrite; or the follower loses entries it had
 * committed and its applier reads past the end of its log.
 */
import type { MakeRaft } from '../../api/index.ts';
import type { BugAbout } from '../about.ts';
import { Raft } from '../../raft/index.ts';
import { noTerm, type AppendEntriesArgs, type AppendEntriesReply } from '../../raft/types.ts';

class TruncatesOnEveryAppend extends Raft {
  override AppendEntries(args: AppendEntriesArgs): AppendEntriesReply {
    const reply = (success: boolean, conflictTerm: number, conflictIndex: number): AppendEntriesReply => ({
      term: this.currentTerm,
      success,
      conflictTerm,
      conflictIndex,
    });
    if (this.killed) return reply(false, noTerm, args.prevLogIndex + 1);
    if (args.term < this.currentTerm) return reply(false, noTerm, this.log.lastIndex + 1);
    if (args.term > this.currentTerm) this.adoptTerm(args.term);
    this.changeRole('follower');
    this.resetElectionTimer();

    let { prevLogIndex, prevLogTerm, entries } = args;
    if (prevLogIndex < this.log.snapshotIndex) {
      const covered = this.log.snapshotIndex - prevLogIndex;
      if (covered >= entries.length) return reply(true, noTerm, 0);
      entries = entries.slice(covered);
      prevLogIndex = this.log.snapshotIndex;
      prevLogTerm = this.log.snapshotTerm;
    }

    if (prevLogIndex > this.log.lastIndex) return reply(false, noTerm, this.log.lastIndex + 1);
    if (this.log.term(prevLogIndex) !== prevLogTerm) {
      return reply(false, this.log.term(prevLogIndex), this.log.firstIndexOfTerm(prevLogIndex));
    }

    // The mistake: cut everything after prevLogIndex, matching or not, and append what this request carries.
    this.log.truncateFrom(prevLogIndex + 1);
    this.log.append(entries);
    this.persist();
    if (entries.length > 0) {
      this.runtime.log('LOG2', `appended ${prevLogIndex + 1}..${this.log.lastIndex} from leader ${args.leaderId}`, {
        term: this.currentTerm,
        from: prevLogIndex + 1,
        to: this.log.lastIndex,
      });
    }

    const lastNewIndex = prevLogIndex + entries.length;
    const commit = Math.min(args.leaderCommit, lastNewIndex);
    if (commit > this.commitIndex) this.setCommitIndex(commit);
    return reply(true, noTerm, 0);
  }
}

export const about: BugAbout = {
  title: 'Truncate the log on every AppendEntries',
  explanation:
    'A follower deletes everything after prevLogIndex before appending, even entries that match. A stale, reordered AppendEntries with fewer entries then cuts the log short, behind the leader\'s matchIndex (Figure 2, AppendEntries step 3).',
  catch: { tests: '^TestFigure8Unreliable2C$', seeds: 25, invariant: 'state-machine-safety' },
};

export const make: MakeRaft = (...args) => new TruncatesOnEveryAppend(...args);

/** The reference's persisted format, unchanged by this bug: the checker reads it the same way. */
export { describeState } from '../../raft/index.ts';

/** The reference's log (labs/raft/log.ts): Raft indices over columns of terms and commands, after the snapshot. */
import assert from 'node:assert/strict';
import { RaftLog } from '../../labs/raft/log.ts';

const log = (snapshotIndex: number, snapshotTerm: number, terms: number[]): RaftLog =>
  RaftLog.fromPersisted({ snapshotIndex, snapshotTerm, terms, commands: terms.map((_, i) => `c${snapshotIndex + 1 + i}`) });

describe('the reference log', () => {
  it('starts empty, with the snapshot\'s place at index 0 of term 0, so real entries start at index 1', () => {
    const l = new RaftLog();
    assert.deepEqual([l.snapshotIndex, l.snapshotTerm, l.lastIndex, l.lastTerm], [0, 0, 0, 0]);
    assert.equal(l.term(0), 0);
    assert.deepEqual(l.from(1), []);
  });

  it('addresses entries by Raft index, after a snapshot too', () => {
    const l = log(10, 3, [3, 4, 4]);
    assert.deepEqual([l.snapshotIndex, l.snapshotTerm, l.lastIndex, l.lastTerm], [10, 3, 13, 4]);
    assert.deepEqual(l.entry(12), { index: 12, term: 4, command: 'c12' });
    assert.equal(l.term(10), 3, 'the log answers for the snapshot’s last entry');
    assert.deepEqual(l.from(12).map((e) => e.index), [12, 13]);
    assert.equal(l.has(10), true);
    assert.equal(l.has(9), false);
    assert.equal(l.has(14), false);
  });

  it('refuses indices the snapshot took or the log does not have yet', () => {
    const l = log(10, 3, [3]);
    assert.throws(() => l.entry(9), /log index 9 is outside \[10, 11\]/);
    assert.throws(() => l.entry(12), RangeError);
    assert.throws(() => l.from(10), /cannot read the log from 10/);
    assert.throws(() => l.truncateFrom(10), /cannot truncate at 10: it is in the snapshot/);
    assert.throws(() => l.append([{ index: 13, term: 3, command: 'c13' }]), /cannot append entry 13 after 11/);
    assert.throws(() => RaftLog.fromPersisted({ snapshotIndex: 0, snapshotTerm: 0, terms: [1], commands: [] }), /1 terms and 0 commands/);
  });

  it('is read back from copies: a restored log never changes the value it was read from, nor that value it', () => {
    const saved = { snapshotIndex: 0, snapshotTerm: 0, terms: [1, 1], commands: ['c1', 'c2'] };
    const l = RaftLog.fromPersisted(saved);
    l.truncateFrom(2);
    l.append([{ index: 2, term: 2, command: 'x' }]);
    assert.deepEqual(saved, { snapshotIndex: 0, snapshotTerm: 0, terms: [1, 1], commands: ['c1', 'c2'] });
    saved.terms.push(9);
    saved.commands.push('y');
    assert.deepEqual(l.persistedView(), { snapshotIndex: 0, snapshotTerm: 0, terms: [1, 2], commands: ['c1', 'x'] });
  });

  it('truncateFrom deletes an entry and all that follow; past the end it changes nothing', () => {
    const l = log(0, 0, [1, 1, 2, 2]);
    l.truncateFrom(5);
    assert.equal(l.lastIndex, 4);
    l.truncateFrom(3);
    assert.deepEqual([l.lastIndex, l.lastTerm], [2, 1]);
    l.append([{ index: 3, term: 3, command: 'x' }]);
    assert.deepEqual(l.entry(3), { index: 3, term: 3, command: 'x' });
  });

  it('compact keeps a sentinel for the snapshot’s last entry and the entries after it; reset keeps nothing else', () => {
    const l = log(0, 0, [1, 1, 2, 2, 3]);
    l.compact(3);
    assert.deepEqual([l.snapshotIndex, l.snapshotTerm, l.lastIndex], [3, 2, 5]);
    assert.deepEqual(l.from(4).map((e) => e.command), ['c4', 'c5']);
    l.reset(9, 4);
    assert.deepEqual([l.snapshotIndex, l.snapshotTerm, l.lastIndex, l.lastTerm], [9, 4, 9, 4]);
  });

  it('finds where a term starts (never the sentinel) and where it ends at or before an index, for fast backup', () => {
    const l = log(2, 1, [1, 2, 2, 2, 4]);
    assert.equal(l.firstIndexOfTerm(6), 4);
    assert.equal(l.firstIndexOfTerm(3), 3, 'term 1 goes on into the snapshot, but the snapshot is no place to resume');
    assert.equal(l.lastIndexOfTerm(2, 7), 6);
    assert.equal(l.lastIndexOfTerm(2, 5), 5);
    assert.equal(l.lastIndexOfTerm(1, 7), 3);
    assert.equal(l.lastIndexOfTerm(3, 7), undefined, 'a term the log skipped');
    assert.equal(l.lastIndexOfTerm(5, 7), undefined);
  });

  it('persists column-wise and reads back what it wrote', () => {
    const l = log(4, 2, [2, 3]);
    const saved = l.persistedView();
    assert.deepEqual(saved, { snapshotIndex: 4, snapshotTerm: 2, terms: [2, 3], commands: ['c5', 'c6'] });
    assert.deepEqual(RaftLog.fromPersisted(saved).from(5), l.from(5));
  });
});

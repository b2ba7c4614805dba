import assert from 'node:assert/strict';
import { digestCommand, persistedLogDelta, readPersistedLog } from '../../src/harness/tester/persisted-log.ts';

describe('persisted logs, read for traces', () => {
  it('reads the reference column-wise log', () => {
    const view = readPersistedLog({ currentTerm: 3, votedFor: 1, log: { snapshotIndex: 9, snapshotTerm: 2, terms: [2, 3], commands: [101, 'x'] } });
    assert.deepEqual(view, { snapshotIndex: 9, snapshotTerm: 2, terms: [2, 3], commands: [101, digestCommand('x')] });
  });

  it('reads an array of entries with a dummy first entry, with or without indices', () => {
    // Go style: Log[0] is the dummy standing for the snapshot, entries carry Index.
    const go = readPersistedLog({ CurrentTerm: 4, VotedFor: -1, Log: [{ Index: 5, Term: 2, Command: null }, { Index: 6, Term: 4, Command: 7 }] });
    assert.deepEqual(go, { snapshotIndex: 5, snapshotTerm: 2, terms: [4], commands: [7] });
    // No indices: a dummy at position 0 and the base from lastIncludedIndex.
    const based = readPersistedLog({ log: [{ term: 1, command: null }, { term: 1, command: 8 }, { term: 2, command: 9 }], lastIncludedIndex: 0 });
    assert.deepEqual(based, { snapshotIndex: 0, snapshotTerm: 1, terms: [1, 2], commands: [8, 9] });
    // No dummy, no base: the first entry is index 1.
    assert.deepEqual(readPersistedLog({ entries: [{ term: 1, command: 3 }] }), { snapshotIndex: 0, snapshotTerm: 0, terms: [1], commands: [3] });
  });

  it('reads nothing it does not understand', () => {
    assert.equal(readPersistedLog(new Uint8Array(3)), undefined);
    assert.equal(readPersistedLog({ currentTerm: 1 }), undefined);
    assert.equal(readPersistedLog({ log: [{ term: 'one', command: 1 }] }), undefined);
    // Indices with a gap are not a log.
    assert.equal(readPersistedLog({ log: [{ index: 1, term: 1, command: 1 }, { index: 3, term: 1, command: 2 }] }), undefined);
  });

  it('keeps numbers as they are and hashes anything else', () => {
    assert.equal(digestCommand(42), 42);
    assert.match(String(digestCommand('x'.repeat(5000))), /^#[0-9a-f]{8}$/);
    assert.notEqual(digestCommand('a'), digestCommand('b'));
    assert.equal(digestCommand({ a: 1 }), digestCommand({ a: 1 }));
  });

  it('reports only what changed: an append, a truncation, a snapshot', () => {
    const log = (snapshotIndex: number, terms: number[]) => ({ snapshotIndex, snapshotTerm: 1, terms, commands: terms.map((t, k) => t * 100 + k) });
    assert.deepEqual(persistedLogDelta(undefined, log(0, [1, 1])), { snapshotIndex: 0, snapshotTerm: 1, from: 1, terms: [1, 1], commands: [100, 101], lastIndex: 2 });
    assert.deepEqual(persistedLogDelta(log(0, [1, 1]), log(0, [1, 1, 1])), { snapshotIndex: 0, snapshotTerm: 1, from: 3, terms: [1], commands: [102], lastIndex: 3 });
    // Truncated to one entry: nothing new, the log now ends at 1.
    assert.deepEqual(persistedLogDelta(log(0, [1, 1, 1]), log(0, [1])), { snapshotIndex: 0, snapshotTerm: 1, from: 2, terms: [], commands: [], lastIndex: 1 });
    assert.equal(persistedLogDelta(log(0, [1, 1]), log(0, [1, 1])), undefined, 'nothing changed');
    // A snapshot through 2 of [1, 1, 1]: the entry left is unchanged.
    const after = { snapshotIndex: 2, snapshotTerm: 1, terms: [1], commands: [102] };
    assert.deepEqual(persistedLogDelta(log(0, [1, 1, 1]), after), { snapshotIndex: 2, snapshotTerm: 1, from: 4, terms: [], commands: [], lastIndex: 3 });
  });
});

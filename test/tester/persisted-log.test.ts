import assert from 'node:assert/strict';
import {
  PersistedLogTracker,
  digestCommand,
  readPersistedLog,
  type PersistedLogDelta,
  type PersistedLogReading,
  type PersistedLogView,
} from '../../src/harness/tester/persisted-log.ts';
import { makeRng } from '../../src/harness/runtime/prng.ts';

/** The delta's definition, written plainly: what changed from `before` to `after`, compared at equal indices. */
function modelDelta(before: PersistedLogView | undefined, after: PersistedLogView): PersistedLogDelta | undefined {
  const lastIndex = after.snapshotIndex + after.terms.length;
  const at = (log: PersistedLogView, index: number) => index - log.snapshotIndex - 1;
  let from = after.snapshotIndex + 1;
  if (before && before.snapshotIndex <= after.snapshotIndex) {
    const beforeLast = before.snapshotIndex + before.terms.length;
    while (from <= Math.min(lastIndex, beforeLast) && before.terms[at(before, from)] === after.terms[at(after, from)] && before.commands[at(before, from)] === after.commands[at(after, from)]) from++;
  }
  const same = before?.snapshotIndex === after.snapshotIndex && before.snapshotTerm === after.snapshotTerm && before.snapshotIndex + before.terms.length === lastIndex;
  if (same && from > lastIndex) return undefined;
  const k = from - after.snapshotIndex - 1;
  return { snapshotIndex: after.snapshotIndex, ...(after.snapshotTerm !== undefined ? { snapshotTerm: after.snapshotTerm } : {}), from, terms: after.terms.slice(k), commands: after.commands.slice(k), lastIndex };
}

const digested = (log: PersistedLogReading): PersistedLogView => ({ ...log, terms: [...log.terms], commands: log.commands.map(digestCommand) });

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
    const tracker = new PersistedLogTracker();
    assert.deepEqual(tracker.advance(log(0, [1, 1])), { snapshotIndex: 0, snapshotTerm: 1, from: 1, terms: [1, 1], commands: [100, 101], lastIndex: 2 });
    assert.deepEqual(tracker.advance(log(0, [1, 1, 1])), { snapshotIndex: 0, snapshotTerm: 1, from: 3, terms: [1], commands: [102], lastIndex: 3 });
    assert.equal(tracker.advance(log(0, [1, 1, 1])), undefined, 'nothing changed');
    // A snapshot through 2 of [1, 1, 1]: the entry left is unchanged.
    assert.deepEqual(tracker.advance({ snapshotIndex: 2, snapshotTerm: 1, terms: [1], commands: [102] }), { snapshotIndex: 2, snapshotTerm: 1, from: 4, terms: [], commands: [], lastIndex: 3 });
    assert.deepEqual(tracker.view, { snapshotIndex: 2, snapshotTerm: 1, terms: [1], commands: [102] });
    // Truncated to nothing after the snapshot, then a conflicting entry at 3.
    assert.deepEqual(tracker.advance({ snapshotIndex: 2, snapshotTerm: 1, terms: [], commands: [] }), { snapshotIndex: 2, snapshotTerm: 1, from: 3, terms: [], commands: [], lastIndex: 2 });
    assert.deepEqual(tracker.advance({ snapshotIndex: 2, snapshotTerm: 1, terms: [4], commands: ['x'] }), { snapshotIndex: 2, snapshotTerm: 1, from: 3, terms: [4], commands: [digestCommand('x')], lastIndex: 3 });
    tracker.forget();
    assert.equal(tracker.view, undefined);
    assert.deepEqual(tracker.advance({ snapshotIndex: 2, snapshotTerm: 1, terms: [4], commands: ['x'] })?.from, 3, 'after an unreadable save the log is reported whole');
  });

  it('keeps copies: an implementation changing its arrays after a save changes nothing the trace saw', () => {
    const tracker = new PersistedLogTracker();
    const terms = [1, 2];
    const commands: unknown[] = [{ op: 'a' }, 7];
    tracker.advance({ snapshotIndex: 0, terms, commands });
    terms[0] = 9;
    (commands[0] as { op: string }).op = 'b';
    commands.push(8);
    assert.deepEqual(tracker.view, { snapshotIndex: 0, snapshotTerm: undefined, terms: [1, 2], commands: [digestCommand({ op: 'a' }), 7] });
  });

  it('gives the definition\'s delta over 3 000 random saves (seeded): appends, overwrites, truncations, snapshots both ways', () => {
    const rng = makeRng(1, 'persisted-log tracker');
    const tracker = new PersistedLogTracker();
    let before: PersistedLogView | undefined;
    let terms: number[] = [];
    let commands: unknown[] = [];
    let snapshotIndex = 0;
    const command = (): unknown => [rng.int(), `c${rng.intn(4)}`, { k: rng.intn(3) }, 1.5, null][rng.intn(5)];
    for (let save = 0; save < 3000; save++) {
      switch (rng.intn(7)) {
        case 0: case 1: { const n = 1 + rng.intn(3); for (let j = 0; j < n; j++) { terms.push(1 + rng.intn(4)); commands.push(command()); } break; }
        case 2: { const cut = rng.intn(terms.length + 1); terms = terms.slice(0, cut); commands = commands.slice(0, cut); break; }
        case 3: if (terms.length > 0) { const k = rng.intn(terms.length); terms[k] = 1 + rng.intn(4); if (rng.intn(2) === 0) commands[k] = command(); } break;
        case 4: { const d = rng.intn(terms.length + 1); snapshotIndex += d; terms = terms.slice(d); commands = commands.slice(d); break; }
        case 5: if (rng.intn(4) === 0) { const back = rng.intn(snapshotIndex + 1); snapshotIndex -= back; terms = [...Array.from({ length: back }, () => 1), ...terms]; commands = [...Array.from({ length: back }, command), ...commands]; } break;
        default: break; // saved again unchanged
      }
      const snapshotTerm = rng.intn(5) === 0 ? undefined : snapshotIndex === 0 ? 0 : 1;
      if (rng.intn(40) === 0) {
        tracker.forget();
        before = undefined;
        continue;
      }
      const reading: PersistedLogReading = { snapshotIndex, snapshotTerm, terms: [...terms], commands: [...commands] };
      const after = digested(reading);
      assert.deepEqual(tracker.advance(reading), modelDelta(before, after), `save ${save}`);
      assert.deepEqual(tracker.view, after, `save ${save}: the kept log`);
      before = after;
    }
  });
});

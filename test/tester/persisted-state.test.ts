import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import type { DescribeState } from '../../labs/api/index.ts';
import { checkTrace } from '../../src/checker/index.ts';
import { ImplLoadError, findTest, loadImplementation, runTest } from '../../src/harness/tester/index.ts';
import { DescribeStateError, readDescription, readPersistedState } from '../../src/harness/tester/persisted-log.ts';
import { createTraceRecorder } from '../../src/trace/index.ts';

const entries = (...terms: number[]) => terms.map((term, i) => ({ term, command: 100 + i }));

describe('persisted state: read with certainty (describeState, or field names), or not at all', () => {
  it('reads the reference\'s column-wise log and its term and vote', () => {
    const r = readPersistedState({ currentTerm: 4, votedFor: 2, log: { snapshotIndex: 9, snapshotTerm: 3, terms: [3, 4], commands: [7, 'x'] } });
    assert.equal(r.term, 4);
    assert.equal(r.votedFor, 2);
    assert.deepEqual({ ...r.log, commands: r.log!.commands.length }, { snapshotIndex: 9, snapshotTerm: 3, terms: [3, 4], commands: 2 });
  });

  it('reads arrays of entries with or without a dummy, the base named or certainly 0', () => {
    const dummy = readPersistedState({ currentTerm: 2, votedFor: -1, lastIncludedIndex: 9, log: [{ term: 1, command: null }, ...entries(2, 2)] });
    assert.deepEqual([dummy.log?.snapshotIndex, dummy.log?.snapshotTerm, dummy.log?.terms, dummy.layout], [9, 1, [2, 2], 'dummy']);
    const plain = readPersistedState({ currentTerm: 2, votedFor: 1, log: entries(1, 2) });
    assert.deepEqual([plain.log?.snapshotIndex, plain.log?.terms, plain.layout], [0, [1, 2], 'plain']);
    const zero = readPersistedState({ currentTerm: 2, votedFor: 1, log: [{ term: 0, command: 0 }, ...entries(1)] });
    assert.deepEqual([zero.log?.snapshotIndex, zero.log?.terms], [0, [1]], 'an entry of term 0 is a dummy');
    const indexed = readPersistedState({ currentTerm: 2, offset: 19, log: [{ index: 19, term: 1, command: null }, { index: 20, term: 2, command: 5 }] });
    assert.deepEqual([indexed.log?.snapshotIndex, indexed.log?.terms], [19, [2]], 'entries with indices place themselves');
  });

  it('does not guess: a base under an unknown name, a first entry that may or may not be a dummy', () => {
    const offset = readPersistedState({ currentTerm: 3, votedFor: 0, offset: 19, log: [{ term: 2, command: null }, ...entries(3)] });
    assert.equal(offset.log, undefined);
    assert.match(offset.logUnreadable!, /fields this reader cannot place \(offset\), which may hold the snapshot base/);
    assert.equal(offset.term, 3, 'the term and vote are still read');
    const ambiguous = { currentTerm: 3, lastIncludedIndex: 19, log: entries(2, 3) };
    assert.match(readPersistedState(ambiguous).logUnreadable!, /whether the first saved log entry stands for the snapshot/);
    assert.deepEqual(readPersistedState(ambiguous, 'dummy').log?.terms, [3], 'unless this run showed its layout');
    assert.deepEqual(readPersistedState(ambiguous, 'plain').log?.terms, [2, 3]);
    assert.match(readPersistedState({ currentTerm: 1, log: { terms: [], commands: [] } }).logUnreadable!, /names no snapshot base/);
    assert.match(readPersistedState({ currentTerm: 1, Log: 'x' }).logUnreadable!, /no log under a name/);
  });

  it('checks a describeState answer and names the first wrong field', () => {
    const good = { currentTerm: 3, votedFor: null, log: { firstIndex: 10, terms: [2, 3], commands: [5, 6] } };
    assert.deepEqual(readDescription(good, 3), { term: 3, votedFor: null, log: { snapshotIndex: 9, terms: [2, 3], commands: [5, 6] } });
    const bad: Array<[unknown, RegExp]> = [
      [null, /null, not an object/],
      [{ ...good, currentTerm: -1 }, /currentTerm -1/],
      [{ ...good, votedFor: -1 }, /votedFor -1: not null and not a server index 0..2/],
      [{ ...good, votedFor: 3 }, /votedFor 3/],
      [{ ...good, log: { ...good.log, firstIndex: 0 } }, /log.firstIndex 0, not an integer >= 1/],
      [{ ...good, log: { ...good.log, commands: [5] } }, /log.terms of length 2 but log.commands of length 1/],
      [{ ...good, log: { ...good.log, terms: [2, 'x'] } }, /log.terms\[1\] = "x"/],
    ];
    for (const [description, message] of bad) assert.throws(() => readDescription(description, 3), (e: unknown) => e instanceof DescribeStateError && message.test(e.message));
  });

  it('a describeState that throws or answers wrong ends the run with an error naming the server, never a skip', async () => {
    const { make } = await loadImplementation();
    const run = async (describeState: DescribeState) => {
      const recorder = createTraceRecorder();
      return runTest(findTest('TestInitialElection2A')!, { mode: 'sim', seed: 1, make, describeState, ...recorder.options });
    };
    const threw = await run(() => {
      throw new Error('no idea');
    });
    assert.equal(threw.status, 'error');
    assert.equal(threw.errorCode, 'DESCRIBE_STATE_INVALID');
    assert.match(threw.message!, /^server \d: describeState threw: no idea$/);
    const wrong = await run(() => ({ currentTerm: 1, votedFor: 7, log: { firstIndex: 1, terms: [], commands: [] } }));
    assert.equal(wrong.errorCode, 'DESCRIBE_STATE_INVALID');
    assert.match(wrong.message!, /^server \d: describeState returned votedFor 7: not null and not a server index 0\.\.2/);
  });

  it('loads describeState with the implementation; one that is not a function does not load', async () => {
    assert.equal(typeof (await loadImplementation()).describeState, 'function');
    await assert.rejects(
      loadImplementation(fileURLToPath(new URL('../fixtures/impls/bad-describe/', import.meta.url))),
      (e: unknown) => e instanceof ImplLoadError && e.code === 'IMPL_LOAD_FAILED' && /exports describeState, but not as a function/.test(e.message),
    );
  });

  it('the reference read by describeState and by field names gives the checker the same saved logs', async () => {
    const { make, describeState } = await loadImplementation();
    const saves = async (withDescribe: boolean) => {
      const recorder = createTraceRecorder();
      await runTest(findTest('TestSnapshotInstallCrash2D')!, { mode: 'sim', seed: 1, make, ...(withDescribe ? { describeState } : {}), ...recorder.options });
      assert.deepEqual(checkTrace(recorder.events).violations, []);
      return recorder.events.filter((e) => e.kind === 'persist').map((e) => (e.kind === 'persist' ? [e.node, e.term, e.log?.from, e.log?.terms, e.log?.commands] : []));
    };
    assert.deepEqual(await saves(true), await saves(false));
  });
});

import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { checkTrace } from '../../src/checker/index.ts';
import { findTest, loadImplementation, runTest, selectTests } from '../../src/harness/tester/index.ts';
import { runBatch } from '../../src/runner/batch.ts';
import { createTraceRecorder, type TraceEvent } from '../../src/trace/index.ts';

const bug = (name: string) => fileURLToPath(new URL(`../../labs/bugs/${name}/`, import.meta.url));

async function tracedRun(implDir: string | undefined, testId: string, seed: number) {
  const { make, describeState } = await loadImplementation(implDir);
  const recorder = createTraceRecorder();
  const result = await runTest(findTest(testId)!, { mode: 'sim', seed, make, describeState, ...recorder.options });
  return { result, events: recorder.events, check: checkTrace(recorder.events) };
}

describe('safety checker', () => {
  it('finds no violation in the reference over every test (seeds 1 and 2), reading its state by describeState and by field names', async () => {
    const { make, describeState } = await loadImplementation();
    for (const seed of [1, 2]) {
      for (const test of selectTests('')) {
        const recorder = createTraceRecorder();
        const r = await runTest(test, { mode: 'sim', seed, make, ...(seed === 1 ? { describeState } : {}), ...recorder.options });
        assert.equal(r.status, 'pass');
        const c = checkTrace(recorder.events);
        assert.deepEqual(c.violations, [], `${test.id} seed ${seed}`);
        assert.deepEqual(c.skipped, [], `${test.id} seed ${seed}`);
      }
    }
  });

  it('catches a lost vote that the tests miss: votedFor not persisted before the reply', async () => {
    const { result, events, check } = await tracedRun(bug('votedfor-not-persisted'), 'TestInitialElection2A', 1);
    assert.equal(result.status, 'pass', 'the course test passes this bug');
    const v = check.violations[0]!;
    assert.equal(v.invariant, 'vote-persisted');
    assert.match(v.message, /^server \d granted its vote to server \d in term \d+ without saving votedFor = \d first \(its saved state said term \d+, no vote\)$/);
    const broken = events[v.eventIndex]!;
    assert.equal(broken.kind, 'reply');
    assert.ok(v.context.some((i) => events[i]!.kind === 'deliver'), 'led there from the request reaching the voter');
    assert.ok(v.context.every((i) => i < v.eventIndex) && v.context.every((i, k) => k === 0 || v.context[k - 1]! < i), 'oldest first');
    // Read by field names, the same run never shows a candidate saving its own vote: votedFor's meaning is not
    // confirmed, so the rule is skipped, and says so, rather than trusting the name.
    const { make } = await loadImplementation(bug('votedfor-not-persisted'));
    const recorder = createTraceRecorder();
    await runTest(findTest('TestInitialElection2A')!, { mode: 'sim', seed: 1, make, ...recorder.options });
    const byNames = checkTrace(recorder.events);
    assert.deepEqual(byNames.violations, []);
    assert.deepEqual(byNames.skipped.map((s) => s.invariant), ['vote-persisted']);
    assert.match(byNames.skipped[0]!.reason, /read by field names that this trace does not confirm/);
  });

  it('names State Machine Safety for a Raft that votes without the up-to-date check', async () => {
    let found;
    for (let seed = 1; seed <= 20 && !found; seed++) {
      const run = await tracedRun(bug('vote-without-up-to-date-check'), 'TestBackup2B', seed);
      if (run.result.status !== 'pass') found = run;
    }
    assert.ok(found, 'the bug fails TestBackup2B within 20 seeds');
    // First a leader wins without an entry that was committed before it; then servers apply different commands.
    const [first] = found.check.violations;
    assert.equal(first?.invariant, 'leader-completeness');
    assert.match(first.message, /^server \d leads term \d+ without the entry committed at index \d+ by term \d+ \(term \d+, command \d+\): its log /);
    const sms = found.check.violations.find((v) => v.invariant === 'state-machine-safety');
    assert.ok(sms, 'and State Machine Safety breaks after it');
    assert.match(sms.message, /^server \d applied .* at index \d+, where server \d applied /);
  });

  it('catches a leader committing an earlier-term entry by counting replicas, which the Figure 8 tests miss', async () => {
    const { result, check } = await tracedRun(bug('commit-earlier-term-by-counting'), 'TestFigure8Unreliable2C', 1);
    assert.equal(result.status, 'pass', 'the course test passes this seed');
    const v = check.violations[0]!;
    assert.equal(v.invariant, 'commit-current-term');
    assert.match(v.message, /^server \d, leader in term \d+, committed index \d+, which is not an entry of term \d+ /);
  });

  it('Election Safety, monotonic terms and apply order, on hand-made traces', () => {
    const state = (t: number, node: number, term: number, isLeader: boolean): TraceEvent => ({ t, kind: 'state', node, term, isLeader });
    const apply = (t: number, node: number, index: number, command: unknown): TraceEvent => ({ t, kind: 'apply', node, index, command });
    const two = checkTrace([state(1, 0, 3, true), state(2, 1, 3, true)]);
    assert.deepEqual(two.violations.map((v) => [v.invariant, v.message, v.eventIndex, v.context]), [
      ['election-safety', 'servers 0 and 1 are both leader in term 3', 1, [0]],
    ]);
    const saved = (t: number, node: number, term: number): TraceEvent => ({ t, kind: 'persist', node, bytes: 9, term, votedFor: null, source: 'describeState' });
    const reboot: TraceEvent[] = [{ t: 2, kind: 'crash', node: 2 }, { t: 3, kind: 'restart', node: 2, generation: 2 }];
    const back = checkTrace([state(1, 2, 5, false), saved(1, 2, 5), ...reboot, state(4, 2, 0, false)]);
    assert.deepEqual(back.violations.map((v) => [v.message, v.context]), [['server 2 restarted in term 0, below the term 5 it had saved', [1]]]);
    // A term never saved may die with a crash; within one incarnation it never goes back.
    assert.deepEqual(checkTrace([state(1, 2, 5, false), saved(1, 2, 4), ...reboot, state(4, 2, 4, false)]).violations, []);
    assert.deepEqual(checkTrace([state(1, 2, 5, false), state(2, 2, 3, false)]).violations.map((v) => v.message), ["server 2's term went back from 5 to 3"]);
    const order = checkTrace([apply(1, 0, 1, 'a'), apply(2, 0, 3, 'c'), apply(3, 1, 1, 'a'), apply(4, 1, 2, 'b'), apply(5, 1, 2, 'b')]);
    assert.deepEqual(order.violations.map((v) => v.message), [
      'server 0 applied index 3 after index 1, skipping 2',
      'server 1 applied index 2 again (or out of order) after index 2',
    ]);
    const send = (t: number, node: number, leaderCommit: number, rpc: number): TraceEvent => ({
      t, kind: 'send', node, to: 1, rpc, method: 'Raft.AppendEntries', term: 1, bytes: 10,
      args: { term: 1, leaderId: node, prevLogIndex: 0, prevLogTerm: 0, entries: [], leaderCommit },
    });
    const start = (t: number, index: number): TraceEvent => ({ t, kind: 'start', node: 0, command: index, index, term: 1, isLeader: true });
    const reach = (e: TraceEvent, prevLogIndex: number): TraceEvent => ({ ...e, args: { ...(e as { args: object }).args, prevLogIndex } }) as TraceEvent;
    // Sent later is not built later: a lower leaderCommit counts only from a message that reaches an entry the leader
    // created after the higher one left (or from a later term), and never across a restart.
    const commits = checkTrace([
      start(1, 1), start(1, 2), send(2, 0, 2, 1), send(3, 0, 1, 2), { t: 3, kind: 'deliver', rpc: 1, node: 1, from: 0, method: 'Raft.AppendEntries' },
      start(4, 3), reach(send(5, 0, 1, 3), 3),
      { t: 6, kind: 'restart', node: 0, generation: 2 }, send(7, 0, 0, 4),
    ]);
    assert.deepEqual(commits.violations.map((v) => [v.invariant, v.message, v.eventIndex, v.context]), [
      ['commit-monotonic', 'server 0 advertised leaderCommit 1 in term 1 after leaderCommit 2 in term 1: its commit index went back (this one reaches index 3, which it created after that one left)', 6, [2]],
    ]);
    // After a restart the first apply may start anywhere (from the persisted snapshot): no violation.
    const restarted = checkTrace([apply(1, 0, 1, 'a'), apply(2, 0, 2, 'b'), { t: 3, kind: 'restart', node: 0, generation: 2 }, apply(4, 0, 1, 'a')]);
    assert.deepEqual(restarted.violations, []);
    // The crashed incarnation's applier takes one more message after the restart (corpus/poll, TestFigure82C seed 26
    // under the scheduler): its own order, not the new incarnation's. The new one's own order is still checked.
    const of = (e: TraceEvent, generation: number): TraceEvent => ({ ...e, generation }) as TraceEvent;
    const late = checkTrace([
      { t: 0, kind: 'restart', node: 0, generation: 1 }, of(apply(1, 0, 1, 'a'), 1), of(apply(2, 0, 2, 'b'), 1),
      { t: 3, kind: 'crash', node: 0 }, { t: 3, kind: 'restart', node: 0, generation: 2 },
      of(apply(3.002, 0, 3, 'c'), 1), of(apply(4, 0, 1, 'a'), 2), of(apply(5, 0, 3, 'c'), 2),
    ]);
    assert.deepEqual(late.violations.map((v) => [v.message, v.eventIndex]), [['server 0 applied index 3 after index 1, skipping 2', 7]]);
  });

  it('Log Matching, Leader Completeness and entries persisted before success, on hand-made traces', () => {
    // A persist that sets a node's whole stable log (from index 1 on), as the tester reports it.
    const persist = (t: number, node: number, terms: number[], commands: number[]): TraceEvent => ({
      t, kind: 'persist', node, bytes: 10, term: Math.max(0, ...terms),
      log: { snapshotIndex: 0, snapshotTerm: 0, from: 1, terms, commands, lastIndex: terms.length },
    });
    const ae = (t: number, rpc: number, node: number, to: number, term: number, prevLogIndex: number, entries: Array<{ term: number }>, leaderCommit: number): TraceEvent => ({
      t, kind: 'send', node, to, rpc, method: 'Raft.AppendEntries', term, bytes: 10,
      args: { term, leaderId: node, prevLogIndex, prevLogTerm: 0, entries, leaderCommit },
    });

    // Two logs with an entry of term 2 at index 2, but different entries at index 1.
    const matching = checkTrace([persist(1, 0, [1, 2], [10, 20]), persist(2, 1, [1, 2], [11, 20])]);
    assert.deepEqual(matching.violations.map((v) => [v.invariant, v.message, v.eventIndex, v.context]), [
      ['log-matching', 'servers 1 and 0 both hold an entry of term 2 at index 2, but differ at index 1: 1 has (term 1, command 11), 0 has (term 1, command 10)', 1, [0]],
    ]);
    // Same index and term but another command (two leaders in one term) breaks it too; a term that differs does not.
    assert.equal(checkTrace([persist(1, 0, [1, 2], [10, 20]), persist(2, 1, [1, 2], [10, 21])]).violations[0]?.invariant, 'log-matching');
    assert.deepEqual(checkTrace([persist(1, 0, [1, 2], [10, 20]), persist(2, 1, [1, 3], [10, 30])]).violations, []);

    // Server 0 leads term 1 and advertises index 2 as committed; server 2 then leads term 2 with a log ending at 1.
    const started = (index: number): TraceEvent => ({ t: 0, kind: 'start', node: 0, command: 10 + index, index, term: 1, isLeader: true });
    const completeness = checkTrace([
      started(1),
      started(2),
      persist(1, 0, [1, 1], [10, 11]),
      persist(1, 2, [1], [10]),
      ae(2, 1, 0, 1, 1, 2, [], 2),
      ae(3, 2, 2, 1, 2, 1, [], 0),
    ]);
    assert.deepEqual(completeness.violations.map((v) => [v.invariant, v.message, v.eventIndex, v.context]), [
      ['leader-completeness', 'server 2 leads term 2 without the entry committed at index 2 by term 1 (term 1, command 11): its log ends at index 1', 5, [4]],
    ]);
    // A leader of the same term that committed it is not judged by its own commit.
    assert.deepEqual(checkTrace([started(1), started(2), persist(1, 0, [1, 1], [10, 11]), ae(2, 1, 0, 1, 1, 2, [], 2), ae(3, 2, 0, 2, 1, 2, [], 2)]).violations, []);

    // Server 1 replies success to entries 1..2 while its saved log ends at 0; server 2 saves first, then replies.
    const deliver = (t: number, rpc: number, node: number, from: number): TraceEvent => ({ t, kind: 'deliver', rpc, node, from, method: 'Raft.AppendEntries', term: 1 });
    const reply = (t: number, rpc: number, node: number, to: number): TraceEvent => ({
      t, kind: 'reply', rpc, node, to, method: 'Raft.AppendEntries', term: 1, bytes: 5, reply: { term: 1, success: true },
    });
    const unsaved = checkTrace([
      { t: 0, kind: 'state', node: 0, term: 1, isLeader: true },
      persist(0, 1, [], []),
      persist(0, 2, [], []),
      ae(1, 7, 0, 1, 1, 0, [{ term: 1 }, { term: 1 }], 0),
      deliver(2, 7, 1, 0),
      reply(3, 7, 0, 1),
      ae(4, 8, 0, 2, 1, 0, [{ term: 1 }, { term: 1 }], 0),
      deliver(5, 8, 2, 0),
      persist(5, 2, [1, 1], [10, 11]),
      reply(6, 8, 0, 2),
    ]);
    assert.deepEqual(unsaved.violations.map((v) => [v.invariant, v.message, v.eventIndex, v.context]), [
      ['append-persisted', 'server 1 told leader 0 it holds the log up to index 2 (term 1), but its saved log ends at 0', 5, [4]],
    ]);
  });

  it('says which rules it could not check when the persisted state has no log it can read', () => {
    const c = checkTrace([{ t: 1, kind: 'persist', node: 0, bytes: 3, term: 1, votedFor: 0 }]);
    assert.deepEqual(c.skipped.map((s) => s.invariant), ['log-matching', 'leader-completeness', 'append-persisted']);
  });

  it('run --check fails a run on a violation even though the tester passed it', async () => {
    const batch = await runBatch({
      tests: [{ id: 'TestInitialElection2A' }],
      count: 2,
      baseSeed: 1,
      mode: 'sim',
      implDir: bug('votedfor-not-persisted'),
      parallel: 1,
      check: true,
    });
    assert.equal(batch.failed, 2);
    for (const r of batch.records) {
      assert.equal(r.status, 'fail');
      assert.match(r.message!, /^safety violation: Vote persisted before replying: /);
      assert.equal(r.violations?.[0]?.invariant, 'vote-persisted');
    }
  });
});

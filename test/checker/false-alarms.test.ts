/**
 * Hand-made traces of what correct Rafts do and an earlier checker flagged (measured on two public student Rafts,
 * correct by the Go tester): each must pass clean, and the mistake next to it must still be caught.
 */
import assert from 'node:assert/strict';
import { checkTrace } from '../../src/checker/index.ts';
import { commitMonotonic } from '../../src/checker/rules/commit.ts';
import type { TraceEvent } from '../../src/trace/index.ts';

type Saved = { term?: number; votedFor?: unknown; log?: { terms: number[]; commands: number[]; snapshotIndex?: number } };

const state = (t: number, node: number, term: number, isLeader = false): TraceEvent => ({ t, kind: 'state', node, term, isLeader });
/** A save read by describeState: the whole log from the snapshot on, as the tester reports a first save. */
const save = (t: number, node: number, s: Saved): TraceEvent => {
  const base = s.log?.snapshotIndex ?? 0;
  return {
    t, kind: 'persist', node, bytes: 10, source: 'describeState',
    ...(s.term !== undefined ? { term: s.term } : {}),
    ...('votedFor' in s ? { votedFor: s.votedFor } : {}),
    ...(s.log ? { log: { snapshotIndex: base, from: base + 1, terms: s.log.terms, commands: s.log.commands, lastIndex: base + s.log.terms.length } } : {}),
  };
};
const ae = (t: number, rpc: number, node: number, to: number, term: number, prevLogIndex: number, entries: number, leaderCommit: number): TraceEvent => ({
  t, kind: 'send', rpc, node, to, method: 'Raft.AppendEntries', term, bytes: 10, generation: 1,
  args: { term, leaderId: node, prevLogIndex, prevLogTerm: term, entries: Array.from({ length: entries }, () => ({ term })), leaderCommit },
});
const rv = (t: number, rpc: number, node: number, to: number, term: number): TraceEvent => ({
  t, kind: 'send', rpc, node, to, method: 'Raft.RequestVote', term, bytes: 10, generation: 1, args: { term, candidateId: node, lastLogIndex: 0, lastLogTerm: 0 },
});
const deliver = (t: number, rpc: number, node: number, from: number, method: string): TraceEvent => ({ t, kind: 'deliver', rpc, node, from, method });
const reply = (t: number, rpc: number, node: number, to: number, method: string, term: number, body: object): TraceEvent => ({
  t, kind: 'reply', rpc, node, to, method, term, bytes: 5, reply: { term, ...body },
});
const lost = (t: number, rpc: number, node: number, to: number, method: string): TraceEvent => ({ t, kind: 'reply-lost', rpc, node, to, method, reason: 'reply-lost' });
const start = (t: number, node: number, index: number, term: number): TraceEvent => ({ t, kind: 'start', node, command: 100 + index, index, term, isLeader: true });
const boot = (n: number): TraceEvent[] => Array.from({ length: n }, (_, node) => ({ t: 0, kind: 'restart', node, generation: 1 }) as TraceEvent);
const invariantsOf = (events: TraceEvent[]): string[] => checkTrace(events).violations.map((v) => v.invariant);

describe('safety checker: what correct Rafts do passes clean', () => {
  it('commit index: a re-send of arguments built earlier carries an older leaderCommit (1 108 reported decreases, all re-sends)', () => {
    // Server 0 leads term 1 and commits 1, then 2. Its AppendEntries to 1 built with leaderCommit 1 is lost and re-sent
    // as it was, after the heartbeat to 2 that carried leaderCommit 2.
    const events: TraceEvent[] = [
      ...boot(3), state(1, 0, 1, true), start(2, 0, 1, 1), start(2, 0, 2, 1),
      ae(10, 1, 0, 1, 1, 0, 2, 1), { t: 12, kind: 'drop', rpc: 1, node: 0, to: 1, method: 'Raft.AppendEntries', reason: 'request-lost' },
      ae(20, 2, 0, 2, 1, 2, 0, 2),
      ae(30, 3, 0, 1, 1, 0, 2, 1), // the same arguments again
    ];
    assert.deepEqual(checkTrace(events).violations, []);
  });

  it('commit index: a message that reaches an entry created after a higher leaderCommit left cannot carry a lower one', () => {
    const events: TraceEvent[] = [
      ...boot(3), state(1, 0, 1, true), start(2, 0, 1, 1), start(2, 0, 2, 1),
      ae(20, 2, 0, 2, 1, 2, 0, 2), deliver(21, 2, 2, 0, 'Raft.AppendEntries'),
      start(30, 0, 3, 1),
      ae(31, 4, 0, 1, 1, 2, 1, 1), // reaches index 3, created at t=30: built after leaderCommit 2 left
    ];
    // (The rule alone: nothing here shows those entries on a majority, which Commit only through the current term sees.)
    const alone = (trace: TraceEvent[]): string[] => checkTrace(trace, [commitMonotonic]).violations.map((v) => v.message);
    assert.deepEqual(alone(events), [
      'server 0 advertised leaderCommit 1 in term 1 after leaderCommit 2 in term 1: its commit index went back (this one reaches index 3, which it created after that one left)',
    ]);
    // ... and one of a later term, built in that later term.
    assert.deepEqual(alone([...boot(3), ae(1, 1, 0, 1, 1, 3, 0, 2), ae(2, 2, 0, 1, 3, 3, 0, 1)]), [
      'server 0 advertised leaderCommit 1 in term 3 after leaderCommit 2 in term 1: its commit index went back (that message was built in an earlier term)',
    ]);
  });

  it('a vote granted again to the same candidate in the same term needs no new save (the reply to the first was lost)', () => {
    const events: TraceEvent[] = [
      ...boot(3),
      save(0, 1, { term: 0, votedFor: null, log: { terms: [], commands: [] } }),
      rv(10, 1, 0, 1, 1), deliver(11, 1, 1, 0, 'Raft.RequestVote'), save(11, 1, { term: 1, votedFor: 0 }), lost(12, 1, 0, 1, 'Raft.RequestVote'),
      rv(40, 2, 0, 1, 1), deliver(41, 2, 1, 0, 'Raft.RequestVote'), reply(42, 2, 0, 1, 'Raft.RequestVote', 1, { voteGranted: true }),
    ];
    assert.deepEqual(checkTrace(events).violations, []);
  });

  it('a grant with no save of that vote in that term ever is still caught', () => {
    const events: TraceEvent[] = [
      ...boot(3),
      save(0, 1, { term: 0, votedFor: null, log: { terms: [], commands: [] } }),
      rv(10, 1, 0, 1, 1), deliver(11, 1, 1, 0, 'Raft.RequestVote'), save(11, 1, { term: 1, votedFor: null }),
      reply(12, 1, 0, 1, 'Raft.RequestVote', 1, { voteGranted: true }),
    ];
    const [v] = checkTrace(events).violations;
    assert.deepEqual([v?.invariant, v?.message, v?.eventIndex, v?.context], [
      'vote-persisted', 'server 1 granted its vote to server 0 in term 1 without saving votedFor = 0 first (its saved state said term 1, no vote)', 7, [3, 5, 6],
    ]);
    // A vote saved for another term does not cover this one.
    const stale = [...boot(3), save(0, 1, { term: 1, votedFor: 0 }), rv(10, 1, 0, 1, 2), deliver(11, 1, 1, 0, 'Raft.RequestVote'), reply(12, 1, 0, 1, 'Raft.RequestVote', 2, { voteGranted: true })];
    assert.deepEqual(invariantsOf(stale), ['vote-persisted']);
  });

  it("saves count until the handler returned (handled), not until its held-back reply arrived; without handled, until the reply", () => {
    const handled = (t: number, rpc: number, node: number, from: number, method: string): TraceEvent => ({ t, kind: 'handled', rpc, node, from, method, bytes: 5 });
    const grant = (late: boolean, withHandled = true): TraceEvent[] => [
      ...boot(3),
      save(0, 1, { term: 0, votedFor: null, log: { terms: [], commands: [] } }),
      rv(10, 1, 0, 1, 1), deliver(11, 1, 1, 0, 'Raft.RequestVote'),
      ...(late ? [] : [save(11, 1, { term: 1, votedFor: 0 })]),
      ...(withHandled ? [handled(11, 1, 1, 0, 'Raft.RequestVote')] : []),
      // The reply is held back 500 ms (long reordering); a server that saves only after answering saves meanwhile.
      ...(late ? [save(300, 1, { term: 1, votedFor: 0 })] : []),
      reply(511, 1, 0, 1, 'Raft.RequestVote', 1, { voteGranted: true }),
    ];
    assert.deepEqual(invariantsOf(grant(false)), []);
    const [v] = checkTrace(grant(true)).violations;
    assert.deepEqual([v?.invariant, v?.message], ['vote-persisted', 'server 1 granted its vote to server 0 in term 1 without saving votedFor = 0 first (its saved state said term 0, no vote)']);
    // A trace from before handled existed reads the reply as the end of the answer, as it did.
    assert.deepEqual(invariantsOf(grant(true, false)), []);

    const append = (late: boolean): TraceEvent[] => [
      ...boot(3), state(1, 0, 1, true), start(2, 0, 1, 1),
      save(0, 1, { term: 1, votedFor: 0, log: { terms: [], commands: [] } }),
      ae(10, 1, 0, 1, 1, 0, 1, 0), deliver(11, 1, 1, 0, 'Raft.AppendEntries'),
      ...(late ? [] : [save(11, 1, { term: 1, votedFor: 0, log: { terms: [1], commands: [101] } })]),
      handled(11, 1, 1, 0, 'Raft.AppendEntries'),
      ...(late ? [save(300, 1, { term: 1, votedFor: 0, log: { terms: [1], commands: [101] } })] : []),
      reply(511, 1, 0, 1, 'Raft.AppendEntries', 1, { success: true }),
    ];
    assert.deepEqual(invariantsOf(append(false)), []);
    assert.deepEqual(checkTrace(append(true)).violations.map((x) => [x.invariant, x.message]), [
      ['append-persisted', 'server 1 told leader 0 it holds the log up to index 1 (term 1), but its saved log ends at 0'],
    ]);
  });

  it('a save by a crashed incarnation (a detached persister) is not the server\'s stable state', () => {
    const events: TraceEvent[] = [
      ...boot(3),
      save(0, 1, { term: 1, votedFor: 0 }),
      { t: 5, kind: 'crash', node: 1 }, { t: 5, kind: 'restart', node: 1, generation: 2 },
      { ...save(6, 1, { term: 2, votedFor: null }), detached: true } as TraceEvent, // the old incarnation, still running
      rv(10, 1, 0, 1, 1), deliver(11, 1, 1, 0, 'Raft.RequestVote'), reply(12, 1, 0, 1, 'Raft.RequestVote', 1, { voteGranted: true }),
    ];
    assert.deepEqual(checkTrace(events).violations, []);
  });

  it('a saved log the tester could not place (its base kept as `offset`) is skipped for that server, never shifted', () => {
    const unreadable = (t: number, node: number): TraceEvent => ({
      t, kind: 'persist', node, bytes: 10, term: 3, votedFor: 0, source: 'fields',
      logUnreadable: 'the saved log entries carry no index and the state has fields this reader cannot place (offset), which may hold the snapshot base',
    });
    const events: TraceEvent[] = [
      ...boot(3),
      save(0, 0, { term: 3, votedFor: 0, log: { terms: [1, 2], commands: [10, 20] } }),
      save(0, 1, { term: 3, votedFor: 0, log: { terms: [1, 2], commands: [10, 20] } }),
      unreadable(5, 1),
      save(6, 2, { term: 3, votedFor: 0, log: { terms: [1, 2], commands: [10, 20] } }),
    ];
    const c = checkTrace(events);
    assert.deepEqual(c.violations, []);
    assert.deepEqual(c.skipped.map((s) => [s.invariant, s.reason.slice(0, 41)]), [
      ['log-matching', 'server 1: the saved log entries carry no '],
      ['leader-completeness', 'server 1: the saved log entries carry no '],
      ['append-persisted', 'server 1: the saved log entries carry no '],
    ]);
  });

  it('a leaderCommit clipped per follower may be an earlier-term entry; committing one by counting is still caught', () => {
    // Server 0 leads term 2 with entries 1..2 of term 1 (told nothing committed), creates 3, and 3 is on a majority.
    const lead: TraceEvent[] = [...boot(3), state(1, 0, 2, true), save(1, 0, { term: 2, votedFor: 0, log: { terms: [1, 1], commands: [1, 2] } }), start(2, 0, 3, 2)];
    const acked = (rpc: number, to: number): TraceEvent[] => [
      ae(3, rpc, 0, to, 2, 0, 3, 0), deliver(4, rpc, to, 0, 'Raft.AppendEntries'), reply(5, rpc, 0, to, 'Raft.AppendEntries', 2, { success: true }),
    ];
    const clipped = [...lead, ...acked(1, 1), ae(6, 3, 0, 2, 2, 0, 1, 1)]; // min(commitIndex 3, 0 + 1 entry)
    assert.deepEqual(checkTrace(clipped).violations, []);
    const counted = [...lead, ae(6, 3, 0, 2, 2, 2, 0, 2)]; // commits index 2 (term 1) with 3 on no majority
    assert.deepEqual(invariantsOf(counted), ['commit-current-term']);
  });

  it('a reply with a higher term may be dropped as stale; a leader that leads on after one is caught', () => {
    const base: TraceEvent[] = [...boot(3), state(1, 0, 2, true), ae(10, 1, 0, 1, 2, 0, 0, 0), deliver(11, 1, 1, 0, 'Raft.AppendEntries'), reply(12, 1, 0, 1, 'Raft.AppendEntries', 5, { success: false })];
    // It stepped down (adopting the term) before sending again: fine. So is a re-sent request at the same moment.
    assert.deepEqual(checkTrace([...base, state(12, 0, 5), ae(140, 2, 0, 2, 2, 0, 0, 0)]).violations, []);
    assert.deepEqual(checkTrace([...base, ae(12, 2, 0, 2, 2, 0, 0, 0), state(12, 0, 5)]).violations, []);
    // Or a request sent while the reply waited to be taken (its goroutine queued for the mutex), before stepping down.
    assert.deepEqual(checkTrace([...base, ae(13, 2, 0, 2, 2, 0, 0, 0), { t: 14, kind: 'connect', node: 2 }, state(15, 0, 5)]).violations, []);
    // Still leading term 2 a heartbeat later.
    const [v] = checkTrace([...base, ae(140, 2, 0, 2, 2, 0, 0, 0), { t: 141, kind: 'connect', node: 2 }]).violations;
    assert.deepEqual([v?.invariant, v?.eventIndex, v?.context], ['higher-term-adopted', 7, [6]]);
  });
});

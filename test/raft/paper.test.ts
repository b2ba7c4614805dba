/**
 * The reference Raft, one node at a time, against the Raft paper (extended version): each case drives a single
 * node through its handlers and timers, with fake peers, and names the section or figure it checks, in the manner
 * of etcd raft's raft_paper_test.go. The graded tests (graded-2ab, graded-2cd) check the cluster end to end.
 */
import assert from 'node:assert/strict';
import { NodeHarness, entry, persistedEntries, type BootOptions } from './node-harness.ts';

/** A node restarted from persisted state, run on virtual time. */
function node(options: BootOptions, body: (h: NodeHarness) => Promise<void>): Promise<void> {
  return new NodeHarness(options).run(body);
}

const noVote = -1;
const noTerm = -1;
const heartbeatMs = 125;

describe('the reference Raft against the paper', () => {
  describe('§5.1, §5.2 terms and leader election', () => {
    it('§5.2 a follower that hears nothing for an election timeout starts an election: term + 1, a vote for itself, saved before it asks every peer', async () => {
      await node({ servers: 5 }, async (h) => {
        const first = await h.waitFor('Raft.RequestVote', () => true, 2100);
        const asked = h.pending('Raft.RequestVote');
        assert.deepEqual(asked.map((r) => r.peer).sort(), [1, 2, 3, 4]);
        for (const r of asked) assert.deepEqual(r.args, { term: 1, candidateId: 0, lastLogIndex: 0, lastLogTerm: 0 });
        assert.ok(asked.every((r) => r.t === first.t), 'all at once, never waiting on one peer before the next');
        const save = h.events.findIndex((e) => e.kind === 'save');
        const send = h.events.findIndex((e) => e.kind === 'send');
        assert.ok(save >= 0 && save < send, 'persisted before the first RequestVote left');
        assert.deepEqual({ term: h.persisted().currentTerm, votedFor: h.persisted().votedFor }, { term: 1, votedFor: 0 });
        assert.deepEqual(h.raft.getState(), { term: 1, isLeader: false });
      });
    });

    it('§5.2 election timeouts are drawn at random from [1000, 2000) ms', async () => {
      const starts = new Set<number>();
      for (let seed = 1; seed <= 12; seed++) {
        await node({ seed }, async (h) => {
          const rv = await h.waitFor('Raft.RequestVote', () => true, 2100);
          assert.ok(rv.t >= 1000 && rv.t < 2000, `seed ${seed}: first election at ${rv.t} ms`);
          starts.add(rv.t);
        });
      }
      assert.ok(starts.size >= 10, `12 seeds, ${starts.size} distinct timeouts`);
    });

    it('§5.2 a candidate with votes from a majority becomes leader and heartbeats every peer at once', async () => {
      await node({ servers: 5, log: { terms: [1, 1] }, term: 1 }, async (h) => {
        await h.waitFor('Raft.RequestVote', () => true, 2100);
        const [a, b] = h.pending('Raft.RequestVote');
        a!.reply({ term: 2, voteGranted: true });
        await h.settle();
        assert.equal(h.raft.getState().isLeader, false, 'two votes of five (its own included) are not a majority');
        b!.reply({ term: 2, voteGranted: true });
        await h.settle();
        assert.deepEqual(h.raft.getState(), { term: 2, isLeader: true });
        const beats = h.pending('Raft.AppendEntries');
        assert.deepEqual(beats.map((r) => r.peer).sort(), [1, 2, 3, 4]);
        // nextIndex starts just past the leader's log: an empty AppendEntries anchored at its last entry.
        for (const r of beats) assert.deepEqual(r.args, { term: 2, leaderId: 0, prevLogIndex: 2, prevLogTerm: 1, entries: [], leaderCommit: 0 });
      });
    });

    it('§5.2 a split vote: a candidate without a majority times out and starts a new election in a new term', async () => {
      await node({}, async (h) => {
        const first = await h.waitFor('Raft.RequestVote', () => true, 2100);
        await h.answerAll('Raft.RequestVote', () => ({ term: 1, voteGranted: false }));
        const second = await h.waitFor('Raft.RequestVote', (r) => r.args.term === 2, 2100);
        assert.ok(second.t - first.t >= 1000 && second.t - first.t < 2000, `${second.t - first.t} ms later`);
        assert.equal(h.persisted().votedFor, 0);
        assert.equal(h.raft.getState().isLeader, false);
      });
    });

    it('§5.2 a candidate that gets AppendEntries from a leader of its own term steps down and waits for that leader', async () => {
      await node({}, async (h) => {
        const rv = await h.waitFor('Raft.RequestVote', () => true, 2100);
        const reply = h.raft.AppendEntries({ term: 1, leaderId: 2, prevLogIndex: 0, prevLogTerm: 0, entries: [], leaderCommit: 0 });
        assert.deepEqual(reply, { term: 1, success: true, conflictTerm: noTerm, conflictIndex: 0 });
        // Late votes of the election it gave up count for nothing: a follower is not a candidate.
        await h.answerAll('Raft.RequestVote', () => ({ term: 1, voteGranted: true }));
        assert.deepEqual(h.raft.getState(), { term: 1, isLeader: false });
        // Hearing from the leader restarted its election timer.
        const next = await h.waitFor('Raft.RequestVote', (r) => r.args.term === 2, 2100);
        assert.ok(next.t - rv.t >= 1000, `${next.t - rv.t} ms after the AppendEntries`);
      });
    });

    it('§5.1 a server with a higher term rejects a stale RequestVote, says its term, and changes nothing', async () => {
      await node({ term: 5 }, async (h) => {
        const saves = h.saves().length;
        assert.deepEqual(h.raft.RequestVote({ term: 4, candidateId: 1, lastLogIndex: 9, lastLogTerm: 4 }), { term: 5, voteGranted: false });
        assert.equal(h.saves().length, saves);
        assert.deepEqual({ term: h.persisted().currentTerm, votedFor: h.persisted().votedFor }, { term: 5, votedFor: noVote });
      });
    });

    it('§5.1 a server with a higher term rejects a stale AppendEntries and keeps its log', async () => {
      await node({ term: 5, log: { terms: [1, 3] } }, async (h) => {
        const reply = h.raft.AppendEntries({ term: 3, leaderId: 1, prevLogIndex: 2, prevLogTerm: 3, entries: [entry(3, 3)], leaderCommit: 3 });
        assert.equal(reply.success, false);
        assert.equal(reply.term, 5);
        assert.deepEqual(h.persisted().log.terms, [1, 3]);
        assert.equal(h.applied().length, 0);
      });
    });

    it('§5.1 a request with a higher term makes a leader adopt the term, with no vote in it, and step down', async () => {
      await node({ log: { terms: [1] }, term: 1 }, async (h) => {
        await h.electLeader();
        // A candidate of term 4 whose log is behind: no vote, but its term still wins.
        const reply = h.raft.RequestVote({ term: 4, candidateId: 2, lastLogIndex: 0, lastLogTerm: 0 });
        assert.deepEqual(reply, { term: 4, voteGranted: false });
        assert.deepEqual(h.raft.getState(), { term: 4, isLeader: false });
        assert.deepEqual({ term: h.persisted().currentTerm, votedFor: h.persisted().votedFor }, { term: 4, votedFor: noVote });
      });
    });

    it('§5.1 a reply with a higher term makes a leader adopt the term and step down', async () => {
      await node({}, async (h) => {
        await h.electLeader();
        const [beat] = h.pending('Raft.AppendEntries');
        beat!.reply({ term: 7, success: false, conflictTerm: noTerm, conflictIndex: 1 });
        await h.settle();
        assert.deepEqual(h.raft.getState(), { term: 7, isLeader: false });
        assert.deepEqual({ term: h.persisted().currentTerm, votedFor: h.persisted().votedFor }, { term: 7, votedFor: noVote });
        // A follower sends no more heartbeats.
        const before = h.sentOf('Raft.AppendEntries').length;
        await h.sleep(3 * heartbeatMs);
        assert.equal(h.sentOf('Raft.AppendEntries').length, before);
      });
    });

    it('§5.1 a reply with a higher term ends a candidacy', async () => {
      await node({ servers: 5 }, async (h) => {
        await h.waitFor('Raft.RequestVote', () => true, 2100);
        const [a, b, c] = h.pending('Raft.RequestVote');
        a!.reply({ term: 3, voteGranted: false });
        await h.settle();
        b!.reply({ term: 1, voteGranted: true });
        c!.reply({ term: 1, voteGranted: true });
        await h.settle();
        assert.deepEqual(h.raft.getState(), { term: 3, isLeader: false }, 'votes of a term it has left count for nothing');
      });
    });

    it('§5.2 a server votes for at most one candidate per term, first come first served', async () => {
      await node({ servers: 5 }, async (h) => {
        const args = { term: 1, lastLogIndex: 0, lastLogTerm: 0 };
        assert.deepEqual(h.raft.RequestVote({ ...args, candidateId: 1 }), { term: 1, voteGranted: true });
        assert.deepEqual(h.raft.RequestVote({ ...args, candidateId: 2 }), { term: 1, voteGranted: false });
        assert.deepEqual(h.raft.RequestVote({ ...args, candidateId: 1 }), { term: 1, voteGranted: true }, 'the same candidate asking again');
        assert.deepEqual(h.raft.RequestVote({ ...args, term: 2, candidateId: 2 }), { term: 2, voteGranted: true }, 'a new term, a new vote');
      });
    });

    it('§5.2 a cluster of one elects itself without a single RPC', async () => {
      await node({ servers: 1 }, async (h) => {
        await h.sleep(2000);
        assert.deepEqual(h.raft.getState(), { term: 1, isLeader: true });
        assert.deepEqual(h.raft.start('x'), { index: 1, term: 1, isLeader: true });
        await h.settle();
        assert.deepEqual(h.applied().map((m) => m.command), ['x'], 'its own log is a majority');
        assert.equal(h.sent.length, 0);
      });
    });
  });

  describe('§5.4.1 the election restriction', () => {
    it('§5.4.1 a vote requires an up-to-date log: a later last term is more up to date, whatever the length', async () => {
      await node({ log: { terms: [1, 1, 2] }, term: 2 }, async (h) => {
        assert.equal(h.raft.RequestVote({ term: 3, candidateId: 1, lastLogIndex: 10, lastLogTerm: 1 }).voteGranted, false, 'longer, but an earlier last term');
        assert.equal(h.raft.RequestVote({ term: 4, candidateId: 1, lastLogIndex: 1, lastLogTerm: 3 }).voteGranted, true, 'shorter, but a later last term');
      });
    });

    it('§5.4.1 with equal last terms, the longer log is more up to date (an equal one is as up to date)', async () => {
      await node({ log: { terms: [1, 1, 2] }, term: 2 }, async (h) => {
        assert.equal(h.raft.RequestVote({ term: 3, candidateId: 1, lastLogIndex: 2, lastLogTerm: 2 }).voteGranted, false);
        assert.equal(h.raft.RequestVote({ term: 4, candidateId: 1, lastLogIndex: 3, lastLogTerm: 2 }).voteGranted, true);
        assert.equal(h.raft.RequestVote({ term: 5, candidateId: 2, lastLogIndex: 4, lastLogTerm: 2 }).voteGranted, true);
      });
    });

    it('§5.4.1 a candidate asks with the index and term of its last entry', async () => {
      await node({ log: { terms: [1, 2, 2, 4] }, term: 4 }, async (h) => {
        const rv = await h.waitFor('Raft.RequestVote', () => true, 2100);
        assert.deepEqual(rv.args, { term: 5, candidateId: 0, lastLogIndex: 4, lastLogTerm: 4 });
      });
    });
  });

  describe('Figure 2: timers', () => {
    it('Figure 2 (Followers): granting a vote resets the election timer; refusing one does not', async () => {
      // The same seed gives the same timeout: compare an undisturbed node with two disturbed at 900 ms.
      const firstElection = async (request?: { lastLogIndex: number; lastLogTerm: number }): Promise<number> => {
        let at = -1;
        await node({ seed: 7, log: { terms: [1] }, term: 1 }, async (h) => {
          if (request) {
            await h.sleep(900);
            h.raft.RequestVote({ term: 2, candidateId: 1, ...request });
          }
          at = (await h.waitFor('Raft.RequestVote', () => true, 4000)).t;
        });
        return at;
      };
      const undisturbed = await firstElection();
      assert.ok(undisturbed > 900);
      assert.equal(await firstElection({ lastLogIndex: 0, lastLogTerm: 0 }), undisturbed, 'a refused vote leaves the timer alone');
      assert.ok((await firstElection({ lastLogIndex: 1, lastLogTerm: 1 })) >= 900 + 1000, 'a granted vote restarts it');
    });

    it('Figure 2 (Leaders): a leader heartbeats every 125 ms while idle, and its followers never time out', async () => {
      await node({}, async (h) => {
        await h.electLeader();
        const elected = h.rt.now();
        // Every heartbeat answered: the leader never gives up its role.
        for (let i = 0; i < 40; i++) {
          await h.sleep(heartbeatMs);
          await h.answerAll('Raft.AppendEntries', (r) => ({ term: r.args.term, success: true, conflictTerm: noTerm, conflictIndex: 0 }));
        }
        const beats = h.sentOf('Raft.AppendEntries').filter((r) => r.peer === 1).map((r) => r.t - elected);
        assert.deepEqual(beats.slice(0, 5), [0, 125, 250, 375, 500]);
        assert.equal(h.raft.getState().isLeader, true);
      });
    });
  });

  describe('§5.3 log replication', () => {
    it('§5.3 start() on a leader appends the command in its term, saves it, returns at once, and sends it to every peer', async () => {
      await node({}, async (h) => {
        const term = await h.electLeader();
        await h.answerAll('Raft.AppendEntries', (r) => ({ term: r.args.term, success: true, conflictTerm: noTerm, conflictIndex: 0 }));
        assert.deepEqual(h.raft.start('x'), { index: 1, term, isLeader: true });
        assert.deepEqual(persistedEntries(h.persisted()), [[term, 'x']], 'saved before start() returns');
        await h.settle();
        const appends = h.pending('Raft.AppendEntries');
        assert.deepEqual(appends.map((r) => r.peer).sort(), [1, 2]);
        for (const r of appends) assert.deepEqual(r.args, { term, leaderId: 0, prevLogIndex: 0, prevLogTerm: 0, entries: [entry(1, term, 'x')], leaderCommit: 0 });
      });
    });

    it('§5.3 start() on a follower returns isLeader false and changes nothing', async () => {
      await node({ term: 3 }, async (h) => {
        const saves = h.saves().length;
        assert.deepEqual(h.raft.start('x'), { index: -1, term: 3, isLeader: false });
        assert.equal(h.saves().length, saves);
      });
    });

    it('§5.3 a follower without the entry at prevLogIndex rejects, and asks the leader to back up to its log end', async () => {
      await node({ log: { terms: [1, 1] }, term: 1 }, async (h) => {
        const reply = h.raft.AppendEntries({ term: 1, leaderId: 1, prevLogIndex: 5, prevLogTerm: 1, entries: [entry(6, 1)], leaderCommit: 0 });
        assert.deepEqual(reply, { term: 1, success: false, conflictTerm: noTerm, conflictIndex: 3 });
        assert.deepEqual(h.persisted().log.terms, [1, 1]);
      });
    });

    it('§5.3 a follower whose entry at prevLogIndex has another term rejects, naming that term and where it starts', async () => {
      await node({ log: { terms: [1, 2, 2, 2] }, term: 2 }, async (h) => {
        const reply = h.raft.AppendEntries({ term: 3, leaderId: 1, prevLogIndex: 3, prevLogTerm: 3, entries: [], leaderCommit: 0 });
        assert.deepEqual(reply, { term: 3, success: false, conflictTerm: 2, conflictIndex: 2 });
        assert.deepEqual(h.persisted().log.terms, [1, 2, 2, 2], 'nothing deleted on a rejection');
      });
    });

    it('§5.3 AppendEntries deletes a conflicting suffix and appends the leader’s entries', async () => {
      await node({ log: { terms: [1, 1, 2, 2] }, term: 2 }, async (h) => {
        const reply = h.raft.AppendEntries({
          term: 3,
          leaderId: 1,
          prevLogIndex: 2,
          prevLogTerm: 1,
          entries: [entry(3, 3, 'x'), entry(4, 3, 'y'), entry(5, 3, 'z')],
          leaderCommit: 0,
        });
        assert.equal(reply.success, true);
        assert.deepEqual(persistedEntries(h.persisted()), [[1, 'c1'], [1, 'c2'], [3, 'x'], [3, 'y'], [3, 'z']]);
      });
    });

    it('§5.3 AppendEntries keeps entries that match: a stale, shorter request never cuts the log short', async () => {
      await node({ log: { terms: [1, 1, 1] }, term: 1 }, async (h) => {
        const saves = h.saves().length;
        const reply = h.raft.AppendEntries({ term: 1, leaderId: 1, prevLogIndex: 0, prevLogTerm: 0, entries: [entry(1, 1)], leaderCommit: 0 });
        assert.equal(reply.success, true);
        assert.deepEqual(h.persisted().log.terms, [1, 1, 1]);
        assert.equal(h.saves().length, saves, 'nothing changed, nothing saved');
      });
    });

    it('§5.3 a follower commits min(leaderCommit, index of the last new entry) and applies in index order', async () => {
      await node({ log: { terms: [1, 1, 1] }, term: 1 }, async (h) => {
        // Anchored at 1 with no entries: only index 1 is known to match the leader, whatever leaderCommit says.
        h.raft.AppendEntries({ term: 1, leaderId: 1, prevLogIndex: 1, prevLogTerm: 1, entries: [], leaderCommit: 3 });
        await h.settle();
        assert.deepEqual(h.applied().map((m) => m.commandIndex), [1]);
        h.raft.AppendEntries({ term: 1, leaderId: 1, prevLogIndex: 1, prevLogTerm: 1, entries: [entry(2, 1), entry(3, 1), entry(4, 1, 'd')], leaderCommit: 3 });
        await h.settle();
        const applied = h.applied();
        assert.deepEqual(applied.map((m) => [m.commandIndex, m.command]), [[1, 'c1'], [2, 'c2'], [3, 'c3']]);
        assert.ok(applied.every((m) => m.commandValid && !m.snapshotValid));
      });
    });

    it('§5.3 a rejected leader backs up nextIndex a whole term at a time (fast backup) and tries again', async () => {
      await node({ log: { terms: [1, 1, 2, 2] }, term: 2 }, async (h) => {
        await h.electLeader();
        const retryAfter = async (reply: { conflictTerm: number; conflictIndex: number }): Promise<number> => {
          const beat = h.pending('Raft.AppendEntries').find((r) => r.peer === 1)!;
          beat.reply({ term: beat.args.term, success: false, ...reply });
          await h.settle();
          const retry = h.pending('Raft.AppendEntries').find((r) => r.peer === 1)!;
          assert.deepEqual(retry.args.entries.map((e) => e.index), Array.from({ length: 4 - retry.args.prevLogIndex }, (_, i) => retry.args.prevLogIndex + 1 + i));
          return retry.args.prevLogIndex;
        };
        assert.equal(await retryAfter({ conflictTerm: 1, conflictIndex: 1 }), 2, 'the leader holds term 1 up to 2: resume after its last');
        assert.equal(await retryAfter({ conflictTerm: noTerm, conflictIndex: 2 }), 1, 'a log too short: resume at its end');
        assert.equal(await retryAfter({ conflictTerm: 5, conflictIndex: 1 }), 0, 'a term the leader never had: skip it whole');
      });
    });

    it('§5.3 on success the leader counts what the request carried, not its log as it is now', async () => {
      await node({}, async (h) => {
        const term = await h.electLeader();
        await h.answerAll('Raft.AppendEntries', (r) => ({ term: r.args.term, success: true, conflictTerm: noTerm, conflictIndex: 0 }));
        h.raft.start('x');
        await h.settle();
        const carryingX = h.pending('Raft.AppendEntries').find((r) => r.peer === 1)!;
        h.raft.start('y'); // appended while the request for x is in flight
        carryingX.reply({ term, success: true, conflictTerm: noTerm, conflictIndex: 0 });
        await h.settle();
        assert.deepEqual(h.applied().map((m) => m.command), ['x'], 'y is not on a majority yet');
        const next = h.pending('Raft.AppendEntries').filter((r) => r.peer === 1).at(-1)!;
        assert.deepEqual({ prev: next.args.prevLogIndex, entries: next.args.entries.map((e) => e.command) }, { prev: 1, entries: ['y'] });
      });
    });
  });

  describe('§5.3, §5.4.2 commitment', () => {
    it('§5.3 a leader commits an entry of its term once a majority holds it, applies it, and tells the followers at once', async () => {
      await node({ servers: 5 }, async (h) => {
        const term = await h.electLeader();
        await h.answerAll('Raft.AppendEntries', (r) => ({ term: r.args.term, success: true, conflictTerm: noTerm, conflictIndex: 0 }));
        h.raft.start('x');
        await h.settle();
        const [a, b] = h.pending('Raft.AppendEntries');
        a!.reply({ term, success: true, conflictTerm: noTerm, conflictIndex: 0 });
        await h.settle();
        assert.equal(h.applied().length, 0, 'two of five');
        b!.reply({ term, success: true, conflictTerm: noTerm, conflictIndex: 0 });
        await h.settle();
        assert.deepEqual(h.applied().map((m) => [m.commandIndex, m.command]), [[1, 'x']]);
        const announced = h.pending('Raft.AppendEntries').filter((r) => r.args.leaderCommit === 1);
        assert.ok(announced.length >= 2, `the commit goes out before the next heartbeat: ${h.describeSent()}`);
      });
    });

    it('§5.4.2 a leader never commits an earlier-term entry by counting replicas, only along with one of its own term', async () => {
      await node({ log: { terms: [1] }, term: 1 }, async (h) => {
        const term = await h.electLeader();
        assert.equal(term, 2);
        // Every follower holds index 1 (of term 1): a majority, yet not committed.
        await h.answerAll('Raft.AppendEntries', () => ({ term, success: true, conflictTerm: noTerm, conflictIndex: 0 }));
        await h.sleep(3 * heartbeatMs);
        await h.answerAll('Raft.AppendEntries', () => ({ term, success: true, conflictTerm: noTerm, conflictIndex: 0 }));
        assert.equal(h.applied().length, 0);
        assert.ok(h.sentOf('Raft.AppendEntries').every((r) => r.args.leaderCommit === 0));
        // An entry of term 2 on a majority commits it, and index 1 with it.
        h.raft.start('x');
        await h.settle();
        await h.answerAll('Raft.AppendEntries', () => ({ term, success: true, conflictTerm: noTerm, conflictIndex: 0 }));
        assert.deepEqual(h.applied().map((m) => [m.commandIndex, m.command]), [[1, 'c1'], [2, 'x']]);
      });
    });
  });

  describe('Figure 2: persistent state', () => {
    it('Figure 2: persist before replying — a granted vote is on stable storage when RequestVote returns', async () => {
      await node({}, async (h) => {
        const reply = h.raft.RequestVote({ term: 3, candidateId: 2, lastLogIndex: 0, lastLogTerm: 0 });
        assert.equal(reply.voteGranted, true);
        assert.deepEqual({ term: h.persisted().currentTerm, votedFor: h.persisted().votedFor }, { term: 3, votedFor: 2 });
      });
    });

    it('Figure 2: persist before replying — entries are on stable storage when AppendEntries says success', async () => {
      await node({}, async (h) => {
        const reply = h.raft.AppendEntries({ term: 1, leaderId: 1, prevLogIndex: 0, prevLogTerm: 0, entries: [entry(1, 1, 'a'), entry(2, 1, 'b')], leaderCommit: 0 });
        assert.equal(reply.success, true);
        assert.deepEqual(h.persisted(), { currentTerm: 1, votedFor: noVote, log: { snapshotIndex: 0, snapshotTerm: 0, terms: [1, 1], commands: ['a', 'b'] } });
      });
    });

    it('Figure 2: a server restarted from stable storage keeps its term, its vote and its log, and applies nothing yet', async () => {
      const h = new NodeHarness({ servers: 5 });
      await h.run(async () => {
        h.raft.AppendEntries({ term: 2, leaderId: 1, prevLogIndex: 0, prevLogTerm: 0, entries: [entry(1, 2, 'a')], leaderCommit: 1 });
        assert.equal(h.raft.RequestVote({ term: 3, candidateId: 4, lastLogIndex: 1, lastLogTerm: 2 }).voteGranted, true);
        await h.settle();
        h.raft.kill();
        h.events.length = 0;
        const restarted = h.boot();
        await h.settle();
        assert.deepEqual(restarted.getState(), { term: 3, isLeader: false });
        assert.equal(restarted.RequestVote({ term: 3, candidateId: 2, lastLogIndex: 9, lastLogTerm: 9 }).voteGranted, false, 'it voted for 4 in term 3');
        assert.equal(h.applied().length, 0, 'commitIndex is volatile: it learns it again from a leader');
        const rv = await h.waitFor('Raft.RequestVote', () => true, 2100);
        assert.deepEqual(rv.args, { term: 4, candidateId: 0, lastLogIndex: 1, lastLogTerm: 2 });
      });
    });

    it('kill(): a killed node answers without changing anything, sends nothing and applies nothing more', async () => {
      await node({ log: { terms: [1, 1] }, term: 1 }, async (h) => {
        h.raft.kill();
        const saves = h.saves().length;
        assert.equal(h.raft.RequestVote({ term: 5, candidateId: 1, lastLogIndex: 9, lastLogTerm: 9 }).voteGranted, false);
        assert.equal(h.raft.AppendEntries({ term: 5, leaderId: 1, prevLogIndex: 2, prevLogTerm: 1, entries: [], leaderCommit: 2 }).success, false);
        await h.sleep(5000);
        assert.equal(h.saves().length, saves);
        assert.equal(h.sent.length, 0);
        assert.equal(h.applied().length, 0);
        assert.equal(h.raft.getState().isLeader, false);
      });
    });
  });

  describe('§7 log compaction', () => {
    const data = new Uint8Array([7, 7, 7]);

    it('§7 snapshot() discards the entries it covers, keeps the rest, and saves state and snapshot together', async () => {
      await node({ log: { terms: [1, 1, 2, 2, 2] }, term: 2 }, async (h) => {
        h.raft.AppendEntries({ term: 2, leaderId: 1, prevLogIndex: 5, prevLogTerm: 2, entries: [], leaderCommit: 5 });
        await h.settle();
        const before = h.persister.raftStateSize();
        h.raft.snapshot(3, data);
        const save = h.saves().at(-1)!;
        assert.deepEqual(save.snapshot, data, 'in one saveStateAndSnapshot');
        assert.deepEqual(save.state.log, { snapshotIndex: 3, snapshotTerm: 2, terms: [2, 2], commands: ['c4', 'c5'] });
        assert.ok(h.persister.raftStateSize() < before);
        assert.deepEqual(h.persister.readSnapshot(), data);
      });
    });

    it('§7 snapshot() ignores an index past commitIndex, or at or below the snapshot it has', async () => {
      await node({ log: { terms: [1, 1, 1, 1], snapshotIndex: 2, snapshotTerm: 1, snapshot: data }, term: 1 }, async (h) => {
        h.raft.AppendEntries({ term: 1, leaderId: 1, prevLogIndex: 5, prevLogTerm: 1, entries: [], leaderCommit: 5 });
        await h.settle();
        const saves = h.saves().length;
        h.raft.snapshot(6, new Uint8Array([1])); // not yet committed
        h.raft.snapshot(2, new Uint8Array([2])); // the snapshot it has
        h.raft.snapshot(1, new Uint8Array([3])); // older still
        assert.equal(h.saves().length, saves);
        assert.deepEqual(h.persister.readSnapshot(), data);
      });
    });

    it('§7 InstallSnapshot from the leader goes to the service; the log changes only when condInstallSnapshot agrees', async () => {
      await node({ log: { terms: [1, 1] }, term: 1 }, async (h) => {
        const reply = h.raft.InstallSnapshot({ term: 2, leaderId: 1, lastIncludedIndex: 10, lastIncludedTerm: 2, data });
        assert.deepEqual(reply, { term: 2 });
        await h.settle();
        assert.deepEqual(h.applied(), [
          { commandValid: false, command: null, commandIndex: 0, snapshotValid: true, snapshot: data, snapshotTerm: 2, snapshotIndex: 10 },
        ]);
        assert.deepEqual(h.persisted().log.terms, [1, 1], 'not yet');
        assert.equal(h.raft.condInstallSnapshot(2, 10, data), true);
        assert.deepEqual(h.persisted().log, { snapshotIndex: 10, snapshotTerm: 2, terms: [], commands: [] }, 'the whole log replaced');
        assert.deepEqual(h.persister.readSnapshot(), data);
        // It carries on after the snapshot.
        h.raft.AppendEntries({ term: 2, leaderId: 1, prevLogIndex: 10, prevLogTerm: 2, entries: [entry(11, 2, 'k')], leaderCommit: 11 });
        await h.settle();
        assert.deepEqual(h.applied().at(-1), { commandValid: true, command: 'k', commandIndex: 11, snapshotValid: false, snapshot: new Uint8Array(0), snapshotTerm: 0, snapshotIndex: 0 });
      });
    });

    it('§7 condInstallSnapshot keeps the entries after the snapshot when the log holds its last entry', async () => {
      await node({ log: { terms: [1, 1, 1, 1, 1] }, term: 1 }, async (h) => {
        h.raft.InstallSnapshot({ term: 1, leaderId: 1, lastIncludedIndex: 3, lastIncludedTerm: 1, data });
        await h.settle();
        assert.equal(h.raft.condInstallSnapshot(1, 3, data), true);
        assert.deepEqual(h.persisted().log, { snapshotIndex: 3, snapshotTerm: 1, terms: [1, 1], commands: ['c4', 'c5'] });
      });
    });

    it('§7 a snapshot the node has committed past is not handed on, and condInstallSnapshot refuses it', async () => {
      await node({ log: { terms: [1, 1, 1, 1, 1] }, term: 1 }, async (h) => {
        h.raft.AppendEntries({ term: 1, leaderId: 1, prevLogIndex: 5, prevLogTerm: 1, entries: [], leaderCommit: 5 });
        await h.settle();
        const applied = h.applied().length;
        h.raft.InstallSnapshot({ term: 1, leaderId: 1, lastIncludedIndex: 3, lastIncludedTerm: 1, data });
        await h.settle();
        assert.equal(h.applied().length, applied);
        assert.equal(h.raft.condInstallSnapshot(1, 3, data), false);
        assert.equal(h.persisted().log.snapshotIndex, 0);
      });
    });

    it('§7 a stale InstallSnapshot (an earlier term) is answered with the node’s term and ignored', async () => {
      await node({ term: 4 }, async (h) => {
        assert.deepEqual(h.raft.InstallSnapshot({ term: 3, leaderId: 1, lastIncludedIndex: 10, lastIncludedTerm: 3, data }), { term: 4 });
        await h.settle();
        assert.equal(h.applied().length, 0);
      });
    });

    it('§7 a leader sends its snapshot to a follower that needs entries the log no longer holds, then carries on after it', async () => {
      await node({ log: { terms: [1, 1], snapshotIndex: 5, snapshotTerm: 1, snapshot: data }, term: 1 }, async (h) => {
        const term = await h.electLeader();
        const beat = h.pending('Raft.AppendEntries').find((r) => r.peer === 1)!;
        assert.equal(beat.args.prevLogIndex, 7);
        beat.reply({ term, success: false, conflictTerm: noTerm, conflictIndex: 1 });
        await h.settle();
        const install = h.pending('Raft.InstallSnapshot').find((r) => r.peer === 1)!;
        assert.deepEqual(install.args, { term, leaderId: 0, lastIncludedIndex: 5, lastIncludedTerm: 1, data });
        install.reply({ term });
        await h.settle();
        const next = h.pending('Raft.AppendEntries').filter((r) => r.peer === 1).at(-1)!;
        assert.deepEqual({ prev: next.args.prevLogIndex, entries: next.args.entries.map((e) => e.index) }, { prev: 5, entries: [6, 7] });
      });
    });

    it('§7 a server restarted from a snapshot starts with commitIndex and lastApplied at the snapshot', async () => {
      await node({ log: { terms: [2, 2], snapshotIndex: 4, snapshotTerm: 2, snapshot: data }, term: 2 }, async (h) => {
        await h.settle();
        assert.equal(h.applied().length, 0, 'the service restores the snapshot itself');
        h.raft.AppendEntries({ term: 2, leaderId: 1, prevLogIndex: 6, prevLogTerm: 2, entries: [], leaderCommit: 6 });
        await h.settle();
        assert.deepEqual(h.applied().map((m) => m.commandIndex), [5, 6]);
      });
    });
  });
});

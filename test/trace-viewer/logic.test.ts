// The trace viewer's pure logic (src/renderer/src/trace): the memory source, the derived data (RPC pairing, bands,
// roles, checkpointed state), the log filter and the diagram's windowed layout. The components themselves are
// exercised in Chromium by viewer.test.ts.
import { strict as assert } from 'node:assert';
import type { TraceEvent } from '../../src/trace/events.ts';
import { checkpointEvery, TraceData } from '../../src/renderer/src/trace/data.ts';
import { filterRows, rowOfEvent } from '../../src/renderer/src/trace/filter.ts';
import { axisFormat, layoutTimeSpace, tickStep, type View } from '../../src/renderer/src/trace/layout.ts';
import { allTopics, describe as describeEvent, lowerBound, nodeOf, topicOf, upperBound } from '../../src/renderer/src/trace/model.ts';
import { memoryTraceSource } from '../../src/renderer/src/trace/source.ts';
import { applyLogChange, foldEvent, initialState } from '../../src/renderer/src/trace/state.ts';
import { synthHeader, synthTrace } from '../../src/renderer/src/trace/synth.ts';

async function dataFrom(events: TraceEvent[], servers = 3, pageSize = 7): Promise<TraceData> {
  const source = memoryTraceSource(synthHeader(servers, 1, events.length), events, pageSize);
  const index = await source.index();
  const d = new TraceData({ servers, total: index.events, firstT: index.pages[0]?.firstT ?? 0, lastT: index.pages.at(-1)?.lastT ?? 0 });
  for (let i = 0; i < index.pages.length; i++) d.append(await source.page(i));
  return d;
}

const small: TraceEvent[] = [
  { t: 0, kind: 'restart', node: 0, generation: 1 },
  { t: 0, kind: 'restart', node: 1, generation: 1 },
  { t: 0, kind: 'restart', node: 2, generation: 1 },
  { t: 1, kind: 'connect', node: 0 },
  { t: 1, kind: 'connect', node: 1 },
  { t: 1, kind: 'connect', node: 2 },
  { t: 10, kind: 'persist', node: 0, bytes: 30, term: 1, votedFor: 0 },
  { t: 10, kind: 'send', rpc: 1, method: 'Raft.RequestVote', node: 0, to: 1, bytes: 40, args: { term: 1 }, term: 1 },
  { t: 10, kind: 'send', rpc: 2, method: 'Raft.RequestVote', node: 0, to: 2, bytes: 40, args: { term: 1 }, term: 1 },
  { t: 11, kind: 'drop', rpc: 2, method: 'Raft.RequestVote', node: 0, to: 2, reason: 'request-lost' },
  { t: 12, kind: 'deliver', rpc: 1, method: 'Raft.RequestVote', node: 1, from: 0 },
  { t: 12, kind: 'persist', node: 1, bytes: 30, term: 1, votedFor: 0 },
  { t: 14, kind: 'reply', rpc: 1, method: 'Raft.RequestVote', node: 0, to: 1, bytes: 10, reply: { term: 1, voteGranted: true }, term: 1 },
  { t: 15, kind: 'state', node: 0, term: 1, isLeader: true },
  { t: 20, kind: 'start', node: 0, command: 101, index: 1, term: 1, isLeader: true },
  { t: 30, kind: 'send', rpc: 3, method: 'Raft.AppendEntries', node: 0, to: 1, bytes: 60, args: { term: 1, leaderId: 0, prevLogIndex: 0, prevLogTerm: 0, entries: [{ term: 1, command: 101 }], leaderCommit: 0 }, term: 1 },
  { t: 32, kind: 'deliver', rpc: 3, method: 'Raft.AppendEntries', node: 1, from: 0 },
  { t: 34, kind: 'reply', rpc: 3, method: 'Raft.AppendEntries', node: 0, to: 1, bytes: 10, reply: { term: 1, success: true }, term: 1 },
  { t: 35, kind: 'apply', node: 0, index: 1, command: 101 },
  { t: 36, kind: 'log', node: 0, topic: 'CMIT', message: 'commit 1' },
  { t: 40, kind: 'send', rpc: 4, method: 'Raft.AppendEntries', node: 0, to: 2, bytes: 60, args: { term: 1, leaderId: 0, prevLogIndex: 0, prevLogTerm: 0, entries: [], leaderCommit: 1 }, term: 1 },
  { t: 41, kind: 'deliver', rpc: 4, method: 'Raft.AppendEntries', node: 2, from: 0 },
  { t: 43, kind: 'reply-lost', rpc: 4, method: 'Raft.AppendEntries', node: 0, to: 2, reason: 'reply-lost' },
  { t: 50, kind: 'crash', node: 0 },
  { t: 60, kind: 'disconnect', node: 2 },
  { t: 70, kind: 'snapshot', node: 1, index: 1, bytes: 9 },
  { t: 80, kind: 'restart', node: 0, generation: 2 },
  { t: 90, kind: 'connect', node: 2 },
  { t: 95, kind: 'test-end', status: 'pass' },
];

describe('trace viewer: logic', () => {
  it('gives every kind of event a known topic and one line of prose', () => {
    const { events } = synthTrace({ events: 5000, seed: 3 });
    const kinds = new Set<string>();
    for (const e of [...events, ...small]) {
      kinds.add(e.kind);
      assert.ok(allTopics.includes(topicOf(e)), `${e.kind}: topic ${topicOf(e)}`);
      const line = describeEvent(e);
      assert.ok(line.length > 0 && !line.includes('\n'), `${e.kind}: ${line}`);
      const node = nodeOf(e);
      assert.ok(node === undefined || (Number.isInteger(node) && node >= 0));
    }
    assert.ok(kinds.size >= 15, `${kinds.size} kinds covered`);
  });

  it('memoryTraceSource pages the events with an index of counts and times', async () => {
    const src = memoryTraceSource(synthHeader(3, 1, small.length), small, 10);
    const index = await src.index();
    assert.equal(index.events, small.length);
    assert.deepEqual(index.pages.map((p) => p.count), [10, 10, 9]);
    assert.equal(index.pages[1]!.firstT, small[10]!.t);
    assert.deepEqual([...(await src.page(0)), ...(await src.page(1)), ...(await src.page(2))], small);
    await assert.rejects(src.page(3), /no page 3/);
    assert.equal((await src.header()).events, small.length);
  });

  it('pairs RPC events and finds crash / disconnect bands and role segments', async () => {
    const d = await dataFrom(small);
    assert.equal(d.length, small.length);
    const r1 = d.rpcById.get(1)!;
    assert.deepEqual([r1.from, r1.to, r1.tSend, r1.tDeliver, r1.tReply], [0, 1, 10, 12, 14]);
    assert.equal(d.rpcById.get(2)!.tDrop, 11);
    assert.equal(d.rpcById.get(4)!.tLost, 43);
    assert.deepEqual([r1.iSend, r1.iDeliver, r1.iReply], [7, 10, 12], 'each RPC knows its events, for the detail pane');
    assert.deepEqual([d.rpcById.get(2)!.iDrop, d.rpcById.get(4)!.iLost], [9, 22]);
    assert.equal(d.maxRpcSpan, 4);
    assert.deepEqual(d.bands.map((b) => [b.node, b.kind, b.t0, b.t1]), [[0, 'crash', 50, 80], [2, 'disconnect', 60, 90]]);
    assert.deepEqual(d.roles.map((s) => [s.node, s.term, s.leader, s.t0, s.t1]), [[0, 1, true, 15, 50]]);
    assert.deepEqual(d.rpcsIn(13, 31).map((r) => r.rpc), [1, 3]);
    assert.equal(d.nearestEvent(33), 16);
    assert.deepEqual(d.eventRange(30, 35), [15, 19]);
  });

  it('folds each node\'s state: term, role, vote, log bounds, commit, applied, snapshot', async () => {
    const d = await dataFrom(small);
    const at = (t: number): ReturnType<TraceData['stateAt']> => d.stateAt(upperBound(d.times, t) - 1);
    let s = at(34);
    assert.equal(s.nodes[0]!.leader, true);
    assert.equal(s.nodes[0]!.term, 1);
    assert.equal(s.nodes[1]!.votedFor, 0);
    assert.equal(s.nodes[0]!.lastIndex, 1);
    assert.equal(s.nodes[1]!.lastIndex, 1, 'acknowledged AppendEntries puts the entry in the follower\'s log');
    assert.deepEqual(s.nodes[1]!.lastEntries, [{ index: 1, term: 1, command: 101 }]);
    assert.equal(s.nodes[0]!.lastApplied, 0);
    s = at(35);
    assert.equal(s.nodes[0]!.lastApplied, 1);
    assert.equal(s.nodes[0]!.commitIndex, 1);
    s = at(65);
    assert.equal(s.nodes[0]!.alive, false);
    assert.equal(s.nodes[0]!.leader, false);
    assert.equal(s.nodes[2]!.connected, false);
    s = at(100);
    assert.equal(s.nodes[1]!.snapshotIndex, 1);
    assert.equal(s.nodes[0]!.alive, true);
    assert.equal(s.nodes[0]!.generation, 2);
    assert.equal(s.nodes[2]!.connected, true);
    assert.equal(d.stateAt(-1).nodes[0]!.generation, 0);
  });

  it("reads a leader's commit point from the leaderCommit it sends, as the checker does", () => {
    const s = initialState(2);
    const lookup = () => undefined;
    foldEvent(s, { t: 1, kind: 'apply', node: 0, index: 2, command: 7 }, lookup);
    assert.equal(s.nodes[0]!.commitIndex, 2);
    const ae = (leaderCommit: number) => ({ t: 2, kind: 'send' as const, rpc: 9, method: 'Raft.AppendEntries', node: 0, to: 1, bytes: 1, args: { term: 3, leaderCommit }, term: 3 });
    foldEvent(s, ae(5), lookup);
    assert.equal(s.nodes[0]!.commitIndex, 5, 'the applier lags; the commit index the message carries does not');
    foldEvent(s, ae(4), lookup);
    assert.equal(s.nodes[0]!.commitIndex, 5, 'a lower bound only grows');
    assert.equal(s.nodes[1]!.commitIndex, 0, 'the follower learns it only from a successful reply');
  });

  it('rebuilds each node\'s saved log as runs of terms from the persists\' log changes', () => {
    const s = initialState(2);
    const persist = (node: number, log: { snapshotIndex: number; from: number; terms: number[]; lastIndex: number }): TraceEvent => ({
      t: 1, kind: 'persist', node, bytes: 10, log: { ...log, snapshotTerm: 1, commands: log.terms.map((t, k) => t * 10 + k) },
    });
    const none = () => undefined;
    foldEvent(s, persist(0, { snapshotIndex: 0, from: 1, terms: [1, 1, 2], lastIndex: 3 }), none);
    foldEvent(s, persist(0, { snapshotIndex: 0, from: 4, terms: [2, 3], lastIndex: 5 }), none);
    assert.deepEqual(s.nodes[0]!.stableLog, { snapshotIndex: 0, lastIndex: 5, runs: [{ from: 1, to: 2, term: 1 }, { from: 3, to: 4, term: 2 }, { from: 5, to: 5, term: 3 }] });
    assert.equal(s.nodes[0]!.lastIndex, 5);
    assert.deepEqual(s.nodes[0]!.lastEntries.map((e) => [e.index, e.term, e.command]), [[2, 1, 11], [3, 2, 22], [4, 2, 20], [5, 3, 31]]);
    // A leader overwrites index 4 on: the run of term 2 is cut, a term-4 entry follows.
    foldEvent(s, persist(0, { snapshotIndex: 0, from: 4, terms: [4], lastIndex: 4 }), none);
    assert.deepEqual(s.nodes[0]!.stableLog!.runs, [{ from: 1, to: 2, term: 1 }, { from: 3, to: 3, term: 2 }, { from: 4, to: 4, term: 4 }]);
    // A snapshot through 2 drops what it covers; nothing else changed.
    foldEvent(s, persist(0, { snapshotIndex: 2, from: 5, terms: [], lastIndex: 4 }), none);
    assert.deepEqual(s.nodes[0]!.stableLog, { snapshotIndex: 2, lastIndex: 4, runs: [{ from: 3, to: 3, term: 2 }, { from: 4, to: 4, term: 4 }] });
    assert.equal(s.nodes[0]!.snapshotIndex, 2);
    assert.equal(s.nodes[1]!.stableLog, null, 'a node that never persisted a log has none');
    // Truncation alone.
    assert.deepEqual(applyLogChange([{ from: 1, to: 9, term: 1 }], { snapshotIndex: 0, from: 10, terms: [], lastIndex: 4 }), [{ from: 1, to: 4, term: 1 }]);
  });

  it('stateAt from checkpoints equals folding from the start', async () => {
    const { events } = synthTrace({ events: checkpointEvery * 6 + 77, seed: 5 });
    const d = await dataFrom(events, 5, 300);
    for (const cursor of [0, 1, checkpointEvery - 1, checkpointEvery, checkpointEvery * 3 + 17, events.length - 1]) {
      const slow = initialState(5);
      for (let i = 0; i <= cursor; i++) foldEvent(slow, events[i]!, (rpc) => d.rpcById.get(rpc));
      slow.cursor = cursor;
      assert.deepEqual(d.stateAt(cursor), slow, `cursor ${cursor}`);
    }
  });

  it('filters rows by topic and search, incrementally, and finds the cursor\'s row', async () => {
    const d = await dataFrom(small);
    const all = filterRows(d, { topics: new Set(allTopics), search: '' });
    assert.equal(all.length, small.length);
    const votes = filterRows(d, { topics: new Set(['SEND', 'DROP']), search: 'requestvote' });
    assert.deepEqual(votes, [7, 8, 9]);
    assert.deepEqual(filterRows(d, { topics: new Set(allTopics), search: 's2 DISC' }), [24]);
    const part = filterRows(d, { topics: new Set(['SEND']), search: '' }, 0, []).filter((i) => i < 10);
    assert.deepEqual(filterRows(d, { topics: new Set(['SEND']), search: '' }, 10, part), [7, 8, 15, 20]);
    assert.equal(rowOfEvent([2, 5, 9], 5), 1);
    assert.equal(rowOfEvent([2, 5, 9], 7), 1);
    assert.equal(rowOfEvent([2, 5, 9], 0), 0);
    assert.equal(lowerBound([1, 2, 2, 3], 2), 1);
    assert.equal(upperBound([1, 2, 2, 3], 2), 3);
  });

  it('lays out only the visible window: arrows, drop marks, bands, roles, ticks', async () => {
    const d = await dataFrom(small);
    const v: View = { t0: 0, t1: 100, width: 1000, laneHeight: 30, top: 10 };
    const all = layoutTimeSpace(d, v);
    assert.equal(all.arrows.filter((a) => a.kind === 'request' && !a.lost).length, 3);
    assert.equal(all.arrows.filter((a) => a.kind === 'reply' && !a.lost).length, 2);
    assert.deepEqual(all.drops.map((x) => [x.kind, x.rpc]), [['drop', 2], ['reply-lost', 4]]);
    const a1 = all.arrows.find((a) => a.rpc === 1 && a.kind === 'request')!;
    assert.deepEqual([a1.x1, a1.y1, a1.x2, a1.y2], [100, 25, 120, 55]);
    assert.deepEqual(all.bands.map((b) => b.kind), ['crash', 'disconnect']);
    assert.equal(all.roles.length, 1);
    assert.ok(all.ticks.length >= 5);
    // One unit per axis: a window of seconds labels every tick in seconds, a short one in ms.
    for (const [t1, unit] of [[60_000, 's'], [40, 'ms'], [8_000, 's']] as const) {
      const l = layoutTimeSpace(d, { ...v, t0: 0, t1 });
      assert.equal(l.unit, unit, `window ${t1}`);
      assert.ok(l.ticks.every((t) => /^\d+(\.\d+)?$/.test(t.label)), l.ticks.map((t) => t.label).join(' '));
    }
    assert.equal(axisFormat(500).label(4500), '4500');
    assert.equal(axisFormat(500).unit, 'ms');
    assert.equal(axisFormat(2000).label(4000), '4');
    assert.equal(axisFormat(200).unit, 'ms');
    assert.equal(axisFormat(5000).label(12000), '12');
    const late = layoutTimeSpace(d, { ...v, t0: 44, t1: 100 });
    assert.equal(late.arrows.length, 0, 'no RPC meets [44, 100]');
    assert.equal(late.roles.length, 1, 'the leader stretch [15, 50] still shows');
    const { events } = synthTrace({ events: 20_000, seed: 2 });
    const big = await dataFrom(events, 5, 2000);
    const fit = layoutTimeSpace(big, { ...v, t0: big.firstT, t1: big.lastT }, 300);
    assert.ok(fit.rpcsInWindow > 1000);
    assert.ok(fit.rpcsDrawn <= 300, `drew ${fit.rpcsDrawn}`);
    assert.equal(tickStep(1000), 200);
  });
});

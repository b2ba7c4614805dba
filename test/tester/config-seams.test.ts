import assert from 'node:assert/strict';
import type { RaftNode } from '../../labs/api/index.ts';
import { Codec } from '../../src/harness/codec/index.ts';
import type { NetEvent, NetObserver } from '../../src/harness/labrpc/index.ts';
import { Persister } from '../../src/harness/persister/index.ts';
import { SimRuntime } from '../../src/harness/runtime/index.ts';
import { ChaosMonkey } from '../../src/harness/tester/chaos-monkey.ts';
import type { Config } from '../../src/harness/tester/config.ts';
import { findTest, loadImplementation, runTest } from '../../src/harness/tester/index.ts';
import { nodeClock } from '../../src/harness/tester/node-runtime.ts';
import { noTracer, type TracedCluster } from '../../src/harness/tester/tracer.ts';
import { TesterTracing } from '../../src/harness/tester/tracing.ts';
import type { TesterTraceEvent } from '../../src/trace/schema.ts';

/** An argument that throws on any use: a tracer that does nothing never touches it. */
const poison: unknown = new Proxy(
  {},
  Object.fromEntries(['get', 'has', 'ownKeys', 'getPrototypeOf', 'apply', 'set'].map((trap) => [trap, () => assert.fail(`the tracer used its argument (${trap})`)])),
);

describe('config seams: the tracer', () => {
  it('the default tracer does nothing: it touches no argument, returns nothing, and hands nodes and persisters back as they are', () => {
    assert.ok(Object.isFrozen(noTracer));
    const persister = Persister.memory();
    const node = {} as RaftNode;
    assert.equal(noTracer.persister(0, persister), persister);
    assert.equal(noTracer.node(0, node), node);
    const events = Object.entries(noTracer).filter(([name]) => name !== 'persister' && name !== 'node');
    assert.ok(events.length >= 15, 'every event method is checked');
    for (const [name, method] of events) {
      assert.equal((method as (...args: unknown[]) => unknown)(poison, poison, poison, poison, poison), undefined, name);
    }
  });

  it('tracing changes nothing in a run: the same network events, output and verdict as untraced, chaos on too', async () => {
    const { make } = await loadImplementation();
    const run = async (traced: boolean) => {
      const net: string[] = [];
      const tester: TesterTraceEvent[] = [];
      const r = await runTest(findTest('TestSnapshotInstallCrash2D')!, {
        mode: 'sim',
        seed: 3,
        make,
        chaos: { crashesPerMinute: 12, timerQuantumMs: 100 },
        netObserver: (e: NetEvent) => net.push(JSON.stringify({ ...e, payload: undefined })),
        ...(traced ? { onTraceEvent: (e: TesterTraceEvent) => tester.push(e) } : {}),
      });
      return { r, net, tester };
    };
    const plain = await run(false);
    const traced = await run(true);
    assert.equal(plain.tester.length, 0);
    assert.ok(traced.tester.some((e) => e.kind === 'persist') && traced.tester.some((e) => e.kind === 'crash'));
    assert.deepEqual(traced.net, plain.net);
    assert.deepEqual([traced.r.status, traced.r.output, traced.r.testMs], [plain.r.status, plain.r.output, plain.r.testMs]);
  });

  it('the tracing tracer reports each save as a stable-log delta, and a crashed incarnation\'s save as detached', () => {
    const codec = new Codec();
    const events: TesterTraceEvent[] = [];
    const observers: NetObserver[] = [];
    const saved: Array<Persister | null> = [Persister.memory()];
    const cluster: TracedCluster = { n: 1, net: { observe: (o) => (observers.push(o), () => {}), observeCalls: () => {} }, rafts: [null], saved };
    const tracer = new TesterTracing({ onEvent: (e) => events.push(e), runtime: { now: () => 7, fail: (e) => assert.fail(String(e)) }, codec }, cluster);
    assert.equal(observers.length, 1, 'it watches the network, to see state changes');
    const state = (terms: number[]) => codec.encode({ currentTerm: 2, votedFor: 0, log: { snapshotIndex: 0, snapshotTerm: 0, terms, commands: terms.map((t) => t * 10) } });

    const live = tracer.persister(0, saved[0]!);
    live.saveRaftState(state([1]));
    live.saveRaftState(state([1, 2]));
    const old = saved[0]!;
    saved[0] = old.copy(); // crash1: the node's persister is now another one
    live.saveStateAndSnapshot(state([1, 2, 2]), new Uint8Array(4));

    const persists = events.filter((e) => e.kind === 'persist');
    assert.deepEqual(
      persists.map(({ term, votedFor, log, detached, snapshotBytes, t }) => ({ t, term, votedFor, log, detached, snapshotBytes })),
      [
        { t: 7, term: 2, votedFor: 0, log: { snapshotIndex: 0, snapshotTerm: 0, from: 1, terms: [1], commands: [10], lastIndex: 1 }, detached: undefined, snapshotBytes: undefined },
        { t: 7, term: 2, votedFor: 0, log: { snapshotIndex: 0, snapshotTerm: 0, from: 2, terms: [2], commands: [20], lastIndex: 2 }, detached: undefined, snapshotBytes: undefined },
        { t: 7, term: 2, votedFor: 0, log: undefined, detached: true, snapshotBytes: 4 },
      ],
    );
    assert.deepEqual(old.readRaftState(), state([1, 2, 2]), 'the save reached the persister it wraps');
  });
});

describe('config seams: chaos outside the config', () => {
  /** A config that records what is done to it. */
  const fakeConfig = (calls: string[]) =>
    ({
      n: 3,
      rafts: [{}, {}, {}],
      connected: [true, true, true],
      crash1: (i: number) => calls.push(`crash1 ${i}`),
      start1: (i: number) => calls.push(`start1 ${i}`),
      connect: (i: number) => calls.push(`connect ${i}`),
      disconnect: (i: number) => calls.push(`disconnect ${i}`),
    }) as unknown as Config;

  it('the monkey does nothing with every knob off, and reboots and partitions with them on, until stopped', async () => {
    const rt = new SimRuntime(4);
    const off: string[] = [];
    const on: string[] = [];
    await rt.run(async () => {
      new ChaosMonkey(fakeConfig(off), rt, undefined).start();
      new ChaosMonkey(fakeConfig(off), rt, { crashesPerMinute: 0, partitionsPerMinute: 0, dropRate: 0, delayMaxMs: 0, reorderRate: 0 }).start();
      const monkey = new ChaosMonkey(fakeConfig(on), rt, { crashesPerMinute: 30, partitionsPerMinute: 30 }).start();
      await rt.sleep(60_000);
      monkey.stop();
      const atStop = on.length;
      await rt.sleep(60_000);
      assert.equal(on.length, atStop, 'nothing after stop()');
    });
    assert.deepEqual(off, []);
    assert.ok(on.some((c) => c.startsWith('crash1')) && on.some((c) => c.startsWith('disconnect')), on.join(', '));
  });

  it('without a timer grid the nodes\' clock is the run\'s: timers and sleeps end when asked', async () => {
    const rt = new SimRuntime(1);
    const fired: number[] = [];
    await rt.run(async () => {
      for (const clock of [nodeClock(rt, undefined), nodeClock(rt, { timerQuantumMs: 0 })]) {
        const timer = clock.timer(() => fired.push(clock.now()));
        timer.reset(137);
        await clock.sleep(333);
        assert.equal(timer.active, false);
      }
    });
    assert.deepEqual(fired, [137, 333 + 137]);
    const gridded: number[] = [];
    const rt2 = new SimRuntime(1);
    await rt2.run(async () => {
      const clock = nodeClock(rt2, { timerQuantumMs: 250 });
      clock.timer(() => gridded.push(clock.now())).reset(137);
      await clock.sleep(300);
    });
    assert.deepEqual([gridded, rt2.now()], [[250], 500], 'with one, they end on the grid');
  });
});

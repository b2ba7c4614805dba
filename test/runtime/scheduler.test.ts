// The sim scheduler (src/harness/runtime/scheduler.ts): ready tasks in a seeded random order, at a seeded cost in
// virtual time; the same seed and level still give the same run, event for event; level 0 is raftlab as it ran before
// it had a scheduler.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { SimRuntime } from '../../src/harness/runtime/index.ts';
import { loadImplementation, runTest, selectTests } from '../../src/harness/tester/index.ts';
import { createTraceRecorder } from '../../src/trace/index.ts';

/** Start ten goroutines at once; the order they run in, and when. */
async function tenGoroutines(seed: number, interleave: number): Promise<{ order: string; times: number[] }> {
  const rt = new SimRuntime(seed, { interleave });
  return rt.run(async () => {
    const order: number[] = [];
    const times: number[] = [];
    for (let g = 0; g < 10; g++) {
      rt.spawn('go', () => {
        order.push(g);
        times.push(rt.now());
      });
    }
    await rt.sleep(50);
    return { order: order.join(','), times };
  });
}

describe('scheduler: ready tasks in a seeded order', () => {
  it('level 0 runs them in the order they became ready, at no cost in time; level 1 in a seeded random order, microseconds later', async () => {
    const off = await tenGoroutines(1, 0);
    assert.equal(off.order, '0,1,2,3,4,5,6,7,8,9');
    assert.ok(off.times.every((t) => t === 0));
    const on = await tenGoroutines(1, 1);
    assert.notEqual(on.order, off.order);
    assert.deepEqual([...on.order.split(',')].sort(), [...off.order.split(',')].sort());
    assert.ok(on.times.every((t) => t > 0 && t < 5), on.times.join(' '));
    assert.deepEqual(await tenGoroutines(1, 1), on, 'same seed, same order and times');
    assert.notEqual((await tenGoroutines(2, 1)).order, on.order);
  });

  it('the same seed and level give the same run of a graded test, event for event; another seed differs', async () => {
    const { make } = await loadImplementation();
    const [test] = selectTests('^TestFigure8Unreliable2C$');
    const trace = async (seed: number, interleave?: number): Promise<string> => {
      const recorder = createTraceRecorder();
      await runTest(test!, { mode: 'sim', seed, make, ...(interleave === undefined ? {} : { chaos: { interleave } }), ...recorder.options });
      return createHash('sha256').update(JSON.stringify(recorder.events)).digest('hex');
    };
    const first = await trace(3);
    assert.equal(await trace(3), first);
    assert.notEqual(await trace(4), first);
    assert.notEqual(await trace(3, 0), first);
    const explored = await trace(3, 5);
    assert.equal(await trace(3, 5), explored);
    assert.notEqual(explored, first);
  });

  it('at level 0 a run is the one raftlab made before it had a scheduler (fingerprints recorded then)', async () => {
    // Network events and outcome of runs made with raftlab at 0d6e24e, before the scheduler existed.
    const before: Array<[string, string, number, string]> = [
      ['labs/raft', '^TestConcurrentStarts2B$', 1, '31a6c6bd12ea645c'],
      ['labs/raft', '^TestFigure8Unreliable2C$', 1, 'cca92a670721c649'],
      ['labs/raft', '^TestSnapshotInstallCrash2D$', 2, '9a6614dca64051fc'],
      ['labs/corpus/poll', '^TestSnapshotBasic2D$', 1, '14a8af85d1e9218d'],
    ];
    for (const [impl, pattern, seed, fingerprint] of before) {
      const { make } = await loadImplementation(impl);
      const [test] = selectTests(pattern);
      const h = createHash('sha256');
      const r = await runTest(test!, {
        mode: 'sim',
        seed,
        make,
        chaos: { interleave: 0 },
        // `handled` (the moment a handler returned) is an event added since; it observes, it changes nothing.
        netObserver: (e) => e.type !== 'handled' && h.update(`${e.type} ${e.atMs} ${e.rpcId} ${e.endName} ${'method' in e ? e.method : ''}\n`),
      });
      h.update(`${r.status} ${r.testMs} ${JSON.stringify(r.passed)}`);
      assert.equal(h.digest('hex').slice(0, 16), fingerprint, `${impl} ${pattern} seed ${seed}`);
    }
  });
});

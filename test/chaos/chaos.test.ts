import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { replayCommand } from '../../src/cli/replay-command.ts';
import { ChaosSpecError, formatChaos, parseChaos, type ChaosKnobs } from '../../src/harness/chaos.ts';
import type { NetEvent } from '../../src/harness/labrpc/index.ts';
import { findTest, loadImplementation, referenceImplDir, runTest } from '../../src/harness/tester/index.ts';
import { runBatch } from '../../src/runner/batch.ts';
import { readTraceEvents, readTraceHeader } from '../../src/trace/index.ts';
import type { MakeRaft } from '../../labs/api/index.ts';

const quiet = () => new Writable({ write: (_c, _e, done) => done() });

describe('chaos knobs', () => {
  let make: MakeRaft;
  before(async () => {
    ({ make } = await loadImplementation());
  });

  it('parse from the command line form, and explain a bad one', () => {
    assert.deepEqual(parseChaos('drop=0.05,delay=40,reorder=0.2,quantum=250,crash=6,partition=3'), {
      dropRate: 0.05,
      delayMaxMs: 40,
      reorderRate: 0.2,
      timerQuantumMs: 250,
      crashesPerMinute: 6,
      partitionsPerMinute: 3,
    });
    assert.equal(formatChaos(parseChaos('quantum=250,drop=0.1')), 'drop=0.1,quantum=250');
    assert.throws(() => parseChaos('drop=2'), (e: unknown) => e instanceof ChaosSpecError && /drop must be 0\.\.1/.test(e.message));
    assert.throws(() => parseChaos('wind=3'), (e: unknown) => e instanceof ChaosSpecError && /unknown chaos knob 'wind=3'; knobs: drop=0\.\.1/.test(e.message));
  });

  /** Network events of one run, as comparable strings. */
  async function networkEvents(chaos: ChaosKnobs | undefined, testId = 'TestFailAgree2B', seed = 5) {
    const events: NetEvent[] = [];
    const r = await runTest(findTest(testId)!, { mode: 'sim', seed, make, netObserver: (e) => events.push(e), ...(chaos ? { chaos } : {}) });
    return { r, events };
  }

  it('all knobs at zero is exactly the course\'s run; a knob on changes it and is recorded', async () => {
    const plain = await networkEvents(undefined);
    const zero = await networkEvents({ dropRate: 0, delayMaxMs: 0, reorderRate: 0, crashesPerMinute: 0, partitionsPerMinute: 0 });
    assert.deepEqual(zero.events.map((e) => JSON.stringify({ ...e, payload: undefined })), plain.events.map((e) => JSON.stringify({ ...e, payload: undefined })));
    assert.equal(zero.r.chaos, undefined, 'nothing on, nothing recorded');
    const dropped = await networkEvents({ dropRate: 0.2 });
    assert.deepEqual(dropped.r.chaos, { dropRate: 0.2 });
    const chaosDrops = dropped.events.filter((e) => (e.type === 'drop' || e.type === 'reply-lost') && e.reason === 'chaos-drop').length;
    const rpcs = dropped.events.filter((e) => e.type === 'send').length;
    assert.ok(chaosDrops > rpcs * 0.2 && chaosDrops < rpcs * 0.5, `${chaosDrops} chaos drops of ${rpcs} RPCs`);
  });

  it('election-timeout pressure puts every node timer on the grid', async () => {
    const seen: number[] = [];
    const wrapped: MakeRaft = (peers, me, persister, applyCh, runtime) =>
      make(peers, me, persister, applyCh, {
        ...runtime,
        timer: (callback) => runtime.timer(() => {
          seen.push(runtime.now());
          callback();
        }),
      });
    const r = await runTest(findTest('TestInitialElection2A')!, { mode: 'sim', seed: 2, make: wrapped, chaos: { timerQuantumMs: 250 } });
    assert.equal(r.status, 'pass');
    assert.ok(seen.length > 10);
    for (const t of seen) assert.equal(t % 250, 0, `a timer fired at ${t} ms`);
  });

  it('crashes and partitions happen, the reference stays safe, and the replay of a chaos run is identical', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'raftlab-chaos-'));
    try {
      const batch = await runBatch({
        tests: [{ id: 'TestFailAgree2B' }],
        count: 2,
        baseSeed: 1,
        mode: 'sim',
        implDir: referenceImplDir,
        parallel: 1,
        check: true,
        chaos: { crashesPerMinute: 20, partitionsPerMinute: 20, timerQuantumMs: 250 },
        trace: { keep: 'all', dir },
      });
      for (const r of batch.records) assert.deepEqual(r.violations ?? [], [], 'no safety violation under chaos');
      // TestFailAgree2B crashes nobody itself: every crash in these traces is chaos.
      let crashes = 0;
      let disconnects = 0;
      for (const f of readdirSync(dir)) {
        const crashedAt = new Map<number, number>();
        for await (const e of readTraceEvents(path.join(dir, f))) {
          if (e.kind === 'crash') {
            crashes++;
            crashedAt.set(e.node, e.t);
          }
          // A chaos crash is a reboot: the server is back from its persisted state at the same instant.
          if (e.kind === 'restart' && crashedAt.has(e.node)) {
            assert.equal(e.t, crashedAt.get(e.node), `server ${e.node} restarted when it crashed`);
            crashedAt.delete(e.node);
          }
          if (e.kind === 'disconnect') disconnects++;
        }
        assert.deepEqual([...crashedAt.keys()], [], 'every crashed server restarted');
      }
      assert.ok(crashes > 0, 'chaos crashed servers');
      assert.ok(disconnects > crashes, 'and partitioned some (a crash disconnects too)');
      const file = path.join(dir, readdirSync(dir).sort()[0]!);
      const header = await readTraceHeader(file);
      assert.deepEqual(header.chaos, { crashesPerMinute: 20, partitionsPerMinute: 20, timerQuantumMs: 250 });
      const replay = await replayCommand(file, {}, quiet());
      assert.equal(replay.report?.identical, true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

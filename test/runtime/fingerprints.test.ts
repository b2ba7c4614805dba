// Determinism across versions: what raftlab does to make sim runs cheaper (the codec's plain-data writer, say) must
// not change any run. Each case's whole trace and outcome, hashed, as recorded at da66853 (before that work) on the
// reference, the four corpus Rafts and three planted bugs, at the scheduler's default level. A change to the trace's
// schema changes these on purpose: re-record them then (run this file with RAFTLAB_PRINT_FINGERPRINTS=1 to print them).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { loadImplementation, runTest, selectTests } from '../../src/harness/tester/index.ts';
import { createTraceRecorder } from '../../src/trace/index.ts';

const recorded: Array<[impl: string, test: string, seed: number, fingerprint: string]> = [
  ['labs/raft', 'TestUnreliableChurn2C', 1, 'c0137a7b1f2de4fc'],
  ['labs/raft', 'TestManyElections2A', 2, '11255530dd59d42a'],
  ['labs/raft', 'TestBackup2B', 2, '16055741d3f4e7f6'],
  ['labs/raft', 'TestFigure8Unreliable2C', 2, '2d72278fb9ba4b00'],
  ['labs/raft', 'TestSnapshotInstallUnCrash2D', 2, 'a98df8c86f9a5691'],
  ['labs/corpus/cond', 'TestManyElections2A', 2, '0702cf6247379377'],
  ['labs/corpus/cond', 'TestBackup2B', 2, '1f65310f550423eb'],
  ['labs/corpus/cond', 'TestFigure8Unreliable2C', 2, 'a10b8a2abc6c4e47'],
  ['labs/corpus/cond', 'TestSnapshotInstallUnCrash2D', 2, '3cdd417dc1764421'],
  ['labs/corpus/gostyle', 'TestManyElections2A', 2, 'be5f3b0f57b3ffea'],
  ['labs/corpus/gostyle', 'TestBackup2B', 2, '591f4844646bb85e'],
  ['labs/corpus/gostyle', 'TestFigure8Unreliable2C', 2, '3a36c7f015011b59'],
  ['labs/corpus/gostyle', 'TestSnapshotInstallUnCrash2D', 2, '4600e4f85e0834bb'],
  ['labs/corpus/poll', 'TestManyElections2A', 2, 'ba6aef1e587a15f6'],
  ['labs/corpus/poll', 'TestBackup2B', 2, '95842b64b3fdeb13'],
  ['labs/corpus/poll', 'TestFigure8Unreliable2C', 2, '7e4bdd49f4d92c06'],
  ['labs/corpus/poll', 'TestSnapshotInstallUnCrash2D', 2, '92f07effcbee2deb'],
  ['labs/corpus/queue', 'TestManyElections2A', 2, 'b38e7c1ab3b2d3b0'],
  ['labs/corpus/queue', 'TestBackup2B', 2, '48dd8142e8f12b11'],
  ['labs/corpus/queue', 'TestFigure8Unreliable2C', 2, '5bd4b6ff7ba6ddca'],
  ['labs/corpus/queue', 'TestSnapshotInstallUnCrash2D', 2, 'eb6262f13b048bd6'],
  ['labs/bugs/sequential-rpcs', 'TestFigure8Unreliable2C', 1, 'c2af01c4a5a0c558'],
  ['labs/bugs/append-without-persist', 'TestPersist12C', 1, 'e80cdd46abeed529'],
  ['labs/bugs/votedfor-not-persisted', 'TestFigure8Unreliable2C', 3, '021c682a8016ff50'],
];

describe('sim runs are the same run they were (fingerprints recorded at da66853)', function () {
  this.timeout(120_000);
  const print = process.env.RAFTLAB_PRINT_FINGERPRINTS === '1';
  for (const [impl, name, seed, fingerprint] of recorded) {
    it(`${impl} ${name} seed ${seed}`, async () => {
      const { make, describeState } = await loadImplementation(impl);
      const [test] = selectTests(`^${name}$`);
      const recorder = createTraceRecorder();
      const r = await runTest(test!, { mode: 'sim', seed, make, describeState, ...recorder.options });
      const now = createHash('sha256').update(`${r.status} ${r.testMs} ${JSON.stringify(recorder.events)}`).digest('hex').slice(0, 16);
      if (print) console.log(`  ['${impl}', '${name}', ${seed}, '${now}'],`);
      else assert.equal(now, fingerprint, `${recorder.events.length} events, ${r.status}`);
    });
  }
});

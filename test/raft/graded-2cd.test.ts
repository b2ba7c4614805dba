import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { findTest, loadImplementation, runTest, selectTests, type TestRunResult } from '../../src/harness/tester/index.ts';
import type { MakeRaft } from '../../labs/api/index.ts';

/** Seeds per test in the mocha sweep; the 2C churn tests are the slow ones (~0.2-1.5 s a run). */
const sweepSeeds = 6;

function describeFailure(r: TestRunResult): string {
  return `${r.id} seed ${r.seed}: ${r.status} ${r.message ?? ''}\n${r.output.join('\n')}`;
}

describe('graded tests 2C/2D: the reference Raft', function () {
  let make: MakeRaft;
  before(async () => {
    ({ make } = await loadImplementation());
  });

  for (const test of selectTests('2[CD]')) {
    it(`${test.id} passes in sim mode for seeds 1..${sweepSeeds}`, async () => {
      for (let seed = 1; seed <= sweepSeeds; seed++) {
        const r = await runTest(test, { mode: 'sim', seed, make });
        assert.equal(r.status, 'pass', describeFailure(r));
        assert.ok(r.passed, 'a passing run printed its Passed line');
      }
    });
  }

  it('--persist-dir leaves one readable JSON file per node with term, vote, log and snapshot', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'raftlab-persist-'));
    try {
      const r = await runTest(findTest('TestSnapshotInstallCrash2D')!, { mode: 'sim', seed: 3, make, persistDir: dir });
      assert.equal(r.status, 'pass', describeFailure(r));
      assert.deepEqual(readdirSync(dir).sort(), ['node-0.json', 'node-1.json', 'node-2.json']);
      for (const file of readdirSync(dir)) {
        const doc = JSON.parse(readFileSync(path.join(dir, file), 'utf8'));
        const state = doc.raftState.decoded;
        assert.ok(Number.isInteger(state.currentTerm) && state.currentTerm >= 1, `${file}: term ${state.currentTerm}`);
        assert.ok(Number.isInteger(state.votedFor), `${file}: votedFor`);
        assert.ok(doc.raftState.bytes > 0 && doc.raftState.bytes < 2000, `${file}: ${doc.raftState.bytes} bytes`);
        assert.ok(Number.isInteger(doc.snapshot.decoded), `${file}: the snapshot decodes to the tester's int`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { loadImplementation, resolveImplDir, runTest, selectTests, type TestRunResult } from '../../src/harness/tester/index.ts';

const bug = (name: string) => fileURLToPath(new URL(`../../labs/bugs/${name}/`, import.meta.url));

/** Run the selected tests over seeds first..last (sim clock) and return the first failing run, if any. */
async function firstFailure(implName: string, pattern: string, seeds: number): Promise<TestRunResult | undefined> {
  const { make } = await loadImplementation(resolveImplDir(bug(implName)));
  for (let seed = 1; seed <= seeds; seed++) {
    for (const test of selectTests(pattern)) {
      const r = await runTest(test, { mode: 'sim', seed, make });
      if (r.status !== 'pass') return r;
    }
  }
  return undefined;
}

describe('planted bugs: the graded tests bite', () => {
  it('heartbeats every 10 ms fail TestCount2B', async () => {
    const r = await firstFailure('heartbeat-10ms', '^TestCount2B$', 1);
    assert.equal(r?.status, 'fail');
    assert.match(r.message!, /^too many RPCs \(\d+\) for 1 second of idleness$|^too many or few RPCs \(\d+\) to elect initial leader$/);
  });

  it('granting votes without the up-to-date check fails a 2B test within 50 seeds', async () => {
    const r = await firstFailure('vote-without-up-to-date-check', '2B', 50);
    assert.equal(r?.status, 'fail', 'no failure in 50 seeds');
    assert.match(r.message!, /apply error|failed to reach agreement|committed values do not match/);
  });

  it('sending RPCs one after another, awaiting each, fails a 2B test', async () => {
    const r = await firstFailure('sequential-rpcs', '2B', 5);
    assert.equal(r?.status, 'fail', 'no failure in 5 seeds');
    assert.match(r.message!, /failed to reach agreement|expected one leader|only \d+ decided/);
  });

  it('a Raft that never trims its log fails the 2D log-size check', async () => {
    const r = await firstFailure('snapshot-keeps-log', '^TestSnapshotBasic2D$', 1);
    assert.equal(r?.status, 'fail');
    assert.equal(r.message, 'Log size too large');
  });
});

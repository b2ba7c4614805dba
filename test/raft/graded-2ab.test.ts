import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import type { NetEvent } from '../../src/harness/labrpc/index.ts';
import { findTest, loadImplementation, runTest, selectTests, type TestRunResult } from '../../src/harness/tester/index.ts';
import type { MakeRaft } from '../../labs/api/index.ts';

/** Seeds per test in the mocha sweep: enough to catch a flaky 2A/2B bug, fast in sim mode (~1 s per 100 runs). */
const sweepSeeds = 60;

function describeFailure(r: TestRunResult): string {
  return `${r.id} seed ${r.seed}: ${r.status} ${r.message ?? ''}\n${r.output.join('\n')}`;
}

describe('graded tests 2A/2B: the reference Raft', function () {
  let make: MakeRaft;
  before(async () => {
    ({ make } = await loadImplementation());
  });

  for (const test of selectTests('2[AB]')) {
    it(`${test.id} passes in sim mode for seeds 1..${sweepSeeds}`, async () => {
      for (let seed = 1; seed <= sweepSeeds; seed++) {
        const r = await runTest(test, { mode: 'sim', seed, make });
        assert.equal(r.status, 'pass', describeFailure(r));
        assert.ok(r.passed, 'a passing run printed its Passed line');
        assert.equal(r.output[0], `${test.description} ...`);
      }
    });
  }

  it('TestInitialElection2A passes on the real clock', async function () {
    this.timeout(60_000);
    const r = await runTest(findTest('TestInitialElection2A')!, { mode: 'real', seed: 1, make });
    assert.equal(r.status, 'pass', describeFailure(r));
    // A real run takes real time: the test's own sleeps add up to about 3 s.
    assert.ok(r.wallMs >= 2900, `took ${r.wallMs} ms`);
  });

  it('re-running a sim seed reproduces the run exactly; another seed differs', async () => {
    const record = async (seed: number) => {
      const events: string[] = [];
      const r = await runTest(findTest('TestFailAgree2B')!, {
        mode: 'sim',
        seed,
        make,
        netObserver: (ev: NetEvent) => {
          const { payload, ...rest } = ev as NetEvent & { payload?: Uint8Array };
          events.push(JSON.stringify({ ...rest, payload: payload ? Buffer.from(payload).toString('base64') : undefined }));
        },
        onLog: (line) => events.push(JSON.stringify(line)),
        onOutput: (line) => events.push(line),
      });
      assert.equal(r.status, 'pass', describeFailure(r));
      return events;
    };
    const first = await record(99);
    const again = await record(99);
    const other = await record(100);
    assert.ok(first.length > 200, `${first.length} events`);
    assert.equal(again.length, first.length);
    assert.deepEqual(again, first);
    assert.notDeepEqual(other, first);
  });
});

describe('the student skeleton', () => {
  it('loads, and fails the tests honestly', async () => {
    const { make } = await loadImplementation(fileURLToPath(new URL('../../labs/skeleton/', import.meta.url)));
    const election = await runTest(findTest('TestInitialElection2A')!, { mode: 'sim', seed: 1, make });
    assert.equal(election.status, 'fail');
    assert.equal(election.message, 'expected one leader, got none');
    const agreement = await runTest(findTest('TestBasicAgree2B')!, { mode: 'sim', seed: 1, make });
    assert.equal(agreement.status, 'fail');
    assert.equal(agreement.message, 'one(100) failed to reach agreement');
  });
});

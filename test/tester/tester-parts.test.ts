import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import type { ApplyMsg } from '../../labs/api/index.ts';
import { GoChan, SimRuntime } from '../../src/harness/runtime/index.ts';
import {
  ImplLoadError,
  TestSelectionError,
  allTests,
  findTest,
  formatPassedLine,
  loadImplementation,
  runTest,
  selectTests,
} from '../../src/harness/tester/index.ts';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/impls/${name}/`, import.meta.url));
const msg = (index: number): ApplyMsg => ({
  commandValid: true,
  command: index * 10,
  commandIndex: index,
  snapshotValid: false,
  snapshot: new Uint8Array(0),
  snapshotTerm: 0,
  snapshotIndex: 0,
});

describe('tester: the apply channel is a rendezvous', () => {
  it('send completes only when the receiver takes the message, in send order', async () => {
    const rt = new SimRuntime(1);
    await rt.run(async () => {
      const ch = new GoChan<ApplyMsg>(rt, 0, 'apply');
      const taken: number[] = [];
      const sends = [1, 2, 3].map((i) => ch.send(msg(i)).then(() => taken.push(i)));
      await rt.sleep(10);
      assert.deepEqual(taken, [], 'no send completes before a receive');
      assert.equal(ch.waitingSenders, 3);
      assert.equal((await ch.recv())!.commandIndex, 1);
      // The receiver goes on at once; the woken sender once the scheduler runs it, microseconds later.
      await rt.sleep(1);
      assert.deepEqual(taken, [1]);
      assert.equal((await ch.recv())!.commandIndex, 2);
      assert.equal((await ch.recv())!.commandIndex, 3);
      await Promise.all(sends);
      // Taken in send order (above); the woken senders go on in the scheduler's order, as goroutines do.
      assert.deepEqual([...taken].sort(), [1, 2, 3]);
      // A receiver that waits first gets the next send at once.
      const next = ch.recv();
      await ch.send(msg(4));
      assert.equal((await next)!.commandIndex, 4);
    });
  });
});

describe('tester: the registry', () => {
  it('has the 24 tests of test_test.go, in its order, with the original names and server counts', () => {
    assert.deepEqual(
      allTests.map((t) => `${t.id} ${t.part} ${t.servers}`),
      [
        'TestInitialElection2A 2A 3',
        'TestReElection2A 2A 3',
        'TestManyElections2A 2A 7',
        'TestBasicAgree2B 2B 3',
        'TestRPCBytes2B 2B 3',
        'TestFailAgree2B 2B 3',
        'TestFailNoAgree2B 2B 5',
        'TestConcurrentStarts2B 2B 3',
        'TestRejoin2B 2B 3',
        'TestBackup2B 2B 5',
        'TestCount2B 2B 3',
        'TestPersist12C 2C 3',
        'TestPersist22C 2C 5',
        'TestPersist32C 2C 3',
        'TestFigure82C 2C 5',
        'TestUnreliableAgree2C 2C 5',
        'TestFigure8Unreliable2C 2C 5',
        'TestReliableChurn2C 2C 5',
        'TestUnreliableChurn2C 2C 5',
        'TestSnapshotBasic2D 2D 3',
        'TestSnapshotInstall2D 2D 3',
        'TestSnapshotInstallUnreliable2D 2D 3',
        'TestSnapshotInstallCrash2D 2D 3',
        'TestSnapshotInstallUnCrash2D 2D 3',
      ],
    );
    assert.equal(findTest('TestUnreliableChurn2C')?.description, 'Test (2C): unreliable churn');
    assert.equal(findTest('TestSnapshotInstallUnCrash2D')?.description, 'Test (2D): install snapshots (unreliable+crash)');
    assert.equal(findTest('TestCount2B')?.description, "Test (2B): RPC counts aren't too high");
  });

  it('selects by regular expression, like go test -run, and explains a bad or empty selection', () => {
    assert.equal(selectTests('2A').length, 3);
    assert.equal(selectTests('2[AB]').length, 11);
    assert.equal(selectTests('2D').length, 5);
    assert.deepEqual(selectTests('^TestBackup2B$').map((t) => t.id), ['TestBackup2B']);
    assert.equal(selectTests(undefined).length, allTests.length);
    assert.throws(() => selectTests('2Z'), (e: unknown) => e instanceof TestSelectionError && e.code === 'NO_TEST_MATCHES' && /TestInitialElection2A/.test(e.message));
    assert.throws(() => selectTests('('), (e: unknown) => e instanceof TestSelectionError && e.code === 'BAD_PATTERN');
  });

  it('prints the Passed line with config.go\'s widths', () => {
    assert.equal(formatPassedLine({ seconds: 4.04, peers: 3, rpcs: 32, bytes: 9170, commands: 0 }), '  ... Passed --   4.0  3   32    9170    0');
    assert.equal(formatPassedLine({ seconds: 28.61, peers: 5, rpcs: 1342, bytes: 953354, commands: 102 }), '  ... Passed --  28.6  5 1342  953354  102');
  });
});

describe('tester: loading an implementation', () => {
  it('names a missing folder, a module that throws on load, and a module without make', async () => {
    await assert.rejects(loadImplementation('/nonexistent/raft'), (e: unknown) => e instanceof ImplLoadError && e.code === 'IMPL_NOT_FOUND' && /does not exist/.test(e.message));
    await assert.rejects(
      loadImplementation(fixture('throws-on-load')),
      (e: unknown) => e instanceof ImplLoadError && e.code === 'IMPL_LOAD_FAILED' && e.message.includes('throws-on-load/index.ts'),
    );
    await assert.rejects(loadImplementation(fixture('no-make')), (e: unknown) => e instanceof ImplLoadError && e.code === 'IMPL_NO_MAKE' && /export a function named make/.test(e.message));
  });

  it('a make() that throws ends the run as an error naming the server, and the next run goes on', async () => {
    const { make } = await loadImplementation(fixture('make-throws'));
    const test = findTest('TestInitialElection2A')!;
    const first = await runTest(test, { mode: 'sim', seed: 1, make });
    assert.equal(first.status, 'error');
    assert.equal(first.errorCode, 'IMPL_THREW');
    assert.match(first.message!, /server 0: make\(\) threw: not implemented yet \(server 0\)/);
    const second = await runTest(test, { mode: 'sim', seed: 2, make });
    assert.equal(second.status, 'error');
  });
});

describe('tester: a failure names where it fired', () => {
  it('the site is the check config.go names, set when the check fails, not read back from the message', async () => {
    const { findTest, loadImplementation, runTest } = await import('../../src/harness/tester/index.ts');
    const { fileURLToPath } = await import('node:url');
    const { make } = await loadImplementation(fileURLToPath(new URL('../fixtures/impls/never-elects/', import.meta.url)));
    const r = await runTest(findTest('TestInitialElection2A')!, { mode: 'sim', seed: 1, make });
    assert.equal(r.status, 'fail');
    assert.equal(r.site, 'checkOneLeader');
    const skeleton = await loadImplementation(fileURLToPath(new URL('../../labs/skeleton/', import.meta.url)));
    const b = await runTest(findTest('TestBasicAgree2B')!, { mode: 'sim', seed: 1, make: skeleton.make });
    assert.equal(b.status, 'fail');
    assert.ok(['checkOneLeader', 'one', 'nCommitted', 'TestBasicAgree2B'].includes(b.site!), b.site);
  });
});

describe('loader: CommonJS builds, and ES module builds where they must be', () => {
  it('builds an ordinary folder as CommonJS, one with top-level await as an ES module; both run', async () => {
    const { findTest, loadImplementation, runTest } = await import('../../src/harness/tester/index.ts');
    const { fileURLToPath } = await import('node:url');
    const reference = await loadImplementation();
    assert.match(reference.built.file, /\.cjs$/);
    const tla = await loadImplementation(fileURLToPath(new URL('../fixtures/impls/top-level-await/', import.meta.url)));
    assert.match(tla.built.file, /\.mjs$/);
    const r = await runTest(findTest('TestInitialElection2A')!, { mode: 'sim', seed: 1, make: tla.make });
    assert.equal(r.status, 'pass', r.message);
  });
});

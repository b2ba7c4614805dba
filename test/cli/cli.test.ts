import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { testCommand } from '../../src/cli/test-command.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/impls/${name}/`, import.meta.url));

/** Run `raftlab test` in-process, capturing what it prints. */
async function runTestCommand(pattern: string | undefined, options: Parameters<typeof testCommand>[1]) {
  let text = '';
  const out = new Writable({
    write(chunk, _enc, done) {
      text += String(chunk);
      done();
    },
  });
  const status = await testCommand(pattern, options, out);
  return { status, lines: text.trimEnd().split('\n') };
}

describe('cli: raftlab test', () => {
  it('prints the Go tester\'s lines, then PASS and ok, and exits 0', async () => {
    const { status, lines } = await runTestCommand('^TestInitialElection2A$|^TestBasicAgree2B$', { mode: 'sim', seed: 4, count: 1 });
    assert.equal(status, 0);
    assert.equal(lines[0], 'Test (2A): initial election ...');
    assert.match(lines[1]!, /^ {2}\.\.\. Passed -- {2}[ \d]\d\.\d {2}3 [ \d]{4} [ \d]{7} [ \d]{4}$/);
    assert.equal(lines[2], 'Test (2B): basic agreement ...');
    assert.match(lines[3]!, /^ {2}\.\.\. Passed -- .* {4}3$/, 'three commands');
    assert.equal(lines[4], 'PASS');
    assert.match(lines[5]!, /^ok {2}\traft\t\d+\.\d{3}s\t\(sim: \d+\.\ds of virtual time\)$/);
  });

  it('runs each test --count times with seeds base+i', async () => {
    const { status, lines } = await runTestCommand('^TestBasicAgree2B$', { mode: 'sim', seed: 10, count: 3 });
    assert.equal(status, 0);
    assert.equal(lines.filter((l) => l.startsWith('  ... Passed')).length, 3);
  });

  it('a failure prints the course message, the seed and the command that replays it, and exits 1', async () => {
    const impl = fixture('never-elects');
    const { status, lines } = await runTestCommand('^TestInitialElection2A$', { mode: 'sim', seed: 77, count: 1, impl });
    assert.equal(status, 1);
    assert.deepEqual(lines.slice(0, 3), [
      'Test (2A): initial election ...',
      '--- FAIL: TestInitialElection2A (5.00s)'.replace('5.00', lines[1]!.match(/\((\d+\.\d\d)s\)/)![1]!),
      '    expected one leader, got none',
    ]);
    assert.equal(lines[3], `    seed 77 (sim clock); replay: npx raftlab test '^TestInitialElection2A$' --mode sim --seed 77 --impl ${JSON.stringify(impl)}`);
    assert.equal(lines.at(-2), 'FAIL');
    assert.match(lines.at(-1)!, /^FAIL\traft\t\d+\.\d{3}s\t\(1 of 1 runs failed; sim: \d+\.\ds of virtual time\)$/);
    // The replay reproduces it exactly: same lines.
    const again = await runTestCommand('^TestInitialElection2A$', { mode: 'sim', seed: 77, count: 1, impl });
    assert.deepEqual(again.lines.slice(0, 4), lines.slice(0, 4));
  });

  it('bad input is a clear error with exit status 2: an unknown test, an implementation that does not load', async () => {
    const stderr: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string) => stderr.push(String(chunk)) > 0) as typeof process.stderr.write;
    try {
      assert.equal((await runTestCommand('NoSuchTest', { mode: 'sim', count: 1 })).status, 2);
      assert.equal((await runTestCommand('2A', { mode: 'sim', count: 1, impl: fixture('no-make') })).status, 2);
    } finally {
      process.stderr.write = write;
    }
    assert.match(stderr[0]!, /^raftlab: no test matches 'NoSuchTest'\. Tests: TestInitialElection2A, /);
    assert.match(stderr[1]!, /^raftlab: could not load .*no-make\/index\.ts: .*must export a function named make/);
  });

  it('the raftlab bin lists the 24 tests and runs one from the command line', () => {
    const list = spawnSync(process.execPath, ['bin/raftlab.js', 'list'], { cwd: root, encoding: 'utf8' });
    assert.equal(list.status, 0, list.stderr);
    const rows = list.stdout.trimEnd().split('\n');
    assert.equal(rows.length, 24);
    assert.match(rows[0]!, /^TestInitialElection2A +2A {2}3 {2}Test \(2A\): initial election$/);
    const run = spawnSync(process.execPath, ['bin/raftlab.js', 'test', '^TestReElection2A$', '--seed', '5'], { cwd: root, encoding: 'utf8' });
    assert.equal(run.status, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /^Test \(2A\): election after network failure \.\.\.\n {2}\.\.\. Passed --.*\nPASS\nok {2}\traft\t/);
  });
});

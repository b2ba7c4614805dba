// `raftlab test` on more than one run process: the runs end in any order, the lines come out in the batch's order,
// as a sequential go test prints them; and the runs go out heaviest first on the sim clock, round by round.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { goTestJson, goTestText, inRunOrder, type GoTestWriter } from '../../src/cli/go-test-output.ts';
import { allTests } from '../../src/harness/tester/index.ts';
import { makeRng } from '../../src/harness/runtime/prng.ts';
import { dispatchOrder, simSuiteSharePercent } from '../../src/runner/dispatch-order.ts';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const bin = path.join(repo, 'bin', 'raftlab.js');

/** What a writer wrote, as text: every call, one line each. */
function recorder(): { writer: GoTestWriter; lines: string[] } {
  const lines: string[] = [];
  const writer = goTestText((text) => lines.push(...text.trimEnd().split('\n')), true);
  return { writer, lines };
}

describe('raftlab test in parallel: the lines in the batch\'s order', () => {
  it('whatever order runs start, write and end in, the lines are those of the runs one after another (500 batches, seeded)', () => {
    const rng = makeRng(19, 'run-order');
    for (let batch = 0; batch < 500; batch++) {
      const runs = 1 + rng.intn(12);
      const lanes = 1 + rng.intn(4);
      // Each run's calls, as a sequential run makes them: run, some lines, end.
      const script = Array.from({ length: runs }, (_, i) => {
        const test = `TestRun${i % 5}`;
        const lines = Array.from({ length: rng.intn(4) }, (_, k) => `line ${k} of run ${i}`);
        return { test, lines, passed: rng.intn(3) !== 0, seconds: rng.intn(1000) / 100 };
      });
      const sequential = recorder();
      for (const s of script) {
        sequential.writer.run(s.test);
        for (const l of s.lines) sequential.writer.output(s.test, l);
        sequential.writer.end(s.test, s.passed, s.seconds, s.passed ? [] : ['why']);
      }
      sequential.writer.finish(true, 1);

      // The same calls from `lanes` lanes at once: runs start in order, each lane's steps interleave at random.
      const parallel = recorder();
      const ordered = inRunOrder(parallel.writer, runs);
      const inFlight: Array<{ index: number; step: number }> = [];
      let next = 0;
      while (next < runs || inFlight.length) {
        while (inFlight.length < lanes && next < runs) {
          ordered.run(next, script[next]!.test);
          inFlight.push({ index: next++, step: 0 });
        }
        const pick = rng.intn(inFlight.length);
        const run = inFlight[pick]!;
        const s = script[run.index]!;
        if (run.step < s.lines.length) ordered.output(run.index, s.test, s.lines[run.step++]!);
        else {
          ordered.end(run.index, s.test, s.passed, s.seconds, s.passed ? [] : ['why']);
          inFlight.splice(pick, 1);
        }
      }
      ordered.finish(true, 1);
      assert.deepEqual(parallel.lines, sequential.lines, `batch ${batch}: ${runs} runs on ${lanes} lanes`);
    }
  });

  it('the first run that has not ended writes at once; a later one waits, then follows in full', () => {
    const { writer, lines } = recorder();
    const ordered = inRunOrder(writer, 3);
    ordered.run(0, 'TestA');
    ordered.run(1, 'TestB');
    ordered.output(1, 'TestB', 'b says');
    ordered.end(1, 'TestB', true, 1);
    assert.deepEqual(lines, ['=== RUN   TestA'], 'run 1 waits for run 0');
    ordered.output(0, 'TestA', 'a says');
    assert.deepEqual(lines, ['=== RUN   TestA', 'a says']);
    ordered.run(2, 'TestC');
    ordered.end(0, 'TestA', false, 2, ['why']);
    assert.deepEqual(lines.slice(2), ['--- FAIL: TestA (2.00s)', '    why', '=== RUN   TestB', 'b says', '--- PASS: TestB (1.00s)', '=== RUN   TestC']);
    ordered.output(2, 'TestC', 'c says, live');
    assert.equal(lines.at(-1), 'c says, live');
    assert.throws(() => ordered.end(1, 'TestB', true, 1), /ended twice/);
    assert.throws(() => ordered.run(3, 'TestD'), RangeError);
  });

  it('a batch stopped before its first runs started still writes every run that ran, in the batch\'s order, at the finish', () => {
    // Heaviest first, the batch's last tests run first: Ctrl-C may come before run 0 ever starts.
    const { writer, lines } = recorder();
    const ordered = inRunOrder(writer, 5);
    ordered.run(3, 'TestD');
    ordered.run(2, 'TestC');
    ordered.output(3, 'TestD', 'd says');
    ordered.end(3, 'TestD', true, 1);
    ordered.end(2, 'TestC', false, 2, ['interrupted']);
    assert.deepEqual(lines, [], 'run 0 has not ended: all waits');
    ordered.finish(false, 3);
    assert.deepEqual(lines, ['=== RUN   TestC', '--- FAIL: TestC (2.00s)', '    interrupted', '=== RUN   TestD', 'd says', '--- PASS: TestD (1.00s)', 'FAIL', 'FAIL\traft\t3.000s']);
  });

  it('a run that started and never ended, at the finish, is a bug: it throws', () => {
    const ordered = inRunOrder(recorder().writer, 2);
    ordered.run(1, 'TestB');
    assert.throws(() => ordered.finish(false, 1), /run 1 started and never ended/);
  });

  it('keeps go test -json\'s events of each test together too', () => {
    const events: Array<{ Action: string; Test?: string }> = [];
    const ordered = inRunOrder(goTestJson((text) => events.push(JSON.parse(text) as { Action: string })), 2);
    ordered.run(0, 'TestA');
    ordered.run(1, 'TestB');
    ordered.end(1, 'TestB', true, 1);
    ordered.end(0, 'TestA', true, 2);
    ordered.finish(true, 3);
    assert.deepEqual(
      events.filter((e) => e.Action !== 'output').map((e) => `${e.Action} ${e.Test ?? ''}`),
      ['run TestA', 'pass TestA', 'run TestB', 'pass TestB', 'pass '],
    );
  });
});

describe('the order a batch hands out its runs', () => {
  const tasks = (rounds: number, mode: 'sim' | 'real' = 'sim') =>
    Array.from({ length: rounds }, () => allTests.map((t) => ({ testId: t.id, mode }))).flat();
  const round = (index: number): number => Math.floor(index / allTests.length);

  it('one run process: the batch\'s order, so each run prints as it goes', () => {
    assert.deepEqual(dispatchOrder(tasks(2), round, 1), tasks(2).map((_, i) => i));
  });

  it('more on the sim clock: each round heaviest first, the rounds one after another; the real clock keeps the order', () => {
    const all = tasks(3);
    const order = dispatchOrder(all, round, 2);
    assert.deepEqual([...order].sort((a, b) => a - b), all.map((_, i) => i), 'every run once');
    assert.deepEqual(order.map((i) => round(i)), all.map((_, i) => round(i)), 'round by round');
    assert.equal(all[order[0]!]!.testId, 'TestReliableChurn2C');
    assert.equal(all[order[allTests.length]!]!.testId, 'TestReliableChurn2C', 'the second round starts with it again');
    for (let i = 1; i < allTests.length; i++) {
      const [a, b] = [all[order[i - 1]!]!.testId, all[order[i]!]!.testId];
      assert.ok(simSuiteSharePercent[a]! >= simSuiteSharePercent[b]!, `${a} before ${b}`);
    }
    assert.deepEqual(dispatchOrder(tasks(2, 'real'), round, 2), tasks(2).map((_, i) => i));
    assert.deepEqual(Object.keys(simSuiteSharePercent).sort(), allTests.map((t) => t.id).sort(), 'a share for every graded test');
  });
});

describe('raftlab test --parallel, as a user runs it', function () {
  this.timeout(120_000);
  const cwd = mkdtempSync(path.join(os.tmpdir(), 'raftlab-run-order-'));
  after(() => rmSync(cwd, { recursive: true, force: true }));
  const raftlab = (args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> => {
    const env = { ...process.env };
    delete env.NODE_OPTIONS;
    const child = spawn(process.execPath, [bin, ...args], { cwd, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    return new Promise((resolve) => child.on('close', (status) => resolve({ status, stdout, stderr })));
  };

  it('prints, on two run processes, what one prints: -v lines, logs, failures, in the same order (a planted bug, 2A+2B)', async () => {
    const args = ['test', '2[AB]', '-v', '--seed', '1', '--impl', path.join(repo, 'labs', 'bugs', 'vote-without-up-to-date-check')];
    const [one, two] = [await raftlab([...args, '--parallel', '1']), await raftlab([...args, '--parallel', '2'])];
    assert.equal(one.status, 1, one.stderr);
    assert.equal(two.status, 1, two.stderr);
    const body = (text: string): string[] => text.trimEnd().split('\n').slice(0, -1); // the last line holds the wall time
    assert.ok(body(one.stdout).some((l) => l.startsWith('--- FAIL: ')), 'a test fails');
    assert.ok(body(one.stdout).filter((l) => l.startsWith('=== RUN')).length === 11);
    assert.deepEqual(body(two.stdout), body(one.stdout));
  });
});

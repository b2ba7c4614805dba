// The CLI as terminal users and scripts meet it, each case spawned as they run it (bin/raftlab.js from a folder
// outside the repository, no NODE_OPTIONS): go test's formats through Go's own test2json, Ctrl-C, colour by
// NO_COLOR / FORCE_COLOR / TERM=dumb on a real pseudo-terminal, progress in a pipe, a broken pipe, bad input.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { allTests, findTest, loadImplementation, runTest } from '../../src/harness/tester/index.ts';
import { createTraceRecorder, traceHeaderFor, writeTraceFile, type TraceHeader } from '../../src/trace/index.ts';
import { History } from '../../src/runner/history.ts';
import { junitProblems } from '../formats/readers.ts';
import { ensureBuilt } from '../../src/build/self-build.mjs';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const bin = path.join(repo, 'bin', 'raftlab.js');
const fixture = (name: string): string => path.join(repo, 'test', 'fixtures', 'impls', name);
/** The reference, named: run from a folder outside raftlab, no --impl would say so on stderr. */
const reference = ['--impl', path.join(repo, 'labs', 'raft')];
const cwd = mkdtempSync(path.join(os.tmpdir(), 'raftlab-manners-'));
after(() => rmSync(cwd, { recursive: true, force: true }));

interface Spawned {
  status: number | null;
  stdout: string;
  stderr: string;
}

const cleanEnv = (extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete env.NODE_OPTIONS;
  for (const [k, v] of Object.entries(extra)) if (v === undefined) delete env[k];
  return env;
};

/** `raftlab ARGS` as a user runs it; `tty` runs it on a pseudo-terminal (util-linux script), as in a terminal. */
function raftlab(args: string[], options: { env?: Record<string, string | undefined>; tty?: boolean; input?: string } = {}): Promise<Spawned> {
  const env = cleanEnv({ NO_COLOR: undefined, FORCE_COLOR: undefined, CI: undefined, ...options.env });
  const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
  const child = options.tty
    ? spawn('script', ['-qec', [process.execPath, bin, ...args].map(quote).join(' '), '/dev/null'], { cwd, env })
    : spawn(process.execPath, [bin, ...args], { cwd, env });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  if (options.input !== undefined) child.stdin.end(options.input);
  return new Promise((resolve) => child.on('close', (status) => resolve({ status, stdout: options.tty ? stdout.replace(/\r\n/g, '\n') : stdout, stderr })));
}

/** Go's own test2json over `text`: the events, one object a line. */
function test2json(text: string): Array<{ Action: string; Test?: string; Output?: string; Package?: string }> {
  const r = spawnSync('go', ['tool', 'test2json', '-p', 'raft'], { input: text, encoding: 'utf8', env: cleanEnv() });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as { Action: string; Test?: string; Output?: string });
}

/** A trace file with this header (of a short reference run). */
async function traceWith(name: string, header: (h: TraceHeader) => Record<string, unknown>): Promise<string> {
  const impl = await loadImplementation();
  const recorder = createTraceRecorder();
  const result = await runTest(findTest('TestInitialElection2A')!, { mode: 'sim', seed: 1, make: impl.make, ...recorder.options });
  const file = path.join(cwd, name);
  await writeTraceFile(file, header(traceHeaderFor(result, { servers: 3 })) as unknown as TraceHeader, recorder.events);
  return file;
}

describe('cli manners: go test', function () {
  this.timeout(180_000);

  it('raftlab test 2A -v | go tool test2json: 3 passed tests, and the package passed', async () => {
    const r = await raftlab(['test', '2A', '-v', '--seed', '1', ...reference]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^=== RUN {3}TestInitialElection2A\nTest \(2A\): initial election \.\.\.\n/);
    assert.match(r.stdout, /\n--- PASS: TestManyElections2A \(\d+\.\d\ds\)\nPASS\nok {2}\traft\t\d+\.\d{3}s\t\(sim: [\d.]+s of virtual time\)\n$/);
    const events = test2json(r.stdout);
    assert.deepEqual(events.filter((e) => e.Action === 'pass' && e.Test).map((e) => e.Test), ['TestInitialElection2A', 'TestReElection2A', 'TestManyElections2A']);
    assert.deepEqual(events.at(-1), { Action: 'pass', Package: 'raft' });
    // The log lines (dslogs's format) belong to their test.
    assert.ok(events.some((e) => e.Test === 'TestReElection2A' && /^\d{6} [A-Z0-9]{4} S\d /.test(e.Output ?? '')));
  });

  it('raftlab test --json writes what go test -json would: the events test2json makes of the -v text', async () => {
    const [text, json] = await Promise.all([raftlab(['test', '2A', '-v', '--seed', '2', ...reference]), raftlab(['test', '2A', '-v', '--json', '--seed', '2', ...reference])]);
    assert.equal(json.status, 0, json.stderr);
    const ours = json.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const e of ours) {
      assert.match(String(e.Time), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      assert.equal(e.Package, 'raft');
    }
    const shape = (e: { Action?: unknown; Test?: unknown; Output?: unknown }) => [e.Action, e.Test ?? null, typeof e.Output === 'string' ? e.Output.replace(/\t\d+\.\d{3}s\t/, '\tN\t') : null];
    assert.deepEqual(ours.map(shape), test2json(text.stdout).map(shape));
    assert.deepEqual(ours.filter((e) => e.Elapsed !== undefined && e.Test).map((e) => typeof e.Elapsed), ['number', 'number', 'number']);
  });

  it('failures read as go test failures: --- FAIL with reasons, FAIL and FAIL<tab>raft, exit 1', async () => {
    const r = await raftlab(['test', '2A', '--seed', '1', '--impl', fixture('never-elects')]);
    assert.equal(r.status, 1);
    assert.match(r.stdout, /\nFAIL\nFAIL\traft\t\d+\.\d{3}s\t\(3 of 3 runs failed; sim: [\d.]+s of virtual time\)\n$/);
    const events = test2json(r.stdout);
    assert.deepEqual(events.filter((e) => e.Action === 'fail' && e.Test).map((e) => e.Test), ['TestInitialElection2A', 'TestReElection2A', 'TestManyElections2A']);
    assert.ok(events.some((e) => e.Test === 'TestInitialElection2A' && e.Output === '    expected one leader, got none\n'), 'the reason is the test\'s');
    assert.deepEqual(events.at(-1), { Action: 'fail', Package: 'raft' });
  });
});

/** The run process's entry, as raftlab's CLI builds and starts it. */
const childEntry = await ensureBuilt('child');

/** Whether raftlab (`pid`) has a run process up: a child whose command runs raftlab's child entry. */
function runProcessOf(pid: number): boolean {
  let children: string[];
  try {
    const tasks = readdirSync(`/proc/${pid}/task`);
    children = tasks.flatMap((task) => readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim().split(/\s+/).filter(Boolean));
  } catch {
    return false;
  }
  return children.some((child) => {
    try {
      return readFileSync(`/proc/${child}/cmdline`, 'utf8').split('\0').includes(childEntry);
    } catch {
      return false;
    }
  });
}

describe('cli manners: Ctrl-C', function () {
  this.timeout(180_000);

  /**
   * Start raftlab in its own process group, as a shell does; once `ready` says so, Ctrl-C (SIGINT to the group), or
   * `signal` to raftlab alone, as `timeout` or a supervisor sends it.
   */
  function interrupted(
    args: string[],
    ready: (stdout: string, pid: number) => boolean,
    stop: { signal: NodeJS.Signals; group: boolean } = { signal: 'SIGINT', group: true },
    env: Record<string, string> = {},
  ): Promise<Spawned & { groupGone: boolean }> {
    const child = spawn(process.execPath, [bin, ...args], { cwd, env: cleanEnv(env), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    void (async () => {
      while (child.exitCode === null && !ready(stdout, child.pid!)) await new Promise((resolve) => setTimeout(resolve, 50));
      if (child.exitCode === null) process.kill(stop.group ? -child.pid! : child.pid!, stop.signal);
    })();
    // Every process of the group gone, soon after raftlab: esbuild's service process leaves when its pipe closes,
    // a moment after raftlab does, so look for up to 10 s.
    const groupGone = async (): Promise<boolean> => {
      for (let i = 0; i < 100; i++) {
        try {
          process.kill(-child.pid!, 0);
        } catch {
          return true;
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      return false;
    };
    return new Promise((resolve) => child.on('close', (status) => void groupGone().then((gone) => resolve({ status, stdout, stderr, groupGone: gone }))));
  }

  it('raftlab test: the run in flight is reported failed (interrupted), the summary says so, exit 130, no run process left', async () => {
    const r = await interrupted(['test', '2A', '--mode', 'real', '--seed', '1', ...reference], (stdout) => stdout.includes('Test (2A): initial election ...'));
    assert.equal(r.status, 130, r.stdout + r.stderr);
    assert.equal(r.stderr, 'raftlab: interrupted; stopping the run in flight\n');
    assert.match(r.stdout, /--- FAIL: TestInitialElection2A \(\d+\.\d\ds\)\n {4}interrupted \(Ctrl-C\) before it ended\nFAIL\nFAIL\traft\t\d+\.\d{3}s\t\(interrupted: 0 of 3 runs done\)\n$/);
    assert.ok(r.groupGone, 'every run process ended with raftlab');
  });

  it('raftlab test --parallel 2: both runs in flight reported failed (interrupted) in test order, each under its own lines, exit 130', async () => {
    // The second run's first line waits, unseen, behind the first run: give it half a second to be written (the 2A
    // tests run for seconds), or it may not exist yet when Ctrl-C comes.
    let firstLineMs: number | undefined;
    const ready = (stdout: string): boolean => {
      if (stdout.includes('Test (2A): initial election ...')) firstLineMs ??= Date.now();
      return firstLineMs !== undefined && Date.now() - firstLineMs > 500;
    };
    const r = await interrupted(['test', '2A', '--mode', 'real', '--parallel', '2', '--seed', '1', ...reference], ready);
    assert.equal(r.status, 130, r.stdout + r.stderr);
    assert.equal(r.stderr, 'raftlab: interrupted; stopping the 2 runs in flight\n', r.stdout);
    assert.match(
      r.stdout,
      /^Test \(2A\): initial election \.\.\.\n--- FAIL: TestInitialElection2A \(\d+\.\d\ds\)\n {4}interrupted \(Ctrl-C\) before it ended\nTest \(2A\): election after network failure \.\.\.\n--- FAIL: TestReElection2A \(\d+\.\d\ds\)\n {4}interrupted \(Ctrl-C\) before it ended\nFAIL\nFAIL\traft\t\d+\.\d{3}s\t\(interrupted: 0 of 3 runs done\)\n$/,
    );
    assert.ok(r.groupGone, 'every run process ended with raftlab');
  });

  it('raftlab test --parallel 2 on the sim clock, heaviest first: every run that ended or was stopped prints, in the batch\'s order, though the first runs never started', async () => {
    // The batch's heaviest tests go first, so a Ctrl-C can come before its first test has started; the runs that did
    // run used to wait behind it, and nothing of them was printed.
    // Nothing is printed before the batch's first test ends: Ctrl-C a second after a run process is up.
    let runProcessSinceMs: number | undefined;
    const ready = (_stdout: string, pid: number): boolean => {
      runProcessSinceMs ??= runProcessOf(pid) ? Date.now() : undefined;
      return runProcessSinceMs !== undefined && Date.now() - runProcessSinceMs > 1_000;
    };
    const r = await interrupted(['test', '--parallel', '2', '--count', '5', '-v', '--seed', '1', ...reference], ready);
    assert.equal(r.status, 130, r.stdout + r.stderr);
    assert.match(r.stderr, /^raftlab: interrupted; stopping the (\d+ runs|run) in flight\n$/);
    const done = Number(/\(interrupted: (\d+) of 120 runs done\)\n$/.exec(r.stdout)?.[1]);
    const stopped = r.stdout.split('\n').filter((line) => line === '    interrupted (Ctrl-C) before it ended').length;
    const reported = [...r.stdout.matchAll(/^--- (?:PASS|FAIL): (\w+) /gm)].map((m) => m[1]!);
    assert.ok(done + stopped > 0, r.stdout + r.stderr);
    assert.equal(reported.length, done + stopped, r.stdout);
    // A stopped run's seconds are on its clock, as the others': the virtual time it had reached. Its log lines (-v)
    // carry their virtual times, and its progress record, which the seconds are, is written every 100 ms of virtual
    // time; its wall time is a few hundredths of those (a sim run passes 10–300 s of virtual time a second).
    const lines = r.stdout.split('\n');
    let lastLogSeconds: number | undefined;
    let checked = 0;
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      if (line.startsWith('=== RUN')) lastLogSeconds = undefined;
      const log = /^(\d{6}) [A-Z0-9]+ S\d /.exec(line);
      if (log) lastLogSeconds = Number(log[1]) / 10_000;
      const failed = /^--- FAIL: \w+ \((\d+\.\d\d)s\)$/.exec(line);
      if (!failed || lines[i + 1] !== '    interrupted (Ctrl-C) before it ended') continue;
      checked++;
      const seconds = Number(failed[1]);
      if (lastLogSeconds === undefined) continue;
      assert.ok(seconds >= 0.25 * lastLogSeconds, `a stopped sim run shows ${seconds}s, its last log line ${lastLogSeconds}s of virtual time: ${line}`);
    }
    assert.equal(checked, stopped, r.stdout);
    // In the batch's order: each round of the 24 tests, one round after another.
    const batch = [0, 1, 2, 3, 4].flatMap(() => allTests.map((t) => t.id));
    let at = 0;
    for (const id of reported) {
      while (at < batch.length && batch[at] !== id) at++;
      assert.ok(at++ < batch.length, `${id} out of the batch's order in ${reported.join(', ')}`);
    }
    assert.ok(r.groupGone, 'every run process ended with raftlab');
  });

  it('raftlab test, sent SIGTERM alone (as `timeout` does): stops as Ctrl-C does, exit 143, no run process or scratch folder left', async () => {
    const tmp = mkdtempSync(path.join(cwd, 'tmp-'));
    const r = await interrupted(['test', '2A', '--mode', 'real', '--seed', '1', ...reference], (stdout) => stdout.includes('Test (2A): initial election ...'), { signal: 'SIGTERM', group: false }, { TMPDIR: tmp });
    assert.equal(r.status, 143, r.stdout + r.stderr);
    assert.equal(r.stderr, 'raftlab: terminated; stopping the run in flight\n');
    assert.match(r.stdout, /--- FAIL: TestInitialElection2A \(\d+\.\d\ds\)\n {4}terminated \(SIGTERM\) before it ended\nFAIL\nFAIL\traft\t\d+\.\d{3}s\t\(terminated: 0 of 3 runs done\)\n$/);
    assert.ok(r.groupGone, 'every run process ended with raftlab');
    assert.deepEqual(readdirSync(tmp).filter((f) => f.startsWith('raftlab-run-')), [], 'the run process\'s scratch folder is removed');
  });

  it('raftlab killed outright (SIGKILL): its run process leaves too, and removes its scratch folder', async () => {
    const tmp = mkdtempSync(path.join(cwd, 'kill-'));
    const r = await interrupted(['test', '2A', '--mode', 'real', '--seed', '1', ...reference], (stdout) => stdout.includes('Test (2A): initial election ...'), { signal: 'SIGKILL', group: false }, { TMPDIR: tmp });
    assert.equal(r.status, null);
    assert.ok(r.groupGone, 'the run process ended with raftlab');
    assert.deepEqual(readdirSync(tmp).filter((f) => f.startsWith('raftlab-run-')), []);
  });

  it('raftlab run, sent SIGTERM: the finished runs reported, the rest not run (terminated), history ends the batch, exit 143', async () => {
    const dir = mkdtempSync(path.join(cwd, 'term-'));
    const junit = path.join(dir, 'junit.xml');
    const data = path.join(dir, 'data');
    const traces = path.join(dir, 'traces');
    const r = await interrupted(
      ['run', 'TestInitialElection2A', '--count', '500', '--parallel', '1', '--seed', '1', '--keep', 'all', '--out', traces, '--junit', junit, '--data', data, ...reference],
      () => existsSync(traces) && readdirSync(traces).filter((f) => f.endsWith('.trace.gz')).length >= 3,
      { signal: 'SIGTERM', group: false },
      { TMPDIR: dir },
    );
    assert.equal(r.status, 143, r.stdout + r.stderr);
    assert.equal(r.stderr, '\nraftlab: terminated; writing what the finished runs say\n');
    assert.match(r.stdout, /terminated: \d+ of 500 runs done/);
    assert.match(readFileSync(junit, 'utf8'), /<skipped message="not run: the batch was terminated \(SIGTERM\) before this run"\/>/);
    assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith('raftlab-run-')), []);
    const [batch, ...more] = new History(data).listBatches();
    assert.equal(more.length, 0);
    assert.equal(batch!.state, 'stopped', 'the batch ended in history, not left running');
  });

  it('raftlab run: the table, --json and --junit for the finished runs, the rest not run, exit 130', async () => {
    const dir = mkdtempSync(path.join(cwd, 'run-'));
    const traces = path.join(dir, 'traces');
    const json = path.join(dir, 'batch.json');
    const junit = path.join(dir, 'junit.xml');
    const r = await interrupted(
      ['run', 'TestInitialElection2A', '--count', '500', '--parallel', '1', '--seed', '1', '--keep', 'all', '--out', traces, '--json', json, '--junit', junit, '--no-history', ...reference],
      () => existsSync(traces) && readdirSync(traces).filter((f) => f.endsWith('.trace.gz')).length >= 3,
    );
    assert.equal(r.status, 130, r.stdout + r.stderr);
    assert.equal(r.stderr, '\nraftlab: interrupted; writing what the finished runs say\n');
    assert.match(r.stdout, /interrupted: \d+ of 500 runs done/);
    const report = JSON.parse(readFileSync(json, 'utf8')) as { runs: unknown[]; batch: { notRun: unknown[] } };
    assert.ok(report.runs.length >= 3 && report.runs.length < 500);
    assert.equal(report.runs.length + report.batch.notRun.length, 500);
    const xml = readFileSync(junit, 'utf8');
    assert.deepEqual(junitProblems(xml), []);
    assert.equal((xml.match(/<skipped message="not run: the batch was interrupted \(Ctrl-C\) before this run"\/>/g) ?? []).length, report.batch.notRun.length);
    assert.ok(r.groupGone);
  });
});

describe('cli manners: colour and progress', function () {
  this.timeout(180_000);
  let trace: string;
  before(async () => {
    trace = await traceWith('colour.trace.gz', (h) => ({ ...h }));
  });
  // eslint-disable-next-line no-control-regex
  const sgr = /\x1b\[\d+m/g;
  const coloured = (text: string): boolean => new RegExp(sgr).test(text);
  const columns = (options: Parameters<typeof raftlab>[1]) => raftlab(['export', trace, '--format', 'columns'], options);

  it('export --format columns: coloured on a terminal; not in a pipe; NO_COLOR and TERM=dumb turn it off, FORCE_COLOR on', async () => {
    const [tty, noColor, dumb, pipe, forced, forcedOff, both] = await Promise.all([
      columns({ tty: true }),
      columns({ tty: true, env: { NO_COLOR: '1' } }),
      columns({ tty: true, env: { TERM: 'dumb' } }),
      columns({}),
      columns({ env: { FORCE_COLOR: '1' } }),
      columns({ tty: true, env: { FORCE_COLOR: '0' } }),
      columns({ env: { FORCE_COLOR: '1', NO_COLOR: '1' } }),
    ]);
    for (const r of [tty, noColor, dumb, pipe, forced, forcedOff, both]) assert.equal(r.status, 0, r.stderr);
    assert.deepEqual([tty, noColor, dumb, pipe, forced, forcedOff, both].map((r) => coloured(r.stdout)), [true, false, false, false, true, false, false]);
    // Colour is the only difference (the head of it: a terminal's line discipline may touch a long output).
    const head = (text: string): string[] => text.split('\n').slice(0, 40);
    assert.deepEqual(head(tty.stdout.replace(sgr, '')), head(pipe.stdout));
  });

  it('run progress: redrawn in place on a terminal; a line per test in a pipe and under TERM=dumb, not a line per run', async () => {
    const args = ['run', '2A', '--count', '8', '--parallel', '2', '--seed', '1', '--no-history', '--keep', 'none', ...reference];
    const [tty, dumb, pipe] = await Promise.all([raftlab(args, { tty: true }), raftlab(args, { tty: true, env: { TERM: 'dumb' } }), raftlab(args)]);
    for (const r of [tty, dumb, pipe]) assert.equal(r.status, 0, r.stdout + r.stderr);
    const redraws = (text: string): boolean => /\u001b\[\d+A/.test(text); // eslint-disable-line no-control-regex
    assert.deepEqual([redraws(tty.stdout), redraws(dumb.stdout), redraws(pipe.stdout)], [true, false, false]);
    assert.ok(coloured(tty.stdout) && !coloured(dumb.stdout) && !coloured(pipe.stdout));
    for (const r of [pipe, dumb]) {
      const progress = r.stdout.split('\n').filter((l) => /^Test\w+2A +\d+ runs?, \d+ failed \(/.test(l));
      assert.deepEqual(progress.map((l) => l.split(' ')[0]).sort(), ['TestInitialElection2A', 'TestManyElections2A', 'TestReElection2A']);
      assert.ok(r.stdout.split('\n').length < 20, `${r.stdout.split('\n').length} lines for 24 runs`);
    }
  });
});

describe('cli manners: --version and --help', function () {
  this.timeout(60_000);

  it('--version prints the version alone, exit 0; --help lists every command; a misspelt command is suggested, exit 2', async () => {
    const version = JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8')).version as string;
    for (const flag of ['--version', '-V']) {
      const r = await raftlab([flag]);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, `${version}\n`);
    }
    const help = await raftlab(['--help']);
    assert.equal(help.status, 0, help.stderr);
    for (const command of ['init', 'list', 'test', 'run', 'replay', 'export', 'check', 'grade', 'worker']) {
      assert.match(help.stdout, new RegExp(`^  ${command}\\b`, 'm'), `--help does not list ${command}`);
    }
    const typo = await raftlab(['tset']);
    assert.equal(typo.status, 2);
    assert.match(typo.stderr, /unknown command 'tset'\n\(Did you mean test\?\)/);
  });
});

describe('cli manners: bad input is one line on stderr and exit 2', function () {
  this.timeout(180_000);

  it('a trace whose header is not valid (a "warp" clock, a newer schema, no seed) is refused by replay, export and check', async () => {
    const files = await Promise.all([
      traceWith('warp.trace.gz', (h) => ({ ...h, mode: 'warp' })),
      traceWith('newer.trace.gz', (h) => ({ ...h, schema: 99 })),
      traceWith('seedless.trace.gz', ({ seed: _seed, ...h }) => h),
    ]);
    const said = [/mode: .*\(it says "warp"\)$/, /recorded by a newer raftlab \(event schema 99; this raftlab reads up to \d+\)$/, /seed: /];
    for (const [i, file] of files.entries()) {
      for (const command of [['replay', file], ['export', file, '--format', 'ndjson'], ['check', file]]) {
        const r = await raftlab(command);
        assert.equal(r.status, 2, `${command.join(' ')}: ${r.stdout}${r.stderr}`);
        assert.equal(r.stdout, '', command.join(' '));
        assert.equal(r.stderr.split('\n').length, 2, r.stderr);
        assert.ok(r.stderr.startsWith(`raftlab: ${file}: `), r.stderr);
        assert.match(r.stderr.trimEnd(), said[i]!);
      }
    }
  });

  it('bad options: export --kinds, --from, --nodes, --width, --format; run --count, --parallel, --seed; unknown options; --json and --junit into a folder before any run', async () => {
    const trace = await traceWith('opts.trace.gz', (h) => ({ ...h }));
    const cases: Array<[string[], RegExp]> = [
      [['export', trace, '--kinds', 'send,bogus'], /--kinds: no event kind 'bogus' \(kinds: send, deliver, handled/],
      [['export', trace, '--from', '1x'], /--from takes a time from the run's start/],
      [['export', trace, '--nodes', 'S1,two'], /--nodes takes server numbers/],
      [['export', trace, '--format', 'columns', '--width', '3'], /--width must be an integer of at least 8/],
      [['export', trace, '--from', '4', '--to', '2'], /--to \(2 s\) must come after --from \(4 s\)/],
      [['run', '2A', '--count', '0'], /--count must be an integer from 1/],
      [['run', '2A', '--parallel', '1.5'], /--parallel must be an integer/],
      [['test', '2A', '--seed', '-3'], /--seed must be an integer from 0/],
      [['run', '2A', '--json', cwd, '--no-history', ...reference], /--json .*: is a folder, not a file/],
      [['run', '2A', '--junit', cwd, '--no-history', ...reference], /--junit .*: is a folder, not a file/],
      [['test', '2A', '--bogus'], /unknown option '--bogus'/],
      [['export', trace, '--format', 'xml'], /argument 'xml' is invalid/],
    ];
    for (const [args, message] of cases) {
      const r = await raftlab(args);
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
      assert.equal(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, message);
      assert.doesNotMatch(r.stdout, /raftlab run:/, 'nothing ran');
    }
  });

  it('a reader that stops early (| head) ends the export quietly, exit 0', async () => {
    const trace = await traceWith('pipe.trace.gz', (h) => ({ ...h }));
    const child = spawn(process.execPath, [bin, 'export', trace, '--format', 'text'], { cwd, env: cleanEnv() });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.stdout.once('data', () => child.stdout.destroy());
    const status = await new Promise((resolve) => child.on('close', resolve));
    assert.equal(status, 0);
    assert.equal(stderr, '');
  });
});

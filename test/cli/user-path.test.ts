// The student's path, driven as a student drives it: bin/raftlab.js spawned as a child process, from folders
// outside the repository, with nothing preloaded (no tsx, no NODE_OPTIONS), and bundles replayed from a second
// fresh copy of the repository in another folder.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const fixture = (name: string): string => path.join(repo, 'test', 'fixtures', 'impls', name);
const dirs: string[] = [];
/** A folder outside the repository. */
const outside = (name: string): string => {
  const dir = mkdtempSync(path.join(os.tmpdir(), `raftlab-user-${name}-`));
  dirs.push(dir);
  return dir;
};
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

interface Spawned {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Run a raftlab CLI (this repository's, or another copy's) as a user would: a plain `node bin/raftlab.js`. */
function raftlab(args: string[], options: { cwd: string; bin?: string; env?: NodeJS.ProcessEnv }): Promise<Spawned> {
  const env = { ...process.env, ...options.env };
  delete env.NODE_OPTIONS;
  const child = spawn(process.execPath, [options.bin ?? path.join(repo, 'bin', 'raftlab.js'), ...args], { cwd: options.cwd, env });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) => child.on('close', (status) => resolve({ status, stdout, stderr })));
}

/** A copy of the repository as a fresh clone has it (tracked and untracked-but-not-ignored files), sharing node_modules. */
function freshCopy(name: string): string {
  const dir = path.join(outside(name), 'raftlab');
  const files = execFileSync('git', ['ls-files', '-co', '--exclude-standard', '-z'], { cwd: repo, encoding: 'utf8' }).split('\0').filter(Boolean);
  for (const file of files) {
    if (!existsSync(path.join(repo, file))) continue;
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    cpSync(path.join(repo, file), path.join(dir, file));
  }
  symlinkSync(path.join(repo, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  return dir;
}

const copySkeleton = (into: string): string => {
  const dir = path.join(into, 'my-raft');
  cpSync(path.join(repo, 'labs', 'skeleton'), dir, { recursive: true });
  return dir;
};

/** No line of raftlab's own stack: a student's failure is reported in words, not with a Node stack trace. */
const noRaftlabStack = (text: string): void => assert.doesNotMatch(text, /at .*(src\/(runner|harness|cli)|node_modules\/\.cache|node:internal)/);

describe("a student's own folder, driven through the spawned CLI", function () {
  this.timeout(180_000);

  it('a plain copy of labs/skeleton outside the repository loads and fails honestly (exit 1)', async () => {
    const cwd = outside('skeleton');
    copySkeleton(cwd);
    const r = await raftlab(['test', 'TestInitialElection2A', '--impl', 'my-raft', '--seed', '1'], { cwd });
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /Test \(2A\): initial election \.\.\.\n--- FAIL: TestInitialElection2A \(5\.\d\ds\)\n {4}expected one leader, got none\n/);
    assert.match(r.stdout, /replay: npx raftlab test '\^TestInitialElection2A\$' --mode sim --seed 1 --impl "my-raft"/);
    assert.match(r.stdout, /^FAIL\nFAIL\traft\t/m);
    assert.equal(r.stderr, '');
    noRaftlabStack(r.stdout);
  });

  it("raftlab's own build runs from V8's code cache: a command's first start leaves one, the next takes it as it is, bad input and a probe leave none; an ES module folder still loads, nothing on stderr", async () => {
    const copy = freshCopy('code-cache');
    const bin = path.join(copy, 'bin', 'raftlab.js');
    const selfBuild = (await import(pathToFileURL(path.join(copy, 'src', 'build', 'self-build.mjs')).href)) as typeof import('../../src/build/self-build.mjs');
    const cliDir = path.dirname(await selfBuild.ensureBuilt('cli'));
    const childDir = path.dirname(await selfBuild.ensureBuilt('child'));
    /** Each cache file with its mtime and size: a cache V8 refused would be written again. */
    const caches = (dir: string): Map<string, string> =>
      new Map(readdirSync(dir).filter((f) => f.endsWith('.v8cache')).map((f) => [f, `${statSync(path.join(dir, f)).mtimeMs}/${statSync(path.join(dir, f)).size}`]));
    assert.equal(caches(cliDir).size + caches(childDir).size, 0);
    const cwd = outside('code-cache-run');

    assert.equal((await raftlab(['list'], { cwd, bin })).status, 0);
    const afterList = caches(cliDir);
    assert.equal(afterList.size, 1);
    const list = await raftlab(['list'], { cwd, bin });
    assert.equal(list.status, 0);
    assert.match(list.stdout, /TestInitialElection2A/);
    assert.deepEqual(caches(cliDir), afterList);
    // Bad input (exit 2) leaves no cache of the command: what its start compiled is not what the command compiles.
    assert.equal((await raftlab(['test', '--seed', 'x'], { cwd, bin })).status, 2);
    assert.deepEqual(caches(cliDir), afterList);

    // Nor does a run process that only probed an implementation (WorkerPool.probe retires it at once; its cache, if
    // it wrote one, would be there within moments of that).
    const { buildForRunning } = (await import(pathToFileURL(path.join(copy, 'src', 'runner', 'impl.ts')).href)) as typeof import('../../src/runner/impl.ts');
    const { WorkerPool } = (await import(pathToFileURL(path.join(copy, 'src', 'runner', 'pool.ts')).href)) as typeof import('../../src/runner/pool.ts');
    const probePool = new WorkerPool({ size: 1 });
    try {
      assert.equal((await probePool.probe((await buildForRunning(fixture('top-level-await'))).built.file)).ok, true);
    } finally {
      await probePool.close();
    }
    for (const until = Date.now() + 2_000; Date.now() < until && caches(childDir).size === 0; ) await new Promise((r) => setTimeout(r, 50));
    assert.equal(caches(childDir).size, 0, 'a probe leaves no code cache');

    // A module with top-level await is built as an ES module and imported at run time, through the loader's import().
    const args = ['test', '--seed', '1', '--impl', fixture('top-level-await'), 'TestInitialElection2A'];
    const written: Array<Map<string, string>> = [];
    for (let round = 0; round < 2; round++) {
      const test = await raftlab(args, { cwd, bin });
      assert.equal(test.status, 0, test.stderr);
      assert.match(test.stdout, /Passed --/);
      assert.equal(test.stderr, '');
      written.push(new Map([...caches(cliDir), ...caches(childDir)]));
    }
    assert.equal(written[0]!.size, 3, "list's and test's, and the run process's");
    assert.deepEqual(written[1], written[0]);
  });

  it('raftlab init makes a project that type-checks against raftlab/api, and `raftlab test 2A` inside it runs that folder', async () => {
    const home = outside('init');
    const init = await raftlab(['init', 'lab2'], { cwd: home });
    assert.equal(init.status, 0, init.stderr);
    assert.match(init.stdout, /Next:\n {2}cd lab2\n {2}npx raftlab test 2A/);
    const project = path.join(home, 'lab2');
    assert.deepEqual(readdirSync(project).sort(), ['.gitignore', 'index.ts', 'node_modules', 'package.json', 'raft.ts', 'tsconfig.json', 'types.ts']);
    assert.match(readFileSync(path.join(project, 'raft.ts'), 'utf8'), /from 'raftlab\/api'/);
    // The editor's view: tsc resolves raftlab/api through the linked package and finds no error in the skeleton.
    execFileSync(process.execPath, [path.join(repo, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', project], { encoding: 'utf8' });
    // `npx raftlab` finds the linked bin; no --impl: the project's own folder.
    const r = await raftlab(['test', '2A', '--seed', '1'], { cwd: project, bin: path.join(project, 'node_modules', '.bin', 'raftlab') });
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.equal((r.stdout.match(/--- FAIL: Test\w+2A/g) ?? []).length, 3, r.stdout);
    assert.doesNotMatch(r.stderr, /reference/);
    // A second init into the same folder is refused, and loses nothing.
    const again = await raftlab(['init', 'lab2'], { cwd: home });
    assert.equal(again.status, 2);
    assert.match(again.stderr, /^raftlab: .*lab2 is not empty/);
    assert.ok(existsSync(path.join(project, 'raft.ts')));
  });

  it('a folder whose index.ts has a side-effect import runs, and its bundle carries the imported file', async () => {
    const cwd = outside('side-effect');
    const dir = path.join(cwd, 'raft-with-setup');
    cpSync(path.join(repo, 'labs', 'raft'), dir, { recursive: true });
    writeFileSync(path.join(dir, 'registry.ts'), 'export const registry = { ready: false };\n');
    writeFileSync(path.join(dir, 'setup.ts'), "import { registry } from './registry.ts';\nregistry.ready = true;\n");
    // The reference's own index.ts, renamed; the new index.ts needs setup.ts to have run.
    cpSync(path.join(dir, 'index.ts'), path.join(dir, 'reference.ts'));
    writeFileSync(
      path.join(dir, 'index.ts'),
      "import './setup.ts';\nimport { registry } from './registry.ts';\nimport { make as reference } from './reference.ts';\n" +
        "export const make: typeof reference = (...args) => {\n  if (!registry.ready) throw new Error('setup.ts did not run');\n  return reference(...args);\n};\n",
    );
    const r = await raftlab(['run', 'TestInitialElection2A', '--impl', 'raft-with-setup', '--count', '2', '--seed', '1', '--keep', 'all', '--data', 'data'], { cwd });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /PASS: 2 runs, 0 failed/);
    const traces = path.join(cwd, 'data', 'traces');
    const batch = readdirSync(traces)[0]!;
    const trace = path.join(traces, batch, readdirSync(path.join(traces, batch)).find((f) => f.endsWith('.trace.gz'))!);
    const bundle = path.join(cwd, 'run.bundle.gz');
    const exported = await raftlab(['export', trace, '--format', 'bundle', '--out', bundle], { cwd });
    assert.equal(exported.status, 0, exported.stderr);
    const { gunzipSync } = await import('node:zlib');
    const files = (JSON.parse(gunzipSync(readFileSync(bundle)).toString('utf8')) as { sources: { files: Array<{ path: string }> } }).sources.files.map((f) => f.path);
    assert.ok(files.includes('setup.ts') && files.includes('registry.ts'), files.join(', '));
  });

  it('a Raft on node:timers and node:timers/promises (and util.promisify) passes on the sim clock as on the real one, waiting virtual time', async () => {
    const cwd = outside('node-timers');
    const dir = path.join(cwd, 'raft-on-node-timers');
    cpSync(path.join(repo, 'labs', 'raft'), dir, { recursive: true });
    cpSync(path.join(dir, 'index.ts'), path.join(dir, 'reference.ts'));
    // The reference, with every timer it arms and every sleep it takes made of Node's modules instead of the
    // runtime's: node:timers for the timers, timers/promises and util.promisify(setTimeout) for the sleeps.
    writeFileSync(
      path.join(dir, 'index.ts'),
      [
        "import { setTimeout, clearTimeout } from 'node:timers';",
        "import { setTimeout as sleep, setInterval as every } from 'node:timers/promises';",
        "import { promisify } from 'node:util';",
        "import type { RaftRuntime, Timer } from '../api/index.ts';",
        "import { make as reference } from './reference.ts';",
        'const promisified = promisify(setTimeout);',
        'let sleeps = 0;',
        'function nodeTimer(callback: () => void): Timer {',
        '  let handle: ReturnType<typeof setTimeout> | undefined;',
        '  return {',
        '    reset(delayMs) { if (handle !== undefined) clearTimeout(handle); handle = setTimeout(() => { handle = undefined; callback(); }, delayMs); },',
        '    stop() { if (handle !== undefined) clearTimeout(handle); handle = undefined; },',
        '    get active() { return handle !== undefined; },',
        '  };',
        '}',
        'export const make: typeof reference = (peers, me, persister, applyCh, runtime) => {',
        '  const onNode = new Proxy(runtime, {',
        "    get(target, key) {",
        "      if (key === 'timer') return nodeTimer;",
        "      if (key === 'sleep') return (ms: number) => (sleeps++ % 2 ? sleep(ms) : promisified(ms));",
        '      const value = Reflect.get(target, key) as unknown;',
        "      return typeof value === 'function' ? value.bind(target) : value;",
        '    },',
        '  }) as RaftRuntime;',
        '  const rf = reference(peers, me, persister, applyCh, onNode);',
        // An interval iterator that counts three 100 ms ticks and logs when it is done: it must see time pass.
        "  void (async () => { let n = 0; for await (const _ of every(100)) if (++n === 3) break; runtime.log('INFO', `three ticks by ${runtime.now()} ms`); })();",
        '  return rf;',
        '};',
        '',
      ].join('\n'),
    );
    for (const mode of ['sim', 'real']) {
      const r = await raftlab(['test', 'TestInitialElection2A', '--impl', 'raft-on-node-timers', '--mode', mode, '--seed', '1', '-v'], { cwd });
      assert.equal(r.status, 0, `${mode}: ${r.stdout}${r.stderr}`);
      assert.match(r.stdout, /--- PASS: TestInitialElection2A/);
    }
    // On the sim clock the three ticks come at 300 ms of virtual time, exactly, in a run that took far less on the wall.
    const traced = await raftlab(['run', 'TestInitialElection2A', '--impl', 'raft-on-node-timers', '--count', '1', '--seed', '1', '--keep', 'all', '--data', 'data'], { cwd });
    assert.equal(traced.status, 0, traced.stdout + traced.stderr);
    const traces = path.join(cwd, 'data', 'traces');
    const batch = readdirSync(traces)[0]!;
    const trace = path.join(traces, batch, readdirSync(path.join(traces, batch)).find((f) => f.endsWith('.trace.gz'))!);
    const { gunzipSync } = await import('node:zlib');
    const text = gunzipSync(readFileSync(trace)).toString('utf8');
    assert.equal((text.match(/three ticks by 300 ms/g) ?? []).length, 3, 'each of the three servers saw its ticks at 300 ms of virtual time');
  });

  it("a folder's build is reused by the next start while nothing it was built from changed, and made again after an edit or a new file an import now resolves to", async () => {
    const cwd = outside('build-cache');
    const cache = path.join(cwd, 'cache');
    const dir = path.join(cwd, 'flavored');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'index.ts'), "import { flavor } from './flavor';\nexport function make(): never {\n  throw new Error(`flavor:${flavor}`);\n}\n");
    writeFileSync(path.join(dir, 'flavor.js'), "export const flavor = 'js';\n");
    const flavorOf = async (): Promise<string> => {
      const r = await raftlab(['test', 'TestInitialElection2A', '--impl', 'flavored', '--seed', '1'], { cwd, env: { RAFTLAB_CACHE: cache } });
      assert.equal(r.status, 1, r.stdout + r.stderr);
      return /flavor:(\w+)/.exec(r.stdout)?.[1] ?? r.stdout;
    };
    const manifests = (): Array<[string, number]> => {
      const at = path.join(cache, 'impl', 'manifests');
      return readdirSync(at).map((f) => [f, statSync(path.join(at, f)).mtimeMs]);
    };
    assert.equal(await flavorOf(), 'js');
    const first = manifests();
    assert.equal(first.length, 1);
    assert.equal(await flavorOf(), 'js');
    assert.deepEqual(manifests(), first, 'the second start reused the build: its record was not written again');
    // The same size, another text: told apart by its modification time.
    writeFileSync(path.join(dir, 'flavor.js'), "export const flavor = 'JS';\n");
    assert.equal(await flavorOf(), 'JS');
    // './flavor' now resolves to flavor.ts (esbuild looks for .ts before .js): a new file the old build never read.
    writeFileSync(path.join(dir, 'flavor.ts'), "export const flavor = 'ts';\n");
    assert.equal(await flavorOf(), 'ts');
  });

  it('run says what the runs exercised, per test, and --json carries the counts of every run', async () => {
    const cwd = outside('paths');
    const json = path.join(cwd, 'out.json');
    const r = await raftlab(['run', 'TestSnapshotBasic2D', '--impl', path.join(repo, 'labs', 'corpus', 'gostyle'), '--count', '2', '--seed', '1', '--json', json, '--no-history'], { cwd });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /What the runs exercised/);
    assert.match(r.stdout, /^TestSnapshotBasic2D(\s+[\d.]+){4}\s+2\/2\s/m, 'both runs sent InstallSnapshot');
    const report = JSON.parse(readFileSync(json, 'utf8')) as { runs: Array<{ paths?: { installSnapshotSent: number; snapshotsTaken: number } }>; batch: { perTest: Array<{ paths?: { runsWithInstallSnapshot: number } }> } };
    for (const run of report.runs) assert.ok(run.paths!.installSnapshotSent > 0 && run.paths!.snapshotsTaken > 0, JSON.stringify(run.paths));
    assert.equal(report.batch.perTest[0]!.paths!.runsWithInstallSnapshot, 2);
  });

  it('a bundle made in one fresh copy of raftlab replays from another, in another folder: same verdict, identical trace', async () => {
    const first = freshCopy('clone-a');
    const second = freshCopy('clone-b');
    const work = outside('student-a');
    copySkeleton(work);
    const bin = (clone: string): string => path.join(clone, 'bin', 'raftlab.js');
    const run = await raftlab(['run', 'TestInitialElection2A', '--impl', 'my-raft', '--count', '1', '--seed', '7', '--data', 'data'], { cwd: work, bin: bin(first) });
    assert.equal(run.status, 1, run.stdout + run.stderr);
    const trace = /trace: (\S+\.trace\.gz)/.exec(run.stdout)?.[1];
    assert.ok(trace && existsSync(trace), run.stdout);
    const bundle = path.join(outside('share'), 'TestInitialElection2A-seed7.bundle.gz');
    const exported = await raftlab(['export', trace, '--format', 'bundle', '--out', bundle], { cwd: work, bin: bin(first) });
    assert.equal(exported.status, 0, exported.stderr);
    rmSync(work, { recursive: true, force: true }); // the student's folder is gone: the bundle must carry everything

    const elsewhere = outside('ta');
    // A temp folder of the replay's own, to see that it leaves nothing there.
    const ownTemp = outside('ta-tmp');
    const replayed = await raftlab(['replay', bundle], { cwd: elsewhere, bin: bin(second), env: { TMPDIR: ownTemp } });
    assert.equal(replayed.status, 0, replayed.stdout + replayed.stderr);
    assert.match(replayed.stdout, /recorded: fail -- expected one leader, got none\nreplayed: fail -- expected one leader, got none/);
    assert.match(replayed.stdout, /the failure recurred\nthe trace is identical: \d+ events/);
    // Replay leaves no temporary folder behind.
    assert.deepEqual(readdirSync(ownTemp), []);
  });

  it('a bundle exported after the sources changed carries the sources the run had, and export says so', async () => {
    const cwd = outside('edited');
    const dir = copySkeleton(cwd);
    const run = await raftlab(['run', 'TestInitialElection2A', '--impl', 'my-raft', '--count', '1', '--seed', '2', '--data', 'data'], { cwd });
    assert.equal(run.status, 1, run.stdout + run.stderr);
    const trace = /trace: (\S+\.trace\.gz)/.exec(run.stdout)![1]!;
    // The student edits raft.ts after the run.
    writeFileSync(path.join(dir, 'raft.ts'), readFileSync(path.join(dir, 'raft.ts'), 'utf8').replace('isLeader = false', 'isLeader = true'));
    const exported = await raftlab(['export', trace, '--format', 'bundle', '--out', 'b.bundle.gz'], { cwd });
    assert.equal(exported.status, 0, exported.stderr);
    assert.match(exported.stderr, /^raftlab: warning: the sources in .*my-raft changed since this run \(raft\.ts edited\)/);
    const replayed = await raftlab(['replay', 'b.bundle.gz'], { cwd });
    assert.equal(replayed.status, 0, replayed.stdout);
    assert.match(replayed.stdout, /the failure recurred\nthe trace is identical/);
    // The trace itself replays the folder as it is now, and says the sources changed; --as-recorded replays the run's.
    const now = await raftlab(['replay', trace], { cwd });
    assert.match(now.stdout, /note: these sources differ from the ones the run had/);
    const recorded = await raftlab(['replay', trace, '--as-recorded'], { cwd });
    assert.equal(recorded.status, 0, recorded.stdout);
    assert.match(recorded.stdout, /the sources the run had[\s\S]*the trace is identical/);
  });
});

describe('planted fixtures end as marked runs in `test` and in `run`, and the rest goes on', function () {
  this.timeout(180_000);

  it('a throw inside an async loop nobody awaits: an error naming the file and line; the other 2A tests still run', async () => {
    const cwd = outside('async-throw');
    const t = await raftlab(['test', '2A', '--impl', fixture('async-loop-throws'), '--seed', '1'], { cwd });
    assert.equal(t.status, 1);
    assert.equal((t.stdout.match(/error \(UNHANDLED_REJECTION\) at index\.ts:16:\d+: .*TypeError: Cannot read properties of undefined \(reading 'term'\)/g) ?? []).length, 3, t.stdout);
    assert.match(t.stdout, /at applyCommitted \(.*async-loop-throws\/index\.ts:16:\d+\)/);
    noRaftlabStack(t.stdout);
    const json = path.join(cwd, 'batch.json');
    const r = await raftlab(['run', 'TestInitialElection2A', '--impl', fixture('async-loop-throws'), '--count', '2', '--seed', '1', '--json', json, '--no-history'], { cwd });
    assert.equal(r.status, 1);
    const runs = (JSON.parse(readFileSync(json, 'utf8')) as { runs: Array<{ status: string; errorCode: string; site: string; stack: string }> }).runs;
    assert.deepEqual(runs.map((x) => [x.status, x.errorCode]), [['error', 'UNHANDLED_REJECTION'], ['error', 'UNHANDLED_REJECTION']]);
    assert.match(runs[0]!.site, /^index\.ts:16:\d+$/);
    assert.match(runs[0]!.stack, /async-loop-throws\/index\.ts:16/);
  });

  it('a loop that awaits only settled promises: stopped when no virtual time passes, and said so', async () => {
    const cwd = outside('settled');
    const t = await raftlab(['test', '2A', '--impl', fixture('settled-promise-loop'), '--seed', '1', '--stall', '1'], { cwd });
    assert.equal(t.status, 1);
    const said = t.stdout.match(/timeout \(STALLED\): no virtual time passed in 1 s of wall time \(stuck at t=0\.3\d\d s\): .*awaits only already-settled promises/g) ?? [];
    assert.equal(said.length, 3, t.stdout);
    const r = await raftlab(['run', 'TestInitialElection2A', '--impl', fixture('settled-promise-loop'), '--count', '2', '--seed', '1', '--stall', '1', '--data', 'data'], { cwd });
    assert.equal(r.status, 1);
    assert.match(r.stdout, /TestInitialElection2A\s+2\s+2\s+100\.0%/);
    // The trace recorded until it stopped is kept.
    const trace = /trace: (\S+\.trace\.gz)/.exec(r.stdout)?.[1];
    assert.ok(trace && existsSync(trace), r.stdout);
    const check = await raftlab(['export', trace, '--format', 'ndjson'], { cwd });
    assert.match(check.stdout, /"kind":"test-begin"/);
  });

  it('a slow but steady correct run with tracing on passes: time on the wall is not a hang', async () => {
    const cwd = outside('slow');
    const r = await raftlab(['run', 'TestInitialElection2A', '--impl', fixture('slow-but-steady'), '--count', '2', '--seed', '1', '--keep', 'all', '--stall', '1', '--data', 'data'], { cwd });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /PASS: 2 runs, 0 failed/);
    const t = await raftlab(['test', 'TestInitialElection2A', '--impl', fixture('slow-but-steady'), '--seed', '1', '--stall', '1'], { cwd });
    assert.equal(t.status, 0, t.stdout);
  });
});

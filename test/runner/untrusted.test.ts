// Code under test is untrusted: it must not forge a verdict, hang or crash raftlab, or touch another run. Each
// planted fixture here ends as the right marked run (or a clear error), and the reference runs around it keep
// their verdicts.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureBuilt } from '../../src/build/self-build.mjs';
import { referenceImplDir } from '../../src/harness/paths.ts';
import { buildForRunning, type PreparedImpl } from '../../src/runner/impl.ts';
import { WorkerPool, type PoolOptions } from '../../src/runner/pool.ts';
import { removeOrphanedScratch } from '../../src/runner/scratch.ts';
import type { RunRecord, RunTask } from '../../src/runner/types.ts';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const fixture = (name: string): string => path.join(repo, 'test', 'fixtures', 'impls', name);
const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const prepared = new Map<string, PreparedImpl>();
async function task(dir: string, seed: number, testId = 'TestInitialElection2A', extra: Partial<RunTask> = {}): Promise<RunTask> {
  const impl = prepared.get(dir) ?? (await buildForRunning(dir));
  prepared.set(dir, impl);
  return { testId, mode: 'sim', seed, implDir: impl.dir, impl: impl.ref, ...extra };
}

async function withPool<T>(options: Omit<PoolOptions, 'size'> & { size?: number }, fn: (pool: WorkerPool) => Promise<T>): Promise<T> {
  const pool = new WorkerPool({ size: 1, ...options });
  try {
    return await fn(pool);
  } finally {
    await pool.close();
  }
}

function raftlab(args: string[], cwd: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  const child = spawn(process.execPath, [path.join(repo, 'bin', 'raftlab.js'), ...args], { cwd, env });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) => child.on('close', (status) => resolve({ status, stdout, stderr })));
}

const cwd = (): string => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'raftlab-untrusted-'));
  dirs.push(dir);
  return dir;
};

describe('untrusted code: no forged verdict', function () {
  this.timeout(120_000);

  it('an implementation that writes a "pass" on every channel it can find fails, and the CLI says so (exit 1)', async () => {
    const record = await withPool({}, async (pool) => pool.run(await task(fixture('forges-verdict'), 1)));
    assert.notEqual(record.status, 'pass');
    assert.equal(record.errorCode, 'CHANNEL_TAMPERED');
    assert.match(record.message!, /result channel/);
    const r = await raftlab(['run', 'TestInitialElection2A', '--impl', fixture('forges-verdict'), '--count', '4', '--seed', '1', '--no-history'], cwd());
    assert.equal(r.status, 1, r.stdout);
    assert.match(r.stdout, /FAIL: 4 runs, 4 failed/);
  });

  it('one that prints PASS and calls process.exit(0) fails with its own file and line; raftlab test exits 1', async () => {
    const r = await raftlab(['test', '2A', '--impl', fixture('exits-with-pass'), '--seed', '1'], cwd());
    assert.equal(r.status, 1, r.stdout);
    assert.equal((r.stdout.match(/error \(IMPL_EXIT\) at index\.ts:8:\d+: the implementation called process\.exit\(0\)/g) ?? []).length, 3, r.stdout);
    // What it printed is shown as its console output, never as raftlab's own verdict.
    assert.match(r.stdout, /console output:\n {6}.*Passed --[\s\S]* {6}PASS\n/);
    assert.match(r.stdout, /^FAIL\nFAIL\traft\t/m);
    assert.doesNotMatch(r.stdout, /^ok /m);
  });
});

describe('untrusted code: raftlab itself is never stuck or swamped', function () {
  this.timeout(120_000);

  it('a module whose top level never returns is a clear error (exit 2), found in a run process', async () => {
    const r = await raftlab(['run', '2A', '--impl', fixture('top-level-loop'), '--count', '1', '--stall', '2', '--no-history'], cwd());
    assert.equal(r.status, 2);
    assert.match(r.stderr, /^raftlab: could not load .*top-level-loop\/index\.ts: the implementation did not finish loading within 2 s \(a loop at the top level of a module\?\)\n$/);
  });

  it('Buffers outside the V8 heap count against the memory cap: an error, and the next run passes', async () => {
    const records = await withPool({ memoryMb: 400 }, async (pool) => [await pool.run(await task(fixture('buffer-growth'), 1)), await pool.run(await task(referenceImplDir, 2))]);
    assert.equal(records[0]!.status, 'error');
    assert.equal(records[0]!.errorCode, 'WORKER_OUT_OF_MEMORY');
    assert.match(records[0]!.message!, /grew past 400 MB \(\d+ MB resident, Buffers included\)/);
    assert.equal(records[1]!.status, 'pass');
  });

  it('a pool closed with a run in flight has removed its run processes\' scratch folders by the time close() returns', async () => {
    // A grade worker stopped by SIGTERM exits the moment its pool is closed: nothing may be left for a later turn.
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'raftlab-close-'));
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = tmp;
    try {
      const pool = new WorkerPool({ size: 1 });
      const inFlight = pool.run(await task(referenceImplDir, 1, 'TestInitialElection2A', { mode: 'real' }));
      while (readdirSync(tmp).length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
      await new Promise((resolve) => setTimeout(resolve, 300));
      await pool.close();
      assert.deepEqual(readdirSync(tmp), []);
      await inFlight.catch(() => undefined);
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('a run process whose pool is gone before its first frame (the pool killed as it started it) removes its scratch folder and leaves', async () => {
    // What a grade worker killed with SIGKILL left behind: the run process it had just started met a closed pipe with
    // its first frame, and crashed before it saw its task channel end.
    const scratch = mkdtempSync(path.join(os.tmpdir(), 'raftlab-run-'));
    try {
      const child = spawn(process.execPath, [await ensureBuilt('child'), scratch], { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] });
      (child.stdio[3] as Readable).destroy(); // the pool's end of the result pipe
      let stderr = '';
      child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
      const exit = await new Promise<{ code: number | null; signal: string | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
      (child.stdio[4] as Writable).destroy(); // the task channel stayed open: the failed write alone told it
      assert.deepEqual(exit, { code: 0, signal: null }, stderr);
      assert.equal(existsSync(scratch), false, 'its scratch folder is removed');
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });

  it('a run process outlives a Ctrl-C or SIGTERM to its process group (raftlab reports the stop), and leaves when its channel ends', async () => {
    const scratch = mkdtempSync(path.join(os.tmpdir(), 'raftlab-run-'));
    try {
      const child = spawn(process.execPath, [await ensureBuilt('child'), scratch], { stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'pipe'] });
      let frames = '';
      (child.stdio[3] as Readable).on('data', (c: Buffer) => (frames += c.toString('latin1')));
      while (!frames.includes('"ready"')) await new Promise((resolve) => setTimeout(resolve, 20));
      const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
      child.kill('SIGINT');
      child.kill('SIGTERM');
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(child.exitCode, null, 'still running');
      (child.stdio[4] as Writable).end();
      assert.deepEqual(await exited, { code: 0, signal: null });
      assert.equal(existsSync(scratch), false);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });

  it('what a raftlab killed outright left in the temporary folder goes when the next pool starts or closes; nobody else\'s', async () => {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'raftlab-orphans-'));
    try {
      const gone = spawnSync(process.execPath, ['-e', '0']).pid!; // a pid whose process has ended
      const names = [`raftlab-run-${gone}-a1`, `raftlab-grade-traces-${gone}-b2`, `raftlab-run-${process.pid}-c3`, 'raftlab-run-1-d4', 'raftlab-run-e5', `raftlab-replay-${gone}-f6`, `other-${gone}-g7`];
      for (const name of names) {
        mkdirSync(path.join(tmp, name));
        writeFileSync(path.join(tmp, name, 'progress'), '{}');
      }
      assert.deepEqual(removeOrphanedScratch(tmp).sort(), [`raftlab-grade-traces-${gone}-b2`, `raftlab-run-${gone}-a1`]);
      assert.deepEqual(readdirSync(tmp).sort(), names.slice(2).sort(), 'this process\'s, a running one\'s (pid 1), and names not of this shape stay');
      const saved = process.env.TMPDIR;
      process.env.TMPDIR = tmp;
      try {
        mkdirSync(path.join(tmp, `raftlab-run-${gone}-h8`));
        const pool = new WorkerPool({ size: 1 });
        assert.equal(existsSync(path.join(tmp, `raftlab-run-${gone}-h8`)), false, 'a pool that starts removes them');
        mkdirSync(path.join(tmp, `raftlab-grade-traces-${gone}-i9`));
        await pool.close();
        assert.equal(existsSync(path.join(tmp, `raftlab-grade-traces-${gone}-i9`)), false, 'a pool that closes removes them');
      } finally {
        if (saved === undefined) delete process.env.TMPDIR;
        else process.env.TMPDIR = saved;
      }
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('on the real clock, a 1 s stall watchdog stops a Raft that blocks the event loop, and lets a healthy run pass', async () => {
    // A real-clock run says it is alive less often than a sim run: never so seldom that a short watchdog misreads it.
    const [healthy, blocked] = await withPool({ stallMs: 1_000 }, async (pool) => [
      await pool.run(await task(referenceImplDir, 1, 'TestInitialElection2A', { mode: 'real' })),
      await pool.run(await task(fixture('loops-forever'), 1, 'TestInitialElection2A', { mode: 'real' })),
    ]);
    assert.equal(healthy!.status, 'pass', healthy!.message);
    assert.equal(blocked!.errorCode, 'STALLED');
    assert.match(blocked!.message!, /blocked the event loop for 1 s/);
  });

  it('a flood of console output is capped (the rest counted, not kept) and the run keeps its verdict', async () => {
    const rssBefore = process.memoryUsage().rss;
    const record = await withPool({ consoleCapBytes: 4096 }, async (pool) => pool.run(await task(fixture('output-flood'), 1)));
    assert.equal(record.status, 'pass', record.message);
    assert.equal(record.consoleOutput!.length, 4096);
    assert.ok(record.consoleDroppedBytes! > 190_000_000, `${record.consoleDroppedBytes}`);
    assert.ok(process.memoryUsage().rss - rssBefore < 100 * 1024 * 1024, 'the parent did not hold the flood');
  });
});

describe('untrusted code: one run cannot touch the next', function () {
  this.timeout(120_000);

  for (const name of ['leftover-interval', 'deletes-global']) {
    it(`${name}: its process is not reused, and correct runs after it pass`, async () => {
      const records: RunRecord[] = [];
      const stats = await withPool({}, async (pool) => {
        records.push(await pool.run(await task(fixture(name), 1)));
        for (let seed = 2; seed <= 4; seed++) records.push(await pool.run(await task(referenceImplDir, seed)));
        return pool.stats;
      });
      assert.deepEqual(records.map((r) => r.status), ['pass', 'pass', 'pass', 'pass'], records.map((r) => r.message).join('; '));
      assert.equal(stats.replacedUnclean, 1);
      assert.equal(records[1]!.freshWorker, true, 'the run after it got a fresh process');
      assert.equal(records[2]!.freshWorker, false, 'clean processes are reused');
    });
  }

  it('a promise rejected with a null-prototype object is reported as such, at once (not as a hang)', async () => {
    const record = await withPool({ stallMs: 5_000 }, async (pool) => pool.run(await task(fixture('null-prototype-rejection'), 1)));
    assert.equal(record.status, 'error');
    assert.equal(record.errorCode, 'UNHANDLED_REJECTION');
    assert.match(record.message!, /non-error value \{"why":"planted"\}/);
    assert.ok(record.wallMs < 5_000, `${record.wallMs} ms`);
  });
});

describe('hostile bundles are validated before anything is written or run', function () {
  this.timeout(120_000);
  let good: Record<string, unknown>;
  let work: string;

  before(async () => {
    work = cwd();
    const { gunzipSync } = await import('node:zlib');
    const { readFileSync, cpSync } = await import('node:fs');
    cpSync(path.join(repo, 'labs', 'skeleton'), path.join(work, 'sk'), { recursive: true });
    const run = await raftlab(['run', 'TestInitialElection2A', '--impl', 'sk', '--count', '1', '--seed', '4', '--data', 'data'], work);
    const trace = /trace: (\S+\.trace\.gz)/.exec(run.stdout)![1]!;
    assert.equal((await raftlab(['export', trace, '--format', 'bundle', '--out', 'good.bundle.gz'], work)).status, 0);
    good = JSON.parse(gunzipSync(readFileSync(path.join(work, 'good.bundle.gz'))).toString('utf8')) as Record<string, unknown>;
  });

  async function replayed(bundle: unknown, ...flags: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
    const { gzipSync } = await import('node:zlib');
    const { writeFileSync } = await import('node:fs');
    const file = path.join(work, `b-${Math.random().toString(36).slice(2)}.bundle.gz`);
    writeFileSync(file, gzipSync(JSON.stringify(bundle)));
    return raftlab(['replay', file, ...flags], work);
  }
  const edit = (f: (b: { run: Record<string, unknown>; sources: { implDir: string; entry: string; files: Array<{ path: string; text: string; sha256: string }> } }) => void): unknown => {
    const copy = structuredClone(good) as Parameters<typeof f>[0];
    f(copy);
    return copy;
  };

  it('the untouched bundle replays (the baseline)', async () => {
    const r = await replayed(good);
    assert.equal(r.status, 0, r.stdout + r.stderr);
  });

  it('a file path that leaves the folder, an absolute implementation folder, a test id with ../: refused, nothing written', async () => {
    const marker = path.join(os.tmpdir(), 'raftlab-escaped.ts');
    rmSync(marker, { force: true });
    const cases = [
      edit((b) => (b.sources.files[0]!.path = '../../../../../../../../tmp/raftlab-escaped.ts')),
      edit((b) => (b.sources.implDir = '/etc')),
      edit((b) => (b.sources.implDir = '../..')),
      edit((b) => (b.run.test = '../../TestInitialElection2A')),
      edit((b) => (b.run.seed = -1)),
      edit((b) => (b.sources.entry = '../index.ts')),
    ];
    for (const bundle of cases) {
      const r = await replayed(bundle);
      assert.equal(r.status, 2, r.stdout + r.stderr);
      assert.match(r.stderr, /^raftlab: .* is not a valid raftlab bundle: .+\n$/);
    }
    assert.ok(!(await import('node:fs')).existsSync(marker), 'nothing was written outside');
  });

  it('sources altered after the bundle was made: refused unless --allow-modified, which runs them and says the outcome differs', async () => {
    const tampered = edit((b) => {
      const raft = b.sources.files.find((f) => f.path === 'raft.ts')!;
      raft.text = raft.text.replace('isLeader = false', 'isLeader = true');
    });
    const refused = await replayed(tampered);
    assert.equal(refused.status, 2);
    assert.match(refused.stderr, /was modified after it was made: raft\.ts does not match the recorded hash \(replay --allow-modified runs it anyway\)/);
    const allowed = await replayed(tampered, '--allow-modified');
    assert.notEqual(allowed.status, 2, allowed.stderr);
  });
});

describe('disk trouble never changes a verdict, and history survives its writers', function () {
  this.timeout(180_000);

  it('traces that cannot be written (a full disk, a read-only folder, a path under a file) are reported; the runs keep their verdicts', async () => {
    const work = cwd();
    const { execFileSync } = await import('node:child_process');
    const { mkdirSync, readFileSync, readdirSync, writeFileSync } = await import('node:fs');
    writeFileSync(path.join(work, 'plain-file'), '');
    const targets: Array<{ dir: string; said: RegExp; mount?: string }> = [
      { dir: path.join(work, 'plain-file', 'traces'), said: /could not save the trace: ENOTDIR/ },
    ];
    for (const [name, options, said] of [['full', 'size=16k', /could not save the trace: disk full/], ['readonly', 'ro', /could not save the trace: the folder is not writable/]] as const) {
      const dir = path.join(work, name);
      mkdirSync(dir);
      try {
        execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir], { stdio: 'ignore' });
        targets.push({ dir, said, mount: dir });
      } catch {
        // Not allowed to mount here: the path under a plain file is still tested.
      }
    }
    try {
      for (const { dir, said, mount } of targets) {
        const json = path.join(work, 'batch.json');
        const r = await raftlab(['run', '2A', '--count', '3', '--seed', '1', '--keep', 'all', '--out', dir, '--json', json, '--no-history'], work);
        assert.equal(r.status, 0, r.stdout + r.stderr);
        assert.match(r.stdout, /PASS: 9 runs, 0 failed/);
        assert.match(r.stderr, said);
        const runs = (JSON.parse(readFileSync(json, 'utf8')) as { runs: Array<{ status: string; traceError?: string }> }).runs;
        assert.equal(runs.length, 9);
        assert.ok(runs.every((x) => x.status === 'pass'));
        assert.ok(runs.some((x) => x.traceError), 'the runs say their trace was not kept');
        if (mount) assert.deepEqual(readdirSync(mount).filter((f) => f.endsWith('.tmp')), [], 'no partial file is left');
      }
    } finally {
      for (const { mount } of targets) if (mount) execFileSync('umount', [mount]);
    }
  });

  it('a history folder that fills up or is read-only: the batch goes on, and the table, --json and --junit are written', async function () {
    const work = cwd();
    const { execFileSync } = await import('node:child_process');
    const { mkdirSync, readFileSync } = await import('node:fs');
    const data = path.join(work, 'data');
    mkdirSync(data);
    for (const options of ['size=24k', 'ro']) {
      try {
        execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', data], { stdio: 'ignore' });
      } catch {
        this.skip(); // mounting a tmpfs needs root: without it a full or read-only history folder cannot be made here (CI runs as root, and runs this)
      }
      try {
        const json = path.join(work, `batch-${options}.json`);
        const junit = path.join(work, `junit-${options}.xml`);
        const r = await raftlab(['run', '2A', '--count', '40', '--seed', '1', '--keep', 'none', '--data', data, '--json', json, '--junit', junit], work);
        assert.equal(r.status, 0, r.stdout + r.stderr);
        assert.match(r.stdout, /PASS: 120 runs, 0 failed/);
        assert.match(r.stderr, /raftlab: (not recording history|could not record the run in history|could not record the batch's end in history)/);
        assert.equal((JSON.parse(readFileSync(json, 'utf8')) as { runs: unknown[] }).runs.length, 120);
        assert.match(readFileSync(junit, 'utf8'), /<testsuite /);
      } finally {
        execFileSync('umount', [data]);
      }
    }
  });

  it('four raftlab runs writing one history at once: every batch is recorded, none lost, none crashed', async () => {
    const work = cwd();
    const data = path.join(work, 'data');
    const results = await Promise.all([1, 2, 3, 4].map((k) => raftlab(['run', 'TestInitialElection2A', '--count', '3', '--seed', String(k * 10), '--parallel', '1', '--data', data], work)));
    for (const r of results) assert.equal(r.status, 0, r.stdout + r.stderr);
    const { History } = await import('../../src/runner/history.ts');
    const history = new History(data);
    const batches = history.listBatches();
    assert.equal(batches.length, 4);
    for (const b of batches) {
      assert.equal(b.state, 'done');
      assert.equal(history.readBatch(b.id)!.runs.length, 3);
    }
  });

  it('the app keeps answering over a history of the wrong shape', async () => {
    const data = cwd();
    const { writeFileSync } = await import('node:fs');
    const { AppServices } = await import('../../src/main/services/index.ts');
    writeFileSync(path.join(data, 'history.json'), JSON.stringify({ version: 2, batches: [{ id: '../../etc/passwd', state: 'done' }] }));
    const service = new AppServices({ dataDir: data });
    assert.equal((await service.catalog.list()).tests.length, 24);
    assert.deepEqual(service.history.batches(), []);
    await service.close();
  });
});

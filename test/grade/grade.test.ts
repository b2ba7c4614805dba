// Grading a class: three submissions (the reference, the skeleton, a catalog bug) on BullMQ with two `raftlab
// worker` processes, one of them killed with SIGKILL mid-job, give the same report as the same grade run locally.
// Submissions that reach for another's files or for the queue fail their own runs, with a clear message.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { junitProblems } from '../formats/readers.ts';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const bin = path.join(repo, 'bin', 'raftlab.js');
const dirs: string[] = [];
const children: ChildProcess[] = [];
const temp = (name: string): string => {
  const dir = mkdtempSync(path.join(os.tmpdir(), `raftlab-grade-${name}-`));
  dirs.push(dir);
  return dir;
};

function raftlab(args: string[], cwd: string, onStderr?: (text: string) => void, extraEnv: Record<string, string> = {}): { child: ChildProcess; done: Promise<{ status: number | null; stdout: string; stderr: string }> } {
  const env = { ...process.env, ...extraEnv };
  delete env.NODE_OPTIONS;
  const child = spawn(process.execPath, [bin, ...args], { cwd, env });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on('data', (c: Buffer) => {
    stderr += c.toString();
    onStderr?.(stderr);
  });
  return { child, done: new Promise((resolve) => child.on('close', (status) => resolve({ status, stdout, stderr }))) };
}

const freePort = (): Promise<number> =>
  new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });

/** The Redis the test uses: the one .ci/run started (RAFTLAB_TEST_REDIS), or one of its own. */
async function redisUrl(): Promise<string> {
  if (process.env.RAFTLAB_TEST_REDIS) return process.env.RAFTLAB_TEST_REDIS;
  const port = await freePort();
  const server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  children.push(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', () => reject(new Error('redis-server is needed for the grading tests (apt-get install redis-server; .ci/run installs it)')));
    const poll = (): void => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.end();
        resolve();
      });
      socket.on('error', () => setTimeout(poll, 50));
    };
    poll();
  });
  return `redis://127.0.0.1:${port}`;
}

/** A class of three: the reference, the skeleton and a catalog bug, outside the repository. */
function makeClass(): string {
  const dir = temp('class');
  cpSync(path.join(repo, 'labs/raft'), path.join(dir, 'alice'), { recursive: true });
  cpSync(path.join(repo, 'labs/skeleton'), path.join(dir, 'bob'), { recursive: true });
  cpSync(path.join(repo, 'labs/bugs/votedfor-not-persisted'), path.join(dir, 'carol'), { recursive: true });
  return dir;
}

const verdicts = (file: string): unknown => JSON.parse(readFileSync(file, 'utf8'));

after(() => {
  for (const child of children) child.kill('SIGKILL');
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('grading a class', function () {
  this.timeout(240_000);
  const args = ['--tests', '2A', '--count', '4', '--seed', '1', '--check'];

  it('on two workers, one killed mid-job, gives the report the same grade gives locally', async () => {
    const url = await redisUrl();
    const klass = makeClass();
    const work = temp('work');
    const local = await raftlab(['grade', klass, ...args, '--out', path.join(work, 'local')], work).done;
    assert.equal(local.status, 0, local.stdout + local.stderr);
    assert.match(local.stdout, /alice +PASS 3\/3/);
    assert.match(local.stdout, /bob +FAIL 0\/3/);
    assert.match(local.stdout, /carol +FAIL 0\/3/); // the checker names the lost vote

    let killed = false;
    // The workers' temporary folders (run processes' scratch, jobs' traces) go here: none may be left in the end, the
    // killed worker's included (the survivor's pool removes those of a raftlab that is gone as it closes).
    const scratch = temp('scratch');
    const doomed = raftlab(['worker', '--queue', url, '--parallel', '1', '--lock-seconds', '2'], work, (text) => {
      // Killed while it runs its second job: that job's lock lapses and the other worker takes it.
      if (!killed && (text.match(/raftlab worker: \w+ Test/g) ?? []).length >= 2) {
        killed = true;
        doomed.child.kill('SIGKILL');
      }
    }, { TMPDIR: scratch });
    const survivor = raftlab(['worker', '--queue', url, '--parallel', '1', '--lock-seconds', '2'], work, undefined, { TMPDIR: scratch });
    const queued = await raftlab(['grade', klass, ...args, '--out', path.join(work, 'queued'), '--queue', url], work).done;
    assert.equal(queued.status, 0, queued.stdout + queued.stderr);
    assert.ok(killed, 'a worker was killed mid-job');
    assert.deepEqual(verdicts(path.join(work, 'queued', 'report.json')), verdicts(path.join(work, 'local', 'report.json')));
    assert.equal(readFileSync(path.join(work, 'queued', 'report.csv'), 'utf8'), readFileSync(path.join(work, 'local', 'report.csv'), 'utf8'));
    for (const student of ['alice', 'bob', 'carol']) {
      const junit = readFileSync(path.join(work, 'local', 'junit', `${student}.xml`), 'utf8');
      assert.deepEqual(junitProblems(junit), [], `${student}.xml`);
      assert.equal(readFileSync(path.join(work, 'queued', 'junit', `${student}.xml`), 'utf8'), junit, 'the same JUnit from the queue');
    }
    // Every (submission, test, seed) once, though a job ran twice.
    const lines = readFileSync(path.join(work, 'queued', 'results.ndjson'), 'utf8').trim().split('\n');
    assert.equal(lines.length, 3 * 3 * 4);
    survivor.child.kill('SIGTERM');
    await survivor.done;
    assert.deepEqual(readdirSync(scratch), [], 'no temporary folder left');
  });

  it('a submission that reads another’s folder, or looks for the queue, fails its own runs with a clear message', async () => {
    const klass = makeClass();
    const work = temp('work');
    const baseline = await raftlab(['grade', klass, '--tests', 'TestInitialElection2A', '--count', '2', '--out', path.join(work, 'baseline')], work).done;
    assert.equal(baseline.status, 0, baseline.stderr);
    mkdirSync(path.join(klass, 'mallory'));
    writeFileSync(
      path.join(klass, 'mallory', 'index.ts'),
      `import { readFileSync } from 'node:fs';\nexport const make = () => {\n  const code = readFileSync(${JSON.stringify(path.join(klass, 'alice', 'raft.ts'))}, 'utf8');\n  throw new Error('copied ' + code.length + ' bytes');\n};\n`,
    );
    mkdirSync(path.join(klass, 'oscar'));
    writeFileSync(
      path.join(klass, 'oscar', 'index.ts'),
      "export const make = () => {\n  const url = Object.values(process.env).find((v) => /redis:/.test(v ?? ''));\n  if (!url) throw new Error('no queue address in this process environment');\n  throw new Error('found the queue at ' + url);\n};\n",
    );
    const r = await raftlab(['grade', klass, '--tests', 'TestInitialElection2A', '--count', '2', '--out', path.join(work, 'with'), '--parallel', '2'], work, undefined).done;
    assert.equal(r.status, 0, r.stderr);
    const results = readFileSync(path.join(work, 'with', 'results.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { submission: string; status: string; errorCode?: string; message?: string });
    const of = (who: string) => results.filter((x) => x.submission === who);
    assert.ok(of('mallory').every((x) => x.status === 'error' && x.errorCode === 'PERMISSION_DENIED' && /reached outside its own files/.test(x.message ?? '')), JSON.stringify(of('mallory')));
    assert.ok(of('oscar').every((x) => x.status === 'error' && /no queue address in this process environment/.test(x.message ?? '')), JSON.stringify(of('oscar')));
    // The others' verdicts are what they were without them.
    const report = verdicts(path.join(work, 'with', 'report.json')) as { students: Array<{ id: string }> };
    const before = verdicts(path.join(work, 'baseline', 'report.json')) as { students: Array<{ id: string }> };
    assert.deepEqual(report.students.filter((s) => ['alice', 'bob', 'carol'].includes(s.id)), before.students);
  });
});

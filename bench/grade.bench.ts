/**
 * Grading through BullMQ against this machine's pool: a class of three copies of the reference, 2A × 20 seeds (180
 * runs), graded locally (parallel 1 and 2) and on 1 and 2 `raftlab worker`s (parallel 1 each). Wall time gives runs per
 * second and the speed-up from one worker to two; the CPU of the whole process tree (every process is waited for, so
 * /proc/self/stat's reaped-children times hold it all) gives what the queue costs per run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../', import.meta.url));
const bin = path.join(repo, 'bin', 'raftlab.js');
const ticks = 100; // USER_HZ on Linux

function childCpuSeconds(): number {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[13]) + Number(fields[14])) / ticks; // cutime + cstime
}

function run(args: string[]): Promise<number | null> {
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  const child = spawn(process.execPath, [bin, ...args], { stdio: 'ignore', env });
  return new Promise((resolve) => child.on('close', resolve));
}

const freePort = (): Promise<number> =>
  new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });

export default async function benchGrade(): Promise<void> {
  const work = mkdtempSync(path.join(os.tmpdir(), 'raftlab-bench-grade-'));
  const port = await freePort();
  const redis: ChildProcess = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const url = `redis://127.0.0.1:${port}`;
  try {
    await new Promise((r) => setTimeout(r, 300));
    const klass = path.join(work, 'class');
    for (const who of ['alice', 'bob', 'carol']) cpSync(path.join(repo, 'labs/raft'), path.join(klass, who), { recursive: true });
    // Each measurement grades other seeds: the queue would otherwise find the jobs done (a grade resumes by its ids).
    let seed = 1;
    const args = (out: string): string[] => ['grade', klass, '--tests', '2A', '--count', '20', '--seed', String((seed += 1000)), '--out', path.join(work, out)];
    const runs = 3 * 3 * 20;
    const rows: Array<Record<string, string | number>> = [];
    const measure = async (name: string, go: () => Promise<void>): Promise<{ wallS: number; cpuS: number }> => {
      const cpu0 = childCpuSeconds();
      const t0 = performance.now();
      await go();
      const wallS = (performance.now() - t0) / 1000;
      const cpuS = childCpuSeconds() - cpu0;
      rows.push({ how: name, runs, 'wall (s)': Number(wallS.toFixed(1)), 'runs / s': Number((runs / wallS).toFixed(1)), 'CPU (s)': Number(cpuS.toFixed(1)), 'CPU ms / run': Math.round((cpuS * 1000) / runs) });
      return { wallS, cpuS };
    };
    const onWorkers = (n: number, out: string) => async (): Promise<void> => {
      const workers = Array.from({ length: n }, () => spawn(process.execPath, [bin, 'worker', '--queue', url, '--parallel', '1'], { stdio: 'ignore', env: { ...process.env, NODE_OPTIONS: '' } }));
      await run([...args(out), '--queue', url]);
      await Promise.all(workers.map((w) => new Promise((r) => (w.once('close', r), w.kill('SIGTERM')))));
    };
    const local1 = await measure('this machine, parallel 1', async () => void (await run([...args('local1'), '--parallel', '1'])));
    await measure('this machine, parallel 2', async () => void (await run([...args('local2'), '--parallel', '2'])));
    const one = await measure('1 worker (parallel 1)', onWorkers(1, 'q1'));
    const two = await measure('2 workers (parallel 1 each)', onWorkers(2, 'q2'));
    console.log('\ngrade: a class of 3 × 2A × 20 seeds, locally and on BullMQ workers (Redis on 127.0.0.1)');
    console.table(rows);
    console.log(`queue overhead per run against the local pool (1 worker vs parallel 1): ${Math.round(((one.cpuS - local1.cpuS) * 1000) / runs)} ms CPU, ${Math.round(((one.wallS - local1.wallS) * 1000) / runs)} ms wall; speed-up from 1 worker to 2: ${(one.wallS / two.wallS).toFixed(2)}x (2 cores)`);
  } finally {
    redis.kill('SIGKILL');
    rmSync(work, { recursive: true, force: true });
  }
}

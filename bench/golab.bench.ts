/**
 * Go labs: what raftlab adds to each run of the course's Go tester. The fixture module's passing test
 * (test/fixtures/go, TestInitialElection2A: about 0.25 s of elections) is run over and over at parallel 1, by hand
 * (the cached test binary spawned with the arguments raftlab gives it, its output read and dropped) and through
 * raftlab's pool (the same binary, its output read into a run record, a trace written for every run or for none), in
 * alternating rounds so the machine's noise falls on both. Then the build (cold for raftlab's cache, Go's own build
 * cache warm; cached), and how fast raftlab reads a verbose run's lines.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { GoOutput } from '../src/golab/index.ts';
import { runBatch } from '../src/runner/batch.ts';
import { prepareGoImpl, type PreparedGoImpl } from '../src/runner/impl.ts';

const repo = fileURLToPath(new URL('../', import.meta.url));
const raftDir = path.join(repo, 'test', 'fixtures', 'go', 'src', 'raft');
const testId = 'TestInitialElection2A';

function byHand(prepared: PreparedGoImpl, traced: boolean): Promise<number> {
  const started = performance.now();
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, ...(traced ? { VERBOSE: '1', RAFTLAB_TRACE: '1' } : {}) };
  const child = spawn(prepared.ref.binary, ['-test.run', `^${testId}$`, '-test.v', '-test.count=1', '-test.timeout=0'], { cwd: raftDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.resume();
  child.stderr.resume();
  return new Promise((resolve, reject) =>
    child.on('close', (code) => (code === 0 ? resolve(performance.now() - started) : reject(new Error(`${testId} exited ${code}`)))),
  );
}

async function throughRaftlab(prepared: PreparedGoImpl, count: number, keep: 'all' | 'none', dir: string): Promise<{ perRunMs: number; cpuMs: number }> {
  const cpu = process.cpuUsage();
  const batch = await runBatch({
    tests: [{ id: testId }],
    count,
    baseSeed: 1,
    mode: 'real',
    implDir: raftDir,
    prepared,
    parallel: 1,
    ...(keep === 'all' ? { trace: { keep: 'all', dir } } : {}),
  });
  if (batch.failed) throw new Error(`${batch.failed} runs failed: ${batch.records.find((r) => r.status !== 'pass')?.message}`);
  const used = process.cpuUsage(cpu);
  return { perRunMs: batch.wallMs / count, cpuMs: (used.user + used.system) / 1000 / count };
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

/** A verbose run's output: debug lines and raftlab_trace.go lines, as a student's Raft prints them. */
function readLines(lines: number): number {
  const out = new GoOutput(testId, { packageDir: raftDir, moduleDir: path.dirname(raftDir), modulePath: '6.824' }, undefined);
  const started = performance.now();
  for (let i = 0; i < lines; i++) {
    const t = (i / 10).toFixed(0).padStart(6, '0');
    if (i % 2) out.push('stderr', `${t} LOG1 S${i % 3} appended 1 entries after ${i} from S0`, i / 100);
    else out.push('stderr', `@raftlab {"args":{"Entries":[],"LeaderCommit":${i},"LeaderId":0,"PrevLogIndex":${i},"PrevLogTerm":1,"Term":1},"bytes":189,"kind":"send","method":"Raft.AppendEntries","node":0,"rpc":${i},"t":${i / 10},"term":1,"to":${1 + (i % 2)}}`, i / 100);
  }
  out.events({ status: 'pass', atMs: lines });
  return lines / ((performance.now() - started) / 1000);
}

export default async function benchGolab(): Promise<void> {
  console.log(`\ngolab: a Go lab's runs (the fixture's ${testId}, parallel 1), by hand and through raftlab`);
  const temp = mkdtempSync(path.join(os.tmpdir(), 'raftlab-bench-go-'));
  const savedCache = process.env.RAFTLAB_CACHE;
  try {
    process.env.RAFTLAB_CACHE = path.join(temp, 'cache');
    let t0 = performance.now();
    const cold = await prepareGoImpl(raftDir);
    const coldMs = performance.now() - t0;
    t0 = performance.now();
    await prepareGoImpl(raftDir);
    const cachedMs = performance.now() - t0;
    t0 = performance.now();
    await prepareGoImpl(raftDir, { race: true });
    const raceMs = performance.now() - t0;
    console.table([
      { build: 'go test -c (raftlab cache cold, Go build cache warm)', ms: Math.round(coldMs) },
      { build: 'go test -c -race (the same)', ms: Math.round(raceMs) },
      { build: 'cached (sources hashed, binary found)', ms: Math.round(cachedMs) },
    ]);

    const rounds = 4;
    const perRound = 10;
    const hand: number[] = [];
    const handQuiet: number[] = [];
    const pool: number[] = [];
    const poolTraced: number[] = [];
    const cpu: number[] = [];
    const cpuTraced: number[] = [];
    await byHand(cold, true); // warm the page cache
    for (let r = 0; r < rounds; r++) {
      for (let i = 0; i < perRound; i++) hand.push(await byHand(cold, true));
      for (let i = 0; i < perRound; i++) handQuiet.push(await byHand(cold, false));
      const plain = await throughRaftlab(cold, perRound, 'none', temp);
      pool.push(plain.perRunMs);
      cpu.push(plain.cpuMs);
      const traced = await throughRaftlab(cold, perRound, 'all', path.join(temp, 'traces'));
      poolTraced.push(traced.perRunMs);
      cpuTraced.push(traced.cpuMs);
    }
    const base = mean(hand);
    console.table([
      { how: 'by hand: the binary, VERBOSE=1 RAFTLAB_TRACE=1, output dropped', runs: hand.length, 'wall / run (ms)': Math.round(base), overhead: '' },
      { how: 'by hand: the binary, quiet (as plain go test)', runs: handQuiet.length, 'wall / run (ms)': Math.round(mean(handQuiet)), overhead: '' },
      { how: "raftlab's pool: run record, no trace", runs: pool.length * perRound, 'wall / run (ms)': Math.round(mean(pool)), overhead: `${(mean(pool) - base).toFixed(1)} ms (${(((mean(pool) - base) / base) * 100).toFixed(1)} %), raftlab CPU ${mean(cpu).toFixed(1)} ms` },
      { how: "raftlab's pool: and a trace kept for every run", runs: poolTraced.length * perRound, 'wall / run (ms)': Math.round(mean(poolTraced)), overhead: `${(mean(poolTraced) - base).toFixed(1)} ms (${(((mean(poolTraced) - base) / base) * 100).toFixed(1)} %), raftlab CPU ${mean(cpuTraced).toFixed(1)} ms` },
    ]);
    console.log(`reading a verbose run's output (debug and raftlab_trace.go lines, into a record and trace events): ${Math.round(readLines(200_000)).toLocaleString('en')} lines / s`);
  } finally {
    if (savedCache === undefined) delete process.env.RAFTLAB_CACHE;
    else process.env.RAFTLAB_CACHE = savedCache;
    rmSync(temp, { recursive: true, force: true });
  }
}

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { allTests, referenceImplDir, selectTests } from '../src/harness/tester/index.ts';
import { runBatch } from '../src/runner/batch.ts';

const root = fileURLToPath(new URL('../', import.meta.url));

async function runsPerSecond(pattern: string, count: number, parallel: number) {
  const tests = selectTests(pattern);
  const batch = await runBatch({ tests, count, baseSeed: 1, mode: 'sim', implDir: referenceImplDir, parallel });
  return { runs: batch.records.length, failed: batch.failed, wallS: batch.wallMs / 1000, perS: batch.records.length / (batch.wallMs / 1000) };
}

/**
 * Peak resident memory of a process that runs one test traced, against an idle one: every event kept in memory (as
 * one process that checks or shows the trace afterwards does), or each written out and dropped, as a run process does
 * (it keeps them all only for --check).
 */
function peakMemoryMb(testId: string, keep: boolean): { idleMb: number; runMb: number } {
  const script = (run: boolean) => `
    const { findTest, loadImplementation, runTest } = await import('./src/harness/tester/index.ts');
    const { createTraceRecorder } = await import('./src/trace/recorder.ts');
    if (${run}) {
      const { make, describeState } = await loadImplementation();
      const recorder = createTraceRecorder({ keep: ${keep}, onEvent: (e) => { JSON.stringify(e); } });
      const r = await runTest(findTest('${testId}'), { mode: 'sim', seed: 1, make, describeState, ...recorder.options });
      if (r.status !== 'pass') throw new Error(r.message);
    }
    // VmHWM: the peak of this process's own memory. getrusage's maxRSS also counts the parent's memory at the fork
    // that spawned us (Linux keeps the pre-exec image's high-water mark), which is not ours.
    const { readFileSync } = await import('node:fs');
    const hwm = /VmHWM:\\s+(\\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    console.log(hwm ? Number(hwm[1]) : process.resourceUsage().maxRSS);`;
  const measure = (run: boolean): number => {
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script(run)], { cwd: root, encoding: 'utf8' });
    if (child.status !== 0) throw new Error(child.stderr);
    return Number(child.stdout.trim()) / 1024;
  };
  // The first process may transpile changed sources into tsx's cache, which costs memory a worker never pays: warm it.
  measure(false);
  return { idleMb: measure(false), runMb: measure(true) };
}

export default async function benchRunner(): Promise<void> {
  console.log('\nrunner: sim runs per second through the worker pool (reference Raft, no history)');
  const rows = [];
  for (const parallel of [1, 2]) {
    const twoA = await runsPerSecond('2A', 100, parallel);
    rows.push({ batch: '2A x 100 seeds', parallel, runs: twoA.runs, failed: twoA.failed, 'wall (s)': Number(twoA.wallS.toFixed(1)), 'runs / s': Math.round(twoA.perS) });
    const suite = await runsPerSecond('', 5, parallel);
    rows.push({ batch: 'all 24 x 5 seeds', parallel, runs: suite.runs, failed: suite.failed, 'wall (s)': Number(suite.wallS.toFixed(1)), 'runs / s': Number(suite.perS.toFixed(1)) });
    if (parallel === 2) {
      const minutes = (1000 * allTests.length) / suite.perS / 60;
      console.log(`projected: 1000 seeds of the full suite at parallel 2 = ${minutes.toFixed(1)} min (target <= 30 min)`);
    }
  }
  console.table(rows);

  // What a run's trace costs a sweep: `raftlab run` traces every run by default (--keep failed), to keep the failed ones.
  // Beside the reference, a Raft written the way most students write it (gostyle: the log an array of entry objects,
  // saved whole on every change), whose saves the trace reads one by one.
  console.log('\nrunner: what tracing costs a sweep (sim, parallel 1; the three batches alternated, best of 2): --keep failed, the default, traces only the runs that fail (by running their seed again); --keep all traces every run');
  const tracedDir = mkdtempSync(path.join(tmpdir(), 'raftlab-bench-traced-'));
  const gostyleDir = path.join(root, 'labs/corpus/gostyle');
  try {
    const costRows = [];
    const batches = [
      ['reference', referenceImplDir, 'TestFigure8Unreliable2C', 20],
      ['reference', referenceImplDir, 'TestReliableChurn2C', 4],
      ['reference', referenceImplDir, '', 1],
      ['corpus/gostyle', gostyleDir, 'TestReliableChurn2C', 1],
      ['corpus/gostyle', gostyleDir, '', 1],
    ] as const;
    for (const [raft, implDir, pattern, count] of batches) {
      const tests = selectTests(pattern);
      const wallS = { none: Infinity, failed: Infinity, all: Infinity };
      for (let i = 0; i < 2; i++) {
        for (const keep of ['none', 'failed', 'all'] as const) {
          const batch = await runBatch({ tests, count, baseSeed: 1, mode: 'sim', implDir, parallel: 1, ...(keep !== 'none' ? { trace: { keep, dir: tracedDir } } : {}) });
          wallS[keep] = Math.min(wallS[keep], batch.wallMs / 1000);
        }
      }
      costRows.push({
        raft,
        batch: `${pattern || 'all 24'} x ${count}`,
        'untraced (s)': Number(wallS.none.toFixed(2)),
        '--keep failed (s)': Number(wallS.failed.toFixed(2)),
        '--keep all (s)': Number(wallS.all.toFixed(2)),
        'failed / untraced': Number((wallS.failed / wallS.none).toFixed(2)),
        'all / untraced': Number((wallS.all / wallS.none).toFixed(2)),
      });
    }
    console.table(costRows);
  } finally {
    rmSync(tracedDir, { recursive: true, force: true });
  }

  console.log('\nrunner: trace size per run (seed 1, sim, every run kept)');
  const dir = mkdtempSync(path.join(tmpdir(), 'raftlab-bench-traces-'));
  try {
    const batch = await runBatch({ tests: allTests, count: 1, baseSeed: 1, mode: 'sim', implDir: referenceImplDir, parallel: 2, trace: { keep: 'all', dir } });
    const sizes = readdirSync(dir).map((f) => ({ f, bytes: statSync(path.join(dir, f)).size }));
    console.table(
      batch.records.map((r) => ({
        test: r.id,
        'trace (KB, gzip)': Number(((sizes.find((s) => s.f.startsWith(`${r.id}-`))?.bytes ?? 0) / 1024).toFixed(1)),
      })),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  console.log('\nrunner: peak memory of one traced run of the heaviest tests (process peak RSS, VmHWM)');
  console.table(
    ['TestFigure8Unreliable2C', 'TestReliableChurn2C'].flatMap((id) =>
      [true, false].map((keep) => {
        const { idleMb, runMb } = peakMemoryMb(id, keep);
        return { test: id, events: keep ? 'all kept' : 'written out', 'idle process (MB)': Math.round(idleMb), 'with the run (MB)': Math.round(runMb), 'run adds (MB)': Math.round(runMb - idleMb) };
      }),
    ),
  );
}

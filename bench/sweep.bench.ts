/**
 * A long sweep as a student runs one: `raftlab run 2A --count 8000` (24 000 runs) with the history on, measured in
 * windows of 1 000 runs. Two figures: throughput at the end against the start (an O(runs) cost per run would show as
 * a falling rate), and how the parent's memory grows per 1 000 runs (what it keeps of each run).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { referenceImplDir, selectTests } from '../src/harness/tester/index.ts';
import { runBatch } from '../src/runner/batch.ts';
import { History } from '../src/runner/history.ts';

export default async function benchSweep(): Promise<void> {
  const runsTotal = Number(process.env.RAFTLAB_SWEEP_RUNS ?? 24_000);
  const tests = selectTests('2A');
  const count = Math.ceil(runsTotal / tests.length);
  const data = mkdtempSync(path.join(tmpdir(), 'raftlab-bench-sweep-'));
  const window = 1_000;
  const marks: Array<{ runs: number; atMs: number; rssMb: number; heapMb: number }> = [];
  try {
    const history = new History(data);
    const recorder = history.startBatch({ pattern: '2A', tests: tests.map((t) => t.id), mode: 'sim', baseSeed: 1, count, parallel: 2, implDir: referenceImplDir, argv: ['bench'] });
    let done = 0;
    const started = performance.now();
    const batch = await runBatch({
      tests,
      count,
      baseSeed: 1,
      mode: 'sim',
      implDir: referenceImplDir,
      parallel: 2,
      trace: { keep: 'failed', dir: path.join(data, 'traces') },
      onRun: (record) => {
        recorder.recordRun(record);
        if (++done % window === 0) {
          (globalThis as { gc?: () => void }).gc?.();
          const m = process.memoryUsage();
          marks.push({ runs: done, atMs: performance.now() - started, rssMb: m.rss / 2 ** 20, heapMb: m.heapUsed / 2 ** 20 });
        }
      },
    });
    recorder.finish({ runs: batch.records.length, failed: batch.failed, wallMs: batch.wallMs, stopped: false });
    const rates = marks.slice(1).map((m, i) => ({ runs: m.runs, perS: window / ((m.atMs - marks[i]!.atMs) / 1000), rssMb: m.rssMb, heapMb: m.heapMb }));
    // The first window pays for start-up; "start" is the next two, "end" the last two.
    const avg = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
    const start = avg(rates.slice(0, 2).map((r) => r.perS));
    const end = avg(rates.slice(-2).map((r) => r.perS));
    // Memory growth per 1 000 runs: a least-squares slope over the second half (after the heap has settled).
    const half = rates.slice(Math.floor(rates.length / 2));
    const slope = (ys: number[]): number => {
      const xs = half.map((r) => r.runs / window);
      const mx = avg(xs);
      const my = avg(ys);
      return xs.reduce((s, x, i) => s + (x - mx) * (ys[i]! - my), 0) / xs.reduce((s, x) => s + (x - mx) ** 2, 0);
    };
    console.log(`\nsweep: ${batch.records.length} runs of 2A at parallel 2, history on, ${batch.failed} failed, ${(batch.wallMs / 1000).toFixed(0)} s`);
    console.table([
      { figure: 'runs / s, start (runs 1 000-3 000)', value: Math.round(start), target: '' },
      { figure: 'runs / s, end (last 2 000 runs)', value: Math.round(end), target: '' },
      { figure: 'end / start', value: Number((end / start).toFixed(2)), target: '>= 0.90' },
      { figure: 'parent RSS growth, MB per 1 000 runs (second half)', value: Number(slope(half.map((r) => r.rssMb)).toFixed(2)), target: '<= 2' },
      { figure: 'parent heap growth, MB per 1 000 runs (second half)', value: Number(slope(half.map((r) => r.heapMb)).toFixed(2)), target: '' },
    ]);
  } finally {
    rmSync(data, { recursive: true, force: true });
  }
}

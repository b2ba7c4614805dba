/**
 * `npm run bench`: prints tables. Speed targets are checked here, as ratios within one run, never by timed
 * assertions in tests (the machines are shared and noisy).
 */
import benchCodec from './codec.bench.ts';
import benchLabrpc from './labrpc.bench.ts';
import benchPersister from './persister.bench.ts';
import benchRunner from './runner.bench.ts';
import benchSweep from './sweep.bench.ts';
import benchGrade from './grade.bench.ts';
import benchGolab from './golab.bench.ts';
import benchTraceViewer from './trace-viewer.bench.ts';
import benchTargets from './targets.bench.ts';
import { benchScheduler, benchSuiteReal, benchSuiteSim } from './suite.bench.ts';

const benches: Record<string, () => Promise<void>> = {
  codec: benchCodec,
  labrpc: benchLabrpc,
  persister: benchPersister,
  'suite-sim': benchSuiteSim,
  scheduler: benchScheduler,
  runner: benchRunner,
  // About 3 minutes: 24 000 runs.
  sweep: benchSweep,
  grade: benchGrade,
  golab: benchGolab,
  'trace-viewer': benchTraceViewer,
  // About 5 minutes: the speed and memory targets, each beside its baseline (two real-clock runs of 2A+2B).
  targets: benchTargets,
  // About 7 minutes: the real clock runs every test's sleeps for real.
  'suite-real': benchSuiteReal,
};

// `npm run bench -- codec suite-sim` runs only those; no names runs them all.
const only = process.argv.slice(2);
for (const name of only) {
  if (!(name in benches)) {
    console.error(`unknown benchmark '${name}'; known: ${Object.keys(benches).join(', ')}`);
    process.exit(2);
  }
}
console.log(`raftlab benchmarks — node ${process.version}, ${process.platform}/${process.arch}`);
for (const [name, run] of Object.entries(benches)) {
  if (only.length === 0 || only.includes(name)) await run();
}

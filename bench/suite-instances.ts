/**
 * The whole sim suite in this one process, seed 1, with the implementation's module either imported once and shared
 * by every test (`shared`) or imported afresh for every test (`fresh`), as a run process does to keep one run's
 * module-level state from the next. Prints {"cpuS", "wallS"} of the suite alone. Spawned by targets.bench.ts, which
 * alternates the two and compares them.
 */
import { performance } from 'node:perf_hooks';
import { importBuilt } from '../src/harness/loader/load.ts';
import { allTests, loadImplementation, runTest } from '../src/harness/tester/index.ts';

const how = process.argv[2];
if (how !== 'shared' && how !== 'fresh') throw new Error(`usage: suite-instances.ts shared|fresh, got ${how}`);
const loaded = await loadImplementation();
const cpu0 = process.cpuUsage();
const t0 = performance.now();
for (const [i, test] of allTests.entries()) {
  const make = how === 'shared' ? loaded.make : (await importBuilt(loaded.built.file, `bench-${i}`)).make;
  const r = await runTest(test, { mode: 'sim', seed: 1, make });
  if (r.status !== 'pass') throw new Error(`${test.id} did not pass (${r.status})`);
}
const cpu = process.cpuUsage(cpu0);
console.log(JSON.stringify({ cpuS: (cpu.user + cpu.system) / 1e6, wallS: (performance.now() - t0) / 1000 }));

import { performance } from 'node:perf_hooks';
import { allTests, loadImplementation, runTest, selectTests, type RaftTest } from '../src/harness/tester/index.ts';
import type { ClockMode } from '../src/harness/runtime/index.ts';

/**
 * Spec §8: seconds per test from the Passed lines of the course's 2021 lab page ("lab sample"; 2022 page where
 * 2021 shows none) and of one run of a finished Go implementation on this kind of machine ("Go impl").
 */
const goReference: Record<string, { labSample: number; goImpl: number }> = {
  TestInitialElection2A: { labSample: 4.0, goImpl: 4.0 },
  TestReElection2A: { labSample: 6.1, goImpl: 7.0 },
  TestManyElections2A: { labSample: 7.3, goImpl: 7.4 },
  TestBasicAgree2B: { labSample: 1.6, goImpl: 1.7 },
  TestRPCBytes2B: { labSample: 3.3, goImpl: 2.4 },
  TestFailAgree2B: { labSample: 6.3, goImpl: 5.9 },
  TestFailNoAgree2B: { labSample: 4.9, goImpl: 4.7 },
  TestConcurrentStarts2B: { labSample: 2.1, goImpl: 1.6 },
  TestRejoin2B: { labSample: 8.1, goImpl: 5.9 },
  TestBackup2B: { labSample: 28.6, goImpl: 19.3 },
  TestCount2B: { labSample: 3.4, goImpl: 3.0 },
  TestPersist12C: { labSample: 7.2, goImpl: 7.3 },
  TestPersist22C: { labSample: 23.2, goImpl: 23.6 },
  TestPersist32C: { labSample: 3.2, goImpl: 3.2 },
  TestFigure82C: { labSample: 35.1, goImpl: 33.9 },
  TestUnreliableAgree2C: { labSample: 4.2, goImpl: 2.5 },
  TestFigure8Unreliable2C: { labSample: 36.3, goImpl: 30.2 },
  TestReliableChurn2C: { labSample: 16.6, goImpl: 17.0 },
  TestUnreliableChurn2C: { labSample: 16.5, goImpl: 16.6 },
  TestSnapshotBasic2D: { labSample: 11.6, goImpl: 3.4 },
  TestSnapshotInstall2D: { labSample: 64.2, goImpl: 56.2 },
  TestSnapshotInstallUnreliable2D: { labSample: 81.1, goImpl: 57.3 },
  TestSnapshotInstallCrash2D: { labSample: 53.5, goImpl: 44.0 },
  TestSnapshotInstallUnCrash2D: { labSample: 63.5, goImpl: 53.1 },
};
/** The Go implementation's whole run (spec §8): `time` reported 411 s real, 9.9 s user + 2.4 s sys. */
const goSuite = { wallS: 411.4, cpuS: 9.9 + 2.4 };

interface SuiteRun {
  rows: Array<{ test: string; status: string; testS: number; wallS: number }>;
  wallS: number;
  cpuS: number;
}

async function runSuite(tests: readonly RaftTest[], mode: ClockMode, seed: number, interleave?: number, implDir?: string): Promise<SuiteRun> {
  const { make } = await loadImplementation(implDir);
  const rows: SuiteRun['rows'] = [];
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (const test of tests) {
    const r = await runTest(test, { mode, seed, make, ...(interleave === undefined ? {} : { chaos: { interleave } }) });
    rows.push({ test: test.id, status: r.status, testS: r.testMs / 1000, wallS: r.wallMs / 1000 });
  }
  const cpu = process.cpuUsage(cpu0);
  return { rows, wallS: (performance.now() - t0) / 1000, cpuS: (cpu.user + cpu.system) / 1e6 };
}

const fixed = (x: number, digits = 1) => Number(x.toFixed(digits));

/** The whole suite on the simulated clock: wall time per test and in total (targets: 2A+2B < 1 s, all 24 ≤ 3 s). */
export async function benchSuiteSim(): Promise<void> {
  await runSuite(selectTests('^TestInitialElection2A$'), 'sim', 1); // warm up module loading and the JIT
  const seeds = [1, 2, 3];
  const perSeed: SuiteRun[] = [];
  for (const seed of seeds) perSeed.push(await runSuite(allTests, 'sim', seed));
  const rows = allTests.map((test, i) => ({
    test: test.id,
    'virtual (s)': fixed(perSeed[0]!.rows[i]!.testS),
    'wall (ms), mean of 3 seeds': Math.round((perSeed.reduce((sum, run) => sum + run.rows[i]!.wallS, 0) / seeds.length) * 1000),
    failures: perSeed.filter((run) => run.rows[i]!.status !== 'pass').length,
  }));
  console.log('\nthe 24 graded tests, sim clock, reference Raft');
  console.table(rows);
  const sum = (run: SuiteRun, part: RegExp) => run.rows.filter((r) => part.test(r.test)).reduce((s, r) => s + r.wallS, 0);
  console.table(
    perSeed.map((run, i) => ({
      seed: seeds[i],
      '2A+2B wall (s)': fixed(sum(run, /2[AB]$/), 3),
      'all 24 wall (s)': fixed(run.wallS, 3),
      'all 24 CPU (s)': fixed(run.cpuS, 3),
      'virtual (s)': fixed(run.rows.reduce((s, r) => s + r.testS, 0)),
    })),
  );
}

/**
 * What the scheduler costs: the whole suite, seeds 1–3, with the scheduler off (interleave 0: raftlab's runs before it
 * had one) and at the default level, alternating so that the machine's load falls on both alike (target: ≤ 1.2×).
 * The runs differ (the scheduler changes what happens), so this is the cost of the runs raftlab now makes.
 */
export async function benchScheduler(): Promise<void> {
  await runSuite(selectTests('^TestInitialElection2A$'), 'sim', 1);
  const rows: Array<Record<string, string | number>> = [];
  const totals = { off: { wallS: 0, cpuS: 0 }, on: { wallS: 0, cpuS: 0 } };
  for (const implDir of [undefined, 'labs/corpus/gostyle']) {
    for (let round = 0; round < 2; round++) {
      for (const [name, level] of [['off', 0], ['on', 1]] as const) {
        let wallS = 0;
        let cpuS = 0;
        for (const seed of [1, 2, 3]) {
          const run = await runSuite(allTests, 'sim', seed, level, implDir);
          wallS += run.wallS;
          cpuS += run.cpuS;
        }
        if (!implDir) {
          totals[name].wallS += wallS;
          totals[name].cpuS += cpuS;
        }
        rows.push({ impl: implDir ?? 'labs/raft', round: round + 1, scheduler: name === 'off' ? 'off (interleave=0)' : 'default (1)', 'all 24 × 3 seeds wall (s)': fixed(wallS, 2), 'CPU (s)': fixed(cpuS, 2) });
      }
    }
  }
  console.log('\nthe scheduler: the 24 tests, sim clock, seeds 1–3, off and on');
  console.table(rows);
  console.table([{ 'reference, wall on/off': fixed(totals.on.wallS / totals.off.wallS, 2), 'CPU on/off': fixed(totals.on.cpuS / totals.off.cpuS, 2) }]);
}

/** The whole suite on the real clock, as the course grades, beside the Go figures (targets: ≤ 1.0× wall and CPU). */
export async function benchSuiteReal(): Promise<void> {
  const run = await runSuite(allTests, 'real', 1);
  console.log('\nthe 24 graded tests, real clock, reference Raft (one run, seed 1)');
  console.table(
    run.rows.map((r) => ({
      test: r.test,
      status: r.status,
      'raftlab (s)': fixed(r.testS),
      'Go impl (s)': goReference[r.test]?.goImpl,
      'lab sample (s)': goReference[r.test]?.labSample,
    })),
  );
  console.table([
    { what: 'wall (s)', raftlab: fixed(run.wallS), 'Go impl': goSuite.wallS, ratio: fixed(run.wallS / goSuite.wallS, 2) },
    { what: 'process CPU, user+sys (s)', raftlab: fixed(run.cpuS), 'Go impl': goSuite.cpuS, ratio: fixed(run.cpuS / goSuite.cpuS, 2) },
  ]);
}

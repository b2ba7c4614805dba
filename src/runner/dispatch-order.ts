/**
 * The order `raftlab test --parallel` hands its runs to the pool. With one run process, the batch's own order
 * (batchTasks'): a run's lines can then be printed as they come. With more than one on the sim clock, each round of
 * the batch (one run of every test) goes out heaviest first, so that its longest run does not start last and leave
 * the other processes idle while it ends; a sim run's outcome does not depend on when, or beside what, it runs.
 */
import type { RunTask } from './types.ts';

/**
 * Each graded test's share of a whole sim suite's run time, in percent: the median over the reference and the four
 * corpus Rafts (labs/corpus) of its share in their suites, seeds 1 and 2 (measured 2026-12-04). Only the order of
 * dispatch reads it: a share that is wrong for some Raft costs time, never a result. A test not named here (a Go lab's
 * own) counts as the lightest.
 */
export const simSuiteSharePercent: Readonly<Record<string, number>> = {
  TestReliableChurn2C: 37.9,
  TestFigure8Unreliable2C: 10.5,
  TestUnreliableChurn2C: 6.1,
  TestBackup2B: 5.9,
  TestFigure82C: 4.7,
  TestSnapshotInstall2D: 3.4,
  TestUnreliableAgree2C: 3.4,
  TestPersist22C: 3.2,
  TestSnapshotInstallUnreliable2D: 2.9,
  TestSnapshotInstallUnCrash2D: 2.9,
  TestManyElections2A: 2.4,
  TestSnapshotInstallCrash2D: 2.3,
  TestRPCBytes2B: 1.4,
  TestInitialElection2A: 1.4,
  TestFailNoAgree2B: 1.0,
  TestRejoin2B: 1.0,
  TestPersist12C: 0.8,
  TestReElection2A: 0.8,
  TestSnapshotBasic2D: 0.7,
  TestFailAgree2B: 0.7,
  TestBasicAgree2B: 0.5,
  TestCount2B: 0.4,
  TestPersist32C: 0.2,
  TestConcurrentStarts2B: 0.2,
};

/**
 * The indexes of `tasks` in the order to run them. `round` tells which round of the batch a task belongs to (its
 * repetition): rounds go out one after another, so every test's count still grows with the others'.
 */
export function dispatchOrder(tasks: readonly Pick<RunTask, 'testId' | 'mode'>[], round: (index: number) => number, lanes: number): number[] {
  const indexes = tasks.map((_, i) => i);
  if (lanes <= 1) return indexes;
  const weight = (i: number): number => (tasks[i]!.mode === 'sim' ? (simSuiteSharePercent[tasks[i]!.testId] ?? 0) : 0);
  // Array.prototype.sort is stable: equal weights keep the batch's order.
  return indexes.sort((a, b) => round(a) - round(b) || weight(b) - weight(a));
}

import type { Rng } from '../runtime/index.ts';
import type { Config } from './config.ts';
import type { TestingT } from './failure.ts';

export type LabPart = '2A' | '2B' | '2C' | '2D';

/** What a test's body gets: the tester's helpers, as test_test.go sees them. */
export interface TestEnv {
  t: TestingT;
  /** make_config(t, n, unreliable, snapshot); the runner cleans every config up when the test ends. */
  makeConfig(n: number, unreliable: boolean, snapshot: boolean): Config;
  /** Go's math/rand, seeded from the run's seed. */
  random: Rng;
  sleep(ms: number): Promise<void>;
  /** Run-relative time in ms. */
  now(): number;
  /**
   * Start a concurrent task, like a goroutine in the Go test. If it fails (t.fatalf), the failure is recorded and
   * the test goes on, failing at its end; any other error fails the run. The promise never rejects.
   */
  go<T>(task: () => Promise<T>): Promise<T | undefined>;
}

/** A graded test, as plain data: the CLI, mocha and the app all read the same registry. */
export interface RaftTest {
  /** The Go test's name, e.g. `TestInitialElection2A`. */
  readonly id: string;
  readonly part: LabPart;
  /** The line begin() prints, e.g. `Test (2A): initial election`. */
  readonly description: string;
  readonly servers: number;
  readonly run: (env: TestEnv) => Promise<void>;
}

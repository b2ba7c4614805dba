/**
 * A test's verdict of failure, like Go's t.Fatalf: an expected outcome with the course's message, not a bug.
 * Anything else thrown during a test (the implementation threw, the harness broke) is an error, reported as such.
 */
export class TestFailure extends Error {
  readonly code = 'TEST_FAILED';
  /** Which check failed, named as config.go and test_test.go name it (checkOneLeader, one, applier, TestBackup2B…). */
  readonly site: string;
  constructor(message: string, site: string) {
    super(message);
    this.name = 'TestFailure';
    this.site = site;
  }
}

/** The slice of Go's testing.T the ported tests use. */
export interface TestingT {
  /**
   * Record the failure and stop the calling task (t.Fatalf). Called from a goroutine-like task (`env.go`), it stops
   * only that task: the test goes on, and fails at its end, as in Go. `site` names the check that failed (default:
   * the test itself).
   */
  fatalf(message: string, site?: string): never;
  /** Whether the test has failed (t.Failed). */
  failed(): boolean;
  /** A line of the test's output (fmt.Printf in the tests and config). */
  print(line: string): void;
  /** Every failure message recorded, in order (`go test` prints them all under `--- FAIL`). */
  readonly messages: readonly string[];
  /** Where each of them fired, in the same order. */
  readonly sites: readonly string[];
}

export function makeTestingT(print: (line: string) => void, testId = 'test'): TestingT {
  const messages: string[] = [];
  const sites: string[] = [];
  return {
    fatalf(message: string, site = testId): never {
      messages.push(message);
      sites.push(site);
      throw new TestFailure(message, site);
    },
    failed: () => messages.length > 0,
    print,
    messages,
    sites,
  };
}

/** Go's %v for the values the tests use: ints and strings print bare. */
export function fmtV(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === null || value === undefined) return '<nil>';
  if (typeof value === 'object') {
    try {
      return JSON.stringify(value);
    } catch {
      return String(value);
    }
  }
  return String(value);
}

/** Thrown when the implementation under test throws from one of its API methods. */
export class ImplementationError extends Error {
  readonly code = 'IMPL_THREW';
  constructor(message: string, cause?: unknown) {
    super(message, { cause });
    this.name = 'ImplementationError';
  }
}

/** Call into the implementation; if it throws, say which server and which call (a test's own failure passes). */
export function callNode<T>(i: number, what: string, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (error instanceof TestFailure) throw error;
    const message = error instanceof Error ? error.message : fmtV(error);
    throw new ImplementationError(`server ${i}: ${what} threw: ${message}`, error);
  }
}

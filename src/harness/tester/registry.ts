import { tests2A } from './tests/2a.ts';
import { tests2B } from './tests/2b.ts';
import { tests2C } from './tests/2c.ts';
import { tests2D } from './tests/2d.ts';
import type { RaftTest } from './types.ts';

/** Every graded test, in test_test.go's order. */
export const allTests: readonly RaftTest[] = Object.freeze([...tests2A, ...tests2B, ...tests2C, ...tests2D]);

export class TestSelectionError extends Error {
  readonly code: 'BAD_PATTERN' | 'NO_TEST_MATCHES';
  constructor(code: TestSelectionError['code'], message: string) {
    super(message);
    this.name = 'TestSelectionError';
    this.code = code;
  }
}

/** The tests whose ids match `pattern`, a regular expression searched anywhere in the id (like `go test -run`). */
export function selectTests(pattern: string | undefined, tests: readonly RaftTest[] = allTests): RaftTest[] {
  if (pattern === undefined || pattern === '') return [...tests];
  let re: RegExp;
  try {
    re = new RegExp(pattern);
  } catch (error) {
    throw new TestSelectionError('BAD_PATTERN', `'${pattern}' is not a valid regular expression: ${(error as Error).message}`);
  }
  const chosen = tests.filter((test) => re.test(test.id));
  if (chosen.length === 0) {
    throw new TestSelectionError(
      'NO_TEST_MATCHES',
      `no test matches '${pattern}'. Tests: ${tests.map((test) => test.id).join(', ')}`,
    );
  }
  return chosen;
}

export function findTest(id: string): RaftTest | undefined {
  return allTests.find((test) => test.id === id);
}

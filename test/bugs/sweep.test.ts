import assert from 'node:assert/strict';
import path from 'node:path';
import { checkTrace, invariants } from '../../src/checker/index.ts';
import { parseChaos } from '../../src/harness/chaos.ts';
import { loadImplementation, runTest, selectTests } from '../../src/harness/tester/index.ts';
import { bugsDir, listBugs, readBugAbout, type BugAbout } from '../../src/runner/bug-about.ts';
import { createTraceRecorder } from '../../src/trace/index.ts';

const bugs = listBugs();
const abouts = new Map<string, BugAbout>(bugs.map((name) => [name, readBugAbout(path.join(bugsDir, name))]));

describe('bug catalog: each bug is caught within the sweep it states', () => {
  it('has at least 12 planted bugs, each with a title and an explanation for the app', () => {
    assert.ok(bugs.length >= 12, `${bugs.length} bugs`);
    for (const [name, about] of abouts) assert.ok(about.title.length > 5 && about.explanation.length > 40, name);
  });

  for (const name of bugs) {
    it(`${name}`, async () => {
      const { tests, seeds, chaos, invariant } = abouts.get(name)!.catch;
      const { make, describeState } = await loadImplementation(path.join(bugsDir, name));
      let found: { id: string; seed: number; failed: boolean; invariants: string[] } | undefined;
      for (let seed = 1; seed <= seeds && !found; seed++) {
        for (const test of selectTests(tests)) {
          const recorder = createTraceRecorder();
          const r = await runTest(test, { mode: 'sim', seed, make, describeState, ...(chaos ? { chaos: parseChaos(chaos) } : {}), ...recorder.options });
          const named = checkTrace(recorder.events).violations.map((v) => v.invariant);
          const caught = invariant ? named.includes(invariant) : r.status !== 'pass';
          if (caught) {
            found = { id: test.id, seed, failed: r.status !== 'pass', invariants: named };
            break;
          }
        }
      }
      assert.ok(found, `${name} not caught by ${tests} within ${seeds} seeds${invariant ? ` (expected ${invariants[invariant].title})` : ''}`);
    });
  }
});

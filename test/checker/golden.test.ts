import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { checkTrace, invariants } from '../../src/checker/index.ts';
import { readTraceEvents, readTraceHeader, type TraceEvent } from '../../src/trace/index.ts';
import { sources, testdataDir, type Verdict } from './golden.ts';

/** The checker's verdict on a stored trace must not change; `npm run golden -- --verdicts` writes it after a deliberate change. */
describe('safety checker: golden traces (test/checker/testdata)', () => {
  for (const source of sources) {
    describe(source.name, () => {
      const dir = path.join(testdataDir, source.name);
      const verdictsFile = path.join(dir, 'verdicts.json');
      const stored = existsSync(verdictsFile) ? (JSON.parse(readFileSync(verdictsFile, 'utf8')) as Record<string, Verdict>) : {};

      it('is recorded: one verdict for each stored trace', () => {
        assert.ok(existsSync(verdictsFile), `no golden traces for ${source.name}: npm run golden -- ${source.name}`);
        const traces = readdirSync(dir).filter((f) => f.endsWith('.trace.gz')).sort();
        assert.deepEqual(Object.keys(stored).sort(), traces);
        assert.ok(traces.length > 0);
      });

      for (const [file, verdict] of Object.entries(stored)) {
        it(`${file}: ${'clean' in source.expect ? 'no violation' : invariants[source.expect.invariant].title}, verdict unchanged`, async () => {
          const trace = path.join(dir, file);
          const header = await readTraceHeader(trace);
          assert.equal(header.test, verdict.test);
          const events: TraceEvent[] = [];
          for await (const e of readTraceEvents(trace)) events.push(e);
          const { violations, skipped } = checkTrace(events);
          if ('clean' in source.expect) {
            assert.deepEqual(violations, [], `a correct Raft flagged: ${violations[0]?.message}`);
            assert.deepEqual([...new Set(skipped.map((s) => s.invariant))].sort(), [...(source.expect.skipped ?? [])].sort());
          } else {
            const first = violations.find((v) => v.invariant === (source.expect as { invariant: string }).invariant);
            assert.ok(first, `${source.name}: ${invariants[source.expect.invariant].title} not named`);
            assert.ok(events[first.eventIndex], 'the violation names an event of the trace');
          }
          assert.deepEqual({ violations, skipped }, { violations: verdict.violations, skipped: verdict.skipped }, 'the verdict changed: npm run golden -- --verdicts if on purpose');
        });
      }
    });
  }
});

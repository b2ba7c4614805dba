/**
 * `npm run golden`: records the safety checker's golden traces (test/checker/golden.ts says which) into
 * test/checker/testdata/<source>/, each a trace file as `raftlab run --keep all` writes it, with the checker's
 * verdict on each in verdicts.json. test/checker/golden.test.ts then fails whenever a verdict changes.
 *
 *   npm run golden                      record every source again
 *   npm run golden -- NAME...           only these sources (e.g. a corpus Raft just added to golden.ts)
 *   npm run golden -- --verdicts [NAME] keep the stored traces, write the checker's verdicts on them again
 *
 * A source whose runs do not meet its expectation (a correct Raft flagged, a bug not caught by its stated sweep) is
 * not written: the script says why and exits 1, for a person to look at (a false alarm, or a real bug).
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { checkTrace, invariants } from '../src/checker/index.ts';
import { parseChaos } from '../src/harness/chaos.ts';
import { loadImplementation, runTest, selectTests } from '../src/harness/tester/index.ts';
import { createTraceRecorder, encodeTrace, readTraceEvents, readTraceHeader, traceHeaderFor, type TraceEvent } from '../src/trace/index.ts';
import { repoRoot, sources, testdataDir, traceFileName, type GoldenSource, type Verdict } from '../test/checker/golden.ts';

const { values, positionals } = parseArgs({ options: { verdicts: { type: 'boolean', default: false } }, allowPositionals: true });
const unknown = positionals.filter((name) => !sources.some((s) => s.name === name));
if (unknown.length > 0) {
  process.stderr.write(`golden: no source named ${unknown.join(', ')} (test/checker/golden.ts lists ${sources.map((s) => s.name).join(', ')})\n`);
  process.exit(2);
}
const chosen = positionals.length ? sources.filter((s) => positionals.includes(s.name)) : sources;

interface Recorded {
  file: string;
  bytes: Buffer;
  verdict: Verdict;
}

const verdictOf = (events: readonly TraceEvent[], base: Omit<Verdict, 'violations' | 'skipped'>): Verdict => {
  const { violations, skipped } = checkTrace(events);
  return { ...base, violations, skipped };
};

/** Does a run meet the source's expectation? The reason if not. */
function unmet(source: GoldenSource, verdict: Verdict): string | undefined {
  if ('invariant' in source.expect) return undefined; // judged over the sweep
  if (verdict.violations.length > 0) {
    const v = verdict.violations[0]!;
    return `${verdict.test} seed ${verdict.seed}: ${invariants[v.invariant].title} at event ${v.eventIndex}: ${v.message}`;
  }
  const skipped = [...new Set(verdict.skipped.map((s) => s.invariant))].sort();
  const wanted = [...(source.expect.skipped ?? [])].sort();
  if (JSON.stringify(skipped) !== JSON.stringify(wanted)) return `${verdict.test} seed ${verdict.seed}: skipped ${skipped.join(', ') || 'nothing'}, expected ${wanted.join(', ') || 'nothing'}`;
  return undefined;
}

async function record(source: GoldenSource): Promise<Recorded[]> {
  const impl = await loadImplementation(path.join(repoRoot, source.impl));
  const { tests, seeds, chaos } = source.sweep;
  const out: Recorded[] = [];
  for (let seed = 1; seed <= seeds; seed++) {
    for (const test of selectTests(tests)) {
      const recorder = createTraceRecorder();
      const result = await runTest(test, {
        mode: 'sim',
        seed,
        make: impl.make,
        ...(source.fields ? {} : { describeState: impl.describeState }),
        ...(chaos ? { chaos: parseChaos(chaos) } : {}),
        ...recorder.options,
      });
      const verdict = verdictOf(recorder.events, { test: test.id, seed, ...(chaos ? { chaos } : {}), status: result.status });
      const bytes = encodeTrace(traceHeaderFor(result, { impl: source.impl, servers: test.servers }), recorder.events);
      const problem = unmet(source, verdict);
      if (problem) throw new Error(problem);
      const caught = 'invariant' in source.expect && verdict.violations.some((v) => v.invariant === (source.expect as { invariant: string }).invariant);
      if ('clean' in source.expect) out.push({ file: traceFileName(test.id, seed), bytes, verdict });
      else if (caught) return [{ file: traceFileName(test.id, seed), bytes, verdict }];
    }
  }
  if ('invariant' in source.expect) throw new Error(`${invariants[source.expect.invariant].title} not named within ${tests} x ${seeds} seeds`);
  return out;
}

async function rejudge(source: GoldenSource): Promise<Record<string, Verdict>> {
  const dir = path.join(testdataDir, source.name);
  const verdicts: Record<string, Verdict> = {};
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.trace.gz')).sort()) {
    const header = await readTraceHeader(path.join(dir, file));
    const events: TraceEvent[] = [];
    for await (const e of readTraceEvents(path.join(dir, file))) events.push(e);
    const chaos = source.sweep.chaos;
    verdicts[file] = verdictOf(events, { test: header.test, seed: header.seed, ...(chaos ? { chaos } : {}), status: header.status });
  }
  return verdicts;
}

let failed = 0;
for (const source of chosen) {
  const dir = path.join(testdataDir, source.name);
  try {
    let verdicts: Record<string, Verdict>;
    if (values.verdicts) verdicts = await rejudge(source);
    else {
      const runs = await record(source);
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      for (const r of runs) writeFileSync(path.join(dir, r.file), r.bytes);
      verdicts = Object.fromEntries(runs.map((r) => [r.file, r.verdict]));
    }
    writeFileSync(path.join(dir, 'verdicts.json'), JSON.stringify(verdicts, null, 1) + '\n');
    const size = readdirSync(dir).length;
    process.stdout.write(`${source.name}: ${Object.keys(verdicts).length} traces (${size} files)\n`);
  } catch (error) {
    failed++;
    process.stdout.write(`${source.name}: NOT WRITTEN: ${(error as Error).message}\n`);
  }
}
process.exitCode = failed ? 1 : 0;

// Each output of raftlab read the way the tool it is for reads it: dslogs, ShiViz, JSON Schema (ajv), JUnit readers.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { exportCommand, type ExportCommandOptions } from '../../src/cli/export-command.ts';
import { runCommand } from '../../src/cli/run-command.ts';
import { findTest, loadImplementation, runTest, type TestRunResult } from '../../src/harness/tester/index.ts';
import type { BatchResult } from '../../src/runner/batch.ts';
import { junitXml, type BatchJson } from '../../src/runner/report.ts';
import type { RunRecord } from '../../src/runner/types.ts';
import { raftlabExtraTopics } from '../../src/trace/export.ts';
import { createTraceRecorder, readTraceEvents, readTraceHeader, traceHeaderFor, writeTraceFile, type TraceEvent, type TraceHeader } from '../../src/trace/index.ts';
import { publishedSchemas } from '../../scripts/schemas.ts';
import { dslogsRead, dslogsTopicTable, junitProblems, shivizLoad } from './readers.ts';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const fixture = (name: string) => path.join(repo, 'test', 'fixtures', 'impls', name);
const tmp = mkdtempSync(path.join(os.tmpdir(), 'raftlab-formats-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

interface Recorded {
  file: string;
  header: TraceHeader;
  events: TraceEvent[];
  result: TestRunResult;
}

async function record(id: string, seed: number, implDir?: string): Promise<Recorded> {
  const impl = await loadImplementation(implDir);
  const recorder = createTraceRecorder();
  const test = findTest(id)!;
  const result = await runTest(test, { mode: 'sim', seed, make: impl.make, ...(impl.describeState ? { describeState: impl.describeState } : {}), ...recorder.options });
  const file = path.join(tmp, `${id}-${seed}-${path.basename(implDir ?? 'reference')}.trace.gz`);
  const header = traceHeaderFor(result, { servers: test.servers, ...(implDir ? { impl: implDir } : {}) });
  await writeTraceFile(file, header, recorder.events);
  return { file, header: await readTraceHeader(file), events: recorder.events, result };
}

/** `raftlab export` in-process, its output as text. */
async function exported(file: string, options: Partial<ExportCommandOptions>): Promise<{ status: number; text: string; err: string }> {
  let text = '';
  let err = '';
  const status = await exportCommand(file, { format: 'text', ...options }, { write: (s: string) => ((text += s), true) }, { write: (s: string) => ((err += s), true) });
  return { status, text, err };
}

const lines = (text: string): string[] => text.replace(/\n$/, '').split('\n');

let figure8: Recorded;
let failing: Recorded;

before(async () => {
  figure8 = await record('TestFigure8Unreliable2C', 1);
  failing = await record('TestInitialElection2A', 3, fixture('never-elects'));
});

describe('formats: dslogs reads the text export', () => {
  it('every line of a passing and a failing run: 0 rejected, in one column and in -c N columns', async () => {
    for (const run of [figure8, failing]) {
      const { status, text } = await exported(run.file, { format: 'text' });
      assert.equal(status, 0);
      const all = lines(text);
      assert.equal(all.length, run.events.length + 1, 'the header line and one line per event');
      const rejected = all.map((l) => [l, dslogsRead(l, { columns: run.header.servers! })] as const).filter(([, r]) => !r.ok);
      assert.deepEqual(rejected, [], `${rejected.length} of ${all.length} lines rejected`);
    }
    const { text } = await exported(figure8.file, { format: 'text' });
    const all = lines(text);
    assert.ok(all.filter((l) => (dslogsRead(l) as { topic?: string }).topic !== 'TEST').length > all.length * 0.9, 'nearly every line is in a server column');
  });

  it("--topics raftlab: raftlab's finer topics, which dslogs reads once they are added to its table", async () => {
    const { text } = await exported(figure8.file, { format: 'text', topics: 'raftlab' });
    const topics = [...dslogsTopicTable, ...raftlabExtraTopics];
    const all = lines(text);
    assert.deepEqual(all.filter((l) => !dslogsRead(l, { topics }).ok), []);
    assert.ok(all.some((l) => / SEND S\d /.test(l)) && all.some((l) => / RTRN S\d /.test(l)));
    // Without them, dslogs would drop those lines: that is why they are not the default.
    assert.ok(all.some((l) => !dslogsRead(l).ok));
  });
});

describe('formats: ShiViz loads the ShiViz export', () => {
  it('of a whole run, and trimmed by time, nodes and kinds: every event parsed, clocks as ShiViz demands', async () => {
    const cases: Array<[Partial<ExportCommandOptions>, (e: TraceEvent) => boolean]> = [
      [{}, () => true],
      [{ from: 2000, to: 4000 }, (e) => e.t >= 2000 && e.t < 4000],
      [{ nodes: [0, 2] }, (e) => !('node' in e) || typeof e.node !== 'number' || e.node < 0 || [0, 2].includes(e.node)],
      [{ kinds: ['send', 'deliver', 'handled', 'reply', 'persist'] }, (e) => ['send', 'deliver', 'handled', 'reply', 'persist'].includes(e.kind)],
      [{ logs: false, from: 1000, to: 3000, nodes: [1] }, (e) => e.kind !== 'log' && e.t >= 1000 && e.t < 3000 && (!('node' in e) || typeof e.node !== 'number' || e.node < 0 || e.node === 1)],
    ];
    for (const [options, keep] of cases) {
      const { status, text } = await exported(figure8.file, { ...options, format: 'shiviz' });
      assert.equal(status, 0);
      const loaded = shivizLoad(text);
      assert.equal(loaded.events, figure8.events.filter(keep).length, JSON.stringify(options));
    }
  });

  it('TestReliableChurn2C: a 2 s window is under 5 % of the whole export, and loads', async function () {
    this.timeout(300_000);
    const churn = await record('TestReliableChurn2C', 1);
    const whole = await exported(churn.file, { format: 'shiviz' });
    const window = await exported(churn.file, { format: 'shiviz', from: 0, to: 2000 });
    const loaded = shivizLoad(window.text);
    const share = window.text.length / whole.text.length;
    assert.ok(share < 0.05, `the 2 s window is ${(share * 100).toFixed(1)} % of ${whole.text.length} bytes`);
    assert.ok(loaded.events > 1000 && loaded.events < churn.events.length / 20, `${loaded.events} events of ${churn.events.length}`);
    // Past ShiViz's comfort the export says so, and how to trim.
    assert.match(whole.err, /^raftlab: warning: .*ShiViz.*--from/);
    assert.equal(window.err, '');
  });
});

describe('formats: trimming', () => {
  it('--from/--to, --nodes, --kinds and --no-logs keep exactly the events asked for, in NDJSON, text and columns', async () => {
    const options: Partial<ExportCommandOptions> = { from: 1500, to: 6000, nodes: [0, 1], kinds: ['send', 'deliver', 'persist', 'log', 'crash', 'test-begin'], logs: false };
    const keep = (e: TraceEvent): boolean =>
      e.t >= 1500 && e.t < 6000 && ['send', 'deliver', 'persist', 'crash', 'test-begin'].includes(e.kind) && (!('node' in e) || typeof e.node !== 'number' || e.node < 0 || e.node <= 1);
    const expected = figure8.events.filter(keep);
    assert.ok(expected.length > 100);
    const ndjson = lines((await exported(figure8.file, { ...options, format: 'ndjson' })).text).slice(1).map((l) => JSON.parse(l) as TraceEvent);
    assert.deepEqual(ndjson.map((e) => [e.t, e.kind]), expected.map((e) => [e.t, e.kind]));
    assert.equal(lines((await exported(figure8.file, { ...options, format: 'text' })).text).length, expected.length + 1);
    const columns = lines((await exported(figure8.file, { ...options, format: 'columns' })).text);
    assert.ok(columns.slice(2).every((l) => { const t = Number(l.slice(0, 6)) / 10; return t >= 1500 && t < 6000; }));
  });

  it('a window that ends before it begins, and filters on a bundle, are refused (exit 2)', async () => {
    const backwards = await exported(figure8.file, { from: 5000, to: 1000 });
    assert.equal(backwards.status, 2);
    assert.match(backwards.err, /^raftlab: --to \(1 s\) must come after --from \(5 s\)\n$/);
    const bundle = await exported(figure8.file, { format: 'bundle', nodes: [1] });
    assert.equal(bundle.status, 2);
  });
});

describe('formats: JSON, validated against the published schemas', () => {
  const ajv = new Ajv({ strict: true, allowUnionTypes: true, allErrors: true });
  const schema = (name: string): Record<string, unknown> => JSON.parse(readFileSync(path.join(repo, 'docs', 'schema', name), 'utf8')) as Record<string, unknown>;

  it('docs/schema holds what npm run schema writes', () => {
    const published = publishedSchemas();
    assert.deepEqual(readdirSync(path.join(repo, 'docs', 'schema')).sort(), Object.keys(published).sort());
    for (const [name, text] of Object.entries(published)) assert.equal(readFileSync(path.join(repo, 'docs', 'schema', name), 'utf8'), text, `${name} is stale: npm run schema`);
  });

  it('NDJSON: the header first, then every event, each line valid; every kind of event occurs in the exports checked', async () => {
    const line = ajv.compile(schema('export-ndjson-line.schema.json'));
    const header = ajv.compile(schema('trace-header.schema.json'));
    const event = ajv.compile(schema('trace-event.schema.json'));
    const kinds = new Set<string>();
    for (const run of [figure8, failing, await record('TestSnapshotInstallCrash2D', 1)]) {
      const all = lines((await exported(run.file, { format: 'ndjson' })).text).map((l) => JSON.parse(l) as Record<string, unknown>);
      assert.ok(header(all[0]), JSON.stringify(header.errors));
      assert.deepEqual(all[0], run.header);
      for (const [i, l] of all.entries()) assert.ok(line(l), `line ${i}: ${ajv.errorsText(line.errors)}`);
      for (const e of all.slice(1)) kinds.add(e.kind as string);
      // The trace's own events (optional fields absent) are valid against the event schema too.
      for (const [i, e] of run.events.entries()) assert.ok(event(JSON.parse(JSON.stringify(e))), `event ${i}: ${ajv.errorsText(event.errors)}`);
    }
    assert.ok(kinds.size >= 22, [...kinds].join(' '));
    // A field the schema does not know fails: the schema is the whole story.
    assert.equal(line({ t: 0, kind: 'crash', node: 1, surprise: true }), false);
  });

  it('run --json: the report is valid, version 2, with the runs not reached and the sources hash', async () => {
    const validate = ajv.compile(schema('batch-report.schema.json'));
    const json = path.join(tmp, 'batch.json');
    const out = { write: () => true };
    const status = await runCommand('^TestInitialElection2A$', { count: 4, parallel: 1, mode: 'sim', seed: 1, impl: path.join(repo, 'labs', 'bugs', 'votedfor-not-persisted'), check: true, stopOnFail: true, json, history: false, keep: 'none' }, { out, err: out, argv: [], handleSigint: false });
    assert.equal(status, 1);
    const report = JSON.parse(readFileSync(json, 'utf8')) as BatchJson;
    assert.ok(validate(report), ajv.errorsText(validate.errors));
    assert.equal(report.version, 2);
    assert.ok(report.runs[0]!.violations!.length > 0);
    assert.deepEqual(report.batch.notRun.map((r) => r.seed), [2, 3, 4]);
    assert.match(report.batch.sourcesHash, /^[0-9a-f]{64}$/);
    assert.ok(report.runs.every((r) => r.sourcesHash === report.batch.sourcesHash));
  });
});

describe('formats: JUnit', () => {
  const record = (over: Partial<RunRecord>): RunRecord => ({
    id: 'TestBackup2B', part: '2B', description: 'Test (2B): leader backs up quickly over incorrect follower logs', mode: 'sim', seed: 1, status: 'pass',
    failureMessages: [], output: ['Test (2B): ...'], testMs: 1234, wallMs: 56.7, codecWarnings: [], implDir: '/impl', completed: true, dispatchWallMs: 60, freshWorker: false, ...over,
  });
  const batchOf = (records: RunRecord[], notRun: BatchResult['notRun'], stopped: boolean): BatchResult => ({
    startedAt: '2026-12-01T10:11:12.345Z', mode: 'sim', baseSeed: 1, count: 6, parallel: 2, implDir: '/impl', sourcesHash: 'ab'.repeat(32), records, notRun,
    perTest: [{ id: 'TestBackup2B', runs: records.length, failed: 4, failureRate: 0.8, interval: { low: 0, high: 1 }, testMs: { n: 1, mean: 1, sd: 0, p95: 1, min: 1, max: 1 }, wallMs: { n: 1, mean: 1, sd: 0, p95: 1, min: 1, max: 1 } }],
    clusters: [], failed: records.filter((r) => r.status !== 'pass').length, stopped, wallMs: 12_345.678, pool: { workersStarted: 1, replacedAfterCrash: 0, replacedUnclean: 0, replacedAfterRuns: 0 },
  });

  it('every element and attribute both schemas require: a pass, a failure, an error, a timeout and runs not reached', () => {
    const batch = batchOf(
      [
        record({ seed: 1 }),
        record({ seed: 2, status: 'fail', message: 'agreement of 2 failed', failureMessages: ['agreement of 2 failed'] }),
        record({ seed: 3, status: 'error', message: 'boom <&>', errorCode: 'UNHANDLED_REJECTION', stack: 'Error: boom\n    at raft.ts:1:1' }),
        record({ seed: 4, status: 'timeout', message: 'the run did not finish', errorCode: 'WATCHDOG_TIMEOUT', completed: false }),
      ],
      [{ id: 'TestBackup2B', seed: 5 }, { id: 'TestBackup2B', seed: 6 }],
      true,
    );
    const xml = junitXml(batch, undefined, { hostname: 'grader-7' });
    assert.deepEqual(junitProblems(xml), []);
    assert.match(xml, /^<testsuite name="raftlab" tests="6" failures="1" errors="2" skipped="2" time="12\.346">$/m);
    assert.match(xml, /<property name="timestamp" value="2026-12-01T10:11:12\.345Z"\/>/);
    assert.match(xml, /<property name="hostname" value="grader-7"\/>/);
    assert.match(xml, /<property name="sourcesHash" value="(ab){32}"\/>/);
    assert.match(xml, /<property name="seeds" value="1\.\.6"\/>/);
    assert.match(xml, /<property name="clock" value="sim"\/>/);
    assert.match(xml, /<testcase name="TestBackup2B seed 3" classname="raft\.TestBackup2B" time="0\.057">\n {4}<error message="boom &lt;&amp;&gt;" type="UNHANDLED_REJECTION">/);
    assert.match(xml, /<error message="the run did not finish" type="WATCHDOG_TIMEOUT">/);
    assert.match(xml, /<failure message="agreement of 2 failed" type="fail">/);
    assert.equal((xml.match(/<skipped message="not run: the batch stopped after the first failure \(--stop-on-fail\)"\/>/g) ?? []).length, 2);
  });

  it('a real batch stopped at its first failure: runs not reached are skipped testcases', async () => {
    const junit = path.join(tmp, 'stopped.xml');
    const out = { write: () => true };
    const status = await runCommand('^TestInitialElection2A$', { count: 5, parallel: 1, mode: 'sim', seed: 1, impl: fixture('never-elects'), stopOnFail: true, junit, history: false, keep: 'none' }, { out, err: out, argv: [], handleSigint: false });
    assert.equal(status, 1);
    const xml = readFileSync(junit, 'utf8');
    assert.deepEqual(junitProblems(xml), []);
    assert.equal((xml.match(/<skipped /g) ?? []).length, 4);
    assert.match(xml, /tests="5" failures="1" errors="0" skipped="4"/);
  });

  it('the checker of the rules bites: a testsuites root, an attribute Surefire refuses, a missing count, a failure without a type, children out of order', () => {
    assert.deepEqual(junitProblems('<testsuites><testsuite name="a" tests="0" failures="0" errors="0" skipped="0"/></testsuites>'), ["the root is testsuites: Surefire's schema has only testsuite"]);
    const bad = '<testsuite name="a" tests="1" failures="1" errors="0" timestamp="2026-01-01T00:00:00"><testcase name="x" time="1"><system-out>o</system-out><failure message="m"/></testcase></testsuite>';
    assert.deepEqual(junitProblems(bad), [
      'testsuite a: no skipped',
      'testsuite a: attribute timestamp is not in both schemas',
      'testsuite a testcase x: failure after system-out',
      'testsuite a testcase x: failure without a type',
    ]);
  });
});

describe('formats: export --full', () => {
  it('arguments and replies whole, from a re-run proven to be the recorded run; a real-clock trace is refused', async function () {
    this.timeout(300_000);
    const out = path.join(tmp, 'kept');
    const sink = { write: () => true };
    assert.equal(await runCommand('^TestBackup2B$', { count: 1, parallel: 1, mode: 'sim', seed: 1, history: false, keep: 'all', out }, { out: sink, err: sink, argv: [], handleSigint: false }), 0);
    const file = path.join(out, readdirSync(out).find((f) => f.endsWith('.trace.gz'))!);
    const small = lines((await exported(file, { format: 'ndjson', kinds: ['send'] })).text).slice(1).map((l) => JSON.parse(l) as { args: { entries?: unknown } });
    const whole = await exported(file, { format: 'ndjson', kinds: ['send'], full: true });
    assert.equal(whole.status, 0, whole.err);
    const full = lines(whole.text).slice(1).map((l) => JSON.parse(l) as { args: { entries?: unknown } });
    assert.equal(full.length, small.length);
    const summarized = small.filter((e) => e.args.entries && !Array.isArray(e.args.entries)).length;
    assert.ok(summarized > 10, 'the trace shortens long entry lists');
    assert.ok(full.every((e) => e.args.entries === undefined || Array.isArray(e.args.entries)), '--full keeps every entry list whole');
    assert.ok(full.some((e) => Array.isArray(e.args.entries) && e.args.entries.length > 8));

    const events: TraceEvent[] = [];
    for await (const e of readTraceEvents(file)) events.push(e);
    const real = path.join(tmp, 'real.trace.gz');
    await writeTraceFile(real, { ...(await readTraceHeader(file)), mode: 'real' }, events);
    const refused = await exported(real, { format: 'ndjson', full: true });
    assert.equal(refused.status, 2);
    assert.match(refused.err, /^raftlab: --full re-runs the trace .* recorded on the real clock\n$/);
  });
});

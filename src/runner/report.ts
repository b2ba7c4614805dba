/** What a batch leaves behind: the closing table, the failure clusters, JSON and JUnit XML. */
import os from 'node:os';
import { formatChaos } from '../harness/chaos.ts';
import { raftlabVersion } from '../harness/paths.ts';
import type { BatchResult } from './batch.ts';
import { formatPercent, formatSeconds } from './stats.ts';
import type { RunRecord } from './types.ts';

/** The exact command that replays one run (src/runner/commands.ts builds every command line raftlab prints). */
export { testCommandLine as replayCommand } from './commands.ts';
import { testCommandLine as replayCommand } from './commands.ts';

function table(rows: string[][], rightAligned: ReadonlySet<number>): string[] {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((row) =>
    row
      .map((cell, c) => (rightAligned.has(c) ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!)))
      .join('  ')
      .trimEnd(),
  );
}

const meanSd = (s: { n: number; mean: number; sd: number }): string => (s.n ? `${formatSeconds(s.mean)} ± ${formatSeconds(s.sd)}` : '-');

/** The closing table: one row per test. */
export function formatSummaryTable(batch: BatchResult): string[] {
  const clock = batch.mode === 'sim' ? 'test time is virtual (sim clock)' : 'test time is the wall clock (real mode)';
  const header = ['test', 'runs', 'failed', 'fail rate [95% CI]', 'test time mean ± sd', 'p95', 'wall mean ± sd', 'p95'];
  const rows = batch.perTest.map((t) => [
    t.id,
    String(t.runs),
    String(t.failed),
    `${formatPercent(t.failureRate)} [${formatPercent(t.interval.low)}, ${formatPercent(t.interval.high)}]`,
    meanSd(t.testMs),
    formatSeconds(t.testMs.p95),
    meanSd(t.wallMs),
    formatSeconds(t.wallMs.p95),
  ]);
  return [`(${clock}; wall: time the run took on this machine; durations over runs that completed)`, ...table([header, ...rows], new Set([1, 2, 4, 5, 6, 7]))];
}

const perRun = (n: number, runs: number): string => {
  const mean = n / runs;
  return Number.isInteger(mean) ? String(mean) : mean.toFixed(1);
};

/**
 * What the runs exercised, per test (mean per run): a test whose runs never sent InstallSnapshot, or never had an
 * AppendEntries rejected, cannot have caught a bug in that path.
 */
export function formatPathsTable(batch: BatchResult): string[] {
  const counted = batch.perTest.filter((t) => t.paths);
  if (counted.length === 0) return [];
  const header = ['test', 'elections', 'AE rejected: stale term', 'log mismatch', 'InstallSnapshot sent', 'in runs', 'snapshots installed', 'taken'];
  const rows = counted.map((t) => {
    const { total: p, runsCounted: n, runsWithInstallSnapshot } = t.paths!;
    return [
      t.id,
      perRun(p.electionsStarted, n),
      perRun(p.appendEntriesRejected.staleTerm, n),
      perRun(p.appendEntriesRejected.logMismatch, n),
      perRun(p.installSnapshotSent, n),
      `${runsWithInstallSnapshot}/${n}`,
      perRun(p.snapshotsInstalled, n),
      perRun(p.snapshotsTaken, n),
    ];
  });
  return ['What the runs exercised (mean per run; "in runs": runs that sent InstallSnapshot at all):', ...table([header, ...rows], new Set([1, 2, 3, 4, 5, 6, 7]))];
}

export function formatClusters(batch: BatchResult, implArg: string | undefined): string[] {
  if (batch.clusters.length === 0) return [];
  const lines = [`Failure clusters (${batch.clusters.length}):`];
  for (const c of batch.clusters) {
    lines.push(`  ${String(c.count).padStart(4)} x ${c.test} [${c.site}] ${c.message}`);
    const seed = batch.lang ? 'run' : 'seed';
    lines.push(`         e.g. "${c.example.split('\n')[0]}"; first ${seed} ${c.firstSeed}, shortest ${seed} ${c.shortestSeed} (${formatSeconds(c.shortestTestMs)})`);
    const go = batch.lang ? { lang: batch.lang, ...(batch.race ? { race: batch.race } : {}) } : {};
    lines.push(`         ${batch.lang ? 'rerun' : 'replay'}: ${replayCommand({ id: c.test, mode: batch.mode, seed: c.shortestSeed, ...go }, implArg)}`);
  }
  return lines;
}

/** Bumped when the report's shape changes; docs/schema/batch-report.schema.json describes this version. */
export const batchReportVersion = 2;

export interface BatchJson {
  version: typeof batchReportVersion;
  batch: Omit<BatchResult, 'records'> & { pattern: string; tests: string[]; historyId?: string };
  runs: RunRecord[];
}

export function batchJson(batch: BatchResult, extra: { pattern: string; historyId?: string }): BatchJson {
  const { records, ...rest } = batch;
  return {
    version: batchReportVersion,
    batch: { ...rest, pattern: extra.pattern, tests: batch.perTest.map((t) => t.id), ...(extra.historyId ? { historyId: extra.historyId } : {}) },
    runs: records,
  };
}

/** Escape text for XML content and attribute values; drop characters XML 1.0 cannot carry. */
export function escapeXml(text: string): string {
  return text
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
    .replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(/\n/g, '&#10;')
    .replace(/\r/g, '&#13;')
    .replace(/\t/g, '&#9;');
}

/** Seconds with three decimals: the form both Surefire's and Jenkins' schemas accept (SUREFIRE_TIME). */
const seconds = (ms: number): string => (Math.max(0, ms) / 1000).toFixed(3);

export interface JunitOptions {
  /** The machine's name (default: os.hostname()). */
  hostname?: string;
  /** Why the runs not reached were not run (default: said from the batch's end). */
  notRunReason?: string;
}

/**
 * JUnit XML valid against both Surefire's schema (surefire-test-report-3.0.xsd) and Jenkins' (the xunit plugin's
 * junit-10.xsd), and read by Jenkins, GitLab and GitHub's JUnit actions. Surefire's schema has one root, a
 * testsuite, so the file is one testsuite holding every run: a testcase per run, named `ID seed S`, classname
 * `raft.ID` (readers group the runs of a test by it), with its time; `<failure>` for a failed run, `<error>` for one
 * that errored or timed out, `<skipped>` for a run the batch did not reach (stopped at the first failure,
 * interrupted), each with the type and message the schemas ask for, the tester's output in `<system-out>`, in the
 * one order both schemas allow (failure, skipped, error, system-out). The suite carries every attribute both
 * require (name, tests, failures, errors, skipped; time) and no other, so the batch's start and machine go in its
 * properties (timestamp, in UTC, and hostname: Surefire's schema allows no attribute for them), with the seeds,
 * clock, implementation and the hash of its sources, raftlab's and Node's versions and the chaos knobs.
 *
 * (junit-report-builder, considered for this, writes a testsuites root with a skipped count, which Jenkins' schema
 * refuses, properties inside testcases, which Surefire's refuses, and local times without a zone.)
 */
export function junitXml(batch: BatchResult, implArg: string | undefined, options: JunitOptions = {}): string {
  const hostname = options.hostname ?? os.hostname();
  const errored = (r: RunRecord): boolean => r.status === 'error' || r.status === 'timeout';
  const notRunReason =
    options.notRunReason ?? (batch.stopped ? 'not run: the batch stopped after the first failure (--stop-on-fail)' : 'not run: the batch was interrupted before this run');
  const attr = (name: string, value: string | number): string => ` ${name}="${escapeXml(String(value))}"`;
  const errors = batch.records.filter(errored).length;
  const chaos = batch.records.find((r) => r.chaos)?.chaos;
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>'];
  lines.push(
    `<testsuite${attr('name', 'raftlab')}${attr('tests', batch.records.length + batch.notRun.length)}${attr('failures', batch.failed - errors)}${attr('errors', errors)}` +
      `${attr('skipped', batch.notRun.length)}${attr('time', seconds(batch.wallMs))}>`,
  );
  const properties: Array<[string, string]> = [
    ['timestamp', batch.startedAt],
    ['hostname', hostname],
    ['tests', batch.perTest.map((t) => t.id).join(' ')],
    ['seeds', batch.count === 1 ? String(batch.baseSeed) : `${batch.baseSeed}..${batch.baseSeed + batch.count - 1}`],
    ['clock', batch.mode],
    ['implementation', batch.implDir],
    ['sourcesHash', batch.sourcesHash],
    ['raftlab', raftlabVersion],
    ['node', process.version],
    ...(formatChaos(chaos) ? [['chaos', formatChaos(chaos)] as [string, string]] : []),
  ];
  lines.push('  <properties>');
  for (const [name, value] of properties) lines.push(`    <property${attr('name', name)}${attr('value', value)}/>`);
  lines.push('  </properties>');
  for (const t of batch.perTest) {
    const runs = batch.records.filter((r) => r.id === t.id).sort((a, b) => a.seed - b.seed);
    for (const r of runs) {
      const open = `  <testcase${attr('name', `${r.id} seed ${r.seed}`)}${attr('classname', `raft.${r.id}`)}${attr('time', seconds(r.wallMs))}`;
      const out = r.output.length ? `    <system-out>${content(r.output.join('\n'))}</system-out>` : undefined;
      if (r.status === 'pass') {
        lines.push(out ? `${open}>\n${out}\n  </testcase>` : `${open}/>`);
        continue;
      }
      const body = [
        ...(r.status === 'fail' ? r.failureMessages : [`${r.status}${r.errorCode ? ` (${r.errorCode})` : ''}: ${r.message ?? ''}`]),
        ...(r.stack ? [r.stack] : []),
        `seed ${r.seed} (${r.mode} clock); replay: ${replayCommand(r, implArg)}`,
        ...(r.traceFile ? [`trace: ${r.traceFile}`] : []),
      ].join('\n');
      const element = r.status === 'fail' ? 'failure' : 'error';
      const type = r.status === 'fail' ? 'fail' : (r.errorCode ?? r.status);
      lines.push(`${open}>`);
      lines.push(`    <${element}${attr('message', r.message ?? r.status)}${attr('type', type)}>${content(body)}</${element}>`);
      if (out) lines.push(out);
      lines.push('  </testcase>');
    }
    for (const r of batch.notRun.filter((n) => n.id === t.id).sort((a, b) => a.seed - b.seed)) {
      lines.push(`  <testcase${attr('name', `${r.id} seed ${r.seed}`)}${attr('classname', `raft.${r.id}`)}${attr('time', seconds(0))}>`);
      lines.push(`    <skipped${attr('message', notRunReason)}/>`);
      lines.push('  </testcase>');
    }
  }
  lines.push('</testsuite>');
  return lines.join('\n') + '\n';
}

/** Element content: newlines kept as they are (raw lines read better in CI logs than &#10;). */
const content = (text: string): string => text.split('\n').map(escapeXml).join('\n');

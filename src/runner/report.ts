/** What a batch leaves behind: the closing table, the failure clusters, JSON and JUnit XML. */
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

export interface BatchJson {
  version: 1;
  batch: Omit<BatchResult, 'records'> & { pattern: string; tests: string[]; historyId?: string };
  runs: RunRecord[];
}

export function batchJson(batch: BatchResult, extra: { pattern: string; historyId?: string }): BatchJson {
  const { records, ...rest } = batch;
  return {
    version: 1,
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

const seconds = (ms: number): string => (ms / 1000).toFixed(3);

/** JUnit XML: one testsuite per test id, one testcase per run (`ID seed S`), a failure element for every failed run. */
export function junitXml(batch: BatchResult, implArg: string | undefined): string {
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>'];
  const total = batch.records.length;
  lines.push(`<testsuites name="raftlab" tests="${total}" failures="${batch.failed}" time="${seconds(batch.wallMs)}">`);
  for (const t of batch.perTest) {
    const runs = batch.records.filter((r) => r.id === t.id).sort((a, b) => a.seed - b.seed);
    const time = runs.reduce((a, r) => a + r.wallMs, 0);
    lines.push(`  <testsuite name="${escapeXml(t.id)}" tests="${runs.length}" failures="${t.failed}" errors="0" time="${seconds(time)}">`);
    for (const r of runs) {
      const name = escapeXml(`${r.id} seed ${r.seed}`);
      const open = `    <testcase name="${name}" classname="raft.${escapeXml(r.id)}" time="${seconds(r.wallMs)}"`;
      if (r.status === 'pass') {
        lines.push(`${open}/>`);
        continue;
      }
      const body = [
        ...r.output,
        ...(r.status === 'fail' ? r.failureMessages : [`${r.status}${r.errorCode ? ` (${r.errorCode})` : ''}: ${r.message ?? ''}`]),
        ...(r.stack ? [r.stack] : []),
        `seed ${r.seed} (${r.mode} clock); replay: ${replayCommand(r, implArg)}`,
      ].join('\n');
      lines.push(`${open}>`);
      // Content: newlines kept as is (escapeXml's &#10; would be fine too, but raw lines read better in CI logs).
      const content = body.split('\n').map(escapeXml).join('\n');
      lines.push(`      <failure message="${escapeXml(r.message ?? r.status)}" type="${r.status}">${content}</failure>`);
      lines.push('    </testcase>');
    }
    lines.push('  </testsuite>');
  }
  lines.push('</testsuites>');
  return lines.join('\n') + '\n';
}

import type { Command } from 'commander';
import { checkTrace, invariants, type CheckResult } from '../checker/index.ts';
import { TraceFileError, describe, readTraceEvents, readTraceHeader, type TraceEvent } from '../trace/index.ts';

/** How one event reads in a violation report: `  #1234  12.345s  S2  ...`. */
function eventLine(events: readonly TraceEvent[], index: number): string {
  const e = events[index];
  if (!e) return '';
  const node = 'node' in e && typeof e.node === 'number' ? `S${e.node}` : '  ';
  return `    #${String(index).padEnd(6)} ${(e.t / 1000).toFixed(3).padStart(8)}s  ${node}  ${describe(e)}`;
}

export function formatCheckResult(result: CheckResult, events: readonly TraceEvent[]): string[] {
  const lines: string[] = [];
  if (result.violations.length === 0) lines.push(`no violations in ${result.events} events`);
  for (const v of result.violations) {
    const inv = invariants[v.invariant];
    lines.push(`VIOLATION ${inv.title}: ${v.message}`);
    if (v.eventIndex < 0) continue;
    lines.push(`  rule: ${inv.rule}`);
    lines.push('  led there:');
    for (const i of v.context) lines.push(eventLine(events, i));
    lines.push('  broken at:');
    lines.push(eventLine(events, v.eventIndex));
  }
  for (const s of result.skipped) lines.push(`not checked: ${invariants[s.invariant].title}: ${s.reason}`);
  return lines;
}

/** `raftlab check FILE`: run the safety checker over a trace. Exit status 0 clean, 1 violations, 2 bad input. */
export async function checkCommand(file: string, out: Pick<NodeJS.WritableStream, 'write'> = process.stdout): Promise<number> {
  const events: TraceEvent[] = [];
  try {
    const header = await readTraceHeader(file);
    for await (const e of readTraceEvents(file)) events.push(e);
    out.write(`${header.test} seed ${header.seed} (${header.mode}): ${header.status}${header.message ? ` -- ${header.message}` : ''}\n`);
  } catch (error) {
    if (error instanceof TraceFileError) {
      process.stderr.write(`raftlab: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  const result = checkTrace(events);
  for (const line of formatCheckResult(result, events)) out.write(line + '\n');
  return result.violations.length === 0 ? 0 : 1;
}

export function registerCheckCommand(program: Command): void {
  program
    .command('check')
    .description("check a trace against Raft's safety properties (Election Safety, State Machine Safety, ...)")
    .argument('<file>', 'a raftlab trace file (.trace.gz)')
    .action(async (file: string) => {
      process.exitCode = await checkCommand(file);
    });
}

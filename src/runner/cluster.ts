/**
 * Failure clustering: many failing runs are often one bug. Failures are grouped by (test, where it fired, normalized
 * message), where numbers, hex and random strings in the message become placeholders and "where" is the tester
 * check that failed (checkOneLeader, one, nCommitted…, as the run carries it), or for errors the error code and the
 * implementation's own frame.
 */
import path from 'node:path';
import type { RunRecord, RunStatus } from './types.ts';

/** Replace what differs from run to run (numbers, hex, random strings) with placeholders. */
export function normalizeMessage(message: string): string {
  return message
    .replace(/0x[0-9a-fA-F]+/g, '<hex>')
    .replace(/\b[0-9a-fA-F]{8,}\b(?=[^0-9a-fA-F]|$)/g, (m) => (/[a-fA-F]/.test(m) ? '<hex>' : m))
    .replace(/\b(?=[A-Za-z0-9_-]*\d)(?=[A-Za-z0-9_-]*[A-Za-z])[A-Za-z0-9_-]{10,}\b/g, '<rand>')
    .replace(/\d{7,}/g, '<int>')
    .replace(/-?\d+(\.\d+)?/g, 'N');
}

/** Where a failure fired: the tester check for a verdict, the error code and first implementation frame for errors. */
export function failureSite(record: Pick<RunRecord, 'status' | 'message' | 'errorCode' | 'site'> & Partial<Pick<RunRecord, 'stack' | 'implDir'>>): string {
  const message = record.message ?? '';
  // A failure carries the check that fired (set where it fired: src/harness/tester/failure.ts).
  if (record.status === 'fail') return record.site ?? 'test';
  const code = record.errorCode ?? record.status;
  // The run process sets the site where the error fired (src/harness/loader/site.ts); older records have only a stack.
  const frame = record.site ? record.site.replace(/:\d+$/, '') : record.stack && record.implDir ? implFrame(record.stack, record.implDir) : undefined;
  if (frame) return `${code} at ${frame}`;
  // labrpc wraps a throwing handler; its message names the handler.
  const handler = /^RPC handler (\S+) on server/.exec(message);
  return handler ? `${code} in ${handler[1]}` : code;
}

/** The first stack frame inside the implementation folder, as `file.ts:line` (no column, so edits elsewhere move it less). */
function implFrame(stack: string, implDir: string): string | undefined {
  const dir = path.resolve(implDir);
  for (const line of stack.split('\n').slice(1)) {
    const m = /(?:file:\/\/)?(\/[^\s():]+):(\d+):\d+/.exec(line);
    if (m && m[1]!.startsWith(dir + path.sep)) return `${path.relative(dir, m[1]!)}:${m[2]}`;
  }
  return undefined;
}

export interface FailureCluster {
  test: string;
  site: string;
  /** The normalized message. */
  message: string;
  statuses: string[];
  count: number;
  firstSeed: number;
  /** The seed of the shortest failing run (by test time), the best one to replay and debug. */
  shortestSeed: number;
  shortestTestMs: number;
  /** One real message of the group, as printed. */
  example: string;
  /** Every failing run of the group, by seed: what a view lists and links to (its trace). */
  members: Array<{ seed: number; status: RunStatus; testMs: number; traceFile?: string }>;
}

/** What clustering reads of a run: a RunRecord, or the summary history keeps of one. */
export type ClusteredRun = Pick<RunRecord, 'id' | 'seed' | 'status' | 'message' | 'testMs' | 'errorCode' | 'site'> &
  Partial<Pick<RunRecord, 'stack' | 'implDir' | 'traceFile'>>;

const member = (r: ClusteredRun): FailureCluster['members'][number] => ({ seed: r.seed, status: r.status, testMs: r.testMs, ...(r.traceFile ? { traceFile: r.traceFile } : {}) });

/** Group the failing runs; clusters come largest first, then by test. */
export function clusterFailures(records: readonly ClusteredRun[]): FailureCluster[] {
  const groups = new Map<string, FailureCluster>();
  for (const record of records) {
    if (record.status === 'pass') continue;
    const site = failureSite(record);
    const message = normalizeMessage(record.message ?? '(no message)');
    const key = JSON.stringify([record.id, site, message]);
    const group = groups.get(key);
    if (!group) {
      groups.set(key, {
        test: record.id,
        site,
        message,
        statuses: [record.status],
        count: 1,
        firstSeed: record.seed,
        shortestSeed: record.seed,
        shortestTestMs: record.testMs,
        example: record.message ?? '',
        members: [member(record)],
      });
      continue;
    }
    group.count++;
    group.members.push(member(record));
    if (!group.statuses.includes(record.status)) group.statuses.push(record.status);
    if (record.seed < group.firstSeed) group.firstSeed = record.seed;
    if (record.testMs < group.shortestTestMs) {
      group.shortestTestMs = record.testMs;
      group.shortestSeed = record.seed;
    }
  }
  for (const group of groups.values()) group.members.sort((a, b) => a.seed - b.seed);
  return [...groups.values()].sort((a, b) => b.count - a.count || a.test.localeCompare(b.test));
}

/**
 * The three RPCs' arguments and replies as a trace keeps them (decoded, arrays of more than 8 items cut to
 * `{ $len, head }`), read by Figure 2's field names with either capitalisation of the first letter. A field that is
 * absent or not of the expected type is undefined: rules that need it do not guess, they skip.
 */

import { figure2Field as field } from '../harness/figure2-fields.ts';

export { appendEntries, installSnapshot, requestVote } from '../harness/figure2-fields.ts';

const int = (v: unknown): number | undefined => (typeof v === 'number' && Number.isInteger(v) ? v : undefined);
const bool = (v: unknown): boolean | undefined => (typeof v === 'boolean' ? v : undefined);

export interface AppendEntriesFacts {
  prevLogIndex: number | undefined;
  /** How many entries it carries. */
  count: number | undefined;
  /** The term of its last entry (of prevLogTerm without entries), when the trace kept it. */
  lastTerm: number | undefined;
  leaderCommit: number | undefined;
}

/** An AppendEntries' arguments. */
export function readAppendEntries(args: unknown): AppendEntriesFacts {
  const prevLogIndex = int(field(args, 'prevLogIndex'));
  const entries = field(args, 'entries');
  const count = Array.isArray(entries) ? entries.length : int(field(entries, '$len'));
  let lastTerm: number | undefined;
  if (count === 0) lastTerm = int(field(args, 'prevLogTerm'));
  else if (Array.isArray(entries)) lastTerm = int(field(entries.at(-1), 'term'));
  return { prevLogIndex, count, lastTerm, leaderCommit: int(field(args, 'leaderCommit')) };
}

/** The last index an AppendEntries reaches (prevLogIndex + entries), if readable. */
export function lastIndexOf(ae: AppendEntriesFacts): number | undefined {
  return ae.prevLogIndex !== undefined && ae.count !== undefined ? ae.prevLogIndex + ae.count : undefined;
}

/** An InstallSnapshot's lastIncludedIndex. */
export function readSnapshotIndex(args: unknown): number | undefined {
  return int(field(args, 'lastIncludedIndex'));
}

/** A reply's success (AppendEntries) or voteGranted (RequestVote) flag. */
export function readSuccess(reply: unknown): boolean | undefined {
  return bool(field(reply, 'success'));
}

export function readVoteGranted(reply: unknown): boolean | undefined {
  return bool(field(reply, 'voteGranted'));
}

/** Two values as a trace keeps them: equal, or equal as JSON. */
export const same = (a: unknown, b: unknown): boolean => a === b || JSON.stringify(a) === JSON.stringify(b);

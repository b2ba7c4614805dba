/**
 * What a node's persisted Raft state holds (currentTerm, votedFor, the log after the snapshot), read for traces.
 * The checker rebuilds every node's stable log from these (Log Matching, Leader Completeness, entries persisted before
 * an AppendEntries success) and judges votes by them (Vote persisted before replying), so a reading must be certain or
 * absent, never a guess: a log placed one index off flags every correct run.
 *
 * Two sources:
 * - the implementation's own `describeState` export (labs/api: DescribeState), checked here for shape;
 * - otherwise, field names in the decoded state, read only where the shape says everything:
 *   - column-wise, as labs/raft saves it: `log: { snapshotIndex, snapshotTerm, terms: [], commands: [] }`;
 *   - an array of entries (`log`, `logs`, `entries`, either capitalisation) with `term` and `command` fields and an
 *     optional `index` on each. Whether the first entry is a dummy standing for the snapshot is decided by what is
 *     certain: no command (the tester never starts null), term 0 (real entries have term >= 1), its index against the
 *     snapshot base, or else how this run's first logs looked at base 0 (a Raft keeps one layout). Without indices the
 *     base comes from a top-level `lastIncludedIndex` / `snapshotIndex` / `baseIndex` (either capitalisation), and
 *     then every top-level field must be one this reader knows: a base kept under another name (`offset`) makes the
 *     log unreadable, not based at 0.
 */
import type { PersistedStateDescription } from '../../../labs/api/index.ts';

import type { CommandDigest, PersistedLogDelta, PersistedLogView } from '../../trace/schema.ts';

export type { CommandDigest, PersistedLogDelta, PersistedLogView };

/** Whether an array log keeps a dummy first entry for the snapshot, as learned from this run's earlier states. */
export type LogLayout = 'dummy' | 'plain';

/**
 * A log as a reading found it: the implementation's own terms and commands (not copied, commands not yet digested),
 * for a PersistedLogTracker to compare with the node's previous save. terms[k] and commands[k] belong to index
 * snapshotIndex + 1 + k.
 */
export interface PersistedLogReading {
  snapshotIndex: number;
  snapshotTerm?: number | undefined;
  terms: readonly number[];
  commands: readonly unknown[];
}

/** A persisted state as read: each part present only where it is certain. */
export interface PersistedStateReading {
  term?: number;
  votedFor?: unknown;
  log?: PersistedLogReading;
  /** Why the log could not be read (the checker skips the log rules for this node). */
  logUnreadable?: string;
  /** The array layout this state showed, for reading later states of the same run. */
  layout?: LogLayout;
}

/** 32-bit FNV-1a, as 8 hex digits: enough to tell commands apart in a trace. */
function fnv1a(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

export function digestCommand(command: unknown): CommandDigest {
  if (typeof command === 'number' && Number.isFinite(command)) return command;
  let text: string;
  try {
    text = JSON.stringify(command, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? [...v] : v)) ?? 'undefined';
  } catch {
    text = String(command);
  }
  return `#${fnv1a(text)}`;
}

const pick = (o: Record<string, unknown>, names: readonly string[]): unknown => {
  for (const name of names) if (name in o) return o[name];
  return undefined;
};
const termNames = ['currentTerm', 'CurrentTerm', 'term', 'Term'];
const voteNames = ['votedFor', 'VotedFor', 'vote', 'Vote'];
const logNames = ['log', 'Log', 'logs', 'Logs', 'entries', 'Entries'];
const baseNames = ['lastIncludedIndex', 'LastIncludedIndex', 'snapshotIndex', 'SnapshotIndex', 'baseIndex', 'BaseIndex'];
const baseTermNames = ['lastIncludedTerm', 'LastIncludedTerm', 'snapshotTerm', 'SnapshotTerm', 'baseTerm', 'BaseTerm'];
/** Top-level fields that say nothing about where the log starts. */
const harmlessNames = ['commitIndex', 'CommitIndex', 'lastApplied', 'LastApplied'];
const knownTopLevel = new Set([...termNames, ...voteNames, ...logNames, ...baseNames, ...baseTermNames, ...harmlessNames]);
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);
const isNat = (v: unknown): v is number => isInt(v) && v >= 0;

type LogRead = { log: PersistedLogReading; layout?: LogLayout } | { unreadable: string };

/** A column-wise log: certain when its base is named. */
function readColumns(l: Record<string, unknown>): LogRead {
  const terms = l.terms;
  const commands = l.commands;
  if (!Array.isArray(terms) || !Array.isArray(commands) || terms.length !== commands.length || !terms.every(isInt)) {
    return { unreadable: 'the saved log object is not { terms, commands } of equal length with integer terms' };
  }
  const unknown = Object.keys(l).filter((k) => k !== 'terms' && k !== 'commands' && !baseNames.includes(k) && !baseTermNames.includes(k));
  if (unknown.length > 0) return { unreadable: `the saved log object has fields this reader does not know (${unknown.join(', ')})` };
  const snapshotIndex = pick(l, baseNames);
  if (!isNat(snapshotIndex)) return { unreadable: 'the saved column-wise log names no snapshot base (snapshotIndex)' };
  const snapshotTerm = pick(l, baseTermNames);
  return { log: { snapshotIndex, snapshotTerm: isInt(snapshotTerm) ? snapshotTerm : undefined, terms: terms as number[], commands } };
}

interface Entry {
  index: unknown;
  term: number;
  command: unknown;
}

/** Is the first entry a dummy for the snapshot? Only what is certain; undefined when it cannot tell. */
function firstIsDummy(first: Entry, base: number | undefined, layout: LogLayout | undefined): boolean | undefined {
  if (first.command === null || first.command === undefined || first.term <= 0) return true;
  if (base !== undefined && isInt(first.index)) return first.index === base ? true : first.index === base + 1 ? false : undefined;
  // A real entry (term >= 1, a command) at base 0. An indexed entry 1 is one too: this tester snapshots only at
  // indices 9, 19, 29... (snapshotInterval), so no dummy ever stands for index 1.
  if (base === 0 || (base === undefined && isInt(first.index) && first.index === 1)) return false;
  return layout === undefined ? undefined : layout === 'dummy';
}

/** An array of entries: certain when the entries carry their indices, or the base is known and nothing else is. */
function readEntries(top: Record<string, unknown>, log: unknown[], layout: LogLayout | undefined): LogRead {
  const entries: Entry[] = [];
  for (const e of log) {
    if (!e || typeof e !== 'object') return { unreadable: 'the saved log holds something other than entry objects' };
    const r = e as Record<string, unknown>;
    const term = pick(r, ['term', 'Term']);
    if (!isInt(term)) return { unreadable: 'the saved log entries have no integer term' };
    entries.push({ index: pick(r, ['index', 'Index']), term, command: pick(r, ['command', 'Command']) });
  }
  const indexed = entries.length > 0 && entries.every((e) => isInt(e.index));
  const namedBase = pick(top, baseNames);
  if (namedBase !== undefined && !isNat(namedBase)) return { unreadable: 'the saved snapshot base is not a non-negative integer' };
  let base: number | undefined = isNat(namedBase) ? namedBase : undefined;
  if (!indexed) {
    const unknown = Object.keys(top).filter((k) => !knownTopLevel.has(k));
    if (unknown.length > 0) {
      return { unreadable: `the saved log entries carry no index and the state has fields this reader cannot place (${unknown.join(', ')}), which may hold the snapshot base` };
    }
    base ??= 0;
  }
  const first = entries[0];
  if (!first) return { log: { snapshotIndex: base ?? 0, terms: [], commands: [] } };
  const dummy = firstIsDummy(first, base, layout);
  if (dummy === undefined) return { unreadable: 'nothing tells whether the first saved log entry stands for the snapshot' };
  const snapshotIndex = indexed ? (dummy ? (first.index as number) : (first.index as number) - 1) : base!;
  if (base !== undefined && snapshotIndex !== base) return { unreadable: `the saved log entries' indices disagree with the snapshot base ${base}` };
  const real = dummy ? entries.slice(1) : entries;
  if (real.some((e, k) => e.index !== undefined && e.index !== snapshotIndex + 1 + k)) return { unreadable: 'the saved log entries\' indices do not run on without gaps' };
  const baseTerm = pick(top, baseTermNames);
  const snapshotTerm = dummy ? first.term : isInt(baseTerm) ? baseTerm : snapshotIndex === 0 ? 0 : undefined;
  // What this state shows of the layout: a dummy wherever there is one, no dummy only where the base is 0.
  const learned: LogLayout | undefined = dummy ? 'dummy' : snapshotIndex === 0 ? 'plain' : undefined;
  return { log: { snapshotIndex, snapshotTerm, terms: real.map((e) => e.term), commands: real.map((e) => e.command) }, ...(learned ? { layout: learned } : {}) };
}

/**
 * A decoded persisted state read by field names. `layout` is what earlier states of the same run showed (see
 * LogLayout); the result says what this one showed.
 */
export function readPersistedState(state: unknown, layout?: LogLayout): PersistedStateReading {
  if (!state || typeof state !== 'object' || Array.isArray(state)) return { logUnreadable: 'the persisted state is not an object with named fields' };
  const top = state as Record<string, unknown>;
  const out: PersistedStateReading = {};
  const term = pick(top, termNames);
  if (isInt(term)) out.term = term;
  const vote = pick(top, voteNames);
  if (vote !== undefined) out.votedFor = vote;
  const log = pick(top, logNames);
  let read: LogRead;
  if (log && typeof log === 'object' && !Array.isArray(log)) read = readColumns(log as Record<string, unknown>);
  else if (Array.isArray(log)) read = readEntries(top, log, layout);
  else read = { unreadable: `the persisted state has no log under a name this reader knows (${logNames.join(', ')})` };
  if ('unreadable' in read) out.logUnreadable = read.unreadable;
  else {
    out.log = read.log;
    if (read.layout) out.layout = read.layout;
  }
  return out;
}

/** The log in a decoded persisted state, as a trace keeps it, if it can be read with certainty. */
export function readPersistedLog(state: unknown, layout?: LogLayout): PersistedLogView | undefined {
  const log = readPersistedState(state, layout).log;
  return log && { snapshotIndex: log.snapshotIndex, snapshotTerm: log.snapshotTerm, terms: [...log.terms], commands: log.commands.map(digestCommand) };
}

/** An implementation's describeState returned something that is not a PersistedStateDescription. */
export class DescribeStateError extends Error {
  readonly code = 'DESCRIBE_STATE_INVALID';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DescribeStateError';
  }
}

/**
 * Check what describeState returned for a cluster of `servers` and turn it into a reading. Throws DescribeStateError
 * naming the first field that is wrong: a malformed description is the implementation's bug, never a skip.
 */
export function readDescription(description: unknown, servers: number): PersistedStateReading {
  const bad = (what: string): never => {
    throw new DescribeStateError(`describeState returned ${what} (labs/api: PersistedStateDescription)`);
  };
  if (!description || typeof description !== 'object') bad(`${JSON.stringify(description) ?? String(description)}, not an object`);
  const d = description as Partial<Record<keyof PersistedStateDescription, unknown>>;
  if (!isNat(d.currentTerm)) bad(`currentTerm ${JSON.stringify(d.currentTerm)}, not a non-negative integer`);
  const v = d.votedFor;
  if (v !== null && !(isInt(v) && v >= 0 && v < servers)) bad(`votedFor ${JSON.stringify(v)}: not null and not a server index 0..${servers - 1}`);
  const log = d.log as Partial<PersistedStateDescription['log']> | undefined;
  if (!log || typeof log !== 'object') bad('no log object');
  const { firstIndex, terms, commands } = log!;
  if (!isInt(firstIndex) || firstIndex < 1) bad(`log.firstIndex ${JSON.stringify(firstIndex)}, not an integer >= 1`);
  if (!Array.isArray(terms)) bad('log.terms that is not an array');
  if (!Array.isArray(commands)) bad('log.commands that is not an array');
  if (terms!.length !== commands!.length) bad(`log.terms of length ${terms!.length} but log.commands of length ${commands!.length}`);
  for (let k = 0; k < terms!.length; k++) {
    if (!isNat(terms![k])) bad(`log.terms[${k}] = ${JSON.stringify(terms![k])}, not a non-negative integer`);
  }
  return {
    term: d.currentTerm as number,
    votedFor: v,
    log: { snapshotIndex: firstIndex! - 1, terms: terms as number[], commands: commands! },
  };
}

/**
 * One node's stable log as the trace saw it, kept in place across saves: each save's reading is compared with it
 * entry by entry and becomes the delta the persist event carries. It keeps its own copies (digests), never the
 * implementation's arrays, and allocates only the delta: a Raft that saves its whole log on every append costs a
 * comparison per entry, not a copy of the log per save.
 */
export class PersistedLogTracker {
  /** Whether the trace has a log for this node: false before its first readable save and after an unreadable one. */
  #known = false;
  #snapshotIndex = 0;
  #snapshotTerm: number | undefined = undefined;
  /** terms[k] and commands[k] belong to index snapshotIndex + 1 + k. */
  readonly #terms: number[] = [];
  readonly #commands: CommandDigest[] = [];

  /** The log as the last readable save left it (a copy), if the trace has one. */
  get view(): PersistedLogView | undefined {
    return this.#known ? { snapshotIndex: this.#snapshotIndex, snapshotTerm: this.#snapshotTerm, terms: [...this.#terms], commands: [...this.#commands] } : undefined;
  }

  /** An unreadable save: the next readable one is reported whole. */
  forget(): void {
    this.#known = false;
  }

  /**
   * Take the next save's log; what changed: from the first index whose term or command differs (entries at the same
   * index in both), undefined if nothing did. A log whose snapshot moved back is reported whole.
   */
  advance(log: PersistedLogReading): PersistedLogDelta | undefined {
    const { snapshotIndex, snapshotTerm, terms, commands } = log;
    const length = terms.length;
    if (commands.length !== length) throw new Error(`a persisted log reading of ${length} terms but ${commands.length} commands`);
    const lastIndex = snapshotIndex + length;
    const mine = this.#terms;
    const myCommands = this.#commands;
    // Position k of the new log is position k + shift of the kept one.
    const comparable = this.#known && this.#snapshotIndex <= snapshotIndex;
    const shift = comparable ? snapshotIndex - this.#snapshotIndex : 0;
    let k = 0;
    if (comparable) {
      const same = Math.min(length, mine.length - shift);
      while (k < same && terms[k] === mine[k + shift] && digestCommand(commands[k]) === myCommands[k + shift]) k++;
      if (k === length && shift === 0 && mine.length === length && snapshotTerm === this.#snapshotTerm) return undefined;
    }
    const tailTerms = terms.slice(k);
    const tailCommands = new Array<CommandDigest>(length - k);
    for (let j = k; j < length; j++) tailCommands[j - k] = digestCommand(commands[j]);
    if (shift > 0) {
      const dropped = Math.min(shift, mine.length);
      mine.splice(0, dropped);
      myCommands.splice(0, dropped);
    }
    mine.length = k;
    myCommands.length = k;
    for (let j = 0; j < tailTerms.length; j++) {
      mine.push(tailTerms[j]!);
      myCommands.push(tailCommands[j]!);
    }
    this.#known = true;
    this.#snapshotIndex = snapshotIndex;
    this.#snapshotTerm = snapshotTerm;
    return {
      snapshotIndex,
      ...(snapshotTerm !== undefined ? { snapshotTerm } : {}),
      from: snapshotIndex + 1 + k,
      terms: tailTerms,
      commands: tailCommands,
      lastIndex,
    };
  }
}

/**
 * The log inside a node's persisted Raft state, read for traces: which term and command each index holds, and where
 * the snapshot ends. The checker rebuilds every node's stable log from these (Log Matching, Leader Completeness,
 * entries persisted before an AppendEntries success). Persisted state is the implementation's own format, so this
 * recognises the common shapes and otherwise reads nothing:
 * - column-wise, as labs/raft saves it: `log: { snapshotIndex, snapshotTerm, terms: [], commands: [] }`;
 * - an array of entries (`log`, `logs`, `entries`, any capitalisation) with `term` and `command` fields, an optional
 *   `index` field, and an optional first entry without a command that stands for the snapshot (the usual dummy);
 *   where entries carry no index, a top-level `lastIncludedIndex` / `snapshotIndex` gives the base.
 */

/** A command as traces keep it: a number as itself, anything else as a short hash of its encoding. */
export type CommandDigest = number | string;

export interface PersistedLogView {
  /** The last index the snapshot covers (0 without one); entries start right after it. */
  snapshotIndex: number;
  snapshotTerm: number;
  /** terms[k] and commands[k] belong to index snapshotIndex + 1 + k. */
  terms: number[];
  commands: CommandDigest[];
}

/** How a persist changed a node's stable log: everything from `from` on is now `terms` / `commands`. */
export interface PersistedLogDelta {
  snapshotIndex: number;
  snapshotTerm: number;
  /** The first index that changed; entries before it are as in the node's previous persist. */
  from: number;
  terms: number[];
  commands: CommandDigest[];
  /** The log's last index after this persist. */
  lastIndex: number;
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
const logNames = ['log', 'Log', 'logs', 'Logs', 'entries', 'Entries'];
const baseNames = ['lastIncludedIndex', 'LastIncludedIndex', 'snapshotIndex', 'SnapshotIndex', 'baseIndex', 'BaseIndex'];
const baseTermNames = ['lastIncludedTerm', 'LastIncludedTerm', 'snapshotTerm', 'SnapshotTerm', 'baseTerm', 'BaseTerm'];
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

/** The log in a decoded persisted state, or undefined when it has none we can read. */
export function readPersistedLog(state: unknown): PersistedLogView | undefined {
  if (!state || typeof state !== 'object') return undefined;
  const top = state as Record<string, unknown>;
  const log = pick(top, logNames);
  if (log && typeof log === 'object' && !Array.isArray(log)) {
    const l = log as Record<string, unknown>;
    const terms = l.terms;
    const commands = l.commands;
    const snapshotIndex = pick(l, baseNames);
    const snapshotTerm = pick(l, baseTermNames);
    if (!Array.isArray(terms) || !Array.isArray(commands) || terms.length !== commands.length) return undefined;
    if (!isInt(snapshotIndex) || !isInt(snapshotTerm) || !terms.every(isInt)) return undefined;
    return { snapshotIndex, snapshotTerm, terms: [...terms], commands: commands.map(digestCommand) };
  }
  if (!Array.isArray(log)) return undefined;
  const entries: Array<{ index: unknown; term: unknown; command: unknown }> = [];
  for (const e of log) {
    if (!e || typeof e !== 'object') return undefined;
    const r = e as Record<string, unknown>;
    entries.push({ index: pick(r, ['index', 'Index']), term: pick(r, ['term', 'Term']), command: pick(r, ['command', 'Command']) });
  }
  if (!entries.every((e) => isInt(e.term))) return undefined;
  const first = entries[0];
  // A first entry without a command is the dummy that stands for the snapshot (or for index 0).
  const dummy = first !== undefined && (first.command === null || first.command === undefined);
  let snapshotIndex: number;
  let snapshotTerm: number;
  if (first !== undefined && isInt(first.index)) {
    snapshotIndex = dummy ? first.index : first.index - 1;
    snapshotTerm = dummy ? (first.term as number) : 0;
  } else {
    const base = pick(top, baseNames);
    const baseTerm = pick(top, baseTermNames);
    snapshotIndex = isInt(base) ? base : 0;
    snapshotTerm = dummy ? (first!.term as number) : isInt(baseTerm) ? baseTerm : 0;
  }
  const real = dummy ? entries.slice(1) : entries;
  // Explicit indices must run on without gaps, or this is not a log we understand.
  if (real.some((e, k) => e.index !== undefined && e.index !== snapshotIndex + 1 + k)) return undefined;
  return { snapshotIndex, snapshotTerm, terms: real.map((e) => e.term as number), commands: real.map((e) => digestCommand(e.command)) };
}

/** What changed from `before` (the node's previous persisted log, if any) to `after`; undefined if nothing did. */
export function persistedLogDelta(before: PersistedLogView | undefined, after: PersistedLogView): PersistedLogDelta | undefined {
  const lastIndex = after.snapshotIndex + after.terms.length;
  let from = after.snapshotIndex + 1;
  if (before && before.snapshotIndex <= after.snapshotIndex) {
    const beforeLast = before.snapshotIndex + before.terms.length;
    // Unchanged entries: the same term and command at the same index in both.
    while (
      from <= lastIndex &&
      from <= beforeLast &&
      before.terms[from - before.snapshotIndex - 1] === after.terms[from - after.snapshotIndex - 1] &&
      before.commands[from - before.snapshotIndex - 1] === after.commands[from - after.snapshotIndex - 1]
    ) {
      from++;
    }
  }
  const unchanged =
    before !== undefined &&
    before.snapshotIndex === after.snapshotIndex &&
    before.snapshotIndex + before.terms.length === lastIndex &&
    from > lastIndex;
  if (unchanged) return undefined;
  const k = from - after.snapshotIndex - 1;
  return {
    snapshotIndex: after.snapshotIndex,
    snapshotTerm: after.snapshotTerm,
    from,
    terms: after.terms.slice(k),
    commands: after.commands.slice(k),
    lastIndex,
  };
}

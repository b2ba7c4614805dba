/**
 * The lab's RPCs as raftlab recognises them in whatever an implementation sends: by the method names students give
 * them and by Figure 2's field names, with either capitalisation of the first letter (Go's exported `Term` or
 * TypeScript's `term`). Used by the path counts (tester/paths.ts) and the safety checker (checker/messages.ts).
 */

export const requestVote = 'Raft.RequestVote';
export const appendEntries = 'Raft.AppendEntries';
export const installSnapshot = 'Raft.InstallSnapshot';

/** A field of a decoded message by its Figure 2 name, `term` or `Term`; undefined when neither is there. */
export function figure2Field(o: unknown, name: string): unknown {
  if (!o || typeof o !== 'object') return undefined;
  const r = o as Record<string, unknown>;
  return name in r ? r[name] : r[name[0]!.toUpperCase() + name.slice(1)];
}

/** The field as an integer, or undefined when it is absent or not one. */
export const intField = (o: unknown, name: string): number | undefined => {
  const v = figure2Field(o, name);
  return typeof v === 'number' && Number.isInteger(v) ? v : undefined;
};

/** The field as a boolean, or undefined when it is absent or not one. */
export const boolField = (o: unknown, name: string): boolean | undefined => {
  const v = figure2Field(o, name);
  return typeof v === 'boolean' ? v : undefined;
};

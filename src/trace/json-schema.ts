/**
 * The trace as JSON Schema: the header and every event kind, each field described. One zod description, three uses:
 * readTraceHeader validates headers with it (a trace whose clock is "warp" is refused, not replayed); the NDJSON
 * export's form (every field of a kind present, `null` where the run did not know it) is derived from it; and
 * `npm run schema` writes docs/schema/*.schema.json from it (a test fails when the published files are stale).
 *
 * Not re-exported by src/trace/index.ts, and loaded by file.ts only when a header is read: a run process never
 * loads zod. It mirrors src/trace/schema.ts (the types every layer reads) and file.ts's TraceHeader; the type assertions at the
 * bottom fail to compile when the two disagree on a kind, a field, or a field's type.
 */
import * as z from 'zod';
import { logTopics } from '../../labs/api/index.ts';
import { chaosKnobsSchema } from '../harness/chaos-schema.ts';
import { traceEventKinds, traceSchemaVersion, type TraceEvent, type TraceEventKind } from './schema.ts';

const ms = (what: string) => z.number().describe(what);
const int = (what: string) => z.number().int().describe(what);
const node = (what = 'The server it happened on (0-based; S0 is 0).') => z.number().int().min(-1).describe(what);
/** A decoded value as the trace keeps it (src/trace/events.ts summarize): any JSON. */
const value = (what: string) =>
  z
    .unknown()
    .describe(
      `${what} Decoded and kept small unless exported with --full: an array of more than 8 items becomes {"$len": n, "head": [first 3]}, ` +
        'bytes {"$bytes": n}, a string over 96 characters is cut and ends in "…", nesting deeper than 5 levels becomes "…".',
    );

const t = ms('Run-relative time in ms: virtual time on the sim clock, wall-clock time on the real clock.');
const base = { t };
/** On apply events: the incarnation whose applyCh it came on (older traces leave it out). */
const incarnation = z.number().int().min(1).describe("The incarnation (start1's generation) whose applyCh it came on: a crashed one's may still deliver after the restart.").optional();

const dropReasons = ['end-disabled', 'not-connected', 'no-server', 'request-lost', 'chaos-drop'] as const;
const replyLostReasons = ['server-dead', 'reply-lost', 'chaos-drop', 'handler-error'] as const;

const persistedLogDelta = z
  .strictObject({
    snapshotIndex: int('The last index the snapshot covers (0 without one).'),
    snapshotTerm: int("The snapshot's last term, where the saved state says it.").optional(),
    from: int('The first index that changed; entries before it are as in the previous persist.'),
    terms: z.array(z.number().int()).describe('terms[k] is the term of index from + k.'),
    commands: z.array(z.union([z.number(), z.string()])).describe('commands[k] is the command at index from + k: a number as itself, anything else as a short hash.'),
    lastIndex: int("The log's last index after this persist."),
  })
  .describe("How a persist changed the node's stable log: everything from `from` on is now `terms` / `commands`.");

const rpc = {
  t,
  rpc: int('The RPC id, shared by all its events (send, deliver, handled, drop, reply, reply-lost).'),
  method: z.string().describe("The RPC's method, e.g. Raft.AppendEntries."),
  term: int('The term the arguments (send) or the reply (reply) carry, where they have a numeric term / Term field.').optional(),
};

/** Event schemas by kind: each a strict object (a field not listed here is not part of the schema). */
const eventShapes = {
  send: z
    .strictObject({
      ...rpc,
      kind: z.literal('send'),
      node: node('The caller.'),
      to: node('The server called.'),
      bytes: int('Encoded size of the arguments.'),
      args: value('The arguments.'),
      generation: int("The caller's incarnation (its restart count, as in restart).").optional(),
    })
    .describe('A call leaves node for to.'),
  deliver: z
    .strictObject({ ...rpc, kind: z.literal('deliver'), node: node('The server whose handler the request reached.'), from: node('The caller.') })
    .describe("The request reached node's handler."),
  handled: z
    .strictObject({ ...rpc, kind: z.literal('handled'), node: node('The server whose handler returned.'), from: node('The caller.'), bytes: int('Encoded size of the reply.') })
    .describe("node's handler returned its reply: what node did before this (a persist), it did before answering."),
  drop: z
    .strictObject({ ...rpc, kind: z.literal('drop'), node: node('The caller.'), to: node('The server called.'), reason: z.enum(dropReasons).describe('Why it never reached a handler.') })
    .describe("node's request to `to` never reached a handler."),
  reply: z
    .strictObject({
      ...rpc,
      kind: z.literal('reply'),
      node: node('The caller, which got the reply.'),
      to: node('The server that answered.'),
      bytes: int('Encoded size of the reply.'),
      reply: value('The reply.'),
      delayedMs: ms('How long long reordering held the reply back, when it did.').optional(),
    })
    .describe("node got to's reply."),
  'reply-lost': z
    .strictObject({ ...rpc, kind: z.literal('reply-lost'), node: node('The caller.'), to: node('The server called.'), reason: z.enum(replyLostReasons).describe('Why the reply never came back.') })
    .describe("node's call to `to` was handled (or being handled) but its reply never came back."),
  'test-begin': z.strictObject({ ...base, kind: z.literal('test-begin'), description: z.string().describe("The test's description, as the Go tester prints it.") }).describe('The test began.'),
  'test-end': z
    .strictObject({
      ...base,
      kind: z.literal('test-end'),
      status: z.enum(['pass', 'fail', 'error']).describe("The tester's verdict."),
      message: z.string().describe('Why it failed.').optional(),
    })
    .describe('The test ended.'),
  crash: z.strictObject({ ...base, kind: z.literal('crash'), node: node() }).describe('The tester crashed node.'),
  restart: z
    .strictObject({ ...base, kind: z.literal('restart'), node: node(), generation: int('1 for the first boot, then one more for each restart.') })
    .describe('The tester started node (start1).'),
  connect: z.strictObject({ ...base, kind: z.literal('connect'), node: node() }).describe('The tester connected node.'),
  disconnect: z.strictObject({ ...base, kind: z.literal('disconnect'), node: node() }).describe('The tester disconnected node.'),
  unreliable: z.strictObject({ ...base, kind: z.literal('unreliable'), on: z.boolean().describe('true: unreliable from now on.') }).describe('The network became (un)reliable.'),
  'long-reordering': z.strictObject({ ...base, kind: z.literal('long-reordering'), on: z.boolean().describe('true: long reordering from now on.') }).describe('Long reordering was turned on or off.'),
  check: z
    .strictObject({
      ...base,
      kind: z.literal('check'),
      check: z.enum(['one-leader', 'no-leader', 'terms', 'n-committed']).describe("Which of the tester's checks."),
      ok: z.boolean().describe('Whether it held.'),
      node: node('one-leader: the leader found; no-leader: the server that claims to lead.').optional(),
      term: int('The term the check found.').optional(),
      index: int('The index it checked.').optional(),
      message: z.string().describe('Why it failed.').optional(),
    })
    .describe('A check of the tester (checkOneLeader, checkNoLeader, checkTerms, nCommitted).'),
  one: z
    .strictObject({
      ...base,
      kind: z.literal('one'),
      phase: z.enum(['submit', 'agreed', 'failed']).describe('submit: handed to a leader; agreed: committed by enough servers; failed: gave up.'),
      command: value('The command.'),
      node: node('The server it was submitted to.').optional(),
      index: int('The index it went to, or was agreed at.').optional(),
      message: z.string().describe('Why it failed.').optional(),
    })
    .describe("The tester's one(): agree on a command."),
  wait: z
    .strictObject({
      ...base,
      kind: z.literal('wait'),
      index: int('The index waited for.'),
      n: int('How many servers had to commit it.'),
      startTerm: int('The term the wait was bound to (-1: none).'),
      outcome: z.enum(['committed', 'moved-on', 'failed']).describe('committed; moved-on: the term changed first; failed.'),
      value: value('What was committed there.').optional(),
    })
    .describe("The tester's wait(): for n servers to commit an index."),
  start: z
    .strictObject({
      ...base,
      kind: z.literal('start'),
      node: node(),
      command: value('The command.'),
      index: int('The index Start returned.'),
      term: int('The term Start returned.'),
      isLeader: z.boolean().describe('Whether node said it leads.'),
    })
    .describe('The tester called Start(command) on node.'),
  apply: z
    .strictObject({ ...base, kind: z.literal('apply'), node: node(), index: int('The index applied.'), command: value('The command.'), generation: incarnation })
    .describe('node applied a command (applyCh).'),
  'apply-snapshot': z
    .strictObject({
      ...base,
      kind: z.literal('apply-snapshot'),
      node: node(),
      index: int("The snapshot's last index."),
      term: int("The snapshot's last term."),
      bytes: int("The snapshot's size."),
      installed: z.boolean().describe('Whether CondInstallSnapshot took it.'),
      generation: incarnation,
    })
    .describe('node applied a snapshot (applyCh).'),
  persist: z
    .strictObject({
      ...base,
      kind: z.literal('persist'),
      node: node(),
      bytes: int('Size of the saved Raft state.'),
      snapshotBytes: int('Size of the snapshot saved with it.').optional(),
      term: int('currentTerm as saved, where it could be read.').optional(),
      votedFor: z
        .unknown()
        .describe('votedFor as saved; null: no vote (with describeState); absent (also in NDJSON exports): it could not be read.')
        .optional(),
      log: persistedLogDelta.optional(),
      logUnreadable: z.string().describe('Why the saved log could not be read with certainty (the checker then skips the log rules for node).').optional(),
      source: z.enum(['describeState', 'fields']).describe("Who read term, vote and log: the implementation's describeState, or field names.").optional(),
      detached: z.literal(true).describe('Saved by a crashed incarnation to a persister no longer in use: not the stable state.').optional(),
    })
    .describe('node saved its state (persister.SaveRaftState / SaveStateAndSnapshot).'),
  snapshot: z
    .strictObject({ ...base, kind: z.literal('snapshot'), node: node(), index: int('The index the snapshot covers.'), bytes: int("The snapshot's size.") })
    .describe('The tester called Snapshot(index) on node.'),
  state: z
    .strictObject({ ...base, kind: z.literal('state'), node: node(), term: int('The term GetState returned.'), isLeader: z.boolean().describe('Whether node said it leads.') })
    .describe("node's (term, isLeader) changed, as GetState reads it."),
  log: z
    .strictObject({
      ...base,
      kind: z.literal('log'),
      node: node(),
      topic: z.enum(logTopics).describe("The log line's topic (dslogs's)."),
      message: z.string().describe('The line.'),
      fields: value('The structured fields logged with it.').optional(),
    })
    .describe("A line the implementation logged with runtime.log(topic, message, fields)."),
} satisfies { [K in TraceEventKind]: z.ZodObject };

/** Optional fields whose value may itself be null: in the NDJSON export they stay absent when unknown. */
const absentWhenUnknown = new Set(['votedFor', 'value', 'fields']);

export const traceEventSchema = z.discriminatedUnion('kind', Object.values(eventShapes) as unknown as [z.ZodObject, ...z.ZodObject[]]).describe('One event of a run.');

/** The fields each kind has, in the order the schema lists them (the NDJSON export writes them in this order). */
export const eventFields: Readonly<Record<TraceEventKind, readonly string[]>> = Object.fromEntries(
  Object.entries(eventShapes).map(([kind, shape]) => [kind, Object.keys(shape.shape)]),
) as Record<TraceEventKind, string[]>;

/** Whether the NDJSON export writes `field` as null when an event lacks it. */
export const nullWhenAbsent = (field: string): boolean => !absentWhenUnknown.has(field);

/** The NDJSON export's form of a kind: its optional fields present, null when unknown (except absentWhenUnknown's). */
function exportedShape(shape: z.ZodObject): z.ZodObject {
  const fields: Record<string, z.ZodType> = {};
  for (const [key, field] of Object.entries(shape.shape as Record<string, z.ZodType>)) {
    if (!(field instanceof z.ZodOptional) || !nullWhenAbsent(key)) {
      fields[key] = field;
      continue;
    }
    const inner = field.unwrap() as z.ZodType;
    fields[key] = inner.nullable().describe(`${inner.description ?? field.description ?? ''} null: not known.`.trim());
  }
  return z.strictObject(fields).describe(shape.description ?? '');
}

export const exportedEventSchema = z
  .discriminatedUnion('kind', Object.values(eventShapes).map(exportedShape) as [z.ZodObject, ...z.ZodObject[]])
  .describe('One event of a run, as `raftlab export --format ndjson` writes it: every field of its kind present, null where the run did not know it.');

// --- The header ---------------------------------------------------------------------------------------------------

const headerShape = {
  format: z.literal('raftlab-trace/1').describe('The file format.'),
  schema: int(`The event schema's version (traceSchemaVersion; this raftlab writes ${traceSchemaVersion}). Absent in traces made before version 3.`)
    .min(1)
    .optional(),
  test: z.string().min(1).describe('The graded test, e.g. TestBackup2B.'),
  seed: int('The seed the run used; with the test, clock, chaos knobs and implementation it replays the run.').min(0),
  mode: z.enum(['sim', 'real']).describe("The clock: sim (virtual time, replayable event for event) or real (the machine's)."),
  impl: z.string().min(1).describe("The implementation's folder, or 'reference' for the built-in Raft."),
  raftlabVersion: z.string().describe('The raftlab that recorded it.'),
  node: z.string().describe('The Node.js version that ran it.'),
  status: z.enum(['pass', 'fail', 'error', 'timeout']).describe("The run's verdict."),
  message: z.string().describe('Why it failed.').optional(),
  checked: z.boolean().describe('The safety checker judged the run too (run --check); a replay judges it the same way.').optional(),
  truncated: z.boolean().describe('The run was stopped (watchdog, crash) before it ended: the trace holds what it recorded until then.').optional(),
  sources: z
    .strictObject({ hash: z.string().describe("SHA-256 of the implementation's source snapshot."), files: int('How many files the snapshot holds.') })
    .describe("The implementation's sources as they ran; the trace file carries the snapshot itself.")
    .optional(),
  servers: int('How many servers the test ran.').min(1).optional(),
  events: int('How many events follow.').min(0).optional(),
  chaos: chaosKnobsSchema.describe('The chaos knobs the run had on (a replay turns them on again).').optional(),
  lang: z.literal('go').describe("A Go lab's run (the course's Go tester on the wall clock, not replayable). Absent: TypeScript.").optional(),
};

/** The header as raftlab writes it (the published schema: no other field). */
export const traceHeaderSchema = z.strictObject(headerShape).describe("A trace's header: which run it is, and how it ended.");
/** The header as raftlab reads it: fields a later raftlab may add are let through; the known ones must be valid. */
export const traceHeaderReadSchema = z.looseObject(headerShape);

export type TraceHeaderFromSchema = z.infer<typeof traceHeaderSchema>;

/** A zod error in one line: the first problem, with its field. */
export function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid';
  const where = issue.path.length ? issue.path.join('.') : 'the value';
  return `${where}: ${issue.message}`;
}

// --- Published JSON Schema ----------------------------------------------------------------------------------------

const toJson = (schema: z.ZodType, id: string, title: string): Record<string, unknown> => ({
  ...(z.toJSONSchema(schema, { target: 'draft-7', unrepresentable: 'any' }) as Record<string, unknown>),
  $id: id,
  title,
});

/** docs/schema/*.schema.json: file name → schema. */
export function traceJsonSchemas(): Record<string, Record<string, unknown>> {
  return {
    'trace-header.schema.json': toJson(traceHeaderSchema, 'raftlab-trace-header', 'raftlab trace header'),
    'trace-event.schema.json': toJson(traceEventSchema, 'raftlab-trace-event', `raftlab trace event (schema version ${traceSchemaVersion})`),
    'export-ndjson-line.schema.json': toJson(
      z
        .union([traceHeaderSchema, exportedEventSchema])
        .describe('One line of `raftlab export --format ndjson`: the first line is the header (it has `format`), every later line an event (it has `kind`).'),
      'raftlab-export-ndjson-line',
      'raftlab NDJSON export line',
    ),
  };
}

// --- Kept in step with schema.ts ------------------------------------------------------------------------------------

/** A and B have the same fields (optional ones included), each of a type the other accepts. */
export type Same<A, B> = [keyof A, keyof B] extends [keyof B, keyof A] ? ([A] extends [B] ? ([B] extends [A] ? true : false) : false) : false;
type FromSchema = { [K in keyof typeof eventShapes]: z.infer<(typeof eventShapes)[K]> }[keyof typeof eventShapes];
type Agrees<K extends TraceEventKind> = Same<Extract<TraceEvent, { kind: K }>, Extract<FromSchema, { kind: K }>>;
// A compile error here names the kind on which schema.ts and this file disagree.
const agreement: { [K in TraceEventKind]: Agrees<K> } = Object.fromEntries(traceEventKinds.map((k) => [k, true])) as { [K in TraceEventKind]: true };
void agreement;

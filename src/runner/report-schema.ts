/**
 * `raftlab run --json`'s report as JSON Schema (docs/schema/batch-report.schema.json, written by `npm run schema`),
 * every field described. It mirrors BatchJson (report.ts) and the types it is made of; the assertion at the bottom
 * fails to compile when they disagree. Loaded only by the schema script and tests: nothing at run time needs zod.
 */
import * as z from 'zod';
import { invariants, type InvariantId } from '../checker/invariants.ts';
import { chaosKnobsSchema } from '../harness/chaos-schema.ts';
import { pathCountsSchema } from '../harness/tester/paths-schema.ts';
import type { CodecWarningKind } from '../harness/codec/codec.ts';
import { batchReportVersion, type BatchJson } from './report.ts';

const ms = (what: string) => z.number().describe(`${what} (ms)`);
const int = (what: string) => z.number().int().describe(what);
const status = z.enum(['pass', 'fail', 'error', 'timeout']).describe("A run's verdict: pass; fail (the tester's checks); error (the implementation threw, exited, ...); timeout (a watchdog stopped it).");
const clock = z.enum(['sim', 'real']).describe('The clock: sim (virtual time, replayable) or real.');
const codecWarningKinds = [
  'class-instance', 'map', 'set', 'function', 'undefined', 'symbol', 'bigint', 'non-finite', 'negative-zero', 'sparse-array', 'typed-array', 'proto-key', 'lone-surrogate',
] as const satisfies readonly CodecWarningKind[];

const durations = z
  .strictObject({
    n: int('How many runs it is over.'),
    mean: z.number().describe('Mean (ms).'),
    sd: z.number().describe('Sample standard deviation, n - 1 (ms; 0 for a single value).'),
    p95: z.number().describe('95th percentile, nearest rank (ms).'),
    min: z.number().describe('Shortest (ms).'),
    max: z.number().describe('Longest (ms).'),
  })
  .describe('Durations over the runs that completed.');

const pathCounts = pathCountsSchema;

const violation = z.strictObject({
  invariant: z.enum(Object.keys(invariants) as [InvariantId, ...InvariantId[]]).describe("The safety checker's rule."),
  message: z.string().describe('What happened, in the words of the run.'),
  eventIndex: int('Index (in the trace) of the first event that broke it.'),
  context: z.array(z.number().int()).describe('Indices of earlier events that led there, oldest first.'),
});

const raceSide = z
  .strictObject({
    op: z.string().describe('read or write.'),
    site: z.string().describe("The access's first frame in the student's (else the lab's) code: raft.go:70.").optional(),
    func: z.string().optional(),
    stack: z.array(z.string()).describe('The stack down to that frame, innermost first.'),
  })
  .describe('One side of a data race.');

const run = z
  .strictObject({
    id: z.string().describe('The test, e.g. TestBackup2B.'),
    part: z.string().describe('Its part: 2A, 2B, 2C or 2D.'),
    description: z.string().describe("The test's description, as the Go tester prints it."),
    mode: clock,
    seed: int('The seed; with the test, clock, chaos and implementation it replays the run.'),
    status,
    message: z.string().describe("Why it failed: the course's message, or the error's.").optional(),
    failureMessages: z.array(z.string()).describe('Every failure message, in order (empty for a kept pass).'),
    errorCode: z.string().describe('A code for errors that have one (UNHANDLED_REJECTION, WATCHDOG_TIMEOUT, ...).').optional(),
    stack: z.string().describe("The error's stack.").optional(),
    site: z.string().describe("Where the error fired in the implementation's own sources (raft.ts:120:7).").optional(),
    output: z.array(z.string()).describe("The tester's output lines (empty for a kept pass)."),
    passed: z
      .strictObject({
        seconds: z.number().describe("The test's time, as the Passed line prints it."),
        peers: int('Servers.'),
        rpcs: int('RPCs sent.'),
        bytes: int('Bytes sent.'),
        commands: int('Commands agreed.'),
      })
      .describe('The numbers of its `... Passed --` line.')
      .optional(),
    testMs: ms("The test's own time: virtual on the sim clock"),
    wallMs: ms('Wall time the run took'),
    codecWarnings: z.array(z.strictObject({ kind: z.enum(codecWarningKinds), path: z.string(), message: z.string() })).describe('What the codec warned of (labgob).'),
    chaos: chaosKnobsSchema.describe('The chaos knobs it had on.').optional(),
    paths: pathCounts.optional(),
    implDir: z.string().describe('The implementation folder.'),
    sourcesHash: z.string().describe("SHA-256 of the implementation's source snapshot: which code ran.").optional(),
    runId: z.string().describe("The pool's id for the run.").optional(),
    completed: z.boolean().describe('false when the run process died or was stopped (then testMs is the wall time until then).'),
    dispatchWallMs: ms('Wall time from dispatch to the result, a fresh process started included'),
    freshWorker: z.boolean().describe('A fresh run process was started for it.'),
    consoleOutput: z.string().describe('What the implementation printed itself (console.log), capped.').optional(),
    consoleDroppedBytes: int('Console output beyond the cap, dropped (bytes).').optional(),
    traceFile: z.string().describe('The trace file kept for it.').optional(),
    traceError: z.string().describe('Why its trace could not be kept.').optional(),
    violations: z.array(violation).describe('What the safety checker found (run --check).').optional(),
    lang: z.literal('go').describe("A Go lab's run (its seed is only the run's number: Go runs are not replayable).").optional(),
    location: z.string().describe("A Go run's failure: the line that reported it, as go test prints it (config.go:345).").optional(),
    race: z.literal(true).describe('A Go run of a -race build.').optional(),
    goroutines: z
      .strictObject({
        groups: z.array(
          z.strictObject({
            count: int('Goroutines in the group.'),
            state: z.string().describe("Their state, as Go's dump says it (semacquire, chan receive, …)."),
            code: z.string().describe('The source line the group waits on, when the sources have it.').optional(),
            sites: z.array(z.strictObject({ site: z.string(), func: z.string(), count: z.number().int() })).describe('Where, most goroutines first.'),
            site: z.string().describe('The first site.').optional(),
            func: z.string().describe("The first site's function.").optional(),
            owner: z.enum(['student', 'tester', 'lab']).describe('Whose code the group waits in.'),
            waits: z.enum(['lock', 'channel', 'cond', 'in-lab', 'sleep', 'tester', 'other']).describe('What the wait is.'),
            ids: z.array(z.number().int()).describe("The first few goroutines' ids."),
          }),
        ),
        total: int('Goroutines in the dump.'),
        runtime: int("Of them, those only in Go's own packages (not grouped)."),
      })
      .describe('A Go run stopped by the watchdog, or ended by a fatal error: its goroutines, grouped by where they wait.')
      .optional(),
    goroutineDump: z.string().describe('The goroutine dump itself, as Go printed it (capped).').optional(),
    races: z
      .array(
        z.strictObject({
          key: z.string().describe('The pair of cut stacks, sorted: the race\'s identity.'),
          accesses: z.tuple([raceSide, raceSide]).describe('The two accesses.'),
          count: int('How many reports had this pair.'),
          summary: z.string().describe('read at raft.go:70 in (*Raft).GetState vs write at …'),
        }),
      )
      .describe("A Go run's -race reports, deduplicated by their pair of stacks.")
      .optional(),
    raceReports: int('How many -race reports there were.').optional(),
  })
  .describe('One run.');

const batch = z.strictObject({
  startedAt: z.string().describe('When the batch began (ISO 8601, UTC).'),
  mode: clock,
  baseSeed: int('The seed of run 0; run i of each test uses baseSeed + i.'),
  count: int('Runs per test.'),
  parallel: int('Run processes at once.'),
  implDir: z.string().describe('The implementation folder.'),
  sourcesHash: z.string().describe("SHA-256 of the implementation's source snapshot every run ran."),
  notRun: z.array(z.strictObject({ id: z.string(), seed: z.number().int() })).describe('Runs the batch did not reach (--stop-on-fail, Ctrl-C), or cancelled in flight.'),
  perTest: z
    .array(
      z.strictObject({
        id: z.string().describe('The test.'),
        runs: int('Runs finished.'),
        failed: int('Runs that did not pass.'),
        failureRate: z.number().describe('failed / runs.'),
        interval: z.strictObject({ low: z.number(), high: z.number() }).describe('95 % Wilson interval of the failure rate.'),
        testMs: durations,
        wallMs: durations,
        paths: z
          .strictObject({
            total: pathCounts.describe('Summed over the runs counted.'),
            runsCounted: int('Runs that reported counts (a run whose process died reports none).'),
            runsWithInstallSnapshot: int('Of these, runs that sent at least one InstallSnapshot.'),
          })
          .describe('What its runs exercised.')
          .optional(),
      }),
    )
    .describe('One row per test, as the closing table.'),
  clusters: z
    .array(
      z.strictObject({
        test: z.string(),
        site: z.string().describe('Where they failed (a code and a source line, or the tester).'),
        message: z.string().describe('The message, normalized (numbers as N).'),
        statuses: z.array(z.string()),
        count: int('Failing runs in the cluster.'),
        firstSeed: int('The first seed that failed so.'),
        shortestSeed: int('The seed of the shortest such run: the best to replay.'),
        shortestTestMs: z.number(),
        example: z.string().describe('One real message.'),
        members: z.array(z.strictObject({ seed: z.number().int(), status, testMs: z.number(), traceFile: z.string().optional() })).describe('Every failing run of the cluster.'),
      }),
    )
    .describe('Failures grouped by cause, largest first.'),
  failed: int('Runs that did not pass.'),
  stopped: z.boolean().describe('The batch stopped before every run was done.'),
  wallMs: ms('Wall time of the batch'),
  pool: z.strictObject({ workersStarted: z.number().int(), replacedAfterCrash: z.number().int(), replacedUnclean: z.number().int(), replacedAfterRuns: z.number().int() }).describe('What the pool of run processes did.'),
  lang: z.literal('go').describe("A Go lab's batch (its runs on the wall clock, not replayable).").optional(),
  race: z.literal(true).describe('A Go lab built with -race.').optional(),
  pattern: z.string().describe('The test pattern given.'),
  tests: z.array(z.string()).describe('The tests it selected.'),
  historyId: z.string().describe('The batch in the results history.').optional(),
});

export const batchReportSchema = z
  .strictObject({
    version: z.literal(batchReportVersion).describe("The report's version."),
    batch,
    runs: z.array(run).describe('Every finished run, in the order they finished.'),
  })
  .describe('`raftlab run --json FILE`: the batch and every run.');

export function batchReportJsonSchema(): Record<string, unknown> {
  return { ...(z.toJSONSchema(batchReportSchema, { target: 'draft-7' }) as Record<string, unknown>), $id: 'raftlab-batch-report', title: `raftlab batch report (version ${batchReportVersion})` };
}

// A compile error here: BatchJson and this schema disagree.
type Same<A, B> = [keyof A, keyof B] extends [keyof B, keyof A] ? ([A] extends [B] ? ([B] extends [A] ? true : false) : false) : false;
type FromSchema = z.infer<typeof batchReportSchema>;
const agrees: [Same<BatchJson['batch'], FromSchema['batch']>, Same<BatchJson['runs'][number], FromSchema['runs'][number]>, Same<BatchJson, FromSchema>] = [true, true, true];
void agrees;

/**
 * Grading, as plain data: what to run (submissions × tests × seeds, cut into jobs of a few seeds each) and what came
 * back (one line per run, keyed by submission, test and seed). The same plan runs on this machine's pool or on BullMQ
 * workers; keys make every result count once, however often a job is run again after a worker died.
 */
import * as z from 'zod';
import { chaosKnobsSchema, type ChaosKnobs } from '../harness/chaos-schema.ts';
import type { ClockMode } from '../harness/runtime/index.ts';

/** A submission's id: its folder's name. Nothing else names a path. */
export const submissionIdPattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/** The most runs per test a grade takes (the CLI's --count, the page's field), and run processes at once. */
export const gradeCountMax = 100_000;
export const gradeParallelMax = 64;

/** When a test counts as passed: every run passed, or its failure rate is at most `maxRate`. */
export type PassRule = { kind: 'all' } | { kind: 'rate'; maxRate: number };

export interface GradeSettings {
  /** A regular expression over test ids, as for `raftlab run`. */
  tests: string;
  count: number;
  baseSeed: number;
  mode: ClockMode;
  check: boolean;
  chaos?: ChaosKnobs | undefined;
  rule: PassRule;
}

export const passRuleSchema = z.discriminatedUnion('kind', [z.object({ kind: z.literal('all') }), z.object({ kind: z.literal('rate'), maxRate: z.number().min(0).max(1) })]);

export const gradeSettingsSchema = z.object({
  tests: z.string().min(1).max(10_000),
  count: z.number().int().positive().max(1_000_000),
  baseSeed: z.number().int().nonnegative(),
  mode: z.enum(['sim', 'real']),
  check: z.boolean(),
  chaos: chaosKnobsSchema.optional(),
  rule: passRuleSchema,
});

/** Whether two settings are the same grade (the same runs, judged by the same rule). */
export const sameSettings = (a: GradeSettings, b: GradeSettings): boolean =>
  JSON.stringify(gradeSettingsSchema.parse(a)) === JSON.stringify(gradeSettingsSchema.parse(b));

/** One run's result, as a grade keeps it: the verdict, never the output. */
export const runResultSchema = z.object({
  submission: z.string().regex(submissionIdPattern),
  test: z.string().regex(/^Test[A-Za-z0-9]+$/),
  seed: z.number().int().nonnegative(),
  status: z.enum(['pass', 'fail', 'error', 'timeout']),
  message: z.string().max(2_000).optional(),
  errorCode: z.string().max(100).optional(),
  site: z.string().max(500).optional(),
  /** The rules the checker named (with --check). */
  violations: z.array(z.string().max(100)).max(100).optional(),
  testMs: z.number(),
  wallMs: z.number(),
  /** Where the failed run's trace is, relative to the grade's folder. */
  trace: z.string().max(1_000).optional(),
});
export type RunResult = z.infer<typeof runResultSchema>;

export const resultKey = (r: Pick<RunResult, 'submission' | 'test' | 'seed'>): string => `${r.submission}|${r.test}|${r.seed}`;

/** One unit of work: a few seeds of one test of one submission. */
export interface GradeJob {
  /** Stable across re-runs of the same grade: BullMQ keeps one job per id. */
  id: string;
  submission: string;
  sourcesHash: string;
  test: string;
  seeds: number[];
}

/** Cut the runs that are not done yet into jobs of at most `seedsPerJob` seeds. */
export function planJobs(
  submissions: ReadonlyArray<{ id: string; sourcesHash: string }>,
  tests: readonly string[],
  settings: Pick<GradeSettings, 'count' | 'baseSeed'>,
  done: ReadonlySet<string>,
  seedsPerJob = 5,
): GradeJob[] {
  const jobs: GradeJob[] = [];
  for (const submission of submissions) {
    for (const test of tests) {
      let seeds: number[] = [];
      const flush = (): void => {
        if (seeds.length === 0) return;
        jobs.push({ id: `${submission.id}~${submission.sourcesHash.slice(0, 12)}~${test}~${seeds[0]}-${seeds.at(-1)}`, submission: submission.id, sourcesHash: submission.sourcesHash, test, seeds });
        seeds = [];
      };
      for (let i = 0; i < settings.count; i++) {
        const seed = settings.baseSeed + i;
        if (done.has(resultKey({ submission: submission.id, test, seed }))) {
          flush();
          continue;
        }
        seeds.push(seed);
        if (seeds.length === seedsPerJob) flush();
      }
      flush();
    }
  }
  return jobs;
}

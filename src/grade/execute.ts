/**
 * Running grade jobs on a pool of run processes: the same code for `raftlab grade` on this machine and for each
 * `raftlab worker`. Every run of a submission is confined to its own build (submissions.ts); a submission that does
 * not build or load gets its runs recorded as errors with the reason, and the others go on.
 */
import { readFileSync, rmSync } from 'node:fs';
import { findTest } from '../harness/tester/index.ts';
import type { PreparedTsImpl } from '../runner/impl.ts';
import { PoolClosedError, type WorkerPool } from '../runner/pool.ts';
import { makeScratch } from '../runner/scratch.ts';
import type { RunRecord, RunTask } from '../runner/types.ts';
import type { GradeJob, GradeSettings, RunResult } from './plan.ts';
import { confinementFlags } from './submissions.ts';

/** A trace larger than this does not travel back from a worker (the result says so). */
export const traceTravelMaxBytes = 4 * 1024 * 1024;

export interface JobOutcome {
  results: RunResult[];
  /** Failed runs' traces, by `${test}-seed${seed}`, base64 (workers send them back with the results). */
  traces: Record<string, string>;
}

/** What a run process says of one run, as a grade keeps it. */
export function resultOf(submission: string, record: RunRecord): RunResult {
  return {
    submission,
    test: record.id,
    seed: record.seed,
    status: record.status,
    ...(record.message !== undefined ? { message: record.message.slice(0, 2_000) } : {}),
    ...(record.errorCode ? { errorCode: record.errorCode } : {}),
    ...(record.site ? { site: record.site } : {}),
    ...(record.violations?.length ? { violations: [...new Set(record.violations.map((v) => v.invariant))] } : {}),
    testMs: record.testMs,
    wallMs: record.wallMs,
  };
}

/** Every run of a job recorded as the same error (a submission that does not build or load). */
export function failedJob(job: GradeJob, error: { code: string; message: string }): JobOutcome {
  return {
    results: job.seeds.map((seed) => ({ submission: job.submission, test: job.test, seed, status: 'error', message: error.message.slice(0, 2_000), errorCode: error.code, testMs: 0, wallMs: 0 })),
    traces: {},
  };
}

/** A job cut short by the pool closing (a grade cancelled): the runs that ended before it did. */
export class JobCutError extends Error {
  constructor(readonly partial: JobOutcome) {
    super(`the job was cut short after ${partial.results.length} runs: the pool was closed`);
    this.name = 'JobCutError';
  }
}

/**
 * Run one job's seeds on the pool, confined to the submission's build; failed runs' traces come back too. When the
 * pool is closed under it (a grade cancelled), JobCutError carries the runs that had ended.
 */
export async function runJob(job: GradeJob, impl: PreparedTsImpl, buildDir: string, settings: GradeSettings, pool: WorkerPool): Promise<JobOutcome> {
  if (!findTest(job.test)) throw new Error(`the job names test ${job.test}, which this raftlab does not have`);
  const traceDir = makeScratch('grade-traces');
  try {
    const task = (seed: number): RunTask => ({
      testId: job.test,
      mode: settings.mode,
      seed,
      implDir: impl.dir,
      impl: impl.ref,
      trace: { keep: 'failed', dir: traceDir, sources: impl.built.snapshot },
      ...(settings.check ? { check: true } : {}),
      ...(settings.chaos ? { chaos: settings.chaos } : {}),
      processFlags: confinementFlags(buildDir),
    });
    const settled = await Promise.allSettled(job.seeds.map((seed) => pool.run(task(seed))));
    const outcome: JobOutcome = { results: [], traces: {} };
    for (const s of settled) {
      if (s.status === 'rejected') continue;
      const record = s.value;
      outcome.results.push(resultOf(job.submission, record));
      if (!record.traceFile) continue;
      const bytes = readFileSync(record.traceFile);
      if (bytes.length <= traceTravelMaxBytes) outcome.traces[`${record.id}-seed${record.seed}`] = bytes.toString('base64');
    }
    const failures = settled.filter((s): s is PromiseRejectedResult => s.status === 'rejected').map((s) => s.reason as unknown);
    if (failures.length > 0) {
      if (failures.every((e) => e instanceof PoolClosedError)) throw new JobCutError(outcome);
      throw failures.find((e) => !(e instanceof PoolClosedError));
    }
    return outcome;
  } finally {
    rmSync(traceDir, { recursive: true, force: true });
  }
}

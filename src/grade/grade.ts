/**
 * `raftlab grade`: every submission × the chosen tests × many seeds, on this machine's pool or — with a queue — on
 * any number of `raftlab worker`s through BullMQ on Redis (retries, stalled-job recovery and progress come from
 * BullMQ; nothing home-made). A submission travels to workers as its source snapshot, content-addressed in Redis, so
 * every worker runs exactly the code that was submitted. Results are keyed by (submission, test, seed) in the grade's
 * folder: a job run twice counts once, and the same `--out` resumes.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { Job, Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { PoolClosedError, WorkerPool, type PoolOptions } from '../runner/pool.ts';
import { failedJob, JobCutError, runJob, type JobOutcome } from './execute.ts';
import { previewGrade } from './options.ts';
import { planJobs, resultKey, type GradeJob, type GradeSettings } from './plan.ts';
import { buildReport, writeReport, type GradeReport } from './report.ts';
import { GradeStore } from './store.ts';
import { buildDirFor, buildSubmission, confinementFlags, type Submission } from './submissions.ts';

/** The one BullMQ queue every grade's jobs go through; jobs carry their grade's id. */
export const gradeQueueName = 'raftlab-grade';
export const sourcesKey = (hash: string): string => `raftlab:sources:${hash}`;

export interface GradeProgress {
  submission: string;
  done: number;
  total: number;
  /** Runs of this submission that did not pass, so far. */
  failed: number;
}

/** What a grade is about to run, once its submissions are built and loaded. */
export interface GradePlan {
  tests: string[];
  submissions: Array<{ id: string; sourcesHash?: string; error?: string; done: number; failed: number; total: number }>;
  /** Runs recorded by an earlier invocation (not run again). */
  recorded: number;
}

export interface GradeOptions {
  submissionsDir: string;
  out: string;
  settings: GradeSettings;
  /** Run processes at once on this machine (local grading). */
  parallel: number;
  /** redis://host:port: enqueue the jobs for `raftlab worker`s instead of running them here. */
  queue?: string;
  seedsPerJob?: number;
  /** The pool's watchdogs (tests use short ones). */
  pool?: Omit<PoolOptions, 'size'>;
  onPlan?: (plan: GradePlan) => void;
  onProgress?: (p: GradeProgress) => void;
  onNote?: (line: string) => void;
  /** Stops the grade: no more jobs start and runs in flight are dropped; what was recorded stays, and resumes. */
  signal?: AbortSignal;
}

export interface GradeOutcome {
  report: GradeReport;
  /** The report files written; none when the grade was cut short (an incomplete grade's verdicts are not final). */
  files: string[];
  /** Runs recorded by this invocation (the others were there from an earlier one). */
  ran: number;
  /** Cancelled before every run was recorded: the same grade again resumes it. */
  cut: boolean;
}

function gradeId(settings: GradeSettings, submissions: readonly Submission[]): string {
  const h = createHash('sha256').update(JSON.stringify(settings));
  for (const s of submissions) h.update(`${s.id}\0${s.prepared?.ref.sourcesHash ?? s.error?.message ?? ''}\0`);
  return h.digest('hex').slice(0, 16);
}

/** Run `work` over `items`, at most `lanes` at once, in order; stops taking items once `stop()` says so. */
async function inLanes<T>(items: readonly T[], lanes: number, work: (item: T) => Promise<void>, stop: () => boolean = () => false): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length && !stop()) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(lanes, items.length)) }, lane));
}

export async function grade(options: GradeOptions): Promise<GradeOutcome> {
  const { settings, signal } = options;
  // Every refusal before anything is written: a missing folder, a pattern that selects nothing, another grade's folder.
  const preview = previewGrade(options.submissionsDir, options.out, settings);
  const store = new GradeStore(preview.out, settings);
  const tests = preview.tests;
  const found = preview.submissions.map((id) => ({ id, dir: path.join(preview.submissionsDir, id) }));
  const submissions = await Promise.all(found.map((s) => buildSubmission(s, store.workDir)));
  const byId = new Map(submissions.map((s) => [s.id, s]));
  const inPlan = new Set(tests.flatMap((test) => Array.from({ length: settings.count }, (_, i) => `${test}|${settings.baseSeed + i}`)));
  const totals = new Map(submissions.map((s) => [s.id, tests.length * settings.count]));
  const done = new Map(submissions.map((s) => [s.id, 0]));
  const failed = new Map(submissions.map((s) => [s.id, 0]));
  let recorded = 0;
  for (const r of store.results.values()) {
    if (!byId.has(r.submission) || !inPlan.has(`${r.test}|${r.seed}`)) continue;
    recorded++;
    done.set(r.submission, done.get(r.submission)! + 1);
    if (r.status !== 'pass') failed.set(r.submission, failed.get(r.submission)! + 1);
  }
  let ran = 0;

  const record = (outcome: JobOutcome): void => {
    for (const result of outcome.results) {
      if (store.has(resultKey(result))) continue;
      const trace = outcome.traces[`${result.test}-seed${result.seed}`];
      const kept = trace ? { ...result, trace: store.keepTrace(result, Buffer.from(trace, 'base64')) } : result;
      if (!store.add(kept)) continue;
      ran++;
      const n = (done.get(result.submission) ?? 0) + 1;
      done.set(result.submission, n);
      if (result.status !== 'pass') failed.set(result.submission, (failed.get(result.submission) ?? 0) + 1);
      options.onProgress?.({ submission: result.submission, done: n, total: totals.get(result.submission) ?? 0, failed: failed.get(result.submission) ?? 0 });
    }
  };

  const parallel = Math.max(1, options.parallel);
  const local = new WorkerPool({ ...options.pool, size: parallel });
  // Cancelling closes the pool: the runs in flight are dropped, the jobs waiting are not started.
  const onAbort = (): void => void local.close();
  if (signal?.aborted) onAbort();
  else signal?.addEventListener('abort', onAbort, { once: true });
  try {
    // Load each built submission once, confined, before any job: a module that never returns is reported, not run.
    await inLanes(
      submissions.filter((s) => s.prepared),
      parallel,
      async (s) => {
        let probe;
        try {
          probe = await local.probe(s.prepared!.built.file, confinementFlags(buildDirFor(store.workDir, s.id)));
        } catch (error) {
          if (error instanceof PoolClosedError) return;
          throw error;
        }
        if (!probe.ok) s.error = { code: probe.code ?? 'IMPL_LOAD_FAILED', message: `${s.prepared!.built.snapshot.entry}: ${probe.message ?? 'does not load'}` };
        else if (s.error) delete s.error;
      },
      () => !!signal?.aborted,
    );
    if (!signal?.aborted) {
      const manifest = submissions.map((s) => ({ id: s.id, ...(s.prepared ? { sourcesHash: s.prepared.ref.sourcesHash } : {}), ...(s.error ? { error: s.error.message.slice(0, 20_000) } : {}) }));
      store.writeSubmissions({ submissionsDir: preview.submissionsDir, submissions: manifest });
      options.onPlan?.({
        tests,
        submissions: manifest.map((s) => ({ ...s, done: done.get(s.id)!, failed: failed.get(s.id)!, total: totals.get(s.id)! })),
        recorded,
      });
      const keyed = submissions.map((s) => ({ id: s.id, sourcesHash: s.prepared?.ref.sourcesHash ?? 'none' }));
      const jobs = planJobs(keyed, tests, settings, new Set(store.results.keys()), options.seedsPerJob);
      for (const job of jobs.filter((j) => byId.get(j.submission)!.error)) record(failedJob(job, byId.get(job.submission)!.error!));
      const runnable = jobs.filter((j) => !byId.get(j.submission)!.error);
      if (options.queue) await onQueue(options.queue, gradeId(settings, submissions), runnable, submissions, settings, record, options);
      else {
        // A lane per run process, each a job at a time (its few seeds run side by side): the pool stays busy, and the
        // class is graded submission by submission, in order.
        await inLanes(
          runnable,
          parallel,
          async (job) => {
            const s = byId.get(job.submission)!;
            try {
              record(await runJob(job, s.prepared!, buildDirFor(store.workDir, s.id), settings, local));
            } catch (error) {
              if (!(error instanceof JobCutError)) throw error;
              record(error.partial);
            }
          },
          () => !!signal?.aborted,
        );
      }
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
    await local.close();
  }
  const report = buildReport(
    settings,
    submissions.map((s) => ({ id: s.id, ...(s.prepared ? { sourcesHash: s.prepared.ref.sourcesHash } : {}), ...(s.error ? { error: s.error.message } : {}) })),
    tests,
    store.results,
  );
  const cut = report.students.some((s) => s.tests.some((t) => t.missing > 0));
  return { report, files: cut ? [] : writeReport(store.dir, report), ran, cut };
}

async function onQueue(
  url: string,
  id: string,
  jobs: readonly GradeJob[],
  submissions: readonly Submission[],
  settings: GradeSettings,
  record: (o: JobOutcome) => void,
  options: GradeOptions,
): Promise<void> {
  const redis = new Redis(url, { maxRetriesPerRequest: null, lazyConnect: true });
  await redis.connect();
  const connection = redis;
  const queue = new Queue(gradeQueueName, { connection });
  const events = new QueueEvents(gradeQueueName, { connection: redis.duplicate() });
  try {
    for (const s of submissions) {
      if (!s.prepared) continue;
      const snapshot = s.prepared.built.snapshot;
      await redis.set(sourcesKey(snapshot.hash), gzipSync(JSON.stringify(snapshot)).toString('base64'), 'EX', 14 * 86_400, 'NX');
    }
    const pending = new Map(jobs.map((job) => [`${id}~${job.id}`, job]));
    let wake: () => void = () => {};
    const settle = (jobId: string, value: unknown): void => {
      if (!pending.has(jobId)) return;
      try {
        record((typeof value === 'string' ? JSON.parse(value) : value) as JobOutcome);
        pending.delete(jobId);
      } catch {
        // a value that is not an outcome: leave the job pending; its attempts will tell
      }
      wake();
    };
    events.on('completed', ({ jobId, returnvalue }) => settle(jobId, returnvalue));
    events.on('failed', async ({ jobId, failedReason }) => {
      const job = await Job.fromId(queue, jobId);
      if (!job || !pending.has(jobId) || job.attemptsMade < (job.opts.attempts ?? 1)) return;
      record(failedJob(pending.get(jobId)!, { code: 'WORKER_FAILED', message: `the workers could not run this job: ${failedReason}` }));
      pending.delete(jobId);
      wake();
    });
    await events.waitUntilReady();
    options.onNote?.(`grade ${id}: ${pending.size} jobs on ${gradeQueueName} at ${url.replace(/\/\/[^@]*@/, '//')}`);
    for (const [jobId, job] of pending) {
      await queue.add('grade', { gradeId: id, job, settings }, { jobId, attempts: 3, backoff: { type: 'fixed', delay: 1_000 }, removeOnComplete: { age: 14 * 86_400 }, removeOnFail: { age: 14 * 86_400 } });
    }
    // Jobs that finished before this invocation subscribed (a resumed grade, or a fast worker): read their values.
    while (pending.size > 0 && !options.signal?.aborted) {
      for (const jobId of [...pending.keys()]) {
        const job = await Job.fromId(queue, jobId);
        if (job && (await job.isCompleted())) settle(jobId, job.returnvalue);
      }
      if (pending.size === 0) break;
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, 2_000);
      });
    }
  } finally {
    await events.close();
    await queue.close();
    await redis.quit();
  }
}

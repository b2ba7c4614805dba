/**
 * `raftlab worker --queue redis://…`: takes grade jobs from BullMQ and runs them on this machine's pool. A job names
 * its submission by the hash of its source snapshot: the worker fetches it from Redis once, checks every file against
 * its recorded hash, builds it into a folder of its own and runs it confined there (submissions.ts). A worker killed
 * mid-job loses nothing: BullMQ's stalled-job check hands the job to another worker, and results are keyed, so
 * nothing counts twice.
 */
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import * as z from 'zod';
import { alteredFiles, sourceSnapshotSchema, writeSnapshot, type SourceSnapshot } from '../harness/loader/index.ts';
import { cacheDir } from '../harness/paths.ts';
import { prepareTsImpl, type PreparedTsImpl } from '../runner/impl.ts';
import { WorkerPool } from '../runner/pool.ts';
import { failedJob, runJob, type JobOutcome } from './execute.ts';
import { gradeQueueName, sourcesKey } from './grade.ts';
import { gradeSettingsSchema, submissionIdPattern, type GradeJob } from './plan.ts';
import { confinementFlags } from './submissions.ts';

const jobDataSchema = z.object({
  gradeId: z.string().regex(/^[0-9a-f]{16}$/),
  job: z.object({
    id: z.string().max(300),
    submission: z.string().regex(submissionIdPattern),
    sourcesHash: z.string().regex(/^[0-9a-f]{64}$/),
    test: z.string().regex(/^Test[A-Za-z0-9]+$/),
    seeds: z.array(z.number().int().nonnegative()).min(1).max(10_000),
  }),
  settings: gradeSettingsSchema,
});

export interface WorkerOptions {
  queue: string;
  parallel: number;
  /** How long a job's lock lasts without renewal (BullMQ's lockDuration): a dead worker's job moves on after it. */
  lockMs?: number;
  onNote?: (line: string) => void;
}

type Ready = { impl: PreparedTsImpl; buildDir: string } | { error: { code: string; message: string } };

export async function startWorker(options: WorkerOptions): Promise<{ close(): Promise<void> }> {
  const redis = new Redis(options.queue, { maxRetriesPerRequest: null, lazyConnect: true });
  await redis.connect();
  const pool = new WorkerPool({ size: Math.max(1, options.parallel) });
  const ready = new Map<string, Promise<Ready>>();

  const prepare = async (hash: string): Promise<Ready> => {
    const packed = await redis.get(sourcesKey(hash));
    if (!packed) return { error: { code: 'SOURCES_MISSING', message: `the queue holds no sources ${hash.slice(0, 12)} (expired, or never uploaded)` } };
    const parsed = sourceSnapshotSchema.safeParse(JSON.parse(gunzipSync(Buffer.from(packed, 'base64')).toString('utf8')));
    if (!parsed.success) return { error: { code: 'SOURCES_INVALID', message: `the sources ${hash.slice(0, 12)} in the queue are not a valid snapshot` } };
    const snapshot: SourceSnapshot = parsed.data;
    if (snapshot.hash !== hash || alteredFiles(snapshot).length > 0) {
      return { error: { code: 'SOURCES_MODIFIED', message: `the sources ${hash.slice(0, 12)} in the queue do not match their hashes` } };
    }
    const home = path.join(cacheDir(), 'grade', hash);
    const srcDir = path.join(home, 'src');
    const implDir = existsSync(srcDir) ? path.join(srcDir, ...snapshot.implDir.split('/')) : writeSnapshot(snapshot, srcDir);
    const buildDir = path.join(home, 'build');
    mkdirSync(buildDir, { recursive: true });
    try {
      const impl = await prepareTsImpl(implDir, {}, { outDir: buildDir, processFlags: confinementFlags(buildDir) });
      return { impl, buildDir };
    } catch (error) {
      return { error: { code: (error as { code?: string }).code ?? 'IMPL_LOAD_FAILED', message: (error as Error).message } };
    }
  };

  const worker = new Worker(
    gradeQueueName,
    async (job): Promise<JobOutcome> => {
      const data = jobDataSchema.parse(job.data);
      const gradeJob: GradeJob = data.job;
      let entry = ready.get(gradeJob.sourcesHash);
      if (!entry) {
        entry = prepare(gradeJob.sourcesHash);
        ready.set(gradeJob.sourcesHash, entry);
      }
      const prepared = await entry;
      if ('error' in prepared) return failedJob(gradeJob, prepared.error);
      options.onNote?.(`${gradeJob.submission} ${gradeJob.test} seeds ${gradeJob.seeds[0]}..${gradeJob.seeds.at(-1)}`);
      return runJob(gradeJob, prepared.impl, prepared.buildDir, data.settings, pool);
    },
    {
      connection: redis.duplicate(),
      concurrency: Math.max(1, options.parallel),
      lockDuration: options.lockMs ?? 30_000,
      stalledInterval: Math.max(1_000, Math.floor((options.lockMs ?? 30_000) / 2)),
      maxStalledCount: 10,
    },
  );
  await worker.waitUntilReady();
  options.onNote?.(`worker ready on ${gradeQueueName} (${options.parallel} at once)`);
  return {
    async close() {
      await worker.close();
      await pool.close();
      await redis.quit();
    },
  };
}

/**
 * A grade's folder (`--out`): `grade.json` (the settings, written once), `submissions.json` (the class as found and
 * built), `results.ndjson` (one line per run, appended as runs come back, from this machine or from workers),
 * `traces/<submission>/` (the failed runs' traces) and the reports. Re-running `raftlab grade` with the same folder and settings resumes: runs already recorded are not run
 * again, and a result that arrives twice (a job re-run after its worker died) is counted once.
 */
import { appendFileSync, closeSync, existsSync, fstatSync, mkdirSync, openSync, readFileSync, readSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { writeAtomic } from '../runner/history.ts';
import * as z from 'zod';
import { gradeSettingsSchema, resultKey, runResultSchema, sameSettings, submissionIdPattern, type GradeSettings, type RunResult } from './plan.ts';
import { GradeInputError } from './submissions.ts';

/** Where a read of results.ndjson got to: the next read starts there (a grade being written grows at its end). */
export interface ResultsRead {
  results: Map<string, RunResult>;
  /** Bytes read, up to the last whole line. */
  offset: number;
  /** Lines that could not be read (a torn line after a crash). */
  skippedLines: number;
}

/** results.ndjson is shorter than what was read of it: it was replaced, not appended to. */
export class ResultsReplacedError extends Error {
  constructor(file: string) {
    super(`${file} was replaced while it was read`);
    this.name = 'ResultsReplacedError';
  }
}

/**
 * Read the runs recorded in results.ndjson from `from.offset` on (the whole file without `from`), into `from`'s
 * map: each (submission, test, seed) once, the first line that names it counting. A last line without its newline
 * is being written: it is read next time. A file shorter than the offset was replaced (ResultsReplacedError: read it
 * again from the start).
 */
export function readResultsFile(file: string, from?: ResultsRead, onNew?: (result: RunResult) => void): ResultsRead {
  const read: ResultsRead = from ?? { results: new Map(), offset: 0, skippedLines: 0 };
  if (!existsSync(file)) return read;
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size < read.offset) throw new ResultsReplacedError(file);
    if (size === read.offset) return read;
    const bytes = Buffer.alloc(size - read.offset);
    let got = 0;
    while (got < bytes.length) {
      const n = readSync(fd, bytes, got, bytes.length - got, read.offset + got);
      if (n === 0) break;
      got += n;
    }
    const end = bytes.lastIndexOf(0x0a, got - 1);
    if (end < 0) return read;
    for (const line of bytes.subarray(0, end).toString('utf8').split('\n')) {
      if (!line) continue;
      try {
        const r = runResultSchema.parse(JSON.parse(line));
        if (read.results.has(resultKey(r))) continue;
        read.results.set(resultKey(r), r);
        onNew?.(r);
      } catch {
        read.skippedLines++;
      }
    }
    read.offset += end + 1;
    return read;
  } finally {
    closeSync(fd);
  }
}

/** submissions.json: the class as the grade found it (written once its submissions are built and loaded). */
export const submissionsManifestSchema = z.object({
  format: z.literal('raftlab-grade-submissions/1'),
  submissionsDir: z.string().max(4096),
  submissions: z
    .array(z.object({ id: z.string().regex(submissionIdPattern), sourcesHash: z.string().regex(/^[0-9a-f]{64}$/).optional(), error: z.string().max(20_000).optional() }))
    .max(100_000),
});
export type SubmissionsManifest = z.infer<typeof submissionsManifestSchema>;

/** The grade folder's submissions.json, or null when it has none (a grade made before raftlab wrote it) or it is damaged. */
export function readSubmissionsManifest(dir: string): SubmissionsManifest | null {
  try {
    return submissionsManifestSchema.parse(JSON.parse(readFileSync(path.join(dir, 'submissions.json'), 'utf8')));
  } catch {
    return null;
  }
}

export class GradeStore {
  readonly dir: string;
  readonly results: Map<string, RunResult>;
  readonly workDir: string;
  readonly tracesDir: string;
  /** Lines of results.ndjson that could not be read (a torn last line after a crash). */
  skippedLines = 0;

  constructor(dir: string, settings: GradeSettings) {
    this.dir = path.resolve(dir);
    this.workDir = path.join(this.dir, 'work');
    this.tracesDir = path.join(this.dir, 'traces');
    mkdirSync(this.dir, { recursive: true });
    const settingsFile = path.join(this.dir, 'grade.json');
    if (existsSync(settingsFile)) {
      const before = gradeSettingsSchema.safeParse(JSON.parse(readFileSync(settingsFile, 'utf8')));
      if (!before.success || !sameSettings(before.data as GradeSettings, settings)) {
        throw new GradeInputError(`${this.dir} holds a grade with other settings (${settingsFile}): use another --out, or the same settings to resume it`, 'out');
      }
    } else {
      writeAtomic(settingsFile, JSON.stringify(gradeSettingsSchema.parse(settings), null, 2) + '\n');
    }
    const resultsFile = path.join(this.dir, 'results.ndjson');
    const read = readResultsFile(resultsFile);
    this.results = read.results;
    this.skippedLines = read.skippedLines;
    // A line torn by a crash is ended, so that the next run's line is not glued to it.
    if (existsSync(resultsFile) && statSync(resultsFile).size > read.offset) {
      appendFileSync(resultsFile, '\n');
      this.skippedLines++;
    }
  }

  /** Record the class as it was found and built (the page shows every submission from the start, its errors too). */
  writeSubmissions(manifest: Omit<SubmissionsManifest, 'format'>): void {
    writeAtomic(path.join(this.dir, 'submissions.json'), JSON.stringify(submissionsManifestSchema.parse({ format: 'raftlab-grade-submissions/1', ...manifest }), null, 2) + '\n');
  }

  has(key: string): boolean {
    return this.results.has(key);
  }

  /** Record a run once; returns false when it was recorded already. */
  add(result: RunResult): boolean {
    const key = resultKey(result);
    if (this.results.has(key)) return false;
    runResultSchema.parse(result);
    this.results.set(key, result);
    appendFileSync(path.join(this.dir, 'results.ndjson'), JSON.stringify(result) + '\n');
    return true;
  }

  /** Keep a failed run's trace; returns its path relative to the grade's folder. */
  keepTrace(result: Pick<RunResult, 'submission' | 'test' | 'seed'>, bytes: Buffer): string {
    const dir = path.join(this.tracesDir, result.submission);
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `${result.test}-seed${result.seed}.trace.gz`);
    writeFileSync(file, bytes);
    return path.relative(this.dir, file);
  }
}

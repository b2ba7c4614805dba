/**
 * A grade's folder (`--out`): `grade.json` (the settings, written once), `results.ndjson` (one line per run, appended
 * as runs come back, from this machine or from workers), `traces/<submission>/` (the failed runs' traces) and the
 * reports. Re-running `raftlab grade` with the same folder and settings resumes: runs already recorded are not run
 * again, and a result that arrives twice (a job re-run after its worker died) is counted once.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { writeAtomic } from '../runner/history.ts';
import { gradeSettingsSchema, resultKey, runResultSchema, type GradeSettings, type RunResult } from './plan.ts';
import { GradeInputError } from './submissions.ts';

export class GradeStore {
  readonly dir: string;
  readonly results = new Map<string, RunResult>();
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
      if (!before.success || JSON.stringify(before.data) !== JSON.stringify(gradeSettingsSchema.parse(settings))) {
        throw new GradeInputError(`${this.dir} holds a grade with other settings (${settingsFile}): use another --out, or the same settings to resume it`);
      }
    } else {
      writeAtomic(settingsFile, JSON.stringify(gradeSettingsSchema.parse(settings), null, 2) + '\n');
    }
    const resultsFile = path.join(this.dir, 'results.ndjson');
    if (existsSync(resultsFile)) {
      for (const line of readFileSync(resultsFile, 'utf8').split('\n')) {
        if (!line) continue;
        try {
          const r = runResultSchema.parse(JSON.parse(line));
          if (!this.results.has(resultKey(r))) this.results.set(resultKey(r), r);
        } catch {
          this.skippedLines++;
        }
      }
    }
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

/**
 * A grade folder read back, without running anything: one made by `raftlab grade`, by the app, or still being
 * written by workers over a queue (results.ndjson grows at its end; each refresh reads only what was appended). The
 * class comes from submissions.json (a grade made before raftlab wrote it: from its report and its results), the
 * verdicts from the same buildReport the written reports come from, under the grade's rule or another one asked for.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { findTest, type LabPart } from '../harness/tester/index.ts';
import { recordedSettings, gradeTests } from './options.ts';
import { submissionIdPattern, type GradeSettings, type PassRule, type RunResult } from './plan.ts';
import { gradeStudent, gradeTest, type GradeReport, type TestGrade } from './report.ts';
import { readResultsFile, readSubmissionsManifest, ResultsReplacedError, type ResultsRead } from './store.ts';
import { GradeInputError } from './submissions.ts';

export interface GradeFolderSubmission {
  id: string;
  sourcesHash?: string;
  error?: string;
}

/** A report file the grade wrote: report.json, report.csv, junit/<student>.xml (relative to the grade folder). */
export interface GradeReportFile {
  name: string;
  kind: 'json' | 'csv' | 'junit';
  size: number;
  modifiedMs: number;
}

/** The names a grade's report files have; nothing else of a grade folder is handed out as a report. */
export function isReportFileName(name: string): boolean {
  if (name === 'report.json' || name === 'report.csv') return true;
  const m = /^junit\/([^/]+)\.xml$/.exec(name);
  return !!m && submissionIdPattern.test(m[1]!);
}

/** One submission × test as read so far: its grade under a rule, and how its failed runs failed. */
export interface GradeFolderCell {
  grade: TestGrade;
  statuses: { fail?: number; error?: number; timeout?: number };
  /** Failed runs whose trace is kept in the grade's traces/. */
  traces: number;
}

const cellKey = (submission: string, test: string): string => `${submission}|${test}`;

export class GradeFolder {
  readonly dir: string;
  readonly settings: GradeSettings;
  readonly tests: string[];
  #read: ResultsRead = { results: new Map(), offset: 0, skippedLines: 0 };
  /** The runs of the grade's tests and seeds, by submission × test: appended to as the results file grows. */
  readonly #runs = new Map<string, RunResult[]>();
  /** Each cell judged under `#cachedRule`; a cell that got runs since is judged again. */
  readonly #cells = new Map<string, GradeFolderCell>();
  #cachedRule = '';
  readonly #seeds: { from: number; to: number };

  private constructor(dir: string, settings: GradeSettings, tests: string[]) {
    this.dir = dir;
    this.settings = settings;
    this.tests = tests;
    this.#seeds = { from: settings.baseSeed, to: settings.baseSeed + settings.count };
  }

  /** Open a grade folder; GradeInputError when it is not one. */
  static open(folder: string): GradeFolder {
    const dir = path.resolve(folder);
    if (!existsSync(dir)) throw new GradeInputError(`No such folder: ${dir}`, 'out');
    if (!statSync(dir).isDirectory()) throw new GradeInputError(`${dir} is a file, not a grade folder`, 'out');
    const settings = recordedSettings(dir);
    if (!settings) throw new GradeInputError(`${dir} holds no grade (no grade.json): open the folder \`raftlab grade --out\` wrote`, 'out');
    const opened = new GradeFolder(dir, settings, gradeTests(settings.tests));
    opened.refresh();
    return opened;
  }

  /** Read what was appended to results.ndjson since the last read; true when there was something. */
  refresh(): boolean {
    const before = this.#read.offset;
    const tests = new Set(this.tests);
    const file = path.join(this.dir, 'results.ndjson');
    const take = (r: RunResult): void => {
      if (!tests.has(r.test) || r.seed < this.#seeds.from || r.seed >= this.#seeds.to) return;
      const key = cellKey(r.submission, r.test);
      const runs = this.#runs.get(key);
      if (runs) runs.push(r);
      else this.#runs.set(key, [r]);
      this.#cells.delete(key);
    };
    try {
      this.#read = readResultsFile(file, this.#read, take);
    } catch (e) {
      if (!(e instanceof ResultsReplacedError)) throw e;
      // Replaced, not appended to (a grade run again into this folder): everything read so far is void.
      this.#read = { results: new Map(), offset: 0, skippedLines: 0 };
      this.#runs.clear();
      this.#cells.clear();
      this.#read = readResultsFile(file, this.#read, take);
      return true;
    }
    return this.#read.offset !== before;
  }

  /**
   * One submission × test judged under `rule` (the grade's own without one): gradeTest over its runs, as the written
   * report judges it. Kept until the cell gets more runs, so a large class is judged again only where runs came in.
   */
  cell(submission: string, test: string, rule?: PassRule): GradeFolderCell {
    const ruleKey = JSON.stringify(rule ?? this.settings.rule);
    if (ruleKey !== this.#cachedRule) {
      this.#cells.clear();
      this.#cachedRule = ruleKey;
    }
    const key = cellKey(submission, test);
    let cell = this.#cells.get(key);
    if (!cell) {
      const runs = this.#runs.get(key) ?? [];
      const statuses: GradeFolderCell['statuses'] = {};
      let traces = 0;
      for (const r of runs) {
        if (r.status === 'pass') continue;
        statuses[r.status] = (statuses[r.status] ?? 0) + 1;
        if (this.tracePath(r)) traces++;
      }
      cell = { grade: gradeTest(test, { count: this.settings.count, rule: rule ?? this.settings.rule }, runs), statuses, traces };
      this.#cells.set(key, cell);
    }
    return cell;
  }

  /** The report of the runs read so far, cell by cell (the same verdicts buildReport gives over the same runs). */
  report(submissions: readonly GradeFolderSubmission[], rule?: PassRule): GradeReport {
    return {
      format: 'raftlab-grade-report/1',
      settings: rule ? { ...this.settings, rule } : this.settings,
      students: submissions.map((s) => gradeStudent(s, this.tests.map((test) => this.cell(s.id, test, rule).grade))),
    };
  }

  get results(): ReadonlyMap<string, RunResult> {
    return this.#read.results;
  }

  get skippedLines(): number {
    return this.#read.skippedLines;
  }

  /** The results file's size and last write (null before the first run is recorded). */
  resultsFile(): { bytes: number; modifiedMs: number } | null {
    try {
      const info = statSync(path.join(this.dir, 'results.ndjson'));
      return { bytes: info.size, modifiedMs: info.mtimeMs };
    } catch {
      return null;
    }
  }

  /**
   * The class: submissions.json's, in its order; for a grade made before raftlab wrote it, report.json's students
   * and every submission the results name. `submissionsDir` when the manifest says where the class was.
   */
  submissions(): { submissions: GradeFolderSubmission[]; submissionsDir?: string; fromManifest: boolean } {
    const manifest = readSubmissionsManifest(this.dir);
    if (manifest) return { submissions: manifest.submissions, submissionsDir: manifest.submissionsDir, fromManifest: true };
    const byId = new Map<string, GradeFolderSubmission>();
    for (const s of readReportStudents(path.join(this.dir, 'report.json'))) byId.set(s.id, s);
    for (const r of this.results.values()) if (!byId.has(r.submission)) byId.set(r.submission, { id: r.submission });
    return { submissions: [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : 1)), fromManifest: false };
  }

  /** The report files the grade wrote, that are there now. */
  reportFiles(): GradeReportFile[] {
    const names = ['report.json', 'report.csv'];
    try {
      for (const f of readdirSync(path.join(this.dir, 'junit')).sort()) names.push(`junit/${f}`);
    } catch {
      // no JUnit folder (yet)
    }
    const files: GradeReportFile[] = [];
    for (const name of names.filter(isReportFileName)) {
      try {
        const info = statSync(path.join(this.dir, ...name.split('/')));
        if (!info.isFile()) continue;
        files.push({ name, kind: name.endsWith('.json') ? 'json' : name.endsWith('.csv') ? 'csv' : 'junit', size: info.size, modifiedMs: info.mtimeMs });
      } catch {
        // not written
      }
    }
    return files;
  }

  /** A report file's bytes, by its name (isReportFileName); GradeInputError for any other name, or one not written. */
  readReportFile(name: string): Buffer {
    if (!isReportFileName(name)) throw new GradeInputError(`${name} is not one of a grade's report files (report.json, report.csv, junit/<student>.xml)`);
    const file = path.join(this.dir, ...name.split('/'));
    try {
      return readFileSync(file);
    } catch {
      throw new GradeInputError(`${file} has not been written (the report is written when every run is recorded)`);
    }
  }

  /** A kept trace's absolute path, when the result names one inside this grade's traces/ folder. */
  tracePath(result: Pick<RunResult, 'trace'>): string | undefined {
    if (!result.trace) return undefined;
    const file = path.resolve(this.dir, result.trace);
    const root = path.join(this.dir, 'traces') + path.sep;
    return file.startsWith(root) && file.endsWith('.trace.gz') ? file : undefined;
  }
}

/** The part a test belongs to. */
export const partOf = (test: string): LabPart => findTest(test)!.part;

/** report.json's students (id, code version, build error), loosely: a report of another version gives what it can. */
function readReportStudents(file: string): GradeFolderSubmission[] {
  try {
    const report = JSON.parse(readFileSync(file, 'utf8')) as { students?: unknown };
    if (!Array.isArray(report.students)) return [];
    return report.students.flatMap((s: { id?: unknown; sourcesHash?: unknown; error?: unknown }) =>
      typeof s?.id === 'string' && submissionIdPattern.test(s.id)
        ? [{ id: s.id, ...(typeof s.sourcesHash === 'string' ? { sourcesHash: s.sourcesHash } : {}), ...(typeof s.error === 'string' ? { error: s.error } : {}) }]
        : [],
    );
  } catch {
    return [];
  }
}

/**
 * The grade report: per student and part (2A–2D), each test's runs, failures, failure rate with its 95 % Wilson
 * interval and the checker's violations, and the part's verdict under the grader's rule — as JSON and CSV for the
 * gradebook and JUnit per student. Only verdicts go in it (no wall times), so the same grade run on one machine or on
 * many workers gives the same report.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { findTest, type LabPart } from '../harness/tester/index.ts';
import { writeAtomic } from '../runner/history.ts';
import { escapeXml } from '../runner/report.ts';
import { formatPercent, wilsonInterval } from '../runner/stats.ts';
import { resultKey, type GradeSettings, type PassRule, type RunResult } from './plan.ts';

export interface TestGrade {
  id: string;
  part: LabPart;
  runs: number;
  failed: number;
  failureRate: number;
  interval: { low: number; high: number };
  /** How often the checker named each rule. */
  violations: Record<string, number>;
  /** Runs not run (yet): a grade cut short. */
  missing: number;
  passed: boolean;
  /** The first failure's message and seed, to start from. */
  firstFailure?: { seed: number; status: string; message: string; trace?: string };
}

export interface StudentGrade {
  id: string;
  sourcesHash?: string;
  /** The submission did not build or load: every run failed with this. */
  error?: string;
  tests: TestGrade[];
  parts: Partial<Record<LabPart, { passed: boolean; testsPassed: number; tests: number }>>;
}

export interface GradeReport {
  format: 'raftlab-grade-report/1';
  settings: GradeSettings;
  students: StudentGrade[];
}

const testPasses = (rule: PassRule, runs: number, failed: number, missing: number): boolean =>
  missing === 0 && (rule.kind === 'all' ? failed === 0 : failed / runs <= rule.maxRate);

/** One test of one student: its runs (those of the grade's seeds, each once) judged under the settings' rule. */
export function gradeTest(id: string, settings: Pick<GradeSettings, 'count' | 'rule'>, mine: readonly RunResult[]): TestGrade {
  const failed = mine.filter((r) => r.status !== 'pass');
  const violations: Record<string, number> = {};
  for (const r of mine) for (const v of r.violations ?? []) violations[v] = (violations[v] ?? 0) + 1;
  const interval = wilsonInterval(failed.length, mine.length);
  const first = failed.sort((a, b) => a.seed - b.seed)[0];
  const missing = settings.count - mine.length;
  return {
    id,
    part: findTest(id)!.part,
    runs: mine.length,
    failed: failed.length,
    failureRate: mine.length ? failed.length / mine.length : 0,
    interval: { low: interval.low, high: interval.high },
    violations,
    missing,
    passed: testPasses(settings.rule, mine.length, failed.length, missing),
    ...(first ? { firstFailure: { seed: first.seed, status: first.status, message: first.message ?? '', ...(first.trace ? { trace: first.trace } : {}) } } : {}),
  };
}

/** A student's grade from its tests' grades: a part passes when each of its tests does. */
export function gradeStudent(student: { id: string; sourcesHash?: string; error?: string }, tests: TestGrade[]): StudentGrade {
  const parts: StudentGrade['parts'] = {};
  for (const t of tests) {
    const p = (parts[t.part] ??= { passed: true, testsPassed: 0, tests: 0 });
    p.tests++;
    if (t.passed) p.testsPassed++;
    else p.passed = false;
  }
  return { id: student.id, ...(student.sourcesHash ? { sourcesHash: student.sourcesHash } : {}), ...(student.error ? { error: student.error } : {}), tests, parts };
}

export function buildReport(
  settings: GradeSettings,
  students: ReadonlyArray<{ id: string; sourcesHash?: string; error?: string }>,
  testIds: readonly string[],
  results: ReadonlyMap<string, RunResult>,
): GradeReport {
  return {
    format: 'raftlab-grade-report/1',
    settings,
    students: students.map((student) => {
      const tests: TestGrade[] = testIds.map((id) => {
        const mine: RunResult[] = [];
        for (let i = 0; i < settings.count; i++) {
          const r = results.get(resultKey({ submission: student.id, test: id, seed: settings.baseSeed + i }));
          if (r) mine.push(r);
        }
        return gradeTest(id, settings, mine);
      });
      return gradeStudent(student, tests);
    }),
  };
}

const csvCell = (v: string | number): string => (typeof v === 'number' ? String(v) : /[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

/** The gradebook: one row per student and part. */
export function reportCsv(report: GradeReport): string {
  const rows: Array<Array<string | number>> = [['student', 'part', 'verdict', 'tests_passed', 'tests', 'runs', 'failed_runs', 'sources']];
  for (const s of report.students) {
    for (const [part, p] of Object.entries(s.parts)) {
      const tests = s.tests.filter((t) => t.part === part);
      rows.push([s.id, part, p!.passed ? 'pass' : 'fail', p!.testsPassed, p!.tests, tests.reduce((n, t) => n + t.runs, 0), tests.reduce((n, t) => n + t.failed, 0), s.sourcesHash?.slice(0, 12) ?? '']);
    }
  }
  return rows.map((r) => r.map(csvCell).join(',')).join('\n') + '\n';
}

/** One student's grade as JUnit: a testsuite per part, a testcase per test (failed when it did not pass the rule). */
export function studentJunit(report: GradeReport, student: StudentGrade): string {
  const suites = Object.entries(student.parts).map(([part, p]) => {
    const tests = student.tests.filter((t) => t.part === part);
    const cases = tests.map((t) => {
      const name = escapeXml(t.id);
      const summary = `${t.failed} of ${t.runs} runs failed (${formatPercent(t.failureRate)} [${formatPercent(t.interval.low)}, ${formatPercent(t.interval.high)}])`;
      if (t.passed) return `    <testcase classname="${escapeXml(student.id)}.${part}" name="${name}"><system-out>${escapeXml(summary)}</system-out></testcase>`;
      const detail = t.firstFailure ? `first: seed ${t.firstFailure.seed}: ${t.firstFailure.message}` : `${t.missing} runs missing`;
      return `    <testcase classname="${escapeXml(student.id)}.${part}" name="${name}"><failure message="${escapeXml(summary)}">${escapeXml(detail)}</failure></testcase>`;
    });
    return `  <testsuite name="${escapeXml(`${student.id} ${part}`)}" tests="${tests.length}" failures="${p!.tests - p!.testsPassed}" errors="0" skipped="0">\n${cases.join('\n')}\n  </testsuite>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="${escapeXml(`raftlab grade: ${student.id}`)}">\n${suites.join('\n')}\n</testsuites>\n`;
}

/** Write report.json, report.csv and junit/<student>.xml into the grade's folder; returns the files. */
export function writeReport(dir: string, report: GradeReport): string[] {
  const files = [path.join(dir, 'report.json'), path.join(dir, 'report.csv')];
  writeAtomic(files[0]!, JSON.stringify(report, null, 2) + '\n');
  writeAtomic(files[1]!, reportCsv(report));
  mkdirSync(path.join(dir, 'junit'), { recursive: true });
  for (const s of report.students) {
    const file = path.join(dir, 'junit', `${s.id}.xml`);
    writeAtomic(file, studentJunit(report, s));
    files.push(file);
  }
  return files;
}

/** The report in a few lines for the terminal: a row per student, a column per part. */
export function formatReport(report: GradeReport): string[] {
  const parts = [...new Set(report.students.flatMap((s) => Object.keys(s.parts)))].sort();
  const width = Math.max(7, ...report.students.map((s) => s.id.length));
  const lines = [`${'student'.padEnd(width)}  ${parts.map((p) => p.padEnd(12)).join('')}`];
  for (const s of report.students) {
    const cells = parts.map((p) => {
      const g = s.parts[p as LabPart];
      return (g ? `${g.passed ? 'PASS' : 'FAIL'} ${g.testsPassed}/${g.tests}` : '-').padEnd(12);
    });
    lines.push(`${s.id.padEnd(width)}  ${cells.join('')}${s.error ? `  (${s.error.split('\n')[0]!.slice(0, 100)})` : ''}`);
  }
  return lines;
}

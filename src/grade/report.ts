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
import { formatPassRule } from './options.ts';
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

/**
 * One student's grade as JUnit, in the layout the runner's junitXml uses (valid against Surefire's schema and
 * Jenkins'): one testsuite, the grade's settings in its properties, a testcase per test with classname
 * `<student>.<part>` (readers group a part's tests by it). A test that met the rule passes with its runs in
 * system-out; one that did not fails (type `rule`); one whose submission did not build or load is an error (type
 * `submission`); one cut short with nothing failed yet is skipped. Times are 0: the report holds verdicts only, so
 * the same grade on one machine or many writes the same file.
 */
export function studentJunit(report: GradeReport, student: StudentGrade): string {
  const attr = (name: string, value: string | number): string => ` ${name}="${escapeXml(String(value))}"`;
  const { settings } = report;
  const cases: string[] = [];
  const counts = { failures: 0, errors: 0, skipped: 0 };
  for (const t of student.tests) {
    const summary = `${t.failed} of ${t.runs} runs failed (${formatPercent(t.failureRate)} [${formatPercent(t.interval.low)}, ${formatPercent(t.interval.high)}])${t.missing ? `, ${t.missing} not run` : ''}`;
    const violations = Object.entries(t.violations).map(([rule, n]) => `${rule} in ${n} runs`);
    const out = `${summary}${violations.length ? `; safety checker: ${violations.join(', ')}` : ''}`;
    const open = `  <testcase${attr('classname', `${student.id}.${t.part}`)}${attr('name', t.id)}${attr('time', '0.000')}>`;
    let verdict = '';
    if (student.error) {
      counts.errors++;
      verdict = `<error${attr('message', 'the submission does not build or load')}${attr('type', 'submission')}>${escapeXml(student.error)}</error>`;
    } else if (!t.passed && (t.failed > 0 || t.firstFailure)) {
      counts.failures++;
      const first = t.firstFailure ? `first failure: seed ${t.firstFailure.seed} (${t.firstFailure.status}): ${t.firstFailure.message}` : '';
      verdict = `<failure${attr('message', `${summary}, under --rule ${formatPassRule(settings.rule)}`)}${attr('type', 'rule')}>${escapeXml(first)}</failure>`;
    } else if (!t.passed) {
      counts.skipped++;
      verdict = `<skipped${attr('message', `${t.missing} of ${settings.count} runs not run: the grade is incomplete`)}/>`;
    }
    cases.push(`${open}${verdict}<system-out>${escapeXml(out)}</system-out></testcase>`);
  }
  const properties: Array<[string, string]> = [
    ['student', student.id],
    ...(student.sourcesHash ? [['sourcesHash', student.sourcesHash] as [string, string]] : []),
    ['tests', settings.tests],
    ['seeds', settings.count === 1 ? String(settings.baseSeed) : `${settings.baseSeed}..${settings.baseSeed + settings.count - 1}`],
    ['clock', settings.mode],
    ['check', String(settings.check)],
    ['rule', formatPassRule(settings.rule)],
    ...Object.entries(student.parts).map(([part, p]) => [`part ${part}`, `${p!.passed ? 'pass' : 'fail'} (${p!.testsPassed} of ${p!.tests} tests)`] as [string, string]),
  ];
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuite${attr('name', `raftlab grade: ${student.id}`)}${attr('tests', student.tests.length)}${attr('failures', counts.failures)}${attr('errors', counts.errors)}${attr('skipped', counts.skipped)}${attr('time', '0.000')}>`,
    '  <properties>',
    ...properties.map(([name, value]) => `    <property${attr('name', name)}${attr('value', value)}/>`),
    '  </properties>',
    ...cases,
    '</testsuite>',
    '',
  ].join('\n');
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

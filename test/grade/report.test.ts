// A student's JUnit file (src/grade/report.ts): one testsuite valid against Surefire's and Jenkins' schemas, as the
// runner's, with a testcase per test: passed, failed under the rule, errored (the submission did not load) or
// skipped (the grade was cut short).
import assert from 'node:assert/strict';
import { XMLParser } from 'fast-xml-parser';
import { studentJunit, gradeStudent, type GradeReport, type TestGrade } from '../../src/grade/report.ts';
import { junitProblems } from '../formats/readers.ts';

const grade = (id: string, over: Partial<TestGrade>): TestGrade => ({
  id,
  part: id.endsWith('2A') ? '2A' : '2B',
  runs: 4,
  failed: 0,
  failureRate: 0,
  interval: { low: 0, high: 0.49 },
  violations: {},
  missing: 0,
  passed: true,
  ...over,
});

describe('grade report: JUnit per student', () => {
  const report = (students: GradeReport['students']): GradeReport => ({
    format: 'raftlab-grade-report/1',
    settings: { tests: '2A|2B', count: 4, baseSeed: 1, mode: 'sim', check: true, rule: { kind: 'all' } },
    students,
  });
  const cases = (xml: string): Array<{ name: string; kinds: string[] }> => {
    const doc = new XMLParser({ ignoreAttributes: false, isArray: (name) => name === 'testcase' }).parse(xml) as { testsuite: { testcase: Array<Record<string, unknown>> } };
    return doc.testsuite.testcase.map((c) => ({ name: String(c['@_name']), kinds: Object.keys(c).filter((k) => !k.startsWith('@_')) }));
  };

  it('passed, failed under the rule, cut short: each in its element, and the file valid for both schemas', () => {
    const student = gradeStudent({ id: 'alice', sourcesHash: 'a'.repeat(64) }, [
      grade('TestInitialElection2A', {}),
      grade('TestBackup2B', { failed: 1, failureRate: 0.25, passed: false, violations: { 'log-matching': 1 }, firstFailure: { seed: 3, status: 'fail', message: 'one(104) failed to reach agreement' } }),
      grade('TestRejoin2B', { runs: 2, missing: 2, passed: false }),
    ]);
    const xml = studentJunit(report([student]), student);
    assert.deepEqual(junitProblems(xml), []);
    assert.deepEqual(cases(xml), [
      { name: 'TestInitialElection2A', kinds: ['system-out'] },
      { name: 'TestBackup2B', kinds: ['failure', 'system-out'] },
      { name: 'TestRejoin2B', kinds: ['skipped', 'system-out'] },
    ]);
    assert.match(xml, /<testsuite name="raftlab grade: alice" tests="3" failures="1" errors="0" skipped="1" time="0.000">/);
    assert.match(xml, /classname="alice.2B" name="TestBackup2B"/);
    assert.match(xml, /first failure: seed 3 \(fail\): one\(104\) failed to reach agreement/);
    assert.match(xml, /safety checker: log-matching in 1 runs/);
    assert.match(xml, /<property name="part 2B" value="fail \(0 of 2 tests\)"\/>/);
  });

  it('a submission that does not load: every test an error with its message', () => {
    const student = gradeStudent({ id: 'bob', error: 'index.ts: does not export make' }, [
      grade('TestInitialElection2A', { failed: 4, failureRate: 1, passed: false, firstFailure: { seed: 1, status: 'error', message: 'does not export make' } }),
    ]);
    const xml = studentJunit(report([student]), student);
    assert.deepEqual(junitProblems(xml), []);
    assert.deepEqual(cases(xml), [{ name: 'TestInitialElection2A', kinds: ['error', 'system-out'] }]);
    assert.match(xml, /type="submission">index.ts: does not export make<\/error>/);
  });
});

// The app's grading service (src/main/services/grading.ts) through the dispatcher the Electron shell and the web
// server use: a class of three graded on this machine (the reference, the skeleton, a catalog bug), its progress as
// events, the matrix and verdicts read back, a failed cell's traces through the trace channels and nothing else of the
// grade folder, cancelling and resuming, a grade folder still being written, and every refusal in one line.
import { strict as assert } from 'node:assert';
import { appendFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createDispatcher } from '../../src/main/rpc.ts';
import { AppServices, createHandlers } from '../../src/main/services/index.ts';
import type { AppEvent, FileExport, GradeCellRuns, GradeCheck, GradeForm, GradeFormMemory, GradeRunView, GradeView, IpcResult } from '../../src/shared/ipc.ts';

const repo = resolve('.');

function value<T>(result: IpcResult<unknown>): T {
  assert.ok(result.ok, JSON.stringify(result));
  return result.value as T;
}

/** A refusal: BAD_INPUT, its message, and the form field it names (when it names one). */
function refused(result: IpcResult<unknown>, message: RegExp, field?: string): void {
  assert.ok(!result.ok, `expected a refusal, got ${JSON.stringify(result).slice(0, 300)}`);
  assert.equal(result.error.code, 'BAD_INPUT', result.error.message);
  assert.match(result.error.message, message);
  assert.doesNotMatch(result.error.message, /\n/, 'one line');
  if (field) assert.deepEqual(result.error.issues?.map((i) => i.path), [field], JSON.stringify(result.error));
}

describe('ui: grading a class in the app, through the dispatcher', function () {
  this.timeout(120_000);
  let home: string;
  let klass: string;
  let app: AppServices;
  let call: (channel: string, input?: unknown) => Promise<IpcResult<unknown>>;
  const events: AppEvent[] = [];
  let form: GradeForm;

  before(() => {
    home = mkdtempSync(join(tmpdir(), 'raftlab-grading-'));
    klass = join(home, 'class');
    cpSync(join(repo, 'labs/raft'), join(klass, 'alice'), { recursive: true });
    cpSync(join(repo, 'labs/skeleton'), join(klass, 'bob'), { recursive: true });
    cpSync(join(repo, 'labs/bugs/votedfor-not-persisted'), join(klass, 'carol'), { recursive: true });
    // The app started in `home`: relative folders are relative to it.
    app = new AppServices({ dataDir: join(home, 'data'), cwd: home });
    app.events.subscribe((e) => events.push(e));
    const dispatch = createDispatcher(createHandlers(() => app), { logError: () => undefined });
    call = (channel, input) => dispatch(channel, input, { shell: 'web' });
    form = { submissions: 'class', out: 'grades/2A', tests: 'TestInitialElection2A|TestReElection2A', count: 2, seed: 1, mode: 'sim', check: true, rule: { kind: 'all' }, parallel: 2 };
  });

  after(async () => {
    await app.close();
    rmSync(home, { recursive: true, force: true });
  });

  it('says what a form would do, or why it cannot run, on the field it is about, writing nothing', async () => {
    const check = value<GradeCheck>(await call('grade:check', form));
    assert.deepEqual(check, {
      submissionsDir: klass,
      out: join(home, 'grades/2A'),
      submissions: ['alice', 'bob', 'carol'],
      tests: ['TestInitialElection2A', 'TestReElection2A'],
      total: 12,
      resumes: false,
      recorded: 0,
    });
    refused(await call('grade:check', { ...form, submissions: 'nowhere' }), new RegExp(`No such folder: ${join(home, 'nowhere')}`), 'submissions');
    refused(await call('grade:check', { ...form, submissions: join(repo, 'labs') }), /inside raftlab's own folder/, 'submissions');
    refused(await call('grade:check', { ...form, out: 'class/grade' }), /inside the submissions folder/, 'out');
    refused(await call('grade:check', { ...form, out: join(repo, 'tmp', 'grade') }), /inside raftlab's own folder.*their builds would be read by all/, 'out');
    mkdirSync(join(home, 'photos'));
    writeFileSync(join(home, 'photos', 'cat.jpg'), 'meow');
    refused(await call('grade:check', { ...form, out: 'photos' }), /holds other files and no grade/, 'out');
    refused(await call('grade:check', { ...form, tests: 'TestNope' }), /no test matches 'TestNope'/, 'tests');
    refused(await call('grade:check', { ...form, tests: '(' }), /not a valid regular expression/, 'tests');
    refused(await call('grade:check', { ...form, count: 0 }), /runs per test: at least 1/, 'count');
    refused(await call('grade:check', { ...form, submissions: '  ' }), /type the path of the submissions folder/, 'submissions');
    refused(await call('grade:check', { ...form, rule: { kind: 'rate', maxRate: 2 } }), /rule/);
    assert.equal(existsSync(join(home, 'grades')), false, 'nothing written');
    assert.equal(existsSync(join(home, 'class', 'grade')), false);
  });

  let view: GradeView;
  it("grades the class on this machine: each submission's progress as events, then the matrix and each part's verdict", async () => {
    events.length = 0;
    const started = value<GradeRunView>(await call('grade:start', form));
    assert.equal(started.state, 'preparing');
    assert.equal(started.total, 12);
    refused(await call('grade:start', form), /A grade is running already/);
    const done = (await app.grading.whenDone())!;
    assert.equal(done.state, 'done', done.error);
    assert.deepEqual(
      done.submissions.map((s) => [s.id, s.done, s.total, s.failed]),
      [['alice', 4, 4, 0], ['bob', 4, 4, 4], ['carol', 4, 4, 4]],
    );
    assert.deepEqual([done.done, done.failed, done.ran], [12, 8, 12]);
    const states = events.flatMap((e) => (e.type === 'grade' ? [e.grade.state] : []));
    assert.deepEqual(states, ['preparing', 'running', 'done']);
    let last = 0;
    for (const e of events) {
      if (e.type !== 'grade-progress') continue;
      assert.ok(e.done >= last && e.done <= 12, `progress moves forward: ${e.done}`);
      last = e.done;
      for (const s of e.submissions) assert.ok(s.done <= s.total && s.failed <= s.done, JSON.stringify(s));
    }

    view = value<GradeView>(await call('grade:open', { dir: 'grades/2A' }));
    assert.equal(view.dir, join(home, 'grades/2A'));
    assert.equal(view.submissionsDir, klass);
    assert.ok(view.fromManifest);
    assert.deepEqual(view.tests, [{ id: 'TestInitialElection2A', part: '2A' }, { id: 'TestReElection2A', part: '2A' }]);
    assert.deepEqual([view.runs, view.failed, view.expected, view.running], [12, 8, 12, false]);
    const [alice, bob, carol] = view.students;
    assert.deepEqual(alice!.cells.map((c) => [c.runs, c.failed, c.rate, c.passed]), [[2, 0, 0, true], [2, 0, 0, true]]);
    assert.deepEqual(alice!.parts['2A'], { verdict: 'pass', testsPassed: 2, tests: 2 });
    assert.deepEqual(bob!.cells.map((c) => [c.runs, c.failed, c.rate, c.passed, c.traces]), [[2, 2, 1, false, 2], [2, 2, 1, false, 2]]);
    assert.deepEqual(bob!.parts['2A'], { verdict: 'fail', testsPassed: 0, tests: 2 });
    assert.ok(bob!.cells[0]!.interval!.low > 0.15 && bob!.cells[0]!.interval!.high === 1, JSON.stringify(bob!.cells[0]!.interval));
    // The checker names the vote carol forgets to persist.
    assert.deepEqual(Object.keys(carol!.cells[0]!.violations), ['vote-persisted']);
    assert.match(view.violationTitles['vote-persisted'] ?? '', /Vote persisted/);
    assert.deepEqual(view.reports.files.map((f) => f.name), ['report.json', 'report.csv', 'junit/alice.xml', 'junit/bob.xml', 'junit/carol.xml']);
    assert.equal(view.reports.stale, false);
    // The same verdicts as the report the grade wrote.
    const report = JSON.parse(readFileSync(join(view.dir, 'report.json'), 'utf8')) as { students: { id: string; parts: Record<string, { passed: boolean }> }[] };
    assert.deepEqual(view.students.map((s) => s.parts['2A']!.verdict), report.students.map((s) => (s.parts['2A']!.passed ? 'pass' : 'fail')));
    // Under another rule the verdicts are counted again, and say which rule they are under.
    const lenient = value<GradeView>(await call('grade:open', { dir: view.dir, rule: { kind: 'rate', maxRate: 1 } }));
    assert.equal(lenient.ruleText, 'rate<=1');
    assert.equal(lenient.settings.ruleText, 'all');
    assert.deepEqual(lenient.students.map((s) => s.parts['2A']!.verdict), ['pass', 'pass', 'pass']);
    const memory = value<GradeFormMemory>(await call('grade:form'));
    assert.deepEqual(memory.recentGrades, [view.dir]);
    assert.deepEqual(memory.recentSubmissions, [klass]);
    assert.deepEqual(memory.form, form);
  });

  it("opens a failed cell's runs and their traces through the trace channels, and nothing else of the grade folder", async () => {
    const cell = value<GradeCellRuns>(await call('grade:runs', { dir: view.dir, submission: 'bob', test: 'TestInitialElection2A' }));
    assert.deepEqual([cell.runs, cell.passed, cell.failures.map((f) => [f.seed, f.status])], [2, 0, [[1, 'fail'], [2, 'fail']]]);
    assert.match(cell.failures[0]!.message ?? '', /expected one leader/);
    const trace = cell.failures[0]!.trace!;
    assert.equal(trace, join(view.dir, 'traces', 'bob', 'TestInitialElection2A-seed1.trace.gz'));
    const index = value<{ header: { test: string; seed: number; status: string } }>(await call('trace:index', { file: trace }));
    assert.deepEqual([index.header.test, index.header.seed, index.header.status], ['TestInitialElection2A', 1, 'fail']);
    // A .trace.gz elsewhere in the grade folder is not a kept trace of it.
    cpSync(trace, join(view.dir, 'work', 'planted.trace.gz'));
    refused(await call('trace:index', { file: join(view.dir, 'work', 'planted.trace.gz') }), /Not a trace of this app/);
    const passed = value<GradeCellRuns>(await call('grade:runs', { dir: view.dir, submission: 'alice', test: 'TestReElection2A' }));
    assert.deepEqual([passed.runs, passed.passed, passed.failures], [2, 2, []]);
    refused(await call('grade:runs', { dir: view.dir, submission: 'bob', test: 'TestBackup2B' }), /This grade has no test TestBackup2B/);
    refused(await call('grade:runs', { dir: home, submission: 'bob', test: 'TestInitialElection2A' }), /Not a grade folder this app opened/);

    const csv = value<FileExport>(await call('grade:report-file', { dir: view.dir, name: 'report.csv' }));
    assert.equal(csv.fileName, '2A-report.csv');
    assert.equal(Buffer.from(csv.data!, 'base64').toString('utf8'), readFileSync(join(view.dir, 'report.csv'), 'utf8'));
    const junit = value<FileExport>(await call('grade:report-file', { dir: view.dir, name: 'junit/bob.xml' }));
    assert.match(Buffer.from(junit.data!, 'base64').toString('utf8'), /<testsuite name="bob 2A" tests="2" failures="2"/);
    for (const name of ['results.ndjson', 'grade.json', '../2A/report.csv', 'junit/../report.csv', 'junit/nobody.xml']) {
      refused(await call('grade:report-file', { dir: view.dir, name }), /not one of a grade's report files|has not been written/);
    }
  });

  it('cancels a running grade, keeping its runs; the same form resumes it, another grade in its folder is refused', async () => {
    const big = { ...form, tests: '2A', count: 300, out: 'grades/big', check: false };
    events.length = 0;
    value<GradeRunView>(await call('grade:start', big));
    await new Promise<void>((resolveProgress) => {
      const off = app.events.subscribe((e) => {
        if (e.type === 'grade-progress') {
          off();
          resolveProgress();
        }
      });
    });
    const dir = join(home, 'grades/big');
    refused(await call('grade:cancel', { dir: '../x' }), /absolute path/);
    assert.deepEqual(value(await call('grade:cancel', { dir })), { cancelled: true });
    const cut = (await app.grading.whenDone())!;
    assert.equal(cut.state, 'cancelled');
    assert.ok(cut.done > 0 && cut.done < cut.total, `${cut.done} of ${cut.total}`);
    assert.deepEqual(value(await call('grade:cancel', { dir })), { cancelled: false });
    assert.equal(existsSync(join(dir, 'report.json')), false, 'no report of an incomplete grade');
    const partial = value<GradeView>(await call('grade:open', { dir }));
    assert.equal(partial.runs, cut.done, 'every run counted in progress is in the folder');
    assert.ok(partial.students.every((s) => s.parts['2A']!.verdict === 'incomplete' || s.parts['2A']!.verdict === 'fail'), 'no pass before every run is in');
    assert.ok(partial.students.some((s) => s.parts['2A']!.verdict === 'incomplete'));
    const again = value<GradeCheck>(await call('grade:check', big));
    assert.deepEqual([again.resumes, again.recorded], [true, cut.done]);
    refused(await call('grade:check', { ...big, seed: 2 }), /holds a grade with other settings \(tests 2A, 300 runs from seed 1, sim clock, rule all\)/, 'out');
  });

  it('reads a grade folder still being written: appended runs on the next open, a torn last line once it is whole', async () => {
    const dir = join(home, 'by-workers');
    mkdirSync(dir);
    writeFileSync(join(dir, 'grade.json'), JSON.stringify({ tests: 'TestInitialElection2A', count: 4, baseSeed: 10, mode: 'sim', check: false, rule: { kind: 'all' } }));
    const line = (submission: string, seed: number, status: string) => JSON.stringify({ submission, test: 'TestInitialElection2A', seed, status, testMs: 1, wallMs: 1 }) + '\n';
    writeFileSync(join(dir, 'results.ndjson'), line('dave', 10, 'pass') + line('erin', 10, 'pass'));
    const first = value<GradeView>(await call('grade:open', { dir }));
    assert.equal(first.fromManifest, false, 'an older grade: the class from its results');
    assert.deepEqual(first.students.map((s) => [s.id, s.runs, s.parts['2A']!.verdict]), [['dave', 1, 'incomplete'], ['erin', 1, 'incomplete']]);
    assert.deepEqual(first.reports.files, []);
    appendFileSync(join(dir, 'results.ndjson'), line('dave', 11, 'fail') + line('dave', 12, 'pass') + line('dave', 13, 'pass') + line('dave', 10, 'fail') + line('erin', 11, 'pass').slice(0, 30));
    const second = value<GradeView>(await call('grade:open', { dir }));
    assert.deepEqual(second.students.map((s) => [s.id, s.runs, s.failed]), [['dave', 4, 1], ['erin', 1, 0]], 'the first line of a run counts; a torn one waits');
    assert.equal(second.students[0]!.parts['2A']!.verdict, 'fail');
    appendFileSync(join(dir, 'results.ndjson'), line('erin', 11, 'pass').slice(30));
    assert.equal(value<GradeView>(await call('grade:open', { dir })).students[1]!.runs, 2);
    // A flaky test under a rate rule: 1 of 4 failed passes rate<=0.25.
    const rated = value<GradeView>(await call('grade:open', { dir, rule: { kind: 'rate', maxRate: 0.25 } }));
    assert.equal(rated.students[0]!.parts['2A']!.verdict, 'pass');
    assert.equal(value<GradeView>(await call('grade:open', { dir })).students[0]!.parts['2A']!.verdict, 'fail', 'the grade\'s own rule again: cells judged anew');
    // Replaced, not appended to (graded again into this folder): what was read before counts no more.
    writeFileSync(join(dir, 'results.ndjson'), line('dave', 10, 'pass'));
    const replaced = value<GradeView>(await call('grade:open', { dir }));
    assert.deepEqual(replaced.students.map((s) => [s.id, s.runs, s.failed]), [['dave', 1, 0]]);
    refused(await call('grade:open', { dir: home }), /holds no grade \(no grade\.json\)/);
    refused(await call('grade:open', { dir: 'nowhere' }), /No such folder/);
    writeFileSync(join(dir, 'grade.json'), '{"tests": 1}');
    refused(await call('grade:open', { dir }), /is not a grade's settings file/);
  });
});

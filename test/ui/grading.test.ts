// The grader's journey through the Grading page, in Debian's Chromium at 1920×1080 (web mode): grade a class of three
// (the reference, the skeleton, a catalog bug) from the page — a long grade cancelled first, then a short one with the
// checker on — and see its matrix coloured by failure rate with each part's verdict; open a failed cell's trace in
// the trace viewer and come back; open a grade folder `raftlab grade` made (spawned from outside the repository) and
// download its gradebook; a class of 200 × 24 stays quick (virtualized rows) and a grade still being written refreshes.
// Screenshots go to test-results/.
//
// Needs Chromium at /usr/bin/chromium (or RAFTLAB_CHROMIUM).
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { allTests } from '../../src/harness/tester/index.ts';
import { openAppInBrowser, type AppInBrowser } from './app-in-browser.ts';

const SHOTS = resolve('test-results');
const repo = resolve('.');

/** The cell's background as [r, g, b]. */
async function rgb(page: Page, testId: string): Promise<number[]> {
  const colour = await page.getByTestId(testId).evaluate((el) => getComputedStyle(el).backgroundColor);
  return (colour.match(/\d+(\.\d+)?/g) ?? []).slice(0, 3).map(Number);
}

describe('ui: grading a class in Chromium at 1920×1080', function () {
  this.timeout(120_000);

  let app: AppInBrowser;
  let page: Page;
  let home: string;
  let klass: string;
  let cliGrade: string;
  const shot = (name: string) => page.screenshot({ path: join(SHOTS, `grading-${name}.png`) });
  const text = async (testId: string) => ((await page.getByTestId(testId).first().textContent()) ?? '').trim();
  // A refusal is an HTTP 400 answer, which Chromium logs as a failed resource: that is the page working, not a problem.
  const problems = () => app.problems.filter((p) => !/Failed to load resource: the server responded with a status of 400/.test(p));
  const gradeShown = (dir: string) => page.locator(`[data-testid="grade"][data-dir="${dir}"]`).waitFor({ timeout: 30_000 });

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    home = mkdtempSync(join(tmpdir(), 'raftlab-grader-'));
    klass = join(home, 'class');
    cpSync(join(repo, 'labs/raft'), join(klass, 'alice'), { recursive: true });
    cpSync(join(repo, 'labs/skeleton'), join(klass, 'bob'), { recursive: true });
    cpSync(join(repo, 'labs/bugs/votedfor-not-persisted'), join(klass, 'carol'), { recursive: true });
    // A grade the CLI made, as a grader runs it: from a folder outside the repository, no NODE_OPTIONS.
    cliGrade = join(home, 'cli-grade');
    const env = { ...process.env };
    delete env.NODE_OPTIONS;
    const cli = spawnSync(process.execPath, [join(repo, 'bin/raftlab.js'), 'grade', klass, '--tests', 'TestInitialElection2A', '--count', '2', '--out', cliGrade], { cwd: home, env, encoding: 'utf8' });
    assert.equal(cli.status, 0, cli.stdout + cli.stderr);
    app = await openAppInBrowser({ width: 1920, height: 1080 });
    page = app.page;
    await page.goto(app.server.appUrl);
    await page.getByTestId('nav-grading').click();
    await page.getByTestId('grading').waitFor();
  });

  after(async () => {
    await app?.close();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it('says what is wrong with a form in words, next to its field, before anything runs', async () => {
    await page.getByTestId('grade-submissions').fill(join(home, 'nowhere'));
    await page.getByTestId('grade-submissions-error').filter({ hasText: `No such folder: ${join(home, 'nowhere')}` }).waitFor();
    await page.getByTestId('grade-submissions').fill(klass);
    assert.equal(await page.getByTestId('grade-out').inputValue(), `${klass}-grade`, 'a grade folder is suggested beside the class');
    await page.getByTestId('grade-tests').fill('TestNope');
    await page.getByTestId('grade-tests-error').filter({ hasText: "no test matches 'TestNope'" }).waitFor();
    await page.getByTestId('grade-out').fill(join(klass, 'grade'));
    await page.getByTestId('grade-tests').fill('2A');
    await page.getByTestId('grade-out-error').filter({ hasText: 'inside the submissions folder' }).waitFor();
    await page.getByTestId('grade-count').fill('many');
    await page.getByTestId('grade-count-error').filter({ hasText: 'Runs per test is a whole number from 1 to 100,000, not “many”' }).waitFor();
    await page.getByTestId('grade-start').click();
    assert.equal(await page.getByTestId('grade').count(), 0, 'nothing started');
    assert.deepEqual(problems(), []);
  });

  it('cancels a long grade from the page: the runs recorded stay, the parts have no verdict yet', async () => {
    const long = join(home, 'long-grade');
    await page.getByTestId('grade-out').fill(long);
    await page.getByTestId('grade-count').fill('300');
    await page.getByTestId('grade-plan').filter({ hasText: '3 submissions (alice, bob, carol) × 3 tests × 300 runs = 2,700 runs' }).waitFor();
    await page.getByTestId('grade-start').click();
    await gradeShown(long);
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="grade-live-done"]')?.textContent ?? 0) > 0, undefined, { timeout: 30_000 });
    await page.getByTestId('grade-live-cancel').click();
    await page.getByTestId('grade-live-state').filter({ hasText: 'cancelled' }).waitFor({ timeout: 30_000 });
    const runs = Number(await page.getByTestId('grade').getAttribute('data-runs'));
    assert.ok(runs > 0 && runs < 2700, `${runs} runs recorded`);
    assert.equal(await page.locator('[data-testid^="verdict-"][data-verdict="pass"]').count(), 0, 'no pass before every run is in');
    assert.equal(await page.getByTestId('report-file-csv').count(), 0, 'no report of an incomplete grade');
    // The form folds away under a grade; opened again, the same settings now resume it.
    assert.equal(await page.getByTestId('grade-out').isVisible(), false);
    await page.getByTestId('grade-form-toggle').click();
    await page.getByTestId('grade-resumes').waitFor();
    assert.deepEqual(problems(), []);
  });

  const graded = () => join(home, 'grade-2A');
  it('grades the class with the checker on: progress per submission, the matrix coloured by failure rate, verdicts per part', async () => {
    await page.getByTestId('grade-out').fill(graded());
    await page.getByTestId('grade-tests').fill('TestInitialElection2A|TestReElection2A');
    await page.getByTestId('grade-count').fill('3');
    await page.getByTestId('grade-check-safety').check();
    await page.getByTestId('grade-plan').filter({ hasText: '× 2 tests × 3 runs = 18 runs' }).waitFor();
    await page.getByTestId('grade-start').click();
    await gradeShown(graded());
    await page.getByTestId('grade-live-state').filter({ hasText: 'done' }).waitFor({ timeout: 60_000 });
    await page.locator('[data-testid="grade"][data-runs="18"]').waitFor();
    assert.equal(await text('grade-live-done'), '18');
    for (const who of ['alice', 'bob', 'carol']) assert.equal(await page.getByTestId(`progress-${who}`).getAttribute('data-done'), '6');
    assert.equal(await page.getByTestId('matrix-part-2A').count(), 1);
    assert.equal(await page.getByTestId('cell-alice-TestInitialElection2A').getAttribute('data-band'), 'clean');
    assert.equal(await page.getByTestId('cell-bob-TestInitialElection2A').getAttribute('data-band'), 'all');
    assert.equal(await text('cell-bob-TestReElection2A'), '3/3');
    const [r, g] = await rgb(page, 'cell-alice-TestReElection2A');
    assert.ok(g! > r!, `alice's cell is green: ${r}, ${g}`);
    const [br, bg] = await rgb(page, 'cell-bob-TestInitialElection2A');
    assert.ok(br! > 150 && bg! < 80, `bob's cell is red: ${br}, ${bg}`);
    assert.equal(await page.getByTestId('verdict-alice-2A').getAttribute('data-verdict'), 'pass');
    assert.equal(await page.getByTestId('verdict-bob-2A').getAttribute('data-verdict'), 'fail');
    assert.equal(await page.getByTestId('verdict-carol-2A').getAttribute('data-verdict'), 'fail');
    // carol's lost vote: the checker named it, and the hover text says which rule and the interval.
    assert.equal(await page.getByTestId('cell-carol-TestInitialElection2A').getByTestId('cell-violations').count(), 1);
    assert.match((await page.getByTestId('cell-carol-TestInitialElection2A').getAttribute('title')) ?? '', /3 of 3 runs failed: 100\.0%, 95 % interval \[43\.9–100\.0%\][\s\S]*checker: Vote persisted before replying ×3/);
    assert.equal(await page.getByTestId('grade-state').textContent(), 'complete');
    await page.getByTestId('report-file-csv').waitFor();
    await shot('1-matrix');
    await page.getByTestId('grade-form-toggle').click();
    await page.getByTestId('grade-complete').waitFor();
    assert.equal(await page.getByTestId('grade-start').isDisabled(), true, 'nothing left to run');
    await page.getByTestId('grade-form-toggle').click();
    assert.deepEqual(problems(), []);
  });

  it("opens a failed cell's runs, one of its traces in the trace viewer, and comes back to the grade", async () => {
    await page.getByTestId('cell-carol-TestInitialElection2A').click();
    await page.locator('[data-testid="grade-cell"][data-submission="carol"][data-test="TestInitialElection2A"]').waitFor();
    // The panel opens at once and says "Loading…" until the cell's runs come back, all of them in one answer.
    await page.getByTestId('grade-failed-run').first().waitFor();
    assert.equal(await page.getByTestId('grade-failed-run').count(), 3);
    assert.match(await text('grade-cell-violations'), /Vote persisted before replying ×3/);
    await shot('2-cell');
    await page.getByTestId('grade-trace-link').first().click();
    await page.locator('[data-testid="trace-viewer"][data-loaded="true"]').waitFor({ timeout: 30_000 });
    assert.match(await text('trace-test'), /TestInitialElection2A/);
    assert.equal(await text('trace-status'), 'fail');
    await page.locator('[data-testid="trace-viewer"][data-failure]').waitFor({ timeout: 30_000 });
    assert.match(await text('trace-failure'), /Vote persisted before replying/);
    await shot('3-trace');
    await page.getByTestId('trace-back').click();
    await gradeShown(graded());
    assert.deepEqual(problems(), []);
  });

  it('opens a grade folder the CLI made, and downloads its gradebook', async () => {
    await page.getByTestId('grade-open-path').fill(join(home, 'nowhere'));
    await page.getByTestId('grade-open').click();
    await page.getByTestId('grade-view-error').filter({ hasText: `No such folder: ${join(home, 'nowhere')}` }).waitFor();
    await page.getByTestId('grade-open-path').fill(cliGrade);
    await page.getByTestId('grade-open').click();
    await gradeShown(cliGrade);
    assert.equal(await page.getByTestId('matrix-row').count(), 3);
    assert.equal(await page.getByTestId('grade-state').textContent(), 'complete');
    assert.equal(await page.getByTestId('verdict-alice-2A').getAttribute('data-verdict'), 'pass');
    assert.equal(await page.getByTestId('verdict-bob-2A').getAttribute('data-verdict'), 'fail');
    const download = page.waitForEvent('download');
    await page.getByTestId('report-save-csv').click();
    const file = await (await download).path();
    assert.equal(readFileSync(file, 'utf8'), readFileSync(join(cliGrade, 'report.csv'), 'utf8'));
    await page.getByTestId('report-note').filter({ hasText: 'Downloaded cli-grade-report.csv' }).waitFor();
    assert.deepEqual(problems(), []);
  });

  it('a class of 200 × 24 stays quick (rows virtualized, filtered); a grade still being written refreshes', async () => {
    const dir = join(home, 'big-class');
    mkdirSync(dir);
    const ids = Array.from({ length: 200 }, (_, i) => `s${String(i).padStart(3, '0')}`);
    writeFileSync(join(dir, 'grade.json'), JSON.stringify({ tests: '.', count: 2, baseSeed: 1, mode: 'sim', check: false, rule: { kind: 'all' } }));
    writeFileSync(join(dir, 'submissions.json'), JSON.stringify({ format: 'raftlab-grade-submissions/1', submissionsDir: join(home, 'elsewhere'), submissions: ids.map((id) => ({ id })) }));
    const tests = allTests.map((t) => t.id);
    assert.equal(tests.length, 24);
    const line = (submission: string, test: string, seed: number, fail: boolean) => JSON.stringify({ submission, test, seed, status: fail ? 'fail' : 'pass', testMs: 1, wallMs: 1 }) + '\n';
    // Every run of every submission but the last one's last test, which workers are still running.
    const lines: string[] = [];
    ids.forEach((id, i) => tests.forEach((test, t) => [1, 2].forEach((seed) => {
      if (id !== 's199' || test !== 'TestSnapshotInstallUnCrash2D') lines.push(line(id, test, seed, (i * 7 + t * 3 + seed) % 11 === 0));
    })));
    writeFileSync(join(dir, 'results.ndjson'), lines.join(''));
    await page.getByTestId('grade-open-path').fill(dir);
    await page.getByTestId('grade-open').click();
    await gradeShown(dir);
    await page.locator('[data-testid="grade-matrix"][data-rows="200"]').waitFor();
    const rendered = await page.getByTestId('matrix-row').count();
    assert.ok(rendered > 10 && rendered < 60, `virtualized: ${rendered} rows rendered of 200`);
    assert.equal(await page.locator('[data-testid^="matrix-test-"]').count(), 24);
    for (const part of ['2A', '2B', '2C', '2D']) assert.equal(await page.getByTestId(`matrix-part-${part}`).count(), 1);
    await shot('4-large-class');
    await page.getByTestId('matrix-scroller').evaluate((el) => (el.scrollTop = el.scrollHeight));
    const last = page.getByTestId('cell-s199-TestSnapshotInstallUnCrash2D');
    await last.waitFor();
    assert.equal(await last.getAttribute('data-band'), 'none');
    assert.equal(await page.getByTestId('verdict-s199-2D').getAttribute('data-verdict'), 'incomplete');
    // The workers record the last runs: the page reads them on its next refresh.
    appendFileSync(join(dir, 'results.ndjson'), line('s199', 'TestSnapshotInstallUnCrash2D', 1, true) + line('s199', 'TestSnapshotInstallUnCrash2D', 2, false));
    await page.locator('[data-testid="cell-s199-TestSnapshotInstallUnCrash2D"][data-runs="2"]').waitFor({ timeout: 20_000 });
    assert.equal(await last.getAttribute('data-band'), 'high');
    assert.equal(await page.getByTestId('verdict-s199-2D').getAttribute('data-verdict'), 'fail');
    await page.getByTestId('grade-state').filter({ hasText: 'complete' }).waitFor();
    await page.getByTestId('matrix-filter').fill('s19');
    await page.locator('[data-testid="grade-matrix"][data-rows="10"]').waitFor();
    assert.deepEqual(problems(), []);
  });
});

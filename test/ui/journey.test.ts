// The app end to end, in Debian's Chromium (web mode): pick a test, run it on the reference, then run a planted bug
// until it fails, open the failing run's trace in the trace viewer, check it for safety and go to the event that broke
// State Machine Safety, replay it from its page, and export it as a bundle that the CLI's replay reproduces.
// Screenshots of each step go to test-results/.
//
// Needs Chromium at /usr/bin/chromium (or RAFTLAB_CHROMIUM).
import { strict as assert } from 'node:assert';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import type { Page } from 'playwright-core';
import { openAppInBrowser, type AppInBrowser } from './app-in-browser.ts';
import { replayCommand } from '../../src/cli/replay-command.ts';

const SHOTS = resolve('test-results');
const BUGGY = resolve('labs/bugs/vote-without-up-to-date-check');

describe('ui: the journey, end to end in Chromium (web mode)', function () {
  this.timeout(90_000);

  let app: AppInBrowser;
  let server: AppInBrowser['server'];
  let page: Page;
  let problems: string[];

  const shot = (name: string) => page.screenshot({ path: join(SHOTS, `journey-${name}.png`), fullPage: true });
  const text = async (testId: string) => ((await page.getByTestId(testId).first().textContent()) ?? '').trim();

  before(async () => {
    await mkdir(SHOTS, { recursive: true });
    app = await openAppInBrowser({ width: 1280, height: 900 });
    ({ server, page, problems } = app);
  });

  after(async () => {
    await app?.close();
  });

  it('opens on the catalog of the 24 tests, grouped by part', async () => {
    const response = await page.goto(server.appUrl);
    assert.equal(response?.status(), 200);
    await page.getByTestId('test-TestInitialElection2A').waitFor();
    assert.equal(await page.locator('[data-testid^="pick-Test"]').count(), 24);
    for (const part of ['2A', '2B', '2C', '2D']) assert.equal(await page.getByTestId(`pick-part-${part}`).count(), 1);
    assert.match(await text('test-TestInitialElection2A'), /initial election.*no runs yet/s);
    await shot('1-catalog');
  });

  it('runs TestInitialElection2A 5 times on the reference, sim clock: 5 passes', async () => {
    await page.getByTestId('pick-TestInitialElection2A').check();
    await page.getByTestId('impl-reference').check();
    await page.getByTestId('run-count').fill('5');
    await page.getByTestId('run-mode').selectOption('sim');
    await page.getByTestId('run-seed').fill('1');
    await page.getByTestId('run-start').click();
    await page.getByTestId('batch-state').filter({ hasText: /^done$/ }).waitFor({ timeout: 30_000 });
    assert.equal(await text('batch-done'), '5');
    assert.equal(await text('batch-failed'), '0');
    assert.equal((await text('result-runs-TestInitialElection2A')).replace(/\s+/g, ''), '5/5');
    assert.equal(await text('result-failed-TestInitialElection2A'), '0');
    assert.match(await text('result-rate-TestInitialElection2A'), /^0\.0%\s*\[0\.0–43\.4%\]$/); // Wilson, 0 of 5
    assert.equal(await page.getByTestId('result-TestInitialElection2A').getByTestId('histogram').count(), 1);
    // The catalog now counts the runs of this code version: none of 5 failed.
    await page.getByTestId('rate-TestInitialElection2A').filter({ hasText: '0 of 5 failed' }).waitFor();
    await shot('2-reference-5-passes');
  });

  it('runs the planted bug on TestBackup2B until the first failure, and groups it by cause', async () => {
    await page.getByTestId('pick-TestInitialElection2A').uncheck();
    await page.getByTestId('pick-TestBackup2B').check();
    await page.getByTestId('impl-folder').check();
    await page.getByTestId('impl-folder-path').fill(BUGGY);
    await page.getByTestId('run-count').fill('20');
    await page.getByTestId('run-stop-on-fail').check();
    await page.getByTestId('run-start').click();
    await page.getByTestId('batch-state').filter({ hasText: /stopped at the first failure/ }).waitFor({ timeout: 45_000 });
    assert.ok(Number(await text('batch-failed')) >= 1);
    assert.ok(Number(await text('batch-done')) < 20);
    const cluster = page.getByTestId('cluster').first();
    await cluster.waitFor();
    assert.match((await cluster.textContent()) ?? '', /TestBackup2B/);
    assert.match(await text('cluster-seed'), /^\d+$/);
    assert.equal(await page.getByTestId('run-error').count(), 0);
    await shot('3-planted-bug-fails');
  });

  it("opens the failing run's trace in the trace viewer", async () => {
    const seed = await text('cluster-seed');
    await page.getByTestId('trace-link').first().click();
    await page.getByTestId('trace-page').waitFor();
    await page.getByTestId('trace-header').waitFor();
    assert.match(await text('trace-test'), /TestBackup2B/);
    assert.match(await text('trace-seed'), new RegExp(`^${seed}\\b`));
    assert.equal(await text('trace-status'), 'fail');
    // The viewer (src/renderer/src/trace): lanes for the 5 servers, RPC arrows, the linked log.
    const viewer = page.getByTestId('trace-viewer');
    await viewer.waitFor();
    await page.locator('[data-testid="trace-viewer"][data-ready="true"]').waitFor({ timeout: 20_000 });
    for (let n = 0; n < 5; n++) assert.equal(await page.getByTestId(`lane-${n}`).count(), 1, `lane-${n}`);
    assert.ok((await page.getByTestId('rpc-arrow').count()) > 0, 'RPC arrows are drawn');
    assert.ok((await page.getByTestId('log-row').count()) > 0, 'log rows are shown');
    // One cursor: picking a later event in the log moves the cursor, and the state inspector shows that moment.
    const inspector = async () => (await page.getByTestId('state-inspector').textContent()) ?? '';
    const before = { cursor: await viewer.getAttribute('data-cursor'), state: await inspector() };
    const rows = page.getByTestId('log-row');
    const later = rows.nth((await rows.count()) - 1);
    const laterIndex = await later.getAttribute('data-index');
    await later.click();
    await page.locator(`[data-testid="trace-viewer"][data-cursor="${laterIndex}"]`).waitFor();
    assert.notEqual(laterIndex, before.cursor, 'the cursor moved');
    assert.notEqual(await inspector(), before.state, 'the state inspector follows the cursor');
    assert.equal(await page.getByTestId('trace-cursor').count() > 0, true, 'the diagram draws the cursor');
    await shot('4-trace-viewer');
    assert.deepEqual(problems, []);
  });

  it('checks the trace for safety and goes to the event that broke State Machine Safety', async () => {
    await page.getByTestId('trace-check').click();
    await page.getByTestId('check-outcome').waitFor({ timeout: 20_000 });
    assert.equal(await page.getByTestId('check-clean').count(), 0);
    const violation = page.locator('[data-testid="violation"][data-invariant="state-machine-safety"]').first();
    await violation.waitFor();
    const said = (await violation.textContent()) ?? '';
    assert.match(said, /State Machine Safety/);
    assert.match(said, /server \d applied .* at index \d+/);
    assert.match(said, /Rule: if a server has applied a log entry/);
    const event = await violation.getAttribute('data-event');
    assert.match(event ?? '', /^\d+$/);
    await violation.getByTestId('violation-goto').click();
    await page.locator(`[data-testid="trace-viewer"][data-cursor="${event}"]`).waitFor();
    const row = page.locator(`[data-testid="log-row"][data-index="${event}"]`);
    await row.waitFor();
    assert.equal(await row.getAttribute('data-marked'), 'true');
    assert.equal(await row.getAttribute('data-current'), 'true');
    assert.equal(await page.locator('[data-testid="log-row"][data-marked="true"]').count(), 1);
    // The inspector draws every server's saved log on one index axis, coloured by term.
    assert.equal(await page.getByTestId('state-log').count(), 5);
    assert.ok((await page.locator('[data-testid="state-log"] [data-term]').count()) >= 5, 'runs of terms are drawn');
    await shot('5-trace-checked');
    assert.deepEqual(problems, []);
  });

  it('replays the trace from its page: the failure recurred, the trace is identical', async () => {
    const events = Number((await text('trace-events')).split(' ')[0]);
    await page.getByTestId('trace-replay').click();
    await page.getByTestId('replay-outcome').waitFor({ timeout: 20_000 });
    assert.match(await text('replay-recurred'), /The failure recurred/);
    assert.equal((await text('replay-identical')).replace(/\s+/g, ' '), `identical The trace is identical: ${events} events.`);
    assert.equal(await page.getByTestId('replay-error').count(), 0);
    await shot('6-trace-replayed');
  });

  it('exports the trace as a bundle download that `raftlab replay` reproduces', async () => {
    const seed = (await text('trace-seed')).split(' ')[0];
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-bundle').click()]);
    assert.equal(download.suggestedFilename(), `TestBackup2B-seed${seed}.bundle.gz`);
    const saved = join(SHOTS, `journey-${download.suggestedFilename()}`);
    await download.saveAs(saved);
    await page.getByTestId('export-note').filter({ hasText: /Downloaded TestBackup2B-seed\d+\.bundle\.gz/ }).waitFor();

    let printed = '';
    const out = new Writable({ write: (chunk, _enc, done) => void ((printed += String(chunk)), done()) });
    const replayed = await replayCommand(saved, {}, out, out);
    assert.equal(replayed.status, 0, printed);
    assert.deepEqual({ recurred: replayed.report?.recurred, identical: replayed.report?.identical }, { recurred: true, identical: true });
    assert.match(printed, /the failure recurred\nthe trace is identical/);
    assert.deepEqual(problems, []);
  });
});

// The student's journey through the app, in Debian's Chromium at 1920×1080 (web mode), over a history of thousands
// of batches: open a past batch from History and reach one of its failed traces; open a trace file and a bundle from
// outside the data folder (a file picker and a drop); a failed trace opens with the failure selected and in view; a
// 3-server trace fills the screen; the catalog never says "pass" over failures; a planted bug picked from the bug
// catalog runs beside its explanation; a relative folder path runs; a real-clock run shows its progress inside the
// run. Screenshots of each step go to test-results/.
//
// Needs Chromium at /usr/bin/chromium (or RAFTLAB_CHROMIUM).
import { strict as assert } from 'node:assert';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { openAppInBrowser, type AppInBrowser } from './app-in-browser.ts';
import { fakeSettings, writeBatches } from './fake-history.ts';

const SHOTS = resolve('test-results');
const BUGGY = 'labs/bugs/vote-without-up-to-date-check';
const FAKE_BATCHES = 3000;

describe('ui: the student journey in Chromium at 1920×1080', function () {
  this.timeout(120_000);

  let app: AppInBrowser;
  let page: Page;
  let outside: string;
  /** A failed 5-server trace (the planted bug), and a failed 3-server one (checked), both kept by the app. */
  let backupTrace: string;
  let electionTrace: string;

  const shot = (name: string) => page.screenshot({ path: join(SHOTS, `student-${name}.png`) });
  const text = async (testId: string) => ((await page.getByTestId(testId).first().textContent()) ?? '').trim();
  const base = () => app.server.url;
  const viewerReady = () => page.locator('[data-testid="trace-viewer"][data-loaded="true"]').waitFor({ timeout: 30_000 });

  /** The failure is the cursor, its row is inside the log's scroller, and the diagram's cursor inside its window. */
  async function failureInView(): Promise<number> {
    const viewer = page.getByTestId('trace-viewer');
    await page.locator('[data-testid="trace-viewer"][data-failure]').waitFor({ timeout: 30_000 });
    const failure = await viewer.getAttribute('data-failure');
    await page.locator(`[data-testid="trace-viewer"][data-cursor="${failure}"]`).waitFor();
    const row = page.locator(`[data-testid="log-row"][data-index="${failure}"]`);
    await row.waitFor();
    await page.waitForFunction(
      (i) => {
        const r = document.querySelector(`[data-testid="log-row"][data-index="${i}"]`)?.getBoundingClientRect();
        const s = document.querySelector('[data-testid="log-scroller"]')?.getBoundingClientRect();
        return !!r && !!s && r.top >= s.top - 1 && r.bottom <= s.bottom + 1;
      },
      failure,
    );
    assert.equal(await row.getAttribute('data-current'), 'true');
    const cursor = (await page.getByTestId('trace-cursor').boundingBox())!;
    const diagram = (await page.getByTestId('time-space').boundingBox())!;
    assert.ok(cursor.x >= diagram.x && cursor.x <= diagram.x + diagram.width, `the diagram's cursor at ${cursor.x} is in [${diagram.x}, ${diagram.x + diagram.width}]`);
    assert.equal(await page.getByTestId('event-detail').getAttribute('data-index'), failure, 'the detail pane shows the failing event');
    return Number(failure);
  }

  before(async () => {
    await mkdir(SHOTS, { recursive: true });
    app = await openAppInBrowser({ width: 1920, height: 1080 });
    page = app.page;
    outside = await mkdtemp(join(tmpdir(), 'raftlab-elsewhere-'));
    // Thousands of older batches of other implementations, then the real ones.
    writeBatches(
      app.services.dataDir,
      Array.from({ length: FAKE_BATCHES }, (_, i) => ({
        id: `2025-01-01-fake-${String(i).padStart(5, '0')}`,
        startedAt: new Date(Date.UTC(2025, 0, 1) + i * 60_000).toISOString(),
        settings: fakeSettings({ implDir: i % 2 ? '/home/student/raft-v1' : '/home/student/raft-v2', sourcesHash: (i < 1500 ? 'c' : 'd').repeat(64) }),
        runs: [{ id: 'TestInitialElection2A', seed: i, status: i % 7 ? ('pass' as const) : ('fail' as const) }],
      })),
    );
    const s = app.services.batches;
    const reference = await s.start({ tests: ['TestInitialElection2A'], count: 3, parallel: 2, mode: 'sim', seed: 1, impl: 'reference', stopOnFail: false });
    await s.whenDone(reference.id);
    const buggy = await s.start({ tests: ['TestBackup2B'], count: 3, parallel: 2, mode: 'sim', seed: 1, impl: BUGGY, stopOnFail: false });
    backupTrace = (await s.whenDone(buggy.id))!.results!.clusters[0]!.failures[0]!.traceFile!;
    const checked = await s.start({ tests: ['TestInitialElection2A'], count: 1, parallel: 1, mode: 'sim', seed: 1, impl: 'labs/bugs/votedfor-not-persisted', stopOnFail: false, check: true });
    electionTrace = (await s.whenDone(checked.id))!.results!.clusters[0]!.failures[0]!.traceFile!;
    assert.ok(backupTrace && electionTrace);
    await page.goto(app.server.appUrl);
    await page.getByTestId('test-TestInitialElection2A').waitFor();
  });

  after(async () => {
    await app?.close();
    if (outside) await rm(outside, { recursive: true, force: true });
  });

  it('opens a past batch from History (thousands of batches, virtualized) and reaches one of its failed traces', async () => {
    await page.goto(`${base()}#/history`);
    const table = page.getByTestId('history-table');
    await page.locator(`[data-testid="history-table"][data-total="${FAKE_BATCHES + 3}"]`).waitFor();
    assert.ok(await table.isVisible());
    const rendered = await page.getByTestId('history-row').count();
    assert.ok(rendered > 5 && rendered < 120, `virtualized: ${rendered} rows rendered of ${FAKE_BATCHES + 3}`);
    // Scrolling far down fetches the pages it reaches.
    await page.getByTestId('history-scroller').evaluate((el) => (el.scrollTop = el.scrollHeight / 2));
    await page.locator('[data-testid="history-row"][data-batch^="2025-01-01-fake-01"]').first().waitFor();
    await page.getByTestId('history-scroller').evaluate((el) => (el.scrollTop = 0));
    // Filter to the planted bug; its row opens the batch, whole.
    await page.getByTestId('history-impl').selectOption(resolve(BUGGY));
    await page.locator('[data-testid="history-table"][data-total="1"]').waitFor();
    await page.getByTestId('history-series').waitFor();
    assert.equal(await page.getByTestId('series-TestBackup2B').count(), 1, 'a plot per test of failure rate over batches');
    await shot('1-history');
    await page.getByTestId('history-row').first().click();
    await page.getByTestId('batch-page').waitFor();
    await page.getByTestId('cluster').first().waitFor();
    assert.match(await text('result-rate-TestBackup2B'), /^100\.0%/);
    assert.equal(await page.getByTestId('batch-bug').count(), 1, "the planted bug's explanation beside its results");
    await shot('2-past-batch');
    await page.getByTestId('trace-link').first().click();
    await viewerReady();
    assert.match(await text('trace-test'), /TestBackup2B/);
    assert.equal(await text('trace-status'), 'fail');
    await failureInView();
    assert.deepEqual(app.problems, []);
  });

  it('a failed trace opens with the failure selected and in view; Home and End move the cursor, f goes back', async () => {
    await page.goto(`${base()}#/trace?file=${encodeURIComponent(electionTrace)}`);
    await viewerReady();
    const failure = await failureInView();
    assert.match(await text('trace-failure'), /Vote persisted before replying/);
    await page.getByTestId('trace-viewer').focus();
    await page.keyboard.press('Home');
    await page.locator('[data-testid="trace-viewer"][data-cursor="0"]').waitFor();
    await page.keyboard.press('End');
    const last = Number(await page.getByTestId('trace-viewer').getAttribute('data-events')) - 1;
    await page.locator(`[data-testid="trace-viewer"][data-cursor="${last}"]`).waitFor();
    await page.getByTestId('goto-failure').click();
    await page.locator(`[data-testid="trace-viewer"][data-cursor="${failure}"]`).waitFor();
    await shot('3-failure-in-view');
  });

  it('a 3-server trace shows at least 30 log rows at 1920×1080, the content spans the width, and an RPC reads whole', async () => {
    const scroller = (await page.getByTestId('log-scroller').boundingBox())!;
    const visible = await page.getByTestId('log-row').evaluateAll(
      (rows, box) => rows.filter((r) => {
        const b = r.getBoundingClientRect();
        return b.top >= box.y - 1 && b.bottom <= box.y + box.height + 1;
      }).length,
      scroller,
    );
    assert.ok(visible >= 30, `${visible} log rows in view`);
    const viewer = (await page.getByTestId('trace-viewer').boundingBox())!;
    assert.ok(viewer.width >= 0.95 * 1920 - 64, `the viewer is ${viewer.width} px wide`);
    assert.equal(await page.getByTestId('ts-unit').textContent(), 'ms', 'one unit on the axis');
    // The failure here is a reply: the detail pane has the RPC's arguments, its reply, and links to its send.
    assert.match((await page.getByTestId('event-detail-args').textContent()) ?? '', /"candidateId": \d/);
    assert.match((await page.getByTestId('event-detail-reply').textContent()) ?? '', /"voteGranted": true/);
    const send = Number(((await page.getByTestId('event-link-send').textContent()) ?? '').replace(/\D+/g, ''));
    await page.getByTestId('event-link-send').click();
    await page.locator(`[data-testid="trace-viewer"][data-cursor="${send}"]`).waitFor();
    assert.deepEqual(app.problems, []);
  });

  it('opens a trace file from outside the data folder with the file picker', async () => {
    const file = join(outside, 'sent-by-a-TA.trace.gz');
    await copyFile(backupTrace, file);
    await page.getByTestId('open-trace-file').setInputFiles(file);
    await page.getByTestId('trace-opened').filter({ hasText: 'opened file sent-by-a-TA.trace.gz' }).waitFor();
    await viewerReady();
    assert.match(await text('trace-test'), /TestBackup2B/);
    await failureInView();
    await shot('4-opened-trace');
  });

  it('opens a bundle dropped on the window, and replays it with its own sources', async () => {
    const bundle = await app.services.traces.export(backupTrace, 'bundle');
    const file = join(outside, bundle.fileName);
    await writeFile(file, bundle.bytes);
    const transfer = await page.evaluateHandle(
      ({ name, data }) => {
        const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
        const dt = new DataTransfer();
        dt.items.add(new File([bytes], name, { type: 'application/gzip' }));
        return dt;
      },
      { name: bundle.fileName, data: bundle.bytes.toString('base64') },
    );
    await page.dispatchEvent('body', 'dragenter', { dataTransfer: transfer });
    await page.getByTestId('drop-overlay').waitFor();
    await page.dispatchEvent('body', 'dragover', { dataTransfer: transfer });
    await page.dispatchEvent('body', 'drop', { dataTransfer: transfer });
    await page.getByTestId('trace-opened').filter({ hasText: `opened bundle ${bundle.fileName}` }).waitFor();
    await viewerReady();
    assert.equal(await page.getByTestId('drop-overlay').count(), 0);
    assert.match(await text('trace-replay'), /Replay the bundle/);
    await page.getByTestId('trace-replay').click();
    await page.getByTestId('replay-outcome').waitFor({ timeout: 30_000 });
    assert.match(await text('replay-recurred'), /The failure recurred/);
    assert.match(await text('replay-identical'), /identical/);
    await shot('5-opened-bundle');
    assert.deepEqual(app.problems, []);
  });

  it('runs a relative folder path; the catalog never shows "pass" for a test with failures in its scope; a bad seed is said in words', async () => {
    await page.goto(`${base()}#/`);
    await page.getByTestId('impl-folder').check();
    await page.getByTestId('impl-folder-path').fill(BUGGY);
    await page.getByTestId('impl-folder-resolved').filter({ hasText: resolve(BUGGY) }).waitFor();
    assert.match(await text('impl-folder-note'), /planted bug: Vote without the up-to-date check/);
    await page.getByTestId('impl-folder-path').dispatchEvent('change');
    // The catalog's scope follows: this bug's code, this clock.
    const badge = page.getByTestId('rate-TestBackup2B');
    await badge.filter({ hasText: /3 of 3/ }).waitFor();
    for (const b of await page.locator('[data-testid^="rate-Test"]').all()) {
      const failed = Number(await b.getAttribute('data-failed'));
      const said = (await b.textContent()) ?? '';
      assert.doesNotMatch(said, /pass/i);
      if (failed > 0) assert.match((await b.getAttribute('class')) ?? '', /\bbad\b/);
    }
    await page.getByTestId('pick-TestInitialElection2A').uncheck().catch(() => undefined);
    await page.getByTestId('pick-TestBackup2B').check();
    await page.getByTestId('run-seed').fill('abc');
    await page.getByTestId('run-seed-error').filter({ hasText: /The seed is a whole number from 0 to 2,147,483,647, not “abc”/ }).waitFor();
    const before = await page.getByTestId('batch').getAttribute('data-batch').catch(() => null);
    await page.getByTestId('run-start').click();
    assert.equal(await page.getByTestId('batch').getAttribute('data-batch').catch(() => null), before, 'nothing started');
    await page.getByTestId('run-seed').fill('7');
    assert.equal(await page.getByTestId('run-seed-error').count(), 0);
    await page.getByTestId('run-count').fill('2');
    await page.getByTestId('run-start').click();
    await page.waitForFunction((id) => document.querySelector('[data-testid="batch"]')?.getAttribute('data-batch') !== id, before, { timeout: 30_000 });
    await page.getByTestId('batch-state').filter({ hasText: /^done$/ }).waitFor({ timeout: 45_000 });
    assert.equal(await text('batch-done'), '2');
    await badge.filter({ hasText: /5 of 5/ }).waitFor();
    await shot('6-relative-folder');
  });

  it('a planted bug picked from the bug catalog runs, and shows its explanation', async () => {
    await page.getByTestId('nav-bugs').click();
    await page.getByTestId('bug-heartbeat-10ms').click();
    await page.locator('[data-testid="bug-detail"][data-bug="heartbeat-10ms"]').waitFor();
    assert.match(await text('bug-explanation'), /heartbeats 100 times a second/);
    assert.match(await text('bug-diff'), /-const heartbeatIntervalMs = 125;/);
    await shot('7-bug-catalog');
    await page.getByTestId('bug-run').click();
    await page.getByTestId('batch-bug').filter({ hasText: 'Heartbeats every 10 ms' }).waitFor({ timeout: 30_000 });
    assert.match(await text('batch-bug-explanation'), /heartbeats 100 times a second/);
    await page.getByTestId('batch-state').filter({ hasText: /stopped at the first failure|done/ }).waitFor({ timeout: 45_000 });
    assert.equal(await text('batch-failed'), '1');
    assert.match(await text('cluster'), /TestCount2B/);
    assert.ok(app.services.settings.get().recentFolders?.includes(resolve('labs/bugs/heartbeat-10ms')), 'offered again under Recent');
    await shot('8-bug-run');
    assert.deepEqual(app.problems, []);
  });

  it('a real-clock run shows its progress inside the run, against the test\'s usual length', async () => {
    await page.getByTestId('nav-run').click();
    await page.getByTestId('impl-reference').check();
    for (const id of await page.locator('[data-testid^="pick-Test"]:checked').evaluateAll((els) => els.map((e) => e.getAttribute('data-testid')!))) {
      await page.getByTestId(id).uncheck();
    }
    await page.getByTestId('pick-TestInitialElection2A').check();
    await page.getByTestId('run-count').fill('1');
    await page.getByTestId('run-seed').fill('1');
    await page.getByTestId('run-check').uncheck();
    await page.getByTestId('run-stop-on-fail').uncheck();
    await page.getByTestId('run-mode').selectOption('real');
    const before = await page.getByTestId('batch').getAttribute('data-batch');
    await page.getByTestId('run-start').click();
    await page.waitForFunction((id) => document.querySelector('[data-testid="batch"]')?.getAttribute('data-batch') !== id, before, { timeout: 30_000 });
    // Moving inside the run, against the test's usual length (its virtual time on the sim clock, until the real clock has run it).
    const flight = page.getByTestId('in-flight-run').filter({ hasText: /TestInitialElection2A seed 1: (?!0\.0 )\d+\.\d s wall of about \d+\.\d s/ });
    await flight.waitFor({ timeout: 30_000 });
    await shot('9-real-clock-progress');
    await page.getByTestId('batch-state').filter({ hasText: /^done$/ }).waitFor({ timeout: 60_000 });
    assert.equal(await text('result-runs-TestInitialElection2A'), '1/1');
    assert.deepEqual(app.problems, []);
  });
});

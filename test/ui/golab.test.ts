// A Go lab in the app (web mode, Debian's Chromium): the implementation picker takes a 6.824 checkout's src/raft
// folder (the fixture module of test/fixtures/go), the batch runs the course's Go test binary 5 times per test, the
// results and clusters show as for TypeScript, and a failed run's trace opens with its per-node log — not replayable,
// so its page offers to run the test again instead. Screenshots go to test-results/.
import { strict as assert } from 'node:assert';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { openAppInBrowser, type AppInBrowser } from './app-in-browser.ts';

const SHOTS = resolve('test-results');
const GO_LAB = resolve('test/fixtures/go/src/raft');

describe('ui: a Go lab in the app, end to end in Chromium (web mode)', function () {
  this.timeout(180_000);
  let app: AppInBrowser;
  let page: Page;
  const text = async (testId: string) => ((await page.getByTestId(testId).first().textContent()) ?? '').trim();
  const shot = (name: string) => page.screenshot({ path: join(SHOTS, `golab-${name}.png`), fullPage: true });

  before(async () => {
    await mkdir(SHOTS, { recursive: true });
    app = await openAppInBrowser({ width: 1280, height: 900 });
    page = app.page;
  });
  after(async () => {
    await app?.close();
  });

  it('runs the Go folder 5 times per test: results, failure rate and the cluster of the failing test', async () => {
    await page.goto(app.server.appUrl);
    await page.getByTestId('pick-TestInitialElection2A').check();
    await page.getByTestId('pick-TestReElection2A').check();
    await page.getByTestId('impl-folder').check();
    await page.getByTestId('impl-folder-path').fill(GO_LAB);
    await page.getByTestId('run-count').fill('5');
    await page.getByTestId('run-parallel').fill('2');
    await page.getByTestId('run-start').click();
    await page.getByTestId('batch-state').filter({ hasText: /^done$/ }).waitFor({ timeout: 120_000 });
    assert.equal(await text('batch-done'), '10');
    assert.equal(await text('batch-failed'), '5');
    assert.match(await text('batch'), /the Go test binary, wall clock · runs 1–5 \(not replayable\)/);
    assert.equal((await text('result-runs-TestReElection2A')).replace(/\s+/g, ''), '5/5');
    assert.equal(await text('result-failed-TestReElection2A'), '5');
    assert.equal(await text('result-failed-TestInitialElection2A'), '0');
    assert.match(await text('result-rate-TestReElection2A'), /^100\.0%\s*\[56\.6–100\.0%\]$/); // Wilson, 5 of 5
    const cluster = page.getByTestId('cluster').first();
    assert.match((await cluster.textContent()) ?? '', /TestReElection2A[\s\S]*checkOneLeader[\s\S]*expected one leader, got none/);
    assert.equal(await page.getByTestId('trace-link').count(), 5);
    await shot('1-results');
  });

  it("opens a failed run's trace: the per-node log, the tester's lines, and no replay", async () => {
    await page.getByTestId('trace-link').first().click();
    await page.getByTestId('trace-header').waitFor();
    assert.equal(await text('trace-status'), 'fail');
    assert.match(await text('trace-seed'), /^\d$/);
    assert.match(await text('trace-header'), /run \d · the Go test binary, wall clock/);
    assert.equal(await page.getByTestId('trace-replay').count(), 0);
    assert.match(await text('trace-not-replayable'), /A Go run cannot be replayed/);
    await page.locator('[data-testid="trace-viewer"][data-ready="true"]').waitFor({ timeout: 20_000 });
    for (let n = 0; n < 3; n++) assert.equal(await page.getByTestId(`lane-${n}`).count(), 1, `lane-${n}`);
    // The debug lines (TIMR S<n> …) in their server's column.
    await page.getByTestId('log-search').fill('election timeout');
    const rows = page.getByTestId('log-row');
    // Once the filter applies, the rows are the timeouts (and the test's own begin line, always shown).
    await page.waitForFunction(() => {
      const texts = [...document.querySelectorAll('[data-testid="log-row"]')].map((r) => r.textContent ?? '');
      return texts.length > 1 && texts.every((t) => /election timeout|Test \(2A\)/.test(t));
    });
    const columns = new Set(
      await page.$$eval('[data-testid="log-row"]', (els) =>
        els.filter((r) => /election timeout/.test(r.textContent ?? '')).map((r) => (r.querySelector('.lv-text') as HTMLElement).style.gridColumnStart),
      ),
    );
    assert.deepEqual([...columns].sort(), ['3', '4', '5'], 'S0, S1 and S2 each in their own column');
    // The tester's message spans the row.
    await page.getByTestId('log-search').fill('expected one leader');
    const message = rows.filter({ hasText: /TEST\s*config\.go:\d+: expected one leader, got none/ }).first();
    await message.waitFor();
    assert.match((await message.locator('.lv-text').getAttribute('style')) ?? '', /grid-column:\s*3 \/ -1/);
    await page.getByTestId('log-search').fill('');
    await shot('2-trace');
    assert.deepEqual(app.problems, []);
  });

  it('offers to run the test again instead of a replay, and does', async () => {
    await page.getByTestId('trace-rerun-count').fill('3');
    await page.getByTestId('trace-rerun').click();
    await page.getByTestId('batch-state').filter({ hasText: /^done$/ }).waitFor({ timeout: 60_000 });
    assert.equal(await text('batch-done'), '3');
    assert.equal(await text('batch-failed'), '3');
    assert.equal((await text('result-runs-TestReElection2A')).replace(/\s+/g, ''), '3/3');
    assert.equal(await page.getByTestId('result-TestInitialElection2A').count(), 0);
    await shot('3-rerun');
    assert.deepEqual(app.problems, []);
  });
});

/// <reference lib="dom" />
// The trace viewer's components in Chromium: its standalone page (src/renderer/src/trace/bench/), built with Vite
// and served locally, on a synthetic trace small enough to load at once. Needs Chromium at /usr/bin/chromium.
import { strict as assert } from 'node:assert';
import type { Page } from 'playwright-core';
import { openTraceViewerPage, type TraceViewerPage } from '../../bench/trace-viewer.bench.ts';

describe('trace viewer: components in Chromium', function () {
  this.timeout(90_000);
  let env: TraceViewerPage;
  let page: Page;
  const problems: string[] = [];

  before(async () => {
    env = await openTraceViewerPage();
    page = await env.browser.newPage({ viewport: { width: 1300, height: 850 } });
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
    });
    await page.goto(`${env.url}?events=6000&pageSize=500&servers=5&seed=4`);
    await page.locator('[data-testid="trace-viewer"][data-loaded="true"]').waitFor({ timeout: 30_000 });
  });
  after(async () => {
    await env?.close();
  });

  const cursor = async (): Promise<number> => Number(await page.getByTestId('trace-viewer').getAttribute('data-cursor'));

  it('paints the three views: lanes, arrows, drops, cursor, log rows, one state cell per node', async () => {
    assert.equal(await page.getByTestId('trace-viewer').getAttribute('data-events'), '6000');
    for (let n = 0; n < 5; n++) assert.equal(await page.getByTestId(`lane-${n}`).count(), 1);
    assert.ok((await page.getByTestId('rpc-arrow').count()) > 10);
    await page.getByTestId('zoom-fit').click();
    assert.ok((await page.getByTestId('rpc-drop').count()) > 0);
    assert.ok((await page.getByTestId('band-crash').count()) + (await page.getByTestId('band-disconnect').count()) > 0);
    assert.ok((await page.getByTestId('role-leader').count()) > 0);
    assert.equal(await page.getByTestId('trace-cursor').count(), 1);
    const rows = await page.getByTestId('log-row').count();
    assert.ok(rows > 10 && rows < 200, `virtualized: ${rows} rows rendered`);
    for (let n = 0; n < 5; n++) assert.equal(await page.getByTestId(`state-node-${n}`).count(), 1);
    assert.equal(await page.getByTestId('trace-progress').count(), 0);
  });

  it('clicking a log row moves the cursor; the inspector follows', async () => {
    const row = page.getByTestId('log-row').nth(20);
    const index = Number(await row.getAttribute('data-index'));
    await row.click();
    assert.equal(await cursor(), index);
    assert.equal(await row.getAttribute('data-current'), 'true');
    assert.match((await page.getByTestId('state-inspector').textContent()) ?? '', new RegExp(`event #${index}(?!\\d)`));
    // Every node has started by then, and S0 leads (the synthetic run's first leader).
    assert.equal(await page.getByTestId('state-node-0').getAttribute('data-role'), 'leader');
  });

  it('clicking or dragging on the diagram moves the cursor, and the log scrolls to it', async () => {
    const box = (await page.getByTestId('time-space').boundingBox())!;
    await page.mouse.click(box.x + box.width * 0.8, box.y + box.height / 2);
    const c = await cursor();
    assert.ok(c > 1000, `cursor at ${c}`);
    await page.locator(`[data-testid="log-row"][data-index="${c}"]`).waitFor();
    // By then every server has saved entries: the inspector draws each saved log, coloured by term.
    assert.equal(await page.getByTestId('state-log').count(), 5);
    assert.ok((await page.locator('[data-testid="state-log"] [data-term]').count()) >= 5);
    await page.mouse.move(box.x + box.width * 0.8, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.5, box.y + box.height / 2, { steps: 4 });
    await page.mouse.up();
    assert.ok((await cursor()) < c);
  });

  it('keys step the cursor through the visible rows', async () => {
    await page.getByTestId('trace-viewer').focus();
    const c = await cursor();
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowUp');
    assert.equal(await cursor(), c + 1);
  });

  it('topic chips and the search filter the log', async () => {
    await page.getByTestId('topic-chip-SEND').dblclick();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="log-row"]').length > 0);
    const topics = await page.locator('[data-testid="log-row"] .lv-topic').allTextContents();
    assert.ok(topics.length > 0 && topics.every((t) => t === 'SEND'), topics.join(','));
    await page.getByTestId('log-search').fill('requestvote');
    await page.waitForFunction(() => [...document.querySelectorAll('[data-testid="log-row"]')].every((r) => /RequestVote/.test(r.textContent ?? '')));
    await page.getByTestId('log-search').fill('');
    await page.getByTestId('topic-chip-all').click();
    assert.deepEqual(problems, []);
  });
});

// The app in a real browser: the renderer, built with the app's own Vite config, served by the web
// server and loaded in Debian's Chromium through playwright-core.
//
// Needs Chromium at /usr/bin/chromium (apt-get install -y chromium), or its path in RAFTLAB_CHROMIUM.
// RAFTLAB_SCREENSHOT=<file.png> saves a screenshot of the About view.
import { strict as assert } from 'node:assert';
import type { Page } from 'playwright-core';
import { openAppInBrowser, type AppInBrowser } from './app-in-browser.ts';
import pkg from '../../package.json' with { type: 'json' };


describe('ui: the app in Chromium (web mode)', function () {
  this.timeout(60_000);

  let app: AppInBrowser;
  let server: AppInBrowser['server'];
  let page: Page;
  let problems: string[];

  before(async () => {
    app = await openAppInBrowser({ width: 1100, height: 760 });
    ({ server, page, problems } = app);
  });

  after(async () => {
    await app?.close();
  });

  it('shows the About view with the real version and shell "web"', async () => {
    const response = await page.goto(`${server.appUrl}#/about`);
    assert.equal(response?.status(), 200);
    // The token came in the address and left it at once: the page runs on the cookie it was traded for.
    assert.doesNotMatch(page.url(), /token/);
    assert.equal(await page.evaluate(() => document.cookie), '', 'the cookie is HttpOnly: no script on the page reads it');
    assert.match(response?.headers()['content-security-policy'] ?? '', /script-src 'self'/);

    await page.getByRole('heading', { name: 'About this installation' }).waitFor();
    const version = page.getByTestId('about-version');
    await version.waitFor();
    assert.equal(await version.textContent(), pkg.version);
    assert.equal(await page.getByTestId('about-shell').textContent(), 'web');
    assert.equal(await page.getByTestId('about-node').textContent(), process.versions.node);
    assert.equal(await page.getByTestId('about-electron').count(), 0, 'no Electron row in web mode');
    assert.match((await page.getByTestId('clock-real').textContent()) ?? '', /^real\s*Wall-clock time, as the course grades/);
    assert.match((await page.getByTestId('clock-sim').textContent()) ?? '', /^sim\s*Virtual time and seeded randomness/);
    assert.equal(await page.locator('header').getByText('raftlab', { exact: true }).count(), 1);

    const screenshot = process.env['RAFTLAB_SCREENSHOT'];
    if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });

    // CSP violations, failed loads and script errors all land here.
    assert.deepEqual(problems, []);
  });

  it('sets chaos knobs in the run form: the batch runs under them and says so', async () => {
    const text = async (id: string): Promise<string> => ((await page.getByTestId(id).textContent()) ?? '').trim();
    await page.goto(server.appUrl);
    await page.getByTestId('test-TestFailAgree2B').waitFor();
    await page.getByTestId('pick-TestFailAgree2B').check();
    await page.getByTestId('impl-reference').check();
    await page.getByTestId('run-count').fill('2');
    await page.getByTestId('run-seed').fill('1');
    assert.match(await text('chaos-summary'), /^off/);
    await page.getByTestId('chaos').locator('summary').click();
    await page.getByTestId('chaos-crash').fill('30');
    await page.getByTestId('chaos-quantum').fill('250');
    assert.equal(await text('chaos-summary'), 'quantum=250,crash=30');
    await page.getByTestId('run-start').click();
    await page.getByTestId('batch-state').filter({ hasText: /^done$/ }).waitFor({ timeout: 30_000 });
    assert.equal(await text('batch-chaos'), 'chaos quantum=250,crash=30');
    assert.equal(await text('batch-done'), '2');
    // What the runs exercised: elections and AppendEntries always; no InstallSnapshot in a 2B test.
    await page.getByTestId('exercised').locator('summary').click();
    const exercised = (await page.getByTestId('exercised-TestFailAgree2B').locator('td').allTextContents()).map((t) => t.trim());
    assert.equal(exercised[0], 'TestFailAgree2B');
    assert.ok(Number(exercised[1]) >= 1, `elections per run: ${exercised[1]}`);
    assert.equal(await text('exercised-install-runs-TestFailAgree2B'), '0/2');
    // Out of range: the form does not submit (the contract would refuse it too: app-services.test.ts).
    const batchBefore = await page.getByTestId('batch-state').textContent();
    await page.getByTestId('chaos-drop').fill('2');
    await page.getByTestId('run-start').click();
    assert.equal(await page.getByTestId('chaos-drop').evaluate((el) => (el as HTMLInputElement).validity.rangeOverflow), true);
    assert.equal(await page.getByTestId('batch-state').textContent(), batchBefore);
    assert.equal(await text('batch-chaos'), 'chaos quantum=250,crash=30', 'no new batch started');
    await page.getByTestId('chaos-clear').click();
    assert.match(await text('chaos-summary'), /^off/);
    assert.deepEqual(problems, []);
  });

  it('answers a bad argument with 400 and a clear message', async () => {
    const response = await fetch(`${server.url}api/app:info`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-raftlab-token': server.token },
      body: JSON.stringify({ verbose: true }),
    });
    assert.equal(response.status, 400);
    assert.deepEqual(await response.json(), {
      ok: false,
      error: {
        code: 'BAD_INPUT',
        message: 'Bad argument for app:info: expected no argument, got an object',
        issues: [{ path: '', message: 'expected no argument, got an object' }],
      },
    });
  });
});

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

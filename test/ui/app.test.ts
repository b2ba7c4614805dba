// The app in a real browser: the renderer, built with the app's own Vite config, served by the web
// server and loaded in Debian's Chromium through playwright-core.
//
// Needs Chromium at /usr/bin/chromium (apt-get install -y chromium), or its path in RAFTLAB_CHROMIUM.
// RAFTLAB_SCREENSHOT=<file.png> saves a screenshot of the About view.
import { strict as assert } from 'node:assert';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build } from 'vite';
import pkg from '../../package.json' with { type: 'json' };
import { rendererConfig } from '../../electron.vite.config.ts';
import { createDispatcher } from '../../src/main/rpc.ts';
import { createHandlers } from '../../src/main/services/index.ts';
import { RunnerService } from '../../src/main/services/runner.ts';
import { startWebServer, type WebServer } from '../../src/main/web-server.ts';

const CHROMIUM = process.env['RAFTLAB_CHROMIUM'] ?? '/usr/bin/chromium';

describe('ui: the app in Chromium (web mode)', function () {
  this.timeout(60_000);

  let outDir: string;
  let dataDir: string;
  let runner: RunnerService;
  let server: WebServer;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];

  before(async () => {
    assert.ok(existsSync(CHROMIUM), `No Chromium at ${CHROMIUM}: apt-get install -y chromium (or set RAFTLAB_CHROMIUM)`);
    outDir = await mkdtemp(join(tmpdir(), 'raftlab-renderer-'));
    const config = rendererConfig();
    await build({ ...config, configFile: false, logLevel: 'warn', build: { ...config.build, outDir } });
    dataDir = await mkdtemp(join(tmpdir(), 'raftlab-data-'));
    runner = new RunnerService({ dataDir });
    server = await startWebServer({ port: 0, rendererDir: outDir, dispatch: createDispatcher(createHandlers(() => runner)), events: runner });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    page = await browser.newPage({ viewport: { width: 1100, height: 760 } });
    page.on('console', (msg) => {
      if (msg.type() === 'error' || msg.type() === 'warning') problems.push(`console ${msg.type()}: ${msg.text()}`);
    });
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    await runner?.close();
    if (outDir) await rm(outDir, { recursive: true, force: true });
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
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

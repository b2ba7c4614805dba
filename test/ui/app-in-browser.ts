// The app in a real browser, for the UI tests: the renderer built with the app's own Vite config, served by the web
// server over a fresh data folder, and loaded in Debian's Chromium through playwright-core.
//
// Needs Chromium at /usr/bin/chromium (apt-get install -y chromium), or its path in RAFTLAB_CHROMIUM.
import { strict as assert } from 'node:assert';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build } from 'vite';
import { rendererConfig } from '../../electron.vite.config.ts';
import { createDispatcher } from '../../src/main/rpc.ts';
import { AppServices, createHandlers } from '../../src/main/services/index.ts';
import { startWebServer, type WebServer } from '../../src/main/web-server.ts';

export const CHROMIUM = process.env['RAFTLAB_CHROMIUM'] ?? '/usr/bin/chromium';

export interface AppInBrowser {
  services: AppServices;
  server: WebServer;
  browser: Browser;
  page: Page;
  /** Console errors and warnings and page errors seen so far: a test ends by asserting there are none. */
  problems: string[];
  close(): Promise<void>;
}

export async function openAppInBrowser(viewport: { width: number; height: number }): Promise<AppInBrowser> {
  assert.ok(existsSync(CHROMIUM), `No Chromium at ${CHROMIUM}: apt-get install -y chromium (or set RAFTLAB_CHROMIUM)`);
  const outDir = await mkdtemp(join(tmpdir(), 'raftlab-renderer-'));
  const config = rendererConfig();
  await build({ ...config, configFile: false, logLevel: 'warn', build: { ...config.build, outDir } });
  const dataDir = await mkdtemp(join(tmpdir(), 'raftlab-data-'));
  const services = new AppServices({ dataDir });
  const server = await startWebServer({ port: 0, rendererDir: outDir, dispatch: createDispatcher(createHandlers(() => services)), events: services.events });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  const page = await browser.newPage({ viewport });
  const problems: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error' || msg.type() === 'warning') problems.push(`console ${msg.type()}: ${msg.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  return {
    services,
    server,
    browser,
    page,
    problems,
    async close() {
      await browser.close();
      await server.close();
      await services.close();
      await rm(outDir, { recursive: true, force: true });
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

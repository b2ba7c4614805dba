#!/usr/bin/env node
// `npm start`: the desktop app when Electron can run on this machine; otherwise the same UI, served
// to a browser by the local web server (src/main/web-server.ts).
//
//   npm start                      desktop app if possible, else web mode on port 6824
//   npm start -- --web             web mode even where Electron could run (also: npm run web)
//   npm start -- --port 7000       web mode's port (or RAFTLAB_PORT=7000; 0 picks a free port)
//
// How it decides: Electron can run when its binary is installed (node_modules/electron/path.txt
// names it and the file exists under node_modules/electron/dist — the same lookup the electron
// package does, without its index.js, which would try to download a missing binary), the binary
// actually starts (`ELECTRON_RUN_AS_NODE=1 electron --version`), and on Linux there is a display.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(import.meta.url);
const DEFAULT_PORT = 6824;

const USAGE = `Usage: npm start [-- --web] [-- --port <n>]

Starts raftlab: the desktop app when Electron can run here, otherwise the same UI in your browser
at http://127.0.0.1:<port>/ (default ${DEFAULT_PORT}, or RAFTLAB_PORT; 0 picks any free port).`;

function fail(message, code = 1) {
  console.error(`raftlab: ${message}`);
  process.exit(code);
}

/** Prints one paragraph, wrapped to the terminal. */
function paragraph(text, stream = process.stdout) {
  const width = Math.min(stream.columns || 100, 100);
  const lines = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  stream.write(`${lines.join('\n')}\n\n`);
}

// ---------------------------------------------------------------------------------------------
// Can Electron run here?

/** The Electron binary, or why there is none. Never downloads anything. */
function findElectron() {
  if (process.env.ELECTRON_EXEC_PATH) {
    const bin = process.env.ELECTRON_EXEC_PATH;
    return existsSync(bin) ? { bin } : { reason: `ELECTRON_EXEC_PATH names ${bin}, which does not exist` };
  }
  let pkgDir;
  try {
    pkgDir = dirname(require.resolve('electron/package.json'));
  } catch {
    return { reason: "the electron package is not installed" };
  }
  const pathFile = join(pkgDir, 'path.txt');
  const executable = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : '';
  const override = process.env.ELECTRON_OVERRIDE_DIST_PATH;
  const bin = override ? join(override, executable || 'electron') : executable ? join(pkgDir, 'dist', executable) : '';
  if (!bin || !existsSync(bin)) return { reason: "Electron's binary is not installed and cannot be downloaded on this machine" };
  return { bin };
}

/** Whether the binary starts and has a screen to show a window on. */
function checkElectron(bin) {
  const probe = spawnSync(bin, ['--version'], {
    env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
    encoding: 'utf8',
    timeout: 20_000,
  });
  if (probe.error || probe.status !== 0) {
    const why = probe.error?.message ?? (probe.stderr.trim().split('\n')[0] || `exit status ${probe.status}`);
    return { reason: `Electron's binary is installed but does not start here (${why})` };
  }
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
    return { reason: 'Electron is installed but there is no display to open its window on (neither DISPLAY nor WAYLAND_DISPLAY is set)' };
  }
  return {};
}

// ---------------------------------------------------------------------------------------------
// Web mode

function newestMtime(path) {
  if (!existsSync(path)) return 0;
  const info = statSync(path);
  if (!info.isDirectory()) return info.mtimeMs;
  let newest = info.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

function electronVite(args) {
  const bin = join(dirname(require.resolve('electron-vite/package.json')), 'bin', 'electron-vite.js');
  return spawnSync(process.execPath, [bin, ...args], { cwd: root, stdio: 'inherit' });
}

/** Builds the app (electron-vite build) when out/renderer is missing or older than its sources. */
function ensureRendererBuilt() {
  const index = join(root, 'out', 'renderer', 'index.html');
  const sources = ['src/renderer', 'src/shared', 'electron.vite.config.ts', 'package.json'].map((p) => join(root, p));
  const built = existsSync(index) ? statSync(index).mtimeMs : 0;
  const newest = Math.max(...sources.map(newestMtime));
  if (built && built >= newest) return;
  console.log(built ? 'The UI build is older than its sources; rebuilding…' : 'Building the UI…');
  const result = electronVite(['build', '--logLevel', 'warn']);
  if (result.status !== 0) fail('building the UI failed (see above); fix it or run npm run build');
}

function runWebServer(port) {
  const args = ['--import', 'tsx', join(root, 'src', 'main', 'web-server.ts')];
  if (port !== undefined) args.push('--port', port);
  const child = spawn(process.execPath, args, { cwd: root, stdio: 'inherit' });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  // Stopped by Ctrl-C or a TERM: a normal end. Any other signal is a crash.
  child.on('exit', (code, signal) => process.exit(code ?? (signal === 'SIGINT' || signal === 'SIGTERM' ? 0 : 1)));
}

// ---------------------------------------------------------------------------------------------

let options;
try {
  ({ values: options } = parseArgs({
    args: process.argv.slice(2),
    options: {
      web: { type: 'boolean' },
      port: { type: 'string', short: 'p' },
      help: { type: 'boolean', short: 'h' },
    },
  }));
} catch (err) {
  fail(`${err.message}\n\n${USAGE}`, 2);
}
if (options.help) {
  console.log(USAGE);
  process.exit(0);
}

let reason;
if (options.web) {
  reason = 'Web mode was asked for (--web)';
} else {
  const electron = findElectron();
  reason = electron.reason ?? checkElectron(electron.bin).reason;
}

if (!reason) {
  // The desktop app: build, then open the window (electron-vite preview).
  const result = electronVite(['preview']);
  process.exit(result.status ?? 1);
}

const port = options.port ?? process.env.RAFTLAB_PORT ?? String(DEFAULT_PORT);
if (!/^\d{1,5}$/.test(port) || Number(port) > 65535) {
  fail(`${options.port !== undefined ? '--port' : 'RAFTLAB_PORT'} must be a port number from 0 to 65535, not "${port}"`, 2);
}
const where = port === '0' ? 'on a free port of 127.0.0.1' : `on http://127.0.0.1:${port}/`;
paragraph(
  `${reason}; serving the same UI in your browser ${where} instead. ` +
    'It is the same app and the same API, answered by a small web server that listens on ' +
    '127.0.0.1 only; open the address it prints below in a browser on this machine: it carries ' +
    'this launch\'s random token (?token=…), without which the API answers 401. Choose another port with ' +
    '--port <n> (npm start -- --port 7000) or RAFTLAB_PORT=<n>. Press Ctrl-C to stop.',
);
ensureRendererBuilt();
runWebServer(options.port);

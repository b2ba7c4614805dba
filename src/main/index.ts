/**
 * Electron main: one hardened window on the renderer, and the IPC contract on ipcMain.
 *
 * Only this file and electron-ipc.ts import electron; the handlers (services/) are shared with the
 * web server.
 */
import { app, BrowserWindow, dialog, ipcMain, net, protocol, session, shell, type OpenDialogOptions, type SaveDialogOptions, type WebContents } from 'electron';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { contentSecurityPolicy } from '../shared/csp.ts';
import { EVENT_CHANNEL } from '../shared/ipc.ts';
import { appHost, appOrigin, appScheme, externalAllowed, resolveAppFile } from './app-protocol.ts';
import { registerIpc } from './electron-ipc.ts';
import { createDispatcher, type Handlers } from './rpc.ts';
import { closeDefaultServices, defaultServices, handlers } from './services/index.ts';

/** Set by `electron-vite dev`: the renderer comes from the Vite dev server. */
const devServerUrl = app.isPackaged ? undefined : process.env['ELECTRON_RENDERER_URL'];
const rendererIndex = fileURLToPath(new URL('../renderer/index.html', import.meta.url));
const preloadScript = fileURLToPath(new URL('../preload/index.cjs', import.meta.url));
const csp = contentSecurityPolicy(devServerUrl ? { devServer: devServerUrl, header: true } : { header: true });

async function openDialog(options: OpenDialogOptions): Promise<string | undefined> {
  const win = BrowserWindow.getFocusedWindow();
  const choice = win ? await dialog.showOpenDialog(win, options) : await dialog.showOpenDialog(options);
  return choice.canceled ? undefined : choice.filePaths[0];
}

/**
 * The desktop shell's handlers: the shared ones, except that an export (a trace's, a grade's report file) is not
 * handed to the page but saved where the user picks in a save dialog (the service only makes the bytes and suggests a name), and that folders and
 * traces are picked in the system's dialogs (only a path the dialog returned is opened).
 */
const desktopHandlers: Handlers = {
  ...handlers,
  'dialog:folder': async (input) => {
    const titles = { impl: 'Your Raft implementation folder', submissions: 'The folder of submissions (one subfolder each)', grade: 'A grade folder' };
    return { path: (await openDialog({ title: titles[input?.purpose ?? 'impl'], properties: ['openDirectory', 'createDirectory'] })) ?? null };
  },
  'trace:open-dialog': async () => {
    const file = await openDialog({
      title: 'Open a trace or a bundle',
      properties: ['openFile'],
      filters: [{ name: 'raftlab traces and bundles', extensions: ['gz'] }, { name: 'All files', extensions: ['*'] }],
    });
    return file ? defaultServices().traces.openFile(file) : null;
  },
  'trace:export': async ({ file, format }) => {
    const out = await defaultServices().traces.export(file, format);
    const extension = path.extname(out.fileName).slice(1);
    const options: SaveDialogOptions = {
      title: 'Export the trace',
      defaultPath: path.join(app.getPath('downloads'), out.fileName),
      filters: [{ name: `${format} export`, extensions: [extension] }, { name: 'All files', extensions: ['*'] }],
    };
    const win = BrowserWindow.getFocusedWindow();
    const choice = win ? await dialog.showSaveDialog(win, options) : await dialog.showSaveDialog(options);
    const result = { fileName: out.fileName, mimeType: out.mimeType, size: out.bytes.length, ...(out.warnings.length ? { warnings: out.warnings } : {}) };
    if (choice.canceled || !choice.filePath) return { ...result, savedTo: null };
    await writeFile(choice.filePath, out.bytes);
    return { ...result, savedTo: choice.filePath };
  },
  'grade:report-file': async ({ dir, name }) => {
    const out = defaultServices().grading.reportFile(dir, name);
    const extension = path.extname(out.fileName).slice(1);
    const options: SaveDialogOptions = {
      title: 'Save the report file',
      defaultPath: path.join(app.getPath('downloads'), out.fileName),
      filters: [{ name: `${extension.toUpperCase()} file`, extensions: [extension] }, { name: 'All files', extensions: ['*'] }],
    };
    const win = BrowserWindow.getFocusedWindow();
    const choice = win ? await dialog.showSaveDialog(win, options) : await dialog.showSaveDialog(options);
    const result = { fileName: out.fileName, mimeType: out.mimeType, size: out.bytes.length };
    if (choice.canceled || !choice.filePath) return { ...result, savedTo: null };
    await writeFile(choice.filePath, out.bytes);
    return { ...result, savedTo: choice.filePath };
  },
};

/** The app's own page: the dev server's origin, or the built index.html. */
function isAppUrl(url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (devServerUrl) return parsed.origin === new URL(devServerUrl).origin;
  return parsed.protocol === `${appScheme}:` && parsed.host === appHost;
}

function harden(contents: WebContents): void {
  // No new windows; web links open in the user's browser.
  contents.setWindowOpenHandler(({ url }) => {
    if (externalAllowed(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
  // The window never navigates away from the app.
  contents.on('will-navigate', (event, url) => {
    if (!isAppUrl(url)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
}

function createWindow(): BrowserWindow {
  const win = new BrowserWindow({
    width: 1440,
    height: 900,
    minWidth: 640,
    minHeight: 480,
    title: 'raftlab',
    show: false,
    backgroundColor: '#f7f7f5',
    webPreferences: {
      preload: preloadScript,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      webviewTag: false,
    },
  });
  win.once('ready-to-show', () => win.show());
  if (devServerUrl) void win.loadURL(devServerUrl);
  else void win.loadURL(`${appOrigin}/index.html`);
  return win;
}

app.enableSandbox();
// The renderer's own origin (app://raftlab/), registered before the app is ready as Electron requires.
protocol.registerSchemesAsPrivileged([{ scheme: appScheme, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => {
    const [win] = BrowserWindow.getAllWindows();
    if (win) {
      if (win.isMinimized()) win.restore();
      win.focus();
    }
  });

  app.on('web-contents-created', (_event, contents) => harden(contents));

  void app.whenReady().then(() => {
    const rendererDir = path.dirname(rendererIndex);
    protocol.handle(appScheme, async (request) => {
      const file = resolveAppFile(rendererDir, request.url);
      if (!file) return new Response('Not found', { status: 404 });
      const response = await net.fetch(pathToFileURL(file).href);
      const headers = new Headers(response.headers);
      headers.set('Content-Security-Policy', csp);
      headers.set('X-Content-Type-Options', 'nosniff');
      return new Response(response.body, { status: response.status, headers });
    });
    // The CSP also comes in a meta tag of the built index.html, and with every app:// response.
    session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
      callback({
        responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [csp] },
      });
    });
    // The app asks for no permission (camera, notifications, …): refuse them all.
    session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));

    registerIpc(ipcMain, createDispatcher(desktopHandlers), isAppUrl);
    // The runner's live progress, to every window of the app on one event channel.
    defaultServices().events.subscribe((event) => {
      for (const win of BrowserWindow.getAllWindows()) {
        if (!win.isDestroyed() && isAppUrl(win.webContents.getURL())) win.webContents.send(EVENT_CHANNEL, event);
      }
    });
    createWindow();

    app.on('activate', () => {
      if (BrowserWindow.getAllWindows().length === 0) createWindow();
    });
  });

  // Running batches are cancelled (their workers terminated) before the app goes.
  let closing = false;
  app.on('before-quit', (event) => {
    if (closing) return;
    closing = true;
    event.preventDefault();
    void closeDefaultServices().finally(() => app.quit());
  });

  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
}

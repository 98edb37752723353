// Electron composition root — the ONLY folder that imports electron.
// Window hardening: sandbox, contextIsolation, no nodeIntegration, strict CSP, navigation and
// window.open blocked, permission requests denied, every IPC message's sender checked.
import { app, BrowserWindow, ipcMain, session, shell, type IpcMainInvokeEvent, type WebContents } from 'electron';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createConsoleApp, defaultDirs } from '../app.js';
import { CSP } from '../browser/host.js';
import { RPC_PREFIX } from '../../shared/rpc.js';

const RPC_CHANNEL = `${RPC_PREFIX}rpc`;
const EVENT_CHANNEL = `${RPC_PREFIX}event`;

// esbuild bundles this file to dist/main/electron.cjs; the renderer is in dist/renderer.
const rendererIndex = path.join(__dirname, '..', 'renderer', 'index.html');
const rendererUrl = pathToFileURL(rendererIndex).href;

app.enableSandbox();

function isOurFrame(event: IpcMainInvokeEvent, win: BrowserWindow | null): boolean {
  const frame = event.senderFrame;
  return (
    !!win &&
    event.sender === win.webContents &&
    !!frame &&
    frame === win.webContents.mainFrame &&
    frame.url.split('#')[0] === rendererUrl
  );
}

function harden(contents: WebContents): void {
  contents.on('will-navigate', (e, url) => {
    if (url !== rendererUrl) e.preventDefault();
  });
  contents.on('will-redirect', (e) => e.preventDefault());
  contents.on('will-attach-webview', (e) => e.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    // Only documentation links leave the app, and only to the system browser.
    if (url.startsWith('https://')) void shell.openExternal(url);
    return { action: 'deny' };
  });
}

async function main(): Promise<void> {
  await app.whenReady();
  const dirs = defaultDirs();
  const consoleDir = process.env['WARDEN_HOME'] ? dirs.consoleDir : app.getPath('userData');
  const pbxDir = process.env['WARDEN_HOME'] ? dirs.pbxDir : path.join(app.getPath('userData'), 'reference-pbx');
  const consoleApp = await createConsoleApp({
    mode: 'electron',
    consoleDir,
    embeddedDataDir: process.argv.includes('--no-embedded') ? null : pbxDir,
    log: (line) => console.error(`[console] ${line}`),
  });
  if (consoleApp.initialAdminPassword) {
    console.log(`Embedded reference PBX created. Admin password (shown only this once): ${consoleApp.initialAdminPassword}`);
  }

  session.defaultSession.setPermissionRequestHandler((_wc, _perm, cb) => cb(false));
  session.defaultSession.setPermissionCheckHandler(() => false);
  session.defaultSession.webRequest.onHeadersReceived((details, cb) => {
    cb({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CSP] } });
  });
  app.on('web-contents-created', (_e, contents) => harden(contents));

  const win = new BrowserWindow({
    width: 1280,
    height: 800,
    minWidth: 900,
    minHeight: 600,
    title: 'PBX Warden',
    show: false,
    webPreferences: {
      preload: path.join(__dirname, 'preload.cjs'),
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false,
    },
  });
  win.once('ready-to-show', () => win.show());

  ipcMain.handle(RPC_CHANNEL, async (event, channel: unknown, payload: unknown) => {
    if (!isOurFrame(event, win)) {
      return { ok: false, error: { code: 'forbidden', message: 'IPC from an unknown frame is refused' } };
    }
    return consoleApp.router.handle(channel, payload);
  });
  const unsubscribe = consoleApp.hub.subscribe((ev) => {
    if (!win.isDestroyed()) win.webContents.send(EVENT_CHANNEL, ev);
  });

  await win.loadURL(rendererUrl);
  app.on('window-all-closed', () => {
    unsubscribe();
    void consoleApp.close().finally(() => app.quit());
  });
}

void main().catch((err: unknown) => {
  console.error(`PBX Warden could not start: ${err instanceof Error ? err.message : String(err)}`);
  app.exit(1);
});

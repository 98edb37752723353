// Electron composition root — the ONLY folder that imports electron.
// Window hardening: sandbox, contextIsolation, no nodeIntegration, strict CSP, navigation and
// window.open blocked, permission requests denied (but notifications), every IPC message's sender checked.
import { app, BrowserWindow, ipcMain, session, type IpcMainInvokeEvent, type WebContents } from 'electron';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createConsoleApp, defaultDirs } from '../app.js';
import { electronShell } from './shell.js';
import { childProcessPbx, inProcessPbx } from '../embedded-pbx.js';
import { CSP_HEADER } from '../../shared/csp.js';
import { RPC_PREFIX } from '../../shared/rpc.js';
import { parseSeedArg } from '../../server/seed.js';

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
  // No new windows, and nothing handed to the system browser: the console has no external links.
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  // One console per user: a second start focuses the first window instead of sharing its data.
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return;
  }
  await app.whenReady();
  // The same folders as browser mode, so both modes see the same profiles and the same embedded PBX.
  const dirs = defaultDirs();
  const seedArg = arg('seed');
  const consoleApp = await createConsoleApp({
    mode: 'electron',
    consoleDir: dirs.consoleDir,
    embeddedDataDir: process.argv.includes('--no-embedded') ? null : dirs.pbxDir,
    seed: seedArg ? parseSeedArg(seedArg) : 'demo',
    // Packaged builds carry native modules rebuilt for Electron; in development they are built for
    // Node, so the embedded PBX runs on the Node that ran `npm start`.
    startEmbedded: app.isPackaged
      ? inProcessPbx
      : childProcessPbx(process.env['npm_node_execpath'] ?? 'node', path.join(__dirname, '..', 'server', 'cli.mjs')),
    log: (line) => console.error(`[console] ${line}`),
  });
  // The first-run admin password is not printed here (a GUI app's stdout ends in system logs): the
  // console keeps it in the keychain, or in memory until the vault is created.

  // Only desktop notifications (new locks and bans, when the user turns alerts on); everything else denied.
  session.defaultSession.setPermissionRequestHandler((_wc, perm, cb) => cb(perm === 'notifications'));
  session.defaultSession.setPermissionCheckHandler((_wc, perm) => perm === 'notifications');
  // file:// pages get their policy from the <meta> tag (same source: shared/csp.ts); this header
  // covers anything the session loads over a protocol that has headers.
  session.defaultSession.webRequest.onHeadersReceived((details, cb) => {
    cb({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CSP_HEADER] } });
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
  // issue 7: native save/open dialogs and PDF printing for the exported config and the findings report
  consoleApp.services.shell = electronShell(win);
  app.on('second-instance', () => {
    if (win.isMinimized()) win.restore();
    win.focus();
  });

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

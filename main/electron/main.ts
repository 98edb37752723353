// Electron composition root — the ONLY folder that imports electron.
// Window hardening: sandbox, contextIsolation, no nodeIntegration, strict CSP, navigation and
// window.open blocked, permission requests denied (but notifications), every IPC message's sender checked.
// The decisions live in ./policy.ts (no electron import, unit-tested); this file only wires them.
import { app, BrowserWindow, ipcMain, protocol, session, type IpcMainInvokeEvent } from 'electron';
import path from 'node:path';
import { createConsoleApp, defaultDirs } from '../app.js';
import { electronShell } from './shell.js';
import { childProcessPbx, inProcessPbx } from '../embedded-pbx.js';
import { APP_SCHEME, APP_SCHEME_PRIVILEGES, hardenSession, hardenWebContents, isTrustedSender, RENDERER_URL, secureWebPreferences, serveAppAsset } from './policy.js';
import { RPC_PREFIX } from '../../shared/rpc.js';
import { parseSeedArg } from '../../server/seed.js';

const RPC_CHANNEL = `${RPC_PREFIX}rpc`;
const EVENT_CHANNEL = `${RPC_PREFIX}event`;

// esbuild bundles this file to dist/main/electron.cjs; the renderer is in dist/renderer, served as
// app://warden/ (policy.ts), not from file://.
const rendererRoot = path.join(__dirname, '..', 'renderer');
const rendererUrl = RENDERER_URL;

app.enableSandbox();
protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { ...APP_SCHEME_PRIVILEGES } }]);

function isOurFrame(event: IpcMainInvokeEvent, win: BrowserWindow | null): boolean {
  const frame = event.senderFrame;
  return isTrustedSender({
    sameWebContents: !!win && event.sender === win.webContents,
    isMainFrame: !!win && !!frame && frame === win.webContents.mainFrame,
    url: frame?.url,
  });
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

  // Only desktop notifications (new locks and bans, when the user turns alerts on) for the console page;
  // every other permission denied; every request that is not the console's own files cancelled; the CSP
  // header on every response (the <meta> tag carries the same policy: shared/csp.ts).
  hardenSession(session.defaultSession);
  protocol.handle(APP_SCHEME, (request) => serveAppAsset(rendererRoot, request));
  app.on('web-contents-created', (_e, contents) => hardenWebContents(contents));

  const win = new BrowserWindow({
    width: 1280,
    height: 800,
    minWidth: 900,
    minHeight: 600,
    title: 'PBX Warden',
    show: false,
    webPreferences: secureWebPreferences(path.join(__dirname, 'preload.cjs')),
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

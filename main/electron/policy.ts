// The Electron window's security policy as plain code: no `electron` import, so test/unit/electron-policy.test.ts
// checks every decision (and the wiring onto web contents and sessions, through fakes) on a machine without an
// Electron binary. main.ts hands the real objects to these functions; the types below are the few members used,
// so the real WebContents / Session fit them structurally.
// Electron security checklist: https://www.electronjs.org/docs/latest/tutorial/security (items cited as [n]).
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { CSP_HEADER } from '../../shared/csp.js';

// [18] The renderer is served from a privileged custom scheme, not file:// (so the GrantFileProtocolExtraPrivileges
// fuse can be off): app://warden/ maps to dist/renderer and nothing else.
export const APP_SCHEME = 'app';
export const APP_HOST = 'warden';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const RENDERER_URL = `${APP_ORIGIN}/index.html`;

/** For protocol.registerSchemesAsPrivileged (before `ready`). standard+secure: a real origin for 'self' in the
 *  CSP and for ES modules; never bypassCSP, no service workers. */
export const APP_SCHEME_PRIVILEGES = Object.freeze({
  standard: true,
  secure: true,
  supportFetchAPI: true,
  corsEnabled: true,
  codeCache: true,
  bypassCSP: false,
  allowServiceWorkers: false,
  stream: false,
});

/** [2][3][4][6][8][9][10][12] The one window's webPreferences. Every security-relevant key is set explicitly
 *  (even where it is Electron's default) so a default changing upstream cannot loosen it; enableBlinkFeatures
 *  is absent on purpose (no Blink feature is turned on). */
export function secureWebPreferences(preload: string) {
  return {
    preload,
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
    safeDialogs: true,
    spellcheck: false,
  } as const;
}

function parse(url: string): URL | null {
  try {
    return new URL(url);
  } catch {
    return null;
  }
}

/** [13] The only page the window may show is the console itself (any #fragment); parsed, never string-prefixed. */
export function isAllowedNavigation(url: string): boolean {
  const u = parse(url);
  return !!u && u.protocol === `${APP_SCHEME}:` && u.host === APP_HOST && u.pathname === '/index.html' && u.search === '' && u.username === '' && u.password === '';
}

/** [17] IPC is answered only for our window's main frame showing the console page. The identity checks are
 *  made by main.ts on the real objects (same WebContents, the main frame) and passed in. */
export function isTrustedSender(s: { sameWebContents: boolean; isMainFrame: boolean; url: string | undefined | null }): boolean {
  return s.sameWebContents && s.isMainFrame && typeof s.url === 'string' && isAllowedNavigation(s.url);
}

/** [1] Requests the session may make: the console's own files (and data:/blob: made from them, and DevTools).
 *  Nothing remote, whether http, https, ws or file. The console reaches the PBX from main, not the renderer. */
const ALLOWED_REQUEST_PROTOCOLS = new Set([`${APP_SCHEME}:`, 'data:', 'blob:', 'devtools:']);
export function isAllowedRequest(url: string): boolean {
  const u = parse(url);
  if (!u || !ALLOWED_REQUEST_PROTOCOLS.has(u.protocol)) return false;
  return u.protocol !== `${APP_SCHEME}:` || u.host === APP_HOST;
}

/** [5] Permissions: desktop notifications (the alerts the user turns on) for the console page; nothing else. */
export function isPermissionAllowed(permission: string, requestingUrl: string | undefined | null): boolean {
  if (permission !== 'notifications') return false;
  const u = typeof requestingUrl === 'string' ? parse(requestingUrl) : null;
  // (WHATWG URL gives custom schemes an opaque origin, so scheme and host are compared, not .origin)
  return !!u && u.protocol === `${APP_SCHEME}:` && u.host === APP_HOST && u.username === '' && u.password === '';
}

export interface PreventableEvent {
  preventDefault(): void;
}
/** The members of Electron's WebContents that hardening uses. */
export interface HardenableContents {
  on(event: 'will-navigate', listener: (e: PreventableEvent, url: string) => void): unknown;
  on(event: 'will-frame-navigate', listener: (e: PreventableEvent & { url: string }) => void): unknown;
  on(event: 'will-redirect', listener: (e: PreventableEvent, url: string) => void): unknown;
  on(event: 'will-attach-webview', listener: (e: PreventableEvent) => void): unknown;
  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' }): void;
}

/** [11][12][13][14][15] Every web contents: navigation only to the console page, no redirects, no <webview>, no
 *  new windows, and nothing handed to shell.openExternal (the console has no external links; main.ts never
 *  imports `shell`, which the test checks). */
export function hardenWebContents(contents: HardenableContents): void {
  contents.on('will-navigate', (e, url) => {
    if (!isAllowedNavigation(url)) e.preventDefault();
  });
  contents.on('will-frame-navigate', (e) => {
    if (!isAllowedNavigation(e.url)) e.preventDefault();
  });
  contents.on('will-redirect', (e) => e.preventDefault());
  contents.on('will-attach-webview', (e) => e.preventDefault());
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
}

/** The members of Electron's Session that hardening uses. */
export interface HardenableSession {
  setPermissionRequestHandler(handler: (wc: unknown, permission: string, callback: (granted: boolean) => void, details: { requestingUrl?: string }) => void): void;
  setPermissionCheckHandler(handler: (wc: unknown, permission: string, requestingOrigin: string) => boolean): void;
  webRequest: {
    onBeforeRequest(listener: (details: { url: string }, callback: (response: { cancel?: boolean }) => void) => void): void;
    onHeadersReceived(
      listener: (
        details: { responseHeaders?: Record<string, string[]> },
        callback: (response: { responseHeaders?: Record<string, string | string[]> }) => void,
      ) => void,
    ): void;
  };
}

/** [1][5][7] The session: permission requests and checks by isPermissionAllowed, every request not to the
 *  console's own files cancelled, and the CSP header on every response that has headers. */
export function hardenSession(ses: HardenableSession): void {
  ses.setPermissionRequestHandler((_wc, permission, callback, details) => callback(isPermissionAllowed(permission, details?.requestingUrl)));
  ses.setPermissionCheckHandler((_wc, permission, requestingOrigin) => isPermissionAllowed(permission, requestingOrigin));
  ses.webRequest.onBeforeRequest((details, callback) => callback({ cancel: !isAllowedRequest(details.url) }));
  ses.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CSP_HEADER] } });
  });
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.txt': 'text/plain; charset=utf-8',
};

/** [18] The file of dist/renderer that an app:// URL names, or null: another host, a path leaving the root
 *  (also when %-encoded), a NUL, or a backslash. `root` must be absolute. */
export function resolveAppAsset(root: string, url: string): string | null {
  const u = parse(url);
  if (!u || u.protocol !== `${APP_SCHEME}:` || u.host !== APP_HOST) return null;
  let rel: string;
  try {
    rel = decodeURIComponent(u.pathname);
  } catch {
    return null;
  }
  if (rel.includes('\0') || rel.includes('\\')) return null;
  if (rel === '/' || rel === '') rel = '/index.html';
  const base = path.resolve(root);
  const file = path.resolve(base, `.${rel}`);
  return file.startsWith(base + path.sep) ? file : null;
}

/** [7][18] The response for an app:// request: the file with its type, the CSP header and nosniff; 404 for
 *  anything resolveAppAsset refuses or that does not exist; 405 for methods other than GET/HEAD. */
export async function serveAppAsset(root: string, request: { url: string; method: string }, read: (file: string) => Promise<Uint8Array> = readFile): Promise<Response> {
  const headers = { 'Content-Security-Policy': CSP_HEADER, 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-cache' };
  if (request.method !== 'GET' && request.method !== 'HEAD') return new Response(null, { status: 405, headers });
  const file = resolveAppAsset(root, request.url);
  if (!file) return new Response(null, { status: 404, headers });
  let body: Uint8Array;
  try {
    body = await read(file);
  } catch {
    return new Response(null, { status: 404, headers });
  }
  const type = MIME[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
  return new Response(request.method === 'HEAD' ? null : new Uint8Array(body), { status: 200, headers: { ...headers, 'Content-Type': type } });
}

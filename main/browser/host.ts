// Browser mode: a loopback-only HTTP host that serves the renderer and bridges the RPC router.
// Security (ARCHITECTURE.md "Browser mode security"):
// - binds 127.0.0.1 only;
// - a 256-bit one-time token in the printed URL is exchanged for an HttpOnly, SameSite=Strict cookie;
// - the Host header must be this loopback address and port (DNS rebinding);
// - Origin, when sent, must be this origin; RPC writes must send it; no CORS headers at all;
// - the same router and validation as Electron IPC.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Router } from '../rpc/router.js';
import type { EventHub } from '../rpc/event-hub.js';
import { CSP_HEADER } from '../../shared/csp.js';
import { contentDisposition, type DownloadStore } from '../core/file-delivery.js';

const MAX_BODY = 1024 * 1024;

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.woff2': 'font/woff2',
};


export interface BrowserHost {
  /** The URL to open once: it carries the one-time token. */
  launchUrl: string;
  origin: string;
  port: number;
  close(): Promise<void>;
}

export interface BrowserHostOptions {
  router: Router;
  hub: EventHub;
  /** The built renderer (index.html and assets). */
  staticDir: string;
  /** Files main keeps for the page to download once (issue 7: an exported config); GET /download/<id>. */
  downloads?: DownloadStore;
  port?: number;
}

function sameSecret(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}

function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!header) return out;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i > 0) out[part.slice(0, i).trim()] = part.slice(i + 1).trim();
  }
  return out;
}

function send(res: http.ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

export async function startBrowserHost(opts: BrowserHostOptions): Promise<BrowserHost> {
  const launchToken = randomBytes(32).toString('hex');
  let tokenUsed = false;
  const sessions = new Set<string>();
  const streams = new Set<http.ServerResponse>();
  const staticRoot = path.resolve(opts.staticDir);
  let origin = '';
  let hostHeader = '';
  // Cookies are shared by every port of 127.0.0.1: the name carries the port, so two consoles side by
  // side keep their own sessions and no other loopback service is sent ours by name.
  let COOKIE = 'warden_session';

  const securityHeaders = {
    'Content-Security-Policy': CSP_HEADER,
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Permissions-Policy': 'camera=(), microphone=(), geolocation=()',
  };

  const authorised = (req: http.IncomingMessage): boolean => {
    const sid = parseCookies(req.headers.cookie)[COOKIE];
    if (!sid) return false;
    for (const s of sessions) if (sameSecret(s, sid)) return true;
    return false;
  };

  const server = http.createServer((req, res) => {
    try {
      handle(req, res);
    } catch {
      // A malformed request line or path must never take the console (and the embedded PBX) down.
      if (!res.headersSent) send(res, 400, 'Bad request');
      else res.destroy();
    }
  });
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });

  function handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    for (const [k, v] of Object.entries(securityHeaders)) res.setHeader(k, v);
    // DNS rebinding: only our own loopback host:port.
    if (req.headers.host !== hostHeader) return send(res, 421, 'Wrong Host header: open the console at ' + origin);
    const reqOrigin = req.headers.origin;
    if (reqOrigin !== undefined && reqOrigin !== origin) return send(res, 403, 'Cross-origin requests are refused');
    const fetchSite = req.headers['sec-fetch-site'];
    if (typeof fetchSite === 'string' && fetchSite !== 'same-origin' && fetchSite !== 'none') {
      return send(res, 403, 'Cross-site requests are refused');
    }
    const url = new URL(req.url ?? '/', origin);

    // Token exchange: /?token=… → cookie, then a clean URL without the token.
    const token = url.searchParams.get('token');
    if (req.method === 'GET' && url.pathname === '/' && token !== null) {
      if (tokenUsed || !sameSecret(token, launchToken)) {
        return send(res, 403, 'This console link was already used or is wrong. Restart `npm start` for a new one.');
      }
      tokenUsed = true;
      const sid = randomBytes(32).toString('hex');
      sessions.add(sid);
      res.writeHead(303, {
        'Set-Cookie': `${COOKIE}=${sid}; HttpOnly; SameSite=Strict; Path=/`,
        Location: '/',
        'Cache-Control': 'no-store',
      });
      res.end();
      return;
    }

    if (url.pathname.startsWith('/rpc/')) {
      if (!authorised(req)) return send(res, 401, JSON.stringify({ ok: false, error: { code: 'unauthorized', message: 'This console tab is not signed in' } }), 'application/json');
      if (url.pathname === '/rpc/events' && req.method === 'GET') return openStream(req, res);
      if (req.method !== 'POST') return send(res, 405, 'Method not allowed');
      if (reqOrigin === undefined) return send(res, 403, 'RPC calls must come from the console page');
      const ctype = req.headers['content-type'] ?? '';
      if (!ctype.startsWith('application/json')) return send(res, 415, 'RPC bodies are application/json');
      let channel: string;
      try {
        channel = decodeURIComponent(url.pathname.slice('/rpc/'.length));
      } catch {
        return send(res, 400, 'Bad channel name');
      }
      return readBody(req, res, (raw) => {
        let payload: unknown;
        try {
          payload = raw.length ? JSON.parse(raw) : {};
        } catch {
          return send(res, 200, JSON.stringify({ ok: false, error: { code: 'invalid_payload', message: 'The request body is not valid JSON' } }), 'application/json');
        }
        void opts.router.handle(channel, payload).then((env) => send(res, 200, JSON.stringify(env), 'application/json; charset=utf-8'));
      });
    }

    if (url.pathname.startsWith('/download/')) {
      if (req.method !== 'GET') return send(res, 405, 'Method not allowed');
      if (!authorised(req)) return send(res, 401, 'This console tab is not signed in');
      const file = opts.downloads?.take(url.pathname.slice('/download/'.length));
      if (!file) return send(res, 404, 'This download has expired or was already saved; export again');
      res.writeHead(200, {
        'Content-Type': file.type,
        'Content-Length': file.body.length,
        'Content-Disposition': contentDisposition(file.filename),
        'Cache-Control': 'no-store',
      });
      return void res.end(file.body);
    }

    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'Method not allowed');
    return serveStatic(url.pathname, req, res);
  }

  function readBody(req: http.IncomingMessage, res: http.ServerResponse, done: (raw: string) => void): void {
    const tooLarge = () =>
      send(res, 413, JSON.stringify({ ok: false, error: { code: 'payload_too_large', message: 'The request body is larger than 1 MiB' } }), 'application/json');
    const declared = Number(req.headers['content-length'] ?? 0);
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    if (declared > MAX_BODY) {
      refused = true;
      res.setHeader('Connection', 'close');
      tooLarge();
    }
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (refused) {
        // drain what the client still sends so it can read the answer; give up on a flood
        if (size > 16 * MAX_BODY) req.destroy();
        return;
      }
      if (size > MAX_BODY) {
        refused = true;
        chunks.length = 0;
        res.setHeader('Connection', 'close');
        tooLarge();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (!refused) done(Buffer.concat(chunks).toString('utf8'));
    });
  }

  function openStream(req: http.IncomingMessage, res: http.ServerResponse): void {
    res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', Connection: 'keep-alive' });
    res.write(': connected\n\n');
    streams.add(res);
    const unsubscribe = opts.hub.subscribe((ev) => res.write(`data: ${JSON.stringify(ev)}\n\n`));
    const beat = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
    req.on('close', () => {
      clearInterval(beat);
      unsubscribe();
      streams.delete(res);
    });
  }

  function serveStatic(pathname: string, req: http.IncomingMessage, res: http.ServerResponse): void {
    let rel: string;
    try {
      rel = decodeURIComponent(pathname);
    } catch {
      return send(res, 400, 'Bad path');
    }
    if (rel === '/' || rel === '') rel = '/index.html';
    const file = path.resolve(staticRoot, '.' + rel);
    if (!file.startsWith(staticRoot + path.sep)) return send(res, 404, 'Not found');
    let target = file;
    if (!existsSync(target) || !statSync(target).isFile()) {
      // The renderer is a single page: unknown paths without an extension get index.html.
      if (path.extname(rel)) return send(res, 404, 'Not found');
      target = path.join(staticRoot, 'index.html');
      if (!existsSync(target)) return send(res, 500, 'The renderer is not built: run `npm run build`');
    }
    if (target.endsWith('index.html') && !authorised(req)) {
      return send(
        res,
        401,
        '<!doctype html><meta charset="utf-8"><title>PBX Warden</title><p>' +
          'This console tab is not signed in. Open the address printed by <code>npm start</code> again.</p>',
        'text/html; charset=utf-8',
      );
    }
    const type = CONTENT_TYPES[path.extname(target)] ?? 'application/octet-stream';
    res.writeHead(200, {
      'Content-Type': type,
      'Cache-Control': target.includes(`${path.sep}assets${path.sep}`) ? 'public, max-age=31536000, immutable' : 'no-store',
    });
    if (req.method === 'HEAD') return void res.end();
    createReadStream(target)
      .on('error', () => res.destroy())
      .pipe(res);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  origin = `http://127.0.0.1:${port}`;
  hostHeader = `127.0.0.1:${port}`;
  COOKIE = `warden_session_${port}`;

  return {
    launchUrl: `${origin}/?token=${launchToken}`,
    origin,
    port,
    async close() {
      for (const s of streams) s.end();
      const closed = new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections();
      await closed;
    },
  };
}

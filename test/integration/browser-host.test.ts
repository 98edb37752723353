// The browser-mode bridge against hostile requests: no token, wrong Host (DNS rebinding), foreign
// Origin, missing Origin on RPC, oversized and malformed bodies, CORS. The real console composition
// (embedded reference PBX, real router) behind it.
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConsoleApp, type ConsoleApp } from '../../main/app.js';
import { startBrowserHost, type BrowserHost } from '../../main/browser/host.js';
import { requestFrom } from '../support/console-process.js';

const home = mkdtempSync(path.join(os.tmpdir(), 'warden-host-'));
const staticDir = path.join(home, 'static');
let app: ConsoleApp;
let host: BrowserHost;
let cookie = '';

beforeAll(async () => {
  mkdirSync(staticDir);
  writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html><title>t</title>');
  app = await createConsoleApp({
    mode: 'browser', consoleDir: path.join(home, 'console'), embeddedDataDir: path.join(home, 'pbx'), seed: 'demo', forceVault: true,
  });
  host = await startBrowserHost({ router: app.router, hub: app.hub, staticDir, downloads: app.services.downloads });
});

afterAll(async () => {
  await host.close();
  await app.close();
  rmSync(home, { recursive: true, force: true });
});

const rpc = (channel: string, body: unknown, headers: Record<string, string> = {}) =>
  requestFrom(`${host.origin}/rpc/${channel}`, { method: 'POST', body, headers: { Origin: host.origin, Cookie: cookie, ...headers } });

describe('browser-mode bridge security', () => {
  it('refuses everything without the session cookie', async () => {
    expect((await requestFrom(`${host.origin}/`)).status).toBe(401);
    expect((await rpc('app.info', {}, { Cookie: '' })).status).toBe(401);
    expect((await requestFrom(`${host.origin}/rpc/events`)).status).toBe(401);
    expect((await rpc('app.info', {}, { Cookie: 'warden_session=forged' })).status).toBe(401);
  });

  it('refuses a wrong token, exchanges the right one once for an HttpOnly SameSite=Strict cookie', async () => {
    expect((await requestFrom(`${host.origin}/?token=${'0'.repeat(64)}`)).status).toBe(403);
    const ok = await requestFrom(host.launchUrl);
    expect(ok.status).toBe(303);
    const setCookie = String(ok.headers['set-cookie']);
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    cookie = setCookie.split(';')[0]!;
    expect((await requestFrom(host.launchUrl)).status).toBe(403); // one-time
    expect((await requestFrom(`${host.origin}/`, { headers: { Cookie: cookie } })).status).toBe(200);
  });

  it('answers RPC with the session cookie and the page origin', async () => {
    const res = await rpc('app.info', {});
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ ok: true, value: { mode: 'browser' } });
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    expect(String(res.headers['content-security-policy'])).toMatch(/default-src 'self'/);
  });

  it('refuses a wrong Host header (DNS rebinding)', async () => {
    const port = new URL(host.origin).port;
    for (const h of [`evil.example:${port}`, `localhost.evil.example:${port}`, `127.0.0.1:${Number(port) + 1}`]) {
      expect((await rpc('app.info', {}, { Host: h })).status).toBe(421);
    }
  });

  it('refuses a foreign Origin, a missing Origin on RPC, and cross-site fetch metadata', async () => {
    expect((await rpc('app.info', {}, { Origin: 'http://evil.example' })).status).toBe(403);
    expect((await rpc('app.info', {}, { Origin: 'null' })).status).toBe(403);
    const noOrigin = await requestFrom(`${host.origin}/rpc/app.info`, { method: 'POST', body: {}, headers: { Cookie: cookie } });
    expect(noOrigin.status).toBe(403);
    expect((await rpc('app.info', {}, { 'Sec-Fetch-Site': 'cross-site' })).status).toBe(403);
    const pre = await requestFrom(`${host.origin}/rpc/app.info`, { method: 'OPTIONS', headers: { Origin: 'http://evil.example', Cookie: cookie } });
    expect(pre.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('refuses oversized and malformed bodies with typed errors', async () => {
    const big = await rpc('app.info', { pad: 'x'.repeat(1_100_000) });
    expect(big.status).toBe(413);
    const bad = await requestFrom(`${host.origin}/rpc/app.info`, {
      method: 'POST', headers: { Origin: host.origin, Cookie: cookie, 'Content-Type': 'application/json' },
    });
    expect(bad.status).toBe(200);
    const garbage = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      import('node:http').then(({ default: http }) => {
        const r = http.request(`${host.origin}/rpc/app.info`, { method: 'POST', headers: { Origin: host.origin, Cookie: cookie, 'Content-Type': 'application/json' } }, (res) => {
          let b = '';
          res.on('data', (c) => (b += c));
          res.on('end', () => resolve({ status: res.statusCode!, body: b }));
        });
        r.on('error', reject);
        r.end('{not json');
      }, reject);
    });
    expect(JSON.parse(garbage.body)).toMatchObject({ ok: false, error: { code: 'invalid_payload' } });
    const wrongType = await rpc('protection.block', { number: 'abc', etag: '' });
    expect(wrongType.body).toMatchObject({ ok: false, error: { code: 'invalid_payload' } });
    const fields = (wrongType.body as { error: { details: Array<{ field: string }> } }).error.details.map((d) => d.field);
    expect(fields).toEqual(expect.arrayContaining(['number', 'etag']));
  });

  it('serves no file outside the renderer folder (raw request targets, not normalised by a client)', async () => {
    // A canary next to the static folder: a traversal would serve it.
    writeFileSync(path.join(home, 'canary.txt'), 'TRAVERSAL-CANARY');
    const port = Number(new URL(host.origin).port);
    const raw = (target: string) =>
      new Promise<string>((resolve, reject) => {
        const sock = net.connect(port, '127.0.0.1', () => {
          sock.write(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n${cookie ? `Cookie: ${cookie}\r\n` : ''}Connection: close\r\n\r\n`);
        });
        let out = '';
        sock.on('data', (c) => (out += c.toString()));
        sock.on('end', () => resolve(out));
        sock.on('error', reject);
      });
    // The canary is reachable in principle: the same folder layout one level up is what is attacked.
    for (const t of ['/../canary.txt', '/%2e%2e/canary.txt', '/..%2fcanary.txt', '/%2e%2e%2fcanary.txt', '/static/../../canary.txt', '/..\\canary.txt', '//../canary.txt']) {
      const res = await raw(t);
      expect(res, t).toMatch(/^HTTP\/1\.1 \d{3}/);
      expect(res, t).not.toContain('TRAVERSAL-CANARY');
    }
  });

  it('hands a kept file (an exported config) to this tab once: the cookie, Host and fetch metadata checked first', async () => {
    const downloads = app.services.downloads!;
    const name = 'pbx-export-Zentrale-Müller.json';
    const body = JSON.stringify({ format: 'pbx-warden-export', note: 'ünïcode' });
    const get = (id: string, headers: Record<string, string> = {}, method = 'GET') =>
      requestFrom(`${host.origin}/download/${id}`, { method, headers: { Cookie: cookie, ...headers } });

    // refused requests do not use the download up
    const { id } = downloads.put(name, body, 'application/json; charset=utf-8');
    expect((await get(id, { Cookie: '' })).status).toBe(401);
    expect((await get(id, { Cookie: 'warden_session=forged' })).status).toBe(401);
    expect((await get(id, { Host: `evil.example:${new URL(host.origin).port}` })).status).toBe(421);
    expect((await get(id, { 'Sec-Fetch-Site': 'cross-site' })).status).toBe(403);
    expect((await get(id, { Origin: 'http://evil.example' })).status).toBe(403);
    expect((await get(id, {}, 'POST')).status).toBe(405);

    const res = await get(id);
    expect(res.status).toBe(200);
    expect(res.text).toBe(body);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.headers['content-disposition']).toBe(
      `attachment; filename="pbx-export-Zentrale-M_ller.json"; filename*=UTF-8''${encodeURIComponent(name)}`,
    );
    expect(res.headers['cache-control']).toBe('no-store');
    expect((await get(id)).status).toBe(404); // once
    for (const bad of ['nope', '..%2Findex.html', `${id}x`, '%2e%2e%2fstatic']) expect((await get(bad)).status, bad).toBe(404);
  });

  it('survives malformed request lines and paths', async () => {
    const port = Number(new URL(host.origin).port);
    for (const line of ['GET http://[ HTTP/1.1', 'GET /%E0%A4%A HTTP/1.1', 'GET /rpc/%ZZ HTTP/1.1', 'BREW / HTTP/1.1']) {
      await new Promise<void>((resolve) => {
        const sock = net.connect(port, '127.0.0.1', () => sock.write(`${line}\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`));
        sock.on('data', () => undefined);
        sock.on('close', () => resolve());
        sock.on('error', () => resolve());
      });
    }
    expect((await rpc('app.info', {})).status).toBe(200);
  });

  it('connected to the embedded PBX at start-up, and keeps no secret in plain text on disk', async () => {
    const st = await rpc('connection.status', {});
    expect(st.body).toMatchObject({ ok: true, value: { state: 'online', username: 'admin' } });
    // The vault has not been created yet: the first-run password is only in memory.
    const create = await rpc('secrets.createVault', { passphrase: 'correct horse battery staple' });
    expect(create.body).toMatchObject({ ok: true, value: { backend: 'vault', vault: 'unlocked' } });
    const pw = app.initialAdminPassword!;
    const consoleDir = path.join(home, 'console');
    for (const f of readdirSync(consoleDir)) {
      expect(readFileSync(path.join(consoleDir, f)).includes(Buffer.from(pw)), f).toBe(false);
    }
    const list = await rpc('profiles.list', {});
    expect(JSON.stringify(list.body)).not.toContain(pw);
    expect(list.body).toMatchObject({ ok: true, value: { profiles: [{ id: 'local', hasSecret: true }] } });
  });
});

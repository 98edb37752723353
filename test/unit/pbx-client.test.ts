// The PBX client alone, against small local HTTP(S) servers that misbehave on purpose (a fake PBX is
// fine here: this is a unit test of the client; the real server is used in the integration tests).
import { execFileSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { routes } from '../../shared/api.js';
import { AppError } from '../../shared/errors.js';
import { PbxClient } from '../../main/core/pbx-client.js';

const servers: Array<http.Server> = [];
afterAll(() => servers.forEach((s) => s.close()));

async function serve(handler: http.RequestListener, tls?: { key: Buffer; cert: Buffer }): Promise<string> {
  const server = tls ? https.createServer(tls, handler) : http.createServer(handler);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return `${tls ? 'https' : 'http'}://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const sites = JSON.stringify({ items: [{ id: 'hq', name: 'HQ', extensionCount: 1 }], total: 1 });

describe('PbxClient', () => {
  it('retries an idempotent GET on 503 with backoff, then succeeds', async () => {
    let hits = 0;
    const url = await serve((_req, res) => {
      hits++;
      if (hits < 3) {
        res.writeHead(503, { 'Content-Type': 'application/json' });
        return res.end(JSON.stringify({ error: { code: 'internal', message: 'busy' } }));
      }
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(sites);
    });
    const c = new PbxClient({ baseUrl: url, backoffMs: 10 });
    const t0 = Date.now();
    const r = await c.call(routes.listSites, { token: 't' });
    expect(r.data.items[0]!.id).toBe('hq');
    expect(hits).toBe(3);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(15);
    c.close();
  });

  it('honours Retry-After on 429', async () => {
    let hits = 0;
    const url = await serve((_req, res) => {
      hits++;
      if (hits === 1) {
        res.writeHead(429, { 'Retry-After': '1', 'Content-Type': 'application/json' });
        return res.end(JSON.stringify({ error: { code: 'rate_limited', message: 'slow down' } }));
      }
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(sites);
    });
    const c = new PbxClient({ baseUrl: url, backoffMs: 1 });
    const t0 = Date.now();
    await c.call(routes.listSites);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(950);
    c.close();
  });

  it('never retries a write, sends If-Match, and maps 412 with the current version', async () => {
    let hits = 0;
    let ifMatch: string | undefined;
    const url = await serve((req, res) => {
      hits++;
      ifMatch = req.headers['if-match'];
      res.writeHead(412, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'precondition_failed', message: 'changed', current: { number: '1001' }, currentEtag: '"v9"' } }));
    });
    const c = new PbxClient({ baseUrl: url, backoffMs: 1 });
    const err = await c.call(routes.blockExtension, { params: { number: '1001' }, ifMatch: '"v1"' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({ code: 'precondition_failed', status: 412, extra: { current: { number: '1001' }, currentEtag: '"v9"' } });
    expect(hits).toBe(1);
    expect(ifMatch).toBe('"v1"');
    c.close();
  });

  it('turns a timeout and a refused connection into pbx_unreachable', async () => {
    const url = await serve(() => undefined); // never answers
    const slow = new PbxClient({ baseUrl: url, timeoutMs: 100, retries: 0 });
    await expect(slow.call(routes.listSites)).rejects.toMatchObject({ code: 'pbx_unreachable' });
    slow.close();
    const closed = new PbxClient({ baseUrl: 'http://127.0.0.1:1', retries: 0 });
    await expect(closed.call(routes.listSites)).rejects.toMatchObject({ code: 'pbx_unreachable', message: expect.stringMatching(/ECONNREFUSED/) });
    closed.close();
  });

  it('refuses an answer that does not match the contract', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ items: 'nope' }));
    });
    const c = new PbxClient({ baseUrl: url, retries: 0 });
    await expect(c.call(routes.listSites)).rejects.toMatchObject({ code: 'pbx_error' });
    c.close();
  });

  it('TLS: trusts a pinned self-signed certificate by fingerprint, refuses it otherwise', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'warden-tls-'));
    try {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', path.join(dir, 'k.pem'), '-out', path.join(dir, 'c.pem'), '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
      const key = readFileSync(path.join(dir, 'k.pem'));
      const cert = readFileSync(path.join(dir, 'c.pem'));
      const fp = new X509Certificate(cert).fingerprint256;
      expect(fp).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
      const url = await serve((_req, res) => {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(sites);
      }, { key, cert });

      const system = new PbxClient({ baseUrl: url, retries: 0 });
      await expect(system.call(routes.listSites)).rejects.toMatchObject({ code: 'tls_error' });
      system.close();

      const pinned = new PbxClient({ baseUrl: url, retries: 0, tls: { mode: 'pin', fingerprint: fp } });
      expect((await pinned.call(routes.listSites)).data.total).toBe(1);
      pinned.close();

      const wrong = createHash('sha256').update('other').digest('hex').toUpperCase().match(/../g)!.join(':');
      const mismatch = new PbxClient({ baseUrl: url, retries: 0, tls: { mode: 'pin', fingerprint: wrong } });
      await expect(mismatch.call(routes.listSites)).rejects.toMatchObject({ code: 'tls_error' });
      mismatch.close();

      const ca = new PbxClient({ baseUrl: url, retries: 0, tls: { mode: 'ca', caFile: path.join(dir, 'c.pem') } });
      // The self-signed certificate is its own CA: trusted through the profile's CA file.
      expect((await ca.call(routes.listSites)).data.total).toBe(1);
      ca.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

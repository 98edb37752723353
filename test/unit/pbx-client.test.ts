// The PBX client alone, against small local HTTP(S) servers that misbehave on purpose (a fake PBX is
// fine here: this is a unit test of the client; the real server is used in the integration tests).
import { execFileSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { AxiosError, AxiosHeaders } from 'axios';
import { afterAll, describe, expect, it } from 'vitest';
import { routes } from '../../shared/api.js';
import { AppError } from '../../shared/errors.js';
import type { PbxEvent } from '../../shared/events.js';
import { PbxClient, toAppError } from '../../main/core/pbx-client.js';

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

      // The same certificate as a DER file works too.
      writeFileSync(path.join(dir, 'c.der'), new X509Certificate(cert).raw);
      const der = new PbxClient({ baseUrl: url, retries: 0, tls: { mode: 'ca', caFile: path.join(dir, 'c.der') } });
      expect((await der.call(routes.listSites)).data.total).toBe(1);
      der.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a bad tls.caFile is a typed error that names the field and the reason (never a raw ENOENT)', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'warden-ca-'));
    try {
      const attempt = (caFile: string) => {
        try {
          new PbxClient({ baseUrl: 'https://127.0.0.1:1', tls: { mode: 'ca', caFile } }).close();
        } catch (err) {
          return err;
        }
        throw new Error('expected the CA file to be refused');
      };
      const missing = attempt(path.join(dir, 'nope.pem'));
      expect(missing).toBeInstanceOf(AppError);
      expect(missing).toMatchObject({ code: 'profile_invalid', details: [{ field: 'tls.caFile', rule: 'readable' }] });
      expect((missing as AppError).message).toMatch(/^tls\.caFile: .*nope\.pem does not exist$/);

      mkdirSync(path.join(dir, 'folder'));
      expect(attempt(path.join(dir, 'folder'))).toMatchObject({ code: 'profile_invalid', message: expect.stringMatching(/tls\.caFile: .*is a folder/) });

      writeFileSync(path.join(dir, 'notes.txt'), 'this is not a certificate\n');
      expect(attempt(path.join(dir, 'notes.txt'))).toMatchObject({
        code: 'profile_invalid', message: expect.stringMatching(/tls\.caFile: .*not a certificate file/), details: [{ field: 'tls.caFile', rule: 'certificate' }],
      });

      writeFileSync(path.join(dir, 'broken.pem'), '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n');
      expect(attempt(path.join(dir, 'broken.pem'))).toMatchObject({ code: 'profile_invalid', message: expect.stringMatching(/tls\.caFile: certificate 1 .* is damaged/) });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('maps an error status without a readable body: 401 is unauthorized, 503 unreachable', () => {
    const fake = (status: number) => {
      const err = new AxiosError('x', 'ERR_BAD_REQUEST');
      err.response = { status, data: '<html>nope</html>', headers: {}, statusText: '', config: { headers: new AxiosHeaders() } };
      return err;
    };
    expect(toAppError(fake(401), 'http://pbx')).toMatchObject({ code: 'unauthorized', status: 401 });
    expect(toAppError(fake(503), 'http://pbx')).toMatchObject({ code: 'pbx_unreachable' });
    expect(toAppError(fake(418), 'http://pbx')).toMatchObject({ code: 'pbx_error', status: 418 });
  });
});

// ---- the live event stream ------------------------------------------------------------------------

type StreamState = { up: boolean; error?: AppError; retryInMs?: number };

const hello = (id: number): string =>
  `id: ${id}\nevent: hello\ndata: ${JSON.stringify({ type: 'hello', id, at: new Date().toISOString(), server: 'fake' })}\n\n`;

describe('PbxClient event stream', () => {
  it('maps a 401 on the stream to unauthorized from its JSON body, re-logs in, and resumes after Last-Event-ID', async () => {
    const seen: { auth: string | undefined; lastId: string | undefined; socket: number; status: number }[] = [];
    let sockets = 0;
    const ids = new WeakMap<object, number>();
    const url = await serve((req, res) => {
      if (!ids.has(req.socket)) ids.set(req.socket, ++sockets);
      const entry = { auth: req.headers.authorization, lastId: req.headers['last-event-id'] as string | undefined, socket: ids.get(req.socket)!, status: 200 };
      seen.push(entry);
      if (req.headers.authorization === 'Bearer old-token' && seen.length > 1) {
        entry.status = 401;
        res.writeHead(401, { 'Content-Type': 'application/json' });
        return res.end(JSON.stringify({ error: { code: 'unauthorized', message: 'The session has expired; log in again' } }));
      }
      res.writeHead(200, { 'Content-Type': 'text/event-stream' });
      res.write(hello(seen.length === 1 ? 5 : 6));
      // The first stream ends (the PBX ends a stream whose session expired); the second stays open.
      if (seen.length === 1) res.end();
    });
    const c = new PbxClient({ baseUrl: url });
    let token = 'old-token';
    const states: StreamState[] = [];
    const events: PbxEvent[] = [];
    const relogins: number[] = [];
    const close = c.openEvents(() => token, (e) => events.push(e), (s) => states.push(s), {
      onUnauthorized: async () => {
        relogins.push(Date.now());
        token = 'new-token';
      },
    });
    try {
      await expect.poll(() => events.length, { timeout: 5000, interval: 10 }).toBe(2);
      expect(relogins).toHaveLength(1);
      expect(seen.map((r) => [r.auth, r.status])).toEqual([
        ['Bearer old-token', 200],
        ['Bearer old-token', 401],
        ['Bearer new-token', 200],
      ]);
      // resumed after the last event seen
      expect(seen[1]!.lastId).toBe('5');
      expect(seen[2]!.lastId).toBe('5');
      // the 401 body was read, so its keep-alive connection carried the next request
      expect(seen[2]!.socket).toBe(seen[1]!.socket);
      expect(states.map((s) => s.up)).toEqual([true, false, true]);
      expect(states.some((s) => s.error?.code === 'pbx_error')).toBe(false);
    } finally {
      close();
      c.close();
    }
  });

  it('reports the 401 as unauthorized with the PBX message when there is no re-login, and keeps retrying with backoff', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(401, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'unauthorized', message: 'The session token is not valid' } }));
    });
    const c = new PbxClient({ baseUrl: url });
    const states: StreamState[] = [];
    const close = c.openEvents(() => 'tok', () => undefined, (s) => states.push(s));
    try {
      await expect.poll(() => states.length, { timeout: 3000, interval: 10 }).toBeGreaterThanOrEqual(1);
      expect(states[0]).toMatchObject({ up: false, error: { code: 'unauthorized', message: 'The session token is not valid' } });
      expect(states[0]!.retryInMs).toBeGreaterThan(0);
    } finally {
      close();
      c.close();
    }
  });

  it('gives up a stream that goes silent (half-open connection) after the idle limit and reconnects', async () => {
    const requests: http.IncomingMessage[] = [];
    const closedRequests: number[] = [];
    const url = await serve((req, res) => {
      const n = requests.push(req);
      req.on('close', () => closedRequests.push(n));
      res.writeHead(200, { 'Content-Type': 'text/event-stream' });
      res.write('retry: 2000\n\n');
      res.write(hello(n));
      // ...and then nothing, ever: no heartbeat, no end.
    });
    const c = new PbxClient({ baseUrl: url, streamIdleTimeoutMs: 200 });
    const states: StreamState[] = [];
    const t0 = Date.now();
    const close = c.openEvents(() => 'tok', () => undefined, (s) => states.push(s));
    try {
      await expect.poll(() => states.find((s) => !s.up), { timeout: 3000, interval: 10 }).toBeDefined();
      const down = states.find((s) => !s.up)!;
      expect(down.error).toMatchObject({ code: 'pbx_unreachable', message: expect.stringMatching(/went silent for 0\.2 s/) });
      expect(Date.now() - t0).toBeGreaterThanOrEqual(190);
      // the silent connection was dropped, and a new one opened
      await expect.poll(() => closedRequests.includes(1), { timeout: 2000, interval: 10 }).toBe(true);
      await expect.poll(() => requests.length, { timeout: 3000, interval: 10 }).toBeGreaterThanOrEqual(2);
      await expect.poll(() => states.filter((s) => s.up).length, { timeout: 3000, interval: 10 }).toBeGreaterThanOrEqual(2);
    } finally {
      close();
      c.close();
    }
  });

  it('keeps a quiet stream open as long as heartbeats arrive within the idle limit', async () => {
    const timers: NodeJS.Timeout[] = [];
    const url = await serve((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/event-stream' });
      res.write(hello(1));
      timers.push(setInterval(() => res.write(': heartbeat\n\n'), 60));
    });
    const c = new PbxClient({ baseUrl: url, streamIdleTimeoutMs: 200 });
    const states: StreamState[] = [];
    const close = c.openEvents(() => 'tok', () => undefined, (s) => states.push(s));
    try {
      await new Promise((r) => setTimeout(r, 700));
      expect(states).toEqual([{ up: true }]);
    } finally {
      close();
      c.close();
      timers.forEach(clearInterval);
    }
  });

  it('gives up a PBX that accepts the stream request but never answers it', async () => {
    let hits = 0;
    const url = await serve(() => {
      hits++; // never answers
    });
    const c = new PbxClient({ baseUrl: url, streamIdleTimeoutMs: 150 });
    const states: StreamState[] = [];
    const close = c.openEvents(() => 'tok', () => undefined, (s) => states.push(s));
    try {
      await expect.poll(() => states.length, { timeout: 3000, interval: 10 }).toBeGreaterThanOrEqual(1);
      expect(states[0]).toMatchObject({ up: false, error: { code: 'pbx_unreachable', message: expect.stringMatching(/silent/) } });
      await expect.poll(() => hits, { timeout: 3000, interval: 10 }).toBeGreaterThanOrEqual(2);
    } finally {
      close();
      c.close();
    }
  });

  it('a stream that arrives after close() is dropped, never attached', async () => {
    let serverSideClosed = false;
    const url = await serve((req, res) => {
      req.on('close', () => (serverSideClosed = true));
      setTimeout(() => {
        if (res.destroyed) return;
        res.writeHead(200, { 'Content-Type': 'text/event-stream' });
        res.write(hello(1));
      }, 150);
    });
    const c = new PbxClient({ baseUrl: url });
    const states: StreamState[] = [];
    const events: PbxEvent[] = [];
    const close = c.openEvents(() => 'tok', (e) => events.push(e), (s) => states.push(s));
    await new Promise((r) => setTimeout(r, 30)); // the request is under way
    close();
    await new Promise((r) => setTimeout(r, 400));
    expect(states).toEqual([]);
    expect(events).toEqual([]);
    expect(serverSideClosed).toBe(true);
    c.close();
  });
});

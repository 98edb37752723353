// Test harness for the REAL reference PBX: a fresh temp data dir, a real port, a logged-in admin, and small
// typed HTTP helpers (node:http, so a request can come from another loopback address such as 127.0.0.2).
import { request as httpRequestRaw, type IncomingHttpHeaders } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ApiError } from '../../shared/errors.js';
import type { Extension } from '../../shared/domain.js';
import { SseParser, type PbxEvent } from '../../shared/events.js';
import { startPbxServer } from '../../server/index.js';
import type { Hasher } from '../../server/secrets.js';

export interface HttpResult<T = unknown> {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  /** Parsed JSON body (undefined when the body is empty or not JSON). */
  json: T;
}

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  /** Sent as JSON (Content-Type: application/json). */
  body?: unknown;
  /** Sent verbatim; set Content-Type yourself in headers. */
  rawBody?: string | Buffer;
  /** Source address of the connection, e.g. 127.0.0.2. */
  localAddress?: string;
}

/** One HTTP request with node:http (a fresh connection each time, no keep-alive). */
export function httpRequest<T = unknown>(url: string, opts: RequestOptions = {}): Promise<HttpResult<T>> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...opts.headers };
    let payload: Buffer | undefined;
    if (opts.rawBody !== undefined) payload = Buffer.from(opts.rawBody);
    else if (opts.body !== undefined) {
      payload = Buffer.from(JSON.stringify(opts.body));
      headers['content-type'] ??= 'application/json';
    }
    if (payload) headers['content-length'] = String(payload.length);
    const req = httpRequestRaw(
      url,
      { method: opts.method ?? 'GET', headers, localAddress: opts.localAddress, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = text ? JSON.parse(text) : undefined;
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: json as T });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (payload) req.write(payload);
    req.end();
  });
}

export interface ManualClock {
  now: () => Date;
  advance(ms: number): void;
  set(date: Date): void;
}

/** A clock the test moves by hand (token expiry, timestamps). */
export function manualClock(start = new Date('2030-01-15T09:00:00.000Z')): ManualClock {
  let t = start.getTime();
  return {
    now: () => new Date(t),
    advance: (ms) => {
      t += ms;
    },
    set: (d) => {
      t = d.getTime();
    },
  };
}

export interface StartOptions {
  seed?: 'demo' | 'none' | { extensions: number };
  clock?: () => Date;
  /** Reuse a data dir (otherwise a fresh temp dir). */
  dataDir?: string;
  /** The argon2 gate's slots and queue (default: one per core, 64 queued). */
  hasherLimits?: { concurrency: number; queue: number };
  /** Password checks per address (default: the server's, 30 per 10 s). */
  credentialRate?: { max: number; windowMs: number };
}

export interface ApiOptions extends Omit<RequestOptions, 'method'> {
  /** Bearer token; default the admin session's; null = no Authorization header. */
  token?: string | null;
  ifMatch?: string;
}

export interface TestPbx {
  url: string;
  /** The PBX's argon2 gate (see saturate()). */
  hasher: Hasher;
  dataDir: string;
  serverName: string;
  /** The admin password generated on the first start (kept across restarts). */
  adminPassword: string;
  /** The demo data's receptionist ('reception', scoped to the first site); null without demo data. */
  receptionistPassword: string | null;
  /** initialAdminPassword as returned by the latest start. */
  initialAdminPassword: string | null;
  /** Bearer token of the admin session (renewed by restart()). */
  token: string;
  /** Management API call; `path` is relative to the server root, e.g. /api/v1/extensions. */
  api<T = unknown>(method: string, path: string, opts?: ApiOptions): Promise<HttpResult<T>>;
  /** Device API POST, from `from` (default 127.0.0.1). */
  device<T = unknown>(path: string, body: unknown, opts?: { from?: string; rawBody?: string }): Promise<HttpResult<T>>;
  /** GET one extension (asserts 200). */
  extension(number: string): Promise<Extension>;
  login(username?: string, password?: string): Promise<HttpResult<{ token: string; expiresAt: string; role: string; username: string }>>;
  /** Stop and start again on the same data dir, then log in again. */
  restart(opts?: Omit<StartOptions, 'dataDir'>): Promise<void>;
  /** Stop the server (keeps the data dir). */
  stop(): Promise<void>;
  /** Stop the server and delete the data dir. */
  cleanup(): Promise<void>;
}

export async function startTestPbx(opts: StartOptions = {}): Promise<TestPbx> {
  const ownsDir = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'pbx-warden-test-'));
  let server = await startPbxServer({
    dataDir, seed: opts.seed ?? 'demo', clock: opts.clock, quiet: true, hasherLimits: opts.hasherLimits, credentialRate: opts.credentialRate,
  });
  let running = true;
  if (!server.initialAdminPassword) throw new Error('startTestPbx: expected a fresh data dir with a new admin');
  const adminPassword = server.initialAdminPassword;

  const pbx: TestPbx = {
    url: server.url,
    hasher: server.hasher,
    dataDir,
    serverName: server.serverName,
    adminPassword,
    receptionistPassword: server.initialReceptionistPassword,
    initialAdminPassword: server.initialAdminPassword,
    token: '',
    api(method, path, o = {}) {
      const headers: Record<string, string> = { ...o.headers };
      const token = o.token === undefined ? pbx.token : o.token;
      if (token !== null) headers['authorization'] = `Bearer ${token}`;
      if (o.ifMatch !== undefined) headers['if-match'] = o.ifMatch;
      return httpRequest(`${pbx.url}${path}`, { ...o, method, headers });
    },
    device(path, body, o = {}) {
      const req: RequestOptions = { method: 'POST', localAddress: o.from };
      if (o.rawBody !== undefined) {
        req.rawBody = o.rawBody;
        req.headers = { 'content-type': 'application/json' };
      } else req.body = body;
      return httpRequest(`${pbx.url}${path}`, req);
    },
    async extension(number) {
      const r = await pbx.api<Extension>('GET', `/api/v1/extensions/${number}`);
      if (r.status !== 200) throw new Error(`GET extension ${number}: ${r.status} ${r.text}`);
      return r.json;
    },
    login(username = 'admin', password = adminPassword) {
      return httpRequest(`${pbx.url}/api/v1/session`, { method: 'POST', body: { username, password } });
    },
    async restart(o = {}) {
      await pbx.stop();
      server = await startPbxServer({ dataDir, seed: o.seed ?? 'demo', clock: o.clock ?? opts.clock, quiet: true });
      running = true;
      pbx.url = server.url;
      pbx.hasher = server.hasher;
      pbx.serverName = server.serverName;
      pbx.initialAdminPassword = server.initialAdminPassword;
      await relogin();
    },
    async stop() {
      if (running) {
        running = false;
        await server.close();
      }
    },
    async cleanup() {
      await pbx.stop();
      if (ownsDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
  const relogin = async () => {
    const r = await pbx.login();
    if (r.status !== 201) throw new Error(`admin login failed: ${r.status} ${r.text}`);
    pbx.token = r.json.token;
  };
  try {
    await relogin();
  } catch (err) {
    await pbx.cleanup();
    throw err;
  }
  return pbx;
}

export interface SseEvent {
  id?: string;
  event: string;
  data: string;
}

export interface EventStream {
  status: number;
  headers: IncomingHttpHeaders;
  /** Every event received so far, parsed. */
  events: (PbxEvent & { sseId?: string; sseEvent: string })[];
  /** Resolves with the first event (already received or future) that matches; rejects after timeoutMs. */
  waitFor(match: (ev: PbxEvent) => boolean, timeoutMs?: number): Promise<PbxEvent>;
  /** Resolves when the server ends the stream. */
  ended: Promise<void>;
  close(): void;
}

/** Open GET /api/v1/events; resolves once the response headers arrived (status 200 or an error status). */
export function openEventStream(url: string, token: string | null, opts: { lastEventId?: string } = {}): Promise<EventStream> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { accept: 'text/event-stream' };
    if (token !== null) headers['authorization'] = `Bearer ${token}`;
    if (opts.lastEventId !== undefined) headers['last-event-id'] = opts.lastEventId;
    const waiters: { match: (ev: PbxEvent) => boolean; resolve: (ev: PbxEvent) => void }[] = [];
    const events: EventStream['events'] = [];
    let endResolve: () => void = () => {};
    const ended = new Promise<void>((r) => (endResolve = r));
    const parser = new SseParser((raw) => {
      const ev = { ...(JSON.parse(raw.data) as PbxEvent), sseId: raw.id, sseEvent: raw.event };
      events.push(ev);
      for (const w of [...waiters]) {
        if (w.match(ev)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(ev);
        }
      }
    });
    const req = httpRequestRaw(`${url}/api/v1/events`, { headers, agent: false }, (res) => {
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => parser.push(chunk));
      res.on('end', () => endResolve());
      res.on('close', () => endResolve());
      res.on('error', () => endResolve());
      resolve({
        status: res.statusCode ?? 0,
        headers: res.headers,
        events,
        ended,
        waitFor(match, timeoutMs = 2000) {
          const found = events.find(match);
          if (found) return Promise.resolve(found);
          return new Promise((res2, rej2) => {
            const w = {
              match,
              resolve: (ev: PbxEvent) => {
                clearTimeout(timer);
                res2(ev);
              },
            };
            const timer = setTimeout(() => {
              waiters.splice(waiters.indexOf(w), 1);
              rej2(new Error(`no matching event within ${timeoutMs} ms; got ${events.map((e) => e.type).join(', ')}`));
            }, timeoutMs);
            waiters.push(w);
          });
        },
        close() {
          req.destroy();
          res.destroy();
        },
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** Narrow an error response. */
export function errorOf(r: HttpResult<unknown>): ApiError['error'] {
  const body = r.json as ApiError | undefined;
  if (!body || typeof body !== 'object' || !('error' in body)) throw new Error(`not an error body: ${r.status} ${r.text}`);
  return body.error;
}

/**
 * Fill every slot and the whole queue of the PBX's argon2 gate with work that waits for `release()`, so
 * that the next hash is refused with 429 — deterministically, unlike a flood of requests (which the
 * lockout engine now stops before any hashing). Returns release(), which empties the gate again.
 */
export function saturate(hasher: Hasher): { release: () => void } {
  let open!: () => void;
  const held = new Promise<void>((resolve) => {
    open = resolve;
  });
  const { concurrency, queue } = hasher.limits;
  for (let i = 0; i < concurrency + queue; i++) void hasher.slot(() => held);
  if (!hasher.saturated()) throw new Error('saturate: the gate is not full');
  return { release: open };
}

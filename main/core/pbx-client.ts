// The console's client for the PBX management API: axios (exact version pinned in package.json),
// timeouts, retry with backoff for idempotent calls, If-Match handling, typed errors, and SSE.
import axios, { AxiosError, type AxiosInstance, type AxiosResponse } from 'axios';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import { Readable } from 'node:stream';
import { z } from 'zod';
import { API_BASE, pathFor, routes, type RouteDef } from '../../shared/api.js';
import { AppError, ErrorBodySchema, type ErrorExtra } from '../../shared/errors.js';
import { PbxEventSchema, SseParser, type PbxEvent } from '../../shared/events.js';
import type { Profile } from '../../shared/rpc.js';

export interface PbxClientOptions {
  baseUrl: string;
  tls?: Profile['tls'];
  /** Per-request timeout. */
  timeoutMs?: number;
  /** Retries for idempotent requests (GET) on network errors, 5xx, 429. */
  retries?: number;
  /** Backoff base; the n-th retry waits base * 2^n ± jitter, or Retry-After when given. */
  backoffMs?: number;
  userAgent?: string;
  /**
   * The live event stream is given up and reopened when nothing (not even the PBX's 15 s heartbeat
   * comment) arrived for this long: a half-open connection never ends by itself. Default 40 s.
   */
  streamIdleTimeoutMs?: number;
}

export interface EventStreamOptions {
  /** Overrides the client's streamIdleTimeoutMs for this stream. */
  idleTimeoutMs?: number;
  /**
   * Called when the PBX refuses the stream with 401 (session expired or revoked): log in again, then
   * the stream reconnects at once (after the last event id). A rejection is reported through onState
   * and retried with backoff — unless the caller closed the stream meanwhile.
   */
  onUnauthorized?: () => Promise<void>;
}

/** The default idle limit of the event stream: more than twice the PBX's 15 s heartbeat. */
export const STREAM_IDLE_TIMEOUT_MS = 40_000;

export interface CallOptions {
  params?: Record<string, string>;
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  ifMatch?: string;
  token?: string | null;
}

/** Options of a document download (PbxClient.download). */
export interface DownloadOptions {
  /** The most bytes accepted; a larger body is refused (pbx_error 502) before it is all held. */
  maxBytes: number;
  /** Socket inactivity limit for this request (the default 10 s is meant for small answers). */
  timeoutMs?: number;
}

/** The file name of a Content-Disposition header (`filename="…"`), or null; only a plain, safe name. */
export function dispositionFilename(header: unknown): string | null {
  if (typeof header !== 'string') return null;
  const m = /filename="([^"\\/]{1,200})"/i.exec(header) ?? /filename=([^;\s"\\/]{1,200})/i.exec(header);
  const name = m?.[1]?.trim();
  return name && /^[A-Za-z0-9._-]+$/.test(name) && !name.startsWith('.') ? name : null;
}

type Out<R extends RouteDef> = R['response'] extends z.ZodType ? z.output<R['response']> : void;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function normaliseFingerprint(fp: string): string {
  return fp.replace(/:/g, '').toUpperCase();
}

/**
 * An https agent that trusts exactly one certificate, by its SHA-256 fingerprint (self-signed PBX
 * certificates). The chain is not checked — the pin is the trust — and the request is only written
 * after the handshake, once the fingerprint has been compared.
 */
function pinnedAgent(fingerprint: string): https.Agent {
  const agent = new https.Agent({ keepAlive: true, rejectUnauthorized: false });
  const want = normaliseFingerprint(fingerprint);
  (agent as unknown as { createConnection: (o: tls.ConnectionOptions, cb: (e: Error | null, s?: tls.TLSSocket) => void) => undefined }).createConnection = (options, cb) => {
    const socket = tls.connect({ ...options, rejectUnauthorized: false });
    let settled = false;
    const settle = (e: Error | null, s?: tls.TLSSocket) => {
      if (settled) return;
      settled = true;
      cb(e, s);
    };
    socket.once('secureConnect', () => {
      const got = normaliseFingerprint(socket.getPeerCertificate().fingerprint256 ?? '');
      if (got !== want) {
        const err = Object.assign(new Error(`certificate fingerprint ${got} does not match the pinned ${fingerprint}`), { code: 'CERT_PIN_MISMATCH' });
        socket.destroy(err);
        settle(err);
        return;
      }
      settle(null, socket);
    });
    socket.once('error', (err) => settle(err));
    return undefined;
  };
  return agent;
}

function caFileError(rule: string, reason: string): AppError {
  const message = `tls.caFile: ${reason}`;
  return new AppError('profile_invalid', message, 400, [{ field: 'tls.caFile', rule, message }]);
}

/**
 * Read the profile's CA file: PEM with one or more certificates, or a single DER certificate. Node
 * silently ignores a CA that is not PEM (every connection would then fail with a puzzling certificate
 * error), so each certificate is parsed here, and every failure names the field and the reason.
 */
export function loadCaFile(file: string): string {
  let raw: Buffer;
  try {
    raw = readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    const why: Record<string, string> = {
      ENOENT: 'does not exist',
      EACCES: 'cannot be read (permission denied)',
      EPERM: 'cannot be read (permission denied)',
      EISDIR: 'is a folder, not a certificate file',
      ENOTDIR: 'does not exist (a part of the path is not a folder)',
    };
    return failCa('readable', `the CA certificate file ${file} ${why[code] ?? `cannot be read (${code || (err as Error).message})`}`);
  }
  const pem = raw.toString('latin1').match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g);
  if (pem) {
    for (const [i, block] of pem.entries()) {
      try {
        new X509Certificate(block);
      } catch {
        return failCa('certificate', `certificate ${i + 1} in ${file} is damaged and cannot be read`);
      }
    }
    return `${pem.join('\n')}\n`;
  }
  try {
    return new X509Certificate(raw).toString(); // DER
  } catch {
    return failCa('certificate', `${file} is not a certificate file (expected PEM text starting with -----BEGIN CERTIFICATE-----)`);
  }
}

function failCa(rule: string, reason: string): never {
  throw caFileError(rule, reason);
}

function agentsFor(tlsOpts: Profile['tls'] | undefined): { httpAgent: http.Agent; httpsAgent: https.Agent } {
  let httpsAgent: https.Agent;
  if (tlsOpts?.mode === 'ca' && tlsOpts.caFile) {
    httpsAgent = new https.Agent({ keepAlive: true, ca: loadCaFile(tlsOpts.caFile) });
  } else if (tlsOpts?.mode === 'pin' && tlsOpts.fingerprint) {
    httpsAgent = pinnedAgent(tlsOpts.fingerprint);
  } else {
    httpsAgent = new https.Agent({ keepAlive: true });
  }
  const httpAgent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  return { httpAgent, httpsAgent };
}

const TLS_CODES = new Set([
  'CERT_PIN_MISMATCH', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'CERT_HAS_EXPIRED', 'ERR_TLS_CERT_ALTNAME_INVALID', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'EPROTO',
]);

/** Map any failure of a call to a typed AppError a person can act on. */
export function toAppError(err: unknown, baseUrl: string): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof AxiosError) {
    const res = err.response;
    if (res) {
      // a document route (CSV) reads its answers as text, errors included: those are JSON all the same
      let data: unknown = res.data;
      if (typeof data === 'string') {
        try {
          data = JSON.parse(data);
        } catch {
          // not JSON: no readable error
        }
      }
      const parsed = z.object({ error: ErrorBodySchema }).safeParse(data);
      if (parsed.success) {
        const e = parsed.data.error;
        const extra: ErrorExtra = {};
        if (e.current !== undefined) extra.current = e.current;
        if (e.currentEtag !== undefined) extra.currentEtag = e.currentEtag;
        const wait = res.status === 429 ? retryAfterMs(err) : null;
        if (wait !== null) extra.retryAfterSeconds = wait / 1000;
        return new AppError(e.code as AppError['code'], e.message, res.status, e.details, extra);
      }
      if (res.status === 401) {
        return new AppError('unauthorized', `The PBX at ${baseUrl} refused the session (HTTP 401); log in again`, 401);
      }
      if (res.status === 502 || res.status === 503 || res.status === 504) {
        return new AppError('pbx_unreachable', `The PBX at ${baseUrl} is not available (HTTP ${res.status})`, 503);
      }
      return new AppError('pbx_error', `The PBX answered HTTP ${res.status} without a readable error`, res.status);
    }
    const code = (err.code ?? (err.cause as { code?: string } | undefined)?.code ?? '') as string;
    if (TLS_CODES.has(code) || /certificate|TLS|SSL/i.test(err.message)) {
      return new AppError('tls_error', `The PBX at ${baseUrl} presented a certificate this profile does not trust (${code || err.message})`, 502);
    }
    if (code === 'ECONNABORTED' || code === 'ETIMEDOUT') {
      return new AppError('pbx_unreachable', `The PBX at ${baseUrl} did not answer in time`, 504);
    }
    return new AppError('pbx_unreachable', `The PBX at ${baseUrl} cannot be reached (${code || err.message})`, 503);
  }
  return new AppError('internal', 'Unexpected error talking to the PBX', 500);
}

const ERROR_BODY_MAX = 64 * 1024;
const ERROR_BODY_TIMEOUT_MS = 5_000;

/**
 * Read a small error body from a streamed response. With responseType 'stream', axios rejects an error
 * status with the unread stream as response.data: read it (and so free the connection for reuse) and
 * parse it as JSON, so the error maps like any other. A body too large, too slow or broken is dropped.
 */
export function readErrorBody(stream: Readable, limit = ERROR_BODY_MAX, timeoutMs = ERROR_BODY_TIMEOUT_MS): Promise<unknown> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (value: unknown) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(value);
    };
    const giveUp = () => {
      stream.destroy();
      finish(undefined);
    };
    const timer = setTimeout(giveUp, timeoutMs);
    stream.on('data', (chunk: Buffer | string) => {
      const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      size += b.length;
      if (size > limit) return giveUp();
      chunks.push(b);
    });
    stream.once('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      try {
        finish(JSON.parse(text));
      } catch {
        finish(text === '' ? undefined : text);
      }
    });
    stream.on('error', () => finish(undefined));
    stream.once('close', () => finish(undefined));
  });
}

/** toAppError for a request made with responseType 'stream': reads the error body first. */
export async function toAppErrorFromStream(err: unknown, baseUrl: string): Promise<AppError> {
  if (err instanceof AxiosError && err.response && err.response.data instanceof Readable) {
    err.response.data = await readErrorBody(err.response.data);
  }
  return toAppError(err, baseUrl);
}

function isRetryable(err: unknown): boolean {
  if (!(err instanceof AxiosError)) return false;
  if (!err.response) return !TLS_CODES.has(err.code ?? '');
  return err.response.status >= 500 || err.response.status === 429;
}

function retryAfterMs(err: unknown): number | null {
  if (!(err instanceof AxiosError) || !err.response) return null;
  const h = err.response.headers['retry-after'];
  if (typeof h !== 'string') return null;
  const s = Number(h);
  return Number.isFinite(s) ? Math.min(s * 1000, 30_000) : null;
}

export class PbxClient {
  readonly baseUrl: string;
  private readonly http: AxiosInstance;
  private readonly retries: number;
  private readonly backoffMs: number;
  private readonly agents: { httpAgent: http.Agent; httpsAgent: https.Agent };
  private readonly streamIdleMs: number;
  private readonly timeoutMs: number;

  /** Throws AppError profile_invalid (field tls.caFile) when the profile's CA file is unusable. */
  constructor(opts: PbxClientOptions) {
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
    this.retries = opts.retries ?? 3;
    this.backoffMs = opts.backoffMs ?? 250;
    this.streamIdleMs = opts.streamIdleTimeoutMs ?? STREAM_IDLE_TIMEOUT_MS;
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.agents = agentsFor(opts.tls);
    this.http = axios.create({
      baseURL: this.baseUrl,
      timeout: opts.timeoutMs ?? 10_000,
      ...this.agents,
      proxy: false,
      maxRedirects: 0,
      headers: { 'User-Agent': opts.userAgent ?? 'PBX-Warden-Console/0.1', Accept: 'application/json' },
      validateStatus: (s) => s >= 200 && s < 300,
    });
  }

  /** Call one route of the contract; validates the response against the route's schema. */
  async call<R extends RouteDef>(def: R, opts: CallOptions = {}): Promise<{ data: Out<R>; etag: string | null }> {
    const url = pathFor(def.path, opts.params);
    const headers: Record<string, string> = {};
    if (opts.token) headers['Authorization'] = `Bearer ${opts.token}`;
    if (opts.ifMatch) headers['If-Match'] = opts.ifMatch;
    if (def.produces) headers['Accept'] = def.produces;
    const idempotent = def.method === 'GET';
    let attempt = 0;
    for (;;) {
      try {
        const res: AxiosResponse = await this.http.request({
          method: def.method,
          url,
          params: opts.query,
          data: opts.body,
          headers,
          ...(def.produces ? { responseType: 'text' as const } : {}),
        });
        // a document route (CSV) answers its text; JSON routes are checked against their schema
        const data = def.produces
          ? (String(res.data) as Out<R>)
          : def.response
            ? (def.response.parse(res.data) as Out<R>)
            : (undefined as Out<R>);
        const etag = typeof res.headers['etag'] === 'string' ? (res.headers['etag'] as string) : null;
        return { data, etag };
      } catch (err) {
        if (err instanceof z.ZodError) {
          throw new AppError('pbx_error', `The PBX answered ${def.operationId} with data this console does not understand`, 502);
        }
        if (idempotent && attempt < this.retries && isRetryable(err)) {
          const wait = retryAfterMs(err) ?? this.backoffMs * 2 ** attempt * (0.75 + Math.random() * 0.5);
          attempt++;
          await sleep(wait);
          continue;
        }
        throw toAppError(err, this.baseUrl);
      }
    }
  }

  /**
   * A route's body as text, unparsed, with the file name the PBX suggests (Content-Disposition): for large
   * documents such as the configuration export (~74 MB for 100,000 extensions), which the caller reads with its
   * own bounded reader. GET only; retried like call().
   */
  async download<R extends RouteDef>(def: R, opts: CallOptions & DownloadOptions): Promise<{ text: string; filename: string | null }> {
    const url = pathFor(def.path, opts.params);
    const headers: Record<string, string> = { Accept: def.produces ?? 'application/json' };
    if (opts.token) headers['Authorization'] = `Bearer ${opts.token}`;
    let attempt = 0;
    for (;;) {
      try {
        const res: AxiosResponse = await this.http.request({
          method: 'GET',
          url,
          params: opts.query,
          headers,
          responseType: 'text',
          // the body stays text: the caller's reader checks size and depth before JSON.parse
          transformResponse: [(d: unknown) => d],
          maxContentLength: opts.maxBytes,
          timeout: opts.timeoutMs ?? 120_000,
        });
        return { text: String(res.data), filename: dispositionFilename(res.headers['content-disposition']) };
      } catch (err) {
        if (err instanceof AxiosError && /maxContentLength/i.test(err.message)) {
          throw new AppError('pbx_error', `The PBX's answer to ${def.operationId} is larger than ${Math.round(opts.maxBytes / 1048576)} MiB, the most this console reads`, 502);
        }
        if (attempt < this.retries && isRetryable(err)) {
          const wait = retryAfterMs(err) ?? this.backoffMs * 2 ** attempt * (0.75 + Math.random() * 0.5);
          attempt++;
          await sleep(wait);
          continue;
        }
        throw toAppError(err, this.baseUrl);
      }
    }
  }

  /**
   * Open the live event stream. Reconnects with backoff and resumes after the last event id; on 401
   * asks `opts.onUnauthorized` to log in again; gives up a stream that stays silent longer than the
   * idle limit (a half-open connection) and reconnects. Returns a function that closes it for good.
   */
  openEvents(
    token: () => string | null,
    onEvent: (ev: PbxEvent) => void,
    onState: (state: { up: boolean; error?: AppError; retryInMs?: number }) => void,
    opts: EventStreamOptions = {},
  ): () => void {
    const idleMs = opts.idleTimeoutMs ?? this.streamIdleMs;
    let closed = false;
    let lastId: string | undefined;
    let current: Readable | null = null;
    let pending: AbortController | null = null;
    let failures = 0;
    /** One re-login per attempt: a PBX that keeps refusing new sessions falls back to the backoff. */
    let reloggedIn = false;
    let retryTimer: NodeJS.Timeout | null = null;
    let idleTimer: NodeJS.Timeout | null = null;

    const stopIdle = () => {
      if (idleTimer) clearTimeout(idleTimer);
      idleTimer = null;
    };
    const armIdle = (onSilence: () => void, ms = idleMs) => {
      stopIdle();
      if (ms > 0 && !closed) idleTimer = setTimeout(onSilence, ms);
    };
    // The wait for the stream's response headers is no longer than an ordinary request's (a slow PBX is
    // reported as one that "did not answer in time", not after the much longer idle limit).
    const headersLimited = this.timeoutMs > 0 && (idleMs <= 0 || this.timeoutMs < idleMs);
    const headersMs = headersLimited ? this.timeoutMs : idleMs;
    const slowError = () => new AppError('pbx_unreachable', `The PBX at ${this.baseUrl} did not answer in time`, 504);
    const silentError = () =>
      new AppError('pbx_unreachable', `The live event stream from ${this.baseUrl} went silent for ${Math.round(idleMs / 100) / 10} s`, 504);

    const schedule = (error: AppError) => {
      if (closed) return;
      const wait = Math.min(30_000, 500 * 2 ** Math.min(failures, 6)) * (0.75 + Math.random() * 0.5);
      failures++;
      onState({ up: false, error, retryInMs: wait });
      retryTimer = setTimeout(() => {
        retryTimer = null;
        reloggedIn = false;
        void connect();
      }, wait);
    };

    const connect = async (): Promise<void> => {
      if (closed) return;
      const abort = new AbortController();
      pending = abort;
      let timedOut = false;
      // The watchdog covers the wait for the response headers too.
      armIdle(() => {
        timedOut = true;
        abort.abort();
      }, headersMs);
      let stream: Readable;
      try {
        const headers: Record<string, string> = { Accept: 'text/event-stream' };
        const t = token();
        if (t) headers['Authorization'] = `Bearer ${t}`;
        if (lastId) headers['Last-Event-ID'] = lastId;
        const res = await this.http.get(`${API_BASE}/events`, { headers, responseType: 'stream', timeout: 0, signal: abort.signal });
        stream = res.data as Readable;
      } catch (err) {
        stopIdle();
        if (pending === abort) pending = null;
        if (closed) {
          if (err instanceof AxiosError && err.response?.data instanceof Readable) err.response.data.destroy();
          return;
        }
        const error = timedOut ? (headersLimited ? slowError() : silentError()) : await toAppErrorFromStream(err, this.baseUrl);
        if (closed) return;
        if (error.code === 'unauthorized' && opts.onUnauthorized && !reloggedIn) {
          reloggedIn = true;
          try {
            await opts.onUnauthorized();
          } catch (reloginErr) {
            schedule(toAppError(reloginErr, this.baseUrl));
            return;
          }
          return connect();
        }
        schedule(error);
        return;
      }
      if (pending === abort) pending = null;
      if (closed) {
        // Closed while the request was under way: this stream belongs to nobody.
        stopIdle();
        stream.destroy();
        return;
      }
      current = stream;
      failures = 0;
      reloggedIn = false;
      const onSilence = () => stream.destroy(silentError());
      armIdle(onSilence);
      onState({ up: true });
      const parser = new SseParser((msg) => {
        if (msg.id) lastId = msg.id;
        let json: unknown;
        try {
          json = JSON.parse(msg.data);
        } catch {
          return;
        }
        const parsed = PbxEventSchema.safeParse(json);
        if (parsed.success) onEvent(parsed.data);
      });
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        armIdle(onSilence);
        parser.push(chunk);
      });
      const ended = (err?: unknown) => {
        if (current !== stream) return;
        current = null;
        stopIdle();
        stream.destroy();
        schedule(err instanceof AppError ? err : new AppError('pbx_unreachable', `The live event stream from ${this.baseUrl} ended`, 503));
      };
      stream.on('end', () => ended());
      stream.on('error', (err) => ended(err));
      stream.on('close', () => ended());
    };
    void connect();
    return () => {
      closed = true;
      if (retryTimer) clearTimeout(retryTimer);
      retryTimer = null;
      stopIdle();
      pending?.abort();
      pending = null;
      const s = current;
      current = null;
      s?.destroy();
    };
  }

  close(): void {
    this.agents.httpAgent.destroy();
    this.agents.httpsAgent.destroy();
  }
}

export { routes };

// A controllable proxy in front of a real reference PBX, for the resilience e2e spec (issue 8): an HTTP and an
// HTTPS listener forwarding everything (the live event stream too) to the PBX, with faults switched at run time:
//   pass      forward as is
//   stopped   both listeners closed (connection refused), every open connection cut
//   slow      every request held back `slowMs` (10 s) before it is passed on to the PBX (dropped if the client
//             gave up meanwhile, so a write the console gave up on is never applied behind its back)
//   error500  every request answered 500 with a body that is not the PBX's error format
//   wrongcert the HTTPS listener presents another self-signed certificate than the one a profile pins
// Switching mode cuts the open connections (the event stream included), as a PBX restart would, so the console
// meets the new fault at once; `keepOpen` leaves them (a PBX that turns slow while the event stream stays up). The certificates are made at start with openssl, valid for 127.0.0.1 only.
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';

export type ChaosMode = 'pass' | 'stopped' | 'slow' | 'error500' | 'wrongcert';

export interface ChaosProxy {
  /** http://127.0.0.1:<port> */
  readonly httpUrl: string;
  /** https://127.0.0.1:<port> */
  readonly httpsUrl: string;
  /** SHA-256 fingerprint (AA:BB:…) of the certificate the HTTPS listener presents in every mode but wrongcert. */
  readonly fingerprint: string;
  /** The fingerprint of the other certificate (presented in wrongcert mode). */
  readonly wrongFingerprint: string;
  readonly mode: ChaosMode;
  /** Requests the proxy received, by mode (a fault with no request would not test anything). */
  readonly seen: Record<ChaosMode, number>;
  /** Connections the HTTPS listener accepted, by mode (wrongcert: the client hangs up in the handshake, before any request). */
  readonly tlsConnections: Record<ChaosMode, number>;
  setMode(mode: ChaosMode, opts?: { keepOpen?: boolean }): Promise<void>;
  close(): Promise<void>;
}

interface KeyPair {
  key: string;
  cert: string;
  fingerprint: string;
}

/** A self-signed P-256 certificate for 127.0.0.1 (openssl; the reference PBX's own TLS needs are the same). */
function selfSigned(dir: string, name: string): KeyPair {
  const key = path.join(dir, `${name}.key`);
  const cert = path.join(dir, `${name}.crt`);
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert,
    '-days', '2', '-subj', `/CN=127.0.0.1 ${name}`, '-addext', 'subjectAltName=IP:127.0.0.1',
  ], { stdio: 'ignore' });
  const pem = readFileSync(cert, 'utf8');
  return { key: readFileSync(key, 'utf8'), cert: pem, fingerprint: new X509Certificate(pem).fingerprint256 };
}

export async function startChaosProxy(target: string, opts: { slowMs?: number } = {}): Promise<ChaosProxy> {
  const upstream = new URL(target);
  const slowMs = opts.slowMs ?? 10_000;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'warden-chaos-'));
  let good: KeyPair;
  let bad: KeyPair;
  try {
    good = selfSigned(dir, 'good');
    bad = selfSigned(dir, 'wrong');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  let mode: ChaosMode = 'pass';
  const seen: Record<ChaosMode, number> = { pass: 0, stopped: 0, slow: 0, error500: 0, wrongcert: 0 };
  const tlsConnections: Record<ChaosMode, number> = { ...seen };
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();

  const forward = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const up = http.request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: upstream.host },
      },
      (upRes) => {
        if (res.destroyed) return upRes.destroy();
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        res.flushHeaders();
        upRes.pipe(res);
      },
    );
    up.on('error', () => res.destroy());
    res.on('close', () => up.destroy());
    req.pipe(up);
  };

  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    seen[mode]++;
    if (mode === 'error500') {
      req.resume();
      res.writeHead(500, { 'Content-Type': 'text/plain', Connection: 'close' });
      res.end('upstream failure');
      return;
    }
    if (mode === 'slow') {
      const t = setTimeout(() => {
        timers.delete(t);
        if (!req.socket.destroyed) forward(req, res);
      }, slowMs);
      timers.add(t);
      res.on('close', () => {
        clearTimeout(t);
        timers.delete(t);
      });
      return;
    }
    forward(req, res);
  };

  const track = (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  };
  const plain = http.createServer(handler);
  plain.on('connection', track);
  const secure = https.createServer({ key: good.key, cert: good.cert }, handler);
  secure.on('secureConnection', (s: tls.TLSSocket) => track(s));
  secure.on('connection', (s: Socket) => {
    tlsConnections[mode]++;
    track(s);
  });
  secure.on('tlsClientError', () => undefined);

  const listen = (server: http.Server, port = 0) =>
    new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve((server.address() as AddressInfo).port);
      });
    });
  const httpPort = await listen(plain);
  const httpsPort = await listen(secure);

  const cutAll = () => {
    for (const t of timers) clearTimeout(t);
    timers.clear();
    for (const s of sockets) s.destroy();
    sockets.clear();
  };
  const stopListening = (server: http.Server) =>
    new Promise<void>((resolve) => {
      if (!server.listening) return resolve();
      server.close(() => resolve());
    });

  return {
    httpUrl: `http://127.0.0.1:${httpPort}`,
    httpsUrl: `https://127.0.0.1:${httpsPort}`,
    fingerprint: good.fingerprint,
    wrongFingerprint: bad.fingerprint,
    get mode() {
      return mode;
    },
    seen,
    tlsConnections,
    async setMode(next: ChaosMode, how: { keepOpen?: boolean } = {}) {
      const was = mode;
      mode = next;
      secure.setSecureContext(next === 'wrongcert' ? { key: bad.key, cert: bad.cert } : { key: good.key, cert: good.cert });
      if (next === 'stopped') {
        const closing = [stopListening(plain), stopListening(secure)];
        cutAll();
        await Promise.all(closing);
      } else {
        if (!how.keepOpen) cutAll();
        if (was === 'stopped') {
          // the same ports again, as a restarted PBX would have
          await listen(plain, httpPort);
          await listen(secure, httpsPort);
        }
      }
    },
    async close() {
      mode = 'stopped';
      const closing = [stopListening(plain), stopListening(secure)];
      cutAll();
      await Promise.all(closing);
    },
  };
}

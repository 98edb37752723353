// Issue 6: what each way of authenticating an API request costs on the reference PBX (real HTTP, loopback):
// a session token (Bearer: one SHA-256 and a row lookup), HTTP Basic with API access (argon2id the first time
// from an address, then remembered for a minute), and a full password login (argon2id every time).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPbxServer } from '../server/index.js';
import { percentile, round, writeResult } from './lib.js';

const N = Number(process.env['BENCH_AUTH_REQUESTS'] ?? 300);
const dir = mkdtempSync(join(tmpdir(), 'bench-auth-'));
const server = await startPbxServer({ dataDir: dir, seed: 'demo', quiet: true, credentialRate: { max: 100_000, windowMs: 1000 } });
try {
  const password = server.initialAdminPassword!;
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const login = async () => ((await (await post('/api/v1/session', { username: 'admin', password })).json()) as { token: string }).token;
  const token = await login();
  const me = await fetch(`${server.url}/api/v1/admin/login-settings`, { headers: { authorization: `Bearer ${token}` } });
  const etag = me.headers.get('etag')!;
  const put = await fetch(`${server.url}/api/v1/admin/login-settings`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${token}`, 'if-match': etag, 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', emails: '', apiAccess: true, tokenValidityMinutes: 720 }),
  });
  if (put.status !== 200) throw new Error(`turning API access on failed: ${put.status} ${await put.text()}`);
  const basic = `Basic ${Buffer.from(`admin:${password}`).toString('base64')}`;

  const time = async (label: string, n: number, fn: () => Promise<Response>) => {
    const xs: number[] = [];
    for (let i = 0; i < n; i++) {
      const t = performance.now();
      const r = await fn();
      await r.arrayBuffer();
      if (r.status >= 300) throw new Error(`${label}: ${r.status}`);
      xs.push(performance.now() - t);
    }
    return { p50Ms: round(percentile(xs, 50), 2), p95Ms: round(percentile(xs, 95), 2) };
  };
  const bearer = await time('bearer', N, () => fetch(`${server.url}/api/v1/session`, { headers: { authorization: `Bearer ${token}` } }));
  const t0 = performance.now();
  const first = await fetch(`${server.url}/api/v1/session`, { headers: { authorization: basic } });
  await first.arrayBuffer();
  const basicFirstMs = round(performance.now() - t0, 1);
  const basicCached = await time('basic', N, () => fetch(`${server.url}/api/v1/session`, { headers: { authorization: basic } }));
  const logins = await time('login', Math.min(N, 40), () => post('/api/v1/session', { username: 'admin', password }));
  console.log(
    `GET /api/v1/session with a Bearer token: p50 ${bearer.p50Ms} ms / p95 ${bearer.p95Ms} ms` +
      `\nwith HTTP Basic: first request ${basicFirstMs} ms (argon2id), then p50 ${basicCached.p50Ms} / p95 ${basicCached.p95Ms} ms (remembered)` +
      `\nPOST /api/v1/session (password login): p50 ${logins.p50Ms} / p95 ${logins.p95Ms} ms`,
  );
  writeResult('api-auth', {
    what: 'GET /api/v1/session authenticated by Bearer token vs HTTP Basic (first request, then remembered); password logins',
    requests: N,
    bearer,
    basicFirstMs,
    basicCached,
    passwordLogin: logins,
  });
} finally {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
}

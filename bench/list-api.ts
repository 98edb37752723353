// One page (100 rows) of the extensions list with a search term on 100,000 extensions, concurrency 8:
// p50/p95 latency and throughput, against a bare Fastify route on the same machine in the same run
// (same JSON size, no work) — the ratio is what our stack costs over the framework floor.
// Both servers run in their own child process; the load generator here uses keep-alive sockets.
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { adminSignIn, percentile, round, startChild, writeResult } from './lib.js';

const here = path.dirname(fileURLToPath(import.meta.url));

const root = path.resolve(here, '..');
const TOTAL = Number(process.env['BENCH_REQUESTS'] ?? 3000);
const CONCURRENCY = 8;
const TERMS = ['ann', 'smith', 'mar', 'lee', '100', 'jo', 'son', 'ell', 'queue', 'an'];


function get(agent: http.Agent, url: string, headers: Record<string, string>): Promise<{ status: number; ms: number; bytes: number }> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent, headers }, (res) => {
        let bytes = 0;
        res.on('data', (c: Buffer) => (bytes += c.length));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - t0, bytes }));
      })
      .on('error', reject);
  });
}

async function load(urlFor: (i: number) => string, headers: Record<string, string>) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  // warm-up
  for (let i = 0; i < 50; i++) await get(agent, urlFor(i), headers);
  const lat: number[] = [];
  let next = 0;
  let bytes = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < TOTAL) {
        const i = next++;
        const r = await get(agent, urlFor(i), headers);
        if (r.status !== 200) throw new Error(`HTTP ${r.status} for ${urlFor(i)}`);
        lat.push(r.ms);
        bytes += r.bytes;
      }
    }),
  );
  const secs = (performance.now() - t0) / 1000;
  agent.destroy();
  return { p50: percentile(lat, 50), p95: percentile(lat, 95), rps: TOTAL / secs, avgBytes: bytes / TOTAL };
}

async function main() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'warden-bench-list-'));
  const tsx = path.join(root, 'node_modules/tsx/dist/cli.mjs');
  const seedStart = performance.now();
  const pbx = await startChild([tsx, 'server/cli.ts', '--data-dir', dir, '--seed', '100000'], {}, /not be shown again/);
  const seedMs = performance.now() - seedStart;
  const { auth } = await adminSignIn(pbx);

  // A sample page to size the bare route's payload like ours.
  const sample = await (await fetch(`${pbx.url}/api/v1/extensions?limit=100&search=an`, { headers: auth })).text();
  const bare = await startChild([tsx, 'bench/bare-fastify.ts'], { BARE_BODY_BYTES: String(sample.length) });

  const ours = await load((i) => `${pbx.url}/api/v1/extensions?limit=100&search=${TERMS[i % TERMS.length]}`, auth);
  const floor = await load(() => `${bare.url}/page`, {});
  pbx.child.kill('SIGTERM');
  bare.child.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
  writeResult('list-api-100k', {
    what: `GET /api/v1/extensions?limit=100&search=<term> on 100,000 extensions, ${TOTAL} requests, concurrency ${CONCURRENCY}`,
    ours: { p50Ms: round(ours.p50, 2), p95Ms: round(ours.p95, 2), rps: round(ours.rps, 0), avgBytes: round(ours.avgBytes, 0) },
    bareFastify: { p50Ms: round(floor.p50, 2), p95Ms: round(floor.p95, 2), rps: round(floor.rps, 0), avgBytes: round(floor.avgBytes, 0) },
    ratioP50: round(ours.p50 / floor.p50, 2),
    ratioP95: round(ours.p95 / floor.p95, 2),
    seedAndStartMs: round(seedMs, 0),
  });
}

void main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});

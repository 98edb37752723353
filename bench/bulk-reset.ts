// Bulk voicemail PIN reset of 2,000 extensions (POST /api/v1/credentials/voicemail-pin/reset, one request),
// next to the raw argon2id hash rate of the same machine measured in the same run with the server's exact
// parameters (m=19456, t=2, p=1, 32-byte pepper) at concurrency = cores. Every reset of a freshly seeded
// number costs one argon2id hash (its default PIN's hash is pending after seeding), so the ratio
// resets/s ÷ hashes/s is what the endpoint costs over the hashing floor (goal ≥ 0.8).
// The server runs in its own child process, seeded with the extensions (like list-api).
// (c) the same through the console, for another 2,000: the renderer's runner (chunks of 25, two in flight,
// Retry-After honoured) → the console's RPC router → its PBX client → the PBX, as the Extensions screen
// does it, so the figure includes every layer but the browser.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import argon2 from 'argon2';
import { ARGON2_OPTIONS } from '../server/secrets.js';
import type { BulkResetResponse, ExtensionList } from '../shared/api.js';
import { ConnectionManager } from '../main/core/connection.js';
import { ProfileStore } from '../main/core/profiles.js';
import { createHandlers } from '../main/rpc/handlers.js';
import { createRouter } from '../main/rpc/router.js';
import { runBulk } from '../renderer/src/lib/bulkRunner.js';
import type { ErrorBody } from '../shared/errors.js';
import { memorySecretStore } from '../test/support/memory-secrets.js';
import { adminSignIn, round, startChild, writeResult } from './lib.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const COUNT = Number(process.env['BENCH_BULK_COUNT'] ?? 2000);
const CORES = os.availableParallelism();


/** `total` argon2id hashes of 6-digit PINs with the server's parameters, `concurrency` in flight. */
async function rawHashRate(total: number, concurrency: number): Promise<{ hashesPerSec: number; secs: number }> {
  const pepper = randomBytes(32);
  const pins = Array.from({ length: total }, (_, i) => String(100000 + ((i * 7919) % 900000)));
  for (let i = 0; i < concurrency * 2; i++) await argon2.hash('123456', { ...ARGON2_OPTIONS, secret: pepper }); // warm-up
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const pin = pins[next++] as string;
        await argon2.hash(pin, { ...ARGON2_OPTIONS, secret: pepper });
      }
    }),
  );
  const secs = (performance.now() - t0) / 1000;
  return { hashesPerSec: total / secs, secs };
}

/** The console's path, as the Extensions screen drives it (minus the browser). */
async function throughConsole(url: string, password: string, numbers: string[], dir: string) {
  const { store: secrets } = memorySecretStore({ message: 'bench' });
  const profiles = new ProfileStore({ cwd: dir });
  profiles.save({ name: 'Bench PBX', url, username: 'admin', tls: { mode: 'system' } });
  const connection = new ConnectionManager(secrets, { onStatus: () => undefined, onPbxEvent: () => undefined });
  const router = createRouter(createHandlers({ mode: 'browser', version: 'bench', profiles, secrets, connection, embedded: null }));
  const c = await router.handle('connection.connect', { profileId: 'bench-pbx', password });
  if (!c.ok) throw new Error(`connect: ${c.error.message}`);
  try {
    const t0 = performance.now();
    const s = await runBulk({
      numbers,
      send: async (chunk) => {
        const env = await router.handle('credentials.bulkResetVoicemailPin', { numbers: chunk });
        if (!env.ok) throw Object.assign(new Error(env.error.message), { body: env.error as ErrorBody });
        return env.value as BulkResetResponse;
      },
    });
    const secs = (performance.now() - t0) / 1000;
    if (s.ok !== numbers.length) throw new Error(`console path: only ${s.ok} of ${numbers.length} reset`);
    return { resetsPerSec: numbers.length / secs, secs, busyAnswers: s.busyAnswers };
  } finally {
    await connection.disconnect(false);
  }
}

async function main() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'warden-bench-bulk-'));
  const tsx = path.join(root, 'node_modules/tsx/dist/cli.mjs');
  const pbx = await startChild([tsx, 'server/cli.ts', '--data-dir', dir, '--seed', String(COUNT * 2)], {}, /not be shown again/);
  try {
    const { password: pw, auth } = await adminSignIn(pbx);

    const numbers: string[] = [];
    for (let cursor: string | null = null; numbers.length < COUNT * 2; ) {
      const q: string = `${pbx.url}/api/v1/extensions?limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const page = (await (await fetch(q, { headers: auth })).json()) as ExtensionList;
      numbers.push(...page.items.filter((e) => e.status === 'active').map((e) => e.number));
      if (!page.nextCursor) break;
      cursor = page.nextCursor;
    }
    if (numbers.length < COUNT * 2) throw new Error(`only ${numbers.length} active extensions`);
    const viaConsole = numbers.slice(COUNT, COUNT * 2);
    numbers.length = COUNT;

    // (a) the floor: raw argon2id in this process, at concurrency = cores — half before and half after the
    // bulk request, so a change in machine load during the run weighs on both figures alike
    const rawBefore = await rawHashRate(Math.ceil(COUNT / 2), CORES);

    // (b) the endpoint: one bulk request for all of them
    const t0 = performance.now();
    const r = await fetch(`${pbx.url}${'/api/v1/credentials/voicemail-pin/reset'}`, {
      method: 'POST', headers: { ...auth, 'Content-Type': 'application/json' }, body: JSON.stringify({ numbers }),
    });
    const body = (await r.json()) as BulkResetResponse;
    const secs = (performance.now() - t0) / 1000;
    if (r.status !== 200) throw new Error(`HTTP ${r.status}: ${JSON.stringify(body)}`);
    if (body.done !== COUNT) throw new Error(`only ${body.done} of ${COUNT} reset: ${JSON.stringify(body.results.find((x) => !x.ok))}`);
    const resetsPerSec = COUNT / secs;
    const consolePath = await throughConsole(pbx.url, pw, viaConsole, dir);
    const rawAfter = await rawHashRate(Math.floor(COUNT / 2), CORES);
    const raw = { hashesPerSec: COUNT / (rawBefore.secs + rawAfter.secs), secs: rawBefore.secs + rawAfter.secs };

    writeResult('bulk-reset', {
      what: `POST /api/v1/credentials/voicemail-pin/reset with ${COUNT} numbers (one request, every default hash pending), vs raw argon2id (m=19456, t=2, p=1, pepper) at concurrency ${CORES} (= cores) for ${COUNT} hashes (half before, half after the bulk request), same run`,
      extensions: COUNT,
      cores: CORES,
      bulk: { resetsPerSec: round(resetsPerSec, 1), secs: round(secs, 2), done: body.done, failed: body.failed },
      rawArgon2id: {
        hashesPerSec: round(raw.hashesPerSec, 1),
        secs: round(raw.secs, 2),
        beforeHashesPerSec: round(rawBefore.hashesPerSec, 1),
        afterHashesPerSec: round(rawAfter.hashesPerSec, 1),
      },
      ratio: round(resetsPerSec / raw.hashesPerSec, 3),
      console: {
        what: `${COUNT} other numbers through the console: renderer runner (chunks of 25, 2 in flight) → RPC router → PBX client → PBX`,
        resetsPerSec: round(consolePath.resetsPerSec, 1),
        secs: round(consolePath.secs, 2),
        busyAnswers: consolePath.busyAnswers,
        ratio: round(consolePath.resetsPerSec / raw.hashesPerSec, 3),
      },
    });
  } finally {
    pbx.child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

void main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});

// The console's bulk PIN reset path end to end below the UI: the renderer's runner (lib/bulkRunner.ts)
// sending through the console's RPC router and PBX client to the REAL reference PBX, whose argon2 gate is
// made small and held full (test/helpers/server.ts saturate), so that it answers 429.
// The runner must wait out Retry-After (carried to the renderer as error.retryAfterSeconds) and still
// reset every number, with per-item results for inactive numbers.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BulkResetResponse } from '../../shared/api.js';
import type { Extension } from '../../shared/domain.js';
import type { ErrorBody } from '../../shared/errors.js';
import { ConnectionManager } from '../../main/core/connection.js';
import { ProfileStore } from '../../main/core/profiles.js';
import { createHandlers, type ConsoleServices } from '../../main/rpc/handlers.js';
import { createRouter, type Router } from '../../main/rpc/router.js';
import { runBulk } from '../../renderer/src/lib/bulkRunner.js';
import { saturate, startTestPbx, type TestPbx } from '../helpers/server.js';
import { memorySecretStore } from '../support/memory-secrets.js';

let pbx: TestPbx;
let dir: string;
let router: Router;
let services: ConsoleServices;

// The keychain is not the subject here: an in-memory secret store (a fake of one module).
const { store: secrets } = memorySecretStore();

class Refused extends Error {
  constructor(readonly body: ErrorBody) {
    super(body.message);
  }
}

/** What the renderer's `call` does with an envelope. */
async function send(numbers: string[]): Promise<BulkResetResponse> {
  const env = await router.handle('credentials.bulkResetVoicemailPin', { numbers });
  if (!env.ok) throw new Refused(env.error);
  return env.value as BulkResetResponse;
}

beforeAll(async () => {
  // One hashing slot and a queue of 16: a flood of sign-ins in flight fill it.
  pbx = await startTestPbx({ hasherLimits: { concurrency: 1, queue: 16 } });
  dir = mkdtempSync(path.join(os.tmpdir(), 'warden-bulk-'));
  const profiles = new ProfileStore({ cwd: dir });
  profiles.save({ name: 'Test PBX', url: pbx.url, username: 'admin', tls: { mode: 'system' } });
  const connection = new ConnectionManager(secrets, { onStatus: () => undefined, onPbxEvent: () => undefined }, { retries: 0 });
  services = { mode: 'browser', version: 't', profiles, secrets, connection, embedded: null };
  router = createRouter(createHandlers(services));
  const res = await router.handle('connection.connect', { profileId: 'test-pbx', password: pbx.adminPassword });
  expect(res.ok).toBe(true);
});

afterAll(async () => {
  await services?.connection.disconnect(false);
  await pbx?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('bulk reset from the console against a busy PBX', () => {
  it('a 429 reaches the renderer with retryAfterSeconds, and nothing of that request was applied', async () => {
    const all = (await pbx.api<{ items: Extension[] }>('GET', '/api/v1/extensions?limit=1000&site=hq')).json.items;
    const active = all.filter((e) => e.status === 'active');
    const victim = active[5]!;
    const put = await pbx.api<Extension>('PUT', `/api/v1/extensions/${victim.number}/credentials/voicemail_pin`, { ifMatch: victim.etag, body: { value: '90817' } });
    expect(put.status).toBe(200);
    const gate = saturate(pbx.hasher);
    const b = await router.handle('credentials.bulkResetVoicemailPin', { numbers: [victim.number] });
    gate.release();
    expect(b.ok).toBe(false);
    if (!b.ok) {
      expect(b.error.code).toBe('rate_limited');
      expect(b.error.message).toMatch(/busy/);
      expect(b.error.retryAfterSeconds).toBeGreaterThan(0);
    }
    // Refused whole: the victim still has its own PIN.
    expect((await pbx.extension(victim.number)).credentials?.voicemail_pin.isDefault).toBe(false);
  });

  it('the runner resets 150 numbers through 429s, honouring Retry-After, with per-item results', async () => {
    const rows = (await pbx.api<{ items: Extension[] }>('GET', '/api/v1/extensions?limit=1000')).json.items;
    const numbers = rows.slice(0, 150).map((e) => e.number);
    const inactive = new Set(rows.slice(0, 150).filter((e) => e.status !== 'active').map((e) => e.number));
    // Give the active ones a custom PIN first (straight through the API), so the reset is observable.
    const target = rows.slice(0, 150).filter((e) => e.status === 'active');
    for (const e of target.slice(0, 20)) {
      // Random six-digit PINs until the policy takes one (repeats, runs and history may refuse a few).
      let status = 0;
      for (let tries = 0; tries < 10 && status !== 200; tries++) {
        const value = String(100000 + Math.floor(Math.random() * 900000));
        status = (await pbx.api('PUT', `/api/v1/extensions/${e.number}/credentials/voicemail_pin`, { ifMatch: e.etag, body: { value } })).status;
      }
      expect(status).toBe(200);
    }
    // the gate is full for the first 1.2 s: the runner meets 429s, waits them out and carries on
    const gate = saturate(pbx.hasher);
    const opened = new Promise<void>((resolve) => setTimeout(() => { gate.release(); resolve(); }, 1200));
    const s = await runBulk({ numbers, send, chunkSize: 25, concurrency: 2 });
    await opened;
    expect(s.busyAnswers).toBeGreaterThan(0);
    expect(s.notStarted).toBe(0);
    expect(s.ok).toBe(150 - inactive.size);
    expect(s.failed).toBe(inactive.size);
    for (const it of s.items) {
      if (inactive.has(it.number)) expect(it).toMatchObject({ state: 'failed', code: 'extension_inactive' });
      else expect(it.state).toBe('ok');
    }
    // The PBX agrees: every active one is on its default PIN again.
    const after = (await pbx.api<{ items: Extension[] }>('GET', '/api/v1/extensions?limit=1000')).json.items.slice(0, 150);
    for (const e of after) if (e.status === 'active') expect(e.credentials?.voicemail_pin.isDefault, e.number).toBe(true);
  });
});

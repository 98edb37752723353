// The console's core against the REAL reference PBX: login, local index, live events, re-login on
// expiry, 412 with both versions, offline → back online with backoff.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routes } from '../../shared/api.js';
import { AppError } from '../../shared/errors.js';
import type { PbxEvent } from '../../shared/events.js';
import type { ConnectionStatus, Profile } from '../../shared/rpc.js';
import { ConnectionManager } from '../../main/core/connection.js';
import { PbxClient } from '../../main/core/pbx-client.js';
import { startPbxServer } from '../../server/index.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'warden-core-'));
let now = Date.now();
const clock = () => new Date(now);
let server: Awaited<ReturnType<typeof startPbxServer>>;
let password: string;
const events: PbxEvent[] = [];
const statuses: ConnectionStatus[] = [];
let secretStore: Record<string, string> = {};
let manager: ConnectionManager;
let profile: Profile;

async function adminToken(): Promise<string> {
  const c = new PbxClient({ baseUrl: server.url });
  const t = (await c.call(routes.createSession, { body: { username: 'admin', password } })).data.token;
  c.close();
  return t;
}

beforeAll(async () => {
  server = await startPbxServer({ dataDir: dir, seed: 'demo', clock, quiet: true });
  password = server.initialAdminPassword!;
  profile = { id: 'local', name: 'Local PBX', url: server.url, username: 'admin', kind: 'embedded', tls: { mode: 'system' } };
  manager = new ConnectionManager(
    { get: async (k) => secretStore[k] ?? null },
    { onStatus: (s) => statuses.push(s), onPbxEvent: (e) => events.push(e) },
    { backoffMs: 20, retries: 2 },
  );
});

afterAll(async () => {
  await manager.disconnect(false);
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('connection manager against the reference PBX', () => {
  it('refuses a wrong password with a typed error and stays disconnected', async () => {
    await expect(manager.connect(profile, 'wrong-password')).rejects.toMatchObject({ code: 'invalid_credentials' });
    expect(manager.getStatus().state).toBe('disconnected');
  });

  it('asks for the password when none is saved', async () => {
    await expect(manager.connect(profile)).rejects.toMatchObject({ code: 'secret_missing' });
  });

  it('connects with the saved password and loads every extension page by page', async () => {
    secretStore = { 'pbx-password:local:admin@scope-1': password };
    const st = await manager.connect(profile, undefined, 'scope-1');
    expect(st).toMatchObject({ state: 'online', username: 'admin', role: 'admin' });
    const all = await manager.allExtensions();
    expect(all).toHaveLength(300);
    expect(new Set(all.map((e) => e.number)).size).toBe(300);
  });

  it('receives live protection events made elsewhere within a second', async () => {
    const all = await manager.allExtensions();
    const ext = all.find((e) => e.type === 'phone_terminal' && !e.protection.enabled)!;
    const other = new PbxClient({ baseUrl: server.url });
    const token = await adminToken();
    const before = events.length;
    const t0 = Date.now();
    await other.call(routes.setProtection, { token, params: { number: ext.number }, ifMatch: ext.etag, body: { enabled: true, password: '5519' } });
    await expect.poll(() => events.slice(before).some((e) => e.type === 'protection.changed' && e.number === ext.number), { timeout: 1000, interval: 10 }).toBe(true);
    expect(Date.now() - t0).toBeLessThan(1000);
    other.close();
  });

  it('a stale ETag gives 412 with the current version (both versions can be shown)', async () => {
    const ext = (await manager.allExtensions()).find((e) => e.protection.enabled && e.type === 'phone_terminal')!;
    const fresh = (await manager.call(routes.getExtension, { params: { number: ext.number } })).data;
    await manager.call(fresh.protection.state === 'blocked' ? routes.unblockExtension : routes.blockExtension, { params: { number: ext.number }, ifMatch: fresh.etag });
    const err = await manager.call(routes.blockExtension, { params: { number: ext.number }, ifMatch: fresh.etag }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('precondition_failed');
    expect((err as AppError).status).toBe(412);
    expect((err as AppError).extra?.current).toMatchObject({ number: ext.number });
    expect((err as AppError).extra?.currentEtag).not.toBe(fresh.etag);
  });

  it('logs in again by itself when the session expires', async () => {
    now += 13 * 3600_000; // past the 12 h token validity
    const sites = (await manager.call(routes.listSites)).data;
    expect(sites.items.length).toBe(3);
    now = Date.now();
  });

  it('goes offline when the PBX stops and comes back online by itself', async () => {
    const port = server.port;
    await server.close();
    await expect(manager.call(routes.listSites)).rejects.toMatchObject({ code: 'pbx_unreachable' });
    await expect.poll(() => manager.getStatus().state, { timeout: 5000 }).toBe('offline');
    expect(manager.getStatus().retryAt).toBeGreaterThan(0);
    server = await startPbxServer({ dataDir: dir, port, clock, quiet: true });
    expect(server.initialAdminPassword).toBeNull();
    await expect.poll(() => manager.getStatus().state, { timeout: 40_000, interval: 100 }).toBe('online');
    expect((await manager.call(routes.listSites)).data.items.length).toBe(3);
  });
});

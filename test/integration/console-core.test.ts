// The console's core against the REAL reference PBX: login, local index, live events, re-login on
// expiry, 412 with both versions, offline → back online with backoff.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { routes } from '../../shared/api.js';
import { AppError } from '../../shared/errors.js';
import type { PbxEvent } from '../../shared/events.js';
import type { ConnectionStatus, Profile } from '../../shared/rpc.js';
import { ConnectionManager } from '../../main/core/connection.js';
import { PbxClient } from '../../main/core/pbx-client.js';
import { startPbxServer } from '../../server/index.js';
import { startTestPbx } from '../helpers/server.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'warden-core-'));
let now = Date.now();
const clock = () => new Date(now);
let server: Awaited<ReturnType<typeof startPbxServer>>;
let password: string;
const events: PbxEvent[] = [];
const statuses: ConnectionStatus[] = [];
let secretStore: Record<string, string> = {};
let secretReads = 0;
let manager: ConnectionManager;
let profile: Profile;

/** Revoke a session as another console would (DELETE /api/v1/session with that token). */
async function revoke(token: string): Promise<void> {
  const c = new PbxClient({ baseUrl: server.url });
  await c.call(routes.deleteSession, { token });
  c.close();
}

/** Change protection of one phone terminal from another console; returns its number. */
async function changeElsewhere(exclude: string[] = []): Promise<string> {
  const token = await adminToken();
  const c = new PbxClient({ baseUrl: server.url });
  const list = (await c.call(routes.listExtensions, { token, query: { limit: 1000, type: 'phone_terminal', protection: 'off' } })).data;
  const ext = list.items.find((e) => !exclude.includes(e.number))!;
  await c.call(routes.setProtection, { token, params: { number: ext.number }, ifMatch: ext.etag, body: { enabled: true, password: '4812' } });
  c.close();
  return ext.number;
}

const changedEvent = (number: string, from = 0) => () =>
  events.slice(from).filter((e) => e.type === 'protection.changed' && e.number === number).length;

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
    {
      get: async (k) => {
        secretReads++;
        return secretStore[k] ?? null;
      },
    },
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

  it('an idle console whose session is revoked logs in again by itself and the stream resumes (no RPC call)', async () => {
    const callSpy = vi.spyOn(manager, 'call');
    const before = events.length;
    const statusesBefore = statuses.length;
    const oldToken = manager.sessionToken!;
    await revoke(oldToken); // the PBX ends the stream at once; the reconnect gets 401
    // a change made while the stream is down is replayed after Last-Event-ID (or arrives live)
    const number = await changeElsewhere();
    await expect.poll(() => manager.sessionToken !== oldToken && manager.getStatus().state === 'online', { timeout: 10_000, interval: 20 }).toBe(true);
    await expect.poll(changedEvent(number, before), { timeout: 5000, interval: 20 }).toBe(1);
    // a later event arrives on the resumed stream, still without any call from the UI
    const later = await changeElsewhere([number]);
    await expect.poll(changedEvent(later, before), { timeout: 2000, interval: 20 }).toBe(1);
    expect(statuses.slice(statusesBefore).some((s) => s.message?.includes('HTTP'))).toBe(false);
    expect(callSpy).not.toHaveBeenCalled();
    callSpy.mockRestore();
  });

  it('logs in again by itself when the session expires', async () => {
    now += 13 * 3600_000; // past the 12 h token validity
    const sites = (await manager.call(routes.listSites)).data;
    expect(sites.items.length).toBe(3);
    now = Date.now();
  });

  it('an idle console whose session expires (fake clock) logs in again when the PBX ends the stream', async () => {
    const callSpy = vi.spyOn(manager, 'call');
    const oldToken = manager.sessionToken!;
    const statusesBefore = statuses.length;
    // Past the 12 h validity of every token issued so far (one was issued at +13 h above): the PBX ends
    // the stream at its next heartbeat (≤ 15 s), and refuses the reconnect with 401.
    now = Date.now() + 30 * 3600_000;
    await expect.poll(() => statuses.slice(statusesBefore).some((s) => s.state === 'offline'), { timeout: 20_000, interval: 50 }).toBe(true);
    await expect.poll(() => manager.sessionToken !== oldToken && manager.getStatus().state === 'online', { timeout: 10_000, interval: 20 }).toBe(true);
    const before = events.length;
    const number = await changeElsewhere();
    await expect.poll(changedEvent(number, before), { timeout: 2000, interval: 20 }).toBe(1);
    expect(callSpy).not.toHaveBeenCalled();
    callSpy.mockRestore();
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

  it('a saved password the PBX refuses on re-login is not retried: disconnected, stream stopped, clear message', async () => {
    expect(manager.getStatus().state).toBe('online');
    const key = 'pbx-password:local:admin@scope-1';
    secretStore = { [key]: 'a-password-that-no-longer-works' }; // as if the password was changed on the PBX
    const oldToken = manager.sessionToken!;
    await revoke(oldToken);
    await expect.poll(() => manager.getStatus().state, { timeout: 10_000, interval: 20 }).toBe('disconnected');
    expect(manager.getStatus()).toMatchObject({
      profileId: 'local',
      message: 'The saved password for Local PBX was refused; enter it again',
      retryAt: null,
    });
    const reads = secretReads;
    const before = events.length;
    const number = await changeElsewhere();
    await new Promise((r) => setTimeout(r, 2500)); // several backoff periods: nothing retries
    expect(secretReads).toBe(reads);
    expect(manager.getStatus().state).toBe('disconnected');
    expect(changedEvent(number, before)()).toBe(0);
    await expect(manager.call(routes.listSites)).rejects.toMatchObject({ code: 'not_connected' });
    secretStore = { [key]: password };
  });

  it('two quick connects to two PBXs: the last one wins and the other PBX feeds no events', async () => {
    const other = await startTestPbx();
    try {
      const otherProfile: Profile = { id: 'other', name: 'Other PBX', url: other.url, username: 'admin', kind: 'remote', tls: { mode: 'system' } };
      const results = await Promise.allSettled([manager.connect(profile, undefined, 'scope-1'), manager.connect(otherProfile, other.adminPassword)]);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled']);
      expect(manager.getStatus()).toMatchObject({ state: 'online', profileId: 'other', server: other.serverName });
      const before = events.length;
      const onFirst = await changeElsewhere(); // on the PBX that is no longer connected
      const ext = (await other.api<{ items: { number: string; etag: string }[] }>('GET', '/api/v1/extensions?type=phone_terminal&protection=off&limit=50')).json.items.find((e) => e.number !== onFirst)!;
      const r = await other.api('PUT', `/api/v1/extensions/${ext.number}/protection`, { ifMatch: ext.etag, body: { enabled: true, password: '7391' } });
      expect(r.status).toBe(200);
      await expect.poll(changedEvent(ext.number, before), { timeout: 2000, interval: 20 }).toBe(1);
      await new Promise((res) => setTimeout(res, 300));
      expect(changedEvent(onFirst, before)()).toBe(0);
      expect(changedEvent(ext.number, before)()).toBe(1);
    } finally {
      await manager.disconnect(false);
      await other.cleanup();
    }
  });
});

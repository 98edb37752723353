// Issue 6: the console's own session against the REAL reference PBX — the token is kept in the secret store
// (the keychain in the app), refreshed before it expires without a gap in the live events or an "offline"
// moment (so no screen is lost), reused by the next run while valid, and forgotten on disconnect.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routes } from '../../shared/api.js';
import type { PbxEvent } from '../../shared/events.js';
import type { ConnectionStatus, Profile } from '../../shared/rpc.js';
import { ConnectionManager, refreshLeadMs, tokenKeyFor } from '../../main/core/connection.js';
import { PbxClient } from '../../main/core/pbx-client.js';
import { startPbxServer } from '../../server/index.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'warden-session-'));
/**
 * The PBX's clock runs 292 s behind: with a 5-minute token validity its tokens expire 8 s from (real) now,
 * so the console's refresh (2 s before expiry) happens within the test.
 */
const clock = () => new Date(Date.now() - 292_000);
let server: Awaited<ReturnType<typeof startPbxServer>>;
let password: string;
const secrets = new Map<string, string>();
const store = {
  get: async (k: string) => secrets.get(k) ?? null,
  set: async (k: string, v: string) => void secrets.set(k, v),
  delete: async (k: string) => void secrets.delete(k),
};
let profile: Profile;

const admin = async () => {
  const c = new PbxClient({ baseUrl: server.url });
  const t = (await c.call(routes.createSession, { body: { username: 'admin', password } })).data.token;
  return { c, t };
};
const sessionsOnPbx = async (): Promise<number> => {
  const { c, t } = await admin();
  const n = (await c.call(routes.listTokens, { token: t })).data.items.length - 1;
  await c.call(routes.deleteSession, { token: t });
  c.close();
  return n;
};

beforeAll(async () => {
  server = await startPbxServer({ dataDir: dir, seed: 'demo', clock, quiet: true });
  password = server.initialAdminPassword!;
  profile = { id: 'p1', name: 'Branch PBX', url: server.url, username: 'admin', kind: 'remote', tls: { mode: 'system' } };
  secrets.set('pbx-password:p1:admin@scope', password);
  // the admin's tokens last 5 minutes on this PBX
  const { c, t } = await admin();
  const me = await c.call(routes.getLoginSettings, { token: t });
  await c.call(routes.setLoginSettings, {
    token: t, ifMatch: me.data.etag,
    body: { username: 'admin', emails: '', apiAccess: false, tokenValidityMinutes: 5 },
  });
  await c.call(routes.deleteSession, { token: t });
  c.close();
});

afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the console session', () => {
  it('refreshes a few seconds before expiry: new token, kept in the store, events keep flowing, never offline', async () => {
    const statuses: ConnectionStatus[] = [];
    const events: PbxEvent[] = [];
    const m = new ConnectionManager(store, { onStatus: (s) => statuses.push(s), onPbxEvent: (e) => events.push(e) }, { backoffMs: 20, retries: 1 });
    try {
      await m.connect(profile, undefined, 'scope');
      const first = m.sessionToken!;
      const key = tokenKeyFor(profile, 'scope');
      expect(JSON.parse(secrets.get(key)!)).toMatchObject({ token: first });
      const expires = m.sessionExpiresAt!;
      expect(expires - Date.now()).toBeLessThan(9_000);
      await expect.poll(() => m.sessionToken, { timeout: 12_000, interval: 100 }).not.toBe(first);
      // refreshed before the old one expired, and the new one is what the store holds
      expect(Date.now()).toBeLessThan(expires);
      expect(JSON.parse(secrets.get(key)!)).toMatchObject({ token: m.sessionToken });
      expect(m.sessionExpiresAt!).toBeGreaterThan(expires);
      // the old token is refused; calls go on with the new one
      const c = new PbxClient({ baseUrl: server.url });
      await expect(c.call(routes.getSession, { token: first })).rejects.toMatchObject({ code: 'unauthorized' });
      c.close();
      const before = events.length;
      // the same live stream delivers an event made after the refresh (it was moved to the new token)
      const { c: other, t } = await admin();
      await expect.poll(() => events.slice(before).some((e) => e.type === 'token.changed'), { timeout: 2000, interval: 20 }).toBe(true);
      await other.call(routes.deleteSession, { token: t });
      other.close();
      expect(statuses.map((s) => s.state)).not.toContain('offline');
      expect(m.getStatus().state).toBe('online');
    } finally {
      await m.disconnect(false);
    }
  }, 30_000);

  it('a next run reuses the kept token while it is valid (no new login); disconnect logs out and forgets it', async () => {
    const a = new ConnectionManager(store, { onStatus: () => undefined, onPbxEvent: () => undefined }, { retries: 0 });
    await a.connect(profile, undefined, 'scope');
    const token = a.sessionToken!;
    const before = await sessionsOnPbx();
    // the app dies without logging out (crash, kill): the token stays in the store
    const b = new ConnectionManager(store, { onStatus: () => undefined, onPbxEvent: () => undefined }, { retries: 0 });
    await b.connect(profile, undefined, 'scope');
    expect(b.sessionToken).toBe(token);
    expect(await sessionsOnPbx()).toBe(before);
    await b.disconnect(false);
    expect(secrets.has(tokenKeyFor(profile, 'scope'))).toBe(false);
    const c = new PbxClient({ baseUrl: server.url });
    await expect(c.call(routes.getSession, { token })).rejects.toMatchObject({ code: 'unauthorized' });
    c.close();
    await a.disconnect(false);
  });

  it('a kept token that the PBX no longer accepts is dropped and the saved password logs in', async () => {
    const key = tokenKeyFor(profile, 'scope');
    secrets.set(key, JSON.stringify({ token: 'x'.repeat(43), expiresAt: new Date(Date.now() + 3_600_000).toISOString() }));
    const m = new ConnectionManager(store, { onStatus: () => undefined, onPbxEvent: () => undefined }, { retries: 0 });
    await m.connect(profile, undefined, 'scope');
    expect(m.sessionToken).not.toBe('x'.repeat(43));
    expect(JSON.parse(secrets.get(key)!)).toMatchObject({ token: m.sessionToken });
    await m.disconnect(false);
  });

  it('a rename of the signed-in account moves the kept token to the new name\'s entry', async () => {
    const m = new ConnectionManager(store, { onStatus: () => undefined, onPbxEvent: () => undefined }, { retries: 0 });
    await m.connect(profile, undefined, 'scope');
    const oldKey = tokenKeyFor(profile, 'scope');
    expect(secrets.has(oldKey)).toBe(true);
    m.accountChanged({ username: 'chief' });
    const newKey = tokenKeyFor({ ...profile, username: 'chief' }, 'scope');
    await expect.poll(() => secrets.has(newKey)).toBe(true);
    expect(secrets.has(oldKey)).toBe(false);
    expect(JSON.parse(secrets.get(newKey)!)).toMatchObject({ token: m.sessionToken });
    await m.disconnect(false);
    expect(secrets.has(newKey)).toBe(false);
  });

  it('the refresh lead: a fifth of the lifetime, between 2 s and 5 minutes', () => {
    expect(refreshLeadMs(8_000)).toBe(2_000);
    expect(refreshLeadMs(60_000)).toBe(12_000);
    expect(refreshLeadMs(12 * 3_600_000)).toBe(300_000);
  });
});

// Roles on the real reference PBX: the seeded receptionist (site hq) may call exactly the routes whose
// `roles` list it in the route table — every other session route answers 403 forbidden before looking at
// the input — and sees and acts on extensions of its sites only (others are 404, not 403).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathFor, rolesOf, routes, type ExtensionList, type RouteDef } from '../../shared/api.js';
import type { Extension, Site } from '../../shared/domain.js';
import { startPbxServer, type PbxServer } from '../../server/index.js';
import { errorOf, httpRequest, openEventStream, type HttpResult } from '../helpers/server.js';

/** The routes a receptionist may call (SPEC F5 / issue 3): read, block/unblock, default PIN, reset, events, log out; lockouts; hot desking. */
const RECEPTIONIST_ROUTES = [
  'getSession',
  'deleteSession',
  'listSites',
  'listExtensions',
  'getExtension',
  'blockExtension',
  'unblockExtension',
  'getDefaultVoicemailPin',
  'resetVoicemailPin',
  'bulkResetVoicemailPin',
  'events',
  // SPEC F3: receptionists reset lockouts and unban addresses
  'listExtensionLocks',
  'resetExtensionLocks',
  'listAddressBans',
  'unbanAddresses',
  // SPEC F4: receptionists see the hot-desk table and phones, and log phones out
  'listHotDesk',
  'listDevices',
  'forceLogout',
  // issue 6: every account lists and revokes its own login tokens
  'listTokens',
  'revokeTokens',
  // issue 6: every account refreshes its session, sees and changes its own login settings and password, and
  // has passkeys of its own
  'refreshSession',
  'setOwnPassword',
  'getLoginSettings',
  'setLoginSettings',
  'listPasskeys',
  'deletePasskeys',
  'passkeyRegistrationOptions',
  'registerPasskey',
].sort();

describe('roles: admin and receptionist', () => {
  let dir: string;
  let server: PbxServer;
  let adminToken: string;
  let receptionToken: string;

  const login = async (username: string, password: string) => {
    const r = await httpRequest<{ token: string; role: string }>(`${server.url}/api/v1/session`, {
      method: 'POST',
      body: { username, password },
    });
    expect(r.status, r.text).toBe(201);
    return r.json;
  };
  const api = <T = unknown>(
    token: string,
    method: string,
    path: string,
    o: { body?: unknown; ifMatch?: string } = {},
  ): Promise<HttpResult<T>> => {
    const headers: Record<string, string> = { authorization: `Bearer ${token}` };
    if (o.ifMatch !== undefined) headers['if-match'] = o.ifMatch;
    return httpRequest<T>(`${server.url}${path}`, { method, headers, body: o.body });
  };
  const ext = async (number: string): Promise<Extension> => {
    const r = await api<Extension>(adminToken, 'GET', `/api/v1/extensions/${number}`);
    expect(r.status, r.text).toBe(200);
    return r.json;
  };
  /** An active hq phone terminal with a mailbox (admin view). */
  const activeWithMailbox = async (site: string, skip: string[] = []): Promise<Extension> => {
    const r = await api<ExtensionList>(adminToken, 'GET', `/api/v1/extensions?site=${site}&type=phone_terminal&limit=100`);
    const e = r.json.items.find((x) => x.status === 'active' && x.voicemail && !x.protection.enabled && !skip.includes(x.number));
    if (!e) throw new Error(`no active mailbox in ${site}`);
    return e;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pbx-warden-roles-'));
    server = await startPbxServer({ dataDir: dir, seed: 'demo', quiet: true });
    expect(server.initialAdminPassword).toMatch(/^[A-Za-z2-9]{20}$/);
    expect(server.initialReceptionistPassword).toMatch(/^[A-Za-z2-9]{20}$/);
    adminToken = (await login('admin', server.initialAdminPassword as string)).token;
    const rec = await login('reception', server.initialReceptionistPassword as string);
    expect(rec.role).toBe('receptionist');
    receptionToken = rec.token;
  });

  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the route table lists exactly the receptionist routes; every other session route is admin only', () => {
    const allowed = Object.entries(routes as Record<string, RouteDef>)
      .filter(([, def]) => def.auth === 'session' && rolesOf(def).includes('receptionist'))
      .map(([name]) => name)
      .sort();
    expect(allowed).toEqual(RECEPTIONIST_ROUTES);
    for (const def of Object.values(routes as Record<string, RouteDef>)) {
      if (def.auth === 'session') expect(rolesOf(def)).toContain('admin');
    }
  });

  it('every session route a receptionist may not call answers 403 forbidden with a clear message, before validation', async () => {
    const forbidden = Object.entries(routes as Record<string, RouteDef>).filter(
      ([, def]) => def.auth === 'session' && !rolesOf(def).includes('receptionist'),
    );
    expect(forbidden.length).toBeGreaterThan(0);
    const before = await ext('1001');
    for (const [name, def] of forbidden) {
      const path = pathFor(def.path, { number: '1001', kind: 'voicemail_pin', id: '1', siteId: 'hq', username: 'reception' });
      // a body that would be valid for some routes and invalid for others: 403 either way
      const r = await api(receptionToken, def.method, path, {
        ...(def.method === 'GET' ? {} : { body: { nonsense: true } }),
        ...(def.ifMatch ? { ifMatch: '*' } : {}),
      });
      expect(r.status, `${name}: ${r.text}`).toBe(403);
      const err = errorOf(r);
      expect(err.code, name).toBe('forbidden');
      expect(err.message, name).toMatch(/^A receptionist cannot /);
      // the admin may call the same route (not 403)
      const a = await api(adminToken, def.method, path, def.ifMatch ? { ifMatch: '"stale"', body: {} } : {});
      expect(a.status, `${name} as admin: ${a.text}`).not.toBe(403);
    }
    expect(errorOf(await api(receptionToken, 'PUT', '/api/v1/policies/pin/voicemail_pin', { ifMatch: '*', body: {} })).message).toBe(
      'A receptionist cannot change PIN policies',
    );
    expect(await ext('1001')).toEqual(before);
  });

  it('every route a receptionist may call works for an extension of its site', async () => {
    const me = await api<{ role: string; username: string }>(receptionToken, 'GET', '/api/v1/session');
    expect(me.status).toBe(200);
    expect(me.json).toMatchObject({ role: 'receptionist', username: 'reception' });

    expect((await api(receptionToken, 'GET', '/api/v1/sites')).status).toBe(200);
    expect((await api(receptionToken, 'GET', '/api/v1/extensions?search=100')).status).toBe(200);
    const got = await api<Extension>(receptionToken, 'GET', '/api/v1/extensions/1003');
    expect(got.status, got.text).toBe(200);

    // 1003 is protected (unrestricted) in the demo data
    const blocked = await api<Extension>(receptionToken, 'POST', '/api/v1/extensions/1003/protection/block', { ifMatch: got.json.etag });
    expect(blocked.status, blocked.text).toBe(200);
    expect(blocked.json.protection.state).toBe('blocked');
    expect(blocked.json.protection.changedBy).toBe('reception');
    const unblocked = await api<Extension>(receptionToken, 'POST', '/api/v1/extensions/1003/protection/unblock', {
      ifMatch: blocked.json.etag,
    });
    expect(unblocked.status, unblocked.text).toBe(200);
    expect(unblocked.json.protection.state).toBe('unrestricted');

    const mailbox = await activeWithMailbox('hq');
    const pin = await api<{ defaultPin: string }>(receptionToken, 'GET', `/api/v1/extensions/${mailbox.number}/credentials/voicemail-pin/default`);
    expect(pin.status, pin.text).toBe(200);
    expect(pin.json.defaultPin).toMatch(/^[0-9]+$/);
    const reset = await api<Extension>(receptionToken, 'POST', `/api/v1/extensions/${mailbox.number}/credentials/voicemail-pin/reset`, {
      ifMatch: mailbox.etag,
    });
    expect(reset.status, reset.text).toBe(200);
    expect(reset.json.credentials?.voicemail_pin.isDefault).toBe(true);

    const stream = await openEventStream(server.url, receptionToken);
    expect(stream.status).toBe(200);
    await stream.waitFor((e) => e.type === 'hello');
    stream.close();

    // log out last, with a session of its own
    const other = await login('reception', server.initialReceptionistPassword as string);
    expect((await api(other.token, 'DELETE', '/api/v1/session')).status).toBe(204);
    expect((await api(other.token, 'GET', '/api/v1/session')).status).toBe(401);
  });

  it('site scoping: a receptionist of hq lists only hq sites and extensions', async () => {
    const sites = await api<{ items: Site[]; total: number }>(receptionToken, 'GET', '/api/v1/sites');
    expect(sites.json.items.map((s) => s.id)).toEqual(['hq']);
    expect(sites.json.total).toBe(1);
    const adminSites = await api<{ items: Site[] }>(adminToken, 'GET', '/api/v1/sites');
    expect(adminSites.json.items.map((s) => s.id)).toEqual(['hq', 'north', 'south']);

    const all = await api<ExtensionList>(receptionToken, 'GET', '/api/v1/extensions?limit=1000');
    expect(all.status).toBe(200);
    expect(all.json.total).toBe(100);
    expect(all.json.items).toHaveLength(100);
    expect(new Set(all.json.items.map((e) => e.siteId))).toEqual(new Set(['hq']));
    const adminAll = await api<ExtensionList>(adminToken, 'GET', '/api/v1/extensions?limit=1000');
    expect(adminAll.json.total).toBe(300);

    // paging stays within the scope
    const page1 = await api<ExtensionList>(receptionToken, 'GET', '/api/v1/extensions?limit=60');
    const page2 = await api<ExtensionList>(receptionToken, 'GET', `/api/v1/extensions?limit=60&cursor=${page1.json.nextCursor}`);
    expect(page2.json.nextCursor).toBeNull();
    expect([...page1.json.items, ...page2.json.items].map((e) => e.number)).toEqual(all.json.items.map((e) => e.number));

    // asking for another site by filter or search finds nothing
    const north = await api<ExtensionList>(receptionToken, 'GET', '/api/v1/extensions?site=north');
    expect(north.json).toEqual({ items: [], total: 0, nextCursor: null });
    const search = await api<ExtensionList>(receptionToken, 'GET', '/api/v1/extensions?search=200');
    expect(search.json.total).toBe(0);
    const labelSearch = await api<ExtensionList>(receptionToken, 'GET', '/api/v1/extensions?search=north%20branch');
    expect(labelSearch.json.total).toBe(0);
  });

  it("site scoping: another site's extension is 404 for every receptionist route (not 403), and nothing changes", async () => {
    const before = await ext('2004'); // protected, north
    const north = await activeWithMailbox('north');
    const calls: [string, string][] = [
      ['GET', '/api/v1/extensions/2004'],
      ['POST', '/api/v1/extensions/2004/protection/block'],
      ['POST', '/api/v1/extensions/2004/protection/unblock'],
      ['GET', `/api/v1/extensions/${north.number}/credentials/voicemail-pin/default`],
      ['POST', `/api/v1/extensions/${north.number}/credentials/voicemail-pin/reset`],
    ];
    for (const [method, path] of calls) {
      const r = await api(receptionToken, method, path, method === 'POST' ? { ifMatch: '*' } : {});
      expect(r.status, `${method} ${path}: ${r.text}`).toBe(404);
      expect(errorOf(r).code).toBe('not_found');
      expect(errorOf(r).message).toMatch(/does not exist/);
    }
    // the same message as a number that does not exist at all
    const missing = await api(receptionToken, 'GET', '/api/v1/extensions/9999');
    const other = await api(receptionToken, 'GET', '/api/v1/extensions/2004');
    expect(errorOf(other).message.replace('2004', 'N')).toBe(errorOf(missing).message.replace('9999', 'N'));
    expect(await ext('2004')).toEqual(before);
    expect(await ext(north.number)).toEqual(north);
  });

  it('the admin keeps every site and every route', async () => {
    expect((await api(adminToken, 'GET', '/api/v1/extensions/2004')).status).toBe(200);
    expect((await api(adminToken, 'GET', '/api/v1/policies/pin')).status).toBe(200);
  });
});

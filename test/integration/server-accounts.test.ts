// Issue 6 / SPEC F5 on the REAL reference PBX: admin accounts (username rules, "no password" only when
// confirmed and then warned about, roles and sites, emails, token validity, renames, the last-admin guard),
// your own login settings and password, HTTP Basic with API access on and off (rate-limited, counted on the
// address), and the session refresh. Bad input changes nothing; a password canary never comes back.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccountListSchema, AccountSchema, type Account } from '../../shared/accounts.js';
import { filesUnder } from '../helpers/canary.js';
import { errorOf, httpRequest, openEventStream, startTestPbx, type HttpResult, type TestPbx } from '../helpers/server.js';

let pbx: TestPbx;
/** The admin's password (changed by a test below). */
let adminPw = '';

const basicHeader = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const basic = (user: string, password: string, path = '/api/v1/session', from = '127.0.0.1') =>
  httpRequest(`${pbx.url}${path}`, { method: 'GET', localAddress: from, headers: { authorization: basicHeader(user, password) } });

const accounts = async (): Promise<Account[]> => {
  const r = await pbx.api('GET', '/api/v1/admin/accounts');
  expect(r.status, r.text).toBe(200);
  return AccountListSchema.parse(r.json).items;
};
const account = async (username: string): Promise<Account> => {
  const a = (await accounts()).find((x) => x.username === username);
  if (!a) throw new Error(`no account ${username}`);
  return a;
};
const create = (body: Record<string, unknown>) => pbx.api('POST', '/api/v1/admin/accounts', { body });
const update = async (username: string, patch: Record<string, unknown>, token?: string): Promise<HttpResult> => {
  const a = await account(username);
  const body = {
    username: a.username, role: a.role, sites: a.sites, emails: a.emails.join('; '), apiAccess: a.apiAccess,
    tokenValidityMinutes: a.tokenValidityMinutes, ...patch,
  };
  return pbx.api('PUT', `/api/v1/admin/accounts/${encodeURIComponent(username)}`, { body, ifMatch: a.etag, ...(token ? { token } : {}) });
};
const fields = (r: HttpResult) => (errorOf(r).details ?? []).map((d) => `${d.field}:${d.rule}`);

beforeAll(async () => {
  pbx = await startTestPbx({ credentialRate: { max: 1000, windowMs: 10_000 } });
  adminPw = pbx.adminPassword;
});
afterAll(async () => {
  await pbx?.cleanup();
});

describe('admin accounts', () => {
  it('lists the seeded accounts with their settings and no secret', async () => {
    const r = await pbx.api('GET', '/api/v1/admin/accounts');
    const list = AccountListSchema.parse(r.json).items;
    expect(list.map((a) => a.username).sort()).toEqual(['admin', 'reception']);
    const admin = list.find((a) => a.username === 'admin')!;
    expect(admin).toMatchObject({ role: 'admin', sites: null, hasPassword: true, apiAccess: false, tokenValidityMinutes: 720, you: true, warnings: [] });
    expect(r.text).not.toMatch(/argon2|password_hash|\$argon/);
  });

  it('usernames: no "@", no ":" or control characters, no edge spaces; case-sensitive (Admin is another account than admin)', async () => {
    for (const [username, rule] of [['ops@example.com', 'no_at'], ['a:b', 'characters'], [' admin2', 'no_edge_spaces'], ['', 'required'], ['x'.repeat(65), 'max']] as const) {
      const r = await create({ username, password: 'correct horse battery', role: 'admin' });
      expect(r.status, username).toBe(422);
      expect(fields(r)).toContain(`username:${rule}`);
      expect(errorOf(r).message).toMatch(/^username: /);
    }
    const r = await create({ username: 'Admin', password: 'another long password', role: 'admin' });
    expect(r.status, r.text).toBe(201);
    expect(r.headers['etag']).toBe(AccountSchema.parse(r.json).etag);
    expect((await pbx.login('Admin', 'another long password')).status).toBe(201);
    expect((await pbx.login('ADMIN', 'another long password')).status).toBe(401);
    expect((await pbx.login('admin', 'another long password')).status).toBe(401);
    // the same name again: 409 naming the field
    const again = await create({ username: 'Admin', password: 'another long password', role: 'admin' });
    expect(again.status).toBe(409);
    expect(errorOf(again)).toMatchObject({ code: 'conflict', details: [{ field: 'username', rule: 'unique' }] });
  });

  it('"no password" only when confirmed; then a warning everywhere, the empty password signs in, and Basic never works', async () => {
    const refused = await create({ username: 'kiosk', password: null, role: 'receptionist' });
    expect(refused.status).toBe(422);
    expect(fields(refused)).toEqual(['password:required']);
    expect(errorOf(refused).message).toMatch(/confirmNoPassword/);
    expect((await accounts()).some((a) => a.username === 'kiosk')).toBe(false);

    const r = await create({ username: 'kiosk', password: null, confirmNoPassword: true, role: 'admin', apiAccess: true });
    expect(r.status, r.text).toBe(201);
    expect(AccountSchema.parse(r.json)).toMatchObject({ hasPassword: false, warnings: ['no_password', 'basic_without_allowlist'] });
    const login = await pbx.login('kiosk', '');
    expect(login.status).toBe(201);
    expect(login.json).toMatchObject({ noPassword: true });
    expect((await pbx.login('kiosk', 'anything')).status).toBe(401);
    const who = await pbx.api('GET', '/api/v1/session', { token: login.json.token });
    expect(who.json).toMatchObject({ username: 'kiosk', noPassword: true, via: 'token' });
    expect((await basic('kiosk', '')).status).toBe(401);
  });

  it('passwords: at least 10 characters, not containing the username; bad ones change nothing', async () => {
    for (const [password, rule] of [['short', 'min'], ['my-name-is-clerk1', 'not_username'], ['          ', 'not_blank']] as const) {
      const r = await create({ username: 'clerk1', password, role: 'receptionist' });
      expect(r.status, password).toBe(422);
      expect(fields(r)).toContain(`password:${rule}`);
    }
    expect((await accounts()).some((a) => a.username === 'clerk1')).toBe(false);
  });

  it('emails: ";"-separated, each checked (names with spaces allowed), stored normalised', async () => {
    const bad = await create({
      username: 'clerk2', password: 'front desk 2024!', role: 'receptionist', sites: ['hq'],
      emails: 'Jane Doe <jane@Example.COM>; not-an-address; ops@example',
    });
    expect(bad.status).toBe(422);
    const msgs = (errorOf(bad).details ?? []).map((d) => d.message);
    expect(msgs).toEqual([expect.stringMatching(/^emails: entry 2: .*not-an-address/), expect.stringMatching(/^emails: entry 3: .*domain/)]);
    const ok = await create({
      username: 'clerk2', password: 'front desk 2024!', role: 'receptionist', sites: ['hq'],
      emails: ' Jane Doe <jane@Example.COM>;; "Front Desk" <desk@example.com>; jane@example.com ;',
    });
    expect(ok.status, ok.text).toBe(201);
    expect(AccountSchema.parse(ok.json)).toMatchObject({
      emails: ['Jane Doe <jane@example.com>', 'Front Desk <desk@example.com>'], sites: ['hq'], role: 'receptionist',
    });
  });

  it('roles and sites: unknown sites and API access for a receptionist are refused by field; a receptionist cannot manage accounts', async () => {
    const r = await create({ username: 'clerk3', password: 'front desk 2024!', role: 'receptionist', sites: ['nowhere'], apiAccess: true });
    expect(r.status).toBe(422);
    expect(fields(r).sort()).toEqual(['apiAccess:admins_only', 'sites.0:exists']);
    const rec = await pbx.login('reception', pbx.receptionistPassword!);
    const list = await pbx.api('GET', '/api/v1/admin/accounts', { token: rec.json.token });
    expect(list.status).toBe(403);
    const mk = await pbx.api('POST', '/api/v1/admin/accounts', { token: rec.json.token, body: { username: 'x', password: null, role: 'admin' } });
    expect(mk.status).toBe(403);
    expect(errorOf(mk).message).toMatch(/receptionist cannot create accounts/);
  });

  it('a site-limited admin may not manage accounts; the last admin without a site limit cannot be limited, demoted or deleted', async () => {
    expect((await create({ username: 'branch', password: 'north office pass', role: 'admin', sites: ['hq'] })).status).toBe(201);
    const branch = (await pbx.login('branch', 'north office pass')).json.token;
    const r = await pbx.api('POST', '/api/v1/admin/accounts', { token: branch, body: { username: 'y', password: 'north office pass 2', role: 'admin' } });
    expect(r.status).toBe(403);
    expect(errorOf(r).message).toMatch(/without a site limit/);

    // "Admin" (created above) is another unrestricted admin: remove it first so that "admin" is the last one
    const capital = await account('Admin');
    expect((await pbx.api('DELETE', '/api/v1/admin/accounts/Admin', { ifMatch: capital.etag })).status).toBe(204);
    const kiosk = await account('kiosk');
    expect((await pbx.api('DELETE', '/api/v1/admin/accounts/kiosk', { ifMatch: kiosk.etag })).status).toBe(204);

    const before = await account('admin');
    const demote = await update('admin', { role: 'receptionist' });
    expect(demote.status).toBe(409);
    expect(errorOf(demote)).toMatchObject({ code: 'last_admin', details: [{ field: 'role', rule: 'last_admin' }] });
    expect((await update('admin', { sites: ['hq'] })).status).toBe(409);
    expect(await account('admin')).toEqual(before);
    // deleting yourself is refused too
    const self = await pbx.api('DELETE', '/api/v1/admin/accounts/admin', { ifMatch: before.etag });
    expect(self.status).toBe(409);
    expect(fields(self)).toEqual(['username:not_yourself']);
  });

  it('If-Match: 428 without, 412 with the current version when stale; a rename carries sessions along', async () => {
    const a = await account('clerk2');
    const body = { username: 'clerk2', role: 'receptionist', sites: ['hq'], emails: '', apiAccess: false, tokenValidityMinutes: 60 };
    expect((await pbx.api('PUT', '/api/v1/admin/accounts/clerk2', { body })).status).toBe(428);
    const session = (await pbx.login('clerk2', 'front desk 2024!')).json.token;
    const renamed = await pbx.api('PUT', '/api/v1/admin/accounts/clerk2', { body: { ...body, username: 'frontdesk' }, ifMatch: a.etag });
    expect(renamed.status, renamed.text).toBe(200);
    expect(AccountSchema.parse(renamed.json)).toMatchObject({ username: 'frontdesk', tokenValidityMinutes: 60, emails: [] });
    const stale = await pbx.api('PUT', '/api/v1/admin/accounts/frontdesk', { body, ifMatch: a.etag });
    expect(stale.status).toBe(412);
    expect(errorOf(stale).current).toMatchObject({ username: 'frontdesk' });
    // the session made before the rename still works, under the new name
    const who = await pbx.api('GET', '/api/v1/session', { token: session });
    expect(who.json).toMatchObject({ username: 'frontdesk' });
    expect((await pbx.login('clerk2', 'front desk 2024!')).status).toBe(401);
    // and its token validity applies to the next login
    const t0 = Date.now();
    const next = await pbx.login('frontdesk', 'front desk 2024!');
    const ttl = Date.parse(next.json.expiresAt) - t0;
    expect(ttl).toBeGreaterThan(59 * 60_000);
    expect(ttl).toBeLessThan(61 * 60_000);
  });

  it('bad input in an update changes nothing', async () => {
    const before = await account('frontdesk');
    const r = await update('frontdesk', { emails: 'a@b.example; broken', tokenValidityMinutes: 1, username: 'front@desk' });
    expect(r.status).toBe(422);
    expect(fields(r).sort()).toEqual(['emails:email', 'tokenValidityMinutes:min', 'username:no_at'].sort());
    expect(await account('frontdesk')).toEqual(before);
  });
});

describe('live events', () => {
  it('admins hear of account and allowlist changes (admin.changed, no secret); a receptionist does not', async () => {
    const adminStream = await openEventStream(pbx.url, pbx.token);
    const rec = (await pbx.login('reception', pbx.receptionistPassword!)).json.token;
    const recStream = await openEventStream(pbx.url, rec);
    try {
      const made = await create({ username: 'temp-clerk', password: 'temporary pass 1', role: 'receptionist' });
      expect(made.status).toBe(201);
      const ev = await adminStream.waitFor((e) => e.type === 'admin.changed');
      expect(ev).toMatchObject({ type: 'admin.changed', what: 'accounts', username: 'temp-clerk', by: 'admin' });
      expect(JSON.stringify(ev)).not.toContain('temporary pass 1');
      const al = await pbx.api('GET', '/api/v1/admin/allowlist');
      const put = await pbx.api('PUT', '/api/v1/admin/allowlist', { body: { entries: [] }, ifMatch: String(al.headers['etag']) });
      expect(put.status, put.text).toBe(200);
      const ev2 = await adminStream.waitFor((e) => e.type === 'admin.changed' && e.what === 'allowlist');
      expect(ev2).toMatchObject({ username: null, by: 'admin' });
      const gone = await account('temp-clerk');
      expect((await pbx.api('DELETE', '/api/v1/admin/accounts/temp-clerk', { ifMatch: gone.etag })).status).toBe(204);
      await adminStream.waitFor((e) => e.type === 'admin.changed' && e.username === 'temp-clerk' && e.id > ev.id);
      expect(recStream.events.some((e) => e.type === 'admin.changed')).toBe(false);
    } finally {
      adminStream.close();
      recStream.close();
    }
  });
});

describe('own login settings and password', () => {
  it('any account reads and writes its own settings (not its role); API access is for admins only', async () => {
    const rec = (await pbx.login('reception', pbx.receptionistPassword!)).json.token;
    const mine = await pbx.api('GET', '/api/v1/admin/login-settings', { token: rec });
    expect(mine.status).toBe(200);
    const a = AccountSchema.parse(mine.json);
    expect(a).toMatchObject({ username: 'reception', you: true });
    const body = { username: 'reception', emails: 'Reception Desk <desk@example.com>', apiAccess: false, tokenValidityMinutes: 480 };
    const ok = await pbx.api('PUT', '/api/v1/admin/login-settings', { token: rec, body, ifMatch: a.etag });
    expect(ok.status, ok.text).toBe(200);
    expect(AccountSchema.parse(ok.json)).toMatchObject({ emails: ['Reception Desk <desk@example.com>'], tokenValidityMinutes: 480, role: 'receptionist' });
    const up = await pbx.api('PUT', '/api/v1/admin/login-settings', { token: rec, body: { ...body, apiAccess: true }, ifMatch: ok.headers['etag'] as string });
    expect(up.status).toBe(422);
    expect(fields(up)).toEqual(['apiAccess:admins_only']);
    const role = await pbx.api('PUT', '/api/v1/admin/login-settings', { token: rec, body: { ...body, role: 'admin' }, ifMatch: ok.headers['etag'] as string });
    expect(role.status).toBe(422);
    expect(fields(role)).toEqual(['role:unknown_keys']);
  });

  it('renaming yourself needs your current password (a stolen session alone cannot rename the account away)', async () => {
    const me = AccountSchema.parse((await pbx.api('GET', '/api/v1/admin/login-settings')).json);
    const body = { username: 'chief', emails: '', apiAccess: false, tokenValidityMinutes: 720 };
    const none = await pbx.api('PUT', '/api/v1/admin/login-settings', { body, ifMatch: me.etag });
    expect(none.status).toBe(422);
    expect(fields(none)).toEqual(['currentPassword:required']);
    const wrong = await pbx.api('PUT', '/api/v1/admin/login-settings', { body: { ...body, currentPassword: 'not the password' }, ifMatch: me.etag });
    expect(fields(wrong)).toEqual(['currentPassword:matches']);
    expect((await account('admin')).username).toBe('admin');
    const ok = await pbx.api('PUT', '/api/v1/admin/login-settings', { body: { ...body, currentPassword: adminPw }, ifMatch: me.etag });
    expect(ok.status, ok.text).toBe(200);
    // and back (the rest of this file signs in as "admin")
    const again = AccountSchema.parse(ok.json);
    const back = await pbx.api('PUT', '/api/v1/admin/login-settings', { body: { ...body, username: 'admin', currentPassword: adminPw }, ifMatch: again.etag });
    expect(back.status, back.text).toBe(200);
    // the same settings without a new name need no password
    const same = await pbx.api('PUT', '/api/v1/admin/login-settings', { body: { ...body, username: 'admin' }, ifMatch: String(back.headers['etag']) });
    expect(same.status, same.text).toBe(200);
  });

  it('changing your own password needs the current one and signs out every other session; a canary never comes back', async () => {
    const canary = 'CANARY-pw-7f3a9c1e2b';
    const other = (await pbx.login()).json.token;
    const none = await pbx.api('PUT', '/api/v1/admin/accounts/admin/password', { body: { password: canary } });
    expect(none.status).toBe(422);
    expect(fields(none)).toEqual(['currentPassword:required']);
    const wrong = await pbx.api('PUT', '/api/v1/admin/accounts/admin/password', { body: { password: canary, currentPassword: 'not it at all' } });
    expect(fields(wrong)).toEqual(['currentPassword:matches']);
    expect((await pbx.api('GET', '/api/v1/session', { token: other })).status).toBe(200);

    const r = await pbx.api('PUT', '/api/v1/admin/accounts/admin/password', { body: { password: canary, currentPassword: pbx.adminPassword } });
    expect(r.status, r.text).toBe(200);
    expect(r.json).toMatchObject({ signedOut: expect.any(Number), account: { username: 'admin', hasPassword: true } });
    expect((r.json as { signedOut: number }).signedOut).toBeGreaterThanOrEqual(1);
    expect(r.text).not.toContain(canary);
    expect((await pbx.api('GET', '/api/v1/session', { token: other })).status).toBe(401);
    expect((await pbx.api('GET', '/api/v1/session')).status).toBe(200); // the current one stays
    expect((await pbx.login('admin', pbx.adminPassword)).status).toBe(401);
    expect((await pbx.login('admin', canary)).status).toBe(201);
    const audit = await pbx.api('GET', '/api/v1/audit?action=account.&limit=200');
    expect(audit.text).toContain('account.password');
    expect(audit.text).not.toContain(canary);
    // nothing on disk holds it in plain text (the database, its WAL, the pepper)
    for (const f of filesUnder(pbx.dataDir)) expect(readFileSync(f).includes(canary), f).toBe(false);
    adminPw = canary;
  });

  it("an admin sets another account's password without its current one; that account's sessions all end", async () => {
    const pbx2 = pbx;
    const rec = (await pbx2.login('reception', pbx2.receptionistPassword!)).json.token;
    const r = await pbx2.api('PUT', '/api/v1/admin/accounts/reception/password', { body: { password: 'new desk password 1' } });
    expect(r.status, r.text).toBe(200);
    expect((r.json as { signedOut: number }).signedOut).toBeGreaterThanOrEqual(1);
    expect((await pbx2.api('GET', '/api/v1/session', { token: rec })).status).toBe(401);
    // and a receptionist cannot set anyone else's
    const rec2 = (await pbx2.login('reception', 'new desk password 1')).json.token;
    const other = await pbx2.api('PUT', '/api/v1/admin/accounts/admin/password', { token: rec2, body: { password: 'x'.repeat(12) } });
    expect(other.status).toBe(403);
    // her own goes through her login settings (the current password needed)
    const own = await pbx2.api('PUT', '/api/v1/admin/login-settings/password', {
      token: rec2, body: { password: 'newer desk password 2', currentPassword: 'new desk password 1' },
    });
    expect(own.status, own.text).toBe(200);
    expect((await pbx2.login('reception', 'newer desk password 2')).status).toBe(201);
  });
});

describe('HTTP Basic (API access)', () => {
  it('off: the right password is told to use a session; on: Basic works; wrong passwords count on the address', async () => {
    const off = await basic('admin', adminPw);
    expect(off.status).toBe(401);
    expect(errorOf(off).message).toMatch(/HTTP Basic authentication is off/);
    expect((await update('admin', { apiAccess: true })).status).toBe(200);
    const on = await basic('admin', adminPw);
    expect(on.status, on.text).toBe(200);
    expect(on.json).toMatchObject({ username: 'admin', via: 'basic' });
    // a Basic client can call any admin route, but has no session to refresh or log out of
    expect((await basic('admin', adminPw, '/api/v1/admin/accounts')).status).toBe(200);
    const refresh = await httpRequest(`${pbx.url}/api/v1/session/refresh`, { method: 'POST', headers: { authorization: basicHeader('admin', adminPw) } });
    expect(refresh.status).toBe(409);

    for (let i = 0; i < 10; i++) expect((await basic('admin', `wrong-${i}`, '/api/v1/session', '127.0.0.6')).status).toBe(401);
    const bans = await pbx.api('GET', '/api/v1/lockouts/addresses');
    expect(bans.text).toContain('127.0.0.6');
    // banned: even the right password is refused from there, like a wrong one
    const banned = await basic('admin', adminPw, '/api/v1/session', '127.0.0.6');
    expect(banned.status).toBe(401);
    expect(errorOf(banned).code).toBe('invalid_credentials');

    // turning API access off again ends Basic at once (even a verified, cached password)
    expect((await update('admin', { apiAccess: false })).status).toBe(200);
    expect((await basic('admin', adminPw)).status).toBe(401);
  });

  it('a session login and Basic are both rate-limited per address: 429 with Retry-After before any password check', async () => {
    const limited = await startTestPbx({ credentialRate: { max: 3, windowMs: 60_000 } });
    try {
      const from = '127.0.0.7';
      const tries = [];
      for (let i = 0; i < 3; i++) {
        tries.push((await httpRequest(`${limited.url}/api/v1/session`, { method: 'POST', localAddress: from, body: { username: 'admin', password: 'nope' } })).status);
      }
      expect(tries).toEqual([401, 401, 401]);
      const r = await httpRequest(`${limited.url}/api/v1/session`, { method: 'POST', localAddress: from, body: { username: 'admin', password: limited.adminPassword } });
      expect(r.status).toBe(429);
      expect(Number(r.headers['retry-after'])).toBeGreaterThan(1);
      expect(errorOf(r)).toMatchObject({ code: 'rate_limited' });
      const b = await httpRequest(`${limited.url}/api/v1/session`, { method: 'GET', localAddress: from, headers: { authorization: basicHeader('admin', limited.adminPassword) } });
      expect(b.status).toBe(429);
      // another address is not affected
      const other = await httpRequest(`${limited.url}/api/v1/session`, { method: 'POST', localAddress: '127.0.0.8', body: { username: 'admin', password: limited.adminPassword } });
      expect(other.status).toBe(201);
    } finally {
      await limited.cleanup();
    }
  });
});

describe('session refresh', () => {
  it('exchanges a valid token for a new one; the old one is refused at once; the new one is listed as a refresh', async () => {
    const old = (await pbx.login('admin', adminPw)).json.token;
    const r = await pbx.api('POST', '/api/v1/session/refresh', { token: old });
    expect(r.status, r.text).toBe(201);
    const fresh = (r.json as { token: string }).token;
    expect(fresh).not.toBe(old);
    expect((await pbx.api('GET', '/api/v1/session', { token: old })).status).toBe(401);
    expect((await pbx.api('GET', '/api/v1/session', { token: fresh })).status).toBe(200);
    const list = await pbx.api<{ items: { current: boolean; createdWith: string }[] }>('GET', '/api/v1/admin/tokens', { token: fresh });
    expect(list.json.items.find((t) => t.current)).toMatchObject({ createdWith: 'refresh' });
  });
});

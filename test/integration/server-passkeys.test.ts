// Issue 6 / SPEC F5 passkeys on the REAL reference PBX, driven by a software authenticator (test/helpers/webauthn.ts):
// register from a session, sign in with the discoverable credential (a working token), created / last used with
// the real source address and user agent, deletion effective at once (and the refused sign-in counted on the
// address), the relying party id and origin enforced, challenges single use, sign counts never going back, bad
// bodies named, one account never seeing or deleting another's passkeys, and no key or challenge in the audit log.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { PasskeyListSchema, PasskeySchema, type Passkey } from '../../shared/passkeys.js';
import { errorOf, httpRequest, manualClock, type HttpResult, startTestPbx, type TestPbx } from '../helpers/server.js';
import {
  FLAG_AT,
  FLAG_UP,
  SoftAuthenticator,
  type AuthenticationJson,
  type CreationOptionsJson,
  type RegistrationJson,
  type RequestOptionsJson,
} from '../helpers/webauthn.js';

let pbx: TestPbx;
let port: string;
let origin: string;

beforeAll(async () => {
  pbx = await startTestPbx({ credentialRate: { max: 1000, windowMs: 10_000 } }) // many sign-ins from one address in a few seconds;
  port = new URL(pbx.url).port;
  origin = `http://localhost:${port}`;
});

afterAll(async () => {
  await pbx?.cleanup();
});

interface CallOpts {
  token?: string | null;
  from?: string;
  userAgent?: string;
  /** The Host header (default localhost:<port>, as a browser on http://localhost:<port>/login sends it). */
  host?: string;
  body?: unknown;
}

const call = <T = unknown>(method: string, path: string, o: CallOpts = {}): Promise<HttpResult<T>> => {
  const headers: Record<string, string> = { host: o.host ?? `localhost:${port}`, 'user-agent': o.userAgent ?? 'test' };
  const token = o.token === undefined ? pbx.token : o.token;
  if (token !== null) headers['authorization'] = `Bearer ${token}`;
  return httpRequest<T>(`${pbx.url}${path}`, { method, headers, body: o.body, localAddress: o.from });
};

const registrationOptions = async (token = pbx.token, host?: string): Promise<CreationOptionsJson> => {
  const r = await call<CreationOptionsJson>('POST', '/api/v1/admin/passkeys/registration-options', { token, body: {}, host });
  expect(r.status, r.text).toBe(200);
  return r.json;
};

/** Register a new passkey on `auth` for the account of `token`; the stored passkey. */
const register = async (auth: SoftAuthenticator, name: string, o: { token?: string; from?: string; userAgent?: string } = {}): Promise<Passkey> => {
  const options = await registrationOptions(o.token ?? pbx.token);
  const response = auth.create(options, origin);
  const r = await call<Passkey>('POST', '/api/v1/admin/passkeys', { token: o.token, from: o.from, userAgent: o.userAgent, body: { name, response } });
  expect(r.status, r.text).toBe(201);
  return PasskeySchema.parse(r.json);
};

const loginOptions = async (from?: string): Promise<RequestOptionsJson> => {
  const r = await call<RequestOptionsJson>('POST', '/api/v1/session/passkey-options', { token: null, body: {}, from });
  expect(r.status, r.text).toBe(200);
  return r.json;
};

const passkeyLogin = (response: AuthenticationJson, o: { from?: string; userAgent?: string; host?: string } = {}) =>
  call<{ token: string; username: string; role: string }>('POST', '/api/v1/session/passkey', { token: null, body: { response }, ...o });

const list = async (token = pbx.token): Promise<Passkey[]> => {
  const r = await call('GET', '/api/v1/admin/passkeys', { token });
  expect(r.status, r.text).toBe(200);
  return PasskeyListSchema.parse(r.json).items;
};

const sql = <T>(q: string, ...args: unknown[]): T[] => {
  const db = new Database(join(pbx.dataDir, 'pbx.sqlite'), { readonly: true });
  try {
    return db.prepare(q).all(...args) as T[];
  } finally {
    db.close();
  }
};

const REJECTED = 'The passkey was not accepted';

describe('passkeys', () => {
  it('register → sign in with it → the token works; created and last used record address and user agent', async () => {
    const auth = new SoftAuthenticator();
    const pk = await register(auth, 'Office laptop', { from: '127.0.0.2', userAgent: 'Mozilla/5.0 (X11) Chrome/140' });
    expect(pk).toMatchObject({
      type: 'passkey', username: 'admin', name: 'Office laptop', createdFrom: '127.0.0.2', createdUserAgent: 'Mozilla/5.0 (X11) Chrome/140',
      aaguid: '50576172-6465-6e54-6573-744b65790001', transports: ['internal'], lastUsedAt: null, lastUsedFrom: null,
    });
    expect(pk.id).toMatch(/^[0-9a-f]{16}$/);
    expect(JSON.stringify(pk)).not.toMatch(/publicKey|public_key/);

    const options = await loginOptions('127.0.0.3');
    expect(options).toMatchObject({ rpId: 'localhost', allowCredentials: [] });
    const r = await passkeyLogin(auth.get(options, origin), { from: '127.0.0.3', userAgent: 'Mozilla/5.0 Firefox/141' });
    expect(r.status, r.text).toBe(201);
    expect(r.json).toMatchObject({ username: 'admin', role: 'admin' });
    const token = r.json.token;
    // the token works, and it says it was made with a passkey
    const s = await call('GET', '/api/v1/session', { token });
    expect(s.status, s.text).toBe(200);
    const tokens = await call<{ items: { createdWith: string; current: boolean }[] }>('GET', '/api/v1/admin/tokens', { token });
    expect(tokens.json.items.find((t) => t.current)?.createdWith).toBe('passkey');

    const after = (await list(token)).find((p) => p.id === pk.id)!;
    expect(after).toMatchObject({ lastUsedFrom: '127.0.0.3', lastUsedUserAgent: 'Mozilla/5.0 Firefox/141', createdFrom: '127.0.0.2' });
    expect(after.lastUsedAt).not.toBeNull();
  });

  it('excludes the account\'s passkeys from a new registration; a credential registered twice is a 409', async () => {
    const auth = new SoftAuthenticator();
    const pk = await register(auth, 'Twice');
    const options = await registrationOptions();
    const credId = auth.credentials[0]!.id.toString('base64url');
    expect((options as unknown as { excludeCredentials: { id: string }[] }).excludeCredentials.map((c) => c.id)).toContain(credId);
    expect(options.user.name).toBe('admin');
    // the same user handle every time (random, kept with the account)
    expect((await registrationOptions()).user.id).toBe(options.user.id);
    // the same credential registered again (an authenticator ignoring excludeCredentials): 409
    const again = auth.create(options, origin, { credential: auth.credentials[0]! });
    expect(again.id).toBe(credId);
    const r = await call('POST', '/api/v1/admin/passkeys', { body: { name: 'Twice again', response: again } });
    expect(r.status, r.text).toBe(409);
    expect(errorOf(r).code).toBe('conflict');
    expect((await list()).filter((p) => p.id === pk.id)).toHaveLength(1);
  });

  it('deleting a passkey makes the next sign-in with it a 401 at once, counted as a failure on the address', async () => {
    const auth = new SoftAuthenticator();
    const pk = await register(auth, 'To delete');
    const d = await call<{ deleted: number }>('POST', '/api/v1/admin/passkeys/delete', { body: { ids: [pk.id, 'ffffffffffffffff'] } });
    expect(d.status, d.text).toBe(200);
    expect(d.json).toEqual({ deleted: 1 });
    expect((await list()).some((p) => p.id === pk.id)).toBe(false);

    const before = sql<{ n: number }>("SELECT count(*) AS n FROM lockout_failures WHERE address = '127.0.0.9'")[0]!.n;
    const r = await passkeyLogin(auth.get(await loginOptions('127.0.0.9'), origin), { from: '127.0.0.9', userAgent: 'thief' });
    expect(r.status, r.text).toBe(401);
    expect(errorOf(r)).toMatchObject({ code: 'invalid_credentials' });
    expect(errorOf(r).message).toContain(REJECTED);
    expect(sql<{ n: number }>("SELECT count(*) AS n FROM lockout_failures WHERE address = '127.0.0.9'")[0]!.n).toBe(before + 1);
    const failures = sql<{ kind: string; reason: string; user_agent: string }>("SELECT kind, reason, user_agent FROM auth_failures WHERE address = '127.0.0.9'");
    expect(failures).toContainEqual({ kind: 'admin_passkey', reason: 'unknown_passkey', user_agent: 'thief' });
  });

  it('refuses another host name or origin: options name the relying party id; a wrong origin or rpId never signs in', async () => {
    // options asked for with the PBX's IP address: a 422 naming the relying party id
    const r = await call('POST', '/api/v1/admin/passkeys/registration-options', { body: {}, host: `127.0.0.1:${port}` });
    expect(r.status, r.text).toBe(422);
    expect(errorOf(r).details?.[0]?.field).toBe('Host');
    expect(errorOf(r).message).toContain('"localhost"');
    const lo = await call('POST', '/api/v1/session/passkey-options', { token: null, body: {}, host: `127.0.0.1:${port}` });
    expect(lo.status).toBe(422);
    // the right host name on another port is another web page (another origin): refused too
    const otherPort = await call('POST', '/api/v1/session/passkey-options', { token: null, body: {}, host: 'localhost:3000' });
    expect(otherPort.status).toBe(422);
    expect(errorOf(otherPort).details?.[0]).toMatchObject({ field: 'Host', rule: 'rp_id' });

    // registration made on another origin (the browser says where it was): refused naming the origin
    const auth = new SoftAuthenticator();
    const bad = auth.create(await registrationOptions(), 'http://evil.example:8080');
    const rr = await call('POST', '/api/v1/admin/passkeys', { body: { name: 'Phished', response: bad } });
    expect(rr.status, rr.text).toBe(422);
    expect(errorOf(rr).details?.[0]?.field).toBe('response');
    expect(errorOf(rr).message).toMatch(/origin/i);
    // registration for another rpId
    const badRp = auth.create(await registrationOptions(), origin, { rpId: 'evil.example' });
    const rp = await call('POST', '/api/v1/admin/passkeys', { body: { name: 'Other RP', response: badRp } });
    expect(rp.status, rp.text).toBe(422);
    expect(errorOf(rp).message).toMatch(/RP ID/i);

    // a real passkey, but an assertion for another origin / rpId / sent via another Host: 401
    const good = new SoftAuthenticator();
    await register(good, 'Origin checks');
    for (const [resp, host] of [
      [good.get(await loginOptions(), 'http://evil.example'), undefined],
      [good.get(await loginOptions(), origin, { rpId: 'evil.example' }), undefined],
      [good.get(await loginOptions(), `http://127.0.0.1:${port}`), `127.0.0.1:${port}`],
    ] as const) {
      const l = await passkeyLogin(resp, host ? { host } : {});
      expect(l.status, l.text).toBe(401);
      expect(errorOf(l).message).toContain(REJECTED);
    }
    // and it still works the right way
    expect((await passkeyLogin(good.get(await loginOptions(), origin))).status).toBe(201);
  });

  it('a challenge is single use, expires, and is bound to its purpose', async () => {
    const auth = new SoftAuthenticator();
    await register(auth, 'Replay');
    const options = await loginOptions();
    const first = auth.get(options, origin);
    expect((await passkeyLogin(first)).status).toBe(201);
    // the very same assertion again
    expect((await passkeyLogin(first)).status).toBe(401);
    // a fresh signature over the used challenge
    expect((await passkeyLogin(auth.get(options, origin))).status).toBe(401);
    // a made-up challenge
    expect((await passkeyLogin(auth.get({ challenge: 'QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB' }, origin))).status).toBe(401);
    // a registration challenge used to sign in
    const reg = await registrationOptions();
    expect((await passkeyLogin(auth.get({ challenge: reg.challenge }, origin))).status).toBe(401);
    // a registration challenge used twice
    const auth2 = new SoftAuthenticator();
    const regOpts = await registrationOptions();
    expect((await call('POST', '/api/v1/admin/passkeys', { body: { name: 'A', response: auth2.create(regOpts, origin) } })).status).toBe(201);
    const twice = await call('POST', '/api/v1/admin/passkeys', { body: { name: 'B', response: auth2.create(regOpts, origin) } });
    expect(twice.status, twice.text).toBe(422);
    expect(errorOf(twice).message).toMatch(/challenge/);
  });

  it('refuses a sign count that goes backwards (a cloned authenticator)', async () => {
    const auth = new SoftAuthenticator();
    await register(auth, 'Counter');
    expect((await passkeyLogin(auth.get(await loginOptions(), origin, { signCount: 10 }))).status).toBe(201);
    const back = await passkeyLogin(auth.get(await loginOptions(), origin, { signCount: 5 }));
    expect(back.status, back.text).toBe(401);
    const same = await passkeyLogin(auth.get(await loginOptions(), origin, { signCount: 10 }));
    expect(same.status).toBe(401);
    expect(sql<{ reason: string }>("SELECT reason FROM auth_failures WHERE kind = 'admin_passkey' ORDER BY id DESC LIMIT 1")[0]!.reason).toBe(
      'sign_count_regressed',
    );
    expect((await passkeyLogin(auth.get(await loginOptions(), origin, { signCount: 11 }))).status).toBe(201);
  });

  it('a passkey replaces the password, so the authenticator must verify the user (PIN, fingerprint): presence alone is refused', async () => {
    const auth = new SoftAuthenticator();
    const options = await registrationOptions();
    expect(options).toMatchObject({ authenticatorSelection: { userVerification: 'required' } });
    const noUv = await call('POST', '/api/v1/admin/passkeys', { body: { name: 'No UV', response: auth.create(options, origin, { flags: FLAG_UP | FLAG_AT }) } });
    expect(noUv.status).toBe(422);
    expect(errorOf(noUv).details?.[0]?.field).toBe('response');
    await register(auth, 'Verified');
    const from = '127.0.0.31'; // its own address: this failure must not add up with the other tests' ones
    const presenceOnly = await passkeyLogin(auth.get(await loginOptions(from), origin, { flags: FLAG_UP, signCount: 100 }), { from });
    expect(presenceOnly.status).toBe(401);
    expect((await passkeyLogin(auth.get(await loginOptions(from), origin, { signCount: 101 }), { from })).status).toBe(201);
  });

  it('registering needs a sign-in of the last 10 minutes: a refreshed (or stolen, older) token alone cannot plant a passkey', async () => {
    const fresh = (await pbx.login()).json.token;
    const refreshed = await call<{ token: string }>('POST', '/api/v1/session/refresh', { token: fresh, body: {} });
    expect(refreshed.status, refreshed.text).toBe(201);
    const r = await call('POST', '/api/v1/admin/passkeys/registration-options', { token: refreshed.json.token, body: {} });
    expect(r.status).toBe(401);
    expect(errorOf(r).message).toMatch(/sign in again with your password/);
    // the console's session is untouched by the refusal
    expect((await call('GET', '/api/v1/session', { token: refreshed.json.token })).status).toBe(200);
  });

  it('bad bodies get a 422 naming the field', async () => {
    const auth = new SoftAuthenticator();
    const options = await registrationOptions();
    const response: RegistrationJson = auth.create(options, origin);
    const cases: [unknown, string][] = [
      [{ name: '', response }, 'name'],
      [{ name: 'x'.repeat(65), response }, 'name'],
      [{ name: 'ok' }, 'response'],
      [{ name: 'ok', response: { ...response, type: 'password' } }, 'response.type'],
      [{ name: 'ok', response: { ...response, rawId: 'not base64url!' } }, 'response.rawId'],
      [{ name: 'ok', response, extra: 1 }, 'extra'],
    ];
    for (const [body, field] of cases) {
      const r = await call('POST', '/api/v1/admin/passkeys', { body });
      expect(r.status, r.text).toBe(422);
      expect(errorOf(r).details?.map((d) => d.field)).toContain(field);
    }
    // a garbled attestation: 422 on "response" with the library's reason
    const garbled = { ...response, response: { ...response.response, attestationObject: 'AAAA' } };
    const g = await call('POST', '/api/v1/admin/passkeys', { body: { name: 'ok', response: garbled } });
    expect(g.status, g.text).toBe(422);
    expect(errorOf(g).details?.[0]?.field).toBe('response');

    const d = await call('POST', '/api/v1/admin/passkeys/delete', { body: { ids: ['nope'] } });
    expect(d.status).toBe(422);
    expect(errorOf(d).details?.[0]?.field).toBe('ids.0');
    const e = await call('POST', '/api/v1/admin/passkeys/delete', { body: { ids: [] } });
    expect(errorOf(e).details?.[0]?.field).toBe('ids');
    const l = await call('POST', '/api/v1/session/passkey', { token: null, body: { response: { id: 'x' } } });
    expect(l.status).toBe(422);
    expect(errorOf(l).details?.map((x) => x.field)).toContain('response.rawId');
  });

  it('another account neither sees nor deletes your passkeys; yours sign in as you', async () => {
    const auth = new SoftAuthenticator();
    const mine = await register(auth, 'Admin only');
    const desk = await pbx.login('reception', pbx.receptionistPassword as string);
    expect(desk.status).toBe(201);
    const deskToken = desk.json.token;
    expect((await list(deskToken)).some((p) => p.id === mine.id)).toBe(false);
    const d = await call<{ deleted: number }>('POST', '/api/v1/admin/passkeys/delete', { token: deskToken, body: { ids: [mine.id] } });
    expect(d.json).toEqual({ deleted: 0 });
    expect((await list()).some((p) => p.id === mine.id)).toBe(true);

    const deskAuth = new SoftAuthenticator();
    const deskKey = await register(deskAuth, 'Front desk', { token: deskToken });
    expect((await list()).some((p) => p.id === deskKey.id)).toBe(false);
    const r = await passkeyLogin(deskAuth.get(await loginOptions(), origin));
    expect(r.json).toMatchObject({ username: 'reception', role: 'receptionist' });
  });

  it('a renamed account keeps its passkeys: they sign in as the new name', async () => {
    const made = await call('POST', '/api/v1/admin/accounts', { body: { username: 'renamer', password: 'Correct-Horse-9-Battery', role: 'admin' } });
    expect(made.status, made.text).toBe(201);
    const login = await pbx.login('renamer', 'Correct-Horse-9-Battery');
    expect(login.status, login.text).toBe(201);
    const token = login.json.token;
    const auth = new SoftAuthenticator();
    const handle = (await registrationOptions(token)).user.id;
    await register(auth, 'Before rename', { token });
    const settings = await call<{ emails: unknown; apiAccess: boolean; tokenValidityMinutes: number }>('GET', '/api/v1/admin/login-settings', { token });
    expect(settings.status, settings.text).toBe(200);
    const emails = Array.isArray(settings.json.emails) ? settings.json.emails.join('; ') : settings.json.emails;
    const put = await httpRequest(`${pbx.url}/api/v1/admin/login-settings`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'if-match': String(settings.headers['etag']) },
      body: {
        username: 'renamed', emails, apiAccess: settings.json.apiAccess, tokenValidityMinutes: settings.json.tokenValidityMinutes,
        currentPassword: 'Correct-Horse-9-Battery',
      },
    });
    expect(put.status, put.text).toBe(200);
    // the user handle stayed with the account; a new account taking the old name gets another one
    expect((await registrationOptions(token)).user.id).toBe(handle);
    expect((await call('POST', '/api/v1/admin/accounts', { body: { username: 'renamer', password: 'Another-Horse-7-Battery', role: 'admin' } })).status).toBe(201);
    const newcomer = (await pbx.login('renamer', 'Another-Horse-7-Battery')).json.token;
    expect((await registrationOptions(newcomer)).user.id).not.toBe(handle);
    const r = await passkeyLogin(auth.get(await loginOptions(), origin));
    expect(r.status, r.text).toBe(201);
    expect(r.json.username).toBe('renamed');
    expect((await list(r.json.token)).map((p) => p.name)).toEqual(['Before rename']);
  });

  it('audits register and delete with ids and names, never a public key or a challenge', async () => {
    const auth = new SoftAuthenticator();
    const options = await registrationOptions();
    const response = auth.create(options, origin);
    const r = await call<Passkey>('POST', '/api/v1/admin/passkeys', { body: { name: 'Audited', response } });
    expect(r.status).toBe(201);
    const loginOpts = await loginOptions();
    expect((await passkeyLogin(auth.get(loginOpts, origin))).status).toBe(201);
    await call('POST', '/api/v1/admin/passkeys/delete', { body: { ids: [r.json.id] } });
    const rows = sql<{ action: string; detail: string }>("SELECT action, detail FROM audit WHERE action LIKE 'passkey.%' OR action = 'session.create'");
    const reg = rows.filter((x) => x.action === 'passkey.register').map((x) => JSON.parse(x.detail) as { passkeyId: string; name: string });
    expect(reg).toContainEqual(expect.objectContaining({ passkeyId: r.json.id, name: 'Audited' }));
    const del = rows.filter((x) => x.action === 'passkey.delete').map((x) => x.detail);
    expect(del.some((d) => d.includes(r.json.id) && d.includes('Audited'))).toBe(true);
    const all = sql<{ detail: string }>('SELECT detail FROM audit').map((x) => x.detail).join('\n');
    const publicKey = sql<{ k: string }>("SELECT hex(public_key) AS k FROM passkeys LIMIT 1")[0]?.k ?? '';
    expect(all).not.toContain(options.challenge);
    expect(all).not.toContain(loginOpts.challenge);
    expect(all).not.toContain(response.response.attestationObject.slice(0, 40));
    if (publicKey) {
      expect(all.toLowerCase()).not.toContain(publicKey.toLowerCase().slice(0, 40));
      expect(all).not.toContain(Buffer.from(publicKey, 'hex').toString('base64url').slice(0, 40));
    }
  });
});

describe('passkey challenges expire', () => {
  it('an answer after five minutes is refused, one just before is accepted', async () => {
    const clock = manualClock();
    const own = await startTestPbx({ seed: 'none', clock: clock.now });
    try {
      const p = new URL(own.url).port;
      const o = `http://localhost:${p}`;
      const req = <T>(path: string, body: unknown, token: string | null = own.token) =>
        httpRequest<T>(`${own.url}${path}`, {
          method: 'POST', body, headers: { host: `localhost:${p}`, ...(token ? { authorization: `Bearer ${token}` } : {}) },
        });
      const auth = new SoftAuthenticator();
      const reg = await req<CreationOptionsJson>('/api/v1/admin/passkeys/registration-options', {});
      clock.advance(5 * 60 * 1000 + 1000);
      const late = await req('/api/v1/admin/passkeys', { name: 'Late', response: auth.create(reg.json, o) });
      expect(late.status, late.text).toBe(422);
      expect(errorOf(late).message).toMatch(/expired/);
      const reg2 = await req<CreationOptionsJson>('/api/v1/admin/passkeys/registration-options', {});
      clock.advance(4 * 60 * 1000);
      expect((await req('/api/v1/admin/passkeys', { name: 'In time', response: auth.create(reg2.json, o) })).status).toBe(201);

      const opts = await req<RequestOptionsJson>('/api/v1/session/passkey-options', {}, null);
      clock.advance(5 * 60 * 1000 + 1000);
      const l = await req('/api/v1/session/passkey', { response: auth.get(opts.json, o) }, null);
      expect(l.status, l.text).toBe(401);
      const opts2 = await req<RequestOptionsJson>('/api/v1/session/passkey-options', {}, null);
      expect((await req('/api/v1/session/passkey', { response: auth.get(opts2.json, o) }, null)).status).toBe(201);
    } finally {
      await own.cleanup();
    }
  });
});

describe('the web login page (/login)', () => {
  it('is served with its stylesheet and script under a strict CSP (no inline code), naming the relying party id', async () => {
    const page = await call('GET', '/login', { token: null });
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(page.text).toContain('data-rp-id="localhost"');
    expect(page.text).toContain('Sign in with a passkey');
    expect(page.text).not.toMatch(/<script>(?!<\/script>)|<style>|\sstyle=|\son[a-z]+=/i);
    const js = await call('GET', '/login/login.js', { token: null });
    expect(js.status).toBe(200);
    expect(js.headers['content-type']).toMatch(/^text\/javascript/);
    expect(js.text).toContain('navigator.credentials.create');
    const css = await call('GET', '/login/login.css', { token: null });
    expect(css.headers['content-type']).toMatch(/^text\/css/);
    expect(css.text).toContain('prefers-color-scheme: dark');
  });

  it('is behind the admin allowlist like the API', async () => {
    const get = await call<{ etag?: string }>('GET', '/api/v1/admin/allowlist');
    const etag = String(get.headers['etag']);
    const put = await httpRequest(`${pbx.url}/api/v1/admin/allowlist`, {
      method: 'PUT', body: { entries: ['127.0.0.1'] }, headers: { authorization: `Bearer ${pbx.token}`, 'if-match': etag },
    });
    expect(put.status, put.text).toBe(200);
    try {
      expect((await call('GET', '/login', { token: null, from: '127.0.0.1' })).status).toBe(200);
      for (const path of ['/login', '/login/login.js', '/login/login.css']) {
        const r = await call('GET', path, { token: null, from: '127.0.0.20' });
        expect(r.status, path).toBe(403);
        expect(errorOf(r).code).toBe('address_not_allowed');
      }
    } finally {
      const now = await call('GET', '/api/v1/admin/allowlist');
      const reset = await httpRequest(`${pbx.url}/api/v1/admin/allowlist`, {
        method: 'PUT', body: { entries: [] }, headers: { authorization: `Bearer ${pbx.token}`, 'if-match': String(now.headers['etag']) },
      });
      expect(reset.status, reset.text).toBe(200);
    }
  });
});

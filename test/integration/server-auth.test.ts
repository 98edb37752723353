// Admin session auth against the real reference PBX.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { SessionResponseSchema, WhoAmISchema } from '../../shared/api.js';
import { errorOf, httpRequest, manualClock, startTestPbx, type TestPbx } from '../helpers/server.js';

describe('admin sessions', () => {
  const clock = manualClock();
  let pbx: TestPbx;

  beforeAll(async () => {
    pbx = await startTestPbx({ clock: clock.now });
  });
  afterAll(async () => {
    await pbx?.cleanup();
  });

  it('generates a strong admin password on first run and logs in with it', async () => {
    expect(pbx.adminPassword).toMatch(/^[A-Za-z2-9]{20}$/);
    expect(pbx.adminPassword).not.toMatch(/[01OIl]/);
    const r = await pbx.login();
    expect(r.status).toBe(201);
    const body = SessionResponseSchema.parse(r.json);
    expect(body.role).toBe('admin');
    expect(body.username).toBe('admin');
    expect(body.token).toMatch(/^[A-Za-z0-9_-]{43}$/); // 32 bytes, base64url
    expect(Date.parse(body.expiresAt) - clock.now().getTime()).toBe(12 * 60 * 60 * 1000);
  });

  it('refuses a wrong password and an unknown user with the same answer', async () => {
    const wrong = await pbx.login('admin', 'not-the-password');
    const unknown = await pbx.login('mallory', 'whatever');
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(errorOf(wrong)).toEqual({ code: 'invalid_credentials', message: 'Wrong username or password' });
    expect(unknown.json).toEqual(wrong.json);
  });

  it('validates the login body before anything else', async () => {
    const r = await httpRequest(`${pbx.url}/api/v1/session`, {
      method: 'POST',
      body: { username: '', password: 'x', extra: true },
    });
    expect(r.status).toBe(422);
    const err = errorOf(r);
    expect(err.code).toBe('validation_failed');
    expect(err.details).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ field: 'username', rule: 'min' }),
        expect.objectContaining({ field: 'extra', rule: 'unknown_keys' }),
      ]),
    );
  });

  it('answers 401 unauthorized without a token, with a garbage token and with a made-up token', async () => {
    for (const token of [null, 'garbage token!', 'A'.repeat(43)]) {
      const r = await pbx.api('GET', '/api/v1/extensions', { token });
      expect(r.status).toBe(401);
      expect(errorOf(r).code).toBe('unauthorized');
      expect(r.headers['www-authenticate']).toMatch(/^Bearer/);
    }
    const basic = await pbx.api('GET', '/api/v1/session', { token: null, headers: { authorization: 'Basic YWRtaW46eA==' } });
    expect(basic.status).toBe(401);
  });

  it('checks the token before validating input (no information for anonymous callers)', async () => {
    const r = await pbx.api('GET', '/api/v1/extensions?limit=banana', { token: null });
    expect(r.status).toBe(401);
  });

  it('tells who is logged in', async () => {
    const r = await pbx.api('GET', '/api/v1/session');
    expect(r.status).toBe(200);
    const who = WhoAmISchema.parse(r.json);
    expect(who).toMatchObject({ username: 'admin', role: 'admin', server: pbx.serverName });
  });

  it('logout revokes the token', async () => {
    const login = await pbx.login();
    const token = login.json.token;
    expect((await pbx.api('GET', '/api/v1/session', { token })).status).toBe(200);
    const out = await pbx.api('DELETE', '/api/v1/session', { token });
    expect(out.status).toBe(204);
    expect(out.text).toBe('');
    const after = await pbx.api('GET', '/api/v1/session', { token });
    expect(after.status).toBe(401);
    expect(errorOf(after).code).toBe('unauthorized');
    // the admin's other session is unaffected
    expect((await pbx.api('GET', '/api/v1/session')).status).toBe(200);
  });

  it('expires a token after 12 hours (injected clock)', async () => {
    const login = await pbx.login();
    const token = login.json.token;
    clock.advance(12 * 60 * 60 * 1000 - 1000);
    expect((await pbx.api('GET', '/api/v1/session', { token })).status).toBe(200);
    clock.advance(2000);
    const r = await pbx.api('GET', '/api/v1/session', { token });
    expect(r.status).toBe(401);
    expect(errorOf(r)).toMatchObject({ code: 'unauthorized', message: expect.stringMatching(/expired/) });
    // a fresh login works again
    const again = await pbx.login();
    expect(again.status).toBe(201);
    pbx.token = again.json.token;
  });

  it('stores only sha256 hashes of tokens, with address and user agent', async () => {
    const r = await httpRequest<{ token: string }>(`${pbx.url}/api/v1/session`, {
      method: 'POST',
      body: { username: 'admin', password: pbx.adminPassword },
      headers: { 'user-agent': 'pbx-warden-test/1' },
      localAddress: '127.0.0.3',
    });
    expect(r.status).toBe(201);
    const db = new Database(join(pbx.dataDir, 'pbx.sqlite'), { readonly: true });
    try {
      const rows = db.prepare('SELECT * FROM sessions').all() as Record<string, string>[];
      expect(rows.some((row) => Object.values(row).includes(r.json.token))).toBe(false);
      const { createHash } = await import('node:crypto');
      const mine = rows.find((row) => row['token_hash'] === createHash('sha256').update(r.json.token).digest('hex'));
      expect(mine).toMatchObject({ username: 'admin', created_from: '127.0.0.3', user_agent: 'pbx-warden-test/1' });
      const hash = (db.prepare('SELECT password_hash FROM admins').get() as { password_hash: string }).password_hash;
      expect(hash).toMatch(/^\$argon2id\$v=19\$(?=[^$]*\bm=19456\b)(?=[^$]*\bt=2\b)(?=[^$]*\bp=1\b)[^$]+\$/);
    } finally {
      db.close();
    }
  });
});

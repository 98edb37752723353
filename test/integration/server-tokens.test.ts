// Issue 6 / SPEC F5 "used tokens" on the REAL reference PBX: an account's login tokens with the real source
// addresses (127.0.0.x act as hosts) and user agents of their creation and last use, the one in use marked,
// revocation of some or of all but the current one taking effect on the next request (and ending the revoked
// token's event stream), bad input named, and one account never seeing another's tokens.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenListSchema, type Token } from '../../shared/tokens.js';
import { errorOf, httpRequest, openEventStream, startTestPbx, type TestPbx } from '../helpers/server.js';

let pbx: TestPbx;

/** Log the admin in from `from` with `userAgent`; the token. */
const loginFrom = async (from: string, userAgent: string, username = 'admin', password = pbx.adminPassword): Promise<string> => {
  const r = await httpRequest<{ token: string }>(`${pbx.url}/api/v1/session`, {
    method: 'POST', body: { username, password }, localAddress: from, headers: { 'user-agent': userAgent },
  });
  expect(r.status, r.text).toBe(201);
  return r.json.token;
};
const call = (token: string, method: string, path: string, from = '127.0.0.1', userAgent = 'test', body?: unknown) =>
  httpRequest(`${pbx.url}${path}`, {
    method, body, localAddress: from, headers: { authorization: `Bearer ${token}`, 'user-agent': userAgent },
  });
const tokens = async (token: string): Promise<Token[]> => {
  const r = await call(token, 'GET', '/api/v1/admin/tokens');
  expect(r.status, r.text).toBe(200);
  return TokenListSchema.parse(r.json).items;
};

beforeAll(async () => {
  pbx = await startTestPbx();
});

afterAll(async () => {
  await pbx?.cleanup();
});

describe('used tokens', () => {
  it('lists each token with the address and user agent it was created and last used with; marks the current one; never a value', async () => {
    const a = await loginFrom('127.0.0.2', 'PBX-Warden-Console/0.1 (A)');
    const b = await loginFrom('127.0.0.3', 'curl/8.5.0');
    const list = await tokens(a);
    const r = await call(a, 'GET', '/api/v1/admin/tokens');
    expect(r.text).not.toContain(a);
    expect(r.text).not.toContain(b);
    const mine = list.find((t) => t.current)!;
    expect(list.filter((t) => t.current)).toHaveLength(1);
    expect(mine).toMatchObject({ type: 'session', username: 'admin', createdFrom: '127.0.0.2', createdUserAgent: 'PBX-Warden-Console/0.1 (A)' });
    const other = list.find((t) => t.createdFrom === '127.0.0.3')!;
    expect(other).toMatchObject({ createdUserAgent: 'curl/8.5.0', current: false });

    // B used from elsewhere, with another program: its last use says so at once
    expect((await call(b, 'GET', '/api/v1/session', '127.0.0.4', 'Mozilla/5.0 Firefox/128')).status).toBe(200);
    const after = (await tokens(a)).find((t) => t.id === other.id)!;
    expect(after).toMatchObject({ lastUsedFrom: '127.0.0.4', lastUsedUserAgent: 'Mozilla/5.0 Firefox/128', createdFrom: '127.0.0.3' });
  });

  it('revoking one takes effect on its next request and ends its event stream; the others keep working', async () => {
    const a = await loginFrom('127.0.0.2', 'console');
    const b = await loginFrom('127.0.0.5', 'script');
    const stream = await openEventStream(pbx.url, b);
    expect(stream.status).toBe(200);
    const bId = (await tokens(a)).find((t) => t.createdFrom === '127.0.0.5')!.id;
    const r = await call(a, 'POST', '/api/v1/admin/tokens/revoke', '127.0.0.2', 'console', { ids: [bId] });
    expect(r.status, r.text).toBe(200);
    expect(r.json).toEqual({ revoked: 1, currentRevoked: false });
    expect((await call(b, 'GET', '/api/v1/session')).status).toBe(401);
    await stream.ended;
    expect((await call(a, 'GET', '/api/v1/session')).status).toBe(200);
    expect((await tokens(a)).some((t) => t.id === bId)).toBe(false);
  });

  it('"sign out everywhere else" revokes every token but the current one; the event tells only that account', async () => {
    const a = await loginFrom('127.0.0.2', 'console');
    const others = [await loginFrom('127.0.0.6', 'x'), await loginFrom('127.0.0.7', 'y')];
    const receptionist = await loginFrom('127.0.0.8', 'desk', 'reception', pbx.receptionistPassword as string);
    const adminStream = await openEventStream(pbx.url, a);
    const deskStream = await openEventStream(pbx.url, receptionist);
    const r = await call(a, 'POST', '/api/v1/admin/tokens/revoke', '127.0.0.2', 'console', { allExceptCurrent: true });
    expect(r.status, r.text).toBe(200);
    expect((r.json as { revoked: number }).revoked).toBeGreaterThanOrEqual(2);
    for (const t of others) expect((await call(t, 'GET', '/api/v1/session')).status).toBe(401);
    expect((await call(pbx.token, 'GET', '/api/v1/session')).status, 'the harness session was another admin token too').toBe(401);
    expect(await tokens(a)).toHaveLength(1);
    const ev = await adminStream.waitFor((e) => e.type === 'token.changed' && e.action === 'revoked');
    expect(ev).toMatchObject({ username: 'admin', by: 'admin', address: '127.0.0.2' });
    // the receptionist's tokens are untouched, and she heard nothing of the admin's
    expect((await call(receptionist, 'GET', '/api/v1/session')).status).toBe(200);
    expect(deskStream.events.some((e) => e.type === 'token.changed' && e.username === 'admin')).toBe(false);
    adminStream.close();
    deskStream.close();
    // the harness logs in again for the next tests
    const re = await pbx.login();
    pbx.token = re.json.token;
  });

  it('an account sees and revokes only its own tokens', async () => {
    const desk = await loginFrom('127.0.0.9', 'desk', 'reception', pbx.receptionistPassword as string);
    const mine = await tokens(desk);
    expect(mine.every((t) => t.username === 'reception')).toBe(true);
    const adminIds = (await tokens(pbx.token)).map((t) => t.id);
    const r = await call(desk, 'POST', '/api/v1/admin/tokens/revoke', '127.0.0.9', 'desk', { ids: adminIds });
    expect(r.json).toEqual({ revoked: 0, currentRevoked: false });
    expect((await call(pbx.token, 'GET', '/api/v1/session')).status).toBe(200);
  });

  it('bad revoke requests are refused naming the field; nothing is revoked', async () => {
    const before = await tokens(pbx.token);
    for (const body of [{}, { ids: [] }, { ids: ['nothex'] }, { ids: [before[0]!.id], allExceptCurrent: true }, { allExceptCurrent: false }, { ids: [before[0]!.id], extra: 1 }]) {
      const r = await call(pbx.token, 'POST', '/api/v1/admin/tokens/revoke', '127.0.0.1', 'test', body);
      expect(r.status, JSON.stringify(body)).toBe(422);
      expect(errorOf(r).details?.length, JSON.stringify(body)).toBeGreaterThan(0);
    }
    expect(await tokens(pbx.token)).toEqual(before);
  });
});

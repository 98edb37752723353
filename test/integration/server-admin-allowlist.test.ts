// Issue 6 / SPEC F5, the admin allowlist on the REAL reference PBX: enforced on every management request and on
// login before the credentials (127.0.0.2 listed, 127.0.0.3 not), never on the phones' device API; the guard
// against locking yourself out (409 allowlist_excludes_you unless confirmed); entries validated per line and
// normalised; If-Match; every change audited.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminAllowlistSchema, type AdminAllowlist } from '../../shared/admin.js';
import { errorOf, httpRequest, openEventStream, startTestPbx, type TestPbx } from '../helpers/server.js';

let pbx: TestPbx;

const get = async (from = '127.0.0.1', token = pbx.token): Promise<AdminAllowlist> => {
  const r = await httpRequest(`${pbx.url}/api/v1/admin/allowlist`, { localAddress: from, headers: { authorization: `Bearer ${token}` } });
  expect(r.status, r.text).toBe(200);
  return AdminAllowlistSchema.parse(r.json);
};
const put = (body: unknown, ifMatch: string | undefined, from = '127.0.0.1', token = pbx.token) =>
  httpRequest(`${pbx.url}/api/v1/admin/allowlist`, {
    method: 'PUT', body, localAddress: from, headers: { authorization: `Bearer ${token}`, ...(ifMatch ? { 'if-match': ifMatch } : {}) },
  });
const session = (from: string, token = pbx.token) =>
  httpRequest(`${pbx.url}/api/v1/session`, { localAddress: from, headers: { authorization: `Bearer ${token}` } });
const login = (from: string, password: string) =>
  httpRequest<{ token: string }>(`${pbx.url}/api/v1/session`, { method: 'POST', body: { username: 'admin', password }, localAddress: from });

beforeAll(async () => {
  pbx = await startTestPbx();
});

afterAll(async () => {
  await pbx?.cleanup();
});

describe('the admin allowlist', () => {
  it('is empty at first: every address may manage the PBX', async () => {
    const a = await get();
    expect(a).toMatchObject({ entries: [], yourAddress: '127.0.0.1', youAreIncluded: true });
    expect((await session('127.0.0.3')).status).toBe(200);
  });

  it('refuses a list that leaves out the saver’s own address, naming the field; nothing changes', async () => {
    const before = await get();
    const r = await put({ entries: ['127.0.0.2', '10.0.0.0/8'] }, before.etag);
    expect(r.status).toBe(409);
    expect(errorOf(r)).toMatchObject({ code: 'allowlist_excludes_you', details: [{ field: 'entries', rule: 'includes_you' }] });
    expect(errorOf(r).message).toContain('127.0.0.1');
    expect(await get()).toEqual(before);
  });

  it('validates every entry (IPv4, IPv6, CIDR) naming its line; needs If-Match', async () => {
    const before = await get();
    const bad = await put({ entries: ['127.0.0.1', '300.1.1.1', '', '2001:db8::/200'] }, before.etag);
    expect(bad.status).toBe(422);
    expect([...new Set(errorOf(bad).details?.map((d) => d.field))]).toEqual(['entries.1', 'entries.2', 'entries.3']);
    expect((await put({ entries: ['127.0.0.1'] }, undefined)).status).toBe(428);
    expect((await put({ entries: ['127.0.0.1'] }, '"a999"')).status).toBe(412);
    expect(await get()).toEqual(before);
  });

  it('is enforced on every management request and on login before the credentials; phones are not affected', async () => {
    const before = await get();
    const r = await put({ entries: ['127.0.0.1', ' 127.0.0.2/32', '2001:db8::1/32', '10.1.2.3/8', '127.0.0.1'] }, before.etag);
    expect(r.status, r.text).toBe(200);
    const saved = AdminAllowlistSchema.parse(r.json);
    expect(saved.entries).toEqual(['127.0.0.1', '127.0.0.2', '2001:db8::/32', '10.0.0.0/8']);
    expect(r.headers.etag).toBe(saved.etag);

    // listed: works; not listed: refused before anything else — a valid token, the right and a wrong password alike
    expect((await session('127.0.0.2')).status).toBe(200);
    const refused = await session('127.0.0.3');
    expect(refused.status).toBe(403);
    expect(errorOf(refused)).toMatchObject({ code: 'address_not_allowed' });
    expect(errorOf(refused).message).toContain('127.0.0.3');
    const right = await login('127.0.0.3', pbx.adminPassword);
    const wrong = await login('127.0.0.3', 'not-the-password');
    expect(right.status).toBe(403);
    expect(errorOf(right)).toEqual(errorOf(wrong));
    expect((await login('127.0.0.2', pbx.adminPassword)).status).toBe(201);
    const anonymous = await httpRequest(`${pbx.url}/api/v1/extensions`, { localAddress: '127.0.0.3' });
    expect(anonymous.status, 'not even a 401 for a caller from an unlisted address').toBe(403);
    // first means first: before the body is parsed, for the OpenAPI document and unknown paths too
    for (const [method, path, raw] of [['POST', '/api/v1/session', '{not json'], ['GET', '/api/v1/openapi.json', undefined], ['GET', '/api/v1/nope', undefined]] as const) {
      const x = await httpRequest(`${pbx.url}${path}`, {
        method, localAddress: '127.0.0.3', ...(raw ? { rawBody: raw, headers: { 'content-type': 'application/json' } } : {}),
      });
      expect(x.status, path).toBe(403);
      expect(errorOf(x).code, path).toBe('address_not_allowed');
    }
    // the phones' device API and the health check stay open
    const phone = await pbx.device('/device/v1/hotdesk/status', { mac: '00:08:5D:22:00:01' }, { from: '127.0.0.3' });
    expect(phone.status).toBe(200);
    expect((await httpRequest(`${pbx.url}/api/v1/health`, { localAddress: '127.0.0.3' })).status).toBe(200);
    // audited with before and after
    const audit = await pbx.api<{ items: { action: string; detail: { before: string[]; after: string[] } }[] }>('GET', '/api/v1/audit?action=admin.allowlist');
    expect(audit.json.items[0]?.detail).toMatchObject({ before: [], after: saved.entries });
  });

  it('saves a list without the saver only when confirmed; then the saver is refused — its live stream ends too — and another listed address restores it', async () => {
    const before = await get();
    const stream = await openEventStream(pbx.url, pbx.token);
    expect(stream.status).toBe(200);
    const r = await put({ entries: ['127.0.0.2'], confirmExcludeSelf: true }, before.etag);
    expect(r.status, r.text).toBe(200);
    expect(AdminAllowlistSchema.parse(r.json)).toMatchObject({ youAreIncluded: false, entries: ['127.0.0.2'] });
    expect((await session('127.0.0.1')).status).toBe(403);
    await stream.ended;
    const from2 = await get('127.0.0.2');
    expect(from2).toMatchObject({ yourAddress: '127.0.0.2', youAreIncluded: true });
    expect((await put({ entries: [] }, from2.etag, '127.0.0.2')).status).toBe(200);
    expect((await session('127.0.0.1')).status).toBe(200);
    expect((await session('127.0.0.3')).status).toBe(200);
  });
});

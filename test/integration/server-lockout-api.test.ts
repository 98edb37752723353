// The management side of SPEC F3 on the real reference PBX: the dashboard lists (site-scoped), reset and
// unban (one, many, all; receptionists too), manual bans with the self-ban guard, the allowlist, the lockout
// policy (If-Match, defaults, validation), the failure histogram and the correlated view; the registration
// and phone-login device paths feeding the engine; a PIN reset lifting the voicemail lock. The clock is moved
// by hand, nothing sleeps.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Extension } from '../../shared/domain.js';
import {
  AddressBanListSchema,
  DEFAULT_LOCKOUT_POLICY,
  ExtensionLockListSchema,
  FailureHistogramSchema,
  LockCorrelationSchema,
  LockoutPolicyResourceSchema,
  type AddressBan,
  type ExtensionLock,
  type LockoutPolicy,
  type LockoutPolicyResource,
} from '../../shared/lockout.js';
import type { PbxEvent } from '../../shared/events.js';
import { errorOf, manualClock, openEventStream, startTestPbx, type EventStream, type TestPbx } from '../helpers/server.js';

const MIN = 60_000;
const clock = manualClock();
let pbx: TestPbx;
let receptionToken: string;
let stream: EventStream;
let receptionStream: EventStream;
/** Active hq (receptionist's site) phones with a mailbox, and one of another site. */
let hq: Extension[];
let north: Extension;

const locks = async (token?: string): Promise<ExtensionLock[]> => {
  const r = await pbx.api('GET', '/api/v1/lockouts/extensions', token ? { token } : {});
  expect(r.status, r.text).toBe(200);
  return ExtensionLockListSchema.parse(r.json).items;
};
const bans = async (token?: string): Promise<AddressBan[]> => {
  const r = await pbx.api('GET', '/api/v1/lockouts/addresses', token ? { token } : {});
  expect(r.status, r.text).toBe(200);
  return AddressBanListSchema.parse(r.json).items;
};
const vm = (extension: string, pin: string, from: string) => pbx.device('/device/v1/voicemail/login', { extension, pin }, { from });
/** `n` wrong voicemail PINs for `extension` from `from`. */
const fail = async (extension: string, n: number, from: string) => {
  for (let i = 0; i < n; i++) expect((await vm(extension, '000000000', from)).status).toBe(403);
};
const policy = async (): Promise<LockoutPolicyResource> => {
  const r = await pbx.api('GET', '/api/v1/policies/lockout');
  expect(r.status, r.text).toBe(200);
  expect(r.headers.etag).toBe(LockoutPolicyResourceSchema.parse(r.json).etag);
  return r.json as LockoutPolicyResource;
};
const take = (): Extension => {
  const e = hq.shift();
  if (!e) throw new Error('out of hq extensions');
  return e;
};

beforeAll(async () => {
  pbx = await startTestPbx({ clock: clock.now });
  const r = await pbx.login('reception', pbx.receptionistPassword as string);
  expect(r.status).toBe(201);
  receptionToken = r.json.token;
  const all = (await pbx.api<{ items: Extension[] }>('GET', '/api/v1/extensions?limit=1000')).json.items;
  const usable = (e: Extension) => e.status === 'active' && e.voicemail && e.type === 'phone_terminal';
  hq = all.filter((e) => e.siteId === 'hq' && usable(e));
  north = all.find((e) => e.siteId === 'north' && usable(e)) as Extension;
  stream = await openEventStream(pbx.url, pbx.token);
  receptionStream = await openEventStream(pbx.url, receptionToken);
});

afterAll(async () => {
  stream?.close();
  receptionStream?.close();
  await pbx?.cleanup();
});

describe('the lockout dashboard API (SPEC F3)', () => {
  it('lists a locked extension with every dashboard field; a receptionist sees only their sites', async () => {
    const a = take();
    await fail(a.number, 5, '127.0.0.2');
    await fail(north.number, 5, '127.0.0.3');
    const row = (await locks()).find((l) => l.extension === a.number && l.credential === 'voicemail');
    expect(row).toEqual({
      extension: a.number, label: a.label, siteId: 'hq', credential: 'voicemail', blocked: true, permanent: false,
      failures: 5, maxFailures: 5, lastFailureAt: clock.now().toISOString(), lastAddress: '127.0.0.2', lastUserAgent: null,
      lockedAt: clock.now().toISOString(), lockedUntil: new Date(clock.now().getTime() + 10 * MIN).toISOString(), recentLocks: 1,
    });
    expect((await locks()).some((l) => l.extension === north.number)).toBe(true);
    const mine = await locks(receptionToken);
    expect(mine.some((l) => l.extension === a.number)).toBe(true);
    expect(mine.some((l) => l.extension === north.number), 'another site is left out').toBe(false);
    // events: the receptionist's stream carries hq locks only
    await receptionStream.waitFor((e) => e.type === 'lockout.changed' && e.number === a.number && e.action === 'locked');
    await stream.waitFor((e) => e.type === 'lockout.changed' && e.number === north.number && e.action === 'locked');
    expect(receptionStream.events.some((e) => e.type === 'lockout.changed' && e.number === north.number)).toBe(false);
  });

  it('a receptionist resets a lock of their site (audited, published); another site’s is 404 and nothing changes', async () => {
    const a = take();
    await fail(a.number, 5, '127.0.0.4');
    const out = await pbx.api<{ reset: number; items: ExtensionLock[] }>('POST', '/api/v1/lockouts/extensions/reset', {
      token: receptionToken, body: { items: [{ extension: a.number, credential: 'voicemail' }] },
    });
    expect(out.status, out.text).toBe(200);
    expect(out.json.reset).toBe(1);
    expect(out.json.items[0]).toMatchObject({ extension: a.number, blocked: false, failures: 0, recentLocks: 0 });
    expect((await locks()).some((l) => l.extension === a.number), 'the row is gone from the dashboard').toBe(false);
    const ev = await stream.waitFor((e) => e.type === 'lockout.changed' && e.number === a.number && e.action === 'reset');
    expect(ev).toMatchObject({ by: 'reception', address: '127.0.0.1' });
    // it works again: the right PIN is taken
    const def = (await pbx.api<{ defaultPin: string }>('GET', `/api/v1/extensions/${a.number}/credentials/voicemail-pin/default`)).json.defaultPin;
    expect((await vm(a.number, def, '127.0.0.4')).status).toBe(200);

    const before = await locks();
    const other = await pbx.api('POST', '/api/v1/lockouts/extensions/reset', {
      token: receptionToken, body: { items: [{ extension: hq[0]!.number }, { extension: north.number }] },
    });
    expect(other.status).toBe(404);
    expect(errorOf(other).details?.[0]).toMatchObject({ field: 'items[1].extension', rule: 'exists' });
    expect(await locks(), 'nothing was reset').toEqual(before);
  });

  it('reset all, within the caller’s sites', async () => {
    const [a, b] = [take(), take()];
    await fail(a.number, 5, '127.0.0.5');
    await fail(b.number, 2, '127.0.0.5');
    expect((await locks()).some((l) => l.extension === north.number)).toBe(true);
    const r = await pbx.api<{ reset: number }>('POST', '/api/v1/lockouts/extensions/reset', { token: receptionToken, body: { all: true } });
    expect(r.status, r.text).toBe(200);
    expect(r.json.reset).toBeGreaterThanOrEqual(2);
    const left = await locks();
    expect(left.filter((l) => l.siteId === 'hq')).toEqual([]);
    expect(left.some((l) => l.extension === north.number), 'the other site is untouched').toBe(true);
  });

  it('bad reset and unban requests: 422 naming the field', async () => {
    const cases: [string, unknown, string][] = [
      ['/api/v1/lockouts/extensions/reset', { items: [] }, 'items'],
      ['/api/v1/lockouts/extensions/reset', { items: [{ extension: '1x' }] }, 'items.0.extension'],
      ['/api/v1/lockouts/extensions/reset', { items: [{ extension: '1001', credential: 'fax' }] }, 'items.0.credential'],
      ['/api/v1/lockouts/addresses/unban', { ids: ['x'] }, 'ids.0'],
      ['/api/v1/lockouts/addresses/unban', { all: false }, 'all'],
      ['/api/v1/lockouts/addresses/unban', {}, 'ids'],
      ['/api/v1/lockouts/addresses/unban', { ids: [1], all: true }, 'ids'],
      ['/api/v1/lockouts/extensions/reset', { all: true, items: [{ extension: '1001' }] }, 'items'],
    ];
    for (const [path, body, field] of cases) {
      const r = await pbx.api('POST', path, { body });
      expect(r.status, `${JSON.stringify(body)}: ${r.text}`).toBe(422);
      expect(errorOf(r).details?.map((d) => d.field), JSON.stringify(body)).toContain(field);
    }
  });

  it('automatic bans list with reason and hits; unban one, many and all (receptionists too)', async () => {
    // 10 counted failures from an address (5 each against two mailboxes: attempts on a locked one do not count)
    const banAddress = async (from: string) => {
      await fail(take().number, 5, from);
      await fail(take().number, 5, from);
    };
    await banAddress('127.0.0.6');
    await banAddress('127.0.0.7');
    await banAddress('127.0.0.8');
    await fail(take().number, 1, '127.0.0.8'); // refused by the ban: a hit
    const list = await bans(receptionToken);
    const six = list.find((x) => x.cidr === '127.0.0.6') as AddressBan;
    expect(six).toMatchObject({ addedBy: 'auto', reason: '10 failed sign-ins in 10 min', createdBy: 'lockout engine' });
    expect(Date.parse(six.expiresAt as string) - clock.now().getTime()).toBe(10 * MIN);
    expect(list.find((x) => x.cidr === '127.0.0.8')?.hits).toBe(1);
    await receptionStream.waitFor((e) => e.type === 'ban.changed' && e.action === 'added' && e.ban.cidr === '127.0.0.8');

    const one = await pbx.api<{ removed: number; items: AddressBan[] }>('POST', '/api/v1/lockouts/addresses/unban', { token: receptionToken, body: { ids: [six.id, 999_999] } });
    expect(one.status, one.text).toBe(200);
    expect(one.json).toMatchObject({ removed: 1, items: [{ cidr: '127.0.0.6' }] });
    await stream.waitFor((e) => e.type === 'ban.changed' && e.action === 'removed' && e.ban.cidr === '127.0.0.6');
    // 127.0.0.6 may try again (its extension is still locked, so a wrong answer, but no ban hit)
    expect((await bans()).some((x) => x.cidr === '127.0.0.6')).toBe(false);

    const all = await pbx.api<{ removed: number }>('POST', '/api/v1/lockouts/addresses/unban', { body: { all: true } });
    expect(all.json.removed).toBeGreaterThanOrEqual(2);
    expect(await bans()).toEqual([]);
  });

  it('manual bans: CIDR checked (IPv4 and IPv6), description required, never your own address, expiry', async () => {
    for (const [cidr, rule] of [['10.0.0.0/33', 'cidr'], ['banana', 'cidr'], ['2001:db8::/129', 'cidr'], ['10.0.0.1/', 'cidr']] as const) {
      const r = await pbx.api('POST', '/api/v1/lockouts/addresses', { body: { cidr, description: 'test' } });
      expect(r.status, `${cidr}: ${r.text}`).toBe(422);
      expect(errorOf(r).details?.[0]).toMatchObject({ field: 'cidr', rule });
      expect(errorOf(r).message).toMatch(/^cidr: /);
    }
    const noWhy = await pbx.api('POST', '/api/v1/lockouts/addresses', { body: { cidr: '192.0.2.0/24', description: ' ' } });
    expect(noWhy.status).toBe(422);
    expect(errorOf(noWhy).details?.[0]).toMatchObject({ field: 'description' });
    // the admin works from 127.0.0.1: a block covering it would lock them out
    const self = await pbx.api('POST', '/api/v1/lockouts/addresses', { body: { cidr: '127.0.0.0/8', description: 'loopback' } });
    expect(self.status).toBe(409);
    expect(errorOf(self)).toMatchObject({ code: 'ban_covers_you', details: [{ field: 'cidr', rule: 'not_own_address' }] });
    expect(await bans()).toEqual([]);
    // a receptionist may not add one
    const rec = await pbx.api('POST', '/api/v1/lockouts/addresses', { token: receptionToken, body: { cidr: '192.0.2.0/24', description: 'x' } });
    expect(rec.status).toBe(403);

    const v6 = await pbx.api<AddressBan>('POST', '/api/v1/lockouts/addresses', { body: { cidr: '2001:DB8:0::/32', description: 'lab network' } });
    expect(v6.status, v6.text).toBe(201);
    expect(v6.json).toMatchObject({ cidr: '2001:db8::/32', addedBy: 'manual', reason: 'lab network', createdBy: 'admin', expiresAt: null, hits: 0 });
    const hour = await pbx.api<AddressBan>('POST', '/api/v1/lockouts/addresses', { body: { cidr: '127.0.0.9', description: 'a noisy phone', durationSeconds: 3600 } });
    expect(hour.status, hour.text).toBe(201);
    const a = take();
    const def = (await pbx.api<{ defaultPin: string }>('GET', `/api/v1/extensions/${a.number}/credentials/voicemail-pin/default`)).json.defaultPin;
    expect((await vm(a.number, def, '127.0.0.9')).status, 'even the right PIN is refused from a banned address').toBe(403);
    expect((await bans()).find((x) => x.id === hour.json.id)?.hits).toBe(1);
    clock.advance(61 * MIN);
    expect((await vm(a.number, def, '127.0.0.9')).status, 'the ban expired').toBe(200);
    expect((await bans()).map((x) => x.cidr)).toEqual(['2001:db8::/32']);
    await pbx.api('POST', '/api/v1/lockouts/addresses/unban', { body: { all: true } });
  });

  it('the allowlist: never auto-banned; admins only; bad CIDR 422; unknown id 404', async () => {
    const add = await pbx.api<{ id: number; cidr: string }>('POST', '/api/v1/lockouts/allowlist', { body: { cidr: '127.0.0.10/32', description: 'reception desk' } });
    expect(add.status, add.text).toBe(201);
    expect(add.json).toMatchObject({ cidr: '127.0.0.10', description: 'reception desk', createdBy: 'admin' });
    const a = take();
    // 12 counted failures (two mailboxes): enough to ban any other address
    await fail(a.number, 5, '127.0.0.10');
    await fail(take().number, 7, '127.0.0.10');
    expect((await bans()).some((x) => x.cidr === '127.0.0.10'), 'an allowlisted address is not banned').toBe(false);
    expect((await locks()).find((l) => l.extension === a.number)?.blocked, 'its extension still locks').toBe(true);

    expect((await pbx.api('POST', '/api/v1/lockouts/allowlist', { body: { cidr: '300.1.1.1' } })).status).toBe(422);
    expect((await pbx.api('GET', '/api/v1/lockouts/allowlist', { token: receptionToken })).status).toBe(403);
    expect((await pbx.api('DELETE', '/api/v1/lockouts/allowlist/999999')).status).toBe(404);
    const del = await pbx.api('DELETE', `/api/v1/lockouts/allowlist/${add.json.id}`);
    expect(del.status, del.text).toBe(204);
    expect((await pbx.api<{ items: unknown[] }>('GET', '/api/v1/lockouts/allowlist')).json.items).toEqual([]);
  });

  it('the lockout policy: defaults, If-Match, validation naming the field, applied at once, admins only', async () => {
    const p0 = await policy();
    expect(p0.policy).toEqual(DEFAULT_LOCKOUT_POLICY);
    const stricter: LockoutPolicy = { ...p0.policy, extension: { ...p0.policy.extension, threshold: 3 } };
    expect((await pbx.api('PUT', '/api/v1/policies/lockout', { body: stricter })).status).toBe(428);
    expect((await pbx.api('PUT', '/api/v1/policies/lockout', { body: stricter, ifMatch: '"l999"' })).status).toBe(412);
    const bad = await pbx.api('PUT', '/api/v1/policies/lockout', { body: { ...stricter, extension: { ...stricter.extension, threshold: 0 } }, ifMatch: p0.etag });
    expect(bad.status).toBe(422);
    expect(errorOf(bad).details?.[0]).toMatchObject({ field: 'extension.threshold' });
    expect(errorOf(bad).message).toContain('extension.threshold must be at least 1');
    expect((await pbx.api('PUT', '/api/v1/policies/lockout', { token: receptionToken, body: stricter, ifMatch: p0.etag })).status).toBe(403);
    expect((await policy()).version).toBe(p0.version);

    const ok = await pbx.api<LockoutPolicyResource>('PUT', '/api/v1/policies/lockout', { body: stricter, ifMatch: p0.etag });
    expect(ok.status, ok.text).toBe(200);
    expect(ok.json).toMatchObject({ version: p0.version + 1, updatedBy: 'admin', policy: stricter });
    await stream.waitFor((e) => e.type === 'lockout.settings_changed' && e.what === 'policy');
    const a = take();
    await fail(a.number, 3, '127.0.0.11');
    expect((await locks()).find((l) => l.extension === a.number)).toMatchObject({ blocked: true, maxFailures: 3 });
    // back to the defaults
    const back = await pbx.api('PUT', '/api/v1/policies/lockout', { body: DEFAULT_LOCKOUT_POLICY, ifMatch: ok.json.etag });
    expect(back.status).toBe(200);
  });

  it('the failure histogram (per minute, 24 h) and the correlated view of one extension', async () => {
    const a = take();
    await fail(a.number, 2, '127.0.0.12');
    clock.advance(3 * MIN);
    await pbx.device('/device/v1/voicemail/login', { extension: a.number, pin: '000000000' }, { from: '127.0.0.13' });
    const h = await pbx.api('GET', '/api/v1/lockouts/histogram?top=20');
    expect(h.status, h.text).toBe(200);
    const hist = FailureHistogramSchema.parse(h.json);
    expect(hist.total).toHaveLength(24 * 60);
    expect(hist.total.at(-1)).toBe(1);
    expect(hist.total.at(-4)).toBeGreaterThanOrEqual(2);
    const mine = hist.byExtension.find((s) => s.extension === a.number);
    expect(mine?.counts.at(-1)).toBe(1);
    expect(mine?.counts.at(-4)).toBe(2);
    expect((await pbx.api('GET', '/api/v1/lockouts/histogram?hours=25')).status).toBe(422);
    expect((await pbx.api('GET', '/api/v1/lockouts/histogram', { token: receptionToken })).status).toBe(403);

    const c = await pbx.api('GET', `/api/v1/lockouts/extensions/${a.number}/correlation`);
    expect(c.status, c.text).toBe(200);
    const corr = LockCorrelationSchema.parse(c.json);
    expect(corr.rows.map((r) => [r.address, r.credential, r.failures])).toEqual([
      ['127.0.0.12', 'voicemail', 2],
      ['127.0.0.13', 'voicemail', 1],
    ]);
  });

  it('registration and phone login feed their own counters and lock at the threshold', async () => {
    const a = take();
    const e = await pbx.extension(a.number);
    const pw = await pbx.api<Extension>('PUT', `/api/v1/extensions/${a.number}/credentials/phone_password`, { body: { value: '583920' }, ifMatch: e.etag });
    expect(pw.status, pw.text).toBe(200);
    const code = await pbx.api<Extension>('PUT', `/api/v1/extensions/${a.number}/credentials/login_code`, { body: { value: '4827' }, ifMatch: pw.json.etag });
    expect(code.status, code.text).toBe(200);
    const register = (password: string, from = '127.0.0.14') => pbx.device('/device/v1/register', { extension: a.number, password }, { from });
    const login = (c: string, from = '127.0.0.14') => pbx.device('/device/v1/phone-login', { extension: a.number, code: c }, { from });

    expect((await register('583920')).json).toEqual({ result: 'registered', expiresSeconds: 3600 });
    expect((await login('4827')).json).toEqual({ result: 'ok' });
    const wrong = await register('111111');
    expect(wrong.status).toBe(403);
    expect(errorOf(wrong).code).toBe('keypad_rejected');
    // unknown extension: the same answer
    const unknown = await pbx.device('/device/v1/register', { extension: '99999', password: '583920' }, { from: '127.0.0.14' });
    expect({ status: unknown.status, body: unknown.json }).toEqual({ status: wrong.status, body: wrong.json });

    for (let i = 0; i < 4; i++) expect((await register('111111')).status).toBe(403);
    const rows = (await locks()).filter((l) => l.extension === a.number);
    expect(rows.find((l) => l.credential === 'registration')).toMatchObject({ blocked: true, failures: 5 });
    expect(rows.some((l) => l.credential === 'phone_login'), 'phone login has its own counter').toBe(false);
    // locked: the right password is refused too; the login code still works
    expect((await register('583920')).status).toBe(403);
    expect((await login('4827')).status).toBe(200);
    for (let i = 0; i < 5; i++) expect((await login('0000', '127.0.0.15')).status).toBe(403);
    expect((await locks()).find((l) => l.extension === a.number && l.credential === 'phone_login')?.blocked).toBe(true);
    // bad input: 422 naming the field
    const bad = await pbx.device('/device/v1/register', { extension: a.number }, { from: '127.0.0.14' });
    expect(bad.status).toBe(422);
    expect(errorOf(bad).details?.[0]).toMatchObject({ field: 'password' });
  });

  it('a PIN reset to the default also lifts the voicemail lock (SPEC F2), in one request and in bulk', async () => {
    const [a, b] = [take(), take()];
    await fail(a.number, 5, '127.0.0.16');
    await fail(b.number, 5, '127.0.0.16');
    const ea = await pbx.extension(a.number);
    const r = await pbx.api<Extension>('POST', `/api/v1/extensions/${a.number}/credentials/voicemail-pin/reset`, { token: receptionToken, ifMatch: ea.etag });
    expect(r.status, r.text).toBe(200);
    const bulk = await pbx.api('POST', '/api/v1/credentials/voicemail-pin/reset', { body: { numbers: [b.number] } });
    expect(bulk.status, bulk.text).toBe(200);
    const rows = await locks();
    expect(rows.some((l) => l.extension === a.number || l.extension === b.number)).toBe(false);
    const ev: PbxEvent = await stream.waitFor((e) => e.type === 'lockout.changed' && e.number === b.number && e.action === 'reset');
    expect(ev).toMatchObject({ credential: 'voicemail', by: 'admin' });
  });
});


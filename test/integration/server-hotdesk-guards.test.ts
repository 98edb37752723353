// SPEC F3 × F4 on the REAL reference PBX: the guards around the shared hot-desk passwords and a logged-in
// phone. A shared password is not an extension's secret, so its success clears no extension counter; the
// shared passwords (master keys) have a lock of their own against guesses spread over extensions and
// addresses; they have a floor whatever the login-code policy says and must differ even when set at once; a
// logged-in phone takes a new login only from its own address; a daily logout time applies from the next
// occurrence; deactivation removes the mapping; ETags name their resource. The clock is moved by hand.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Extension } from '../../shared/domain.js';
import {
  HotDeskListSchema,
  HotDeskPasswordsSchema,
  SHARED_PASSWORD_LOCK,
  SiteHotDeskListSchema,
  type HotDeskPasswords,
  type SiteHotDesk,
} from '../../shared/hotdesk.js';
import { ExtensionLockListSchema } from '../../shared/lockout.js';
import { hotDeskHelpers, loopbackHosts, takeFrom } from '../helpers/hotdesk.js';
import { errorOf, manualClock, openEventStream, startTestPbx, type EventStream, type TestPbx } from '../helpers/server.js';

const ADMIN_PASSWORD = '582047';
const USER_PASSWORD = '739418';
const MIN = 60_000;
const AASTRA_HQ = '00:08:5D:22:00:01';
const AASTRA_HQ_2 = '00:08:5D:22:00:02';

const clock = manualClock(new Date('2030-01-15T09:00:00.000Z'));
let pbx: TestPbx;
let stream: EventStream;
let mailboxes: Extension[];
let noMailbox: Extension[];
const host = loopbackHosts('127.0.3.', 20);
const take = (pool: Extension[]): Extension => takeFrom(pool);

const { login, deviceOf } = hotDeskHelpers(() => pbx, () => stream);
const logout = (mac: string, from: string) => pbx.device('/device/v1/hotdesk/logout', { mac }, { from });
const passwords = async (): Promise<HotDeskPasswords> => {
  const r = await pbx.api('GET', '/api/v1/hotdesk/passwords');
  expect(r.status, r.text).toBe(200);
  return HotDeskPasswordsSchema.parse(r.json);
};
const lockOf = async (extension: string, credential: string) => {
  const r = await pbx.api('GET', '/api/v1/lockouts/extensions');
  return ExtensionLockListSchema.parse(r.json).items.find((l) => l.extension === extension && l.credential === credential);
};
const unlockShared = async () => expect((await pbx.api('POST', '/api/v1/hotdesk/passwords/unlock')).status).toBe(200);

beforeAll(async () => {
  pbx = await startTestPbx({ clock: clock.now });
  const all = (await pbx.api<{ items: Extension[] }>('GET', '/api/v1/extensions?limit=1000&site=hq&type=phone_terminal')).json.items;
  const free = all.filter((e) => e.status === 'active' && !['1000', '1001'].includes(e.number));
  mailboxes = free.filter((e) => e.voicemail);
  noMailbox = free.filter((e) => !e.voicemail);
  for (const [kind, password] of [['admin', ADMIN_PASSWORD], ['user', USER_PASSWORD]] as const) {
    const r = await pbx.api('PUT', `/api/v1/hotdesk/passwords/${kind}`, { body: { password } });
    expect(r.status, r.text).toBe(200);
  }
  stream = await openEventStream(pbx.url, pbx.token);
});

afterAll(async () => {
  stream?.close();
  await pbx?.cleanup();
});

describe('shared passwords are not an extension’s secret', () => {
  it('a hot-desk login with the user password does not clear the failures of the extension’s login code', async () => {
    const x = take(noMailbox);
    const ext = await pbx.extension(x.number);
    const set = await pbx.api('PUT', `/api/v1/extensions/${x.number}/credentials/login_code`, { ifMatch: ext.etag, body: { value: '864209' } });
    expect(set.status, set.text).toBe(200);
    const from = host();
    const wrongCode = () => pbx.device('/device/v1/phone-login', { extension: x.number, code: '135792' }, { from });
    for (let i = 0; i < 4; i++) expect((await wrongCode()).status).toBe(403);
    // everyone knows the user password: its success must not wipe the four guesses of the login code
    const desk = host();
    expect((await login(AASTRA_HQ, x.number, USER_PASSWORD, desk)).status).toBe(200);
    expect((await logout(AASTRA_HQ, desk)).status).toBe(200);
    expect((await wrongCode()).status).toBe(403);
    expect(await lockOf(x.number, 'phone_login'), 'the fifth guess locks').toMatchObject({ blocked: true, failures: 5 });
    // and the right code is refused now
    expect((await pbx.device('/device/v1/phone-login', { extension: x.number, code: '864209' }, { from: host() })).status).toBe(403);
    await pbx.api('POST', '/api/v1/lockouts/extensions/reset', { body: { items: [{ extension: x.number }] } });
  });

  it('the admin password does not clear a mailbox’s voicemail failures', async () => {
    const x = take(mailboxes);
    const from = host();
    for (let i = 0; i < 4; i++) {
      expect((await pbx.device('/device/v1/voicemail/login', { extension: x.number, pin: '97531' }, { from })).status).toBe(403);
    }
    const desk = host();
    expect((await login(AASTRA_HQ, x.number, ADMIN_PASSWORD, desk)).status).toBe(200);
    expect((await logout(AASTRA_HQ, desk)).status).toBe(200);
    expect((await pbx.device('/device/v1/voicemail/login', { extension: x.number, pin: '97531' }, { from })).status).toBe(403);
    expect(await lockOf(x.number, 'voicemail')).toMatchObject({ blocked: true, failures: 5 });
    await pbx.api('POST', '/api/v1/lockouts/extensions/reset', { body: { items: [{ extension: x.number }] } });
  });

  it(`${SHARED_PASSWORD_LOCK.threshold} failed hot-desk logins spread over extensions and addresses lock the shared passwords; PINs still work; an admin lifts it`, async () => {
    await unlockShared();
    const before = stream.events.length;
    // two guesses per extension and four per address: no extension and no address reaches its own threshold
    const targets = mailboxes.splice(0, SHARED_PASSWORD_LOCK.threshold / 2);
    for (let i = 0; i < SHARED_PASSWORD_LOCK.threshold; i++) {
      const r = await login(AASTRA_HQ, (targets[i % targets.length] as Extension).number, `9${String(100000 + i)}`, `127.0.4.${Math.floor(i / 4) + 1}`);
      expect(r.status).toBe(403);
    }
    const state = await passwords();
    expect(state.sharedLock.failures).toBe(SHARED_PASSWORD_LOCK.threshold);
    expect(Date.parse(state.sharedLock.lockedUntil as string)).toBe(clock.now().getTime() + SHARED_PASSWORD_LOCK.lockMinutes * MIN);
    const ev = await stream.waitFor((e) => e.type === 'hotdesk.settings_changed' && e.what === 'passwords' && e.by === 'system');
    expect(stream.events.findIndex((e) => e.id === ev.id)).toBeGreaterThanOrEqual(before);
    const bans = (await pbx.api<{ items: unknown[] }>('GET', '/api/v1/lockouts/addresses')).json.items;
    expect(bans, 'no address was banned').toEqual([]);

    // the master key is refused now, with the same answer as a wrong password; a mailbox PIN still works
    const a = take(mailboxes);
    const refused = await login(AASTRA_HQ, a.number, ADMIN_PASSWORD, host());
    expect(refused.status).toBe(403);
    expect(errorOf(refused).code).toBe('keypad_rejected');
    const pin = (await pbx.api<{ defaultPin: string }>('GET', `/api/v1/extensions/${a.number}/credentials/voicemail-pin/default`)).json.defaultPin;
    const desk = host();
    expect((await login(AASTRA_HQ, a.number, pin, desk)).status).toBe(200);
    expect((await logout(AASTRA_HQ, desk)).status).toBe(200);

    // the lock ends by itself after lockMinutes …
    clock.advance(SHARED_PASSWORD_LOCK.lockMinutes * MIN + 1000);
    expect((await passwords()).sharedLock.lockedUntil).toBeNull();
    const desk2 = host();
    expect((await login(AASTRA_HQ, a.number, ADMIN_PASSWORD, desk2)).status).toBe(200);
    expect((await logout(AASTRA_HQ, desk2)).status).toBe(200);
    const re = await pbx.login();
    pbx.token = re.json.token;

    // … or an admin lifts it at once
    for (let i = 0; i < SHARED_PASSWORD_LOCK.threshold; i++) {
      await login(AASTRA_HQ, (targets[i % targets.length] as Extension).number, `8${String(200000 + i)}`, `127.0.5.${Math.floor(i / 4) + 1}`);
    }
    expect((await passwords()).sharedLock.lockedUntil).not.toBeNull();
    const unlocked = await pbx.api('POST', '/api/v1/hotdesk/passwords/unlock');
    expect(unlocked.status, unlocked.text).toBe(200);
    expect(HotDeskPasswordsSchema.parse(unlocked.json).sharedLock).toMatchObject({ lockedUntil: null, failures: 0 });
    const desk3 = host();
    expect((await login(AASTRA_HQ, a.number, ADMIN_PASSWORD, desk3)).status).toBe(200);
    expect((await logout(AASTRA_HQ, desk3)).status).toBe(200);
    await pbx.api('POST', '/api/v1/lockouts/extensions/reset', { body: { all: true } });
  });
});

describe('setting the shared passwords', () => {
  it('has a floor of 6 digits whatever the login-code policy allows', async () => {
    const before = await passwords();
    for (const password of ['', '13579']) {
      const r = await pbx.api('PUT', '/api/v1/hotdesk/passwords/admin', { body: { password } });
      expect(r.status).toBe(422);
      expect(errorOf(r)).toMatchObject({ code: 'pin_policy_violation' });
      expect(errorOf(r).details).toContainEqual(expect.objectContaining({ field: 'password', rule: 'hotdesk_min_length' }));
    }
    expect(await passwords()).toEqual(before);
  });

  it('two writes at once cannot make the user and admin passwords equal', async () => {
    const same = '975318642';
    const [u, a] = await Promise.all([
      pbx.api('PUT', '/api/v1/hotdesk/passwords/user', { body: { password: same } }),
      pbx.api('PUT', '/api/v1/hotdesk/passwords/admin', { body: { password: same } }),
    ]);
    expect([u.status, a.status].sort()).toEqual([200, 422]);
    const refused = u.status === 422 ? u : a;
    expect(errorOf(refused).details).toContainEqual(expect.objectContaining({ rule: 'differs' }));
    // put the known values back
    for (const [kind, password] of [['admin', ADMIN_PASSWORD], ['user', USER_PASSWORD]] as const) {
      expect((await pbx.api('PUT', `/api/v1/hotdesk/passwords/${kind}`, { body: { password } })).status).toBe(200);
    }
  });
});

describe('a logged-in phone', () => {
  it('takes a new login only from its own address: nobody else can push its user off by sending the MAC', async () => {
    const victim = take(mailboxes);
    const intruder = take(noMailbox);
    const desk = host();
    expect((await login(AASTRA_HQ_2, victim.number, ADMIN_PASSWORD, desk)).status).toBe(200);
    const before = await deviceOf(AASTRA_HQ_2);
    const r = await login(AASTRA_HQ_2, intruder.number, USER_PASSWORD, host());
    expect(r.status).toBe(403);
    expect(errorOf(r).code).toBe('keypad_rejected');
    expect(await deviceOf(AASTRA_HQ_2)).toEqual(before);
    // the phone itself may switch users
    expect((await login(AASTRA_HQ_2, intruder.number, USER_PASSWORD, desk)).status).toBe(200);
    expect((await deviceOf(AASTRA_HQ_2)).extension).toBe(intruder.number);
    expect((await logout(AASTRA_HQ_2, desk)).status).toBe(200);
  });
});

describe('site settings and deactivation', () => {
  const sites = async (): Promise<SiteHotDesk[]> => SiteHotDeskListSchema.parse((await pbx.api('GET', '/api/v1/hotdesk/sites')).json).items;

  it('a daily logout time set after it passed today applies from its next occurrence', async () => {
    const x = take(mailboxes);
    const desk = host();
    expect((await login(AASTRA_HQ, x.number, ADMIN_PASSWORD, desk)).status).toBe(200);
    clock.advance(60 * MIN);
    const re = await pbx.login();
    pbx.token = re.json.token;
    // 14:00 UTC is in the past of today (the clock is past 09:00): nobody is logged out now
    const now = clock.now();
    const earlier = `${String(now.getUTCHours() - 1).padStart(2, '0')}:00`;
    const hq = (await sites()).find((s) => s.siteId === 'hq') as SiteHotDesk;
    const put = await pbx.api('PUT', '/api/v1/hotdesk/sites/hq', {
      ifMatch: hq.etag,
      body: { internalAddress: hq.internalAddress, externalAddress: hq.externalAddress, autoLogout: { idleMinutes: null, dailyAt: earlier, timeZone: 'UTC' } },
    });
    expect(put.status, put.text).toBe(200);
    expect((await deviceOf(AASTRA_HQ)).state).toBe('logged_in');
    // the next day at that time it is
    clock.advance(24 * 60 * MIN);
    const re2 = await pbx.login();
    pbx.token = re2.json.token;
    const rows = HotDeskListSchema.parse((await pbx.api('GET', '/api/v1/hotdesk')).json).items;
    expect(rows.find((r) => r.extension === x.number)).toBeUndefined();
    expect((await deviceOf(AASTRA_HQ)).state).toBe('logged_out');
    const back = await pbx.api('PUT', '/api/v1/hotdesk/sites/hq', {
      ifMatch: (put.json as SiteHotDesk).etag,
      body: { internalAddress: hq.internalAddress, externalAddress: hq.externalAddress, autoLogout: { idleMinutes: null, dailyAt: null, timeZone: 'UTC' } },
    });
    expect(back.status, back.text).toBe(200);
  });

  it('addresses and template settings are checked part by part, naming the field; nothing changes', async () => {
    const before = await sites();
    const hq = before.find((s) => s.siteId === 'hq') as SiteHotDesk;
    const auto = { idleMinutes: null, dailyAt: null, timeZone: 'UTC' };
    for (const [internalAddress, says] of [['999.1.1.1', 'IPv4'], ['10.1.0.10:99999', 'port'], ['[:::::]', 'IPv6']] as const) {
      const r = await pbx.api('PUT', '/api/v1/hotdesk/sites/hq', { ifMatch: hq.etag, body: { internalAddress, externalAddress: null, autoLogout: auto } });
      expect(r.status, internalAddress).toBe(422);
      expect(errorOf(r).details).toContainEqual(expect.objectContaining({ field: 'internalAddress', rule: 'address', message: expect.stringContaining(says) }));
    }
    expect(await sites()).toEqual(before);
    const t = await pbx.api('POST', '/api/v1/hotdesk/templates', { body: { brand: 'snom', name: 'Lobby', settings: { 'Bad Key': '1' } } });
    expect(t.status).toBe(422);
    expect(errorOf(t).details).toContainEqual(expect.objectContaining({ field: 'settings.Bad Key', rule: 'setting_name' }));
    const same = await pbx.api('POST', '/api/v1/hotdesk/templates', { body: { brand: 'snom', name: 'STANDARD' } });
    expect(same.status, 'template names are unique whatever the case').toBe(409);
  });

  it('ETags name their resource: one mapping’s or site’s ETag does not match another', async () => {
    const rows = HotDeskListSchema.parse((await pbx.api('GET', '/api/v1/hotdesk')).json).items;
    const m1000 = rows.find((r) => r.extension === '1000')?.mapping;
    const m1001 = rows.find((r) => r.extension === '1001')?.mapping;
    expect(m1000 && m1001).toBeTruthy();
    expect(m1000?.etag).not.toBe(m1001?.etag);
    const r = await pbx.api('PUT', '/api/v1/hotdesk/mappings/1001', { ifMatch: m1000?.etag, body: { templateId: m1001?.templateId, mac: null } });
    expect(r.status).toBe(412);
    const all = await sites();
    expect(new Set(all.map((s) => s.etag)).size).toBe(all.length);
  });

  it('deactivating a number removes its mapping (custom configuration) and says so live', async () => {
    const ext = await pbx.extension('1001');
    const r = await pbx.api('POST', '/api/v1/extensions/1001/deactivate', { ifMatch: ext.etag });
    expect(r.status, r.text).toBe(200);
    const rows = HotDeskListSchema.parse((await pbx.api('GET', '/api/v1/hotdesk')).json).items;
    expect(rows.find((x) => x.extension === '1001')).toBeUndefined();
    const ev = await stream.waitFor((e) => e.type === 'hotdesk.mapping_changed' && e.number === '1001');
    expect(ev).toMatchObject({ action: 'deleted', row: null });
  });
});

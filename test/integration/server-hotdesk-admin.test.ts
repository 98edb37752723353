// SPEC F4 (hot desking) on the REAL reference PBX, the management side: automatic logouts on the fake clock
// (idle time and a daily time in the site's zone), mapping / phone / site-settings / password validation that
// names the field and the rule and changes nothing, the global passwords never leaving the server (nor being
// stored in clear), and the receptionist's site scope and role limits. Nothing sleeps.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Extension } from '../../shared/domain.js';
import {
  DeviceListSchema,
  HotDeskPasswordsSchema,
  SiteHotDeskListSchema,
  TemplateListSchema,
  type SiteHotDesk,
  type SiteHotDeskWrite,
  type Template,
} from '../../shared/hotdesk.js';
import { hotDeskHelpers, loopbackHosts, takeFrom } from '../helpers/hotdesk.js';
import { errorOf, manualClock, openEventStream, startTestPbx, type EventStream, type HttpResult, type TestPbx } from '../helpers/server.js';

const ADMIN_PASSWORD = '582047';
const MIN = 60_000;
const SNOM_SOUTH = '00:04:13:55:00:01';
const SNOM_SOUTH_2 = '00:04:13:55:00:02';
const AASTRA_HQ = '00:08:5D:22:00:01';
const YEALINK_HQ_2 = '80:5E:C0:11:00:02';
const POLY_NORTH = '64:16:7F:44:00:01';

// 2030-01-15T09:00Z = 10:00 in Berlin
const clock = manualClock(new Date('2030-01-15T09:00:00.000Z'));
let pbx: TestPbx;
let receptionToken: string;
let stream: EventStream;
let hqPhones: Extension[];
let northPhones: Extension[];
let southPhones: Extension[];

const take = takeFrom;
const host = loopbackHosts('127.0.0.', 10);

const hd = hotDeskHelpers(() => pbx, () => stream);
const { rows, devices, deviceOf, hotdeskEvent } = hd;
/** A phone's hot-desk login with the global admin password. */
const login = (mac: string, extension: string, from: string) => hd.login(mac, extension, ADMIN_PASSWORD, from);
const loginOk = (mac: string, extension: string, from: string) => hd.loginOk(mac, extension, ADMIN_PASSWORD, from);
const sites = async (): Promise<SiteHotDesk[]> => {
  const r = await pbx.api('GET', '/api/v1/hotdesk/sites');
  expect(r.status, r.text).toBe(200);
  return SiteHotDeskListSchema.parse(r.json).items;
};
const site = async (id: string): Promise<SiteHotDesk> => (await sites()).find((s) => s.siteId === id) as SiteHotDesk;
const templates = async (): Promise<Template[]> => {
  const r = await pbx.api('GET', '/api/v1/hotdesk/templates');
  expect(r.status, r.text).toBe(200);
  return TemplateListSchema.parse(r.json).items;
};
const templateNamed = async (brand: string, name: string): Promise<Template> =>
  (await templates()).find((t) => t.brand === brand && t.name === name) as Template;
/** PUT a site's settings with its current etag (the addresses kept). */
const setAutoLogout = async (siteId: string, autoLogout: SiteHotDeskWrite['autoLogout']) => {
  const s = await site(siteId);
  const r = await pbx.api<SiteHotDesk>('PUT', `/api/v1/hotdesk/sites/${siteId}`, {
    ifMatch: s.etag, body: { internalAddress: s.internalAddress, externalAddress: s.externalAddress, autoLogout },
  });
  expect(r.status, r.text).toBe(200);
  expect(r.headers.etag).toBe(r.json.etag);
  return r.json;
};
const detailsOf = (r: HttpResult) => errorOf(r).details ?? [];
/** Everything the hot-desk management reads return, for "nothing changed" checks. */
const snapshot = async () => ({ rows: await rows(), devices: await devices(), templates: await templates(), sites: await sites() });

/** Log the admin and the receptionist in again (sessions expire), and reopen the admin's event stream. */
const relogin = async () => {
  const a = await pbx.login();
  expect(a.status, a.text).toBe(201);
  pbx.token = a.json.token;
  const r = await pbx.login('reception', pbx.receptionistPassword as string);
  expect(r.status, r.text).toBe(201);
  receptionToken = r.json.token;
  stream?.close();
  stream = await openEventStream(pbx.url, pbx.token);
};
/** Move the clock to `iso` (hours may pass: new sessions, so nothing but the hot-desk state is affected). */
const jump = async (iso: string) => {
  clock.set(new Date(iso));
  await relogin();
};

beforeAll(async () => {
  pbx = await startTestPbx({ clock: clock.now });
  const all = (await pbx.api<{ items: Extension[] }>('GET', '/api/v1/extensions?limit=1000')).json.items;
  const phoneOk = (e: Extension) => e.status === 'active' && e.type === 'phone_terminal' && !['1000', '1001', '2000'].includes(e.number);
  hqPhones = all.filter((e) => e.siteId === 'hq' && phoneOk(e));
  northPhones = all.filter((e) => e.siteId === 'north' && phoneOk(e));
  southPhones = all.filter((e) => e.siteId === 'south' && phoneOk(e));
  const set = await pbx.api('PUT', '/api/v1/hotdesk/passwords/admin', { body: { password: ADMIN_PASSWORD } });
  expect(set.status, set.text).toBe(200);
  await relogin();
});

afterAll(async () => {
  stream?.close();
  await pbx?.cleanup();
});

describe('automatic logout (site settings, fake clock)', () => {
  it('daily at 18:00 Europe/Berlin: still logged in at 16:59Z, logged out at 17:01Z; a login at 17:05Z stays', async () => {
    expect(clock.now().toISOString()).toBe('2030-01-15T09:00:00.000Z');
    const saved = await setAutoLogout('south', { idleMinutes: null, dailyAt: '18:00', timeZone: 'Europe/Berlin' });
    expect(saved.autoLogout).toEqual({ idleMinutes: null, dailyAt: '18:00', timeZone: 'Europe/Berlin' });
    const x = take(southPhones, 'south');
    const from = host();
    await loginOk(SNOM_SOUTH, x.number, from);
    // a phone of another site (no auto-logout there) is not touched
    const h = take(hqPhones, 'hq');
    const fromH = host();
    await loginOk(AASTRA_HQ, h.number, fromH);

    await jump('2030-01-15T16:59:00.000Z');
    expect((await deviceOf(SNOM_SOUTH)).state).toBe('logged_in');
    await jump('2030-01-15T17:01:00.000Z');
    const out = (await rows()).find((r) => r.extension === x.number);
    expect(out, 'logged out and unmapped: no row any more').toBeUndefined();
    expect(await deviceOf(SNOM_SOUTH)).toMatchObject({ state: 'logged_out', extension: null });
    const ev = await hotdeskEvent((e) => e.number === x.number && e.action === 'auto_logout');
    expect(ev).toMatchObject({ by: 'system', siteId: 'south', device: { mac: SNOM_SOUTH, state: 'logged_out' } });
    expect((await deviceOf(AASTRA_HQ)).extension, 'another site: untouched').toBe(h.number);

    await jump('2030-01-15T17:05:00.000Z');
    await loginOk(SNOM_SOUTH, x.number, from);
    for (const t of ['2030-01-15T17:06:00.000Z', '2030-01-15T22:59:00.000Z', '2030-01-16T16:59:00.000Z']) {
      await jump(t);
      expect((await deviceOf(SNOM_SOUTH)).extension, `at ${t}`).toBe(x.number);
    }
    // the next day's 18:00 Berlin logs it out again
    await jump('2030-01-16T17:00:00.000Z');
    expect((await deviceOf(SNOM_SOUTH)).state).toBe('logged_out');
    await hotdeskEvent((e) => e.number === x.number && e.action === 'auto_logout');
    expect((await pbx.device('/device/v1/hotdesk/logout', { mac: AASTRA_HQ }, { from: fromH })).status).toBe(200);
    await setAutoLogout('south', { idleMinutes: null, dailyAt: null, timeZone: 'UTC' });
  });

  it('idle for 10 minutes: activity resets the idle time; after more than 10 minutes without any, the next read logs it out', async () => {
    const saved = await setAutoLogout('south', { idleMinutes: 10, dailyAt: null, timeZone: 'UTC' });
    expect(saved.autoLogout.idleMinutes).toBe(10);
    const x = take(southPhones, 'south');
    const from = host();
    await loginOk(SNOM_SOUTH_2, x.number, from);
    clock.advance(8 * MIN);
    const act = await pbx.device('/device/v1/hotdesk/activity', { mac: SNOM_SOUTH_2 }, { from });
    expect(act.status, act.text).toBe(200);
    expect((await deviceOf(SNOM_SOUTH_2)).lastActivityAt).toBe(clock.now().toISOString());
    clock.advance(8 * MIN); // 16 min since the login, 8 since the activity
    expect((await rows()).find((r) => r.extension === x.number)?.state).toBe('logged_in');
    // activity from another host does not count (and is refused)
    expect((await pbx.device('/device/v1/hotdesk/activity', { mac: SNOM_SOUTH_2 }, { from: host() })).status).toBe(403);
    clock.advance(2.5 * MIN); // 10.5 min since the activity
    expect((await rows()).find((r) => r.extension === x.number), 'logged out: gone from the table').toBeUndefined();
    expect(await deviceOf(SNOM_SOUTH_2)).toMatchObject({ state: 'logged_out', extension: null });
    const ev = await hotdeskEvent((e) => e.number === x.number && e.action === 'auto_logout');
    expect(ev).toMatchObject({ by: 'system', device: { mac: SNOM_SOUTH_2 } });
    const st = await pbx.device<{ screen: string }>('/device/v1/hotdesk/status', { mac: SNOM_SOUTH_2 }, { from });
    expect(st.json.screen).toBe('login');
    await setAutoLogout('south', { idleMinutes: null, dailyAt: null, timeZone: 'UTC' });
  });
});

describe('deactivating a number', () => {
  it('logs its hot-desk phone out (forced_logout, published before the extension change); the phone shows its login screen', async () => {
    const x = take(hqPhones, 'hq');
    const from = host();
    await loginOk(AASTRA_HQ, x.number, from);
    const ext = await pbx.extension(x.number);
    const r = await pbx.api('POST', `/api/v1/extensions/${x.number}/deactivate`, { ifMatch: ext.etag });
    expect(r.status, r.text).toBe(200);
    const out = await hotdeskEvent((e) => e.number === x.number && e.action === 'forced_logout');
    expect(out).toMatchObject({ by: 'admin', device: { mac: AASTRA_HQ, state: 'logged_out', extension: null } });
    const changed = await stream.waitFor((e) => e.type === 'extension.changed' && e.number === x.number);
    expect(out.id).toBeLessThan(changed.id);
    expect(await deviceOf(AASTRA_HQ)).toMatchObject({ state: 'logged_out', extension: null });
    const st = await pbx.device<{ screen: string }>('/device/v1/hotdesk/status', { mac: AASTRA_HQ }, { from });
    expect(st.json.screen).toBe('login');
    // and it cannot log in again while inactive
    expect((await login(AASTRA_HQ, x.number, from)).status).toBe(403);
  });
});

describe('bad input changes nothing', () => {
  it('mappings: a bad MAC, a MAC in use, a template of another brand, a queue, an existing mapping; stale and missing If-Match', async () => {
    const before = await snapshot();
    const reception = await templateNamed('yealink', 'Reception with sidecar');
    const executive = await templateNamed('polycom', 'Executive');
    const x = take(hqPhones, 'hq');
    const post = (body: object) => pbx.api('POST', '/api/v1/hotdesk/mappings', { body });

    const badMac = await post({ extension: x.number, templateId: reception.id, mac: '80:5E:C0:11:00' });
    expect(badMac.status).toBe(422);
    expect(detailsOf(badMac)).toContainEqual(expect.objectContaining({ field: 'mac', rule: 'mac_format' }));
    const multicast = await post({ extension: x.number, templateId: reception.id, mac: '01:00:5E:00:00:01' });
    expect(multicast.status).toBe(422);
    expect(detailsOf(multicast)).toContainEqual(expect.objectContaining({ field: 'mac', rule: 'mac_unicast' }));

    const inUse = await post({ extension: x.number, templateId: reception.id, mac: '805ec0110001' });
    expect(inUse.status).toBe(409);
    expect(errorOf(inUse)).toMatchObject({ code: 'mac_in_use', details: [{ field: 'mac', rule: 'unique' }] });

    const brand = await post({ extension: x.number, templateId: executive.id, mac: YEALINK_HQ_2 });
    expect(brand.status).toBe(422);
    expect(detailsOf(brand)).toEqual([expect.objectContaining({ field: 'templateId', rule: 'brand' })]);

    const queue = await post({ extension: '1500', templateId: reception.id, mac: null });
    expect(queue.status).toBe(422);
    expect(detailsOf(queue)[0]).toMatchObject({ field: 'extension', rule: 'phone_terminal' });

    const existing = await post({ extension: '1001', templateId: reception.id, mac: null });
    expect(existing.status).toBe(409);
    expect(detailsOf(existing)[0]).toMatchObject({ field: 'extension', rule: 'unique' });

    const noTemplate = await post({ extension: x.number, templateId: 99_999 });
    expect(noTemplate.status).toBe(422);
    expect(detailsOf(noTemplate)[0]).toMatchObject({ field: 'templateId', rule: 'exists' });

    const current = before.rows.find((r) => r.extension === '1001')?.mapping;
    expect(current).toMatchObject({ templateId: reception.id, mac: null });
    const stale = await pbx.api('PUT', '/api/v1/hotdesk/mappings/1001', { ifMatch: '"m999"', body: { templateId: reception.id, mac: YEALINK_HQ_2 } });
    expect(stale.status).toBe(412);
    expect(errorOf(stale)).toMatchObject({ code: 'precondition_failed', current: { extension: '1001', etag: current?.etag }, currentEtag: current?.etag });
    const noIfMatch = await pbx.api('PUT', '/api/v1/hotdesk/mappings/1001', { body: { templateId: reception.id, mac: YEALINK_HQ_2 } });
    expect(noIfMatch.status).toBe(428);
    const delNoIfMatch = await pbx.api('DELETE', '/api/v1/hotdesk/mappings/1001');
    expect(delNoIfMatch.status).toBe(428);

    expect(await snapshot()).toEqual(before);

    // the good write still works afterwards (and the MAC is stored in its normal form)
    const ok = await post({ extension: x.number, templateId: reception.id, mac: '80-5e-c0-11-00-03' });
    expect(ok.status, ok.text).toBe(201);
    expect(ok.json).toMatchObject({ extension: x.number, mac: '80:5E:C0:11:00:03', templateId: reception.id });
    const del = await pbx.api('DELETE', `/api/v1/hotdesk/mappings/${x.number}`, { ifMatch: ok.headers.etag as string });
    expect(del.status, del.text).toBe(204);
    expect(await snapshot()).toEqual(before);
  });

  it('phones: a known MAC in another notation is 409 mac_in_use; an unknown site 422', async () => {
    const before = await snapshot();
    const dup = await pbx.api('POST', '/api/v1/devices', { body: { mac: '80-5e-c0-11-00-01', brand: 'yealink', model: 'T54W', siteId: 'hq' } });
    expect(dup.status).toBe(409);
    expect(errorOf(dup)).toMatchObject({ code: 'mac_in_use', details: [{ field: 'mac', rule: 'unique' }] });
    const badSite = await pbx.api('POST', '/api/v1/devices', { body: { mac: '02:11:22:33:44:55', brand: 'yealink', model: 'T54W', siteId: 'mars' } });
    expect(badSite.status).toBe(422);
    expect(detailsOf(badSite)[0]).toMatchObject({ field: 'siteId', rule: 'exists' });
    const badBrand = await pbx.api('POST', '/api/v1/devices', { body: { mac: '02:11:22:33:44:55', brand: 'nokia', model: 'x', siteId: 'hq' } });
    expect(badBrand.status).toBe(422);
    expect(detailsOf(badBrand)[0]).toMatchObject({ field: 'brand' });
    expect(await snapshot()).toEqual(before);
  });

  it('site settings: a bad time zone, a bad daily time, too short an idle time → 422 naming the field; stale If-Match 412', async () => {
    const before = await snapshot();
    const hq = await site('hq');
    const put = (autoLogout: object, ifMatch: string | null = hq.etag) =>
      pbx.api('PUT', '/api/v1/hotdesk/sites/hq', {
        ...(ifMatch === null ? {} : { ifMatch }), body: { internalAddress: hq.internalAddress, externalAddress: hq.externalAddress, autoLogout },
      });
    const cases: [object, string][] = [
      [{ idleMinutes: null, dailyAt: null, timeZone: 'Mars/Olympus_Mons' }, 'autoLogout.timeZone'],
      [{ idleMinutes: null, dailyAt: '25:00', timeZone: 'UTC' }, 'autoLogout.dailyAt'],
      [{ idleMinutes: 2, dailyAt: null, timeZone: 'UTC' }, 'autoLogout.idleMinutes'],
    ];
    for (const [autoLogout, field] of cases) {
      const r = await put(autoLogout);
      expect(r.status, field).toBe(422);
      expect(detailsOf(r).map((d) => d.field), field).toContain(field);
      expect(errorOf(r).message).toMatch(new RegExp(`^${field.replace('.', '\\.')}: `));
    }
    const badAddress = await pbx.api('PUT', '/api/v1/hotdesk/sites/hq', {
      ifMatch: hq.etag, body: { internalAddress: 'not an address!', externalAddress: null, autoLogout: hq.autoLogout },
    });
    expect(badAddress.status).toBe(422);
    expect(detailsOf(badAddress)[0]).toMatchObject({ field: 'internalAddress' });
    const stale = await put({ idleMinutes: 30, dailyAt: null, timeZone: 'UTC' }, '"s999"');
    expect(stale.status).toBe(412);
    expect(errorOf(stale)).toMatchObject({ code: 'precondition_failed', current: { siteId: 'hq', etag: hq.etag }, currentEtag: hq.etag });
    expect((await put({ idleMinutes: 30, dailyAt: null, timeZone: 'UTC' }, null)).status, 'no If-Match').toBe(428);
    expect(await snapshot()).toEqual(before);
  });

  it('the Login app offers only the addresses a site has; a login over the missing one is 409 naming network', async () => {
    const north = await site('north');
    const put = await pbx.api<SiteHotDesk>('PUT', '/api/v1/hotdesk/sites/north', {
      ifMatch: north.etag, body: { internalAddress: north.internalAddress, externalAddress: null, autoLogout: north.autoLogout },
    });
    expect(put.status, put.text).toBe(200);
    const from = host();
    const st = await pbx.device<{ networks: unknown[] }>('/device/v1/hotdesk/status', { mac: POLY_NORTH }, { from });
    expect(st.json.networks).toEqual([{ network: 'internal', address: '10.2.0.10' }]);
    const n = take(northPhones, 'north');
    const r = await pbx.device('/device/v1/hotdesk/login', { mac: POLY_NORTH, network: 'external', extension: n.number, password: ADMIN_PASSWORD }, { from });
    expect(r.status).toBe(409);
    expect(errorOf(r)).toMatchObject({ code: 'network_not_configured', details: [{ field: 'network', rule: 'configured' }] });
    expect((await deviceOf(POLY_NORTH)).state).toBe('logged_out');
    const back = await pbx.api('PUT', '/api/v1/hotdesk/sites/north', {
      ifMatch: put.json.etag, body: { internalAddress: north.internalAddress, externalAddress: north.externalAddress, autoLogout: north.autoLogout },
    });
    expect(back.status, back.text).toBe(200);
    const again = await pbx.device<{ networks: unknown[] }>('/device/v1/hotdesk/status', { mac: POLY_NORTH }, { from });
    expect(again.json.networks).toEqual([
      { network: 'internal', address: '10.2.0.10' },
      { network: 'external', address: 'north.pbx.example.net:5061' },
    ]);
  });

  it('global passwords: the policy applies, user and admin differ, and the value is never answered nor stored in clear', async () => {
    const meta = async () => {
      const r = await pbx.api('GET', '/api/v1/hotdesk/passwords');
      expect(r.status, r.text).toBe(200);
      return { text: r.text, json: HotDeskPasswordsSchema.parse(r.json) };
    };
    const before = await meta();
    expect(before.json.admin).toMatchObject({ set: true, setBy: 'admin' });
    expect(before.json.user).toEqual({ kind: 'user', set: false, setAt: null, setBy: null });

    const weak = await pbx.api('PUT', '/api/v1/hotdesk/passwords/user', { body: { password: '1234' } });
    expect(weak.status).toBe(422);
    expect(errorOf(weak).code).toBe('pin_policy_violation');
    expect(detailsOf(weak)).toContainEqual(expect.objectContaining({ field: 'password', rule: 'pin_sequence' }));
    const letters = await pbx.api('PUT', '/api/v1/hotdesk/passwords/user', { body: { password: '73a418' } });
    expect(letters.status).toBe(422);
    expect(errorOf(letters).code).toBe('pin_policy_violation');
    const same = await pbx.api('PUT', '/api/v1/hotdesk/passwords/user', { body: { password: ADMIN_PASSWORD } });
    expect(same.status).toBe(422);
    expect(errorOf(same)).toMatchObject({ code: 'pin_policy_violation', details: [{ field: 'password', rule: 'differs' }] });
    expect((await meta()).json).toEqual(before.json);

    // a canary: set it, then look for it in every answer and in every file of the data dir
    const canary = '739418205736';
    const set = await pbx.api('PUT', '/api/v1/hotdesk/passwords/user', { body: { password: canary } });
    expect(set.status, set.text).toBe(200);
    expect(set.text).not.toContain(canary);
    expect(set.json).toMatchObject({ kind: 'user', set: true, setBy: 'admin', setAt: clock.now().toISOString() });
    const after = await meta();
    expect(after.text).not.toContain(canary);
    expect(after.text, 'nor its hash').not.toMatch(/argon2|\$v=|hash/i);
    expect(after.json.user.set).toBe(true);
    // it works on a phone (an extension without a mailbox)
    const noMailbox = hqPhones.find((e) => !e.voicemail) as Extension;
    const from = host();
    const r = await pbx.device('/device/v1/hotdesk/login', { mac: AASTRA_HQ, network: 'internal', extension: noMailbox.number, password: canary }, { from });
    expect(r.status, r.text).toBe(200);
    expect(r.text).not.toContain(canary);
    expect((await pbx.device('/device/v1/hotdesk/logout', { mac: AASTRA_HQ }, { from })).status).toBe(200);
    expect(stream.events.some((e) => JSON.stringify(e).includes(canary)), 'no event carries it').toBe(false);
    const files = readdirSync(pbx.dataDir, { recursive: true, encoding: 'utf8' }).map((f) => join(pbx.dataDir, f));
    const dbFiles = files.filter((f) => /\.(sqlite|db)(-wal|-shm|-journal)?$/.test(f));
    expect(dbFiles.length).toBeGreaterThan(0);
    for (const f of files) {
      let bytes: Buffer;
      try {
        bytes = readFileSync(f);
      } catch {
        continue; // a directory
      }
      expect(bytes.includes(canary), f).toBe(false);
      expect(bytes.includes(Buffer.from(canary, 'utf16le')), `${f} (UTF-16)`).toBe(false);
    }
  });
});

describe('site scope and roles', () => {
  it('the receptionist’s table has only hq rows; her stream carries hq hot-desk events, not north ones', async () => {
    const recStream = await openEventStream(pbx.url, receptionToken);
    try {
      const mine = await rows(receptionToken);
      const all = await rows();
      expect(all.some((r) => r.siteId === 'north'), 'the admin sees north (mapping of 2000)').toBe(true);
      expect(mine.length).toBeGreaterThan(0);
      expect(mine.every((r) => r.siteId === 'hq')).toBe(true);
      expect(mine).toEqual(all.filter((r) => r.siteId === 'hq'));

      const h = take(hqPhones, 'hq');
      const n = take(northPhones, 'north');
      const [fromH, fromN] = [host(), host()];
      await loginOk(AASTRA_HQ, h.number, fromH);
      await loginOk(POLY_NORTH, n.number, fromN);
      await hotdeskEvent((e) => e.number === n.number && e.action === 'needs_reboot');
      await hotdeskEvent((e) => e.number === h.number && e.action === 'logged_in', recStream);
      expect((await rows(receptionToken)).some((r) => r.extension === n.number)).toBe(false);
      expect((await rows(receptionToken)).find((r) => r.extension === h.number)?.state).toBe('logged_in');
      // a north mapping change is not hers either; settings events are admins' only
      const exec = await templateNamed('polycom', 'Executive');
      const m = take(northPhones, 'north');
      const created = await pbx.api('POST', '/api/v1/hotdesk/mappings', { body: { extension: m.number, templateId: exec.id } });
      expect(created.status, created.text).toBe(201);
      await stream.waitFor((e) => e.type === 'hotdesk.mapping_changed' && e.number === m.number);
      await setAutoLogout('north', { idleMinutes: null, dailyAt: null, timeZone: 'UTC' });
      await stream.waitFor((e) => e.type === 'hotdesk.settings_changed' && e.what === 'site');
      // the hq logout after them: once it arrived, anything earlier would have too
      expect((await pbx.device('/device/v1/hotdesk/logout', { mac: AASTRA_HQ }, { from: fromH })).status).toBe(200);
      await hotdeskEvent((e) => e.number === h.number && e.action === 'logged_out', recStream);
      const leaked = recStream.events.filter(
        (e) => (e.type === 'hotdesk.changed' || e.type === 'hotdesk.mapping_changed') && e.siteId !== 'hq',
      );
      expect(leaked).toEqual([]);
      expect(recStream.events.some((e) => e.type === 'hotdesk.settings_changed')).toBe(false);
      expect((await pbx.device('/device/v1/hotdesk/logout', { mac: POLY_NORTH }, { from: fromN })).status).toBe(200);
    } finally {
      recStream.close();
    }
  });

  it('the receptionist gets 403 on templates, mapping writes, site settings and passwords; nothing changes', async () => {
    const before = await snapshot();
    const passwords = (await pbx.api('GET', '/api/v1/hotdesk/passwords')).json;
    const reception = await templateNamed('yealink', 'Reception with sidecar');
    const m1001 = before.rows.find((r) => r.extension === '1001')?.mapping;
    const hq = await site('hq');
    const h = hqPhones[0] as Extension;
    const calls: [string, string, { body?: unknown; ifMatch?: string }][] = [
      ['GET', '/api/v1/hotdesk/templates', {}],
      ['POST', '/api/v1/hotdesk/templates', { body: { brand: 'snom', name: 'Front desk', settings: {} } }],
      ['PUT', `/api/v1/hotdesk/templates/${reception.id}`, { ifMatch: reception.etag, body: { name: 'Mine', settings: {} } }],
      ['POST', `/api/v1/hotdesk/templates/${reception.id}/default`, { ifMatch: reception.etag }],
      ['DELETE', `/api/v1/hotdesk/templates/${reception.id}`, { ifMatch: reception.etag }],
      ['POST', '/api/v1/hotdesk/mappings', { body: { extension: h.number, templateId: reception.id } }],
      ['PUT', '/api/v1/hotdesk/mappings/1001', { ifMatch: m1001?.etag, body: { templateId: reception.id, mac: YEALINK_HQ_2 } }],
      ['DELETE', '/api/v1/hotdesk/mappings/1001', { ifMatch: m1001?.etag }],
      ['GET', '/api/v1/hotdesk/sites', {}],
      ['PUT', '/api/v1/hotdesk/sites/hq', {
        ifMatch: hq.etag, body: { internalAddress: null, externalAddress: null, autoLogout: { idleMinutes: null, dailyAt: null, timeZone: 'UTC' } },
      }],
      ['GET', '/api/v1/hotdesk/passwords', {}],
      ['PUT', '/api/v1/hotdesk/passwords/user', { body: { password: '582047' } }],
      ['PUT', '/api/v1/hotdesk/passwords/admin', { body: { password: '639107' } }],
      ['POST', '/api/v1/devices', { body: { mac: '02:11:22:33:44:66', brand: 'snom', model: 'D785', siteId: 'hq' } }],
    ];
    for (const [method, path, o] of calls) {
      const r = await pbx.api(method, path, { token: receptionToken, ...o });
      expect(r.status, `${method} ${path}: ${r.text}`).toBe(403);
      expect(errorOf(r).code).toBe('forbidden');
    }
    expect(await snapshot()).toEqual(before);
    expect((await pbx.api('GET', '/api/v1/hotdesk/passwords')).json).toEqual(passwords);
    // what she may do: read the table and the phones (of her site)
    expect((await pbx.api('GET', '/api/v1/hotdesk', { token: receptionToken })).status).toBe(200);
    const phones = await pbx.api('GET', '/api/v1/devices', { token: receptionToken });
    expect(phones.status).toBe(200);
    expect(DeviceListSchema.parse(phones.json).items.every((d) => d.siteId === 'hq')).toBe(true);
  });
});

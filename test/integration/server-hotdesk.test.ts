// SPEC F4 (hot desking) on the REAL reference PBX, the phone's side: every password kind of the Login app
// (voicemail PIN, global user password, global admin password), refusals that look alike and count toward
// the F3 lockout, the template rules (mapping with or without a MAC, brand default, a new default), brands
// that need a reboot, one phone per extension, and forced logouts by the admin and the receptionist.
// Different loopback source addresses act as different phones; the clock is moved by hand, nothing sleeps.
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Extension } from '../../shared/domain.js';
import {
  DeviceConfigSchema,
  DeviceStatusSchema,
  TemplateListSchema,
  type Device,
  type HotDeskRow,
  type Template,
} from '../../shared/hotdesk.js';
import { AddressBanListSchema, ExtensionLockListSchema, type ExtensionLock } from '../../shared/lockout.js';
import { Hasher } from '../../server/secrets.js';
import { hotDeskHelpers, loopbackHosts, takeFrom, type HotDeskEvent } from '../helpers/hotdesk.js';
import { errorOf, manualClock, openEventStream, startTestPbx, type EventStream, type HttpResult, type TestPbx } from '../helpers/server.js';

const USER_PASSWORD = '739418';
const ADMIN_PASSWORD = '582047';
const MIN = 60_000;

/** Demo phones (server/seed.ts DEMO_DEVICES). */
const PHONE = {
  yealink1: '80:5E:C0:11:00:01',
  yealink2: '80:5E:C0:11:00:02',
  yealink3: '80:5E:C0:11:00:03',
  aastra1: '00:08:5D:22:00:01',
  aastra2: '00:08:5D:22:00:02',
  digium: '00:0F:D3:33:00:01',
  polyNorth1: '64:16:7F:44:00:01',
  polyNorth2: '64:16:7F:44:00:02',
  yealinkNorth: '80:5E:C0:11:00:10',
  snomSouth: '00:04:13:55:00:01',
  aastraSouth: '00:08:5D:22:00:10',
} as const;

/** Every argon2 verification (verifyNothing runs one too). */
const argon2Verify = vi.spyOn(Hasher.prototype, 'verify');
/** argon2 verifications made while `fn` ran. */
const verificationsDuring = async <T>(fn: () => Promise<T>): Promise<{ result: T; verifications: number }> => {
  const before = argon2Verify.mock.calls.length;
  const result = await fn();
  return { result, verifications: argon2Verify.mock.calls.length - before };
};

const clock = manualClock();
let pbx: TestPbx;
let receptionToken: string;
let stream: EventStream;
/** Active phone terminals of hq with a mailbox (not the seeded mappings' 1000/1001), without one, and of north / south. */
let hqMailbox: Extension[];
let hqNoMailbox: Extension[];
let northPhones: Extension[];
let southPhones: Extension[];

const take = takeFrom;
/** A fresh loopback address: a host that has not failed anything yet. */
const host = loopbackHosts('127.0.0.', 10);

const { login, loginOk, rows, devices, deviceOf, hotdeskEvent } = hotDeskHelpers(() => pbx, () => stream);
const phone = async (path: 'status' | 'rebooted' | 'activity' | 'logout', mac: string, from: string) =>
  pbx.device(`/device/v1/hotdesk/${path}`, { mac }, { from });
const statusOf = async (mac: string, from: string) => {
  const r = await phone('status', mac, from);
  expect(r.status, r.text).toBe(200);
  return DeviceStatusSchema.parse(r.json);
};
const rowOf = async (n: string): Promise<HotDeskRow | undefined> => (await rows()).find((r) => r.extension === n);
const templates = async (): Promise<Template[]> => {
  const r = await pbx.api('GET', '/api/v1/hotdesk/templates');
  expect(r.status, r.text).toBe(200);
  return TemplateListSchema.parse(r.json).items;
};
const templateNamed = async (brand: string, name: string): Promise<Template> => {
  const t = (await templates()).find((x) => x.brand === brand && x.name === name);
  if (!t) throw new Error(`no ${brand} template ${name}`);
  return t;
};
const defaultPin = async (n: string): Promise<string> => {
  const r = await pbx.api<{ defaultPin: string }>('GET', `/api/v1/extensions/${n}/credentials/voicemail-pin/default`);
  expect(r.status, r.text).toBe(200);
  return r.json.defaultPin;
};
const locks = async (): Promise<ExtensionLock[]> => {
  const r = await pbx.api('GET', '/api/v1/lockouts/extensions');
  expect(r.status, r.text).toBe(200);
  return ExtensionLockListSchema.parse(r.json).items;
};
/** Index of the first hot-desk event in a stream that matches (−1 when none). */
const indexOf = (s: EventStream, match: (e: HotDeskEvent) => boolean) =>
  s.events.findIndex((e) => e.type === 'hotdesk.changed' && match(e));
/** The audit row an event was written as (the event id is the audit row's id). */
const auditRow = (id: number) => {
  const db = new Database(join(pbx.dataDir, 'pbx.sqlite'), { readonly: true });
  try {
    const r = db.prepare('SELECT actor, address, action, target, detail FROM audit WHERE id = ?').get(id) as
      | { actor: string; address: string; action: string; target: string; detail: string }
      | undefined;
    return r ? { ...r, detail: JSON.parse(r.detail) as Record<string, unknown> } : undefined;
  } finally {
    db.close();
  }
};
/** What a device sees of a refusal. */
const refusal = (r: HttpResult) => ({ status: r.status, error: errorOf(r), type: r.headers['content-type'] });

beforeAll(async () => {
  pbx = await startTestPbx({ clock: clock.now });
  const r = await pbx.login('reception', pbx.receptionistPassword as string);
  expect(r.status).toBe(201);
  receptionToken = r.json.token;
  const all = (await pbx.api<{ items: Extension[] }>('GET', '/api/v1/extensions?limit=1000')).json.items;
  const phoneOk = (e: Extension) => e.status === 'active' && e.type === 'phone_terminal' && !['1000', '1001', '2000'].includes(e.number);
  hqMailbox = all.filter((e) => e.siteId === 'hq' && phoneOk(e) && e.voicemail);
  hqNoMailbox = all.filter((e) => e.siteId === 'hq' && phoneOk(e) && !e.voicemail);
  northPhones = all.filter((e) => e.siteId === 'north' && phoneOk(e));
  southPhones = all.filter((e) => e.siteId === 'south' && phoneOk(e));
  for (const [kind, password] of [['user', USER_PASSWORD], ['admin', ADMIN_PASSWORD]] as const) {
    const set = await pbx.api('PUT', `/api/v1/hotdesk/passwords/${kind}`, { body: { password } });
    expect(set.status, set.text).toBe(200);
  }
  stream = await openEventStream(pbx.url, pbx.token);
});

afterAll(async () => {
  stream?.close();
  await pbx?.cleanup();
});

// The failures of one test must not lock the shared passwords for the next (their own counter has no
// per-test window on a clock that does not move); the lock itself is tested on its own below.
afterEach(async () => {
  const r = await pbx.api('POST', '/api/v1/hotdesk/passwords/unlock');
  expect(r.status, r.text).toBe(200);
});

describe('the Login app’s passwords (SPEC F4)', () => {
  it('the voicemail PIN, the user password (no mailbox) and the admin password (any extension) each log in, each published', async () => {
    // the extension's voicemail PIN (here its default), on an Aastra (live at once), Internal
    const a = take(hqMailbox, 'hq mailbox');
    const fromA = host();
    const byPin = await loginOk(PHONE.aastra1, a.number, await defaultPin(a.number), fromA);
    expect(byPin).toMatchObject({ state: 'logged_in', screen: 'ready', extension: a.number, server: '10.1.0.10' });
    const evA = await hotdeskEvent((e) => e.number === a.number && e.action === 'logged_in');
    expect(evA).toMatchObject({ by: 'device', address: fromA, siteId: 'hq', device: { mac: PHONE.aastra1, state: 'logged_in', extension: a.number } });
    expect(evA.row).toMatchObject({ extension: a.number, state: 'logged_in', device: { mac: PHONE.aastra1, address: fromA } });
    expect(await statusOf(PHONE.aastra1, fromA)).toMatchObject({ state: 'logged_in', screen: 'ready', extension: a.number });
    expect(auditRow(evA.id)).toMatchObject({
      actor: 'device', address: fromA, action: 'hotdesk.login', target: `extension:${a.number}`,
      detail: { mac: PHONE.aastra1, via: 'voicemail_pin', network: 'internal', state: 'logged_in' },
    });

    // the global user password, for an extension without a mailbox, External
    const b = take(hqNoMailbox, 'hq no-mailbox');
    const fromB = host();
    const byUser = await loginOk(PHONE.aastra2, b.number, USER_PASSWORD, fromB);
    expect(byUser).toMatchObject({ state: 'logged_in', extension: b.number, server: '10.1.0.10' });
    const evB = await hotdeskEvent((e) => e.number === b.number && e.action === 'logged_in' && e.address === fromB);
    expect(auditRow(evB.id)).toMatchObject({ action: 'hotdesk.login', target: `extension:${b.number}`, detail: { via: 'user_password' } });
    expect((await phone('logout', PHONE.aastra2, fromB)).status).toBe(200);
    const ext = await login(PHONE.aastra2, b.number, USER_PASSWORD, fromB, 'external');
    expect(ext.status, ext.text).toBe(200);
    expect(DeviceConfigSchema.parse(ext.json).server).toBe('hq.pbx.example.net:5061');

    // the global admin password, for an extension with a mailbox and for one without (on phones that are
    // free: while someone is logged in, only the phone's own address may log in someone else)
    expect((await phone('logout', PHONE.aastra1, fromA)).status).toBe(200);
    expect((await phone('logout', PHONE.aastra2, fromB)).status).toBe(200);
    const c = take(hqMailbox, 'hq mailbox');
    const fromC = host();
    expect((await loginOk(PHONE.aastra1, c.number, ADMIN_PASSWORD, fromC)).extension).toBe(c.number);
    const evC = await hotdeskEvent((e) => e.number === c.number && e.action === 'logged_in' && e.address === fromC);
    expect(auditRow(evC.id)).toMatchObject({ action: 'hotdesk.login', detail: { via: 'admin_password' } });
    const d = take(hqNoMailbox, 'hq no-mailbox');
    expect((await loginOk(PHONE.aastra2, d.number, ADMIN_PASSWORD, fromC)).extension).toBe(d.number);
    const evD = await hotdeskEvent((e) => e.number === d.number && e.action === 'logged_in' && e.address === fromC);
    expect(auditRow(evD.id)).toMatchObject({ action: 'hotdesk.login', detail: { via: 'admin_password' } });
    // and a north extension on a north phone (the admin password logs in any phone)
    const n = take(northPhones, 'north');
    const fromN = host();
    expect((await loginOk(PHONE.yealinkNorth, n.number, ADMIN_PASSWORD, fromN)).server).toBe('10.2.0.10');
    expect((await phone('logout', PHONE.yealinkNorth, fromN)).status).toBe(200);

    // the user password is not accepted for an extension that has a mailbox; nothing changes
    const e = take(hqMailbox, 'hq mailbox');
    const before = await deviceOf(PHONE.digium);
    const refused = await login(PHONE.digium, e.number, USER_PASSWORD, host());
    expect(refused.status).toBe(403);
    expect(errorOf(refused).code).toBe('keypad_rejected');
    expect(await deviceOf(PHONE.digium)).toEqual(before);
    expect(await rowOf(e.number)).toBeUndefined();

    for (const [mac, from] of [[PHONE.aastra1, fromC], [PHONE.aastra2, fromC]] as const) {
      expect((await phone('logout', mac, from)).status).toBe(200);
    }
  });

  it('a wrong password, an unknown extension and a non-phone extension get the same 403; wrong ones lock the mailbox PIN (one secret, one counter)', async () => {
    const x = take(hqMailbox, 'hq mailbox');
    const pin = await defaultPin(x.number);
    const wrong = pin === '000000' ? '000001' : '000000';
    const fromX = host();
    const fromOther = host();
    const first = await login(PHONE.aastra1, x.number, wrong, fromX);
    const unknown = await login(PHONE.aastra1, '1099', ADMIN_PASSWORD, fromOther);
    const queue = await login(PHONE.aastra1, '1500', ADMIN_PASSWORD, fromOther);
    expect((await pbx.extension('1500')).type).toBe('queue');
    expect(refusal(first)).toMatchObject({ status: 403, error: { code: 'keypad_rejected' } });
    expect(refusal(unknown), 'an unknown extension looks like a wrong password').toEqual(refusal(first));
    expect(refusal(queue), 'a queue looks like a wrong password').toEqual(refusal(first));
    expect((await deviceOf(PHONE.aastra1)).state).toBe('logged_out');

    // four more wrong ones: the default lockout policy locks the extension (5 failures) — on its voicemail
    // credential, since the hot-desk password of an extension with a mailbox IS its voicemail PIN
    for (let i = 0; i < 4; i++) expect((await login(PHONE.aastra1, x.number, wrong, fromX)).status).toBe(403);
    const lock = (await locks()).find((l) => l.extension === x.number && l.credential === 'voicemail');
    expect(lock).toMatchObject({ blocked: true, failures: 5, lastAddress: fromX, siteId: 'hq' });
    expect((await locks()).some((l) => l.extension === x.number && l.credential === 'phone_login')).toBe(false);
    // the mailbox is locked too: hot desking is no second way to guess the PIN
    const vm = await pbx.device('/device/v1/voicemail/login', { extension: x.number, pin }, { from: host() });
    expect(vm.status).toBe(403);
    // now even the right PIN, and the admin password, are refused — with the same answer, before any hashing
    const { result: right, verifications } = await verificationsDuring(() => login(PHONE.aastra1, x.number, pin, fromX));
    expect(refusal(right)).toEqual(refusal(first));
    expect(verifications, 'a locked extension is refused before any argon2 work').toBe(0);
    expect(refusal(await login(PHONE.aastra1, x.number, ADMIN_PASSWORD, host()))).toEqual(refusal(first));
    expect((await deviceOf(PHONE.aastra1)).state).toBe('logged_out');

    // the admin resets the lock; the right PIN works again
    const reset = await pbx.api<{ reset: number }>('POST', '/api/v1/lockouts/extensions/reset', {
      body: { items: [{ extension: x.number, credential: 'voicemail' }] },
    });
    expect(reset.status, reset.text).toBe(200);
    expect(reset.json.reset).toBe(1);
    expect((await locks()).some((l) => l.extension === x.number && l.blocked)).toBe(false);
    expect((await loginOk(PHONE.aastra1, x.number, pin, fromX)).extension).toBe(x.number);
    expect((await phone('logout', PHONE.aastra1, fromX)).status).toBe(200);
  });

  it('parallel guesses cannot pass the threshold: 8 at once, at most 5 checked, then locked', async () => {
    const x = take(hqMailbox, 'hq mailbox');
    const from = host();
    const { result, verifications } = await verificationsDuring(() =>
      Promise.all(Array.from({ length: 8 }, (_, i) => login(PHONE.aastra1, x.number, `90817${i}`, from))),
    );
    expect(result.map((r) => r.status)).toEqual(Array(8).fill(403));
    expect(verifications, 'two verifications per checked attempt, five attempts at most').toBeLessThanOrEqual(10);
    const lock = (await locks()).find((l) => l.extension === x.number && l.credential === 'voicemail');
    expect(lock).toMatchObject({ blocked: true, failures: 5 });
    expect((await login(PHONE.aastra1, x.number, ADMIN_PASSWORD, host())).status).toBe(403);
    expect((await deviceOf(PHONE.aastra1)).state).toBe('logged_out');
  });

  it('an extension without a mailbox locks its phone login (the user and admin passwords are not its PIN)', async () => {
    const x = take(hqNoMailbox, 'hq no-mailbox');
    const from = host();
    for (let i = 0; i < 5; i++) expect((await login(PHONE.aastra1, x.number, `90817${i}`, from)).status).toBe(403);
    const lock = (await locks()).find((l) => l.extension === x.number && l.credential === 'phone_login');
    expect(lock).toMatchObject({ blocked: true, failures: 5, lastAddress: from });
    expect((await login(PHONE.aastra1, x.number, USER_PASSWORD, host())).status).toBe(403);
    const reset = await pbx.api('POST', '/api/v1/lockouts/extensions/reset', { body: { items: [{ extension: x.number }] } });
    expect(reset.status, reset.text).toBe(200);
    const desk = host();
    expect((await loginOk(PHONE.aastra1, x.number, USER_PASSWORD, desk)).extension).toBe(x.number);
    expect((await deviceOf(PHONE.aastra1)).state).toBe('logged_in');
    expect((await phone('logout', PHONE.aastra1, desk)).status).toBe(200);
  });

  it('ten failed logins from one address ban it (even for the right password elsewhere); the unban lets it in again', async () => {
    const from = host();
    // ten different unknown numbers: no extension reaches its own threshold
    for (let i = 0; i < 10; i++) expect((await login(PHONE.aastra1, String(1080 + i), ADMIN_PASSWORD, from)).status).toBe(403);
    const r = await pbx.api('GET', '/api/v1/lockouts/addresses');
    const ban = AddressBanListSchema.parse(r.json).items.find((b) => b.cidr === from);
    expect(ban).toMatchObject({ addedBy: 'auto' });
    const x = take(hqMailbox, 'hq mailbox');
    const { result: refused, verifications } = await verificationsDuring(() => login(PHONE.aastra1, x.number, ADMIN_PASSWORD, from));
    expect(refused.status).toBe(403);
    expect(errorOf(refused).code).toBe('keypad_rejected');
    expect(verifications, 'a banned address is refused before any argon2 work').toBe(0);
    const unban = await pbx.api('POST', '/api/v1/lockouts/addresses/unban', { body: { ids: [ban?.id] } });
    expect(unban.status, unban.text).toBe(200);
    expect((await loginOk(PHONE.aastra1, x.number, ADMIN_PASSWORD, from)).extension).toBe(x.number);
    expect((await phone('logout', PHONE.aastra1, from)).status).toBe(200);
  });

  it('an inactive phone extension is refused even with the admin password', async () => {
    const all = (await pbx.api<{ items: Extension[] }>('GET', '/api/v1/extensions?limit=1000')).json.items;
    const inactive = all.find((e) => e.type === 'phone_terminal' && e.status === 'inactive');
    expect(inactive, 'the demo data has an inactive phone').toBeDefined();
    const r = await login(PHONE.aastra1, (inactive as Extension).number, ADMIN_PASSWORD, host());
    expect(r.status).toBe(403);
    expect(errorOf(r).code).toBe('keypad_rejected');
    expect((await deviceOf(PHONE.aastra1)).state).toBe('logged_out');
  });

  it('a banned address is refused with the same 403, even with the right password', async () => {
    const x = take(hqMailbox, 'hq mailbox');
    const banned = host();
    const ban = await pbx.api<{ id: number }>('POST', '/api/v1/lockouts/addresses', { body: { cidr: banned, description: 'hot-desk test' } });
    expect(ban.status, ban.text).toBe(201);
    const r = await login(PHONE.aastra1, x.number, ADMIN_PASSWORD, banned);
    expect(r.status).toBe(403);
    expect(errorOf(r).code).toBe('keypad_rejected');
    expect((await deviceOf(PHONE.aastra1)).state).toBe('logged_out');
    // the same extension from another address is fine (the ban is the address's, not the extension's)
    const other = host();
    expect((await loginOk(PHONE.aastra1, x.number, ADMIN_PASSWORD, other)).extension).toBe(x.number);
    expect((await phone('logout', PHONE.aastra1, other)).status).toBe(200);
  });
});

describe('which template a login gets (SPEC F4 mappings)', () => {
  it('a blank-MAC mapping on any phone of its brand, the brand default elsewhere; a MAC mapping only on its phone; no mapping: the default', async () => {
    const from = host();
    const reception = await templateNamed('yealink', 'Reception with sidecar');
    const yealinkStd = await templateNamed('yealink', 'Standard');
    const digiumStd = await templateNamed('digium', 'Standard');
    expect(yealinkStd.isDefault).toBe(true);

    // 1001 (blank MAC → Reception) on a yealink, then on a digium
    const on1 = await loginOk(PHONE.yealink3, '1001', ADMIN_PASSWORD, from);
    expect(on1.template).toEqual({ id: reception.id, name: reception.name, settings: reception.settings });
    expect(await rowOf('1001')).toMatchObject({ template: { id: reception.id, name: 'Reception with sidecar', brand: 'yealink' }, device: { mac: PHONE.yealink3 } });
    const on2 = await loginOk(PHONE.digium, '1001', ADMIN_PASSWORD, from);
    expect(on2.template?.id, 'another brand: its default').toBe(digiumStd.id);
    expect(await rowOf('1001')).toMatchObject({ template: { id: digiumStd.id, brand: 'digium' }, device: { mac: PHONE.digium } });

    // 1000 (mapped with MAC 80:5E:C0:11:00:01 → Reception): that phone only
    expect((await loginOk(PHONE.yealink1, '1000', ADMIN_PASSWORD, from)).template?.id).toBe(reception.id);
    expect((await loginOk(PHONE.yealink2, '1000', ADMIN_PASSWORD, from)).template?.id, 'another yealink: the default').toBe(yealinkStd.id);
    expect((await deviceOf(PHONE.yealink2)).templateId).toBe(yealinkStd.id);

    // no mapping → the brand's default
    const plain = take(hqMailbox, 'hq mailbox');
    expect((await loginOk(PHONE.yealink1, plain.number, ADMIN_PASSWORD, from)).template?.id).toBe(yealinkStd.id);
    expect(await rowOf(plain.number)).toMatchObject({ mapping: null, template: { id: yealinkStd.id } });

    for (const mac of [PHONE.yealink1, PHONE.yealink2, PHONE.digium]) expect((await phone('logout', mac, from)).status).toBe(200);
  });

  it('a new brand default: exactly one default, the next login gets it; defaults and mapped templates cannot be deleted', async () => {
    const from = host();
    const standard = await templateNamed('aastra', 'Standard');
    const warehouse = await templateNamed('aastra', 'Warehouse');
    expect([standard.isDefault, warehouse.isDefault]).toEqual([true, false]);

    // a stale If-Match changes nothing
    const stale = await pbx.api('POST', `/api/v1/hotdesk/templates/${warehouse.id}/default`, { ifMatch: '"t0.0"' });
    expect(stale.status).toBe(412);
    expect((await templateNamed('aastra', 'Standard')).isDefault).toBe(true);

    const r = await pbx.api('POST', `/api/v1/hotdesk/templates/${warehouse.id}/default`, { ifMatch: warehouse.etag });
    expect(r.status, r.text).toBe(200);
    const list = await templates();
    expect(TemplateListSchema.parse(r.json).items).toEqual(list);
    const aastraDefaults = list.filter((t) => t.brand === 'aastra' && t.isDefault);
    expect(aastraDefaults.map((t) => t.id)).toEqual([warehouse.id]);
    expect(list.find((t) => t.id === standard.id)?.isDefault, 'the previous default is no longer one').toBe(false);
    for (const brand of ['yealink', 'digium', 'polycom', 'aastra', 'snom']) {
      expect(list.filter((t) => t.brand === brand && t.isDefault), `one default for ${brand}`).toHaveLength(1);
    }
    const x = take(hqMailbox, 'hq mailbox');
    const cfg = await loginOk(PHONE.aastra1, x.number, ADMIN_PASSWORD, from);
    expect(cfg.template).toEqual({ id: warehouse.id, name: 'Warehouse', settings: warehouse.settings });

    // the default cannot be deleted; nor a template a mapping uses
    const nowWarehouse = await templateNamed('aastra', 'Warehouse');
    const delDefault = await pbx.api('DELETE', `/api/v1/hotdesk/templates/${warehouse.id}`, { ifMatch: nowWarehouse.etag });
    expect(delDefault.status).toBe(409);
    expect(errorOf(delDefault).code).toBe('template_in_use');
    const reception = await templateNamed('yealink', 'Reception with sidecar');
    expect(reception.mappings).toBe(2);
    const delMapped = await pbx.api('DELETE', `/api/v1/hotdesk/templates/${reception.id}`, { ifMatch: reception.etag });
    expect(delMapped.status).toBe(409);
    expect(errorOf(delMapped).code).toBe('template_in_use');
    // an unused, non-default template can go
    const created = await pbx.api<Template>('POST', '/api/v1/hotdesk/templates', { body: { brand: 'snom', name: 'Temporary', settings: { backlight: '3' } } });
    expect(created.status, created.text).toBe(201);
    expect(created.json.isDefault).toBe(false);
    const del = await pbx.api('DELETE', `/api/v1/hotdesk/templates/${created.json.id}`, { ifMatch: created.json.etag });
    expect(del.status, del.text).toBe(204);
    const after = await templates();
    expect(after.map((t) => t.id)).toEqual(list.map((t) => t.id));
    expect(after.find((t) => t.id === warehouse.id)?.isDefault).toBe(true);

    // back to Standard (the old default's etag moved on when it stopped being the default)
    const std = await templateNamed('aastra', 'Standard');
    expect(std.etag).not.toBe(standard.etag);
    expect((await pbx.api('POST', `/api/v1/hotdesk/templates/${std.id}/default`, { ifMatch: std.etag })).status).toBe(200);
    expect((await templates()).filter((t) => t.brand === 'aastra' && t.isDefault).map((t) => t.name)).toEqual(['Standard']);
    expect((await phone('logout', PHONE.aastra1, from)).status).toBe(200);
  });
});

describe('brands that reboot to load their configuration', () => {
  it('Yealink, Digium and Poly need a reboot (reported by the phone from its own address); Aastra and Snom are ready at once', async () => {
    const cases: [mac: string, ext: Extension, needsReboot: boolean][] = [
      [PHONE.yealink2, take(hqMailbox, 'hq'), true],
      [PHONE.digium, take(hqMailbox, 'hq'), true],
      [PHONE.polyNorth1, take(northPhones, 'north'), true],
      [PHONE.aastra2, take(hqMailbox, 'hq'), false],
      [PHONE.snomSouth, take(southPhones, 'south'), false],
    ];
    for (const [mac, ext, needsReboot] of cases) {
      const from = host();
      const cfg = await loginOk(mac, ext.number, ADMIN_PASSWORD, from);
      const state = needsReboot ? 'needs_reboot' : 'logged_in';
      expect(cfg, `${mac}`).toMatchObject({ state, screen: needsReboot ? 'needs_reboot' : 'ready' });
      expect((await rowOf(ext.number))?.state, `${mac} row`).toBe(state);
      await hotdeskEvent((e) => e.number === ext.number && e.action === state);
      if (!needsReboot) {
        expect((await phone('logout', mac, from)).status).toBe(200);
        continue;
      }
      expect(await statusOf(mac, from)).toMatchObject({ state: 'needs_reboot', screen: 'needs_reboot', extension: ext.number });
      // another host cannot report the reboot, nor activity, nor log the phone out; nothing changes
      const intruder = host();
      const before = await deviceOf(mac);
      for (const path of ['rebooted', 'activity', 'logout'] as const) {
        const r = await phone(path, mac, intruder);
        expect(r.status, `${path} from another address`).toBe(403);
        expect(errorOf(r).code).toBe('keypad_rejected');
      }
      expect(await deviceOf(mac)).toEqual(before);
      expect((await rowOf(ext.number))?.state).toBe('needs_reboot');
      expect((await statusOf(mac, intruder)).extension, 'another host is not told who is logged in').toBeNull();
      // the phone itself, after its reboot
      clock.advance(MIN);
      const rb = await phone('rebooted', mac, from);
      expect(rb.status, rb.text).toBe(200);
      expect(DeviceStatusSchema.parse(rb.json)).toMatchObject({ state: 'logged_in', screen: 'ready', extension: ext.number });
      expect(await rowOf(ext.number)).toMatchObject({ state: 'logged_in', since: clock.now().toISOString() });
      await hotdeskEvent((e) => e.number === ext.number && e.action === 'rebooted');
      expect((await phone('logout', mac, from)).status).toBe(200);
      expect((await statusOf(mac, from)).screen).toBe('login');
    }
  });
});

describe('one phone per extension', () => {
  it('logging in on phone B moves the extension off phone A (moved, then the login, in that order)', async () => {
    const x = take(hqMailbox, 'hq');
    const [fromA, fromB] = [host(), host()];
    await loginOk(PHONE.aastra1, x.number, ADMIN_PASSWORD, fromA);
    await hotdeskEvent((e) => e.number === x.number && e.device.mac === PHONE.aastra1 && e.action === 'logged_in');
    await loginOk(PHONE.aastra2, x.number, ADMIN_PASSWORD, fromB);
    const moved = await hotdeskEvent((e) => e.number === x.number && e.action === 'moved');
    const onB = await hotdeskEvent((e) => e.number === x.number && e.device.mac === PHONE.aastra2 && e.action === 'logged_in');
    expect(moved.device).toMatchObject({ mac: PHONE.aastra1, state: 'logged_out', extension: null });
    expect(moved.id).toBeLessThan(onB.id);
    const iMoved = indexOf(stream, (e) => e.id === moved.id);
    const iLogin = indexOf(stream, (e) => e.id === onB.id);
    expect(iMoved).toBeGreaterThanOrEqual(0);
    expect(iMoved, 'the moved event comes first').toBeLessThan(iLogin);
    expect(moved.row, 'the moved event carries the row after the change').toMatchObject({ device: { mac: PHONE.aastra2 } });

    expect(await statusOf(PHONE.aastra1, fromA)).toMatchObject({ state: 'logged_out', screen: 'login', extension: null });
    expect((await deviceOf(PHONE.aastra1)).extension).toBeNull();
    expect(await rowOf(x.number)).toMatchObject({ state: 'logged_in', device: { mac: PHONE.aastra2, address: fromB } });
    expect((await devices()).filter((d) => d.extension === x.number).map((d) => d.mac)).toEqual([PHONE.aastra2]);
    // phone A's old host can no longer act on B's login
    expect((await phone('logout', PHONE.aastra2, fromA)).status).toBe(403);
    expect((await phone('logout', PHONE.aastra2, fromB)).status).toBe(200);
  });

  it('a phone that has extension Y and gets X instead logs Y out', async () => {
    const [x, y] = [take(hqMailbox, 'hq'), take(hqMailbox, 'hq')];
    const from = host();
    await loginOk(PHONE.aastra1, y.number, ADMIN_PASSWORD, from);
    expect((await rowOf(y.number))?.state).toBe('logged_in');
    await loginOk(PHONE.aastra1, x.number, ADMIN_PASSWORD, from);
    const out = await hotdeskEvent((e) => e.number === y.number && e.action === 'logged_out');
    expect(out).toMatchObject({ by: 'device', address: from, device: { mac: PHONE.aastra1 } });
    expect(await rowOf(y.number), 'Y has no mapping and no phone: no row').toBeUndefined();
    expect((await deviceOf(PHONE.aastra1)).extension).toBe(x.number);
    expect((await devices()).some((d) => d.extension === y.number)).toBe(false);
    expect((await phone('logout', PHONE.aastra1, from)).status).toBe(200);
  });
});

describe('forced logout (POST /api/v1/devices/{mac}/logout)', () => {
  it('the admin logs a phone out: logged out, forced_logout published, the phone shows its login screen', async () => {
    const x = take(hqMailbox, 'hq');
    const from = host();
    await loginOk(PHONE.aastra1, x.number, ADMIN_PASSWORD, from);
    const r = await pbx.api<Device>('POST', `/api/v1/devices/${encodeURIComponent(PHONE.aastra1)}/logout`);
    expect(r.status, r.text).toBe(200);
    expect(r.json).toMatchObject({ mac: PHONE.aastra1, state: 'logged_out', extension: null });
    const ev = await hotdeskEvent((e) => e.number === x.number && e.action === 'forced_logout');
    expect(ev).toMatchObject({ by: 'admin', address: '127.0.0.1', device: { mac: PHONE.aastra1, state: 'logged_out' } });
    expect(await statusOf(PHONE.aastra1, from)).toMatchObject({ state: 'logged_out', screen: 'login', extension: null });
    expect(await rowOf(x.number)).toBeUndefined();

    // nobody logged in now → 409 not_logged_in
    const again = await pbx.api('POST', `/api/v1/devices/${encodeURIComponent(PHONE.aastra1)}/logout`);
    expect(again.status).toBe(409);
    expect(errorOf(again).code).toBe('not_logged_in');
  });

  it('a MAC in another notation works (no separators, lower case; dashes; Cisco dots)', async () => {
    for (const notation of ['00085d220002', '00-08-5D-22-00-02', '0008.5d22.0002']) {
      const x = take(hqMailbox, 'hq');
      const from = host();
      await loginOk(notation, x.number, ADMIN_PASSWORD, from);
      expect((await deviceOf(PHONE.aastra2)).extension, `${notation} at login`).toBe(x.number);
      const r = await pbx.api<Device>('POST', `/api/v1/devices/${notation}/logout`);
      expect(r.status, `${notation}: ${r.text}`).toBe(200);
      expect(r.json).toMatchObject({ mac: PHONE.aastra2, state: 'logged_out' });
    }
    const bad = await pbx.api('POST', '/api/v1/devices/not-a-mac/logout');
    expect(bad.status).toBe(422);
    expect(errorOf(bad).details?.[0]).toMatchObject({ field: 'mac', rule: 'mac_format' });
    const unknown = await pbx.api('POST', '/api/v1/devices/02:00:00:00:00:99/logout');
    expect(unknown.status).toBe(404);
  });

  it('the receptionist logs out an hq extension’s phone; a north extension’s is 404 to her (on an hq phone with rule in_scope) and stays logged in', async () => {
    const x = take(hqMailbox, 'hq');
    const from = host();
    await loginOk(PHONE.aastra1, x.number, ADMIN_PASSWORD, from);
    const mine = await pbx.api<Device>('POST', `/api/v1/devices/${encodeURIComponent(PHONE.aastra1)}/logout`, { token: receptionToken });
    expect(mine.status, mine.text).toBe(200);
    expect(mine.json).toMatchObject({ state: 'logged_out', extension: null });
    expect(await hotdeskEvent((e) => e.number === x.number && e.action === 'forced_logout')).toMatchObject({ by: 'reception' });

    // an hq extension on a north phone is hers too (the extension's site decides)
    const y = take(hqMailbox, 'hq');
    const fromY = host();
    await loginOk(PHONE.yealinkNorth, y.number, ADMIN_PASSWORD, fromY);
    expect((await rows(receptionToken)).find((r) => r.extension === y.number)?.device?.mac).toBe(PHONE.yealinkNorth);
    const away = await pbx.api<Device>('POST', `/api/v1/devices/${encodeURIComponent(PHONE.yealinkNorth)}/logout`, { token: receptionToken });
    expect(away.status, away.text).toBe(200);
    expect((await deviceOf(PHONE.yealinkNorth)).state).toBe('logged_out');

    // a north extension on a north phone
    const n = take(northPhones, 'north');
    const fromN = host();
    await loginOk(PHONE.polyNorth2, n.number, ADMIN_PASSWORD, fromN);
    const before = await deviceOf(PHONE.polyNorth2);
    const theirs = await pbx.api('POST', `/api/v1/devices/${encodeURIComponent(PHONE.polyNorth2)}/logout`, { token: receptionToken });
    expect(theirs.status).toBe(404);
    expect(errorOf(theirs).code).toBe('not_found');
    expect(await deviceOf(PHONE.polyNorth2)).toEqual(before);
    expect((await pbx.api('POST', `/api/v1/devices/${encodeURIComponent(PHONE.polyNorth2)}/logout`)).status, 'the admin can').toBe(200);

    // a north extension on an hq phone: she sees the phone (her site's) in use, but the user is not hers to log out
    const m = take(northPhones, 'north');
    await loginOk(PHONE.aastra1, m.number, ADMIN_PASSWORD, fromN);
    const before2 = await deviceOf(PHONE.aastra1);
    const onHqPhone = await pbx.api('POST', `/api/v1/devices/${encodeURIComponent(PHONE.aastra1)}/logout`, { token: receptionToken });
    expect(await deviceOf(PHONE.aastra1), 'nothing changes').toEqual(before2);
    expect(onHqPhone.status, onHqPhone.text).toBe(404);
    expect(errorOf(onHqPhone)).toMatchObject({ code: 'not_found', details: [{ field: 'mac', rule: 'in_scope' }] });
    expect(errorOf(onHqPhone).message).toContain('not one of your sites');
    // her phone list shows that phone in use, without saying who
    const seen = await pbx.api<{ items: { mac: string; state: string; extension: string | null }[] }>('GET', '/api/v1/devices', { token: receptionToken });
    expect(seen.json.items.find((x) => x.mac === PHONE.aastra1)).toMatchObject({ state: 'logged_in', extension: null });
    expect((await phone('logout', PHONE.aastra1, fromN)).status).toBe(200);
  });
});

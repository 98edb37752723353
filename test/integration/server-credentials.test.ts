// SPEC F2 credentials on the real reference PBX: every rule refused with 422 on the credentials route and on
// the device PIN change, history against hashes, default PIN (sealed, viewable, reset), must-change flow,
// metadata only in responses, and a canary PIN that must not appear in any response or data file.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExtensionList } from '../../shared/api.js';
import { ExtensionSchema, type Extension } from '../../shared/domain.js';
import { checkPin, defaultPinPolicy } from '../../shared/pin-policy.js';
import { errorOf, startTestPbx, type HttpResult, type TestPbx } from '../helpers/server.js';

describe('credentials', () => {
  let pbx: TestPbx;
  /** Active phone terminals with a mailbox, handed out one per test. */
  let spare: Extension[];
  let inactive: Extension;
  /** Every response body of this file, for the canary. */
  const bodies: string[] = [];

  const take = (): Extension => {
    const e = spare.shift();
    if (!e) throw new Error('out of spare extensions');
    return e;
  };
  const keep = <T>(r: HttpResult<T>): HttpResult<T> => {
    bodies.push(r.text);
    return r;
  };
  const setCred = async (number: string, kind: string, value: string, ifMatch?: string) =>
    keep(await pbx.api<Extension>('PUT', `/api/v1/extensions/${number}/credentials/${kind}`, { body: { value }, ...(ifMatch ? { ifMatch } : {}) }));
  const current = async (number: string) => keep(await pbx.api<Extension>('GET', `/api/v1/extensions/${number}`)).json;
  const set = async (number: string, kind: string, value: string): Promise<Extension> => {
    const r = await setCred(number, kind, value, (await current(number)).etag);
    expect(r.status, r.text).toBe(200);
    return ExtensionSchema.parse(r.json);
  };
  /** A refused write: 422 pin_policy_violation naming exactly these rules, and nothing changed. */
  const refused = async (number: string, kind: string, value: string, rules: string[]) => {
    const before = await current(number);
    const r = await setCred(number, kind, value, before.etag);
    expect(r.status, `${value}: ${r.text}`).toBe(422);
    const err = errorOf(r);
    expect(err.code).toBe('pin_policy_violation');
    expect(err.details?.map((d) => d.rule), value).toEqual(rules);
    for (const d of err.details ?? []) expect(d.field).toBe('value');
    expect(await current(number)).toEqual(before);
  };
  const defaultPin = async (number: string) => {
    const r = keep(await pbx.api<{ defaultPin: string }>('GET', `/api/v1/extensions/${number}/credentials/voicemail-pin/default`));
    expect(r.status, r.text).toBe(200);
    return r.json.defaultPin;
  };
  const reset = async (number: string, ifMatch?: string) =>
    keep(await pbx.api<Extension>('POST', `/api/v1/extensions/${number}/credentials/voicemail-pin/reset`, ifMatch ? { ifMatch } : {}));
  const login = async (extension: string, pin: string) => keep(await pbx.device<{ result: string }>('/device/v1/voicemail/login', { extension, pin }));
  const changePin = async (extension: string, pin: string, newPin: string) =>
    keep(await pbx.device<{ result: string }>('/device/v1/voicemail/pin', { extension, pin, newPin }));
  const sql = <T>(query: string, ...args: unknown[]): T[] => {
    const db = new Database(join(pbx.dataDir, 'pbx.sqlite'), { readonly: true });
    try {
      return db.prepare(query).all(...args) as T[];
    } finally {
      db.close();
    }
  };

  beforeAll(async () => {
    pbx = await startTestPbx({ seed: 'demo' });
    const r = await pbx.api<ExtensionList>('GET', '/api/v1/extensions?limit=1000&type=phone_terminal&protection=off');
    spare = r.json.items.filter((e) => e.status === 'active' && e.voicemail);
    inactive = r.json.items.find((e) => e.status === 'inactive') as Extension;
    expect(inactive).toBeDefined();
  });
  afterAll(async () => {
    await pbx?.cleanup();
  });

  it('every active number starts with a policy-compliant default voicemail PIN; metadata only', async () => {
    const ext = take();
    expect(ext.credentials?.voicemail_pin).toEqual({ set: true, isDefault: true, setAt: expect.any(String), compliant: true, meetsCurrentPolicy: null });
    expect(ext.credentials?.login_code).toEqual({ set: false, isDefault: false, setAt: null, compliant: null, meetsCurrentPolicy: null });
    const pin = await defaultPin(ext.number);
    expect(pin).toMatch(/^[0-9]{4,12}$/);
    expect(checkPin(pin, defaultPinPolicy('voicemail_pin'), { extension: ext.number, defaultPin: null, reused: false })).toEqual([]);
    // viewing the default is audited
    const rows = sql<{ actor: string; target: string }>("SELECT actor, target FROM audit WHERE action = 'credentials.default_pin_viewed'");
    expect(rows).toContainEqual({ actor: 'admin', target: `extension:${ext.number}` });
    // the default is sealed, not stored in plain text, and its hash is pending
    const row = sql<{ enc: Buffer; hash: string | null }>('SELECT enc, hash FROM default_pins WHERE number = ?', ext.number)[0];
    expect(row?.hash).toBeNull();
    expect(row?.enc.includes(Buffer.from(pin))).toBe(false);
    // inactive numbers have none
    expect(inactive.credentials?.voicemail_pin.set).toBe(false);
    expect((await pbx.api('GET', `/api/v1/extensions/${inactive.number}/credentials/voicemail-pin/default`)).status).toBe(404);
  });

  it('the credentials route needs If-Match (428) and the current ETag (412)', async () => {
    const ext = take();
    expect((await setCred(ext.number, 'voicemail_pin', '2580')).status).toBe(428);
    const stale = await setCred(ext.number, 'voicemail_pin', '2580', '"v999"');
    expect(stale.status).toBe(412);
    expect(errorOf(stale).currentEtag).toBe(ext.etag);
    expect((await setCred(ext.number, 'protection_password', '2580', ext.etag)).status).toBe(422);
    expect((await setCred('99999', 'voicemail_pin', '2580', '*')).status).toBe(404);
  });

  it('refuses each rule with 422 pin_policy_violation and changes nothing', async () => {
    const ext = take();
    const n = ext.number;
    await refused(n, 'voicemail_pin', '5111', ['pin_repeated_digits']);
    await refused(n, 'voicemail_pin', '5123', ['pin_sequence']);
    await refused(n, 'voicemail_pin', '9875', ['pin_sequence']);
    await refused(n, 'voicemail_pin', n, ['pin_matches_extension']);
    await refused(n, 'voicemail_pin', [...n].reverse().join(''), ['pin_matches_extension']);
    await refused(n, 'voicemail_pin', '29', ['pin_length']);
    await refused(n, 'voicemail_pin', '2940275816302', ['pin_length']);
    await refused(n, 'voicemail_pin', '29a5', ['pin_digits_only']);
    await refused(n, 'voicemail_pin', '1111', ['pin_repeated_digits']);
    await refused(n, 'voicemail_pin', await defaultPin(n), ['pin_is_default']);
    await refused(n, 'login_code', '4321', ['pin_sequence']);
    await refused(n, 'user_password', 'ab!d', ['pin_characters']);
  });

  it('history: refuses the last value and its reverse (checked against hashes), allows older ones under history 1', async () => {
    const ext = take();
    const n = ext.number;
    const after = await set(n, 'voicemail_pin', '2580');
    expect(after.version).toBe(ext.version + 1);
    expect(after.credentials?.voicemail_pin).toEqual({ set: true, isDefault: false, setAt: expect.any(String), compliant: true, meetsCurrentPolicy: true });
    await refused(n, 'voicemail_pin', '2580', ['pin_reused']);
    await refused(n, 'voicemail_pin', '0852', ['pin_reused']);
    await set(n, 'voicemail_pin', '1470');
    await set(n, 'voicemail_pin', '2580'); // history count 1: only the last one is refused
    const hist = sql<{ hash: string }>("SELECT hash FROM credential_history WHERE number = ? AND kind = 'voicemail_pin'", n);
    expect(hist).toHaveLength(3);
    for (const h of hist) expect(h.hash).toMatch(/^\$argon2id\$/);
    // other kinds keep their own history
    await set(n, 'login_code', '2580');
    await refused(n, 'login_code', '0852', ['pin_reused']);
  });

  it('history keeps at most 24 hashes', async () => {
    const ext = take();
    const values = ['2580', '1470', '3690', '2468', '1357', '9630', '8520', '7410', '1593', '7539', '2684', '4826', '3816', '6184', '5927', '7296', '1739', '9372', '2851', '1592', '3962', '2694', '4718', '8175', '5038', '8306'];
    for (const v of values) await set(ext.number, 'phone_password', v);
    const hist = sql<{ c: number }>("SELECT count(*) AS c FROM credential_history WHERE number = ? AND kind = 'phone_password'", ext.number);
    expect(hist[0]?.c).toBe(24);
  }, 60_000);

  it('reset returns the voicemail PIN to the default; refused with 409 for an inactive number', async () => {
    const ext = take();
    const n = ext.number;
    await set(n, 'voicemail_pin', '4826');
    expect((await login(n, '4826')).json).toEqual({ result: 'ok' });
    const cur = await current(n);
    expect((await reset(n)).status).toBe(428);
    const r = await reset(n, cur.etag);
    expect(r.status, r.text).toBe(200);
    const ext2 = ExtensionSchema.parse(r.json);
    expect(r.headers.etag).toBe(ext2.etag);
    expect(ext2.version).toBe(cur.version + 1);
    expect(ext2.credentials?.voicemail_pin).toMatchObject({ set: true, isDefault: true, compliant: true });
    // the reset filled in the default's pending argon2 hash; sign-in with the default now verifies by argon2
    expect(sql<{ hash: string | null }>('SELECT hash FROM default_pins WHERE number = ?', n)[0]?.hash).toMatch(/^\$argon2id\$/);
    expect((await login(n, await defaultPin(n))).json).toEqual({ result: 'must_change_pin' });
    expect((await login(n, '4826')).status).toBe(403);

    const inact = await reset(inactive.number, inactive.etag);
    expect(inact.status).toBe(409);
    expect(errorOf(inact).code).toBe('extension_inactive');
    expect(await current(inactive.number)).toEqual(inactive);
  });

  it('device: first voicemail login with the default PIN must change it; the change is checked by the policy', async () => {
    const ext = take();
    const n = ext.number;
    const def = await defaultPin(n);
    expect((await login(n, def)).json).toEqual({ result: 'must_change_pin' });

    const wrong = await login(n, def === '2580' ? '1470' : '2580');
    expect(wrong.status).toBe(403);
    const unknown = await login('99999', def);
    expect(unknown.status).toBe(403);
    expect(unknown.json).toEqual(wrong.json);
    expect(errorOf(wrong).code).toBe('keypad_rejected');
    const failures = sql<{ kind: string; reason: string }>('SELECT kind, reason FROM auth_failures WHERE extension = ?', n);
    expect(failures).toEqual([{ kind: 'voicemail', reason: 'wrong_pin' }]);

    // wrong old PIN: 403 before any policy check
    expect((await changePin(n, '0000', '2580')).status).toBe(403);
    for (const [newPin, rule] of [
      ['1234', 'pin_sequence'],
      ['7770', 'pin_repeated_digits'],
      [n, 'pin_matches_extension'],
      ['12', 'pin_length'],
      [def, 'pin_is_default'],
    ] as const) {
      const r = await changePin(n, def, newPin);
      expect(r.status, newPin).toBe(422);
      expect(errorOf(r).code).toBe('pin_policy_violation');
      expect(errorOf(r).details?.map((d) => [d.field, d.rule])).toContainEqual(['newPin', rule]);
    }
    expect((await current(n)).credentials?.voicemail_pin.isDefault).toBe(true);

    const ok = await changePin(n, def, '3690');
    expect(ok.status, ok.text).toBe(200);
    expect(ok.json).toEqual({ result: 'ok' });
    expect((await current(n)).credentials?.voicemail_pin).toMatchObject({ isDefault: false, set: true });
    expect((await login(n, '3690')).json).toEqual({ result: 'ok' });
    expect((await login(n, def)).status).toBe(403);
    // history also applies on the device path
    const again = await changePin(n, '3690', '0963');
    expect(errorOf(again).details?.map((d) => d.rule)).toEqual(['pin_reused']);
  });

  it('a stricter policy applies to the next write on every path', async () => {
    const ext = take();
    const pol = (await pbx.api<{ etag: string }>('GET', '/api/v1/policies/pin/voicemail_pin')).json;
    const strict = { ...defaultPinPolicy('voicemail_pin'), minLength: 6 };
    expect((await pbx.api('PUT', '/api/v1/policies/pin/voicemail_pin', { body: strict, ifMatch: pol.etag })).status).toBe(200);
    try {
      await refused(ext.number, 'voicemail_pin', '2580', ['pin_length']);
      const def = await defaultPin(ext.number);
      const r = await changePin(ext.number, def, '2580');
      expect(errorOf(r).details?.map((d) => d.rule)).toContain('pin_length');
      await set(ext.number, 'voicemail_pin', '258036');
    } finally {
      const now = (await pbx.api<{ etag: string }>('GET', '/api/v1/policies/pin/voicemail_pin')).json;
      await pbx.api('PUT', '/api/v1/policies/pin/voicemail_pin', { body: defaultPinPolicy('voicemail_pin'), ifMatch: now.etag });
    }
  });

  it('canary: a PIN set through the API appears in no response and in no data file, only as a hash', async () => {
    const ext = take();
    const canary = '739158246071';
    await set(ext.number, 'user_password', canary);
    await set(ext.number, 'login_code', canary);
    bodies.push(keep(await pbx.api('GET', '/api/v1/extensions?limit=1000')).text);
    for (const text of bodies) {
      expect(text.includes(canary)).toBe(false);
      expect(text.includes('$argon2')).toBe(false);
    }
    await pbx.stop();
    for (const f of readdirSync(pbx.dataDir)) {
      const bytes = readFileSync(join(pbx.dataDir, f));
      expect(bytes.includes(Buffer.from(canary)), f).toBe(false);
    }
  });
});

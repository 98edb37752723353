// Trusted extensions (SPEC F2: the voicemail code is "not required from a trusted extension") on the real
// reference PBX: PUT /api/v1/extensions/{number}/voicemail/trusted (admins only, If-Match, audited, published
// as extension.changed), the device's mailbox sign-in without a PIN only from the mailbox's own extension,
// bad input refused naming the field with nothing changed, deactivation turning it off, a restart keeping it,
// and the migration that adds it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExtensionList } from '../../shared/api.js';
import { ExtensionSchema, type Extension } from '../../shared/domain.js';
import { ExtensionChangedEventSchema, type PbxEvent } from '../../shared/events.js';
import type { LockoutPolicy } from '../../shared/lockout.js';
import { SCHEMA_VERSION } from '../../server/db.js';
import { startPbxServer, type PbxServer } from '../../server/index.js';
import { errorOf, httpRequest, openEventStream, startTestPbx, type EventStream, type HttpResult } from '../helpers/server.js';

describe('trusted extensions (voicemail without a PIN from the own phone)', () => {
  let dir: string;
  let server: PbxServer;
  let adminToken: string;
  let receptionToken: string;
  let stream: EventStream;
  /** Active hq phone terminals with a mailbox, one per test. */
  let spare: Extension[];
  let noMailbox: Extension;
  let inactive: Extension;

  const login = async (username: string, password: string): Promise<string> => {
    const r = await httpRequest<{ token: string }>(`${server.url}/api/v1/session`, { method: 'POST', body: { username, password } });
    expect(r.status, r.text).toBe(201);
    return r.json.token;
  };
  const api = <T = unknown>(method: string, path: string, o: { body?: unknown; ifMatch?: string; token?: string } = {}): Promise<HttpResult<T>> => {
    const headers: Record<string, string> = { authorization: `Bearer ${o.token ?? adminToken}` };
    if (o.ifMatch !== undefined) headers['if-match'] = o.ifMatch;
    return httpRequest<T>(`${server.url}${path}`, { method, headers, body: o.body });
  };
  const current = async (number: string): Promise<Extension> => {
    const r = await api<Extension>('GET', `/api/v1/extensions/${number}`);
    expect(r.status, r.text).toBe(200);
    return r.json;
  };
  const ok = <T>(r: HttpResult<T>): T => {
    expect(r.status, r.text).toBe(200);
    return r.json;
  };
  const take = (): Extension => {
    const e = spare.shift();
    if (!e) throw new Error('out of spare extensions');
    return e;
  };
  const setTrusted = (number: string, body: unknown, ifMatch?: string, token?: string) =>
    api<Extension>('PUT', `/api/v1/extensions/${number}/voicemail/trusted`, {
      body,
      ...(ifMatch !== undefined ? { ifMatch } : {}),
      ...(token !== undefined ? { token } : {}),
    });
  const trust = async (number: string, trusted: boolean): Promise<Extension> =>
    ExtensionSchema.parse(ok(await setTrusted(number, { trusted }, (await current(number)).etag)));
  const signIn = (body: { extension: string; pin?: string; from?: string }, address?: string) =>
    httpRequest<{ result: string }>(`${server.url}/device/v1/voicemail/login`, { method: 'POST', body, localAddress: address });
  const refusedSignIn = async (body: { extension: string; pin?: string; from?: string }, address?: string) => {
    const r = await signIn(body, address);
    expect(r.status, `${JSON.stringify(body)}: ${r.text}`).toBe(403);
    expect(errorOf(r).code).toBe('keypad_rejected');
  };
  /**
   * The extension's own phone registers (with its phone password) from `address`: the PBX then knows that
   * calls from there come from that extension.
   */
  const registerPhone = async (number: string, address = '127.0.0.1'): Promise<void> => {
    const e = await current(number);
    ok(await api<Extension>('PUT', `/api/v1/extensions/${number}/credentials/phone_password`, { body: { value: '583920' }, ifMatch: e.etag }));
    const r = await httpRequest(`${server.url}/device/v1/register`, { method: 'POST', body: { extension: number, password: '583920' }, localAddress: address });
    expect(r.json).toEqual({ result: 'registered', expiresSeconds: 3600 });
  };
  const defaultPin = async (number: string): Promise<string> =>
    ok(await api<{ defaultPin: string }>('GET', `/api/v1/extensions/${number}/credentials/voicemail-pin/default`)).defaultPin;
  const sql = <T>(query: string, ...args: unknown[]): T[] => {
    const db = new Database(join(dir, 'pbx.sqlite'), { readonly: true });
    try {
      return db.prepare(query).all(...args) as T[];
    } finally {
      db.close();
    }
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pbx-warden-trusted-'));
    server = await startPbxServer({ dataDir: dir, seed: 'demo', quiet: true });
    adminToken = await login('admin', server.initialAdminPassword as string);
    receptionToken = await login('reception', server.initialReceptionistPassword as string);
    const r = await api<ExtensionList>('GET', '/api/v1/extensions?site=hq&limit=100');
    spare = r.json.items.filter((x) => x.type === 'phone_terminal' && x.status === 'active' && x.voicemail && !x.protection.enabled);
    noMailbox = r.json.items.find((x) => x.status === 'active' && !x.voicemail) as Extension;
    inactive = r.json.items.find((x) => x.status === 'inactive') as Extension;
    expect(spare.length).toBeGreaterThan(8);
    expect(noMailbox).toBeDefined();
    expect(inactive).toBeDefined();
    stream = await openEventStream(server.url, adminToken);
    // these tests make many refused sign-ins on purpose: lockouts (SPEC F3, tested elsewhere) kept out of the way
    const lp = await api<{ policy: LockoutPolicy; etag: string }>('GET', '/api/v1/policies/lockout');
    const lax: LockoutPolicy = { ...lp.json.policy, extension: { ...lp.json.policy.extension, threshold: 100 }, address: { ...lp.json.policy.address, threshold: 1000 } };
    expect((await api('PUT', '/api/v1/policies/lockout', { body: lax, ifMatch: lp.json.etag })).status).toBe(200);
  });

  afterAll(async () => {
    stream?.close();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is off for every extension by default, in lists and single reads', async () => {
    const all = ok(await api<ExtensionList>('GET', '/api/v1/extensions?limit=1000'));
    expect(all.items).toHaveLength(300);
    for (const e of all.items) expect(e.voicemailTrusted, e.number).toBe(false);
    expect((await current(spare[0]!.number)).voicemailTrusted).toBe(false);
  });

  it('an admin turns it on: If-Match checked, version bumped, audited, published; GET and the list show it', async () => {
    const ext = take();
    const n = ext.number;
    expect((await setTrusted(n, { trusted: true })).status).toBe(428);
    const stale = await setTrusted(n, { trusted: true }, '"v999"');
    expect(stale.status).toBe(412);
    expect(errorOf(stale).currentEtag).toBe(ext.etag);

    const r = await setTrusted(n, { trusted: true }, ext.etag);
    const after = ExtensionSchema.parse(ok(r));
    expect(r.headers['etag']).toBe(after.etag);
    expect(after.voicemailTrusted).toBe(true);
    expect(after.version).toBe(ext.version + 1);
    // nothing else changed
    expect({ ...after, voicemailTrusted: false, version: ext.version, etag: ext.etag }).toEqual(ext);
    expect(await current(n)).toEqual(after);
    const listed = ok(await api<ExtensionList>('GET', `/api/v1/extensions?search=${n}&limit=10`));
    expect(listed.items.find((e) => e.number === n)?.voicemailTrusted).toBe(true);

    const ev = await stream.waitFor((e: PbxEvent) => e.type === 'extension.changed' && e.number === n && e.action === 'voicemail_trusted');
    const parsed = ExtensionChangedEventSchema.parse(ev);
    expect(parsed).toMatchObject({ by: 'admin', extension: { voicemailTrusted: true, version: after.version } });
    const rows = sql<{ actor: string; detail: string; id: number }>(
      "SELECT id, actor, detail FROM audit WHERE action = 'extension.voicemail_trusted' AND target = ?",
      `extension:${n}`,
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]?.actor).toBe('admin');
    expect(JSON.parse(rows[0]?.detail ?? '{}')).toEqual({ trusted: true, version: after.version });
    expect(parsed.id).toBe(rows[0]?.id);

    // the same value again: 200, nothing written (no new version, audit row or event)
    const again = ok(await setTrusted(n, { trusted: true }, after.etag));
    expect(again).toEqual(after);
    expect(sql('SELECT id FROM audit WHERE action = ? AND target = ?', 'extension.voicemail_trusted', `extension:${n}`)).toHaveLength(1);

    // and off again
    const off = await trust(n, false);
    expect(off.voicemailTrusted).toBe(false);
    expect(off.version).toBe(after.version + 1);
  });

  it('trusted: a call from the own extension signs in without a PIN; from another extension the PIN is needed', async () => {
    const ext = take();
    const other = take();
    const n = ext.number;
    const pin = await defaultPin(n);
    await trust(n, true);
    // `from` alone proves nothing: until the extension's phone registered, and from any other address
    // than the one it registered from, the PIN is needed
    await refusedSignIn({ extension: n, from: n });
    await registerPhone(n, '127.0.0.1');
    await refusedSignIn({ extension: n, from: n }, '127.0.0.5');

    // from the mailbox's own extension: ok without a PIN (not must_change_pin: no PIN was used), even though
    // the PIN is still the default; a PIN sent along is not looked at
    expect(ok(await signIn({ extension: n, from: n }))).toEqual({ result: 'ok' });
    expect(ok(await signIn({ extension: n, from: n, pin: '0000' }))).toEqual({ result: 'ok' });

    // from any other extension, or without saying where the call comes from: the PIN is needed
    await refusedSignIn({ extension: n, from: other.number });
    await refusedSignIn({ extension: n });
    await refusedSignIn({ extension: n, from: other.number, pin: '0000' });
    expect(ok(await signIn({ extension: n, from: other.number, pin }))).toEqual({ result: 'must_change_pin' });
    expect(ok(await signIn({ extension: n, pin }))).toEqual({ result: 'must_change_pin' });

    // the other extension's own trust does not open this mailbox
    await trust(other.number, true);
    await registerPhone(other.number, '127.0.0.1');
    await refusedSignIn({ extension: n, from: other.number });
    expect(ok(await signIn({ extension: other.number, from: other.number }))).toEqual({ result: 'ok' });

    // the refusals are recorded as voicemail failures (reason internal only)
    const reasons = sql<{ reason: string }>("SELECT reason FROM auth_failures WHERE kind = 'voicemail' AND extension = ?", n).map((r) => r.reason);
    expect(reasons).toContain('pin_required');
    expect(reasons).toContain('wrong_pin');
  });

  it('untrusted: the PIN is needed from the own extension too', async () => {
    const ext = take();
    const n = ext.number;
    const pin = await defaultPin(n);
    await refusedSignIn({ extension: n, from: n });
    await refusedSignIn({ extension: n, from: n, pin: '0000' });
    expect(ok(await signIn({ extension: n, from: n, pin }))).toEqual({ result: 'must_change_pin' });
    // trusted and then not trusted again: back to the PIN
    await trust(n, true);
    await registerPhone(n);
    expect(ok(await signIn({ extension: n, from: n }))).toEqual({ result: 'ok' });
    await trust(n, false);
    await refusedSignIn({ extension: n, from: n });
  });

  it('a receptionist gets 403 forbidden (before the input is looked at) and nothing changes', async () => {
    const ext = take();
    const before = await current(ext.number);
    for (const body of [{ trusted: true }, { trusted: 'yes' }, {}]) {
      const r = await setTrusted(ext.number, body, before.etag, receptionToken);
      expect(r.status, r.text).toBe(403);
      expect(errorOf(r)).toMatchObject({ code: 'forbidden', message: 'A receptionist cannot mark extensions as trusted for voicemail' });
    }
    expect(await current(ext.number)).toEqual(before);
    await refusedSignIn({ extension: ext.number, from: ext.number });
  });

  it('bad input: 422 naming the field and the rule, nothing changes', async () => {
    const ext = take();
    const n = ext.number;
    const before = await current(n);
    const cases: [unknown, { field: string; rule: string }[]][] = [
      [{ trusted: 'yes' }, [{ field: 'trusted', rule: 'type_boolean' }]],
      [{ trusted: 1 }, [{ field: 'trusted', rule: 'type_boolean' }]],
      [{ trusted: null }, [{ field: 'trusted', rule: 'type_boolean' }]],
      [{}, [{ field: 'trusted', rule: 'required' }]],
      [{ trusted: true, pin: '1234' }, [{ field: 'pin', rule: 'unknown_keys' }]],
      [[true], [{ field: '(root)', rule: 'type_object' }]],
    ];
    for (const [body, expected] of cases) {
      const r = await setTrusted(n, body, before.etag);
      expect(r.status, `${JSON.stringify(body)}: ${r.text}`).toBe(422);
      const err = errorOf(r);
      expect(err.code).toBe('validation_failed');
      expect(err.details?.map((d) => ({ field: d.field, rule: d.rule })), JSON.stringify(body)).toEqual(expected);
      for (const d of err.details ?? []) expect(d.message.startsWith(`${d.field}: `)).toBe(true);
    }
    // a bad number in the path
    const badPath = await api('PUT', '/api/v1/extensions/12a/voicemail/trusted', { body: { trusted: true }, ifMatch: '*' });
    expect(badPath.status).toBe(422);
    expect(errorOf(badPath).details?.[0]).toMatchObject({ field: 'number', rule: 'pattern' });
    expect((await api('PUT', '/api/v1/extensions/99999/voicemail/trusted', { body: { trusted: true }, ifMatch: '*' })).status).toBe(404);
    expect(await current(n)).toEqual(before);
    expect(sql('SELECT id FROM audit WHERE action = ? AND target = ?', 'extension.voicemail_trusted', `extension:${n}`)).toHaveLength(0);
  });

  it('only an active number with a mailbox can be trusted (409); turning it off is always accepted', async () => {
    const inactiveBefore = await current(inactive.number);
    const r1 = await setTrusted(inactive.number, { trusted: true }, inactiveBefore.etag);
    expect(r1.status, r1.text).toBe(409);
    expect(errorOf(r1).code).toBe('extension_inactive');
    const mailboxBefore = await current(noMailbox.number);
    const r2 = await setTrusted(noMailbox.number, { trusted: true }, mailboxBefore.etag);
    expect(r2.status, r2.text).toBe(409);
    expect(errorOf(r2)).toMatchObject({ code: 'conflict', message: expect.stringContaining('no voicemail box') });
    expect(ok(await setTrusted(inactive.number, { trusted: false }, inactiveBefore.etag))).toEqual(inactiveBefore);
    expect(await current(inactive.number)).toEqual(inactiveBefore);
    expect(await current(noMailbox.number)).toEqual(mailboxBefore);
  });

  it('deactivating the number turns it off (custom configuration); activating does not turn it back on', async () => {
    const ext = take();
    const n = ext.number;
    const trusted = await trust(n, true);
    const off = ok(await api<Extension>('POST', `/api/v1/extensions/${n}/deactivate`, { ifMatch: trusted.etag }));
    expect(off.voicemailTrusted).toBe(false);
    expect(sql<{ t: number }>('SELECT voicemail_trusted AS t FROM extensions WHERE number = ?', n)[0]?.t).toBe(0);
    const on = ok(await api<Extension>('POST', `/api/v1/extensions/${n}/activate`, { ifMatch: off.etag }));
    expect(on.voicemailTrusted).toBe(false);
    await refusedSignIn({ extension: n, from: n });
    expect(ok(await signIn({ extension: n, from: n, pin: await defaultPin(n) }))).toEqual({ result: 'must_change_pin' });
  });

  it('survives a restart', async () => {
    const ext = take();
    await trust(ext.number, true);
    await registerPhone(ext.number);
    stream.close();
    await server.close();
    server = await startPbxServer({ dataDir: dir, quiet: true });
    // sessions are stored, so the admin's token still works
    expect((await current(ext.number)).voicemailTrusted).toBe(true);
    expect(ok(await signIn({ extension: ext.number, from: ext.number }))).toEqual({ result: 'ok' });
  });
});

describe('migration 5 (voicemail_trusted)', () => {
  it('adds the column, off for every number, to a schema-4 database; re-running it keeps the values', async () => {
    const pbx = await startTestPbx({ seed: 'demo' });
    try {
      const file = join(pbx.dataDir, 'pbx.sqlite');
      const ext = await pbx.extension('1001');
      const r = await pbx.api<Extension>('PUT', '/api/v1/extensions/1001/voicemail/trusted', { body: { trusted: true }, ifMatch: ext.etag });
      expect(r.status, r.text).toBe(200);

      // user_version put back by hand with the column present: re-run without harm, the value kept
      await pbx.stop();
      let db = new Database(file);
      db.pragma('user_version = 4');
      db.close();
      await pbx.restart({ seed: 'none' });
      expect((await pbx.extension('1001')).voicemailTrusted).toBe(true);

      // a real schema-4 database (no column): upgraded, every number off
      await pbx.stop();
      db = new Database(file);
      db.exec('ALTER TABLE extensions DROP COLUMN voicemail_trusted; PRAGMA user_version = 4;');
      db.close();
      await pbx.restart({ seed: 'none' });
      const check = new Database(file, { readonly: true });
      try {
        expect(check.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
        expect(check.prepare('SELECT count(*) FROM extensions WHERE voicemail_trusted <> 0').pluck().get()).toBe(0);
      } finally {
        check.close();
      }
      expect((await pbx.extension('1001')).voicemailTrusted).toBe(false);
    } finally {
      await pbx.cleanup();
    }
  });
});

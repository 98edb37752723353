// The credentials.changed live event on the real reference PBX: published when a credential is set through
// the API, reset to the default, or changed from the phone; it carries metadata only (never a value, a hash
// or the default PIN); a receptionist scoped to hq receives only events about hq extensions.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExtensionList } from '../../shared/api.js';
import type { Extension } from '../../shared/domain.js';
import { CredentialsChangedEventSchema, PbxEventSchema, type PbxEvent } from '../../shared/events.js';
import { startPbxServer, type PbxServer } from '../../server/index.js';
import { httpRequest, openEventStream, type EventStream, type HttpResult } from '../helpers/server.js';

type CredEvent = Extract<PbxEvent, { type: 'credentials.changed' }>;

describe('credentials.changed events', () => {
  let dir: string;
  let server: PbxServer;
  let adminToken: string;
  let receptionToken: string;
  let adminStream: EventStream;
  let receptionStream: EventStream;
  let hqSpare: Extension[];
  let northSpare: Extension[];

  const login = async (username: string, password: string): Promise<string> => {
    const r = await httpRequest<{ token: string }>(`${server.url}/api/v1/session`, { method: 'POST', body: { username, password } });
    expect(r.status, r.text).toBe(201);
    return r.json.token;
  };
  const api = <T = unknown>(token: string, method: string, path: string, o: { body?: unknown; ifMatch?: string } = {}): Promise<HttpResult<T>> => {
    const headers: Record<string, string> = { authorization: `Bearer ${token}` };
    if (o.ifMatch !== undefined) headers['if-match'] = o.ifMatch;
    return httpRequest<T>(`${server.url}${path}`, { method, headers, body: o.body });
  };
  const mailboxes = async (site: string): Promise<Extension[]> => {
    const r = await api<ExtensionList>(adminToken, 'GET', `/api/v1/extensions?site=${site}&type=phone_terminal&limit=100`);
    return r.json.items.filter((x) => x.status === 'active' && x.voicemail);
  };
  const take = (list: Extension[]): Extension => {
    const e = list.shift();
    if (!e) throw new Error('out of spare extensions');
    return e;
  };
  const isCred = (number: string, action?: string) => (e: PbxEvent): boolean =>
    e.type === 'credentials.changed' && e.number === number && (action === undefined || e.action === action);
  /** No value, no hash, no default PIN anywhere in the event. */
  const expectNoSecret = (ev: PbxEvent, ...secrets: string[]) => {
    const text = JSON.stringify(ev);
    for (const s of secrets) expect(text).not.toContain(s);
    expect(text).not.toMatch(/argon2|"hash"|"value"|defaultPin|"pin"/i);
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pbx-warden-cred-events-'));
    server = await startPbxServer({ dataDir: dir, seed: 'demo', quiet: true });
    adminToken = await login('admin', server.initialAdminPassword as string);
    receptionToken = await login('reception', server.initialReceptionistPassword as string);
    hqSpare = await mailboxes('hq');
    northSpare = await mailboxes('north');
    adminStream = await openEventStream(server.url, adminToken);
    receptionStream = await openEventStream(server.url, receptionToken);
    expect(adminStream.status).toBe(200);
    expect(receptionStream.status).toBe(200);
  });

  afterAll(async () => {
    adminStream?.close();
    receptionStream?.close();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a credential set through the API publishes credentials.changed (action set, source console) without the value', async () => {
    const ext = take(hqSpare);
    const value = '739158';
    const r = await api<Extension>(adminToken, 'PUT', `/api/v1/extensions/${ext.number}/credentials/login_code`, {
      body: { value },
      ifMatch: ext.etag,
    });
    expect(r.status, r.text).toBe(200);
    const ev = CredentialsChangedEventSchema.parse(await adminStream.waitFor(isCred(ext.number, 'set')));
    expect(PbxEventSchema.safeParse(ev).success).toBe(true);
    expect(ev).toMatchObject({ kind: 'login_code', action: 'set', source: 'console', by: 'admin', number: ext.number });
    expect(ev.address).toMatch(/127\.0\.0\.1/);
    expect(ev.extension).toEqual(r.json);
    expect(ev.extension.credentials?.login_code).toMatchObject({ set: true, isDefault: false });
    expectNoSecret(ev, value);
    // the receptionist of hq receives it too
    const rev = await receptionStream.waitFor(isCred(ext.number, 'set'));
    expect(rev.id).toBe(ev.id);
  });

  it('a reset to the default publishes action reset (by the receptionist), without the default PIN', async () => {
    const ext = take(hqSpare);
    const def = await api<{ defaultPin: string }>(receptionToken, 'GET', `/api/v1/extensions/${ext.number}/credentials/voicemail-pin/default`);
    expect(def.status).toBe(200);
    const r = await api<Extension>(receptionToken, 'POST', `/api/v1/extensions/${ext.number}/credentials/voicemail-pin/reset`, {
      ifMatch: ext.etag,
    });
    expect(r.status, r.text).toBe(200);
    const ev = (await adminStream.waitFor(isCred(ext.number, 'reset'))) as CredEvent;
    expect(ev).toMatchObject({ kind: 'voicemail_pin', action: 'reset', source: 'console', by: 'reception' });
    expect(ev.extension.credentials?.voicemail_pin.isDefault).toBe(true);
    expectNoSecret(ev, def.json.defaultPin);
  });

  it('a PIN changed from the phone publishes action device_change (source device) without either PIN', async () => {
    const ext = take(hqSpare);
    const def = (await api<{ defaultPin: string }>(adminToken, 'GET', `/api/v1/extensions/${ext.number}/credentials/voicemail-pin/default`)).json
      .defaultPin;
    const newPin = '258036';
    const r = await httpRequest(`${server.url}/device/v1/voicemail/pin`, {
      method: 'POST',
      body: { extension: ext.number, pin: def, newPin },
    });
    expect(r.status, r.text).toBe(200);
    const ev = (await adminStream.waitFor(isCred(ext.number, 'device_change'))) as CredEvent;
    expect(ev).toMatchObject({ kind: 'voicemail_pin', action: 'device_change', source: 'device', by: 'device' });
    expect(ev.extension.credentials?.voicemail_pin).toMatchObject({ set: true, isDefault: false });
    expectNoSecret(ev, def, newPin);
    await receptionStream.waitFor(isCred(ext.number, 'device_change'));
  });

  it('a receptionist of hq does not receive events about other sites, nor settings changes', async () => {
    const north = take(northSpare);
    const r = await api<Extension>(adminToken, 'PUT', `/api/v1/extensions/${north.number}/credentials/login_code`, {
      body: { value: '917304' },
      ifMatch: north.etag,
    });
    expect(r.status, r.text).toBe(200);
    await adminStream.waitFor(isCred(north.number));
    // a north protection change and a policy change: the admin gets them, the receptionist does not
    const p2004 = (await api<Extension>(adminToken, 'GET', '/api/v1/extensions/2004')).json;
    expect((await api(adminToken, 'POST', '/api/v1/extensions/2004/protection/block', { ifMatch: p2004.etag })).status).toBe(200);
    await adminStream.waitFor((e) => e.type === 'protection.changed' && e.number === '2004');
    const pol = (await api<{ etag: string; policy: unknown }>(adminToken, 'GET', '/api/v1/policies/pin/login_code')).json;
    expect((await api(adminToken, 'PUT', '/api/v1/policies/pin/login_code', { body: pol.policy, ifMatch: pol.etag })).status).toBe(200);
    await adminStream.waitFor((e) => e.type === 'settings.changed');
    // then an hq change: once the receptionist has it, the earlier ones would have arrived before it
    const hq = take(hqSpare);
    expect(
      (await api(adminToken, 'PUT', `/api/v1/extensions/${hq.number}/credentials/login_code`, { body: { value: '917304' }, ifMatch: hq.etag }))
        .status,
    ).toBe(200);
    await receptionStream.waitFor(isCred(hq.number));
    expect(receptionStream.events.some((e) => e.type === 'credentials.changed' && e.number === north.number)).toBe(false);
    expect(receptionStream.events.some((e) => e.type === 'protection.changed' && e.number === '2004')).toBe(false);
    expect(receptionStream.events.some((e) => e.type === 'settings.changed')).toBe(false);
    expect(receptionStream.events.every((e) => e.type === 'hello' || (e.type === 'token.changed' && e.username === 'reception') || ('extension' in e && e.extension.siteId === 'hq'))).toBe(true);
  });

  it('replay after Last-Event-ID is filtered the same way for the receptionist', async () => {
    const replay = await openEventStream(server.url, receptionToken, { lastEventId: '0' });
    const admin = await openEventStream(server.url, adminToken, { lastEventId: '0' });
    try {
      await admin.waitFor((e) => e.type === 'settings.changed');
      await replay.waitFor((e) => e.type === 'credentials.changed');
      // give the replay a moment to deliver everything it would
      await new Promise((r) => setTimeout(r, 200));
      expect(replay.events.some((e) => e.type === 'settings.changed')).toBe(false);
      expect(replay.events.every((e) => e.type === 'hello' || (e.type === 'token.changed' && e.username === 'reception') || ('extension' in e && e.extension.siteId === 'hq'))).toBe(true);
      expect(admin.events.some((e) => 'extension' in e && e.extension.siteId === 'north')).toBe(true);
    } finally {
      replay.close();
      admin.close();
    }
  });
});

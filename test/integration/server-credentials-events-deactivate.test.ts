// Deactivate / activate a number on the real reference PBX: deactivating removes the custom credentials
// and their history, puts the voicemail PIN back to the default and turns protection off; both are admin
// only, need If-Match, are audited and published live (extension.changed).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExtensionList } from '../../shared/api.js';
import type { Extension } from '../../shared/domain.js';
import { ExtensionChangedEventSchema, type PbxEvent } from '../../shared/events.js';
import { startPbxServer, type PbxServer } from '../../server/index.js';
import { errorOf, httpRequest, openEventStream, type EventStream, type HttpResult } from '../helpers/server.js';

describe('deactivate and activate a number', () => {
  let dir: string;
  let server: PbxServer;
  let adminToken: string;
  let receptionToken: string;
  let stream: EventStream;
  let spare: Extension[];

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
  const current = async (number: string): Promise<Extension> => (await api<Extension>('GET', `/api/v1/extensions/${number}`)).json;
  const ok = <T>(r: HttpResult<T>): T => {
    expect(r.status, r.text).toBe(200);
    return r.json;
  };
  const device = (path: string, body: unknown) => httpRequest<{ result: string }>(`${server.url}/device/v1${path}`, { method: 'POST', body });
  const defaultPin = async (number: string): Promise<string> =>
    ok(await api<{ defaultPin: string }>('GET', `/api/v1/extensions/${number}/credentials/voicemail-pin/default`)).defaultPin;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pbx-warden-deactivate-'));
    server = await startPbxServer({ dataDir: dir, seed: 'demo', quiet: true });
    adminToken = await login('admin', server.initialAdminPassword as string);
    receptionToken = await login('reception', server.initialReceptionistPassword as string);
    const r = await api<ExtensionList>('GET', '/api/v1/extensions?site=hq&type=phone_terminal&limit=100');
    spare = r.json.items.filter((x) => x.status === 'active' && x.voicemail && !x.protection.enabled);
    stream = await openEventStream(server.url, adminToken);
  });

  afterAll(async () => {
    stream?.close();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('deactivate removes custom credentials and history, PIN back to default, protection off; audited and published', async () => {
    const ext = spare.shift() as Extension;
    const n = ext.number;
    const def = await defaultPin(n);
    // custom config: a chosen voicemail PIN, a login code, protection on with a password
    ok(await api('PUT', `/api/v1/extensions/${n}/credentials/voicemail_pin`, { body: { value: '2580' }, ifMatch: (await current(n)).etag }));
    ok(await api('PUT', `/api/v1/extensions/${n}/credentials/login_code`, { body: { value: '739158' }, ifMatch: (await current(n)).etag }));
    ok(await api('PUT', `/api/v1/extensions/${n}/protection`, { body: { enabled: true, password: '4826' }, ifMatch: (await current(n)).etag }));
    const before = await current(n);
    expect(before.protection).toMatchObject({ enabled: true, passwordSet: true });

    // If-Match is required and checked; a receptionist may not
    expect((await api('POST', `/api/v1/extensions/${n}/deactivate`)).status).toBe(428);
    expect((await api('POST', `/api/v1/extensions/${n}/deactivate`, { ifMatch: '"v1"' })).status).toBe(412);
    const rec = await api('POST', `/api/v1/extensions/${n}/deactivate`, { ifMatch: before.etag, token: receptionToken });
    expect(rec.status).toBe(403);
    expect(errorOf(rec).message).toBe('A receptionist cannot deactivate numbers');

    const after = ok(await api<Extension>('POST', `/api/v1/extensions/${n}/deactivate`, { ifMatch: before.etag }));
    expect(after.status).toBe('inactive');
    expect(after.version).toBe(before.version + 1);
    expect(after.protection).toMatchObject({ enabled: false, state: 'unrestricted', passwordSet: false });
    expect(after.credentials?.voicemail_pin).toMatchObject({ set: true, isDefault: true });
    expect(after.credentials?.login_code).toMatchObject({ set: false });
    expect(after.incomingCalls).not.toBe('ring');

    const ev = ExtensionChangedEventSchema.parse(
      await stream.waitFor((e: PbxEvent) => e.type === 'extension.changed' && e.number === n && e.action === 'deactivated'),
    );
    expect(ev).toMatchObject({ by: 'admin', extension: after });

    const db = new Database(join(dir, 'pbx.sqlite'), { readonly: true });
    try {
      expect(db.prepare('SELECT count(*) FROM credential_history WHERE number = ?').pluck().get(n)).toBe(0);
      expect(db.prepare("SELECT count(*) FROM credentials WHERE number = ? AND hash IS NOT NULL").pluck().get(n)).toBe(0);
      expect(db.prepare('SELECT protection_hash FROM extensions WHERE number = ?').pluck().get(n)).toBeNull();
      const audit = db.prepare("SELECT actor, action FROM audit WHERE target = ? AND action LIKE 'extension.%'").all(`extension:${n}`);
      expect(audit).toEqual([{ actor: 'admin', action: 'extension.deactivate' }]);
    } finally {
      db.close();
    }

    // inactive: again → 409, reset refused, the mailbox refuses even the default
    const again = await api('POST', `/api/v1/extensions/${n}/deactivate`, { ifMatch: after.etag });
    expect(again.status).toBe(409);
    expect(errorOf(again).code).toBe('extension_inactive');
    expect((await api('POST', `/api/v1/extensions/${n}/credentials/voicemail-pin/reset`, { ifMatch: after.etag })).status).toBe(409);
    expect((await device('/voicemail/login', { extension: n, pin: def })).status).toBe(403);
    expect(await defaultPin(n)).toBe(def);
  });

  it('activate: the number works again with its default PIN (must change), the old PIN and its history are gone', async () => {
    const ext = spare.shift() as Extension;
    const n = ext.number;
    const def = await defaultPin(n);
    ok(await api('PUT', `/api/v1/extensions/${n}/credentials/voicemail_pin`, { body: { value: '2580' }, ifMatch: (await current(n)).etag }));
    ok(await api('POST', `/api/v1/extensions/${n}/deactivate`, { ifMatch: (await current(n)).etag }));

    const inactive = await current(n);
    const rec = await api('POST', `/api/v1/extensions/${n}/activate`, { ifMatch: inactive.etag, token: receptionToken });
    expect(rec.status).toBe(403);
    expect((await api('POST', `/api/v1/extensions/${n}/activate`)).status).toBe(428);
    const active = ok(await api<Extension>('POST', `/api/v1/extensions/${n}/activate`, { ifMatch: inactive.etag }));
    expect(active.status).toBe('active');
    expect(active.credentials?.voicemail_pin).toMatchObject({ set: true, isDefault: true });
    await stream.waitFor((e) => e.type === 'extension.changed' && e.number === n && e.action === 'activated');

    const conflict = await api('POST', `/api/v1/extensions/${n}/activate`, { ifMatch: active.etag });
    expect(conflict.status).toBe(409);

    expect((await device('/voicemail/login', { extension: n, pin: '2580' })).status).toBe(403);
    const first = await device('/voicemail/login', { extension: n, pin: def });
    expect(first.status, first.text).toBe(200);
    expect(first.json.result).toBe('must_change_pin');
    // the history went with the deactivation: the last chosen PIN may be chosen again
    ok(await api('PUT', `/api/v1/extensions/${n}/credentials/voicemail_pin`, { body: { value: '2580' }, ifMatch: active.etag }));
  });

  it('a receptionist cannot deactivate outside its site either (403 before the scope check)', async () => {
    const north = await api('POST', '/api/v1/extensions/2001/deactivate', { ifMatch: '*', token: receptionToken });
    expect(north.status).toBe(403);
  });
});

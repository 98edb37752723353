// SPEC F2 PIN policies on the real reference PBX: one policy per credential kind, ETags, 428/412/422, audit, SSE.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { PinPolicyResourceSchema, type PinPolicyResource } from '../../shared/api.js';
import { CredentialKinds, defaultPinPolicy, pinPolicyPreset } from '../../shared/pin-policy.js';
import { errorOf, openEventStream, startTestPbx, type TestPbx } from '../helpers/server.js';

describe('PIN policies', () => {
  let pbx: TestPbx;
  const get = (kind: string) => pbx.api<PinPolicyResource>('GET', `/api/v1/policies/pin/${kind}`);
  const put = (kind: string, body: unknown, ifMatch?: string) =>
    pbx.api<PinPolicyResource>('PUT', `/api/v1/policies/pin/${kind}`, { body, ...(ifMatch ? { ifMatch } : {}) });

  beforeAll(async () => {
    pbx = await startTestPbx({ seed: 'demo' });
  });
  afterAll(async () => {
    await pbx?.cleanup();
  });

  it('lists one policy per credential kind: essensys by default, VoipNow (F1: 3 to 12 digits) for the protection password', async () => {
    const r = await pbx.api<{ items: PinPolicyResource[] }>('GET', '/api/v1/policies/pin');
    expect(r.status, r.text).toBe(200);
    expect(r.json.items.map((p) => p.kind)).toEqual([...CredentialKinds]);
    for (const item of r.json.items) {
      PinPolicyResourceSchema.parse(item);
      expect(item.policy).toEqual(defaultPinPolicy(item.kind));
      expect(item.preset).toBe(item.kind === 'protection_password' ? 'voipnow' : 'essensys');
      expect(item.version).toBe(1);
    }
  });

  it('GET one kind carries an ETag; an unknown kind is a 422', async () => {
    const r = await get('voicemail_pin');
    expect(r.status).toBe(200);
    expect(r.headers.etag).toBe(r.json.etag);
    const bad = await get('pin_of_doom');
    expect(bad.status).toBe(422);
    expect(errorOf(bad).details?.[0]?.field).toBe('kind');
  });

  it('PUT needs If-Match (428), refuses a stale one (412 with the current version)', async () => {
    const body = pinPolicyPreset('strict', 'login_code');
    const missing = await put('login_code', body);
    expect(missing.status).toBe(428);
    expect(errorOf(missing).code).toBe('precondition_required');
    const stale = await put('login_code', body, '"p99"');
    expect(stale.status).toBe(412);
    const err = errorOf(stale);
    expect(err.code).toBe('precondition_failed');
    expect(err.currentEtag).toBe('"p1"');
    expect((err.current as PinPolicyResource).policy).toEqual(defaultPinPolicy('login_code'));
    expect((await get('login_code')).json.version).toBe(1);
  });

  it('PUT answers 422 with field and rule for an invalid policy, and changes nothing', async () => {
    const before = (await get('voicemail_pin')).json;
    const invalid = { ...defaultPinPolicy('voicemail_pin'), minLength: 9, maxLength: 20, digitsOnly: false };
    const r = await put('voicemail_pin', invalid, before.etag);
    expect(r.status).toBe(422);
    const details = errorOf(r).details ?? [];
    expect(details).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ field: 'maxLength', rule: 'kind_limit' }),
        expect.objectContaining({ field: 'digitsOnly', rule: 'kind_limit' }),
      ]),
    );
    const minMax = await put('voicemail_pin', { ...defaultPinPolicy('voicemail_pin'), minLength: 8, maxLength: 6 }, before.etag);
    expect(minMax.status).toBe(422);
    expect(errorOf(minMax).details).toEqual([expect.objectContaining({ field: 'minLength', rule: 'min_le_max' })]);
    const unknownKey = await put('voicemail_pin', { ...defaultPinPolicy('voicemail_pin'), extra: 1 }, before.etag);
    expect(unknownKey.status).toBe(422);
    const otherKind = await put('voicemail_pin', defaultPinPolicy('login_code'), before.etag);
    expect(otherKind.status).toBe(422);
    expect(errorOf(otherKind).details).toEqual([expect.objectContaining({ field: 'kind', rule: 'matches_path' })]);
    expect((await get('voicemail_pin')).json).toEqual(before);
  });

  it('PUT stores the policy, bumps the ETag, writes an audit row and publishes settings.changed', async () => {
    const stream = await openEventStream(pbx.url, pbx.token);
    try {
      const before = (await get('user_password')).json;
      const strict = pinPolicyPreset('strict', 'user_password');
      const r = await put('user_password', strict, before.etag);
      expect(r.status, r.text).toBe(200);
      expect(r.json).toMatchObject({ kind: 'user_password', policy: strict, preset: 'strict', version: 2, etag: '"p2"', updatedBy: 'admin' });
      expect(r.headers.etag).toBe('"p2"');
      expect((await get('user_password')).json.policy).toEqual(strict);
      const ev = await stream.waitFor((e) => e.type === 'settings.changed');
      expect(ev).toMatchObject({ type: 'settings.changed', setting: 'pin_policy', kind: 'user_password', by: 'admin', version: 2, policy: strict });
      const db = new Database(join(pbx.dataDir, 'pbx.sqlite'), { readonly: true });
      try {
        const row = db.prepare("SELECT id, target FROM audit WHERE action = 'policy.pin.update' ORDER BY id DESC").get() as { id: number; target: string };
        expect(row.target).toBe('pin_policy:user_password');
        expect(row.id).toBe(ev.id);
      } finally {
        db.close();
      }
      // the old ETag is stale now
      expect((await put('user_password', defaultPinPolicy('user_password'), before.etag)).status).toBe(412);
      // and the policy survives a restart
      await pbx.restart();
      expect((await get('user_password')).json).toMatchObject({ policy: strict, version: 2 });
    } finally {
      stream.close();
    }
  });
});

// Credential health on the REAL reference PBX (SPEC F2, "beyond the anchors"): each credential records the
// policy version it was set under, and the PBX tells — without the value — whether it meets the current
// policy: yes when it was set under rules at least as strict, "not known" (null) when the policy has since
// been tightened, nothing asked of a default PIN. And the protection password's own PIN policy is enforced
// on PUT /protection (every write path), its default being F1's "3 to 12 digits".
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PinPolicyResource } from '../../shared/api.js';
import type { Extension } from '../../shared/domain.js';
import { pinPolicyPreset, type CredentialKind, type PinPolicy } from '../../shared/pin-policy.js';
import { SCHEMA_VERSION } from '../../server/db.js';
import { errorOf, startTestPbx, type TestPbx } from '../helpers/server.js';

let pbx: TestPbx;

beforeAll(async () => {
  pbx = await startTestPbx();
});

afterAll(async () => {
  await pbx?.cleanup();
});

async function putPolicy(policy: PinPolicy): Promise<PinPolicyResource> {
  const cur = await pbx.api<PinPolicyResource>('GET', `/api/v1/policies/pin/${policy.kind}`);
  const r = await pbx.api<PinPolicyResource>('PUT', `/api/v1/policies/pin/${policy.kind}`, { body: policy, ifMatch: cur.json.etag });
  expect(r.status, r.text).toBe(200);
  return r.json;
}

async function setCredential(number: string, kind: CredentialKind, value: string): Promise<Extension> {
  const ext = await pbx.extension(number);
  const r = await pbx.api<Extension>('PUT', `/api/v1/extensions/${number}/credentials/${kind}`, { body: { value }, ifMatch: ext.etag });
  expect(r.status, r.text).toBe(200);
  return r.json;
}

const meets = async (number: string, kind: 'voicemail_pin' | 'login_code' = 'voicemail_pin') =>
  (await pbx.extension(number)).credentials?.[kind].meetsCurrentPolicy;

describe('meetsCurrentPolicy', () => {
  it('follows the policy: tightened → not known; back to as loose → meets again; loosened further → still meets', async () => {
    const essensys = pinPolicyPreset('essensys', 'voicemail_pin');
    const set = await setCredential('1002', 'voicemail_pin', '470913');
    expect(set.credentials?.voicemail_pin).toMatchObject({ set: true, isDefault: false, compliant: true, meetsCurrentPolicy: true });

    // Tightened (length 8+): a 6-digit PIN set before may well not meet it; only the value could tell.
    await putPolicy({ ...essensys, minLength: 8 });
    expect(await meets('1002')).toBe(null);
    // The list says the same as the single read.
    const list = await pbx.api<{ items: Extension[] }>('GET', '/api/v1/extensions?search=1002&limit=5');
    expect(list.json.items.find((e) => e.number === '1002')?.credentials?.voicemail_pin.meetsCurrentPolicy).toBe(null);

    // A PIN set under the tightened policy meets it.
    await setCredential('1003', 'voicemail_pin', '47091385');
    expect(await meets('1003')).toBe(true);

    // Back to the rules 1002's PIN was set under: it meets them again; 1003's (set under stricter) too.
    await putPolicy(essensys);
    expect(await meets('1002')).toBe(true);
    expect(await meets('1003')).toBe(true);

    // Loosened further (VoipNow: 3 to 12 digits, no pattern rules): both still meet it.
    await putPolicy(pinPolicyPreset('voipnow', 'voicemail_pin'));
    expect(await meets('1002')).toBe(true);
    await putPolicy(essensys);
  });

  it('each kind on its own: tightening the voicemail PIN policy leaves login codes alone', async () => {
    await setCredential('1004', 'login_code', '582014');
    await setCredential('1004', 'voicemail_pin', '582041');
    await putPolicy({ ...pinPolicyPreset('essensys', 'voicemail_pin'), maxRepeatedDigits: 2 });
    expect(await meets('1004', 'voicemail_pin')).toBe(null);
    expect(await meets('1004', 'login_code')).toBe(true);
    await putPolicy(pinPolicyPreset('essensys', 'voicemail_pin'));
  });

  it('is not asked of a default PIN (reset to default), nor of a credential never set', async () => {
    const ext = await pbx.extension('1005');
    const r = await pbx.api<Extension>('POST', '/api/v1/extensions/1005/credentials/voicemail-pin/reset', { ifMatch: ext.etag });
    expect(r.status, r.text).toBe(200);
    expect(r.json.credentials?.voicemail_pin).toMatchObject({ isDefault: true, meetsCurrentPolicy: null });
    expect(r.json.credentials?.phone_password).toMatchObject({ set: false, meetsCurrentPolicy: null });
  });

  it('survives a restart, and a database from before migration 7 is upgraded: untouched policies count as version 1', async () => {
    await setCredential('1006', 'voicemail_pin', '935170');
    await pbx.stop();
    const file = join(pbx.dataDir, 'pbx.sqlite');
    // Make it look like a schema-6 database: no versions table, no policy_version column.
    const db = new Database(file);
    db.exec('DROP TABLE pin_policy_versions; ALTER TABLE credentials DROP COLUMN policy_version; PRAGMA user_version = 6;');
    db.close();
    await pbx.restart({ seed: 'none' });
    const check = new Database(file, { readonly: true });
    try {
      expect(check.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
      // The voicemail policy was edited above (version > 1): its credentials' versions are not known.
      expect(check.prepare(`SELECT count(*) FROM credentials WHERE kind = 'voicemail_pin' AND policy_version IS NOT NULL`).pluck().get()).toBe(0);
      // The login-code policy never was: its credentials were set under version 1.
      expect(check.prepare(`SELECT count(*) FROM credentials WHERE kind = 'login_code' AND policy_version = 1`).pluck().get()).toBe(1);
    } finally {
      check.close();
    }
    expect(await meets('1006')).toBe(null);
    expect(await meets('1004', 'login_code')).toBe(true);
    // Set again now: known again.
    await setCredential('1006', 'voicemail_pin', '935107');
    expect(await meets('1006')).toBe(true);
  });
});

describe('the protection password policy (enforced on PUT /protection)', () => {
  const terminal = '1010';
  const protect = async (password: string) => {
    const ext = await pbx.extension(terminal);
    return pbx.api<Extension>('PUT', `/api/v1/extensions/${terminal}/protection`, { body: { enabled: true, password }, ifMatch: ext.etag });
  };

  it('defaults to VoipNow (F1: 3 to 12 digits, nothing else)', async () => {
    const r = await pbx.api<PinPolicyResource>('GET', '/api/v1/policies/pin/protection_password');
    expect(r.json.preset).toBe('voipnow');
    expect((await protect('777')).status).toBe(200);
  });

  it('a stricter policy refuses with 422 pin_policy_violation naming the field and the rules; nothing changes', async () => {
    await putPolicy(pinPolicyPreset('strict', 'protection_password'));
    const before = await pbx.extension(terminal);
    const r = await protect('1110');
    expect(r.status, r.text).toBe(422);
    const err = errorOf(r);
    expect(err.code).toBe('pin_policy_violation');
    expect(err.details?.map((d) => [d.field, d.rule])).toEqual([
      ['password', 'pin_length'],
      ['password', 'pin_repeated_digits'],
    ]);
    const after = await pbx.extension(terminal);
    expect(after.version).toBe(before.version);
    expect(after.protection).toEqual(before.protection);
  });

  it('history: the last protection passwords (and their reverses) are refused under a policy with history', async () => {
    expect((await protect('840261')).status).toBe(200);
    const again = await protect('840261');
    expect(again.status, again.text).toBe(422);
    expect(errorOf(again).details?.map((d) => d.rule)).toEqual(['pin_reused']);
    const reversed = await protect('162048');
    expect(reversed.status).toBe(422);
    expect((await protect('930572')).status).toBe(200);
    await putPolicy(pinPolicyPreset('voipnow', 'protection_password'));
  });
});

// Phone password protection (SPEC F1) from the console side: enable/disable, block/unblock, ETags.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import type { ExtensionList } from '../../shared/api.js';
import { ExtensionSchema, type Extension } from '../../shared/domain.js';
import { errorOf, startTestPbx, type HttpResult, type TestPbx } from '../helpers/server.js';

describe('phone password protection', () => {
  let pbx: TestPbx;
  /** Phone terminals with protection off, handed out one per test. */
  let spare: Extension[];
  let queue: Extension;
  let ivr: Extension;

  const take = (): Extension => {
    const e = spare.shift();
    if (!e) throw new Error('out of spare extensions');
    return e;
  };
  const put = (number: string, body: unknown, ifMatch?: string) =>
    pbx.api<Extension>('PUT', `/api/v1/extensions/${number}/protection`, { body, ...(ifMatch ? { ifMatch } : {}) });
  const post = (number: string, action: 'block' | 'unblock', ifMatch?: string) =>
    pbx.api<Extension>('POST', `/api/v1/extensions/${number}/protection/${action}`, ifMatch ? { ifMatch } : {});
  const ok = (r: HttpResult<Extension>): Extension => {
    expect(r.status, r.text).toBe(200);
    const ext = ExtensionSchema.parse(r.json);
    expect(r.headers.etag).toBe(ext.etag);
    return ext;
  };
  const hashOf = (number: string): string | null => {
    const db = new Database(join(pbx.dataDir, 'pbx.sqlite'), { readonly: true });
    try {
      return (db.prepare('SELECT protection_hash FROM extensions WHERE number = ?').get(number) as { protection_hash: string | null })
        .protection_hash;
    } finally {
      db.close();
    }
  };

  beforeAll(async () => {
    pbx = await startTestPbx({ seed: 'demo' });
    const r = await pbx.api<ExtensionList>('GET', '/api/v1/extensions?limit=1000');
    spare = r.json.items.filter((e) => e.type === 'phone_terminal' && !e.protection.enabled && e.status === 'active');
    queue = r.json.items.find((e) => e.type === 'queue') as Extension;
    ivr = r.json.items.find((e) => e.type === 'ivr') as Extension;
  });
  afterAll(async () => {
    await pbx?.cleanup();
  });

  it('enables protection with a 3–12 digit password, records who, when and from where', async () => {
    const ext = take();
    const after = ok(await put(ext.number, { enabled: true, password: '4821' }, ext.etag));
    expect(after.protection).toMatchObject({
      enabled: true,
      state: 'unrestricted',
      passwordSet: true,
      changedBy: 'admin',
      changedFrom: '127.0.0.1',
    });
    expect(Date.parse(after.protection.changedAt as string)).toBeGreaterThan(Date.now() - 60_000);
    expect(after.version).toBe(ext.version + 1);
    expect(hashOf(ext.number)).toMatch(/^\$argon2id\$v=19\$(?=[^$]*\bm=19456\b)(?=[^$]*\bt=2\b)(?=[^$]*\bp=1\b)[^$]+\$/);
    // the boundaries are accepted
    const b = take();
    ok(await put(b.number, { enabled: true, password: '123' }, b.etag));
    const c = take();
    ok(await put(c.number, { enabled: true, password: '123456789012' }, c.etag));
  });

  it('refuses 2-digit, 13-digit and non-digit passwords naming the field and rule, and changes nothing', async () => {
    const ext = take();
    const cases: [unknown, string][] = [
      ['12', 'length'],
      ['1234567890123', 'length'],
      ['12a4', 'digits_only'],
      ['', 'length'],
      [1234, 'type_string'],
    ];
    for (const [password, rule] of cases) {
      const r = await put(ext.number, { enabled: true, password }, ext.etag);
      expect(r.status, String(password)).toBe(422);
      const err = errorOf(r);
      expect(err.code).toBe('validation_failed');
      expect(err.details).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'password', rule })]));
      expect(err.message).toMatch(/^password: /);
    }
    const unknownField = await put(ext.number, { enabled: true, password: '1234', pin: '1' }, ext.etag);
    expect(errorOf(unknownField).details).toEqual([expect.objectContaining({ field: 'pin', rule: 'unknown_keys' })]);
    const noEnabled = await put(ext.number, { password: '1234' }, ext.etag);
    expect(errorOf(noEnabled).details).toEqual([expect.objectContaining({ field: 'enabled', rule: 'required' })]);
    expect(await pbx.extension(ext.number)).toEqual(ext);
    expect(hashOf(ext.number)).toBeNull();
  });

  it('needs a password to enable when none is stored', async () => {
    const ext = take();
    const r = await put(ext.number, { enabled: true }, ext.etag);
    expect(r.status).toBe(422);
    const err = errorOf(r);
    expect(err.code).toBe('protection_password_required');
    expect(err.details).toEqual([expect.objectContaining({ field: 'password', rule: 'required' })]);
    expect(await pbx.extension(ext.number)).toEqual(ext);
  });

  it('disabling keeps the stored password, so enabling again needs none', async () => {
    let ext = take();
    ext = ok(await put(ext.number, { enabled: true, password: '55501' }, ext.etag));
    ext = ok(await post(ext.number, 'block', ext.etag));
    const hash = hashOf(ext.number);
    ext = ok(await put(ext.number, { enabled: false }, ext.etag));
    expect(ext.protection).toMatchObject({ enabled: false, state: 'unrestricted', passwordSet: true });
    expect(ext.incomingCalls).toBe('ring');
    expect(hashOf(ext.number)).toBe(hash);
    ext = ok(await put(ext.number, { enabled: true }, ext.etag));
    expect(ext.protection).toMatchObject({ enabled: true, state: 'unrestricted', passwordSet: true });
    // a new password replaces the stored one
    ext = ok(await put(ext.number, { enabled: true, password: '777' }, ext.etag));
    expect(hashOf(ext.number)).not.toBe(hash);
  });

  it('blocks and unblocks; incoming calls follow the voicemail setting', async () => {
    const withVm = spare.find((e) => e.voicemail) as Extension;
    const withoutVm = spare.find((e) => !e.voicemail) as Extension;
    spare = spare.filter((e) => e !== withVm && e !== withoutVm);
    for (const start of [withVm, withoutVm]) {
      let ext = ok(await put(start.number, { enabled: true, password: '2468' }, start.etag));
      expect(ext.incomingCalls).toBe('ring');
      ext = ok(await post(ext.number, 'block', ext.etag));
      expect(ext.protection.state).toBe('blocked');
      expect(ext.incomingCalls).toBe(start.voicemail ? 'voicemail' : 'rejected');
      expect(ext.protection.changedBy).toBe('admin');
      ext = ok(await post(ext.number, 'unblock', ext.etag));
      expect(ext.protection.state).toBe('unrestricted');
      expect(ext.incomingCalls).toBe('ring');
      expect(ext.version).toBe(start.version + 3);
    }
  });

  it('refuses protection on extensions that are not phone terminals (409, names the type)', async () => {
    const r = await put(queue.number, { enabled: true, password: '1234' }, queue.etag);
    expect(r.status).toBe(409);
    expect(errorOf(r)).toEqual({
      code: 'protection_not_supported',
      message: `Extension ${queue.number} is a queue; only phone-terminal extensions can be protected`,
    });
    const r2 = await post(ivr.number, 'block', ivr.etag);
    expect(r2.status).toBe(409);
    expect(errorOf(r2).message).toBe(`Extension ${ivr.number} is an IVR; only phone-terminal extensions can be protected`);
    expect(await pbx.extension(queue.number)).toEqual(queue);
  });

  it('refuses block/unblock while protection is off (409 protection_not_enabled)', async () => {
    const ext = take();
    for (const action of ['block', 'unblock'] as const) {
      const r = await post(ext.number, action, ext.etag);
      expect(r.status).toBe(409);
      expect(errorOf(r).code).toBe('protection_not_enabled');
    }
    expect(await pbx.extension(ext.number)).toEqual(ext);
  });

  it('needs If-Match on every write: 428 without it', async () => {
    const ext = take();
    for (const r of [
      await put(ext.number, { enabled: true, password: '1234' }),
      await post(ext.number, 'block'),
      await post(ext.number, 'unblock'),
    ]) {
      expect(r.status).toBe(428);
      expect(errorOf(r).code).toBe('precondition_required');
    }
    expect(await pbx.extension(ext.number)).toEqual(ext);
  });

  it('answers 412 with the current version when the ETag is stale, and changes nothing', async () => {
    const ext = take();
    const v2 = ok(await put(ext.number, { enabled: true, password: '1357' }, ext.etag));
    for (const r of [
      await put(ext.number, { enabled: false }, ext.etag),
      await post(ext.number, 'block', ext.etag),
      await post(ext.number, 'block', 'W/"v2"'),
    ]) {
      expect(r.status).toBe(412);
      const err = errorOf(r);
      expect(err.code).toBe('precondition_failed');
      expect(err.currentEtag).toBe(v2.etag);
      expect(ExtensionSchema.parse(err.current)).toEqual(v2);
    }
    expect(await pbx.extension(ext.number)).toEqual(v2);
    // a list of ETags including the current one is fine
    ok(await post(ext.number, 'block', `"v999", ${v2.etag}`));
  });

  it('answers 404 for an unknown extension and 422 for a malformed one', async () => {
    expect((await put('99999', { enabled: true, password: '1234' }, '"v1"')).status).toBe(404);
    expect((await post('99999', 'block', '"v1"')).status).toBe(404);
    const bad = await post('1x', 'block', '"v1"');
    expect(bad.status).toBe(422);
    expect(errorOf(bad).details?.[0]).toMatchObject({ field: 'number' });
  });

  it('audits every change without secrets', async () => {
    const ext = take();
    ok(await put(ext.number, { enabled: true, password: '918273645' }, ext.etag));
    const db = new Database(join(pbx.dataDir, 'pbx.sqlite'), { readonly: true });
    try {
      const rows = db.prepare("SELECT * FROM audit WHERE target = ? ORDER BY id").all(`extension:${ext.number}`) as {
        actor: string;
        address: string;
        action: string;
        detail: string;
      }[];
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ actor: 'admin', address: '127.0.0.1', action: 'protection.update' });
      expect(JSON.parse(rows[0]?.detail as string)).toMatchObject({ enabled: true, passwordChanged: true });
      expect(rows[0]?.detail).not.toContain('918273645');
    } finally {
      db.close();
    }
  });
});

// Device side of SPEC F1: *11 + password from the phone, and the incoming-call routing decision.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { CallRouteResponseSchema, KeypadResponseSchema, type ExtensionList } from '../../shared/api.js';
import type { Extension } from '../../shared/domain.js';
import { errorOf, startTestPbx, type TestPbx } from '../helpers/server.js';

interface FailureRow {
  at: string;
  kind: string;
  extension: string | null;
  address: string;
  user_agent: string | null;
  reason: string;
}

describe('device API', () => {
  let pbx: TestPbx;
  let spare: Extension[];

  const take = (pred: (e: Extension) => boolean = () => true): Extension => {
    const e = spare.find(pred);
    if (!e) throw new Error('out of spare extensions');
    spare = spare.filter((x) => x !== e);
    return e;
  };
  /** Turn protection on with `password` (state unrestricted). */
  const protect = async (ext: Extension, password: string): Promise<Extension> => {
    const r = await pbx.api<Extension>('PUT', `/api/v1/extensions/${ext.number}/protection`, {
      body: { enabled: true, password },
      ifMatch: ext.etag,
    });
    expect(r.status, r.text).toBe(200);
    return r.json;
  };
  const block = async (ext: Extension): Promise<Extension> => {
    const r = await pbx.api<Extension>('POST', `/api/v1/extensions/${ext.number}/protection/block`, { ifMatch: ext.etag });
    expect(r.status, r.text).toBe(200);
    return r.json;
  };
  const keypad = (extension: string, digits: string, from?: string, code = '*11') =>
    pbx.device('/device/v1/keypad', { extension, code, digits }, from ? { from } : {});
  const call = (body: { to: string; from?: string }) => pbx.device('/device/v1/calls', body);
  const failures = (): FailureRow[] => {
    const db = new Database(join(pbx.dataDir, 'pbx.sqlite'), { readonly: true });
    try {
      return db.prepare('SELECT * FROM auth_failures ORDER BY id').all() as FailureRow[];
    } finally {
      db.close();
    }
  };

  beforeAll(async () => {
    pbx = await startTestPbx({ seed: 'demo' });
    const r = await pbx.api<ExtensionList>('GET', '/api/v1/extensions?limit=1000&type=phone_terminal&protection=off');
    spare = r.json.items.filter((e) => e.status === 'active');
  });
  afterAll(async () => {
    await pbx?.cleanup();
  });

  it('*11 with the right password toggles blocked ↔ unrestricted, recording "keypad" and the source address', async () => {
    const ext = await protect(take((e) => e.voicemail), '90210');
    const r1 = await keypad(ext.number, '90210', '127.0.0.2');
    expect(r1.status, r1.text).toBe(200);
    expect(KeypadResponseSchema.parse(r1.json)).toMatchObject({ result: 'ok', state: 'blocked' });
    const blocked = await pbx.extension(ext.number);
    expect(blocked.protection).toMatchObject({ enabled: true, state: 'blocked', changedBy: 'keypad', changedFrom: '127.0.0.2' });
    expect(blocked.version).toBe(ext.version + 1);
    expect(blocked.incomingCalls).toBe('voicemail');

    const r2 = await keypad(ext.number, '90210', '127.0.0.3');
    expect(r2.status).toBe(200);
    expect(KeypadResponseSchema.parse(r2.json).state).toBe('unrestricted');
    const open = await pbx.extension(ext.number);
    expect(open.protection).toMatchObject({ state: 'unrestricted', changedBy: 'keypad', changedFrom: '127.0.0.3' });
    expect(open.incomingCalls).toBe('ring');
  });

  it('a wrong password changes nothing, answers exactly like every other refusal, and is recorded', async () => {
    const ext = await protect(take(), '3141');
    const queue = (await pbx.api<ExtensionList>('GET', '/api/v1/extensions?type=queue&limit=1')).json.items[0] as Extension;
    const unprotected = take();
    const before = failures().length;

    const wrong = await keypad(ext.number, '3142', '127.0.0.2');
    const unknown = await keypad('99999', '3141', '127.0.0.2');
    const off = await keypad(unprotected.number, '3141', '127.0.0.2');
    const notPhone = await keypad(queue.number, '3141', '127.0.0.2');
    const otherCode = await keypad(ext.number, '3141', '127.0.0.2', '*12');
    const empty = await keypad(ext.number, '', '127.0.0.2');
    const responses = [wrong, unknown, off, notPhone, otherCode, empty];
    for (const r of responses) {
      expect(r.status).toBe(403);
      expect(r.text).toBe(wrong.text);
      expect(r.headers['content-type']).toBe(wrong.headers['content-type']);
      expect(r.headers['content-length']).toBe(wrong.headers['content-length']);
    }
    expect(errorOf(wrong)).toEqual({ code: 'keypad_rejected', message: expect.any(String) });
    expect(errorOf(wrong).message).not.toMatch(/wrong|unknown|exist|protect|block|off/i);

    expect(await pbx.extension(ext.number)).toEqual(ext);
    expect(await pbx.extension(unprotected.number)).toEqual(unprotected);

    const rows = failures().slice(before);
    expect(rows).toHaveLength(responses.length);
    expect(rows.every((row) => row.kind === 'keypad' && row.address === '127.0.0.2')).toBe(true);
    expect(rows.map((row) => row.extension)).toEqual([
      ext.number,
      '99999',
      unprotected.number,
      queue.number,
      ext.number,
      ext.number,
    ]);
    expect(JSON.stringify(rows)).not.toContain('3142');
  });

  it('refuses a malformed keypad request with 422 naming the field', async () => {
    const r = await keypad('1', '1234', undefined, '11');
    expect(r.status).toBe(422);
    expect(errorOf(r).details).toEqual([
      expect.objectContaining({ field: 'extension', rule: 'pattern' }),
      expect.objectContaining({ field: 'code', rule: 'pattern' }),
    ]);
  });

  it('routes calls: ring → voicemail (voicemail on) / rejected (voicemail off) after a block', async () => {
    const withVm = await protect(take((e) => e.voicemail), '1111');
    const withoutVm = await protect(take((e) => !e.voicemail), '2222');
    for (const ext of [withVm, withoutVm]) {
      const before = await call({ to: ext.number });
      expect(before.status).toBe(200);
      expect(CallRouteResponseSchema.parse(before.json)).toEqual({ decision: 'ring', reason: 'ok' });
    }
    await block(withVm);
    await block(withoutVm);
    expect((await call({ to: withVm.number })).json).toEqual({ decision: 'voicemail', reason: 'terminal_blocked' });
    expect((await call({ to: withoutVm.number })).json).toEqual({ decision: 'rejected', reason: 'terminal_blocked' });
  });

  it('a blocked terminal cannot place calls (caller_blocked)', async () => {
    const caller = await block(await protect(take(), '4444'));
    const callee = take();
    const r = await call({ to: callee.number, from: caller.number });
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ decision: 'rejected', reason: 'caller_blocked' });
    const other = take();
    expect((await call({ to: callee.number, from: other.number })).json).toEqual({ decision: 'ring', reason: 'ok' });
  });

  it('answers 404 for an unknown callee and 422 for a malformed request', async () => {
    const r = await call({ to: '99999' });
    expect(r.status).toBe(404);
    expect(errorOf(r)).toMatchObject({ code: 'not_found', details: [expect.objectContaining({ field: 'to' })] });
    const bad = await pbx.device('/device/v1/calls', { to: 'abc', via: 'x' });
    expect(bad.status).toBe(422);
    expect(errorOf(bad).details?.map((d) => d.field).sort()).toEqual(['to', 'via']);
  });
});

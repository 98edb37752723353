// The policy tester's endpoint on the real reference PBX: POST /api/v1/policies/pin/{kind}/check answers
// whether a PIN would pass — with exactly the write paths' verdict (the same rules, messages and order as a
// PUT of the same value, including the default PIN when an extension is given), except the history rule,
// which it never decides (it would tell anyone with the tester an extension's current or earlier PINs: it is
// listed as unchecked and the write path enforces it), against the stored policy or a draft, writing
// nothing, never echoing the PIN, admins only.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PinCheckResultSchema, type ExtensionList, type PinCheckResult } from '../../shared/api.js';
import type { Extension } from '../../shared/domain.js';
import { defaultPinPolicy, pinPolicyPreset, type PinPolicy } from '../../shared/pin-policy.js';
import { startPbxServer, type PbxServer } from '../../server/index.js';
import { errorOf, httpRequest, type HttpResult } from '../helpers/server.js';

const CHECK = (kind: string) => `/api/v1/policies/pin/${kind}/check`;

function harness(prefix: string, limits?: { concurrency: number; queue: number }) {
  const h = {
    dir: '',
    server: undefined as unknown as PbxServer,
    adminToken: '',
    receptionToken: '',
    /** Every response body, for the canary. */
    bodies: [] as string[],
    async start() {
      h.dir = mkdtempSync(join(tmpdir(), prefix));
      h.server = await startPbxServer({ dataDir: h.dir, seed: 'demo', quiet: true, ...(limits ? { hasherLimits: limits } : {}) });
      h.adminToken = await h.login('admin', h.server.initialAdminPassword as string);
      h.receptionToken = await h.login('reception', h.server.initialReceptionistPassword as string);
    },
    async stop() {
      await h.server?.close();
      rmSync(h.dir, { recursive: true, force: true });
    },
    async login(username: string, password: string): Promise<string> {
      const r = await httpRequest<{ token: string }>(`${h.server.url}/api/v1/session`, { method: 'POST', body: { username, password } });
      expect(r.status, r.text).toBe(201);
      return r.json.token;
    },
    async api<T = unknown>(method: string, path: string, o: { body?: unknown; ifMatch?: string; token?: string } = {}): Promise<HttpResult<T>> {
      const headers: Record<string, string> = { authorization: `Bearer ${o.token ?? h.adminToken}` };
      if (o.ifMatch !== undefined) headers['if-match'] = o.ifMatch;
      const r = await httpRequest<T>(`${h.server.url}${path}`, { method, headers, body: o.body });
      h.bodies.push(r.text);
      return r;
    },
    async check(kind: string, body: unknown, token?: string): Promise<HttpResult<PinCheckResult>> {
      return h.api<PinCheckResult>('POST', CHECK(kind), { body, ...(token ? { token } : {}) });
    },
    async verdict(kind: string, body: unknown): Promise<PinCheckResult> {
      const r = await h.check(kind, body);
      expect(r.status, r.text).toBe(200);
      return PinCheckResultSchema.parse(r.json);
    },
    async current(number: string): Promise<Extension> {
      const r = await h.api<Extension>('GET', `/api/v1/extensions/${number}`);
      expect(r.status, r.text).toBe(200);
      return r.json;
    },
    async set(number: string, kind: string, value: string): Promise<HttpResult<Extension>> {
      return h.api<Extension>('PUT', `/api/v1/extensions/${number}/credentials/${kind}`, {
        body: { value },
        ifMatch: (await h.current(number)).etag,
      });
    },
    async defaultPin(number: string): Promise<string> {
      const r = await h.api<{ defaultPin: string }>('GET', `/api/v1/extensions/${number}/credentials/voicemail-pin/default`);
      expect(r.status, r.text).toBe(200);
      return r.json.defaultPin;
    },
    async spare(): Promise<Extension[]> {
      const r = await h.api<ExtensionList>('GET', '/api/v1/extensions?limit=1000&type=phone_terminal&protection=off');
      return r.json.items.filter((e) => e.status === 'active' && e.voicemail);
    },
    count(table: string): number {
      const db = new Database(join(h.dir, 'pbx.sqlite'), { readonly: true });
      try {
        return db.prepare(`SELECT count(*) AS n FROM ${table}`).pluck().get() as number;
      } finally {
        db.close();
      }
    },
  };
  return h;
}

describe('POST /api/v1/policies/pin/{kind}/check', () => {
  const h = harness('pbx-warden-policy-check-');
  let spare: Extension[];
  const take = (): Extension => {
    const e = spare.shift();
    if (!e) throw new Error('out of spare extensions');
    return e;
  };

  beforeAll(async () => {
    await h.start();
    spare = await h.spare();
  });
  afterAll(async () => {
    await h.stop();
  });

  it('without an extension: the policy rules, and the rules that need an extension listed as unchecked', async () => {
    expect(await h.verdict('voicemail_pin', { pin: '1357' })).toEqual({
      ok: true,
      failed: [],
      unchecked: ['pin_matches_extension', 'pin_is_default', 'pin_reused'],
      policy: 'stored',
    });
    const bad = await h.verdict('voicemail_pin', { pin: '1111' });
    expect(bad.ok).toBe(false);
    expect(bad.failed).toEqual([{ rule: 'pin_repeated_digits', message: 'the voicemail PIN may not repeat a digit 3 or more times in a row' }]);
    const several = await h.verdict('voicemail_pin', { pin: '12a' });
    expect(several.failed.map((f) => f.rule)).toEqual(['pin_length', 'pin_digits_only']);
    // another kind has its own policy and format
    const user = await h.verdict('user_password', { pin: 'Ab1234' });
    expect(user.failed.map((f) => f.rule)).toEqual(['pin_sequence']);
    expect((await h.verdict('login_code', { pin: '' })).failed.map((f) => f.rule)).toEqual(['pin_length']);
  });

  it('with an extension: exactly the verdict of the write path (rules, messages, order), history and default PIN included', async () => {
    const ext = take();
    const n = ext.number;
    const def = await h.defaultPin(n);
    const reverse = (s: string) => [...s].reverse().join('');
    // each candidate is checked, then written: refused ⇔ not ok, with the same rules and messages
    const candidates = ['1111', n, reverse(n), def, '2580', '2580', '0852', '47', '4a82', '9630', '2580', '1357'];
    for (const value of candidates) {
      const before = await h.current(n);
      const v = await h.verdict('voicemail_pin', { pin: value, extension: n });
      expect(await h.current(n), 'the check writes nothing').toEqual(before);
      const w = await h.set(n, 'voicemail_pin', value);
      expect(v.failed.map((f) => f.rule), 'the tester never decides history').not.toContain('pin_reused');
      if (v.ok) {
        // the one rule it leaves to the write path: history
        expect(v.unchecked).toEqual(['pin_reused']);
        if (w.status === 422) expect(errorOf(w).details?.map((d) => d.rule), value).toEqual(['pin_reused']);
        else expect(w.status, `${value}: check said ok; ${w.text}`).toBe(200);
      } else {
        expect(w.status, `${value}: check said ${JSON.stringify(v.failed)}; ${w.text}`).toBe(422);
        const err = errorOf(w);
        expect(err.code).toBe('pin_policy_violation');
        expect(v.failed, value).toEqual((err.details ?? []).map((d) => ({ rule: d.rule, message: d.message.replace(/^value: /, '') })));
      }
    }
    // the interesting verdicts did happen; the current PIN (1357) and its reverse are not given away
    const final = await h.verdict('voicemail_pin', { pin: '1357', extension: n });
    expect(final).toEqual({ ok: true, failed: [], unchecked: ['pin_reused'], policy: 'stored' });
    expect(await h.verdict('voicemail_pin', { pin: '7531', extension: n })).toEqual(await h.verdict('voicemail_pin', { pin: '7532', extension: n }));
    expect(errorOf(await h.set(n, 'voicemail_pin', '7531')).details?.map((d) => d.rule)).toEqual(['pin_reused']);
    expect((await h.verdict('voicemail_pin', { pin: def, extension: n })).failed.map((f) => f.rule)).toContain('pin_is_default');
    expect((await h.verdict('voicemail_pin', { pin: n, extension: n })).failed.map((f) => f.rule)).toContain('pin_matches_extension');
    expect(await h.verdict('voicemail_pin', { pin: '1111', extension: n })).toMatchObject({ unchecked: ['pin_reused'] });
  });

  it('a draft policy is checked instead of the stored one, with its own history length and default rule', async () => {
    const ext = take();
    const n = ext.number;
    const def = await h.defaultPin(n);
    for (const value of ['2580', '4826', '9371']) expect((await h.set(n, 'voicemail_pin', value)).status).toBe(200);
    const stored = defaultPinPolicy('voicemail_pin'); // essensys: history 1, not the default
    expect(stored.historyCount).toBe(1);

    // history is never decided (stored or draft): the current PIN gets the answer of any other
    expect(await h.verdict('voicemail_pin', { pin: '9371', extension: n })).toEqual({ ok: true, failed: [], unchecked: ['pin_reused'], policy: 'stored' });
    const deep: PinPolicy = { ...stored, historyCount: 3 };
    expect(await h.verdict('voicemail_pin', { pin: '0852', extension: n, policy: deep })).toEqual({ ok: true, failed: [], unchecked: ['pin_reused'], policy: 'draft' });
    // the draft's default rule applies
    expect((await h.verdict('voicemail_pin', { pin: def, extension: n, policy: deep })).failed.map((f) => f.rule)).toEqual(['pin_is_default']);
    // draft without history or default rule: both pass
    const lax: PinPolicy = { ...stored, historyCount: 0, notDefault: false };
    expect(await h.verdict('voicemail_pin', { pin: '9371', extension: n, policy: lax })).toEqual({ ok: true, failed: [], unchecked: [], policy: 'draft' });
    expect((await h.verdict('voicemail_pin', { pin: def, extension: n, policy: lax })).ok).toBe(true);
    // a stricter draft: length
    const strict = pinPolicyPreset('strict', 'voicemail_pin');
    expect((await h.verdict('voicemail_pin', { pin: '1357', policy: strict })).failed.map((f) => f.rule)).toEqual(['pin_length']);
    // the stored policy did not change
    const stillStored = await h.api<{ policy: PinPolicy }>('GET', '/api/v1/policies/pin/voicemail_pin');
    expect(stillStored.json.policy).toEqual(stored);
  });

  it('writes nothing: no audit row, no history, no credential, no version', async () => {
    const ext = take();
    const def = await h.defaultPin(ext.number); // viewing the default is audited: before counting
    const counts = () => ['audit', 'credential_history', 'credentials', 'auth_failures'].map((t) => h.count(t));
    const before = counts();
    const extBefore = await h.current(ext.number);
    for (const pin of ['1357', '1111', ext.number, def]) {
      await h.verdict('voicemail_pin', { pin, extension: ext.number });
      await h.verdict('voicemail_pin', { pin, extension: ext.number, policy: pinPolicyPreset('strict', 'voicemail_pin') });
    }
    expect(counts()).toEqual(before);
    expect(await h.current(ext.number)).toEqual(extBefore);
  });

  it('refuses bad input with 422 naming the field and the rule', async () => {
    const cases: [string, unknown, { field: string; rule: string }[]][] = [
      ['voicemail_pin', {}, [{ field: 'pin', rule: 'required' }]],
      ['voicemail_pin', { pin: 1357 }, [{ field: 'pin', rule: 'type_string' }]],
      ['voicemail_pin', { pin: '1357', extension: '12a' }, [{ field: 'extension', rule: 'pattern' }]],
      ['voicemail_pin', { pin: '1357', secret: true }, [{ field: 'secret', rule: 'unknown_keys' }]],
      ['voicemail_pin', { pin: '1357', policy: { ...defaultPinPolicy('voicemail_pin'), minLength: 9, maxLength: 8 } }, [
        { field: 'policy.minLength', rule: 'min_le_max' },
      ]],
      ['voicemail_pin', { pin: '1357', policy: defaultPinPolicy('login_code') }, [{ field: 'policy.kind', rule: 'matches_path' }]],
      ['no_such_kind', { pin: '1357' }, [{ field: 'kind', rule: 'one_of' }]],
    ];
    for (const [kind, body, expected] of cases) {
      const r = await h.check(kind, body);
      expect(r.status, `${JSON.stringify(body)}: ${r.text}`).toBe(422);
      const err = errorOf(r);
      expect(err.code).toBe('validation_failed');
      expect(err.details?.map((d) => ({ field: d.field, rule: d.rule })), JSON.stringify(body)).toEqual(expected);
    }
    const unknown = await h.check('voicemail_pin', { pin: '1357', extension: '99999' });
    expect(unknown.status).toBe(404);
    expect(errorOf(unknown).details?.[0]).toMatchObject({ field: 'extension', rule: 'exists' });
  });

  it('is for admins only: a receptionist gets 403 forbidden', async () => {
    const r = await h.check('voicemail_pin', { pin: '1357' }, h.receptionToken);
    expect(r.status).toBe(403);
    expect(errorOf(r)).toMatchObject({ code: 'forbidden', message: 'A receptionist cannot test PINs against PIN policies' });
    expect((await h.api('POST', CHECK('voicemail_pin'), { body: { pin: '1357' }, token: 'x'.repeat(43) })).status).toBe(401);
  });

  it('never echoes the PIN (canary) in any answer of this file', async () => {
    const canary = '918274';
    const ext = take();
    await h.verdict('voicemail_pin', { pin: canary });
    await h.verdict('voicemail_pin', { pin: canary, extension: ext.number });
    await h.check('voicemail_pin', { pin: canary, extension: '99999' });
    await h.check('voicemail_pin', { pin: canary, extension: '1x' });
    await h.check('voicemail_pin', { pin: canary, policy: defaultPinPolicy('login_code') });
    await h.check('voicemail_pin', { pin: `${canary}${canary}${canary}` });
    await h.check('voicemail_pin', { pin: canary }, h.receptionToken);
    expect(h.bodies.length).toBeGreaterThan(50);
    for (const body of h.bodies) expect(body.includes(canary)).toBe(false);
  });
});

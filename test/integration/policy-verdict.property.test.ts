// Property (SPEC F2): "the console's verdict equals the server's". For random PIN policies (the presets and
// arbitrary valid ones), random candidate values biased toward the edge cases (repeats, ascending and
// descending runs, the extension number and its reverse, lengths around min/max, non-digits, empty, the
// default PIN, earlier values and their reverses) and real extensions of the real reference PBX:
//   1. the policy is stored through the real API (PUT /api/v1/policies/pin/{kind}, If-Match);
//   2. the console's verdict is computed exactly as the renderer does it (CredentialsSection: pinRules with
//      { extension } only — no default PIN, no history — unmet = rules with met === false);
//   3. the value is written through the real API (PUT /api/v1/extensions/{n}/credentials/{kind}, If-Match).
// Then: console-says-pass ⇔ 200, except where a server-only rule (default PIN, history) refuses it, which
// this test predicts from its own model (the default PIN read from the API, the values it set before); on
// 422 the failed rule ids equal the console's unmet rules plus exactly those predicted server-only rules.
// The protection password (F1) has its own route and its own live rules (ProtectionSection: F1's format, then
// its PIN policy — renderer/src/lib/protectionRules.ts); that console-vs-server equality is checked too, under
// random protection password policies.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Extension, ExtensionCredentialKind } from '../../shared/domain.js';
import { ExtensionCredentialKinds } from '../../shared/domain.js';
import type { ExtensionList, PinPolicyResource } from '../../shared/api.js';
import {
  CREDENTIAL_FORMATS,
  PinPolicySchema,
  PinPresets,
  SERVER_ONLY_PIN_RULES,
  pinPolicyPreset,
  pinRules,
  reversePin,
  type CredentialKind,
  type PinPolicy,
  type PinRuleId,
} from '../../shared/pin-policy.js';
import { protectionPasswordRules } from '../../shared/protection.js';
import { protectionRules } from '../../renderer/src/lib/protectionRules.js';
import { errorOf, startTestPbx, type TestPbx } from '../helpers/server.js';

/** fast-check runs per credential kind; a successful write costs one argon2id hash (~12 ms), history a few verifies. */
const RUNS_PER_KIND = Number(process.env['WARDEN_PROPERTY_RUNS'] ?? 75);
/** Extensions per kind: few enough that history builds up and reuse is exercised. */
const EXTENSIONS_PER_KIND = 4;

// ---- generators ------------------------------------------------------------------------------

/** A valid policy of `kind`: one of the presets, or arbitrary values within the kind's format. */
function policyArb(kind: CredentialKind): fc.Arbitrary<PinPolicy> {
  const f = CREDENTIAL_FORMATS[kind];
  const preset = fc.constantFrom(...PinPresets).map((p) => pinPolicyPreset(p, kind));
  const custom = fc
    .record({
      a: fc.integer({ min: f.minLength, max: f.maxLength }),
      b: fc.integer({ min: Math.max(1, f.minLength), max: f.maxLength }),
      digitsOnly: f.digitsOnly ? fc.constant(true) : fc.boolean(),
      maxRepeatedDigits: fc.option(fc.integer({ min: 2, max: 5 }), { nil: null }),
      maxSequenceLength: fc.option(fc.integer({ min: 2, max: 5 }), { nil: null }),
      notExtension: fc.boolean(),
      // History costs argon2 verifies per stored hash: mostly short.
      historyCount: fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 0, max: 2 }) }, { weight: 1, arbitrary: fc.integer({ min: 3, max: 5 }) }),
      notDefault: fc.boolean(),
    })
    .map(({ a, b, ...rest }): PinPolicy => {
      const minLength = Math.min(a, b);
      const maxLength = Math.max(a, b, 1);
      return { kind, minLength, maxLength, ...rest };
    });
  return fc.oneof(preset, custom).map((p) => PinPolicySchema.parse(p));
}

/** A candidate value, resolved at run time against the server state the test models. */
type Candidate =
  | { t: 'raw'; s: string }
  | { t: 'extension'; rev: boolean }
  | { t: 'default'; rev: boolean }
  | { t: 'history'; back: number; rev: boolean };

const digit = fc.integer({ min: 0, max: 9 });
const digitsOf = (min: number, max: number) =>
  fc.array(digit, { minLength: Math.max(0, min), maxLength: Math.max(0, max) }).map((d) => d.join(''));

/** Lengths just around the policy's bounds, plus any length up to a bit past the largest format. */
function lengthArb(p: PinPolicy): fc.Arbitrary<number> {
  const near = [p.minLength - 1, p.minLength, p.minLength + 1, p.maxLength - 1, p.maxLength, p.maxLength + 1].filter((n) => n >= 0);
  return fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...near) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 36 }) });
}

const fixedDigits = (n: number) => digitsOf(n, n);

/** Digits of length n with a run of k identical digits somewhere in it. */
const withRepeat = (n: number) =>
  fc.tuple(fc.integer({ min: 2, max: 6 }), digit, fc.nat()).chain(([k, d, at]) => {
    const run = String(d).repeat(k);
    const rest = Math.max(0, n - k);
    return fixedDigits(rest).map((r) => {
      const i = rest === 0 ? 0 : at % (rest + 1);
      return r.slice(0, i) + run + r.slice(i);
    });
  });

/** Digits of length n with an ascending or descending run of k somewhere in it (no wrap-around). */
const withRun = (n: number) =>
  fc.tuple(fc.integer({ min: 2, max: 6 }), fc.boolean(), fc.nat(), fc.nat()).chain(([k, up, start, at]) => {
    const s = up ? start % (11 - k) : (k - 1) + (start % (11 - k));
    let run = '';
    for (let i = 0; i < k; i++) run += String(up ? s + i : s - i);
    const rest = Math.max(0, n - k);
    return fixedDigits(rest).map((r) => {
      const i = rest === 0 ? 0 : at % (rest + 1);
      return r.slice(0, i) + run + r.slice(i);
    });
  });

/** Something that is not a digit: letters (allowed in a user password), symbols, space, non-ASCII digits. */
const oddChar = fc.constantFrom('a', 'Z', 'x', ' ', '-', '+', '#', '*', '.', 'é', '١', '０', '\u00a0', '\t');
const withOdd = (n: number) =>
  fc.tuple(fixedDigits(Math.max(0, n - 1)), oddChar, fc.nat()).map(([r, c, at]) => {
    const i = at % (r.length + 1);
    return r.slice(0, i) + c + r.slice(i);
  });
/** Digits with no two neighbours equal or one apart: passes every repeat and run rule (a likely "pass"). */
const calmDigits = (n: number) =>
  fc.array(fc.integer({ min: 0, max: 9 }), { minLength: n, maxLength: n }).map((picks) => {
    let out = '';
    let prev = -5;
    for (const x of picks) {
      let d = x;
      while (Math.abs(d - prev) <= 1) d = (d + 3) % 10;
      out += String(d);
      prev = d;
    }
    return out;
  });
const alnum = (n: number) =>
  fc
    .array(fc.constantFrom(...'0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'), { minLength: n, maxLength: n })
    .map((c) => c.join(''));

function candidateArb(p: PinPolicy): fc.Arbitrary<Candidate> {
  const raw = (a: fc.Arbitrary<string>) => a.map((s): Candidate => ({ t: 'raw', s }));
  const byLength = (g: (n: number) => fc.Arbitrary<string>) => raw(lengthArb(p).chain(g));
  const arbs: fc.WeightedArbitrary<Candidate>[] = [
    { weight: 5, arbitrary: byLength(fixedDigits) },
    { weight: 4, arbitrary: raw(fc.integer({ min: Math.max(1, p.minLength), max: Math.max(1, p.maxLength) }).chain(calmDigits)) },
    { weight: 3, arbitrary: byLength(withRepeat) },
    { weight: 3, arbitrary: byLength(withRun) },
    { weight: 2, arbitrary: byLength(withOdd) },
    { weight: 2, arbitrary: fc.boolean().map((rev): Candidate => ({ t: 'extension', rev })) },
    { weight: 4, arbitrary: fc.record({ back: fc.integer({ min: 0, max: 5 }), rev: fc.boolean() }).map((h): Candidate => ({ t: 'history', ...h })) },
    { weight: 1, arbitrary: fc.constant<Candidate>({ t: 'raw', s: '' }) },
  ];
  if (p.kind === 'voicemail_pin') arbs.push({ weight: 2, arbitrary: fc.boolean().map((rev): Candidate => ({ t: 'default', rev })) });
  if (!CREDENTIAL_FORMATS[p.kind].digitsOnly) arbs.push({ weight: 3, arbitrary: byLength(alnum) });
  return fc.oneof(...arbs);
}

// ---- the property ------------------------------------------------------------------------------

describe('the console’s verdict equals the server’s (property, real PBX)', () => {
  let pbx: TestPbx;
  let active: Extension[] = [];
  /** What the test knows of the server: etags, default PINs, the values it set (newest first). */
  const policyEtag = new Map<CredentialKind, string>();
  const extEtag = new Map<string, string>();
  const defaults = new Map<string, string | null>();
  const history = new Map<string, string[]>();
  const stats = { runs: 0, accepted: 0, refused: 0, serverOnly: 0 };

  beforeAll(async () => {
    pbx = await startTestPbx({ seed: 'demo' });
    const r = await pbx.api<ExtensionList>('GET', '/api/v1/extensions?limit=1000');
    expect(r.status, r.text).toBe(200);
    active = r.json.items.filter((e) => e.status === 'active');
    expect(active.length).toBeGreaterThanOrEqual(EXTENSIONS_PER_KIND * (ExtensionCredentialKinds.length + 1));
    for (const e of active) extEtag.set(e.number, e.etag);
    const policies = await pbx.api<{ items: PinPolicyResource[] }>('GET', '/api/v1/policies/pin');
    for (const item of policies.json.items) policyEtag.set(item.kind, item.etag);
  });
  afterAll(async () => {
    await pbx?.cleanup();
  });

  const putPolicy = async (policy: PinPolicy) => {
    const r = await pbx.api<PinPolicyResource>('PUT', `/api/v1/policies/pin/${policy.kind}`, {
      body: policy,
      ifMatch: policyEtag.get(policy.kind) as string,
    });
    expect(r.status, r.text).toBe(200);
    expect(r.json.policy).toEqual(policy);
    policyEtag.set(policy.kind, r.json.etag);
  };

  const defaultOf = async (number: string): Promise<string | null> => {
    if (!defaults.has(number)) {
      const r = await pbx.api<{ defaultPin: string }>('GET', `/api/v1/extensions/${number}/credentials/voicemail-pin/default`);
      expect([200, 404], r.text).toContain(r.status);
      defaults.set(number, r.status === 200 ? r.json.defaultPin : null);
    }
    return defaults.get(number) ?? null;
  };

  async function resolve(c: Candidate, kind: ExtensionCredentialKind, number: string): Promise<string> {
    const maybeRev = (s: string, rev: boolean) => (rev ? reversePin(s) : s);
    switch (c.t) {
      case 'raw':
        return c.s;
      case 'extension':
        return maybeRev(number, c.rev);
      case 'default':
        return maybeRev((await defaultOf(number)) ?? number, c.rev);
      case 'history': {
        const h = history.get(`${number}/${kind}`) ?? [];
        return h.length ? maybeRev(h[c.back % h.length] as string, c.rev) : number;
      }
    }
  }

  for (const [i, kind] of ExtensionCredentialKinds.entries()) {
    it(`${kind}: pass ⇔ 200, and a 422 names exactly the unmet rules (+ predicted server-only ones)`, async () => {
      const numbers = active.slice(i * EXTENSIONS_PER_KIND, (i + 1) * EXTENSIONS_PER_KIND).map((e) => e.number);
      const arb = fc
        .tuple(policyArb(kind), fc.constantFrom(...numbers))
        .chain(([policy, number]) => candidateArb(policy).map((candidate) => ({ policy, number, candidate })));

      await fc.assert(
        fc.asyncProperty(arb, async ({ policy, number, candidate }) => {
          stats.runs++;
          await putPolicy(policy);
          const value = await resolve(candidate, kind, number);
          const label = `${kind} ${JSON.stringify(value)} on ${number} under ${JSON.stringify(policy)}`;

          // The console, exactly as CredentialsSection's form: pinRules(value, policy, { extension }).
          const rules = pinRules(value, policy, { extension: number });
          const consoleUnmet = rules.filter((r) => r.met === false).map((r) => r.rule);
          const consolePass = consoleUnmet.length === 0;
          // Rules the console leaves to the server are shown as undecided (never as met or unmet).
          for (const r of rules) if (r.serverOnly) expect(r.met, label).toBeNull();

          // Server-only rules, predicted from the model: the default PIN (voicemail only), then — only when
          // everything else passes, as the server spends argon2 time on it last — the history.
          const expected: PinRuleId[] = [...consoleUnmet];
          if (policy.notDefault && kind === 'voicemail_pin') {
            const d = await defaultOf(number);
            if (d !== null && value === d) expected.push('pin_is_default');
          }
          if (expected.length === 0 && policy.historyCount > 0) {
            const last = (history.get(`${number}/${kind}`) ?? []).slice(0, policy.historyCount);
            if (last.some((old) => old === value || old === reversePin(value))) expected.push('pin_reused');
          }

          const r = await pbx.api<Extension>('PUT', `/api/v1/extensions/${number}/credentials/${kind}`, {
            body: { value },
            ifMatch: extEtag.get(number) as string,
          });
          if (r.status === 200) {
            extEtag.set(number, r.json.etag);
            history.set(`${number}/${kind}`, [value, ...(history.get(`${number}/${kind}`) ?? [])]);
            stats.accepted++;
            expect(r.json.credentials?.[kind]).toMatchObject({ set: true, isDefault: false, compliant: true });
          } else stats.refused++;

          const serverRules = r.status === 422 ? (errorOf(r).details ?? []).map((d) => d.rule) : [];
          if (serverRules.some((x) => (SERVER_ONLY_PIN_RULES as readonly string[]).includes(x))) stats.serverOnly++;

          // console-says-pass ⇔ 200, for the rules the console can check
          if (consolePass && expected.length === 0) expect(r.status, `${label}: ${r.text}`).toBe(200);
          if (!consolePass) expect(r.status, `${label}: ${r.text}`).toBe(422);
          if (r.status === 422) {
            expect(errorOf(r).code, label).toBe('pin_policy_violation');
            // the failed rules the console can check are exactly the console's unmet rules ...
            expect(serverRules.filter((x) => !(SERVER_ONLY_PIN_RULES as readonly string[]).includes(x)), label).toEqual(consoleUnmet);
          }
          // ... and, all together, exactly what the model predicts (same order as the engine reports them)
          expect(serverRules, `${label}: ${r.status} ${r.text}`).toEqual(expected);
          expect(r.status, `${label}: ${r.text}`).toBe(expected.length === 0 ? 200 : 422);
        }),
        { numRuns: RUNS_PER_KIND },
      );
    });
  }

  it('protection password: the console’s live rules (ProtectionSection) ⇔ the server’s answer on PUT /protection', async () => {
    const terminals = active.filter((e) => e.type === 'phone_terminal').slice(-EXTENSIONS_PER_KIND).map((e) => e.number);
    expect(terminals.length).toBe(EXTENSIONS_PER_KIND);
    // Random protection password policies, without history (the history rule is the PBX's alone and has
    // its own tests in server-credential-health.test.ts).
    const policy = policyArb('protection_password').map((p) => ({ ...p, historyCount: 0 }));
    const value = (p: PinPolicy) =>
      fc.oneof(
        lengthArb(p).chain(fixedDigits),
        lengthArb(p).chain(calmDigits),
        fc.integer({ min: 0, max: 14 }).chain(withOdd),
        fc.integer({ min: 2, max: 14 }).chain(withRepeat),
        fc.integer({ min: 2, max: 14 }).chain(withRun),
        fc.constantFrom('', ...terminals, ...terminals.map(reversePin)),
      );
    let refusedByPolicy = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...terminals),
        policy.chain((p) => fc.tuple(fc.constant(p), value(p))),
        async (number, [p, password]) => {
          // ProtectionSection: Save is allowed when no rule is unmet; an empty field is "no new password".
          fc.pre(password !== '');
          await putPolicy(p);
          const rules = protectionRules(password, p, number);
          const unmet = rules.filter((x) => x.met === false).map((x) => x.rule);
          const formatBroken = protectionPasswordRules(password).some((x) => !x.met);
          const r = await pbx.api<Extension>('PUT', `/api/v1/extensions/${number}/protection`, {
            body: { enabled: true, password },
            ifMatch: extEtag.get(number) as string,
          });
          const label = `${JSON.stringify(password)} on ${number} under ${JSON.stringify(p)}: ${r.text}`;
          if (r.status === 200) extEtag.set(number, r.json.etag);
          expect(r.status, label).toBe(unmet.length === 0 ? 200 : 422);
          if (r.status !== 422) return;
          const serverRules = new Set((errorOf(r).details ?? []).map((d) => d.rule));
          if (formatBroken) {
            // The body's format check (F1) answers first, with its own rule ids.
            expect(serverRules, label).toEqual(new Set(protectionPasswordRules(password).filter((x) => !x.met).map((x) => x.rule)));
          } else {
            // Then the policy, with the engine's ids (the console shows a narrowed length as its length rule).
            refusedByPolicy++;
            expect(errorOf(r).code, label).toBe('pin_policy_violation');
            expect(serverRules, label).toEqual(new Set(unmet.map((x) => (x === 'length' ? 'pin_length' : x))));
          }
        },
      ),
      { numRuns: RUNS_PER_KIND },
    );
    expect(refusedByPolicy, 'some values passed the format and were refused by the policy').toBeGreaterThan(0);
    await putPolicy(pinPolicyPreset('voipnow', 'protection_password'));
  });

  // The protection password's own PIN policy is enforced on PUT /protection too (SPEC F2: every write path).
  it('protection password: the stored protection_password policy is enforced on PUT /protection', async () => {
    const number = active.filter((e) => e.type === 'phone_terminal')[0]!.number;
    await putPolicy(pinPolicyPreset('strict', 'protection_password'));
    const r = await pbx.api<Extension>('PUT', `/api/v1/extensions/${number}/protection`, {
      body: { enabled: true, password: '111' },
      ifMatch: extEtag.get(number) as string,
    });
    if (r.status === 200) extEtag.set(number, r.json.etag);
    expect(pinRules('111', pinPolicyPreset('strict', 'protection_password'), { extension: number }).some((x) => x.met === false)).toBe(true);
    expect(r.status, r.text).toBe(422);
  });

  it('covered every server-only path at least once', () => {
    // Not a property of the product: a guard that the generators still reach the interesting cases.
    expect(stats.accepted, JSON.stringify(stats)).toBeGreaterThan(0);
    expect(stats.refused, JSON.stringify(stats)).toBeGreaterThan(0);
    expect(stats.serverOnly, JSON.stringify(stats)).toBeGreaterThan(0);
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checkPin,
  checkPinIssues,
  CREDENTIAL_FORMATS,
  CredentialKinds,
  historyCandidates,
  PinPolicySchema,
  pinPolicyPreset,
  PinPresets,
  PinRuleIds,
  policyImplies,
  pinRules,
  reversePin,
  type CredentialKind,
  type PinCheckContext,
  type PinPolicy,
} from '../../shared/pin-policy.js';
import { issuesFromZod } from '../../shared/errors.js';

/** A voicemail policy with every pattern rule off unless a test turns it on. */
function policy(over: Partial<PinPolicy> = {}): PinPolicy {
  return {
    kind: 'voicemail_pin', minLength: 4, maxLength: 12, digitsOnly: true,
    maxRepeatedDigits: null, maxSequenceLength: null, notExtension: false, historyCount: 0, notDefault: false,
    ...over,
  };
}
const rulesOf = (value: string, p: PinPolicy, ctx: PinCheckContext = {}) => checkPin(value, p, ctx).map((x) => x.rule);

describe('pin_length', () => {
  it('accepts the bounds and refuses one outside each', () => {
    const p = policy({ minLength: 4, maxLength: 6 });
    expect(rulesOf('4826', p)).toEqual([]);
    expect(rulesOf('482615', p)).toEqual([]);
    expect(rulesOf('482', p)).toEqual(['pin_length']);
    expect(rulesOf('4826150', p)).toEqual(['pin_length']);
    expect(rulesOf('', p)).toEqual(['pin_length']);
    expect(checkPin('482', p)[0]!.message).toBe('the voicemail PIN must be 4 to 6 digits (got 3)');
  });
  it('a blank value passes when the minimum is 0 (IP Office: no code set)', () => {
    expect(rulesOf('', policy({ minLength: 0, maxLength: 15 }))).toEqual([]);
    expect(pinRules('', policy({ minLength: 0, maxLength: 15 }))[0]!.label).toBe('At most 15 digits');
    expect(pinRules('', policy({ minLength: 6, maxLength: 6 }))[0]!.label).toBe('Exactly 6 digits');
  });
});

describe('pin_digits_only / pin_characters', () => {
  it('a digit kind accepts 0–9 only, including full-width digits and spaces refused', () => {
    const p = policy();
    for (const bad of ['12a4', '12 45', '1234\n', '１２３４', '12-4', '٣٤٥٦']) expect(rulesOf(bad, p)).toContain('pin_digits_only');
    expect(checkPin('12a4', p)[0]).toEqual({ rule: 'pin_digits_only', message: 'the voicemail PIN may contain digits 0–9 only' });
  });
  it('a user password accepts ASCII letters and digits, nothing else', () => {
    const p = policy({ kind: 'user_password', minLength: 4, maxLength: 31, digitsOnly: false });
    expect(rulesOf('Secr3tWord', p)).toEqual([]);
    for (const bad of ['pass word', 'pässword', 'pass-word', 'pass_word']) expect(rulesOf(bad, p)).toEqual(['pin_characters']);
    expect(pinRules('x', p).map((r) => r.rule)).toEqual(['pin_length', 'pin_characters']);
  });
  it('a user password policy may require digits only', () => {
    const p = policy({ kind: 'user_password', maxLength: 31, digitsOnly: true });
    expect(rulesOf('abcd', p)).toEqual(['pin_digits_only']);
  });
});

describe('pin_repeated_digits (consecutive identical digits)', () => {
  const p = policy({ maxRepeatedDigits: 3 });
  it('refuses a run of N, allows N−1 and non-consecutive repeats', () => {
    expect(rulesOf('4111', p)).toEqual(['pin_repeated_digits']);
    expect(rulesOf('1112', p)).toEqual(['pin_repeated_digits']);
    expect(rulesOf('00007', p)).toEqual(['pin_repeated_digits']);
    expect(rulesOf('1141', p)).toEqual([]);
    expect(rulesOf('1151', p)).toEqual([]);
    expect(rulesOf('5958', p)).toEqual([]);
  });
  it('N = 2 refuses any doubled digit; letters break a run', () => {
    expect(rulesOf('4775', policy({ maxRepeatedDigits: 2 }))).toEqual(['pin_repeated_digits']);
    const u = policy({ kind: 'user_password', maxLength: 31, digitsOnly: false, maxRepeatedDigits: 3 });
    expect(rulesOf('11a1b', u)).toEqual([]);
    expect(rulesOf('aaaa', u)).toEqual([]); // digits only: letters are not digits
  });
  it('null switches it off', () => {
    expect(rulesOf('1111', policy())).toEqual([]);
    expect(pinRules('1111', policy()).map((r) => r.rule)).not.toContain('pin_repeated_digits');
  });
});

describe('pin_sequence (ascending or descending, no wrap-around)', () => {
  const p = policy({ maxSequenceLength: 3 });
  it('refuses an ascending or descending run of N anywhere', () => {
    for (const bad of ['1234', '9123', '5321', '7210', '0789', '4876']) expect(rulesOf(bad, p)).toEqual(['pin_sequence']);
  });
  it('allows N−1, wrap-around and zig-zag', () => {
    for (const ok of ['1290', '8901', '0981', '1213', '2424', '1357', '9753']) expect(rulesOf(ok, p)).toEqual([]);
  });
  it('N = 4 allows 3-runs; a digit run is broken by a letter', () => {
    expect(rulesOf('1235', policy({ maxSequenceLength: 4 }))).toEqual([]);
    expect(rulesOf('1234', policy({ maxSequenceLength: 4 }))).toEqual(['pin_sequence']);
    expect(rulesOf('12a3', policy({ kind: 'user_password', maxLength: 31, digitsOnly: false, maxSequenceLength: 3 }))).toEqual([]);
  });
  it('the message names the length', () => {
    expect(checkPin('1234', p)[0]!.message).toBe('the voicemail PIN may not contain 3 or more ascending or descending digits in a row');
  });
});

describe('pin_matches_extension', () => {
  const p = policy({ notExtension: true });
  it('refuses the extension and its reverse, allows anything else', () => {
    expect(rulesOf('2047', p, { extension: '2047' })).toEqual(['pin_matches_extension']);
    expect(rulesOf('7402', p, { extension: '2047' })).toEqual(['pin_matches_extension']);
    expect(rulesOf('20470', p, { extension: '2047' })).toEqual([]);
    expect(rulesOf('2074', p, { extension: '2047' })).toEqual([]);
  });
  it('is undecided without an extension, and off when notExtension is off', () => {
    expect(rulesOf('2047', p)).toEqual([]);
    expect(pinRules('2047', p).find((r) => r.rule === 'pin_matches_extension')!.met).toBeNull();
    expect(rulesOf('2047', policy(), { extension: '2047' })).toEqual([]);
  });
  it('labels show the extension and its reverse', () => {
    expect(pinRules('1', p, { extension: '2047' }).find((r) => r.rule === 'pin_matches_extension')!.label)
      .toBe('Not the extension number (2047) nor its reverse (7402)');
  });
});

describe('pin_is_default and pin_reused (server-side)', () => {
  const p = policy({ notDefault: true, historyCount: 3 });
  it('pin_is_default: decided when the default is given, undecided otherwise', () => {
    expect(rulesOf('5820', p, { defaultPin: '5820' })).toEqual(['pin_is_default']);
    expect(rulesOf('5820', p, { defaultPin: '0285' })).toEqual([]); // the reverse of the default is allowed
    expect(rulesOf('5820', p, { defaultPin: null })).toEqual([]);
    expect(rulesOf('5820', p)).toEqual([]);
    const rule = (ctx: PinCheckContext) => pinRules('5820', p, ctx).find((r) => r.rule === 'pin_is_default')!;
    expect(rule({}).met).toBeNull();
    expect(rule({ defaultPin: '5820' }).met).toBe(false);
    expect(rule({ defaultPin: null }).met).toBe(true);
    expect(rule({}).serverOnly).toBe(true);
  });
  it('pin_reused: the server passes its verdict; the engine gives the candidates to compare', () => {
    expect(rulesOf('5820', p, { reused: true })).toEqual(['pin_reused']);
    expect(rulesOf('5820', p, { reused: false })).toEqual([]);
    expect(checkPin('5820', p, { reused: true })[0]!.message).toBe('the voicemail PIN may not be one of the last 3 nor the reverse of one');
    expect(checkPin('5820', policy({ historyCount: 1 }), { reused: true })[0]!.message).toBe('the voicemail PIN may not be the previous one nor its reverse');
    expect(pinRules('5820', p).find((r) => r.rule === 'pin_reused')).toEqual({
      rule: 'pin_reused', label: 'Not one of the last 3 PINs nor the reverse of one', met: null, serverOnly: true,
    });
    expect(historyCandidates('5820')).toEqual(['5820', '0285']);
    expect(historyCandidates('1221')).toEqual(['1221']);
    expect(reversePin('')).toBe('');
  });
  it('history 0 and notDefault off remove the rules', () => {
    expect(pinRules('5820', policy()).map((r) => r.rule)).toEqual(['pin_length', 'pin_digits_only']);
    expect(rulesOf('5820', policy(), { reused: true, defaultPin: '5820' })).toEqual([]);
  });
});

describe('reporting', () => {
  it('reports every failed rule in PinRuleIds order, as field issues too', () => {
    const p = policy({ minLength: 6, maxRepeatedDigits: 3, maxSequenceLength: 3, notExtension: true, notDefault: true, historyCount: 1 });
    expect(rulesOf('1110', p, { extension: '0111', defaultPin: '1110', reused: true })).toEqual([
      'pin_length', 'pin_repeated_digits', 'pin_matches_extension', 'pin_is_default', 'pin_reused',
    ]);
    expect(rulesOf('321a', p)).toEqual(['pin_length', 'pin_digits_only', 'pin_sequence']);
    expect(checkPinIssues('12', p, {}, 'voicemailPin')).toEqual([
      { field: 'voicemailPin', rule: 'pin_length', message: 'voicemailPin: the voicemail PIN must be 6 to 12 digits (got 2)' },
    ]);
  });
  it('refuses a context kind different from the policy kind (programming error)', () => {
    expect(() => checkPin('1234', policy(), { kind: 'login_code' })).toThrow(RangeError);
    expect(checkPin('4826', policy(), { kind: 'voicemail_pin' })).toEqual([]);
  });
});

describe('PinPolicySchema', () => {
  it('accepts a valid policy and refuses unknown keys', () => {
    expect(PinPolicySchema.safeParse(policy()).success).toBe(true);
    expect(PinPolicySchema.safeParse({ ...policy(), extra: 1 }).success).toBe(false);
  });
  it('refuses values outside the kind format, naming field and rule', () => {
    const issues = (p: unknown) => {
      const r = PinPolicySchema.safeParse(p);
      return r.success ? [] : issuesFromZod(r.error).map((i) => `${i.field}:${i.rule}`);
    };
    expect(issues(policy({ maxLength: 16 }))).toEqual(['maxLength:kind_limit']);
    expect(issues(policy({ kind: 'protection_password', minLength: 2, maxLength: 12 }))).toEqual(['minLength:kind_limit']);
    expect(issues(policy({ kind: 'protection_password', minLength: 3, maxLength: 13 }))).toEqual(['maxLength:kind_limit']);
    expect(issues(policy({ digitsOnly: false }))).toEqual(['digitsOnly:kind_limit']);
    expect(issues(policy({ kind: 'user_password', digitsOnly: false, maxLength: 31 }))).toEqual([]);
    expect(issues(policy({ maxRepeatedDigits: 1 }))).toEqual(['maxRepeatedDigits:min']);
    expect(issues(policy({ maxSequenceLength: 11 }))).toEqual(['maxSequenceLength:max']);
    expect(issues(policy({ historyCount: -1 }))).toEqual(['historyCount:min']);
    expect(issues({ ...policy(), kind: 'sip_secret' })).toEqual(['kind:one_of']);
  });
  it('refuses min > max naming the field (property)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...CredentialKinds), fc.nat(31), fc.nat(31), (kind, a, b) => {
        const f = CREDENTIAL_FORMATS[kind];
        const min = Math.min(Math.max(a, b), f.maxLength);
        const max = Math.max(Math.min(a, b), 1);
        fc.pre(min > max && min >= f.minLength);
        const r = PinPolicySchema.safeParse(policy({ kind, digitsOnly: f.digitsOnly, minLength: min, maxLength: max }));
        expect(r.success).toBe(false);
        const found = issuesFromZod(r.error!).find((i) => i.rule === 'min_le_max');
        expect(found?.field).toBe('minLength');
        expect(found?.message).toBe(`minLength: the minimum length (${min}) must not exceed the maximum length (${max})`);
      }),
      { numRuns: 500 },
    );
  });
});

// ---------------------------------------------------------------------------------------------------------
// Properties

const kindArb = fc.constantFrom<CredentialKind>(...CredentialKinds);
const policyArb: fc.Arbitrary<PinPolicy> = kindArb.chain((kind) => {
  const f = CREDENTIAL_FORMATS[kind];
  return fc
    .record({
      a: fc.integer({ min: f.minLength, max: f.maxLength }),
      b: fc.integer({ min: Math.max(1, f.minLength), max: f.maxLength }),
      digitsOnly: f.digitsOnly ? fc.constant(true) : fc.boolean(),
      maxRepeatedDigits: fc.option(fc.integer({ min: 2, max: 6 }), { nil: null }),
      maxSequenceLength: fc.option(fc.integer({ min: 2, max: 10 }), { nil: null }),
      notExtension: fc.boolean(),
      historyCount: fc.integer({ min: 0, max: 5 }),
      notDefault: fc.boolean(),
    })
    .map(({ a, b, ...rest }) => ({ kind, minLength: Math.min(a, b), maxLength: Math.max(a, b), ...rest }));
});
const digitsArb = fc.stringMatching(/^[0-9]{0,16}$/);
const valueArb = fc.oneof(digitsArb, fc.stringMatching(/^[0-9a-zA-Z]{0,16}$/), fc.string({ maxLength: 16 }));
const contextArb: fc.Arbitrary<PinCheckContext> = fc.record(
  {
    extension: fc.option(fc.stringMatching(/^[0-9]{2,6}$/), { nil: undefined }),
    defaultPin: fc.option(fc.option(digitsArb, { nil: null }), { nil: undefined }),
    reused: fc.option(fc.boolean(), { nil: undefined }),
  },
  { requiredKeys: [] },
);

describe('properties', () => {
  it('(a) pinRules and checkPin agree: unmet rules = failed rules, in order; all met ⇔ no problem', () => {
    fc.assert(
      fc.property(valueArb, policyArb, contextArb, (value, p, ctx) => {
        const live = pinRules(value, p, ctx);
        const check = checkPin(value, p, ctx);
        expect(live.filter((r) => r.met === false).map((r) => r.rule)).toEqual(check.map((c) => c.rule));
        expect(live.every((r) => r.met !== false)).toBe(check.length === 0);
        expect(new Set(live.map((r) => r.rule)).size).toBe(live.length);
      }),
      { numRuns: 3000 },
    );
  });

  it('(a′) with an extension, default and server verdict given, every rule is decided', () => {
    fc.assert(
      fc.property(valueArb, policyArb, fc.stringMatching(/^[0-9]{2,6}$/), digitsArb, fc.boolean(), (value, p, extension, defaultPin, reused) => {
        expect(pinRules(value, p, { extension, defaultPin, reused }).every((r) => r.met !== null)).toBe(true);
      }),
    );
  });

  it('(b) every failed rule id is a documented id, with a non-empty message', () => {
    fc.assert(
      fc.property(valueArb, policyArb, contextArb, (value, p, ctx) => {
        for (const c of checkPin(value, p, ctx)) {
          expect(PinRuleIds).toContain(c.rule);
          expect(c.message.length).toBeGreaterThan(10);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('(c) an ascending or descending run of length ≥ N always fails pin_sequence', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 10 }),
        fc.integer({ min: 0, max: 10 }),
        fc.integer({ min: 0, max: 9 }),
        fc.boolean(),
        digitsArb,
        digitsArb,
        (n, extra, startSeed, descending, before, after) => {
          const len = Math.min(10, n + extra);
          const start = descending ? 9 - (startSeed % (11 - len)) : startSeed % (11 - len);
          let run = '';
          for (let i = 0; i < len; i++) run += String(descending ? start - i : start + i);
          const value = before + run + after;
          const p = policy({ minLength: 0, maxLength: 31, kind: 'login_code', maxSequenceLength: n });
          expect(rulesOf(value, p)).toContain('pin_sequence');
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('(c′) digits with gaps ≥ 2 between neighbours never fail pin_sequence (nor, with N ≥ 2, pin_repeated_digits)', () => {
    const gapped = fc
      .tuple(fc.integer({ min: 0, max: 9 }), fc.array(fc.tuple(fc.integer({ min: 2, max: 9 }), fc.boolean()), { maxLength: 30 }))
      .map(([first, steps]) => {
        let d = first;
        let s = String(d);
        for (const [gap, up] of steps) {
          // step by at least 2 in the preferred direction, or the other one when that leaves 0–9
          const next = up ? (d + gap <= 9 ? d + gap : d - gap) : d - gap >= 0 ? d - gap : d + gap;
          if (next < 0 || next > 9) continue;
          d = next;
          s += String(d);
        }
        return s;
      });
    fc.assert(
      fc.property(gapped, fc.integer({ min: 2, max: 10 }), (value, n) => {
        const p = policy({ kind: 'login_code', minLength: 0, maxLength: 31, maxSequenceLength: n, maxRepeatedDigits: 2 });
        expect(rulesOf(value, p)).toEqual([]);
      }),
      { numRuns: 2000 },
    );
  });

  it('(d) the extension and its reverse always fail pin_matches_extension when notExtension is on', () => {
    fc.assert(
      fc.property(policyArb, fc.stringMatching(/^[0-9]{2,10}$/), (p, extension) => {
        const on = { ...p, notExtension: true };
        expect(rulesOf(reversePin(extension), on, { extension })).toContain('pin_matches_extension');
        expect(rulesOf(extension, on, { extension })).toContain('pin_matches_extension');
        expect(rulesOf(reversePin(extension), { ...p, notExtension: false }, { extension })).not.toContain('pin_matches_extension');
      }),
      { numRuns: 1000 },
    );
  });

  it('(d′) a value that is neither the extension nor its reverse never fails pin_matches_extension', () => {
    fc.assert(
      fc.property(valueArb, fc.stringMatching(/^[0-9]{2,6}$/), (value, extension) => {
        fc.pre(value !== extension && value !== reversePin(extension));
        expect(rulesOf(value, policy({ notExtension: true }), { extension })).not.toContain('pin_matches_extension');
      }),
    );
  });

  it('a run of N identical digits always fails pin_repeated_digits', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 8 }), fc.integer({ min: 0, max: 9 }), digitsArb, digitsArb, (n, d, before, after) => {
        const p = policy({ kind: 'login_code', minLength: 0, maxLength: 31, maxRepeatedDigits: n });
        expect(rulesOf(before + String(d).repeat(n) + after, p)).toContain('pin_repeated_digits');
      }),
    );
  });

  it('pin_length agrees with the length bounds; digits-only values never fail the format rule', () => {
    fc.assert(
      fc.property(digitsArb, policyArb, (value, p) => {
        const rules = rulesOf(value, p);
        expect(rules.includes('pin_length')).toBe(value.length < p.minLength || value.length > p.maxLength);
        expect(rules).not.toContain('pin_digits_only');
        expect(rules).not.toContain('pin_characters');
      }),
    );
  });
});

describe('policyImplies (a credential set under one policy still meets another)', () => {
  it('is sound: whatever the stricter policy accepted, the implied one accepts (every context)', () => {
    const pairArb = kindArb.chain((kind) =>
      fc.tuple(policyArb.map((p) => ({ ...p, kind })), policyArb.map((p) => ({ ...p, kind }))).filter(([a, b]) => {
        // Keep valid policies of the kind only (the generator's min/max are drawn per kind already).
        return PinPolicySchema.safeParse(a).success && PinPolicySchema.safeParse(b).success;
      }),
    );
    let implied = 0;
    fc.assert(
      fc.property(pairArb, valueArb, contextArb, ([then, now], value, ctx) => {
        if (!policyImplies(then, now)) return;
        implied++;
        const c = { ...ctx, kind: then.kind };
        if (checkPin(value, then, c).length === 0) expect(checkPin(value, now, c)).toEqual([]);
      }),
      { numRuns: 3000 },
    );
    expect(implied).toBeGreaterThan(50);
  });

  it('a policy implies itself; the presets order from strict to loose as documented', () => {
    for (const kind of CredentialKinds) {
      for (const preset of PinPresets) expect(policyImplies(pinPolicyPreset(preset, kind), pinPolicyPreset(preset, kind))).toBe(true);
    }
    const vm = (p: (typeof PinPresets)[number]) => pinPolicyPreset(p, 'voicemail_pin');
    expect(policyImplies(vm('strict'), vm('essensys'))).toBe(true);
    expect(policyImplies(vm('essensys'), vm('strict'))).toBe(false);
    expect(policyImplies(vm('essensys'), vm('voipnow'))).toBe(true);
    expect(policyImplies(vm('voipnow'), vm('essensys'))).toBe(false);
    // Another kind never implies.
    expect(policyImplies(vm('strict'), pinPolicyPreset('strict', 'login_code'))).toBe(false);
  });

  it('each tightened rule breaks the implication', () => {
    const base = pinPolicyPreset('essensys', 'voicemail_pin');
    const tighter: Partial<PinPolicy>[] = [
      { minLength: base.minLength + 1 },
      { maxLength: base.maxLength - 1 },
      { maxRepeatedDigits: 2 },
      { maxSequenceLength: 2 },
      { historyCount: base.historyCount + 1 },
    ];
    for (const t of tighter) expect(policyImplies(base, { ...base, ...t }), JSON.stringify(t)).toBe(false);
    const loose = { ...base, notExtension: false, notDefault: false, maxRepeatedDigits: null, maxSequenceLength: null };
    expect(policyImplies(loose, { ...loose, notExtension: true })).toBe(false);
    expect(policyImplies(loose, { ...loose, notDefault: true })).toBe(false);
    expect(policyImplies(loose, { ...loose, maxRepeatedDigits: 6 })).toBe(false);
  });
});

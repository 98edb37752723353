// SPEC F2: credential kinds and the PIN policy engine. Pure code shared by the console (live, rule-by-rule
// feedback while typing) and the reference PBX (enforcement on every write path, 422 with the failed rules).
//
// Decisions (documented here because the SPEC leaves them open):
// - "Repeated" means CONSECUTIVE identical digits (IP Office semantics: 1111 is refused, 1211 is not).
//   `maxRepeatedDigits: N` refuses a run of N or more identical digits; N = 3 refuses 111 and allows 11.
// - "Sequence" means a run of digits each one above (ascending: 123) or each one below (descending: 321)
//   the previous one. `maxSequenceLength: N` refuses a run of N or more; N = 3 refuses 123 and 321 and
//   allows 12. There is NO wrap-around: 890 and 098 are not sequences (9→0 is not a step of one).
// - Both pattern rules look at digits only: any other character (letters in a user password) ends a run.
// - The names `maxRepeatedDigits` / `maxSequenceLength` are the SMALLEST REFUSED run length (the SPEC's
//   "no digit repeated N+ times"), not the largest allowed one. null switches the rule off.
// - `notExtension` compares the whole value: refused when it equals the extension number or its reverse
//   (SPEC wording; it does not refuse a PIN that merely contains the extension).
// - History (`pin_reused`) compares against argon2id hashes on the server, so the engine never sees old
//   PINs: `historyCandidates(value)` gives the strings the server verifies against each of the last N hashes
//   (the value and its reverse), and the server passes its verdict back as `context.reused`.
// - `pin_is_default` is decided here when the caller passes `context.defaultPin` (a string, or null for
//   "this number has no default"); when it is omitted, only the server can decide.
// - In `pinRules`, a rule that cannot be decided here (server-only, or no extension given) has `met: null`;
//   `checkPin` reports only rules that are decided and failed. Both derive from one evaluation, so the
//   list of unmet rules equals the list checkPin returns, in the same order.
// - Speed: one pass over the value with charCodeAt, no regex, no allocation on the passing path other than
//   the (empty) result array; the extension and its reverse are compared in place.
import { z } from 'zod';
import type { FieldIssue } from './errors.js';

// ---------------------------------------------------------------------------------------------------------
// Credential kinds (SPEC F2 table)

export const CredentialKinds = ['user_password', 'voicemail_pin', 'login_code', 'phone_password', 'protection_password'] as const;
export const CredentialKindSchema = z.enum(CredentialKinds);
export type CredentialKind = z.infer<typeof CredentialKindSchema>;

export interface CredentialFormat {
  /** Shortest value the kind's format allows (0 = the credential may be blank / not set). */
  minLength: number;
  maxLength: number;
  /** true: digits 0–9 only; false: ASCII letters and digits (0-9a-zA-Z). */
  digitsOnly: boolean;
  /** For messages: "the voicemail PIN must be ...". */
  label: string;
}

/**
 * The format of each kind. The phone password has no length in the SPEC ("digits, per extension"): it is used
 * instead of the login code when set, so it gets the login code's 0–31 digits.
 */
export const CREDENTIAL_FORMATS: Readonly<Record<CredentialKind, Readonly<CredentialFormat>>> = {
  user_password: { minLength: 0, maxLength: 31, digitsOnly: false, label: 'user password' },
  voicemail_pin: { minLength: 0, maxLength: 15, digitsOnly: true, label: 'voicemail PIN' },
  login_code: { minLength: 0, maxLength: 31, digitsOnly: true, label: 'login code' },
  phone_password: { minLength: 0, maxLength: 31, digitsOnly: true, label: 'phone password' },
  protection_password: { minLength: 3, maxLength: 12, digitsOnly: true, label: 'protection password' },
};

// ---------------------------------------------------------------------------------------------------------
// Rule ids

/** Stable rule ids, in the order checkPin reports them. */
export const PinRuleIds = [
  'pin_length',
  'pin_digits_only',
  'pin_characters',
  'pin_repeated_digits',
  'pin_sequence',
  'pin_matches_extension',
  'pin_is_default',
  'pin_reused',
] as const;
export const PinRuleIdSchema = z.enum(PinRuleIds);
export type PinRuleId = z.infer<typeof PinRuleIdSchema>;

/** Rules that need server state (hashes of old PINs; the stored default PIN when the caller lacks it). */
export const SERVER_ONLY_PIN_RULES: readonly PinRuleId[] = ['pin_reused', 'pin_is_default'];

// ---------------------------------------------------------------------------------------------------------
// Policy

/** SPEC default for both pattern rules. */
export const DEFAULT_MAX_REPEATED_DIGITS = 3;
export const DEFAULT_MAX_SEQUENCE_LENGTH = 3;
/** Longest possible non-wrapping run (0123456789). */
const LONGEST_SEQUENCE = 10;
const MAX_HISTORY = 24;

const LENGTH_CAP = Math.max(...Object.values(CREDENTIAL_FORMATS).map((f) => f.maxLength));

export const PinPolicySchema = z
  .object({
    /** The credential kind this policy applies to; its format bounds the policy (CREDENTIAL_FORMATS). */
    kind: CredentialKindSchema,
    minLength: z.number().int().min(0).max(LENGTH_CAP),
    maxLength: z.number().int().min(1).max(LENGTH_CAP),
    /** Digits 0–9 only. Always true for the digit kinds; a user password policy may turn it on. */
    digitsOnly: z.boolean(),
    /** Refuse a run of this many or more identical consecutive digits (3: 111). null = off. */
    maxRepeatedDigits: z.number().int().min(2).max(LENGTH_CAP).nullable(),
    /** Refuse an ascending or descending run of this many or more digits (3: 123, 321; no wrap-around). null = off. */
    maxSequenceLength: z.number().int().min(2).max(LONGEST_SEQUENCE).nullable(),
    /** Refuse the extension number and its reverse. */
    notExtension: z.boolean(),
    /** Refuse the last N values and their reverses (server-side, against hashes). 0 = off. */
    historyCount: z.number().int().min(0).max(MAX_HISTORY),
    /** Refuse the number's default PIN (server-side unless the caller knows the default). */
    notDefault: z.boolean(),
  })
  .strict()
  .superRefine((p, ctx) => {
    const f = CREDENTIAL_FORMATS[p.kind];
    if (p.minLength > p.maxLength) {
      ctx.addIssue({
        code: 'custom', path: ['minLength'], params: { rule: 'min_le_max' },
        message: `the minimum length (${p.minLength}) must not exceed the maximum length (${p.maxLength})`,
      });
    }
    if (p.minLength < f.minLength) {
      ctx.addIssue({
        code: 'custom', path: ['minLength'], params: { rule: 'kind_limit' },
        message: `a ${f.label} is at least ${f.minLength} long; the minimum length must be ${f.minLength} or more`,
      });
    }
    if (p.maxLength > f.maxLength) {
      ctx.addIssue({
        code: 'custom', path: ['maxLength'], params: { rule: 'kind_limit' },
        message: `a ${f.label} is at most ${f.maxLength} long; the maximum length must be ${f.maxLength} or less`,
      });
    }
    if (f.digitsOnly && !p.digitsOnly) {
      ctx.addIssue({
        code: 'custom', path: ['digitsOnly'], params: { rule: 'kind_limit' },
        message: `a ${f.label} is digits only; digitsOnly must be on`,
      });
    }
  })
  .meta({ id: 'PinPolicy', description: 'PIN policy of one credential kind (SPEC F2)' });
export type PinPolicy = z.infer<typeof PinPolicySchema>;

// ---------------------------------------------------------------------------------------------------------
// Presets
//
// What each vendor documents, and what we take from it. Lengths are clamped to the kind's format, and
// digitsOnly follows the kind's format (on for the digit kinds, off for the alphanumeric user password).
// - ipoffice: Avaya IP Office voicemail "Enforcement" + "Complexity": minimum length (default 4) up to the
//   format's maximum (voicemail code 15 digits); no repeated digits (1111), no forward or reverse sequence
//   (1234, 4321), not the extension number, not the previous code. The documentation gives examples but no
//   run length, so we use the SPEC default 3 for both. IP Office has no default-PIN concept: notDefault off.
// - essensys (the default): the SPEC's "essensys rules with length 4–12": every rule of F2 on with the SPEC
//   defaults (repeated 3, sequence 3), not the extension nor its reverse, not the last PIN nor its reverse
//   (history 1), not the default PIN (essensys gives every number a default PIN to be replaced).
// - voipnow: 4PSA VoipNow only checks the format of numeric codes (digits, length); its phone protection
//   password is 3–12 digits, which we use as the length range for every kind. No pattern, extension, history
//   or default rules.
// - strict: our own hardened preset: 6–12, no digit twice in a row (2), no run of 3, not the extension,
//   not any of the last 5 PINs nor their reverses, not the default.

export const PinPresets = ['ipoffice', 'essensys', 'voipnow', 'strict'] as const;
export const PinPresetSchema = z.enum(PinPresets);
export type PinPreset = z.infer<typeof PinPresetSchema>;
export const DEFAULT_PIN_PRESET: PinPreset = 'essensys';

/**
 * The preset each kind starts with: essensys (SPEC F2's default), except the protection password, whose
 * documented rule is F1's "3 to 12 digits" — the VoipNow preset exactly. An admin may tighten it.
 */
export const DEFAULT_PRESET_OF: Readonly<Record<CredentialKind, PinPreset>> = {
  user_password: DEFAULT_PIN_PRESET,
  voicemail_pin: DEFAULT_PIN_PRESET,
  login_code: DEFAULT_PIN_PRESET,
  phone_password: DEFAULT_PIN_PRESET,
  protection_password: 'voipnow',
};

export const PIN_PRESET_LABEL: Record<PinPreset, string> = {
  ipoffice: 'IP Office',
  essensys: 'essensys',
  voipnow: 'VoipNow',
  strict: 'Strict',
};

type PresetRules = Omit<PinPolicy, 'kind' | 'digitsOnly' | 'maxLength'> & { maxLength: number | 'format' };

const PRESET_RULES: Readonly<Record<PinPreset, Readonly<PresetRules>>> = {
  ipoffice: {
    minLength: 4, maxLength: 'format',
    maxRepeatedDigits: DEFAULT_MAX_REPEATED_DIGITS, maxSequenceLength: DEFAULT_MAX_SEQUENCE_LENGTH,
    notExtension: true, historyCount: 1, notDefault: false,
  },
  essensys: {
    minLength: 4, maxLength: 12,
    maxRepeatedDigits: DEFAULT_MAX_REPEATED_DIGITS, maxSequenceLength: DEFAULT_MAX_SEQUENCE_LENGTH,
    notExtension: true, historyCount: 1, notDefault: true,
  },
  voipnow: {
    minLength: 3, maxLength: 12,
    maxRepeatedDigits: null, maxSequenceLength: null,
    notExtension: false, historyCount: 0, notDefault: false,
  },
  strict: {
    minLength: 6, maxLength: 12,
    maxRepeatedDigits: 2, maxSequenceLength: 3,
    notExtension: true, historyCount: 5, notDefault: true,
  },
};

/** The preset as a valid policy for one credential kind. */
export function pinPolicyPreset(preset: PinPreset, kind: CredentialKind): PinPolicy {
  const r = PRESET_RULES[preset];
  const f = CREDENTIAL_FORMATS[kind];
  const maxLength = r.maxLength === 'format' ? f.maxLength : Math.min(r.maxLength, f.maxLength);
  return {
    kind,
    minLength: Math.min(Math.max(r.minLength, f.minLength), maxLength),
    maxLength,
    digitsOnly: f.digitsOnly,
    maxRepeatedDigits: r.maxRepeatedDigits,
    maxSequenceLength: r.maxSequenceLength,
    notExtension: r.notExtension,
    historyCount: r.historyCount,
    notDefault: r.notDefault,
  };
}

/** The default policy of a kind (DEFAULT_PRESET_OF). */
export function defaultPinPolicy(kind: CredentialKind): PinPolicy {
  return pinPolicyPreset(DEFAULT_PRESET_OF[kind], kind);
}

/** A preset's name for people, with "(default)" when it is the kind's default. */
export function presetLabel(preset: PinPreset, kind: CredentialKind): string {
  return DEFAULT_PRESET_OF[kind] === preset ? `${PIN_PRESET_LABEL[preset]} (default)` : PIN_PRESET_LABEL[preset];
}

/** Which preset a policy equals, if any (for the policy editor's preset picker). */
export function presetOf(policy: PinPolicy): PinPreset | null {
  for (const preset of PinPresets) {
    const p = pinPolicyPreset(preset, policy.kind);
    if (
      p.minLength === policy.minLength && p.maxLength === policy.maxLength && p.digitsOnly === policy.digitsOnly &&
      p.maxRepeatedDigits === policy.maxRepeatedDigits && p.maxSequenceLength === policy.maxSequenceLength &&
      p.notExtension === policy.notExtension && p.historyCount === policy.historyCount && p.notDefault === policy.notDefault
    ) return preset;
  }
  return null;
}

/**
 * Whether every value that `then` accepted is also accepted by `now`: `then` is at least as strict as
 * `now` on every rule. A credential set (and checked) under `then` therefore still meets `now`, without
 * knowing its value. When this is false the credential may or may not meet `now`: only the value could
 * tell, and the PBX keeps hashes only. Both policies must be of the same kind.
 */
export function policyImplies(then: PinPolicy, now: PinPolicy): boolean {
  if (then.kind !== now.kind) return false;
  const within = (a: number | null, b: number | null) => b === null || (a !== null && a <= b);
  return (
    then.minLength >= now.minLength &&
    then.maxLength <= now.maxLength &&
    (!now.digitsOnly || then.digitsOnly) &&
    within(then.maxRepeatedDigits, now.maxRepeatedDigits) &&
    within(then.maxSequenceLength, now.maxSequenceLength) &&
    (!now.notExtension || then.notExtension) &&
    then.historyCount >= now.historyCount &&
    (!now.notDefault || then.notDefault)
  );
}

// ---------------------------------------------------------------------------------------------------------
// The engine

export interface PinCheckContext {
  /** Defaults to policy.kind; when given it must equal it (a different kind is a programming error). */
  kind?: CredentialKind;
  /** The extension the credential belongs to; without it pin_matches_extension cannot be decided here. */
  extension?: string | null;
  /** The number's default PIN; null = the number has none; omitted = only the server can decide. */
  defaultPin?: string | null;
  /** The server's verdict from comparing historyCandidates() with the last N hashes; omitted = undecided. */
  reused?: boolean;
}

export interface PinProblem {
  rule: PinRuleId;
  message: string;
}

export interface PinRuleResult {
  rule: PinRuleId;
  /** Human label for the live rule list, e.g. "4 to 12 digits". */
  label: string;
  /** true met, false unmet, null cannot be decided here (needs the server or the extension). */
  met: boolean | null;
  /** The rule needs server state in general (history, default PIN). */
  serverOnly: boolean;
}

/** The value reversed (ASCII; credentials are ASCII by format). */
export function reversePin(value: string): string {
  let out = '';
  for (let i = value.length - 1; i >= 0; i--) out += value[i];
  return out;
}

/**
 * The strings the server compares with each of the last N stored hashes: the value and its reverse
 * (once, for a palindrome). "Not the same as, nor the reverse of, the last N PINs."
 */
export function historyCandidates(value: string): string[] {
  const reversed = reversePin(value);
  return reversed === value ? [value] : [value, reversed];
}

/** Verdicts of every rule: true met, false failed, null undecided, undefined rule not in this policy. */
interface Verdicts {
  length: boolean;
  charset: boolean;
  repeated: boolean | undefined;
  sequence: boolean | undefined;
  extension: boolean | null | undefined;
  isDefault: boolean | null | undefined;
  reused: boolean | null | undefined;
}

function matchesExtension(value: string, ext: string): boolean {
  const n = ext.length;
  if (value.length !== n) return false;
  let same = true;
  let reverse = true;
  for (let i = 0; i < n && (same || reverse); i++) {
    const c = value.charCodeAt(i);
    if (c !== ext.charCodeAt(i)) same = false;
    if (c !== ext.charCodeAt(n - 1 - i)) reverse = false;
  }
  return same || reverse;
}

function evaluate(value: string, policy: PinPolicy, context: PinCheckContext): Verdicts {
  if (context.kind !== undefined && context.kind !== policy.kind) {
    throw new RangeError(`checkPin: the policy is for ${policy.kind}, the value is a ${context.kind}`);
  }
  const repeatLimit = policy.maxRepeatedDigits;
  const sequenceLimit = policy.maxSequenceLength;
  let charset = true;
  let repeated = false;
  let sequence = false;
  let prev = -1;
  let same = 0;
  let up = 0;
  let down = 0;
  const n = value.length;
  for (let i = 0; i < n; i++) {
    const c = value.charCodeAt(i);
    const d = c - 48;
    if (d >= 0 && d <= 9) {
      if (prev >= 0) {
        same = d === prev ? same + 1 : 1;
        up = d === prev + 1 ? up + 1 : 1;
        down = d === prev - 1 ? down + 1 : 1;
      } else {
        same = 1;
        up = 1;
        down = 1;
      }
      prev = d;
      if (repeatLimit !== null && same >= repeatLimit) repeated = true;
      if (sequenceLimit !== null && (up >= sequenceLimit || down >= sequenceLimit)) sequence = true;
    } else {
      prev = -1;
      same = 0;
      up = 0;
      down = 0;
      // Not a digit: allowed only when the policy is not digits-only and it is an ASCII letter.
      if (policy.digitsOnly || !((c >= 65 && c <= 90) || (c >= 97 && c <= 122))) charset = false;
    }
  }
  const ext = context.extension;
  return {
    length: n >= policy.minLength && n <= policy.maxLength,
    charset,
    repeated: repeatLimit === null ? undefined : !repeated,
    sequence: sequenceLimit === null ? undefined : !sequence,
    extension: !policy.notExtension ? undefined : ext === undefined || ext === null || ext === '' ? null : !matchesExtension(value, ext),
    isDefault: !policy.notDefault ? undefined : context.defaultPin === undefined ? null : context.defaultPin === null || value !== context.defaultPin,
    reused: policy.historyCount === 0 ? undefined : context.reused === undefined ? null : !context.reused,
  };
}

function lengthText(policy: PinPolicy): string {
  const unit = policy.digitsOnly ? 'digits' : 'characters';
  if (policy.minLength === policy.maxLength) return `exactly ${policy.minLength} ${unit}`;
  if (policy.minLength === 0) return `at most ${policy.maxLength} ${unit}`;
  return `${policy.minLength} to ${policy.maxLength} ${unit}`;
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function historyText(count: number): string {
  return count === 1 ? 'the previous one nor its reverse' : `one of the last ${count} nor the reverse of one`;
}

/**
 * The failed rules of a value, each with a stable rule id and a message, in PinRuleIds order. Rules this
 * side cannot decide (see PinCheckContext) are not reported; the server decides them.
 */
export function checkPin(value: string, policy: PinPolicy, context: PinCheckContext = {}): PinProblem[] {
  const v = evaluate(value, policy, context);
  const out: PinProblem[] = [];
  const what = CREDENTIAL_FORMATS[policy.kind].label;
  if (!v.length) out.push({ rule: 'pin_length', message: `the ${what} must be ${lengthText(policy)} (got ${value.length})` });
  if (!v.charset) {
    out.push(policy.digitsOnly
      ? { rule: 'pin_digits_only', message: `the ${what} may contain digits 0–9 only` }
      : { rule: 'pin_characters', message: `the ${what} may contain letters a–z, A–Z and digits 0–9 only` });
  }
  if (v.repeated === false) {
    out.push({ rule: 'pin_repeated_digits', message: `the ${what} may not repeat a digit ${policy.maxRepeatedDigits} or more times in a row` });
  }
  if (v.sequence === false) {
    out.push({ rule: 'pin_sequence', message: `the ${what} may not contain ${policy.maxSequenceLength} or more ascending or descending digits in a row` });
  }
  if (v.extension === false) out.push({ rule: 'pin_matches_extension', message: `the ${what} may not be the extension number nor its reverse` });
  if (v.isDefault === false) out.push({ rule: 'pin_is_default', message: `the ${what} may not be the default PIN` });
  if (v.reused === false) out.push({ rule: 'pin_reused', message: `the ${what} may not be ${historyText(policy.historyCount)}` });
  return out;
}

/** Every rule of the policy with met / unmet / undecided and a label, for live feedback while typing. */
export function pinRules(value: string, policy: PinPolicy, context: PinCheckContext = {}): PinRuleResult[] {
  const v = evaluate(value, policy, context);
  const out: PinRuleResult[] = [
    { rule: 'pin_length', label: capitalize(lengthText(policy)), met: v.length, serverOnly: false },
    policy.digitsOnly
      ? { rule: 'pin_digits_only', label: 'Digits 0–9 only', met: v.charset, serverOnly: false }
      : { rule: 'pin_characters', label: 'Letters a–z, A–Z and digits 0–9 only', met: v.charset, serverOnly: false },
  ];
  if (v.repeated !== undefined) {
    const n = policy.maxRepeatedDigits ?? 0;
    out.push({
      rule: 'pin_repeated_digits', met: v.repeated, serverOnly: false,
      label: `No digit ${n} or more times in a row (like ${'1'.repeat(n)})`,
    });
  }
  if (v.sequence !== undefined) {
    const n = policy.maxSequenceLength ?? 0;
    out.push({
      rule: 'pin_sequence', met: v.sequence, serverOnly: false,
      label: `No ${n} or more ascending or descending digits (like ${'0123456789'.slice(1, 1 + n)} or ${'9876543210'.slice(0, n)})`,
    });
  }
  if (v.extension !== undefined) {
    const ext = context.extension;
    out.push({
      rule: 'pin_matches_extension', met: v.extension, serverOnly: false,
      label: ext ? `Not the extension number (${ext}) nor its reverse (${reversePin(ext)})` : 'Not the extension number nor its reverse',
    });
  }
  if (v.isDefault !== undefined) out.push({ rule: 'pin_is_default', label: 'Not the default PIN', met: v.isDefault, serverOnly: true });
  if (v.reused !== undefined) {
    const n = policy.historyCount;
    const label = n === 1 ? 'Not the previous PIN nor its reverse' : `Not one of the last ${n} PINs nor the reverse of one`;
    out.push({ rule: 'pin_reused', label, met: v.reused, serverOnly: true });
  }
  return out;
}

/** Failed rules as field issues (empty = valid), for a 422 body. */
export function checkPinIssues(value: string, policy: PinPolicy, context: PinCheckContext = {}, field = 'pin'): FieldIssue[] {
  return checkPin(value, policy, context).map((p) => ({ field, rule: p.rule, message: `${field}: ${p.message}` }));
}

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checkPin,
  CREDENTIAL_FORMATS,
  CredentialKinds,
  DEFAULT_PIN_PRESET,
  defaultPinPolicy,
  PIN_PRESET_LABEL,
  PinPolicySchema,
  pinPolicyPreset,
  PinPresets,
  pinRules,
  presetOf,
  type PinPreset,
} from '../../shared/pin-policy.js';

const rules = (value: string, preset: PinPreset, ctx = {}) => checkPin(value, pinPolicyPreset(preset, 'voicemail_pin'), ctx).map((r) => r.rule);

describe('presets', () => {
  it('every preset is a valid policy for every kind, and is recognised back', () => {
    for (const preset of PinPresets) {
      expect(PIN_PRESET_LABEL[preset]).toBeTruthy();
      for (const kind of CredentialKinds) {
        const p = pinPolicyPreset(preset, kind);
        expect(PinPolicySchema.parse(p)).toEqual(p);
        expect(p.kind).toBe(kind);
        expect(p.digitsOnly).toBe(CREDENTIAL_FORMATS[kind].digitsOnly);
        expect(presetOf(p)).toBe(preset);
      }
    }
    expect(presetOf({ ...pinPolicyPreset('essensys', 'voicemail_pin'), historyCount: 7 })).toBeNull();
  });

  it('the default preset is essensys, 4–12 digits with every rule on', () => {
    expect(DEFAULT_PIN_PRESET).toBe('essensys');
    expect(defaultPinPolicy('voicemail_pin')).toEqual({
      kind: 'voicemail_pin', minLength: 4, maxLength: 12, digitsOnly: true, maxRepeatedDigits: 3, maxSequenceLength: 3,
      notExtension: true, historyCount: 1, notDefault: true,
    });
  });

  it('essensys: boundaries and every rule', () => {
    expect(rules('4826', 'essensys')).toEqual([]);
    expect(rules('482604826048', 'essensys')).toEqual([]);
    expect(rules('482', 'essensys')).toEqual(['pin_length']);
    expect(rules('4826048260482', 'essensys')).toEqual(['pin_length']);
    expect(rules('4776', 'essensys')).toEqual([]);
    expect(rules('4777', 'essensys')).toEqual(['pin_repeated_digits']);
    expect(rules('4124', 'essensys')).toEqual([]);
    expect(rules('4123', 'essensys')).toEqual(['pin_sequence']);
    expect(rules('5987', 'essensys')).toEqual(['pin_sequence']);
    expect(rules('4826', 'essensys', { extension: '6284' })).toEqual(['pin_matches_extension']);
    expect(rules('4826', 'essensys', { defaultPin: '4826' })).toEqual(['pin_is_default']);
    expect(rules('4826', 'essensys', { reused: true })).toEqual(['pin_reused']);
    expect(pinRules('4826', defaultPinPolicy('voicemail_pin')).map((r) => r.label)).toEqual([
      '4 to 12 digits',
      'Digits 0–9 only',
      'No digit 3 or more times in a row (like 111)',
      'No 3 or more ascending or descending digits (like 123 or 987)',
      'Not the extension number nor its reverse',
      'Not the default PIN',
      'Not the previous PIN nor its reverse',
    ]);
  });

  it('ipoffice: 4 up to the format maximum (15 for voicemail), no default-PIN rule', () => {
    expect(pinPolicyPreset('ipoffice', 'voicemail_pin').maxLength).toBe(15);
    expect(pinPolicyPreset('ipoffice', 'login_code').maxLength).toBe(31);
    expect(rules('482604826048260', 'ipoffice')).toEqual([]);
    expect(rules('4826048260482604', 'ipoffice')).toEqual(['pin_length']);
    expect(rules('1111', 'ipoffice')).toEqual(['pin_repeated_digits']);
    expect(rules('1234', 'ipoffice')).toEqual(['pin_sequence']);
    expect(rules('4321', 'ipoffice')).toEqual(['pin_sequence']);
    expect(rules('4826', 'ipoffice', { extension: '4826' })).toEqual(['pin_matches_extension']);
    expect(rules('4826', 'ipoffice', { defaultPin: '4826' })).toEqual([]);
    expect(rules('4826', 'ipoffice', { reused: true })).toEqual(['pin_reused']);
  });

  it('voipnow: format only (3–12 digits)', () => {
    expect(rules('111', 'voipnow')).toEqual([]);
    expect(rules('123456', 'voipnow', { extension: '654321', defaultPin: '123456', reused: true })).toEqual([]);
    expect(rules('12', 'voipnow')).toEqual(['pin_length']);
    expect(rules('1234567890123', 'voipnow')).toEqual(['pin_length']);
    expect(rules('12a', 'voipnow')).toEqual(['pin_digits_only']);
  });

  it('strict: 6–12, no doubled digit, no run of 3, history 5', () => {
    const p = pinPolicyPreset('strict', 'voicemail_pin');
    expect(p.historyCount).toBe(5);
    expect(rules('482604', 'strict')).toEqual([]);
    expect(rules('48260', 'strict')).toEqual(['pin_length']);
    expect(rules('482204', 'strict')).toEqual(['pin_repeated_digits']);
    expect(rules('482456', 'strict')).toEqual(['pin_sequence']);
    expect(rules('482604', 'strict', { defaultPin: '482604' })).toEqual(['pin_is_default']);
  });

  it('presets clamp to the kind format: the protection password stays within 3–12', () => {
    for (const preset of PinPresets) {
      const p = pinPolicyPreset(preset, 'protection_password');
      expect(p.minLength).toBeGreaterThanOrEqual(3);
      expect(p.maxLength).toBeLessThanOrEqual(12);
    }
    expect(pinPolicyPreset('ipoffice', 'protection_password').maxLength).toBe(12);
    expect(pinPolicyPreset('voipnow', 'protection_password')).toMatchObject({ minLength: 3, maxLength: 12 });
  });

  it('the user password presets accept letters', () => {
    expect(checkPin('Tr0ub4dor', defaultPinPolicy('user_password'))).toEqual([]);
  });

  it('a value passing the strict preset passes essensys too (strict is stricter), for digits', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9]{0,16}$/), fc.stringMatching(/^[0-9]{2,6}$/), fc.boolean(), (value, extension, reused) => {
        const ctx = { extension, reused, defaultPin: null };
        if (checkPin(value, pinPolicyPreset('strict', 'voicemail_pin'), ctx).length === 0) {
          expect(checkPin(value, pinPolicyPreset('essensys', 'voicemail_pin'), ctx)).toEqual([]);
        }
      }),
      { numRuns: 3000 },
    );
  });
});

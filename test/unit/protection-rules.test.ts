import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkProtectionPassword, protectionPasswordRules, routeIncomingCall, STATUS_TEXT } from '../../shared/protection.js';
import { ProtectionPasswordSchema } from '../../shared/domain.js';

describe('protection password rules (SPEC F1: digits only, 3 to 12)', () => {
  it('accepts 3 to 12 digits', () => {
    for (const pw of ['000', '123', '9876543210', '123456789012']) expect(checkProtectionPassword(pw)).toEqual([]);
  });
  it('refuses 2 and 13 digits with the length rule, non-digits with the digits rule', () => {
    expect(checkProtectionPassword('12').map((i) => i.rule)).toEqual(['length']);
    expect(checkProtectionPassword('1234567890123').map((i) => i.rule)).toEqual(['length']);
    expect(checkProtectionPassword('12a4').map((i) => i.rule)).toEqual(['digits_only']);
    expect(checkProtectionPassword('').map((i) => i.rule)).toEqual(['length']);
    expect(checkProtectionPassword('１２３').map((i) => i.rule)).toContain('digits_only'); // full-width digits
    expect(checkProtectionPassword('12')[0]!.message).toMatch(/password: .*3 to 12 digits/);
  });
  it('the live rule list, the check and the API schema agree on every string (property)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.stringMatching(/^[0-9]{0,15}$/), fc.string({ maxLength: 15 })), (pw) => {
        const live = protectionPasswordRules(pw).every((r) => r.met);
        const check = checkProtectionPassword(pw).length === 0;
        const schema = ProtectionPasswordSchema.safeParse(pw).success;
        expect(live).toBe(check);
        expect(schema).toBe(check);
      }),
      { numRuns: 2000 },
    );
  });
  it('status texts are exactly the SPEC wording', () => {
    expect(STATUS_TEXT.unrestricted).toBe(
      'Currently access to phone is unrestricted. By accessing the Block link, you will restrict the phone terminal usage.',
    );
    expect(STATUS_TEXT.blocked).toBe('Currently access to phone is blocked.');
  });
  it('routes calls to a blocked terminal to voicemail, or rejects them without voicemail', () => {
    const ext = (voicemail: boolean, state: 'blocked' | 'unrestricted', enabled = true) => ({
      type: 'phone_terminal', status: 'active', voicemail, protection: { enabled, state },
    });
    expect(routeIncomingCall(ext(true, 'unrestricted')).decision).toBe('ring');
    expect(routeIncomingCall(ext(true, 'blocked')).decision).toBe('voicemail');
    expect(routeIncomingCall(ext(false, 'blocked')).decision).toBe('rejected');
    expect(routeIncomingCall(ext(false, 'blocked', false)).decision).toBe('ring');
  });
});

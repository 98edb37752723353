// The rules of a protection password as the PBX applies them (no DOM: the verdict test imports this):
// F1's format first, then the protection password's PIN policy from the shared engine.
import { pinRules, type PinPolicy } from '../../../shared/pin-policy';
import { PROTECTION_PASSWORD_MAX, PROTECTION_PASSWORD_MIN, protectionPasswordRules } from '../../../shared/protection';

export interface Rule {
  rule: string;
  label: string;
  /** null: only the PBX can decide (the password history). */
  met: boolean | null;
}

/** The length the password must have: F1's 3 to 12 digits, narrowed by the protection password policy. */
export function lengthBounds(policy: PinPolicy | null): { min: number; max: number } {
  return {
    min: Math.max(PROTECTION_PASSWORD_MIN, policy?.minLength ?? 0),
    max: Math.min(PROTECTION_PASSWORD_MAX, policy?.maxLength ?? PROTECTION_PASSWORD_MAX),
  };
}

/**
 * The rules of a protection password as the PBX applies them: F1's format (digits only, 3 to 12), then the
 * protection password's PIN policy (its length when narrower, repeated digits, runs, the extension number,
 * the history) from the shared engine. Until the policy has loaded, the format alone.
 */
export function protectionRules(password: string, policy: PinPolicy | null, number: string): Rule[] {
  const format: Rule[] = protectionPasswordRules(password);
  if (!policy) return format;
  const fromPolicy = pinRules(password, policy, { extension: number });
  const { min, max } = lengthBounds(policy);
  const narrower = min > PROTECTION_PASSWORD_MIN || max < PROTECTION_PASSWORD_MAX;
  const policyLength = fromPolicy.find((r) => r.rule === 'pin_length');
  const out = format.map((r) => (r.rule === 'length' && narrower && policyLength ? { ...policyLength, rule: 'length' } : r));
  for (const r of fromPolicy) {
    if (r.rule !== 'pin_length' && r.rule !== 'pin_digits_only' && r.rule !== 'pin_characters') out.push(r);
  }
  return out;
}

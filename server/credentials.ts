// Default PINs (SPEC F2, essensys): random, policy-compliant, sealed with AES-256-GCM; verified by argon2
// when a hash exists, otherwise by decrypt-and-compare (seeding 100,000 numbers hashes none of them).
import { randomInt } from 'node:crypto';
import { checkPin, type PinPolicy } from '../shared/pin-policy.js';
import { safeEqual, type SecretBox } from './secrets.js';

/** Digits of a generated default PIN, within the policy's bounds. */
export function defaultPinLength(policy: PinPolicy): number {
  return Math.min(policy.maxLength, Math.max(policy.minLength, 6));
}

/** A random default PIN for `number` that passes the voicemail policy (crypto randomInt, re-drawn until it does). */
export function generateDefaultPin(number: string, policy: PinPolicy): string {
  const length = Math.max(1, defaultPinLength(policy));
  for (let attempt = 0; attempt < 10_000; attempt++) {
    let pin = '';
    for (let i = 0; i < length; i++) pin += String.fromCharCode(48 + randomInt(10));
    if (checkPin(pin, policy, { extension: number, defaultPin: null, reused: false }).length === 0) return pin;
  }
  throw new Error(`No default PIN satisfies the voicemail policy for extension ${number}`);
}

/** Does `pin` equal the sealed default? Constant-time comparison. */
export function matchesSealedDefault(box: SecretBox, enc: Buffer, number: string, pin: string): boolean {
  return safeEqual(box.open(enc, number), pin);
}

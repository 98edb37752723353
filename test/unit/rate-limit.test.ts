// Issue 6: the credential rate limit per address — IPv4 per address, IPv6 per /64 (one host holds a whole /64),
// a sliding window, and a Retry-After that says when the oldest check leaves the window.
import { describe, expect, it } from 'vitest';
import { AppError } from '../../shared/errors.js';
import { CredentialRateLimiter, rateBucket } from '../../server/rate-limit.js';

describe('credential rate limit', () => {
  it('buckets: IPv4 alone, IPv6 by its /64', () => {
    expect(rateBucket('192.0.2.7')).toBe('192.0.2.7');
    expect(rateBucket('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(rateBucket('2001:db8:1:2:ffff:ffff:ffff:ffff')).toBe('2001:db8:1:2::/64');
    expect(rateBucket('2001:db8:1:3::1')).not.toBe(rateBucket('2001:db8:1:2::1'));
  });

  it('refuses the (max+1)th check in the window with 429 and Retry-After; rotating through a /64 does not help', () => {
    let now = 1_000_000;
    const rl = new CredentialRateLimiter({ max: 3, windowMs: 10_000 }, () => now);
    for (let i = 1; i <= 3; i++) rl.take(`2001:db8::${i}`);
    let err: unknown;
    try {
      rl.take('2001:db8::99');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({ code: 'rate_limited', status: 429, extra: { retryAfterSeconds: 10 } });
    // another /64 and an IPv4 address are not affected
    expect(() => rl.take('2001:db8:0:1::1')).not.toThrow();
    expect(() => rl.take('192.0.2.1')).not.toThrow();
    // the window slides: once the oldest check is older than 10 s, one more is allowed
    now += 10_001;
    expect(() => rl.take('2001:db8::5')).not.toThrow();
  });
});

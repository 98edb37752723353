// Issue 6: the credential checks of one address (password logins, passkey logins, HTTP Basic requests that
// need a password check) are rate-limited, on top of the lockout counters: a fixed budget per sliding window.
// Beyond it the PBX answers 429 with Retry-After, before any argon2 work.
import { parseCidr } from '../shared/cidr.js';
import { AppError } from '../shared/errors.js';

/**
 * The bucket an address counts in: an IPv4 address on its own, an IPv6 address by its /64 (one host usually
 * holds a whole /64, so rotating through it would otherwise reset the budget at will).
 */
export function rateBucket(address: string): string {
  if (!address.includes(':')) return address;
  const net = parseCidr(`${address}/64`);
  return net.ok ? net.value.text : address;
}

export interface RateLimitOptions {
  /** Credential checks allowed per address within windowMs. */
  max: number;
  windowMs: number;
}

export const DEFAULT_CREDENTIAL_RATE: RateLimitOptions = { max: 30, windowMs: 10_000 };

export class CredentialRateLimiter {
  private readonly hits = new Map<string, number[]>();

  constructor(
    private readonly opts: RateLimitOptions,
    private readonly now: () => number = Date.now,
  ) {}

  /** Count one check from `address`, or throw 429 when its budget for the window is spent. */
  take(address: string): void {
    const bucket = rateBucket(address);
    const t = this.now();
    const since = t - this.opts.windowMs;
    const list = (this.hits.get(bucket) ?? []).filter((x) => x > since);
    if (list.length >= this.opts.max) {
      this.hits.set(bucket, list);
      const retryAfterSeconds = Math.max(1, Math.ceil(((list[0] as number) + this.opts.windowMs - t) / 1000));
      throw new AppError(
        'rate_limited',
        `Too many sign-in attempts from ${address}: at most ${this.opts.max} in ${this.opts.windowMs / 1000} s. Try again in ${retryAfterSeconds} s.`,
        429,
        undefined,
        { retryAfterSeconds },
      );
    }
    list.push(t);
    this.hits.set(bucket, list);
    // keep the map small: forget addresses whose window has passed
    if (this.hits.size > 10_000) {
      for (const [a, l] of this.hits) if (!l.some((x) => x > since)) this.hits.delete(a);
    }
  }
}

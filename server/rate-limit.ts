// Issue 6: the credential checks of one address (password logins, passkey logins, HTTP Basic requests that
// need a password check) are rate-limited, on top of the lockout counters: a fixed budget per sliding window.
// Beyond it the PBX answers 429 with Retry-After, before any argon2 work.
import { AppError } from '../shared/errors.js';

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
    const t = this.now();
    const since = t - this.opts.windowMs;
    const list = (this.hits.get(address) ?? []).filter((x) => x > since);
    if (list.length >= this.opts.max) {
      this.hits.set(address, list);
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
    this.hits.set(address, list);
    // keep the map small: forget addresses whose window has passed
    if (this.hits.size > 10_000) {
      for (const [a, l] of this.hits) if (!l.some((x) => x > since)) this.hits.delete(a);
    }
  }
}

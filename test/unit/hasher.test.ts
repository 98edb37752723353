// The server's argon2 gate: one hash per core at a time, a bounded queue, 429 beyond it.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../shared/errors.js';
import { Hasher } from '../../server/secrets.js';

describe('Hasher limits', () => {
  it('runs at most `concurrency` at once, queues the rest, refuses beyond the queue with 429', async () => {
    const h = new Hasher(randomBytes(32), { concurrency: 1, queue: 2 });
    const hash = await h.hash('1234');
    const results = await Promise.allSettled([1, 2, 3, 4, 5].map(() => h.verify(hash, '1234')));
    const ok = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
    expect(ok).toHaveLength(3); // 1 running + 2 queued
    expect(ok.every((r) => (r as PromiseFulfilledResult<boolean>).value)).toBe(true);
    expect(refused).toHaveLength(2);
    expect(refused[0]!.reason).toBeInstanceOf(AppError);
    expect(refused[0]!.reason).toMatchObject({ code: 'rate_limited', status: 429 });
    // the gate opens again once the work is done
    expect(await h.verify(hash, '4321')).toBe(false);
  });
});

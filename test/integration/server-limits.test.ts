// A flood of unauthenticated keypad attempts cannot starve the PBX: argon2 work is gated per core with
// a bounded queue, the overflow gets 429 + Retry-After at once, and an admin can still log in.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPbx, type TestPbx } from '../helpers/server.js';

let pbx: TestPbx;
beforeAll(async () => {
  pbx = await startTestPbx();
});
afterAll(async () => {
  await pbx.cleanup();
});

describe('argon2 gate', () => {
  it('answers a flood of wrong sign-ins with 403 or 429, never a 5xx, and admin login still works', async () => {
    // spread over 30 mailboxes (one mailbox alone gets at most its lockout threshold of attempts in flight)
    const list = await pbx.api<{ items: Array<{ number: string }> }>('GET', '/api/v1/extensions?limit=30');
    const numbers = list.json!.items.map((e) => e.number);
    const results = await Promise.all(
      Array.from({ length: 150 }, (_, i) =>
        pbx.device('/device/v1/voicemail/login', { extension: numbers[i % numbers.length], pin: '000000' }, { from: '127.0.0.2' }),
      ),
    );
    const statuses = new Set(results.map((r) => r.status));
    expect([...statuses].every((s) => s === 403 || s === 429)).toBe(true);
    const limited = results.filter((r) => r.status === 429);
    expect(limited.length).toBeGreaterThan(0);
    expect(limited[0]!.headers['retry-after']).toBe('1');
    expect(limited[0]!.json).toMatchObject({ error: { code: 'rate_limited' } });
    const t0 = Date.now();
    const login = await pbx.login();
    expect(login.status).toBe(201);
    expect(Date.now() - t0).toBeLessThan(5000);
  });
});

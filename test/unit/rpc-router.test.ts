// The RPC router: every payload validated by the contract; bad ones get typed errors, never a crash.
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { AppError } from '../../shared/errors.js';
import { channels, type Channel } from '../../shared/rpc.js';
import { createRouter, type Handlers } from '../../main/rpc/router.js';

function fakeHandlers(): Handlers {
  const h: Record<string, (input: unknown) => Promise<unknown>> = {};
  for (const c of Object.keys(channels)) h[c] = vi.fn(async () => ({ ok: true }));
  return h as unknown as Handlers;
}

describe('rpc router', () => {
  it('refuses an unknown channel with a typed error', async () => {
    const r = createRouter(fakeHandlers());
    expect(await r.handle('fs.readFile', {})).toEqual({
      ok: false,
      error: { code: 'unknown_channel', message: 'There is no console channel “fs.readFile”' },
    });
    expect((await r.handle(42, {})).ok).toBe(false);
    expect((await r.handle('__proto__', {})).ok).toBe(false);
    expect((await r.handle('toString', {})).ok).toBe(false);
  });

  it('names the field and rule of a bad payload and never calls the handler', async () => {
    const handlers = fakeHandlers();
    const r = createRouter(handlers);
    const res = await r.handle('protection.set', { number: '12a', etag: '"v1"', update: { enabled: true, password: '12' } });
    expect(res.ok).toBe(false);
    if (res.ok) return;
    expect(res.error.code).toBe('invalid_payload');
    const fields = res.error.details!.map((d) => `${d.field}:${d.rule}`);
    expect(fields).toContain('number:pattern');
    expect(fields).toContain('update.password:length');
    expect(res.error.message).toMatch(/number/);
    expect(handlers['protection.set']).not.toHaveBeenCalled();
  });

  it('refuses a 13-digit and a non-digit protection password, accepts 3 and 12 digits', async () => {
    const r = createRouter(fakeHandlers());
    const call = (password: string) => r.handle('protection.set', { number: '1001', etag: '"v1"', update: { enabled: true, password } });
    expect((await call('1234567890123')).ok).toBe(false);
    expect((await call('12a4')).ok).toBe(false);
    expect((await call('123')).ok).toBe(true);
    expect((await call('123456789012')).ok).toBe(true);
  });

  it('refuses unknown fields (strict payloads)', async () => {
    const r = createRouter(fakeHandlers());
    const res = await r.handle('connection.connect', { profileId: 'local', evil: 1 });
    expect(res.ok).toBe(false);
    if (!res.ok) expect(res.error.details?.[0]?.rule).toBe('unknown_keys');
  });

  it('maps AppError to its envelope and hides unexpected errors', async () => {
    const handlers = fakeHandlers();
    handlers['extensions.get'] = async () => {
      throw new AppError('not_found', 'Extension 1234 does not exist', 404);
    };
    const log = vi.fn();
    handlers['sites.list'] = async () => {
      throw new TypeError('secret-ish internals');
    };
    const r = createRouter(handlers, log);
    expect(await r.handle('extensions.get', { number: '1234' })).toEqual({
      ok: false, error: { code: 'not_found', message: 'Extension 1234 does not exist' },
    });
    const res = await r.handle('sites.list', {});
    expect(res).toEqual({ ok: false, error: { code: 'internal', message: 'Something went wrong in the console. Try again.' } });
    expect(log).toHaveBeenCalledOnce();
  });

  it('never throws and always answers an envelope, whatever the payload (property)', async () => {
    const r = createRouter(fakeHandlers());
    const names = Object.keys(channels) as Channel[];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...names, 'nope', ''), fc.anything(), async (channel, payload) => {
        const res = await r.handle(channel, payload);
        expect(typeof res.ok).toBe('boolean');
        if (!res.ok) {
          expect(typeof res.error.code).toBe('string');
          expect(res.error.message.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 400 },
    );
  });
});

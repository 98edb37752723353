// The RPC router: every payload validated by the contract; bad ones get typed errors, never a crash.
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AppError } from '../../shared/errors.js';
import { channels, type Channel, type SecretsStatus } from '../../shared/rpc.js';
import { ConnectionManager } from '../../main/core/connection.js';
import { ProfileStore } from '../../main/core/profiles.js';
import type { SecretStore } from '../../main/core/secrets.js';
import { createHandlers, type ConsoleServices } from '../../main/rpc/handlers.js';
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

// ---- the real handlers over the core services (a real ProfileStore in a temp folder, a secret store
// that fails on demand) ------------------------------------------------------------------------------

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function memorySecrets(): SecretStore & { values: Map<string, string>; failSet: Error | null } {
  const values = new Map<string, string>();
  const status: SecretsStatus = { backend: 'keychain', vault: 'none', message: 'test keychain' };
  const store = {
    values,
    failSet: null as Error | null,
    status: () => status,
    get: async (k: string) => values.get(k) ?? null,
    set: async (k: string, v: string) => {
      if (store.failSet) throw store.failSet;
      values.set(k, v);
    },
    delete: async (k: string) => void values.delete(k),
    createVault: async () => status,
    unlockVault: async () => status,
  };
  return store;
}

function realServices() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'warden-rpc-'));
  dirs.push(dir);
  const profiles = new ProfileStore({ cwd: dir });
  profiles.upsertEmbedded('http://127.0.0.1:9', 'admin');
  const secrets = memorySecrets();
  const connection = new ConnectionManager(secrets, { onStatus: () => undefined, onPbxEvent: () => undefined }, { retries: 0 });
  const services: ConsoleServices = { mode: 'browser', version: 't', profiles, secrets, connection, embedded: null };
  return { services, profiles, secrets, router: createRouter(createHandlers(services)) };
}

const office = { name: 'Office', url: 'https://pbx.example.com', username: 'admin', tls: { mode: 'system' as const } };

describe('rpc handlers over the core services', () => {
  it('profiles.save of a new profile is all or nothing: no profile is left without its password', async () => {
    const { router, profiles, secrets } = realServices();
    secrets.failSet = new AppError('vault_locked', 'The secret vault is locked: enter its passphrase to unlock it.', 409);
    const res = await router.handle('profiles.save', { profile: office, password: 'pw-1' });
    expect(res).toEqual({
      ok: false,
      error: { code: 'vault_locked', message: 'The profile was not added: its password could not be stored (The secret vault is locked: enter its passphrase to unlock it).' },
    });
    expect(profiles.list().map((p) => p.id)).toEqual(['local']);
    expect(secrets.values.size).toBe(0);
  });

  it('profiles.save of an edit restores the previous version when the password cannot be stored', async () => {
    const { router, profiles, secrets } = realServices();
    const first = await router.handle('profiles.save', { profile: office, password: 'pw-1' });
    expect(first.ok).toBe(true);
    const before = profiles.get('office');
    secrets.failSet = new Error('org.freedesktop.Secret.Error.IsLocked');
    const res = await router.handle('profiles.save', { profile: { ...office, id: 'office', url: 'https://pbx2.example.com', name: 'Office 2' }, password: 'pw-2' });
    expect(res.ok).toBe(false);
    if (!res.ok) {
      // a raw keychain failure becomes a typed error a person can act on, never "Something went wrong"
      expect(res.error.code).toBe('keychain_unavailable');
      expect(res.error.message).toMatch(/^The changes to the profile were not saved: its password could not be stored \(org\.freedesktop/);
    }
    expect(profiles.get('office')).toEqual(before);
    expect([...secrets.values.values()]).toEqual(['pw-1']);
  });

  it('profiles.save with a working store saves both', async () => {
    const { router, secrets } = realServices();
    const res = await router.handle('profiles.save', { profile: office, password: 'pw-1' });
    expect(res).toMatchObject({ ok: true, value: { id: 'office', hasSecret: true } });
    expect([...secrets.values.values()]).toEqual(['pw-1']);
  });

  it('deleting the built-in profile answers with the ProfileStore\'s own error', async () => {
    const { router, profiles } = realServices();
    expect(await router.handle('profiles.delete', { id: 'local' })).toEqual({
      ok: false, error: { code: 'forbidden', message: 'The built-in Local PBX profile cannot be deleted.' },
    });
    expect(profiles.list().map((p) => p.id)).toEqual(['local']);
  });

  it('connecting a profile whose tls.caFile is missing is a typed profile_invalid error, not "Something went wrong"', async () => {
    const { router, services } = realServices();
    const caFile = path.join(os.tmpdir(), 'warden-missing-ca.pem');
    const saved = await router.handle('profiles.save', { profile: { ...office, tls: { mode: 'ca', caFile } }, password: 'pw' });
    expect(saved.ok).toBe(true);
    const res = await router.handle('connection.connect', { profileId: 'office' });
    expect(res).toEqual({
      ok: false,
      error: {
        code: 'profile_invalid',
        message: `tls.caFile: the CA certificate file ${caFile} does not exist`,
        details: [{ field: 'tls.caFile', rule: 'readable', message: `tls.caFile: the CA certificate file ${caFile} does not exist` }],
      },
    });
    expect(services.connection.getStatus().state).toBe('disconnected');
  });
});

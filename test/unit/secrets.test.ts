import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AppError } from '../../shared/errors.js';
import { SecretsStatusSchema } from '../../shared/rpc.js';
import type { KeychainBackend, ProbeResult } from '../../main/core/keychain.js';
import { createSecretStore } from '../../main/core/secrets.js';
import { MIN_KDF } from '../../main/core/vault.js';

const FAST = { m: MIN_KDF.m, t: MIN_KDF.t };
const PASS = 'a long enough passphrase';
const CANARY = 'CANARY-pbx-password-91c4';

/** An in-memory keychain; `probeResult` decides whether it is "reachable". */
function fakeKeychain(probeResult: ProbeResult = { ok: true }) {
  const entries = new Map<string, string>();
  const k = (service: string, account: string) => `${service}\u0000${account}`;
  const backend: KeychainBackend = {
    get: vi.fn(async (service: string, account: string) => entries.get(k(service, account)) ?? null),
    set: vi.fn(async (service: string, account: string, secret: string) => {
      entries.set(k(service, account), secret);
    }),
    delete: vi.fn(async (service: string, account: string) => {
      entries.delete(k(service, account));
    }),
    probe: vi.fn(async () => probeResult),
  };
  return { backend, entries };
}

let dir: string;
let vaultPath: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'warden-secrets-'));
  vaultPath = path.join(dir, 'vault.json');
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function rejection(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return error as AppError;
  }
  throw new Error('expected an AppError');
}

function filesContain(needle: string): boolean {
  return readdirSync(dir).some((f) => readFileSync(path.join(dir, f), 'utf8').includes(needle));
}

describe('SecretStore on a reachable keychain', () => {
  it('probes once and keeps secrets in the keychain under the service name', async () => {
    const { backend, entries } = fakeKeychain();
    const store = await createSecretStore({ service: 'pbx-warden-test', vaultPath, keychain: backend });
    expect(backend.probe).toHaveBeenCalledTimes(1);
    const status = store.status();
    expect(SecretsStatusSchema.parse(status)).toEqual(status);
    expect(status).toMatchObject({ backend: 'keychain', vault: 'none' });

    await store.set('pbx-password:office', CANARY);
    expect(entries.get('pbx-warden-test\u0000pbx-password:office')).toBe(CANARY);
    expect(await store.get('pbx-password:office')).toBe(CANARY);
    await store.delete('pbx-password:office');
    expect(await store.get('pbx-password:office')).toBeNull();
    expect(backend.probe).toHaveBeenCalledTimes(1);

    // No vault is created, nothing on disk.
    expect(readdirSync(dir)).toEqual([]);
    expect((await rejection(store.createVault(PASS))).code).toBe('conflict');
    expect((await rejection(store.unlockVault(PASS))).code).toBe('conflict');
  });

  it('forceVault skips the keychain', async () => {
    const { backend } = fakeKeychain();
    const store = await createSecretStore({ service: 's', vaultPath, keychain: backend, forceVault: true, vaultKdf: FAST });
    expect(backend.probe).not.toHaveBeenCalled();
    expect(store.status()).toMatchObject({ backend: 'vault', vault: 'none' });
    expect(store.status().message).toMatch(/keychain is turned off/);
  });

  it('refuses empty keys and values', async () => {
    const store = await createSecretStore({ service: 's', vaultPath, keychain: fakeKeychain().backend });
    expect((await rejection(store.set('', 'x'))).code).toBe('validation_failed');
    expect((await rejection(store.set('k', ''))).code).toBe('validation_failed');
  });
});

describe('SecretStore when the keychain is unreachable', () => {
  const reason = 'No Secret Service (gnome-keyring / KWallet) is running on this desktop session';

  it('falls back to the vault, says why in plain words, and never writes plain text', async () => {
    const { backend } = fakeKeychain({ ok: false, reason });
    const store = await createSecretStore({ service: 's', vaultPath, keychain: backend, vaultKdf: FAST });
    let status = store.status();
    expect(SecretsStatusSchema.parse(status)).toEqual(status);
    expect(status).toEqual({
      backend: 'vault',
      vault: 'none',
      message: `No OS keychain is available: ${reason}. Secrets are kept in an encrypted local vault; choose a passphrase to create it.`,
    });

    // Nothing can be stored before the vault exists: an error, not a plain-text fallback.
    const missing = await rejection(store.set('k', CANARY));
    expect(missing.code).toBe('vault_missing');
    expect(missing.message).not.toContain(CANARY);
    expect((await rejection(store.get('k'))).code).toBe('vault_missing');
    expect(readdirSync(dir)).toEqual([]);

    expect((await rejection(store.createVault('short'))).details?.[0]).toMatchObject({ field: 'passphrase', rule: 'min' });
    status = await store.createVault(PASS);
    expect(status).toMatchObject({ backend: 'vault', vault: 'unlocked' });
    expect(status.message).toContain(reason);
    expect((await rejection(store.createVault(PASS))).code).toBe('vault_exists');

    await store.set('pbx-password:office', CANARY);
    expect(await store.get('pbx-password:office')).toBe(CANARY);
    expect(filesContain(CANARY)).toBe(false);
    expect(filesContain(PASS)).toBe(false);
    expect(backend.set).not.toHaveBeenCalled();

    // A new session (the app restarted): the vault is there but locked.
    const later = await createSecretStore({ service: 's', vaultPath, keychain: backend });
    expect(later.status()).toMatchObject({ backend: 'vault', vault: 'locked' });
    expect(later.status().message).toMatch(/enter the vault passphrase to unlock it\.$/);
    expect((await rejection(later.get('pbx-password:office'))).code).toBe('vault_locked');
    expect((await rejection(later.createVault(PASS))).code).toBe('vault_exists');

    const wrong = await rejection(later.unlockVault('wrong passphrase!'));
    expect(wrong.code).toBe('vault_passphrase_wrong');
    expect(later.status().vault).toBe('locked');

    expect((await later.unlockVault(PASS)).vault).toBe('unlocked');
    expect(await later.get('pbx-password:office')).toBe(CANARY);
    await later.delete('pbx-password:office');
    expect(await later.get('pbx-password:office')).toBeNull();
  });

  it('a damaged vault stays locked with a clear message and is never replaced', async () => {
    const { backend } = fakeKeychain({ ok: false, reason });
    const first = await createSecretStore({ service: 's', vaultPath, keychain: backend, vaultKdf: FAST });
    await first.createVault(PASS);
    const { writeFileSync } = await import('node:fs');
    writeFileSync(vaultPath, '{"v":1,');
    const store = await createSecretStore({ service: 's', vaultPath, keychain: backend });
    expect(store.status().vault).toBe('locked');
    const err = await rejection(store.unlockVault(PASS));
    expect(err.message).toMatch(/damaged or was altered/);
    expect((await rejection(store.createVault(PASS))).code).toBe('vault_exists');
    expect(readFileSync(vaultPath, 'utf8')).toBe('{"v":1,');
  });
});

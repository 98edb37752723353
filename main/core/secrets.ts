// Where the console keeps passwords: the OS keychain when one answers, otherwise the passphrase vault.
// Never plain text, and never silently: status() says which store is in use and why, in words a person
// can act on (the UI shows the message as it is).
//
// Secrets are never logged: no function here prints or puts a secret value into an error message.
import { AppError, parseOrThrow } from '../../shared/errors.js';
import { PassphraseSchema, type SecretsStatus } from '../../shared/rpc.js';
import { createOsKeychain, type KeychainBackend } from './keychain.js';
import { Vault, type KdfParams } from './vault.js';

export interface SecretStore {
  status(): SecretsStatus;
  get(key: string): Promise<string | null>;
  set(key: string, value: string): Promise<void>;
  delete(key: string): Promise<void>;
  /** Only when the vault is in use and none exists yet (else vault_exists / conflict). */
  createVault(passphrase: string): Promise<SecretsStatus>;
  /** Only when the vault is in use and exists (else vault_missing / conflict). */
  unlockVault(passphrase: string): Promise<SecretsStatus>;
}

export interface SecretStoreOptions {
  /** Keychain service name (the entry's "service" attribute, e.g. 'pbx-warden'). */
  service: string;
  /** Where the vault file lives (or will be created) when the keychain is not used. */
  vaultPath: string;
  /** Default: the OS keychain (Secret Service on Linux). Tests pass a fake. */
  keychain?: KeychainBackend;
  /** Use the vault even if a keychain answers. */
  forceVault?: boolean;
  /** argon2id parameters for a vault created by this store (floors apply). */
  vaultKdf?: Partial<KdfParams>;
}

const KEY_MAX = 4096;
const VALUE_MAX = 64 * 1024;

/** Probes the keychain once and settles on a backend for the life of the store. */
export async function createSecretStore(opts: SecretStoreOptions): Promise<SecretStore> {
  if (!opts.service) throw new AppError('validation_failed', 'A keychain service name is required.');
  if (!opts.forceVault) {
    const keychain = opts.keychain ?? createOsKeychain({ probeService: opts.service });
    const probe = await keychain.probe();
    if (probe.ok) return keychainStore(opts.service, keychain);
    return vaultStore(opts, probe.reason);
  }
  return vaultStore(opts, null);
}

function keychainStore(service: string, keychain: KeychainBackend): SecretStore {
  const status: SecretsStatus = {
    backend: 'keychain',
    vault: 'none',
    message: `Secrets are kept in ${keychainName()}.`,
  };
  const notNeeded = (): never => {
    throw new AppError('conflict', `Secrets are kept in ${keychainName()}; no vault is needed.`, 409);
  };
  return {
    status: () => ({ ...status }),
    async get(key) {
      checkKey(key);
      return keychain.get(service, key);
    },
    async set(key, value) {
      checkKey(key);
      checkValue(value);
      await keychain.set(service, key, value);
    },
    async delete(key) {
      checkKey(key);
      await keychain.delete(service, key);
    },
    createVault: async () => notNeeded(),
    unlockVault: async () => notNeeded(),
  };
}

function vaultStore(opts: SecretStoreOptions, reason: string | null): SecretStore {
  let vault: Vault | null = null;
  const why = reason
    ? `No OS keychain is available: ${stripPeriod(reason)}. Secrets are kept in an encrypted local vault`
    : 'The OS keychain is turned off for this console. Secrets are kept in an encrypted local vault';

  const status = (): SecretsStatus => {
    if (vault) return { backend: 'vault', vault: 'unlocked', message: `${why}, which is unlocked.` };
    if (Vault.exists(opts.vaultPath)) {
      return { backend: 'vault', vault: 'locked', message: `${why}; enter the vault passphrase to unlock it.` };
    }
    return { backend: 'vault', vault: 'none', message: `${why}; choose a passphrase to create it.` };
  };

  const open = (): Vault => {
    if (vault) return vault;
    if (Vault.exists(opts.vaultPath)) {
      throw new AppError('vault_locked', 'The secret vault is locked: enter its passphrase to unlock it.', 409);
    }
    throw new AppError('vault_missing', 'There is no secret vault yet: choose a passphrase to create it.', 409);
  };

  return {
    status,
    async get(key) {
      checkKey(key);
      return open().get(key);
    },
    async set(key, value) {
      checkKey(key);
      checkValue(value);
      await open().set(key, value);
    },
    async delete(key) {
      checkKey(key);
      await open().delete(key);
    },
    async createVault(passphrase) {
      parseOrThrow(PassphraseSchema, passphrase, 'passphrase');
      if (vault || Vault.exists(opts.vaultPath)) {
        throw new AppError('vault_exists', 'A secret vault already exists: unlock it with its passphrase instead.', 409);
      }
      vault = await Vault.create(opts.vaultPath, passphrase, opts.vaultKdf ? { kdf: opts.vaultKdf } : {});
      return status();
    },
    async unlockVault(passphrase) {
      // Vault.open reports vault_missing / vault_passphrase_wrong / a damaged file; on any error the
      // current state (locked, or already unlocked) is kept.
      vault = await Vault.open(opts.vaultPath, passphrase);
      return status();
    },
  };
}

function keychainName(): string {
  switch (process.platform) {
    case 'darwin':
      return 'the macOS Keychain';
    case 'win32':
      return 'the Windows Credential Manager';
    default:
      return 'the desktop keyring (Secret Service)';
  }
}

function checkKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0 || key.length > KEY_MAX) {
    throw new AppError('validation_failed', `A secret key is 1–${KEY_MAX} characters.`, 400, [
      { field: 'key', rule: 'length', message: `key: 1–${KEY_MAX} characters` },
    ]);
  }
}

function checkValue(value: string): void {
  if (typeof value !== 'string' || value.length === 0 || value.length > VALUE_MAX) {
    throw new AppError('validation_failed', `A secret is 1–${VALUE_MAX} characters.`, 400, [
      { field: 'value', rule: 'length', message: `value: 1–${VALUE_MAX} characters` },
    ]);
  }
}

function stripPeriod(s: string): string {
  return s.trim().replace(/\.+$/, '');
}

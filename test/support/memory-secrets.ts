// An in-memory secret store: a fake of one module (main/core/secrets.ts) for tests and benches whose
// subject is not the keychain. The keychain itself is tested for real in test/integration/keychain.test.ts.
import type { SecretStore } from '../../main/core/secrets.js';
import type { SecretsStatus } from '../../shared/rpc.js';

export interface MemorySecrets {
  store: SecretStore;
  values: Map<string, string>;
}

/** `failSet`: asked on every write; an error it returns is thrown (a keychain that refuses to store). */
export function memorySecretStore(opts: { message?: string; failSet?: () => Error | null } = {}): MemorySecrets {
  const status: SecretsStatus = { backend: 'keychain', vault: 'none', message: opts.message ?? 'in-memory keychain' };
  const values = new Map<string, string>();
  const store: SecretStore = {
    status: () => status,
    get: async (k) => values.get(k) ?? null,
    set: async (k, v) => {
      const err = opts.failSet?.();
      if (err) throw err;
      values.set(k, v);
    },
    delete: async (k) => void values.delete(k),
    createVault: async () => status,
    unlockVault: async () => status,
  };
  return { store, values };
}

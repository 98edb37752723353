// The console's RPC handlers: plain functions over the core services. Transport-agnostic.
import { routes } from '../../shared/api.js';
import { AppError } from '../../shared/errors.js';
import type { Profile, ProfileView, SecretsStatus } from '../../shared/rpc.js';
import { secretKeyFor, type ConnectionManager } from '../core/connection.js';
import type { Handlers } from './router.js';

export interface ProfileStoreLike {
  list(): Profile[];
  get(id: string): Profile;
  save(input: Omit<Profile, 'id' | 'kind'> & { id?: string | undefined }): Profile;
  delete(id: string): void;
  lastProfileId: string | null;
}

export interface SecretStoreLike {
  status(): SecretsStatus;
  get(key: string): Promise<string | null>;
  set(key: string, value: string): Promise<void>;
  delete(key: string): Promise<void>;
  createVault(passphrase: string): Promise<SecretsStatus>;
  unlockVault(passphrase: string): Promise<SecretsStatus>;
}

export interface EmbeddedPbx {
  url: string;
  /** Distinguishes this embedded PBX's data directory in the keychain. */
  secretScope: string;
  /** The admin password generated on the PBX's first run, held in memory until the secret store can take it. */
  pendingPassword: string | null;
}

export interface ConsoleServices {
  mode: 'electron' | 'browser';
  version: string;
  profiles: ProfileStoreLike;
  secrets: SecretStoreLike;
  connection: ConnectionManager;
  embedded: EmbeddedPbx | null;
}

/** The keychain scope of a profile: the embedded PBX is keyed by its data directory, not its (per-run) URL. */
export function scopeFor(services: ConsoleServices, profile: Profile): string | undefined {
  return profile.kind === 'embedded' && services.embedded ? services.embedded.secretScope : undefined;
}

/** Move the embedded PBX's first-run password into the secret store once it is usable. */
export async function flushPendingSecret(services: ConsoleServices): Promise<void> {
  const emb = services.embedded;
  if (!emb?.pendingPassword) return;
  const status = services.secrets.status();
  if (status.backend === 'vault' && status.vault !== 'unlocked') return;
  const local = services.profiles.list().find((p) => p.kind === 'embedded');
  if (!local) return;
  await services.secrets.set(secretKeyFor(local, emb.secretScope), emb.pendingPassword);
  emb.pendingPassword = null;
}

export async function hasSecret(services: ConsoleServices, p: Profile): Promise<boolean> {
  if (p.kind === 'embedded' && services.embedded?.pendingPassword) return true;
  const st = services.secrets.status();
  if (st.backend === 'vault' && st.vault !== 'unlocked') return false;
  try {
    return (await services.secrets.get(secretKeyFor(p, scopeFor(services, p)))) !== null;
  } catch {
    return false;
  }
}

async function view(services: ConsoleServices, p: Profile): Promise<ProfileView> {
  return { ...p, hasSecret: await hasSecret(services, p) };
}

/** Connect to a profile; used by the RPC channel and by the start-up auto-connect. */
export async function connectProfile(services: ConsoleServices, profileId: string, password?: string) {
  const profile = services.profiles.get(profileId);
  const scope = scopeFor(services, profile);
  const typed = password ?? (profile.kind === 'embedded' ? services.embedded?.pendingPassword ?? undefined : undefined);
  const status = await services.connection.connect(profile, typed, scope);
  if (typed) {
    // It worked: keep it. While the vault is still locked, the embedded PBX's first-run password
    // stays pending in memory (flushed when the vault opens); a typed one is simply asked again later.
    try {
      await services.secrets.set(secretKeyFor(profile, scope), typed);
      if (profile.kind === 'embedded' && services.embedded?.pendingPassword === typed) services.embedded.pendingPassword = null;
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
    }
  }
  services.profiles.lastProfileId = profile.id;
  return status;
}

/**
 * With the embedded PBX and its password at hand, connect without asking: at start-up, and right after
 * the vault opens (so the passphrase is the only prompt a newcomer sees).
 */
export async function autoConnectEmbedded(services: ConsoleServices, log: (line: string) => void = () => undefined): Promise<void> {
  if (!services.embedded || services.connection.getStatus().state !== 'disconnected') return;
  const st = services.secrets.status();
  if (st.backend === 'vault' && st.vault !== 'unlocked' && !services.embedded.pendingPassword) return;
  await connectProfile(services, 'local').catch((err: unknown) =>
    log(`Could not connect to the embedded PBX yet: ${err instanceof Error ? err.message : String(err)}`),
  );
}

export function createHandlers(services: ConsoleServices): Handlers {
  const { connection } = services;
  return {
    'app.info': async () => ({ mode: services.mode, version: services.version, embeddedUrl: services.embedded?.url ?? null }),
    'secrets.status': async () => services.secrets.status(),
    'secrets.createVault': async ({ passphrase }) => {
      const st = await services.secrets.createVault(passphrase);
      await flushPendingSecret(services);
      await autoConnectEmbedded(services);
      return st;
    },
    'secrets.unlockVault': async ({ passphrase }) => {
      const st = await services.secrets.unlockVault(passphrase);
      await flushPendingSecret(services);
      await autoConnectEmbedded(services);
      return st;
    },
    'profiles.list': async () => {
      const profiles = await Promise.all(services.profiles.list().map((p) => view(services, p)));
      return { profiles, lastProfileId: services.profiles.lastProfileId };
    },
    'profiles.save': async ({ profile, password }) => {
      const saved = services.profiles.save(profile);
      if (password) await services.secrets.set(secretKeyFor(saved, scopeFor(services, saved)), password);
      return view(services, saved);
    },
    'profiles.delete': async ({ id }) => {
      const p = services.profiles.get(id);
      if (p.kind === 'embedded') throw new AppError('profile_invalid', 'The built-in Local PBX profile cannot be deleted', 409);
      services.profiles.delete(id);
      await services.secrets.delete(secretKeyFor(p)).catch(() => undefined);
      return { ok: true as const };
    },
    'connection.connect': async ({ profileId, password }) => connectProfile(services, profileId, password),
    'connection.disconnect': async () => connection.disconnect(),
    'connection.status': async () => connection.getStatus(),
    'sites.list': async () => ({ items: (await connection.call(routes.listSites)).data.items }),
    'extensions.list': async (query) => (await connection.call(routes.listExtensions, { query: { ...query } })).data,
    'extensions.all': async () => {
      const items = await connection.allExtensions();
      return { items, total: items.length };
    },
    'extensions.get': async ({ number }) => (await connection.call(routes.getExtension, { params: { number } })).data,
    'protection.set': async ({ number, etag, update }) =>
      (await connection.call(routes.setProtection, { params: { number }, ifMatch: etag, body: update })).data,
    'protection.block': async ({ number, etag }) =>
      (await connection.call(routes.blockExtension, { params: { number }, ifMatch: etag })).data,
    'protection.unblock': async ({ number, etag }) =>
      (await connection.call(routes.unblockExtension, { params: { number }, ifMatch: etag })).data,
  };
}

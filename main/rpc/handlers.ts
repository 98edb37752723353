// The console's RPC handlers: plain functions over the core services. Transport-agnostic.
import { routes } from '../../shared/api.js';
import { AppError } from '../../shared/errors.js';
import type { ConnectionStatus, Profile, ProfileView } from '../../shared/rpc.js';
import { secretKeyFor, type ConnectionManager } from '../core/connection.js';
import type { ProfileInput, ProfileStore } from '../core/profiles.js';
import type { SecretStore } from '../core/secrets.js';
import { compareExports, findingsOf } from '../core/review-analysis.js';
import { exportForSaving, liveFindings } from '../core/live-export.js';
import { isWriteChannel, ReviewManager, ReviewSource, REVIEW_READ_CHANNELS } from '../core/review.js';
import { deliverFile, DownloadStore, pickFile, type DesktopShell } from '../core/file-delivery.js';
import { ENVELOPE_MAX_BYTES } from '../core/export-envelope.js';
import type { Channel } from '../../shared/rpc.js';
import type { Handlers } from './router.js';

/** The core services the handlers use (kept as names for existing imports). */
export type ProfileStoreLike = ProfileStore;
export type SecretStoreLike = SecretStore;

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
  /** The read-only review of an exported file (issue 7); created by createHandlers when absent. */
  review?: ReviewManager;
  /** Native dialogs and PDF printing (Electron; set once its window exists). Null/absent in browser mode. */
  shell?: DesktopShell | null;
  /** Files waiting for the page to download them (browser mode); created by createHandlers when absent. */
  downloads?: DownloadStore;
}

/** The keychain scope of a profile: the embedded PBX is keyed by its data directory, not its (per-run) URL. */
export function scopeFor(services: ConsoleServices, profile: Profile): string | undefined {
  return profile.kind === 'embedded' && services.embedded ? services.embedded.secretScope : undefined;
}

/** The start of the status note while the embedded PBX's first-run password waits for the secret store. */
const PENDING_NOTE = 'Connected, but the password could not be saved yet';

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
  // The "could not be saved yet" note of the current connection is no longer true.
  const current = services.connection.getStatus();
  if (current.profileId === local.id && current.message?.startsWith(PENDING_NOTE)) services.connection.annotate(null);
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

function reasonOf(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.trim().replace(/\.+$/, '') || 'unknown error';
}

/**
 * Connect to a profile; used by the RPC channel and by the start-up auto-connect. A typed password that
 * worked is saved; if saving fails the connection stays up and the status message says so.
 */
export async function connectProfile(services: ConsoleServices, profileId: string, password?: string): Promise<ConnectionStatus> {
  const profile = services.profiles.get(profileId);
  const scope = scopeFor(services, profile);
  const pending = profile.kind === 'embedded' ? services.embedded?.pendingPassword ?? undefined : undefined;
  const typed = password ?? pending;
  let status = await services.connection.connect(profile, typed, scope);
  if (typed) {
    // It worked: keep it. While the vault is still locked, the embedded PBX's first-run password
    // stays pending in memory (flushed when the vault opens); a typed one is asked again next time.
    try {
      await services.secrets.set(secretKeyFor(profile, scope), typed);
      if (profile.kind === 'embedded' && services.embedded?.pendingPassword === typed) services.embedded.pendingPassword = null;
    } catch (err) {
      const keptPending = typed === pending && services.embedded?.pendingPassword === typed;
      status = services.connection.annotate(
        keptPending
          ? `${PENDING_NOTE} (it is kept until the secret store can take it): ${reasonOf(err)}`
          : `Connected, but the password could not be saved: ${reasonOf(err)}`,
      );
    }
  }
  services.profiles.lastProfileId = profile.id;
  return status;
}

/**
 * Save a profile and, when given, its password: all or nothing. If the password cannot be stored
 * (locked vault, keychain error), a new profile is removed again and an edited one restored.
 */
export async function saveProfile(services: ConsoleServices, input: ProfileInput, password?: string): Promise<Profile> {
  const previous = input.id !== undefined ? services.profiles.list().find((p) => p.id === input.id) ?? null : null;
  const saved = services.profiles.save(input);
  if (!password) return saved;
  try {
    await services.secrets.set(secretKeyFor(saved, scopeFor(services, saved)), password);
  } catch (err) {
    try {
      if (previous) {
        const { kind: _kind, ...restore } = previous;
        services.profiles.save(restore);
      } else {
        services.profiles.delete(saved.id);
      }
    } catch (rollbackErr) {
      throw new AppError(
        'internal',
        `The password for “${saved.name}” could not be saved (${reasonOf(err)}), and the profile could not be put back as it was (${reasonOf(rollbackErr)}).`,
        500,
      );
    }
    const what = previous ? 'The changes to the profile were not saved' : 'The profile was not added';
    const code = err instanceof AppError ? err.code : 'keychain_unavailable';
    const status = err instanceof AppError ? err.status : 503;
    throw new AppError(code, `${what}: its password could not be stored (${reasonOf(err)}).`, status);
  }
  return saved;
}

/**
 * With the embedded PBX and its password at hand, connect without asking: at start-up, and right after
 * the vault opens (so the passphrase is the only prompt a newcomer sees).
 */
export async function autoConnectEmbedded(services: ConsoleServices, log: (line: string) => void = () => undefined): Promise<void> {
  if (!services.embedded || services.review?.current || services.connection.getStatus().state !== 'disconnected') return;
  const st = services.secrets.status();
  if (st.backend === 'vault' && st.vault !== 'unlocked' && !services.embedded.pendingPassword) return;
  await connectProfile(services, 'local').catch((err: unknown) =>
    log(`Could not connect to the embedded PBX yet: ${err instanceof Error ? err.message : String(err)}`),
  );
}

/**
 * The console's own account changed on the PBX (renamed, or a new password): keep the saved profile, the saved
 * password and the live connection in step, so the next re-login (token expiry) and the next start still work.
 * Best effort after the PBX said yes: a failure here is said in the connection's note, never thrown.
 */
export async function followOwnAccount(services: ConsoleServices, change: { username?: string; password?: string | null }): Promise<void> {
  const { connection } = services;
  const profile = connection.currentProfile;
  if (!profile) return;
  const scope = scopeFor(services, profile);
  const oldKey = secretKeyFor(profile, scope);
  try {
    if (change.username !== undefined && change.username !== profile.username) {
      const renamed: Profile = { ...profile, username: change.username };
      const newKey = secretKeyFor(renamed, scope);
      if (profile.kind === 'embedded') services.profiles.upsertEmbedded(profile.url, change.username);
      else {
        const { kind: _kind, ...input } = renamed;
        services.profiles.save(input);
      }
      const saved = change.password === undefined ? await services.secrets.get(oldKey).catch(() => null) : null;
      if (saved) await services.secrets.set(newKey, saved);
      await services.secrets.delete(oldKey).catch(() => undefined);
      connection.accountChanged({ username: change.username, secretKey: newKey });
    }
    if (change.password !== undefined) {
      const key = secretKeyFor({ ...profile, username: change.username ?? profile.username }, scope);
      if (change.password === null) {
        await services.secrets.delete(key).catch(() => undefined);
        connection.accountChanged({ password: '', noPassword: true });
      } else {
        connection.accountChanged({ password: change.password, noPassword: false });
        await services.secrets.set(key, change.password);
      }
    }
  } catch (err) {
    connection.annotate(`Your account was changed on the PBX, but the saved connection could not be updated: ${reasonOf(err)}`);
  }
}

/** The `;`-separated text the PBX reads (the RPC schema already parsed and normalised the entries). */
function emailText(emails: string[] | undefined): string | undefined {
  return emails === undefined ? undefined : emails.join('; ');
}

/**
 * Issue 7: while an exported file is reviewed, the file answers the PBX's read channels and every other PBX
 * channel is refused (read_only) — decided here, before any live handler runs, so nothing reaches a PBX.
 */
export function createHandlers(services: ConsoleServices): Handlers {
  const review = (services.review ??= new ReviewManager());
  services.downloads ??= new DownloadStore();
  const live = createLiveHandlers(services);
  const wrapped = {} as Record<Channel, (input: unknown) => Promise<unknown>>;
  for (const name of Object.keys(live) as Channel[]) {
    const handler = live[name] as (input: unknown) => Promise<unknown>;
    wrapped[name] =
      isWriteChannel(name) || REVIEW_READ_CHANNELS.has(name)
        ? async (input) => {
            const source = review.current;
            return source ? source.answer(name, input) : handler(input);
          }
        : handler;
  }
  return wrapped as unknown as Handlers;
}

/** The bytes of a file the renderer handed over (an upload or inline base64). */
function notSupported(message: string): AppError {
  return new AppError('not_supported', message, 400);
}

function fileBytes(review: ReviewManager, f: { uploadId?: string | undefined; base64?: string | undefined }): Buffer {
  return f.uploadId !== undefined ? review.bytesOf(f.uploadId) : Buffer.from(f.base64 ?? '', 'base64');
}

function createLiveHandlers(services: ConsoleServices): Handlers {
  const { connection } = services;
  const review = services.review as ReviewManager;
  const downloads = services.downloads as DownloadStore;
  const disconnected = (): ConnectionStatus => connection.getStatus();
  return {
    'app.info': async () => ({
      mode: services.mode, version: services.version, embeddedUrl: services.embedded?.url ?? null, desktop: !!services.shell,
    }),
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
    'profiles.save': async ({ profile, password }) => view(services, await saveProfile(services, profile, password)),
    'profiles.delete': async ({ id }) => {
      const p = services.profiles.get(id);
      // The store refuses the built-in profile itself (forbidden); that error is the answer.
      services.profiles.delete(id);
      await services.secrets.delete(secretKeyFor(p, scopeFor(services, p))).catch(() => undefined);
      return { ok: true as const };
    },
    'connection.connect': async ({ profileId, password }) => {
      review.close(disconnected());
      return connectProfile(services, profileId, password);
    },
    'connection.disconnect': async () => {
      if (review.current) return review.close(disconnected());
      return connection.disconnect();
    },
    'connection.status': async () => review.current?.status() ?? connection.getStatus(),
    'review.upload': async ({ uploadId, base64 }) => review.upload(uploadId, Buffer.from(base64, 'base64')),
    'review.open': async ({ fileName, uploadId, base64, passphrase }) => {
      // read (and check) the file before anything changes: a bad file leaves the connection as it was
      const data = await review.read(fileName, fileBytes(review, { uploadId, base64 }), passphrase);
      if (uploadId !== undefined) review.dropUpload(uploadId);
      if (connection.getStatus().state !== 'disconnected') await connection.disconnect();
      return review.open(fileName, data);
    },
    'review.close': async () => review.close(disconnected()),
    'review.status': async () => ({ review: review.current?.info() ?? null }),
    'review.findings': async () => {
      const source = review.current;
      if (!source) throw new AppError('not_found', 'No exported file is open for review', 404);
      const { findings, csv } = findingsOf(source.data, new Date());
      const stamp = source.data.exportedAt.slice(0, 19).replace(/[:T]/g, '-');
      return { findings, csv, filename: `findings-${source.data.pbx.name.replace(/[^A-Za-z0-9._-]+/g, '_')}-${stamp}.csv` };
    },
    'review.compare': async ({ fileName, uploadId, base64, passphrase }) => {
      const source = review.current;
      if (!source) throw new AppError('not_found', 'Open an exported file first, then compare another one with it', 404);
      const other = await review.read(fileName, fileBytes(review, { uploadId, base64 }), passphrase);
      if (uploadId !== undefined) review.dropUpload(uploadId);
      return { other: new ReviewSource(fileName, other).info(), sections: compareExports(source.data, other) };
    },
    // issue 7: the connected PBX's export — a file to save, and the same findings as a review, live
    'config.export': async ({ passphrase }) => {
      const file = await exportForSaving(connection, passphrase);
      const delivery = await deliverFile(services.shell ?? null, downloads, {
        filename: file.filename,
        body: file.text,
        type: 'application/json; charset=utf-8',
        title: 'Save the exported configuration',
        filters: [{ name: file.encrypted ? 'Encrypted PBX Warden export' : 'PBX Warden export', extensions: ['json'] }],
      });
      return { filename: file.filename, encrypted: file.encrypted, bytes: file.bytes, delivery };
    },
    'report.savePdf': async ({ filename }) => {
      const shell = services.shell;
      if (!shell) throw notSupported('Saving a PDF from the console needs the desktop app; in a browser, use Print and choose “Save as PDF”');
      const pdf = await shell.printToPdf();
      const delivery = await deliverFile(shell, downloads, {
        filename, body: pdf, type: 'application/pdf', title: 'Save the report as PDF', filters: [{ name: 'PDF', extensions: ['pdf'] }],
      });
      return { delivery };
    },
    'review.pick': async () => {
      const shell = services.shell;
      if (!shell) throw notSupported('The native file dialog is part of the desktop app; choose the file in the page');
      const picked = await pickFile(shell, {
        title: 'Open an exported config',
        filters: [{ name: 'PBX Warden export', extensions: ['json'] }, { name: 'All files', extensions: ['*'] }],
        maxBytes: ENVELOPE_MAX_BYTES,
      });
      if (!picked) return { file: null };
      const { uploadId, received } = review.upload(undefined, picked.bytes);
      return { file: { fileName: picked.fileName, uploadId, bytes: received } };
    },
    'findings.live': async () => liveFindings(connection),
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
    'policies.pin.list': async () => (await connection.call(routes.listPinPolicies)).data,
    'policies.pin.set': async ({ etag, policy }) =>
      (await connection.call(routes.setPinPolicy, { params: { kind: policy.kind }, ifMatch: etag, body: policy })).data,
    'credentials.set': async ({ number, etag, kind, value }) =>
      (await connection.call(routes.setCredential, { params: { number, kind }, ifMatch: etag, body: { value } })).data,
    'credentials.resetVoicemailPin': async ({ number, etag }) =>
      (await connection.call(routes.resetVoicemailPin, { params: { number }, ifMatch: etag })).data,
    'credentials.defaultVoicemailPin': async ({ number }) =>
      (await connection.call(routes.getDefaultVoicemailPin, { params: { number } })).data,
    'credentials.bulkResetVoicemailPin': async ({ numbers }) =>
      (await connection.call(routes.bulkResetVoicemailPin, { body: { numbers } })).data,
    'credentials.setVoicemailTrusted': async ({ number, etag, trusted }) =>
      (await connection.call(routes.setVoicemailTrusted, { params: { number }, ifMatch: etag, body: { trusted } })).data,
    'policies.pin.check': async ({ kind, ...body }) =>
      (await connection.call(routes.checkPinPolicy, { params: { kind }, body })).data,
    'lockouts.extensions': async () => (await connection.call(routes.listExtensionLocks, {})).data,
    'lockouts.reset': async (body) => (await connection.call(routes.resetExtensionLocks, { body })).data,
    'lockouts.bans': async () => (await connection.call(routes.listAddressBans, {})).data,
    'lockouts.ban': async (body) => (await connection.call(routes.addAddressBan, { body })).data,
    'lockouts.unban': async (body) => (await connection.call(routes.unbanAddresses, { body })).data,
    'lockouts.allowlist': async () => (await connection.call(routes.listAllowlist, {})).data,
    'lockouts.allow': async (body) => (await connection.call(routes.addAllowEntry, { body })).data,
    'lockouts.disallow': async ({ id }) => {
      await connection.call(routes.deleteAllowEntry, { params: { id: String(id) } });
      return { ok: true as const };
    },
    'lockouts.histogram': async (query) => (await connection.call(routes.failureHistogram, { query })).data,
    'lockouts.correlation': async ({ number }) => (await connection.call(routes.lockCorrelation, { params: { number } })).data,
    'policies.lockout.get': async () => (await connection.call(routes.getLockoutPolicy, {})).data,
    'policies.lockout.set': async ({ etag, policy }) =>
      (await connection.call(routes.setLockoutPolicy, { ifMatch: etag, body: policy })).data,
    'hotdesk.list': async () => (await connection.call(routes.listHotDesk, {})).data,
    'hotdesk.devices': async () => (await connection.call(routes.listDevices, {})).data,
    'hotdesk.createDevice': async (body) => (await connection.call(routes.createDevice, { body })).data,
    'hotdesk.forceLogout': async ({ mac }) => (await connection.call(routes.forceLogout, { params: { mac } })).data,
    'hotdesk.templates': async () => (await connection.call(routes.listTemplates, {})).data,
    'hotdesk.createTemplate': async (body) => (await connection.call(routes.createTemplate, { body })).data,
    'hotdesk.updateTemplate': async ({ id, etag, ...body }) =>
      (await connection.call(routes.updateTemplate, { params: { id: String(id) }, ifMatch: etag, body })).data,
    'hotdesk.setDefaultTemplate': async ({ id, etag }) =>
      (await connection.call(routes.setDefaultTemplate, { params: { id: String(id) }, ifMatch: etag })).data,
    'hotdesk.deleteTemplate': async ({ id, etag }) => {
      await connection.call(routes.deleteTemplate, { params: { id: String(id) }, ifMatch: etag });
      return { ok: true as const };
    },
    'hotdesk.createMapping': async (body) => (await connection.call(routes.createMapping, { body })).data,
    'hotdesk.updateMapping': async ({ number, etag, ...body }) =>
      (await connection.call(routes.updateMapping, { params: { number }, ifMatch: etag, body })).data,
    'hotdesk.deleteMapping': async ({ number, etag }) => {
      await connection.call(routes.deleteMapping, { params: { number }, ifMatch: etag });
      return { ok: true as const };
    },
    'hotdesk.sites': async () => (await connection.call(routes.listSiteHotDesk, {})).data,
    'hotdesk.setSite': async ({ siteId, etag, ...body }) =>
      (await connection.call(routes.setSiteHotDesk, { params: { siteId }, ifMatch: etag, body })).data,
    'hotdesk.passwords': async () => (await connection.call(routes.getHotDeskPasswords, {})).data,
    'admin.allowlist': async () => (await connection.call(routes.getAdminAllowlist, {})).data,
    'admin.setAllowlist': async ({ etag, ...body }) => (await connection.call(routes.setAdminAllowlist, { ifMatch: etag, body })).data,
    'accounts.list': async () => (await connection.call(routes.listAccounts, {})).data,
    'accounts.create': async ({ emails, ...rest }) => {
      const body = { ...rest, ...(emails !== undefined ? { emails: emailText(emails) } : {}) };
      return (await connection.call(routes.createAccount, { body })).data;
    },
    'accounts.update': async ({ username, etag, update }) => {
      const account = (
        await connection.call(routes.updateAccount, { params: { username }, ifMatch: etag, body: { ...update, emails: emailText(update.emails) } })
      ).data;
      if (account.you) await followOwnAccount(services, { username: account.username });
      return account;
    },
    'accounts.delete': async ({ username, etag }) => {
      await connection.call(routes.deleteAccount, { params: { username }, ifMatch: etag });
      return { ok: true as const };
    },
    'accounts.setPassword': async ({ username, ...body }) => {
      // your own password has its own route (receptionists change theirs too); another account's is for admins
      const own = connection.getStatus().username === username;
      const res = own
        ? (await connection.call(routes.setOwnPassword, { body })).data
        : (await connection.call(routes.setAccountPassword, { params: { username }, body })).data;
      if (res.account.you) await followOwnAccount(services, { password: body.password });
      return res;
    },
    'loginSettings.get': async () => (await connection.call(routes.getLoginSettings, {})).data,
    'loginSettings.set': async ({ etag, emails, ...rest }) => {
      const account = (await connection.call(routes.setLoginSettings, { ifMatch: etag, body: { ...rest, emails: emailText(emails) } })).data;
      await followOwnAccount(services, { username: account.username });
      return account;
    },
    'tokens.list': async () => (await connection.call(routes.listTokens, {})).data,
    'tokens.revoke': async (body) => (await connection.call(routes.revokeTokens, { body })).data,
    'passkeys.list': async () => (await connection.call(routes.listPasskeys, {})).data,
    'passkeys.delete': async (body) => (await connection.call(routes.deletePasskeys, { body })).data,
    'audit.list': async (query) => (await connection.call(routes.listAudit, { query })).data,
    'audit.verify': async () => (await connection.call(routes.verifyAudit, {})).data,
    'audit.export': async (query) => {
      const csv = (await connection.call(routes.exportAudit, { query })).data as unknown as string;
      return { csv, filename: `audit-${new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-')}.csv` };
    },
    'hotdesk.unlockPasswords': async () => (await connection.call(routes.unlockHotDeskPasswords, {})).data,
    'hotdesk.setPassword': async ({ kind, password }) =>
      (await connection.call(routes.setHotDeskPassword, { params: { kind }, body: { password } })).data,
  };
}

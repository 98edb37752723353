// The console RPC contract: channel → input/output schema. One router (main/rpc) validates every
// payload with these; two transports (Electron IPC, browser-mode bridge) carry them; the renderer
// calls them through a typed client. Secrets go one way only: the renderer may send a password it
// just typed, and never receives one back.
import { z } from 'zod';
import { ErrorBodySchema } from './errors.js';
import {
  BulkResetRequestSchema,
  BulkResetResponseSchema,
  CredentialUpdateSchema,
  DefaultPinSchema,
  ExtensionListQuerySchema,
  ExtensionListSchema,
  PinCheckRequestSchema,
  PinCheckResultSchema,
  PinPolicyListSchema,
  PinPolicyResourceSchema,
  ProtectionUpdateSchema,
  VoicemailTrustedUpdateSchema,
} from './api.js';
import { CredentialKindSchema, PinPolicySchema } from './pin-policy.js';
import { ExtensionCredentialKindSchema, ExtensionNumberSchema, ExtensionSchema, RoleSchema, SiteSchema } from './domain.js';
import { PbxEventSchema } from './events.js';
import {
  AddressBanListSchema,
  AddressBanSchema,
  AllowEntryRequestSchema,
  AllowEntrySchema,
  AllowListSchema,
  ExtensionLockListSchema,
  FailureHistogramSchema,
  LockCorrelationSchema,
  LockoutPolicyResourceSchema,
  LockoutPolicySchema,
  LockResetRequestSchema,
  LockResetResponseSchema,
  ManualBanRequestSchema,
  UnbanRequestSchema,
  UnbanResponseSchema,
} from './lockout.js';
import {
  DeviceCreateSchema,
  DeviceListSchema,
  DeviceSchema,
  HotDeskListSchema,
  HotDeskPasswordKindSchema,
  HotDeskPasswordMetaSchema,
  HotDeskPasswordsSchema,
  MacSchema,
  MappingCreateSchema,
  MappingSchema,
  MappingWriteSchema,
  SiteHotDeskListSchema,
  SiteHotDeskSchema,
  SiteHotDeskWriteSchema,
  TemplateCreateSchema,
  TemplateListSchema,
  TemplateSchema,
  TemplateUpdateSchema,
} from './hotdesk.js';
import { AuditListSchema, AuditQuerySchema, AuditVerifySchema } from './audit.js';
import { TokenListSchema, TokenRevokeRequestSchema, TokenRevokeResponseSchema } from './tokens.js';
import { PasskeyDeleteRequestSchema, PasskeyDeleteResponseSchema, PasskeyListSchema } from './passkeys.js';
import { AdminAllowlistSchema, AdminAllowlistWriteSchema } from './admin.js';
import {
  AccountCreateSchema,
  AccountListSchema,
  AccountSchema,
  AccountUpdateSchema,
  LoginSettingsWriteSchema,
  PasswordChangeResponseSchema,
  PasswordChangeSchema,
} from './accounts.js';
import { FindingViewSchema, ReviewFileInputSchema, ReviewInfoSchema, SectionDiffViewSchema } from './review.js';
export type { ReviewInfo } from './review.js';

export const RPC_PREFIX = 'warden:';

/** How a file reached the user: a download of the page (browser mode), saved by main (Electron), or not. */
export const DeliverySchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('download'), url: z.string() }),
  z.object({ kind: z.literal('saved'), path: z.string() }),
  z.object({ kind: z.literal('cancelled') }),
]);

// ---- profiles -------------------------------------------------------------------------------

export const TlsModeSchema = z.enum(['system', 'ca', 'pin']);

export const ProfileIdSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,63}$/, { message: 'a profile id is lowercase letters, digits and dashes' });

/** Loopback hosts: plain http to them never leaves this computer. */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

function parseUrl(s: string): URL | null {
  try {
    return new URL(s);
  } catch {
    return null;
  }
}

export const PbxUrlSchema = z
  .string()
  .max(2048)
  .superRefine((s, ctx) => {
    const u = parseUrl(s);
    if (!u || (u.protocol !== 'https:' && u.protocol !== 'http:') || u.hostname === '') {
      ctx.addIssue({ code: 'custom', message: 'enter an http:// or https:// address, e.g. https://pbx.example.com', params: { rule: 'url' } });
      return;
    }
    if (u.username || u.password) {
      ctx.addIssue({ code: 'custom', message: 'leave the user name and password out of the address', params: { rule: 'url' } });
    }
    if (u.protocol === 'http:' && !isLoopbackHost(u.hostname)) {
      ctx.addIssue({
        code: 'custom',
        message: 'use https:// for a PBX on another computer: plain http would send the admin password unencrypted',
        params: { rule: 'https_required' },
      });
    }
  });

export const ProfileSchema = z
  .object({
    id: ProfileIdSchema,
    name: z.string().trim().min(1, { message: 'enter a name' }).max(80, { message: 'a name is at most 80 characters' }),
    url: PbxUrlSchema,
    username: z
      .string()
      .min(1, { message: 'enter a username' })
      .max(64)
      .refine((s) => !s.includes('@'), { message: 'a username may not contain @', params: { rule: 'no_at' } }),
    /** "embedded" is the built-in Local PBX that npm start runs. */
    kind: z.enum(['embedded', 'remote']),
    tls: z
      .object({
        mode: TlsModeSchema,
        caFile: z.string().max(4096).optional(),
        /** SHA-256 fingerprint of the server certificate, hex with or without colons. */
        fingerprint: z
          .string()
          .regex(/^([0-9A-Fa-f]{2}:?){31}[0-9A-Fa-f]{2}$/, { message: 'a SHA-256 fingerprint is 32 hex bytes' })
          .optional(),
      })
      .strict()
      .default({ mode: 'system' })
      .refine((t) => t.mode !== 'ca' || !!t.caFile, { message: 'choose a CA file', path: ['caFile'], params: { rule: 'required' } })
      .refine((t) => t.mode !== 'pin' || !!t.fingerprint, {
        message: 'enter the certificate fingerprint', path: ['fingerprint'], params: { rule: 'required' },
      }),
  })
  .strict();
export type Profile = z.infer<typeof ProfileSchema>;

/** The profile file: versioned, validated on every read; never holds a secret. */
export const ProfilesFileSchema = z
  .object({
    schemaVersion: z.literal(1),
    profiles: z.array(ProfileSchema),
    lastProfileId: z.string().nullable().default(null),
  })
  .strict();
export type ProfilesFile = z.infer<typeof ProfilesFileSchema>;

export const ProfileViewSchema = ProfileSchema.extend({ hasSecret: z.boolean() });
export type ProfileView = z.infer<typeof ProfileViewSchema>;

// ---- secrets ---------------------------------------------------------------------------------

export const SecretsStatusSchema = z.object({
  backend: z.enum(['keychain', 'vault']),
  /** For the vault: none = not created yet, locked = needs the passphrase, unlocked = usable. */
  vault: z.enum(['none', 'locked', 'unlocked']),
  message: z.string(),
});
export type SecretsStatus = z.infer<typeof SecretsStatusSchema>;

export const PassphraseSchema = z
  .string()
  .min(10, { message: 'a vault passphrase is at least 10 characters' })
  .max(1024);

// ---- connection ------------------------------------------------------------------------------

export const ConnectionStatusSchema = z.object({
  state: z.enum(['disconnected', 'connecting', 'online', 'offline']),
  profileId: z.string().nullable(),
  username: z.string().nullable(),
  role: RoleSchema.nullable(),
  server: z.string().nullable(),
  message: z.string().nullable(),
  /** When offline: when the next retry happens (ms epoch). */
  retryAt: z.number().nullable(),
  /** When offline: what is wrong, for the banner's headline (the PBX unreachable, too slow, failing, or its certificate not trusted). */
  offlineReason: z.enum(['unreachable', 'slow', 'server_error', 'certificate']).nullable().optional(),
  /** The connected account has no password (SPEC F5: the console warns loudly on every screen). */
  noPassword: z.boolean(),
  /** Set while an exported file is reviewed (issue 7): the screens read the file, every write is refused (read_only). */
  review: ReviewInfoSchema.nullable().optional(),
});
export type ConnectionStatus = z.infer<typeof ConnectionStatusSchema>;

// ---- channels --------------------------------------------------------------------------------

const Empty = z.object({}).strict();
const Ok = z.object({ ok: z.literal(true) });
const NumberInput = z.object({ number: ExtensionNumberSchema }).strict();
const EtagSchema = z.string().min(1).max(100);

export const channels = {
  'app.info': {
    input: Empty,
    output: z.object({
      mode: z.enum(['electron', 'browser']),
      version: z.string(),
      embeddedUrl: z.string().nullable(),
      /** Native open/save dialogs and PDF printing (Electron). */
      desktop: z.boolean(),
    }),
  },
  'secrets.status': { input: Empty, output: SecretsStatusSchema },
  'secrets.createVault': { input: z.object({ passphrase: PassphraseSchema }).strict(), output: SecretsStatusSchema },
  'secrets.unlockVault': { input: z.object({ passphrase: z.string().min(1).max(1024) }).strict(), output: SecretsStatusSchema },
  'profiles.list': {
    input: Empty,
    output: z.object({ profiles: z.array(ProfileViewSchema), lastProfileId: z.string().nullable() }),
  },
  'profiles.save': {
    input: z
      .object({
        profile: ProfileSchema.omit({ id: true, kind: true }).extend({ id: ProfileIdSchema.optional() }),
        /** Typed by the user; goes to the keychain and is never sent back. */
        password: z.string().min(1).max(256).optional(),
      })
      .strict(),
    output: ProfileViewSchema,
  },
  'profiles.delete': { input: z.object({ id: ProfileIdSchema }).strict(), output: Ok },
  'connection.connect': {
    /** password '' = the account has no password (SPEC F5's insecure default); chosen explicitly on the Connect screen. */
    input: z.object({ profileId: ProfileIdSchema, password: z.string().max(256).optional() }).strict(),
    output: ConnectionStatusSchema,
  },
  'connection.disconnect': { input: Empty, output: ConnectionStatusSchema },
  'connection.status': { input: Empty, output: ConnectionStatusSchema },
  'sites.list': { input: Empty, output: z.object({ items: z.array(SiteSchema) }) },
  'extensions.list': { input: ExtensionListQuerySchema, output: ExtensionListSchema },
  /** Every extension, for the table's local index (fast filtering of 100k rows). */
  'extensions.all': { input: Empty, output: z.object({ items: z.array(ExtensionSchema), total: z.number() }) },
  'extensions.get': { input: NumberInput, output: ExtensionSchema },
  'protection.set': {
    input: z.object({ number: ExtensionNumberSchema, etag: EtagSchema, update: ProtectionUpdateSchema }).strict(),
    output: ExtensionSchema,
  },
  'protection.block': { input: NumberInput.extend({ etag: EtagSchema }).strict(), output: ExtensionSchema },
  'protection.unblock': { input: NumberInput.extend({ etag: EtagSchema }).strict(), output: ExtensionSchema },
  /** The PIN policy of every credential kind (for live rule feedback with the shared engine). */
  'policies.pin.list': { input: Empty, output: PinPolicyListSchema },
  /** Replace the PIN policy of one credential kind (admins; If-Match with the policy's etag). */
  'policies.pin.set': {
    input: z.object({ etag: EtagSchema, policy: PinPolicySchema }).strict(),
    output: PinPolicyResourceSchema,
  },
  /** Set a credential; the typed value goes to the PBX once and never comes back. */
  'credentials.set': {
    input: z
      .object({ number: ExtensionNumberSchema, etag: EtagSchema, kind: ExtensionCredentialKindSchema })
      .extend(CredentialUpdateSchema.shape)
      .strict(),
    output: ExtensionSchema,
  },
  /** Reset the voicemail PIN to the number's default (and unlock it). */
  'credentials.resetVoicemailPin': { input: NumberInput.extend({ etag: EtagSchema }).strict(), output: ExtensionSchema },
  /** The default voicemail PIN, for authorised roles to read out (audited on the PBX). */
  'credentials.defaultVoicemailPin': { input: NumberInput, output: DefaultPinSchema },
  /**
   * Reset the voicemail PIN of many numbers to their defaults in one PBX request (per-item results).
   * The renderer sends chunks, keeps one or two in flight and waits out 429 (error.retryAfterSeconds).
   */
  'credentials.bulkResetVoicemailPin': { input: BulkResetRequestSchema, output: BulkResetResponseSchema },
  /** Mark an extension trusted for voicemail (no PIN from its own phone), or not (admins; etag of the extension). */
  'credentials.setVoicemailTrusted': {
    input: NumberInput.extend({ etag: EtagSchema }).extend(VoicemailTrustedUpdateSchema.shape).strict(),
    output: ExtensionSchema,
  },
  /**
   * The policy tester: would this PIN pass the stored policy of `kind` (or a draft), optionally as if set on an
   * extension (history and default PIN then checked by the PBX)? Nothing is written; the PIN never comes back.
   */
  'policies.pin.check': {
    input: z.object({ kind: CredentialKindSchema }).extend(PinCheckRequestSchema.shape).strict(),
    output: PinCheckResultSchema,
  },
  // ---- lockouts (SPEC F3) ----
  /** Blacklisted extensions (rows of your sites). */
  'lockouts.extensions': { input: Empty, output: ExtensionLockListSchema },
  /** Reset extension lockouts: some (extension, optional credential) or all within your sites. */
  'lockouts.reset': { input: LockResetRequestSchema, output: LockResetResponseSchema },
  /** Blacklisted addresses (bans in force). */
  'lockouts.bans': { input: Empty, output: AddressBanListSchema },
  /** Block an address or CIDR block by hand (admins). */
  'lockouts.ban': { input: ManualBanRequestSchema, output: AddressBanSchema },
  /** Remove bans: some by id, or all. */
  'lockouts.unban': { input: UnbanRequestSchema, output: UnbanResponseSchema },
  'lockouts.allowlist': { input: Empty, output: AllowListSchema },
  'lockouts.allow': { input: AllowEntryRequestSchema, output: AllowEntrySchema },
  'lockouts.disallow': { input: z.object({ id: z.number().int().positive() }).strict(), output: Ok },
  /** Failed sign-ins per minute, last `hours` hours (admins). */
  'lockouts.histogram': {
    input: z.object({ hours: z.number().int().min(1).max(24).optional(), top: z.number().int().min(0).max(20).optional() }).strict(),
    output: FailureHistogramSchema,
  },
  /** Which addresses and user agents failed against one extension (admins). */
  'lockouts.correlation': { input: NumberInput, output: LockCorrelationSchema },
  'policies.lockout.get': { input: Empty, output: LockoutPolicyResourceSchema },
  'policies.lockout.set': { input: z.object({ etag: EtagSchema, policy: LockoutPolicySchema }).strict(), output: LockoutPolicyResourceSchema },
  // ---- hot desking (SPEC F4) ----
  /** The live hot-desk table (rows of your sites). */
  'hotdesk.list': { input: Empty, output: HotDeskListSchema },
  /** Phones known to the PBX (of your sites). */
  'hotdesk.devices': { input: Empty, output: DeviceListSchema },
  /** Provision a phone (admins). */
  'hotdesk.createDevice': { input: DeviceCreateSchema, output: DeviceSchema },
  /** Log a phone out (staff of the logged-in extension's site). */
  'hotdesk.forceLogout': { input: z.object({ mac: MacSchema }).strict(), output: DeviceSchema },
  'hotdesk.templates': { input: Empty, output: TemplateListSchema },
  'hotdesk.createTemplate': { input: TemplateCreateSchema, output: TemplateSchema },
  'hotdesk.updateTemplate': {
    input: z.object({ id: z.number().int().positive(), etag: EtagSchema }).extend(TemplateUpdateSchema.shape).strict(),
    output: TemplateSchema,
  },
  /** Make a template its brand's default (etag of that template); answers every template after the change. */
  'hotdesk.setDefaultTemplate': { input: z.object({ id: z.number().int().positive(), etag: EtagSchema }).strict(), output: TemplateListSchema },
  'hotdesk.deleteTemplate': { input: z.object({ id: z.number().int().positive(), etag: EtagSchema }).strict(), output: Ok },
  'hotdesk.createMapping': { input: MappingCreateSchema, output: MappingSchema },
  'hotdesk.updateMapping': {
    input: NumberInput.extend({ etag: EtagSchema }).extend(MappingWriteSchema.shape).strict(),
    output: MappingSchema,
  },
  'hotdesk.deleteMapping': { input: NumberInput.extend({ etag: EtagSchema }).strict(), output: Ok },
  'hotdesk.sites': { input: Empty, output: SiteHotDeskListSchema },
  'hotdesk.setSite': {
    input: z.object({ siteId: z.string(), etag: EtagSchema }).extend(SiteHotDeskWriteSchema.shape).strict(),
    output: SiteHotDeskSchema,
  },
  /** Whether the global hot-desk passwords are set (never their values). */
  'hotdesk.passwords': { input: Empty, output: HotDeskPasswordsSchema },
  /** Lift the shared hot-desk passwords' lock (admins). */
  'hotdesk.unlockPasswords': { input: Empty, output: HotDeskPasswordsSchema },
  /** Set a global hot-desk password (the renderer sends what was just typed; nothing comes back but the metadata). */
  'hotdesk.setPassword': {
    input: z.object({ kind: HotDeskPasswordKindSchema, password: z.string().max(64) }).strict(),
    output: HotDeskPasswordMetaSchema,
  },
  // ---- admin allowlist (issue 6) ----
  'admin.allowlist': { input: Empty, output: AdminAllowlistSchema },
  'admin.setAllowlist': { input: z.object({ etag: EtagSchema }).extend(AdminAllowlistWriteSchema.shape).strict(), output: AdminAllowlistSchema },
  // ---- accounts and login settings (issue 6) ----
  /** Every admin and receptionist account (admins; never a password or hash). */
  'accounts.list': { input: Empty, output: AccountListSchema },
  /** Create an account (admins without a site limit); emails as one `;`-separated text. */
  'accounts.create': { input: AccountCreateSchema, output: AccountSchema },
  /** Replace an account's settings (If-Match with its etag); update.username renames it. */
  'accounts.update': {
    input: z.object({ username: z.string().min(1).max(256), etag: EtagSchema, update: AccountUpdateSchema }).strict(),
    output: AccountSchema,
  },
  'accounts.delete': { input: z.object({ username: z.string().min(1).max(256), etag: EtagSchema }).strict(), output: Ok },
  /** Set a password (your own with currentPassword); every other session of that account is signed out. */
  'accounts.setPassword': {
    input: z.object({ username: z.string().min(1).max(256) }).extend(PasswordChangeSchema.shape).strict(),
    output: PasswordChangeResponseSchema,
  },
  /** The console account's own login settings. */
  'loginSettings.get': { input: Empty, output: AccountSchema },
  'loginSettings.set': { input: z.object({ etag: EtagSchema }).extend(LoginSettingsWriteSchema.shape).strict(), output: AccountSchema },
  // ---- tokens (issue 6) ----
  /** The console account's login tokens on the PBX (never their values). */
  'tokens.list': { input: Empty, output: TokenListSchema },
  /** Revoke some, or all but the console's own ("sign out everywhere else"). */
  'tokens.revoke': { input: TokenRevokeRequestSchema, output: TokenRevokeResponseSchema },
  // ---- passkeys (issue 6) ----
  /** The console account's passkeys on the PBX (registered on the PBX's /login page; never a key). */
  'passkeys.list': { input: Empty, output: PasskeyListSchema },
  /** Delete some of them (ids from the list); unusable at once. */
  'passkeys.delete': { input: PasskeyDeleteRequestSchema, output: PasskeyDeleteResponseSchema },
  // ---- audit log (issue 6) ----
  /** A page of the audit log, newest first (admins). */
  'audit.list': {
    input: z.object({
      limit: z.number().int().min(1).max(1000).optional(),
      cursor: z.number().int().positive().optional(),
      actor: AuditQuerySchema.shape.actor,
      action: AuditQuerySchema.shape.action,
      from: AuditQuerySchema.shape.from,
      to: AuditQuerySchema.shape.to,
    }).strict(),
    output: AuditListSchema,
  },
  /** Check the hash chain: ok with the head hash, or where it breaks. */
  'audit.verify': { input: Empty, output: AuditVerifySchema },
  /** The rows matching the filters as CSV text (the renderer saves it as a file). */
  'audit.export': {
    input: z.object({ actor: AuditQuerySchema.shape.actor, action: AuditQuerySchema.shape.action, from: AuditQuerySchema.shape.from, to: AuditQuerySchema.shape.to }).strict(),
    output: z.object({ csv: z.string(), filename: z.string() }),
  },
  // ---- review of an exported config (issue 7) ----
  /** Send a file in chunks (base64, ≤ 600 KiB of bytes each); the first call omits uploadId and gets one. */
  'review.upload': {
    input: z.object({ uploadId: z.string().regex(/^[0-9a-f]{32}$/).optional(), base64: z.string().min(1).max(900_000) }).strict(),
    output: z.object({ uploadId: z.string(), received: z.number().int() }),
  },
  /** Open a file for a read-only review (disconnects from the PBX first); answers the review's status. */
  'review.open': { input: ReviewFileInputSchema, output: ConnectionStatusSchema },
  /** Close the review (back to the Connect screen). */
  'review.close': { input: Empty, output: ConnectionStatusSchema },
  'review.status': { input: Empty, output: z.object({ review: ReviewInfoSchema.nullable() }) },
  /** The findings of the open file (SPEC F6), with their CSV. */
  'review.findings': {
    input: Empty,
    output: z.object({ findings: z.array(FindingViewSchema), csv: z.string(), filename: z.string() }),
  },
  /** Compare the open file with a second export (what changed from the other to this one). */
  'review.compare': {
    input: ReviewFileInputSchema,
    output: z.object({ other: ReviewInfoSchema, sections: z.array(SectionDiffViewSchema) }),
  },
  /**
   * Export the connected PBX's configuration (admins without a site limit) as a file the renderer saves:
   * plain JSON, or — with a passphrase — the encrypted envelope. The passphrase is used once and never answered.
   */
  'config.export': {
    input: z
      .object({
        passphrase: z
          .string()
          .min(10, { message: 'an export passphrase is at least 10 characters (or leave it empty for a plain file)' })
          .max(1024, { message: 'an export passphrase is at most 1024 characters' })
          .optional(),
      })
      .strict(),
    output: z.object({ filename: z.string(), encrypted: z.boolean(), bytes: z.number().int(), delivery: DeliverySchema }),
  },
  /**
   * Electron: save the console window as a PDF (the print stylesheet applies) where a native save dialog says.
   * Browser mode answers not_supported (the page prints with the browser's own "Save as PDF").
   */
  'report.savePdf': {
    input: z
      .object({
        filename: z
          .string()
          .min(1, { message: 'a file name is required' })
          .max(120, { message: 'a file name is at most 120 characters' })
          // eslint-disable-next-line no-control-regex -- control characters are what the rule refuses
          .regex(/^[^/\\\u0000-\u001f]+\.pdf$/, { message: 'a file name ending in .pdf, without / or \\' }),
      })
      .strict(),
    output: z.object({ delivery: DeliverySchema }),
  },
  /**
   * Electron: choose an export with a native open dialog; main reads it (size checked first) into an upload,
   * which review.open / review.compare then take by its id. null: cancelled. Browser mode: not_supported.
   */
  'review.pick': {
    input: Empty,
    output: z.object({ file: z.object({ fileName: z.string(), uploadId: z.string(), bytes: z.number().int() }).nullable() }),
  },
  /** The findings (SPEC F6) of the connected PBX, from a fresh export, by the same rules as a review. */
  'findings.live': {
    input: Empty,
    output: z.object({
      findings: z.array(FindingViewSchema),
      csv: z.string(),
      filename: z.string(),
      pbx: z.string(),
      checkedAt: z.string(),
    }),
  },
} as const;

export type Channel = keyof typeof channels;
export type ChannelInput<C extends Channel> = z.input<(typeof channels)[C]['input']>;
export type ChannelOutput<C extends Channel> = z.output<(typeof channels)[C]['output']>;

export type Envelope<T> = { ok: true; value: T } | { ok: false; error: z.infer<typeof ErrorBodySchema> };

/** Events pushed from main to the renderer. */
export const ConsoleEventSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('pbx'), event: PbxEventSchema }),
  z.object({ kind: z.literal('connection'), status: ConnectionStatusSchema }),
]);
export type ConsoleEvent = z.infer<typeof ConsoleEventSchema>;

/** What the preload (Electron) or the bridge client (browser mode) exposes to the renderer. */
export interface WardenApi {
  call<C extends Channel>(channel: C, input: ChannelInput<C>): Promise<Envelope<ChannelOutput<C>>>;
  onEvent(listener: (event: ConsoleEvent) => void): () => void;
}

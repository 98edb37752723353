// Issue 7 / SPEC F6 — the exported configuration of one PBX: a versioned JSON document with every setting of
// the product and no secret (no value, no hash; metadata such as "PIN is default", "set at", "compliant when
// set" is kept). Opened by the console for an offline review (never written back to a PBX). The sections reuse
// the API's resource schemas, so a review shows the same things the live screens do.
//
// Compatibility: `format` + `version` name the document. A reader accepts exactly the versions it knows and
// refuses any other with a clear message; a new version adds a reader, never changes an old one.
import { z } from 'zod';
import { AccountSchema } from './accounts.js';
import { AuditVerifySchema } from './audit.js';
import { ExtensionSchema, SiteSchema } from './domain.js';
import { DeviceSchema, HotDeskPasswordsSchema, MappingSchema, SiteHotDeskSchema, TemplateSchema } from './hotdesk.js';
import { AddressBanSchema, AllowEntrySchema, ExtensionLockSchema, LockoutPolicyResourceSchema } from './lockout.js';
import { PasskeySchema } from './passkeys.js';
import { CredentialKindSchema, PinPolicySchema, PinPresetSchema } from './pin-policy.js';
import { TokenSchema } from './tokens.js';

export const EXPORT_FORMAT = 'pbx-warden-export';
export const EXPORT_VERSION = 1;

/** Hard limits of a file the console opens (a hostile file is refused before it is parsed in full). */
export const EXPORT_LIMITS = {
  /** Bytes of the file as read (a 100,000-extension export is ~80 MB of JSON at most). */
  maxBytes: 256 * 1024 * 1024,
  /** Nesting depth of the JSON text. */
  maxDepth: 32,
  extensions: 1_000_000,
  rows: 1_000_000,
} as const;

/** A login token row of any account, as exported: never the token, no "current" (there is no caller). */
export const ExportTokenSchema = TokenSchema.omit({ current: true }).meta({ id: 'ExportToken' });
/** An account as exported: no "you" (there is no caller), no ETag. */
export const ExportAccountSchema = AccountSchema.omit({ you: true, etag: true }).meta({ id: 'ExportAccount' });

/** A PIN policy as exported (the API's PinPolicyResource without its ETag; defined here: api.ts imports this file). */
export const ExportPinPolicySchema = z
  .object({
    kind: CredentialKindSchema,
    policy: PinPolicySchema,
    preset: PinPresetSchema.nullable(),
    version: z.number().int().positive(),
    updatedAt: z.string().nullable(),
    updatedBy: z.string().nullable(),
  })
  .meta({ id: 'ExportPinPolicy' });

export const AuditSummarySchema = z
  .object({
    rows: z.number().int().nonnegative(),
    firstAt: z.string().nullable(),
    lastAt: z.string().nullable(),
    /** The chain check at export time (the head hash anchors the log). */
    verify: AuditVerifySchema,
    /** Rows per action, most frequent first. */
    byAction: z.array(z.object({ action: z.string(), count: z.number().int().nonnegative() })),
  })
  .meta({ id: 'AuditSummary' });

export const PbxExportSchema = z
  .object({
    format: z.literal(EXPORT_FORMAT),
    version: z.literal(EXPORT_VERSION),
    exportedAt: z.string(),
    exportedBy: z.string(),
    pbx: z.object({ name: z.string(), version: z.string() }),
    sites: z.array(SiteSchema),
    /** With protection state and credential metadata; never a secret or a hash. */
    extensions: z.array(ExtensionSchema).max(EXPORT_LIMITS.extensions),
    policies: z.object({ pin: z.array(ExportPinPolicySchema), lockout: LockoutPolicyResourceSchema }),
    lockouts: z.object({
      extensions: z.array(ExtensionLockSchema).max(EXPORT_LIMITS.rows),
      addresses: z.array(AddressBanSchema).max(EXPORT_LIMITS.rows),
      /** Addresses never banned automatically (the lockout allowlist). */
      allowlist: z.array(AllowEntrySchema),
    }),
    /** The admin allowlist (management API); empty = every address. */
    adminAllowlist: z.object({ entries: z.array(z.string()), updatedAt: z.string().nullable(), updatedBy: z.string().nullable() }),
    hotdesk: z.object({
      devices: z.array(DeviceSchema).max(EXPORT_LIMITS.rows),
      templates: z.array(TemplateSchema),
      mappings: z.array(MappingSchema).max(EXPORT_LIMITS.rows),
      sites: z.array(SiteHotDeskSchema),
      /** Whether the global hot-desk passwords are set, when and by whom; never the values. */
      passwords: HotDeskPasswordsSchema,
    }),
    /** Admin and receptionist accounts: settings, no password, no hash. */
    accounts: z.array(ExportAccountSchema),
    /** Login tokens of every account (no token values) and passkeys (no keys). */
    tokens: z.array(ExportTokenSchema).max(EXPORT_LIMITS.rows),
    passkeys: z.array(PasskeySchema).max(EXPORT_LIMITS.rows),
    audit: AuditSummarySchema,
  })
  .strict()
  .meta({ id: 'PbxExport' });
export type PbxExport = z.infer<typeof PbxExportSchema>;

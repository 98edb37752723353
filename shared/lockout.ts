// SPEC F3 — lockouts and blacklists: the contract shared by the reference PBX, the console's main process
// and its renderer. Schemas only (and the defaults); the engine lives in server/lockout.ts, address and CIDR
// parsing in shared/cidr.ts.
import { z } from 'zod';

/** The device-side credentials a failure is counted against (one extension counter each). */
export const LockCredentials = ['registration', 'phone_login', 'voicemail', 'keypad'] as const;
export const LockCredentialSchema = z.enum(LockCredentials);
export type LockCredential = z.infer<typeof LockCredentialSchema>;

export const LOCK_CREDENTIAL_LABEL: Record<LockCredential, string> = {
  registration: 'Phone registration',
  phone_login: 'Phone login',
  voicemail: 'Voicemail',
  keypad: '*11 keypad',
};

const seconds = (min: number, max: number, what: string) =>
  z
    .number({ message: `${what} must be a number of seconds` })
    .int({ message: `${what} must be a whole number of seconds` })
    .min(min, { message: `${what} must be at least ${min} seconds` })
    .max(max, { message: `${what} must be at most ${max} seconds` });

const count = (min: number, max: number, what: string) =>
  z
    .number({ message: `${what} must be a number` })
    .int({ message: `${what} must be a whole number` })
    .min(min, { message: `${what} must be at least ${min}` })
    .max(max, { message: `${what} must be at most ${max}` });

/** The lockout policy (SPEC F3 defaults in DEFAULT_LOCKOUT_POLICY). */
export const LockoutPolicySchema = z
  .object({
    extension: z
      .object({
        /** Failures within the window that lock the extension's credential. */
        threshold: count(1, 100, 'extension.threshold'),
        windowSeconds: seconds(10, 86_400, 'extension.windowSeconds'),
        /** How long a temporary lock lasts (from the locking failure). */
        lockSeconds: seconds(10, 604_800, 'extension.lockSeconds'),
      })
      .strict(),
    address: z
      .object({
        threshold: count(1, 1000, 'address.threshold'),
        windowSeconds: seconds(10, 86_400, 'address.windowSeconds'),
        /** How long an automatic ban lasts, from the LAST failure. */
        banSeconds: seconds(10, 604_800, 'address.banSeconds'),
      })
      .strict(),
    /** This many temporary locks of one extension credential within permanentWindowSeconds → permanent. 0 = never. */
    permanentAfterLocks: count(0, 100, 'permanentAfterLocks'),
    permanentWindowSeconds: seconds(60, 2_592_000, 'permanentWindowSeconds'),
  })
  .strict()
  .meta({ id: 'LockoutPolicy' });
export type LockoutPolicy = z.infer<typeof LockoutPolicySchema>;

export const DEFAULT_LOCKOUT_POLICY: LockoutPolicy = {
  extension: { threshold: 5, windowSeconds: 600, lockSeconds: 600 },
  address: { threshold: 10, windowSeconds: 600, banSeconds: 600 },
  permanentAfterLocks: 3,
  permanentWindowSeconds: 86_400,
};

export const LockoutPolicyResourceSchema = z
  .object({
    policy: LockoutPolicySchema,
    version: z.number().int().positive(),
    etag: z.string(),
    updatedAt: z.string().nullable(),
    updatedBy: z.string().nullable(),
  })
  .meta({ id: 'LockoutPolicyResource' });
export type LockoutPolicyResource = z.infer<typeof LockoutPolicyResourceSchema>;

/** A row of "blacklisted extensions": one extension credential with failures or a lock. */
export const ExtensionLockSchema = z
  .object({
    extension: z.string(),
    /** The extension's name and site (for the dashboard and site scoping). */
    label: z.string(),
    siteId: z.string(),
    credential: LockCredentialSchema,
    /** Locked now (temporary and not expired, or permanent). */
    blocked: z.boolean(),
    permanent: z.boolean(),
    /** Failures in the current window (0 after a success or a reset). */
    failures: z.number().int(),
    /** The policy's threshold: the "maximum failure count". */
    maxFailures: z.number().int(),
    lastFailureAt: z.string().nullable(),
    lastAddress: z.string().nullable(),
    lastUserAgent: z.string().nullable(),
    lockedAt: z.string().nullable(),
    /** When a temporary lock ends; null when not locked or permanent. */
    lockedUntil: z.string().nullable(),
    /** Temporary locks within the permanent window (toward permanentAfterLocks). */
    recentLocks: z.number().int(),
  })
  .meta({ id: 'ExtensionLock' });
export type ExtensionLock = z.infer<typeof ExtensionLockSchema>;

export const ExtensionLockListSchema = z.object({ items: z.array(ExtensionLockSchema) }).meta({ id: 'ExtensionLockList' });

/** An address or CIDR block text, e.g. 192.0.2.7, 198.51.100.0/24, 2001:db8::/32 (checked by shared/cidr.ts). */
export const CidrTextSchema = z.string().min(1, { message: 'enter an address or a CIDR block' }).max(64, { message: 'at most 64 characters' });

/** A row of "blacklisted addresses". */
export const AddressBanSchema = z
  .object({
    id: z.number().int(),
    /** Normalised address or CIDR (e.g. 2001:db8::/32). */
    cidr: z.string(),
    addedBy: z.enum(['auto', 'manual']),
    /** auto: "10 failed sign-ins in 10 minutes"; manual: the admin's description. */
    reason: z.string(),
    /** Requests refused because of this ban. */
    hits: z.number().int(),
    createdAt: z.string(),
    /** The admin who added it (manual), or "lockout engine" (auto). */
    createdBy: z.string(),
    /** null = until removed. */
    expiresAt: z.string().nullable(),
    lastHitAt: z.string().nullable(),
  })
  .meta({ id: 'AddressBan' });
export type AddressBan = z.infer<typeof AddressBanSchema>;

export const AddressBanListSchema = z.object({ items: z.array(AddressBanSchema) }).meta({ id: 'AddressBanList' });

export const ManualBanRequestSchema = z
  .object({
    cidr: CidrTextSchema,
    description: z.string().trim().min(1, { message: 'say why (a short description)' }).max(200, { message: 'at most 200 characters' }),
    /** Seconds from now; omitted or null = until removed. */
    durationSeconds: z.number().int().min(60).max(31_536_000).nullable().optional(),
  })
  .strict()
  .meta({ id: 'ManualBanRequest' });
export type ManualBanRequest = z.infer<typeof ManualBanRequestSchema>;

/**
 * Exactly one of `ids` / `all: true` (an object with a check rather than a union, so that a bad body gets an
 * error naming its field instead of "no union member matched").
 */
function exactlyOne(what: string) {
  return (v: { all?: true | undefined } & Record<string, unknown>, ctx: z.RefinementCtx) => {
    const listed = v[what] !== undefined;
    if (listed === (v.all === true)) {
      ctx.addIssue({ code: 'custom', path: [what], params: { rule: 'one_of' }, message: `give either ${what} or all: true (one of them)` });
    }
  };
}

/** Unban some bans (by id) or all of them. */
export const UnbanRequestSchema = z
  .object({
    ids: z.array(z.number().int().positive()).min(1, { message: 'list at least one ban id' }).max(10_000).optional(),
    all: z.literal(true, { message: 'all must be true (or left out)' }).optional(),
  })
  .strict()
  .superRefine(exactlyOne('ids'))
  .meta({ id: 'UnbanRequest' });
export type UnbanRequest = z.infer<typeof UnbanRequestSchema>;

/** Reset some extension locks (an extension, optionally one credential) or all of them (within your sites). */
export const LockResetRequestSchema = z
  .object({
    items: z
      .array(
        z
          .object({
            extension: z.string().regex(/^[0-9]{2,10}$/, { message: 'an extension number is 2 to 10 digits' }),
            credential: LockCredentialSchema.optional(),
          })
          .strict(),
      )
      .min(1, { message: 'list at least one extension' })
      .max(10_000)
      .optional(),
    all: z.literal(true, { message: 'all must be true (or left out)' }).optional(),
  })
  .strict()
  .superRefine(exactlyOne('items'))
  .meta({ id: 'LockResetRequest' });
export type LockResetRequest = z.infer<typeof LockResetRequestSchema>;

export const AllowEntrySchema = z
  .object({ id: z.number().int(), cidr: z.string(), description: z.string(), createdAt: z.string(), createdBy: z.string() })
  .meta({ id: 'AllowEntry' });
export type AllowEntry = z.infer<typeof AllowEntrySchema>;

export const AllowEntryRequestSchema = z
  .object({ cidr: CidrTextSchema, description: z.string().trim().max(200).default('') })
  .strict()
  .meta({ id: 'AllowEntryRequest' });

export const AllowListSchema = z.object({ items: z.array(AllowEntrySchema) }).meta({ id: 'AllowList' });

/** Failed attempts per minute over the last 24 h, for the chart (buckets oldest first). */
export const FailureHistogramSchema = z
  .object({
    from: z.string(),
    bucketSeconds: z.literal(60),
    /** Every minute of the range, 0 included. */
    total: z.array(z.number().int()),
    /** The busiest extensions and addresses, each with its own per-minute series. */
    byExtension: z.array(z.object({ extension: z.string(), counts: z.array(z.number().int()) })),
    byAddress: z.array(z.object({ address: z.string(), counts: z.array(z.number().int()) })),
  })
  .meta({ id: 'FailureHistogram' });

/** For one extension: which addresses and user agents failed (the correlated view). */
export const LockCorrelationSchema = z
  .object({
    extension: z.string(),
    rows: z.array(
      z.object({
        address: z.string(),
        userAgent: z.string().nullable(),
        credential: LockCredentialSchema,
        failures: z.number().int(),
        firstAt: z.string(),
        lastAt: z.string(),
        /** That address is banned now. */
        banned: z.boolean(),
      }),
    ),
  })
  .meta({ id: 'LockCorrelation' });
export type LockCorrelation = z.infer<typeof LockCorrelationSchema>;
export type FailureHistogram = z.infer<typeof FailureHistogramSchema>;
export type AllowEntryRequest = z.input<typeof AllowEntryRequestSchema>;

/** After a reset: how many extension credentials were reset, and their rows now. */
export const LockResetResponseSchema = z
  .object({ reset: z.number().int(), items: z.array(ExtensionLockSchema) })
  .meta({ id: 'LockResetResponse' });
export type LockResetResponse = z.infer<typeof LockResetResponseSchema>;

/** After an unban: how many bans were removed, and which (as they were). */
export const UnbanResponseSchema = z
  .object({ removed: z.number().int(), items: z.array(AddressBanSchema) })
  .meta({ id: 'UnbanResponse' });
export type UnbanResponse = z.infer<typeof UnbanResponseSchema>;

export const AllowEntryParamsSchema = z.object({ id: z.coerce.number().int().positive() }).strict();

/** The failure histogram's query: the last `hours` hours (default 24), the `top` busiest series (default 5). */
export const FailureHistogramQuerySchema = z
  .object({
    hours: z.coerce.number().int().min(1).max(24).default(24),
    top: z.coerce.number().int().min(0).max(20).default(5),
  })
  .strict();

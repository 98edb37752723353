// Domain model shared by the reference PBX, the console and (later) the export format.
// zod schemas are the single source; TypeScript types are inferred from them.
import { z } from 'zod';
import { PROTECTION_PASSWORD_MAX, PROTECTION_PASSWORD_MIN, protectionPasswordProblems } from './protection.js';

export const ExtensionTypes = ['phone_terminal', 'queue', 'ivr', 'conference', 'fax'] as const;
export const ExtensionTypeSchema = z.enum(ExtensionTypes);
export type ExtensionType = z.infer<typeof ExtensionTypeSchema>;

export const EXTENSION_TYPE_LABEL: Record<ExtensionType, string> = {
  phone_terminal: 'Phone terminal',
  queue: 'Queue',
  ivr: 'IVR',
  conference: 'Conference',
  fax: 'Fax',
};

export const ExtensionNumberSchema = z
  .string()
  .regex(/^[0-9]{2,10}$/, { message: 'an extension number is 2 to 10 digits' });

export const SiteIdSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,39}$/, { message: 'a site id is 1–40 lowercase letters, digits or dashes' });

export const SiteSchema = z
  .object({
    id: SiteIdSchema,
    name: z.string().min(1).max(80),
    extensionCount: z.number().int().nonnegative(),
  })
  .meta({ id: 'Site' });
export type Site = z.infer<typeof SiteSchema>;

export const ProtectionStateSchema = z.enum(['unrestricted', 'blocked']);

export const ChangeSourceSchema = z.enum(['console', 'api', 'keypad', 'system']);
export type ChangeSource = z.infer<typeof ChangeSourceSchema>;

export const ProtectionSchema = z
  .object({
    /** "Protected phone access active" */
    enabled: z.boolean(),
    state: ProtectionStateSchema,
    /** Whether a protection password is stored (the password itself never leaves the server). */
    passwordSet: z.boolean(),
    changedAt: z.string().nullable(),
    /** Admin name, or "keypad". */
    changedBy: z.string().nullable(),
    changedFrom: z.string().nullable(),
  })
  .meta({ id: 'Protection' });
export type Protection = z.infer<typeof ProtectionSchema>;

/** Metadata of one stored credential; never the value or its hash. */
export const CredentialMetaSchema = z
  .object({
    set: z.boolean(),
    /** The value is the number's default PIN (to be replaced at first sign-in). */
    isDefault: z.boolean(),
    setAt: z.string().nullable(),
    /** Compliant with the policy in force when it was set (null: never set). */
    compliant: z.boolean().nullable(),
    /**
     * Meets the kind's CURRENT policy, as far as the PBX can tell without the value: true = it was set under
     * a policy at least as strict as today's; false = it did not meet the policy when set; null = not known
     * (set under an older policy that was looser in some rule), or not asked (a default PIN, nothing set).
     * Optional: older servers do not send it.
     */
    meetsCurrentPolicy: z.boolean().nullable().optional(),
  })
  .meta({ id: 'CredentialMeta' });
export type CredentialMeta = z.infer<typeof CredentialMetaSchema>;

/** The credentials of an extension that are set through /credentials/{kind} (protection has its own route). */
export const ExtensionCredentialKinds = ['voicemail_pin', 'login_code', 'phone_password', 'user_password'] as const;
export const ExtensionCredentialKindSchema = z.enum(ExtensionCredentialKinds);
export type ExtensionCredentialKind = z.infer<typeof ExtensionCredentialKindSchema>;

export const ExtensionCredentialsSchema = z
  .object({
    voicemail_pin: CredentialMetaSchema,
    login_code: CredentialMetaSchema,
    phone_password: CredentialMetaSchema,
    user_password: CredentialMetaSchema,
  })
  .meta({ id: 'ExtensionCredentials' });
export type ExtensionCredentials = z.infer<typeof ExtensionCredentialsSchema>;

export const CallDecisionSchema = z.enum(['ring', 'voicemail', 'rejected']);

// shared/export-fast.ts checks exported extensions by hand against exactly this schema (the export reader's fast
// path): a change here goes there too (test/unit/export-fast.test.ts compares the two).
export const ExtensionSchema = z
  .object({
    number: ExtensionNumberSchema,
    label: z.string(),
    siteId: z.string(),
    type: ExtensionTypeSchema,
    status: z.enum(['active', 'inactive']),
    voicemail: z.boolean(),
    protection: ProtectionSchema,
    /** Derived: what happens to an incoming call now. */
    incomingCalls: CallDecisionSchema,
    /** Credential metadata per kind (SPEC F2). Always sent by the reference PBX; optional for older servers. */
    credentials: ExtensionCredentialsSchema.optional(),
    /**
     * Trusted extension (SPEC F2): a call from this extension to its own mailbox signs in without the
     * voicemail PIN. Off by default and after deactivation. Always sent by the reference PBX; optional for
     * older servers (absent = not trusted).
     */
    voicemailTrusted: z.boolean().optional(),
    version: z.number().int().positive(),
    etag: z.string(),
  })
  .meta({ id: 'Extension' });
export type Extension = z.infer<typeof ExtensionSchema>;

export const ProtectionPasswordSchema = z
  .string()
  .max(64, { message: 'the protection password must be at most 12 digits' })
  .superRefine((value, ctx) => {
    for (const p of protectionPasswordProblems(value)) ctx.addIssue({ code: 'custom', message: p.message, params: { rule: p.rule } });
  })
  .meta({
    description: `Digits only, ${PROTECTION_PASSWORD_MIN} to ${PROTECTION_PASSWORD_MAX} of them`,
    pattern: `^[0-9]{${PROTECTION_PASSWORD_MIN},${PROTECTION_PASSWORD_MAX}}$`,
    minLength: PROTECTION_PASSWORD_MIN,
    maxLength: PROTECTION_PASSWORD_MAX,
  });

export const RoleSchema = z.enum(['admin', 'receptionist']);
export type Role = z.infer<typeof RoleSchema>;

export function etagFor(version: number): string {
  return `"v${version}"`;
}

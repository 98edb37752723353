// Issue 6 / SPEC F5 — admin accounts and their login settings: username (case-sensitive, no "@"), password
// (argon2id; "no password" only as the documented insecure default, and then a warning everywhere), role and
// site scope, admin email addresses separated by ";", the API access flag (HTTP Basic) and how long a login
// token stays valid.
import { z } from 'zod';
import { RoleSchema, SiteIdSchema, SiteSchema } from './domain.js';

export const USERNAME_MAX = 64;

/** Why a username is refused (null = fine; the message does not name the field). Case-sensitive: "Admin" and "admin" are two accounts. */
export function usernameProblem(raw: string): { rule: string; message: string } | null {
  if (raw.length === 0) return { rule: 'required', message: 'enter a username' };
  if (raw.length > USERNAME_MAX) return { rule: 'max', message: `at most ${USERNAME_MAX} characters` };
  if (raw.includes('@')) {
    return { rule: 'no_at', message: 'may not contain "@" (an address with "@" is an extension or email, not an admin account)' };
  }
  if (raw.trim() !== raw) return { rule: 'no_edge_spaces', message: 'may not start or end with a space' };
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f:]/.test(raw)) {
    return { rule: 'characters', message: 'may not contain ":" or control characters (HTTP Basic splits on ":")' };
  }
  return null;
}

export const UsernameSchema = z.string().superRefine((s, ctx) => {
  const p = usernameProblem(s);
  if (p) ctx.addIssue({ code: 'custom', message: p.message, params: { rule: p.rule } });
});

export const USERNAME_PARAM = z.object({ username: z.string().min(1).max(256) }).strict();

/** Admin passwords: at least this long (argon2id hashed; never shown again). */
export const ADMIN_PASSWORD_MIN = 10;
export const ADMIN_PASSWORD_MAX = 256;

export function adminPasswordProblem(pw: string, username: string): { rule: string; message: string } | null {
  if (pw.length < ADMIN_PASSWORD_MIN) return { rule: 'min', message: `password: at least ${ADMIN_PASSWORD_MIN} characters` };
  if (pw.length > ADMIN_PASSWORD_MAX) return { rule: 'max', message: `password: at most ${ADMIN_PASSWORD_MAX} characters` };
  if (pw.trim() === '') return { rule: 'not_blank', message: 'password: may not be only spaces' };
  if (username && pw.toLowerCase().includes(username.toLowerCase())) {
    return { rule: 'not_username', message: 'password: may not contain the username' };
  }
  return null;
}

// ---- admin email addresses, separated by ";" -------------------------------------------------------

export const EMAILS_MAX = 20;

/**
 * One address: `local@domain`, or with a display name `Name With Spaces <local@domain>` (the name may be
 * quoted). Deliberately stricter than RFC 5322 (no comments, no quoted local parts): what mail servers accept.
 */
export type EmailParse = { ok: true; address: string; name: string | null; text: string } | { ok: false; message: string };

const LOCAL_RE = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const LABEL_RE = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

export function parseEmail(raw: string): EmailParse {
  const text = raw.trim();
  if (text === '') return { ok: false, message: 'is empty' };
  let name: string | null = null;
  let addr = text;
  const m = /^(.*?)\s*<([^<>]*)>$/.exec(text);
  if (m) {
    name = (m[1] as string).trim();
    if (name.startsWith('"') && name.endsWith('"') && name.length >= 2) name = name.slice(1, -1).trim();
    if (/[<>"]/.test(name)) return { ok: false, message: `“${text}”: the name may not contain <, > or "` };
    if (name === '') name = null;
    addr = (m[2] as string).trim();
  } else if (/[<>]/.test(text)) {
    return { ok: false, message: `“${text}”: write a name as Name <address@example.com>` };
  }
  if (/\s/.test(addr)) return { ok: false, message: `“${addr}”: an address has no spaces (a name goes before <address>)` };
  const at = addr.lastIndexOf('@');
  if (at <= 0 || at === addr.length - 1) return { ok: false, message: `“${addr}”: not an email address (local@domain)` };
  const local = addr.slice(0, at);
  const domain = addr.slice(at + 1);
  if (local.length > 64 || !LOCAL_RE.test(local)) return { ok: false, message: `“${addr}”: the part before @ is not valid` };
  if (addr.length > 254) return { ok: false, message: `“${addr}”: longer than 254 characters` };
  const labels = domain.split('.');
  if (labels.length < 2 || !labels.every((l) => LABEL_RE.test(l)) || /^[0-9]+$/.test(labels[labels.length - 1] as string)) {
    return { ok: false, message: `“${addr}”: the domain after @ is not valid (e.g. example.com)` };
  }
  const address = `${local}@${domain.toLowerCase()}`;
  return { ok: true, address, name, text: name ? `${name} <${address}>` : address };
}

/**
 * The `;`-separated list as typed → its addresses (normalised texts), or the problems with their position.
 * Empty entries (a trailing ";", ";;") are ignored; duplicates (same address) are dropped.
 */
export function parseEmailList(raw: string): { ok: true; emails: string[] } | { ok: false; problems: string[] } {
  const parts = raw.split(';').map((p) => p.trim()).filter((p) => p !== '');
  const problems: string[] = [];
  const emails: string[] = [];
  const seen = new Set<string>();
  parts.forEach((p, i) => {
    const r = parseEmail(p);
    if (!r.ok) problems.push(`entry ${i + 1}: ${r.message}`);
    else if (!seen.has(r.address)) {
      seen.add(r.address);
      emails.push(r.text);
    }
  });
  if (!problems.length && emails.length > EMAILS_MAX) problems.push(`at most ${EMAILS_MAX} addresses`);
  return problems.length ? { ok: false, problems } : { ok: true, emails };
}

/** The emails field: the `;`-separated text, validated; the parsed list is what is stored. */
export const EmailListSchema = z
  .string()
  .max(4000, { message: 'at most 4000 characters' })
  .transform((s, ctx) => {
    const r = parseEmailList(s);
    if (!r.ok) {
      for (const p of r.problems) ctx.addIssue({ code: 'custom', message: p, params: { rule: 'email' } });
      return z.NEVER;
    }
    return r.emails;
  });

// ---- token validity --------------------------------------------------------------------------------

export const TOKEN_VALIDITY_MIN_MINUTES = 5;
export const TOKEN_VALIDITY_MAX_MINUTES = 30 * 24 * 60;
export const TOKEN_VALIDITY_DEFAULT_MINUTES = 12 * 60;

export const TokenValiditySchema = z
  .number({ message: 'a whole number of minutes' })
  .int({ message: 'a whole number of minutes' })
  .min(TOKEN_VALIDITY_MIN_MINUTES, { message: `at least ${TOKEN_VALIDITY_MIN_MINUTES} minutes` })
  .max(TOKEN_VALIDITY_MAX_MINUTES, { message: `at most ${TOKEN_VALIDITY_MAX_MINUTES} minutes (30 days)` });

// ---- resources --------------------------------------------------------------------------------------

/** Warnings the console shows wherever the account appears (today: no password). */
export const AccountWarningSchema = z.enum(['no_password', 'basic_without_allowlist']);
export type AccountWarning = z.infer<typeof AccountWarningSchema>;

export const ACCOUNT_WARNING_TEXT: Record<AccountWarning, string> = {
  no_password:
    'has no password: anyone who can reach the PBX can sign in with this username and an empty password. Set one now.',
  basic_without_allowlist:
    'has API access (HTTP Basic) while the admin allowlist is empty: the password works from every address.',
};

export const AccountSchema = z
  .object({
    username: z.string(),
    role: RoleSchema,
    /** The sites this account may see and act on; null = every site. */
    sites: z.array(SiteIdSchema).nullable(),
    hasPassword: z.boolean(),
    passwordSetAt: z.string().nullable(),
    emails: z.array(z.string()),
    apiAccess: z.boolean(),
    tokenValidityMinutes: z.number().int(),
    passkeys: z.number().int(),
    createdAt: z.string(),
    updatedAt: z.string().nullable(),
    updatedBy: z.string().nullable(),
    warnings: z.array(AccountWarningSchema),
    /** The account this request was made with. */
    you: z.boolean(),
    etag: z.string(),
  })
  .meta({ id: 'Account' });
export type Account = z.infer<typeof AccountSchema>;

export const AccountListSchema = z
  .object({
    items: z.array(AccountSchema),
    total: z.number().int(),
    /** Every site, by id and name (an account's sites are shown by name, also to an admin limited to others). */
    sites: z.array(SiteSchema),
  })
  .meta({ id: 'AccountList' });

const SitesField = z
  .array(SiteIdSchema)
  .max(200)
  .nullable()
  .describe('null or [] = every site');

/** The password of a new account, or of a password change: a string, or null with confirmNoPassword. */
const PasswordField = z.string().max(ADMIN_PASSWORD_MAX, { message: `at most ${ADMIN_PASSWORD_MAX} characters` }).nullable();

export const AccountCreateSchema = z
  .object({
    username: UsernameSchema,
    password: PasswordField,
    /** Required with password null: "no password" is the documented insecure default, never an accident. */
    confirmNoPassword: z.literal(true).optional(),
    role: RoleSchema,
    sites: SitesField.optional(),
    emails: EmailListSchema.optional(),
    apiAccess: z.boolean().optional(),
    tokenValidityMinutes: TokenValiditySchema.optional(),
  })
  .strict()
  .meta({ id: 'AccountCreate' });
export type AccountCreate = z.input<typeof AccountCreateSchema>;

/** Replace an account's settings (not its password). A new username renames it (sessions and passkeys follow). */
export const AccountUpdateSchema = z
  .object({
    username: UsernameSchema,
    role: RoleSchema,
    sites: SitesField,
    emails: EmailListSchema,
    apiAccess: z.boolean(),
    tokenValidityMinutes: TokenValiditySchema,
  })
  .strict()
  .meta({ id: 'AccountUpdate' });
export type AccountUpdate = z.input<typeof AccountUpdateSchema>;

/**
 * Your own login settings: like AccountUpdate without role and sites (an account cannot raise itself). A new
 * username needs the current password (while the account has one): a stolen session alone cannot rename the
 * account away from its owner.
 */
export const LoginSettingsWriteSchema = AccountUpdateSchema.omit({ role: true, sites: true })
  .extend({ currentPassword: z.string().max(ADMIN_PASSWORD_MAX).optional() })
  .strict()
  .meta({ id: 'LoginSettingsWrite' });
export type LoginSettingsWrite = z.input<typeof LoginSettingsWriteSchema>;

export const PasswordChangeSchema = z
  .object({
    password: PasswordField,
    confirmNoPassword: z.literal(true).optional(),
    /** Your own password: the current one (not needed while you have none). */
    currentPassword: z.string().max(ADMIN_PASSWORD_MAX).optional(),
  })
  .strict()
  .meta({ id: 'PasswordChange' });
export type PasswordChange = z.input<typeof PasswordChangeSchema>;

export const PasswordChangeResponseSchema = z
  .object({ account: AccountSchema, signedOut: z.number().int() })
  .meta({ id: 'PasswordChangeResponse' });

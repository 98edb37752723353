// SPEC F4 — hot desking and extension mapping (Sangoma EPM semantics): the contract shared by the reference
// PBX, the console's main process and its renderer. Phones (devices) are known by their MAC; templates hold a
// brand's provisioning settings, exactly one of them the brand's default; an extension mapping says which
// template an extension gets (on one phone, or — with a blank MAC — on any phone); sites say where their
// phones find the PBX (internal / external address) and when logged-in phones are logged out by themselves.
import { z } from 'zod';
import { parseAddress } from './cidr.js';
import { ExtensionNumberSchema, SiteIdSchema } from './domain.js';

// ---- brands ---------------------------------------------------------------------------------

export const PhoneBrands = ['yealink', 'digium', 'polycom', 'aastra', 'snom'] as const;
export const PhoneBrandSchema = z.enum(PhoneBrands, { message: `brand must be one of ${PhoneBrands.join(', ')}` });
export type PhoneBrand = z.infer<typeof PhoneBrandSchema>;

/** A brand's name, and whether its phones must reboot to load a new configuration (SPEC F4). */
export const BRAND_INFO: Readonly<Record<PhoneBrand, { label: string; needsReboot: boolean }>> = {
  yealink: { label: 'Yealink', needsReboot: true },
  digium: { label: 'Digium', needsReboot: true },
  polycom: { label: 'Poly', needsReboot: true },
  aastra: { label: 'Aastra', needsReboot: false },
  snom: { label: 'Snom', needsReboot: false },
};

// ---- MAC addresses --------------------------------------------------------------------------

export interface MacProblem {
  rule: 'mac_format' | 'mac_unicast' | 'mac_reserved';
  message: string;
}

/**
 * A MAC address in one form: six upper-case hex pairs joined by colons (00:15:65:AB:CD:EF). Accepts colons,
 * dashes, Cisco dots (0015.65ab.cdef) or none; any case; surrounding spaces.
 */
export function parseMac(input: string): { mac: string } | { problem: MacProblem } {
  const s = input.trim();
  const groups =
    /^[0-9a-fA-F]{12}$/.test(s) ? [s]
    : /^([0-9a-fA-F]{2}[:]){5}[0-9a-fA-F]{2}$/.test(s) ? s.split(':')
    : /^([0-9a-fA-F]{2}[-]){5}[0-9a-fA-F]{2}$/.test(s) ? s.split('-')
    : /^([0-9a-fA-F]{4}[.]){2}[0-9a-fA-F]{4}$/.test(s) ? s.split('.')
    : null;
  if (!groups) {
    return {
      problem: {
        rule: 'mac_format',
        message: 'a MAC address is 12 hex digits, e.g. 00:15:65:AB:CD:EF (colons, dashes or none)',
      },
    };
  }
  const hex = groups.join('').toUpperCase();
  const mac = hex.match(/../g)!.join(':');
  if (hex === '000000000000' || hex === 'FFFFFFFFFFFF') {
    return { problem: { rule: 'mac_reserved', message: `${mac} is not a phone's address (all zeros or broadcast)` } };
  }
  if ((parseInt(hex.slice(0, 2), 16) & 1) === 1) {
    return { problem: { rule: 'mac_unicast', message: `${mac} is a multicast address; a phone's MAC has an even first byte` } };
  }
  return { mac };
}

/** The normal form of a valid MAC, or null. */
export function normaliseMac(input: string): string | null {
  const r = parseMac(input);
  return 'mac' in r ? r.mac : null;
}

/** A MAC in any accepted form (the PBX stores and answers the normal form). */
export const MacSchema = z
  .string({ message: 'mac must be a text' })
  .max(32, { message: 'a MAC address is 12 hex digits' })
  .superRefine((s, ctx) => {
    const r = parseMac(s);
    if ('problem' in r) ctx.addIssue({ code: 'custom', message: r.problem.message, params: { rule: r.problem.rule } });
  })
  .meta({ description: 'MAC address, e.g. 00:15:65:AB:CD:EF (also 001565abcdef, 00-15-65-ab-cd-ef, 0015.65ab.cdef)' });

export const MacParamsSchema = z.object({ mac: MacSchema }).strict();

// ---- devices --------------------------------------------------------------------------------

export const DeviceStates = ['logged_out', 'logged_in', 'needs_reboot'] as const;
export const DeviceStateSchema = z.enum(DeviceStates);
export type DeviceState = z.infer<typeof DeviceStateSchema>;

export const DEVICE_STATE_LABEL: Record<DeviceState, string> = {
  logged_out: 'Logged out',
  logged_in: 'Logged in',
  needs_reboot: 'Needs reboot',
};

const text = (what: string, max: number) =>
  z
    .string({ message: `${what} must be a text` })
    .trim()
    .min(1, { message: `enter ${what}` })
    .max(max, { message: `${what} is at most ${max} characters` });

export const DeviceSchema = z
  .object({
    mac: z.string(),
    brand: PhoneBrandSchema,
    model: z.string(),
    firmware: z.string(),
    siteId: z.string(),
    /** The address the phone last called the PBX from, and when. */
    lastSeenAddress: z.string().nullable(),
    lastSeenAt: z.string().nullable(),
    state: DeviceStateSchema,
    /** The extension logged in on it (logged in or needs reboot), else null. */
    extension: z.string().nullable(),
    /** The template it was configured with at login. */
    templateId: z.number().int().nullable(),
    /** Since when it is in its state. */
    since: z.string().nullable(),
    /** The last thing the user did on it (login, reboot, a key press or call) — for the idle auto-logout. */
    lastActivityAt: z.string().nullable(),
  })
  .meta({ id: 'Device' });
export type Device = z.infer<typeof DeviceSchema>;

export const DeviceListSchema = z.object({ items: z.array(DeviceSchema) }).meta({ id: 'DeviceList' });

export const DeviceCreateSchema = z
  .object({
    mac: MacSchema,
    brand: PhoneBrandSchema,
    model: text('model', 40),
    firmware: z.string().trim().max(40, { message: 'firmware is at most 40 characters' }).default(''),
    siteId: SiteIdSchema,
  })
  .strict()
  .meta({ id: 'DeviceCreate' });
export type DeviceCreate = z.infer<typeof DeviceCreateSchema>;

// ---- templates ------------------------------------------------------------------------------

/** A template setting's name; a template has at most MAX_TEMPLATE_SETTINGS, each value at most MAX_SETTING_VALUE characters. */
export const SETTING_NAME = /^[a-z][a-z0-9_.]{0,63}$/;
export const MAX_TEMPLATE_SETTINGS = 100;
export const MAX_SETTING_VALUE = 256;

export const TemplateSettingsSchema = z
  .record(
    z.string(),
    z.string({ message: 'a setting value must be a text' }).max(MAX_SETTING_VALUE, { message: `a setting value is at most ${MAX_SETTING_VALUE} characters` }),
  )
  .superRefine((r, ctx) => {
    const keys = Object.keys(r);
    if (keys.length > MAX_TEMPLATE_SETTINGS) ctx.addIssue({ code: 'custom', message: `a template has at most ${MAX_TEMPLATE_SETTINGS} settings`, params: { rule: 'max_settings' } });
    for (const k of keys) {
      if (!SETTING_NAME.test(k)) {
        ctx.addIssue({
          code: 'custom', path: [k], params: { rule: 'setting_name' },
          message: `"${k.slice(0, 70)}" is not a setting name: use lowercase letters, digits, dots and underscores, starting with a letter`,
        });
      }
    }
  })
  .meta({ description: 'Provisioning settings the phone loads at login (name → value)' });

export const TemplateSchema = z
  .object({
    id: z.number().int(),
    brand: PhoneBrandSchema,
    name: z.string(),
    settings: z.record(z.string(), z.string()),
    isDefault: z.boolean(),
    /** How many extension mappings use it. */
    mappings: z.number().int().nonnegative(),
    updatedAt: z.string(),
    updatedBy: z.string().nullable(),
    etag: z.string(),
  })
  .meta({ id: 'Template' });
export type Template = z.infer<typeof TemplateSchema>;

export const TemplateListSchema = z.object({ items: z.array(TemplateSchema) }).meta({ id: 'TemplateList' });

export const TemplateCreateSchema = z
  .object({
    brand: PhoneBrandSchema,
    name: text('name', 60),
    settings: TemplateSettingsSchema.default({}),
    /** Make it the brand's default at once (the old default stops being one in the same transaction). */
    isDefault: z.boolean().default(false),
  })
  .strict()
  .meta({ id: 'TemplateCreate' });

export const TemplateUpdateSchema = z
  .object({ name: text('name', 60), settings: TemplateSettingsSchema })
  .strict()
  .meta({ id: 'TemplateUpdate' });

export const TemplateParamsSchema = z.object({ id: z.coerce.number().int().positive() }).strict();

// ---- extension mappings ---------------------------------------------------------------------

export const MappingSchema = z
  .object({
    extension: z.string(),
    templateId: z.number().int(),
    /** Only on this phone; null = on any phone the extension logs in on (SPEC F4). */
    mac: z.string().nullable(),
    updatedAt: z.string(),
    updatedBy: z.string().nullable(),
    etag: z.string(),
  })
  .meta({ id: 'Mapping' });
export type Mapping = z.infer<typeof MappingSchema>;

export const MappingWriteSchema = z
  .object({
    templateId: z.number({ message: 'templateId must be a number' }).int().positive(),
    /** Blank or null: the template is forced on any phone the extension logs in on. */
    mac: z.union([MacSchema, z.literal(''), z.null()]).default(null),
  })
  .strict()
  .meta({ id: 'MappingWrite' });
export type MappingWrite = z.input<typeof MappingWriteSchema>;

export const MappingCreateSchema = MappingWriteSchema.extend({ extension: ExtensionNumberSchema })
  .strict()
  .meta({ id: 'MappingCreate' });

// ---- the live hot-desk table ----------------------------------------------------------------

export const TemplateRefSchema = z.object({ id: z.number().int(), name: z.string(), brand: PhoneBrandSchema });

/**
 * One row of the console's hot-desk table: an extension that has a mapping or is logged in on a phone.
 * `state` is the phone's (logged out when on none); `template` is what the phone got at login, else what the
 * mapping says.
 */
export const HotDeskRowSchema = z
  .object({
    extension: z.string(),
    label: z.string(),
    siteId: z.string(),
    state: DeviceStateSchema,
    since: z.string().nullable(),
    device: z
      .object({
        mac: z.string(),
        brand: PhoneBrandSchema,
        model: z.string(),
        siteId: z.string(),
        address: z.string().nullable(),
      })
      .nullable(),
    template: TemplateRefSchema.nullable(),
    mapping: MappingSchema.nullable(),
  })
  .meta({ id: 'HotDeskRow' });
export type HotDeskRow = z.infer<typeof HotDeskRowSchema>;

export const HotDeskListSchema = z.object({ items: z.array(HotDeskRowSchema) }).meta({ id: 'HotDeskList' });

// ---- site settings --------------------------------------------------------------------------

const PBX_ADDRESS_SHAPE =
  /^(\[[0-9a-fA-F:.]+\]|[0-9]{1,3}(\.[0-9]{1,3}){3}|[a-zA-Z0-9]([a-zA-Z0-9-]{0,62}[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,62}[a-zA-Z0-9])?)*)(:[0-9]{1,5})?$/;

/** Why `value` is not a PBX address for a phone (host name, IPv4 or [IPv6], optional :port), or null. */
export function pbxAddressProblem(value: string): string | null {
  const shape = 'enter a host name or IP address, optionally with :port (e.g. 10.1.0.10 or pbx.example.com:5061)';
  if (!PBX_ADDRESS_SHAPE.test(value)) return shape;
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(value);
  const host = bracket ? (bracket[1] as string) : value.replace(/:\d+$/, '');
  const port = bracket ? bracket[2] : /:(\d+)$/.exec(value)?.[1];
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) return `port ${port} is not a port (1 to 65535)`;
  if (bracket && !(parseAddress(host).ok && host.includes(':'))) return `${host} is not an IPv6 address`;
  if (!bracket && /^[0-9.]+$/.test(host) && !parseAddress(host).ok) return `${host} is not an IPv4 address (each part 0 to 255)`;
  return null;
}

/** A host name or an IPv4/IPv6 address, with an optional port: where a phone finds the PBX. */
export const PbxAddressSchema = z
  .string({ message: 'an address must be a text' })
  .trim()
  .max(255, { message: 'an address is at most 255 characters' })
  .superRefine((v, ctx) => {
    const problem = pbxAddressProblem(v);
    if (problem) ctx.addIssue({ code: 'custom', message: problem, params: { rule: 'address' } });
  });

const TIME_RE = /^([01][0-9]|2[0-3]):[0-5][0-9]$/;

/** Whether a time zone name is known to this runtime (IANA, e.g. Europe/Berlin). */
export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

export const AutoLogoutSchema = z
  .object({
    /** Log a phone out after this many minutes without use; null = never. */
    idleMinutes: z
      .number({ message: 'autoLogout.idleMinutes must be a number of minutes or empty' })
      .int({ message: 'autoLogout.idleMinutes must be a whole number of minutes' })
      .min(5, { message: 'autoLogout.idleMinutes must be at least 5 minutes' })
      .max(10_080, { message: 'autoLogout.idleMinutes must be at most 10080 minutes (a week)' })
      .nullable(),
    /** Log every phone of the site out daily at this local time (HH:MM, 24 h); null = never. */
    dailyAt: z.string().regex(TIME_RE, { message: 'autoLogout.dailyAt must be a time like 23:30 (24-hour HH:MM)' }).nullable(),
    /** The site's time zone for dailyAt (IANA name). */
    timeZone: z
      .string()
      .max(64)
      .refine(isTimeZone, { message: 'autoLogout.timeZone must be a time zone name like Europe/Berlin or UTC' }),
  })
  .strict();
export type AutoLogout = z.infer<typeof AutoLogoutSchema>;

export const SiteHotDeskWriteSchema = z
  .object({
    /** Where the site's phones reach the PBX on the local network (the Login app's "Internal"). */
    internalAddress: PbxAddressSchema.nullable(),
    /** Where phones reach it from outside (the Login app's "External"). */
    externalAddress: PbxAddressSchema.nullable(),
    autoLogout: AutoLogoutSchema,
  })
  .strict()
  .meta({ id: 'SiteHotDeskWrite' });
export type SiteHotDeskWrite = z.infer<typeof SiteHotDeskWriteSchema>;

export const SiteHotDeskSchema = z
  .object({
    siteId: z.string(),
    siteName: z.string(),
    internalAddress: z.string().nullable(),
    externalAddress: z.string().nullable(),
    autoLogout: z.object({ idleMinutes: z.number().int().nullable(), dailyAt: z.string().nullable(), timeZone: z.string() }),
    updatedAt: z.string().nullable(),
    updatedBy: z.string().nullable(),
    etag: z.string(),
  })
  .meta({ id: 'SiteHotDesk' });
export type SiteHotDesk = z.infer<typeof SiteHotDeskSchema>;

export const SiteHotDeskListSchema = z.object({ items: z.array(SiteHotDeskSchema) }).meta({ id: 'SiteHotDeskList' });

export const SiteParamsSchema = z.object({ siteId: SiteIdSchema }).strict();

// ---- global hot-desk passwords --------------------------------------------------------------

/**
 * The two global hot-desk passwords (SPEC F4): the user password logs in an extension that has no voicemail
 * box; the admin password logs in any extension. Typed on a phone keypad, so the login-code policy applies.
 */
export const HotDeskPasswordKinds = ['user', 'admin'] as const;
export const HotDeskPasswordKindSchema = z.enum(HotDeskPasswordKinds);
export type HotDeskPasswordKind = z.infer<typeof HotDeskPasswordKindSchema>;

export const HOTDESK_PASSWORD_LABEL: Record<HotDeskPasswordKind, string> = {
  user: 'User password',
  admin: 'Admin password',
};

export const HotDeskPasswordParamsSchema = z.object({ kind: HotDeskPasswordKindSchema }).strict();

/** The rule id of "the user and admin passwords must differ" (decided by the PBX: it keeps hashes only). */
export const HOTDESK_PASSWORDS_DIFFER_RULE = 'differs';

export const HotDeskPasswordWriteSchema = z
  .object({ password: z.string().max(31, { message: 'password is at most 31 digits' }) })
  .strict()
  .meta({ id: 'HotDeskPasswordWrite' });

export const HotDeskPasswordMetaSchema = z.object({
  kind: HotDeskPasswordKindSchema,
  set: z.boolean(),
  setAt: z.string().nullable(),
  setBy: z.string().nullable(),
});
export type HotDeskPasswordMeta = z.infer<typeof HotDeskPasswordMetaSchema>;

/**
 * The global passwords are master keys (the admin one opens every extension), so besides the per-extension and
 * per-address counters they have a counter of their own: this many failed hot-desk logins in the window, from
 * anywhere and on any extension, and neither shared password is accepted until the lock ends (or an admin
 * lifts it, or sets a new password). Mailbox PINs keep working.
 */
export const SHARED_PASSWORD_LOCK = { threshold: 20, windowMinutes: 10, lockMinutes: 15 } as const;

/** Whatever the login-code policy allows, a shared hot-desk password has at least this many digits. */
export const HOTDESK_PASSWORD_MIN_LENGTH = 6;
export const HOTDESK_PASSWORD_MIN_RULE = 'hotdesk_min_length';

/** The floor every global hot-desk password must meet (the login-code policy applies on top), or null. */
export function hotDeskPasswordFloor(value: string): { rule: string; message: string } | null {
  if (value.length < HOTDESK_PASSWORD_MIN_LENGTH) {
    return {
      rule: HOTDESK_PASSWORD_MIN_RULE,
      message: `a hot-desk password is at least ${HOTDESK_PASSWORD_MIN_LENGTH} digits (it opens shared phones)`,
    };
  }
  return null;
}

export const SharedPasswordLockSchema = z.object({
  /** While set and in the future, neither shared password is accepted. */
  lockedUntil: z.string().nullable(),
  /** Failed hot-desk logins in the current window. */
  failures: z.number().int().nonnegative(),
  threshold: z.number().int(),
  windowMinutes: z.number().int(),
  lockMinutes: z.number().int(),
});
export type SharedPasswordLock = z.infer<typeof SharedPasswordLockSchema>;

export const HotDeskPasswordsSchema = z
  .object({ user: HotDeskPasswordMetaSchema, admin: HotDeskPasswordMetaSchema, sharedLock: SharedPasswordLockSchema })
  .meta({ id: 'HotDeskPasswords' });
export type HotDeskPasswords = z.infer<typeof HotDeskPasswordsSchema>;

// ---- device side (the phone's Login app) ----------------------------------------------------

export const NetworkSchema = z.enum(['internal', 'external'], { message: 'network must be internal or external' });
export type Network = z.infer<typeof NetworkSchema>;

export const DeviceMacRequestSchema = z.object({ mac: MacSchema }).strict().meta({ id: 'DeviceMacRequest' });

/** What the phone shows: the login screen, "needs reboot", or ready (logged in). */
export const PhoneScreenSchema = z.enum(['login', 'needs_reboot', 'ready']);

export const DeviceStatusSchema = z
  .object({
    mac: z.string(),
    state: DeviceStateSchema,
    screen: PhoneScreenSchema,
    /** The Login app's choices: the site's internal and external PBX addresses (the ones set). */
    networks: z.array(z.object({ network: NetworkSchema, address: z.string() })),
    /** While logged in (to the phone that logged in only). */
    extension: z.string().nullable(),
  })
  .meta({ id: 'DeviceStatus' });

export const HotDeskLoginRequestSchema = z
  .object({
    mac: MacSchema,
    network: NetworkSchema,
    extension: ExtensionNumberSchema,
    password: z.string().max(31, { message: 'password is at most 31 digits' }),
  })
  .strict()
  .meta({ id: 'HotDeskLoginRequest' });

export const DeviceConfigSchema = z
  .object({
    state: DeviceStateSchema,
    screen: PhoneScreenSchema,
    extension: z.string(),
    /** The PBX address the phone registers with (from the network it chose). */
    server: z.string(),
    template: z.object({ id: z.number().int(), name: z.string(), settings: z.record(z.string(), z.string()) }).nullable(),
  })
  .meta({ id: 'DeviceConfig' });

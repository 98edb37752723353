// The management API and device API contract of the reference PBX.
// The server registers its handlers from this table and validates with these schemas; the OpenAPI
// document is generated from it (shared/openapi.ts), so the document is the code.
import { z } from 'zod';
import {
  CallDecisionSchema,
  ExtensionCredentialKindSchema,
  ExtensionNumberSchema,
  ExtensionSchema,
  ExtensionTypeSchema,
  ProtectionPasswordSchema,
  ProtectionStateSchema,
  RoleSchema,
  SiteIdSchema,
  type Role,
  SiteSchema,
} from './domain.js';
import { CredentialKindSchema, PinPolicySchema, PinPresetSchema, PinRuleIdSchema } from './pin-policy.js';
import {
  AddressBanListSchema,
  AddressBanSchema,
  AllowEntryParamsSchema,
  AllowEntryRequestSchema,
  AllowEntrySchema,
  AllowListSchema,
  ExtensionLockListSchema,
  FailureHistogramQuerySchema,
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
  DeviceConfigSchema,
  DeviceCreateSchema,
  DeviceListSchema,
  DeviceMacRequestSchema,
  DeviceSchema,
  DeviceStatusSchema,
  HotDeskListSchema,
  HotDeskLoginRequestSchema,
  HotDeskPasswordMetaSchema,
  HotDeskPasswordParamsSchema,
  HotDeskPasswordsSchema,
  HotDeskPasswordWriteSchema,
  MacParamsSchema,
  MappingCreateSchema,
  MappingSchema,
  MappingWriteSchema,
  SiteHotDeskListSchema,
  SiteHotDeskSchema,
  SiteHotDeskWriteSchema,
  SiteParamsSchema,
  TemplateCreateSchema,
  TemplateListSchema,
  TemplateParamsSchema,
  TemplateSchema,
  TemplateUpdateSchema,
} from './hotdesk.js';
import { AuditListSchema, AuditQuerySchema, AuditVerifySchema } from './audit.js';
import { TokenListSchema, TokenRevokeRequestSchema, TokenRevokeResponseSchema } from './tokens.js';
import { PbxExportSchema } from './export.js';
import { AdminAllowlistSchema, AdminAllowlistWriteSchema } from './admin.js';
import {
  AccountCreateSchema,
  AccountListSchema,
  AccountSchema,
  AccountUpdateSchema,
  LoginSettingsWriteSchema,
  PasswordChangeResponseSchema,
  PasswordChangeSchema,
  USERNAME_PARAM,
} from './accounts.js';
import {
  PasskeyDeleteRequestSchema,
  PasskeyDeleteResponseSchema,
  PasskeyListSchema,
  PasskeyLoginOptionsRequestSchema,
  PasskeyLoginRequestSchema,
  PasskeyRegistrationOptionsRequestSchema,
  PasskeyRegistrationRequestSchema,
  PasskeySchema,
  WebAuthnOptionsSchema,
} from './passkeys.js';

export const API_BASE = '/api/v1';
export const DEVICE_BASE = '/device/v1';

// ---- bodies and responses -------------------------------------------------------------------

export const SessionRequestSchema = z
  .object({
    username: z.string().min(1, { message: 'enter a username' }).max(64),
    password: z.string().max(256),
  })
  .strict()
  .meta({ id: 'SessionRequest' });

export const SessionResponseSchema = z
  .object({
    token: z.string(),
    expiresAt: z.string(),
    role: RoleSchema,
    username: z.string(),
    /** The account has no password (the documented insecure default): the console warns everywhere. */
    noPassword: z.boolean(),
  })
  .meta({ id: 'Session' });

export const WhoAmISchema = z
  .object({
    username: z.string(),
    role: RoleSchema,
    expiresAt: z.string(),
    server: z.string(),
    /** The account has no password (the documented insecure default): the console warns everywhere. */
    noPassword: z.boolean(),
    /** How this request was authenticated: a session token, or HTTP Basic (API access). */
    via: z.enum(['token', 'basic']),
  })
  .meta({ id: 'WhoAmI' });

export const ProtectionFilterSchema = z.enum(['any', 'off', 'on', 'unrestricted', 'blocked']);
export const ExtensionSortSchema = z.enum(['number', '-number', 'label', '-label', 'site', '-site']);

export const ExtensionListQuerySchema = z
  .object({
    limit: z.coerce.number().int().min(1).max(1000).default(100),
    cursor: z.string().max(200).optional(),
    sort: ExtensionSortSchema.default('number'),
    search: z.string().max(100).optional(),
    site: SiteIdSchema.optional(),
    type: ExtensionTypeSchema.optional(),
    protection: ProtectionFilterSchema.default('any'),
  })
  .strict();
export type ExtensionListQuery = z.input<typeof ExtensionListQuerySchema>;

export const ExtensionListSchema = z
  .object({ items: z.array(ExtensionSchema), total: z.number().int(), nextCursor: z.string().nullable() })
  .meta({ id: 'ExtensionList' });
export type ExtensionList = z.infer<typeof ExtensionListSchema>;

export const SiteListSchema = z.object({ items: z.array(SiteSchema), total: z.number().int() });

export const NumberParamsSchema = z.object({ number: ExtensionNumberSchema }).strict();

export const ProtectionUpdateSchema = z
  .object({
    enabled: z.boolean(),
    /** Required when enabling an extension that has no protection password yet; optional otherwise. */
    password: ProtectionPasswordSchema.optional(),
  })
  .strict()
  .meta({ id: 'ProtectionUpdate' });
export type ProtectionUpdate = z.infer<typeof ProtectionUpdateSchema>;

export const KeypadRequestSchema = z
  .object({
    extension: ExtensionNumberSchema,
    /** The feature code dialled, e.g. "*11". */
    code: z.string().regex(/^\*[0-9]{1,4}$/, { message: 'a feature code is * followed by 1–4 digits' }),
    /** Digits entered after the feature code. */
    digits: z.string().regex(/^[0-9]{0,32}$/, { message: 'digits are 0–32 digits' }),
  })
  .strict()
  .meta({ id: 'KeypadRequest' });

export const KeypadResponseSchema = z
  .object({ result: z.literal('ok'), state: ProtectionStateSchema, announcement: z.string() })
  .meta({ id: 'KeypadResponse' });

export const CallRouteRequestSchema = z
  .object({
    to: ExtensionNumberSchema,
    from: ExtensionNumberSchema.optional(),
  })
  .strict()
  .meta({ id: 'CallRouteRequest' });

export const CallRouteResponseSchema = z
  .object({ decision: CallDecisionSchema, reason: z.string() })
  .meta({ id: 'CallRouteResponse' });

// ---- PIN policies and credentials (SPEC F2) ----------------------------------------------------

export const PinPolicyResourceSchema = z
  .object({
    kind: CredentialKindSchema,
    policy: PinPolicySchema,
    /** The preset the policy equals, or null for a custom policy. */
    preset: PinPresetSchema.nullable(),
    version: z.number().int().positive(),
    etag: z.string(),
    updatedAt: z.string().nullable(),
    updatedBy: z.string().nullable(),
  })
  .meta({ id: 'PinPolicyResource' });
export type PinPolicyResource = z.infer<typeof PinPolicyResourceSchema>;

export const PinPolicyListSchema = z.object({ items: z.array(PinPolicyResourceSchema) }).meta({ id: 'PinPolicyList' });

export const PolicyKindParamsSchema = z.object({ kind: CredentialKindSchema }).strict();

export const CredentialParamsSchema = z
  .object({ number: ExtensionNumberSchema, kind: ExtensionCredentialKindSchema })
  .strict();

export const CredentialUpdateSchema = z
  .object({ value: z.string().max(64, { message: 'a credential is at most 31 characters' }) })
  .strict()
  .meta({ id: 'CredentialUpdate' });
export type CredentialUpdate = z.infer<typeof CredentialUpdateSchema>;

export const DefaultPinSchema = z.object({ defaultPin: z.string() }).meta({ id: 'DefaultPin' });

const DevicePinSchema = z.string().max(64, { message: 'a PIN is at most 15 digits' });

export const VoicemailLoginRequestSchema = z
  .object({
    /** The mailbox: its extension number. */
    extension: ExtensionNumberSchema,
    /** The voicemail PIN; not needed when a trusted extension calls its own mailbox. */
    pin: DevicePinSchema.optional().meta({
      description: 'The voicemail PIN. Optional only for a trusted extension calling its own mailbox (from = extension).',
    }),
    /** The extension the call comes from (the phone's own number). */
    from: ExtensionNumberSchema.optional().meta({
      description:
        'The extension the call comes from. When it equals `extension` and that extension is trusted, no PIN is asked for.',
    }),
  })
  .strict()
  .meta({ id: 'VoicemailLoginRequest' });

export const VoicemailLoginResponseSchema = z
  .object({ result: z.enum(['ok', 'must_change_pin']) })
  .meta({ id: 'VoicemailLoginResponse' });

export const VoicemailPinChangeSchema = z
  .object({ extension: ExtensionNumberSchema, pin: DevicePinSchema, newPin: DevicePinSchema })
  .strict()
  .meta({ id: 'VoicemailPinChange' });

/** A phone registers (SIP REGISTER stand-in) with its extension's phone password (SPEC F3 "registration"). */
export const DeviceRegisterRequestSchema = z
  .object({
    extension: ExtensionNumberSchema,
    password: z.string().max(64, { message: 'a phone password is at most 31 characters' }),
  })
  .strict()
  .meta({ id: 'DeviceRegisterRequest' });

export const DeviceRegisterResponseSchema = z
  .object({ result: z.literal('registered'), expiresSeconds: z.number().int() })
  .meta({ id: 'DeviceRegisterResponse' });

/** A user signs in on a phone with an extension's login code (SPEC F3 "phone login"; hot desking builds on it). */
export const DevicePhoneLoginRequestSchema = z
  .object({ extension: ExtensionNumberSchema, code: DevicePinSchema })
  .strict()
  .meta({ id: 'DevicePhoneLoginRequest' });

export const DevicePhoneLoginResponseSchema = z.object({ result: z.literal('ok') }).meta({ id: 'DevicePhoneLoginResponse' });

export const VoicemailPinChangeResponseSchema = z.object({ result: z.literal('ok') }).meta({ id: 'VoicemailPinChangeResponse' });

/** Mark an extension trusted for voicemail sign-in (SPEC F2: no PIN from a trusted extension), or not. */
export const VoicemailTrustedUpdateSchema = z
  .object({ trusted: z.boolean() })
  .strict()
  .meta({ id: 'VoicemailTrustedUpdate' });
export type VoicemailTrustedUpdate = z.infer<typeof VoicemailTrustedUpdateSchema>;

/**
 * "Would this PIN pass?" for the console's policy tester: the stored policy of the path's kind, or a draft
 * to try before saving it. With an extension, also the checks that need the PBX (history, default PIN).
 */
export const PinCheckRequestSchema = z
  .object({
    pin: z.string().max(64, { message: 'a PIN is at most 31 characters' }),
    extension: ExtensionNumberSchema.optional().meta({
      description: 'Check as if set on this extension: adds the extension, default-PIN and history rules',
    }),
    policy: PinPolicySchema.optional().meta({
      description: 'A draft policy to test instead of the stored one (its kind must equal the path); nothing is saved',
    }),
  })
  .strict()
  .meta({ id: 'PinCheckRequest' });
export type PinCheckRequest = z.infer<typeof PinCheckRequestSchema>;

export const PinCheckResultSchema = z
  .object({
    /** No rule failed. */
    ok: z.boolean(),
    /** The failed rules, in the order the write paths report them; never the PIN. */
    failed: z.array(z.object({ rule: PinRuleIdSchema, message: z.string() })),
    /**
     * Rules of the policy that were not decided: history always (the tester never tells whether a value was
     * used before); without an extension also the extension and default-PIN rules.
     */
    unchecked: z.array(PinRuleIdSchema),
    /** Which policy was applied. */
    policy: z.enum(['stored', 'draft']),
  })
  .meta({ id: 'PinCheckResult' });
export type PinCheckResult = z.infer<typeof PinCheckResultSchema>;

/** At most this many numbers per bulk request (the body stays under the 64 KiB limit even with 10 digits each). */
export const BULK_RESET_MAX = 5000;

export const BulkResetRequestSchema = z
  .object({
    numbers: z
      .array(ExtensionNumberSchema)
      .min(1, { message: 'list at least one extension number' })
      .max(BULK_RESET_MAX, { message: `at most ${BULK_RESET_MAX} extension numbers per request` })
      .superRefine((numbers, ctx) => {
        const seen = new Set<string>();
        const dup = new Set<string>();
        for (const n of numbers) (seen.has(n) ? dup : seen).add(n);
        if (dup.size) {
          const list = [...dup].slice(0, 10).join(', ');
          ctx.addIssue({ code: 'custom', params: { rule: 'unique' }, message: `each number at most once (repeated: ${list}${dup.size > 10 ? ', …' : ''})` });
        }
      }),
  })
  .strict()
  .meta({ id: 'BulkResetRequest' });
export type BulkResetRequest = z.infer<typeof BulkResetRequestSchema>;

export const BulkResetItemSchema = z.discriminatedUnion('ok', [
  z.object({ number: z.string(), ok: z.literal(true), etag: z.string() }),
  z.object({ number: z.string(), ok: z.literal(false), error: z.object({ code: z.string(), message: z.string() }) }),
]);
export type BulkResetItem = z.infer<typeof BulkResetItemSchema>;

export const BulkResetResponseSchema = z
  .object({
    /** One per requested number, in the order of the request. */
    results: z.array(BulkResetItemSchema),
    /** How many were reset. */
    done: z.number().int(),
    /** How many were not (see their error). */
    failed: z.number().int(),
  })
  .meta({ id: 'BulkResetResponse' });
export type BulkResetResponse = z.infer<typeof BulkResetResponseSchema>;

export const HealthSchema = z.object({ ok: z.literal(true), server: z.string(), version: z.string() });

// ---- the route table --------------------------------------------------------------------------

export type Auth = 'none' | 'session' | 'device';

export interface RouteDef {
  operationId: string;
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Full path, OpenAPI style: /api/v1/extensions/{number} */
  path: string;
  summary: string;
  tag: string;
  auth: Auth;
  params?: z.ZodType;
  query?: z.ZodType;
  body?: z.ZodType;
  /** Success status and body (null = no body). */
  status: number;
  response: z.ZodType | null;
  /** Write to a versioned resource: If-Match required (428 without, 412 when stale). */
  ifMatch?: boolean;
  /** Response carries an ETag header. */
  etag?: boolean;
  errors: number[];
  /** Produces a text/event-stream instead of JSON. */
  stream?: boolean;
  /** Answers a document of this media type instead of JSON (e.g. text/csv); the handler returns its text. */
  produces?: string;
  /**
   * Session routes: the roles that may call it (default: admin only). Any other role gets 403 forbidden,
   * checked once in the server's route registration before the input is looked at.
   */
  roles?: readonly Role[];
  /** What the route does, for the 403 message: "A receptionist cannot <forbidden>". */
  forbidden?: string;
  /**
   * Session routes about extensions: an account limited to sites sees and acts on the extensions of its
   * sites only (another site's extension answers 404 not_found, lists and events leave them out). Enforced
   * by the handlers (inScope / requireVisible); documented from here in the OpenAPI document.
   */
  siteScoped?: boolean;
}

/** Who may call a session route that does not list its roles. */
export const DEFAULT_ROUTE_ROLES: readonly Role[] = ['admin'];

/** The roles that may call a route (auth 'session'); routes without a session are open to all callers. */
export function rolesOf(def: RouteDef): readonly Role[] {
  return def.roles ?? DEFAULT_ROUTE_ROLES;
}

const route = <const R extends RouteDef>(r: R): R => r;
const STAFF = ['admin', 'receptionist'] as const;

export const routes = {
  health: route({
    operationId: 'health', method: 'GET', path: `${API_BASE}/health`, summary: 'Liveness and identity',
    tag: 'system', auth: 'none', status: 200, response: HealthSchema, errors: [],
  }),
  createSession: route({
    operationId: 'createSession', method: 'POST', path: `${API_BASE}/session`, summary: 'Log in; returns a bearer token',
    tag: 'auth', auth: 'none', body: SessionRequestSchema, status: 201, response: SessionResponseSchema, errors: [401, 422],
  }),
  getSession: route({
    operationId: 'getSession', method: 'GET', path: `${API_BASE}/session`, summary: 'The current session',
    tag: 'auth', auth: 'session', roles: STAFF, status: 200, response: WhoAmISchema, errors: [401],
  }),
  deleteSession: route({
    operationId: 'deleteSession', method: 'DELETE', path: `${API_BASE}/session`, summary: 'Log out (revokes the token)',
    tag: 'auth', auth: 'session', roles: STAFF, status: 204, response: null, errors: [401, 409],
  }),
  listSites: route({
    operationId: 'listSites', siteScoped: true, method: 'GET', path: `${API_BASE}/sites`, summary: 'Sites (branches)',
    tag: 'extensions', auth: 'session', roles: STAFF, status: 200, response: SiteListSchema, errors: [401],
  }),
  listExtensions: route({
    operationId: 'listExtensions', siteScoped: true, method: 'GET', path: `${API_BASE}/extensions`,
    summary: 'Extensions, paged, searchable by number or label, filterable by site, type and protection',
    tag: 'extensions', auth: 'session', roles: STAFF, query: ExtensionListQuerySchema, status: 200, response: ExtensionListSchema,
    errors: [401, 422],
  }),
  getExtension: route({
    operationId: 'getExtension', siteScoped: true, method: 'GET', path: `${API_BASE}/extensions/{number}`, summary: 'One extension',
    tag: 'extensions', auth: 'session', roles: STAFF, params: NumberParamsSchema, status: 200, response: ExtensionSchema,
    etag: true, errors: [401, 404, 422],
  }),
  setProtection: route({
    operationId: 'setProtection', siteScoped: true, method: 'PUT', path: `${API_BASE}/extensions/{number}/protection`,
    summary: 'Turn protected phone access on or off and set the protection password (3–12 digits)',
    tag: 'protection', auth: 'session', forbidden: 'change protection settings (turn protection on or off, set its password)', params: NumberParamsSchema, body: ProtectionUpdateSchema, status: 200,
    response: ExtensionSchema, ifMatch: true, etag: true, errors: [401, 403, 404, 409, 412, 422, 428],
  }),
  blockExtension: route({
    operationId: 'blockExtension', siteScoped: true, method: 'POST', path: `${API_BASE}/extensions/{number}/protection/block`,
    summary: 'Block the phone terminal (no calls in or out)',
    tag: 'protection', auth: 'session', roles: STAFF, params: NumberParamsSchema, status: 200, response: ExtensionSchema,
    ifMatch: true, etag: true, errors: [401, 404, 409, 412, 422, 428],
  }),
  unblockExtension: route({
    operationId: 'unblockExtension', siteScoped: true, method: 'POST', path: `${API_BASE}/extensions/{number}/protection/unblock`,
    summary: 'Unblock the phone terminal', tag: 'protection', auth: 'session', roles: STAFF, params: NumberParamsSchema, status: 200,
    response: ExtensionSchema, ifMatch: true, etag: true, errors: [401, 404, 409, 412, 422, 428],
  }),
  listPinPolicies: route({
    operationId: 'listPinPolicies', method: 'GET', path: `${API_BASE}/policies/pin`,
    summary: 'The PIN policy of every credential kind', tag: 'credentials', auth: 'session', forbidden: 'read PIN policies', status: 200,
    response: PinPolicyListSchema, errors: [401, 403],
  }),
  getPinPolicy: route({
    operationId: 'getPinPolicy', method: 'GET', path: `${API_BASE}/policies/pin/{kind}`,
    summary: 'The PIN policy of one credential kind', tag: 'credentials', auth: 'session', forbidden: 'read PIN policies',
    params: PolicyKindParamsSchema, status: 200, response: PinPolicyResourceSchema, etag: true, errors: [401, 403, 422],
  }),
  setPinPolicy: route({
    operationId: 'setPinPolicy', method: 'PUT', path: `${API_BASE}/policies/pin/{kind}`,
    summary: 'Replace the PIN policy of one credential kind (body.kind must equal the path)', tag: 'credentials',
    auth: 'session', forbidden: 'change PIN policies', params: PolicyKindParamsSchema, body: PinPolicySchema, status: 200,
    response: PinPolicyResourceSchema, ifMatch: true, etag: true, errors: [401, 403, 412, 422, 428],
  }),
  setCredential: route({
    operationId: 'setCredential', siteScoped: true, method: 'PUT', path: `${API_BASE}/extensions/{number}/credentials/{kind}`,
    summary: 'Set a credential of an extension; checked against the policy, the history and the default PIN',
    tag: 'credentials', auth: 'session', forbidden: 'set credentials', params: CredentialParamsSchema, body: CredentialUpdateSchema, status: 200,
    response: ExtensionSchema, ifMatch: true, etag: true, errors: [401, 403, 404, 412, 422, 428],
  }),
  getDefaultVoicemailPin: route({
    operationId: 'getDefaultVoicemailPin', siteScoped: true, method: 'GET',
    path: `${API_BASE}/extensions/{number}/credentials/voicemail-pin/default`,
    summary: 'The default voicemail PIN of a number (authorised roles; audited)', tag: 'credentials',
    auth: 'session', roles: STAFF, params: NumberParamsSchema, status: 200, response: DefaultPinSchema, errors: [401, 404, 422],
  }),
  resetVoicemailPin: route({
    operationId: 'resetVoicemailPin', siteScoped: true, method: 'POST',
    path: `${API_BASE}/extensions/{number}/credentials/voicemail-pin/reset`,
    summary: 'Set the voicemail PIN back to the default (active numbers only)', tag: 'credentials',
    auth: 'session', roles: STAFF, params: NumberParamsSchema, status: 200, response: ExtensionSchema, ifMatch: true, etag: true,
    errors: [401, 404, 409, 412, 422, 428],
  }),
  bulkResetVoicemailPin: route({
    operationId: 'bulkResetVoicemailPin', siteScoped: true, method: 'POST', path: `${API_BASE}/credentials/voicemail-pin/reset`,
    summary:
      'Set the voicemail PIN of many numbers back to their defaults (1–5,000, unconditional: no If-Match per item); ' +
      'per-item results (extension_inactive, not_found outside your sites); 429 with Retry-After when the PBX is busy hashing',
    tag: 'credentials', auth: 'session', roles: STAFF, body: BulkResetRequestSchema, status: 200, response: BulkResetResponseSchema,
    errors: [401, 422, 429],
  }),
  deactivateExtension: route({
    operationId: 'deactivateExtension', siteScoped: true, method: 'POST', path: `${API_BASE}/extensions/{number}/deactivate`,
    summary: 'Deactivate a number: custom credentials (and their history) removed, voicemail PIN back to the default, protection off',
    tag: 'extensions', auth: 'session', forbidden: 'deactivate numbers', params: NumberParamsSchema, status: 200,
    response: ExtensionSchema, ifMatch: true, etag: true, errors: [401, 403, 404, 409, 412, 422, 428],
  }),
  activateExtension: route({
    operationId: 'activateExtension', siteScoped: true, method: 'POST', path: `${API_BASE}/extensions/{number}/activate`,
    summary: 'Activate a number again (its voicemail PIN is the default)', tag: 'extensions', auth: 'session',
    forbidden: 'activate numbers', params: NumberParamsSchema, status: 200, response: ExtensionSchema, ifMatch: true,
    etag: true, errors: [401, 403, 404, 409, 412, 422, 428],
  }),
  setVoicemailTrusted: route({
    operationId: 'setVoicemailTrusted', siteScoped: true, method: 'PUT', path: `${API_BASE}/extensions/{number}/voicemail/trusted`,
    summary:
      'Mark an extension trusted (or not) for voicemail: a call from the extension itself signs in to its mailbox ' +
      'without the PIN; calls from any other number still need it. Only an active number with a mailbox can be ' +
      'trusted (409 otherwise); deactivating the number turns it off. Same value again: 200, nothing written',
    tag: 'credentials', auth: 'session', forbidden: 'mark extensions as trusted for voicemail', params: NumberParamsSchema,
    body: VoicemailTrustedUpdateSchema, status: 200, response: ExtensionSchema, ifMatch: true, etag: true,
    errors: [401, 403, 404, 409, 412, 422, 428],
  }),
  checkPinPolicy: route({
    operationId: 'checkPinPolicy', siteScoped: true, method: 'POST', path: `${API_BASE}/policies/pin/{kind}/check`,
    summary:
      'Would this PIN pass? The same checks as every write path, against the stored policy of the kind or a draft ' +
      '(body.policy, its kind must equal the path); with an extension also its number and default PIN. The history ' +
      'rule is never decided here (it would reveal current and earlier PINs): it is listed as unchecked and enforced ' +
      'when a PIN is set. Writes nothing, never echoes the PIN',
    tag: 'credentials', auth: 'session', forbidden: 'test PINs against PIN policies', params: PolicyKindParamsSchema,
    body: PinCheckRequestSchema, status: 200, response: PinCheckResultSchema, errors: [401, 403, 404, 422],
  }),
  listExtensionLocks: route({
    operationId: 'listExtensionLocks', siteScoped: true, method: 'GET', path: `${API_BASE}/lockouts/extensions`,
    summary:
      'Blacklisted extensions: every extension credential that is locked, has failures in its window or temporary ' +
      'locks toward a permanent one (SPEC F3 dashboard rows)',
    tag: 'lockouts', auth: 'session', roles: STAFF, status: 200, response: ExtensionLockListSchema, errors: [401],
  }),
  resetExtensionLocks: route({
    operationId: 'resetExtensionLocks', siteScoped: true, method: 'POST', path: `${API_BASE}/lockouts/extensions/reset`,
    summary:
      'Reset extension lockouts: the lock, the failure counter and the lock history of the listed extensions ' +
      '(one credential, or all of an extension\'s when none is given), or of all of them (within your sites)',
    tag: 'lockouts', auth: 'session', roles: STAFF, body: LockResetRequestSchema, status: 200, response: LockResetResponseSchema,
    errors: [401, 404, 422],
  }),
  listAddressBans: route({
    operationId: 'listAddressBans', method: 'GET', path: `${API_BASE}/lockouts/addresses`,
    summary: 'Blacklisted addresses: automatic and manual bans in force, newest first',
    tag: 'lockouts', auth: 'session', roles: STAFF, status: 200, response: AddressBanListSchema, errors: [401],
  }),
  addAddressBan: route({
    operationId: 'addAddressBan', method: 'POST', path: `${API_BASE}/lockouts/addresses`,
    summary:
      'Block an address or CIDR block (IPv4 or IPv6) by hand, with a description and an optional duration; ' +
      '409 ban_covers_you when it would block the address you are calling from',
    tag: 'lockouts', auth: 'session', forbidden: 'block addresses', body: ManualBanRequestSchema, status: 201,
    response: AddressBanSchema, errors: [401, 403, 409, 422],
  }),
  unbanAddresses: route({
    operationId: 'unbanAddresses', method: 'POST', path: `${API_BASE}/lockouts/addresses/unban`,
    summary: 'Remove address bans: some (by id; unknown ids are skipped) or all',
    tag: 'lockouts', auth: 'session', roles: STAFF, body: UnbanRequestSchema, status: 200, response: UnbanResponseSchema,
    errors: [401, 422],
  }),
  listAllowlist: route({
    operationId: 'listAllowlist', method: 'GET', path: `${API_BASE}/lockouts/allowlist`,
    summary: 'Addresses and CIDR blocks that are never banned automatically', tag: 'lockouts', auth: 'session',
    forbidden: 'read the allowlist', status: 200, response: AllowListSchema, errors: [401, 403],
  }),
  addAllowEntry: route({
    operationId: 'addAllowEntry', method: 'POST', path: `${API_BASE}/lockouts/allowlist`,
    summary: 'Add an address or CIDR block to the allowlist (the same block again updates its description)',
    tag: 'lockouts', auth: 'session', forbidden: 'change the allowlist', body: AllowEntryRequestSchema, status: 201,
    response: AllowEntrySchema, errors: [401, 403, 422],
  }),
  deleteAllowEntry: route({
    operationId: 'deleteAllowEntry', method: 'DELETE', path: `${API_BASE}/lockouts/allowlist/{id}`,
    summary: 'Remove an allowlist entry', tag: 'lockouts', auth: 'session', forbidden: 'change the allowlist',
    params: AllowEntryParamsSchema, status: 204, response: null, errors: [401, 403, 404, 422],
  }),
  failureHistogram: route({
    operationId: 'failureHistogram', siteScoped: true, method: 'GET', path: `${API_BASE}/lockouts/histogram`,
    summary: 'Failed sign-ins per minute over the last hours (24 by default), in total and for the busiest extensions and addresses',
    tag: 'lockouts', auth: 'session', forbidden: 'read the failure history', query: FailureHistogramQuerySchema, status: 200,
    response: FailureHistogramSchema, errors: [401, 403, 422],
  }),
  lockCorrelation: route({
    operationId: 'lockCorrelation', siteScoped: true, method: 'GET', path: `${API_BASE}/lockouts/extensions/{number}/correlation`,
    summary: 'For one extension: which addresses and user agents failed, with which credential, how often and when (24 h)',
    tag: 'lockouts', auth: 'session', forbidden: 'read the failure history', params: NumberParamsSchema, status: 200,
    response: LockCorrelationSchema, errors: [401, 403, 404, 422],
  }),
  getLockoutPolicy: route({
    operationId: 'getLockoutPolicy', method: 'GET', path: `${API_BASE}/policies/lockout`,
    summary: 'The lockout policy: thresholds, windows and durations (SPEC F3 defaults until changed)', tag: 'lockouts',
    auth: 'session', forbidden: 'read the lockout policy', status: 200, response: LockoutPolicyResourceSchema, etag: true,
    errors: [401, 403],
  }),
  setLockoutPolicy: route({
    operationId: 'setLockoutPolicy', method: 'PUT', path: `${API_BASE}/policies/lockout`,
    summary: 'Replace the lockout policy', tag: 'lockouts', auth: 'session', forbidden: 'change the lockout policy',
    body: LockoutPolicySchema, status: 200, response: LockoutPolicyResourceSchema, ifMatch: true, etag: true,
    errors: [401, 403, 412, 422, 428],
  }),
  listHotDesk: route({
    operationId: 'listHotDesk', siteScoped: true, method: 'GET', path: `${API_BASE}/hotdesk`,
    summary:
      'The live hot-desk table: every extension that has a mapping or is logged in on a phone, with the phone, ' +
      'the template it got (or the mapping\'s) and since when',
    tag: 'hotdesk', auth: 'session', roles: STAFF, status: 200, response: HotDeskListSchema, errors: [401],
  }),
  listDevices: route({
    operationId: 'listDevices', siteScoped: true, method: 'GET', path: `${API_BASE}/devices`,
    summary: 'Phones known to the PBX (by MAC): brand, model, firmware, site, last seen address, hot-desk state',
    tag: 'hotdesk', auth: 'session', roles: STAFF, status: 200, response: DeviceListSchema, errors: [401],
  }),
  createDevice: route({
    operationId: 'createDevice', method: 'POST', path: `${API_BASE}/devices`,
    summary: 'Provision a phone by its MAC (any common notation; stored as 00:15:65:AB:CD:EF); 409 when the MAC is known',
    tag: 'hotdesk', auth: 'session', forbidden: 'provision phones', body: DeviceCreateSchema, status: 201,
    response: DeviceSchema, errors: [401, 403, 409, 422],
  }),
  forceLogout: route({
    operationId: 'forceLogout', siteScoped: true, method: 'POST', path: `${API_BASE}/devices/{mac}/logout`,
    summary:
      'Log the phone out (it returns to its login screen); staff of the logged-in extension\'s site (404 with rule ' +
      'in_scope for a phone of your site used by another site\'s extension). 409 when no extension is logged in on it',
    tag: 'hotdesk', auth: 'session', roles: STAFF, params: MacParamsSchema, status: 200, response: DeviceSchema,
    errors: [401, 404, 409, 422],
  }),
  listTemplates: route({
    operationId: 'listTemplates', method: 'GET', path: `${API_BASE}/hotdesk/templates`,
    summary: 'Provisioning templates of every brand; exactly one default per brand', tag: 'hotdesk', auth: 'session',
    forbidden: 'read templates', status: 200, response: TemplateListSchema, errors: [401, 403],
  }),
  createTemplate: route({
    operationId: 'createTemplate', method: 'POST', path: `${API_BASE}/hotdesk/templates`,
    summary:
      'Add a template; a brand\'s first template is its default, and isDefault makes it the default (the old one ' +
      'stops being default in the same transaction)',
    tag: 'hotdesk', auth: 'session', forbidden: 'change templates', body: TemplateCreateSchema, status: 201,
    response: TemplateSchema, etag: true, errors: [401, 403, 409, 422],
  }),
  updateTemplate: route({
    operationId: 'updateTemplate', method: 'PUT', path: `${API_BASE}/hotdesk/templates/{id}`,
    summary: 'Rename a template or replace its settings (phones get them at their next login)', tag: 'hotdesk',
    auth: 'session', forbidden: 'change templates', params: TemplateParamsSchema, body: TemplateUpdateSchema,
    status: 200, response: TemplateSchema, ifMatch: true, etag: true, errors: [401, 403, 404, 409, 412, 422, 428],
  }),
  setDefaultTemplate: route({
    operationId: 'setDefaultTemplate', method: 'POST', path: `${API_BASE}/hotdesk/templates/{id}/default`,
    summary: 'Make this template its brand\'s default; the old default stops being one in the same transaction',
    tag: 'hotdesk', auth: 'session', forbidden: 'change templates', params: TemplateParamsSchema, status: 200,
    response: TemplateListSchema, ifMatch: true, errors: [401, 403, 404, 412, 422, 428],
  }),
  deleteTemplate: route({
    operationId: 'deleteTemplate', method: 'DELETE', path: `${API_BASE}/hotdesk/templates/{id}`,
    summary: 'Delete a template; 409 while it is its brand\'s default or a mapping uses it', tag: 'hotdesk',
    auth: 'session', forbidden: 'change templates', params: TemplateParamsSchema, status: 204, response: null,
    ifMatch: true, errors: [401, 403, 404, 409, 412, 422, 428],
  }),
  createMapping: route({
    operationId: 'createMapping', siteScoped: true, method: 'POST', path: `${API_BASE}/hotdesk/mappings`,
    summary:
      'Map an extension to a template: with a MAC, on that phone; with a blank MAC, on any phone it logs in on ' +
      '(otherwise the brand\'s default template is used). 409 when the extension has a mapping or another mapping has the MAC',
    tag: 'hotdesk', auth: 'session', forbidden: 'change extension mappings', body: MappingCreateSchema, status: 201,
    response: MappingSchema, etag: true, errors: [401, 403, 404, 409, 422],
  }),
  updateMapping: route({
    operationId: 'updateMapping', siteScoped: true, method: 'PUT', path: `${API_BASE}/hotdesk/mappings/{number}`,
    summary: 'Change an extension\'s mapping (template, MAC); 409 when another mapping has the MAC',
    tag: 'hotdesk', auth: 'session', forbidden: 'change extension mappings', params: NumberParamsSchema,
    body: MappingWriteSchema, status: 200, response: MappingSchema, ifMatch: true, etag: true,
    errors: [401, 403, 404, 409, 412, 422, 428],
  }),
  deleteMapping: route({
    operationId: 'deleteMapping', siteScoped: true, method: 'DELETE', path: `${API_BASE}/hotdesk/mappings/{number}`,
    summary: 'Remove an extension\'s mapping (its logins get the brand\'s default template again)', tag: 'hotdesk',
    auth: 'session', forbidden: 'change extension mappings', params: NumberParamsSchema, status: 204, response: null,
    ifMatch: true, errors: [401, 403, 404, 412, 422, 428],
  }),
  listSiteHotDesk: route({
    operationId: 'listSiteHotDesk', method: 'GET', path: `${API_BASE}/hotdesk/sites`,
    summary: 'Each site\'s internal and external PBX address (the Login app\'s choices) and auto-logout',
    tag: 'hotdesk', auth: 'session', forbidden: 'read hot-desk site settings', status: 200,
    response: SiteHotDeskListSchema, errors: [401, 403],
  }),
  setSiteHotDesk: route({
    operationId: 'setSiteHotDesk', method: 'PUT', path: `${API_BASE}/hotdesk/sites/{siteId}`,
    summary: 'Replace a site\'s hot-desk settings', tag: 'hotdesk', auth: 'session',
    forbidden: 'change hot-desk site settings', params: SiteParamsSchema, body: SiteHotDeskWriteSchema, status: 200,
    response: SiteHotDeskSchema, ifMatch: true, etag: true, errors: [401, 403, 404, 412, 422, 428],
  }),
  getHotDeskPasswords: route({
    operationId: 'getHotDeskPasswords', method: 'GET', path: `${API_BASE}/hotdesk/passwords`,
    summary: 'Whether the global hot-desk user and admin passwords are set, when and by whom (never the values)',
    tag: 'hotdesk', auth: 'session', forbidden: 'read hot-desk passwords', status: 200,
    response: HotDeskPasswordsSchema, errors: [401, 403],
  }),
  unlockHotDeskPasswords: route({
    operationId: 'unlockHotDeskPasswords', method: 'POST', path: `${API_BASE}/hotdesk/passwords/unlock`,
    summary: 'Lift the lock of the shared hot-desk passwords (after too many failed hot-desk logins) and clear their failure count',
    tag: 'hotdesk', auth: 'session', forbidden: 'unlock the hot-desk passwords', status: 200,
    response: HotDeskPasswordsSchema, errors: [401, 403],
  }),
  setHotDeskPassword: route({
    operationId: 'setHotDeskPassword', method: 'PUT', path: `${API_BASE}/hotdesk/passwords/{kind}`,
    summary:
      'Set the global hot-desk user or admin password (digits, at least 6; the login-code PIN policy applies, and the ' +
      'two must differ); 422 pin_policy_violation lists the failed rules. A new password also lifts the shared-password lock',
    tag: 'hotdesk', auth: 'session', forbidden: 'set hot-desk passwords', params: HotDeskPasswordParamsSchema,
    body: HotDeskPasswordWriteSchema, status: 200, response: HotDeskPasswordMetaSchema, errors: [401, 403, 422],
  }),
  getAdminAllowlist: route({
    operationId: 'getAdminAllowlist', method: 'GET', path: `${API_BASE}/admin/allowlist`,
    summary:
      'The addresses and CIDR blocks the management API answers (empty = every address), the address you call from ' +
      'and whether the list lets it in',
    tag: 'admin', auth: 'session', forbidden: 'read the admin allowlist', status: 200, response: AdminAllowlistSchema,
    etag: true, errors: [401, 403],
  }),
  setAdminAllowlist: route({
    operationId: 'setAdminAllowlist', method: 'PUT', path: `${API_BASE}/admin/allowlist`,
    summary:
      'Replace the admin allowlist. A list that leaves out the address you call from is refused with 409 ' +
      'allowlist_excludes_you unless confirmExcludeSelf is true (then your next request from there is refused)',
    tag: 'admin', auth: 'session', forbidden: 'change the admin allowlist', body: AdminAllowlistWriteSchema, status: 200,
    response: AdminAllowlistSchema, ifMatch: true, etag: true, errors: [401, 403, 409, 412, 422, 428],
  }),
  listTokens: route({
    operationId: 'listTokens', method: 'GET', path: `${API_BASE}/admin/tokens`,
    summary:
      'Your login tokens: created (time, address, user agent), last used (time, address, user agent), expiry, and ' +
      'which one you are calling with. Never the token values',
    tag: 'admin', auth: 'session', roles: STAFF, status: 200, response: TokenListSchema, errors: [401],
  }),
  revokeTokens: route({
    operationId: 'revokeTokens', method: 'POST', path: `${API_BASE}/admin/tokens/revoke`,
    summary:
      'Revoke some of your tokens (ids from the list; unknown ids are skipped) or all but the current one; a revoked ' +
      'token is refused from its next request, and its event stream ends',
    tag: 'admin', auth: 'session', roles: STAFF, body: TokenRevokeRequestSchema, status: 200, response: TokenRevokeResponseSchema,
    errors: [401, 422],
  }),
  refreshSession: route({
    operationId: 'refreshSession', method: 'POST', path: `${API_BASE}/session/refresh`,
    summary:
      'Exchange the current (still valid) token for a new one with a fresh validity; the old token is revoked at once',
    tag: 'auth', auth: 'session', roles: STAFF, status: 201, response: SessionResponseSchema, errors: [401, 409],
  }),
  listAccounts: route({
    operationId: 'listAccounts', method: 'GET', path: `${API_BASE}/admin/accounts`,
    summary: 'Admin and receptionist accounts: role, sites, email addresses, API access, token validity, warnings (never a password or hash)',
    tag: 'admin', auth: 'session', forbidden: 'read the admin accounts', status: 200, response: AccountListSchema, errors: [401, 403],
  }),
  createAccount: route({
    operationId: 'createAccount', method: 'POST', path: `${API_BASE}/admin/accounts`,
    summary:
      'Create an account (an admin without a site limit only). Username case-sensitive, no "@"; password null only with ' +
      'confirmNoPassword (the insecure default, reported as a warning everywhere)',
    tag: 'admin', auth: 'session', forbidden: 'create accounts', body: AccountCreateSchema, status: 201, response: AccountSchema,
    etag: true, errors: [401, 403, 409, 422],
  }),
  updateAccount: route({
    operationId: 'updateAccount', method: 'PUT', path: `${API_BASE}/admin/accounts/{username}`,
    summary:
      'Replace an account\'s settings (not its password); a new username renames it. The last admin without a site ' +
      'limit cannot lose that',
    tag: 'admin', auth: 'session', forbidden: 'change accounts', params: USERNAME_PARAM, body: AccountUpdateSchema, status: 200,
    response: AccountSchema, ifMatch: true, etag: true, errors: [401, 403, 404, 409, 412, 422, 428],
  }),
  deleteAccount: route({
    operationId: 'deleteAccount', method: 'DELETE', path: `${API_BASE}/admin/accounts/{username}`,
    summary: 'Delete an account (its tokens and passkeys with it); not your own, not the last admin without a site limit',
    tag: 'admin', auth: 'session', forbidden: 'delete accounts', params: USERNAME_PARAM, status: 204, response: null,
    ifMatch: true, errors: [401, 403, 404, 409, 412, 428],
  }),
  setAccountPassword: route({
    operationId: 'setAccountPassword', method: 'PUT', path: `${API_BASE}/admin/accounts/{username}/password`,
    summary:
      'Set an account\'s password (an admin without a site limit; your own needs currentPassword, as with ' +
      'PUT /admin/login-settings/password). Every other session of the account is signed out',
    tag: 'admin', auth: 'session', forbidden: "set accounts' passwords", params: USERNAME_PARAM, body: PasswordChangeSchema, status: 200,
    response: PasswordChangeResponseSchema, errors: [401, 403, 404, 422],
  }),
  setOwnPassword: route({
    operationId: 'setOwnPassword', method: 'PUT', path: `${API_BASE}/admin/login-settings/password`,
    summary:
      'Change your own password (currentPassword needed while you have one); every other session of your account is ' +
      'signed out',
    tag: 'admin', auth: 'session', roles: STAFF, body: PasswordChangeSchema, status: 200, response: PasswordChangeResponseSchema,
    errors: [401, 422, 429],
  }),
  getLoginSettings: route({
    operationId: 'getLoginSettings', method: 'GET', path: `${API_BASE}/admin/login-settings`,
    summary: 'Your own account\'s login settings',
    tag: 'admin', auth: 'session', roles: STAFF, status: 200, response: AccountSchema, etag: true, errors: [401],
  }),
  setLoginSettings: route({
    operationId: 'setLoginSettings', method: 'PUT', path: `${API_BASE}/admin/login-settings`,
    summary: 'Change your own username, email addresses, API access (admins) and token validity',
    tag: 'admin', auth: 'session', roles: STAFF, body: LoginSettingsWriteSchema, status: 200, response: AccountSchema,
    ifMatch: true, etag: true, errors: [401, 409, 412, 422, 428],
  }),
  listPasskeys: route({
    operationId: 'listPasskeys', method: 'GET', path: `${API_BASE}/admin/passkeys`,
    summary: 'Your passkeys: name, AAGUID, transports, created and last used (time, address, user agent)',
    tag: 'admin', auth: 'session', roles: STAFF, status: 200, response: PasskeyListSchema, errors: [401],
  }),
  deletePasskeys: route({
    operationId: 'deletePasskeys', method: 'POST', path: `${API_BASE}/admin/passkeys/delete`,
    summary: 'Delete some of your passkeys (ids from the list; unknown ids are skipped); unusable at once',
    tag: 'admin', auth: 'session', roles: STAFF, body: PasskeyDeleteRequestSchema, status: 200, response: PasskeyDeleteResponseSchema,
    errors: [401, 422],
  }),
  passkeyRegistrationOptions: route({
    operationId: 'passkeyRegistrationOptions', method: 'POST', path: `${API_BASE}/admin/passkeys/registration-options`,
    summary: 'WebAuthn options to register a new passkey for your account (used by the PBX\'s /login page)',
    tag: 'admin', auth: 'session', roles: STAFF, body: PasskeyRegistrationOptionsRequestSchema, status: 200,
    response: WebAuthnOptionsSchema, errors: [401, 422],
  }),
  registerPasskey: route({
    operationId: 'registerPasskey', method: 'POST', path: `${API_BASE}/admin/passkeys`,
    summary: 'Verify the browser\'s attestation and store the passkey',
    tag: 'admin', auth: 'session', roles: STAFF, body: PasskeyRegistrationRequestSchema, status: 201, response: PasskeySchema,
    errors: [401, 409, 422],
  }),
  passkeyLoginOptions: route({
    operationId: 'passkeyLoginOptions', method: 'POST', path: `${API_BASE}/session/passkey-options`,
    summary: 'WebAuthn options for a passkey sign-in (a fresh challenge; discoverable credentials)',
    tag: 'auth', auth: 'none', body: PasskeyLoginOptionsRequestSchema, status: 200, response: WebAuthnOptionsSchema, errors: [422, 429],
  }),
  createPasskeySession: route({
    operationId: 'createPasskeySession', method: 'POST', path: `${API_BASE}/session/passkey`,
    summary: 'Log in with a passkey; returns a bearer token like POST /session',
    tag: 'auth', auth: 'none', body: PasskeyLoginRequestSchema, status: 201, response: SessionResponseSchema, errors: [401, 422, 429],
  }),
  listAudit: route({
    operationId: 'listAudit', method: 'GET', path: `${API_BASE}/audit`,
    summary:
      'The audit log, newest first: every admin action and security event (who, when, from where, what; before/after ' +
      'without secrets), with each row\'s chain hashes. Filters: actor, action (or a prefix ending in "."), from, to',
    tag: 'audit', auth: 'session', forbidden: 'read the audit log', query: AuditQuerySchema, status: 200,
    response: AuditListSchema, errors: [401, 403, 422],
  }),
  verifyAudit: route({
    operationId: 'verifyAudit', method: 'GET', path: `${API_BASE}/audit/verify`,
    summary: 'Check the audit log\'s hash chain from the first row: ok with the head hash, or the first row where it breaks and why',
    tag: 'audit', auth: 'session', forbidden: 'verify the audit log', status: 200, response: AuditVerifySchema, errors: [401, 403],
  }),
  exportAudit: route({
    operationId: 'exportAudit', method: 'GET', path: `${API_BASE}/audit/export`,
    summary: 'The audit rows matching the filters as CSV (all of them, oldest first; at most 100,000), with their chain hashes',
    tag: 'audit', auth: 'session', forbidden: 'export the audit log', query: AuditQuerySchema.omit({ limit: true, cursor: true }),
    status: 200, response: null, produces: 'text/csv', errors: [401, 403, 422],
  }),
  exportConfig: route({
    operationId: 'exportConfig', method: 'GET', path: `${API_BASE}/export`,
    summary:
      'The whole configuration as one versioned document (format pbx-warden-export, version 1) for an offline review: ' +
      'sites, extensions with credential metadata, policies, lockouts, allowlists, hot desking, accounts, tokens and ' +
      'passkeys of every account, an audit summary. No secret and no hash. Admins without a site limit only',
    tag: 'admin', auth: 'session', forbidden: 'export the configuration', status: 200, response: PbxExportSchema, errors: [401, 403],
  }),
  events: route({
    operationId: 'events', siteScoped: true, method: 'GET', path: `${API_BASE}/events`,
    summary: 'Live events (Server-Sent Events); resumes after Last-Event-ID', tag: 'events', auth: 'session', roles: STAFF,
    status: 200, response: null, stream: true, errors: [401],
  }),
  deviceKeypad: route({
    operationId: 'deviceKeypad', method: 'POST', path: `${DEVICE_BASE}/keypad`,
    summary: 'A phone dials a feature code; *11 + protection password toggles blocked/unrestricted',
    tag: 'device', auth: 'device', body: KeypadRequestSchema, status: 200, response: KeypadResponseSchema,
    errors: [403, 422],
  }),
  deviceRouteCall: route({
    operationId: 'deviceRouteCall', method: 'POST', path: `${DEVICE_BASE}/calls`,
    summary: 'Routing decision for a call: ring, voicemail or rejected', tag: 'device', auth: 'device',
    body: CallRouteRequestSchema, status: 200, response: CallRouteResponseSchema, errors: [404, 422],
  }),
  deviceVoicemailLogin: route({
    operationId: 'deviceVoicemailLogin', method: 'POST', path: `${DEVICE_BASE}/voicemail/login`,
    summary:
      'Mailbox sign-in with the voicemail PIN; must_change_pin while it is the default. A trusted extension calling ' +
      'its own mailbox (from = extension) signs in without a PIN and gets ok (never must_change_pin: no PIN was used; ' +
      'a PIN sent along is not looked at); from any other number, or to an untrusted mailbox, the PIN is required ' +
      '(the same 403 for every refusal)',
    tag: 'device',
    auth: 'device', body: VoicemailLoginRequestSchema, status: 200, response: VoicemailLoginResponseSchema,
    errors: [403, 422],
  }),
  deviceRegister: route({
    operationId: 'deviceRegister', method: 'POST', path: `${DEVICE_BASE}/register`,
    summary: 'A phone registers with its extension\'s phone password (the User-Agent header names the phone); the same 403 for every refusal',
    tag: 'device', auth: 'device', body: DeviceRegisterRequestSchema, status: 200, response: DeviceRegisterResponseSchema,
    errors: [403, 422],
  }),
  devicePhoneLogin: route({
    operationId: 'devicePhoneLogin', method: 'POST', path: `${DEVICE_BASE}/phone-login`,
    summary: 'A user signs in on a phone with an extension\'s login code; the same 403 for every refusal',
    tag: 'device', auth: 'device', body: DevicePhoneLoginRequestSchema, status: 200, response: DevicePhoneLoginResponseSchema,
    errors: [403, 422],
  }),
  deviceHotDeskStatus: route({
    operationId: 'deviceHotDeskStatus', method: 'POST', path: `${DEVICE_BASE}/hotdesk/status`,
    summary:
      'The phone asks what to show: the login screen with its site\'s Internal / External choices, "needs reboot", ' +
      'or ready. 404 for a phone the PBX does not know',
    tag: 'device', auth: 'device', body: DeviceMacRequestSchema, status: 200, response: DeviceStatusSchema,
    errors: [404, 422],
  }),
  deviceHotDeskLogin: route({
    operationId: 'deviceHotDeskLogin', method: 'POST', path: `${DEVICE_BASE}/hotdesk/login`,
    summary:
      'Hot-desk login: extension + password (its voicemail PIN; the global user password when it has no mailbox; ' +
      'the global admin password for any extension). Answers the configuration; brands that need a reboot answer ' +
      'needs_reboot. The extension leaves any other phone. While someone is logged in on the phone, only its own ' +
      'address may log in another user. The same 403 for every refusal; failures count toward lockouts (the ' +
      'voicemail credential when the extension has a mailbox, else phone_login) and toward the shared-password lock',
    tag: 'device', auth: 'device', body: HotDeskLoginRequestSchema, status: 200, response: DeviceConfigSchema,
    errors: [403, 404, 409, 422, 429],
  }),
  deviceHotDeskRebooted: route({
    operationId: 'deviceHotDeskRebooted', method: 'POST', path: `${DEVICE_BASE}/hotdesk/rebooted`,
    summary: 'The phone rebooted and loaded its configuration (from the address it logged in from)', tag: 'device',
    auth: 'device', body: DeviceMacRequestSchema, status: 200, response: DeviceStatusSchema, errors: [403, 404, 422],
  }),
  deviceHotDeskActivity: route({
    operationId: 'deviceHotDeskActivity', method: 'POST', path: `${DEVICE_BASE}/hotdesk/activity`,
    summary: 'The user used the phone (a call, a key): resets the idle auto-logout; from the address it logged in from', tag: 'device', auth: 'device',
    body: DeviceMacRequestSchema, status: 200, response: DeviceStatusSchema, errors: [403, 404, 422],
  }),
  deviceHotDeskLogout: route({
    operationId: 'deviceHotDeskLogout', method: 'POST', path: `${DEVICE_BASE}/hotdesk/logout`,
    summary: 'Logout from the phone (from the address it logged in from): it returns to the login screen', tag: 'device', auth: 'device',
    body: DeviceMacRequestSchema, status: 200, response: DeviceStatusSchema, errors: [403, 404, 422],
  }),
  deviceVoicemailPin: route({
    operationId: 'deviceVoicemailPin', method: 'POST', path: `${DEVICE_BASE}/voicemail/pin`,
    summary: 'Change the voicemail PIN from the phone; checked against the same policy', tag: 'device',
    auth: 'device', body: VoicemailPinChangeSchema, status: 200, response: VoicemailPinChangeResponseSchema,
    errors: [403, 422],
  }),
} as const satisfies Record<string, RouteDef>;

export type RouteName = keyof typeof routes;

/** Fill an OpenAPI-style path template: /extensions/{number} → /extensions/1001 */
export function pathFor(template: string, params: Record<string, string> = {}): string {
  return template.replace(/\{(\w+)\}/g, (_, k: string) => {
    const v = params[k];
    if (v === undefined) throw new Error(`missing path parameter ${k}`);
    return encodeURIComponent(v);
  });
}

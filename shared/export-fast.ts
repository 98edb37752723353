// Issue 7: the export reader's fast path for its biggest part, the extensions array (100,000 rows in a large
// export; zod's generic object walk costs ~0.4 s there). `checkExtensions` is a hand-written twin of
// `z.array(ExtensionSchema)` (shared/domain.ts): the same types and rules (non-finite and unsafe integers, enum
// values, the number pattern), the same unknown-key policy (unknown keys are dropped, as zod's default "strip"
// does), and the same output (keys in the schema's order, an absent optional key stays absent; an object that
// already is exactly that — JSON.parse's usually are — is kept rather than copied). It only says yes or no: on a
// "no" the reader runs zod on the whole document, so every message, path and issue order is zod's.
// test/unit/export-fast.test.ts checks with generated and mutated extensions that this and
// zod accept and reject the same values and give the same output; `fastPathMatchesSchema` turns the fast path
// off when the schema's key set changes and this file was not updated.
import { z } from 'zod';
import {
  CredentialMetaSchema,
  ExtensionCredentialsSchema,
  ExtensionSchema,
  ProtectionSchema,
  type CredentialMeta,
  type Extension,
  type ExtensionCredentials,
  type Protection,
} from './domain.js';

const EXTENSION_KEYS = ['number', 'label', 'siteId', 'type', 'status', 'voicemail', 'protection', 'incomingCalls', 'credentials', 'voicemailTrusted', 'version', 'etag'] as const;
const PROTECTION_KEYS = ['enabled', 'state', 'passwordSet', 'changedAt', 'changedBy', 'changedFrom'] as const;
const CREDENTIALS_KEYS = ['voicemail_pin', 'login_code', 'phone_password', 'user_password'] as const;
const CREDENTIAL_META_KEYS = ['set', 'isDefault', 'setAt', 'compliant', 'meetsCurrentPolicy'] as const;

/**
 * Whether a plain object's keys are exactly `keys` in that order, an optional one (`optional`) possibly left out:
 * then zod's output would be a copy with the same keys in the same order, and the object itself can stand for it
 * (no copy: a 100,000-row export allocates 700,000 objects fewer).
 */
function keysAre(o: object, keys: readonly string[], optional: ReadonlySet<string>): boolean {
  // zod's output is a plain object (JSON.parse's are; another prototype gets a copy)
  if (Object.getPrototypeOf(o) !== Object.prototype) return false;
  let j = 0;
  for (const k in o) {
    while (j < keys.length && keys[j] !== k && optional.has(keys[j]!)) j++;
    if (keys[j] !== k) return false;
    j++;
  }
  return true;
}
const NO_OPTIONAL: ReadonlySet<string> = new Set();
const EXTENSION_OPTIONAL: ReadonlySet<string> = new Set(['credentials', 'voicemailTrusted']);
const META_OPTIONAL: ReadonlySet<string> = new Set(['meetsCurrentPolicy']);

const NUMBER = /^[0-9]{2,10}$/;
// the enums' values from the schemas themselves
const TYPES: ReadonlySet<unknown> = new Set<string>(ExtensionSchema.shape.type.options);
const STATUSES: ReadonlySet<unknown> = new Set<string>(ExtensionSchema.shape.status.options);
const STATES: ReadonlySet<unknown> = new Set<string>(ProtectionSchema.shape.state.options);
const DECISIONS: ReadonlySet<unknown> = new Set<string>(ExtensionSchema.shape.incomingCalls.options);

const sameKeys = (schema: z.ZodObject, keys: readonly string[]) => {
  const shape = Object.keys(schema.shape);
  return shape.length === keys.length && shape.every((k, i) => k === keys[i]);
};

/** Whether the schemas still have the keys (and order) this file was written for; if not, zod checks everything. */
export const fastPathMatchesSchema =
  sameKeys(ExtensionSchema, EXTENSION_KEYS) &&
  sameKeys(ProtectionSchema, PROTECTION_KEYS) &&
  sameKeys(ExtensionCredentialsSchema, CREDENTIALS_KEYS) &&
  sameKeys(CredentialMetaSchema, CREDENTIAL_META_KEYS) &&
  ExtensionSchema.shape.credentials instanceof z.ZodOptional &&
  ExtensionSchema.shape.voicemailTrusted instanceof z.ZodOptional &&
  CredentialMetaSchema.shape.meetsCurrentPolicy instanceof z.ZodOptional;

/** A plain object (zod's test: not null, not an array). */
function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const isStringOrNull = (v: unknown): v is string | null => v === null || typeof v === 'string';
const isBoolOrNull = (v: unknown): v is boolean | null => v === null || typeof v === 'boolean';

function checkProtection(v: unknown): Protection | undefined {
  if (!isObject(v)) return undefined;
  const { enabled, state, passwordSet, changedAt, changedBy, changedFrom } = v;
  if (
    typeof enabled !== 'boolean' ||
    !STATES.has(state) ||
    typeof passwordSet !== 'boolean' ||
    !isStringOrNull(changedAt) ||
    !isStringOrNull(changedBy) ||
    !isStringOrNull(changedFrom)
  ) {
    return undefined;
  }
  if (keysAre(v, PROTECTION_KEYS, NO_OPTIONAL)) return v as Protection;
  return { enabled, state: state as Protection['state'], passwordSet, changedAt, changedBy, changedFrom };
}

function checkMeta(v: unknown): CredentialMeta | undefined {
  if (!isObject(v)) return undefined;
  const { set, isDefault, setAt, compliant } = v;
  if (typeof set !== 'boolean' || typeof isDefault !== 'boolean' || !isStringOrNull(setAt) || !isBoolOrNull(compliant)) return undefined;
  const hasMeets = 'meetsCurrentPolicy' in v;
  const m = v['meetsCurrentPolicy'];
  if (hasMeets && m !== undefined && !isBoolOrNull(m)) return undefined;
  if (keysAre(v, CREDENTIAL_META_KEYS, META_OPTIONAL)) return v as CredentialMeta;
  const out: CredentialMeta = { set, isDefault, setAt, compliant };
  if (hasMeets) out.meetsCurrentPolicy = m as boolean | null | undefined;
  return out;
}

function checkCredentials(v: unknown): ExtensionCredentials | undefined {
  if (!isObject(v)) return undefined;
  const voicemail_pin = checkMeta(v['voicemail_pin']);
  if (!voicemail_pin) return undefined;
  const login_code = checkMeta(v['login_code']);
  if (!login_code) return undefined;
  const phone_password = checkMeta(v['phone_password']);
  if (!phone_password) return undefined;
  const user_password = checkMeta(v['user_password']);
  if (!user_password) return undefined;
  if (
    voicemail_pin === v['voicemail_pin'] &&
    login_code === v['login_code'] &&
    phone_password === v['phone_password'] &&
    user_password === v['user_password'] &&
    keysAre(v, CREDENTIALS_KEYS, NO_OPTIONAL)
  ) {
    return v as ExtensionCredentials;
  }
  return { voicemail_pin, login_code, phone_password, user_password };
}

/** One extension as `ExtensionSchema.safeParse` would give it, or undefined where zod would report a problem. */
export function checkExtension(v: unknown): Extension | undefined {
  if (!isObject(v)) return undefined;
  const { number, label, siteId, type, status, voicemail, incomingCalls, version, etag } = v;
  if (
    typeof number !== 'string' ||
    !NUMBER.test(number) ||
    typeof label !== 'string' ||
    typeof siteId !== 'string' ||
    !TYPES.has(type) ||
    !STATUSES.has(status) ||
    typeof voicemail !== 'boolean'
  ) {
    return undefined;
  }
  const protection = checkProtection(v['protection']);
  if (!protection || !DECISIONS.has(incomingCalls)) return undefined;
  let credentials: ExtensionCredentials | undefined;
  const hasCredentials = 'credentials' in v;
  if (hasCredentials) {
    const c = v['credentials'];
    if (c !== undefined) {
      credentials = checkCredentials(c);
      if (!credentials) return undefined;
    }
  }
  const hasTrusted = 'voicemailTrusted' in v;
  const voicemailTrusted = v['voicemailTrusted'];
  if (hasTrusted && voicemailTrusted !== undefined && typeof voicemailTrusted !== 'boolean') return undefined;
  // z.number().int().positive(): a finite safe integer above 0
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version <= 0 || typeof etag !== 'string') return undefined;
  if (protection === v['protection'] && credentials === v['credentials'] && keysAre(v, EXTENSION_KEYS, EXTENSION_OPTIONAL)) return v as Extension;
  const out: Extension = {
    number,
    label,
    siteId,
    type: type as Extension['type'],
    status: status as Extension['status'],
    voicemail,
    protection,
    incomingCalls: incomingCalls as Extension['incomingCalls'],
  } as Extension;
  if (hasCredentials) out.credentials = credentials;
  if (hasTrusted) out.voicemailTrusted = voicemailTrusted as boolean | undefined;
  out.version = version;
  out.etag = etag;
  return out;
}

/**
 * The extensions array as `z.array(ExtensionSchema).max(max)` would give it, or undefined where zod would report
 * a problem (or the fast path is off): then the caller lets zod check, and say, everything.
 */
export function checkExtensions(v: unknown, max: number): Extension[] | undefined {
  if (!fastPathMatchesSchema || !Array.isArray(v) || v.length > max) return undefined;
  const out = new Array<Extension>(v.length);
  for (let i = 0; i < v.length; i++) {
    const e = checkExtension(v[i]);
    if (!e) return undefined;
    out[i] = e;
  }
  return out;
}

// A small, valid PbxExport (it passes PbxExportSchema.parse) to build findings and diff tests on, and builders
// for its rows. The base export is "clean": runFindings finds nothing in it, so a test adds exactly what
// should trigger a rule. largeExport(n) makes an n-extension export for timing by hand and in bench/.
import type { Account } from '../../shared/accounts.js';
import type { CredentialMeta, Extension, Protection } from '../../shared/domain.js';
import { EXPORT_FORMAT, EXPORT_VERSION, type PbxExport } from '../../shared/export.js';
import type { Device, Mapping, Template } from '../../shared/hotdesk.js';
import { DEFAULT_LOCKOUT_POLICY, type AddressBan, type AllowEntry, type ExtensionLock, type LockCredential } from '../../shared/lockout.js';
import type { Passkey } from '../../shared/passkeys.js';
import { CredentialKinds, DEFAULT_PRESET_OF, defaultPinPolicy } from '../../shared/pin-policy.js';
import type { Token } from '../../shared/tokens.js';

/** The review time of the fixtures. */
export const FIXTURE_NOW = new Date('2030-06-01T12:00:00.000Z');
const T0 = '2030-05-01T09:00:00.000Z';

type ExportAccount = PbxExport['accounts'][number];
type ExportToken = PbxExport['tokens'][number];
type CredKind = keyof NonNullable<Extension['credentials']>;

/** A hex id of 16 digits (tokens, passkeys) from a number. */
export function hexId(n: number): string {
  return n.toString(16).padStart(16, '0');
}

export function credential(over: Partial<CredentialMeta> = {}): CredentialMeta {
  return { set: false, isDefault: false, setAt: null, compliant: null, meetsCurrentPolicy: null, ...over };
}

export type ExtensionOverrides = Partial<Omit<Extension, 'protection' | 'credentials'>> & {
  protection?: Partial<Protection>;
  /** Per kind, merged into the clean defaults; null = no credentials block (an older server). */
  credentials?: Partial<Record<CredKind, Partial<CredentialMeta>>> | null;
};

/** An active phone terminal with voicemail, protection on, an own compliant voicemail PIN. */
export function extension(number: string, over: ExtensionOverrides = {}): Extension {
  const { protection, credentials, ...rest } = over;
  const creds: Record<CredKind, CredentialMeta> = {
    voicemail_pin: credential({ set: true, setAt: T0, compliant: true, meetsCurrentPolicy: true }),
    login_code: credential(),
    phone_password: credential(),
    user_password: credential(),
  };
  if (credentials) for (const [k, v] of Object.entries(credentials)) creds[k as CredKind] = { ...creds[k as CredKind], ...v };
  const e: Extension = {
    number,
    label: `User ${number}`,
    siteId: 'hq',
    type: 'phone_terminal',
    status: 'active',
    voicemail: true,
    protection: { enabled: true, state: 'unrestricted', passwordSet: true, changedAt: T0, changedBy: 'admin', changedFrom: '10.0.0.5', ...protection },
    incomingCalls: 'ring',
    credentials: creds,
    voicemailTrusted: false,
    version: 1,
    etag: '"v1"',
    ...rest,
  };
  if (credentials === null) delete e.credentials;
  return e;
}

export function account(username: string, over: Partial<ExportAccount> = {}): ExportAccount {
  return {
    username,
    role: 'admin',
    sites: null,
    hasPassword: true,
    passwordSetAt: T0,
    emails: [],
    apiAccess: false,
    tokenValidityMinutes: 720,
    passkeys: 0,
    createdAt: T0,
    updatedAt: null,
    updatedBy: null,
    warnings: [],
    ...over,
  } satisfies Omit<Account, 'you' | 'etag'>;
}

/** A token of admin, created and used recently from inside 10.0.0.0/8. */
export function token(id: string, over: Partial<ExportToken> = {}): ExportToken {
  return {
    id,
    type: 'session',
    username: 'admin',
    createdWith: 'password',
    createdAt: '2030-05-30T08:00:00.000Z',
    createdFrom: '10.0.0.5',
    createdUserAgent: 'PBX Warden/0.1',
    lastUsedAt: '2030-05-31T08:00:00.000Z',
    lastUsedFrom: '10.0.0.5',
    lastUsedUserAgent: 'PBX Warden/0.1',
    expiresAt: '2030-06-30T08:00:00.000Z',
    ...over,
  } satisfies Omit<Token, 'current'>;
}

export function passkey(id: string, over: Partial<Passkey> = {}): Passkey {
  return {
    id,
    type: 'passkey',
    username: 'admin',
    name: 'Office laptop',
    aaguid: '00000000-0000-0000-0000-000000000000',
    transports: ['internal'],
    backedUp: false,
    createdAt: T0,
    createdFrom: '10.0.0.5',
    createdUserAgent: null,
    lastUsedAt: null,
    lastUsedFrom: null,
    lastUsedUserAgent: null,
    ...over,
  };
}

export function device(mac: string, over: Partial<Device> = {}): Device {
  return {
    mac,
    brand: 'yealink',
    model: 'T54W',
    firmware: '96.86.0.1',
    siteId: 'hq',
    lastSeenAddress: '10.1.0.20',
    lastSeenAt: T0,
    state: 'logged_out',
    extension: null,
    templateId: null,
    since: T0,
    lastActivityAt: null,
    ...over,
  };
}

export function template(id: number, over: Partial<Template> = {}): Template {
  return {
    id, brand: 'yealink', name: `Template ${id}`, settings: { 'account.1.label': 'Desk' }, isDefault: id === 1, mappings: 0,
    updatedAt: T0, updatedBy: 'admin', etag: '"v1"', ...over,
  };
}

export function mapping(extensionNumber: string, over: Partial<Mapping> = {}): Mapping {
  return { extension: extensionNumber, templateId: 1, mac: null, updatedAt: T0, updatedBy: 'admin', etag: '"v1"', ...over };
}

export function extensionLock(extensionNumber: string, credentialKind: LockCredential, over: Partial<ExtensionLock> = {}): ExtensionLock {
  return {
    extension: extensionNumber, label: `User ${extensionNumber}`, siteId: 'hq', credential: credentialKind,
    blocked: true, permanent: false, failures: 5, maxFailures: 5,
    lastFailureAt: T0, lastAddress: '203.0.113.9', lastUserAgent: 'friendly-scanner',
    lockedAt: T0, lockedUntil: '2030-05-01T09:10:00.000Z', recentLocks: 1, ...over,
  };
}

export function addressBan(id: number, cidr: string, over: Partial<AddressBan> = {}): AddressBan {
  return {
    id, cidr, addedBy: 'auto', reason: '10 failed sign-ins in 10 minutes', hits: 3, createdAt: T0, createdBy: 'lockout engine',
    expiresAt: '2030-05-01T09:10:00.000Z', lastHitAt: null, ...over,
  };
}

export function allowEntry(id: number, cidr: string, over: Partial<AllowEntry> = {}): AllowEntry {
  return { id, cidr, description: 'office', createdAt: T0, createdBy: 'admin', ...over };
}

/** The clean base: one site, default policies, a non-empty admin allowlist, one admin with a password. */
export function exportFixture(mutate?: (x: PbxExport) => void): PbxExport {
  const x: PbxExport = {
    format: EXPORT_FORMAT,
    version: EXPORT_VERSION,
    exportedAt: FIXTURE_NOW.toISOString(),
    exportedBy: 'admin',
    pbx: { name: 'Test PBX', version: '0.1.0' },
    sites: [{ id: 'hq', name: 'Head office', extensionCount: 0 }],
    extensions: [],
    policies: {
      pin: CredentialKinds.map((kind) => ({
        kind, policy: defaultPinPolicy(kind), preset: DEFAULT_PRESET_OF[kind], version: 1, updatedAt: null, updatedBy: null,
      })),
      lockout: { policy: structuredClone(DEFAULT_LOCKOUT_POLICY), version: 1, etag: '"v1"', updatedAt: null, updatedBy: null },
    },
    lockouts: { extensions: [], addresses: [], allowlist: [] },
    adminAllowlist: { entries: ['10.0.0.0/8'], updatedAt: T0, updatedBy: 'admin' },
    hotdesk: {
      devices: [],
      templates: [],
      mappings: [],
      sites: [],
      passwords: {
        user: { kind: 'user', set: true, setAt: T0, setBy: 'admin' },
        admin: { kind: 'admin', set: true, setAt: T0, setBy: 'admin' },
        sharedLock: { lockedUntil: null, failures: 0, threshold: 20, windowMinutes: 10, lockMinutes: 15 },
      },
    },
    accounts: [account('admin')],
    tokens: [],
    passkeys: [],
    audit: {
      rows: 10,
      firstAt: T0,
      lastAt: T0,
      verify: { ok: true, checked: 10, lastId: 10, headHash: 'a'.repeat(64), broken: null },
      byAction: [{ action: 'session.login', count: 10 }],
    },
  };
  mutate?.(x);
  x.sites.forEach((s) => (s.extensionCount = x.extensions.filter((e) => e.siteId === s.id).length));
  return x;
}

/**
 * A large export for timing: n clean extensions over 10 sites (every 7th with a default PIN, every 11th with
 * protection off), n/10 tokens, n/20 devices and mappings, n/100 locks and bans.
 */
export function largeExport(n: number): PbxExport {
  return exportFixture((x) => {
    x.sites = Array.from({ length: 10 }, (_, i) => ({ id: `site-${i}`, name: `Site ${i}`, extensionCount: 0 }));
    x.extensions = Array.from({ length: n }, (_, i) =>
      extension(String(100_000 + i), {
        siteId: `site-${i % 10}`,
        credentials: i % 7 === 0 ? { voicemail_pin: { isDefault: true, meetsCurrentPolicy: null } } : {},
        protection: i % 11 === 0 ? { enabled: false } : {},
      }),
    );
    x.tokens = Array.from({ length: Math.floor(n / 10) }, (_, i) =>
      token(hexId(i + 1), i % 3 === 0 ? { lastUsedAt: '2029-01-01T00:00:00.000Z', lastUsedFrom: '198.51.100.7' } : {}),
    );
    x.hotdesk.templates = [template(1)];
    x.hotdesk.devices = Array.from({ length: Math.floor(n / 20) }, (_, i) => device(macOf(i)));
    x.hotdesk.mappings = Array.from({ length: Math.floor(n / 20) }, (_, i) => mapping(String(100_000 + i), { mac: macOf(i) }));
    x.lockouts.extensions = Array.from({ length: Math.floor(n / 100) }, (_, i) => extensionLock(String(100_000 + i), 'voicemail', { permanent: i % 2 === 0 }));
    x.lockouts.addresses = Array.from({ length: Math.floor(n / 100) }, (_, i) => addressBan(i + 1, `203.0.${Math.floor(i / 256) % 256}.${i % 256}`));
  });
}

/** A valid unicast MAC from a number. */
export function macOf(i: number): string {
  const hex = (0x001565000000 + i).toString(16).toUpperCase().padStart(12, '0');
  return (hex.match(/../g) as string[]).join(':');
}

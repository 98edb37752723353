// Issue 7 / SPEC F6 — what changed between two exports of a PBX (or between two PBXs): per section, the items
// added, removed and changed, each keyed by its natural key (extension number, MAC, username, token id …),
// a change listed field by field as a dotted path with both values rendered short. ETags are never compared
// (they change with every write and mean nothing to a reader); version counters are. Linear: one Map per
// section and side, one walk per item present in both.
import type { PbxExport } from './export.js';
import { normaliseMac } from './hotdesk.js';

const NORMAL_MAC = /^[0-9A-F]{2}(:[0-9A-F]{2}){5}$/;
/** A MAC's normal form (as the PBX stores it: most are already), or the text itself when it is not a MAC. */
function macKey(mac: string): string {
  return NORMAL_MAC.test(mac) ? mac : (normaliseMac(mac) ?? mac);
}
import { LOCK_CREDENTIAL_LABEL } from './lockout.js';

export interface DiffItem {
  key: string;
  label: string;
}

export interface FieldChange {
  /** Dotted path inside the item, e.g. protection.enabled, credentials.voicemail_pin.isDefault. */
  path: string;
  before: string;
  after: string;
}

export interface ChangedItem {
  key: string;
  label: string;
  fields: FieldChange[];
}

export interface SectionDiff {
  section: string;
  title: string;
  added: DiffItem[];
  removed: DiffItem[];
  changed: ChangedItem[];
}

/** Fields never compared, at any depth. */
const IGNORED_FIELDS: ReadonlySet<string> = new Set(['etag']);

/** A value rendered for people: at most this many characters. */
export const DIFF_VALUE_MAX = 80;

interface Section<T> {
  section: string;
  title: string;
  items: (x: PbxExport) => readonly T[];
  key: (item: T) => string;
  label: (item: T) => string;
  /** What is compared (default: the item itself). */
  view?: (item: T) => unknown;
}

// A section list with per-section item types: each entry is checked against its own T, then erased.
function section<T>(s: Section<T>): Section<unknown> {
  return s as unknown as Section<unknown>;
}

const SECTIONS: readonly Section<unknown>[] = [
  section({
    section: 'pbx',
    title: 'PBX',
    items: (x) => [{ name: x.pbx.name, version: x.pbx.version, exportedBy: x.exportedBy }],
    key: () => 'pbx',
    label: (p) => p.name,
  }),
  section({ section: 'sites', title: 'Sites', items: (x) => x.sites, key: (s) => s.id, label: (s) => `${s.name} (${s.id})` }),
  section({
    section: 'extensions',
    title: 'Extensions',
    items: (x) => x.extensions,
    key: (e) => e.number,
    label: (e) => (e.label ? `${e.number} ${e.label}` : e.number),
  }),
  section({
    section: 'pinPolicies',
    title: 'PIN policies',
    items: (x) => x.policies.pin,
    key: (p) => p.kind,
    label: (p) => `PIN policy: ${p.kind.replace(/_/g, ' ')}`,
  }),
  section({
    section: 'lockoutPolicy',
    title: 'Lockout policy',
    items: (x) => [x.policies.lockout],
    key: () => 'lockout',
    label: () => 'Lockout policy',
  }),
  section({
    section: 'extensionLocks',
    title: 'Extension locks',
    items: (x) => x.lockouts.extensions,
    key: (l) => `${l.extension}/${l.credential}`,
    label: (l) => `${l.extension}${l.label ? ` ${l.label}` : ''} — ${LOCK_CREDENTIAL_LABEL[l.credential]}`,
  }),
  section({ section: 'addressBans', title: 'Address bans', items: (x) => x.lockouts.addresses, key: (b) => b.cidr, label: (b) => b.cidr }),
  section({
    section: 'lockoutAllowlist',
    title: 'Lockout allowlist',
    items: (x) => x.lockouts.allowlist,
    key: (a) => a.cidr,
    label: (a) => (a.description ? `${a.cidr} (${a.description})` : a.cidr),
  }),
  section({
    section: 'adminAllowlist',
    title: 'Admin allowlist',
    items: (x) => x.adminAllowlist.entries,
    key: (e) => e,
    label: (e) => e,
  }),
  section({
    section: 'devices',
    title: 'Hot-desk phones',
    items: (x) => x.hotdesk.devices,
    key: (d) => macKey(d.mac),
    label: (d) => `${macKey(d.mac)} (${d.brand} ${d.model})`,
  }),
  section({
    section: 'templates',
    title: 'Templates',
    items: (x) => x.hotdesk.templates,
    key: (t) => `${t.brand}/${t.name}`,
    label: (t) => `${t.name} (${t.brand})`,
  }),
  section({
    section: 'mappings',
    title: 'Extension mappings',
    items: (x) => x.hotdesk.mappings,
    key: (m) => m.extension,
    label: (m) => `Mapping of ${m.extension}`,
  }),
  section({
    section: 'hotdeskSites',
    title: 'Hot-desk site settings',
    items: (x) => x.hotdesk.sites,
    key: (s) => s.siteId,
    label: (s) => `${s.siteName} (${s.siteId})`,
  }),
  section({
    section: 'hotdeskPasswords',
    title: 'Hot-desk passwords',
    items: (x) => [
      { key: 'user', label: 'User password', value: x.hotdesk.passwords.user as unknown },
      { key: 'admin', label: 'Admin password', value: x.hotdesk.passwords.admin },
      { key: 'sharedLock', label: 'Shared password lock', value: x.hotdesk.passwords.sharedLock },
    ],
    key: (p) => p.key,
    label: (p) => p.label,
    view: (p) => p.value,
  }),
  section({ section: 'accounts', title: 'Accounts', items: (x) => x.accounts, key: (a) => a.username, label: (a) => `${a.username} (${a.role})` }),
  section({ section: 'tokens', title: 'Login tokens', items: (x) => x.tokens, key: (t) => t.id, label: (t) => `Token of ${t.username}` }),
  section({ section: 'passkeys', title: 'Passkeys', items: (x) => x.passkeys, key: (p) => p.id, label: (p) => `Passkey "${p.name}" of ${p.username}` }),
  section({
    section: 'audit',
    title: 'Audit log',
    items: (x) => [x.audit],
    key: () => 'audit',
    label: () => 'Audit log summary',
    // rows per action as action → count, so one action's count changing is one field
    view: (a) => ({ ...a, byAction: Object.fromEntries(a.byAction.map((r) => [r.action, r.count])) }),
  }),
];

/** The sections diffExports answers, in its order. */
export const DIFF_SECTIONS: readonly { section: string; title: string }[] = SECTIONS.map((s) => ({ section: s.section, title: s.title }));

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function short(s: string): string {
  return s.length > DIFF_VALUE_MAX ? `${s.slice(0, DIFF_VALUE_MAX - 1)}…` : s;
}

/** A value for people, short: (absent), (none), (empty), the text, or compact JSON. */
export function renderValue(v: unknown): string {
  if (v === undefined) return '(absent)';
  if (v === null) return '(none)';
  if (typeof v === 'string') return v === '' ? '(empty)' : short(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v) && v.every((e) => e === null || ['string', 'number', 'boolean'].includes(typeof e))) {
    return v.length === 0 ? '(empty list)' : short(v.map((e) => String(e)).join(', '));
  }
  return short(JSON.stringify(v) ?? String(v));
}

function sameArray(a: readonly unknown[], b: readonly unknown[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (x === y) continue;
    if (typeof x !== 'object' || typeof y !== 'object' || x === null || y === null) return false;
    if (JSON.stringify(x) !== JSON.stringify(y)) return false;
  }
  return true;
}

/** The leaf changes from `a` to `b` under `path` (objects field by field, arrays and values as a whole). */
function walk(a: unknown, b: unknown, path: string[], out: FieldChange[]): void {
  if (a === b) return;
  if (isPlainObject(a) && isPlainObject(b)) {
    // for-in allocates nothing; b's keys are visited again only when it has some that a has not
    let shared = 0;
    for (const k in a) {
      const va = a[k];
      const vb = b[k];
      if (vb !== undefined || k in b) shared++;
      if (va === vb || IGNORED_FIELDS.has(k)) continue;
      path.push(k);
      walk(va, vb, path, out);
      path.pop();
    }
    let nb = 0;
    for (const _ in b) nb++;
    if (nb === shared) return;
    for (const k in b) {
      if (k in a || IGNORED_FIELDS.has(k)) continue;
      path.push(k);
      walk(undefined, b[k], path, out);
      path.pop();
    }
    return;
  }
  if (Array.isArray(a) && Array.isArray(b) && sameArray(a, b)) return;
  out.push({ path: path.length ? path.join('.') : '(value)', before: renderValue(a), after: renderValue(b) });
}

/** The field changes of one item (ETags ignored); [] when nothing that matters changed. */
export function diffValues(a: unknown, b: unknown): FieldChange[] {
  const out: FieldChange[] = [];
  walk(a, b, [], out);
  return out;
}

/** The items of one side by key (labels are made only for what is reported). */
function keyed(s: Section<unknown>, items: readonly unknown[]): Map<string, unknown> {
  const m = new Map<string, unknown>();
  for (const item of items) {
    let key = s.key(item);
    // two items with one key (a hand-edited file): both kept, the later ones numbered
    if (m.has(key)) {
      let n = 2;
      while (m.has(`${key} #${n}`)) n++;
      key = `${key} #${n}`;
    }
    m.set(key, item);
  }
  return m;
}

/**
 * What changed from export `a` to export `b`: every section in DIFF_SECTIONS order, each with its added,
 * removed and changed items (empty lists where nothing changed). Added and changed items come in b's order,
 * removed ones in a's.
 */
export function diffExports(a: PbxExport, b: PbxExport): SectionDiff[] {
  const out: SectionDiff[] = [];
  for (const s of SECTIONS) {
    const before = keyed(s, s.items(a));
    const after = keyed(s, s.items(b));
    const view = s.view ?? ((v: unknown) => v);
    const d: SectionDiff = { section: s.section, title: s.title, added: [], removed: [], changed: [] };
    for (const [key, ib] of after) {
      const ia = before.get(key);
      if (ia === undefined) {
        d.added.push({ key, label: s.label(ib) });
        continue;
      }
      if (ia === ib) continue;
      const fields = diffValues(view(ia), view(ib));
      if (fields.length) d.changed.push({ key, label: s.label(ib), fields });
    }
    for (const [key, ia] of before) {
      if (!after.has(key)) d.removed.push({ key, label: s.label(ia) });
    }
    out.push(d);
  }
  return out;
}

/** Whether two exports differ in nothing diffExports compares. */
export function diffIsEmpty(diff: readonly SectionDiff[]): boolean {
  return diff.every((d) => d.added.length === 0 && d.removed.length === 0 && d.changed.length === 0);
}

/** Totals over every section (for a summary line). */
export function diffTotals(diff: readonly SectionDiff[]): { added: number; removed: number; changed: number } {
  let added = 0;
  let removed = 0;
  let changed = 0;
  for (const d of diff) {
    added += d.added.length;
    removed += d.removed.length;
    changed += d.changed.length;
  }
  return { added, removed, changed };
}

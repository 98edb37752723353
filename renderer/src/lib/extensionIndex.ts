// The local index behind the extensions table: every extension of the PBX (up to ~100k rows), with
// precomputed search keys and sort keys, so that filtering and sorting are plain loops over arrays.
// Nothing here allocates per row on a keystroke: the result is one Int32Array of row indices.
//
// Search, filters and the number/label/site sorts mean exactly what the PBX's list API means
// (GET /api/v1/extensions, server/store.ts), so the table and the API never disagree:
// - search: trimmed and lower-cased; a row matches when its number STARTS with the term or its
//   lower-cased label CONTAINS it;
// - protection: off = not enabled; on = enabled; unrestricted/blocked = enabled and in that state;
// - sorts compare like SQLite (binary, i.e. by code point): number = (numeric value, number),
//   label = (lower-cased label, number), site = (site id, numeric value, number); descending reverses
//   every key. Rows with equal keys are ordered by number, so the order is total and stable.
// The console-only sorts (type, protection, incoming, and the voicemail PIN's health, age and compliance)
// break ties the same way; the PIN filter is console-only too.
// No DOM here: the unit tests import this file directly.
import type { Extension, ExtensionType, Site } from '../../../shared/domain';
import { EXTENSION_TYPE_LABEL } from '../../../shared/domain';

export type SortKey = 'number' | 'label' | 'site' | 'type' | 'protection' | 'incoming' | 'pin' | 'pinAge' | 'compliance';
export type SortDir = 'asc' | 'desc';
export type ProtectionFilter = 'any' | 'off' | 'on' | 'unrestricted' | 'blocked';
/** Console-only filter on the voicemail PIN's health (the PBX's list API has no such filter). */
export type PinFilter = 'any' | 'default' | 'custom' | 'outdated' | 'unset';

export interface Query {
  search: string;
  site: string; // '' = any
  type: ExtensionType | '';
  protection: ProtectionFilter;
  pin: PinFilter;
  sortKey: SortKey;
  sortDir: SortDir;
}

export type ProtectionBadge = 'off' | 'unrestricted' | 'blocked';

export function protectionBadge(ext: Extension): ProtectionBadge {
  if (!ext.protection.enabled) return 'off';
  return ext.protection.state === 'blocked' ? 'blocked' : 'unrestricted';
}

/**
 * The voicemail PIN's health, from the credential metadata the PBX sends (never the value):
 * default = still the number's default PIN; custom = the user's own PIN, known to meet the current policy;
 * outdated = the user's own PIN that may not meet it (set under an older, looser policy, or not compliant
 * when set); unset = no PIN; unknown = the PBX sent no metadata.
 */
export type PinHealth = 'default' | 'outdated' | 'custom' | 'unset' | 'unknown';

/** Whether a credential meets the current policy: true, false, or null = not known / not asked. */
export function meetsPolicy(m: { isDefault: boolean; compliant: boolean | null; meetsCurrentPolicy?: boolean | null | undefined }): boolean | null {
  if (m.isDefault) return null;
  // An older PBX without meetsCurrentPolicy: compliance when set is all there is.
  if (m.meetsCurrentPolicy === undefined) return m.compliant;
  return m.meetsCurrentPolicy;
}

export function pinHealth(ext: Extension): PinHealth {
  const m = ext.credentials?.voicemail_pin;
  if (!m) return 'unknown';
  if (!m.set) return 'unset';
  if (m.isDefault) return 'default';
  return meetsPolicy(m) === true ? 'custom' : 'outdated';
}

/** The "Current policy" column: meets / may not (older policy) / not compliant / not applicable. */
export type PolicyFit = 'meets' | 'older' | 'no' | 'na';

export function policyFit(ext: Extension): PolicyFit {
  const m = ext.credentials?.voicemail_pin;
  if (!m || !m.set || m.isDefault) return 'na';
  const meets = meetsPolicy(m);
  return meets === true ? 'meets' : meets === false ? 'no' : 'older';
}

/** When the voicemail PIN was last set (ms since the epoch), or null. */
export function pinSetAt(ext: Extension): number | null {
  const at = ext.credentials?.voicemail_pin.setAt;
  if (!at) return null;
  const t = Date.parse(at);
  return Number.isNaN(t) ? null : t;
}

const PIN_RANK: Record<PinHealth, number> = { default: 0, outdated: 1, custom: 2, unset: 3, unknown: 4 };
const FIT_RANK: Record<PolicyFit, number> = { no: 0, older: 1, meets: 2, na: 3 };

const PROTECTION_RANK: Record<ProtectionBadge, number> = { off: 0, unrestricted: 1, blocked: 2 };
const INCOMING_RANK = { ring: 0, voicemail: 1, rejected: 2 } as const;
const SORT_KEYS: SortKey[] = ['number', 'label', 'site', 'type', 'protection', 'incoming', 'pin', 'pinAge', 'compliance'];

const SURROGATE = /[\uD800-\uDFFF]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Text as the PBX stores it (UTF-8): a lone UTF-16 surrogate becomes U+FFFD. */
function wellFormed(s: string): string {
  return SURROGATE.test(s) ? s.replace(LONE_SURROGATE, '\uFFFD') : s;
}

/** The search term as the PBX reads it: trimmed, then lower-cased. '' = no search. */
export function searchTerm(search: string): string {
  return wellFormed(search.trim().toLowerCase());
}

/** The label as a search term is looked for in it. */
function labelKey(label: string): string {
  return wellFormed(label.toLowerCase());
}

/** Whether one extension passes the site, type and protection filters. */
export function matchesFilters(ext: Extension, q: Pick<Query, 'site' | 'type' | 'protection' | 'pin'>): boolean {
  if (q.site !== '' && ext.siteId !== q.site) return false;
  if (q.type !== '' && ext.type !== q.type) return false;
  if (q.pin !== 'any' && pinHealth(ext) !== q.pin) return false;
  const p = ext.protection;
  switch (q.protection) {
    case 'any':
      return true;
    case 'off':
      return !p.enabled;
    case 'on':
      return p.enabled;
    default:
      return p.enabled && p.state === q.protection;
  }
}

const NON_ASCII_HIGH = /[\uD800-\uFFFF]/;

/**
 * A string whose UTF-16 order (JavaScript's `<`) is the code point order of the original, i.e. the
 * order SQLite's binary collation gives over UTF-8. The two differ only when surrogate pairs meet
 * characters U+E000–U+FFFF, so almost every string is returned as it is.
 */
export function binaryOrderKey(s: string): string {
  if (!NON_ASCII_HIGH.test(s)) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    out += String.fromCharCode(c >= 0xe000 ? c - 0x800 : c >= 0xd800 ? c + 0x2000 : c);
  }
  return out;
}

export class ExtensionIndex {
  readonly rows: Extension[];
  readonly total: number;
  /** Per row: the lower-cased label (what a search term is looked for in). */
  private readonly labelLower: string[];
  /** Per row: the number (kept apart from the row objects, for a tight search loop). */
  private readonly numbers: string[];
  private readonly byNumber = new Map<string, number>();
  private readonly siteName = new Map<string, string>();
  /** Cached ascending permutations per sort key (invalidated when a row's key changes). */
  private readonly perms = new Map<SortKey, Int32Array>();
  /** The last result, for narrowing when the search only grew. */
  private last: { q: Query; version: number; result: Int32Array } | null = null;
  /** Two result buffers, used in turn, so a keystroke allocates nothing large. */
  private readonly buffers: [Int32Array, Int32Array];
  private nextBuffer = 0;
  /** Bumped by every row update; part of the memo key of the table. */
  version = 0;

  constructor(rows: Extension[], sites: Site[]) {
    this.rows = rows;
    this.total = rows.length;
    for (const s of sites) this.siteName.set(s.id, s.name);
    this.buffers = [new Int32Array(rows.length), new Int32Array(rows.length)];
    this.labelLower = new Array<string>(rows.length);
    this.numbers = new Array<string>(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i]!;
      this.labelLower[i] = labelKey(r.label);
      this.numbers[i] = r.number;
      this.byNumber.set(r.number, i);
    }
  }

  siteNameOf(siteId: string): string {
    return this.siteName.get(siteId) ?? siteId;
  }

  indexOf(number: string): number {
    return this.byNumber.get(number) ?? -1;
  }

  get(number: string): Extension | undefined {
    const i = this.byNumber.get(number);
    return i === undefined ? undefined : this.rows[i];
  }

  /**
   * Replace one row with a newer version (live event or the answer to a write). Older versions are
   * ignored, so an event that raced a reload never rolls a row back. Returns whether anything changed.
   */
  update(ext: Extension): boolean {
    const i = this.byNumber.get(ext.number);
    if (i === undefined) return false;
    const old = this.rows[i]!;
    if (ext.version < old.version) return false;
    if (ext.version === old.version && ext.etag === old.etag) return false;
    this.rows[i] = ext;
    this.labelLower[i] = labelKey(ext.label);
    for (const key of SORT_KEYS) {
      if (sortValue(key, old) !== sortValue(key, ext)) this.perms.delete(key);
    }
    this.version++;
    this.last = null;
    return true;
  }

  /** Row indices matching the query, in display order. */
  filter(q: Query): Int32Array {
    const needle = searchTerm(q.search);
    const last = this.last;
    let source: Int32Array | null = null;
    if (
      last &&
      last.version === this.version &&
      last.q.site === q.site &&
      last.q.type === q.type &&
      last.q.protection === q.protection &&
      last.q.pin === q.pin &&
      last.q.sortKey === q.sortKey &&
      last.q.sortDir === q.sortDir
    ) {
      const lastNeedle = searchTerm(last.q.search);
      if (lastNeedle === needle) return last.result;
      // Typing one more character can only narrow the result (a longer prefix or substring implies the
      // shorter one): scan the previous result only. It is already in display order.
      if (needle.startsWith(lastNeedle)) source = last.result;
    }

    const rows = this.rows;
    const labels = this.labelLower;
    const noFilters = q.site === '' && q.type === '' && q.protection === 'any' && q.pin === 'any';
    // Write into the buffer that does not hold the previous result (which may be our source, and is
    // what the table still shows until this render commits).
    let b = this.nextBuffer;
    if (last && last.result.buffer === this.buffers[b]!.buffer) b = 1 - b;
    const out = this.buffers[b]!;
    this.nextBuffer = 1 - b;
    let n = 0;

    const numbers = this.numbers;
    // Numbers are digits only: a term with anything else in it can only match a label.
    const byNumber = /^[0-9]+$/.test(needle);
    const test = (i: number): boolean => {
      if (needle !== '' && !(byNumber && numbers[i]!.startsWith(needle)) && labels[i]!.indexOf(needle) === -1) return false;
      return noFilters || matchesFilters(rows[i]!, q);
    };

    if (source) {
      for (let k = 0; k < source.length; k++) {
        const i = source[k]!;
        if (test(i)) out[n++] = i;
      }
    } else {
      const perm = this.permutation(q.sortKey);
      if (q.sortDir === 'asc') {
        for (let k = 0; k < perm.length; k++) {
          const i = perm[k]!;
          if (test(i)) out[n++] = i;
        }
      } else {
        // Descending reverses every key, the tiebreaks included (as ORDER BY ... DESC, number DESC).
        for (let k = perm.length - 1; k >= 0; k--) {
          const i = perm[k]!;
          if (test(i)) out[n++] = i;
        }
      }
    }
    const result = out.subarray(0, n);
    this.last = { q: { ...q }, version: this.version, result };
    return result;
  }

  private permutation(key: SortKey): Int32Array {
    const cached = this.perms.get(key);
    if (cached) return cached;
    const n = this.rows.length;
    const rows = this.rows;
    // Sort keys are computed once per row, then the sort compares primitives only.
    const primary: (number | string)[] = new Array(n);
    const num = new Float64Array(n);
    const numberStr: string[] = new Array(n);
    for (let i = 0; i < n; i++) {
      const r = rows[i]!;
      num[i] = Number(r.number);
      numberStr[i] = r.number;
      primary[i] = sortValue(key, r);
    }
    // The PBX orders labels by (label, number text); every other order by (key, numeric value, number text).
    const numericTie = key !== 'label';
    const perm = new Int32Array(n);
    for (let i = 0; i < n; i++) perm[i] = i;
    perm.sort((a, b) => {
      const pa = primary[a]!;
      const pb = primary[b]!;
      if (pa < pb) return -1;
      if (pa > pb) return 1;
      if (numericTie && num[a]! !== num[b]!) return num[a]! - num[b]!;
      const sa = numberStr[a]!;
      const sb = numberStr[b]!;
      return sa < sb ? -1 : sa > sb ? 1 : 0;
    });
    this.perms.set(key, perm);
    return perm;
  }
}

function sortValue(key: SortKey, r: Extension): number | string {
  switch (key) {
    case 'number':
      return Number(r.number);
    case 'label':
      return binaryOrderKey(labelKey(r.label));
    case 'site':
      // The PBX sorts by site id (its sites' ids follow their names: hq, north, south).
      return binaryOrderKey(r.siteId);
    case 'type':
      return EXTENSION_TYPE_LABEL[r.type].toLowerCase();
    case 'protection':
      return PROTECTION_RANK[protectionBadge(r)];
    case 'incoming':
      return INCOMING_RANK[r.incomingCalls];
    case 'pin':
      return PIN_RANK[pinHealth(r)];
    case 'pinAge': {
      // Youngest first when ascending (the smallest age); never set sorts last.
      const at = pinSetAt(r);
      return at === null ? Number.POSITIVE_INFINITY : -at;
    }
    case 'compliance':
      return FIT_RANK[policyFit(r)];
  }
}

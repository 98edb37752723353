// The local index behind the extensions table: every extension of the PBX (up to ~100k rows), with
// precomputed search haystacks and sort keys, so that filtering and sorting are plain loops over
// arrays. Nothing here allocates per row on a keystroke: the result is one Int32Array of row indices.
import type { Extension, ExtensionType, Site } from '../../../shared/domain';
import { EXTENSION_TYPE_LABEL } from '../../../shared/domain';

export type SortKey = 'number' | 'label' | 'site' | 'type' | 'protection' | 'incoming';
export type SortDir = 'asc' | 'desc';
export type ProtectionFilter = 'any' | 'off' | 'on' | 'unrestricted' | 'blocked';

export interface Query {
  search: string;
  site: string; // '' = any
  type: ExtensionType | '';
  protection: ProtectionFilter;
  sortKey: SortKey;
  sortDir: SortDir;
}

export type ProtectionBadge = 'off' | 'unrestricted' | 'blocked';

export function protectionBadge(ext: Extension): ProtectionBadge {
  if (!ext.protection.enabled) return 'off';
  return ext.protection.state === 'blocked' ? 'blocked' : 'unrestricted';
}

const PROTECTION_RANK: Record<ProtectionBadge, number> = { off: 0, unrestricted: 1, blocked: 2 };
const INCOMING_RANK = { ring: 0, voicemail: 1, rejected: 2 } as const;
const SORT_KEYS: SortKey[] = ['number', 'label', 'site', 'type', 'protection', 'incoming'];

/** Lowercased text a search matches against: the number, then the label. */
function haystackOf(ext: Extension): string {
  return `${ext.number}\u0000${ext.label.toLowerCase()}`;
}

export class ExtensionIndex {
  readonly rows: Extension[];
  readonly total: number;
  private readonly hay: string[];
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
    this.hay = new Array<string>(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i]!;
      this.hay[i] = haystackOf(r);
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
    this.hay[i] = haystackOf(ext);
    for (const key of SORT_KEYS) {
      if (compareKey(key, old, ext, this.siteName) !== 0) this.perms.delete(key);
    }
    this.version++;
    this.last = null;
    return true;
  }

  /** Row indices matching the query, in display order. */
  filter(q: Query): Int32Array {
    const needle = q.search.trim().toLowerCase();
    const last = this.last;
    let source: Int32Array | null = null;
    if (
      last &&
      last.version === this.version &&
      last.q.site === q.site &&
      last.q.type === q.type &&
      last.q.protection === q.protection &&
      last.q.sortKey === q.sortKey &&
      last.q.sortDir === q.sortDir
    ) {
      const lastNeedle = last.q.search.trim().toLowerCase();
      if (lastNeedle === needle) return last.result;
      // Typing one more character can only narrow the result: scan the previous result only.
      if (needle.startsWith(lastNeedle)) source = last.result;
    }

    const rows = this.rows;
    const hay = this.hay;
    const site = q.site;
    const type = q.type;
    const prot = q.protection;
    // Write into the buffer that does not hold the previous result (which may be our source, and is
    // what the table still shows until this render commits).
    let b = this.nextBuffer;
    if (last && last.result.buffer === this.buffers[b]!.buffer) b = 1 - b;
    const out = this.buffers[b]!;
    this.nextBuffer = 1 - b;
    let n = 0;

    const test = (i: number): boolean => {
      if (needle !== '' && hay[i]!.indexOf(needle) === -1) return false;
      if (site === '' && type === '' && prot === 'any') return true;
      const r = rows[i]!;
      if (site !== '' && r.siteId !== site) return false;
      if (type !== '' && r.type !== type) return false;
      if (prot !== 'any') {
        const p = r.protection;
        if (prot === 'off') return !p.enabled;
        if (!p.enabled) return false;
        if (prot === 'on') return true;
        return p.state === prot;
      }
      return true;
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
    for (let i = 0; i < n; i++) {
      const r = rows[i]!;
      num[i] = Number(r.number);
      primary[i] = sortValue(key, r, this.siteName);
    }
    const perm = new Int32Array(n);
    for (let i = 0; i < n; i++) perm[i] = i;
    perm.sort((a, b) => {
      const pa = primary[a]!;
      const pb = primary[b]!;
      if (pa < pb) return -1;
      if (pa > pb) return 1;
      return num[a]! - num[b]!;
    });
    this.perms.set(key, perm);
    return perm;
  }
}

function sortValue(key: SortKey, r: Extension, siteName: Map<string, string>): number | string {
  switch (key) {
    case 'number':
      return Number(r.number);
    case 'label':
      return r.label.toLowerCase();
    case 'site':
      return (siteName.get(r.siteId) ?? r.siteId).toLowerCase();
    case 'type':
      return EXTENSION_TYPE_LABEL[r.type].toLowerCase();
    case 'protection':
      return PROTECTION_RANK[protectionBadge(r)];
    case 'incoming':
      return INCOMING_RANK[r.incomingCalls];
  }
}

function compareKey(key: SortKey, a: Extension, b: Extension, siteName: Map<string, string>): number {
  const va = sortValue(key, a, siteName);
  const vb = sortValue(key, b, siteName);
  return va < vb ? -1 : va > vb ? 1 : 0;
}

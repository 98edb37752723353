// The "Used tokens" table of the Admin security screen (issue 6 / SPEC F5), its pure part: the rows (one shape
// for every kind of sign-in credential, so that passkeys join the login tokens later as a second kind), a short
// readable name for a user agent ("Chrome on Linux", "curl 8.5", "PBX Warden console"), the order of the rows,
// the range selection of the checkboxes (Shift+click, Shift+↑/↓), and the sentences of the confirmations.
import type { Token } from '../../../shared/tokens';
import type { Passkey } from '../../../shared/passkeys';

/** What signs an account in: a login token (a session), or a passkey (WebAuthn, registered on the PBX's /login page). */
export type CredentialKind = 'token' | 'passkey';

export const KIND_LABEL: Record<CredentialKind, string> = { token: 'Login token', passkey: 'Passkey' };

/** One row of the table, whatever its kind. */
export interface CredentialRow {
  /** Unique over the kinds: "token:<id>". */
  key: string;
  kind: CredentialKind;
  /** The id the PBX names it by (a token's 16 hex digits). */
  id: string;
  createdAt: string;
  createdFrom: string | null;
  createdUserAgent: string | null;
  lastUsedAt: string | null;
  lastUsedFrom: string | null;
  lastUsedUserAgent: string | null;
  /** null: does not expire (a passkey). */
  expiresAt: string | null;
  /** The session this console uses. */
  current: boolean;
  /** A passkey's name, its authenticator model (AAGUID), transports and whether it is synced (backed up). */
  passkey?: { name: string; aaguid: string; transports: string[]; backedUp: boolean };
}

/**
 * A token as a row. The PBX stamps a new token's last use with its creation time but records where from and
 * with what only from its first use on: until then, the last use is the sign-in itself, from where it was made.
 */
export function tokenRow(t: Token): CredentialRow {
  const onlySignIn = t.lastUsedFrom === null && t.lastUsedUserAgent === null && (t.lastUsedAt === null || t.lastUsedAt === t.createdAt);
  return {
    key: `token:${t.id}`,
    kind: 'token',
    id: t.id,
    createdAt: t.createdAt,
    createdFrom: t.createdFrom,
    createdUserAgent: t.createdUserAgent,
    lastUsedAt: onlySignIn ? t.createdAt : t.lastUsedAt,
    lastUsedFrom: onlySignIn ? t.createdFrom : t.lastUsedFrom,
    lastUsedUserAgent: onlySignIn ? t.createdUserAgent : t.lastUsedUserAgent,
    expiresAt: t.expiresAt,
    current: t.current,
  };
}

/** A passkey as a row: never expires; "Not used yet" until its first sign-in. */
export function passkeyRow(p: Passkey): CredentialRow {
  return {
    key: `passkey:${p.id}`,
    kind: 'passkey',
    id: p.id,
    createdAt: p.createdAt,
    createdFrom: p.createdFrom,
    createdUserAgent: p.createdUserAgent,
    lastUsedAt: p.lastUsedAt,
    lastUsedFrom: p.lastUsedFrom,
    lastUsedUserAgent: p.lastUsedUserAgent,
    expiresAt: null,
    current: false,
    passkey: { name: p.name, aaguid: p.aaguid, transports: p.transports, backedUp: p.backedUp },
  };
}

/** Last used from the address and with the program it was created with (then the table says so, not both again). */
export function sameOrigin(r: CredentialRow): boolean {
  return r.lastUsedFrom === r.createdFrom && r.lastUsedUserAgent === r.createdUserAgent;
}

const time = (iso: string | null): number => {
  const t = iso === null ? NaN : Date.parse(iso);
  return Number.isNaN(t) ? 0 : t;
};

/** This console's session first, then the most recently active (last use, else creation) first; ties by id. */
export function sortRows(rows: readonly CredentialRow[]): CredentialRow[] {
  const active = (r: CredentialRow) => Math.max(time(r.lastUsedAt), time(r.createdAt));
  return [...rows].sort((a, b) => Number(b.current) - Number(a.current) || active(b) - active(a) || a.key.localeCompare(b.key));
}

// ---- user agents -------------------------------------------------------------------------------------------

const OS: ReadonlyArray<[RegExp, string]> = [
  [/iPhone/, 'iPhone'],
  [/iPad/, 'iPad'],
  [/Android/, 'Android'],
  [/CrOS/, 'ChromeOS'],
  [/Windows/, 'Windows'],
  [/Mac OS X|Macintosh/, 'macOS'],
  [/Linux|X11/, 'Linux'],
];

// Order matters: Edge and Opera say "Chrome" too, Chrome says "Safari".
const BROWSERS: ReadonlyArray<[RegExp, string]> = [
  [/\bEdg(e|A|iOS)?\//, 'Edge'],
  [/\bOPR\//, 'Opera'],
  [/\bFirefox\/|\bFxiOS\//, 'Firefox'],
  [/\bHeadlessChrome\//, 'Headless Chrome'],
  [/\bElectron\//, 'Electron'],
  [/\bChrome\/|\bCriOS\//, 'Chrome'],
  [/\bVersion\/[\d.]+.*\bSafari\//, 'Safari'],
];

/** "8.5.0" → "8.5"; "1" → "1". */
function shortVersion(v: string): string {
  const parts = v.split('.');
  return parts.slice(0, 2).join('.');
}

/**
 * A short readable name for a user agent: "Chrome on Linux", "Firefox on Windows", "curl 8.5",
 * "PBX Warden console"; a program that names itself "name/version" is "name version"; anything else is shown
 * as it came, cut to 40 characters. null when the program sent none.
 */
export function userAgentName(ua: string | null): string | null {
  const s = ua?.trim() ?? '';
  if (s === '') return null;
  if (/^PBX-Warden-Console\//i.test(s)) return 'PBX Warden console';
  if (/^Mozilla\//.test(s)) {
    const browser = BROWSERS.find(([re]) => re.test(s))?.[1];
    const os = OS.find(([re]) => re.test(s))?.[1];
    if (browser) return os ? `${browser} on ${os}` : browser;
    if (os) return `A browser on ${os}`;
  }
  const tool = /^([A-Za-z][\w.+-]*)\/(\d[\w.]*)/.exec(s);
  if (tool) return `${tool[1]} ${shortVersion(tool[2]!)}`;
  return s.length > 40 ? `${s.slice(0, 39)}…` : s;
}

// ---- selection -------------------------------------------------------------------------------------------

/**
 * The checkboxes' state: the selected keys, the anchor of Shift ranges (the last row toggled on its own), and
 * what the current range from it added (a shorter range takes back what it no longer covers; what was selected
 * before the range stays), as in a file list.
 */
export interface RangeSelection<K> {
  selected: ReadonlySet<K>;
  anchor: K | null;
  rangeAdded: ReadonlySet<K>;
}

export function emptyRangeSelection<K>(): RangeSelection<K> {
  return { selected: new Set(), anchor: null, rangeAdded: new Set() };
}

/** Space or a click on one box: toggle it; it becomes the anchor. */
export function toggleOne<K>(s: RangeSelection<K>, key: K): RangeSelection<K> {
  const selected = new Set(s.selected);
  if (selected.has(key)) selected.delete(key);
  else selected.add(key);
  return { selected, anchor: key, rangeAdded: new Set() };
}

/** Every row, or none (the anchor is forgotten). */
export function setAll<K>(keys: readonly K[], on: boolean): RangeSelection<K> {
  return { selected: new Set(on ? keys : []), anchor: null, rangeAdded: new Set() };
}

/**
 * Shift+click or Shift+↑/↓ on `to`: select the rows from the anchor to `to` (in the order shown). Without an
 * anchor (or when its row is gone) the row that had the focus is the anchor, else `to` itself.
 */
export function extendRange<K>(s: RangeSelection<K>, keys: readonly K[], to: K, fallbackAnchor: K | null): RangeSelection<K> {
  const pb = keys.indexOf(to);
  if (pb < 0) return s;
  const present = (k: K | null): k is K => k !== null && keys.includes(k);
  const anchor: K = present(s.anchor) ? s.anchor : present(fallbackAnchor) ? fallbackAnchor : to;
  const pa = keys.indexOf(anchor);
  const selected = new Set(s.selected);
  for (const k of s.rangeAdded) selected.delete(k);
  const rangeAdded = new Set<K>();
  for (let i = Math.min(pa, pb); i <= Math.max(pa, pb); i++) {
    const k = keys[i]!;
    if (!selected.has(k)) {
      selected.add(k);
      rangeAdded.add(k);
    }
  }
  return { selected, anchor, rangeAdded };
}

// ---- what the confirmations and the done line say ----------------------------------------------------------

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** "2 login tokens", "1 login token" — or, once there are passkeys among them, "3 sign-ins". */
export function countWords(rows: readonly CredentialRow[]): string {
  const kinds = new Set(rows.map((r) => r.kind));
  if (kinds.size === 1 && kinds.has('token')) return plural(rows.length, 'login token');
  if (kinds.size === 1 && kinds.has('passkey')) return plural(rows.length, 'passkey');
  return plural(rows.length, 'sign-in');
}

/** What removing these rows is called: tokens are signed out, passkeys deleted, both together removed. */
export function removeVerb(rows: readonly CredentialRow[]): 'Sign out' | 'Delete' | 'Remove' {
  const kinds = new Set(rows.map((r) => r.kind));
  return kinds.size === 1 && kinds.has('passkey') ? 'Delete' : kinds.has('passkey') ? 'Remove' : 'Sign out';
}

/** The line after a deletion of passkeys (alone, or after the sentence of the tokens signed out with them). */
export function deletedSentence(deleted: number, asked: number): string {
  if (deleted === 0) return 'Nothing to delete: those passkeys were already gone.';
  const n = plural(deleted, 'passkey');
  const gone = deleted < asked ? ` (${asked - deleted} had already been deleted)` : '';
  return `Deleted ${n}${gone}. ${deleted === 1 ? 'It no longer signs' : 'They no longer sign'} anyone in.`;
}

/** The line after a revocation. */
export function revokedSentence(revoked: number, currentRevoked: boolean): string {
  if (revoked === 0) return 'Nothing to sign out: those sessions had already ended.';
  const n = plural(revoked, 'session');
  return currentRevoked
    ? `Signed out ${n}, this console's own among them; the console signed in again with the saved password.`
    : `Signed out ${n}. Whoever used ${revoked === 1 ? 'it' : 'them'} must sign in again.`;
}

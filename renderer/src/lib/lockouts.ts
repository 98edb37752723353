// SPEC F3 in the console: the two live lists of the Lockouts screen — blacklisted extensions (one row per
// extension credential with failures or a lock) and blacklisted addresses (bans in force) — as one store for
// the whole renderer, so that the Lockouts screen, the Reception card (and later the Extensions table) show
// the same lock state.
//
// How it stays current:
// - loaded whole (`lockouts.extensions` + `lockouts.bans`) when the connection comes (back) online, and again
//   after a gap in the event stream (`resync`: events may have been missed);
// - then patched by live events: `lockout.changed` carries the row after the change, `ban.changed` the ban
//   (both reach receptionists as well as admins, so nobody polls);
// - events that arrive while a load is on its way are kept and applied on top of the loaded lists, in order
//   (a row in the answer may be older than such an event, never newer than the events after it);
// - an event older than one already applied to the same row (by event id) is ignored;
// - the answer of our own reset / unban is applied at once, so a row disappears without waiting for its event.
//
// The event-applying logic is pure functions over an immutable `LockTables` (unit-tested in
// test/unit/lockouts-store.test.ts); the store (on lib/liveStore.ts) and the React hook are a thin shell
// around them.
import type { AddressBan, ExtensionLock, LockResetResponse, UnbanResponse } from '../../../shared/lockout';
import type { PbxEvent } from '../../../shared/events';
import { call, errorBody } from '../api';
import { subscribeEvents } from './events';
import { LiveStore, useLiveStore, type LiveDeps, type LiveSnapshot } from './liveStore';

// ---- pure: the tables ------------------------------------------------------------------------------------

export interface LockTables {
  /** Key: `${extension}|${credential}` (see lockKey). */
  readonly locks: ReadonlyMap<string, ExtensionLock>;
  readonly bans: ReadonlyMap<number, AddressBan>;
  /** The id of the last event applied per row (`lock:<key>`, `ban:<id>`), to ignore older ones. */
  readonly lastEventId: ReadonlyMap<string, number>;
}

export function lockKey(lock: Pick<ExtensionLock, 'extension' | 'credential'>): string {
  return `${lock.extension}|${lock.credential}`;
}

export function emptyTables(): LockTables {
  return { locks: new Map(), bans: new Map(), lastEventId: new Map() };
}

/**
 * Whether the PBX lists this row among the blacklisted extensions: locked now, failures in the window, or
 * temporary locks toward a permanent one (the same filter as the reference PBX's list). A reset row (0
 * failures, not blocked, no recent locks) is not listed: it disappears from the table.
 */
export function lockListed(lock: ExtensionLock): boolean {
  return lock.blocked || lock.failures > 0 || lock.recentLocks > 0;
}

export function tablesFromLists(locks: readonly ExtensionLock[], bans: readonly AddressBan[]): LockTables {
  const l = new Map<string, ExtensionLock>();
  for (const lock of locks) if (lockListed(lock)) l.set(lockKey(lock), lock);
  const b = new Map<number, AddressBan>();
  for (const ban of bans) b.set(ban.id, ban);
  return { locks: l, bans: b, lastEventId: new Map() };
}

function putLock(locks: Map<string, ExtensionLock>, lock: ExtensionLock): void {
  if (lockListed(lock)) locks.set(lockKey(lock), lock);
  else locks.delete(lockKey(lock));
}

/**
 * One live event applied to the tables. Returns the same object when the event changes nothing (another
 * type, or older than what the row already shows), so callers can skip a re-render.
 */
export function applyEvent(t: LockTables, ev: PbxEvent): LockTables {
  if (ev.type === 'lockout.changed') {
    const rowId = `lock:${lockKey(ev.lock)}`;
    const seen = t.lastEventId.get(rowId);
    if (seen !== undefined && ev.id <= seen) return t;
    const locks = new Map(t.locks);
    putLock(locks, ev.lock);
    const lastEventId = new Map(t.lastEventId);
    lastEventId.set(rowId, ev.id);
    return { ...t, locks, lastEventId };
  }
  if (ev.type === 'ban.changed') {
    const rowId = `ban:${ev.ban.id}`;
    const seen = t.lastEventId.get(rowId);
    if (seen !== undefined && ev.id <= seen) return t;
    const bans = new Map(t.bans);
    if (ev.action === 'added') bans.set(ev.ban.id, ev.ban);
    else bans.delete(ev.ban.id);
    const lastEventId = new Map(t.lastEventId);
    lastEventId.set(rowId, ev.id);
    return { ...t, bans, lastEventId };
  }
  return t;
}

export function applyEvents(t: LockTables, events: readonly PbxEvent[]): LockTables {
  let out = t;
  for (const ev of events) out = applyEvent(out, ev);
  return out;
}

/** The answer of `lockouts.reset`: the rows as they are now (reset rows are no longer listed). */
export function applyResetResponse(t: LockTables, res: Pick<LockResetResponse, 'items'>, reset?: ReadonlyArray<{ extension: string; credential?: string | undefined }>): LockTables {
  const locks = new Map(t.locks);
  for (const lock of res.items) putLock(locks, lock);
  // Rows we asked to reset that the answer does not mention are gone as well.
  if (reset) {
    for (const [key, lock] of t.locks) {
      const asked = reset.some((r) => r.extension === lock.extension && (r.credential === undefined || r.credential === lock.credential));
      if (asked && !res.items.some((i) => lockKey(i) === key)) locks.delete(key);
    }
  }
  return { ...t, locks };
}

/** The answer of `lockouts.unban`: the removed bans. */
export function applyUnbanResponse(t: LockTables, res: Pick<UnbanResponse, 'items'>): LockTables {
  if (res.items.length === 0) return t;
  const bans = new Map(t.bans);
  for (const ban of res.items) bans.delete(ban.id);
  return { ...t, bans };
}

/** A new ban we added ourselves (the `lockouts.ban` answer). */
export function applyAddedBan(t: LockTables, ban: AddressBan): LockTables {
  const bans = new Map(t.bans);
  bans.set(ban.id, ban);
  return { ...t, bans };
}

// ---- pure: time ------------------------------------------------------------------------------------------

/** Locked at `nowMs`: permanent, or a temporary lock that has not ended yet (the PBX ends locks lazily). */
export function lockBlockedAt(lock: ExtensionLock, nowMs: number): boolean {
  if (!lock.blocked) return false;
  if (lock.permanent) return true;
  if (lock.lockedUntil === null) return true;
  const until = Date.parse(lock.lockedUntil);
  return Number.isNaN(until) || until > nowMs;
}

/**
 * Milliseconds until a temporary lock ends (0 once ended); null when not locked or permanent. Never more than
 * the lock's whole length: a clock that ticks once a second may lag behind a row that just arrived.
 */
export function lockRemainingMs(lock: ExtensionLock, nowMs: number): number | null {
  if (!lock.blocked || lock.permanent || lock.lockedUntil === null) return null;
  const until = Date.parse(lock.lockedUntil);
  if (Number.isNaN(until)) return null;
  return clampRemaining(until, lock.lockedAt, nowMs);
}

function clampRemaining(until: number, sinceIso: string | null, nowMs: number): number {
  let left = Math.max(0, until - nowMs);
  const since = sinceIso === null ? Number.NaN : Date.parse(sinceIso);
  if (!Number.isNaN(since) && since <= until) left = Math.min(left, until - since);
  return left;
}

/** A ban still in force at `nowMs` (null expiry = until removed). */
export function banActiveAt(ban: AddressBan, nowMs: number): boolean {
  if (ban.expiresAt === null) return true;
  const t = Date.parse(ban.expiresAt);
  return Number.isNaN(t) || t > nowMs;
}

export function banRemainingMs(ban: AddressBan, nowMs: number): number | null {
  if (ban.expiresAt === null) return null;
  const t = Date.parse(ban.expiresAt);
  return Number.isNaN(t) ? null : clampRemaining(t, ban.createdAt, nowMs);
}

/** Days, hours, minutes and seconds of a countdown, rounded up to the second. */
function countdownParts(ms: number): { d: number; h: number; m: number; s: number } {
  const total = Math.max(0, Math.ceil(ms / 1000));
  return { d: Math.floor(total / 86_400), h: Math.floor((total % 86_400) / 3600), m: Math.floor((total % 3600) / 60), s: total % 60 };
}

/** A countdown for a table cell: "0:42", "9:58", "1:05:09", "2 d 03:00:00"; rounded up to the second. */
export function formatCountdown(ms: number): string {
  const { d, h, m, s } = countdownParts(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  if (d > 0) return `${d} d ${pad(h)}:${pad(m)}:${pad(s)}`;
  if (h > 0) return `${h}:${pad(m)}:${pad(s)}`;
  return `${m}:${pad(s)}`;
}

/** The same in words, for screen readers and the reception card: "9 minutes 58 seconds". */
export function countdownWords(ms: number): string {
  const { d, h, m, s } = countdownParts(ms);
  const part = (n: number, unit: string) => (n === 0 ? null : `${n} ${unit}${n === 1 ? '' : 's'}`);
  const parts = [part(d, 'day'), part(h, 'hour'), part(m, 'minute'), d > 0 || h > 0 ? null : part(s, 'second')].filter(Boolean);
  return parts.length > 0 ? parts.join(' ') : 'less than a second';
}

// ---- pure: views -----------------------------------------------------------------------------------------

/** Every listed lock row of each extension number (for the reception card and the extensions table). */
export function locksByNumber(t: LockTables): Map<string, ExtensionLock[]> {
  const out = new Map<string, ExtensionLock[]>();
  for (const lock of t.locks.values()) {
    const list = out.get(lock.extension);
    if (list) list.push(lock);
    else out.set(lock.extension, [lock]);
  }
  return out;
}

const CREDENTIAL_ORDER = ['registration', 'phone_login', 'voicemail', 'keypad'];

/** Locked rows first (permanent, then ending last first), then by the latest failure, newest first. */
export function sortedLocks(t: LockTables, nowMs: number): ExtensionLock[] {
  const rank = (l: ExtensionLock) => (lockBlockedAt(l, nowMs) ? (l.permanent ? 0 : 1) : 2);
  return [...t.locks.values()].sort((a, b) => {
    const r = rank(a) - rank(b);
    if (r !== 0) return r;
    const fa = a.lastFailureAt ?? '';
    const fb = b.lastFailureAt ?? '';
    if (fa !== fb) return fa < fb ? 1 : -1;
    if (a.extension !== b.extension) return a.extension < b.extension ? -1 : 1;
    return CREDENTIAL_ORDER.indexOf(a.credential) - CREDENTIAL_ORDER.indexOf(b.credential);
  });
}

/** Bans in force at `nowMs`, newest first (as the PBX lists them). */
export function sortedBans(t: LockTables, nowMs: number): AddressBan[] {
  return [...t.bans.values()].filter((b) => banActiveAt(b, nowMs)).sort((a, b) => b.id - a.id);
}

/** Number of extension credentials locked at `nowMs` (the count in the navigation). */
export function lockedCount(t: LockTables, nowMs: number): number {
  let n = 0;
  for (const l of t.locks.values()) if (lockBlockedAt(l, nowMs)) n++;
  return n;
}

/** Selection kept to the rows still shown (a row reset elsewhere leaves the selection). */
export function pruneSelection<K>(selected: ReadonlySet<K>, present: Iterable<K>): Set<K> {
  const have = new Set(present);
  const out = new Set<K>();
  for (const k of selected) if (have.has(k)) out.add(k);
  return out.size === selected.size ? (selected as Set<K>) : out;
}

export function toggleSelection<K>(selected: ReadonlySet<K>, key: K): Set<K> {
  const out = new Set(selected);
  if (out.has(key)) out.delete(key);
  else out.add(key);
  return out;
}

/** Is this event a NEW lock or ban (what a desktop alert is for)? */
export function isNewLockOrBan(ev: PbxEvent): boolean {
  return (ev.type === 'lockout.changed' && (ev.action === 'locked' || ev.action === 'permanent')) || (ev.type === 'ban.changed' && ev.action === 'added');
}

// ---- the store ------------------------------------------------------------------------------------------

export type { LoadStatus } from './liveStore';

export type LockoutSnapshot = LiveSnapshot<LockTables>;

/** What the store needs from the outside world (the RPC client and the event stream), injectable for tests. */
export interface LockoutDeps extends LiveDeps {
  loadLocks(): Promise<{ items: ExtensionLock[] }>;
  loadBans(): Promise<{ items: AddressBan[] }>;
}

export class LockoutStore extends LiveStore<LockTables, LockoutSnapshot> {
  constructor(private readonly deps: LockoutDeps) {
    super(deps, () => ({ tables: emptyTables(), status: 'idle', error: null, version: 0 }));
  }

  protected accepts(ev: PbxEvent): boolean {
    return ev.type === 'lockout.changed' || ev.type === 'ban.changed';
  }

  protected apply(t: LockTables, ev: PbxEvent): LockTables {
    return applyEvent(t, ev);
  }

  protected async fetch(): Promise<{ tables: LockTables }> {
    const [locks, bans] = await Promise.all([this.deps.loadLocks(), this.deps.loadBans()]);
    return { tables: tablesFromLists(locks.items, bans.items) };
  }

  applyReset(res: LockResetResponse, asked?: ReadonlyArray<{ extension: string; credential?: string | undefined }>): void {
    this.set({ tables: applyResetResponse(this.snap.tables, res, asked) });
  }

  applyUnban(res: UnbanResponse): void {
    this.set({ tables: applyUnbanResponse(this.snap.tables, res) });
  }

  applyBan(ban: AddressBan): void {
    this.set({ tables: applyAddedBan(this.snap.tables, ban) });
  }
}

let shared: LockoutStore | null = null;

/** The renderer's one store (created on first use). */
export function getLockoutStore(): LockoutStore {
  if (!shared) {
    shared = new LockoutStore({
      loadLocks: () => call('lockouts.extensions', {}),
      loadBans: () => call('lockouts.bans', {}),
      subscribe: subscribeEvents,
      errorBody,
    });
  }
  return shared;
}

/**
 * The live lock tables for a component: keeps the store subscribed while mounted and loads it for each
 * online epoch (the connection came (back) online).
 */
export function useLockouts(onlineEpoch: number): LockoutSnapshot & { store: LockoutStore } {
  return useLiveStore(getLockoutStore(), onlineEpoch);
}

// SPEC F3 — the lockout engine of the reference PBX: failed attempts per extension credential, per source
// address and per (extension, address); extension locks (temporary, then permanent after repeated locks);
// address bans (automatic and manual); the allowlist; the lockout policy. State lives in SQLite (migration 8)
// and every change is written in one transaction before the caller answers, so an acknowledged failure or
// lock survives kill -9. Expiry is lazy: a lock or ban simply stops applying once its time has passed.
import type {
  AddressBan,
  AllowEntry,
  ExtensionLock,
  FailureHistogram,
  LockCorrelation,
  LockCredential,
  LockoutPolicy,
} from '../shared/lockout.js';
import { LockoutPolicySchema } from '../shared/lockout.js';
import { AppError } from '../shared/errors.js';
import type { PbxEvent } from '../shared/events.js';
import type { Db } from './db.js';
import { CidrSet, normaliseAddress, parseCidr } from '../shared/cidr.js';

/** The normalised text of an address or CIDR block; a 422 naming the field when it is neither. */
function requireCidr(text: string, field = 'cidr'): string {
  const p = parseCidr(text.trim());
  if (p.ok) return p.value.text;
  throw new AppError('validation_failed', `${field}: ${p.message}`, 422, [{ field, rule: 'cidr', message: `${field}: ${p.message}` }]);
}

/** The normalised text of an address or CIDR block, or null when it is neither. */
export function normaliseCidrText(text: string): string | null {
  const p = parseCidr(text.trim());
  return p.ok ? p.value.text : null;
}

/** Bans in force when it was built, until the first of them expires (then it is rebuilt). */
interface BanIndex {
  set: CidrSet;
  ids: Map<string, number[]>;
  builtAt: string;
  validUntil: string | null;
}

/** One authentication attempt as the engine sees it. */
export interface Attempt {
  /** null: no extension (admin login): only the address counts. */
  extension: string | null;
  credential: LockCredential | null;
  address: string;
  userAgent?: string | null;
}

export type CheckResult = { ok: true } | { ok: false; reason: 'banned' | 'locked'; events: PbxEvent[] };

/** Who made a change (admin actions). */
export interface Actor {
  by: string;
  address: string;
}

/** Writes the audit row of a change and returns its id (the event id); Store.audit. */
export type AuditFn = (row: { at: string; actor: string; address: string | null; action: string; target: string | null; detail: object }) => number;

/** Failure rows older than this are pruned (the histogram and correlation views look back 24 h). */
const KEEP_FAILURES_MS = 7 * 86_400_000;
const ENGINE = 'lockout engine';

interface LockRow {
  extension: string;
  credential: LockCredential;
  locked_at: string | null;
  locked_until: string | null;
  permanent: number;
  last_failure_at: string | null;
  last_address: string | null;
  last_user_agent: string | null;
}

interface BanRow {
  id: number;
  cidr: string;
  source: 'auto' | 'manual';
  reason: string;
  hits: number;
  created_at: string;
  created_by: string;
  expires_at: string | null;
  last_hit_at: string | null;
}

const iso = (ms: number) => new Date(ms).toISOString();
/** Addresses are stored normalised (::ffff:192.0.2.1 → 192.0.2.1); text that is not one is kept as it is. */
const addr = (address: string) => normaliseAddress(address) ?? address;

function banOf(r: BanRow): AddressBan {
  return {
    id: r.id,
    cidr: r.cidr,
    addedBy: r.source,
    reason: r.reason,
    hits: r.hits,
    createdAt: r.created_at,
    createdBy: r.created_by,
    expiresAt: r.expires_at,
    lastHitAt: r.last_hit_at,
  };
}

function minutes(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}

export class LockoutEngine {
  private policyCache: { policy: LockoutPolicy; version: number; updatedAt: string | null; updatedBy: string | null } | undefined;
  /** The bans in force, rebuilt after every change of the ban list and when one of them expires. */
  private banIndex: BanIndex | undefined;
  private allowIndex: CidrSet | undefined;

  constructor(
    readonly db: Db,
    private readonly clock: () => Date,
    private readonly audit: AuditFn,
  ) {}

  // ---- policy ----

  policyResource(): { policy: LockoutPolicy; version: number; updatedAt: string | null; updatedBy: string | null } {
    if (!this.policyCache) {
      const row = this.db.prepare('SELECT policy, version, updated_at, updated_by FROM lockout_policy WHERE id = 1').get() as
        | { policy: string; version: number; updated_at: string | null; updated_by: string | null }
        | undefined;
      if (!row) throw new Error('lockout_policy: the policy row is missing (migration 8)');
      this.policyCache = {
        policy: LockoutPolicySchema.parse(JSON.parse(row.policy)),
        version: row.version,
        updatedAt: row.updated_at,
        updatedBy: row.updated_by,
      };
    }
    return this.policyCache;
  }

  policy(): LockoutPolicy {
    return this.policyResource().policy;
  }

  /** Replace the policy if it is still at `expectedVersion`; returns the new version, or null when stale. */
  setPolicy(policy: LockoutPolicy, expectedVersion: number, who: Actor): { version: number; events: PbxEvent[] } | null {
    const parsed = LockoutPolicySchema.parse(policy);
    const at = this.clock().toISOString();
    const out = this.db.transaction(() => {
      const res = this.db
        .prepare('UPDATE lockout_policy SET policy = ?, version = version + 1, updated_at = ?, updated_by = ? WHERE id = 1 AND version = ?')
        .run(JSON.stringify(parsed), at, who.by, expectedVersion);
      if (res.changes !== 1) return null;
      const id = this.audit({ at, actor: who.by, address: who.address, action: 'lockout.policy_update', target: 'lockout:policy', detail: { policy: parsed, version: expectedVersion + 1 } });
      return { version: expectedVersion + 1, id };
    })();
    this.policyCache = undefined;
    if (!out) return null;
    return {
      version: out.version,
      events: [{ type: 'lockout.settings_changed', id: out.id, at, by: who.by, address: who.address, what: 'policy', policy: parsed }],
    };
  }

  // ---- the device side ----

  /** Attempts between check() and their outcome, per extension credential (see reserve()). */
  private readonly inflight = new Map<string, number>();

  /**
   * After check() let an attempt through: reserve it, so that parallel guesses cannot pass the threshold
   * (counted failures + attempts in flight stay below it). Returns the release (call it after the outcome was
   * recorded with failure() or success()), or null: refuse this attempt like a wrong password (not counted).
   */
  reserve(extension: string, credential: LockCredential): (() => void) | null {
    const key = `${extension}|${credential}`;
    const flying = this.inflight.get(key) ?? 0;
    const row = this.lockRow(extension, credential);
    const counted = row ? this.extensionFailures(row, this.clock().getTime()) : 0;
    if (counted + flying >= this.policy().extension.threshold) return null;
    this.inflight.set(key, flying + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.inflight.get(key) ?? 1) - 1;
      if (left <= 0) this.inflight.delete(key);
      else this.inflight.set(key, left);
    };
  }

  /**
   * Before any hashing: may this attempt go ahead? Refused when the address is banned (the ban's hits go up;
   * nothing is counted) or the extension credential is locked (recorded for the dashboard, counted toward
   * neither the extension nor the address: SPEC F3 "failures while locked do not count").
   */
  check(attempt: Attempt): CheckResult {
    const now = this.clock();
    const nowIso = now.toISOString();
    const ban = this.activeBan(attempt.address, nowIso);
    if (ban) {
      this.db.prepare('UPDATE address_bans SET hits = hits + 1, last_hit_at = ? WHERE id = ?').run(nowIso, ban.id);
      return { ok: false, reason: 'banned', events: [] };
    }
    if (attempt.extension !== null && attempt.credential !== null && this.isLocked(attempt.extension, attempt.credential, nowIso)) {
      const events = this.db.transaction(() => this.recordFailure(attempt, now, false))();
      return { ok: false, reason: 'locked', events };
    }
    return { ok: true };
  }

  /** A failed attempt (wrong password, unknown extension, …) that got past check(). Returns the events to publish. */
  failure(attempt: Attempt): PbxEvent[] {
    const now = this.clock();
    return this.db.transaction(() => {
      // a request that passed check() may finish after a lock or ban that others caused meanwhile
      const locked =
        attempt.extension !== null && attempt.credential !== null && this.isLocked(attempt.extension, attempt.credential, now.toISOString());
      return this.recordFailure(attempt, now, !locked);
    })();
  }

  /** A successful sign-in: the extension credential's counter and the (extension, address) pair start again. */
  success(attempt: Attempt): void {
    if (attempt.extension === null || attempt.credential === null) return;
    const ext = attempt.extension;
    const cred = attempt.credential;
    const address = addr(attempt.address);
    const counted = this.db
      .prepare('SELECT 1 FROM lockout_failures WHERE extension = ? AND (ext_counted = 1 AND credential = ? OR pair_counted = 1 AND address = ?) LIMIT 1')
      .get(ext, cred, address);
    if (!counted) return; // nothing to reset: no write (a success costs no fsync)
    this.db.transaction(() => {
      this.db.prepare('UPDATE lockout_failures SET ext_counted = 0 WHERE extension = ? AND credential = ? AND ext_counted = 1').run(ext, cred);
      this.db.prepare('UPDATE lockout_failures SET pair_counted = 0 WHERE extension = ? AND address = ? AND pair_counted = 1').run(ext, address);
    })();
  }

  /** Is this extension credential locked now (temporary and not ended, or permanent)? */
  isLocked(extension: string, credential: LockCredential, nowIso = this.clock().toISOString()): boolean {
    const row = this.lockRow(extension, credential);
    return row !== undefined && (row.permanent === 1 || (row.locked_until !== null && row.locked_until > nowIso));
  }

  /** The active ban that covers `address`, if any. */
  bannedBy(address: string): AddressBan | null {
    const row = this.activeBan(address, this.clock().toISOString());
    return row ? banOf(row) : null;
  }

  isAllowlisted(address: string): boolean {
    return this.allowMatcher().matches(address) !== null;
  }

  /** Failures of (extension, address) still counted (a success from that address clears them). */
  pairFailures(extension: string, address: string): number {
    const since = iso(this.clock().getTime() - this.policy().extension.windowSeconds * 1000);
    return (
      this.db
        .prepare('SELECT count(*) FROM lockout_failures WHERE extension = ? AND address = ? AND pair_counted = 1 AND at >= ?')
        .pluck()
        .get(extension, addr(address), since) as number
    );
  }

  /** Failures of an address in its window. */
  addressFailures(address: string): number {
    const since = iso(this.clock().getTime() - this.policy().address.windowSeconds * 1000);
    return this.db.prepare('SELECT count(*) FROM lockout_failures WHERE address = ? AND addr_counted = 1 AND at >= ?').pluck().get(addr(address), since) as number;
  }

  // ---- lists (dashboard) ----

  /** One extension credential's row, or null when it has no failures, locks or lock history. */
  extensionLock(extension: string, credential: LockCredential): ExtensionLock | null {
    const row = this.lockRow(extension, credential);
    return row ? this.lockOf(row, this.clock().getTime()) : null;
  }

  /** Rows with a lock now, failures in the window, or temporary locks toward a permanent one. */
  extensionLocks(): ExtensionLock[] {
    const nowMs = this.clock().getTime();
    const rows = this.db.prepare('SELECT * FROM extension_locks ORDER BY extension, credential').all() as LockRow[];
    return rows.map((r) => this.lockOf(r, nowMs)).filter((l) => l.blocked || l.failures > 0 || l.recentLocks > 0);
  }

  /** Active bans (expired ones are left out), newest first. */
  bans(): AddressBan[] {
    const nowIso = this.clock().toISOString();
    const rows = this.db
      .prepare('SELECT * FROM address_bans WHERE expires_at IS NULL OR expires_at > ? ORDER BY id DESC')
      .all(nowIso) as BanRow[];
    return rows.map(banOf);
  }

  allowlist(): AllowEntry[] {
    const rows = this.db.prepare('SELECT id, cidr, description, created_at, created_by FROM lockout_allowlist ORDER BY id').all() as {
      id: number; cidr: string; description: string; created_at: string; created_by: string;
    }[];
    return rows.map((r) => ({ id: r.id, cidr: r.cidr, description: r.description, createdAt: r.created_at, createdBy: r.created_by }));
  }

  /**
   * Failed attempts per minute over the last `hours` hours (the current minute is the last bucket), in total
   * and for the `top` busiest extensions and addresses. `extensionVisible` (a site-scoped caller): only the
   * failures against extensions it may see count, in every series (not admin logins, not other sites).
   */
  histogram(hours: number, top: number, extensionVisible: ((extension: string) => boolean) | null = null): FailureHistogram {
    const nowMs = this.clock().getTime();
    const buckets = hours * 60;
    const fromMs = Math.floor(nowMs / 60_000) * 60_000 - (buckets - 1) * 60_000;
    const rows = this.db
      .prepare('SELECT at, extension, address FROM lockout_failures WHERE at >= ? ORDER BY at')
      .raw()
      .all(iso(fromMs)) as [string, string | null, string][];
    const total = new Array<number>(buckets).fill(0);
    const perExt = new Map<string, number[]>();
    const perAddr = new Map<string, number[]>();
    const bump = (map: Map<string, number[]>, key: string, i: number) => {
      let series = map.get(key);
      if (!series) map.set(key, (series = new Array<number>(buckets).fill(0)));
      series[i]!++;
    };
    for (const [at, extension, address] of rows) {
      const i = Math.floor((Date.parse(at) - fromMs) / 60_000);
      if (i < 0 || i >= buckets) continue;
      if (extensionVisible !== null && (extension === null || !extensionVisible(extension))) continue;
      total[i]!++;
      if (extension !== null) bump(perExt, extension, i);
      bump(perAddr, address, i);
    }
    const busiest = (map: Map<string, number[]>) =>
      [...map.entries()]
        .map(([key, counts]) => ({ key, counts, sum: counts.reduce((a, b) => a + b, 0) }))
        .sort((a, b) => b.sum - a.sum || (a.key < b.key ? -1 : 1))
        .slice(0, top);
    return {
      from: iso(fromMs),
      bucketSeconds: 60,
      total,
      byExtension: busiest(perExt).map((x) => ({ extension: x.key, counts: x.counts })),
      byAddress: busiest(perAddr).map((x) => ({ address: x.key, counts: x.counts })),
    };
  }

  /** For one extension: which addresses and user agents failed in the last 24 h, most failures first. */
  correlation(extension: string): LockCorrelation {
    const nowMs = this.clock().getTime();
    const nowIso = iso(nowMs);
    const rows = this.db
      .prepare(
        `SELECT address, user_agent, credential, count(*) AS failures, min(at) AS first_at, max(at) AS last_at
           FROM lockout_failures WHERE extension = ? AND credential IS NOT NULL AND at >= ?
          GROUP BY address, user_agent, credential ORDER BY failures DESC, last_at DESC LIMIT 200`,
      )
      .all(extension, iso(nowMs - 86_400_000)) as {
      address: string; user_agent: string | null; credential: LockCredential; failures: number; first_at: string; last_at: string;
    }[];
    return {
      extension,
      rows: rows.map((r) => ({
        address: r.address,
        userAgent: r.user_agent,
        credential: r.credential,
        failures: r.failures,
        firstAt: r.first_at,
        lastAt: r.last_at,
        banned: this.activeBan(r.address, nowIso) !== undefined,
      })),
    };
  }

  // ---- admin actions ----

  /**
   * Reset the lock, counter and lock history of an extension's credential (or of all its credentials).
   * Returns the events (one per credential that had a row).
   */
  resetLock(extension: string, credential: LockCredential | undefined, who: Actor): PbxEvent[] {
    const now = this.clock();
    const at = now.toISOString();
    return this.db.transaction(() => {
      const rows = (
        credential === undefined
          ? this.db.prepare('SELECT * FROM extension_locks WHERE extension = ?').all(extension)
          : this.db.prepare('SELECT * FROM extension_locks WHERE extension = ? AND credential = ?').all(extension, credential)
      ) as LockRow[];
      const events: PbxEvent[] = [];
      for (const r of rows) {
        const wasBlocked = r.permanent === 1 || (r.locked_until !== null && r.locked_until > at);
        // nothing to reset (no lock, no counted failure, no lock toward a permanent one): no audit, no event
        const before = this.lockOf(r, now.getTime());
        if (!before.blocked && before.failures === 0 && before.recentLocks === 0) continue;
        this.db
          .prepare('UPDATE extension_locks SET locked_at = NULL, locked_until = NULL, permanent = 0 WHERE extension = ? AND credential = ?')
          .run(r.extension, r.credential);
        this.db.prepare('DELETE FROM extension_lock_history WHERE extension = ? AND credential = ?').run(r.extension, r.credential);
        this.db
          .prepare('UPDATE lockout_failures SET ext_counted = 0, pair_counted = 0 WHERE extension = ? AND credential = ? AND (ext_counted = 1 OR pair_counted = 1)')
          .run(r.extension, r.credential);
        const id = this.audit({
          at, actor: who.by, address: who.address, action: 'lockout.reset', target: `extension:${r.extension}`,
          detail: { credential: r.credential, wasBlocked, permanent: r.permanent === 1 },
        });
        const lock = this.lockOf(this.lockRow(r.extension, r.credential) as LockRow, now.getTime());
        events.push({ type: 'lockout.changed', id, at, number: r.extension, credential: r.credential, action: 'reset', by: who.by, address: who.address, lock });
      }
      return events;
    })();
  }

  /** Remove bans by id (unknown ids are skipped) or every ban. Returns the removed bans' events. */
  unban(which: { ids: number[] } | { all: true }, who: Actor): PbxEvent[] {
    const at = this.clock().toISOString();
    const events = this.db.transaction(() => {
      const rows: BanRow[] =
        'all' in which
          ? (this.db.prepare('SELECT * FROM address_bans ORDER BY id').all() as BanRow[])
          : which.ids.flatMap((id) => (this.db.prepare('SELECT * FROM address_bans WHERE id = ?').all(id) as BanRow[]));
      const out: PbxEvent[] = [];
      for (const r of rows) {
        this.db.prepare('DELETE FROM address_bans WHERE id = ?').run(r.id);
        // unbanned: the address starts again from zero (not banned again at its next typo)
        this.db.prepare('UPDATE lockout_failures SET addr_counted = 0 WHERE address = ? AND addr_counted = 1').run(r.cidr);
        const id = this.audit({ at, actor: who.by, address: who.address, action: 'ban.remove', target: `ban:${r.id}`, detail: { cidr: r.cidr, source: r.source } });
        out.push({ type: 'ban.changed', id, at, action: 'removed', by: who.by, address: who.address, ban: banOf(r) });
      }
      return out;
    })();
    this.banIndex = undefined;
    return events;
  }

  /** Add a manual ban of an address or CIDR block. A text that is not one: 422 naming `cidr`. */
  manualBan(input: { cidr: string; description: string; durationSeconds?: number | null }, who: Actor): { ban: AddressBan; events: PbxEvent[] } {
    const cidr = requireCidr(input.cidr);
    const now = this.clock();
    const at = now.toISOString();
    const expiresAt = input.durationSeconds ? iso(now.getTime() + input.durationSeconds * 1000) : null;
    const out = this.db.transaction(() => {
      const banId = Number(
        this.db
          .prepare("INSERT INTO address_bans (cidr, source, reason, created_at, created_by, expires_at) VALUES (?, 'manual', ?, ?, ?, ?)")
          .run(cidr, input.description, at, who.by, expiresAt).lastInsertRowid,
      );
      const row = this.db.prepare('SELECT * FROM address_bans WHERE id = ?').get(banId) as BanRow;
      const id = this.audit({ at, actor: who.by, address: who.address, action: 'ban.add', target: `ban:${banId}`, detail: { cidr, source: 'manual', expiresAt } });
      return { ban: banOf(row), id };
    })();
    this.banIndex = undefined;
    return { ban: out.ban, events: [{ type: 'ban.changed', id: out.id, at, action: 'added', by: who.by, address: who.address, ban: out.ban }] };
  }

  /** Add an allowlist entry (an address there is never banned automatically). */
  allow(input: { cidr: string; description?: string }, who: Actor): { entry: AllowEntry; events: PbxEvent[] } {
    const cidr = requireCidr(input.cidr);
    const at = this.clock().toISOString();
    const out = this.db.transaction(() => {
      this.db
        .prepare('INSERT INTO lockout_allowlist (cidr, description, created_at, created_by) VALUES (?, ?, ?, ?) ON CONFLICT(cidr) DO UPDATE SET description = excluded.description')
        .run(cidr, input.description ?? '', at, who.by);
      const id = this.audit({ at, actor: who.by, address: who.address, action: 'lockout.allow', target: `allow:${cidr}`, detail: { cidr } });
      return id;
    })();
    this.allowIndex = undefined;
    const list = this.allowlist();
    const entry = list.find((e) => e.cidr === cidr) as AllowEntry;
    return { entry, events: [{ type: 'lockout.settings_changed', id: out, at, by: who.by, address: who.address, what: 'allowlist', allowlist: list }] };
  }

  /** Remove allowlist entries by id. */
  disallow(ids: number[], who: Actor): PbxEvent[] {
    const at = this.clock().toISOString();
    const id = this.db.transaction(() => {
      let removed = 0;
      for (const i of ids) removed += this.db.prepare('DELETE FROM lockout_allowlist WHERE id = ?').run(i).changes;
      if (removed === 0) return null;
      return this.audit({ at, actor: who.by, address: who.address, action: 'lockout.disallow', target: 'lockout:allowlist', detail: { ids } });
    })();
    this.allowIndex = undefined;
    if (id === null) return [];
    return [{ type: 'lockout.settings_changed', id, at, by: who.by, address: who.address, what: 'allowlist', allowlist: this.allowlist() }];
  }

  // ---- internals ----

  private lockRow(extension: string, credential: LockCredential): LockRow | undefined {
    return this.db.prepare('SELECT * FROM extension_locks WHERE extension = ? AND credential = ?').get(extension, credential) as LockRow | undefined;
  }

  private lockOf(r: LockRow, nowMs: number): ExtensionLock {
    const p = this.policy();
    const nowIso = iso(nowMs);
    const blocked = r.permanent === 1 || (r.locked_until !== null && r.locked_until > nowIso);
    const failures = this.extensionFailures(r, nowMs);
    const recentLocks = this.db
      .prepare('SELECT count(*) FROM extension_lock_history WHERE extension = ? AND credential = ? AND at > ?')
      .pluck()
      .get(r.extension, r.credential, iso(nowMs - p.permanentWindowSeconds * 1000)) as number;
    const ext = this.db.prepare('SELECT label, site_id FROM extensions WHERE number = ?').get(r.extension) as
      | { label: string; site_id: string }
      | undefined;
    return {
      extension: r.extension,
      label: ext?.label ?? '',
      siteId: ext?.site_id ?? '',
      credential: r.credential,
      blocked,
      permanent: r.permanent === 1,
      failures,
      maxFailures: p.extension.threshold,
      lastFailureAt: r.last_failure_at,
      lastAddress: r.last_address,
      lastUserAgent: r.last_user_agent,
      lockedAt: blocked ? r.locked_at : null,
      lockedUntil: blocked && r.permanent !== 1 ? r.locked_until : null,
      recentLocks,
    };
  }

  /**
   * Counted failures of an extension credential in its window. After a temporary lock ended, only the
   * failures since its end count (the ones that caused it were paid for by the lock).
   */
  private extensionFailures(r: LockRow, nowMs: number): number {
    const p = this.policy();
    let since = iso(nowMs - p.extension.windowSeconds * 1000);
    const nowIso = iso(nowMs);
    const lockedNow = r.permanent === 1 || (r.locked_until !== null && r.locked_until > nowIso);
    if (!lockedNow && r.locked_until !== null && r.locked_until > since) since = r.locked_until;
    return this.db
      .prepare('SELECT count(*) FROM lockout_failures WHERE extension = ? AND credential = ? AND ext_counted = 1 AND at >= ?')
      .pluck()
      .get(r.extension, r.credential, since) as number;
  }

  private activeBan(address: string, nowIso: string): BanRow | undefined {
    const index = this.banMatcher(nowIso);
    const hit = index.set.matches(address);
    if (!hit) return undefined;
    const ids = index.ids.get(hit.text) ?? [];
    if (ids.length === 0) return undefined;
    const placeholders = ids.map(() => '?').join(',');
    return this.db
      .prepare(`SELECT * FROM address_bans WHERE id IN (${placeholders}) AND (expires_at IS NULL OR expires_at > ?) ORDER BY id LIMIT 1`)
      .get(...ids, nowIso) as BanRow | undefined;
  }

  private banMatcher(nowIso: string): BanIndex {
    const i = this.banIndex;
    if (i && nowIso >= i.builtAt && (i.validUntil === null || nowIso < i.validUntil)) return i;
    const set = new CidrSet();
    const ids = new Map<string, number[]>();
    let validUntil: string | null = null;
    const rows = this.db
      .prepare('SELECT id, cidr, expires_at FROM address_bans WHERE expires_at IS NULL OR expires_at > ?')
      .all(nowIso) as { id: number; cidr: string; expires_at: string | null }[];
    for (const r of rows) {
      const c = parseCidr(r.cidr);
      if (!c.ok) continue;
      set.add(c.value);
      const list = ids.get(c.value.text);
      if (list) list.push(r.id);
      else ids.set(c.value.text, [r.id]);
      if (r.expires_at !== null && (validUntil === null || r.expires_at < validUntil)) validUntil = r.expires_at;
    }
    this.banIndex = { set, ids, builtAt: nowIso, validUntil };
    return this.banIndex;
  }

  private allowMatcher(): CidrSet {
    if (!this.allowIndex) {
      const set = new CidrSet();
      for (const r of this.db.prepare('SELECT cidr FROM lockout_allowlist').all() as { cidr: string }[]) {
        const c = parseCidr(r.cidr);
        if (c.ok) set.add(c.value);
      }
      this.allowIndex = set;
    }
    return this.allowIndex;
  }

  /**
   * Record one failed attempt (inside the caller's transaction). `countExtension` false: the extension
   * credential is locked, so it does not count toward it (nor toward the pair). Returns the events.
   */
  private recordFailure(attempt: Attempt, now: Date, countExtension: boolean): PbxEvent[] {
    const p = this.policy();
    const nowMs = now.getTime();
    const at = now.toISOString();
    const events: PbxEvent[] = [];
    const address = addr(attempt.address);
    const ua = attempt.userAgent ?? null;
    // Unknown extensions get a counter and lock like real ones: otherwise the 6th attempt (refused at once vs
    // hashed) would tell which numbers exist. Their rows have no site, so only unscoped admins see them.
    const known = attempt.extension !== null && attempt.credential !== null;
    const countExt = known && countExtension;
    const banned = this.activeBan(address, at);
    // SPEC F3 "failures while locked do not count": not toward the extension, nor toward the address (a phone
    // retrying with a stale password must not get its own address banned while its extension is locked)
    const countAddr = banned === undefined && countExtension;
    this.db
      .prepare(
        'INSERT INTO lockout_failures (at, extension, credential, address, user_agent, ext_counted, pair_counted, addr_counted) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run(at, attempt.extension, attempt.credential, address, ua, countExt ? 1 : 0, countExt ? 1 : 0, countAddr ? 1 : 0);
    // prune rows nobody looks at any more (cheap: indexed by time)
    this.db.prepare('DELETE FROM lockout_failures WHERE at < ?').run(iso(nowMs - Math.max(KEEP_FAILURES_MS, p.address.windowSeconds * 1000, p.extension.windowSeconds * 1000)));

    if (known) {
      const ext = attempt.extension as string;
      const cred = attempt.credential as LockCredential;
      this.db
        .prepare(
          `INSERT INTO extension_locks (extension, credential, last_failure_at, last_address, last_user_agent) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (extension, credential) DO UPDATE SET last_failure_at = excluded.last_failure_at,
             last_address = excluded.last_address, last_user_agent = excluded.last_user_agent`,
        )
        .run(ext, cred, at, address, ua);
      let row = this.lockRow(ext, cred) as LockRow;
      let action: 'failure' | 'locked' | 'permanent' = 'failure';
      if (countExt && this.extensionFailures(row, nowMs) >= p.extension.threshold) {
        this.db
          .prepare('INSERT INTO extension_lock_history (extension, credential, at) VALUES (?, ?, ?)')
          .run(ext, cred, at);
        const recent = this.db
          .prepare('SELECT count(*) FROM extension_lock_history WHERE extension = ? AND credential = ? AND at > ?')
          .pluck()
          .get(ext, cred, iso(nowMs - p.permanentWindowSeconds * 1000)) as number;
        const permanent = p.permanentAfterLocks > 0 && recent >= p.permanentAfterLocks;
        this.db
          .prepare('UPDATE extension_locks SET locked_at = ?, locked_until = ?, permanent = ? WHERE extension = ? AND credential = ?')
          .run(at, iso(nowMs + p.extension.lockSeconds * 1000), permanent ? 1 : 0, ext, cred);
        row = this.lockRow(ext, cred) as LockRow;
        action = permanent ? 'permanent' : 'locked';
      }
      if (countExt || action !== 'failure') {
        const id = this.audit({
          at, actor: 'device', address, action: `lockout.${action}`, target: `extension:${ext}`,
          detail: { credential: cred, userAgent: ua },
        });
        events.push({ type: 'lockout.changed', id, at, number: ext, credential: cred, action, by: 'device', address, lock: this.lockOf(row, nowMs) });
      }
    }

    if (banned) {
      // a failure that raced a ban in: the ban runs from the last failure
      if (banned.source === 'auto' && banned.expires_at !== null) {
        const until = iso(nowMs + p.address.banSeconds * 1000);
        if (until > banned.expires_at) this.db.prepare('UPDATE address_bans SET expires_at = ? WHERE id = ?').run(until, banned.id);
      }
    } else if (countAddr && !this.isAllowlisted(address)) {
      const since = iso(nowMs - p.address.windowSeconds * 1000);
      const count = this.db
        .prepare('SELECT count(*) FROM lockout_failures WHERE address = ? AND addr_counted = 1 AND at >= ?')
        .pluck()
        .get(address, since) as number;
      if (count >= p.address.threshold) {
        const reason = `${count} failed sign-ins in ${minutes(p.address.windowSeconds)}`;
        const banId = Number(
          this.db
            .prepare("INSERT INTO address_bans (cidr, source, reason, created_at, created_by, expires_at) VALUES (?, 'auto', ?, ?, ?, ?)")
            .run(address, reason, at, ENGINE, iso(nowMs + p.address.banSeconds * 1000)).lastInsertRowid,
        );
        this.banIndex = undefined;
        // the failures that caused the ban are paid for by it: after it, the address counts from zero
        this.db.prepare('UPDATE lockout_failures SET addr_counted = 0 WHERE address = ? AND addr_counted = 1').run(address);
        const ban = banOf(this.db.prepare('SELECT * FROM address_bans WHERE id = ?').get(banId) as BanRow);
        const id = this.audit({ at, actor: ENGINE, address, action: 'ban.add', target: `ban:${banId}`, detail: { cidr: ban.cidr, source: 'auto', reason, expiresAt: ban.expiresAt } });
        events.push({ type: 'ban.changed', id, at, action: 'added', by: ENGINE, address, ban });
      }
    }
    return events;
  }
}

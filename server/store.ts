// Data access of the reference PBX. Row shapes stay in here; callers get domain objects.
// The protection hash is read only through protectionHashOf(); it never reaches a domain object.
import type { ExtensionList } from '../shared/api.js';
import { etagFor, type Extension, type ExtensionType, type Role, type Site } from '../shared/domain.js';
import { AppError } from '../shared/errors.js';
import { routeIncomingCall } from '../shared/protection.js';
import type Database from 'better-sqlite3';
import type { Db } from './db.js';

interface ExtensionRow {
  number: string;
  num_sort: number;
  label: string;
  label_lc: string;
  site_id: string;
  type: ExtensionType;
  status: 'active' | 'inactive';
  voicemail: 0 | 1;
  protection_enabled: 0 | 1;
  protection_state: 'unrestricted' | 'blocked';
  password_set: 0 | 1;
  protection_changed_at: string | null;
  protection_changed_by: string | null;
  protection_changed_from: string | null;
  version: number;
}

const EXT_COLUMNS = `number, num_sort, label, label_lc, site_id, type, status, voicemail, protection_enabled,
  protection_state, (protection_hash IS NOT NULL) AS password_set, protection_changed_at, protection_changed_by,
  protection_changed_from, version`;

export function toExtension(row: ExtensionRow): Extension {
  const protection = {
    enabled: row.protection_enabled === 1,
    state: row.protection_state,
    passwordSet: row.password_set === 1,
    changedAt: row.protection_changed_at,
    changedBy: row.protection_changed_by,
    changedFrom: row.protection_changed_from,
  };
  const voicemail = row.voicemail === 1;
  return {
    number: row.number,
    label: row.label,
    siteId: row.site_id,
    type: row.type,
    status: row.status,
    voicemail,
    protection,
    incomingCalls: routeIncomingCall({ type: row.type, status: row.status, voicemail, protection }).decision,
    version: row.version,
    etag: etagFor(row.version),
  };
}

// ---- list: keyset pagination -----------------------------------------------------------------

type SortName = 'number' | 'label' | 'site';
const SORT_KEYS: Record<SortName, { cols: string[]; key: (r: ExtensionRow) => (string | number)[] }> = {
  number: { cols: ['num_sort', 'number'], key: (r) => [r.num_sort, r.number] },
  label: { cols: ['label_lc', 'number'], key: (r) => [r.label_lc, r.number] },
  site: { cols: ['site_id', 'num_sort', 'number'], key: (r) => [r.site_id, r.num_sort, r.number] },
};
const SORT_TYPES: Record<SortName, ('string' | 'number')[]> = {
  number: ['number', 'string'],
  label: ['string', 'string'],
  site: ['string', 'number', 'string'],
};

export interface ListQuery {
  limit: number;
  cursor?: string | undefined;
  sort: 'number' | '-number' | 'label' | '-label' | 'site' | '-site';
  search?: string | undefined;
  site?: string | undefined;
  type?: ExtensionType | undefined;
  protection: 'any' | 'off' | 'on' | 'unrestricted' | 'blocked';
}

function badCursor(): AppError {
  return new AppError('validation_failed', 'cursor: the cursor does not belong to this list; start again without it', 422, [
    { field: 'cursor', rule: 'cursor', message: 'cursor: the cursor does not belong to this list; start again without it' },
  ]);
}

export function encodeCursor(sort: string, key: (string | number)[]): string {
  return Buffer.from(JSON.stringify([sort, ...key]), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string, sort: string): (string | number)[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw badCursor();
  }
  const name = sort.replace(/^-/, '') as SortName;
  const types = SORT_TYPES[name];
  if (!Array.isArray(parsed) || parsed[0] !== sort || parsed.length !== types.length + 1) throw badCursor();
  const key = parsed.slice(1) as unknown[];
  key.forEach((v, i) => {
    if (typeof v !== types[i] || (typeof v === 'number' && !Number.isSafeInteger(v))) throw badCursor();
  });
  return key as (string | number)[];
}

/** Up to this many label matches, a page is read through the trigram index and sorted. */
const INDEX_PAGE_MAX = 5000;

/** No LIKE patterns anywhere (nothing to escape): search uses instr(), range comparisons and FTS phrases. */
function digitsPrefixRange(term: string): [string, string] | null {
  if (!/^[0-9]+$/.test(term)) return null;
  // ':' sorts right after '9', so [term, term + ':') holds exactly the strings starting with term.
  return [term, `${term}:`];
}

export class Store {
  private readonly getExt;
  private readonly getHash;
  private readonly listSitesStmt;
  private readonly auditStmt;
  private readonly failureStmt;
  private readonly listCache = new Map<string, Database.Statement<unknown[]>>();

  constructor(readonly db: Db) {
    this.getExt = db.prepare(`SELECT ${EXT_COLUMNS} FROM extensions WHERE number = ?`);
    this.getHash = db.prepare('SELECT protection_hash FROM extensions WHERE number = ?');
    this.listSitesStmt = db.prepare(
      `SELECT s.id, s.name, (SELECT count(*) FROM extensions e WHERE e.site_id = s.id) AS extensionCount
       FROM sites s ORDER BY s.position, s.id`,
    );
    this.auditStmt = db.prepare(
      'INSERT INTO audit (at, actor, address, action, target, detail) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.failureStmt = db.prepare(
      'INSERT INTO auth_failures (at, kind, extension, address, user_agent, reason) VALUES (?, ?, ?, ?, ?, ?)',
    );
  }

  getExtension(number: string): Extension | undefined {
    const row = this.getExt.get(number) as ExtensionRow | undefined;
    return row ? toExtension(row) : undefined;
  }

  /** The stored argon2 hash of the protection password (never leaves the server). */
  protectionHashOf(number: string): string | null {
    const row = this.getHash.get(number) as { protection_hash: string | null } | undefined;
    return row?.protection_hash ?? null;
  }

  listSites(): Site[] {
    return this.listSitesStmt.all() as Site[];
  }

  listExtensions(q: ListQuery): ExtensionList {
    const desc = q.sort.startsWith('-');
    const sortName = q.sort.replace(/^-/, '') as SortName;
    const sortDef = SORT_KEYS[sortName];
    const cursorKey = q.cursor ? decodeCursor(q.cursor, q.sort) : undefined;
    const term = q.search?.trim().toLowerCase() ?? '';
    // 3+ characters: candidates come from the trigram index (exactness re-checked with instr).
    const indexable = [...term].length >= 3;

    const build = (useIndex: boolean): { where: string[]; args: (string | number)[] } => {
      const where: string[] = [];
      const args: (string | number)[] = [];
      if (term) {
        const label = useIndex
          ? 'id IN (SELECT rowid FROM extensions_fts WHERE extensions_fts MATCH ?) AND instr(label_lc, ?) > 0'
          : 'instr(label_lc, ?) > 0';
        const labelArgs = useIndex ? [`"${term.replaceAll('"', '""')}"`, term] : [term];
        const range = digitsPrefixRange(term);
        if (range) {
          where.push(`((number >= ? AND number < ?) OR (${label}))`);
          args.push(range[0], range[1], ...labelArgs);
        } else {
          where.push(`(${label})`);
          args.push(...labelArgs);
        }
      }
      if (q.site) {
        where.push('site_id = ?');
        args.push(q.site);
      }
      if (q.type) {
        where.push('type = ?');
        args.push(q.type);
      }
      if (q.protection === 'off') where.push('protection_enabled = 0');
      else if (q.protection === 'on') where.push('protection_enabled = 1');
      else if (q.protection === 'unrestricted' || q.protection === 'blocked') {
        where.push('protection_enabled = 1 AND protection_state = ?');
        args.push(q.protection);
      }
      return { where, args };
    };

    const counted = build(indexable);
    const countSql = `SELECT count(*) AS n FROM extensions ${counted.where.length ? `WHERE ${counted.where.join(' AND ')}` : ''}`;
    const total = (this.prepared(countSql).get(...counted.args) as { n: number }).n;

    // Few matches: fetch them through the index and sort. Many: walk the sort order and stop early.
    const { where, args } = indexable && total <= INDEX_PAGE_MAX ? counted : build(false);
    const pageWhere = [...where];
    const pageArgs = [...args];
    if (cursorKey) {
      pageWhere.push(`(${sortDef.cols.join(', ')}) ${desc ? '<' : '>'} (${sortDef.cols.map(() => '?').join(', ')})`);
      pageArgs.push(...cursorKey);
    }
    const order = sortDef.cols.map((c) => `${c} ${desc ? 'DESC' : 'ASC'}`).join(', ');
    const sql = `SELECT ${EXT_COLUMNS} FROM extensions ${pageWhere.length ? `WHERE ${pageWhere.join(' AND ')}` : ''}
      ORDER BY ${order} LIMIT ?`;
    const rows = total === 0 ? [] : (this.prepared(sql).all(...pageArgs, q.limit + 1) as ExtensionRow[]);
    const more = rows.length > q.limit;
    const page = more ? rows.slice(0, q.limit) : rows;
    const last = page[page.length - 1];
    return {
      items: page.map(toExtension),
      total,
      nextCursor: more && last ? encodeCursor(q.sort, sortDef.key(last)) : null,
    };
  }

  /** Statements differ only by which filters are present: a small, bounded set, cached. */
  private prepared(sql: string): Database.Statement<unknown[]> {
    let stmt = this.listCache.get(sql);
    if (!stmt) {
      stmt = this.db.prepare<unknown[]>(sql);
      if (this.listCache.size < 512) this.listCache.set(sql, stmt);
    }
    return stmt;
  }

  /**
   * Change protection columns of one extension if its version is still `expectedVersion`; bumps the
   * version. Returns the new extension, or undefined when the version moved on (caller answers 412).
   */
  updateProtection(
    number: string,
    expectedVersion: number,
    change: {
      enabled: boolean;
      state: 'unrestricted' | 'blocked';
      /** undefined = keep the stored hash */
      hash?: string | undefined;
      at: string;
      by: string;
      from: string;
    },
  ): Extension | undefined {
    const res = this.db
      .prepare(
        `UPDATE extensions SET protection_enabled = ?, protection_state = ?,
           protection_hash = coalesce(?, protection_hash), protection_changed_at = ?, protection_changed_by = ?,
           protection_changed_from = ?, version = version + 1
         WHERE number = ? AND version = ?`,
      )
      .run(
        change.enabled ? 1 : 0,
        change.state,
        change.hash ?? null,
        change.at,
        change.by,
        change.from,
        number,
        expectedVersion,
      );
    if (res.changes !== 1) return undefined;
    return this.getExtension(number);
  }

  /** Append an audit row; returns its id (also the id of the live event of the change). */
  audit(row: { at: string; actor: string; address: string | null; action: string; target: string | null; detail: object }): number {
    const res = this.auditStmt.run(row.at, row.actor, row.address, row.action, row.target, JSON.stringify(row.detail));
    return Number(res.lastInsertRowid);
  }

  lastAuditId(): number {
    const row = this.db.prepare('SELECT max(id) AS id FROM audit').get() as { id: number | null };
    return row.id ?? 0;
  }

  recordAuthFailure(row: {
    at: string;
    kind: string;
    extension: string | null;
    address: string;
    userAgent: string | null;
    reason: string;
  }): void {
    this.failureStmt.run(row.at, row.kind, row.extension, row.address, row.userAgent, row.reason);
  }

  // ---- admins and sessions ----

  getAdmin(username: string): { username: string; passwordHash: string | null; role: Role } | undefined {
    const row = this.db.prepare('SELECT username, password_hash, role FROM admins WHERE username = ?').get(username) as
      | { username: string; password_hash: string | null; role: Role }
      | undefined;
    return row ? { username: row.username, passwordHash: row.password_hash, role: row.role } : undefined;
  }

  createSession(s: {
    tokenHash: string;
    username: string;
    createdAt: string;
    expiresAt: string;
    createdFrom: string;
    userAgent: string | null;
  }): void {
    this.db
      .prepare(
        `INSERT INTO sessions (token_hash, username, created_at, expires_at, created_from, user_agent, last_used_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(s.tokenHash, s.username, s.createdAt, s.expiresAt, s.createdFrom, s.userAgent, s.createdAt);
  }

  findSession(
    tokenHash: string,
  ): { tokenHash: string; username: string; role: Role; expiresAt: string; lastUsedAt: string | null } | undefined {
    const row = this.db
      .prepare(
        `SELECT s.token_hash, s.username, a.role, s.expires_at, s.last_used_at
         FROM sessions s JOIN admins a ON a.username = s.username WHERE s.token_hash = ?`,
      )
      .get(tokenHash) as
      | { token_hash: string; username: string; role: Role; expires_at: string; last_used_at: string | null }
      | undefined;
    return row
      ? {
          tokenHash: row.token_hash,
          username: row.username,
          role: row.role,
          expiresAt: row.expires_at,
          lastUsedAt: row.last_used_at,
        }
      : undefined;
  }

  touchSession(tokenHash: string, at: string): void {
    this.db.prepare('UPDATE sessions SET last_used_at = ? WHERE token_hash = ?').run(at, tokenHash);
  }

  deleteSession(tokenHash: string): boolean {
    return this.db.prepare('DELETE FROM sessions WHERE token_hash = ?').run(tokenHash).changes === 1;
  }

  deleteExpiredSessions(nowIso: string): number {
    return this.db.prepare('DELETE FROM sessions WHERE expires_at <= ?').run(nowIso).changes;
  }
}

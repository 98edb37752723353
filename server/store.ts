// Data access of the reference PBX. Row shapes stay in here; callers get domain objects.
// The protection hash is read only through protectionHashOf(); it never reaches a domain object.
import { AuditLog } from './audit.js';
import type { ExtensionList } from '../shared/api.js';
import {
  ExtensionCredentialKinds,
  etagFor,
  type ExtensionCredentialKind,
  type ExtensionCredentials,
  type Extension,
  type ExtensionType,
  type Role,
  type Site,
} from '../shared/domain.js';
import { CredentialKinds, PinPolicySchema, defaultPinPolicy, type CredentialKind, type PinPolicy } from '../shared/pin-policy.js';
import { AppError } from '../shared/errors.js';
import { routeIncomingCall } from '../shared/protection.js';
import type Database from 'better-sqlite3';
import { refreshAllPolicyImplications, refreshPolicyImplications, type Db } from './db.js';

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
  creds: string | null;
  voicemail_trusted: 0 | 1;
}

/**
 * Credential metadata of a row, as JSON [[kind, set_at, is_default, compliant, policy_version], …] (never a
 * hash). Whether that policy version implies the kind's current policy is looked up in memory (Store's
 * Implications): a lookup per credential in SQL cost a third of a 1,000-row page.
 */
const CREDS_COLUMN = `(SELECT json_group_array(json_array(c.kind, c.set_at, c.is_default, c.compliant, c.policy_version))
  FROM credentials c WHERE c.number = extensions.number)`;

/** Whether a credential set under (kind, version) meets the kind's current policy: true, false, or null = not known. */
export type Implications = (kind: string, version: number | null) => boolean | null;

const EXT_COLUMNS = `number, num_sort, label, label_lc, site_id, type, status, voicemail, protection_enabled,
  protection_state, (protection_hash IS NOT NULL) AS password_set, protection_changed_at, protection_changed_by,
  protection_changed_from, version, ${CREDS_COLUMN} AS creds, voicemail_trusted`;

/** One credential row: kind, set_at, is_default, compliant, policy_version. */
type CredTuple = [string, string, 0 | 1, 0 | 1, number | null];

function toCredentials(json: string | readonly CredTuple[] | null, implies: Implications): ExtensionCredentials {
  return credentialsOf(typeof json === 'string' ? (JSON.parse(json) as CredTuple[]) : json, implies);
}

function credentialsOf(tuples: readonly CredTuple[] | null | undefined, implies: Implications): ExtensionCredentials {
  const out = {} as ExtensionCredentials;
  for (const k of ExtensionCredentialKinds) {
    out[k] = { set: false, isDefault: false, setAt: null, compliant: null, meetsCurrentPolicy: null };
  }
  if (tuples) {
    for (const [kind, setAt, isDefault, compliant, version] of tuples) {
      if (!(ExtensionCredentialKinds as readonly string[]).includes(kind)) continue;
      // A default PIN is to be replaced at first sign-in: "meets the current policy" is not asked of it.
      const meetsCurrentPolicy = isDefault === 1 ? null : compliant !== 1 ? false : implies(kind, version) === true ? true : null;
      out[kind as ExtensionCredentialKind] = { set: true, isDefault: isDefault === 1, setAt, compliant: compliant === 1, meetsCurrentPolicy };
    }
  }
  return out;
}

export function toExtension(row: ExtensionRow, implies: Implications): Extension {
  return makeExtension(
    implies,
    row.number,
    row.label,
    row.site_id,
    row.type,
    row.status,
    row.voicemail,
    row.protection_enabled,
    row.protection_state,
    row.password_set,
    row.protection_changed_at,
    row.protection_changed_by,
    row.protection_changed_from,
    row.version,
    row.creds,
    row.voicemail_trusted,
  );
}

function makeExtension(
  implies: Implications,
  number: string,
  label: string,
  siteId: string,
  type: ExtensionType,
  status: 'active' | 'inactive',
  voicemailFlag: 0 | 1,
  enabled: 0 | 1,
  state: 'unrestricted' | 'blocked',
  passwordSet: 0 | 1,
  changedAt: string | null,
  changedBy: string | null,
  changedFrom: string | null,
  version: number,
  creds: string | readonly CredTuple[] | null,
  trusted: 0 | 1,
): Extension {
  const protection = {
    enabled: enabled === 1,
    state,
    passwordSet: passwordSet === 1,
    changedAt,
    changedBy,
    changedFrom,
  };
  const voicemail = voicemailFlag === 1;
  return {
    number,
    label,
    siteId,
    type,
    status,
    voicemail,
    protection,
    incomingCalls: routeIncomingCall({ type, status, voicemail, protection }).decision,
    credentials: toCredentials(creds, implies),
    voicemailTrusted: trusted === 1,
    version,
    etag: etagFor(version),
  };
}

/**
 * List pages are read as arrays (better-sqlite3 raw mode: no object per row, measurably cheaper for a
 * 100-row page): these columns, then the sort key of the page's order (for the cursor).
 */
const LIST_COLUMNS = `number, label, site_id, type, status, voicemail, protection_enabled, protection_state,
  (protection_hash IS NOT NULL), protection_changed_at, protection_changed_by, protection_changed_from, version,
  ${CREDS_COLUMN}, voicemail_trusted`;
const LIST_KEY_OFFSET = 15;
type ListTuple = [
  string,
  string,
  string,
  ExtensionType,
  'active' | 'inactive',
  0 | 1,
  0 | 1,
  'unrestricted' | 'blocked',
  0 | 1,
  string | null,
  string | null,
  string | null,
  number,
  string | null,
  0 | 1,
  ...(string | number)[],
];

function tupleToExtension(t: ListTuple, implies: Implications): Extension {
  return makeExtension(implies, t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7], t[8], t[9], t[10], t[11], t[12], t[13], t[14]);
}

// ---- list: keyset pagination -----------------------------------------------------------------

type SortName = 'number' | 'label' | 'site';
/** The columns of each sort order, which are also the cursor's key. */
const SORT_COLUMNS: Record<SortName, string[]> = {
  number: ['num_sort', 'number'],
  label: ['label_lc', 'number'],
  site: ['site_id', 'num_sort', 'number'],
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
  /** The caller's site scope: only extensions of these sites (undefined/null = every site). */
  scope?: readonly string[] | null | undefined;
}

/** The sites of an account as a JSON array (admin_sites); empty = every site. */
const SITES_COLUMN = (username: string): string =>
  `(SELECT json_group_array(site_id) FROM admin_sites WHERE admin_sites.username = ${username})`;

/** The sites of an account: a JSON array of site ids; null or empty = every site. */
export function parseSites(json: string | null): string[] | null {
  if (json === null) return null;
  try {
    const v = JSON.parse(json) as unknown;
    if (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string')) return v as string[];
  } catch {
    // a malformed value scopes to nothing rather than everything
    return [];
  }
  return null;
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

/**
 * Label matches come from the trigram index (terms of 3+ characters). Since migration 2 it is
 * case-sensitive over label_lc, so a phrase match is exactly instr(label_lc, term) > 0: no re-check.
 * A NUL would end the FTS query text early, so such a term takes the instr path.
 */
function indexableTerm(term: string): boolean {
  return [...term].length >= 3 && !term.includes('\0');
}

function ftsPhrase(term: string): string {
  return `"${term.replaceAll('"', '""')}"`;
}

/** No LIKE patterns anywhere (nothing to escape): search uses instr(), range comparisons and FTS phrases. */
function digitsPrefixRange(term: string): [string, string] | null {
  if (!/^[0-9]+$/.test(term)) return null;
  // ':' sorts right after '9', so [term, term + ':') holds exactly the strings starting with term.
  return [term, `${term}:`];
}

interface Clauses {
  where: string[];
  args: (string | number)[];
}

/** The search condition: number prefix or label substring; through the trigram index or by instr(). */
function searchClause(term: string, useIndex: boolean): Clauses {
  const label = useIndex ? 'id IN (SELECT rowid FROM extensions_fts WHERE extensions_fts MATCH ?)' : 'instr(label_lc, ?) > 0';
  const labelArg = useIndex ? ftsPhrase(term) : term;
  const range = digitsPrefixRange(term);
  return range
    ? { where: [`((number >= ? AND number < ?) OR ${label})`], args: [range[0], range[1], labelArg] }
    : { where: [label], args: [labelArg] };
}

function filterClauses(q: ListQuery): Clauses {
  const where: string[] = [];
  const args: (string | number)[] = [];
  if (q.site) {
    where.push('site_id = ?');
    args.push(q.site);
  }
  if (q.scope) {
    where.push(q.scope.length ? `site_id IN (${q.scope.map(() => '?').join(', ')})` : '0');
    args.push(...q.scope);
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
}

const whereSql = (where: string[]): string => (where.length ? `WHERE ${where.join(' AND ')}` : '');

/** Totals kept per (search, filters); dropped wholesale past this many. */
const TOTALS_CACHE_MAX = 1000;

/**
 * A page either reads all matches through the trigram index and sorts them (cost ~ matches), or walks the
 * sort order testing each row until the page is full (cost ~ rows × page / matches). Measured on 100,000
 * rows, a matched row read and sorted costs several walked rows, so with matches spread evenly the walk
 * wins from ~1,200 matches on; but labels cluster in label order (and real numbering plans cluster in
 * number order), and a walk past a cluster can read most of the table (~10 ms at 100,000 rows).
 * matches² ≤ page × rows (~3,200 matches for a 100-row page of 100,000) is the compromise: below it the
 * index path stays under ~2 ms, above it matches are common enough that a walk rarely goes far. The cap
 * keeps the sort small for big pages.
 */
function pageThroughIndex(matches: number, pageRows: number, tableRows: number): boolean {
  return matches <= 5000 && matches * matches <= pageRows * tableRows;
}

/** Hashes of old values kept per credential (the largest historyCount a policy may ask for). */
export const HISTORY_KEEP = 24;

export interface StoredPolicy {
  kind: CredentialKind;
  policy: PinPolicy;
  version: number;
  updatedAt: string | null;
  updatedBy: string | null;
}

interface PolicyRow {
  kind: CredentialKind;
  policy: string;
  version: number;
  updated_at: string | null;
  updated_by: string | null;
}

function toPolicy(row: PolicyRow): StoredPolicy {
  return {
    kind: row.kind,
    policy: PinPolicySchema.parse(JSON.parse(row.policy)),
    version: row.version,
    updatedAt: row.updated_at,
    updatedBy: row.updated_by,
  };
}

export class Store {
  private readonly getExt;
  private readonly getHash;
  private readonly listSitesStmt;
  private readonly auditLog: AuditLog;
  private readonly failureStmt;
  private readonly changesStmt;
  private readonly dataVersionStmt;
  private readonly tableRowsStmt;
  private readonly getAdminStmt;
  private readonly createSessionStmt;
  private readonly findSessionStmt;
  private readonly touchSessionStmt;
  private readonly deleteSessionStmt;
  private readonly deleteExpiredStmt;
  private readonly updateProtectionStmt;
  private readonly listCache = new Map<string, Database.Statement<unknown[]>>();
  /** total per (search, filters), valid for the data version in totalsVersion. */
  private readonly totals = new Map<string, number>();
  private totalsVersion = '';

  /** (kind, policy version) → implies the kind's current policy; reloaded when a policy changes here. */
  private implied = new Map<string, boolean>();
  readonly implies: Implications = (kind, version) => (version === null ? null : (this.implied.get(`${kind}\u0000${version}`) ?? null));

  private loadImplications(): void {
    const rows = this.db.prepare('SELECT kind, version, implies_current FROM pin_policy_versions').all() as {
      kind: string;
      version: number;
      implies_current: 0 | 1;
    }[];
    this.implied = new Map(rows.map((r) => [`${r.kind}\u0000${r.version}`, r.implies_current === 1]));
  }

  constructor(readonly db: Db) {
    this.getExt = db.prepare(`SELECT ${EXT_COLUMNS} FROM extensions WHERE number = ?`);
    this.getHash = db.prepare('SELECT protection_hash FROM extensions WHERE number = ?');
    this.listSitesStmt = db.prepare(
      `SELECT s.id, s.name, (SELECT count(*) FROM extensions e WHERE e.site_id = s.id) AS extensionCount
       FROM sites s ORDER BY s.position, s.id`,
    );
    this.auditLog = new AuditLog(db);
    this.failureStmt = db.prepare(
      'INSERT INTO auth_failures (at, kind, extension, address, user_agent, reason) VALUES (?, ?, ?, ?, ?, ?)',
    );
    // Every row this connection writes moves total_changes(); a commit by any other connection (another
    // process, the sqlite3 shell) moves data_version. Together: "has anything changed since".
    this.changesStmt = db.prepare('SELECT total_changes()').pluck();
    this.dataVersionStmt = db.prepare('PRAGMA data_version').pluck();
    this.tableRowsStmt = db.prepare('SELECT count(*) FROM extensions').pluck();
    this.getAdminStmt = db.prepare(
      `SELECT username, password_hash, role, ${SITES_COLUMN('admins.username')} AS sites, api_access, token_validity_minutes
       FROM admins WHERE username = ?`,
    );
    this.createSessionStmt = db.prepare(
      `INSERT INTO sessions (token_hash, username, created_at, expires_at, created_from, user_agent, last_used_at, last_used_from, last_used_ua, method)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.findSessionStmt = db.prepare(
      `SELECT s.token_hash, s.username, a.role, ${SITES_COLUMN('a.username')} AS sites, s.expires_at, s.last_used_at, s.created_at, s.method,
              s.last_used_from, s.last_used_ua
       FROM sessions s JOIN admins a ON a.username = s.username WHERE s.token_hash = ?`,
    );
    this.touchSessionStmt = db.prepare('UPDATE sessions SET last_used_at = ?, last_used_from = ?, last_used_ua = ? WHERE token_hash = ?');
    this.deleteSessionStmt = db.prepare('DELETE FROM sessions WHERE token_hash = ?');
    this.deleteExpiredStmt = db.prepare('DELETE FROM sessions WHERE expires_at <= ?');
    this.updateProtectionStmt = db.prepare(
      `UPDATE extensions SET protection_enabled = ?, protection_state = ?,
         protection_hash = coalesce(?, protection_hash), protection_changed_at = ?, protection_changed_by = ?,
         protection_changed_from = ?, version = version + 1
       WHERE number = ? AND version = ?`,
    );
    this.ensureDefaultPolicies();
    this.loadImplications();
  }

  getExtension(number: string): Extension | undefined {
    const row = this.getExt.get(number) as ExtensionRow | undefined;
    return row ? toExtension(row, this.implies) : undefined;
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
    const sortCols = SORT_COLUMNS[sortName];
    const cursorKey = q.cursor ? decodeCursor(q.cursor, q.sort) : undefined;
    const term = q.search?.trim().toLowerCase() ?? '';
    const indexable = indexableTerm(term);
    const filters = filterClauses(q);

    this.checkDataVersion();
    const total = this.matchCount(q, term, indexable, filters);
    if (total === 0) return { items: [], total, nextCursor: null };

    // Few matches: fetch them through the index and sort. Many: walk the sort order and stop early.
    const where = [...filters.where];
    const args = [...filters.args];
    if (term) {
      const search = searchClause(term, indexable && pageThroughIndex(total, q.limit + 1, this.tableRows()));
      where.unshift(...search.where);
      args.unshift(...search.args);
    }
    if (cursorKey) {
      where.push(`(${sortCols.join(', ')}) ${desc ? '<' : '>'} (${sortCols.map(() => '?').join(', ')})`);
      args.push(...cursorKey);
    }
    const order = sortCols.map((c) => `${c} ${desc ? 'DESC' : 'ASC'}`).join(', ');
    const sql = `SELECT ${LIST_COLUMNS}, ${sortCols.join(', ')} FROM extensions ${whereSql(where)}
      ORDER BY ${order} LIMIT ?`;
    const rows = this.prepared(sql).raw().all(...args, q.limit + 1) as ListTuple[];
    const more = rows.length > q.limit;
    const page = more ? rows.slice(0, q.limit) : rows;
    const last = page[page.length - 1];
    return {
      items: page.map((t) => tupleToExtension(t, this.implies)),
      total,
      nextCursor: more && last ? encodeCursor(q.sort, last.slice(LIST_KEY_OFFSET) as (string | number)[]) : null,
    };
  }

  /**
   * Every extension in number order (the configuration export, issue 7): two raw reads — the extensions without
   * the per-row credentials subquery, then every credential row at once — measured ~2× faster at 100,000.
   */
  allExtensions(): Extension[] {
    const creds = new Map<string, CredTuple[]>();
    const credRows = this.prepared('SELECT number, kind, set_at, is_default, compliant, policy_version FROM credentials').raw().all() as [
      string, ...CredTuple,
    ][];
    for (const [number, ...t] of credRows) {
      const list = creds.get(number);
      if (list) list.push(t);
      else creds.set(number, [t]);
    }
    const columns = LIST_COLUMNS.replace(CREDS_COLUMN, 'NULL');
    const rows = this.prepared(`SELECT ${columns} FROM extensions ORDER BY num_sort, number`).raw().all() as ListTuple[];
    const none: CredTuple[] = [];
    return rows.map((t) =>
      makeExtension(this.implies, t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7], t[8], t[9], t[10], t[11], t[12], creds.get(t[0]) ?? none, t[14]),
    );
  }

  /**
   * The exact number of rows matching search and filters (not the cursor). Paging through a list, or
   * typing the same search again, asks for the same total over and over while nothing changes: totals are
   * kept until the next write of any kind.
   */
  private matchCount(q: ListQuery, term: string, indexable: boolean, filters: Clauses): number {
    const key = JSON.stringify([term, q.site ?? null, q.type ?? null, q.protection, q.scope ?? null]);
    const cached = this.totals.get(key);
    if (cached !== undefined) return cached;

    let sql: string;
    let args: (string | number)[];
    if (indexable && filters.where.length === 0 && !digitsPrefixRange(term)) {
      // the index alone: no row of the table is read
      sql = 'SELECT count(*) FROM extensions_fts WHERE extensions_fts MATCH ?';
      args = [ftsPhrase(term)];
    } else {
      const search = term ? searchClause(term, indexable) : { where: [], args: [] };
      sql = `SELECT count(*) FROM extensions ${whereSql([...search.where, ...filters.where])}`;
      args = [...search.args, ...filters.args];
    }
    const n = this.prepared(sql).pluck().get(...args) as number;
    if (this.totals.size >= TOTALS_CACHE_MAX) this.totals.clear();
    this.totals.set(key, n);
    return n;
  }

  private tableRows(): number {
    const key = '(rows)';
    let n = this.totals.get(key);
    if (n === undefined) {
      n = this.tableRowsStmt.get() as number;
      this.totals.set(key, n);
    }
    return n;
  }

  /** Drop the kept totals when anything was written since they were counted. */
  private checkDataVersion(): void {
    const version = `${this.changesStmt.get() as number}:${this.dataVersionStmt.get() as number}`;
    if (version !== this.totalsVersion) {
      this.totals.clear();
      this.totalsVersion = version;
    }
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
    const res = this.updateProtectionStmt.run(
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
    // A new protection password joins its kind's history (the policy may refuse reusing recent ones).
    if (change.hash) this.addHistory(number, 'protection_password', change.hash, change.at);
    return this.getExtension(number);
  }

  /**
   * Mark an extension trusted (or not) for voicemail sign-in if it is still at expectedVersion; bumps the
   * version. undefined = the version moved on (412).
   */
  setVoicemailTrusted(number: string, expectedVersion: number, trusted: boolean): Extension | undefined {
    const res = this.db
      .prepare('UPDATE extensions SET voicemail_trusted = ?, version = version + 1 WHERE number = ? AND version = ?')
      .run(trusted ? 1 : 0, number, expectedVersion);
    return res.changes === 1 ? this.getExtension(number) : undefined;
  }

  /** Append an audit row; returns its id (also the id of the live event of the change). */
  audit(row: { at: string; actor: string; address: string | null; action: string; target: string | null; detail: object }): number {
    return this.auditLog.append(row);
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

  // ---- PIN policies (SPEC F2) ----

  /** Every kind has a policy row; a missing one (new database, new kind) gets the default preset. */
  ensureDefaultPolicies(): void {
    const insert = this.db.prepare('INSERT OR IGNORE INTO pin_policies (kind, policy, version) VALUES (?, ?, 1)');
    const versions = this.db.prepare(
      'INSERT OR IGNORE INTO pin_policy_versions (kind, version, policy) SELECT kind, version, policy FROM pin_policies',
    );
    this.db.transaction(() => {
      for (const kind of CredentialKinds) insert.run(kind, JSON.stringify(defaultPinPolicy(kind)));
      if (versions.run().changes > 0) refreshAllPolicyImplications(this.db);
    })();
  }

  getPolicy(kind: CredentialKind): StoredPolicy {
    const row = this.db
      .prepare('SELECT kind, policy, version, updated_at, updated_by FROM pin_policies WHERE kind = ?')
      .get(kind) as PolicyRow | undefined;
    if (!row) return { kind, policy: defaultPinPolicy(kind), version: 1, updatedAt: null, updatedBy: null };
    return toPolicy(row);
  }

  listPolicies(): StoredPolicy[] {
    return CredentialKinds.map((k) => this.getPolicy(k));
  }

  /** Replace a policy if it is still at expectedVersion; undefined when it moved on (412). */
  updatePolicy(kind: CredentialKind, expectedVersion: number, policy: PinPolicy, at: string, by: string): StoredPolicy | undefined {
    return this.db.transaction(() => {
      const res = this.db
        .prepare('UPDATE pin_policies SET policy = ?, version = version + 1, updated_at = ?, updated_by = ? WHERE kind = ? AND version = ?')
        .run(JSON.stringify(policy), at, by, kind, expectedVersion);
      if (res.changes !== 1) return undefined;
      // Keep this version too, and which of the kind's versions imply it now.
      this.db
        .prepare('INSERT OR REPLACE INTO pin_policy_versions (kind, version, policy) VALUES (?, ?, ?)')
        .run(kind, expectedVersion + 1, JSON.stringify(policy));
      refreshPolicyImplications(this.db, kind);
      this.loadImplications();
      return this.getPolicy(kind);
    })();
  }

  // ---- credentials ----

  /** The stored secret of a credential: its hash, or is_default (verify against the default PIN). */
  /** A phone registered from `address` (replaces its earlier registration). */
  putRegistration(row: { extension: string; address: string; userAgent: string | null; at: string; expiresAt: string }): void {
    this.db
      .prepare(
        `INSERT INTO device_registrations (extension, address, user_agent, registered_at, expires_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (extension) DO UPDATE SET address = excluded.address, user_agent = excluded.user_agent,
           registered_at = excluded.registered_at, expires_at = excluded.expires_at`,
      )
      .run(row.extension, row.address, row.userAgent, row.at, row.expiresAt);
  }

  deleteRegistration(extension: string): void {
    this.db.prepare('DELETE FROM device_registrations WHERE extension = ?').run(extension);
  }

  /** Where the extension's phone is registered now (null when never or expired). */
  registrationOf(extension: string, nowIso: string): { address: string; userAgent: string | null; expiresAt: string } | null {
    const row = this.db
      .prepare('SELECT address, user_agent, expires_at FROM device_registrations WHERE extension = ? AND expires_at > ?')
      .get(extension, nowIso) as { address: string; user_agent: string | null; expires_at: string } | undefined;
    return row ? { address: row.address, userAgent: row.user_agent, expiresAt: row.expires_at } : null;
  }

  credentialOf(number: string, kind: CredentialKind): { hash: string | null; isDefault: boolean } | undefined {
    const row = this.db.prepare('SELECT hash, is_default FROM credentials WHERE number = ? AND kind = ?').get(number, kind) as
      | { hash: string | null; is_default: 0 | 1 }
      | undefined;
    return row ? { hash: row.hash, isDefault: row.is_default === 1 } : undefined;
  }

  /** The last `n` hashes of a credential, newest first. */
  historyHashes(number: string, kind: CredentialKind, n: number): string[] {
    if (n <= 0) return [];
    return this.db
      .prepare('SELECT hash FROM credential_history WHERE number = ? AND kind = ? ORDER BY id DESC LIMIT ?')
      .pluck()
      .all(number, kind, n) as string[];
  }

  /**
   * Store a credential if the extension is still at expectedVersion (bumps the version). A chosen value
   * (hash) also goes to the history, which keeps at most HISTORY_KEEP hashes. undefined = 412.
   */
  setCredential(
    number: string,
    expectedVersion: number,
    kind: CredentialKind,
    change: { hash: string | null; isDefault: boolean; at: string; by: string; policyVersion?: number | null },
  ): Extension | undefined {
    const bumped = this.db
      .prepare('UPDATE extensions SET version = version + 1 WHERE number = ? AND version = ?')
      .run(number, expectedVersion);
    if (bumped.changes !== 1) return undefined;
    this.db
      .prepare(
        `INSERT INTO credentials (number, kind, hash, is_default, set_at, set_by, compliant, policy_version)
         VALUES (?, ?, ?, ?, ?, ?, 1, ?)
         ON CONFLICT (number, kind) DO UPDATE SET hash = excluded.hash, is_default = excluded.is_default,
           set_at = excluded.set_at, set_by = excluded.set_by, compliant = excluded.compliant,
           policy_version = excluded.policy_version`,
      )
      .run(number, kind, change.hash, change.isDefault ? 1 : 0, change.at, change.by, change.policyVersion ?? null);
    if (change.hash !== null && !change.isDefault) this.addHistory(number, kind, change.hash, change.at);
    return this.getExtension(number);
  }

  /** Remember a chosen value's hash; at most HISTORY_KEEP per credential. */
  private addHistory(number: string, kind: CredentialKind, hash: string, at: string): void {
    this.db.prepare('INSERT INTO credential_history (number, kind, hash, set_at) VALUES (?, ?, ?, ?)').run(number, kind, hash, at);
    this.db
      .prepare(
        `DELETE FROM credential_history WHERE number = ? AND kind = ? AND id NOT IN
           (SELECT id FROM credential_history WHERE number = ? AND kind = ? ORDER BY id DESC LIMIT ?)`,
      )
      .run(number, kind, number, kind, HISTORY_KEEP);
  }

  /**
   * Deactivate a number if it is still at expectedVersion: status inactive, protection off (its password
   * removed), every credential and its history removed, the voicemail PIN back to the default (the caller
   * makes sure a default exists), no longer a trusted extension. undefined = 412.
   */
  deactivateExtension(number: string, expectedVersion: number, at: string, by: string, from: string): Extension | undefined {
    const res = this.db
      .prepare(
        `UPDATE extensions SET status = 'inactive', protection_enabled = 0, protection_state = 'unrestricted',
           protection_hash = NULL, protection_changed_at = ?, protection_changed_by = ?, protection_changed_from = ?,
           voicemail_trusted = 0, version = version + 1
         WHERE number = ? AND version = ?`,
      )
      .run(at, by, from, number, expectedVersion);
    if (res.changes !== 1) return undefined;
    this.db.prepare('DELETE FROM credential_history WHERE number = ?').run(number);
    this.db.prepare('DELETE FROM credentials WHERE number = ?').run(number);
    this.db
      .prepare(
        `INSERT INTO credentials (number, kind, hash, is_default, set_at, set_by, compliant)
         VALUES (?, 'voicemail_pin', NULL, 1, ?, ?, 1)`,
      )
      .run(number, at, by);
    return this.getExtension(number);
  }

  /** Activate a number if it is still at expectedVersion; a number without a voicemail PIN gets the default. */
  activateExtension(number: string, expectedVersion: number, at: string, by: string): Extension | undefined {
    const res = this.db
      .prepare(`UPDATE extensions SET status = 'active', version = version + 1 WHERE number = ? AND version = ?`)
      .run(number, expectedVersion);
    if (res.changes !== 1) return undefined;
    this.db
      .prepare(
        `INSERT INTO credentials (number, kind, hash, is_default, set_at, set_by, compliant)
         VALUES (?, 'voicemail_pin', NULL, 1, ?, ?, 1) ON CONFLICT (number, kind) DO NOTHING`,
      )
      .run(number, at, by);
    return this.getExtension(number);
  }

  /** The sealed default PIN of a number and its hash (null = pending). */
  defaultPinOf(number: string): { enc: Buffer; hash: string | null } | undefined {
    return this.db.prepare('SELECT enc, hash FROM default_pins WHERE number = ?').get(number) as
      | { enc: Buffer; hash: string | null }
      | undefined;
  }

  putDefaultPin(number: string, enc: Buffer, at: string): void {
    this.db
      .prepare(
        `INSERT INTO default_pins (number, enc, hash, created_at) VALUES (?, ?, NULL, ?)
         ON CONFLICT (number) DO UPDATE SET enc = excluded.enc, hash = NULL, created_at = excluded.created_at`,
      )
      .run(number, enc, at);
  }

  setDefaultPinHash(number: string, hash: string): void {
    this.db.prepare('UPDATE default_pins SET hash = ? WHERE number = ?').run(hash, number);
  }

  // ---- admins and sessions ----

  getAdmin(username: string):
    | { username: string; passwordHash: string | null; role: Role; sites: string[] | null; apiAccess: boolean; tokenValidityMinutes: number }
    | undefined {
    const row = this.getAdminStmt.get(username) as
      | { username: string; password_hash: string | null; role: Role; sites: string | null; api_access: number; token_validity_minutes: number }
      | undefined;
    return row
      ? {
          username: row.username, passwordHash: row.password_hash, role: row.role, sites: parseSites(row.sites),
          apiAccess: row.api_access === 1, tokenValidityMinutes: row.token_validity_minutes,
        }
      : undefined;
  }

  createSession(s: {
    tokenHash: string;
    username: string;
    createdAt: string;
    expiresAt: string;
    createdFrom: string;
    userAgent: string | null;
    method?: 'password' | 'passkey' | 'refresh';
  }): void {
    // the login is its first use: last used = created, from the same place with the same program
    const ua = s.userAgent === null ? null : s.userAgent.slice(0, 300);
    this.createSessionStmt.run(
      s.tokenHash, s.username, s.createdAt, s.expiresAt, s.createdFrom, s.userAgent, s.createdAt, s.createdFrom, ua, s.method ?? 'password',
    );
  }

  findSession(
    tokenHash: string,
  ):
    | {
        tokenHash: string;
        username: string;
        role: Role;
        sites: string[] | null;
        expiresAt: string;
        lastUsedAt: string | null;
        lastUsedFrom: string | null;
        lastUsedUa: string | null;
        createdAt: string;
        method: string;
      }
    | undefined {
    const row = this.findSessionStmt.get(tokenHash) as
      | {
          token_hash: string;
          username: string;
          role: Role;
          sites: string | null;
          expires_at: string;
          last_used_at: string | null;
          last_used_from: string | null;
          last_used_ua: string | null;
          created_at: string;
          method: string;
        }
      | undefined;
    return row
      ? {
          tokenHash: row.token_hash,
          username: row.username,
          role: row.role,
          sites: parseSites(row.sites),
          expiresAt: row.expires_at,
          lastUsedAt: row.last_used_at,
          lastUsedFrom: row.last_used_from,
          lastUsedUa: row.last_used_ua,
          createdAt: row.created_at,
          method: row.method,
        }
      : undefined;
  }

  touchSession(tokenHash: string, at: string, from: string, userAgent: string | null): void {
    this.touchSessionStmt.run(at, from, userAgent, tokenHash);
  }

  /** The login tokens of one account (newest first), as stored: never the token, only its hash. */
  sessionsOf(username: string, nowIso: string): {
    tokenHash: string; createdAt: string; createdFrom: string; userAgent: string | null; expiresAt: string;
    lastUsedAt: string | null; lastUsedFrom: string | null; lastUsedUa: string | null; method: 'password' | 'passkey' | 'refresh';
  }[] {
    return (
      this.db
        .prepare(
          `SELECT token_hash, created_at, created_from, user_agent, expires_at, last_used_at, last_used_from, last_used_ua, method
           FROM sessions WHERE username = ? AND expires_at > ? ORDER BY created_at DESC`,
        )
        .all(username, nowIso) as {
        token_hash: string; created_at: string; created_from: string; user_agent: string | null; expires_at: string;
        last_used_at: string | null; last_used_from: string | null; last_used_ua: string | null; method: 'password' | 'passkey' | 'refresh';
      }[]
    ).map((r) => ({
      tokenHash: r.token_hash, createdAt: r.created_at, createdFrom: r.created_from, userAgent: r.user_agent, expiresAt: r.expires_at,
      lastUsedAt: r.last_used_at, lastUsedFrom: r.last_used_from, lastUsedUa: r.last_used_ua, method: r.method,
    }));
  }

  deleteSession(tokenHash: string): boolean {
    return this.deleteSessionStmt.run(tokenHash).changes === 1;
  }

  deleteExpiredSessions(nowIso: string): number {
    return this.deleteExpiredStmt.run(nowIso).changes;
  }
}

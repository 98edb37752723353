// Issue 6 / SPEC F5 — the admin and receptionist accounts as stored: settings, password hash (never leaves
// this module except to be verified), site scope, version for If-Match; renames carry sessions, sites and
// passkeys along.
import { createHash } from 'node:crypto';
import type { Db } from './db.js';
import type { Role } from '../shared/domain.js';
import type { Account, AccountWarning } from '../shared/accounts.js';
import { parseSites } from './store.js';

interface Row {
  username: string;
  role: Role;
  password_hash: string | null;
  password_set_at: string | null;
  emails: string;
  api_access: number;
  token_validity_minutes: number;
  created_at: string;
  updated_at: string | null;
  updated_by: string | null;
  version: number;
  sites: string | null;
  passkeys: number;
}

export interface StoredAccount {
  username: string;
  role: Role;
  sites: string[] | null;
  hasPassword: boolean;
  passwordSetAt: string | null;
  emails: string[];
  apiAccess: boolean;
  tokenValidityMinutes: number;
  passkeys: number;
  createdAt: string;
  updatedAt: string | null;
  updatedBy: string | null;
  version: number;
}

/** The settings an admin may write (not the password). */
export interface AccountSettings {
  username: string;
  role: Role;
  sites: string[] | null;
  emails: string[];
  apiAccess: boolean;
  tokenValidityMinutes: number;
}

const SELECT = `
  SELECT a.username, a.role, a.password_hash, a.password_set_at, a.emails, a.api_access, a.token_validity_minutes,
         a.created_at, a.updated_at, a.updated_by, a.version,
         (SELECT json_group_array(site_id) FROM admin_sites s WHERE s.username = a.username) AS sites,
         (SELECT count(*) FROM passkeys p WHERE p.username = a.username) AS passkeys
  FROM admins a`;

function fromRow(r: Row): StoredAccount {
  let emails: string[] = [];
  try {
    const parsed = JSON.parse(r.emails) as unknown;
    if (Array.isArray(parsed)) emails = parsed.filter((e): e is string => typeof e === 'string');
  } catch {
    emails = [];
  }
  return {
    username: r.username,
    role: r.role,
    sites: parseSites(r.sites),
    hasPassword: r.password_hash !== null,
    passwordSetAt: r.password_set_at,
    emails,
    apiAccess: r.api_access === 1,
    tokenValidityMinutes: r.token_validity_minutes,
    passkeys: r.passkeys,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    updatedBy: r.updated_by,
    version: r.version,
  };
}

/** An account's ETag: names the resource (a hash of the username, which may hold any character) and its version. */
export function accountEtag(a: { username: string; version: number; createdAt: string }): string {
  // the creation time too: a deleted and re-created account of the same name is another resource
  return `"acct-${createHash('sha256').update(`${a.username}\n${a.createdAt}`).digest('hex').slice(0, 10)}-${a.version}"`;
}

export function accountResource(a: StoredAccount, opts: { you: string; allowlistEmpty: boolean }): Account {
  const warnings: AccountWarning[] = [];
  if (!a.hasPassword) warnings.push('no_password');
  if (a.apiAccess && opts.allowlistEmpty) warnings.push('basic_without_allowlist');
  return {
    username: a.username,
    role: a.role,
    sites: a.sites,
    hasPassword: a.hasPassword,
    passwordSetAt: a.passwordSetAt,
    emails: a.emails,
    apiAccess: a.apiAccess,
    tokenValidityMinutes: a.tokenValidityMinutes,
    passkeys: a.passkeys,
    createdAt: a.createdAt,
    updatedAt: a.updatedAt,
    updatedBy: a.updatedBy,
    warnings,
    you: a.username === opts.you,
    etag: accountEtag(a),
  };
}

export class AccountStore {
  constructor(private readonly db: Db) {}

  list(): StoredAccount[] {
    return (this.db.prepare(`${SELECT} ORDER BY a.role, a.username`).all() as Row[]).map(fromRow);
  }

  get(username: string): StoredAccount | undefined {
    const r = this.db.prepare(`${SELECT} WHERE a.username = ?`).get(username) as Row | undefined;
    return r ? fromRow(r) : undefined;
  }

  /** How many admins may act on every site (the guard: at least one stays). */
  unrestrictedAdmins(): string[] {
    return this.db
      .prepare(`SELECT username FROM admins a WHERE role = 'admin' AND NOT EXISTS (SELECT 1 FROM admin_sites s WHERE s.username = a.username)`)
      .pluck()
      .all() as string[];
  }

  create(s: AccountSettings, passwordHash: string | null, at: string, by: string): void {
    this.db
      .prepare(
        `INSERT INTO admins (username, password_hash, role, created_at, emails, api_access, token_validity_minutes,
                             password_set_at, version, updated_at, updated_by)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)`,
      )
      .run(s.username, passwordHash, s.role, at, JSON.stringify(s.emails), s.apiAccess ? 1 : 0, s.tokenValidityMinutes,
        passwordHash === null ? null : at, at, by);
    this.setSites(s.username, s.sites);
  }

  /**
   * Replace the settings of `username` at `version` (false: changed in the meantime). A new username renames the
   * account; its sessions, sites and passkeys follow (foreign keys checked at commit). Run inside a transaction.
   */
  update(username: string, version: number, s: AccountSettings, at: string, by: string): boolean {
    if (s.username !== username) {
      this.db.pragma('defer_foreign_keys = ON');
      const r = this.db.prepare('UPDATE admins SET username = ? WHERE username = ? AND version = ?').run(s.username, username, version);
      if (r.changes === 0) return false;
      for (const table of ['sessions', 'admin_sites', 'passkeys']) {
        this.db.prepare(`UPDATE ${table} SET username = ? WHERE username = ?`).run(s.username, username);
      }
    }
    const r = this.db
      .prepare(
        `UPDATE admins SET role = ?, emails = ?, api_access = ?, token_validity_minutes = ?, version = version + 1,
                           updated_at = ?, updated_by = ?
         WHERE username = ? AND version = ?`,
      )
      .run(s.role, JSON.stringify(s.emails), s.apiAccess ? 1 : 0, s.tokenValidityMinutes, at, by, s.username, version);
    if (r.changes === 0) return false;
    this.setSites(s.username, s.sites);
    return true;
  }

  setPassword(username: string, hash: string | null, at: string, by: string): boolean {
    return this.db
      .prepare('UPDATE admins SET password_hash = ?, password_set_at = ?, version = version + 1, updated_at = ?, updated_by = ? WHERE username = ?')
      .run(hash, hash === null ? null : at, at, by, username).changes === 1;
  }

  passwordHash(username: string): string | null {
    return (this.db.prepare('SELECT password_hash FROM admins WHERE username = ?').pluck().get(username) as string | null | undefined) ?? null;
  }

  delete(username: string, version: number): boolean {
    return this.db.prepare('DELETE FROM admins WHERE username = ? AND version = ?').run(username, version).changes === 1;
  }

  /** The token hashes of an account's sessions (to end their live streams). */
  sessionHashes(username: string): string[] {
    return this.db.prepare('SELECT token_hash FROM sessions WHERE username = ?').pluck().all(username) as string[];
  }

  private setSites(username: string, sites: string[] | null): void {
    this.db.prepare('DELETE FROM admin_sites WHERE username = ?').run(username);
    const ins = this.db.prepare('INSERT INTO admin_sites (username, site_id) VALUES (?, ?)');
    for (const site of new Set(sites ?? [])) ins.run(username, site);
  }
}

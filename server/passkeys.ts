// Issue 6 / SPEC F5 — the passkey store (table `passkeys`, migration 15) and the in-memory WebAuthn challenges.
import { createHash, randomBytes } from 'node:crypto';
import type { Db } from './db.js';
import type { Passkey } from '../shared/passkeys.js';

/** The id a passkey has in the API: the first 16 hex digits of sha256(credential id). */
export function passkeyShortId(credentialId: string): string {
  return createHash('sha256').update(credentialId, 'utf8').digest('hex').slice(0, 16);
}

/**
 * The WebAuthn user handle of an account: 32 random bytes made on its first passkey and kept with the account
 * (admins.webauthn_id, migration 16). It follows a rename and is never reused by a new account of an old name,
 * so an authenticator never confuses two accounts (it replaces a credential of the same handle).
 */
export function webauthnUserId(db: Db, username: string): Uint8Array<ArrayBuffer> {
  let id = db.prepare('SELECT webauthn_id FROM admins WHERE username = ?').pluck().get(username) as string | null | undefined;
  if (!id) {
    const fresh = randomBytes(32).toString('base64url');
    db.prepare('UPDATE admins SET webauthn_id = coalesce(webauthn_id, ?) WHERE username = ?').run(fresh, username);
    id = (db.prepare('SELECT webauthn_id FROM admins WHERE username = ?').pluck().get(username) as string | null | undefined) ?? fresh;
  }
  const bytes = Buffer.from(id, 'base64url');
  const out = new Uint8Array(new ArrayBuffer(bytes.length));
  out.set(bytes);
  return out;
}

export interface StoredPasskey {
  credentialId: string;
  shortId: string;
  username: string;
  name: string;
  publicKey: Uint8Array<ArrayBuffer>;
  signCount: number;
  aaguid: string;
  transports: string[];
  deviceType: string | null;
  backedUp: boolean;
  createdAt: string;
  createdFrom: string;
  createdUa: string | null;
  lastUsedAt: string | null;
  lastUsedFrom: string | null;
  lastUsedUa: string | null;
}

interface Row {
  credential_id: string;
  short_id: string;
  username: string;
  name: string;
  public_key: Buffer;
  sign_count: number;
  aaguid: string;
  transports: string;
  device_type: string | null;
  backed_up: number;
  created_at: string;
  created_from: string;
  created_ua: string | null;
  last_used_at: string | null;
  last_used_from: string | null;
  last_used_ua: string | null;
}

function parseTransports(text: string): string[] {
  try {
    const v: unknown = JSON.parse(text);
    return Array.isArray(v) ? v.filter((t): t is string => typeof t === 'string') : [];
  } catch {
    return [];
  }
}

function fromRow(r: Row): StoredPasskey {
  const publicKey = new Uint8Array(new ArrayBuffer(r.public_key.length));
  publicKey.set(r.public_key);
  return {
    credentialId: r.credential_id, shortId: r.short_id, username: r.username, name: r.name, publicKey, signCount: r.sign_count,
    aaguid: r.aaguid, transports: parseTransports(r.transports), deviceType: r.device_type, backedUp: r.backed_up === 1,
    createdAt: r.created_at, createdFrom: r.created_from, createdUa: r.created_ua,
    lastUsedAt: r.last_used_at, lastUsedFrom: r.last_used_from, lastUsedUa: r.last_used_ua,
  };
}

/** The API view of a stored passkey (never the public key). */
export function passkeyView(p: StoredPasskey): Passkey {
  return {
    id: p.shortId, type: 'passkey', username: p.username, name: p.name, aaguid: p.aaguid, transports: p.transports, backedUp: p.backedUp,
    createdAt: p.createdAt, createdFrom: p.createdFrom, createdUserAgent: p.createdUa,
    lastUsedAt: p.lastUsedAt, lastUsedFrom: p.lastUsedFrom, lastUsedUserAgent: p.lastUsedUa,
  };
}

export class PasskeyStore {
  constructor(private readonly db: Db) {}

  of(username: string): StoredPasskey[] {
    const rows = this.db.prepare('SELECT * FROM passkeys WHERE username = ? ORDER BY created_at DESC, short_id').all(username) as Row[];
    return rows.map(fromRow);
  }

  /** Every account's passkeys (the configuration export, issue 7). */
  all(): StoredPasskey[] {
    const rows = this.db.prepare('SELECT * FROM passkeys ORDER BY username, created_at DESC, short_id').all() as Row[];
    return rows.map(fromRow);
  }

  byCredentialId(credentialId: string): StoredPasskey | undefined {
    const r = this.db.prepare('SELECT * FROM passkeys WHERE credential_id = ?').get(credentialId) as Row | undefined;
    return r ? fromRow(r) : undefined;
  }

  insert(p: StoredPasskey): void {
    this.db
      .prepare(
        `INSERT INTO passkeys (credential_id, short_id, username, name, public_key, sign_count, aaguid, transports, device_type,
           backed_up, created_at, created_from, created_ua, last_used_at, last_used_from, last_used_ua)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, NULL)`,
      )
      .run(
        p.credentialId, p.shortId, p.username, p.name, Buffer.from(p.publicKey), p.signCount, p.aaguid, JSON.stringify(p.transports),
        p.deviceType, p.backedUp ? 1 : 0, p.createdAt, p.createdFrom, p.createdUa,
      );
  }

  /** After a verified sign-in; false when the passkey is gone (deleted meanwhile). */
  touch(credentialId: string, u: { signCount: number; backedUp: boolean; at: string; from: string; userAgent: string | null }): boolean {
    return (
      this.db
        .prepare(
          `UPDATE passkeys SET sign_count = ?, backed_up = ?, last_used_at = ?, last_used_from = ?, last_used_ua = ?
           WHERE credential_id = ?`,
        )
        .run(u.signCount, u.backedUp ? 1 : 0, u.at, u.from, u.userAgent, credentialId).changes === 1
    );
  }

  delete(credentialId: string): boolean {
    return this.db.prepare('DELETE FROM passkeys WHERE credential_id = ?').run(credentialId).changes === 1;
  }
}

/** How long a WebAuthn challenge may be answered. */
export const CHALLENGE_TTL_MS = 5 * 60 * 1000;
/** At most this many open challenges of one kind (sign-in options need no login, so memory stays bounded). */
const MAX_CHALLENGES = 10_000;

export type ChallengeKind = 'register' | 'login';

/** Open challenges, each answerable once within CHALLENGE_TTL_MS. Kept in memory: a restart voids them. */
export class ChallengeBook {
  private readonly open = new Map<string, { kind: ChallengeKind; username: string | null; expiresAt: number }>();

  constructor(private readonly clock: () => Date) {}

  add(challenge: string, kind: ChallengeKind, username: string | null): void {
    const now = this.clock().getTime();
    for (const [c, v] of this.open) {
      if (v.expiresAt > now) break; // insertion order = expiry order
      this.open.delete(c);
    }
    while (this.open.size >= MAX_CHALLENGES) {
      const oldest = this.open.keys().next();
      if (oldest.done) break;
      this.open.delete(oldest.value);
    }
    this.open.set(challenge, { kind, username, expiresAt: now + CHALLENGE_TTL_MS });
  }

  /** Takes the challenge out (single use); true when it was open, of this kind (and account) and not expired. */
  take(challenge: string, kind: ChallengeKind, username: string | null): boolean {
    const v = this.open.get(challenge);
    if (!v) return false;
    if (v.kind !== kind || v.username !== username) return false;
    this.open.delete(challenge);
    return v.expiresAt > this.clock().getTime();
  }
}

// The tamper-evident audit log (issue 6): rows are appended with a hash chain — hash = SHA-256(previous hash,
// the row's canonical text) — and the head (last id and hash) is kept in meta, so an edited row, a row deleted
// or inserted in the middle, and rows cut off the end are all detected by verifyAudit. (Whoever can rewrite
// the database AND recompute every later hash can forge it; the head hash, noted elsewhere, anchors it.)
import { createHash } from 'node:crypto';
import { AUDIT_GENESIS, auditCanonical, type AuditQuery, type AuditRecord, type AuditVerify } from '../shared/audit.js';
import type { Db } from './db.js';

const HEAD_KEY = 'audit_head';

interface Row {
  id: number;
  at: string;
  actor: string;
  address: string | null;
  action: string;
  target: string | null;
  detail: string;
  prev_hash: string | null;
  hash: string | null;
}

export function auditHash(prevHash: string, r: Pick<Row, 'id' | 'at' | 'actor' | 'address' | 'action' | 'target' | 'detail'>): string {
  return createHash('sha256')
    .update(prevHash)
    .update('\n')
    .update(auditCanonical({ ...r, detailJson: r.detail }))
    .digest('hex');
}

function setHead(db: Db, id: number, hash: string): void {
  db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(HEAD_KEY, `${id}:${hash}`);
}

function head(db: Db): { id: number; hash: string } | null {
  const r = db.prepare('SELECT value FROM meta WHERE key = ?').get(HEAD_KEY) as { value: string } | undefined;
  if (!r) return null;
  const [id, hash] = r.value.split(':');
  return { id: Number(id), hash: hash ?? '' };
}

export interface AuditInput {
  at: string;
  actor: string;
  address: string | null;
  action: string;
  target: string | null;
  detail: object;
}

/** Prepared statements of the append path (one set per database). */
export class AuditLog {
  private readonly insert;
  private readonly last;
  private readonly seal;

  constructor(private readonly db: Db) {
    this.insert = db.prepare('INSERT INTO audit (at, actor, address, action, target, detail) VALUES (?, ?, ?, ?, ?, ?)');
    this.last = db.prepare('SELECT hash FROM audit WHERE id < ? ORDER BY id DESC LIMIT 1');
    this.seal = db.prepare('UPDATE audit SET prev_hash = ?, hash = ? WHERE id = ?');
  }

  /**
   * Append one row, chained to the head (the last row this log wrote, from meta — not merely the newest row left
   * in the table, so that rows deleted off the end stay a gap the check finds); returns its id (also the id of
   * the live event of the change).
   */
  append(row: AuditInput): number {
    return this.db.transaction(() => {
      const detail = JSON.stringify(row.detail);
      const h = head(this.db);
      const id = Number(this.insert.run(row.at, row.actor, row.address, row.action, row.target, detail).lastInsertRowid);
      const prev = h ? h.hash : ((this.last.get(id) as { hash: string | null } | undefined)?.hash ?? AUDIT_GENESIS);
      const hash = auditHash(prev, { id, at: row.at, actor: row.actor, address: row.address, action: row.action, target: row.target, detail });
      this.seal.run(prev, hash, id);
      setHead(this.db, id, hash);
      return id;
    })();
  }
}

/**
 * Chain the rows of a database whose rows predate the chain (migration 11). Only when no row carries a hash yet:
 * running it again (a user_version put back by hand) must not re-seal — and so launder — an edited log.
 */
export function chainAll(db: Db): void {
  if (db.prepare('SELECT 1 FROM audit WHERE hash IS NOT NULL LIMIT 1').get() !== undefined) return;
  let prev = AUDIT_GENESIS;
  let lastId = 0;
  const seal = db.prepare('UPDATE audit SET prev_hash = ?, hash = ? WHERE id = ?');
  const batch = db.prepare('SELECT * FROM audit WHERE id > ? ORDER BY id LIMIT 5000');
  // in batches: better-sqlite3 cannot write while a read is still iterating
  for (;;) {
    const rows = batch.all(lastId) as Row[];
    if (rows.length === 0) break;
    for (const r of rows) {
      const hash = auditHash(prev, r);
      seal.run(prev, hash, r.id);
      prev = hash;
      lastId = r.id;
    }
  }
  if (lastId > 0) setHead(db, lastId, prev);
}

/** Walk the chain from the first row; the first place it breaks, or ok. */
/**
 * Walks the chain from the first row in batches (`step`), so a caller can yield between them: the PBX keeps
 * answering (phones included) while a long log is checked. Rows appended meanwhile are checked too; the end
 * (head and sqlite_sequence) is checked in the same tick as the last batch.
 */
export class AuditChainCheck {
  private prev = AUDIT_GENESIS;
  private checked = 0;
  private lastId: number | null = null;
  private outcome: AuditVerify | null = null;
  private readonly batch;

  constructor(private readonly db: Db) {
    this.batch = db.prepare('SELECT * FROM audit WHERE id > ? ORDER BY id LIMIT ?');
  }

  private broken(id: number, reason: NonNullable<AuditVerify['broken']>['reason'], message: string): AuditVerify {
    return { ok: false, checked: this.checked, lastId: this.lastId, headHash: null, broken: { id, reason, message } };
  }

  /** Check up to `limit` more rows; true when the whole chain has been decided (see result()). */
  step(limit: number): boolean {
    if (this.outcome) return true;
    const rows = this.batch.all(this.lastId ?? -1, limit) as Row[];
    for (const r of rows) {
      if (r.hash === null || r.prev_hash === null) {
        this.outcome = this.broken(r.id, 'unchained', `Record ${r.id} carries no hash: it was not written by the PBX`);
        return true;
      }
      if (r.prev_hash !== this.prev) {
        this.outcome = this.broken(
          r.id, 'missing_before',
          this.lastId === null
            ? `Record ${r.id} is first but does not start the chain: records before it were deleted`
            : `Record ${r.id} does not follow record ${this.lastId}: records between them were deleted, or one was inserted`,
        );
        return true;
      }
      if (auditHash(this.prev, r) !== r.hash) {
        this.outcome = this.broken(r.id, 'edited', `Record ${r.id} was changed after it was written (its content no longer matches its hash)`);
        return true;
      }
      this.prev = r.hash;
      this.lastId = r.id;
      this.checked++;
    }
    if (rows.length === limit) return false;
    this.outcome = this.end();
    return true;
  }

  /** The end: the head this log wrote last, and the highest id SQLite ever handed out, must be the last row. */
  private end(): AuditVerify {
    const { lastId, prev } = this;
    const h = head(this.db);
    const seq = (this.db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'audit'").get() as { seq: number } | undefined)?.seq ?? 0;
    const written = Math.max(h?.id ?? 0, seq);
    if (lastId !== null && h === null) {
      return this.broken(lastId, 'missing_before', `The record of the log's last entry is missing: the newest records may have been deleted with it`);
    }
    if (written > (lastId ?? 0) || (h && h.hash !== prev)) {
      return this.broken(written, 'missing_before', `The log ends at record ${lastId ?? 'none'}, but record ${written} was written: the newest records were deleted`);
    }
    return { ok: true, checked: this.checked, lastId, headHash: lastId === null ? null : prev, broken: null };
  }

  result(): AuditVerify {
    if (!this.outcome) throw new Error('AuditChainCheck: not finished');
    return this.outcome;
  }
}

/** Rows checked per batch by verifyAuditAsync (~40 ms of work on this machine). */
export const AUDIT_VERIFY_BATCH = 2500;

/** The whole chain, in one go (tests, the export summary of a small log). */
export function verifyAudit(db: Db): AuditVerify {
  const check = new AuditChainCheck(db);
  while (!check.step(10_000));
  return check.result();
}

/** The whole chain, yielding to other requests between batches (GET /audit/verify). */
export async function verifyAuditAsync(db: Db, batch = AUDIT_VERIFY_BATCH): Promise<AuditVerify> {
  const check = new AuditChainCheck(db);
  while (!check.step(batch)) await new Promise((resolve) => setImmediate(resolve));
  return check.result();
}

function toRecord(r: Row): AuditRecord {
  let detail: Record<string, unknown>;
  try {
    const parsed = JSON.parse(r.detail) as unknown;
    detail = parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : { value: parsed };
  } catch {
    detail = { unreadable: r.detail };
  }
  return {
    id: r.id, at: r.at, actor: r.actor, address: r.address, action: r.action, target: r.target, detail,
    prevHash: r.prev_hash ?? '', hash: r.hash ?? '',
  };
}

/** Rows matching the filters, newest first, from below `cursor`; with the total that match. */
export function listAudit(db: Db, q: Required<Pick<AuditQuery, 'limit'>> & Omit<AuditQuery, 'limit'>): { items: AuditRecord[]; total: number; nextCursor: number | null } {
  const where: string[] = [];
  const args: unknown[] = [];
  if (q.actor) {
    where.push('actor = ?');
    args.push(q.actor);
  }
  if (q.action) {
    if (q.action.endsWith('.')) {
      // a prefix, case-sensitive like every action name (LIKE would ignore case)
      where.push('substr(action, 1, ?) = ?');
      args.push(q.action.length, q.action);
    } else {
      where.push('action = ?');
      args.push(q.action);
    }
  }
  if (q.from) {
    where.push('at >= ?');
    args.push(new Date(q.from).toISOString());
  }
  if (q.to) {
    where.push('at <= ?');
    args.push(new Date(q.to).toISOString());
  }
  const filter = where.length ? `WHERE ${where.join(' AND ')}` : '';
  const total = (db.prepare(`SELECT count(*) AS n FROM audit ${filter}`).get(...args) as { n: number }).n;
  const page = q.cursor === undefined ? filter : `${filter ? `${filter} AND` : 'WHERE'} id < ?`;
  const rows = db
    .prepare(`SELECT * FROM audit ${page} ORDER BY id DESC LIMIT ?`)
    .all(...args, ...(q.cursor === undefined ? [] : [q.cursor]), Number(q.limit) + 1) as Row[];
  const more = rows.length > Number(q.limit);
  const items = rows.slice(0, Number(q.limit)).map(toRecord);
  return { items, total, nextCursor: more && items.length ? (items[items.length - 1] as AuditRecord).id : null };
}

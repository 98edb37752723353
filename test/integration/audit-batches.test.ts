// Issue 6: the audit chain checked in batches (GET /audit/verify yields between them so the PBX keeps
// answering): the same verdicts as one pass — an edit, a deletion or a cut end found in any batch — and rows
// appended between batches are checked too. Real SQLite.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditChainCheck, AuditLog, verifyAudit, verifyAuditAsync } from '../../server/audit.js';
import { openDb, type Db } from '../../server/db.js';

let dir: string;
let db: Db;
let log: AuditLog;
const row = (i: number) => ({ at: new Date(Date.UTC(2030, 0, 1, 0, 0, i)).toISOString(), actor: 'admin', address: '127.0.0.1', action: 'test.row', target: `n:${i}`, detail: { i } });

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'audit-batches-'));
  db = openDb(dir);
  log = new AuditLog(db);
  db.transaction(() => {
    for (let i = 0; i < 1000; i++) log.append(row(i));
  })();
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const ids = () => db.prepare('SELECT id FROM audit ORDER BY id').pluck().all() as number[];

describe('audit chain in batches', () => {
  it('an intact log: the same answer in batches of 7 as in one pass', async () => {
    const one = verifyAudit(db);
    expect(one.ok).toBe(true);
    expect(await verifyAuditAsync(db, 7)).toEqual(one);
  });

  it('an edit, a deletion in the middle, and a cut end are found whichever batch they fall in', async () => {
    const all = ids();
    const target = all[700]!;
    db.prepare("UPDATE audit SET actor = 'mallory' WHERE id = ?").run(target);
    expect(await verifyAuditAsync(db, 64)).toMatchObject({ ok: false, broken: { id: target, reason: 'edited' } });
    expect(verifyAudit(db)).toMatchObject({ ok: false, broken: { id: target, reason: 'edited' } });
    db.prepare("UPDATE audit SET actor = 'admin' WHERE id = ?").run(target);
    db.prepare('DELETE FROM audit WHERE id = ?').run(all[300]!);
    expect(await verifyAuditAsync(db, 64)).toMatchObject({ ok: false, broken: { id: all[301]!, reason: 'missing_before' } });
  });

  it('the newest rows cut off the end are found after the last batch', async () => {
    const all = ids();
    db.prepare('DELETE FROM audit WHERE id > ?').run(all[989]!);
    const r = await verifyAuditAsync(db, 100);
    expect(r).toMatchObject({ ok: false, broken: { reason: 'missing_before' } });
  });

  it('rows appended between batches are checked too; the head is the newest row', async () => {
    const check = new AuditChainCheck(db);
    expect(check.step(500)).toBe(false);
    log.append(row(5000));
    while (!check.step(500));
    const r = check.result();
    expect(r).toMatchObject({ ok: true, checked: 1001 });
    expect(r.lastId).toBe(ids().at(-1));
  });
});

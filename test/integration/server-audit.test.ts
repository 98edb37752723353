// Issue 6, the tamper-evident audit log, on the REAL reference PBX: every admin action is a row, rows are hash
// chained, the paged list filters by actor / action (or a prefix) / time, the CSV export carries the chain
// and is itself audited, and verification finds an edited row, a row deleted in the middle or at the end, and
// a row written behind the PBX's back. Tampering is done the way an intruder would: on the SQLite file.
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditListSchema, AuditVerifySchema, type AuditList, type AuditVerify } from '../../shared/audit.js';
import type { Extension } from '../../shared/domain.js';
import { errorOf, manualClock, startTestPbx, type TestPbx } from '../helpers/server.js';

const clock = manualClock(new Date('2030-01-15T09:00:00.000Z'));
let pbx: TestPbx;
let receptionToken: string;

const list = async (query = ''): Promise<AuditList> => {
  const r = await pbx.api('GET', `/api/v1/audit${query}`);
  expect(r.status, r.text).toBe(200);
  return AuditListSchema.parse(r.json);
};
const verify = async (): Promise<AuditVerify> => {
  const r = await pbx.api('GET', '/api/v1/audit/verify');
  expect(r.status, r.text).toBe(200);
  return AuditVerifySchema.parse(r.json);
};
/** The PBX's own database file, opened beside the running server (WAL: both see each other's commits). */
const tamper = <T>(fn: (db: Database.Database) => T): T => {
  const db = new Database(join(pbx.dataDir, 'pbx.sqlite'));
  try {
    return fn(db);
  } finally {
    db.close();
  }
};

beforeAll(async () => {
  pbx = await startTestPbx({ clock: clock.now });
  const r = await pbx.login('reception', pbx.receptionistPassword as string);
  receptionToken = r.json.token;
  // a few admin actions, an hour apart
  // the demo data's 1003 is protected and not blocked
  const target: Extension = await pbx.extension('1003');
  expect(target.protection).toMatchObject({ enabled: true, state: 'unrestricted' });
  clock.advance(3_600_000);
  expect((await pbx.api('POST', `/api/v1/extensions/${target.number}/protection/block`, { ifMatch: target.etag })).status).toBe(200);
  clock.advance(3_600_000);
  expect((await pbx.api('PUT', '/api/v1/hotdesk/passwords/admin', { body: { password: '582047' } })).status).toBe(200);
  clock.advance(3_600_000);
  const yealink = (await pbx.api<{ items: { id: number; brand: string; isDefault: boolean; etag: string }[] }>('GET', '/api/v1/hotdesk/templates')).json.items.find(
    (t) => t.brand === 'yealink' && !t.isDefault,
  );
  expect((await pbx.api('POST', `/api/v1/hotdesk/templates/${yealink?.id}/default`, { ifMatch: yealink?.etag })).status).toBe(200);
});

afterAll(async () => {
  await pbx?.cleanup();
});

describe('the audit log', () => {
  it('lists every admin action newest first, each chained to the one before, with paging and a total', async () => {
    const all = await list('?limit=1000');
    expect(all.total).toBe(all.items.length);
    expect(all.items.map((r) => r.action).slice(0, 3)).toEqual(['hotdesk.template_default', 'hotdesk.password_set', 'protection.block']);
    expect(all.items.at(-1)?.action).toBe('server.initialised');
    for (let i = 0; i + 1 < all.items.length; i++) {
      const [newer, older] = [all.items[i]!, all.items[i + 1]!];
      expect(newer.id).toBeGreaterThan(older.id);
      expect(newer.prevHash, `row ${newer.id} follows row ${older.id}`).toBe(older.hash);
    }
    expect(all.items.at(-1)?.prevHash).toBe('0'.repeat(64));
    // no secret in any row: the hot-desk password set above
    expect(JSON.stringify(all.items)).not.toContain('582047');
    // pages of 2 cover the same rows
    const seen: number[] = [];
    let cursor: number | null | undefined;
    do {
      const page = await list(`?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.total).toBe(all.total);
      seen.push(...page.items.map((r) => r.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(all.items.map((r) => r.id));
  });

  it('filters by actor, action, an action prefix and a time window; bad filters name the field', async () => {
    expect((await list('?actor=admin')).items.every((r) => r.actor === 'admin')).toBe(true);
    expect((await list('?actor=system')).items.map((r) => r.action)).toContain('server.initialised');
    const block = await list('?action=protection.block');
    expect(block.total).toBe(1);
    expect(block.items[0]).toMatchObject({ actor: 'admin', action: 'protection.block', address: '127.0.0.1' });
    const hotdesk = await list('?action=hotdesk.');
    expect(hotdesk.items.map((r) => r.action).sort()).toEqual(['hotdesk.password_set', 'hotdesk.template_default']);
    // between 09:30 and 10:30: the block only
    const window = await list('?from=2030-01-15T09:30:00Z&to=2030-01-15T10:30:00Z');
    expect(window.items.map((r) => r.action)).toEqual(['protection.block']);
    expect((await list('?action=HOTDESK.')).total, 'action names are case-sensitive').toBe(0);
    for (const [q, field] of [['?limit=0', 'limit'], ['?from=yesterday', 'from'], ['?cursor=-3', 'cursor'], ['?nonsense=1', '']] as const) {
      const r = await pbx.api('GET', `/api/v1/audit${q}`);
      expect(r.status, q).toBe(422);
      if (field) expect(errorOf(r).details?.[0]?.field, q).toBe(field);
    }
  });

  it('is for admins: a receptionist gets 403 on the list, the check and the export', async () => {
    for (const path of ['/api/v1/audit', '/api/v1/audit/verify', '/api/v1/audit/export']) {
      const r = await pbx.api('GET', path, { token: receptionToken });
      expect(r.status, path).toBe(403);
      expect(errorOf(r).message).toMatch(/^A receptionist cannot /);
    }
  });

  it('exports CSV with the chain hashes, oldest first, spreadsheet-safe; the export itself is audited', async () => {
    const before = await list('?limit=1000');
    const r = await pbx.api('GET', '/api/v1/audit/export?action=hotdesk.');
    expect(r.status, r.text).toBe(200);
    expect(r.headers['content-type']).toMatch(/^text\/csv/);
    expect(r.headers['content-disposition']).toMatch(/^attachment; filename="audit-.*\.csv"$/);
    const lines = r.text.trimEnd().split('\r\n');
    expect(lines[0]).toBe('id,at,actor,address,action,target,detail,prev_hash,hash');
    expect(lines).toHaveLength(3);
    expect(lines[1]).toContain('hotdesk.password_set');
    expect(lines[2]).toContain('hotdesk.template_default');
    const row = before.items.find((x) => x.action === 'hotdesk.template_default');
    expect(lines[2]?.endsWith(`,${row?.prevHash},${row?.hash}`)).toBe(true);
    const after = await list('?action=audit.exported');
    expect(after.items[0]).toMatchObject({ actor: 'admin', detail: { rows: 2, total: 2 } });
  });

  it('verification: intact with its head hash; an edited row, a row deleted in the middle or at the end, a row written behind the PBX’s back — each found at its place', async () => {
    const ok = await verify();
    expect(ok).toMatchObject({ ok: true, broken: null });
    const rows = (await list('?limit=1000')).items;
    expect(ok.checked).toBe(rows.length);
    expect(ok.lastId).toBe(rows[0]?.id);
    expect(ok.headHash).toBe(rows[0]?.hash);

    // edited: someone hides what the block was about
    const block = rows.find((r) => r.action === 'protection.block')!;
    const original = tamper((db) => (db.prepare('SELECT detail FROM audit WHERE id = ?').get(block.id) as { detail: string }).detail);
    tamper((db) => db.prepare('UPDATE audit SET actor = ? WHERE id = ?').run('system', block.id));
    expect((await verify()).broken).toMatchObject({ id: block.id, reason: 'edited' });
    tamper((db) => db.prepare('UPDATE audit SET actor = ?, detail = ? WHERE id = ?').run('admin', original, block.id));
    expect((await verify()).ok).toBe(true);

    // deleted in the middle: the next row no longer follows
    const middle = rows[Math.floor(rows.length / 2)]!;
    const saved = tamper((db) => db.prepare('SELECT * FROM audit WHERE id = ?').get(middle.id) as Record<string, unknown>);
    tamper((db) => db.prepare('DELETE FROM audit WHERE id = ?').run(middle.id));
    const gap = await verify();
    expect(gap.ok).toBe(false);
    expect(gap.broken?.reason).toBe('missing_before');
    expect(gap.broken?.id).toBeGreaterThan(middle.id);
    expect(gap.broken?.message).toContain('deleted');
    const cols = Object.keys(saved);
    tamper((db) => db.prepare(`INSERT INTO audit (${cols.join(',')}) VALUES (${cols.map(() => '?').join(',')})`).run(...cols.map((c) => saved[c])));
    expect((await verify()).ok).toBe(true);

    // the newest rows cut off: the head kept in meta says more was written
    const newest = rows[0]!;
    const savedNewest = tamper((db) => db.prepare('SELECT * FROM audit WHERE id = ?').get(newest.id) as Record<string, unknown>);
    tamper((db) => db.prepare('DELETE FROM audit WHERE id = ?').run(newest.id));
    const cut = await verify();
    expect(cut.ok).toBe(false);
    expect(cut.broken?.message).toContain('newest records were deleted');
    tamper((db) => db.prepare(`INSERT INTO audit (${cols.join(',')}) VALUES (${cols.map(() => '?').join(',')})`).run(...cols.map((c) => savedNewest[c])));
    expect((await verify()).ok).toBe(true);

    // a row written with plain SQL carries no hash
    const id = Number(tamper((db) => db.prepare("INSERT INTO audit (at, actor, action, detail) VALUES ('2030-01-15T12:00:00.000Z', 'admin', 'protection.unblock', '{}')").run().lastInsertRowid));
    expect((await verify()).broken).toMatchObject({ id, reason: 'unchained' });
    tamper((db) => db.prepare('DELETE FROM audit WHERE id = ?').run(id));
    // taking it out again leaves a trace: SQLite handed out that id
    expect((await verify()).broken?.message).toContain('newest records were deleted');
    tamper((db) => db.prepare("UPDATE sqlite_sequence SET seq = (SELECT max(id) FROM audit) WHERE name = 'audit'").run());
    expect((await verify()).ok).toBe(true);
  });

  it('rows cut off the end stay a gap after new rows are written (the chain continues from the head it wrote)', async () => {
    const newest = (await list('?limit=1'))!.items[0]!;
    tamper((db) => {
      db.prepare('DELETE FROM audit WHERE id = ?').run(newest.id);
      db.prepare("UPDATE sqlite_sequence SET seq = (SELECT max(id) FROM audit) WHERE name = 'audit'").run();
    });
    // another admin action appends a row
    const again = await pbx.login();
    expect(again.status).toBe(201);
    const v = await verify();
    expect(v.ok).toBe(false);
    expect(v.broken).toMatchObject({ reason: 'missing_before' });
    // and deleting the head from meta as well does not make it whole
    tamper((db) => db.prepare("DELETE FROM meta WHERE key = 'audit_head'").run());
    expect((await verify()).ok).toBe(false);
  });

  it('running the chain migration again does not re-seal (launder) an edited log; a log that predates the chain is chained', async () => {
    await pbx.stop();
    const edited = tamper((db) => {
      const first = db.prepare('SELECT min(id) AS id FROM audit').get() as { id: number };
      db.prepare("UPDATE audit SET actor = 'mallory' WHERE id = ?").run(first.id);
      db.pragma('user_version = 10');
      return first.id;
    });
    await pbx.restart();
    expect((await verify()).broken).toMatchObject({ id: edited, reason: 'edited' });

    // a database from before the chain: no row has a hash, no head
    await pbx.stop();
    tamper((db) => {
      db.prepare('UPDATE audit SET hash = NULL, prev_hash = NULL').run();
      db.prepare("DELETE FROM meta WHERE key = 'audit_head'").run();
      db.prepare("UPDATE sqlite_sequence SET seq = (SELECT max(id) FROM audit) WHERE name = 'audit'").run();
      db.pragma('user_version = 10');
    });
    await pbx.restart();
    const v = await verify();
    expect(v).toMatchObject({ ok: true, broken: null });
    expect(v.checked).toBe((await list('?limit=1000')).total);
  });
});

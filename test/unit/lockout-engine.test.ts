// SPEC F3 — the lockout engine on a fake clock with a real SQLite database (server/db.ts openDb, a temp dir).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDb, type Db } from '../../server/db.js';
import { LockoutEngine, type Attempt } from '../../server/lockout.js';
import { DEFAULT_LOCKOUT_POLICY, type LockoutPolicy } from '../../shared/lockout.js';
import type { PbxEvent } from '../../shared/events.js';

const MIN = 60_000;
const ADMIN = { by: 'admin', address: '127.0.0.1' };

let dir: string;
let db: Db;
let t: number;
let engine: LockoutEngine;
let auditRows: { action: string; target: string | null }[];
const clock = () => new Date(t);
const advance = (ms: number) => {
  t += ms;
};

function open(): LockoutEngine {
  db = openDb(dir);
  let id = 0;
  return new LockoutEngine(db, clock, (row) => {
    auditRows.push({ action: row.action, target: row.target });
    return ++id;
  });
}

function seed(): void {
  db.prepare("INSERT INTO sites (id, name, position) VALUES ('hq', 'HQ', 0)").run();
  const ins = db.prepare(
    "INSERT INTO extensions (number, num_sort, label, label_lc, site_id, type, status, voicemail) VALUES (?, ?, ?, ?, 'hq', 'phone_terminal', 'active', 1)",
  );
  for (const n of ['201', '202', '203']) ins.run(n, Number(n), `Phone ${n}`, `phone ${n}`);
}

const vm = (extension: string | null, address = '192.0.2.1'): Attempt => ({
  extension,
  credential: extension === null ? null : 'voicemail',
  address,
  userAgent: 'Yealink T46U',
});

/** check(), and a failure when it lets the attempt through (what a handler does with a wrong PIN). */
function wrong(a: Attempt): { refused: boolean; events: PbxEvent[] } {
  const c = engine.check(a);
  if (!c.ok) return { refused: true, events: c.events };
  return { refused: false, events: engine.failure(a) };
}

function setPolicy(p: LockoutPolicy): void {
  const { version } = engine.policyResource();
  expect(engine.setPolicy(p, version, ADMIN)).not.toBeNull();
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pbx-lockout-unit-'));
  t = Date.parse('2030-01-15T09:00:00.000Z');
  auditRows = [];
  engine = open();
  seed();
});

afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('lockout engine (SPEC F3)', () => {
  it('starts with the default policy, version 1', () => {
    expect(engine.policyResource()).toMatchObject({ policy: DEFAULT_LOCKOUT_POLICY, version: 1 });
  });

  it('locks an extension credential at the 5th failure in 10 min, for 10 min; other credentials are not locked', () => {
    for (let i = 0; i < 4; i++) {
      const r = wrong(vm('201'));
      expect(r.refused).toBe(false);
      expect(r.events).toEqual([expect.objectContaining({ type: 'lockout.changed', action: 'failure', number: '201', credential: 'voicemail' })]);
      advance(MIN);
    }
    expect(engine.extensionLock('201', 'voicemail')).toMatchObject({ blocked: false, failures: 4, maxFailures: 5 });
    const fifth = wrong(vm('201'));
    expect(fifth.events.map((e) => e.type === 'lockout.changed' && e.action)).toEqual(['locked']);
    const lock = engine.extensionLock('201', 'voicemail');
    expect(lock).toMatchObject({
      extension: '201', label: 'Phone 201', siteId: 'hq', blocked: true, permanent: false, failures: 5, recentLocks: 1,
      lastAddress: '192.0.2.1', lastUserAgent: 'Yealink T46U',
    });
    expect(Date.parse(lock!.lockedUntil!) - t).toBe(10 * MIN);
    expect(engine.check(vm('201'))).toMatchObject({ ok: false, reason: 'locked' });
    // another credential of the same extension, and another extension, are not locked
    expect(engine.check({ ...vm('201'), credential: 'keypad' })).toEqual({ ok: true });
    expect(engine.check(vm('202'))).toEqual({ ok: true });
    expect(engine.extensionLocks().map((l) => l.extension)).toEqual(['201']);
    expect(auditRows.map((r) => r.action)).toContain('lockout.locked');
  });

  it('slides the window: failures older than 10 min fall out', () => {
    for (let i = 0; i < 4; i++) wrong(vm('201'));
    advance(10 * MIN + 1);
    expect(engine.extensionLock('201', 'voicemail')!.failures).toBe(0);
    for (let i = 0; i < 4; i++) wrong(vm('201'));
    expect(engine.isLocked('201', 'voicemail')).toBe(false);
    // 2 old ones fall out, then the 5th within one window locks
    wrong(vm('201'));
    expect(engine.isLocked('201', 'voicemail')).toBe(true);
  });

  it('ends a temporary lock after lockSeconds, and the failures that caused it no longer count', () => {
    setPolicy({ ...DEFAULT_LOCKOUT_POLICY, extension: { threshold: 5, windowSeconds: 3600, lockSeconds: 600 } });
    for (let i = 0; i < 5; i++) wrong(vm('201'));
    expect(engine.isLocked('201', 'voicemail')).toBe(true);
    advance(10 * MIN - 1);
    expect(engine.check(vm('201')).ok).toBe(false);
    advance(1);
    expect(engine.check(vm('201'))).toEqual({ ok: true });
    expect(engine.extensionLock('201', 'voicemail')).toMatchObject({ blocked: false, lockedUntil: null, failures: 0, recentLocks: 1 });
    wrong(vm('201'));
    expect(engine.isLocked('201', 'voicemail')).toBe(false);
  });

  it('does not count failures while locked, toward the extension nor toward the address (SPEC F3)', () => {
    for (let i = 0; i < 5; i++) wrong(vm('201'));
    for (let i = 0; i < 3; i++) expect(wrong(vm('201')).refused).toBe(true);
    // a request that passed check() before the lock and fails after it
    engine.failure(vm('201'));
    expect(engine.extensionLock('201', 'voicemail')!.failures).toBe(5);
    // a phone retrying a stale password while its extension is locked does not get its own address banned
    expect(engine.addressFailures('192.0.2.1')).toBe(5);
    for (let i = 0; i < 20; i++) wrong(vm('201'));
    expect(engine.bannedBy('192.0.2.1')).toBeNull();
  });

  it('an automatic ban pays for its failures: after an unban the address counts from zero', () => {
    for (const ext of ['201', '202']) for (let i = 0; i < 5; i++) wrong(vm(ext, '192.0.2.9'));
    const ban = engine.bannedBy('192.0.2.9');
    expect(ban).not.toBeNull();
    expect(engine.addressFailures('192.0.2.9')).toBe(0);
    engine.unban({ ids: [ban!.id] }, { by: 'admin', address: '127.0.0.1' });
    wrong(vm('203', '192.0.2.9'));
    expect(engine.bannedBy('192.0.2.9'), 'one typo after an unban does not ban again').toBeNull();
    expect(engine.addressFailures('192.0.2.9')).toBe(1);
  });

  it('escalates to a permanent lock after 3 temporary locks in 24 h, until an admin resets it', () => {
    for (let lock = 1; lock <= 3; lock++) {
      let last: PbxEvent[] = [];
      for (let i = 0; i < 5; i++) last = wrong(vm('201', `192.0.2.${lock}`)).events;
      const action = last.find((e) => e.type === 'lockout.changed')!;
      expect(action).toMatchObject({ action: lock < 3 ? 'locked' : 'permanent' });
      advance(2 * 3600_000);
    }
    expect(engine.extensionLock('201', 'voicemail')).toMatchObject({ blocked: true, permanent: true, lockedUntil: null, recentLocks: 3 });
    advance(30 * 86_400_000);
    expect(engine.check(vm('201', '192.0.2.9'))).toMatchObject({ ok: false, reason: 'locked' });
    const events = engine.resetLock('201', undefined, ADMIN);
    expect(events).toEqual([expect.objectContaining({ type: 'lockout.changed', action: 'reset', by: 'admin' })]);
    expect(engine.check(vm('201', '192.0.2.9'))).toEqual({ ok: true });
    expect(engine.extensionLock('201', 'voicemail')).toMatchObject({ blocked: false, permanent: false, failures: 0, recentLocks: 0 });
  });

  it('does not escalate when the locks are more than 24 h apart', () => {
    for (let lock = 1; lock <= 3; lock++) {
      if (lock > 1) advance(13 * 3600_000);
      for (let i = 0; i < 5; i++) wrong(vm('201', `192.0.2.${lock}`));
    }
    // locks at 0 h, 13 h and 26 h: never 3 within 24 h
    expect(engine.extensionLock('201', 'voicemail')).toMatchObject({ permanent: false, recentLocks: 2 });
  });

  it('resets the extension counter and the pair counter on a success (not the address counter)', () => {
    for (let i = 0; i < 4; i++) wrong(vm('201'));
    expect(engine.pairFailures('201', '192.0.2.1')).toBe(4);
    expect(engine.check(vm('201')).ok).toBe(true);
    engine.success(vm('201'));
    expect(engine.extensionLock('201', 'voicemail')!.failures).toBe(0);
    expect(engine.pairFailures('201', '192.0.2.1')).toBe(0);
    expect(engine.addressFailures('192.0.2.1')).toBe(4);
    for (let i = 0; i < 4; i++) wrong(vm('201'));
    expect(engine.isLocked('201', 'voicemail')).toBe(false);
  });

  it('bans an address at 10 failures in 10 min (any extensions), for 10 min from the LAST failure', () => {
    const ext = ['201', '202', '203', '999', null];
    let banEvents: PbxEvent[] = [];
    for (let i = 0; i < 10; i++) {
      banEvents = wrong(vm(ext[i % ext.length] as string | null, '::ffff:198.51.100.7')).events.filter((e) => e.type === 'ban.changed');
      advance(30_000);
    }
    expect(banEvents).toEqual([expect.objectContaining({ type: 'ban.changed', action: 'added', by: 'lockout engine' })]);
    const [ban] = engine.bans();
    // the 10th failure was 30 s ago
    expect(ban).toMatchObject({ cidr: '198.51.100.7', addedBy: 'auto', hits: 0, reason: '10 failed sign-ins in 10 min' });
    expect(Date.parse(ban!.expiresAt!) - (t - 30_000)).toBe(10 * MIN);
    // no extension got locked: 2 failures each
    expect(engine.extensionLocks().every((l) => !l.blocked)).toBe(true);
    // refused: hits go up, nothing is counted
    expect(engine.check(vm('202', '198.51.100.7'))).toMatchObject({ ok: false, reason: 'banned' });
    expect(engine.check(vm(null, '198.51.100.7'))).toMatchObject({ ok: false, reason: 'banned' });
    expect(engine.bans()[0]).toMatchObject({ hits: 2, lastHitAt: clock().toISOString() });
    expect(engine.extensionLock('202', 'voicemail')!.failures).toBe(2);
    // another address is fine
    expect(engine.check(vm('202', '198.51.100.8'))).toEqual({ ok: true });
    advance(10 * MIN - 30_000 - 1);
    expect(engine.check(vm('202', '198.51.100.7')).ok).toBe(false);
    advance(1);
    expect(engine.check(vm('202', '198.51.100.7'))).toEqual({ ok: true });
    expect(engine.bans()).toEqual([]);
  });

  it('extends an automatic ban when a failure that passed check() lands after it', () => {
    for (let i = 0; i < 10; i++) wrong(vm(null, '198.51.100.7'));
    const first = engine.bans()[0]!.expiresAt!;
    advance(MIN);
    engine.failure(vm(null, '198.51.100.7'));
    const later = engine.bans()[0]!.expiresAt!;
    expect(Date.parse(later) - Date.parse(first)).toBe(MIN);
    expect(engine.bans()).toHaveLength(1);
  });

  it('never bans an allowlisted address automatically; its failures still lock the extension', () => {
    engine.allow({ cidr: '203.0.113.0/24', description: 'office' }, ADMIN);
    for (let i = 0; i < 30; i++) wrong(vm(['201', '202', '203'][i % 3] as string, '203.0.113.50'));
    expect(engine.bans()).toEqual([]);
    expect(engine.isLocked('201', 'voicemail')).toBe(true);
    expect(engine.check(vm('201', '203.0.113.50'))).toMatchObject({ ok: false, reason: 'locked' });
    expect(engine.check(vm(null, '203.0.113.50'))).toEqual({ ok: true });
  });

  it('manual bans cover a CIDR block, expire, and unban removes them', () => {
    expect(() => engine.manualBan({ cidr: '10.0.0.300', description: 'typo' }, ADMIN)).toThrow(/^cidr: .*not an IPv4 address/);
    expect(engine.bans()).toEqual([]);
    const { ban, events } = engine.manualBan({ cidr: '10.1.0.0/16', description: 'scanner', durationSeconds: 3600 }, ADMIN);
    expect(ban).toMatchObject({ cidr: '10.1.0.0/16', addedBy: 'manual', reason: 'scanner', createdBy: 'admin' });
    expect(events[0]).toMatchObject({ type: 'ban.changed', action: 'added' });
    expect(engine.check(vm('201', '10.1.2.3')).ok).toBe(false);
    expect(engine.check(vm('201', '10.2.0.1')).ok).toBe(true);
    const removed = engine.unban({ ids: [ban.id] }, ADMIN);
    expect(removed).toEqual([expect.objectContaining({ type: 'ban.changed', action: 'removed' })]);
    expect(engine.check(vm('201', '10.1.2.3')).ok).toBe(true);
    engine.manualBan({ cidr: '10.1.0.0/16', description: 'again', durationSeconds: 60 }, ADMIN);
    expect(engine.check(vm('201', '10.1.2.3')).ok).toBe(false);
    advance(MIN);
    expect(engine.check(vm('201', '10.1.2.3')).ok).toBe(true);
  });

  it('counts and locks unknown extensions like real ones (the 6th answer must not tell which numbers exist)', () => {
    const first5 = Array.from({ length: 5 }, () => wrong(vm('999')).refused);
    expect(first5).toEqual([false, false, false, false, false]);
    expect(wrong(vm('999')).refused).toBe(true);
    // on the dashboard without a name or site (so only admins for all sites see it)
    expect(engine.extensionLocks()).toEqual([expect.objectContaining({ extension: '999', label: '', siteId: '', blocked: true })]);
    expect(engine.addressFailures('192.0.2.1')).toBe(5);
  });

  it('reserve(): counted failures plus attempts in flight never pass the threshold', () => {
    const held = Array.from({ length: 8 }, () => engine.reserve('201', 'voicemail'));
    expect(held.filter(Boolean)).toHaveLength(5);
    // two of them fail, then give their slot back: three in flight + two counted = the threshold
    for (const r of held.slice(0, 2)) {
      engine.failure(vm('201'));
      r!();
    }
    expect(engine.reserve('201', 'voicemail')).toBeNull();
    held[2]!(); // an attempt that succeeded or was abandoned
    const again = engine.reserve('201', 'voicemail');
    expect(again).not.toBeNull();
    again!();
    again!(); // releasing twice changes nothing
    for (const r of held.slice(3)) r?.();
    expect(engine.reserve('201', 'keypad')).not.toBeNull();
  });

  it('keeps counters, locks, bans and the policy across reopening the database', () => {
    setPolicy({ ...DEFAULT_LOCKOUT_POLICY, address: { threshold: 8, windowSeconds: 600, banSeconds: 900 } });
    for (let i = 0; i < 5; i++) wrong(vm('201', '192.0.2.77'));
    for (let i = 0; i < 3; i++) wrong(vm('202', '192.0.2.77'));
    for (let i = 0; i < 2; i++) wrong(vm('203', '192.0.2.88'));
    db.close();
    engine = open();
    expect(engine.policy().address.threshold).toBe(8);
    expect(engine.isLocked('201', 'voicemail')).toBe(true);
    expect(engine.extensionLock('203', 'voicemail')!.failures).toBe(2);
    expect(engine.bans()).toEqual([expect.objectContaining({ cidr: '192.0.2.77', addedBy: 'auto' })]);
    expect(engine.check(vm('203', '192.0.2.77'))).toMatchObject({ ok: false, reason: 'banned' });
    for (let i = 0; i < 3; i++) wrong(vm('203', '192.0.2.88'));
    expect(engine.isLocked('203', 'voicemail')).toBe(true);
  });

  it('refuses a stale policy version', () => {
    expect(engine.setPolicy(DEFAULT_LOCKOUT_POLICY, 7, ADMIN)).toBeNull();
    const r = engine.setPolicy({ ...DEFAULT_LOCKOUT_POLICY, permanentAfterLocks: 0 }, 1, ADMIN);
    expect(r).toMatchObject({ version: 2, events: [expect.objectContaining({ type: 'lockout.settings_changed', what: 'policy' })] });
  });
});

// The console's live lockout tables (renderer/src/lib/lockouts.ts): how `lockout.changed` / `ban.changed`
// events, reset and unban answers patch the two lists, how a load and events that arrive meanwhile combine,
// resync reloads, countdowns and selection. Pure functions plus the store with a fake RPC and event stream
// (a unit test of one module; the real PBX is exercised by test/e2e/lockouts.spec.ts).
import { describe, expect, it } from 'vitest';
import type { AddressBan, ExtensionLock } from '../../shared/lockout.js';
import type { PbxEvent } from '../../shared/events.js';
import type { StreamEvent } from '../../renderer/src/api.js';
import {
  applyEvent,
  applyEvents,
  applyResetResponse,
  applyUnbanResponse,
  banActiveAt,
  countdownWords,
  emptyTables,
  formatCountdown,
  isNewLockOrBan,
  lockBlockedAt,
  lockedCount,
  lockKey,
  lockListed,
  lockRemainingMs,
  locksByNumber,
  LockoutStore,
  pruneSelection,
  sortedBans,
  sortedLocks,
  tablesFromLists,
  toggleSelection,
} from '../../renderer/src/lib/lockouts.js';

const T0 = Date.parse('2025-05-02T10:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();

function lock(over: Partial<ExtensionLock> = {}): ExtensionLock {
  return {
    extension: '1001',
    label: 'Ada Lovelace',
    siteId: 'hq',
    credential: 'voicemail',
    blocked: false,
    permanent: false,
    failures: 1,
    maxFailures: 5,
    lastFailureAt: iso(T0),
    lastAddress: '127.0.0.2',
    lastUserAgent: 'Yealink SIP-T46S',
    lockedAt: null,
    lockedUntil: null,
    recentLocks: 0,
    ...over,
  };
}

function locked(over: Partial<ExtensionLock> = {}): ExtensionLock {
  return lock({ blocked: true, failures: 5, lockedAt: iso(T0), lockedUntil: iso(T0 + 600_000), recentLocks: 1, ...over });
}

function ban(over: Partial<AddressBan> = {}): AddressBan {
  return {
    id: 1,
    cidr: '127.0.0.2',
    addedBy: 'auto',
    reason: '10 failed sign-ins in 10 min',
    hits: 0,
    createdAt: iso(T0),
    createdBy: 'lockout engine',
    expiresAt: iso(T0 + 600_000),
    lastHitAt: null,
    ...over,
  };
}

let nextId = 100;
function lockEvent(l: ExtensionLock, action: 'failure' | 'locked' | 'permanent' | 'reset' | 'cleared', id = nextId++): PbxEvent {
  return { type: 'lockout.changed', id, at: iso(T0), number: l.extension, credential: l.credential, action, by: 'device', address: '127.0.0.2', lock: l };
}
function banEvent(b: AddressBan, action: 'added' | 'removed', id = nextId++): PbxEvent {
  return { type: 'ban.changed', id, at: iso(T0), action, by: 'lockout engine', address: '127.0.0.2', ban: b };
}
const cleared = (over: Partial<ExtensionLock> = {}) => lock({ failures: 0, lastFailureAt: iso(T0), recentLocks: 0, ...over });

describe('lockout tables: events', () => {
  it('a failure adds a row, the locking failure updates it, a reset removes it', () => {
    let t = emptyTables();
    t = applyEvent(t, lockEvent(lock({ failures: 1 }), 'failure'));
    expect([...t.locks.values()].map((l) => l.failures)).toEqual([1]);
    t = applyEvent(t, lockEvent(locked(), 'locked'));
    expect(t.locks.size).toBe(1);
    expect(t.locks.get('1001|voicemail')?.blocked).toBe(true);
    t = applyEvent(t, lockEvent(cleared(), 'reset'));
    expect(t.locks.size).toBe(0);
  });

  it('keeps one row per extension credential', () => {
    const t = applyEvents(emptyTables(), [
      lockEvent(lock({ credential: 'voicemail' }), 'failure'),
      lockEvent(lock({ credential: 'registration' }), 'failure'),
      lockEvent(lock({ extension: '1002', credential: 'voicemail' }), 'failure'),
    ]);
    expect([...t.locks.keys()].sort()).toEqual(['1001|registration', '1001|voicemail', '1002|voicemail']);
    expect(locksByNumber(t).get('1001')?.map((l) => l.credential).sort()).toEqual(['registration', 'voicemail']);
  });

  it('a row with lock history but no failures stays listed (as the PBX lists it)', () => {
    expect(lockListed(lock({ failures: 0, recentLocks: 1 }))).toBe(true);
    expect(lockListed(lock({ failures: 0, recentLocks: 0 }))).toBe(false);
    expect(lockListed(locked({ failures: 0, recentLocks: 0 }))).toBe(true);
  });

  it('ignores an event older than the last one applied to the same row', () => {
    let t = applyEvent(emptyTables(), lockEvent(locked(), 'locked', 50));
    const same = applyEvent(t, lockEvent(lock({ failures: 4 }), 'failure', 49));
    expect(same).toBe(t);
    t = applyEvent(t, lockEvent(cleared(), 'reset', 51));
    expect(t.locks.size).toBe(0);
    // a late failure event from before the reset does not bring the row back
    expect(applyEvent(t, lockEvent(locked(), 'locked', 50)).locks.size).toBe(0);
  });

  it('other events leave the tables as they are (same object)', () => {
    const t = emptyTables();
    const hello: PbxEvent = { type: 'hello', id: 1, at: iso(T0), server: 'x' };
    expect(applyEvent(t, hello)).toBe(t);
  });

  it('bans: added, then removed; an older event for the same ban is ignored', () => {
    let t = applyEvent(emptyTables(), banEvent(ban({ id: 7 }), 'added', 10));
    expect(t.bans.get(7)?.cidr).toBe('127.0.0.2');
    t = applyEvent(t, banEvent(ban({ id: 7 }), 'removed', 12));
    expect(t.bans.size).toBe(0);
    expect(applyEvent(t, banEvent(ban({ id: 7 }), 'added', 11)).bans.size).toBe(0);
  });

  it('only new locks and new bans are desktop alerts', () => {
    expect(isNewLockOrBan(lockEvent(locked(), 'locked'))).toBe(true);
    expect(isNewLockOrBan(lockEvent(locked({ permanent: true }), 'permanent'))).toBe(true);
    expect(isNewLockOrBan(lockEvent(lock(), 'failure'))).toBe(false);
    expect(isNewLockOrBan(lockEvent(cleared(), 'reset'))).toBe(false);
    expect(isNewLockOrBan(banEvent(ban(), 'added'))).toBe(true);
    expect(isNewLockOrBan(banEvent(ban(), 'removed'))).toBe(false);
  });
});

describe('lockout tables: answers of our own actions', () => {
  it('a reset answer removes the reset rows at once, also rows it does not mention', () => {
    const t = tablesFromLists(
      [locked(), locked({ credential: 'registration' }), locked({ extension: '1002' })],
      [],
    );
    const after = applyResetResponse(t, { items: [cleared()] }, [{ extension: '1001' }]);
    expect([...after.locks.keys()]).toEqual(['1002|voicemail']);
  });

  it('a reset of one credential leaves the other credentials of the extension', () => {
    const t = tablesFromLists([locked(), locked({ credential: 'registration' })], []);
    const after = applyResetResponse(t, { items: [] }, [{ extension: '1001', credential: 'voicemail' }]);
    expect([...after.locks.keys()]).toEqual(['1001|registration']);
  });

  it('an unban answer removes those bans', () => {
    const t = tablesFromLists([], [ban({ id: 1 }), ban({ id: 2, cidr: '192.0.2.0/24', addedBy: 'manual' })]);
    expect([...applyUnbanResponse(t, { items: [ban({ id: 1 })] }).bans.keys()]).toEqual([2]);
    expect(applyUnbanResponse(t, { items: [] })).toBe(t);
  });
});

describe('lockout tables: time and order', () => {
  it('a temporary lock counts down and ends; a permanent one does not', () => {
    const l = locked();
    expect(lockBlockedAt(l, T0 + 1000)).toBe(true);
    expect(lockRemainingMs(l, T0 + 1000)).toBe(599_000);
    expect(lockBlockedAt(l, T0 + 600_000)).toBe(false);
    expect(lockRemainingMs(l, T0 + 700_000)).toBe(0);
    const p = locked({ permanent: true, lockedUntil: null });
    expect(lockBlockedAt(p, T0 + 10 * 86_400_000)).toBe(true);
    expect(lockRemainingMs(p, T0)).toBeNull();
    expect(lockRemainingMs(lock(), T0)).toBeNull();
    // a clock that lags behind a row that just arrived never shows more than the whole lock
    expect(lockRemainingMs(l, T0 - 800)).toBe(600_000);
  });

  it('formats countdowns', () => {
    expect(formatCountdown(0)).toBe('0:00');
    expect(formatCountdown(1)).toBe('0:01');
    expect(formatCountdown(599_000)).toBe('9:59');
    expect(formatCountdown(3_909_000)).toBe('1:05:09');
    expect(formatCountdown(2 * 86_400_000 + 3 * 3600_000)).toBe('2 d 03:00:00');
    expect(countdownWords(599_000)).toBe('9 minutes 59 seconds');
    expect(countdownWords(3_660_000)).toBe('1 hour 1 minute');
    expect(countdownWords(0)).toBe('less than a second');
  });

  it('sorts permanent locks first, then temporary ones, then rows with failures (newest first)', () => {
    const t = tablesFromLists(
      [
        lock({ extension: '1003', lastFailureAt: iso(T0 + 5000) }),
        locked({ extension: '1002' }),
        lock({ extension: '1004', lastFailureAt: iso(T0 + 9000) }),
        locked({ extension: '1001', permanent: true, lockedUntil: null }),
      ],
      [],
    );
    expect(sortedLocks(t, T0).map((l) => l.extension)).toEqual(['1001', '1002', '1004', '1003']);
    expect(lockedCount(t, T0)).toBe(2);
    expect(lockedCount(t, T0 + 600_000)).toBe(1);
  });

  it('expired bans leave the list; "until removed" stays', () => {
    const t = tablesFromLists([], [ban({ id: 1 }), ban({ id: 2, expiresAt: null, addedBy: 'manual' })]);
    expect(sortedBans(t, T0).map((b) => b.id)).toEqual([2, 1]);
    expect(sortedBans(t, T0 + 600_000).map((b) => b.id)).toEqual([2]);
    expect(banActiveAt(ban({ expiresAt: null }), Number.MAX_SAFE_INTEGER)).toBe(true);
  });
});

describe('selection', () => {
  it('toggles and drops rows that left the table', () => {
    let s = toggleSelection(new Set<string>(), 'a');
    s = toggleSelection(s, 'b');
    expect([...s]).toEqual(['a', 'b']);
    expect([...toggleSelection(s, 'a')]).toEqual(['b']);
    expect([...pruneSelection(s, ['b', 'c'])]).toEqual(['b']);
    expect(pruneSelection(s, ['a', 'b'])).toBe(s);
    expect(lockKey(lock())).toBe('1001|voicemail');
  });
});

describe('the live store', () => {
  function harness() {
    let emit: ((e: StreamEvent) => void) | null = null;
    const loads: Array<{ resolve: (v: { locks: ExtensionLock[]; bans: AddressBan[] }) => void; reject: (e: unknown) => void }> = [];
    let subscribed = 0;
    const store = new LockoutStore({
      loadLocks: () =>
        new Promise((resolve, reject) => {
          loads.push({ resolve: (v) => resolve({ items: v.locks }), reject });
        }),
      loadBans: () => Promise.resolve({ items: banList }),
      subscribe: (l) => {
        subscribed++;
        emit = l;
        return () => {
          subscribed--;
          emit = null;
        };
      },
      errorBody: (e) => ({ code: 'internal', message: String(e) }),
    });
    let banList: AddressBan[] = [];
    return {
      store,
      loads,
      setBans: (b: AddressBan[]) => (banList = b),
      emit: (e: StreamEvent) => emit?.(e),
      pbx: (event: PbxEvent) => emit?.({ kind: 'pbx', event }),
      subscribed: () => subscribed,
    };
  }
  const tick = () => new Promise((r) => setTimeout(r, 0));

  it('applies events that arrive while the list is loading on top of the answer', async () => {
    const h = harness();
    const release = h.store.retain();
    h.store.loadForEpoch(1);
    expect(h.store.getSnapshot().status).toBe('loading');
    // a lock of 1002 and a reset of 1001 happen while the list is on its way
    h.pbx(lockEvent(locked({ extension: '1002' }), 'locked'));
    h.pbx(lockEvent(cleared(), 'reset'));
    // the answer was read before the reset: 1001 still locked, no 1002 yet
    h.loads[0]!.resolve({ locks: [locked()], bans: [] });
    await tick();
    const snap = h.store.getSnapshot();
    expect(snap.status).toBe('ready');
    expect([...snap.tables.locks.keys()]).toEqual(['1002|voicemail']);
    release();
  });

  it('loads once per online epoch, again after a resync, and only the latest load lands', async () => {
    const h = harness();
    const release = h.store.retain();
    h.store.loadForEpoch(1);
    h.store.loadForEpoch(1);
    expect(h.loads).toHaveLength(1);
    h.emit({ kind: 'resync' });
    expect(h.loads).toHaveLength(2);
    h.loads[1]!.resolve({ locks: [locked({ extension: '2002' })], bans: [] });
    await tick();
    h.loads[0]!.resolve({ locks: [locked({ extension: '1001' })], bans: [] });
    await tick();
    expect([...h.store.getSnapshot().tables.locks.keys()]).toEqual(['2002|voicemail']);
    h.store.loadForEpoch(2);
    expect(h.loads).toHaveLength(3);
    release();
  });

  it('a failed reload keeps the rows shown and says why', async () => {
    const h = harness();
    const release = h.store.retain();
    h.store.loadForEpoch(1);
    h.loads[0]!.resolve({ locks: [locked()], bans: [] });
    await tick();
    void h.store.load();
    h.loads[1]!.reject(new Error('PBX gone'));
    await tick();
    const s = h.store.getSnapshot();
    expect(s.status).toBe('ready');
    expect(s.error?.message).toContain('PBX gone');
    expect(s.tables.locks.size).toBe(1);
    release();
  });

  it('patches live, notifies subscribers, and forgets everything when the last user leaves', async () => {
    const h = harness();
    const release1 = h.store.retain();
    const release2 = h.store.retain();
    expect(h.subscribed()).toBe(1);
    h.setBans([ban({ id: 3 })]);
    h.store.loadForEpoch(1);
    h.loads[0]!.resolve({ locks: [], bans: [] });
    await tick();
    let notified = 0;
    const unsub = h.store.subscribe(() => notified++);
    h.pbx(lockEvent(locked(), 'locked'));
    h.pbx(banEvent(ban({ id: 4 }), 'added'));
    expect(notified).toBe(2);
    const snap = h.store.getSnapshot();
    expect(snap.tables.locks.size).toBe(1);
    expect([...snap.tables.bans.keys()].sort()).toEqual([3, 4]);
    // our own reset answer removes the row before its event arrives
    h.store.applyReset({ reset: 1, items: [cleared()] }, [{ extension: '1001' }]);
    expect(h.store.getSnapshot().tables.locks.size).toBe(0);
    unsub();
    release1();
    expect(h.subscribed()).toBe(1);
    release2();
    expect(h.subscribed()).toBe(0);
    expect(h.store.getSnapshot().status).toBe('idle');
    expect(h.store.getSnapshot().tables.bans.size).toBe(0);
  });

  it('keeps the bans current from ban events alone (no polling), and reads them again after a stream gap', async () => {
    const h = harness();
    const release = h.store.retain();
    h.setBans([ban({ id: 3 })]);
    h.store.loadForEpoch(1);
    h.loads[0]!.resolve({ locks: [locked()], bans: [] });
    await tick();
    expect([...h.store.getSnapshot().tables.bans.keys()]).toEqual([3]);
    // Every session (receptionists too) gets ban events: they patch the list without another load.
    h.pbx(banEvent(ban({ id: 9 }), 'added'));
    h.pbx(banEvent(ban({ id: 3 }), 'removed'));
    expect([...h.store.getSnapshot().tables.bans.keys()]).toEqual([9]);
    expect(h.loads).toHaveLength(1);
    // Events may have been missed: the resync reads both lists again.
    h.setBans([ban({ id: 9 }), ban({ id: 10 })]);
    h.emit({ kind: 'resync' });
    expect(h.loads).toHaveLength(2);
    h.loads[1]!.resolve({ locks: [locked()], bans: [] });
    await tick();
    const s = h.store.getSnapshot();
    expect([...s.tables.bans.keys()].sort((a, b) => a - b)).toEqual([9, 10]);
    expect(s.tables.locks.size).toBe(1);
    release();
  });
});

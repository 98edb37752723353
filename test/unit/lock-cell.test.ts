// The extensions table's Lock column (renderer/src/components/ExtensionsGrid.tsx lockCell): what a
// receptionist reads for each state of an extension's lock rows.
import { describe, expect, it } from 'vitest';
import type { ExtensionLock } from '../../shared/lockout.js';
import { lockCell } from '../../renderer/src/components/ExtensionsGrid.js';

const NOW = Date.parse('2030-01-15T09:00:00.000Z');
const lock = (over: Partial<ExtensionLock>): ExtensionLock => ({
  extension: '1001', label: 'Reception', siteId: 'hq', credential: 'voicemail', blocked: false, permanent: false,
  failures: 0, maxFailures: 5, lastFailureAt: null, lastAddress: null, lastUserAgent: null, lockedAt: null,
  lockedUntil: null, recentLocks: 0, ...over,
});

describe('the Lock column', () => {
  it('nothing to say: a dash', () => {
    expect(lockCell(undefined, NOW)).toEqual({ text: '—', tone: 'none' });
    expect(lockCell([], NOW)).toEqual({ text: '—', tone: 'none' });
    expect(lockCell([lock({ recentLocks: 1 })], NOW)).toEqual({ text: '—', tone: 'none' });
  });

  it('failures toward a lock, summed over credentials, each named in the title', () => {
    const cell = lockCell([lock({ failures: 3 }), lock({ credential: 'keypad', failures: 1 })], NOW);
    expect(cell).toEqual({
      text: '4 failed', tone: 'failures',
      title: 'Voicemail: 3 of 5 failed sign-ins before a lock; *11 keypad: 1 of 5 failed sign-ins before a lock',
    });
  });

  it('locked until a time; a lock that has ended is no longer shown as locked', () => {
    const until = new Date(NOW + 5 * 60_000).toISOString();
    const cell = lockCell([lock({ blocked: true, failures: 5, lockedAt: new Date(NOW).toISOString(), lockedUntil: until })], NOW);
    expect(cell.text).toBe('Locked');
    expect(cell.tone).toBe('locked');
    expect(cell.title).toMatch(/^Voicemail locked until \d{1,2}:\d{2}/);
    // ended: not locked, and the failures that caused it no longer count
    expect(lockCell([lock({ blocked: true, failures: 5, lockedUntil: until })], NOW + 6 * 60_000)).toEqual({ text: '—', tone: 'none' });
  });

  it('permanent wins and says who can lift it', () => {
    const cell = lockCell([lock({ credential: 'registration', blocked: true, permanent: true }), lock({ failures: 2 })], NOW);
    expect(cell).toEqual({ text: 'Locked (permanent)', tone: 'locked', title: 'Phone registration locked until an admin or receptionist unlocks it' });
  });
});

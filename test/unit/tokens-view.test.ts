// The Admin security screen's used-tokens table, its pure parts (renderer/src/lib/tokens.ts): a user agent as a
// short readable name, a token as a table row, the order of the rows, the checkboxes' range selection (Shift+
// click / Shift+arrows, as in a file list), and what the confirmations and the done line say.
import { describe, expect, it } from 'vitest';
import { TokenSchema, type Token } from '../../shared/tokens.js';
import {
  countWords,
  emptyRangeSelection,
  extendRange,
  revokedSentence,
  sameOrigin,
  setAll,
  sortRows,
  toggleOne,
  tokenRow,
  userAgentName,
  type CredentialRow,
} from '../../renderer/src/lib/tokens.js';

const token = (over: Partial<Token>): Token =>
  TokenSchema.parse({
    id: '0123456789abcdef',
    type: 'session',
    username: 'admin',
    createdWith: 'password',
    createdAt: '2026-11-01T10:00:00.000Z',
    createdFrom: '127.0.0.2',
    createdUserAgent: 'curl/8.5.0',
    lastUsedAt: null,
    lastUsedFrom: null,
    lastUsedUserAgent: null,
    expiresAt: '2026-11-08T10:00:00.000Z',
    current: false,
    ...over,
  });

describe('userAgentName', () => {
  it.each([
    ['Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36', 'Chrome on Linux'],
    ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.86', 'Edge on Windows'],
    ['Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0', 'Firefox on Windows'],
    ['Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15', 'Safari on macOS'],
    ['Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1', 'Safari on iPhone'],
    ['Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36', 'Chrome on Android'],
    ['Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 OPR/115.0.0.0', 'Opera on Linux'],
    ['Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36', 'Headless Chrome on Linux'],
    ['Mozilla/5.0 Firefox/128', 'Firefox'],
    ['curl/8.5.0', 'curl 8.5'],
    ['python-requests/2.31.0', 'python-requests 2.31'],
    ['Wget/1.21.4 (linux-gnu)', 'Wget 1.21'],
    ['PBX-Warden-Console/0.1', 'PBX Warden console'],
    ['PBX-Warden-Console/0.1 (A)', 'PBX Warden console'],
    ['Yealink SIP-T46S 66.86.0.15', 'Yealink SIP-T46S 66.86.0.15'],
  ])('%s → %s', (ua, name) => {
    expect(userAgentName(ua)).toBe(name);
  });

  it('cuts an unknown long string, and says nothing for none', () => {
    const long = 'A very long program description without any version that goes on and on';
    const name = userAgentName(long)!;
    expect(name).toHaveLength(40);
    expect(name.endsWith('…')).toBe(true);
    expect(userAgentName(null)).toBeNull();
    expect(userAgentName('  ')).toBeNull();
  });
});

describe('rows', () => {
  it('a token is a row of kind token, keyed apart from other kinds', () => {
    const r = tokenRow(token({ current: true, lastUsedAt: '2026-11-02T10:00:00.000Z', lastUsedFrom: '10.0.0.9' }));
    expect(r).toMatchObject({ key: 'token:0123456789abcdef', kind: 'token', id: '0123456789abcdef', current: true, lastUsedFrom: '10.0.0.9', createdFrom: '127.0.0.2' });
  });

  it('until its first use, a token was last used by its sign-in: from where and with what it was made', () => {
    const fresh = tokenRow(token({ lastUsedAt: '2026-11-01T10:00:00.000Z' }));
    expect(fresh).toMatchObject({ lastUsedAt: '2026-11-01T10:00:00.000Z', lastUsedFrom: '127.0.0.2', lastUsedUserAgent: 'curl/8.5.0' });
    expect(sameOrigin(fresh)).toBe(true);
    expect(sameOrigin(tokenRow(token({ lastUsedAt: '2026-11-02T10:00:00.000Z', lastUsedFrom: '127.0.0.2', lastUsedUserAgent: 'Mozilla/5.0 Firefox/128' })))).toBe(false);
    expect(tokenRow(token({}))).toMatchObject({ lastUsedAt: '2026-11-01T10:00:00.000Z', lastUsedFrom: '127.0.0.2' });
    // a later use whose address was not recorded (a token older than the PBX's use tracking) stays unknown
    const old = tokenRow(token({ lastUsedAt: '2026-11-03T10:00:00.000Z' }));
    expect(old).toMatchObject({ lastUsedAt: '2026-11-03T10:00:00.000Z', lastUsedFrom: null, lastUsedUserAgent: null });
  });

  it('sorts this console first, then the most recently active (last use, else creation), ties by id', () => {
    const rows = [
      token({ id: 'a000000000000000', createdAt: '2026-11-01T10:00:00.000Z' }),
      token({ id: 'b000000000000000', createdAt: '2026-11-01T09:00:00.000Z', lastUsedAt: '2026-11-03T00:00:00.000Z' }),
      token({ id: 'c000000000000000', createdAt: '2026-10-01T00:00:00.000Z', current: true }),
      token({ id: 'd000000000000000', createdAt: '2026-11-02T00:00:00.000Z' }),
      token({ id: '9000000000000000', createdAt: '2026-11-02T00:00:00.000Z' }),
    ].map(tokenRow);
    expect(sortRows(rows).map((r) => r.id[0])).toEqual(['c', 'b', '9', 'd', 'a']);
  });
});

describe('range selection', () => {
  const keys = ['a', 'b', 'c', 'd', 'e'];
  const sel = (s: { selected: ReadonlySet<string> }) => [...s.selected].sort().join('');

  it('Space toggles one row and makes it the anchor; Shift to another selects the rows between', () => {
    let s = toggleOne(emptyRangeSelection<string>(), 'b');
    expect(sel(s)).toBe('b');
    s = extendRange(s, keys, 'd', null);
    expect(sel(s)).toBe('bcd');
    // a shorter range from the same anchor takes back what it no longer covers
    s = extendRange(s, keys, 'c', null);
    expect(sel(s)).toBe('bc');
    // and the other way round
    s = extendRange(s, keys, 'a', null);
    expect(sel(s)).toBe('ab');
  });

  it('what was selected before the range stays', () => {
    let s = toggleOne(emptyRangeSelection<string>(), 'e');
    s = toggleOne(s, 'a');
    s = extendRange(s, keys, 'c', null);
    expect(sel(s)).toBe('abce');
    s = extendRange(s, keys, 'a', null);
    expect(sel(s)).toBe('ae');
  });

  it('without an anchor, the row that had the focus is one; else the target alone', () => {
    expect(sel(extendRange(emptyRangeSelection<string>(), keys, 'd', 'b'))).toBe('bcd');
    expect(sel(extendRange(emptyRangeSelection<string>(), keys, 'd', null))).toBe('d');
    // an anchor whose row is gone does not count
    const gone = { selected: new Set<string>(), anchor: 'zz', rangeAdded: new Set<string>() };
    expect(sel(extendRange(gone, keys, 'b', 'a'))).toBe('ab');
    // a target not shown changes nothing
    const s = toggleOne(emptyRangeSelection<string>(), 'a');
    expect(extendRange(s, keys, 'zz', null)).toBe(s);
  });

  it('all and none forget the anchor', () => {
    expect(sel(setAll(keys, true))).toBe('abcde');
    const none = setAll(keys, false);
    expect(none.selected.size).toBe(0);
    expect(none.anchor).toBeNull();
  });
});

describe('sentences', () => {
  const rows = (n: number): CredentialRow[] => Array.from({ length: n }, (_, i) => tokenRow(token({ id: `${i}`.padStart(16, '0') })));

  it('counts the rows by kind', () => {
    expect(countWords(rows(1))).toBe('1 login token');
    expect(countWords(rows(3))).toBe('3 login tokens');
    const passkey: CredentialRow = { ...rows(1)[0]!, key: 'passkey:x', kind: 'passkey', expiresAt: null };
    expect(countWords([passkey])).toBe('1 passkey');
    expect(countWords([...rows(2), passkey])).toBe('3 sign-ins');
  });

  it('says what a revocation did, and when the console signed in again', () => {
    expect(revokedSentence(1, false)).toBe('Signed out 1 session. Whoever used it must sign in again.');
    expect(revokedSentence(3, false)).toBe('Signed out 3 sessions. Whoever used them must sign in again.');
    expect(revokedSentence(2, true)).toMatch(/^Signed out 2 sessions, this console's own among them; the console signed in again/);
    expect(revokedSentence(0, false)).toMatch(/^Nothing to sign out/);
  });
});

// Passkeys in the Admin security screen's used-tokens table (renderer/src/lib/tokens.ts): a passkey as a row
// (key kind, never expires, not used yet until its first sign-in), the order among tokens, and what the
// confirmation and the done line call removing them.
import { describe, expect, it } from 'vitest';
import { PasskeySchema, type Passkey } from '../../shared/passkeys.js';
import { TokenSchema } from '../../shared/tokens.js';
import { countWords, deletedSentence, passkeyRow, removeVerb, sortRows, tokenRow } from '../../renderer/src/lib/tokens.js';

const passkey = (over: Partial<Passkey> = {}): Passkey =>
  PasskeySchema.parse({
    id: 'a1b2c3d4e5f60718', type: 'passkey', username: 'admin', name: 'Office laptop', aaguid: '00000000-0000-0000-0000-000000000000',
    transports: ['internal', 'hybrid'], backedUp: true, createdAt: '2026-11-01T10:00:00.000Z', createdFrom: '127.0.0.2',
    createdUserAgent: 'Mozilla/5.0 (X11; Linux x86_64) Chrome/140.0.0.0 Safari/537.36', lastUsedAt: null, lastUsedFrom: null,
    lastUsedUserAgent: null, ...over,
  });

const token = TokenSchema.parse({
  id: '0123456789abcdef', type: 'session', username: 'admin', createdWith: 'password', createdAt: '2026-11-02T10:00:00.000Z',
  createdFrom: '127.0.0.1', createdUserAgent: 'PBX-Warden-Console/0.1', lastUsedAt: null, lastUsedFrom: null, lastUsedUserAgent: null,
  expiresAt: '2026-11-02T22:00:00.000Z', current: true,
});

describe('passkey rows', () => {
  it('a passkey is a key row that never expires, keeps its name and authenticator facts, and is not used until it is', () => {
    const r = passkeyRow(passkey());
    expect(r).toMatchObject({
      key: 'passkey:a1b2c3d4e5f60718', kind: 'passkey', id: 'a1b2c3d4e5f60718', expiresAt: null, current: false, lastUsedAt: null,
      passkey: { name: 'Office laptop', transports: ['internal', 'hybrid'], backedUp: true },
    });
    const used = passkeyRow(passkey({ lastUsedAt: '2026-11-03T08:00:00.000Z', lastUsedFrom: '127.0.0.3', lastUsedUserAgent: 'x' }));
    expect(used).toMatchObject({ lastUsedAt: '2026-11-03T08:00:00.000Z', lastUsedFrom: '127.0.0.3', lastUsedUserAgent: 'x' });
  });

  it('sorts with the tokens: this console first, then the most recently active', () => {
    const old = passkeyRow(passkey({ id: '1111111111111111' }));
    const recent = passkeyRow(passkey({ id: '2222222222222222', lastUsedAt: '2026-11-05T08:00:00.000Z' }));
    expect(sortRows([old, recent, tokenRow(token)]).map((r) => r.key)).toEqual([
      'token:0123456789abcdef', 'passkey:2222222222222222', 'passkey:1111111111111111',
    ]);
  });

  it('names what removing them does: tokens signed out, passkeys deleted, both removed', () => {
    const k = passkeyRow(passkey());
    const t = tokenRow(token);
    expect(removeVerb([t])).toBe('Sign out');
    expect(removeVerb([k])).toBe('Delete');
    expect(removeVerb([k, t])).toBe('Remove');
    expect(countWords([k])).toBe('1 passkey');
    expect(countWords([k, t])).toBe('2 sign-ins');
    expect(deletedSentence(1, 1)).toBe('Deleted 1 passkey. It no longer signs anyone in.');
    expect(deletedSentence(2, 3)).toBe('Deleted 2 passkeys (1 had already been deleted). They no longer sign anyone in.');
    expect(deletedSentence(0, 2)).toMatch(/already gone/);
  });
});

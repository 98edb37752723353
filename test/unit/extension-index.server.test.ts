// The renderer's local index against the REAL list query of the reference PBX (server/store.ts over
// SQLite, trigram index and keyset pages included): for random extensions and random searches, filters
// and sorts, paging through GET /api/v1/extensions and filtering the local index give the same numbers in
// the same order. extension-index.test.ts checks the same against a model; this checks the model's truth.
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { etagFor, ExtensionTypes, type Extension, type ExtensionType, type Site } from '../../shared/domain.js';
import { openDb, type Db } from '../../server/db.js';
import { Store, type ListQuery } from '../../server/store.js';
import { ExtensionIndex, type ProtectionFilter, type Query } from '../../renderer/src/lib/extensionIndex.js';

const SITES: Site[] = [
  { id: 'hq', name: 'Zurich Headquarters', extensionCount: 0 },
  { id: 'north', name: 'Aachen North', extensionCount: 0 },
  { id: 'south', name: 'Munich South', extensionCount: 0 },
];
const SITE_IDS = SITES.map((s) => s.id);
const PROTECTION_FILTERS: ProtectionFilter[] = ['any', 'off', 'on', 'unrestricted', 'blocked'];

let dir: string;
let db: Db;

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'warden-index-vs-server-'));
  db = openDb(dir);
  db.pragma('synchronous = OFF'); // a scratch database: no fsync per run
  const insert = db.prepare('INSERT INTO sites (id, name, position) VALUES (?, ?, ?)');
  SITES.forEach((s, i) => insert.run(s.id, s.name, i));
});

afterAll(() => {
  db?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Replace every extension of the scratch PBX with these rows (the way seed.ts stores them). */
function load(rows: Extension[]): void {
  const insert = db.prepare(
    `INSERT INTO extensions (number, num_sort, label, label_lc, site_id, type, status, voicemail, protection_enabled,
       protection_state, protection_hash, version) VALUES (?, ?, ?, ?, ?, ?, 'active', 1, ?, ?, ?, 1)`,
  );
  db.transaction(() => {
    db.exec('DELETE FROM extensions');
    for (const e of rows) {
      const on = e.protection.enabled;
      insert.run(e.number, Number(e.number), e.label, e.label.toLowerCase(), e.siteId, e.type, on ? 1 : 0, e.protection.state, on ? 'x' : null);
    }
  })();
}

/** Every page of the server's list for this query, with a small page size so the cursors are exercised. */
function serverNumbers(store: Store, q: Query, limit: number): string[] {
  const lq: ListQuery = {
    limit,
    sort: `${q.sortDir === 'desc' ? '-' : ''}${q.sortKey}` as ListQuery['sort'],
    search: q.search,
    site: q.site || undefined,
    type: q.type || undefined,
    protection: q.protection,
  };
  const out: string[] = [];
  for (let pages = 0; pages < 1000; pages++) {
    const page = store.listExtensions(lq);
    out.push(...page.items.map((e) => e.number));
    if (!page.nextCursor) return out;
    lq.cursor = page.nextCursor;
  }
  throw new Error('the server never finished paging');
}

const labelChar = fc.constantFrom('a', 'A', 'b', 'n', 'N', ' ', '"', '1', '2', 'é', 'É', 'İ', 'ß', '\u{1F600}', '\uFF21', '\uE000');
const arbNumber = fc.string({ unit: fc.constantFrom('0', '1', '2', '9'), minLength: 2, maxLength: 5 });

const arbExtension = (number: string) =>
  fc
    .record({
      label: fc.string({ unit: labelChar, maxLength: 8 }),
      siteId: fc.constantFrom(...SITE_IDS),
      type: fc.constantFrom<ExtensionType>(...ExtensionTypes),
      enabled: fc.boolean(),
      state: fc.constantFrom('unrestricted' as const, 'blocked' as const),
    })
    .map((r): Extension => {
      // The PBX only protects phone terminals (a CHECK constraint).
      const enabled = r.enabled && r.type === 'phone_terminal';
      return {
        number,
        label: r.label,
        siteId: r.siteId,
        type: r.type,
        status: 'active',
        voicemail: true,
        incomingCalls: 'ring',
        protection: { enabled, state: enabled ? r.state : 'unrestricted', passwordSet: enabled, changedAt: null, changedBy: null, changedFrom: null },
        version: 1,
        etag: etagFor(1),
      };
    });

const arbRows = fc
  .uniqueArray(arbNumber, { maxLength: 30 })
  .chain((numbers) => fc.tuple(...numbers.map(arbExtension)))
  .map((rows) => [...rows]);

function arbQuery(rows: Extension[]): fc.Arbitrary<Query> {
  const pieces = rows.flatMap((r) => [r.number, r.label]);
  const piece = pieces.length
    ? fc.tuple(fc.constantFrom(...pieces), fc.nat(), fc.nat()).map(([s, a, b]) => {
        const from = s.length ? a % s.length : 0;
        return s.slice(from, from + 1 + (b % Math.max(1, s.length - from)));
      })
    : fc.constant('');
  return fc.record({
    search: fc.oneof(piece, piece.map((s) => ` ${s.toUpperCase()}  `), fc.string({ unit: labelChar, maxLength: 4 }), fc.constantFrom('', '  ', '0', '9')),
    site: fc.constantFrom('', ...SITE_IDS),
    type: fc.constantFrom<ExtensionType | ''>('', ...ExtensionTypes),
    protection: fc.constantFrom(...PROTECTION_FILTERS),
    pin: fc.constant('any' as const),
    sortKey: fc.constantFrom('number' as const, 'label' as const, 'site' as const),
    sortDir: fc.constantFrom('asc' as const, 'desc' as const),
  });
}

describe('ExtensionIndex ≡ the reference PBX list API (property, real SQL)', () => {
  it('same rows in the same order for every search, filter and sort the API offers', () => {
    fc.assert(
      fc.property(
        arbRows.chain((rows) => fc.tuple(fc.constant(rows), fc.array(arbQuery(rows), { minLength: 1, maxLength: 6 }), fc.integer({ min: 1, max: 7 }))),
        ([rows, queries, limit]) => {
          load(rows);
          const store = new Store(db);
          const index = new ExtensionIndex(rows, SITES);
          for (const q of queries) {
            const local = Array.from(index.filter(q), (i) => index.rows[i]!.number);
            expect(local).toEqual(serverNumbers(store, q, limit));
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});

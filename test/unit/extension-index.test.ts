// The renderer's local extension index (renderer/src/lib/extensionIndex.ts) must show exactly what the
// PBX's list API (GET /api/v1/extensions, server/store.ts) would: the same rows for a search and the
// filters, in the same order. The reference below is written straight from the server's SQL, not from
// the index: number prefix as a text range, label substring, binary (UTF-8 byte) string order, and
// ORDER BY columns that DESC reverses one by one.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { etagFor, ExtensionTypes, EXTENSION_TYPE_LABEL, type Extension, type ExtensionType, type Site } from '../../shared/domain.js';
import {
  binaryOrderKey,
  ExtensionIndex,
  type PinFilter,
  type ProtectionFilter,
  type Query,
  type SortKey,
} from '../../renderer/src/lib/extensionIndex.js';

// ---- the reference: a naive model of the server's query ------------------------------------------

/** SQLite's BINARY collation over UTF-8 text: byte order. */
function bytesCompare(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function refMatches(e: Extension, q: Query): boolean {
  const term = q.search.trim().toLowerCase();
  if (term !== '') {
    // searchClause(): (number >= term AND number < term || ':') when the term is all digits, OR instr(label_lc, term).
    const numberHit = /^[0-9]+$/.test(term) && bytesCompare(e.number, term) >= 0 && bytesCompare(e.number, `${term}:`) < 0;
    // instr() over UTF-8 text (a lone UTF-16 surrogate is stored as U+FFFD).
    const labelHit = Buffer.from(e.label.toLowerCase(), 'utf8').indexOf(Buffer.from(term, 'utf8')) !== -1;
    if (!numberHit && !labelHit) return false;
  }
  // filterClauses()
  if (q.site && e.siteId !== q.site) return false;
  if (q.type && e.type !== q.type) return false;
  if (q.protection === 'off' && e.protection.enabled) return false;
  if (q.protection === 'on' && !e.protection.enabled) return false;
  if ((q.protection === 'unrestricted' || q.protection === 'blocked') && !(e.protection.enabled && e.protection.state === q.protection)) {
    return false;
  }
  // The console-only PIN filter, written from the metadata's meaning (not from pinHealth()).
  if (q.pin !== 'any' && refPin(e) !== q.pin) return false;
  return true;
}

function refPin(e: Extension): PinFilter | 'unknown' {
  const m = e.credentials?.voicemail_pin;
  if (!m) return 'unknown';
  if (!m.set) return 'unset';
  if (m.isDefault) return 'default';
  return refMeets(m) === true ? 'custom' : 'outdated';
}
const PIN_ORDER = ['default', 'outdated', 'custom', 'unset', 'unknown'];

/** Meets the current policy: the PBX's word (meetsCurrentPolicy) when it sends one, else compliance when set. */
function refMeets(m: { isDefault: boolean; compliant: boolean | null; meetsCurrentPolicy?: boolean | null }): boolean | null {
  if (m.isDefault) return null;
  return 'meetsCurrentPolicy' in m && m.meetsCurrentPolicy !== undefined ? m.meetsCurrentPolicy : m.compliant;
}

type Col = number | string;
const PROTECTION_RANK = (e: Extension) => (!e.protection.enabled ? 0 : e.protection.state === 'blocked' ? 2 : 1);
const INCOMING_RANK = { ring: 0, voicemail: 1, rejected: 2 } as const;

/** The ORDER BY columns of each sort (server: SORT_COLUMNS; console-only sorts tie-break the same way). */
function refColumns(key: SortKey, e: Extension): Col[] {
  const n = Number(e.number);
  switch (key) {
    case 'number':
      return [n, e.number];
    case 'label':
      return [e.label.toLowerCase(), e.number];
    case 'site':
      return [e.siteId, n, e.number];
    case 'type':
      return [EXTENSION_TYPE_LABEL[e.type].toLowerCase(), n, e.number];
    case 'protection':
      return [PROTECTION_RANK(e), n, e.number];
    case 'incoming':
      return [INCOMING_RANK[e.incomingCalls], n, e.number];
    case 'pin':
      return [PIN_ORDER.indexOf(refPin(e)), n, e.number];
    case 'pinAge': {
      // Youngest PIN first; never set last.
      const at = e.credentials?.voicemail_pin.setAt;
      return [at ? -Date.parse(at) : Number.POSITIVE_INFINITY, n, e.number];
    }
    case 'compliance': {
      // not compliant, older policy, meets, not applicable
      const m = e.credentials?.voicemail_pin;
      const rank = !m || !m.set || m.isDefault ? 3 : refMeets(m) === false ? 0 : refMeets(m) === null ? 1 : 2;
      return [rank, n, e.number];
    }
  }
}

function refCompare(a: Col[], b: Col[], desc: boolean): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    // not x - y: Infinity - Infinity is NaN (two never-set PINs must tie, then go by number)
    const c = typeof x === 'number' ? (x < (y as number) ? -1 : x > (y as number) ? 1 : 0) : bytesCompare(x, y as string);
    if (c !== 0) return desc ? -c : c;
  }
  return 0;
}

function reference(rows: Extension[], q: Query): string[] {
  return rows
    .filter((e) => refMatches(e, q))
    .map((e) => ({ e, cols: refColumns(q.sortKey, e) }))
    .sort((a, b) => refCompare(a.cols, b.cols, q.sortDir === 'desc'))
    .map(({ e }) => e.number);
}

function numbersOf(index: ExtensionIndex, result: Int32Array): string[] {
  return Array.from(result, (i) => index.rows[i]!.number);
}

// ---- data ------------------------------------------------------------------------------------------

const SITES: Site[] = [
  // Names deliberately not in id order: the PBX sorts the site column by id.
  { id: 'hq', name: 'Zurich Headquarters', extensionCount: 0 },
  { id: 'north', name: 'Aachen North', extensionCount: 0 },
  { id: 'south', name: 'Munich South', extensionCount: 0 },
  { id: 'a-1', name: 'Annex', extensionCount: 0 },
];
const SITE_IDS = SITES.map((s) => s.id);
const PROTECTION_FILTERS: ProtectionFilter[] = ['any', 'off', 'on', 'unrestricted', 'blocked'];
const SORT_KEYS: SortKey[] = ['number', 'label', 'site', 'type', 'protection', 'incoming', 'pin', 'pinAge', 'compliance'];
const PIN_FILTERS: PinFilter[] = ['any', 'default', 'custom', 'outdated', 'unset'];

function ext(number: string, label: string, over: Partial<Extension> = {}, protection: Partial<Extension['protection']> = {}): Extension {
  const version = over.version ?? 1;
  return {
    number,
    label,
    siteId: 'hq',
    type: 'phone_terminal',
    status: 'active',
    voicemail: true,
    incomingCalls: 'ring',
    ...over,
    protection: { enabled: false, state: 'unrestricted', passwordSet: false, changedAt: null, changedBy: null, changedFrom: null, ...protection },
    version,
    etag: etagFor(version),
  };
}

const query = (over: Partial<Query> = {}): Query => ({
  search: '', site: '', type: '', protection: 'any', pin: 'any', sortKey: 'number', sortDir: 'asc', ...over,
});

// Small alphabets so that searches hit, labels collide (tiebreaks matter), and numbers share prefixes.
// The label alphabet has case pairs, a letter whose lower case is longer (İ), an astral character and
// one from U+E000–U+FFFF (UTF-16 and UTF-8 order disagree on those two).
const labelChar = fc.constantFrom('a', 'A', 'b', 'B', 'n', 'N', ' ', '-', '1', '2', 'é', 'É', 'İ', 'ß', '\u{1F600}', '\uFF21', '\uE000');
const arbLabel = fc.string({ unit: labelChar, maxLength: 8 });
// 2–10 digits, leading zeros allowed ("0100" and "100" are different numbers with the same numeric value).
const arbNumber = fc.string({ unit: fc.constantFrom('0', '1', '2', '9'), minLength: 2, maxLength: 5 });

const arbExtension = (number: string) =>
  fc
    .record({
      label: arbLabel,
      siteId: fc.constantFrom(...SITE_IDS),
      type: fc.constantFrom<ExtensionType>(...ExtensionTypes),
      enabled: fc.boolean(),
      state: fc.constantFrom('unrestricted' as const, 'blocked' as const),
      incomingCalls: fc.constantFrom('ring' as const, 'voicemail' as const, 'rejected' as const),
      // Voicemail PIN metadata: absent (an older PBX), unset, default or custom; a few set-at times so ages tie.
      pin: fc.option(
        fc.record({
          set: fc.boolean(),
          isDefault: fc.boolean(),
          setAt: fc.constantFrom(null, '2026-01-01T00:00:00.000Z', '2026-06-01T12:00:00.000Z', '2026-11-20T08:30:00.000Z'),
          compliant: fc.constantFrom(null, true, false),
          // absent (an older PBX) or the PBX's word
          meetsCurrentPolicy: fc.option(fc.constantFrom(null, true, false), { nil: undefined }),
        }),
        { nil: undefined },
      ),
    })
    .map((r) => {
      const over: Partial<Extension> = { siteId: r.siteId, type: r.type, incomingCalls: r.incomingCalls };
      if (r.pin) {
        const none = { set: false, isDefault: false, setAt: null, compliant: null };
        over.credentials = { voicemail_pin: r.pin, login_code: none, phone_password: none, user_password: none };
      }
      return ext(number, r.label, over, { enabled: r.enabled, state: r.state });
    });

const arbRows = fc
  .uniqueArray(arbNumber, { maxLength: 40 })
  .chain((numbers) => fc.tuple(...numbers.map(arbExtension)))
  .map((rows) => [...rows]);

/** Search text: often a piece of a number or a label, sometimes padded or upper-cased, sometimes noise. */
function arbSearch(rows: Extension[]): fc.Arbitrary<string> {
  const pieces = rows.flatMap((r) => [r.number, r.label]);
  const piece = pieces.length
    ? fc
        .tuple(fc.constantFrom(...pieces), fc.nat(), fc.nat())
        .map(([s, a, b]) => {
          const from = s.length ? a % s.length : 0;
          return s.slice(from, from + 1 + (b % Math.max(1, s.length - from)));
        })
    : fc.constant('');
  return fc.oneof(
    piece,
    piece.map((s) => `  ${s.toUpperCase()} `),
    fc.string({ unit: labelChar, maxLength: 3 }),
    fc.string({ unit: fc.constantFrom('0', '1', '2', '9'), maxLength: 3 }),
    fc.constantFrom('', ' ', '\t', ':', 'x'),
  );
}

function arbQuery(rows: Extension[]): fc.Arbitrary<Query> {
  return fc.record({
    search: arbSearch(rows),
    site: fc.constantFrom('', ...SITE_IDS, 'nowhere'),
    type: fc.constantFrom<ExtensionType | ''>('', ...ExtensionTypes),
    protection: fc.constantFrom(...PROTECTION_FILTERS),
    pin: fc.constantFrom(...PIN_FILTERS),
    sortKey: fc.constantFrom(...SORT_KEYS),
    sortDir: fc.constantFrom('asc' as const, 'desc' as const),
  });
}

// ---- examples ----------------------------------------------------------------------------------------

describe('ExtensionIndex: search means what the PBX means', () => {
  const rows = [
    ext('1200', 'Reception'),
    ext('2120', 'Sales 12 desk'),
    ext('3412', 'Warehouse'),
    ext('120', 'Front DESK'),
  ];
  const index = new ExtensionIndex(rows, SITES);
  const search = (s: string) => numbersOf(index, index.filter(query({ search: s })));

  it('matches a number by prefix only, never in the middle', () => {
    // 3412 contains "12" but does not start with it; "Sales 12 desk" has it in the label.
    expect(search('12')).toEqual(['120', '1200', '2120']);
    expect(search('41')).toEqual([]);
    expect(search('1200')).toEqual(['1200']);
  });

  it('matches a label anywhere, ignoring case and surrounding spaces', () => {
    expect(search('desk')).toEqual(['120', '2120']);
    expect(search('  DeSk ')).toEqual(['120', '2120']);
    expect(search('ehou')).toEqual(['3412']);
    expect(search('   ')).toEqual(['120', '1200', '2120', '3412']);
  });

  it('narrowing a search keystroke by keystroke gives the same rows as typing it at once', () => {
    const steps = ['1', '12', '120', '1200', '12', ''];
    const typed = steps.map(search);
    const fresh = steps.map((s) => {
      const once = new ExtensionIndex(rows, SITES);
      return numbersOf(once, once.filter(query({ search: s })));
    });
    expect(typed).toEqual(fresh);
  });
});

describe('ExtensionIndex: sorts', () => {
  it('breaks ties by number, reverses the whole order when descending, and sorts sites by id', () => {
    const rows = [
      ext('30', 'Desk', { siteId: 'south' }),
      ext('100', 'desk', { siteId: 'north' }),
      ext('20', 'Desk', { siteId: 'north' }),
      ext('0100', 'Annex', { siteId: 'hq' }),
    ];
    const index = new ExtensionIndex(rows, SITES);
    const order = (sortKey: SortKey, sortDir: 'asc' | 'desc') => numbersOf(index, index.filter(query({ sortKey, sortDir })));
    expect(order('number', 'asc')).toEqual(['20', '30', '0100', '100']);
    expect(order('number', 'desc')).toEqual(['100', '0100', '30', '20']);
    // Equal labels (case-insensitively): by number TEXT, as the PBX's (label_lc, number) index does.
    expect(order('label', 'asc')).toEqual(['0100', '100', '20', '30']);
    expect(order('label', 'desc')).toEqual(['30', '20', '100', '0100']);
    // hq < north < south by id, although "Aachen North" < "Munich South" < "Zurich Headquarters" by name.
    expect(order('site', 'asc')).toEqual(['0100', '20', '100', '30']);
    expect(order('site', 'desc')).toEqual(['30', '100', '20', '0100']);
  });

  it('orders text by code point (UTF-8 bytes), like SQLite', () => {
    // U+FF21 (fullwidth A) < U+1F600 by code point, although its UTF-16 unit is greater than a surrogate's.
    const index = new ExtensionIndex([ext('10', '\u{1F600}'), ext('11', '\uFF21'), ext('12', 'z')], SITES);
    expect(numbersOf(index, index.filter(query({ sortKey: 'label' })))).toEqual(['12', '11', '10']);
    expect(binaryOrderKey('plain text')).toBe('plain text');
  });
});

describe('ExtensionIndex: live updates', () => {
  it('a changed extension replaces its row, and the filtered view follows', () => {
    const rows = [ext('100', 'Reception'), ext('101', 'Back office'), ext('102', 'Kitchen')];
    const index = new ExtensionIndex(rows, SITES);
    const blocked = query({ protection: 'blocked' });
    const byProtection = query({ sortKey: 'protection', sortDir: 'desc' });
    expect(numbersOf(index, index.filter(blocked))).toEqual([]);
    expect(numbersOf(index, index.filter(byProtection))).toEqual(['102', '101', '100']);
    const v0 = index.version;

    const nowBlocked = ext('101', 'Back office', { version: 2 }, { enabled: true, state: 'blocked', passwordSet: true, changedBy: 'keypad' });
    expect(index.update(nowBlocked)).toBe(true);
    expect(index.version).toBe(v0 + 1);
    expect(index.get('101')).toBe(nowBlocked);
    expect(index.rows[index.indexOf('101')]).toBe(nowBlocked);
    expect(numbersOf(index, index.filter(blocked))).toEqual(['101']);
    expect(numbersOf(index, index.filter(byProtection))).toEqual(['101', '102', '100']);
    expect(numbersOf(index, index.filter(query({ protection: 'off' })))).toEqual(['100', '102']);

    // An older version (an event that raced a reload) or the same version again changes nothing.
    expect(index.update(ext('101', 'Back office', { version: 1 }))).toBe(false);
    expect(index.update(nowBlocked)).toBe(false);
    expect(index.version).toBe(v0 + 1);
    expect(numbersOf(index, index.filter(blocked))).toEqual(['101']);

    // Unblocked from the keypad: it leaves the "blocked" view and joins "unrestricted".
    const unblocked = ext('101', 'Back office', { version: 3 }, { enabled: true, state: 'unrestricted', passwordSet: true });
    expect(index.update(unblocked)).toBe(true);
    expect(numbersOf(index, index.filter(blocked))).toEqual([]);
    expect(numbersOf(index, index.filter(query({ protection: 'unrestricted' })))).toEqual(['101']);
    // An extension the index does not know is ignored.
    expect(index.update(ext('999', 'Nobody', { version: 5 }))).toBe(false);
  });

  it('a changed label is searched and sorted by its new text', () => {
    const index = new ExtensionIndex([ext('100', 'Alpha'), ext('101', 'Bravo')], SITES);
    const search = query({ search: 'zulu', sortKey: 'label' });
    expect(numbersOf(index, index.filter(search))).toEqual([]);
    expect(numbersOf(index, index.filter(query({ sortKey: 'label' })))).toEqual(['100', '101']);
    index.update(ext('100', 'Zulu', { version: 2 }));
    expect(numbersOf(index, index.filter(search))).toEqual(['100']);
    expect(numbersOf(index, index.filter(query({ sortKey: 'label' })))).toEqual(['101', '100']);
  });
});

// ---- properties --------------------------------------------------------------------------------------

describe('ExtensionIndex ≡ the PBX query (property)', () => {
  it('any rows, any query: same rows in the same order as the reference', () => {
    fc.assert(
      fc.property(
        arbRows.chain((rows) => fc.tuple(fc.constant(rows), arbQuery(rows))),
        ([rows, q]) => {
          const index = new ExtensionIndex(rows, SITES);
          expect(numbersOf(index, index.filter(q))).toEqual(reference(rows, q));
        },
      ),
      { numRuns: 400 },
    );
  });

  it('a session of queries, typed searches and live updates on one index stays equal to the reference', () => {
    type Step =
      | { kind: 'query'; q: Query }
      | { kind: 'type'; q: Query } // the search typed one character at a time
      | { kind: 'update'; at: number; replacement: Extension; bump: number };
    const arbSession = arbRows
      .filter((rows) => rows.length > 0)
      .chain((rows) => {
        const step: fc.Arbitrary<Step> = fc.oneof(
          arbQuery(rows).map((q): Step => ({ kind: 'query', q })),
          arbQuery(rows).map((q): Step => ({ kind: 'type', q })),
          fc
            .tuple(fc.nat(rows.length - 1), arbExtension('00'), fc.integer({ min: -1, max: 2 }))
            .map(([at, replacement, bump]): Step => ({ kind: 'update', at, replacement, bump })),
        );
        return fc.tuple(fc.constant(rows), fc.array(step, { maxLength: 12 }));
      });

    fc.assert(
      fc.property(arbSession, ([initial, steps]) => {
        const model = initial.map((e) => ({ ...e }));
        const index = new ExtensionIndex(initial.map((e) => ({ ...e })), SITES);
        for (const s of steps) {
          if (s.kind === 'update') {
            const cur = model[s.at]!;
            const version = Math.max(1, cur.version + s.bump);
            const next = { ...s.replacement, number: cur.number, version, etag: etagFor(version) };
            const changed = index.update(next);
            // Newer versions replace the row; older ones and the same version again are ignored.
            expect(changed).toBe(version > cur.version);
            if (changed) model[s.at] = next;
          } else if (s.kind === 'query') {
            expect(numbersOf(index, index.filter(s.q))).toEqual(reference(model, s.q));
          } else {
            for (let k = 0; k <= s.q.search.length; k++) {
              const q = { ...s.q, search: s.q.search.slice(0, k) };
              expect(numbersOf(index, index.filter(q))).toEqual(reference(model, q));
            }
          }
        }
        expect(index.rows.map((e) => e.number)).toEqual(model.map((e) => e.number));
      }),
      { numRuns: 300 },
    );
  });
});

// Sites and the extensions list (paging, search, filters, totals) against the real reference PBX.
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExtensionListSchema, SiteListSchema, type ExtensionList } from '../../shared/api.js';
import { ExtensionSchema, etagFor, type Extension } from '../../shared/domain.js';
import { errorOf, startTestPbx, type TestPbx } from '../helpers/server.js';

describe('extensions (demo data)', () => {
  let pbx: TestPbx;
  let all: Extension[];

  const list = async (query: string) => {
    const r = await pbx.api<ExtensionList>('GET', `/api/v1/extensions${query ? `?${query}` : ''}`);
    expect(r.status, r.text).toBe(200);
    return ExtensionListSchema.parse(r.json);
  };
  /** Every page of a query, following nextCursor. */
  const walk = async (query: string, limit: number) => {
    const items: Extension[] = [];
    let cursor: string | null = null;
    let pages = 0;
    let total = -1;
    do {
      const page = await list(`${query}&limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      total = page.total;
      items.push(...page.items);
      cursor = page.nextCursor;
      pages++;
    } while (cursor && pages < 100);
    return { items, total, pages };
  };

  beforeAll(async () => {
    pbx = await startTestPbx({ seed: 'demo' });
    all = (await list('limit=1000')).items;
  });
  afterAll(async () => {
    await pbx?.cleanup();
  });

  it('seeds 3 sites and 300 extensions, mostly phone terminals, some protected and blocked', async () => {
    const sites = SiteListSchema.parse((await pbx.api('GET', '/api/v1/sites')).json);
    expect(sites.items.map((s) => s.id)).toEqual(['hq', 'north', 'south']);
    expect(sites.items.reduce((n, s) => n + s.extensionCount, 0)).toBe(300);
    expect(all).toHaveLength(300);
    const phones = all.filter((e) => e.type === 'phone_terminal');
    expect(phones.length / all.length).toBeGreaterThanOrEqual(0.75);
    expect(new Set(all.map((e) => e.type))).toEqual(new Set(['phone_terminal', 'queue', 'ivr', 'conference', 'fax']));
    expect(phones.every((e) => /^\S+ \S+/.test(e.label))).toBe(true);
    expect(all.some((e) => e.label === 'Main IVR')).toBe(true);
    expect(all.some((e) => !e.voicemail)).toBe(true);
    const prot = all.filter((e) => e.protection.enabled);
    expect(prot.length).toBeGreaterThanOrEqual(5);
    expect(prot.every((e) => e.type === 'phone_terminal' && e.protection.passwordSet)).toBe(true);
    const blocked = prot.filter((e) => e.protection.state === 'blocked');
    expect(blocked.some((e) => e.voicemail && e.incomingCalls === 'voicemail')).toBe(true);
    expect(blocked.some((e) => !e.voicemail && e.incomingCalls === 'rejected')).toBe(true);
    for (const e of all) ExtensionSchema.strict().extend({ protection: ExtensionSchema.shape.protection.strict() }).parse(e);
  });

  it('never returns a hash or a password', () => {
    const text = JSON.stringify(all);
    expect(text).not.toMatch(/argon2|hash/i);
  });

  it('sorts by number numerically by default', () => {
    const nums = all.map((e) => Number(e.number));
    expect(nums).toEqual([...nums].sort((a, b) => a - b));
  });

  it('pages with a cursor: every row once, in order, total counts all matches', async () => {
    for (const sort of ['number', '-number', 'label', '-label', 'site', '-site']) {
      const { items, total, pages } = await walk(`sort=${sort}`, 37);
      expect(total).toBe(300);
      expect(pages).toBe(Math.ceil(300 / 37));
      expect(new Set(items.map((e) => e.number)).size).toBe(300);
      const key = (e: Extension): string =>
        sort.endsWith('label') ? e.label.toLowerCase() : sort.endsWith('site') ? e.siteId : e.number.padStart(10, '0');
      const keys = items.map(key);
      const sorted = [...keys].sort();
      expect(keys).toEqual(sort.startsWith('-') ? sorted.reverse() : sorted);
    }
  });

  it('searches number prefix or label substring, case-insensitively', async () => {
    const byNumber = await list('search=10&limit=1000');
    expect(byNumber.total).toBe(all.filter((e) => e.number.startsWith('10') || e.label.toLowerCase().includes('10')).length);
    expect(byNumber.items.every((e) => e.number.startsWith('10'))).toBe(true);

    const someone = all.find((e) => e.type === 'phone_terminal') as Extension;
    const last = (someone.label.split(' ')[1] as string).slice(0, 4).toUpperCase();
    const byLabel = await list(`search=${encodeURIComponent(last)}&limit=1000`);
    const expected = all.filter((e) => e.label.toLowerCase().includes(last.toLowerCase()));
    expect(byLabel.total).toBe(expected.length);
    expect(byLabel.items.map((e) => e.number)).toEqual(expected.map((e) => e.number));
    expect(byLabel.items.map((e) => e.number)).toContain(someone.number);

    for (const term of ['queue', 'ivr', 'e', 'zz', 'Zoë', '"', "o'b", '%', '_']) {
      const r = await list(`search=${encodeURIComponent(term)}&limit=1000`);
      const want = all.filter((e) => e.label.toLowerCase().includes(term.toLowerCase()));
      expect(r.items.map((e) => e.number), term).toEqual(want.map((e) => e.number));
      expect(r.total, term).toBe(want.length);
    }
  });

  it('filters by site, type and protection, and combines them', async () => {
    const cases: [string, (e: Extension) => boolean][] = [
      ['site=north', (e) => e.siteId === 'north'],
      ['type=queue', (e) => e.type === 'queue'],
      ['protection=on', (e) => e.protection.enabled],
      ['protection=off', (e) => !e.protection.enabled],
      ['protection=blocked', (e) => e.protection.enabled && e.protection.state === 'blocked'],
      ['protection=unrestricted', (e) => e.protection.enabled && e.protection.state === 'unrestricted'],
      ['site=hq&type=phone_terminal&protection=on', (e) => e.siteId === 'hq' && e.type === 'phone_terminal' && e.protection.enabled],
      ['site=south&search=queue', (e) => e.siteId === 'south' && e.label.toLowerCase().includes('queue')],
    ];
    for (const [query, pred] of cases) {
      const want = all.filter(pred);
      const { items, total } = await walk(query, 25);
      expect(total, query).toBe(want.length);
      expect(items.map((e) => e.number), query).toEqual(want.map((e) => e.number));
    }
  });

  it('refuses bad list parameters naming the field and the rule', async () => {
    const cases: [string, string, string][] = [
      ['limit=0', 'limit', 'min'],
      ['limit=1001', 'limit', 'max'],
      ['limit=abc', 'limit', 'type_number'],
      ['sort=color', 'sort', 'one_of'],
      ['type=phone', 'type', 'one_of'],
      ['site=NOT%20A%20SITE', 'site', 'pattern'],
      ['protection=maybe', 'protection', 'one_of'],
      ['colour=red', 'colour', 'unknown_keys'],
      ['cursor=bm9wZQ', 'cursor', 'cursor'],
    ];
    for (const [query, field, rule] of cases) {
      const r = await pbx.api('GET', `/api/v1/extensions?${query}`);
      expect(r.status, query).toBe(422);
      const err = errorOf(r);
      expect(err.code).toBe('validation_failed');
      expect(err.details?.[0], query).toMatchObject({ field, rule });
      expect(err.message).toContain(field);
    }
    // a cursor from another sort order is refused too
    const page = await list('limit=5&sort=label');
    const r = await pbx.api('GET', `/api/v1/extensions?limit=5&sort=number&cursor=${page.nextCursor}`);
    expect(r.status).toBe(422);
  });

  it('returns one extension with its ETag, 404 for an unknown one, 422 for a malformed number', async () => {
    const r = await pbx.api<Extension>('GET', '/api/v1/extensions/1003');
    expect(r.status).toBe(200);
    expect(r.headers.etag).toBe(etagFor(r.json.version));
    expect(r.json.etag).toBe(r.headers.etag);
    const missing = await pbx.api('GET', '/api/v1/extensions/99999');
    expect(missing.status).toBe(404);
    expect(errorOf(missing)).toMatchObject({ code: 'not_found', message: expect.stringContaining('99999') });
    const bad = await pbx.api('GET', '/api/v1/extensions/12ab');
    expect(bad.status).toBe(422);
    expect(errorOf(bad).details?.[0]).toMatchObject({ field: 'number', rule: 'pattern' });
  });
});

describe('extensions (100,000 generated)', () => {
  let pbx: TestPbx;
  beforeAll(async () => {
    pbx = await startTestPbx({ seed: { extensions: 100_000 } });
  });
  afterAll(async () => {
    await pbx?.cleanup();
  });

  it('seeds 100,000 rows and answers a searched page quickly', async () => {
    const first = await pbx.api<ExtensionList>('GET', '/api/v1/extensions?limit=100');
    expect(first.json.total).toBe(100_000);
    const times: number[] = [];
    for (const term of ['smith', 'zzz', '1000', 'son', 'a']) {
      const t = performance.now();
      const r = await pbx.api<ExtensionList>('GET', `/api/v1/extensions?limit=100&search=${term}`);
      times.push(performance.now() - t);
      expect(r.status).toBe(200);
      expect(r.json.items.every((e) => e.number.startsWith(term) || e.label.toLowerCase().includes(term))).toBe(true);
    }
    // generous bound: this is a smoke check, the figures come from bench/
    expect(Math.max(...times)).toBeLessThan(500);
    const blocked = await pbx.api<ExtensionList>('GET', '/api/v1/extensions?protection=blocked');
    expect(blocked.json.total).toBe(2);
  });
});

describe('extensions search: exact matches and totals that follow every change', () => {
  let pbx: TestPbx;
  beforeAll(async () => {
    pbx = await startTestPbx({ seed: 'demo' });
  });
  afterAll(async () => {
    await pbx?.cleanup();
  });

  const list = async (query: string) => {
    const r = await pbx.api<ExtensionList>('GET', `/api/v1/extensions?${query}`);
    expect(r.status, r.text).toBe(200);
    return ExtensionListSchema.parse(r.json);
  };
  const all = async () => (await list('limit=1000')).items;
  const withDb = <T>(fn: (db: Database.Database) => T): T => {
    const db = new Database(join(pbx.dataDir, 'pbx.sqlite'));
    try {
      return fn(db);
    } finally {
      db.close();
    }
  };
  /** Adds extensions behind the server's back (another connection), as another process could. */
  const insert = (rows: { number: string; label: string; siteId?: string }[]) =>
    withDb((db) => {
      const stmt = db.prepare(
        `INSERT INTO extensions (number, num_sort, label, label_lc, site_id, type, status, voicemail)
         VALUES (?, ?, ?, ?, ?, 'fax', 'active', 0)`,
      );
      for (const r of rows) stmt.run(r.number, Number(r.number), r.label, r.label.toLowerCase(), r.siteId ?? 'hq');
    });

  /** What the contract says: number prefix or label substring, case-insensitive (JS lower-casing). */
  const expected = (items: Extension[], term: string) => {
    const t = term.trim().toLowerCase();
    return items.filter((e) => (/^[0-9]+$/.test(t) && e.number.startsWith(t)) || e.label.toLowerCase().includes(t));
  };

  it('matches exactly what the term spells, even where Unicode case folding would match more', async () => {
    // The default trigram tokenizer folds 'ſ' to 's' and 'ς' to 'σ'; the search must not.
    insert([
      { number: '9101', label: 'Jaſon Fixture' },
      { number: '9102', label: 'ΟΔΥΣΣΕΥΣ Fixture' },
      { number: '9103', label: 'Odyssey FIXTURE' },
      { number: '9104', label: 'Kelvin \u212A Fixture' },
    ]);
    const items = await all();
    expect(items).toHaveLength(304);
    // (a NUL cannot go into the full-text query: such terms are matched by instr, and answered, not 500)
    const terms = ['son', 'aſo', 'JAſON', 'οδυσ', 'υσσευς', 'υσσευσ', 'fixture', 'FIXT', 'kelvin k', '91', '910', 'ture', 'zz'];
    for (const term of [...terms, 'fix\u0000ture', '\u0000\u0000\u0000']) {
      const want = expected(items, term);
      for (const sort of ['number', '-label']) {
        const r = await list(`search=${encodeURIComponent(term)}&sort=${sort}&limit=1000`);
        expect(r.total, `${term} ${sort}`).toBe(want.length);
        expect(new Set(r.items.map((e) => e.number)), `${term} ${sort}`).toEqual(new Set(want.map((e) => e.number)));
      }
    }
    expect((await list('search=son&limit=1000')).items.map((e) => e.number)).not.toContain('9101');
    expect((await list('search=aſo')).items.map((e) => e.number)).toEqual(['9101']);
  });

  it('pages a search with a cursor under every sort: each match once, in order, total constant', async () => {
    const items = await all();
    for (const term of ['an', 'son', 'ar', 'queue', '1', '20']) {
      const want = expected(items, term);
      for (const sort of ['number', '-number', 'label', '-label', 'site', '-site']) {
        const seen: Extension[] = [];
        let cursor: string | null = null;
        let pages = 0;
        do {
          const page = await list(`search=${term}&sort=${sort}&limit=7${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
          expect(page.total, `${term} ${sort}`).toBe(want.length);
          seen.push(...page.items);
          cursor = page.nextCursor;
          pages++;
        } while (cursor && pages < 200);
        expect(seen.map((e) => e.number).sort(), `${term} ${sort}`).toEqual(want.map((e) => e.number).sort());
        const key = (e: Extension): string =>
          sort.endsWith('label')
            ? `${e.label.toLowerCase()}\u0000${e.number}`
            : sort.endsWith('site')
              ? `${e.siteId}\u0000${e.number.padStart(10, '0')}`
              : e.number.padStart(10, '0');
        const keys = seen.map(key);
        const sorted = [...keys].sort();
        expect(keys, `${term} ${sort}`).toEqual(sort.startsWith('-') ? sorted.reverse() : sorted);
      }
    }
  });

  it('totals follow writes through the API and by other connections', async () => {
    const blockedBefore = (await list('protection=blocked&search=a')).total;
    const candidate = (await list('protection=unrestricted&limit=1000')).items.find((e) =>
      e.label.toLowerCase().includes('a'),
    ) as Extension;
    expect(candidate).toBeDefined();
    const r = await pbx.api<Extension>('POST', `/api/v1/extensions/${candidate.number}/protection/block`, {
      ifMatch: candidate.etag,
    });
    expect(r.status, r.text).toBe(200);
    expect((await list('protection=blocked&search=a')).total).toBe(blockedBefore + 1);
    expect((await list('protection=unrestricted&search=a')).items.map((e) => e.number)).not.toContain(candidate.number);

    const before = await list('search=zebra');
    const beforeAll = (await list('limit=1')).total;
    expect(before.total).toBe(0);
    insert([
      { number: '9201', label: 'Zebra Crossing' },
      { number: '9202', label: 'zebra two', siteId: 'north' },
    ]);
    expect((await list('search=zebra')).total).toBe(2);
    expect((await list('search=zeb&site=north')).items.map((e) => e.number)).toEqual(['9202']);
    expect((await list('limit=1')).total).toBe(beforeAll + 2);
    withDb((db) => db.prepare("UPDATE extensions SET label = 'Quagga', label_lc = 'quagga' WHERE number = '9201'").run());
    expect((await list('search=zebra')).items.map((e) => e.number)).toEqual(['9202']);
    expect((await list('search=quagga')).items.map((e) => e.number)).toEqual(['9201']);
    withDb((db) => db.prepare("DELETE FROM extensions WHERE number IN ('9201', '9202')").run());
    expect((await list('search=zebra')).total).toBe(0);
    expect((await list('search=quagga')).total).toBe(0);
    expect((await list('limit=1')).total).toBe(beforeAll);
  });
});

describe('a data directory from schema version 1', () => {
  it('is upgraded: the label index is rebuilt case-sensitive and search stays exact', async () => {
    const pbx = await startTestPbx({ seed: 'demo' });
    try {
      await pbx.stop();
      const file = join(pbx.dataDir, 'pbx.sqlite');
      // Put back the schema-1 index (case-folding trigram) and an extension it would over-match.
      const db = new Database(file);
      db.exec(`
        DROP TRIGGER extensions_fts_insert;
        DROP TRIGGER extensions_fts_delete;
        DROP TRIGGER extensions_fts_update;
        DROP TABLE extensions_fts;
        CREATE VIRTUAL TABLE extensions_fts USING fts5(
          label_lc, content = 'extensions', content_rowid = 'id', tokenize = 'trigram'
        );
        CREATE TRIGGER extensions_fts_insert AFTER INSERT ON extensions BEGIN
          INSERT INTO extensions_fts (rowid, label_lc) VALUES (new.id, new.label_lc);
        END;
        CREATE TRIGGER extensions_fts_delete AFTER DELETE ON extensions BEGIN
          INSERT INTO extensions_fts (extensions_fts, rowid, label_lc) VALUES ('delete', old.id, old.label_lc);
        END;
        CREATE TRIGGER extensions_fts_update AFTER UPDATE OF label_lc ON extensions BEGIN
          INSERT INTO extensions_fts (extensions_fts, rowid, label_lc) VALUES ('delete', old.id, old.label_lc);
          INSERT INTO extensions_fts (rowid, label_lc) VALUES (new.id, new.label_lc);
        END;
        INSERT INTO extensions_fts (extensions_fts) VALUES ('rebuild');
        INSERT INTO extensions (number, num_sort, label, label_lc, site_id, type, status, voicemail)
          VALUES ('9301', 9301, 'Maſon Lodge', 'maſon lodge', 'hq', 'conference', 'active', 0);
        PRAGMA user_version = 1;
      `);
      expect(db.prepare("SELECT count(*) FROM extensions_fts WHERE extensions_fts MATCH '\"son\"' AND rowid = (SELECT id FROM extensions WHERE number = '9301')").pluck().get()).toBe(1);
      db.close();

      await pbx.restart({ seed: 'none' });
      const check = new Database(file, { readonly: true });
      try {
        expect(check.pragma('user_version', { simple: true })).toBeGreaterThanOrEqual(2);
        const sql = check.prepare("SELECT sql FROM sqlite_schema WHERE name = 'extensions_fts'").pluck().get() as string;
        expect(sql).toContain('case_sensitive 1');
      } finally {
        check.close();
      }
      const items = ((await pbx.api<ExtensionList>('GET', '/api/v1/extensions?limit=1000')).json as ExtensionList).items;
      expect(items).toHaveLength(301);
      for (const term of ['son', 'maſ', 'lodge', 'smith']) {
        const r = ExtensionListSchema.parse((await pbx.api('GET', `/api/v1/extensions?limit=1000&search=${encodeURIComponent(term)}`)).json);
        const want = items.filter((e) => e.label.toLowerCase().includes(term));
        expect(r.total, term).toBe(want.length);
        expect(r.items.map((e) => e.number), term).toEqual(want.map((e) => e.number));
      }
    } finally {
      await pbx.cleanup();
    }
  });
});

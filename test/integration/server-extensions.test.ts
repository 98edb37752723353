// Sites and the extensions list (paging, search, filters, totals) against the real reference PBX.
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

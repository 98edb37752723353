// The comparison of two exports (shared/export-diff.ts): per section, added / removed / changed items by their
// natural key, changes as dotted paths. Properties over generated exports: an export compared with itself
// differs in nothing; what a→b adds, b→a removes; one changed leaf is exactly one changed item with that path;
// an ETag never counts.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DIFF_SECTIONS, diffExports, diffIsEmpty, diffTotals, renderValue, type SectionDiff } from '../../shared/export-diff.js';
import { PbxExportSchema, type PbxExport } from '../../shared/export.js';
import {
  account, addressBan, allowEntry, device, exportFixture, extension, extensionLock, hexId, macOf, mapping, passkey, template, token,
} from '../helpers/export-fixture.js';

const sectionOf = (d: SectionDiff[], s: string) => d.find((x) => x.section === s)!;

/** Generated exports: a few of everything, with varied settings. */
const arbExport: fc.Arbitrary<PbxExport> = fc
  .record({
    exts: fc.uniqueArray(
      fc.record({
        n: fc.integer({ min: 1000, max: 1040 }),
        on: fc.boolean(),
        active: fc.boolean(),
        vm: fc.boolean(),
        def: fc.boolean(),
        label: fc.string({ maxLength: 6 }),
        version: fc.integer({ min: 1, max: 3 }),
      }),
      { selector: (e) => e.n, maxLength: 12 },
    ),
    tokens: fc.uniqueArray(fc.integer({ min: 1, max: 30 }), { maxLength: 5 }),
    tokenUsed: fc.boolean(),
    devices: fc.uniqueArray(fc.integer({ min: 0, max: 20 }), { maxLength: 5 }),
    bans: fc.uniqueArray(fc.integer({ min: 1, max: 200 }), { maxLength: 4 }),
    allow: fc.subarray(['10.0.0.0/8', '192.0.2.0/24', '2001:db8::/32']),
    accounts: fc.subarray(['ops', 'rec', 'script']),
    apiAccess: fc.boolean(),
    auditRows: fc.integer({ min: 0, max: 50 }),
  })
  .map((g) =>
    exportFixture((x) => {
      x.extensions = g.exts.map((e) =>
        extension(String(e.n), {
          label: e.label,
          status: e.active ? 'active' : 'inactive',
          voicemail: e.vm,
          version: e.version,
          protection: { enabled: e.on },
          credentials: { voicemail_pin: { isDefault: e.def } },
        }),
      );
      x.tokens = g.tokens.map((t) => token(hexId(t), g.tokenUsed ? {} : { lastUsedAt: null, lastUsedFrom: null }));
      x.passkeys = g.tokens.slice(0, 2).map((t) => passkey(hexId(t + 1000)));
      x.hotdesk.templates = [template(1), template(2, { brand: 'snom', isDefault: true })];
      x.hotdesk.devices = g.devices.map((i) => device(macOf(i), { state: i % 2 ? 'logged_in' : 'logged_out', extension: i % 2 ? '1001' : null }));
      x.hotdesk.mappings = g.exts.slice(0, 3).map((e, i) => mapping(String(e.n), { mac: g.devices[i] === undefined ? null : macOf(g.devices[i]!) }));
      x.lockouts.addresses = g.bans.map((b) => addressBan(b, `198.51.100.${b}`));
      x.lockouts.extensions = g.exts.slice(0, 2).map((e) => extensionLock(String(e.n), 'voicemail'));
      x.lockouts.allowlist = g.allow.slice(0, 1).map((c, i) => allowEntry(i + 1, c));
      x.adminAllowlist.entries = [...g.allow];
      x.accounts.push(...g.accounts.map((u) => account(u, { apiAccess: g.apiAccess })));
      x.audit.rows = g.auditRows;
    }),
  );

/** The items of each section, as mutable objects, and the fields that form (or feed) their key. */
const ITEMS: { section: string; items: (x: PbxExport) => object[]; keyFields: string[] }[] = [
  { section: 'pbx', items: (x) => [x.pbx], keyFields: [] },
  { section: 'sites', items: (x) => x.sites, keyFields: ['id'] },
  { section: 'extensions', items: (x) => x.extensions, keyFields: ['number'] },
  { section: 'pinPolicies', items: (x) => x.policies.pin, keyFields: ['kind', 'policy.kind'] },
  { section: 'lockoutPolicy', items: (x) => [x.policies.lockout], keyFields: [] },
  { section: 'extensionLocks', items: (x) => x.lockouts.extensions, keyFields: ['extension', 'credential'] },
  { section: 'addressBans', items: (x) => x.lockouts.addresses, keyFields: ['cidr'] },
  { section: 'lockoutAllowlist', items: (x) => x.lockouts.allowlist, keyFields: ['cidr'] },
  { section: 'devices', items: (x) => x.hotdesk.devices, keyFields: ['mac'] },
  { section: 'templates', items: (x) => x.hotdesk.templates, keyFields: ['brand', 'name'] },
  { section: 'mappings', items: (x) => x.hotdesk.mappings, keyFields: ['extension'] },
  { section: 'hotdeskPasswords', items: (x) => [x.hotdesk.passwords.user, x.hotdesk.passwords.admin, x.hotdesk.passwords.sharedLock], keyFields: [] },
  { section: 'accounts', items: (x) => x.accounts, keyFields: ['username'] },
  { section: 'tokens', items: (x) => x.tokens, keyFields: ['id'] },
  { section: 'passkeys', items: (x) => x.passkeys, keyFields: ['id'] },
  { section: 'audit', items: (x) => [x.audit], keyFields: [] },
];

/** Paths (as segments: a template setting's name may contain dots) to the primitive leaves, through plain objects only. */
function leaves(o: unknown, prefix: string[] = []): string[][] {
  if (typeof o !== 'object' || o === null || Array.isArray(o)) return prefix.length ? [prefix] : [];
  return Object.entries(o).flatMap(([k, v]) => (Array.isArray(v) ? [] : leaves(v, [...prefix, k])));
}

function setPath(o: object, path: string[], f: (v: unknown) => unknown): void {
  let cur = o as Record<string, unknown>;
  for (const p of path.slice(0, -1)) cur = cur[p] as Record<string, unknown>;
  const last = path[path.length - 1]!;
  cur[last] = f(cur[last]);
}

const other = (v: unknown): unknown =>
  typeof v === 'string' ? `${v}x` : typeof v === 'number' ? v + 1 : typeof v === 'boolean' ? !v : v === null ? 'x' : 'y';

describe('diffExports', () => {
  it('answers every section, in order, for two equal exports with nothing', () => {
    const a = exportFixture();
    const d = diffExports(a, structuredClone(a));
    expect(d.map((s) => s.section)).toEqual(DIFF_SECTIONS.map((s) => s.section));
    expect(diffIsEmpty(d)).toBe(true);
    expect(diffTotals(d)).toEqual({ added: 0, removed: 0, changed: 0 });
  });

  it('lists added, removed and changed extensions with dotted paths', () => {
    const a = exportFixture((x) => x.extensions.push(extension('1001'), extension('1002'), extension('1003')));
    const b = exportFixture((x) => {
      x.extensions.push(
        extension('1001', { protection: { enabled: false }, credentials: { voicemail_pin: { isDefault: true } }, version: 2, etag: '"v2"' }),
        extension('1003'),
        extension('1004', { label: 'New desk' }),
      );
    });
    PbxExportSchema.parse(b);
    const d = sectionOf(diffExports(a, b), 'extensions');
    expect(d.added).toEqual([{ key: '1004', label: '1004 New desk' }]);
    expect(d.removed).toEqual([{ key: '1002', label: '1002 User 1002' }]);
    expect(d.changed).toEqual([
      {
        key: '1001',
        label: '1001 User 1001',
        fields: [
          { path: 'protection.enabled', before: 'true', after: 'false' },
          { path: 'credentials.voicemail_pin.isDefault', before: 'false', after: 'true' },
          { path: 'version', before: '1', after: '2' },
        ],
      },
    ]);
  });

  it('keys devices by the normal form of their MAC, renders lists and absent values short', () => {
    const a = exportFixture((x) => {
      x.hotdesk.devices.push(device('001565aa0001'));
      x.accounts.push(account('ops', { sites: ['hq'], emails: [] }));
    });
    const b = exportFixture((x) => {
      x.hotdesk.devices.push(device('00:15:65:AA:00:01', { firmware: 'f'.repeat(200) }));
      x.accounts.push(account('ops', { sites: ['hq', 'branch'], emails: ['a@example.com'] }));
    });
    const d = diffExports(a, b);
    const dev = sectionOf(d, 'devices');
    expect(dev.added).toEqual([]);
    expect(dev.changed[0]!.key).toBe('00:15:65:AA:00:01');
    expect(dev.changed[0]!.fields.find((f) => f.path === 'firmware')!.after).toHaveLength(80);
    expect(sectionOf(d, 'accounts').changed[0]!.fields).toEqual([
      { path: 'sites', before: 'hq', after: 'hq, branch' },
      { path: 'emails', before: '(empty list)', after: 'a@example.com' },
    ]);
    expect(renderValue(undefined)).toBe('(absent)');
    expect(renderValue(null)).toBe('(none)');
  });

  it('compares the audit summary per action and the lockout policy per value', () => {
    const a = exportFixture();
    const b = exportFixture((x) => {
      x.audit.byAction = [{ action: 'session.login', count: 12 }, { action: 'protection.block', count: 1 }];
      x.policies.lockout.policy.extension.threshold = 7;
      x.policies.lockout.etag = '"v2"';
      x.adminAllowlist.entries = ['10.0.0.0/8', '192.0.2.0/24'];
    });
    const d = diffExports(a, b);
    expect(sectionOf(d, 'audit').changed[0]!.fields).toEqual([
      { path: 'byAction.session.login', before: '10', after: '12' },
      { path: 'byAction.protection.block', before: '(absent)', after: '1' },
    ]);
    expect(sectionOf(d, 'lockoutPolicy').changed[0]!.fields).toEqual([{ path: 'policy.extension.threshold', before: '5', after: '7' }]);
    expect(sectionOf(d, 'adminAllowlist').added).toEqual([{ key: '192.0.2.0/24', label: '192.0.2.0/24' }]);
  });

  it('property: an export compared with itself differs in nothing', () => {
    fc.assert(
      fc.property(arbExport, (a) => {
        expect(diffIsEmpty(diffExports(a, a))).toBe(true);
        expect(diffIsEmpty(diffExports(a, structuredClone(a)))).toBe(true);
      }),
    );
  });

  it('property: what a→b adds, b→a removes (and the changes swap sides)', () => {
    fc.assert(
      fc.property(arbExport, arbExport, (a, b) => {
        const ab = diffExports(a, b);
        const ba = diffExports(b, a);
        ab.forEach((s, i) => {
          const r = ba[i]!;
          expect(r.section).toBe(s.section);
          expect(s.added).toEqual(r.removed);
          expect(s.removed).toEqual(r.added);
          const swapped = new Map(r.changed.map((c) => [c.key, c.fields.map((f) => ({ path: f.path, before: f.after, after: f.before }))]));
          expect(new Map(s.changed.map((c) => [c.key, c.fields]))).toEqual(swapped);
        });
      }),
    );
  });

  it('property: one changed field is exactly one changed item with that path; an ETag change is nothing', () => {
    const arbCase = arbExport.chain((a) => {
      const targets = ITEMS.flatMap((s) =>
        s.items(a).flatMap((_, index) =>
          leaves(s.items(a)[index])
            .filter((p) => !s.keyFields.includes(p.join('.')) && p.join('.') !== 'etag')
            .map((path) => ({ section: s.section, index, path })),
        ),
      );
      return fc.tuple(fc.constant(a), fc.constantFrom(...targets));
    });
    fc.assert(
      fc.property(arbCase, ([a, t]) => {
        const b = structuredClone(a);
        const spec = ITEMS.find((s) => s.section === t.section)!;
        setPath(spec.items(b)[t.index]!, t.path, other);
        const d = diffExports(a, b);
        const hit = d.filter((s) => s.added.length || s.removed.length || s.changed.length);
        // the site counts and the hot-desk passwords are single items under another path
        expect(hit.map((s) => s.section)).toEqual([t.section]);
        const s = hit[0]!;
        expect(s.added).toEqual([]);
        expect(s.removed).toEqual([]);
        expect(s.changed).toHaveLength(1);
        expect(s.changed[0]!.fields.map((f) => f.path)).toEqual([t.path.join('.')]);
        const f = s.changed[0]!.fields[0]!;
        expect(f.before).not.toBe(f.after);
      }),
    );
    fc.assert(
      fc.property(arbExport, (a) => {
        const b = structuredClone(a);
        for (const e of b.extensions) e.etag = '"changed"';
        b.policies.lockout.etag = '"changed"';
        for (const m of b.hotdesk.mappings) m.etag = '"changed"';
        expect(diffIsEmpty(diffExports(a, b))).toBe(true);
      }),
    );
  });

  it('keeps two items with the same key apart (a hand-edited file)', () => {
    const a = exportFixture((x) => x.lockouts.addresses.push(addressBan(1, '198.51.100.7'), addressBan(2, '198.51.100.7')));
    const b = exportFixture((x) => x.lockouts.addresses.push(addressBan(1, '198.51.100.7')));
    const d = sectionOf(diffExports(a, b), 'addressBans');
    expect(d.removed).toEqual([{ key: '198.51.100.7 #2', label: '198.51.100.7' }]);
    expect(d.changed).toEqual([]);
  });
});

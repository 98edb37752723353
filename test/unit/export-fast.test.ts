// Issue 7: the export reader's fast path for the extensions (shared/export-fast.ts) must be exactly
// `ExtensionSchema`: the same values accepted and refused — generated extensions, valid and mutated (a field
// deleted, retyped, set to an edge value; unknown keys; keys in another order; nested objects changed) — and,
// when accepted, the same output (values, keys present, key order). And readExportText gives what
// PbxExportSchema.parse gives, whichever path it took.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ExtensionSchema } from '../../shared/domain.js';
import { EXPORT_LIMITS, PbxExportSchema } from '../../shared/export.js';
import { checkExtension, checkExtensions, fastPathMatchesSchema } from '../../shared/export-fast.js';
import { readExportText } from '../../shared/export-reader.js';
import { exportFixture, extension } from '../helpers/export-fixture.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** The value with every object's keys listed in order (toStrictEqual ignores key order). */
function shapeOf(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(shapeOf);
  if (v && typeof v === 'object') return Object.entries(v).map(([k, x]) => [k, shapeOf(x)]);
  return v;
}

/** Edge values of every type, the valid ones of each field among them. */
const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(
    null, undefined, true, false, 0, -1, 1, 1.5, 2 ** 53, 2 ** 53 - 1, Number.MAX_VALUE, NaN, Infinity, -Infinity, -0,
    '', '1', '12', '1234567890', '12345678901', '12a', ' 12', '12\n', 'active', 'inactive', 'blocked', 'unrestricted',
    'ring', 'voicemail', 'rejected', 'phone_terminal', 'queue', 'fax', 'x', [], {}, [1], { a: 1 },
  ),
  fc.string(),
  fc.integer(),
  fc.double(),
  fc.boolean(),
);

const meta = fc.record(
  {
    set: fc.boolean(),
    isDefault: fc.boolean(),
    setAt: fc.option(fc.string(), { nil: null }),
    compliant: fc.option(fc.boolean(), { nil: null }),
    meetsCurrentPolicy: fc.option(fc.boolean(), { nil: null }),
  },
  { requiredKeys: ['set', 'isDefault', 'setAt', 'compliant'] },
);

const validExtension = fc.record(
  {
    number: fc.stringMatching(/^[0-9]{2,10}$/),
    label: fc.string(),
    siteId: fc.string(),
    type: fc.constantFrom('phone_terminal', 'queue', 'ivr', 'conference', 'fax'),
    status: fc.constantFrom('active', 'inactive'),
    voicemail: fc.boolean(),
    protection: fc.record({
      enabled: fc.boolean(),
      state: fc.constantFrom('unrestricted', 'blocked'),
      passwordSet: fc.boolean(),
      changedAt: fc.option(fc.string(), { nil: null }),
      changedBy: fc.option(fc.string(), { nil: null }),
      changedFrom: fc.option(fc.string(), { nil: null }),
    }),
    incomingCalls: fc.constantFrom('ring', 'voicemail', 'rejected'),
    credentials: fc.record({ voicemail_pin: meta, login_code: meta, phone_password: meta, user_password: meta }),
    voicemailTrusted: fc.boolean(),
    version: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
    etag: fc.string(),
  },
  { requiredKeys: ['number', 'label', 'siteId', 'type', 'status', 'voicemail', 'protection', 'incomingCalls', 'version', 'etag'] },
) as fc.Arbitrary<Record<string, unknown>>;

/** Every path to a value in an object (nested objects included). */
function paths(v: unknown, p: string[] = []): string[][] {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return [];
  return Object.entries(v).flatMap(([k, x]) => [[...p, k], ...paths(x, [...p, k])]);
}

type Mutation = (x: Record<string, unknown>) => void;
const parentOf = (x: Record<string, unknown>, p: string[]) => {
  let o = x;
  for (const k of p.slice(0, -1)) o = o[k] as Record<string, unknown>;
  return o;
};
/** A mutation picks its path with `pick` (an index into the object's paths at the time). */
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.tuple(fc.nat(), anyValue).map(([pick, value]): Mutation => (x) => {
    const all = paths(x);
    if (all.length === 0) return;
    const p = all[pick % all.length]!;
    parentOf(x, p)[p[p.length - 1]!] = value;
  }),
  fc.nat().map((pick): Mutation => (x) => {
    const all = paths(x);
    if (all.length === 0) return;
    const p = all[pick % all.length]!;
    delete parentOf(x, p)[p[p.length - 1]!];
  }),
  // an unknown key (zod drops it), anywhere, also named like a known key of another level
  fc.tuple(fc.nat(), fc.constantFrom('extra', 'state', 'number', 'set', 'credentials', '__proto__', 'toString'), anyValue).map(
    ([pick, key, value]): Mutation => (x) => {
      const objects = [[], ...paths(x)].filter((p) => {
        const o = p.length ? parentOf(x, p)[p[p.length - 1]!] : x;
        return o && typeof o === 'object' && !Array.isArray(o);
      });
      const p = objects[pick % objects.length]!;
      const o = (p.length ? parentOf(x, p)[p[p.length - 1]!] : x) as Record<string, unknown>;
      Object.defineProperty(o, key, { value, enumerable: true, configurable: true, writable: true });
    },
  ),
  // the keys of an object in another order
  fc.tuple(fc.nat(), fc.nat()).map(([pick, rot]): Mutation => (x) => {
    const objects = [[], ...paths(x)].filter((p) => {
      const o = p.length ? parentOf(x, p)[p[p.length - 1]!] : x;
      return o && typeof o === 'object' && !Array.isArray(o);
    });
    const p = objects[pick % objects.length]!;
    const o = (p.length ? parentOf(x, p)[p[p.length - 1]!] : x) as Record<string, unknown>;
    const entries = Object.entries(o);
    if (entries.length < 2) return;
    const r = rot % entries.length;
    for (const [k] of entries) delete o[k];
    for (const [k, v] of [...entries.slice(r), ...entries.slice(0, r)]) o[k] = v;
  }),
);

function agree(x: unknown): void {
  const zod = ExtensionSchema.safeParse(x);
  const fast = checkExtension(x);
  expect(fast !== undefined, `zod says ${zod.success ? 'valid' : JSON.stringify(zod.error?.issues[0])}`).toBe(zod.success);
  if (zod.success) {
    expect(fast).toStrictEqual(zod.data);
    expect(shapeOf(fast)).toEqual(shapeOf(zod.data));
  }
}

describe('the extensions fast path (shared/export-fast.ts)', () => {
  it('was written for the schema as it is', () => {
    expect(fastPathMatchesSchema).toBe(true);
  });

  it('accepts what ExtensionSchema accepts and gives the same output (valid extensions)', () => {
    fc.assert(fc.property(validExtension, (x) => agree(x)), { numRuns: 500 });
  });

  it('accepts and refuses the same mutated extensions, with the same output', () => {
    fc.assert(
      fc.property(validExtension, fc.array(mutation, { minLength: 1, maxLength: 4 }), (x, ms) => {
        for (const m of ms) m(x);
        agree(x);
        // after a JSON round trip too (what the reader sees: no undefined, no NaN, own keys only)
        const json = JSON.stringify(x);
        if (json !== undefined) agree(JSON.parse(json) as Json);
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses what is not an extension at all', () => {
    for (const x of [null, undefined, 1, 'x', [], [extension('1000')], true]) agree(x);
  });

  it('the array: the same as z.array(ExtensionSchema), or undefined (then zod decides)', () => {
    const list = [extension('1000'), extension('1001', { credentials: null }), extension('1002')];
    expect(checkExtensions(list, EXPORT_LIMITS.extensions)).toStrictEqual(ExtensionSchema.array().parse(list));
    expect(checkExtensions(list, 2)).toBeUndefined();
    expect(checkExtensions([...list, { ...extension('1003'), version: 0 }], 10)).toBeUndefined();
    expect(checkExtensions({ 0: list[0], length: 1 }, 10)).toBeUndefined();
  });

  it('readExportText gives PbxExportSchema.parse’s output, keys in order, on either path', () => {
    const doc = exportFixture((x) => {
      x.extensions = [
        extension('1000'),
        extension('1001', { credentials: null }),
        { ...extension('1002'), extra: 'dropped' } as never,
        Object.fromEntries(Object.entries(extension('1003')).reverse()) as never,
      ];
    });
    for (const text of [JSON.stringify(doc), JSON.stringify({ ...doc, extensions: [] })]) {
      const r = readExportText(text);
      const expected = PbxExportSchema.parse(JSON.parse(text));
      expect(r.ok && r.data).toStrictEqual(expected);
      expect(shapeOf(r.ok && r.data)).toEqual(shapeOf(expected));
    }
    // a bad extension: zod's message, as before
    const bad = JSON.stringify({ ...doc, extensions: [extension('1000'), { ...extension('1001'), type: 'modem' }] });
    expect(readExportText(bad)).toMatchObject({ ok: false, code: 'invalid', path: 'extensions[1].type' });
    // good extensions, a bad rest: zod names the rest's problem
    expect(readExportText(JSON.stringify({ ...doc, exportedBy: 7 }))).toMatchObject({ ok: false, code: 'invalid', path: 'exportedBy' });
    expect(readExportText(JSON.stringify({ ...doc, surprise: 1 }))).toMatchObject({ ok: false, code: 'invalid', path: 'surprise' });
  });
});

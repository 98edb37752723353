// Property-based fuzzing from JSON Schema (the PBX's OpenAPI document, or zod's toJSONSchema of an RPC channel):
// fast-check arbitraries for values that fit a schema, and for "bad" values that break it at a known field.
// The generators are deliberately approximate (zod refinements are not in the schema): callers check every
// generated value against the real zod schema and keep only what they need (valid bases, invalid payloads).
import fc from 'fast-check';

export type Json = Record<string, unknown>;

/** A mutated value and the field (dotted path, '(root)' for the whole value) the mutation broke. */
export interface Mutation {
  value: unknown;
  field: string;
  /** What was done, for failure messages. */
  how: string;
}

export interface SchemaFuzzer {
  /** Values that fit the schema as far as JSON Schema tells. */
  valid(schema: Json): fc.Arbitrary<unknown>;
  /** Values broken at one field (the rest fitting the schema). `path` is the dotted path of `schema` itself. */
  bad(schema: Json, path?: string): fc.Arbitrary<Mutation>;
}

const MAX_INT = 1_000_000;

/** Strings a parser or a path should never trip over. */
export const NASTY_STRINGS: readonly string[] = [
  '', ' ', '\t', '\u0000', '\u0000abc', 'a\u0000b', '\u0007\u001b[31m', '\r\n', '\u2028\u2029', '\uFEFF', '\u202Eevil',
  '../', '../../etc/passwd', '..\\..\\windows', '%00', '%2e%2e%2f', '%', '%%', '%E0%A4%A', '\uD800', '\uDFFF',
  '__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'null', 'undefined', 'NaN', 'Infinity', '-0', '1e309',
  "' OR 1=1 --", '"; DROP TABLE extensions; --', '<script>alert(1)</script>', '${7*7}', '{{7*7}}', '=cmd|/c calc!A0',
  '\u{1F600}'.repeat(40), 'é'.repeat(70), 'A'.repeat(300), '9'.repeat(40), '0x10', '1.5', ' 1000 ', '+1000', '１２３４',
];

/** Junk of every JSON type, including deep nesting, prototype keys, huge strings and control characters. */
export function junk(): fc.Arbitrary<unknown> {
  const leaf = fc.oneof(
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.constantFrom(0, -1, 1.5, -1e308, 1e308, 2 ** 53 + 2, -(2 ** 53) - 2, Number.MIN_VALUE),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.constantFrom(...NASTY_STRINGS),
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.string({ unit: fc.constantFrom('\u0000', '\u0001', '\u001f', '\u007f', '\u0085', '\u00a0', '\u200b', 'a'), maxLength: 30 }),
    fc.integer({ min: 1000, max: 20_000 }).map((n) => 'x'.repeat(n)),
  );
  const nested = fc.integer({ min: 20, max: 3000 }).chain((depth) =>
    fc.constantFrom('array', 'object').map((kind) => {
      let v: unknown = 1;
      for (let i = 0; i < depth; i++) v = kind === 'array' ? [v] : { a: v };
      return v;
    }),
  );
  const proto = fc.constantFrom<unknown>(
    JSON.parse('{"__proto__":{"isAdmin":true,"role":"admin"}}'),
    JSON.parse('{"constructor":{"prototype":{"polluted":1}}}'),
    JSON.parse('["__proto__"]'),
  );
  return fc.oneof(
    { weight: 6, arbitrary: leaf },
    { weight: 2, arbitrary: fc.array(leaf, { maxLength: 5 }) },
    { weight: 2, arbitrary: fc.dictionary(fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom(...NASTY_STRINGS)), leaf, { maxKeys: 4 }) },
    { weight: 1, arbitrary: nested },
    { weight: 1, arbitrary: proto },
  );
}

function typeOf(schema: Json): string | undefined {
  const t = schema['type'];
  return typeof t === 'string' ? t : Array.isArray(t) ? (t[0] as string) : undefined;
}

function join(path: string, key: string | number): string {
  return path ? `${path}.${key}` : String(key);
}

/**
 * Valid values for properties whose rules JSON Schema cannot say (zod refinements: a time zone, a MAC, an
 * address block), by property name, so that valid bases are found without endless filtering.
 */
export const DEFAULT_HINTS: Record<string, fc.Arbitrary<unknown>> = {
  timeZone: fc.constantFrom('UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata'),
  mac: fc.constantFrom('00:15:65:AB:CD:EF', '001565abcd01', '00-15-65-ab-cd-02', '0015.65ab.cd03'),
  cidr: fc.constantFrom('192.0.2.1', '198.51.100.0/24', '2001:db8::/32', '10.0.0.0/8'),
  entries: fc.array(fc.constantFrom('127.0.0.1', '::1', '192.0.2.0/24', '2001:db8::1'), { maxLength: 3 }),
  from: fc.constantFrom('2030-01-15T09:00:00Z', '2026-01-01T00:00:00.000Z'),
  to: fc.constantFrom('2031-01-15T09:00:00Z', '2030-06-01T12:30:00+02:00'),
  url: fc.constantFrom('http://127.0.0.1:8080', 'https://pbx.example.com', 'http://localhost:1'),
};

/** Fuzzers over one JSON Schema document (for $ref resolution: '#/components/schemas/X' or '#/$defs/X'). */
export function schemaFuzzer(root: Json, hints: Record<string, fc.Arbitrary<unknown>> = DEFAULT_HINTS): SchemaFuzzer {
  const resolve = (schema: Json): Json => {
    let s = schema;
    for (let i = 0; i < 20 && typeof s['$ref'] === 'string'; i++) {
      const parts = (s['$ref'] as string).replace(/^#\//, '').split('/');
      let node: unknown = root;
      for (const p of parts) node = (node as Json | undefined)?.[p];
      if (!node) throw new Error(`unresolved $ref ${String(s['$ref'])}`);
      s = node as Json;
    }
    return s;
  };

  const valid = (input: Json, depth = 0): fc.Arbitrary<unknown> => {
    const s = resolve(input);
    if ('const' in s) return fc.constant(s['const']);
    if (Array.isArray(s['enum'])) return fc.constantFrom(...(s['enum'] as unknown[]));
    const branches = (s['anyOf'] ?? s['oneOf']) as Json[] | undefined;
    if (branches) return fc.oneof(...branches.map((b) => valid(b, depth + 1)));
    if (Array.isArray(s['allOf'])) return valid(Object.assign({}, ...(s['allOf'] as Json[]).map(resolve)) as Json, depth + 1);
    switch (typeOf(s)) {
      case 'string': {
        const min = (s['minLength'] as number | undefined) ?? 0;
        const max = Math.min((s['maxLength'] as number | undefined) ?? 24, Math.max(min, 24));
        if (typeof s['pattern'] === 'string') {
          // the pattern decides the length (a fingerprint is 64+ characters); only the schema's own bounds apply
          const upper = (s['maxLength'] as number | undefined) ?? Infinity;
          return fc.stringMatching(new RegExp(s['pattern'] as string)).filter((v) => v.length >= min && v.length <= upper);
        }
        return fc.string({ minLength: min, maxLength: max });
      }
      case 'integer':
      case 'number': {
        const exMin = s['exclusiveMinimum'] as number | undefined;
        const exMax = s['exclusiveMaximum'] as number | undefined;
        let min = Math.max((s['minimum'] as number | undefined) ?? -MAX_INT, exMin !== undefined ? exMin + 1 : -MAX_INT, -MAX_INT);
        let max = Math.min((s['maximum'] as number | undefined) ?? MAX_INT, exMax !== undefined ? exMax - 1 : MAX_INT, MAX_INT);
        if (min > max) [min, max] = [max, min];
        const ints = fc.integer({ min: Math.ceil(min), max: Math.floor(max) });
        return typeOf(s) === 'integer' ? ints : fc.oneof(ints, fc.double({ min, max, noNaN: true, noDefaultInfinity: true }));
      }
      case 'boolean':
        return fc.boolean();
      case 'null':
        return fc.constant(null);
      case 'array': {
        const min = (s['minItems'] as number | undefined) ?? 0;
        const max = Math.min((s['maxItems'] as number | undefined) ?? 3, min + 3);
        if (depth > 6) return fc.constant([]);
        return fc.array(valid((s['items'] as Json | undefined) ?? {}, depth + 1), { minLength: min, maxLength: max });
      }
      case 'object': {
        const props = (s['properties'] ?? {}) as Record<string, Json>;
        const required = (s['required'] ?? []) as string[];
        const addl = s['additionalProperties'];
        if (Object.keys(props).length === 0 && addl && typeof addl === 'object' && Object.keys(addl).length) {
          return fc.dictionary(fc.stringMatching(/^[a-z][a-z0-9_]{0,10}$/), valid(addl as Json, depth + 1), { maxKeys: 3 });
        }
        const model: Record<string, fc.Arbitrary<unknown>> = {};
        // a hint replaces the schema's own generator (callers rely on it, e.g. for an etag that is never '*')
        for (const [k, v] of Object.entries(props)) model[k] = hints[k] ?? valid(v, depth + 1);
        return fc.record(model, { requiredKeys: required.filter((k) => k in props) });
      }
      default:
        // {} (z.unknown): any small JSON value
        return fc.jsonValue({ maxDepth: 2 });
    }
  };

  const bad = (input: Json, path = '', depth = 0): fc.Arbitrary<Mutation> => {
    const s = resolve(input);
    const field = path || '(root)';
    const here = (arb: fc.Arbitrary<unknown>, how: string): fc.Arbitrary<Mutation> => arb.map((value) => ({ value, field, how }));
    const options: fc.Arbitrary<Mutation>[] = [here(junk(), 'junk')];
    if ('const' in s || Array.isArray(s['enum'])) {
      options.push(here(fc.oneof(fc.constantFrom(...NASTY_STRINGS), fc.string({ maxLength: 12 })), 'not one of the options'));
    }
    const branches = (s['anyOf'] ?? s['oneOf']) as Json[] | undefined;
    if (branches && depth < 8) options.push(...branches.map((b) => bad(b, path, depth + 1)));
    switch (typeOf(s)) {
      case 'string': {
        const min = s['minLength'] as number | undefined;
        const max = s['maxLength'] as number | undefined;
        if (max !== undefined) {
          options.push(here(fc.integer({ min: max + 1, max: Math.max(max + 1, Math.min(max + 5000, 60_000)) }).map((n) => 'a'.repeat(n)), 'too long'));
        }
        if (min !== undefined && min > 0) options.push(here(fc.constant(''), 'empty'));
        if (typeof s['pattern'] === 'string') {
          const re = new RegExp(s['pattern'] as string);
          options.push(here(fc.oneof(fc.constantFrom(...NASTY_STRINGS), fc.string({ unit: 'binary', maxLength: 20 })).filter((v) => !re.test(v)), 'off the pattern'));
        }
        options.push(here(fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.string(), { maxLength: 2 })), 'not a string'));
        break;
      }
      case 'integer':
      case 'number': {
        const min = (s['minimum'] as number | undefined) ?? ((s['exclusiveMinimum'] as number | undefined) !== undefined ? (s['exclusiveMinimum'] as number) : undefined);
        const max = s['maximum'] as number | undefined;
        const out: unknown[] = ['1', '', true, null, [1], { n: 1 }, 1e308, -1e308];
        if (min !== undefined) out.push(min - 1, min - 1e9);
        if (max !== undefined) out.push(max + 1, max * 10 + 1);
        if (typeOf(s) === 'integer') out.push(1.5, 0.0001, -2.5);
        options.push(here(fc.constantFrom(...out), 'out of range or not a number'));
        break;
      }
      case 'boolean':
        options.push(here(fc.constantFrom('true', 0, 1, 'yes', null, []), 'not a boolean'));
        break;
      case 'array': {
        const maxItems = s['maxItems'] as number | undefined;
        const minItems = s['minItems'] as number | undefined;
        const items = (s['items'] as Json | undefined) ?? {};
        if (minItems !== undefined && minItems > 0) options.push(here(fc.constant([]), 'too few items'));
        if (maxItems !== undefined && maxItems <= 600) {
          options.push(here(valid(items).map((item) => Array.from({ length: maxItems + 1 }, () => item)), 'too many items'));
        }
        if (depth < 8) {
          options.push(
            fc.tuple(fc.array(valid(items, depth + 1), { minLength: Math.max(minItems ?? 0, 0), maxLength: (minItems ?? 0) + 2 }), fc.nat())
              .chain(([arr, at]) => {
                const i = arr.length ? at % (arr.length + 1) : 0;
                return bad(items, join(path, i), depth + 1).map((m) => {
                  const copy = [...arr];
                  copy[i] = m.value;
                  return { value: copy, field: m.field, how: `item ${i}: ${m.how}` };
                });
              }),
          );
        }
        options.push(here(fc.oneof(fc.string({ maxLength: 5 }), fc.integer(), fc.dictionary(fc.string({ maxLength: 3 }), fc.integer(), { maxKeys: 2 })), 'not an array'));
        break;
      }
      case 'object': {
        const props = (s['properties'] ?? {}) as Record<string, Json>;
        const keys = Object.keys(props);
        const required = ((s['required'] ?? []) as string[]).filter((k) => k in props);
        const closed = s['additionalProperties'] === false;
        const base = valid(s, depth + 1) as fc.Arbitrary<Record<string, unknown>>;
        if (required.length) {
          options.push(
            fc.tuple(base, fc.constantFrom(...required)).map(([obj, k]) => {
              const copy = { ...obj };
              delete copy[k];
              return { value: copy, field: join(path, k), how: `without required ${k}` };
            }),
          );
        }
        if (closed) {
          const extraKey = fc.oneof(fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,12}$/), fc.constantFrom('__proto__', 'constructor', 'toString', 'isAdmin', 'role', 'id', '$where'))
            .filter((k) => !(k in props));
          options.push(
            fc.tuple(base, extraKey, junk()).map(([obj, k, v]) => {
              const copy: Record<string, unknown> = { ...obj };
              Object.defineProperty(copy, k, { value: v, enumerable: true, configurable: true, writable: true });
              return { value: copy, field: join(path, k), how: `unknown key ${k}` };
            }),
          );
        }
        if (keys.length && depth < 8) {
          options.push(
            fc.tuple(base, fc.constantFrom(...keys)).chain(([obj, k]) =>
              bad(props[k] as Json, join(path, k), depth + 1).map((m) => {
                const copy: Record<string, unknown> = { ...obj };
                Object.defineProperty(copy, k, { value: m.value, enumerable: true, configurable: true, writable: true });
                return { value: copy, field: m.field, how: `${k}: ${m.how}` };
              }),
            ),
          );
        }
        options.push(here(fc.oneof(fc.array(fc.integer(), { maxLength: 2 }), fc.string({ maxLength: 5 }), fc.integer(), fc.constant(null)), 'not an object'));
        break;
      }
      default:
        break;
    }
    return fc.oneof(...options);
  };

  return { valid: (s) => valid(s), bad: (s, path = '') => bad(s, path) };
}

/** Does a reported field name the broken one (itself, inside it, or an object that holds it)? */
export function namesField(reported: string, broken: string): boolean {
  if (reported === broken || reported === '(root)' || broken === '(root)') return true;
  return reported.startsWith(`${broken}.`) || broken.startsWith(`${reported}.`);
}

/** Stack traces, file paths and internal error names never belong in a message meant for people. */
export const INTERNALS = /\bat [\w.<>]+ \(|\.ts:\d+|\.js:\d+|node_modules|FST_ERR|SQLITE_|TypeError|ReferenceError|RangeError|SyntaxError|Cannot read prop/;

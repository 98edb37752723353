// Fuzzing the REAL reference PBX from its own OpenAPI document (issue 8): every operation the served document
// lists gets generated bad payloads — wrong types, missing and unknown fields, huge strings, control
// characters, deep nesting, numbers out of range, odd path parameters, bad If-Match, foreign content types,
// malformed JSON — as admin, and a sample as receptionist, anonymous and with forged tokens. The bar: never a
// 5xx, never a dropped connection, every refusal the one typed error shape ({error:{code,message,details}},
// validation details naming the broken field), and nothing stored changed (the configuration export before and
// after, minus what a read legitimately touches: the export time and the tokens' "last used").
//
// Which payloads are bad is decided by the route table's own zod schemas (the server validates with them):
// generated requests that happen to be valid are dropped, so no write ever succeeds. Login and device
// sign-ins are fuzzed with invalid bodies only (a valid body with a wrong password legitimately feeds the
// lockout counters); HTTP Basic with a well-formed username:password is left out for the same reason (it
// counts as a failed login on the address) — server-accounts.test.ts covers it.
import { request as rawRequest, type IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { rolesOf, routes, type RouteDef } from '../../shared/api.js';
import { ApiErrorSchema } from '../../shared/errors.js';
import { startTestPbx, type TestPbx } from '../helpers/server.js';
import { INTERNALS, NASTY_STRINGS, junk, namesField, schemaFuzzer, type Json, type Mutation } from '../helpers/fuzz-schema.js';

/** Runs per operation for the bad-payload property (85 operations; the file takes about 15–20 s on an idle 2-core box). */
const RUNS = Number(process.env['FUZZ_RUNS'] ?? 8);

interface Op {
  method: string;
  path: string;
  operationId: string;
  auth: string;
  roles: string[];
  params: Json | null;
  query: Json | null;
  body: Json | null;
  ifMatch: boolean;
  def: RouteDef;
}

interface FuzzRequest {
  op: Op;
  params: Record<string, string>;
  /** Path parameters sent as they are (not percent-encoded): the server's view of them is not predictable. */
  rawPath: boolean;
  /** A path parameter was broken (the request may not reach the route at all). */
  pathMutated: boolean;
  query: [string, string][];
  body: { text: string; contentType: string | null } | null;
  /** The server's view of the body (what the oracle checks); undefined = no body. */
  parsedBody: unknown;
  ifMatch: string | null;
  /** The broken field, when one is known. */
  field: string | null;
  how: string;
}

interface Plain {
  params: Record<string, string>;
  query: Record<string, string>;
  body: unknown;
}

/** The parts of the configuration export the tests pick real resources from. */
interface ExportLike {
  extensions: { number: string }[];
  hotdesk: { templates: { id: number }[] };
  accounts: { username: string }[];
  sites: { id: string }[];
}

interface Res {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  json: unknown;
}

/** One request on a fresh connection; rejects when the connection drops or nothing comes back in 15 s. */
function send(base: string, method: string, path: string, headers: Record<string, string>, body?: string | Buffer): Promise<Res> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const h: Record<string, string> = { ...headers };
    if (body !== undefined) h['content-length'] ??= String(Buffer.byteLength(body));
    const req = rawRequest({ host: u.hostname, port: u.port, method, path, headers: h, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = text ? JSON.parse(text) : undefined;
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
      res.on('error', reject);
    });
    req.setTimeout(15_000, () => req.destroy(new Error(`no answer to ${method} ${path.slice(0, 120)} within 15 s`)));
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

/** The one error shape: {error:{code,message,details?}}, nothing else, no internals; validation names fields. */
function expectTypedError(r: Res, what: string): z.infer<typeof ApiErrorSchema>['error'] {
  expect(r.status, `${what}: ${r.status} ${r.text.slice(0, 300)}`).toBeGreaterThanOrEqual(400);
  expect(r.status, `${what}: ${r.status} ${r.text.slice(0, 300)}`).toBeLessThan(500);
  expect(r.headers['content-type'], what).toMatch(/^application\/json/);
  const parsed = ApiErrorSchema.strict().safeParse(r.json);
  expect(parsed.success, `${what}: not the typed error shape: ${r.text.slice(0, 300)}`).toBe(true);
  const error = (parsed.data as z.infer<typeof ApiErrorSchema>).error;
  expect(error.message.length, what).toBeGreaterThan(0);
  expect(error.message, what).not.toMatch(INTERNALS);
  if (error.code === 'validation_failed') {
    expect(error.details?.length, `${what}: validation without details`).toBeGreaterThan(0);
    for (const d of error.details ?? []) {
      expect(d.field.length, what).toBeGreaterThan(0);
      expect(d.message.startsWith(`${d.field}: `), `${what}: "${d.message}" does not start with its field`).toBe(true);
      expect(d.message, what).not.toMatch(INTERNALS);
    }
  }
  return error;
}

const NoInput = z.object({}).strict();

/** Would the server refuse this request at validation (params, query, body: the route table's zod schemas)? */
function refusedByValidation(req: FuzzRequest): boolean {
  const { def } = req.op;
  const check = (schema: z.ZodType | undefined, value: unknown): boolean => {
    if (!schema) return value === undefined || value === null || NoInput.safeParse(value).success;
    return schema.safeParse(value).success;
  };
  const query: Record<string, string | string[]> = {};
  for (const [k, v] of req.query) {
    const prev = query[k];
    query[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  const ok =
    check(def.params, def.params ? req.params : Object.keys(req.params).length ? req.params : undefined) &&
    check(def.query, Object.keys(query).length ? query : def.query ? {} : undefined) &&
    (def.method === 'GET' || check(def.body, req.parsedBody));
  return !ok;
}

function pathOf(req: FuzzRequest): string {
  const path = req.op.path.replace(/\{(\w+)\}/g, (_, k: string) => {
    const v = req.params[k] ?? '';
    return req.rawPath ? v : encodeURIComponent(v);
  });
  const qs = req.query.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
  return qs ? `${path}?${qs}` : path;
}

function asQueryValue(v: unknown): string[] {
  if (Array.isArray(v)) return v.length ? v.map((x) => (typeof x === 'string' ? x : JSON.stringify(x) ?? '')) : [''];
  if (typeof v === 'string') return [v];
  return [JSON.stringify(v) ?? ''];
}

/** Printable ASCII (what a header may carry), without making the "any version" tag '*'. */
const headerText = fc.string({ unit: fc.constantFrom(...'abcXYZ019"\'/,;:=*-_ W\t\\{}[]<>'.split('')), maxLength: 60 });
const forgedIfMatch = fc
  .oneof(
    headerText,
    fc.constantFrom('W/"1"', '"0"', '"v999999"', 'null', 'undefined', ',', ' , ', '"*"', 'W/*', '**', '%2A', '\t'),
    fc.integer({ min: 100, max: 8000 }).map((n) => `"${'e'.repeat(n)}"`),
  )
  // not the "any version" tag, and not blank (that is "no If-Match": 428, tested on its own)
  .filter((v) => v.trim() !== '' && !v.split(',').map((t) => t.trim()).includes('*'));

const MALFORMED_JSON = [
  '{', '}', '{"a":', '{"a":1,}', '[1,]', "{'a':1}", '{a:1}', 'NaN', 'undefined', '\u0000', '{"a":1}}', '{"a":"\u0000', '\uFEFF{}',
  '{"a":1} {"b":2}', '"unterminated', '{"a":01}', '{"a":1e}', '{"a":-}', '[' .repeat(100), '{"__proto__":', 'tru', 'nul',
];
const FOREIGN_TYPES = ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', 'application/json-patch+json', 'text/json', 'application/jsonx'];

describe('fuzzing the management and device API from the OpenAPI document', () => {
  let pbx: TestPbx;
  let doc: Json;
  let ops: Op[];
  let receptionToken: string;
  let before: Record<string, string>;
  let fuzz: ReturnType<typeof schemaFuzzer>;
  const stats = { sent: 0, byStatus: new Map<number, number>() };

  /**
   * The stored configuration, section by section, minus what a read touches: the export time, the tokens'
   * "last used", and the export's own audit rows (every export is audited as config.exported).
   */
  const snapshot = async (): Promise<Record<string, string>> => {
    const r = await pbx.api<Record<string, unknown>>('GET', '/api/v1/export');
    expect(r.status, r.text.slice(0, 200)).toBe(200);
    const { exportedAt: _t, tokens, audit, ...rest } = r.json;
    const stable = (tokens as Record<string, unknown>[]).map(({ lastUsedAt: _a, lastUsedFrom: _f, lastUsedUserAgent: _u, ...t }) => t);
    const a = audit as { rows: number; verify: { ok: boolean }; byAction: { action: string; count: number }[] };
    const exports = a.byAction.find((x) => x.action === 'config.exported')?.count ?? 0;
    const auditStable = { rows: a.rows - exports, chainOk: a.verify.ok, byAction: a.byAction.filter((x) => x.action !== 'config.exported') };
    return Object.fromEntries(Object.entries({ ...rest, tokens: stable, audit: auditStable }).map(([k, v]) => [k, JSON.stringify(v)]));
  };

  /** Name the sections that changed, with where they start to differ. */
  const changes = (a: Record<string, string>, b: Record<string, string>): string[] =>
    Object.keys({ ...a, ...b }).filter((k) => a[k] !== b[k]).map((k) => {
      const x = a[k] ?? '';
      const y = b[k] ?? '';
      let i = 0;
      while (i < x.length && x[i] === y[i]) i++;
      return `${k}: …${x.slice(Math.max(0, i - 150), i + 150)}… became …${y.slice(Math.max(0, i - 150), i + 150)}…`;
    });

  beforeAll(async () => {
    pbx = await startTestPbx({ credentialRate: { max: 100_000, windowMs: 10_000 } });
    const rl = await pbx.login('reception', pbx.receptionistPassword as string);
    expect(rl.status).toBe(201);
    receptionToken = rl.json.token;
    const d = await pbx.api<Json>('GET', '/api/v1/openapi.json', { token: null });
    expect(d.status).toBe(200);
    doc = d.json;
    fuzz = schemaFuzzer(doc);
    const byId = new Map((Object.values(routes) as RouteDef[]).map((r) => [r.operationId, r]));
    ops = [];
    for (const [path, item] of Object.entries(doc['paths'] as Record<string, Record<string, Json>>)) {
      for (const [method, op] of Object.entries(item)) {
        const parameters = (op['parameters'] ?? []) as { name: string; in: string; required: boolean; schema: Json }[];
        const group = (where: string): Json | null => {
          const list = parameters.filter((p) => p.in === where);
          if (!list.length) return null;
          return {
            type: 'object',
            properties: Object.fromEntries(list.map((p) => [p.name, p.schema])),
            required: list.filter((p) => p.required).map((p) => p.name),
            additionalProperties: false,
          };
        };
        const def = byId.get(op['operationId'] as string);
        if (!def) throw new Error(`the document has an operation the route table does not: ${String(op['operationId'])}`);
        const body = (op['requestBody'] as Json | undefined)?.['content'] as Record<string, { schema: Json }> | undefined;
        const entry = { method: method.toUpperCase(), path, operationId: op['operationId'] as string } as Op;
        // the rest stays out of fast-check's counterexamples (they print the enumerable fields)
        const hidden = {
          auth: op['x-auth'] as string,
          roles: (op['x-roles'] ?? []) as string[],
          params: group('path'),
          query: group('query'),
          body: body?.['application/json']?.schema ?? null,
          ifMatch: parameters.some((p) => p.in === 'header' && p.name === 'If-Match'),
          def,
        };
        for (const [k, v] of Object.entries(hidden)) Object.defineProperty(entry, k, { value: v, enumerable: false });
        ops.push(entry);
      }
    }
    before = await snapshot();
  });

  afterEach(async () => {
    // nothing stored changed, after every test of this file
    expect(changes(before, await snapshot())).toEqual([]);
  });

  afterAll(async () => {
    if (stats.sent) console.info(`fuzz-api: ${stats.sent} requests; statuses ${[...stats.byStatus].sort().map(([s, n]) => `${s}×${n}`).join(' ')}`);
    await pbx?.cleanup();
  });

  const count = (r: Res) => {
    stats.sent++;
    stats.byStatus.set(r.status, (stats.byStatus.get(r.status) ?? 0) + 1);
  };

  /** Valid values of an object schema as strings (path and query parameters). */
  const stringsOf = (schema: Json | null): fc.Arbitrary<Record<string, string>> =>
    schema ? (fuzz.valid(schema) as fc.Arbitrary<Record<string, unknown>>).map((o) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, String(v)]))) : fc.constant({});

  /** A request to `op` broken in one place: a path parameter, the query, the body, or the body's encoding. */
  const badRequest = (op: Op): fc.Arbitrary<FuzzRequest> => {
    const plain: fc.Arbitrary<Plain> = fc.record({ params: stringsOf(op.params), query: stringsOf(op.query), body: op.body ? fuzz.valid(op.body) : fc.constant(undefined) });
    const make = (p: Plain, over: Partial<FuzzRequest>): FuzzRequest => {
      const req: FuzzRequest = {
        op,
        params: p.params,
        rawPath: false,
        pathMutated: false,
        query: Object.entries(p.query),
        body: p.body === undefined ? null : { text: JSON.stringify(p.body), contentType: 'application/json' },
        parsedBody: p.body,
        ifMatch: op.ifMatch ? '"x"' : null,
        field: null,
        how: '',
        ...over,
      };
      // a URL carries UTF-8: a lone surrogate cannot be sent, the server would see U+FFFD
      req.params = Object.fromEntries(Object.entries(req.params).map(([k, v]) => [k, wellFormed(v)]));
      req.query = req.query.map(([k, v]) => [wellFormed(k), wellFormed(v)]);
      if (req.field !== null) req.field = wellFormed(req.field);
      // a broken field is only named for sure when the rest was valid (JSON Schema cannot say every rule)
      if (req.field !== null && over.field !== undefined) {
        const base = make(p, {});
        if (refusedByValidation(base)) req.field = null;
      }
      return req;
    };
    const kinds: fc.Arbitrary<FuzzRequest>[] = [];
    // the query: one parameter broken, an unknown one, or one given twice
    if (op.query) {
      kinds.push(
        fc.tuple(plain, fuzz.bad(op.query)).map(([p, m]) => {
          const obj = (m.value && typeof m.value === 'object' && !Array.isArray(m.value) ? m.value : { [m.field]: m.value }) as Record<string, unknown>;
          const query = Object.entries(obj).flatMap(([k, v]) => asQueryValue(v).map((s) => [k, s] as [string, string]));
          return make(p, { query, field: m.field, how: `query ${m.how}` });
        }),
      );
    }
    kinds.push(
      fc.tuple(plain, fc.oneof(fc.constantFrom(...NASTY_STRINGS, 'limit', 'cursor', 'x'), fc.string({ minLength: 1, maxLength: 10 })), fc.constantFrom(...NASTY_STRINGS))
        .map(([p, k, v]) => make(p, { query: [...Object.entries(p.query), [k, v], ...(k in p.query ? [[k, v] as [string, string]] : [])], field: k === '' ? '(empty name)' : k, how: `query key ${JSON.stringify(k)}` })),
    );
    // a path parameter: off its schema (percent-encoded), or sent raw
    if (op.params) {
      const names = Object.keys((op.params['properties'] ?? {}) as Json);
      kinds.push(
        fc.tuple(plain, fc.constantFrom(...names)).chain(([p, name]) =>
          fuzz.bad(((op.params as Json)['properties'] as Record<string, Json>)[name] as Json, name)
            .filter((m) => typeof m.value === 'string' || typeof m.value === 'number')
            .map((m) => make(p, { params: { ...p.params, [name]: String(m.value) }, pathMutated: true, field: name, how: `path ${name}: ${m.how}` })),
        ),
        fc.tuple(plain, fc.constantFrom(...names), fc.constantFrom('..', '.', '%00', '%2e%2e%2f', '..%2F..%2Fsites', '%E0%A4%A', '%', '%%', '%u0000', 'a%2F..%2F..%2Fhealth', '%C0%AE%C0%AE'))
          .map(([p, name, v]) => make(p, { params: { ...p.params, [name]: v }, rawPath: true, pathMutated: true, field: name, how: `raw path ${name}=${v}` })),
        fc.tuple(plain, fc.constantFrom(...names), fc.integer({ min: 257, max: 3000 }))
          .map(([p, name, n]) => make(p, { params: { ...p.params, [name]: '7'.repeat(n) }, pathMutated: true, field: name, how: `path ${name} of ${n} digits` })),
      );
    }
    if (op.method !== 'GET') {
      // the body: broken at one field (or junk where the route takes none)
      if (op.body) {
        kinds.push(
          fc.tuple(plain, fuzz.bad(op.body)).map(([p, m]: [Plain, Mutation]) =>
            make(p, { body: { text: JSON.stringify(m.value) ?? 'null', contentType: 'application/json' }, parsedBody: m.value, field: m.field, how: `body ${m.how}` }),
          ),
        );
      } else {
        kinds.push(
          fc.tuple(plain, junk()).map(([p, v]) => make(p, { body: { text: JSON.stringify(v) ?? 'null', contentType: 'application/json' }, parsedBody: v, field: null, how: 'junk body on a route without one' })),
        );
      }
      // malformed JSON, or a valid-looking body cut short / with trailing junk
      kinds.push(
        fc.tuple(plain, fc.oneof(fc.constantFrom(...MALFORMED_JSON), fc.string({ unit: 'binary', minLength: 1, maxLength: 30 }).filter((s) => s.trim() !== '' && !isJson(s))))
          .map(([p, text]) => make(p, { body: { text, contentType: 'application/json' }, parsedBody: Symbol('malformed'), field: '(body)', how: `malformed JSON ${JSON.stringify(text).slice(0, 40)}` })),
        fc.tuple(plain, fc.constantFrom(...FOREIGN_TYPES, null), fc.constantFrom('a=1', '{"a":1}', '<x/>', 'x'.repeat(100)))
          .map(([p, type, text]) => make(p, { body: { text, contentType: type }, parsedBody: Symbol('foreign'), field: 'Content-Type', how: `Content-Type ${type}` })),
      );
    }
    return fc.oneof(...kinds).filter((r) => r.rawPath || typeof r.parsedBody === 'symbol' || refusedByValidation(r));
  };

  const headersFor = (req: FuzzRequest, token: string | null): Record<string, string> => {
    const h: Record<string, string> = {};
    if (token !== null) h['authorization'] = `Bearer ${token}`;
    if (req.ifMatch !== null) h['if-match'] = req.ifMatch;
    if (req.body?.contentType) h['content-type'] = req.body.contentType;
    return h;
  };

  /** Send a bad request as `who` and check the answer. */
  const exercise = async (req: FuzzRequest, who: 'admin' | 'receptionist' | 'anonymous'): Promise<void> => {
    const token = who === 'admin' ? pbx.token : who === 'receptionist' ? receptionToken : null;
    const path = pathOf(req);
    const what = `${who} ${req.op.method} ${path.slice(0, 160)} [${req.how.slice(0, 120)}]`;
    const r = await send(pbx.url, req.op.method, path, headersFor(req, token), req.body?.text);
    count(r);
    const error = expectTypedError(r, what);
    if (path.length > 16_000) {
      // a request line over Node's 16 KiB header limit is refused before any route (now in the typed shape)
      expect(r.status, what).toBe(431);
      return;
    }
    const session = req.op.auth === 'session';
    if (req.pathMutated) {
      // an odd path parameter may not reach the route at all: any typed 4xx
      const seen = req.rawPath ? Object.fromEntries(Object.entries(req.params).map(([k, v]) => [k, safeDecode(v)])) : req.params;
      const paramsBroken = Object.values(seen).includes(null) || !(req.op.def.params as z.ZodType).safeParse(seen).success;
      if (r.status === 422 && paramsBroken && req.field !== null) expect(error.details?.some((d) => namesField(d.field, req.field as string) || d.field === '(url)'), what).toBe(true);
      return;
    }
    if (req.body && typeof req.parsedBody === 'symbol') {
      // the body is read before anything else (even the token): 415 for a foreign type, 422 for broken JSON
      if (String(req.parsedBody) === 'Symbol(foreign)') {
        expect(r.status, what).toBe(415);
        expect(error.details?.[0]?.field, what).toBe('Content-Type');
      } else {
        expect(r.status, what).toBe(422);
        expect(error.details?.[0], what).toMatchObject({ field: '(body)', rule: 'json' });
      }
      return;
    }
    if (session && who === 'anonymous') {
      expect(r.status, what).toBe(401);
      expect(error.code, what).toBe('unauthorized');
      return;
    }
    if (session && who === 'receptionist' && !rolesOf(req.op.def).includes('receptionist')) {
      expect(r.status, what).toBe(403);
      expect(error.code, what).toBe('forbidden');
      return;
    }
    expect(r.status, what).toBe(422);
    expect(error.code, what).toBe('validation_failed');
    if (req.field !== null) {
      expect(error.details?.some((d) => namesField(d.field, req.field as string)), `${what}: no detail names ${req.field}: ${r.text.slice(0, 300)}`).toBe(true);
    }
  };

  it('the served document lists every operation of the route table, and each is fuzzed below', () => {
    expect(ops.map((o) => o.operationId).sort()).toEqual((Object.values(routes) as RouteDef[]).map((r) => r.operationId).sort());
    for (const op of ops) expect(`${op.method} ${op.path}`).toBe(`${op.def.method} ${op.def.path}`);
  });

  it('bad payloads on every operation as admin: a typed 4xx naming the field, never a 5xx or a dropped connection', async () => {
    for (const op of ops) {
      await fc.assert(fc.asyncProperty(badRequest(op), (req) => exercise(req, 'admin')), { numRuns: RUNS });
    }
  });

  it('a sample as receptionist and anonymous: 403 / 401 before the input is looked at, else the same typed 422', async () => {
    const anyOp = fc.constantFrom(...ops).chain((op) => badRequest(op));
    await fc.assert(fc.asyncProperty(anyOp, (req) => exercise(req, 'receptionist')), { numRuns: RUNS * 12 });
    await fc.assert(fc.asyncProperty(anyOp, (req) => exercise(req, 'anonymous')), { numRuns: RUNS * 12 });
  });

  it('valid shapes with a forged If-Match on every versioned write: refused (412, or 404/409/422), nothing written', async () => {
    const ex = await pbx.api<ExportLike>('GET', '/api/v1/export');
    const data = ex.json;
    const real: Record<string, string[]> = {
      number: data.extensions.filter((_, i) => i % 37 === 0).map((e) => e.number),
      id: data.hotdesk.templates.map((t) => String(t.id)),
      username: data.accounts.map((a) => a.username),
      siteId: data.sites.map((s) => s.id),
    };
    const versioned = ops.filter((o) => o.ifMatch);
    expect(versioned.length).toBeGreaterThan(15);
    for (const op of versioned) {
      const names = Object.keys(((op.params ?? {})['properties'] ?? {}) as Json);
      const params = names.length
        ? fc.tuple(...names.map((n) => (real[n] ? fc.constantFrom(...(real[n] as string[])) : stringsOf({ type: 'object', properties: { [n]: ((op.params as Json)['properties'] as Record<string, Json>)[n] as Json }, required: [n] }).map((o) => o[n] as string))))
          .map((vals) => Object.fromEntries(names.map((n, i) => [n, vals[i] as string])))
        : fc.constant<Record<string, string>>({});
      const body = op.body ? fuzz.valid(op.body).filter((b) => (op.def.body as z.ZodType).safeParse(b).success) : fc.constant(undefined);
      await fc.assert(
        fc.asyncProperty(params, body, forgedIfMatch, async (p, b, ifMatch) => {
          const path = op.path.replace(/\{(\w+)\}/g, (_, k: string) => encodeURIComponent(p[k] ?? ''));
          const h: Record<string, string> = { authorization: `Bearer ${pbx.token}`, 'if-match': ifMatch };
          if (b !== undefined) h['content-type'] = 'application/json';
          const what = `${op.method} ${path} If-Match ${JSON.stringify(ifMatch).slice(0, 40)} body ${JSON.stringify(b)?.slice(0, 200)}`;
          const r = await send(pbx.url, op.method, path, h, b === undefined ? undefined : JSON.stringify(b));
          count(r);
          const error = expectTypedError(r, what);
          expect([404, 409, 412, 422], `${what}: ${r.status} ${r.text.slice(0, 200)}`).toContain(r.status);
          if (r.status === 412) expect(error.code, what).toBe('precondition_failed');
        }),
        { numRuns: RUNS },
      );
    }
  });

  it('missing, empty and oversized If-Match headers: 428 or a typed 4xx, never a write', async () => {
    for (const op of ops.filter((o) => o.ifMatch)) {
      const path = op.path.replace('{number}', '1000').replace('{kind}', 'voicemail_pin').replace('{id}', '1').replace('{username}', 'reception').replace('{siteId}', 'hq');
      for (const ifMatch of [undefined, '', '   ', 'x'.repeat(15_000)]) {
        const h: Record<string, string> = { authorization: `Bearer ${pbx.token}` };
        if (ifMatch !== undefined) h['if-match'] = ifMatch;
        const r = await send(pbx.url, op.method, path, h);
        count(r);
        const what = `${op.operationId} If-Match ${JSON.stringify(ifMatch)?.slice(0, 10)}`;
        const error = expectTypedError(r, what);
        // without a body, a route that needs one says so (422) before it looks at the version
        if (ifMatch === undefined || ifMatch.trim() === '') {
          if (r.status !== 422) expect(error.code, what).toBe('precondition_required');
        } else expect([404, 409, 412, 422], what).toContain(r.status);
      }
    }
  });

  it('forged, malformed and missing tokens: 401 unauthorized on every session operation, nothing learnt from the input', async () => {
    const token = pbx.token;
    const forged = fc.oneof(
      fc.stringMatching(/^[A-Za-z0-9_-]{16,256}$/).map((t) => `Bearer ${t}`),
      fc.constantFrom(
        `Bearer ${token}A`, `Bearer ${token.slice(1)}`, `Bearer ${token} ${token}`, token, `Token ${token}`, 'Bearer', 'Bearer ',
        'Basic', 'Basic !!!', `Basic ${Buffer.from('nocolon').toString('base64')}`, `Basic ${Buffer.from(':onlypassword').toString('base64')}`,
        'Digest username="admin"', `Bearer ${'A'.repeat(257)}`, `Bearer ${token.slice(0, 15)}`, 'Negotiate YII=', '\t',
      ),
    );
    const sessionOps = ops.filter((o) => o.auth === 'session');
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...sessionOps), forged, fc.boolean(), async (op, authorization, withBody) => {
        const path = op.path.replace(/\{(\w+)\}/g, '1000');
        const h: Record<string, string> = { authorization };
        if (op.ifMatch) h['if-match'] = '*';
        let body: string | undefined;
        if (withBody && op.method !== 'GET') {
          h['content-type'] = 'application/json';
          body = JSON.stringify({ password: 'x', enabled: true, all: true, numbers: ['1000'] });
        }
        const r = await send(pbx.url, op.method, path, h, body);
        count(r);
        const error = expectTypedError(r, `${op.operationId} with ${authorization.slice(0, 40)}`);
        expect(r.status, op.operationId).toBe(401);
        expect(error.code, op.operationId).toBe('unauthorized');
        expect(r.headers['www-authenticate'], op.operationId).toMatch(/^Bearer/);
      }),
      { numRuns: RUNS * 15 },
    );
  });

  it('a page on another host name (DNS rebinding) gets no CORS grant, no cookie, and no write through a simple request', async () => {
    const hosts = ['evil.example', `evil.example:${new URL(pbx.url).port}`, 'localhost.evil.example', '127.0.0.1.nip.io', 'attacker.test:80'];
    for (const host of hosts) {
      const origin = `http://${host}`;
      // a preflight is never approved
      for (const op of ops.filter((o) => o.method !== 'GET').slice(0, 12)) {
        const pre = await send(pbx.url, 'OPTIONS', op.path.replace(/\{(\w+)\}/g, '1000'), {
          host, origin, 'access-control-request-method': op.method, 'access-control-request-headers': 'authorization,content-type,if-match',
        });
        count(pre);
        expectTypedError(pre, `OPTIONS ${op.path} from ${host}`);
        expect(pre.headers['access-control-allow-origin'], host).toBeUndefined();
        expect(pre.headers['access-control-allow-methods'], host).toBeUndefined();
      }
      // "simple" cross-origin requests a page can send without a preflight: no body is read as JSON, no session without a token
      const form = await send(pbx.url, 'POST', '/api/v1/session', { host, origin, 'content-type': 'text/plain' }, JSON.stringify({ username: 'admin', password: pbx.adminPassword }));
      count(form);
      expect(form.status, host).toBe(415);
      expectTypedError(form, `text/plain login from ${host}`);
      const urlencoded = await send(pbx.url, 'POST', '/api/v1/lockouts/addresses/unban', { host, origin, 'content-type': 'application/x-www-form-urlencoded' }, 'all=true');
      count(urlencoded);
      expect(urlencoded.status, host).toBe(415);
      for (const op of ops.filter((o) => o.auth === 'session' && o.method === 'GET' && !o.def.stream)) {
        const r = await send(pbx.url, 'GET', op.path.replace(/\{(\w+)\}/g, '1000'), { host, origin, cookie: 'session=1; token=x' });
        count(r);
        expect(r.status, `${op.operationId} from ${host}`).toBe(401);
        expectTypedError(r, `${op.operationId} from ${host}`);
        expect(r.headers['access-control-allow-origin']).toBeUndefined();
      }
      // the public documents answer, but grant nothing to the other origin and set no cookie
      for (const path of ['/api/v1/health', '/api/v1/openapi.json', '/login']) {
        const r = await send(pbx.url, 'GET', path, { host, origin });
        count(r);
        expect(r.status, path).toBeLessThan(500);
        expect(r.headers['access-control-allow-origin'], path).toBeUndefined();
        expect(r.headers['set-cookie'], path).toBeUndefined();
      }
    }
    // the login itself never sets a cookie a rebinding page could ride on: the token is only in the body
    const login = await send(pbx.url, 'POST', '/api/v1/session', { host: 'evil.example', origin: 'http://evil.example', 'content-type': 'application/json' }, JSON.stringify({ username: '', password: '' }));
    count(login);
    expect(login.status).toBe(422);
    expect(login.headers['set-cookie']).toBeUndefined();
  });

  it('oversized bodies on every body-taking operation: 413 payload_too_large, whoever asks, before anything is read', async () => {
    const big = JSON.stringify({ pad: 'x'.repeat(70 * 1024) });
    for (const op of ops.filter((o) => o.method !== 'GET')) {
      const path = op.path.replace(/\{(\w+)\}/g, '1000');
      for (const token of [pbx.token, null]) {
        const h: Record<string, string> = { 'content-type': 'application/json', 'if-match': '"x"' };
        if (token) h['authorization'] = `Bearer ${token}`;
        const r = await send(pbx.url, op.method, path, h, big);
        count(r);
        expect(r.status, op.operationId).toBe(413);
        expect(expectTypedError(r, op.operationId).code).toBe('payload_too_large');
      }
    }
    // chunked (no Content-Length) and a Content-Length that announces too much: refused the same way
    const chunked = await rawExchange(pbx.url, [
      'POST /api/v1/lockouts/addresses/unban HTTP/1.1', 'Host: 127.0.0.1', `Authorization: Bearer ${pbx.token}`,
      'Content-Type: application/json', 'Transfer-Encoding: chunked', 'Connection: close', '', '',
    ].join('\r\n'), (s) => {
      const chunk = 'x'.repeat(16 * 1024);
      for (let i = 0; i < 6; i++) s.write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`);
      s.write('0\r\n\r\n');
    });
    expect(chunked.status).toBe(413);
    expect(expectTypedError(chunked, 'chunked').code).toBe('payload_too_large');
    const announced = await rawExchange(pbx.url, [
      'POST /api/v1/session HTTP/1.1', 'Host: 127.0.0.1', 'Content-Type: application/json', 'Content-Length: 1000000000', 'Connection: close', '', '{"a":1}',
    ].join('\r\n'));
    expect(announced.status).toBe(413);
    expectTypedError(announced, 'announced 1 GB');
  });

  it('requests that are not valid HTTP, or whose headers are too large: a typed error, not a bare socket error', async () => {
    const huge = await send(pbx.url, 'GET', '/api/v1/sites', { authorization: `Bearer ${pbx.token}`, 'x-pad': 'p'.repeat(20_000) });
    count(huge);
    expect(huge.status).toBe(431);
    expectTypedError(huge, '20 KB header');
    for (const raw of [
      'GARBAGE / HTTP/1.1\r\nHost: x\r\n\r\n',
      'GET /api/v1/sites HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nabcdef',
      'GET /api/v1/sites HTTP/1.1\r\nHo st: x\r\n\r\n',
      'POST /api/v1/session HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
      'GET /api/v1/\u0000 HTTP/1.1\r\nHost: x\r\n\r\n',
    ]) {
      const r = await rawExchange(pbx.url, raw);
      expect(r.status, JSON.stringify(raw)).toBeGreaterThanOrEqual(400);
      expectTypedError(r, JSON.stringify(raw));
    }
  });
});

function wellFormed(s: string): string {
  return s.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}

function safeDecode(s: string): string | null {
  try {
    return decodeURIComponent(s);
  } catch {
    return null;
  }
}

function isJson(s: string): boolean {
  try {
    JSON.parse(s);
    return true;
  } catch {
    return false;
  }
}

/** Write bytes on a raw socket and parse the one HTTP response that comes back (the server closes after it). */
function rawExchange(base: string, head: string, more?: (s: ReturnType<typeof connect>) => void): Promise<Res> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const s = connect(Number(u.port), u.hostname, () => {
      s.write(head);
      more?.(s);
    });
    let data = '';
    let settled = false;
    const done = () => {
      if (settled) return;
      settled = true;
      const [headText = '', ...rest] = data.split('\r\n\r\n');
      const lines = headText.split('\r\n');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(lines[0] ?? '')?.[1] ?? 0);
      const headers: IncomingHttpHeaders = {};
      for (const line of lines.slice(1)) {
        const i = line.indexOf(':');
        if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
      }
      const text = rest.join('\r\n\r\n');
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      if (!status) reject(new Error(`no HTTP response to ${JSON.stringify(head.slice(0, 60))}: ${JSON.stringify(data.slice(0, 200))}`));
      else resolve({ status, headers, text, json });
    };
    s.setEncoding('utf8');
    s.on('data', (c: string) => {
      data += c;
      // one response is enough (keep-alive connections stay open)
      const m = /content-length: (\d+)/i.exec(data);
      const sep = data.indexOf('\r\n\r\n');
      if (m && sep >= 0 && Buffer.byteLength(data.slice(sep + 4)) >= Number(m[1])) {
        s.destroy();
        done();
      }
    });
    s.on('error', () => undefined);
    s.on('close', () => done());
    s.setTimeout(15_000, () => s.destroy());
  });
}

// Fuzzing the console's RPC router (issue 8): the real router and handlers (main/rpc) over the real core
// services, connected to a REAL reference PBX. Every channel of shared/rpc.ts gets generated bad inputs —
// its zod input schema's valid shapes mutated at one field (wrong type, missing, unknown key, too long,
// off the pattern, out of range, deep nesting, prototype keys) and plain junk — and must answer
// {ok:false, error:{code:'invalid_payload', message, details}} naming the field: never a throw, never ok,
// never an internal error, no stack, file path or secret from the payload in what comes back. The versioned
// writes also get valid shapes with a forged etag: a typed refusal from the PBX, never `internal`.
// Afterwards nothing stored changed: the PBX's configuration export, the profiles and the saved secrets.
//
// No channel is excluded from the bad-input property: an invalid payload never reaches a handler, so even
// connection.disconnect, profiles.delete or secrets.createVault are safe to fuzz. The forged-etag property
// covers exactly the channels that take an etag (a valid write without one would legitimately change state).
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ErrorBodySchema, ErrorCodes } from '../../shared/errors.js';
import { channels, type Channel, type Envelope } from '../../shared/rpc.js';
import { ConnectionManager } from '../../main/core/connection.js';
import { ProfileStore } from '../../main/core/profiles.js';
import { createHandlers, type ConsoleServices } from '../../main/rpc/handlers.js';
import { createRouter, type Router } from '../../main/rpc/router.js';
import { startTestPbx, type TestPbx } from '../helpers/server.js';
import { memorySecretStore } from '../support/memory-secrets.js';
import { DEFAULT_HINTS, INTERNALS, NASTY_STRINGS, junk, namesField, schemaFuzzer, type Json, type Mutation } from '../helpers/fuzz-schema.js';

/** Runs per channel and property (about 90 channels; the whole file stays well under 45 s). */
const RUNS = Number(process.env['FUZZ_RUNS'] ?? 10);

/** Keys whose values are secrets the renderer typed: they must never come back in an answer. */
const SECRET_KEY = /pass|^pin$|newPin|^value$|secret|token/i;

let pbx: TestPbx;
let dir: string;
let router: Router;
let services: ConsoleServices;
const logs: string[] = [];
const { store: secrets, values } = memorySecretStore({ message: 'test keychain' });

/** Every string under a secret-named key of a payload (long enough not to appear in a message by chance). */
function secretsIn(v: unknown, out: string[] = [], key = '', depth = 0): string[] {
  if (depth > 20) return out;
  if (typeof v === 'string' && SECRET_KEY.test(key) && v.length >= 6) out.push(v);
  else if (Array.isArray(v)) v.forEach((x) => secretsIn(x, out, key, depth + 1));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) secretsIn(x, out, k, depth + 1);
  return out;
}

/** The PBX's stored configuration plus the console's own (profiles, secrets, connection). */
async function snapshot(): Promise<Record<string, string>> {
  const r = await pbx.api<Record<string, unknown>>('GET', '/api/v1/export');
  expect(r.status, r.text.slice(0, 200)).toBe(200);
  const { exportedAt: _t, tokens, audit, ...rest } = r.json;
  const stable = (tokens as Record<string, unknown>[]).map(({ lastUsedAt: _a, lastUsedFrom: _f, lastUsedUserAgent: _u, ...t }) => t);
  const a = audit as { rows: number; byAction: { action: string; count: number }[] };
  const exports = a.byAction.find((x) => x.action === 'config.exported')?.count ?? 0;
  const status = services.connection.getStatus();
  return Object.fromEntries(
    Object.entries({
      ...rest,
      tokens: stable,
      audit: { rows: a.rows - exports, byAction: a.byAction.filter((x) => x.action !== 'config.exported') },
      consoleProfiles: services.profiles.list(),
      consoleSecrets: [...values.entries()].sort(),
      consoleConnection: { state: status.state, profileId: status.profileId, username: status.username, review: status.review ?? null },
    }).map(([k, v]) => [k, JSON.stringify(v)]),
  );
}

function changes(a: Record<string, string>, b: Record<string, string>): string[] {
  return Object.keys({ ...a, ...b }).filter((k) => a[k] !== b[k]).map((k) => {
    const x = a[k] ?? '';
    const y = b[k] ?? '';
    let i = 0;
    while (i < x.length && x[i] === y[i]) i++;
    return `${k}: …${x.slice(Math.max(0, i - 150), i + 150)}… became …${y.slice(Math.max(0, i - 150), i + 150)}…`;
  });
}

/** The envelope of a refusal, checked: typed, no internals, no secret of the payload. */
async function refused(channel: unknown, payload: unknown, what: string): Promise<z.infer<typeof ErrorBodySchema>> {
  let res: Envelope<unknown>;
  try {
    res = await router.handle(channel, payload);
  } catch (err) {
    throw new Error(`${what}: router.handle threw ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
  }
  expect(res.ok, `${what}: answered ok`).toBe(false);
  const error = (res as { ok: false; error: unknown }).error;
  const parsed = ErrorBodySchema.strict().safeParse(error);
  expect(parsed.success, `${what}: not a typed error: ${JSON.stringify(error)?.slice(0, 300)}`).toBe(true);
  const body = parsed.data as z.infer<typeof ErrorBodySchema>;
  expect(ErrorCodes as readonly string[], what).toContain(body.code);
  expect(body.code, `${what}: ${body.message}`).not.toBe('internal');
  expect(body.message.length, what).toBeGreaterThan(0);
  const text = JSON.stringify(body);
  expect(text, what).not.toMatch(INTERNALS);
  for (const s of secretsIn(payload)) expect(text.includes(s), `${what}: the answer repeats a secret of the payload`).toBe(false);
  for (const d of body.details ?? []) expect(d.message.startsWith(`${d.field}: `), `${what}: "${d.message}" does not start with its field`).toBe(true);
  return body;
}

beforeAll(async () => {
  pbx = await startTestPbx();
  dir = mkdtempSync(path.join(os.tmpdir(), 'warden-fuzz-rpc-'));
  const profiles = new ProfileStore({ cwd: dir });
  profiles.save({ name: 'Test PBX', url: pbx.url, username: 'admin', tls: { mode: 'system' } });
  const connection = new ConnectionManager(secrets, { onStatus: () => undefined, onPbxEvent: () => undefined }, { retries: 0 });
  services = { mode: 'browser', version: 't', profiles, secrets, connection, embedded: null };
  router = createRouter(createHandlers(services), (line) => logs.push(line));
  const res = await router.handle('connection.connect', { profileId: 'test-pbx', password: pbx.adminPassword });
  expect(res).toMatchObject({ ok: true, value: { state: 'online' } });
});

afterAll(async () => {
  await services?.connection.disconnect(false);
  await pbx?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('fuzzing every console RPC channel', () => {
  let before: Record<string, string>;
  beforeAll(async () => {
    before = await snapshot();
  });
  afterEach(async () => {
    expect(changes(before, await snapshot())).toEqual([]);
    expect(logs, 'the router logged a failure (a bug, not a refusal)').toEqual([]);
  });

  const names = Object.keys(channels) as Channel[];
  const jsonSchemaOf = (c: Channel): Json =>
    z.toJSONSchema(channels[c].input as z.ZodType, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' }) as Json;

  it('bad inputs on every channel: invalid_payload naming the field, never thrown, never ok', async () => {
    expect(names.length).toBeGreaterThan(60);
    for (const channel of names) {
      const schema = channels[channel].input as z.ZodType;
      const js = jsonSchemaOf(channel);
      const fuzz = schemaFuzzer(js);
      const mutated = fc.oneof(
        { weight: 4, arbitrary: fuzz.bad(js) },
        { weight: 1, arbitrary: junk().map((value): Mutation => ({ value, field: '(root)', how: 'junk' })) },
      );
      const invalid = mutated.filter((m) => !schema.safeParse(m.value ?? {}).success);
      await fc.assert(
        fc.asyncProperty(invalid, async (m) => {
          const what = `${channel} [${m.how.slice(0, 100)}] ${JSON.stringify(m.value)?.slice(0, 200)}`;
          const error = await refused(channel, m.value, what);
          expect(error.code, what).toBe('invalid_payload');
          expect(error.details?.length, what).toBeGreaterThan(0);
          // the broken field is named (or an object that holds it), unless the rest was off too (a refinement
          // JSON Schema cannot express), in which case zod may name only that
          const named = error.details?.some((d) => namesField(d.field, m.field));
          if (!named) {
            const issues = (schema.safeParse(m.value ?? {}) as { error: z.ZodError }).error.issues;
            expect(issues.every((i) => !namesField(i.path.map(String).join('.') || '(root)', m.field)), `${what}: no detail names ${m.field}: ${JSON.stringify(error.details)?.slice(0, 300)}`).toBe(true);
          }
        }),
        { numRuns: RUNS, endOnFailure: true },
      );
    }
  });

  it('unknown and odd channel names: unknown_channel, never a lookup on the prototype', async () => {
    const odd = fc.oneof(
      fc.constantFrom<unknown>('__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', '', ' app.info', 'app.info ', 'APP.INFO', 'app.info\u0000', 'warden:app.info', null, undefined, 42, {}, [], ['app.info'], { toString: () => 'app.info' }),
      fc.constantFrom(...NASTY_STRINGS),
      fc.string({ maxLength: 300 }),
    ).filter((c) => !(typeof c === 'string' && Object.prototype.hasOwnProperty.call(channels, c)));
    await fc.assert(
      fc.asyncProperty(odd, junk(), async (channel, payload) => {
        const error = await refused(channel, payload, `channel ${String(JSON.stringify(channel)).slice(0, 60)}`);
        expect(error.code).toBe('unknown_channel');
        expect(error.message.length).toBeLessThan(200);
      }),
      { numRuns: RUNS * 10, endOnFailure: true },
    );
  });

  it('valid shapes with a forged etag on every versioned write: a typed refusal from the PBX, nothing written', async () => {
    const ex = (await pbx.api<{ extensions: { number: string }[]; hotdesk: { templates: { id: number }[] }; accounts: { username: string }[]; sites: { id: string }[] }>('GET', '/api/v1/export')).json;
    const real: Record<string, fc.Arbitrary<unknown>> = {
      number: fc.constantFrom(...ex.extensions.filter((_, i) => i % 29 === 0).map((e) => e.number)),
      id: fc.constantFrom(...ex.hotdesk.templates.map((t) => t.id)),
      username: fc.constantFrom(...ex.accounts.map((a) => a.username)),
      siteId: fc.constantFrom(...ex.sites.map((s) => s.id)),
      etag: fc
        .oneof(
          fc.string({ minLength: 1, maxLength: 100 }),
          fc.constantFrom('"v0"', 'W/"v1"', '"v999999"', ' ', ',', '"t1.9"', '"m1000.9"', '"l99"', '\t', 'null', '\u00e9', '\u{1F600}', 'a\r\nX-Evil: 1', '\u0000'),
        )
        .filter((e) => !e.split(',').map((t) => t.trim()).includes('*')),
    };
    const versioned = names.filter((c) => 'etag' in ((jsonSchemaOf(c)['properties'] ?? {}) as Json));
    expect(versioned.length).toBeGreaterThan(15);
    for (const channel of versioned) {
      const schema = channels[channel].input as z.ZodType;
      const fuzz = schemaFuzzer(jsonSchemaOf(channel), { ...DEFAULT_HINTS, ...real });
      const payloads = fuzz.valid(jsonSchemaOf(channel)).filter((p) => schema.safeParse(p).success);
      await fc.assert(
        fc.asyncProperty(payloads, async (p) => {
          const what = `${channel} ${JSON.stringify(p).slice(0, 240)}`;
          const error = await refused(channel, p, what);
          expect(error.code, what).not.toBe('invalid_payload');
        }),
        { numRuns: Math.max(2, Math.ceil(RUNS / 3)), endOnFailure: true },
      );
    }
  });
});

// Bulk voicemail PIN reset on the real reference PBX: POST /api/v1/credentials/voicemail-pin/reset with a
// list of numbers answers per-item results (an inactive or unknown number fails alone), scopes a
// receptionist to its sites (others are not_found items), validates the list (field `numbers`), publishes one
// credentials.changed per reset number, never 429s itself under a small hasher gate, and answers 429 with
// Retry-After when the hasher queue is already full when the request starts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BulkResetResponseSchema, type BulkResetResponse, type ExtensionList } from '../../shared/api.js';
import type { Extension } from '../../shared/domain.js';
import { ApiErrorSchema } from '../../shared/errors.js';
import { PbxEventSchema } from '../../shared/events.js';
import { startPbxServer, type PbxServer } from '../../server/index.js';
import { errorOf, httpRequest, openEventStream, saturate, type HttpResult } from '../helpers/server.js';

const BULK = '/api/v1/credentials/voicemail-pin/reset';

function harness(dirPrefix: string, limits?: { concurrency: number; queue: number }) {
  const h = {
    dir: '',
    server: undefined as unknown as PbxServer,
    adminToken: '',
    receptionToken: '',
    async start() {
      h.dir = mkdtempSync(join(tmpdir(), dirPrefix));
      h.server = await startPbxServer({ dataDir: h.dir, seed: 'demo', quiet: true, ...(limits ? { hasherLimits: limits } : {}) });
      h.adminToken = await h.login('admin', h.server.initialAdminPassword as string);
      h.receptionToken = await h.login('reception', h.server.initialReceptionistPassword as string);
    },
    async stop() {
      await h.server?.close();
      rmSync(h.dir, { recursive: true, force: true });
    },
    async login(username: string, password: string): Promise<string> {
      const r = await httpRequest<{ token: string }>(`${h.server.url}/api/v1/session`, { method: 'POST', body: { username, password } });
      expect(r.status, r.text).toBe(201);
      return r.json.token;
    },
    api<T = unknown>(token: string, method: string, path: string, body?: unknown): Promise<HttpResult<T>> {
      return httpRequest<T>(`${h.server.url}${path}`, { method, headers: { authorization: `Bearer ${token}` }, body });
    },
    async all(): Promise<Extension[]> {
      const r = await h.api<ExtensionList>(h.adminToken, 'GET', '/api/v1/extensions?limit=1000');
      expect(r.status, r.text).toBe(200);
      return r.json.items;
    },
  };
  return h;
}

describe('bulk voicemail PIN reset', () => {
  const h = harness('pbx-warden-bulk-');
  beforeAll(() => h.start());
  afterAll(() => h.stop());

  it('resets 200 numbers with per-item results; an inactive and an unknown number fail alone', async () => {
    const all = await h.all();
    const active = all.filter((e) => e.status === 'active');
    const inactive = all.find((e) => e.status === 'inactive');
    if (!inactive) throw new Error('the demo data has no inactive number');
    expect(active.length).toBeGreaterThanOrEqual(198);
    const numbers = [...active.slice(0, 99).map((e) => e.number), inactive.number, '9999', ...active.slice(99, 198).map((e) => e.number)];
    expect(numbers).toHaveLength(200);

    const stream = await openEventStream(h.server.url, h.adminToken);
    expect(stream.status).toBe(200);
    const r = await h.api<BulkResetResponse>(h.adminToken, 'POST', BULK, { numbers });
    expect(r.status, r.text).toBe(200);
    const body = BulkResetResponseSchema.parse(r.json);
    expect(body.results.map((x) => x.number)).toEqual(numbers);
    expect(body.done).toBe(198);
    expect(body.failed).toBe(2);
    expect(body.results[99]).toMatchObject({ number: inactive.number, ok: false, error: { code: 'extension_inactive' } });
    expect(body.results[100]).toMatchObject({ number: '9999', ok: false, error: { code: 'not_found' } });
    expect(r.text).not.toMatch(/argon2|defaultPin|"hash"/i);

    // every other item is reset: its ETag is the extension's current one, its PIN the default
    const after = new Map((await h.all()).map((e) => [e.number, e]));
    for (const item of body.results) {
      if (!item.ok) continue;
      const ext = after.get(item.number) as Extension;
      expect(item.etag, item.number).toBe(ext.etag);
      expect(ext.credentials?.voicemail_pin, item.number).toMatchObject({ set: true, isDefault: true });
    }
    // the inactive one is untouched
    expect(after.get(inactive.number)?.etag).toBe(inactive.etag);

    // one credentials.changed per reset number, valid for the console's event schema
    await stream.waitFor((ev) => ev.type === 'credentials.changed' && ev.number === numbers[199], 10_000);
    const resets = stream.events.filter((ev) => ev.type === 'credentials.changed' && ev.action === 'reset');
    expect(resets.map((ev) => (ev as { number: string }).number).sort()).toEqual(
      body.results.filter((x) => x.ok).map((x) => x.number).sort(),
    );
    for (const ev of resets) {
      const { sseId: _id, sseEvent: _ev, ...plain } = ev;
      expect(PbxEventSchema.safeParse(plain).success).toBe(true);
    }
    stream.close();

    // the default PIN now verifies on the phone, which asks for a change
    const sample = numbers[0] as string;
    const d = await h.api<{ defaultPin: string }>(h.adminToken, 'GET', `/api/v1/extensions/${sample}/credentials/voicemail-pin/default`);
    expect(d.status, d.text).toBe(200);
    if (after.get(sample)?.voicemail) {
      const login = await httpRequest<{ result: string }>(`${h.server.url}/device/v1/voicemail/login`, {
        method: 'POST',
        body: { extension: sample, pin: d.json.defaultPin },
      });
      expect(login.status, login.text).toBe(200);
      expect(login.json.result).toBe('must_change_pin');
    }
  });

  it('a receptionist resets within its sites only; other sites are not_found items', async () => {
    const all = await h.all();
    const hq = all.filter((e) => e.siteId === 'hq' && e.status === 'active').slice(0, 3);
    const other = all.filter((e) => e.siteId !== 'hq' && e.status === 'active').slice(0, 2);
    expect(hq).toHaveLength(3);
    expect(other).toHaveLength(2);
    const numbers = [hq[0], other[0], hq[1], other[1], hq[2]].map((e) => (e as Extension).number);
    const r = await h.api<BulkResetResponse>(h.receptionToken, 'POST', BULK, { numbers });
    expect(r.status, r.text).toBe(200);
    expect(r.json.done).toBe(3);
    expect(r.json.failed).toBe(2);
    expect(r.json.results.map((x) => (x.ok ? 'ok' : x.error.code))).toEqual(['ok', 'not_found', 'ok', 'not_found', 'ok']);
    // the not_found message is the same as for a number that does not exist (no leak)
    const miss = r.json.results[1];
    expect(miss?.ok === false && miss.error.message).toBe(`Extension ${numbers[1]} does not exist`);
    const after = new Map((await h.all()).map((e) => [e.number, e]));
    for (const e of other) expect(after.get(e.number)?.etag).toBe(e.etag);
  });

  it('validates the list: empty, duplicates, too many, malformed — 422 naming numbers', async () => {
    const cases: [unknown, string, string][] = [
      [{ numbers: [] }, 'numbers', 'min'],
      [{ numbers: ['1001', '1002', '1001'] }, 'numbers', 'unique'],
      [{ numbers: Array.from({ length: 5001 }, (_, i) => String(10000 + i)) }, 'numbers', 'max'],
      [{}, 'numbers', 'required'],
      [{ numbers: ['1001', 'x1'] }, 'numbers.1', 'pattern'],
    ];
    const before = await h.all();
    for (const [body, field, rule] of cases) {
      const r = await h.api(h.adminToken, 'POST', BULK, body);
      expect(r.status, r.text).toBe(422);
      const err = ApiErrorSchema.parse(r.json).error;
      expect(err.code).toBe('validation_failed');
      expect(err.details, r.text).toEqual(expect.arrayContaining([expect.objectContaining({ field, rule })]));
    }
    expect(errorOf(await h.api(h.adminToken, 'POST', BULK, { numbers: ['1001', '1001'] })).message).toMatch(/numbers/);
    expect(await h.all()).toEqual(before);
  });

  it('is listed in the OpenAPI document', async () => {
    const r = await httpRequest<{ paths: Record<string, Record<string, { operationId: string }>> }>(`${h.server.url}/api/v1/openapi.json`);
    expect(r.json.paths[BULK]?.['post']?.operationId).toBe('bulkResetVoicemailPin');
  });
});

describe('bulk reset and the hasher gate', () => {
  const h = harness('pbx-warden-bulk-gate-', { concurrency: 1, queue: 8 });
  beforeAll(() => h.start());
  afterAll(() => h.stop());

  it('waits for slots under a small gate instead of refusing itself', async () => {
    const numbers = (await h.all()).filter((e) => e.status === 'active').slice(0, 20).map((e) => e.number);
    const r = await h.api<BulkResetResponse>(h.adminToken, 'POST', BULK, { numbers });
    expect(r.status, r.text).toBe(200);
    expect(r.json).toMatchObject({ done: 20, failed: 0 });
  });

  it('answers 429 with Retry-After when the hasher queue is already full, and applies nothing', async () => {
    const numbers = (await h.all()).filter((e) => e.status === 'active').slice(20, 30).map((e) => e.number);
    const before = await Promise.all(numbers.map((n) => h.api<Extension>(h.adminToken, 'GET', `/api/v1/extensions/${n}`)));
    // every slot and the whole queue held: the next hash would wait beyond the queue
    const gate = saturate(h.server.hasher);
    let refused: HttpResult;
    try {
      refused = await h.api(h.adminToken, 'POST', BULK, { numbers });
    } finally {
      gate.release();
    }
    expect(refused.status, refused.text).toBe(429);
    for (const [i, n] of numbers.entries()) {
      const after = await h.api<Extension>(h.adminToken, 'GET', `/api/v1/extensions/${n}`);
      expect(after.json.version, n).toBe(before[i]!.json.version);
    }
    // once the gate is free again, the same request goes through
    const r = await h.api<BulkResetResponse>(h.adminToken, 'POST', BULK, { numbers });
    expect(r.status, r.text).toBe(200);
    expect(refused.headers['retry-after']).toMatch(/^[0-9]+$/);
    expect(errorOf(refused).code).toBe('rate_limited');
  });
});

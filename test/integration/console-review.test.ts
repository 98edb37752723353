// Issue 7: the console's read-only review of an exported config, through the real RPC router. The file is made
// from the REAL reference PBX (its export, or its API lists); while it is open, the read channels answer what the
// live PBX answers, every write channel is refused with read_only (and the PBX is not touched), and a corrupt
// file gives a typed error that names the file and leaves the console as it was.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PbxExport } from '../../shared/export.js';
import { channels, type Channel, type ConnectionStatus } from '../../shared/rpc.js';
import { ConnectionManager } from '../../main/core/connection.js';
import { ProfileStore } from '../../main/core/profiles.js';
import { isWriteChannel, ReviewManager } from '../../main/core/review.js';
import { createHandlers, type ConsoleServices } from '../../main/rpc/handlers.js';
import { createRouter, type Router } from '../../main/rpc/router.js';
import { liveExport } from '../helpers/review-export.js';
import { startTestPbx, type TestPbx } from '../helpers/server.js';
import { memorySecretStore } from '../support/memory-secrets.js';

let pbx: TestPbx;
let dir: string;
let router: Router;
let services: ConsoleServices;
let doc: PbxExport;
const statuses: ConnectionStatus[] = [];
const { store: secrets } = memorySecretStore();

async function ok<T = unknown>(channel: string, payload: unknown = {}): Promise<T> {
  const res = await router.handle(channel, payload);
  if (!res.ok) throw new Error(`${channel}: ${res.error.code} ${res.error.message}`);
  return res.value as T;
}

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

/** The read channels the screens use, and the length of what each answers. */
const READS: Array<[Channel, (v: never) => number]> = [
  ['sites.list', (v: { items: unknown[] }) => v.items.length],
  ['extensions.all', (v: { total: number }) => v.total],
  ['lockouts.extensions', (v: { items: unknown[] }) => v.items.length],
  ['lockouts.bans', (v: { items: unknown[] }) => v.items.length],
  ['lockouts.allowlist', (v: { items: unknown[] }) => v.items.length],
  ['hotdesk.list', (v: { items: unknown[] }) => v.items.length],
  ['hotdesk.devices', (v: { items: unknown[] }) => v.items.length],
  ['hotdesk.templates', (v: { items: unknown[] }) => v.items.length],
  ['hotdesk.sites', (v: { items: unknown[] }) => v.items.length],
  ['policies.pin.list', (v: { items: unknown[] }) => v.items.length],
  ['accounts.list', (v: { items: unknown[] }) => v.items.length],
  ['admin.allowlist', (v: { entries: unknown[] }) => v.entries.length],
  ['passkeys.list', (v: { items: unknown[] }) => v.items.length],
];

beforeAll(async () => {
  pbx = await startTestPbx();
  dir = mkdtempSync(path.join(os.tmpdir(), 'warden-review-'));
  const profiles = new ProfileStore({ cwd: dir });
  profiles.save({ name: 'Test PBX', url: pbx.url, username: 'admin', tls: { mode: 'system' } });
  const connection = new ConnectionManager(secrets, { onStatus: (s) => statuses.push(s), onPbxEvent: () => undefined }, { retries: 0 });
  const review = new ReviewManager((s) => statuses.push(s));
  services = { mode: 'browser', version: 't', profiles, secrets, connection, embedded: null, review };
  router = createRouter(createHandlers(services));
  // something in every table: a manual ban and an allowlist entry
  expect((await pbx.api('POST', '/api/v1/lockouts/addresses', { body: { cidr: '203.0.113.9', description: 'review test' } })).status).toBe(201);
  expect((await pbx.api('POST', '/api/v1/lockouts/allowlist', { body: { cidr: '198.51.100.0/24', description: 'office' } })).status).toBe(201);
  doc = await liveExport(async (p) => {
    const r = await pbx.api('GET', `/api/v1${p}`);
    return { status: r.status, body: r.json };
  });
}, 60_000);

afterAll(async () => {
  await services?.connection.disconnect(false);
  await pbx?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('review of an export made from the real PBX', () => {
  it('the read channels answer the same as the live PBX', async () => {
    await ok('connection.connect', { profileId: 'test-pbx', password: pbx.adminPassword });
    const live = new Map<Channel, number>();
    for (const [ch, count] of READS) live.set(ch, count((await ok(ch)) as never));
    expect(live.get('lockouts.bans')).toBeGreaterThan(0);
    expect(live.get('extensions.all')).toBeGreaterThan(0);

    const st = await ok<ConnectionStatus>('review.open', { fileName: 'pbx.json', base64: b64(JSON.stringify(doc)) });
    expect(st).toMatchObject({ state: 'online', role: 'admin', review: { fileName: 'pbx.json', exportedBy: 'admin', pbx: doc.pbx } });
    // opening the file ended the live connection; the renderer was told "review"
    expect(services.connection.getStatus().state).toBe('disconnected');
    expect(statuses.at(-1)?.review?.fileName).toBe('pbx.json');
    expect(await ok('connection.status')).toMatchObject({ review: { fileName: 'pbx.json' } });
    expect(await ok('review.status')).toMatchObject({ review: { counts: { extensions: doc.extensions.length, addressBans: live.get('lockouts.bans') } } });

    for (const [ch, count] of READS) expect([ch, count((await ok(ch)) as never)]).toEqual([ch, live.get(ch)]);
    // the same rows, not only as many
    const all = await ok<{ items: { number: string; etag: string }[] }>('extensions.all');
    expect(all.items.map((e) => e.number)).toEqual(doc.extensions.map((e) => e.number));
    const first = doc.extensions[0]!;
    expect(await ok('extensions.get', { number: first.number })).toEqual(first);
    const page = await ok<{ items: { label: string }[]; total: number }>('extensions.list', { search: first.label.slice(0, 4).toLowerCase(), limit: 5 });
    expect(page.total).toBeGreaterThan(0);
    expect((await ok<{ items: { cidr: string }[] }>('lockouts.bans')).items.map((b) => b.cidr)).toContain('203.0.113.9');
    expect((await ok<{ items: unknown[] }>('tokens.list')).items.length).toBe(doc.tokens.length);
    expect(await ok('audit.verify')).toEqual(doc.audit.verify);
  });

  it('every write channel is refused with read_only, and nothing reaches the PBX', async () => {
    const before = (await pbx.api<{ total: number }>('GET', '/api/v1/audit?limit=1')).json.total;
    const writes = (Object.keys(channels) as Channel[]).filter(isWriteChannel);
    expect(writes).toEqual(expect.arrayContaining(['protection.block', 'lockouts.ban', 'accounts.create', 'policies.pin.set', 'tokens.revoke', 'hotdesk.setPassword']));
    expect(writes.length).toBeGreaterThan(25);
    const sample: Partial<Record<Channel, unknown>> = {
      'protection.block': { number: doc.extensions[0]!.number, etag: doc.extensions[0]!.etag },
      'lockouts.ban': { cidr: '192.0.2.1', description: 'x' },
      'lockouts.unban': { all: true },
      'tokens.revoke': { allExceptCurrent: true },
      'accounts.delete': { username: 'reception', etag: 'review' },
      'hotdesk.setPassword': { kind: 'user', password: '1234' },
      'admin.setAllowlist': { etag: 'review', entries: [] },
    };
    for (const ch of writes) {
      const res = await router.handle(ch, sample[ch] ?? {});
      expect(res.ok, ch).toBe(false);
      if (!res.ok && res.error.code !== 'invalid_payload') {
        expect([ch, res.error.code]).toEqual([ch, 'read_only']);
        expect(res.error.message).toBe('This is a review of an exported file; nothing can be changed here');
      }
    }
    // with a payload that passes validation, each of the sample writes is refused as read_only
    for (const [ch, payload] of Object.entries(sample)) {
      expect(await router.handle(ch, payload)).toMatchObject({ ok: false, error: { code: 'read_only' } });
    }
    expect((await pbx.api<{ total: number }>('GET', '/api/v1/audit?limit=1')).json.total).toBe(before);
    expect((await pbx.api<{ items: unknown[] }>('GET', '/api/v1/lockouts/addresses')).json.items.length).toBe(doc.lockouts.addresses.length);
  });

  it('what the file does not hold is a typed not_in_export, never an empty answer', async () => {
    expect(await router.handle('credentials.defaultVoicemailPin', { number: doc.extensions[0]!.number })).toMatchObject({ ok: false, error: { code: 'not_in_export' } });
    expect(await router.handle('audit.list', {})).toMatchObject({ ok: false, error: { code: 'not_in_export' } });
  });

  it('a corrupt file is a typed error naming the file (and the path), and the open review stays', async () => {
    const bad = await router.handle('review.open', { fileName: 'broken.json', base64: b64('{"format":"pbx-warden-export",') });
    expect(bad).toMatchObject({ ok: false, error: { code: 'export_invalid', message: expect.stringMatching(/^broken\.json: /) } });
    const wrong = structuredClone(doc) as unknown as { extensions: { number: unknown }[] };
    wrong.extensions[0]!.number = 42;
    const res = await router.handle('review.open', { fileName: 'edited.json', base64: b64(JSON.stringify(wrong)) });
    expect(res).toMatchObject({ ok: false, error: { code: 'export_invalid', message: expect.stringMatching(/^edited\.json: /), details: [{ field: expect.stringMatching(/^extensions\[0\]\.number/) }] } });
    expect(await ok('review.status')).toMatchObject({ review: { fileName: 'pbx.json' } });
  });

  it('findings and a comparison of the open file', async () => {
    const f = await ok<{ findings: { rule: string; count: number; rows: unknown[] }[]; csv: string; filename: string }>('review.findings');
    expect(f.findings.length).toBeGreaterThan(3);
    for (const x of f.findings) expect(x.count).toBe(x.rows.length);
    expect(f.csv.split('\n').length).toBeGreaterThan(1);
    expect(f.filename).toMatch(/^findings-.*\.csv$/);
    const earlier = structuredClone(doc);
    earlier.lockouts.addresses = [];
    const cmp = await ok<{ sections: { section: string; added: { key: string }[]; removed: unknown[] }[] }>('review.compare', { fileName: 'earlier.json', base64: b64(JSON.stringify(earlier)) });
    const added = cmp.sections.flatMap((s) => s.added.map((a) => a.key));
    expect(added.some((k) => k.includes('203.0.113.9'))).toBe(true);
  });

  it('a large file comes in chunks; close ends the review and the live channels come back', async () => {
    const bytes = Buffer.from(JSON.stringify(doc), 'utf8');
    let uploadId: string | undefined;
    for (let at = 0; at < bytes.length; at += 4096) {
      ({ uploadId } = await ok<{ uploadId: string }>('review.upload', { ...(uploadId ? { uploadId } : {}), base64: bytes.subarray(at, at + 4096).toString('base64') }));
    }
    expect(await ok('review.open', { fileName: 'chunked.json', uploadId })).toMatchObject({ review: { fileName: 'chunked.json' } });
    const closed = await ok<ConnectionStatus>('review.close');
    expect(closed.state).toBe('disconnected');
    expect(closed.review ?? null).toBeNull();
    expect(await router.handle('sites.list', {})).toMatchObject({ ok: false, error: { code: 'not_connected' } });
    await ok('connection.connect', { profileId: 'test-pbx', password: pbx.adminPassword });
    expect((await router.handle('lockouts.ban', { cidr: '192.0.2.77', description: 'live again' })).ok).toBe(true);
  });
});

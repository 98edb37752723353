// Issue 7: the console exports the connected PBX's configuration (config.export — plain, or encrypted with a
// passphrase) and runs the review's findings live (findings.live), through the real RPC router against the REAL
// reference PBX. The plain file opens in the reader with the live counts; the encrypted one opens only with its
// passphrase; the passphrase never comes back; the live findings equal the review's findings of the same export.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectionStatus } from '../../shared/rpc.js';
import { readExportText } from '../../shared/export-reader.js';
import type { FindingView } from '../../shared/review.js';
import { ConnectionManager } from '../../main/core/connection.js';
import { openExportFile } from '../../main/core/export-file.js';
import { ProfileStore } from '../../main/core/profiles.js';
import { ReviewManager } from '../../main/core/review.js';
import { dispositionFilename } from '../../main/core/pbx-client.js';
import { createHandlers, type ConsoleServices } from '../../main/rpc/handlers.js';
import { createRouter, type Router } from '../../main/rpc/router.js';
import { startTestPbx, type TestPbx } from '../helpers/server.js';
import { memorySecretStore } from '../support/memory-secrets.js';

let pbx: TestPbx;
let dir: string;
let router: Router;
let services: ConsoleServices;
const { store: secrets } = memorySecretStore();

type ExportFile = { filename: string; text: string; encrypted: boolean; bytes: number };
type LiveFindings = { findings: FindingView[]; csv: string; filename: string; pbx: string; checkedAt: string };

async function ok<T = unknown>(channel: string, payload: unknown = {}): Promise<T> {
  const res = await router.handle(channel, payload);
  if (!res.ok) throw new Error(`${channel}: ${res.error.code} ${res.error.message}`);
  return res.value as T;
}

const CANARY = 'Canary-Passphrase-7f3a9c1e';

/** A finding without what may differ between two checks a moment apart (nothing should). */
const shape = (fs: FindingView[]) => [...fs].sort((a, b) => a.rule.localeCompare(b.rule)).map((f) => ({ rule: f.rule, count: f.count, rows: f.rows }));

beforeAll(async () => {
  pbx = await startTestPbx();
  dir = mkdtempSync(path.join(os.tmpdir(), 'warden-cfgexport-'));
  const profiles = new ProfileStore({ cwd: dir });
  profiles.save({ name: 'Test PBX', url: pbx.url, username: 'admin', tls: { mode: 'system' } });
  const connection = new ConnectionManager(secrets, { onStatus: () => undefined, onPbxEvent: () => undefined }, { retries: 0 });
  const review = new ReviewManager(() => undefined);
  services = { mode: 'browser', version: 't', profiles, secrets, connection, embedded: null, review };
  router = createRouter(createHandlers(services));
  // something to find: a ban and an allowlist entry
  expect((await pbx.api('POST', '/api/v1/lockouts/addresses', { body: { cidr: '203.0.113.9', description: 'export test' } })).status).toBe(201);
  await ok('connection.connect', { profileId: 'test-pbx', password: pbx.adminPassword });
}, 60_000);

afterAll(async () => {
  await services?.connection.disconnect(false);
  await pbx?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('config.export', () => {
  it('without a passphrase: the PBX’s own file, which the reader opens with the live counts', async () => {
    const file = await ok<ExportFile>('config.export', {});
    expect(file.encrypted).toBe(false);
    expect(file.filename).toMatch(/^pbx-export-[A-Za-z0-9._-]+-\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d\.json$/);
    expect(file.bytes).toBe(Buffer.byteLength(file.text));
    const r = readExportText(file.text);
    if (!r.ok) throw new Error(r.message);
    const all = await ok<{ total: number }>('extensions.all');
    const bans = await ok<{ items: unknown[] }>('lockouts.bans');
    const accounts = await ok<{ items: unknown[] }>('accounts.list');
    const sites = await ok<{ items: unknown[] }>('sites.list');
    expect(r.data.extensions.length).toBe(all.total);
    expect(r.data.lockouts.addresses.length).toBe(bans.items.length);
    expect(r.data.accounts.length).toBe(accounts.items.length);
    expect(r.data.sites.length).toBe(sites.items.length);
    expect(r.data.lockouts.addresses.length).toBeGreaterThan(0);
  }, 60_000);

  it('with a passphrase: an envelope that opens with it, is refused with another, and never holds the passphrase', async () => {
    const file = await ok<ExportFile>('config.export', { passphrase: CANARY });
    expect(file.encrypted).toBe(true);
    expect(file.filename).toMatch(/\.pbxw\.json$/);
    expect(JSON.parse(file.text)).toMatchObject({ format: 'pbx-warden-export-encrypted', version: 1 });
    // the passphrase is not in the answer (the file, its name, or anything else), in any encoding
    const answer = JSON.stringify(file);
    for (const needle of [CANARY, Buffer.from(CANARY).toString('base64'), Buffer.from(CANARY).toString('hex')]) {
      expect(answer).not.toContain(needle);
    }
    const bytes = Buffer.from(file.text, 'utf8');
    const opened = await openExportFile(bytes, CANARY);
    if (!opened.ok) throw new Error(opened.message);
    expect(opened.encrypted).toBe(true);
    expect(opened.data.extensions.length).toBe((await ok<{ total: number }>('extensions.all')).total);
    expect(await openExportFile(bytes, 'Wrong-Passphrase-123')).toMatchObject({ ok: false, code: 'passphrase_wrong' });
    expect(await openExportFile(bytes)).toMatchObject({ ok: false, code: 'passphrase_required' });
  }, 60_000);

  it('refuses a short passphrase by name and rule, before asking the PBX', async () => {
    const res = await router.handle('config.export', { passphrase: 'Canary-9x' });
    expect(res.ok).toBe(false);
    if (res.ok) return;
    expect(res.error.code).toBe('invalid_payload');
    expect(JSON.stringify(res.error)).toContain('at least 10 characters');
    expect(res.error.details?.[0]?.field).toBe('passphrase');
    // the refused passphrase is not echoed either
    expect(JSON.stringify(res.error)).not.toContain('Canary-9x');
  });

  it('is refused in a review (nothing can reach a PBX) and answers read_only', async () => {
    const file = await ok<ExportFile>('config.export', {});
    await ok('review.open', { fileName: file.filename, base64: Buffer.from(file.text).toString('base64') });
    try {
      for (const ch of ['config.export', 'findings.live']) {
        const res = await router.handle(ch, {});
        expect(res.ok).toBe(false);
        if (!res.ok) expect(res.error.code).toBe('read_only');
      }
    } finally {
      await ok<ConnectionStatus>('review.close');
      await ok('connection.connect', { profileId: 'test-pbx', password: pbx.adminPassword });
    }
  }, 60_000);
});

describe('findings.live', () => {
  it('answers the same findings as review.findings of the same export', async () => {
    const live = await ok<LiveFindings>('findings.live');
    expect(live.findings.some((f) => f.count > 0)).toBe(true);
    expect(live.filename).toMatch(/^findings-.+-live-.+\.csv$/);
    expect(Date.now() - Date.parse(live.checkedAt)).toBeLessThan(60_000);
    expect(live.csv.split('\n').length).toBeGreaterThan(1);

    const file = await ok<ExportFile>('config.export', {});
    await ok('review.open', { fileName: file.filename, base64: Buffer.from(file.text).toString('base64') });
    try {
      const reviewed = await ok<{ findings: FindingView[] }>('review.findings');
      expect(shape(live.findings)).toEqual(shape(reviewed.findings));
    } finally {
      await ok('review.close');
      await ok('connection.connect', { profileId: 'test-pbx', password: pbx.adminPassword });
    }
  }, 60_000);

  it('needs a connection: disconnected, it is a typed error, not a crash', async () => {
    await services.connection.disconnect(false);
    for (const ch of ['findings.live', 'config.export']) {
      const res = await router.handle(ch, {});
      expect(res.ok).toBe(false);
      if (!res.ok) expect(res.error.code).toBe('not_connected');
    }
    await ok('connection.connect', { profileId: 'test-pbx', password: pbx.adminPassword });
  });
});

describe('an admin with a site limit', () => {
  it('gets the PBX’s forbidden from both channels, saying why', async () => {
    const sites = (await pbx.api<{ items: { id: string }[] }>('GET', '/api/v1/sites')).json.items;
    const password = 'Site-Admin-Password-91!';
    const created = await pbx.api('POST', '/api/v1/admin/accounts', { body: { username: 'siteadmin', password, role: 'admin', sites: [sites[0]!.id] } });
    expect(created.status).toBe(201);
    services.profiles.save({ name: 'Site admin', url: pbx.url, username: 'siteadmin', tls: { mode: 'system' } });
    await ok('connection.connect', { profileId: 'site-admin', password });
    try {
      for (const ch of ['findings.live', 'config.export']) {
        const res = await router.handle(ch, {});
        expect(res.ok).toBe(false);
        if (!res.ok) {
          expect(res.error.code).toBe('forbidden');
          expect(res.error.message).toMatch(/export the configuration/);
        }
      }
    } finally {
      await ok('connection.connect', { profileId: 'test-pbx', password: pbx.adminPassword });
    }
  });
});

describe('dispositionFilename', () => {
  it('takes a plain file name and nothing that could be a path', () => {
    expect(dispositionFilename('attachment; filename="pbx-export-a-2026-01-01-00-00-00.json"')).toBe('pbx-export-a-2026-01-01-00-00-00.json');
    expect(dispositionFilename('attachment; filename=x.json')).toBe('x.json');
    expect(dispositionFilename('attachment; filename="../../etc/passwd"')).toBeNull();
    expect(dispositionFilename('attachment; filename=".hidden"')).toBeNull();
    expect(dispositionFilename(undefined)).toBeNull();
  });
});

// Issue 7: the console exports the connected PBX's configuration (config.export — plain, or encrypted with a
// passphrase) and runs the review's findings live (findings.live), through the real RPC router against the REAL
// reference PBX. The plain file opens in the reader with the live counts; the encrypted one opens only with its
// passphrase; the passphrase never comes back; the live findings equal the review's findings of the same export.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectionStatus } from '../../shared/rpc.js';
import { readExportText } from '../../shared/export-reader.js';
import type { FindingView } from '../../shared/review.js';
import { ConnectionManager } from '../../main/core/connection.js';
import { openExportFile } from '../../main/core/export-file.js';
import { ENVELOPE_MAX_BYTES } from '../../main/core/export-envelope.js';
import type { DesktopShell } from '../../main/core/file-delivery.js';
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

type ExportAnswer = { filename: string; encrypted: boolean; bytes: number; delivery: { kind: string; url?: string; path?: string } };
type ExportFile = ExportAnswer & { text: string };
type LiveFindings = { findings: FindingView[]; csv: string; filename: string; pbx: string; checkedAt: string };

async function ok<T = unknown>(channel: string, payload: unknown = {}): Promise<T> {
  const res = await router.handle(channel, payload);
  if (!res.ok) throw new Error(`${channel}: ${res.error.code} ${res.error.message}`);
  return res.value as T;
}

const CANARY = 'Canary-Passphrase-7f3a9c1e';

/**
 * config.export in browser mode: the answer names a single-use download (the body never rides the RPC answer);
 * the file is what the console host would serve for it.
 */
async function exported(payload: unknown = {}): Promise<ExportFile> {
  const answer = await ok<ExportAnswer>('config.export', payload);
  expect(answer).not.toHaveProperty('text');
  expect(answer.delivery).toMatchObject({ kind: 'download', url: expect.stringMatching(/^\/download\/[0-9a-f]{32}$/) });
  const file = services.downloads!.take(answer.delivery.url!.slice('/download/'.length));
  if (!file) throw new Error('the export was not kept for download');
  expect(file.filename).toBe(answer.filename);
  expect(file.type).toBe('application/json; charset=utf-8');
  return { ...answer, text: file.body.toString('utf8') };
}

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
    const file = await exported({});
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
    const file = await exported({ passphrase: CANARY });
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
    const file = await exported({});
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

    const file = await exported({});
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

/**
 * The desktop app (Electron): main asks a native dialog where to save or what to open, and writes or reads the
 * file itself. Electron's dialog and printToPDF cannot run here (no Electron binary), so they are the only fake:
 * a shell that answers the path a user would pick. The files are real, written and read by main's own code.
 */
describe('in the desktop app (native dialogs)', () => {
  type Picks = { save: (string | null)[]; open: (string | null)[]; asked: { title: string; defaultName?: string }[] };
  let picks: Picks;
  const shell: DesktopShell = {
    async chooseSavePath(o) {
      picks.asked.push({ title: o.title, defaultName: o.defaultName });
      return picks.save.shift() ?? null;
    },
    async chooseOpenPath(o) {
      picks.asked.push({ title: o.title });
      return picks.open.shift() ?? null;
    },
    async printToPdf() {
      return Buffer.from('%PDF-1.7\n% findings report\n%%EOF\n');
    },
  };
  let out: string;

  beforeAll(() => {
    out = mkdtempSync(path.join(os.tmpdir(), 'warden-desktop-'));
  });
  afterAll(() => {
    services.shell = null;
    rmSync(out, { recursive: true, force: true });
  });
  const desktop = () => {
    picks = { save: [], open: [], asked: [] };
    services.shell = shell;
  };

  it('app.info says whether native dialogs are there', async () => {
    services.shell = null;
    expect(await ok('app.info')).toMatchObject({ desktop: false });
    desktop();
    expect(await ok('app.info')).toMatchObject({ desktop: true });
  });

  it('config.export: saved where the dialog says (owner-only), nothing kept for download; cancelled writes nothing', async () => {
    desktop();
    const target = path.join(out, 'chosen name.json');
    picks.save.push(target);
    const before = services.downloads!.size;
    const answer = await ok<ExportAnswer>('config.export', {});
    expect(answer.delivery).toEqual({ kind: 'saved', path: target });
    expect(picks.asked[0]).toMatchObject({ title: 'Save the exported configuration', defaultName: answer.filename });
    expect(services.downloads!.size).toBe(before);
    expect(statSync(target).mode & 0o777).toBe(0o600);
    const opened = await openExportFile(readFileSync(target));
    expect(opened.ok).toBe(true);
    expect(readdirSync(out).filter((f) => f.includes('.tmp-'))).toEqual([]);

    picks.save.push(null);
    expect((await ok<ExportAnswer>('config.export', {})).delivery).toEqual({ kind: 'cancelled' });
    expect(readdirSync(out)).toEqual(['chosen name.json']);
  }, 60_000);

  it('config.export: a place that cannot be written is a typed error naming the path, and the old file stays', async () => {
    desktop();
    const blocker = path.join(out, 'not-a-folder');
    writeFileSync(blocker, 'old content');
    picks.save.push(path.join(blocker, 'export.json'));
    const res = await router.handle('config.export', {});
    expect(res.ok).toBe(false);
    if (!res.ok) {
      expect(res.error.code).toBe('validation_failed');
      expect(res.error.details?.[0]).toMatchObject({ field: 'path', rule: 'writable' });
    }
    expect(readFileSync(blocker, 'utf8')).toBe('old content');
  }, 60_000);

  it('review.pick: the file chosen opens for review by its upload id; cancelled is null; too large is refused before reading', async () => {
    desktop();
    const target = path.join(out, 'to-review.json');
    picks.save.push(target);
    await ok('config.export', {});
    picks.open.push(target);
    const picked = await ok<{ file: { fileName: string; uploadId: string; bytes: number } | null }>('review.pick');
    expect(picked.file).toMatchObject({ fileName: 'to-review.json', bytes: statSync(target).size });
    const st = await ok<ConnectionStatus>('review.open', { fileName: picked.file!.fileName, uploadId: picked.file!.uploadId });
    expect(st.review?.fileName).toBe('to-review.json');
    // compare with a second pick (the same file: nothing changed)
    picks.open.push(target);
    const other = await ok<{ file: { fileName: string; uploadId: string } }>('review.pick');
    const diff = await ok<{ sections: { added: unknown[]; removed: unknown[]; changed: unknown[] }[] }>('review.compare', {
      fileName: other.file.fileName, uploadId: other.file.uploadId,
    });
    expect(diff.sections.every((s) => s.added.length + s.removed.length + s.changed.length === 0)).toBe(true);
    await ok('review.close');

    picks.open.push(null);
    expect(await ok('review.pick')).toEqual({ file: null });

    const huge = path.join(out, 'huge.json');
    writeFileSync(huge, '');
    truncateSync(huge, ENVELOPE_MAX_BYTES + 1); // sparse: no disk used, and never read
    picks.open.push(huge);
    const res = await router.handle('review.pick', {});
    expect(res.ok).toBe(false);
    if (!res.ok) expect(res.error).toMatchObject({ code: 'payload_too_large', details: [{ field: '(file)', rule: 'too_large' }] });

    picks.open.push(path.join(out, 'missing.json'));
    const missing = await router.handle('review.pick', {});
    expect(missing.ok).toBe(false);
    if (!missing.ok) expect(missing.error).toMatchObject({ code: 'export_invalid', message: expect.stringMatching(/missing\.json: .*ENOENT/) });
    await ok('connection.connect', { profileId: 'test-pbx', password: pbx.adminPassword });
  }, 60_000);

  it('report.savePdf: the window printed to PDF, saved where the dialog says; the name is checked; browser mode says how instead', async () => {
    desktop();
    const target = path.join(out, 'findings.pdf');
    picks.save.push(target);
    expect(await ok('report.savePdf', { filename: 'findings-pbx.pdf' })).toEqual({ delivery: { kind: 'saved', path: target } });
    expect(picks.asked[0]).toMatchObject({ title: 'Save the report as PDF', defaultName: 'findings-pbx.pdf' });
    expect(readFileSync(target, 'latin1')).toMatch(/^%PDF-/);
    for (const filename of ['../up.pdf', 'report.exe', '', 'a\u0000.pdf']) {
      const res = await router.handle('report.savePdf', { filename });
      expect(res.ok, filename).toBe(false);
      if (!res.ok) expect(res.error.details?.[0]?.field).toBe('filename');
    }
    services.shell = null;
    for (const [ch, payload] of [['report.savePdf', { filename: 'x.pdf' }], ['review.pick', {}]] as const) {
      const res = await router.handle(ch, payload);
      expect(res.ok).toBe(false);
      if (!res.ok) expect(res.error).toMatchObject({ code: 'not_supported', message: expect.stringMatching(/desktop app/) });
    }
  });
});

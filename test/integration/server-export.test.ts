// Issue 7 / SPEC F6 on the REAL reference PBX: GET /api/v1/export. Round trip (the file read back with the
// console's safe reader has the same rows and states as the live API lists), no secret and no hash in it (canary
// values set through the API, and every hash stored in the database, searched for in the file's text), only for
// admins without a site limit, and audited with counts only. Plus the encrypted envelope on a real export.
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Extension } from '../../shared/domain.js';
import { readExportText } from '../../shared/export-reader.js';
import type { PbxExport } from '../../shared/export.js';
import { decryptExport, encryptExport } from '../../main/core/export-envelope.js';
import { openExportFile } from '../../main/core/export-file.js';
import { DB_FILE } from '../../server/db.js';
import { errorOf, startTestPbx, type HttpResult, type TestPbx } from '../helpers/server.js';
import { SoftAuthenticator, type CreationOptionsJson } from '../helpers/webauthn.js';

let pbx: TestPbx;
let text = '';
let doc: PbxExport;
let exportResponse: HttpResult;

/** Values set during the run that must never be in an export, in any form. */
const CANARY = {
  protection: '846392017',
  voicemail: '7305918264',
  hotdeskUser: '61839275',
  hotdeskAdmin: '94027361',
  adminPassword: 'Canary-Root-Pw-qX7vL2',
  siteAdminPassword: 'Canary-Branch-Pw-9fTz',
};
const FAST_KDF = { memoryCost: 19456, timeCost: 2, parallelism: 1 };

const ok = <T>(r: HttpResult<T>, status = 200): T => {
  expect(r.status, r.text).toBe(status);
  return r.json;
};
const items = async <T>(path: string, token = pbx.token): Promise<T[]> => ok(await pbx.api<{ items: T[] }>('GET', path, { token })).items;

async function allExtensions(): Promise<Extension[]> {
  const out: Extension[] = [];
  let cursor: string | null = null;
  do {
    const q: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
    const page: { items: Extension[]; nextCursor: string | null } = ok(await pbx.api('GET', `/api/v1/extensions?limit=1000${q}`));
    out.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return out;
}

let siteAdminToken = '';
let receptionToken = '';

beforeAll(async () => {
  pbx = await startTestPbx({ credentialRate: { max: 1000, windowMs: 10_000 } });
  // secrets of every kind, set through the API
  const protectable = (await allExtensions()).find((e) => e.type === 'phone_terminal' && e.status === 'active' && !e.protection.passwordSet)!;
  ok(await pbx.api('PUT', `/api/v1/extensions/${protectable.number}/protection`, { ifMatch: protectable.etag, body: { enabled: true, password: CANARY.protection } }));
  // a stricter voicemail policy: PINs set before it no longer surely "meet the current policy", the one set after does
  const vm = ok(await pbx.api<{ policy: { minLength: number }; etag: string }>('GET', '/api/v1/policies/pin/voicemail_pin'));
  ok(await pbx.api('PUT', '/api/v1/policies/pin/voicemail_pin', { ifMatch: vm.etag, body: { ...vm.policy, minLength: vm.policy.minLength + 1 } }));
  const withMailbox = (await allExtensions()).find((e) => e.voicemail && e.status === 'active' && e.number !== protectable.number)!;
  ok(await pbx.api('PUT', `/api/v1/extensions/${withMailbox.number}/credentials/voicemail_pin`, { ifMatch: withMailbox.etag, body: { value: CANARY.voicemail } }));
  ok(await pbx.api('PUT', '/api/v1/hotdesk/passwords/user', { body: { password: CANARY.hotdeskUser } }));
  ok(await pbx.api('PUT', '/api/v1/hotdesk/passwords/admin', { body: { password: CANARY.hotdeskAdmin } }));
  // the admin's own password becomes a canary; more tokens (logins) for it
  ok(await pbx.api('PUT', '/api/v1/admin/login-settings/password', { body: { currentPassword: pbx.adminPassword, password: CANARY.adminPassword } }));
  pbx.token = ok(await pbx.login('admin', CANARY.adminPassword), 201).token;
  ok(await pbx.login('admin', CANARY.adminPassword), 201);
  // a site-limited admin and the receptionist sign in (tokens of other accounts)
  const sites = ok(await pbx.api<{ items: { id: string }[] }>('GET', '/api/v1/sites')).items;
  ok(await pbx.api('POST', '/api/v1/admin/accounts', {
    body: { username: 'siteadmin', password: CANARY.siteAdminPassword, role: 'admin', sites: [sites[0]!.id] },
  }), 201);
  siteAdminToken = ok(await pbx.login('siteadmin', CANARY.siteAdminPassword), 201).token;
  receptionToken = ok(await pbx.login('reception', pbx.receptionistPassword!), 201).token;
  // a lock and a ban: wrong keypad passwords from another address
  for (let i = 0; i < 6; i++) await pbx.device('/device/v1/keypad', { extension: protectable.number, code: '*11', digits: '000' }, { from: '127.0.0.9' });
  ok(await pbx.api('POST', '/api/v1/lockouts/addresses', { body: { cidr: '198.51.100.0/24', description: 'export test ban' } }), 201);
  // a passkey of the admin
  const port = new URL(pbx.url).port;
  const auth = new SoftAuthenticator();
  const headers = { host: `localhost:${port}` };
  const options = ok(await pbx.api<CreationOptionsJson>('POST', '/api/v1/admin/passkeys/registration-options', { body: {}, headers }));
  const response = auth.create(options, `http://localhost:${port}`);
  ok(await pbx.api('POST', '/api/v1/admin/passkeys', { body: { name: 'Export laptop', response }, headers }), 201);

  exportResponse = await pbx.api('GET', '/api/v1/export');
  text = exportResponse.text;
  const r = readExportText(text);
  if (!r.ok) throw new Error(`export not readable: ${r.code} ${r.message}`);
  doc = r.data;
}, 60_000);

afterAll(async () => {
  await pbx?.cleanup();
});

describe('GET /api/v1/export', () => {
  it('answers the document as an attachment, readable by the safe reader', () => {
    expect(exportResponse.status, exportResponse.text.slice(0, 300)).toBe(200);
    expect(exportResponse.headers['content-type']).toMatch(/^application\/json/);
    expect(exportResponse.headers['content-disposition']).toMatch(/^attachment; filename="pbx-export-[A-Za-z0-9._-]+-\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}\.json"$/);
    expect(doc).toMatchObject({ format: 'pbx-warden-export', version: 1, exportedBy: 'admin', pbx: { name: pbx.serverName } });
  });

  it('has the same rows and states as the live API lists', async () => {
    const exts = await allExtensions();
    expect(doc.extensions).toHaveLength(exts.length);
    expect(doc.extensions).toEqual(exts);
    // the states the SQL-built list must get right, all present
    expect(new Set(doc.extensions.map((e) => e.incomingCalls))).toEqual(new Set(['ring', 'voicemail', 'rejected']));
    expect(doc.extensions.some((e) => e.status === 'inactive')).toBe(true);
    expect(doc.extensions.some((e) => e.protection.state === 'blocked')).toBe(true);
    expect(new Set(doc.extensions.map((e) => e.credentials?.voicemail_pin.meetsCurrentPolicy))).toEqual(new Set([true, null]));
    expect(doc.extensions.some((e) => e.credentials?.voicemail_pin.isDefault)).toBe(true);
    expect(doc.sites).toEqual(ok(await pbx.api<{ items: unknown[] }>('GET', '/api/v1/sites')).items);
    expect(doc.lockouts.extensions).toEqual(await items('/api/v1/lockouts/extensions'));
    expect(doc.lockouts.extensions.some((l) => l.blocked)).toBe(true);
    expect(doc.lockouts.addresses).toEqual(await items('/api/v1/lockouts/addresses'));
    expect(doc.lockouts.addresses.map((b) => b.cidr)).toContain('198.51.100.0/24');
    expect(doc.lockouts.allowlist).toEqual(await items('/api/v1/lockouts/allowlist'));
    expect(doc.hotdesk.devices).toEqual(await items('/api/v1/devices'));
    expect(doc.hotdesk.templates).toEqual(await items('/api/v1/hotdesk/templates'));
    expect(doc.hotdesk.sites).toEqual(await items('/api/v1/hotdesk/sites'));
    const rows = await items<{ mapping: { extension: string } | null }>('/api/v1/hotdesk');
    expect(doc.hotdesk.mappings.map((m) => m.extension).sort()).toEqual(rows.flatMap((r) => (r.mapping ? [r.mapping.extension] : [])).sort());
    const pw = ok(await pbx.api<Record<string, unknown>>('GET', '/api/v1/hotdesk/passwords'));
    expect(doc.hotdesk.passwords).toMatchObject({ user: { set: true }, admin: { set: true } });
    expect(doc.hotdesk.passwords).toEqual(pw);
    const accounts = await items<Record<string, unknown>>('/api/v1/admin/accounts');
    expect(doc.accounts).toEqual(accounts.map(({ you: _y, etag: _e, ...a }) => a));
    expect(doc.accounts.map((a) => a.username).sort()).toEqual(['admin', 'reception', 'siteadmin']);
    const policies = ok(await pbx.api<{ items: { kind: string }[] }>('GET', '/api/v1/policies/pin')).items;
    expect(doc.policies.pin.map((p) => p.kind)).toEqual(policies.map((p) => p.kind));
    const lockoutPolicy = ok(await pbx.api('GET', '/api/v1/policies/lockout'));
    expect(doc.policies.lockout).toEqual(lockoutPolicy);
    const allowlist = ok(await pbx.api<{ entries: string[]; updatedAt: string | null }>('GET', '/api/v1/admin/allowlist'));
    expect(doc.adminAllowlist.entries).toEqual(allowlist.entries);
  });

  it('lists the tokens of every account (as each account\'s own list names them) and every passkey', async () => {
    const mine = await items<{ id: string; current: boolean }>('/api/v1/admin/tokens');
    const siteAdmin = await items<{ id: string }>('/api/v1/admin/tokens', siteAdminToken);
    const reception = await items<{ id: string }>('/api/v1/admin/tokens', receptionToken);
    const byUser = (u: string) => doc.tokens.filter((t) => t.username === u).map((t) => t.id).sort();
    expect(byUser('admin')).toEqual(mine.map((t) => t.id).sort());
    expect(byUser('siteadmin')).toEqual(siteAdmin.map((t) => t.id).sort());
    expect(byUser('reception')).toEqual(reception.map((t) => t.id).sort());
    expect(mine.length).toBeGreaterThanOrEqual(2);
    expect(doc.tokens.every((t) => !('current' in t))).toBe(true);
    const passkeys = await items<{ id: string; name: string }>('/api/v1/admin/passkeys');
    expect(doc.passkeys).toEqual(passkeys);
    expect(doc.passkeys.map((p) => p.name)).toEqual(['Export laptop']);
  });

  it('summarises the audit log: rows, first and last, chain check, rows per action', async () => {
    const verify = ok(await pbx.api<{ ok: boolean }>('GET', '/api/v1/audit/verify'));
    expect(doc.audit.verify.ok).toBe(true);
    expect(verify.ok).toBe(true);
    expect(doc.audit.rows).toBe(doc.audit.byAction.reduce((n, a) => n + a.count, 0));
    expect(doc.audit.rows).toBeGreaterThan(5);
    expect(doc.audit.firstAt).not.toBeNull();
    const counts = doc.audit.byAction.map((a) => a.count);
    expect(counts).toEqual([...counts].sort((a, b) => b - a));
  });

  it('holds no secret: no canary value in any encoding, no stored hash, no sealed default PIN', () => {
    for (const [what, value] of Object.entries(CANARY)) {
      for (const form of [value, Buffer.from(value).toString('base64'), Buffer.from(value).toString('hex')]) {
        expect(text.includes(form), `${what} (${form}) is in the export`).toBe(false);
      }
    }
    const db = new Database(join(pbx.dataDir, DB_FILE), { readonly: true, fileMustExist: true });
    try {
      const secrets: [string, string][] = [];
      const add = (what: string, sql: string) => {
        for (const v of db.prepare(sql).pluck().all() as (string | Buffer | null)[]) {
          if (v === null) continue;
          secrets.push([what, Buffer.isBuffer(v) ? v.toString('base64') : v]);
          if (Buffer.isBuffer(v)) secrets.push([`${what} (hex)`, v.toString('hex')]);
        }
      };
      add('protection hash', 'SELECT protection_hash FROM extensions');
      add('credential hash', 'SELECT hash FROM credentials');
      add('credential history hash', 'SELECT hash FROM credential_history');
      add('default PIN hash', 'SELECT hash FROM default_pins');
      add('sealed default PIN', 'SELECT enc FROM default_pins');
      add('admin password hash', 'SELECT password_hash FROM admins');
      add('hot-desk password hash', 'SELECT hash FROM hotdesk_passwords');
      add('session token hash', 'SELECT token_hash FROM sessions');
      add('passkey public key', 'SELECT public_key FROM passkeys');
      add('passkey credential id', 'SELECT credential_id FROM passkeys');
      expect(secrets.filter(([w]) => w === 'admin password hash' || w === 'hot-desk password hash' || w === 'session token hash').length).toBeGreaterThanOrEqual(6);
      for (const [what, value] of secrets) {
        // the token id is the first 16 hex digits of the token's hash, by design; the whole hash never is
        expect(text.includes(value), `${what} is in the export`).toBe(false);
        // argon2 hashes: their salt+digest part alone is not in it either
        const tail = value.split('$').pop()!;
        if (value.startsWith('$argon2') && tail.length >= 20) expect(text.includes(tail), `${what} (digest) is in the export`).toBe(false);
      }
      // the default PINs in clear (readable by admins through the API) are not in it either
      const defaults = db.prepare("SELECT number FROM credentials WHERE kind = 'voicemail_pin' AND is_default = 1 LIMIT 5").pluck().all() as string[];
      expect(defaults.length).toBeGreaterThan(0);
      return Promise.all(
        defaults.map(async (n) => {
          const d = ok(await pbx.api<{ defaultPin: string }>('GET', `/api/v1/extensions/${n}/credentials/voicemail-pin/default`)).defaultPin;
          expect(text.includes(`"${d}"`), `the default PIN of ${n} is in the export`).toBe(false);
        }),
      );
    } finally {
      db.close();
    }
    expect(text).not.toMatch(/\$argon2|password_hash|token_hash|"hash"|"pin"\s*:/i);
  });

  it('is refused to receptionists and to site-limited admins (403, saying why)', async () => {
    const r1 = await pbx.api('GET', '/api/v1/export', { token: receptionToken });
    expect(r1.status).toBe(403);
    expect(errorOf(r1)).toMatchObject({ code: 'forbidden', message: 'A receptionist cannot export the configuration' });
    const r2 = await pbx.api('GET', '/api/v1/export', { token: siteAdminToken });
    expect(r2.status).toBe(403);
    expect(errorOf(r2).code).toBe('forbidden');
    expect(errorOf(r2).message).toMatch(/admin without a site limit/);
    const r3 = await pbx.api('GET', '/api/v1/export', { token: null });
    expect(r3.status).toBe(401);
  });

  it('is audited as config.exported with counts only', async () => {
    const rows = ok(await pbx.api<{ items: { actor: string; action: string; detail: Record<string, unknown> }[] }>('GET', '/api/v1/audit?action=config.exported')).items;
    expect(rows.length).toBeGreaterThanOrEqual(1);
    const row = rows[rows.length - 1]!;
    expect(row.actor).toBe('admin');
    expect(row.detail).toMatchObject({ extensions: doc.extensions.length, accounts: 3, tokens: doc.tokens.length, passkeys: 1 });
    expect(Object.values(row.detail).every((v) => typeof v === 'number')).toBe(true);
    // the refused attempts wrote nothing
    expect(rows.every((r) => r.actor === 'admin')).toBe(true);
  });

  it('is in the OpenAPI document with its schema', async () => {
    const api = ok(await pbx.api<{ paths: Record<string, Record<string, { operationId: string }>>; components: { schemas: Record<string, unknown> } }>('GET', '/api/v1/openapi.json'));
    expect(api.paths['/api/v1/export']?.['get']?.operationId).toBe('exportConfig');
    expect(api.components.schemas['PbxExport']).toBeDefined();
  });
});

describe('the encrypted export (argon2id + AES-256-GCM) of a real export', () => {
  it('round-trips; a wrong passphrase and a changed byte are told apart; openExportFile asks for the passphrase', async () => {
    const envelope = await encryptExport(text, 'correct horse battery staple', FAST_KDF);
    expect(envelope).not.toContain(doc.extensions[0]!.label);
    expect(await decryptExport(envelope, 'correct horse battery staple')).toBe(text);
    await expect(decryptExport(envelope, 'wrong horse battery staple')).rejects.toMatchObject({ code: 'export_passphrase_wrong' });
    const parsed = JSON.parse(envelope) as { data: string };
    const bytes = Buffer.from(parsed.data, 'base64');
    bytes[Math.floor(bytes.length / 2)]! ^= 0x01;
    const tampered = JSON.stringify({ ...parsed, data: bytes.toString('base64') });
    await expect(decryptExport(tampered, 'correct horse battery staple')).rejects.toMatchObject({ code: 'export_tampered' });

    const file = Buffer.from(envelope, 'utf8');
    expect(await openExportFile(file)).toMatchObject({ ok: false, code: 'passphrase_required' });
    expect(await openExportFile(file, 'wrong horse battery staple')).toMatchObject({ ok: false, code: 'passphrase_wrong' });
    expect(await openExportFile(Buffer.from(tampered), 'correct horse battery staple')).toMatchObject({ ok: false, code: 'tampered' });
    const opened = await openExportFile(file, 'correct horse battery staple');
    expect(opened.ok && opened.encrypted && opened.data.extensions.length).toBe(doc.extensions.length);
    const plain = await openExportFile(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]));
    expect(plain.ok && !plain.encrypted && plain.data.accounts.length).toBe(3);
  }, 30_000);
});

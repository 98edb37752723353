// Issue 7 / SPEC F6 — the configuration export: every setting of the PBX as one versioned document
// (shared/export.ts), read straight from the database in one read transaction (a consistent snapshot), with
// no secret and no hash: credential metadata only, token rows by their short id, accounts without passwords.
// GET /api/v1/export is for an admin without a site limit; the export itself is audited (counts only).
import { EXPORT_FORMAT, EXPORT_VERSION, type PbxExport } from '../shared/export.js';
import { AppError } from '../shared/errors.js';
import { presetOf } from '../shared/pin-policy.js';
import { ExtensionCredentialKinds } from '../shared/domain.js';
import { AccountStore, accountResource } from './accounts.js';
import type { AdminAllowlistStore } from './admin-allowlist.js';
import { verifyAudit, verifyAuditAsync } from './audit.js';
import type { AuditVerify } from '../shared/audit.js';
import { mappingEtag, type HotDeskStore } from './hotdesk.js';
import { JsonText, type Handlers } from './http.js';
import { lockoutPolicyEtag } from './lockout-handlers.js';
import type { LockoutEngine } from './lockout.js';
import { PasskeyStore, passkeyView } from './passkeys.js';
import type { Store } from './store.js';

export interface ExportDeps {
  store: Store;
  lockout: LockoutEngine;
  hotdesk: HotDeskStore;
  allowlist: AdminAllowlistStore;
  clock: () => Date;
  serverName: string;
  version: string;
}

interface TokenRow {
  token_hash: string;
  username: string;
  created_at: string;
  created_from: string;
  user_agent: string | null;
  expires_at: string;
  last_used_at: string | null;
  last_used_from: string | null;
  last_used_ua: string | null;
  method: 'password' | 'passkey' | 'refresh';
}

/** Build the export document from the database as it is now (one read transaction). */
export function buildExport(deps: ExportDeps, exportedBy: string, verify?: AuditVerify): PbxExport {
  return deps.store.db.transaction(() => ({ ...snapshot(deps, exportedBy, verify), extensions: deps.store.allExtensions() }))();
}

/**
 * The export document as JSON in UTF-8 bytes (what GET /api/v1/export sends), in one read transaction. The extensions —
 * nearly all of a large export — are serialised by SQLite (extensionsJson), the rest by JSON.stringify.
 */
export function buildExportBytes(deps: ExportDeps, exportedBy: string, verify?: AuditVerify): { bytes: Buffer; doc: PbxExport; extensions: number } {
  return deps.store.db.transaction(() => {
    const doc = snapshot(deps, exportedBy, verify);
    const extensions = deps.store.db.prepare('SELECT count(*) FROM extensions').pluck().get() as number;
    const head = JSON.stringify(doc);
    const slot = '"extensions":[]';
    const at = head.indexOf(slot); // the first: the top-level key (sites before it have fixed keys, strings are escaped)
    if (at < 0) throw new Error('export: the extensions slot is missing');
    const bytes = Buffer.concat([
      Buffer.from(`${head.slice(0, at)}"extensions":`, 'utf8'),
      extensionsJsonBytes(deps.store),
      Buffer.from(head.slice(at + slot.length), 'utf8'),
    ]);
    return { bytes, doc, extensions };
  })();
}

/**
 * Every section but the extensions (an empty list in their place). Call inside a transaction. `verify`: the
 * audit chain check made just before (in batches that let the PBX answer meanwhile); else it is made here.
 */
function snapshot(deps: ExportDeps, exportedBy: string, verify?: AuditVerify): PbxExport {
  const { store, lockout, hotdesk, allowlist, clock } = deps;
  const db = store.db;
  const now = clock().toISOString();
  const adminList = allowlist.resource('');
  const accounts = new AccountStore(db).list().map((a) => {
    const { you: _you, etag: _etag, ...rest } = accountResource(a, { you: '', allowlistEmpty: adminList.entries.length === 0 });
    return rest;
  });
  // live tokens of every account (expired ones can no longer be used), named like the token list names them
  const tokenRows = db
    .prepare(
      `SELECT token_hash, username, created_at, created_from, user_agent, expires_at, last_used_at, last_used_from, last_used_ua, method
       FROM sessions WHERE expires_at > ? ORDER BY username, created_at DESC, token_hash`,
    )
    .all(now) as TokenRow[];
  const tokens = tokenRows.map((t) => ({
    id: t.token_hash.slice(0, 16),
    type: 'session' as const,
    username: t.username,
    createdWith: t.method,
    createdAt: t.created_at,
    createdFrom: t.created_from,
    createdUserAgent: t.user_agent,
    lastUsedAt: t.last_used_at,
    lastUsedFrom: t.last_used_from,
    lastUsedUserAgent: t.last_used_ua,
    expiresAt: t.expires_at,
  }));
  const lp = lockout.policyResource();
  const auditStats = db.prepare('SELECT count(*) AS n, min(id) AS first, max(id) AS last FROM audit').get() as {
    n: number; first: number | null; last: number | null;
  };
  const atOf = (id: number | null): string | null =>
    id === null ? null : ((db.prepare('SELECT at FROM audit WHERE id = ?').pluck().get(id) as string | undefined) ?? null);
  const byAction = db
    .prepare('SELECT action, count(*) AS count FROM audit GROUP BY action ORDER BY count DESC, action')
    .all() as { action: string; count: number }[];
  return {
    format: EXPORT_FORMAT,
    version: EXPORT_VERSION,
    exportedAt: now,
    exportedBy,
    pbx: { name: deps.serverName, version: deps.version },
    sites: store.listSites(),
    extensions: [],
    policies: {
      pin: store.listPolicies().map((p) => ({
        kind: p.kind, policy: p.policy, preset: presetOf(p.policy), version: p.version, updatedAt: p.updatedAt, updatedBy: p.updatedBy,
      })),
      lockout: { policy: lp.policy, version: lp.version, etag: lockoutPolicyEtag(lp.version), updatedAt: lp.updatedAt, updatedBy: lp.updatedBy },
    },
    lockouts: { extensions: lockout.extensionLocks(), addresses: lockout.bans(), allowlist: lockout.allowlist() },
    adminAllowlist: { entries: adminList.entries, updatedAt: adminList.updatedAt, updatedBy: adminList.updatedBy },
    hotdesk: {
      devices: hotdesk.devices(),
      templates: hotdesk.templates(),
      mappings: exportMappings(store),
      sites: hotdesk.sites(),
      passwords: hotdesk.passwords(),
    },
    accounts,
    tokens,
    passkeys: new PasskeyStore(db).all().map(passkeyView),
    audit: {
      rows: auditStats.n,
      firstAt: atOf(auditStats.first),
      lastAt: atOf(auditStats.last),
      verify: verify ?? verifyAudit(db),
      byAction,
    },
  };
}

const bool = (cond: string): string => `(CASE WHEN ${cond} THEN 'true' ELSE 'false' END)`;
const NO_CREDENTIAL = JSON.stringify({ set: false, isDefault: false, setAt: null, compliant: null, meetsCurrentPolicy: null });

/**
 * A JSON object as one SQL format() call: the keys go into the format string, each value is an SQL expression
 * that yields JSON text (json_quote for strings and NULL, a CASE for booleans). One allocation per object:
 * measured several times faster than json_object() or a chain of || at 100,000 rows.
 */
function objectSql(fields: [key: string, valueSql: string][]): string {
  const fmt = `{${fields.map(([k]) => `"${k}":%s`).join(',')}}`;
  return `format('${fmt.replaceAll("'", "''")}', ${fields.map(([, v]) => v).join(', ')})`;
}

const credentialSql = (i: number): string =>
  `(CASE WHEN c${i}.number IS NULL THEN '${NO_CREDENTIAL}' ELSE ${objectSql([
    ['set', "'true'"],
    ['isDefault', bool(`c${i}.is_default = 1`)],
    ['setAt', `json_quote(c${i}.set_at)`],
    ['compliant', bool(`c${i}.compliant = 1`)],
    // a default PIN: not asked; not compliant when set: false; set under a policy that implies today's: true; else not known
    ['meetsCurrentPolicy', `(CASE WHEN c${i}.is_default = 1 THEN 'null' WHEN c${i}.compliant IS NOT 1 THEN 'false'
       WHEN v${i}.implies_current = 1 THEN 'true' ELSE 'null' END)`],
  ])} END)`;

/**
 * Every extension as JSON text (one row each), built by SQLite in one statement: the same text, byte for byte, as
 * JSON.stringify(store.allExtensions()) — the row mapping of server/store.ts (toExtension, routeIncomingCall of
 * shared/protection.ts, the credential metadata with "meets the current policy" from pin_policy_versions)
 * written as SQL. The integration test compares it with the API's list; bench/export.ts with
 * store.allExtensions() at 100,000.
 */
const EXTENSIONS_JSON_SQL = `
  SELECT CAST(${objectSql([
    ['number', 'json_quote(e.number)'],
    ['label', 'json_quote(e.label)'],
    ['siteId', 'json_quote(e.site_id)'],
    ['type', 'json_quote(e.type)'],
    ['status', 'json_quote(e.status)'],
    ['voicemail', bool('e.voicemail = 1')],
    ['protection', objectSql([
      ['enabled', bool('e.protection_enabled = 1')],
      ['state', 'json_quote(e.protection_state)'],
      ['passwordSet', bool('e.protection_hash IS NOT NULL')],
      ['changedAt', 'json_quote(e.protection_changed_at)'],
      ['changedBy', 'json_quote(e.protection_changed_by)'],
      ['changedFrom', 'json_quote(e.protection_changed_from)'],
    ])],
    ['incomingCalls', `(CASE
      WHEN e.status <> 'active' OR (e.protection_enabled = 1 AND e.protection_state = 'blocked')
      THEN (CASE WHEN e.voicemail = 1 THEN '"voicemail"' ELSE '"rejected"' END)
      ELSE '"ring"' END)`],
    ['credentials', objectSql(ExtensionCredentialKinds.map((kind, i) => [kind, credentialSql(i)]))],
    ['voicemailTrusted', bool('e.voicemail_trusted = 1')],
    ['version', 'e.version'],
    ['etag', `json_quote('"v' || e.version || '"')`],
  ])} AS BLOB)
  FROM extensions e
  ${ExtensionCredentialKinds.map(
    (kind, i) => `LEFT JOIN credentials c${i} ON c${i}.number = e.number AND c${i}.kind = '${kind}'
    LEFT JOIN pin_policy_versions v${i} ON v${i}.kind = c${i}.kind AND v${i}.version = c${i}.policy_version`,
  ).join('\n  ')}
  ORDER BY e.num_sort, e.number`;

/**
 * The extensions of the export as a JSON array in UTF-8 bytes (see EXTENSIONS_JSON_SQL): one row each, in
 * index order (an ORDER BY inside group_concat would sort 77 MB of text instead), cast to BLOB so the bytes
 * come over as they are — no UTF-8 decoding into JS strings and encoding back for the socket.
 */
export function extensionsJsonBytes(store: Store): Buffer {
  const rows = store.db.prepare(EXTENSIONS_JSON_SQL).pluck().all() as Buffer[];
  const parts: Buffer[] = [OPEN];
  rows.forEach((r, i) => {
    if (i > 0) parts.push(COMMA);
    parts.push(r);
  });
  parts.push(CLOSE);
  return Buffer.concat(parts);
}

const OPEN = Buffer.from('[');
const COMMA = Buffer.from(',');
const CLOSE = Buffer.from(']');

/** The same as text. */
export function extensionsJson(store: Store): string {
  return extensionsJsonBytes(store).toString('utf8');
}

/** Every extension mapping, in number order (the hot-desk store reads them one at a time). */
function exportMappings(store: Store): PbxExport['hotdesk']['mappings'] {
  const rows = store.db
    .prepare(
      `SELECT m.extension, m.template_id, m.mac, m.updated_at, m.updated_by, m.version
       FROM hotdesk_mappings m LEFT JOIN extensions e ON e.number = m.extension ORDER BY e.num_sort, m.extension`,
    )
    .all() as { extension: string; template_id: number; mac: string | null; updated_at: string; updated_by: string | null; version: number }[];
  return rows.map((r) => ({
    extension: r.extension, templateId: r.template_id, mac: r.mac, updatedAt: r.updated_at, updatedBy: r.updated_by, etag: mappingEtag(r.extension, r.version),
  }));
}

/** A file name without path separators, quotes or control characters: letters, digits, dot, dash, underscore. */
export function exportFileName(serverName: string, at: string): string {
  const server = serverName.normalize('NFKD').replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[-.]+|-+$/g, '').slice(0, 60) || 'pbx';
  return `pbx-export-${server}-${at.slice(0, 19).replace(/[:T]/g, '-')}.json`;
}

interface ExportSession {
  username: string;
  role: string;
  sites: string[] | null;
}

export function exportHandlers<S extends ExportSession>(deps: ExportDeps): Pick<Handlers<S>, 'exportConfig'> {
  return {
    exportConfig: async (ctx) => {
      const { session } = ctx;
      // like account management: the whole configuration is for an admin of every site
      if (session.role !== 'admin' || session.sites !== null) {
        throw new AppError('forbidden', 'Only an admin without a site limit may export the configuration (it covers every site)', 403);
      }
      // the chain check first, in batches (a long log would hold the PBX for seconds in one pass)
      const verify = await verifyAuditAsync(deps.store.db);
      const { bytes, doc, extensions } = buildExportBytes(deps, session.username, verify);
      // written after the snapshot, so it is not in the file it describes (like audit.exported)
      deps.store.audit({
        at: deps.clock().toISOString(), actor: session.username, address: ctx.address, action: 'config.exported', target: null,
        detail: {
          sites: doc.sites.length, extensions, extensionLocks: doc.lockouts.extensions.length,
          addressBans: doc.lockouts.addresses.length, devices: doc.hotdesk.devices.length, mappings: doc.hotdesk.mappings.length,
          accounts: doc.accounts.length, tokens: doc.tokens.length, passkeys: doc.passkeys.length, auditRows: doc.audit.rows,
        },
      });
      return {
        body: new JsonText(bytes),
        headers: { 'content-disposition': `attachment; filename="${exportFileName(deps.serverName, doc.exportedAt)}"` },
      };
    },
  };
}

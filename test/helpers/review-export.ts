// Issue 7 tests: an export document built from the live management API of a REAL reference PBX (the PBX's own
// GET /api/v1/export is used when it answers; otherwise the document is assembled from the API's lists, the same
// resources the export holds). Returned as the file's text.
import { EXPORT_FORMAT, EXPORT_VERSION, PbxExportSchema, type PbxExport } from '../../shared/export.js';

type Get = (path: string) => Promise<{ status: number; body: unknown }>;

function items<T>(body: unknown): T[] {
  return (body as { items: T[] }).items;
}

export async function liveExport(get: Get, exportedBy = 'admin'): Promise<PbxExport> {
  const direct = await get('/export').catch(() => null);
  if (direct && direct.status === 200) {
    const parsed = PbxExportSchema.safeParse(direct.body);
    if (parsed.success) return parsed.data;
  }
  const body = async (p: string) => {
    const r = await get(p);
    if (r.status !== 200) throw new Error(`GET ${p}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };
  const exts: unknown[] = [];
  let cursor: string | null = null;
  do {
    const page = (await body(`/extensions?limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)) as { items: unknown[]; nextCursor: string | null };
    exts.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  const strip = <T extends object>(o: T, ...keys: string[]) => Object.fromEntries(Object.entries(o).filter(([k]) => !keys.includes(k)));
  const verify = await body('/audit/verify');
  const audit = (await body('/audit?limit=1000')) as { items: { action: string; at: string }[]; total: number };
  const byAction = new Map<string, number>();
  for (const r of audit.items) byAction.set(r.action, (byAction.get(r.action) ?? 0) + 1);
  const session = (await body('/session')) as { server?: string };
  const doc = {
    format: EXPORT_FORMAT,
    version: EXPORT_VERSION,
    exportedAt: new Date().toISOString(),
    exportedBy,
    pbx: { name: session.server ?? 'Reference PBX', version: '1' },
    sites: items(await body('/sites')),
    extensions: exts,
    policies: {
      pin: items<object>(await body('/policies/pin')).map((p) => strip(p, 'etag')),
      lockout: await body('/policies/lockout'),
    },
    lockouts: {
      extensions: items(await body('/lockouts/extensions')),
      addresses: items(await body('/lockouts/addresses')),
      allowlist: items(await body('/lockouts/allowlist')),
    },
    adminAllowlist: strip((await body('/admin/allowlist')) as object, 'etag', 'yourAddress', 'youAreIncluded'),
    hotdesk: {
      devices: items(await body('/devices')),
      templates: items(await body('/hotdesk/templates')),
      mappings: (items(await body('/hotdesk')) as { mapping: unknown }[]).map((r) => r.mapping).filter((m) => m !== null),
      sites: items(await body('/hotdesk/sites')),
      passwords: await body('/hotdesk/passwords'),
    },
    accounts: items<object>(await body('/admin/accounts')).map((a) => strip(a, 'you', 'etag')),
    tokens: items<object>(await body('/admin/tokens')).map((t) => strip(t, 'current')),
    passkeys: items(await body('/admin/passkeys')),
    audit: {
      rows: audit.total,
      firstAt: audit.items.at(-1)?.at ?? null,
      lastAt: audit.items[0]?.at ?? null,
      verify,
      byAction: [...byAction].map(([action, count]) => ({ action, count })).sort((a, b) => b.count - a.count),
    },
  };
  return PbxExportSchema.parse(doc);
}

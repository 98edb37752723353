// Issue 7 / SPEC F6 — the console's read-only review of an exported config. While a file is open, the RPC
// handlers ask this module first: the read channels the screens use are answered from the file (same shapes
// as the live PBX gives), every other PBX channel is refused with `read_only` — so every table, filter and
// dashboard works on the file with no screen rewritten, and nothing can ever be written to a PBX.
// Plain Node: no electron.
import { randomBytes } from 'node:crypto';
import type { Extension } from '../../shared/domain.js';
import { AppError, type ErrorCode } from '../../shared/errors.js';
import type { PbxExport } from '../../shared/export.js';
import type { HotDeskRow } from '../../shared/hotdesk.js';
import { openExportFile } from './export-file.js';
import { ENVELOPE_MAX_BYTES } from './export-envelope.js';
import type { Channel, ChannelOutput, ConnectionStatus, ReviewInfo } from '../../shared/rpc.js';

export const READ_ONLY_MESSAGE = 'This is a review of an exported file; nothing can be changed here';

/** The ETag every resource of a review carries (a write with it is refused anyway). */
const REVIEW_ETAG = 'review';

// ---- reading a file ----------------------------------------------------------------------------

export type ExportReadResult = { ok: true; data: PbxExport } | { ok: false; code: string; message: string; path?: string };

/**
 * THE ONE PLACE where an export file's bytes become a PbxExport: main/core/export-file.ts's openExportFile (size,
 * UTF-8, the encrypted envelope — passphrase_required, a wrong passphrase, tampering — then the safe reader).
 */
export async function readExportBytes(bytes: Buffer, passphrase?: string): Promise<ExportReadResult> {
  return openExportFile(bytes, passphrase);
}

/** The reader's failure as the console's typed error (the path the reader names becomes the field). */
function readFailure(r: { code: string; message: string; path?: string }, fileName: string): AppError {
  const code: ErrorCode = /passphrase_required/.test(r.code)
    ? 'export_passphrase_required'
    : /passphrase|wrong_key|decrypt/.test(r.code)
      ? 'export_passphrase_wrong'
      : /tamper/.test(r.code)
        ? 'export_tampered'
        : 'export_invalid';
  const status = code === 'export_invalid' || code === 'export_tampered' ? 422 : 401;
  const message = `${fileName}: ${r.message}`;
  const details = r.path !== undefined ? [{ field: r.path, rule: r.code, message: r.message }] : [{ field: '(file)', rule: r.code, message: r.message }];
  return new AppError(code, message, status, details);
}

// ---- uploads (the renderer sends a file in chunks: the browser bridge takes at most 1 MiB per call) ----

interface Upload {
  parts: Buffer[];
  size: number;
  touched: number;
}

const UPLOAD_TTL_MS = 10 * 60_000;
const MAX_UPLOADS = 4;

// ---- the review itself --------------------------------------------------------------------------

export function reviewInfo(fileName: string, x: PbxExport): ReviewInfo {
  return {
    fileName,
    pbx: x.pbx,
    exportedAt: x.exportedAt,
    exportedBy: x.exportedBy,
    counts: {
      sites: x.sites.length,
      extensions: x.extensions.length,
      extensionLocks: x.lockouts.extensions.length,
      addressBans: x.lockouts.addresses.length,
      devices: x.hotdesk.devices.length,
      mappings: x.hotdesk.mappings.length,
      accounts: x.accounts.length,
      tokens: x.tokens.length,
      passkeys: x.passkeys.length,
      auditRows: x.audit.rows,
    },
    audit: x.audit,
  };
}

function notInExport(what: string): AppError {
  return new AppError('not_in_export', `${what} is not part of an exported config, so it cannot be shown in a review`, 404);
}

/** The hot-desk table rows, as the PBX computes them (extensions with a mapping or on a phone). */
function hotDeskRows(x: PbxExport): HotDeskRow[] {
  const byExt = new Map<string, PbxExport['hotdesk']['devices'][number]>();
  for (const d of x.hotdesk.devices) if (d.extension !== null && d.state !== 'logged_out') byExt.set(d.extension, d);
  const mapping = new Map(x.hotdesk.mappings.map((m) => [m.extension, m]));
  const template = new Map(x.hotdesk.templates.map((t) => [t.id, t]));
  const ref = (id: number | null) => {
    const t = id === null ? undefined : template.get(id);
    return t ? { id: t.id, name: t.name, brand: t.brand } : null;
  };
  const rows: HotDeskRow[] = [];
  for (const e of x.extensions) {
    const d = byExt.get(e.number);
    const m = mapping.get(e.number);
    if (!d && !m) continue;
    rows.push({
      extension: e.number,
      label: e.label,
      siteId: e.siteId,
      state: d ? d.state : 'logged_out',
      since: d ? d.since : null,
      device: d ? { mac: d.mac, brand: d.brand, model: d.model, siteId: d.siteId, address: d.lastSeenAddress } : null,
      template: d ? ref(d.templateId) : m ? ref(m.templateId) : null,
      mapping: m ?? null,
    });
  }
  return rows;
}

type Reader<C extends Channel> = (x: PbxExport, input: never) => ChannelOutput<C>;
type Readers = { [C in Channel]?: Reader<C> };

function extensionPage(x: PbxExport, q: { limit?: number; cursor?: string; search?: string; site?: string; type?: string; protection?: string; sort?: string }) {
  const s = q.search?.trim().toLowerCase() ?? '';
  let items: Extension[] = x.extensions.filter(
    (e) =>
      (!s || e.number.includes(s) || e.label.toLowerCase().includes(s)) &&
      (!q.site || e.siteId === q.site) &&
      (!q.type || e.type === q.type) &&
      (!q.protection || q.protection === 'any' || (q.protection === 'off' ? !e.protection.enabled : e.protection.enabled && (q.protection === 'on' || e.protection.state === q.protection))),
  );
  const sort = q.sort ?? 'number';
  const key = sort.replace(/^-/, '') as 'number' | 'label' | 'site';
  const val = (e: Extension) => (key === 'site' ? e.siteId : e[key]);
  items = [...items].sort((a, b) => val(a).localeCompare(val(b), undefined, { numeric: true }) * (sort.startsWith('-') ? -1 : 1));
  const start = Number(q.cursor ?? 0) || 0;
  const limit = q.limit ?? 100;
  const page = items.slice(start, start + limit);
  return { items: page, total: items.length, nextCursor: start + limit < items.length ? String(start + limit) : null };
}

/** What each read channel answers from the file. A PBX channel missing here is refused as read_only. */
const READERS: Readers = {
  'sites.list': (x) => ({ items: x.sites }),
  'extensions.all': (x) => ({ items: x.extensions, total: x.extensions.length }),
  'extensions.list': (x, q: Parameters<typeof extensionPage>[1]) => extensionPage(x, q),
  'extensions.get': (x, { number }: { number: string }) => {
    const e = x.extensions.find((i) => i.number === number);
    if (!e) throw new AppError('not_found', `There is no extension ${number} in this export`, 404);
    return e;
  },
  'policies.pin.list': (x) => ({ items: x.policies.pin.map((p) => ({ ...p, etag: REVIEW_ETAG })) }),
  'policies.lockout.get': (x) => x.policies.lockout,
  'lockouts.extensions': (x) => ({ items: x.lockouts.extensions }),
  'lockouts.bans': (x) => ({ items: x.lockouts.addresses }),
  'lockouts.allowlist': (x) => ({ items: x.lockouts.allowlist }),
  'lockouts.histogram': () => {
    throw notInExport('The failed sign-ins per minute');
  },
  'lockouts.correlation': () => {
    throw notInExport('Which addresses failed against an extension');
  },
  'hotdesk.list': (x) => ({ items: hotDeskRows(x) }),
  'hotdesk.devices': (x) => ({ items: x.hotdesk.devices }),
  'hotdesk.templates': (x) => ({ items: x.hotdesk.templates }),
  'hotdesk.sites': (x) => ({ items: x.hotdesk.sites }),
  'hotdesk.passwords': (x) => x.hotdesk.passwords,
  'admin.allowlist': (x) => ({ ...x.adminAllowlist, yourAddress: '', youAreIncluded: true, etag: REVIEW_ETAG }),
  'accounts.list': (x) => ({ items: x.accounts.map((a) => ({ ...a, you: false, etag: REVIEW_ETAG })), total: x.accounts.length, sites: x.sites }),
  'loginSettings.get': () => {
    throw notInExport('Your own login settings (a review has no signed-in account; see Accounts)');
  },
  'tokens.list': (x) => ({ items: x.tokens.map((t) => ({ ...t, current: false })) }),
  'passkeys.list': (x) => ({ items: x.passkeys }),
  'audit.verify': (x) => x.audit.verify,
  'audit.list': (x) => {
    throw notInExport(`The audit log's rows (the export holds its summary: ${x.audit.rows} rows)`);
  },
  'audit.export': () => {
    throw notInExport('The audit log as CSV');
  },
  'credentials.defaultVoicemailPin': () => {
    throw notInExport('A default voicemail PIN (a secret; never exported)');
  },
  'policies.pin.check': () => {
    throw notInExport('The PIN policy tester (it asks the PBX)');
  },
};

/** Channels of the console itself (not the PBX): they work in a review as ever. */
export const LOCAL_CHANNELS: ReadonlySet<Channel> = new Set<Channel>([
  'app.info', 'secrets.status', 'secrets.createVault', 'secrets.unlockVault', 'profiles.list', 'profiles.save', 'profiles.delete',
  'connection.connect', 'connection.disconnect', 'connection.status',
  'review.upload', 'review.open', 'review.close', 'review.status', 'review.findings', 'review.compare',
  'review.pick', 'report.savePdf',
]);

/** Channels answered from the file. */
export const REVIEW_READ_CHANNELS: ReadonlySet<Channel> = new Set(Object.keys(READERS) as Channel[]);

/** Every other channel writes to (or asks) the PBX: refused in a review. */
export function isWriteChannel(channel: Channel): boolean {
  return !LOCAL_CHANNELS.has(channel) && !REVIEW_READ_CHANNELS.has(channel);
}

export class ReviewSource {
  constructor(readonly fileName: string, readonly data: PbxExport) {}

  info(): ReviewInfo {
    return reviewInfo(this.fileName, this.data);
  }

  /** The connection status the renderer sees during a review: "online" as an admin, with `review` set. */
  status(): ConnectionStatus {
    return {
      state: 'online', profileId: null, username: this.data.exportedBy, role: 'admin', server: this.data.pbx.name,
      message: null, retryAt: null, noPassword: false, review: this.info(),
    };
  }

  /** Answer a channel from the file, or refuse it (read_only). Local channels are not asked here. */
  answer(channel: Channel, input: unknown): unknown {
    const reader = READERS[channel] as ((x: PbxExport, input: unknown) => unknown) | undefined;
    if (!reader) throw new AppError('read_only', READ_ONLY_MESSAGE, 409);
    return reader(this.data, input);
  }
}

/** The open review (at most one) and the files being uploaded for it. */
export class ReviewManager {
  private source: ReviewSource | null = null;
  private readonly uploads = new Map<string, Upload>();

  constructor(private readonly onStatus: (status: ConnectionStatus) => void = () => undefined) {}

  get current(): ReviewSource | null {
    return this.source;
  }

  /** Append a chunk to an upload (a new one without id). The whole file is capped at the export's limit. */
  upload(id: string | undefined, chunk: Buffer): { uploadId: string; received: number } {
    const now = Date.now();
    for (const [k, u] of this.uploads) if (now - u.touched > UPLOAD_TTL_MS) this.uploads.delete(k);
    let u = id !== undefined ? this.uploads.get(id) : undefined;
    if (id !== undefined && !u) throw new AppError('not_found', 'The file upload expired or is unknown; choose the file again', 404);
    if (!u) {
      if (this.uploads.size >= MAX_UPLOADS) this.uploads.delete(this.uploads.keys().next().value as string);
      id = randomBytes(16).toString('hex');
      u = { parts: [], size: 0, touched: now };
      this.uploads.set(id, u);
    }
    // an encrypted export is base64: up to 4/3 of the largest plain one
    if (u.size + chunk.length > ENVELOPE_MAX_BYTES) {
      this.uploads.delete(id as string);
      throw new AppError('payload_too_large', `The file is larger than ${Math.round(ENVELOPE_MAX_BYTES / 1024 / 1024)} MB, more than any export`, 413);
    }
    u.parts.push(chunk);
    u.size += chunk.length;
    u.touched = now;
    return { uploadId: id as string, received: u.size };
  }

  /** The bytes of a finished upload (kept until dropped, so a passphrase retry needs no second upload). */
  bytesOf(uploadId: string): Buffer {
    const u = this.uploads.get(uploadId);
    if (!u) throw new AppError('not_found', 'The file upload expired or is unknown; choose the file again', 404);
    return Buffer.concat(u.parts);
  }

  dropUpload(uploadId: string): void {
    this.uploads.delete(uploadId);
  }

  /** Read a file into a PbxExport, or throw the reader's typed error. */
  async read(fileName: string, bytes: Buffer, passphrase?: string): Promise<PbxExport> {
    const r = await readExportBytes(bytes, passphrase);
    if (!r.ok) throw readFailure(r, fileName);
    return r.data;
  }

  open(fileName: string, data: PbxExport): ConnectionStatus {
    this.source = new ReviewSource(fileName, data);
    const st = this.source.status();
    this.onStatus(st);
    return st;
  }

  close(disconnected: ConnectionStatus): ConnectionStatus {
    if (!this.source) return disconnected;
    this.source = null;
    this.onStatus(disconnected);
    return disconnected;
  }
}

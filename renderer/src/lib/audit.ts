// The Audit log screen's pure parts (issue 6): the filter form → the query of audit.list / audit.export (local
// date-time inputs → ISO), a record's detail as readable lines ("mac: none → 00:08:5D:22:00:02"), the verify
// result as one sentence, rows counted in an exported CSV, and saving text as a file (a Blob and a temporary
// link: a download in a browser tab, the save dialog in Electron).
import type { AuditVerify } from '../../../shared/audit';
import type { ChannelInput } from '../../../shared/rpc';

/** What the filter form holds: text as typed; `from`/`to` as a datetime-local input gives them ("2030-01-15T09:00"). */
export interface AuditFilterForm {
  actor: string;
  action: string;
  from: string;
  to: string;
}

export const EMPTY_AUDIT_FILTER: AuditFilterForm = { actor: '', action: '', from: '', to: '' };

/** The filters as audit.export takes them (audit.list takes the same plus limit and cursor). */
export type AuditFilter = ChannelInput<'audit.export'>;

export type AuditFilterField = keyof AuditFilterForm;
export interface AuditFilterIssue {
  field: AuditFilterField;
  message: string;
}

const LOCAL_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?$/;

/**
 * A datetime-local value (the computer's time zone) as a Date; null when it is not one. `endOfMinute` moves it
 * to the last millisecond of that minute (or second, when seconds were given) — a "to" of 09:00 includes 09:00:59.
 */
export function localDateTime(value: string, endOfMinute = false): Date | null {
  const m = LOCAL_DATE_TIME.exec(value.trim());
  if (!m) return null;
  const n = (i: number) => Number(m[i] ?? 0);
  const [y, mo, d, h, mi] = [n(1), n(2) - 1, n(3), n(4), n(5)];
  const date = new Date(y, mo, d, h, mi, n(6), Number((m[7] ?? '0').padEnd(3, '0')));
  // new Date() rolls 2030-02-31 over into March: such a value is not a date. (Hours are not compared: a time
  // skipped by a daylight-saving change is moved on by an hour, which is what the user meant.)
  if (h > 23 || mi > 59 || n(6) > 59 || date.getFullYear() !== y || date.getMonth() !== mo || date.getDate() !== d) return null;
  if (endOfMinute && m[7] === undefined) date.setTime(date.getTime() + (m[6] !== undefined ? 999 : 59_999));
  return date;
}

/** A Date as a datetime-local value in the computer's time zone (to fill the form, e.g. around a record). */
export function toLocalInput(date: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${p(date.getMonth() + 1)}-${p(date.getDate())}T${p(date.getHours())}:${p(date.getMinutes())}`;
}

const MAX_TEXT = 64;

/** The form as the query filters (empty fields left out), or what is wrong with it, field by field. */
export function buildAuditFilter(form: AuditFilterForm): { ok: true; filter: AuditFilter } | { ok: false; issues: AuditFilterIssue[] } {
  const issues: AuditFilterIssue[] = [];
  const filter: AuditFilter = {};
  const actor = form.actor.trim();
  const action = form.action.trim();
  if (actor.length > MAX_TEXT) issues.push({ field: 'actor', message: `Who is at most ${MAX_TEXT} characters` });
  else if (actor) filter.actor = actor;
  if (action.length > MAX_TEXT) issues.push({ field: 'action', message: `Action is at most ${MAX_TEXT} characters` });
  else if (action) filter.action = action;
  const from = form.from.trim() ? localDateTime(form.from) : undefined;
  const to = form.to.trim() ? localDateTime(form.to, true) : undefined;
  if (from === null) issues.push({ field: 'from', message: 'From must be a date and time, e.g. 2030-01-15 09:00' });
  else if (from) filter.from = from.toISOString();
  if (to === null) issues.push({ field: 'to', message: 'To must be a date and time, e.g. 2030-01-15 17:30' });
  else if (to) filter.to = to.toISOString();
  if (from && to && from.getTime() > to.getTime()) issues.push({ field: 'to', message: 'To must not be before From' });
  return issues.length ? { ok: false, issues } : { ok: true, filter };
}

/** Whether any filter is set (the table then says "matching"). */
export function isFiltered(filter: AuditFilter): boolean {
  return Object.values(filter).some((v) => v !== undefined && v !== '');
}

/** The audit.list input for a page: the filters, the page size, and where to continue (none for the first page). */
export function listInput(filter: AuditFilter, limit: number, cursor?: number | null): ChannelInput<'audit.list'> {
  return { ...filter, limit, ...(cursor ? { cursor } : {}) };
}

/**
 * The page that starts at record `id` (cursor = the id to continue below, so id + 1), whatever the filters: used
 * to show the record where the chain breaks.
 */
export function pageFrom(id: number, limit: number): ChannelInput<'audit.list'> {
  return { limit, cursor: id + 1 };
}

// ---- a record's detail as text ----------------------------------------------------------------------------

/** "templateId" → "template id", "expires_at" → "expires at". */
export function humanKey(key: string): string {
  return key
    .replace(/_/g, ' ')
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase();
}

/** One value, short: strings as they are, nothing as "none", yes/no, lists with commas, objects as JSON. */
export function valueText(v: unknown): string {
  if (v === null || v === undefined || v === '') return 'none';
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (Array.isArray(v)) return v.length === 0 ? 'none' : v.every((x) => x === null || typeof x !== 'object') ? v.map(valueText).join(', ') : JSON.stringify(v);
  return JSON.stringify(v);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Nested objects as dotted keys ("policy.min length"); lists and values stay whole. */
function flatten(obj: Record<string, unknown>, prefix = ''): Array<[string, unknown]> {
  const out: Array<[string, unknown]> = [];
  for (const [k, v] of Object.entries(obj)) {
    if (v === undefined) continue;
    const key = prefix ? `${prefix}.${humanKey(k)}` : humanKey(k);
    if (isPlainObject(v) && Object.keys(v).length > 0) out.push(...flatten(v, key));
    else out.push([key, v]);
  }
  return out;
}

/** Keys that say which copy of a resource this is rather than what changed: last, and only when nothing else is said. */
const BOOKKEEPING = new Set(['version']);

/**
 * What changed, as lines: with `before` and `after` (objects or null), one "key: before → after" line per key
 * that differs (and "created"/"removed" when one side is missing); otherwise one "key: value" line per field,
 * nested fields with dotted keys. An empty detail is no line.
 */
export function detailLines(detail: Record<string, unknown>): string[] {
  const lines: string[] = [];
  const { before, after, ...rest } = detail;
  const hasChange = ('before' in detail || 'after' in detail) && (isPlainObject(before) || before === null) && (isPlainObject(after) || after === null);
  if (hasChange) {
    const b = isPlainObject(before) ? new Map(flatten(before)) : new Map<string, unknown>();
    const a = isPlainObject(after) ? new Map(flatten(after)) : new Map<string, unknown>();
    if (before === null && after !== null) lines.push('created');
    if (after === null && before !== null) lines.push('removed');
    for (const key of new Set([...b.keys(), ...a.keys()])) {
      const was = valueText(b.get(key));
      const now = valueText(a.get(key));
      if (was !== now) lines.push(`${key}: ${was} → ${now}`);
    }
    if (before !== null && after !== null && lines.length === 0) lines.push('no field changed');
  } else if ('before' in detail || 'after' in detail) {
    // before/after that are plain values ("state": "unrestricted" → "blocked")
    lines.push(`${valueText(before)} → ${valueText(after)}`);
  }
  const fields = flatten(rest);
  const main = fields.filter(([k]) => !BOOKKEEPING.has(k));
  for (const [k, v] of main) lines.push(`${k}: ${valueText(v)}`);
  if (lines.length === 0) for (const [k, v] of fields) lines.push(`${k}: ${valueText(v)}`);
  return lines;
}

/** The table cell: the first `max` lines, and how many more the expanded row shows. */
export function detailSummary(detail: Record<string, unknown>, max = 3): { lines: string[]; more: number } {
  const all = detailLines(detail);
  return all.length > max ? { lines: all.slice(0, max - 1), more: all.length - (max - 1) } : { lines: all, more: 0 };
}

// ---- verify, export ---------------------------------------------------------------------------------------

/** The head hash, short enough for a sentence: its first 12 hex digits and an ellipsis. */
export function shortHash(hash: string, digits = 12): string {
  return hash.length > digits ? `${hash.slice(0, digits)}…` : hash;
}

/** The verify result as one sentence. */
export function verifySentence(v: AuditVerify): string {
  if (v.broken) return `Broken at record #${v.broken.id}: ${v.broken.message}`;
  const n = `${v.checked.toLocaleString('en-US')} record${v.checked === 1 ? '' : 's'} checked`;
  return v.headHash ? `Intact: ${n}, head hash ${shortHash(v.headHash)}` : `Intact: ${n} (the log is empty)`;
}

/** How many data rows a CSV holds (RFC 4180: a quoted field may hold line breaks; the header row not counted). */
export function csvRowCount(csv: string): number {
  let rows = 0;
  let quoted = false;
  let content = false;
  for (let i = 0; i < csv.length; i++) {
    const c = csv[i];
    if (c === '"') quoted = !quoted;
    if (!quoted && (c === '\n' || c === '\r')) {
      if (content) rows++;
      content = false;
      if (c === '\r' && csv[i + 1] === '\n') i++;
    } else content = true;
  }
  if (content) rows++;
  return Math.max(0, rows - 1);
}

/** What the DOM offers for a download (a parameter, so the unit test can watch it). */
export interface DownloadHost {
  document: Pick<Document, 'createElement' | 'body'>;
  URL: Pick<typeof URL, 'createObjectURL' | 'revokeObjectURL'>;
  setTimeout: (fn: () => void, ms: number) => unknown;
}

/**
 * Save text as a file: a Blob, a temporary <a download> clicked and removed, the object URL revoked a moment
 * later. A download in a browser tab; in Electron the session's download (a save dialog).
 */
export function downloadText(filename: string, text: string, type = 'text/csv;charset=utf-8', host?: DownloadHost): void {
  const h: DownloadHost = host ?? { document, URL, setTimeout: (fn, ms) => window.setTimeout(fn, ms) };
  const url = h.URL.createObjectURL(new Blob([text], { type }));
  try {
    downloadUrl(url, filename, h);
  } finally {
    // revoked after the click has started the download (revoking at once can cancel it in some browsers)
    h.setTimeout(() => h.URL.revokeObjectURL(url), 10_000);
  }
}

/**
 * Download a URL as a file: a temporary <a download> clicked and removed. Also a file main keeps for this tab
 * (browser mode: GET /download/<id> on the console host, single use, the session cookie checked), so the
 * browser saves it as a download.
 */
export function downloadUrl(url: string, filename: string, host?: Pick<DownloadHost, 'document'>): void {
  const h = host ?? { document };
  const a = h.document.createElement('a');
  a.href = url;
  a.download = filename;
  a.rel = 'noopener';
  a.style.display = 'none';
  h.document.body.appendChild(a);
  try {
    a.click();
  } finally {
    a.remove();
  }
}

/** Suggestions for the filter fields from the rows loaded: the actors, and the actions with their groups ("hotdesk."). */
export function filterSuggestions(items: ReadonlyArray<{ actor: string; action: string }>): { actors: string[]; actions: string[] } {
  const actors = new Set<string>();
  const groups = new Set<string>();
  const actions = new Set<string>();
  for (const r of items) {
    actors.add(r.actor);
    actions.add(r.action);
    const dot = r.action.indexOf('.');
    if (dot > 0) groups.add(r.action.slice(0, dot + 1));
  }
  const sorted = (s: Set<string>) => [...s].sort((a, b) => a.localeCompare(b));
  return { actors: sorted(actors), actions: [...sorted(groups), ...sorted(actions)] };
}

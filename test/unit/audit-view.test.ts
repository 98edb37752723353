// The Audit log screen's pure parts (renderer/src/lib/audit.ts): the filter form → query (local date-times →
// ISO), a record's detail as readable lines, the verify sentence, rows counted in the exported CSV (with the
// PBX's own CSV writer), and saving a file through a temporary link.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { auditCsv, type AuditRecord } from '../../shared/audit.js';
import {
  buildAuditFilter,
  csvRowCount,
  detailLines,
  detailSummary,
  downloadText,
  EMPTY_AUDIT_FILTER,
  filterSuggestions,
  humanKey,
  isFiltered,
  listInput,
  localDateTime,
  pageFrom,
  shortHash,
  toLocalInput,
  verifySentence,
  type DownloadHost,
} from '../../renderer/src/lib/audit.js';

const HASH = 'ab12cd34ef56'.repeat(5) + 'abcd';

describe('the filter form as a query', () => {
  const tz = process.env['TZ'];
  beforeEach(() => {
    // a zone with an offset, so local → UTC is visible (and the same wherever the test runs)
    process.env['TZ'] = 'Europe/Berlin';
  });
  afterEach(() => {
    if (tz === undefined) delete process.env['TZ'];
    else process.env['TZ'] = tz;
  });

  it('an empty form filters nothing', () => {
    expect(buildAuditFilter(EMPTY_AUDIT_FILTER)).toEqual({ ok: true, filter: {} });
    expect(isFiltered({})).toBe(false);
  });

  it('text is trimmed; an action group keeps its dot', () => {
    const r = buildAuditFilter({ ...EMPTY_AUDIT_FILTER, actor: '  admin ', action: ' hotdesk. ' });
    expect(r).toEqual({ ok: true, filter: { actor: 'admin', action: 'hotdesk.' } });
    expect(isFiltered({ action: 'hotdesk.' })).toBe(true);
  });

  it('local date-times become ISO instants; "to" reaches the end of its minute', () => {
    const r = buildAuditFilter({ ...EMPTY_AUDIT_FILTER, from: '2030-01-15T09:00', to: '2030-01-15T17:30' });
    // January in Berlin is UTC+1
    expect(r).toEqual({ ok: true, filter: { from: '2030-01-15T08:00:00.000Z', to: '2030-01-15T16:30:59.999Z' } });
    // July is UTC+2; seconds given: to the end of that second
    expect(localDateTime('2030-07-01T12:00:30', true)?.toISOString()).toBe('2030-07-01T10:00:30.999Z');
  });

  it('a date that does not exist, or a range backwards, is refused field by field', () => {
    expect(localDateTime('2030-02-31T10:00')).toBeNull();
    expect(localDateTime('2030-01-15 25:00')).toBeNull();
    expect(localDateTime('yesterday')).toBeNull();
    const r = buildAuditFilter({ ...EMPTY_AUDIT_FILTER, from: '2030-02-31T10:00', to: 'soon' });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.issues.map((i) => i.field)).toEqual(['from', 'to']);
    const back = buildAuditFilter({ ...EMPTY_AUDIT_FILTER, from: '2030-01-15T10:00', to: '2030-01-15T09:00' });
    expect(back).toEqual({ ok: false, issues: [{ field: 'to', message: 'To must not be before From' }] });
    const long = buildAuditFilter({ ...EMPTY_AUDIT_FILTER, actor: 'a'.repeat(65) });
    expect(long.ok).toBe(false);
  });

  it('a date as a datetime-local value and back', () => {
    const d = localDateTime('2030-03-05T07:08')!;
    expect(toLocalInput(d)).toBe('2030-03-05T07:08');
  });

  it('pages: the first, the next (cursor), and the one starting at a record', () => {
    expect(listInput({ action: 'protection.' }, 50)).toEqual({ action: 'protection.', limit: 50 });
    expect(listInput({ action: 'protection.' }, 50, 120)).toEqual({ action: 'protection.', limit: 50, cursor: 120 });
    expect(listInput({}, 50, null)).toEqual({ limit: 50 });
    // cursor = the id to continue below, so record 17 itself comes first
    expect(pageFrom(17, 50)).toEqual({ limit: 50, cursor: 18 });
  });
});

describe("a record's detail as text", () => {
  it('keys read as words', () => {
    expect(humanKey('templateId')).toBe('template id');
    expect(humanKey('expires_at')).toBe('expires at');
  });

  it('before → after: one line per field that changed', () => {
    expect(
      detailLines({ before: { templateId: 3, mac: null }, after: { templateId: 5, mac: '00:08:5D:22:00:02' } }),
    ).toEqual(['template id: 3 → 5', 'mac: none → 00:08:5D:22:00:02']);
    expect(detailLines({ before: null, after: { templateId: 5, mac: null } })).toEqual(['created', 'template id: none → 5']);
    expect(detailLines({ before: { a: 1 }, after: { a: 1 } })).toEqual(['no field changed']);
    expect(detailLines({ before: 'unrestricted', after: 'blocked' })).toEqual(['unrestricted → blocked']);
  });

  it('nested settings show the changed ones only, with dotted keys', () => {
    expect(
      detailLines({ before: { autoLogout: { enabled: false, at: '23:00' } }, after: { autoLogout: { enabled: true, at: '23:00' } } }),
    ).toEqual(['auto logout.enabled: no → yes']);
  });

  it('plain fields as "key: value"; the version only when nothing else is said', () => {
    // protection.block
    expect(detailLines({ enabled: true, state: 'blocked', version: 4 })).toEqual(['enabled: yes', 'state: blocked']);
    expect(detailLines({ version: 4 })).toEqual(['version: 4']);
    // audit.exported
    expect(detailLines({ rows: 3, total: 3, filters: { action: 'hotdesk.' } })).toEqual(['rows: 3', 'total: 3', 'filters.action: hotdesk.']);
    expect(detailLines({ ids: [1, 2, 3], reason: null, list: [] })).toEqual(['ids: 1, 2, 3', 'reason: none', 'list: none']);
    expect(detailLines({})).toEqual([]);
  });

  it('the table cell: the first lines and how many more the details show', () => {
    const detail = { policy: { minLength: 4, maxLength: 12, maxRepeat: 3, maxRun: 3 }, version: 2 };
    expect(detailSummary(detail)).toEqual({ lines: ['policy.min length: 4', 'policy.max length: 12'], more: 2 });
    expect(detailSummary({ state: 'blocked' })).toEqual({ lines: ['state: blocked'], more: 0 });
  });
});

describe('verify, export', () => {
  it('the verify result as one sentence', () => {
    expect(verifySentence({ ok: true, checked: 1234, lastId: 1234, headHash: HASH, broken: null })).toBe(
      'Intact: 1,234 records checked, head hash ab12cd34ef56…',
    );
    expect(verifySentence({ ok: true, checked: 0, lastId: null, headHash: null, broken: null })).toBe('Intact: 0 records checked (the log is empty)');
    expect(
      verifySentence({
        ok: false, checked: 6, lastId: 6, headHash: null,
        broken: { id: 7, reason: 'edited', message: 'Record 7 was changed after it was written (its content no longer matches its hash)' },
      }),
    ).toBe('Broken at record #7: Record 7 was changed after it was written (its content no longer matches its hash)');
    expect(shortHash('abc')).toBe('abc');
  });

  it("rows counted in the PBX's CSV (quoted fields, commas and line breaks inside)", () => {
    const rec = (id: number, detail: Record<string, unknown>, target: string | null = null): AuditRecord => ({
      id, at: '2030-01-15T09:00:00.000Z', actor: 'admin', address: '127.0.0.1', action: 'x.y', target, detail, prevHash: '0', hash: '1',
    });
    expect(csvRowCount(auditCsv([]))).toBe(0);
    expect(csvRowCount(auditCsv([rec(1, { a: 'b,c' })]))).toBe(1);
    expect(csvRowCount(auditCsv([rec(1, {}, 'line\r\nbreak'), rec(2, { q: '"quoted"' }), rec(3, {}, '=1+1')]))).toBe(3);
    expect(csvRowCount('id,at\n1,x\n2,y')).toBe(2);
  });

  it('suggestions for the filters: actors, action groups then actions', () => {
    const s = filterSuggestions([
      { actor: 'admin', action: 'hotdesk.login' },
      { actor: 'device', action: 'hotdesk.login' },
      { actor: 'admin', action: 'protection.block' },
      { actor: 'system', action: 'failure' },
    ]);
    expect(s.actors).toEqual(['admin', 'device', 'system']);
    expect(s.actions).toEqual(['hotdesk.', 'protection.', 'failure', 'hotdesk.login', 'protection.block']);
  });

  it('a download: a Blob behind a temporary link, clicked, removed, its URL revoked later', async () => {
    const clicked: Array<{ href: string; download: string; attached: boolean }> = [];
    const body = { children: new Set<unknown>(), appendChild(el: unknown) { this.children.add(el); return el; } };
    const link = {
      href: '', download: '', rel: '', style: { display: '' },
      click() { clicked.push({ href: this.href, download: this.download, attached: body.children.has(this) }); },
      remove() { body.children.delete(this); },
    };
    let blob: Blob | null = null;
    const revoke = vi.fn();
    let later: (() => void) | null = null;
    const host = {
      document: { createElement: () => link, body },
      URL: { createObjectURL: (b: Blob) => ((blob = b), 'blob:test/1'), revokeObjectURL: revoke },
      setTimeout: (fn: () => void) => (later = fn),
    } as unknown as DownloadHost;
    downloadText('audit.csv', 'id,at\r\n', undefined, host);
    expect(clicked).toEqual([{ href: 'blob:test/1', download: 'audit.csv', attached: true }]);
    expect(body.children.size).toBe(0);
    expect(await blob!.text()).toBe('id,at\r\n');
    expect(blob!.type).toBe('text/csv;charset=utf-8');
    expect(revoke).not.toHaveBeenCalled();
    later!();
    expect(revoke).toHaveBeenCalledWith('blob:test/1');
  });
});

// The audit CSV (shared/audit.ts): RFC 4180 quoting, CRLF rows, and cells a spreadsheet would run as a
// formula (=, +, -, @ first) neutralised with a leading apostrophe.
import { describe, expect, it } from 'vitest';
import { auditCsv, type AuditRecord } from '../../shared/audit.js';

const row = (over: Partial<AuditRecord>): AuditRecord => ({
  id: 7, at: '2030-01-15T09:00:00.000Z', actor: 'admin', address: '127.0.0.1', action: 'protection.block', target: 'extension:1003',
  detail: {}, prevHash: 'a'.repeat(64), hash: 'b'.repeat(64), ...over,
});

/** A small RFC 4180 reader, to read back what was written. */
function readCsv(text: string): string[][] {
  const out: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  const endCell = () => {
    row.push(cell);
    cell = '';
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') endCell();
    else if (c === '\r' && text[i + 1] === '\n') {
      endCell();
      out.push(row);
      row = [];
      i++;
    } else cell += c;
  }
  return out;
}

describe('auditCsv', () => {
  it('writes a header and one CRLF row per record, quoting commas, quotes and newlines', () => {
    const csv = auditCsv([row({ detail: { reason: 'a, "b"\nc' } })]);
    expect(csv.endsWith('\r\n')).toBe(true);
    const [header, r] = readCsv(csv);
    expect(header).toEqual(['id', 'at', 'actor', 'address', 'action', 'target', 'detail', 'prev_hash', 'hash']);
    expect(r).toEqual(['7', '2030-01-15T09:00:00.000Z', 'admin', '127.0.0.1', 'protection.block', 'extension:1003', JSON.stringify({ reason: 'a, "b"\nc' }), 'a'.repeat(64), 'b'.repeat(64)]);
  });

  it('neutralises cells a spreadsheet would run as formulas', () => {
    const [, r] = readCsv(auditCsv([row({ actor: '=HYPERLINK("http://x")', target: '+1', address: null, action: '@SUM(A1)' })]));
    expect(r?.[2]).toBe('\'=HYPERLINK("http://x")');
    expect(r?.[5]).toBe("'+1");
    expect(r?.[4]).toBe("'@SUM(A1)");
    expect(r?.[3]).toBe('');
  });
});

// The tamper-evident audit log (issue 6): every admin action and security event, one row each, hash-chained —
// each row's hash covers the previous row's hash and the row itself, so an edited, deleted or inserted row
// breaks the chain from there on. The contract shared by the PBX (which writes and verifies) and the console.
import { z } from 'zod';

/** The hash before the first row. */
export const AUDIT_GENESIS = '0'.repeat(64);

export const AuditRecordSchema = z
  .object({
    id: z.number().int(),
    at: z.string(),
    /** The account, "device", or "system". */
    actor: z.string(),
    address: z.string().nullable(),
    action: z.string(),
    target: z.string().nullable(),
    /** What changed (before/after where it applies); never a secret. */
    detail: z.record(z.string(), z.unknown()),
    prevHash: z.string(),
    hash: z.string(),
  })
  .meta({ id: 'AuditRecord' });
export type AuditRecord = z.infer<typeof AuditRecordSchema>;

/** The text a row's hash covers (after the previous hash): its fields in a fixed order, detail as stored. */
export function auditCanonical(row: { id: number; at: string; actor: string; address: string | null; action: string; target: string | null; detailJson: string }): string {
  return JSON.stringify([row.id, row.at, row.actor, row.address, row.action, row.target, row.detailJson]);
}

const isoTime = (what: string) =>
  z
    .string()
    .refine((s) => !Number.isNaN(Date.parse(s)) && /^\d{4}-\d{2}-\d{2}/.test(s), { message: `${what} must be a date and time, e.g. 2030-01-15T09:00:00Z` });

/** Filters of the audit list and its CSV export; newest first, `cursor` = the id to continue below. */
export const AuditQuerySchema = z
  .object({
    limit: z.coerce.number().int().min(1, { message: 'limit must be at least 1' }).max(1000, { message: 'limit must be at most 1000' }).default(100),
    cursor: z.coerce.number().int().positive({ message: 'cursor must be the nextCursor of an earlier page' }).optional(),
    actor: z.string().max(64, { message: 'actor is at most 64 characters' }).optional(),
    /** An action, or a prefix of actions ending in a dot ("hotdesk." = every hot-desk action). */
    action: z.string().max(64, { message: 'action is at most 64 characters' }).optional(),
    from: isoTime('from').optional(),
    to: isoTime('to').optional(),
  })
  .strict();
export type AuditQuery = z.input<typeof AuditQuerySchema>;

export const AuditListSchema = z
  .object({ items: z.array(AuditRecordSchema), total: z.number().int(), nextCursor: z.number().int().nullable() })
  .meta({ id: 'AuditList' });
export type AuditList = z.infer<typeof AuditListSchema>;

/**
 * The chain checked from the first row: ok, or where it breaks — the first row whose stored hash does not match
 * its content (edited), whose previous hash is not the row before's hash (a row deleted or inserted before it).
 */
export const AuditVerifySchema = z
  .object({
    ok: z.boolean(),
    checked: z.number().int(),
    lastId: z.number().int().nullable(),
    /** The last row's hash when the chain is whole: note it somewhere else to anchor the log. */
    headHash: z.string().nullable(),
    broken: z
      .object({
        id: z.number().int(),
        reason: z.enum(['edited', 'missing_before', 'unchained']),
        message: z.string(),
      })
      .nullable(),
  })
  .meta({ id: 'AuditVerify' });
export type AuditVerify = z.infer<typeof AuditVerifySchema>;

const CSV_COLUMNS = ['id', 'at', 'actor', 'address', 'action', 'target', 'detail', 'prev_hash', 'hash'] as const;

/** One CSV cell (RFC 4180 quoting), formula-injection safe; shared with the findings CSV (shared/findings.ts). */
export function csvCell(v: string): string {
  // a leading = + - @ would be a formula in a spreadsheet: quote it with a leading apostrophe
  const safe = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
  return /[",\n\r]/.test(safe) || safe !== v ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** Audit rows as CSV (RFC 4180, CRLF, header row), safe to open in a spreadsheet. */
export function auditCsv(rows: readonly AuditRecord[]): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const r of rows) {
    lines.push(
      [String(r.id), r.at, r.actor, r.address ?? '', r.action, r.target ?? '', JSON.stringify(r.detail), r.prevHash, r.hash].map(csvCell).join(','),
    );
  }
  return lines.join('\r\n') + '\r\n';
}

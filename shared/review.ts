// Issue 7 / SPEC F6 — the console's read-only review of an exported config: what the renderer is told about the
// open file, and the shapes of findings and of a comparison as the review channels carry them. The rules
// themselves live in shared/findings.ts (runFindings) and shared/export-diff.ts (diffExports).
import { z } from 'zod';
import { AuditSummarySchema } from './export.js';

export const ReviewInfoSchema = z.object({
  fileName: z.string(),
  pbx: z.object({ name: z.string(), version: z.string() }),
  exportedAt: z.string(),
  exportedBy: z.string(),
  counts: z.object({
    sites: z.number().int(),
    extensions: z.number().int(),
    extensionLocks: z.number().int(),
    addressBans: z.number().int(),
    devices: z.number().int(),
    mappings: z.number().int(),
    accounts: z.number().int(),
    tokens: z.number().int(),
    passkeys: z.number().int(),
    auditRows: z.number().int(),
  }),
  /** The audit log as exported: its summary and the chain check at export time (the rows are not exported). */
  audit: AuditSummarySchema,
});
export type ReviewInfo = z.infer<typeof ReviewInfoSchema>;

/** A file as the renderer hands it over: an upload id (chunks sent with review.upload) or, for a small file, its bytes. */
export const ReviewFileInputSchema = z
  .object({
    fileName: z.string().trim().min(1, { message: 'fileName: name the file' }).max(255),
    uploadId: z.string().regex(/^[0-9a-f]{32}$/).optional(),
    /** The whole file, base64 (small files; the browser bridge takes at most 1 MiB per call). */
    base64: z.string().max(900_000).optional(),
    passphrase: z.string().min(1).max(1024).optional(),
  })
  .strict()
  .refine((f) => (f.uploadId === undefined) !== (f.base64 === undefined), { message: 'send either uploadId or base64', path: ['uploadId'] });

export const FindingSeveritySchema = z.enum(['critical', 'high', 'medium', 'low']);
export type FindingSeverity = z.infer<typeof FindingSeveritySchema>;

export const FindingViewSchema = z.object({
  rule: z.string(),
  severity: FindingSeveritySchema,
  title: z.string(),
  explanation: z.string(),
  fix: z.string(),
  count: z.number().int(),
  rows: z.array(z.object({ key: z.string(), label: z.string(), detail: z.string() })),
});
export type FindingView = z.infer<typeof FindingViewSchema>;

export const SectionDiffViewSchema = z.object({
  section: z.string(),
  title: z.string(),
  added: z.array(z.object({ key: z.string(), label: z.string() })),
  removed: z.array(z.object({ key: z.string(), label: z.string() })),
  changed: z.array(
    z.object({ key: z.string(), label: z.string(), fields: z.array(z.object({ path: z.string(), before: z.unknown(), after: z.unknown() })) }),
  ),
});
export type SectionDiffView = z.infer<typeof SectionDiffViewSchema>;

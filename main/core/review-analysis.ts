// Issue 7 — findings and comparison of the open review: the one place the review channels call the rules of
// shared/findings.ts (runFindings, findingsCsv) and shared/export-diff.ts (diffExports).
import { diffExports } from '../../shared/export-diff.js';
import type { PbxExport } from '../../shared/export.js';
import { findingsCsv, runFindings } from '../../shared/findings.js';
import type { FindingView, SectionDiffView } from '../../shared/review.js';

export function findingsOf(x: PbxExport, now: Date): { findings: FindingView[]; csv: string } {
  const findings = runFindings(x, now);
  return { findings, csv: findingsCsv(findings, { pbx: x.pbx.name, exportedAt: x.exportedAt }) };
}

/** What changed from `other` (the earlier file) to `current` (the one under review). */
export function compareExports(current: PbxExport, other: PbxExport): SectionDiffView[] {
  return diffExports(other, current);
}

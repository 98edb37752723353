// Issue 7 — the configuration export of the connected PBX, fetched by the console: for a file the user saves
// (`config.export`, plain or encrypted with a passphrase) and for the live findings (`findings.live`, the same
// rules as a review of a file: main/core/review-analysis.ts). Plain Node: no electron.
import { routes } from '../../shared/api.js';
import { AppError } from '../../shared/errors.js';
import { EXPORT_LIMITS, type PbxExport } from '../../shared/export.js';
import { readExportText } from '../../shared/export-reader.js';
import type { ConnectionManager } from './connection.js';
import { encryptExport } from './export-envelope.js';
import { findingsOf } from './review-analysis.js';
import type { FindingView } from '../../shared/review.js';

/** A file name part: letters, digits, dot, dash, underscore. */
function namePart(s: string): string {
  return s.normalize('NFKD').replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[-.]+|-+$/g, '').slice(0, 60) || 'pbx';
}

/** `2026-11-29T20:18:58.123Z` → `2026-11-29-20-18-58`. */
function stampOf(iso: string): string {
  return iso.slice(0, 19).replace(/[:T]/g, '-');
}

/**
 * Fetch the export from the connected PBX (its own route, through the session) and read it with the same safe
 * reader as a file: a PBX answer the console could not open later is refused now, not saved.
 */
export async function fetchLiveExport(connection: ConnectionManager): Promise<{ text: string; filename: string | null; data: PbxExport }> {
  const { text, filename } = await connection.download(routes.exportConfig, { maxBytes: EXPORT_LIMITS.maxBytes });
  const r = readExportText(text);
  if (!r.ok) {
    throw new AppError('pbx_error', `The PBX's export could not be read (${r.code}): ${r.message}`, 502);
  }
  return { text, filename, data: r.data };
}

/** The file name of an export: the PBX's own, else `pbx-export-<server>-<time>.json`; encrypted: `….pbxw.json`. */
export function exportFilename(pbxName: string | null, data: PbxExport, encrypted: boolean): string {
  const base = (pbxName ?? `pbx-export-${namePart(data.pbx.name)}-${stampOf(data.exportedAt)}.json`).replace(/\.json$/i, '');
  return `${base}${encrypted ? '.pbxw.json' : '.json'}`;
}

/** `config.export`: the file to save. The passphrase is used for the key derivation only, never answered or logged. */
export async function exportForSaving(
  connection: ConnectionManager,
  passphrase: string | undefined,
): Promise<{ filename: string; text: string; encrypted: boolean; bytes: number }> {
  const live = await fetchLiveExport(connection);
  const encrypted = passphrase !== undefined && passphrase !== '';
  const text = encrypted ? await encryptExport(live.text, passphrase) : live.text;
  return { filename: exportFilename(live.filename, live.data, encrypted), text, encrypted, bytes: Buffer.byteLength(text, 'utf8') };
}

/** `findings.live`: the findings of the connected PBX now. */
export async function liveFindings(
  connection: ConnectionManager,
  now: () => Date = () => new Date(),
): Promise<{ findings: FindingView[]; csv: string; filename: string; pbx: string; checkedAt: string }> {
  const { data } = await fetchLiveExport(connection);
  const at = now();
  const { findings, csv } = findingsOf(data, at);
  return {
    findings,
    csv,
    filename: `findings-${namePart(data.pbx.name)}-live-${stampOf(at.toISOString())}.csv`,
    pbx: data.pbx.name,
    checkedAt: at.toISOString(),
  };
}

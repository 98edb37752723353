// Issue 7 / SPEC F6 — opening an export file's bytes: size first (before decoding), then UTF-8 (with or without
// a BOM; UTF-16 and invalid bytes refused by name), then an encrypted envelope (needs a passphrase), then the
// safe reader (shared/export-reader.ts). Never throws: every outcome is a typed result.
import { AppError } from '../../shared/errors.js';
import { EXPORT_LIMITS } from '../../shared/export.js';
import { isEncryptedEnvelope, readExportText, type ExportReadCode, type ExportReadResult } from '../../shared/export-reader.js';
import { ENVELOPE_MAX_BYTES, decryptExport } from './export-envelope.js';

export type OpenExportCode = ExportReadCode | 'passphrase_required' | 'passphrase_wrong' | 'tampered';

export type OpenExportResult =
  | { ok: true; data: Extract<ExportReadResult, { ok: true }>['data']; encrypted: boolean }
  | { ok: false; code: OpenExportCode; message: string; path?: string };

const MIB = 1024 * 1024;

/**
 * Open an export from the file's bytes. `passphrase` is used only when the file is encrypted; without one an
 * encrypted file answers passphrase_required (ask and call again).
 */
export async function openExportFile(bytes: Uint8Array, passphrase?: string): Promise<OpenExportResult> {
  try {
    if (bytes.length > ENVELOPE_MAX_BYTES) {
      return { ok: false, code: 'too_large', message: `The file is larger than ${EXPORT_LIMITS.maxBytes / MIB} MiB, the most an export may be; it was not opened` };
    }
    if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
      return { ok: false, code: 'not_json', message: 'The file is UTF-16 text; an export is UTF-8 (it was probably re-saved by an editor)' };
    }
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
    } catch {
      return { ok: false, code: 'not_json', message: 'The file is not UTF-8 text (it may be damaged, or not an export at all)' };
    }
    if (isEncryptedEnvelope(text)) {
      if (passphrase === undefined || passphrase === '') {
        return { ok: false, code: 'passphrase_required', message: 'This export is encrypted: enter its passphrase to open it' };
      }
      let plain: string;
      try {
        plain = await decryptExport(text, passphrase);
      } catch (err) {
        if (err instanceof AppError) {
          if (err.code === 'export_passphrase_wrong') return { ok: false, code: 'passphrase_wrong', message: err.message };
          if (err.code === 'export_tampered') return { ok: false, code: 'tampered', message: err.message };
          return { ok: false, code: 'invalid', message: err.message };
        }
        throw err;
      }
      const r = readExportText(plain);
      return r.ok ? { ok: true, data: r.data, encrypted: true } : r;
    }
    if (bytes.length > EXPORT_LIMITS.maxBytes) {
      return { ok: false, code: 'too_large', message: `The file is larger than ${EXPORT_LIMITS.maxBytes / MIB} MiB, the most an export may be; it was not opened` };
    }
    const r = readExportText(text);
    return r.ok ? { ok: true, data: r.data, encrypted: false } : r;
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    return { ok: false, code: 'invalid', message: `The file could not be opened: ${detail}` };
  }
}

// Issue 7 — files the console hands to the user (an exported config, a findings report as PDF) and files the
// user hands to it (an export to review), in both modes without sending big bodies through the RPC channel:
// - Electron: main asks the OS with a native save or open dialog (DesktopShell, implemented in main/electron/
//   with electron's dialog and webContents.printToPDF) and reads or writes the file itself, atomically;
// - browser mode: main keeps the file for a moment under a random single-use id (DownloadStore), and the page
//   downloads it from the console host (GET /download/<id>, the tab's session cookie checked), so the browser's
//   own download handling saves it.
// Plain Node: no electron.
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { AppError } from '../../shared/errors.js';
import { writeFileAtomic } from './atomic-file.js';

export interface FileFilter {
  name: string;
  extensions: string[];
}

/** What the desktop offers main (Electron's dialog and the window's printToPDF); absent in browser mode. */
export interface DesktopShell {
  /** A native save dialog; the path chosen, or null when cancelled. */
  chooseSavePath(o: { title: string; defaultName: string; filters: FileFilter[] }): Promise<string | null>;
  /** A native open dialog (one file); its path, or null when cancelled. */
  chooseOpenPath(o: { title: string; filters: FileFilter[] }): Promise<string | null>;
  /** The console window as a PDF (the print stylesheet applies, as when printing). */
  printToPdf(): Promise<Buffer>;
}

export type Delivery = { kind: 'download'; url: string } | { kind: 'saved'; path: string } | { kind: 'cancelled' };

/** A file waiting to be downloaded by the page (browser mode). */
export interface PendingDownload {
  filename: string;
  type: string;
  body: Buffer;
  created: number;
}

/** Download ids: 128 random bits as hex. */
const DOWNLOAD_ID = /^[0-9a-f]{32}$/;

/**
 * Files kept for the page to download, each once, for a few minutes. Few at a time (an export may be 75 MB):
 * the oldest goes when a new one arrives over the limit.
 */
export class DownloadStore {
  private readonly items = new Map<string, PendingDownload>();

  constructor(
    private readonly opts: { ttlMs?: number; max?: number; now?: () => number } = {},
  ) {}

  private get ttl(): number {
    return this.opts.ttlMs ?? 5 * 60_000;
  }

  private now(): number {
    return (this.opts.now ?? Date.now)();
  }

  private sweep(): void {
    const now = this.now();
    for (const [id, d] of this.items) if (now - d.created > this.ttl) this.items.delete(id);
  }

  /** Keep a file; its URL on the console host. */
  put(filename: string, body: Buffer | string, type: string): { id: string; url: string } {
    this.sweep();
    const max = this.opts.max ?? 3;
    while (this.items.size >= max) this.items.delete(this.items.keys().next().value as string);
    const id = randomBytes(16).toString('hex');
    this.items.set(id, { filename, type, body: typeof body === 'string' ? Buffer.from(body, 'utf8') : body, created: this.now() });
    return { id, url: `/download/${id}` };
  }

  /** The file for an id, removed (a second request gets nothing); undefined when unknown or expired. */
  take(id: string): PendingDownload | undefined {
    this.sweep();
    if (!DOWNLOAD_ID.test(id)) return undefined;
    const d = this.items.get(id);
    this.items.delete(id);
    return d;
  }

  get size(): number {
    this.sweep();
    return this.items.size;
  }
}

/** `Content-Disposition: attachment` with an ASCII fallback and the RFC 5987 UTF-8 name. */
export function contentDisposition(filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]/g, '_').replace(/["\\;]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(filename)}`;
}

/**
 * Hand a file to the user: a native save dialog and an atomic write (Electron), else a pending download.
 * `mode` is the file's permissions: an export maps the PBX's security, so only its owner reads it.
 */
export async function deliverFile(
  shell: DesktopShell | null,
  downloads: DownloadStore,
  file: { filename: string; body: Buffer | string; type: string; title: string; filters: FileFilter[] },
): Promise<Delivery> {
  if (!shell) return { kind: 'download', url: downloads.put(file.filename, file.body, file.type).url };
  const chosen = await shell.chooseSavePath({ title: file.title, defaultName: file.filename, filters: file.filters });
  if (chosen === null || chosen === '') return { kind: 'cancelled' };
  const target = path.resolve(chosen);
  try {
    await writeFileAtomic(target, file.body, { mode: 0o600 });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new AppError('validation_failed', `${target} could not be written (${code}); choose another folder`, 422, [
      { field: 'path', rule: 'writable', message: `the file could not be written (${code})` },
    ]);
  }
  return { kind: 'saved', path: target };
}

/**
 * Read a file the user picked in a native open dialog: its size checked (stat) before a byte is read, so a
 * huge file is refused without filling memory. Null when the dialog was cancelled.
 */
export async function pickFile(
  shell: DesktopShell,
  o: { title: string; filters: FileFilter[]; maxBytes: number },
): Promise<{ fileName: string; bytes: Buffer } | null> {
  const chosen = await shell.chooseOpenPath({ title: o.title, filters: o.filters });
  if (chosen === null || chosen === '') return null;
  const file = path.resolve(chosen);
  const fileName = path.basename(file);
  let size: number;
  try {
    const st = await fsp.stat(file);
    if (!st.isFile()) throw Object.assign(new Error('not a file'), { code: 'EISDIR' });
    size = st.size;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new AppError('export_invalid', `${fileName}: the file could not be read (${code})`, 422, [
      { field: '(file)', rule: 'readable', message: `the file could not be read (${code})` },
    ]);
  }
  if (size > o.maxBytes) {
    throw new AppError('payload_too_large', `${fileName}: the file is larger than ${Math.round(o.maxBytes / 1024 / 1024)} MB, the most an export may be; it was not opened`, 413, [
      { field: '(file)', rule: 'too_large', message: `larger than ${Math.round(o.maxBytes / 1024 / 1024)} MB` },
    ]);
  }
  return { fileName, bytes: await fsp.readFile(file) };
}

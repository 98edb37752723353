// Issue 7: the read-only review of an exported file, on the renderer side. `ReadOnlyContext` holds the reason
// while a file is reviewed (null when live); the screens consult it where they consult the role, to disable or
// hide every write control and say why. `sendFile` hands a chosen file to main in chunks (the browser bridge
// takes at most 1 MiB per call).
import { createContext, useContext } from 'react';
import type { ReviewInfo } from '../../../shared/rpc';
import { call } from '../api';

export const READ_ONLY_REASON = 'This is a review of an exported file; nothing can be changed here.';

export const ReadOnlyContext = createContext<string | null>(null);

/** The reason writes are off (a review), or null when the console is live. */
export function useReadOnly(): string | null {
  return useContext(ReadOnlyContext);
}

const CHUNK = 600 * 1024;

function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

/** Upload a file's bytes to main; the upload id for review.open / review.compare. */
export async function sendFile(file: Blob, onProgress?: (sent: number, total: number) => void): Promise<string> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  if (bytes.length === 0) throw new Error('The file is empty');
  let uploadId: string | undefined;
  for (let at = 0; at < bytes.length; at += CHUNK) {
    const res = await call('review.upload', { ...(uploadId ? { uploadId } : {}), base64: toBase64(bytes.subarray(at, at + CHUNK)) });
    uploadId = res.uploadId;
    onProgress?.(res.received, bytes.length);
  }
  return uploadId as string;
}

export function formatWhen(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/** "Reviewing <file> — <PBX>, exported <time> by <who>." (the banner adds "Read-only."). */
export function reviewSentence(r: ReviewInfo): string {
  return `Reviewing ${r.fileName} — ${r.pbx.name}, exported ${formatWhen(r.exportedAt)} by ${r.exportedBy}.`;
}

// Crash-safe file writes: the file on disk is always either the old content or the new content,
// never a half-written mix. Write a temporary file in the same directory (same filesystem, so the
// final step is an atomic rename), fsync it, then rename it over the target and fsync the directory.
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';

export interface AtomicWriteOptions {
  /** File mode of the new file (default 0o600: only the owner can read it). */
  mode?: number;
  /**
   * Refuse to replace an existing file (AtomicWriteExistsError). The new file is published with
   * link(2), which fails when the target exists, so two writers can never both "create" it.
   */
  exclusive?: boolean;
}

export class AtomicWriteExistsError extends Error {
  readonly code = 'EEXIST';
  constructor(readonly filePath: string) {
    super(`${filePath} already exists`);
    this.name = 'AtomicWriteExistsError';
  }
}

export async function writeFileAtomic(
  filePath: string,
  data: string | Uint8Array,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const mode = options.mode ?? 0o600;
  const dir = path.dirname(filePath);
  await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
  const tmp = path.join(dir, `.${path.basename(filePath)}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
  let published = false;
  try {
    const handle = await fsp.open(tmp, 'wx', mode);
    try {
      await handle.writeFile(data);
      // The umask may have narrowed the mode further, never widened it; make it exact.
      await handle.chmod(mode);
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (options.exclusive) {
      try {
        await fsp.link(tmp, filePath);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EEXIST') throw new AtomicWriteExistsError(filePath);
        // Filesystems without hard links: check-then-rename (a tiny race, but still never a torn file).
        if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw error;
        if (await exists(filePath)) throw new AtomicWriteExistsError(filePath);
        await fsp.rename(tmp, filePath);
        published = true;
      }
    } else {
      await fsp.rename(tmp, filePath);
      published = true;
    }
    await syncDir(dir);
  } finally {
    if (!published) await fsp.rm(tmp, { force: true }).catch(() => undefined);
  }
}

/**
 * Remove the temp files a writer killed mid-write left next to `filePath` (`.<name>.tmp-<pid>-<hex>`), once
 * they are older than `olderThanMs` (a younger one may be another process's write in flight). Never the file
 * itself; best effort. Returns how many were removed.
 */
export async function removeStaleTemps(filePath: string, olderThanMs = 60_000, now = Date.now()): Promise<number> {
  const dir = path.dirname(filePath);
  const base = path.basename(filePath).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const temp = new RegExp(`^\\.${base}\\.tmp-\\d+-[0-9a-f]{12}$`);
  let names: string[];
  try {
    names = await fsp.readdir(dir);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const name of names) {
    if (!temp.test(name)) continue;
    const file = path.join(dir, name);
    try {
      if (now - (await fsp.lstat(file)).mtimeMs >= olderThanMs) {
        await fsp.rm(file, { force: true });
        removed++;
      }
    } catch {
      // gone meanwhile: fine
    }
  }
  return removed;
}

async function exists(p: string): Promise<boolean> {
  try {
    await fsp.lstat(p);
    return true;
  } catch {
    return false;
  }
}

/** Persist the rename itself (the directory entry). Not possible on every platform; best effort. */
async function syncDir(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  let handle: fsp.FileHandle | undefined;
  try {
    handle = await fsp.open(dir, 'r');
    await handle.sync();
  } catch {
    // Some filesystems refuse fsync on a directory; the data itself is already synced.
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

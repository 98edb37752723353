// Find an Electron binary WITHOUT requiring the `electron` package: from plain Node, recent
// versions try to download the binary on require, which fails offline and must never stall a start.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** @returns {{ path: string } | { path: null, reason: string }} */
export function findElectronBinary() {
  const pkgDir = path.join(root, 'node_modules', 'electron');
  const pathFile = path.join(pkgDir, 'path.txt');
  const rel = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : process.platform === 'darwin' ? 'Electron.app/Contents/MacOS/Electron' : process.platform === 'win32' ? 'electron.exe' : 'electron';
  const override = process.env.ELECTRON_OVERRIDE_DIST_PATH;
  const candidate = override ? path.join(override, rel) : path.join(pkgDir, 'dist', rel);
  if (existsSync(candidate)) return { path: candidate };
  return {
    path: null,
    reason: override
      ? `no Electron binary at ${candidate} (ELECTRON_OVERRIDE_DIST_PATH)`
      : `no Electron binary at ${candidate} (it cannot be downloaded on this machine)`,
  };
}

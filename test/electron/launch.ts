// Launching the console's Electron build for the Electron-only specs, with its own WARDEN_HOME. Where no Electron
// binary exists the specs report themselves skipped with the reason (`binary.reason`).
import { _electron as electron, type ElectronApplication } from '@playwright/test';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
// @ts-expect-error -- a plain .mjs helper shared with scripts/start.mjs
import { findElectronBinary } from '../../scripts/electron-binary.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export const binary = findElectronBinary() as { path: string | null; reason?: string };

/** Start dist/main/electron.cjs with a fresh home; `close` quits it and removes the home. */
export async function launchConsole(prefix: string): Promise<{ app: ElectronApplication; close: () => Promise<void> }> {
  const home = mkdtempSync(path.join(os.tmpdir(), prefix));
  const app = await electron.launch({
    executablePath: binary.path!,
    args: [path.join(root, 'dist/main/electron.cjs')],
    env: { ...process.env, WARDEN_HOME: home } as Record<string, string>,
  });
  return {
    app,
    close: async () => {
      await app.close();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

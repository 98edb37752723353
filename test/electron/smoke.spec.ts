// Electron smoke test: runs where an Electron binary exists; elsewhere it reports itself skipped
// with the reason (no binary can be downloaded on this machine — the console runs in browser mode).
import { _electron as electron, expect, test } from '@playwright/test';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
// @ts-expect-error -- a plain .mjs helper shared with scripts/start.mjs
import { findElectronBinary } from '../../scripts/electron-binary.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));

const binary = findElectronBinary() as { path: string | null; reason?: string };
const root = path.resolve(here, '../..');

test.describe('Electron window', () => {
  test.skip(!binary.path, `needs the Electron binary: ${binary.reason ?? ''}`);

  test('opens hardened, exposes only the contract, and shows the extensions of the embedded PBX', async () => {
    const home = mkdtempSync(path.join(os.tmpdir(), 'warden-electron-'));
    const app = await electron.launch({
      executablePath: binary.path!,
      args: [path.join(root, 'dist/main/electron.cjs')],
      env: { ...process.env, WARDEN_HOME: home } as Record<string, string>,
    });
    try {
      const win = await app.firstWindow();
      // Sandboxed, isolated, no node: the page sees neither require nor process, and the preload's
      // API is the only bridge (a frozen object with exactly the contract's two functions).
      expect(await win.evaluate(() => typeof (globalThis as { require?: unknown }).require)).toBe('undefined');
      expect(await win.evaluate(() => typeof (globalThis as { process?: unknown }).process)).toBe('undefined');
      expect(await win.evaluate(() => Object.isFrozen((globalThis as unknown as { warden: object }).warden))).toBe(true);
      expect(await win.evaluate(() => Object.keys((globalThis as unknown as { warden: object }).warden).sort())).toEqual(['call', 'onEvent']);
      await expect(win.getByRole('heading', { name: 'Extensions' })).toBeVisible({ timeout: 30_000 });
      const opened = await win.evaluate(() => window.open('https://example.com') === null);
      expect(opened).toBe(true);
    } finally {
      await app.close();
      rmSync(home, { recursive: true, force: true });
    }
  });
});

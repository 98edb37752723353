// Electron smoke test: runs where an Electron binary exists; elsewhere it reports itself skipped
// with the reason (no binary can be downloaded on this machine — the console runs in browser mode).
import { expect, test } from '@playwright/test';
import { binary, launchConsole } from './launch.js';

test.describe('Electron window', () => {
  test.skip(!binary.path, `needs the Electron binary: ${binary.reason ?? ''}`);

  test('opens hardened, exposes only the contract, and shows the extensions of the embedded PBX', async () => {
    const { app, close } = await launchConsole('warden-electron-');
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
      await close();
    }
  });
});

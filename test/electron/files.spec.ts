// Electron (issue 7): the exported config saved where the native save dialog says, the findings report saved as a
// PDF, and an export opened with the native open dialog. Runs where an Electron binary exists; elsewhere it reports
// itself skipped with the reason. The dialogs are answered by replacing electron's dialog functions in the main
// process (what a user would pick); the files are written and read by the console itself.
import { expect, test, type ElectronApplication } from '@playwright/test';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { binary, launchConsole } from './launch.js';

/** The next save dialog answers `filePath`; the next open dialog answers `openPath`. */
async function answerDialogs(app: ElectronApplication, answers: { save?: string; open?: string }): Promise<void> {
  await app.evaluate(({ dialog }, a) => {
    if (a.save !== undefined) {
      const save = a.save;
      dialog.showSaveDialog = (async () => ({ canceled: false, filePath: save })) as unknown as typeof dialog.showSaveDialog;
    }
    if (a.open !== undefined) {
      const open = a.open;
      dialog.showOpenDialog = (async () => ({ canceled: false, filePaths: [open] })) as unknown as typeof dialog.showOpenDialog;
    }
  }, answers);
}

test.describe('Electron files (native dialogs, PDF)', () => {
  test.skip(!binary.path, `needs the Electron binary: ${binary.reason ?? ''}`);

  test('exports the config to the chosen path, saves the findings as PDF, opens the export with the open dialog', async () => {
    const out = mkdtempSync(path.join(os.tmpdir(), 'warden-electron-out-'));
    const { app, close } = await launchConsole('warden-electron-files-');
    try {
      const win = await app.firstWindow();
      await expect(win.getByRole('heading', { name: 'Extensions' })).toBeVisible({ timeout: 30_000 });
      const nav = win.getByRole('navigation', { name: 'Screens' });

      // the exported config: written by main where the dialog said, owner-only
      const exportPath = path.join(out, 'chosen.json');
      await answerDialogs(app, { save: exportPath });
      await nav.getByRole('button', { name: 'Admin security', exact: true }).click();
      const section = win.getByRole('region', { name: 'Configuration export' });
      await section.getByRole('button', { name: 'Export config…' }).click();
      await win.getByRole('dialog', { name: 'Export the configuration' }).getByRole('button', { name: 'Export', exact: true }).click();
      await expect(section.getByRole('status')).toContainText(`Saved ${exportPath}`, { timeout: 30_000 });
      expect(JSON.parse(readFileSync(exportPath, 'utf8'))).toMatchObject({ format: 'pbx-warden-export' });
      expect(statSync(exportPath).mode & 0o777).toBe(0o600);

      // the findings report as PDF
      const pdfPath = path.join(out, 'findings.pdf');
      await answerDialogs(app, { save: pdfPath });
      await nav.getByRole('button', { name: 'Findings', exact: true }).click();
      await expect(win.locator('.finding').first()).toBeVisible({ timeout: 30_000 });
      await win.getByRole('button', { name: 'Save as PDF…' }).click();
      await expect(win.getByRole('status').filter({ hasText: `Saved ${pdfPath}` })).toBeVisible({ timeout: 30_000 });
      expect(readFileSync(pdfPath).subarray(0, 5).toString('latin1')).toBe('%PDF-');

      // the export opened with the native open dialog (after confirming the disconnect)
      await answerDialogs(app, { open: exportPath });
      await win.getByRole('button', { name: 'Open export…' }).click();
      await win.getByRole('dialog', { name: 'Disconnect to review a file?' }).getByRole('button', { name: 'Disconnect and open' }).click();
      const banner = win.getByRole('note', { name: 'Read-only review' });
      await expect(banner).toContainText('Reviewing chosen.json', { timeout: 30_000 });
    } finally {
      await close();
      rmSync(out, { recursive: true, force: true });
    }
  });
});

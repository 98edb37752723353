// E2E: no OS keychain (WARDEN_FORCE_VAULT=1 stands in for a desktop without a Secret Service).
// The first run asks once for a vault passphrase and lands on the extensions; a restart asks for the
// passphrase, refuses a wrong one clearly, and connects after the right one. Never plain text.
import { expect, test } from '@playwright/test';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot, startConsoleProcess } from '../support/console-process.js';
import { secret } from '../support/e2e-canary.js';

test('without a keychain: one passphrase prompt, then the console; a restart unlocks the vault', async ({ browser }) => {
  const home = mkdtempSync(path.join(os.tmpdir(), 'warden-vault-e2e-'));
  const env = { WARDEN_FORCE_VAULT: '1' };
  const passphrase = secret('front desk vault 2026', 'vault passphrase typed');
  try {
    const first = await startConsoleProcess({ home, env });
    const adminPassword = first.adminPassword!;
    const page = await (await browser.newContext()).newPage();
    await page.goto(first.launchUrl);
    await expect(page.getByText(/keeps saved PBX passwords in an encrypted vault/)).toBeVisible({ timeout: 30_000 });
    await page.getByLabel('Vault passphrase').fill(passphrase);
    await page.getByLabel('Repeat passphrase').fill(passphrase);
    await page.screenshot({ path: path.join(repoRoot, 'test/output/screens/09-vault-create.png') });
    await page.getByRole('button', { name: 'Create vault' }).click();
    await expect(page.getByRole('heading', { name: 'Extensions' })).toBeVisible({ timeout: 30_000 });
    await page.close();
    await first.stop();

    // Nothing in plain text in the console's folder (the vault holds the admin password encrypted).
    const consoleDir = path.join(home, 'console');
    for (const f of readdirSync(consoleDir)) {
      const p = path.join(consoleDir, f);
      if (statSync(p).isFile()) expect(readFileSync(p).includes(Buffer.from(adminPassword)), f).toBe(false);
    }

    const second = await startConsoleProcess({ home, env });
    expect(second.adminPassword).toBeNull();
    const page2 = await (await browser.newContext()).newPage();
    await page2.goto(second.launchUrl);
    const field = page2.getByLabel('Vault passphrase');
    await expect(field).toBeVisible({ timeout: 30_000 });
    await field.fill(secret('not the passphrase', 'wrong vault passphrase typed'));
    await page2.getByRole('button', { name: 'Unlock vault' }).click();
    await expect(page2.getByRole('alert')).toContainText(/passphrase/i);
    await page2.screenshot({ path: path.join(repoRoot, 'test/output/screens/10-vault-wrong-passphrase.png') });
    await field.fill(passphrase);
    await page2.getByRole('button', { name: 'Unlock vault' }).click();
    await expect(page2.getByRole('heading', { name: 'Extensions' })).toBeVisible({ timeout: 30_000 });
    await second.stop();
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

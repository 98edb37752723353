// E2E (issue 7): the console exports the connected PBX's configuration and checks it live, in Chromium against
// the real console and its real embedded reference PBX. As admin: Findings (live) shows what the review would;
// "Export config…" with a passphrase (typed twice, the rule shown) downloads an encrypted envelope that never
// holds the passphrase; that very file then opens from the Connect screen with the passphrase, as a review.
import { expect, test, type Browser, type BrowserContext, type Page } from '@playwright/test';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startConsoleProcess, type ConsoleProcess } from '../support/console-process.js';
import { adminToken, pbxApiOf, secret, shot, type PbxApi } from '../support/e2e.js';

test.describe.configure({ mode: 'serial' });

const PASSPHRASE = secret('Correct-Horse-Canary-42', 'config export passphrase typed');

let app: ConsoleProcess;
let context: BrowserContext;
let page: Page;
let api: PbxApi;
let token: string;
let dir: string;
let saved = '';

test.beforeAll(async ({ browser }: { browser: Browser }) => {
  app = await startConsoleProcess();
  context = await browser.newContext({ viewport: { width: 1280, height: 860 }, acceptDownloads: true });
  page = await context.newPage();
  token = await adminToken(app);
  api = pbxApiOf(() => app.pbxUrl, () => token);
  expect((await api('POST', '/lockouts/addresses', { cidr: '203.0.113.9', description: 'Scanner seen on the SIP port' })).status).toBe(201);
  dir = mkdtempSync(path.join(os.tmpdir(), 'warden-cfgexport-e2e-'));
});

test.afterAll(async () => {
  await context?.close();
  await app?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('Findings, live: the connected PBX checked by the review rules', async () => {
  await page.goto(app.launchUrl);
  await expect(page.getByRole('heading', { name: 'Extensions' })).toBeVisible({ timeout: 30_000 });
  const nav = page.getByRole('navigation', { name: 'Screens' });
  await nav.getByRole('button', { name: 'Findings', exact: true }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Findings' })).toBeVisible();
  await expect(page.locator('.findings-live-head')).toContainText('the connected PBX');
  await expect(page.locator('.findings-live-head')).toContainText('checked');
  const first = page.locator('.finding').first();
  await expect(first).toBeVisible({ timeout: 15_000 });
  // Check again fetches a fresh export; the CSV downloads as in a review
  await page.getByRole('button', { name: 'Check again' }).click();
  await expect(page.getByRole('button', { name: 'Check again' })).toBeEnabled();
  const [csv] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
  expect(csv.suggestedFilename()).toMatch(/^findings-.*-live-.*\.csv$/);
  // no review banner: this is the live PBX
  await expect(page.getByRole('note', { name: 'Read-only review' })).toHaveCount(0);
  await shot(page, '120-findings-live');
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.waitForTimeout(400);
  await shot(page, '121-findings-live-dark');
  await page.emulateMedia({ colorScheme: 'light' });
});

test('Export config… with a passphrase: the rule is shown, the download is an encrypted envelope', async () => {
  await page.getByRole('button', { name: 'Export config…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Export the configuration' });
  await expect(dialog).toBeVisible();
  await expect(dialog).toContainText('Never in it:');
  await expect(dialog).toContainText('At least 10 characters');
  // too short, then two different ones: said in place, nothing exported
  await dialog.getByLabel('Passphrase', { exact: true }).fill('short');
  await dialog.getByLabel('Passphrase again').fill('short');
  await dialog.getByRole('button', { name: 'Export encrypted' }).click();
  await expect(dialog.getByRole('alert')).toContainText('At least 10 characters');
  await dialog.getByLabel('Passphrase', { exact: true }).fill(PASSPHRASE);
  await dialog.getByLabel('Passphrase again').fill(`${PASSPHRASE}x`);
  await expect(dialog.getByRole('alert')).toContainText('The two passphrases differ');
  await shot(page, '122-export-dialog');
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.waitForTimeout(400);
  await shot(page, '123-export-dialog-dark');
  await page.emulateMedia({ colorScheme: 'light' });

  await dialog.getByLabel('Passphrase again').fill(PASSPHRASE);
  await expect(dialog.getByRole('alert')).toHaveCount(0);
  const [download] = await Promise.all([page.waitForEvent('download'), dialog.getByRole('button', { name: 'Export encrypted' }).click()]);
  expect(download.suggestedFilename()).toMatch(/^pbx-export-.+\.pbxw\.json$/);
  saved = path.join(dir, download.suggestedFilename());
  await download.saveAs(saved);
  const text = readFileSync(saved, 'utf8');
  expect(JSON.parse(text)).toMatchObject({ format: 'pbx-warden-export-encrypted', version: 1, kdf: { name: 'argon2id' } });
  expect(text).not.toContain(PASSPHRASE);
  expect(text).not.toContain('"extensions"');
  await expect(dialog).toHaveCount(0);
  await expect(page.getByRole('status').filter({ hasText: 'Saved pbx-export-' })).toContainText('encrypted');
  // the passphrase is not kept: the dialog opens empty
  await page.getByRole('button', { name: 'Export config…' }).click();
  await expect(dialog.getByLabel('Passphrase', { exact: true })).toHaveValue('');
  await expect(dialog.getByLabel('Passphrase again')).toHaveValue('');
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(dialog).toHaveCount(0);
});

test('Admin security: Configuration export, a plain file downloaded once from the console host', async () => {
  const nav = page.getByRole('navigation', { name: 'Screens' });
  await nav.getByRole('button', { name: 'Admin security', exact: true }).click();
  const section = page.getByRole('region', { name: 'Configuration export' });
  await expect(section).toBeVisible();
  await expect(section).toContainText('no password, PIN, token or key');
  await section.getByRole('button', { name: 'Export config…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Export the configuration' });
  await expect(dialog).toBeVisible();
  const [download] = await Promise.all([page.waitForEvent('download'), dialog.getByRole('button', { name: 'Export', exact: true }).click()]);
  expect(download.suggestedFilename()).toMatch(/^pbx-export-.+\.json$/);
  expect(download.suggestedFilename()).not.toMatch(/\.pbxw\.json$/);
  // the body came from the host's single-use download, not through the RPC answer
  expect(download.url()).toMatch(/\/download\/[0-9a-f]{32}$/);
  const plain = path.join(dir, 'plain.json');
  await download.saveAs(plain);
  const data = JSON.parse(readFileSync(plain, 'utf8')) as { format: string; extensions: unknown[]; lockouts: { addresses: { cidr: string }[] } };
  expect(data.format).toBe('pbx-warden-export');
  expect(data.extensions.length).toBeGreaterThan(0);
  expect(data.lockouts.addresses.map((a) => a.cidr)).toContain('203.0.113.9');
  await expect(section.getByRole('status')).toContainText('not encrypted');
  // the same link again: gone (single use)
  const again = await page.request.get(download.url());
  expect(again.status()).toBe(404);
  await section.scrollIntoViewIfNeeded();
  await shot(page, '125-admin-security-config-export');
});

test('the downloaded file opens from the Connect screen with its passphrase', async () => {
  await page.getByRole('button', { name: 'Disconnect' }).click();
  await expect(page.getByRole('heading', { name: 'Connect to a PBX' })).toBeVisible();
  const [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.getByRole('button', { name: 'Open exported config…' }).click()]);
  await chooser.setFiles(saved);
  const ask = page.getByRole('dialog', { name: 'This export is encrypted' });
  await expect(ask).toBeVisible({ timeout: 15_000 });
  await ask.getByLabel('Passphrase').fill(PASSPHRASE);
  await ask.getByRole('button', { name: 'Open' }).click();
  const banner = page.getByRole('note', { name: 'Read-only review' });
  await expect(banner).toBeVisible({ timeout: 20_000 });
  await expect(banner).toContainText(`Reviewing ${path.basename(saved)}`);
  await expect(banner).toContainText('Read-only.');
  await expect(page.getByRole('heading', { level: 1, name: 'Findings' })).toBeVisible();
  await expect(page.locator('.finding').first()).toBeVisible();
  // in a review there is no export button and no live header
  await expect(page.getByRole('button', { name: 'Export config…' })).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Check again' })).toHaveCount(0);
  await shot(page, '124-export-opened-review');
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.waitForTimeout(400);
  await shot(page, '124-export-opened-review-dark');
  await page.emulateMedia({ colorScheme: 'light' });
});

// E2E (issue 7 / SPEC F6): the read-only review of an exported config, in Chromium against the real console and
// its real embedded reference PBX. The file is the PBX's export (or, before GET /export exists, one assembled
// from its API lists — test/helpers/review-export.ts).
//
// From the Connect screen: a corrupt file is refused with the reader's message naming the file and the path; the
// real file opens; the banner says what is reviewed, on every screen; Findings and Compare are in the navigation;
// Extensions filter on the file; Lockouts shows the bans with every write control off; Admin security shows the
// tokens (no "your login settings"); Compare shows what changed since an earlier file; Close review goes back.
import { expect, test, type Browser, type BrowserContext, type Page } from '@playwright/test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { PbxExport } from '../../shared/export.js';
import { liveExport } from '../helpers/review-export.js';
import { startConsoleProcess, type ConsoleProcess } from '../support/console-process.js';
import { adminToken, pbxApiOf, shot, type PbxApi } from '../support/e2e.js';

test.describe.configure({ mode: 'serial' });

let app: ConsoleProcess;
let context: BrowserContext;
let page: Page;
let token: string;
let api: PbxApi;
let dir: string;
let doc: PbxExport;
const files = { good: '', earlier: '', broken: '' };

test.beforeAll(async ({ browser }: { browser: Browser }) => {
  app = await startConsoleProcess();
  context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  page = await context.newPage();
  token = await adminToken(app);
  api = pbxApiOf(() => app.pbxUrl, () => token);
  expect((await api('POST', '/lockouts/addresses', { cidr: '203.0.113.9', description: 'Scanner seen on the SIP port' })).status).toBe(201);
  doc = await liveExport(async (p) => {
    const r = await api('GET', p);
    return { status: r.status, body: r.body };
  });
  // a phone logged in (the file's hot-desk table then has a row with "Log out")
  const desk = doc.extensions.find((e) => e.type === 'phone_terminal')!;
  doc.hotdesk.devices.push({
    mac: '00:15:65:AB:CD:EF', brand: 'yealink', model: 'SIP-T46S', firmware: '66.86.0.15', siteId: desk.siteId,
    lastSeenAddress: '10.0.0.77', lastSeenAt: doc.exportedAt, state: 'logged_in', extension: desk.number, templateId: null,
    since: doc.exportedAt, lastActivityAt: doc.exportedAt,
  });
  dir = mkdtempSync(path.join(os.tmpdir(), 'warden-review-e2e-'));
  files.good = path.join(dir, 'head-office-export.json');
  writeFileSync(files.good, JSON.stringify(doc, null, 2));
  const earlier = structuredClone(doc);
  earlier.exportedAt = new Date(Date.parse(doc.exportedAt) - 30 * 86_400_000).toISOString();
  earlier.lockouts.addresses = [];
  earlier.extensions = earlier.extensions.slice(1);
  files.earlier = path.join(dir, 'head-office-last-month.json');
  writeFileSync(files.earlier, JSON.stringify(earlier));
  const broken = structuredClone(doc) as unknown as { extensions: Array<{ protection: { state: string } }> };
  broken.extensions[2]!.protection.state = 'wide open';
  files.broken = path.join(dir, 'edited-by-hand.json');
  writeFileSync(files.broken, JSON.stringify(broken));
});

test.afterAll(async () => {
  await context?.close();
  await app?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function chooseFile(p: Page, button: string, file: string): Promise<void> {
  const [chooser] = await Promise.all([p.waitForEvent('filechooser'), p.getByRole('button', { name: button }).click()]);
  await chooser.setFiles(file);
}

async function openScreen(p: Page, name: string): Promise<void> {
  await p.getByRole('navigation', { name: 'Screens' }).getByRole('button', { name, exact: true }).click();
  await expect(p.getByRole('heading', { level: 1, name, exact: true })).toBeVisible();
}

function banner(p: Page) {
  return p.getByRole('note', { name: 'Read-only review' });
}

test('a corrupt file is refused with the reason and the path; the real file opens read-only', async () => {
  await page.goto(app.launchUrl);
  await expect(page.getByRole('heading', { name: 'Extensions' })).toBeVisible({ timeout: 30_000 });
  await page.getByRole('button', { name: 'Disconnect' }).click();
  await expect(page.getByRole('heading', { name: 'Connect to a PBX' })).toBeVisible();

  await chooseFile(page, 'Open exported config…', files.broken);
  const alert = page.getByRole('alert').filter({ hasText: 'edited-by-hand.json' });
  await expect(alert).toBeVisible();
  await expect(alert).toContainText('extensions[2].protection.state');
  await expect(page.getByText('Where in the file:')).toBeVisible();
  await page.getByText('Where in the file:').scrollIntoViewIfNeeded();
  await shot(page, '110-review-bad-file');

  await chooseFile(page, 'Open exported config…', files.good);
  await expect(banner(page)).toBeVisible({ timeout: 15_000 });
  await expect(banner(page)).toContainText(`Reviewing head-office-export.json — ${doc.pbx.name}, exported`);
  await expect(banner(page)).toContainText(`by ${doc.exportedBy}. Read-only.`);
  const nav = page.getByRole('navigation', { name: 'Screens' });
  await expect(nav.getByRole('button', { name: 'Findings' })).toBeVisible();
  await expect(nav.getByRole('button', { name: 'Compare' })).toBeVisible();
  await expect(nav.getByRole('button', { name: 'Reception' })).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Disconnect' })).toHaveCount(0);
  // the review opens on its findings
  await expect(page.getByRole('heading', { level: 1, name: 'Findings' })).toBeVisible();
  const first = page.locator('.finding').first();
  await expect(first).toBeVisible();
  // a finding's rows unfold; the CSV downloads
  await first.getByRole('button', { name: /^Show the / }).click();
  await expect(first.getByRole('table')).toBeVisible();
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
  expect(download.suggestedFilename()).toMatch(/^findings-.*\.csv$/);
  await first.getByRole('button', { name: /^Hide the / }).click();
  await shot(page, '111-review-findings');
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.waitForTimeout(400);
  await shot(page, '112-review-findings-dark');
  await page.emulateMedia({ colorScheme: 'light' });
});

test('Extensions: the file in the table, the filter works, writes are off', async () => {
  await openScreen(page, 'Extensions');
  await expect(banner(page)).toBeVisible();
  const grid = page.getByRole('grid', { name: 'Extensions' });
  const target = doc.extensions[3]!;
  await page.getByLabel('Search extensions').fill(target.number);
  await expect(grid.getByRole('row').filter({ hasText: target.number }).first()).toBeVisible();
  const other = doc.extensions.find((e) => !e.number.includes(target.number) && !e.label.includes(target.number))!;
  await expect(grid.getByRole('row').filter({ hasText: other.label })).toHaveCount(0);
  await grid.getByRole('row').filter({ hasText: target.number }).first().click();
  const detail = page.getByRole('region', { name: `Extension ${target.number}` });
  await expect(detail).toBeVisible();
  // credentials: no Change / Reset buttons in a review
  const creds = detail.getByRole('region', { name: 'Credentials' });
  await expect(creds.getByRole('button', { name: /^Change / })).toHaveCount(0);
  if (target.type === 'phone_terminal') {
    await expect(detail.getByText('Read-only: this is a review of an exported file').first()).toBeVisible();
  }
  await shot(page, '113-review-extensions');
});

test('Lockouts: the bans of the file, no write control', async () => {
  await openScreen(page, 'Lockouts');
  const bans = page.getByRole('region', { name: 'Blacklisted addresses' });
  await expect(bans).toContainText('203.0.113.9');
  await expect(bans).toContainText('Scanner seen on the SIP port');
  await expect(bans.getByRole('button', { name: 'Unban all…' })).toBeDisabled();
  await expect(page.getByRole('button', { name: 'Block', exact: true })).toHaveCount(0);
  await expect(page.getByRole('form', { name: 'Add to the allowlist' })).toHaveCount(0);
  // the lockout policy as exported: its inputs off, not only Save
  await expect(page.getByRole('form', { name: 'Lockout policy' }).getByRole('textbox').first()).toBeDisabled();
  await shot(page, '114-review-lockouts');
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.waitForTimeout(400);
  await shot(page, '115-review-lockouts-dark');
  await page.emulateMedia({ colorScheme: 'light' });
});

test('Hot desking: a logged-in phone of the file, "Log out" off with the reason', async () => {
  await openScreen(page, 'Hot desking');
  const logOut = page.getByRole('button', { name: /^Log out \d+$/ }).first();
  await expect(logOut).toBeDisabled();
  await expect(logOut).toHaveAttribute('title', /review of an exported file/);
});

test('Admin security: the tokens of the file, read-only', async () => {
  await openScreen(page, 'Admin security');
  const tokens = page.getByRole('table', { name: 'Used tokens' });
  await expect(tokens).toBeVisible();
  await expect(tokens.locator('tbody tr[data-key]')).toHaveCount(doc.tokens.length + doc.passkeys.length);
  await expect(page.getByRole('button', { name: 'Sign out everywhere else…' })).toBeDisabled();
  // no selection to sign out or delete tokens and passkeys with; the reason instead
  await expect(tokens.getByRole('checkbox')).toHaveCount(0);
  await expect(page.locator('.tokens-section').getByText('Read-only: this is a review of an exported file')).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Login settings', exact: true })).toHaveCount(0);
  await shot(page, '116-review-security');
});

test('Compare with an earlier export: what was added and removed', async () => {
  await openScreen(page, 'Compare');
  await chooseFile(page, 'Choose the earlier export…', files.earlier);
  await expect(page.getByText('head-office-last-month.json').first()).toBeVisible();
  await expect(page.locator('.diff-added').filter({ hasText: '203.0.113.9' })).toBeVisible();
  await expect(page.locator('.diff-added').filter({ hasText: doc.extensions[0]!.number }).first()).toBeVisible();
  await shot(page, '117-review-compare');
});

test('PIN policies and Audit log: what the file holds, nothing to save', async () => {
  await openScreen(page, 'PIN policies');
  await expect(page.getByText('Read-only: this is a review of an exported file').first()).toBeVisible();
  await expect(page.getByRole('button', { name: /^Save/ })).toHaveCount(0);
  await expect(page.getByLabel('Minimum length').first()).toBeDisabled();
  await expect(page.locator('.preset-btn').first()).toBeDisabled();
  await openScreen(page, 'Audit log');
  const summary = page.getByRole('region', { name: 'Audit log summary' });
  await expect(summary).toContainText(doc.audit.rows.toLocaleString('en-US'));
  await expect(summary).toContainText(doc.audit.verify.ok ? 'Intact' : 'Broken');
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.waitForTimeout(400);
  await shot(page, '118-review-audit-summary-dark');
  await page.emulateMedia({ colorScheme: 'light' });
});

test('Close review: back on the Connect screen, and the PBX was never written to', async () => {
  await banner(page).getByRole('button', { name: 'Close review' }).click();
  await expect(page.getByRole('heading', { name: 'Connect to a PBX' })).toBeVisible();
  await expect(banner(page)).toHaveCount(0);
  await shot(page, '119-review-closed');
  const bans = await api<{ items: { cidr: string }[] }>('GET', '/lockouts/addresses');
  expect(bans.body.items.map((b) => b.cidr)).toContain('203.0.113.9');
});

// E2E (issue 8, accessibility): axe-core on every screen of the console, in Chromium against the real console in
// browser mode and its real embedded reference PBX, in the light AND the dark colour scheme. Zero violations of
// impact serious or critical of the WCAG 2.0/2.1/2.2 A and AA rules; the moderate and minor ones (and axe's best
// practices) are listed in the test's annotations and printed, so they stay visible.
//
// Visited: the Connect screen (with a refused form); every navigation entry of an admin (Extensions with an
// extension open, Lockouts with "who tried", Hot desking, PIN policies, Audit log with the chain verified, Findings,
// Admin security, Reception); the common dialogs (Change password, Add account, Sign out everywhere else, Export
// config, bulk Reset confirm, Hot-desk mapping) and a credential change in place; the review of an exported file
// (every screen of it, Compare included); the receptionist's Reception (a locked extension's card, Reset PIN
// confirmation, the default PIN shown, the shortcut list) and their other screens.
import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Browser, type BrowserContext, type Page } from '@playwright/test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { liveExport } from '../helpers/review-export.js';
import { requestFrom, startConsoleProcess, type ConsoleProcess } from '../support/console-process.js';
import { adminToken, connectAsReceptionist, pbxApiOf, secret, type Ext, type PbxApi } from '../support/e2e.js';

test.describe.configure({ mode: 'serial' });

/** WCAG 2.0, 2.1 and 2.2, levels A and AA. */
const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22a', 'wcag22aa'];
const SCHEMES = ['light', 'dark'] as const;
/** The WCAG A/AA rules whose outcome depends on the colours. */
const COLOUR_RULES = ['color-contrast', 'link-in-text-block'];

let app: ConsoleProcess;
let context: BrowserContext;
let page: Page;
let token: string;
let api: PbxApi;
let dir: string;
let exportFile: string;
let receptionPassword: string;
let hqPhone: Ext;
/** Every serious or critical violation seen, screen by screen; the last test asserts there is none. */
const serious: Array<{ screen: string; rule: string; impact: string | null | undefined; help: string; nodes: string[] }> = [];

test.beforeAll(async ({ browser }: { browser: Browser }) => {
  app = await startConsoleProcess();
  // reduced motion: no colour transition is caught half-way by the contrast check
  context = await browser.newContext({ viewport: { width: 1280, height: 860 }, reducedMotion: 'reduce' });
  page = await context.newPage();
  const m = /reception \/ (\S+)/.exec(app.output());
  expect(m, 'the first run prints the receptionist password once').toBeTruthy();
  receptionPassword = m![1]!;
  token = await adminToken(app);
  api = pbxApiOf(() => app.pbxUrl, () => token);
  // something in the tables of locks and bans, so their rows are checked too
  expect((await api('POST', '/lockouts/addresses', { cidr: '203.0.113.9', description: 'Scanner seen on the SIP port' })).status).toBe(201);
  const list = await api<{ items: Ext[] }>('GET', '/extensions?limit=1000');
  hqPhone = list.body.items.find((e) => e.type === 'phone_terminal' && e.siteId === 'hq' && e.status === 'active' && e.voicemail)!;
  // five wrong voicemail PINs lock it: the lock shows in the tables, the detail and the reception card
  for (let i = 0; i < 5; i++) {
    const res = await requestFrom(`${app.pbxUrl}/device/v1/voicemail/login`, { body: { extension: hqPhone.number, pin: `90${i}13${i}7` }, localAddress: '127.0.0.2' });
    expect(res.status, res.text).toBe(403);
  }
  const doc = await liveExport(async (p) => {
    const r = await api('GET', p);
    return { status: r.status, body: r.body };
  });
  dir = mkdtempSync(path.join(os.tmpdir(), 'warden-a11y-e2e-'));
  exportFile = path.join(dir, 'a11y-export.json');
  writeFileSync(exportFile, JSON.stringify(doc));
  const earlier = structuredClone(doc);
  earlier.extensions = earlier.extensions.slice(1);
  earlier.lockouts.addresses = [];
  writeFileSync(path.join(dir, 'a11y-earlier.json'), JSON.stringify(earlier));
});

test.afterAll(async () => {
  await context?.close();
  await app?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/**
 * axe on the page as it is now, in both colour schemes: serious and critical violations are collected (the last
 * test fails on them, so one run lists every screen's), the others become annotations. `within`: only that part
 * (a modal dialog makes the page behind it inert, which axe does not model).
 */
async function scan(name: string, within?: string): Promise<void> {
  for (const colorScheme of SCHEMES) {
    await page.emulateMedia({ colorScheme });
    // the scheme is applied by the next frames; wait for them so the colours checked are the scheme's own
    const applied = await page.evaluate(
      (s) => new Promise<void>((r) => requestAnimationFrame(() => requestAnimationFrame(() => r()))).then(() => matchMedia(`(prefers-color-scheme: ${s})`).matches),
      colorScheme,
    );
    expect(applied, `the page is in the ${colorScheme} scheme`).toBe(true);
    // The schemes differ in colours only: the dark one is checked by the colour rules (the rest would repeat
    // the light run's findings at twice the time).
    // (options() replaces the whole run options, so it comes before withTags/withRules.) The console has no
    // frames: "legacy mode" runs axe.run in the page, instead of opening a blank tab for every analysis.
    const base = new AxeBuilder({ page }).options({ resultTypes: ['violations'] }).setLegacyMode();
    let builder = colorScheme === 'light' ? base.withTags([...WCAG_TAGS, 'best-practice']) : base.withRules(COLOUR_RULES);
    if (within) builder = builder.include(within);
    const { violations } = await builder.analyze();
    // serious and critical breaches of WCAG fail; the rest (best practices included) is listed
    const bad = violations.filter((v) => (v.impact === 'serious' || v.impact === 'critical') && v.tags.some((t) => WCAG_TAGS.includes(t)));
    for (const v of violations.filter((x) => !bad.includes(x))) {
      const description = `${name} (${colorScheme}): ${v.id} [${v.impact}] ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).slice(0, 5).join(', ')}`;
      test.info().annotations.push({ type: `a11y ${v.impact ?? 'minor'}`, description });
      console.log(`a11y ${v.impact}: ${description}`);
    }
    for (const v of bad) {
      serious.push({
        screen: `${name} (${colorScheme})`,
        rule: v.id,
        impact: v.impact,
        help: v.help,
        nodes: v.nodes.slice(0, 6).map((n) => `${n.target.join(' ')} — ${n.failureSummary?.split('\n').slice(1, 3).join(' ')}`),
      });
    }
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

function nav() {
  return page.getByRole('navigation', { name: 'Screens' });
}

async function openScreen(name: string): Promise<void> {
  // (the Lockouts entry carries the number of locked extensions)
  await nav().getByRole('button', { name: new RegExp(`^${name}`) }).click();
  await expect(page.getByRole('heading', { level: 1, name, exact: true })).toBeVisible();
}

async function chooseFile(button: string, file: string): Promise<void> {
  const [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.getByRole('button', { name: button }).click()]);
  await chooser.setFiles(file);
}

test('the admin screens: every navigation entry, an extension open', async () => {
  await page.goto(app.launchUrl);
  const grid = page.getByRole('grid', { name: 'Extensions' });
  await expect(grid.getByRole('row').nth(3)).toBeVisible({ timeout: 30_000 });
  await grid.locator(`[role="row"][data-number="${hqPhone.number}"]`).click();
  await expect(page.getByRole('region', { name: `Extension ${hqPhone.number}` })).toBeVisible();
  await scan('Extensions, an extension open');

  await openScreen('Lockouts');
  await expect(page.getByRole('region', { name: 'Blacklisted addresses' })).toContainText('203.0.113.9');
  await expect(page.getByRole('table', { name: 'Blacklisted extensions' })).toContainText(hqPhone.number);
  await page.getByRole('button', { name: `Who tried ${hqPhone.number}?` }).click();
  await expect(page.getByRole('region', { name: new RegExp(`^Who tried ${hqPhone.number}`) })).toBeVisible();
  await scan('Lockouts, who tried open');
  await openScreen('Hot desking');
  await expect(page.getByRole('table', { name: 'Phones and extensions' }).locator('tbody tr').first()).toBeVisible();
  await scan('Hot desking');
  await openScreen('PIN policies');
  await expect(page.getByLabel('Minimum length').first()).toBeVisible();
  await scan('PIN policies');
  await openScreen('Audit log');
  await expect(page.getByRole('table').first().locator('tbody tr').first()).toBeVisible();
  await page.getByRole('button', { name: 'Verify chain' }).click();
  await expect(page.locator('.audit-verify.intact')).toBeVisible();
  await scan('Audit log, chain verified');
  await openScreen('Findings');
  await expect(page.locator('.finding').first()).toBeVisible({ timeout: 15_000 });
  await scan('Findings (live)');
  await openScreen('Admin security');
  await expect(page.getByRole('table', { name: 'Used tokens' })).toBeVisible();
  await scan('Admin security');
  await nav().getByRole('button', { name: 'Reception', exact: true }).click();
  await expect(page.getByLabel('Find an extension')).toBeVisible();
  await scan('Reception (admin)');
});

test('the common dialogs', async () => {
  // Change password (Admin security → Login settings)
  await openScreen('Admin security');
  await page.getByRole('region', { name: 'Login settings' }).getByRole('button', { name: 'Change password…' }).click();
  const pw = page.getByRole('dialog', { name: 'Change your password' });
  await expect(pw).toBeVisible();
  await pw.getByLabel('New password', { exact: true }).fill('short');
  await scan('Change password dialog', 'dialog[open]');
  await page.keyboard.press('Escape');
  await expect(pw).toHaveCount(0);
  // Add an account (its form, a field refused), and the confirmation of "Sign out everywhere else"
  await page.getByRole('region', { name: 'Accounts' }).getByRole('button', { name: 'Add account…' }).click();
  const add = page.getByRole('dialog', { name: 'Add an account' });
  await expect(add).toBeVisible();
  await add.getByLabel('Username').fill('bad@name');
  await scan('Add account dialog', 'dialog[open]');
  await page.keyboard.press('Escape');
  await expect(add).toHaveCount(0);
  await page.getByRole('button', { name: 'Sign out everywhere else…' }).click();
  const others = page.getByRole('dialog', { name: 'Sign out everywhere else?' });
  await expect(others).toBeVisible();
  await scan('Sign out everywhere else dialog', 'dialog[open]');
  await others.getByRole('button', { name: 'Cancel' }).click();
  await expect(others).toHaveCount(0);

  // Export config (Findings), with the passphrases differing (its error shown)
  await openScreen('Findings');
  await page.getByRole('button', { name: 'Export config…' }).click();
  const exp = page.getByRole('dialog', { name: 'Export the configuration' });
  await expect(exp).toBeVisible();
  await exp.getByLabel('Passphrase', { exact: true }).fill(secret('a long passphrase 1', 'export passphrase typed'));
  await exp.getByLabel('Passphrase again').fill(secret('a long passphrase 2', 'export passphrase typed (second, differs)'));
  await expect(exp.getByRole('alert')).toBeVisible();
  await scan('Export config dialog', 'dialog[open]');
  await exp.getByRole('button', { name: 'Cancel' }).click();
  await expect(exp).toHaveCount(0);

  // Bulk reset confirm (Extensions: select all matching, Reset…), cancelled
  await openScreen('Extensions');
  await page.getByRole('checkbox', { name: /^Select all \d+ matching extensions$/ }).check();
  const bar = page.getByRole('region', { name: 'Selection' });
  await scan('Extensions, rows selected');
  await bar.getByRole('button', { name: 'Reset voicemail PINs to default…' }).click();
  const bulk = page.getByRole('dialog', { name: 'Reset voicemail PINs to default' });
  await expect(bulk).toBeVisible();
  await scan('Bulk reset confirm dialog', 'dialog[open]');
  await bulk.getByRole('button', { name: 'Cancel' }).click();
  await expect(bulk).toHaveCount(0);
  await page.getByRole('checkbox', { name: /^Select all \d+ matching extensions$/ }).uncheck();

  // A credential change (the extension detail, in place)
  await page.getByRole('grid', { name: 'Extensions' }).locator(`[role="row"][data-number="${hqPhone.number}"]`).click();
  const creds = page.getByRole('region', { name: `Extension ${hqPhone.number}` }).getByRole('region', { name: 'Credentials' });
  await creds.getByRole('button', { name: 'Change Voicemail PIN' }).click();
  await creds.getByLabel('New voicemail PIN').fill('1111');
  await expect(creds.locator('.rule-unmet').first()).toBeVisible();
  await scan('Extensions, changing a voicemail PIN');
  await creds.getByRole('button', { name: 'Cancel', exact: true }).click();

  // Hot-desk mapping editor
  await openScreen('Hot desking');
  await page.getByRole('button', { name: /^(Edit mapping of|Add mapping for) / }).first().click();
  await expect(page.locator('dialog[open]')).toBeVisible();
  await scan('Hot-desk mapping dialog', 'dialog[open]');
  await page.keyboard.press('Escape');
  await expect(page.locator('dialog[open]')).toHaveCount(0);
});

test('the Connect screen, and the review of an exported file on every screen', async () => {
  await page.getByRole('button', { name: 'Disconnect' }).click();
  await expect(page.getByRole('heading', { name: 'Connect to a PBX' })).toBeVisible();
  // the add form refusing a bad address (the field's error and the form's alert)
  const form = page.getByRole('region', { name: 'Add a PBX' });
  await form.getByLabel('Name', { exact: true }).fill('Branch PBX');
  await form.getByLabel('Address (URL)').fill('ftp://x');
  await form.getByRole('button', { name: 'Save profile' }).click();
  await expect(form.getByLabel('Address (URL)')).toHaveAttribute('aria-invalid', 'true');
  await scan('Connect, the add form refused');

  await chooseFile('Open exported config…', exportFile);
  const banner = page.getByRole('note', { name: 'Read-only review' });
  await expect(banner).toBeVisible({ timeout: 15_000 });
  await expect(page.locator('.finding').first()).toBeVisible();
  await scan('Review: Findings');
  for (const name of ['Extensions', 'Lockouts', 'Hot desking', 'PIN policies', 'Audit log', 'Admin security']) {
    await openScreen(name);
    await scan(`Review: ${name}`);
  }
  await openScreen('Compare');
  await chooseFile('Choose the earlier export…', path.join(dir, 'a11y-earlier.json'));
  await expect(page.locator('.diff-added').first()).toBeVisible();
  await scan('Review: Compare');
  await banner.getByRole('button', { name: 'Close review' }).click();
  await expect(page.getByRole('heading', { name: 'Connect to a PBX' })).toBeVisible();
});

test('the receptionist: Reception with a card open, the shortcut list, their other screens', async () => {
  await page.getByRole('article', { name: 'Local PBX' }).getByRole('button', { name: 'Connect to Local PBX' }).click();
  await expect(page.getByRole('button', { name: 'Disconnect' })).toBeVisible({ timeout: 30_000 });
  await connectAsReceptionist(page, app.pbxUrl, receptionPassword);
  const search = page.getByLabel('Find an extension');
  await search.fill(hqPhone.number);
  await expect(page.getByRole('option', { name: new RegExp(`^${hqPhone.number} `) })).toBeVisible();
  await search.press('Enter');
  const card = page.getByRole('region', { name: new RegExp(hqPhone.number) });
  await expect(card).toContainText('Unlocks by itself in');
  await scan('Reception (receptionist), card open');
  // Reset PIN: the confirmation, then the default PIN shown large
  await card.getByRole('button', { name: 'Reset PIN' }).click();
  const confirm = card.getByRole('group', { name: 'Confirm reset' });
  await expect(confirm).toBeVisible();
  await scan('Reception, reset confirmation', '.reception-card');
  await confirm.getByRole('button', { name: 'Yes, reset the PIN' }).click();
  await expect(card.locator('.default-pin-digits')).toBeVisible();
  await scan('Reception, default PIN shown');
  // `?` is a shortcut outside text fields
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  await page.keyboard.press('?');
  const keys = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
  await expect(keys).toBeVisible();
  await scan('Keyboard shortcuts dialog', 'dialog[open]');
  await page.keyboard.press('Escape');
  await expect(keys).toHaveCount(0);
  for (const name of ['Extensions', 'Lockouts', 'Hot desking', 'Admin security']) {
    await openScreen(name);
    await scan(`Receptionist: ${name}`);
  }
});

test('no serious or critical accessibility violation on any screen, in either colour scheme', () => {
  expect(serious, 'serious/critical axe violations (screen, rule, where)').toEqual([]);
});

// E2E: the Admin security screen's used tokens (issue 6 / SPEC F5) in Chromium against the real console and
// its real embedded reference PBX. Logins come over the PBX API from other loopback addresses (127.0.0.2, … act
// as other hosts), each with its own User-Agent.
//
// 1. The admin sees every token of the account: this console's marked, the others with their address and the
//    program's short name (full user agent under Details); selects one with the keyboard and signs it out after
//    a confirmation → its row goes and the PBX refuses that token (401); Ctrl+A selects this console's session
//    too and the confirmation warns about it (cancelled); "Sign out everywhere else" leaves only this console,
//    which goes on working (the Extensions screen loads).
// 2. The receptionist sees only her own tokens, and signing out her console's own session with another one
//    makes the console sign in again by itself.
import { expect, test, type Browser, type BrowserContext, type Page } from '@playwright/test';
import { requestFrom, startConsoleProcess, type ConsoleProcess } from '../support/console-process.js';
import { adminAndReceptionist, connectAsReceptionist, shot } from '../support/e2e.js';

test.describe.configure({ mode: 'serial' });

let app: ConsoleProcess;
let context: BrowserContext;
let page: Page;
let receptionPassword: string;

const CHROME = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const FIREFOX = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0';

/** Log in to the PBX API from `from` with `userAgent`; the token. */
async function loginFrom(from: string, userAgent: string, username = 'admin', password = app.adminPassword!): Promise<string> {
  const r = await requestFrom(`${app.pbxUrl}/api/v1/session`, { body: { username, password }, localAddress: from, headers: { 'User-Agent': userAgent } });
  expect(r.status, r.text).toBe(201);
  return (r.body as { token: string }).token;
}

/** GET /session with `token` from `from`: 200 while the token works, 401 once it is signed out. */
async function sessionStatus(token: string, from = '127.0.0.1', userAgent = 'check'): Promise<number> {
  const r = await requestFrom(`${app.pbxUrl}/api/v1/session`, { localAddress: from, headers: { Authorization: `Bearer ${token}`, 'User-Agent': userAgent } });
  return r.status;
}

function table(p: Page) {
  return p.getByRole('table', { name: 'Used tokens' });
}

function rows(p: Page) {
  return table(p).locator('tbody tr[data-key]');
}

async function openSecurity(p: Page): Promise<void> {
  await p.getByRole('navigation', { name: 'Screens' }).getByRole('button', { name: 'Admin security' }).click();
  await expect(p.getByRole('heading', { level: 1, name: 'Admin security' })).toBeVisible();
  await expect(table(p)).toBeVisible();
}

let chromeToken: string;
let curlToken: string;
let firefoxToken: string;

test.beforeAll(async ({ browser }: { browser: Browser }) => {
  app = await startConsoleProcess();
  ({ context, page, receptionPassword } = await adminAndReceptionist(app, browser));
  chromeToken = await loginFrom('127.0.0.2', CHROME);
  curlToken = await loginFrom('127.0.0.3', 'curl/8.5.0');
  firefoxToken = await loginFrom('127.0.0.4', 'curl/8.5.0');
  // The Firefox login was made with curl and is used later from another address with Firefox.
  expect(await sessionStatus(firefoxToken, '127.0.0.5', FIREFOX)).toBe(200);
});

test.afterAll(async () => {
  await context?.close();
  await app?.stop();
});

test('the admin sees the account’s tokens, signs one out, then everywhere else', async () => {
  await page.goto(app.launchUrl);
  await expect(page.getByRole('heading', { name: 'Extensions' })).toBeVisible({ timeout: 30_000 });
  await openSecurity(page);

  // This console first, marked; every login above with its address and the program's short name.
  const mine = rows(page).first();
  await expect(mine).toContainText('This console');
  await expect(mine).toContainText('PBX Warden console');
  await expect(page.getByText('This console', { exact: true })).toHaveCount(1);
  const chrome = rows(page).filter({ hasText: '127.0.0.2' });
  const curl = rows(page).filter({ hasText: '127.0.0.3' });
  const used = rows(page).filter({ hasText: '127.0.0.4' });
  await expect(chrome).toContainText('Chrome on Linux');
  await expect(chrome).toContainText('Login token');
  // not used since its sign-in: last used then, from there
  await expect(chrome.locator('td').nth(5)).toHaveText('Same as created');
  await expect(curl).toContainText('curl 8.5');
  // created with curl from .4, last used with Firefox from .5
  await expect(used).toContainText('curl 8.5');
  await expect(used).toContainText('127.0.0.5');
  await expect(used).toContainText('Firefox on Windows');
  await expect(chrome.locator('.ua-name')).toHaveAttribute('title', CHROME);
  // Details: the whole user agent, the token id, the times in full.
  await chrome.getByRole('button', { name: /^Details of login token/ }).click();
  await expect(table(page).locator('tr.token-details')).toContainText(CHROME);
  await expect(table(page).locator('tr.token-details')).toContainText('Token id');
  await shot(page, '86-security-tokens');
  await chrome.getByRole('button', { name: /^Details of login token/ }).click();
  await expect(table(page).locator('tr.token-details')).toHaveCount(0);

  // Select the curl row with the keyboard (Space), sign it out after the confirmation.
  const count = await rows(page).count();
  await curl.getByRole('checkbox').focus();
  await page.keyboard.press('Space');
  const bar = page.getByRole('group', { name: 'Selected tokens' });
  await expect(bar).toContainText('1 selected');
  await bar.getByRole('button', { name: 'Sign out selected (1)…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Sign out 1 login token?' });
  await expect(dialog).toBeVisible();
  await expect(dialog.getByRole('listitem')).toHaveText(['Login token from 127.0.0.3 (curl 8.5)']);
  await expect(dialog).not.toContainText('this console uses');
  await expect(dialog.getByRole('button', { name: 'Yes, sign it out' })).toBeFocused();
  await shot(page, '87-security-sign-out-one');
  await page.keyboard.press('Enter');
  await expect(dialog).toHaveCount(0);
  await expect(page.getByRole('status').filter({ hasText: 'Signed out 1 session.' })).toBeVisible();
  await expect(curl).toHaveCount(0);
  await expect(rows(page)).toHaveCount(count - 1);
  expect(await sessionStatus(curlToken)).toBe(401);
  expect(await sessionStatus(chromeToken)).toBe(200);
  // The heading has the focus (the button that opened the dialog went with the selection).
  await expect(page.getByRole('heading', { level: 2, name: 'Used tokens' })).toBeFocused();

  // Shift+↓ from a row selects a range; Ctrl+A all of them, this console's session included: the confirmation
  // says so. Cancelled with Escape; nothing is signed out.
  await rows(page).nth(1).getByRole('checkbox').focus();
  await page.keyboard.press('Space');
  await page.keyboard.press('Shift+ArrowDown');
  await expect(bar).toContainText('2 selected');
  await expect(rows(page).nth(2).getByRole('checkbox')).toBeFocused();
  await page.keyboard.press('Control+a');
  await expect(bar).toContainText(`${count - 1} selected`);
  await bar.getByRole('button', { name: /^Sign out selected/ }).click();
  const all = page.getByRole('dialog', { name: `Sign out ${count - 1} login tokens?` });
  await expect(all).toContainText('One of them is the session this console uses; it will sign in again with the saved password.');
  await expect(all.getByRole('listitem').first()).toHaveText('Login token from 127.0.0.1 (PBX Warden console) — this console');
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.waitForTimeout(300); // let the 80 ms colour transitions finish
  await shot(page, '89-security-confirm-includes-console-dark');
  await page.emulateMedia({ colorScheme: 'light' });
  await page.keyboard.press('Escape');
  await expect(all).toHaveCount(0);
  await expect(bar.getByRole('button', { name: /^Sign out selected/ })).toBeFocused();
  await bar.getByRole('button', { name: 'Clear selection' }).click();
  await expect(rows(page)).toHaveCount(count - 1);

  // Sign out everywhere else: only this console is left, and it goes on working.
  await page.getByRole('button', { name: 'Sign out everywhere else…' }).click();
  const others = page.getByRole('dialog', { name: 'Sign out everywhere else?' });
  await expect(others).toContainText(`The ${count - 2} other sign-ins of this account (${count - 2} login tokens) stop working at once`);
  await expect(others).toContainText('This console stays signed in.');
  await others.getByRole('button', { name: `Yes, sign out all ${count - 2} others` }).click();
  await expect(others).toHaveCount(0);
  await expect(page.getByRole('status').filter({ hasText: `Signed out ${count - 2} sessions.` })).toBeVisible();
  await expect(rows(page)).toHaveCount(1);
  await expect(rows(page).first()).toContainText('This console');
  await expect(page.getByText('Only this console is signed in')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Sign out everywhere else…' })).toBeDisabled();
  for (const t of [chromeToken, firefoxToken]) expect(await sessionStatus(t)).toBe(401);
  await shot(page, '88-security-only-this-console');

  await page.getByRole('navigation', { name: 'Screens' }).getByRole('button', { name: 'Extensions' }).click();
  await expect(page.getByRole('heading', { name: 'Extensions' })).toBeVisible();
  await expect(page.getByRole('row').nth(3)).toBeVisible({ timeout: 15_000 });
  await expect(page.locator('.banner.warning')).toHaveCount(0);
});

test('the admin edits who may manage the PBX: bad lines named, shutting this console out asks first, the PBX enforces the list', async () => {
  await openSecurity(page);
  const editor = page.getByRole('region', { name: 'Who may manage this PBX' });
  const box = editor.getByLabel('Allowed addresses, one per line');
  await expect(editor).toContainText('This console reaches the PBX from 127.0.0.1 — the list lets it in.');
  await box.fill('10.0.0.0/8\n300.1.1.1');
  await expect(editor.getByRole('alert').filter({ hasText: 'Line 2' })).toBeVisible();
  await expect(editor.getByRole('button', { name: 'Save allowlist' })).toBeDisabled();
  await box.fill('10.0.0.0/8');
  await expect(editor.getByRole('alert').filter({ hasText: 'this list leaves it out' })).toBeVisible();
  await editor.getByRole('button', { name: 'Save allowlist' }).click();
  const confirm = page.getByRole('dialog', { name: 'Shut this console out?' });
  await expect(confirm).toBeVisible();
  await shot(page, '90-security-allowlist-shuts-you-out');
  await confirm.getByRole('button', { name: 'Keep editing' }).click();
  await expect(confirm).toHaveCount(0);
  await box.fill('10.0.0.0/8\n127.0.0.1\n2001:db8::1/32');
  await expect(editor).toContainText('the list lets it in');
  await editor.getByRole('button', { name: 'Save allowlist' }).click();
  await expect(editor.getByRole('status').filter({ hasText: 'Saved: 3 entries.' })).toBeVisible();
  await expect(box).toHaveValue('10.0.0.0/8\n127.0.0.1\n2001:db8::/32');
  // the PBX now refuses a login from an unlisted address, before the password is looked at
  const refused = await requestFrom(`${app.pbxUrl}/api/v1/session`, { body: { username: 'admin', password: app.adminPassword }, localAddress: '127.0.0.3' });
  expect(refused.status).toBe(403);
  expect((refused.body as { error: { code: string } }).error.code).toBe('address_not_allowed');
  await shot(page, '91-security-allowlist-saved');
  // back to every address
  await box.fill('');
  await editor.getByRole('button', { name: 'Save allowlist' }).click();
  await expect(editor.getByRole('status').filter({ hasText: 'Saved: every address may manage this PBX.' })).toBeVisible();
  expect((await requestFrom(`${app.pbxUrl}/api/v1/session`, { body: { username: 'admin', password: app.adminPassword }, localAddress: '127.0.0.3' })).status).toBe(201);
});

test('the receptionist sees only her own tokens; signing out her console’s session signs it in again', async () => {
  const adminElsewhere = await loginFrom('127.0.0.7', CHROME);
  const deskScript = await loginFrom('127.0.0.6', 'Wget/1.21.4', 'reception', receptionPassword);
  await connectAsReceptionist(page, app.pbxUrl, receptionPassword);
  await expect(page.getByLabel('Find an extension')).toBeVisible({ timeout: 30_000 });
  await openSecurity(page);

  await expect(rows(page)).toHaveCount(2);
  await expect(rows(page).first()).toContainText('This console');
  const script = rows(page).filter({ hasText: '127.0.0.6' });
  await expect(script).toContainText('Wget 1.21');
  await expect(table(page)).not.toContainText('127.0.0.7');

  // Both, her console's own session among them: the console signs in again by itself.
  await rows(page).first().getByRole('checkbox').check();
  await script.getByRole('checkbox').click({ modifiers: ['Shift'] });
  const bar = page.getByRole('group', { name: 'Selected tokens' });
  await expect(bar).toContainText('2 selected');
  await bar.getByRole('button', { name: 'Sign out selected (2)…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Sign out 2 login tokens?' });
  await expect(dialog).toContainText('the session this console uses');
  await dialog.getByRole('button', { name: 'Yes, sign out all 2' }).click();
  await expect(page.getByRole('status').filter({ hasText: /Signed out 2 sessions, this console's own among them/ })).toBeVisible();
  expect(await sessionStatus(deskScript)).toBe(401);
  expect(await sessionStatus(adminElsewhere)).toBe(200);
  // A new session of this console, and nothing else.
  await expect(rows(page)).toHaveCount(1);
  await expect(rows(page).first()).toContainText('This console');
  await expect(rows(page).first()).toContainText('PBX Warden console');
  await expect(page.locator('.banner.warning')).toHaveCount(0);
});

// E2E: account settings (issue 6 / SPEC F5) in Chromium against the real console and its embedded reference PBX.
//
// 1. Login settings: a bad email entry is named under the field and Save waits; fixed, saved, and the PBX has the
//    normalised list; API access shows what HTTP Basic means and warns while the allowlist is empty; a change made
//    elsewhere meanwhile (412) shows both versions.
// 2. Accounts: create a receptionist for one site; take its password away through the explicit confirmation (the
//    "No password" warning badge appears); rename it; delete it after a confirmation. Your own row cannot be deleted.
// 3. An admin created without a password: connecting as it is an explicit choice, and then every screen shows the
//    no-password banner until a password is set from it.
// 4. An admin limited to one site sees the accounts but cannot change them, and says why.
// Screenshots 100–109 (light and dark).
import { expect, test, type Browser, type BrowserContext, type Locator, type Page } from '@playwright/test';
import { startConsoleProcess, type ConsoleProcess } from '../support/console-process.js';
import { adminAndReceptionist, pbxApiOf, secret, shot, tallShot } from '../support/e2e.js';

test.describe.configure({ mode: 'serial' });

let app: ConsoleProcess;
let context: BrowserContext;
let page: Page;
let token: string;
let receptionPassword: string;
const api = pbxApiOf(() => app.pbxUrl, () => token);

interface Account {
  username: string;
  role: string;
  sites: string[] | null;
  hasPassword: boolean;
  emails: string[];
  apiAccess: boolean;
  tokenValidityMinutes: number;
  warnings: string[];
  etag: string;
}

test.beforeAll(async ({ browser }: { browser: Browser }) => {
  app = await startConsoleProcess();
  ({ context, page, token, receptionPassword } = await adminAndReceptionist(app, browser));
});

test.afterAll(async () => {
  await context?.close();
  await app?.stop();
});

async function openSecurity(p: Page): Promise<void> {
  await p.getByRole('navigation', { name: 'Screens' }).getByRole('button', { name: 'Admin security' }).click();
  await expect(p.getByRole('heading', { level: 1, name: 'Admin security' })).toBeVisible();
}

function loginSettings(p: Page): Locator {
  return p.getByRole('region', { name: 'Login settings' });
}

function accounts(p: Page): Locator {
  return p.getByRole('region', { name: 'Accounts' });
}

function row(p: Page, username: string): Locator {
  return accounts(p).locator(`tbody tr[data-username="${username}"]`);
}

async function dark(p: Page, name: string): Promise<void> {
  await p.emulateMedia({ colorScheme: 'dark' });
  await p.waitForTimeout(300);
  await shot(p, name);
  await p.emulateMedia({ colorScheme: 'light' });
}

/** Disconnect and connect as `username` through the Connect screen (a new profile). */
async function connectAs(p: Page, name: string, username: string, password: string | null): Promise<void> {
  await p.getByRole('button', { name: 'Disconnect' }).click();
  await expect(p.getByRole('heading', { name: 'Connect to a PBX' })).toBeVisible();
  const form = p.getByRole('region', { name: 'Add a PBX' });
  await form.getByLabel('Name', { exact: true }).fill(name);
  await form.getByLabel('Address (URL)').fill(app.pbxUrl);
  await form.getByLabel('Username').fill(username);
  if (password) await form.getByLabel('Password', { exact: true }).fill(password);
  await form.getByRole('button', { name: 'Save profile' }).click();
  const card = p.getByRole('article', { name });
  await expect(card).toBeVisible();
  await card.getByRole('button', { name: `Connect to ${name}` }).click();
  if (password === null) {
    // no saved password: the card asks; "no password" is its own, explicit button
    await expect(card.getByLabel('Password', { exact: true })).toBeFocused();
    await card.getByRole('button', { name: 'This account has no password' }).click();
  }
}

test('login settings: a bad email entry is named, fixed and saved; API access explained; a change elsewhere shows both versions', async () => {
  await page.goto(app.launchUrl);
  await expect(page.getByRole('heading', { name: 'Extensions' })).toBeVisible({ timeout: 30_000 });
  await openSecurity(page);
  const ls = loginSettings(page);
  await expect(ls.getByLabel('Username')).toHaveValue('admin');
  const emails = ls.getByLabel('Email addresses');
  const save = ls.getByRole('button', { name: 'Save login settings' });

  await emails.fill('Ops Team <ops@example.com>; bob@');
  await expect(ls.getByRole('alert').filter({ hasText: 'entry 2: “bob@”' })).toBeVisible();
  await expect(emails).toHaveAttribute('aria-invalid', 'true');
  await expect(save).toBeDisabled();
  await shot(page, '100-accounts-login-settings-bad-email');

  await emails.fill('Ops Team <ops@Example.com>; bob@example.org');
  await expect(ls.getByRole('alert').filter({ hasText: 'entry 2' })).toHaveCount(0);
  // token validity: a common choice, said in words and exact minutes
  await ls.getByLabel('Common choices').selectOption({ label: '8 hours (a working day)' });
  await expect(ls.getByText('8 hours = 480 minutes.')).toBeVisible();
  await ls.getByLabel('Token validity amount').fill('31');
  await ls.getByLabel('Token validity unit').selectOption('days');
  await expect(ls.getByText(/31 days is too long/)).toBeVisible();
  await expect(save).toBeDisabled();
  await ls.getByLabel('Token validity amount').fill('2');
  // API access: what HTTP Basic means, and the empty allowlist warning
  const basic = ls.getByRole('switch', { name: 'API access with HTTP Basic authentication' });
  await expect(ls).toContainText('sending this username and password with every request');
  await basic.check();
  await expect(ls.getByRole('alert').filter({ hasText: 'The admin allowlist is empty' })).toBeVisible();
  await basic.uncheck();
  await save.click();
  await expect(ls.getByRole('status').filter({ hasText: 'Login settings saved.' })).toBeVisible();
  await expect(emails).toHaveValue('Ops Team <ops@example.com>; bob@example.org');
  const mine = (await api<Account>('GET', '/admin/login-settings')).body;
  expect(mine.emails).toEqual(['Ops Team <ops@example.com>', 'bob@example.org']);
  expect(mine.tokenValidityMinutes).toBe(2 * 24 * 60);
  await tallShot(page, '101-accounts-login-settings-saved');

  // Someone else changes the account while the form is untouched: the form follows at once (admin.changed).
  const first = await api<Account>('PUT', '/admin/login-settings', { username: 'admin', emails: 'desk@example.net', apiAccess: false, tokenValidityMinutes: 2 * 24 * 60 }, { 'If-Match': mine.etag });
  expect(first.status, first.text).toBe(200);
  await expect(emails).toHaveValue('desk@example.net');
  // ... and while it is being edited: the edits stay, and saving shows both versions.
  await emails.fill('me@example.com');
  const put = await api<Account>('PUT', '/admin/login-settings', { username: 'admin', emails: 'noc@example.net', apiAccess: false, tokenValidityMinutes: 60 }, { 'If-Match': first.body.etag });
  expect(put.status, put.text).toBe(200);
  // the event of that change arrives; the edits stay
  await page.waitForTimeout(300);
  await expect(emails).toHaveValue('me@example.com');
  await save.click();
  const conflict = ls.getByRole('group', { name: /Your account was changed elsewhere/ });
  await expect(conflict).toBeVisible();
  await expect(conflict).toContainText('me@example.com');
  await expect(conflict).toContainText('noc@example.net');
  await expect(conflict.getByRole('button', { name: 'Reload: use the PBX version' })).toBeFocused();
  await dark(page, '102-accounts-login-settings-conflict-dark');
  await conflict.getByRole('button', { name: 'Reload: use the PBX version' }).click();
  await expect(emails).toHaveValue('noc@example.net');
});

test('accounts: create a receptionist, take its password away (warning badge), rename it, delete it', async () => {
  await openSecurity(page);
  const section = accounts(page);
  await expect(row(page, 'admin')).toContainText('You');
  await expect(row(page, 'admin').getByRole('button', { name: /^Delete admin/ })).toBeDisabled();

  await section.getByRole('button', { name: 'Add account…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Add an account' });
  await expect(dialog.getByLabel('Username')).toBeFocused();
  await dialog.getByLabel('Username').fill('desk@north');
  await expect(dialog.getByText(/Username: may not contain "@"/)).toBeVisible();
  await dialog.getByLabel('Username').fill('desk-north');
  await expect(dialog.getByLabel('Role')).toHaveValue('receptionist');
  await expect(dialog.getByRole('switch', { name: /API access/ })).toBeDisabled();
  await dialog.getByLabel('Only these sites:').check();
  await dialog.getByLabel('North Branch').check();
  await dialog.getByLabel('Email addresses').fill('North Desk <desk@north.example.com>');
  await dialog.getByLabel('Password', { exact: true }).fill('short');
  await expect(dialog.getByRole('list', { name: 'Rules for the password' })).toContainText('10 to 256 characters — not yet');
  await dialog.getByLabel('Password', { exact: true }).fill(secret('north desk 2026 spring', 'new account password typed'));
  await dialog.getByLabel('Type the password again').fill('north desk 2026 spring');
  await expect(dialog.getByRole('list', { name: 'Rules for the password' })).not.toContainText('not yet');
  await tallShot(page, '103-accounts-create-dialog');
  await dialog.getByRole('button', { name: 'Create account' }).click();
  await expect(dialog).toHaveCount(0);
  await expect(section.getByRole('status').filter({ hasText: 'Account desk-north created (receptionist, north branch).' })).toBeVisible();
  await expect(row(page, 'desk-north')).toContainText('North Branch');
  await expect(row(page, 'desk-north')).toContainText('Receptionist');
  await expect(row(page, 'desk-north')).toContainText('desk@north.example.com');
  // the PBX agrees: the password works
  expect((await api('GET', '/admin/accounts')).status).toBe(200);

  // No password: only through the explicit confirmation.
  await row(page, 'desk-north').getByRole('button', { name: 'Set the password of desk-north' }).click();
  const pw = page.getByRole('dialog', { name: 'Set the password of desk-north' });
  await pw.getByRole('button', { name: 'Remove the password instead…' }).click();
  const confirm = pw.getByRole('group', { name: 'Leave the account desk-north without a password?' });
  await expect(confirm).toContainText('with an empty password');
  await expect(confirm.getByRole('button', { name: 'Remove the password' })).toBeDisabled();
  await expect(confirm.getByLabel('I understand: desk-north will have no password')).toBeFocused();
  await page.keyboard.press('Space');
  await shot(page, '104-accounts-remove-password-confirm');
  await confirm.getByRole('button', { name: 'Remove the password' }).click();
  await expect(pw).toHaveCount(0);
  await expect(section.getByRole('status').filter({ hasText: 'desk-north’s password was removed' })).toBeVisible();
  await expect(row(page, 'desk-north').locator('.badge-warning')).toHaveText(/No password/);
  await expect(section.getByRole('list', { name: 'What the warnings mean' })).toContainText('desk-north has no password');
  await dark(page, '105-accounts-table-no-password-badge-dark');

  // Rename.
  await row(page, 'desk-north').getByRole('button', { name: 'Edit desk-north' }).click();
  const edit = page.getByRole('dialog', { name: 'Edit desk-north' });
  await edit.getByLabel('Username').fill('north-desk');
  await edit.getByRole('button', { name: 'Save account' }).click();
  await expect(edit).toHaveCount(0);
  await expect(section.getByRole('status').filter({ hasText: 'Account desk-north renamed to north-desk and saved.' })).toBeVisible();
  await expect(row(page, 'north-desk')).toBeVisible();
  await expect(row(page, 'desk-north')).toHaveCount(0);

  // Delete, after a confirmation (Escape cancels first).
  await row(page, 'north-desk').getByRole('button', { name: 'Delete north-desk' }).click();
  const del = page.getByRole('dialog', { name: 'Delete north-desk?' });
  await expect(del.getByRole('button', { name: 'Yes, delete north-desk' })).toBeFocused();
  await page.keyboard.press('Escape');
  await expect(del).toHaveCount(0);
  await expect(row(page, 'north-desk').getByRole('button', { name: 'Delete north-desk' })).toBeFocused();
  await row(page, 'north-desk').getByRole('button', { name: 'Delete north-desk' }).click();
  await page.getByRole('dialog', { name: 'Delete north-desk?' }).getByRole('button', { name: 'Yes, delete north-desk' }).click();
  await expect(section.getByRole('status').filter({ hasText: 'Account north-desk deleted' })).toBeVisible();
  await expect(row(page, 'north-desk')).toHaveCount(0);
  const list = (await api<{ items: Account[] }>('GET', '/admin/accounts')).body.items.map((a) => a.username);
  expect(list).not.toContain('north-desk');
});

test('an admin without a password: connecting is an explicit choice, and every screen warns until a password is set', async () => {
  await openSecurity(page);
  await accounts(page).getByRole('button', { name: 'Add account…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Add an account' });
  await dialog.getByLabel('Username').fill('night-admin');
  await dialog.getByLabel('Role').selectOption('admin');
  await dialog.getByRole('button', { name: 'Create it without a password…' }).click();
  await dialog.getByLabel('I understand: this account will have no password').check();
  await dialog.getByRole('button', { name: 'Create without a password' }).click();
  await expect(dialog).toHaveCount(0);
  await expect(row(page, 'night-admin').locator('.badge-warning')).toHaveText(/No password/);

  await connectAs(page, 'Night shift', 'night-admin', null);
  await expect(page.getByRole('heading', { name: 'Extensions' })).toBeVisible({ timeout: 30_000 });
  const banner = page.locator('.no-password-banner');
  await expect(banner).toContainText('Your account night-admin has no password.');
  await shot(page, '106-accounts-no-password-banner');
  await page.getByRole('navigation', { name: 'Screens' }).getByRole('button', { name: 'Lockouts' }).click();
  await expect(banner).toBeVisible();
  await dark(page, '107-accounts-no-password-banner-dark');

  await banner.getByRole('button', { name: 'Set a password…' }).click();
  const pw = page.getByRole('dialog', { name: 'Set a password for your account' });
  await expect(pw.getByLabel('New password', { exact: true })).toBeFocused();
  await expect(pw.getByLabel('Current password')).toHaveCount(0);
  await pw.getByLabel('New password', { exact: true }).fill(secret('night-admin-1', 'weak account password typed (refused)'));
  await expect(pw.getByRole('list', { name: 'Rules for the new password' })).toContainText('Does not contain the username “night-admin” — not yet');
  await pw.getByLabel('New password', { exact: true }).fill(secret('quiet corridor 2026', 'account password typed'));
  await pw.getByLabel('Type the new password again').fill('quiet corridor 2026');
  await shot(page, '108-accounts-set-password-from-banner');
  await pw.getByRole('button', { name: 'Set password' }).click();
  await expect(pw).toHaveCount(0);
  await expect(banner).toHaveCount(0);
  await expect(page.getByRole('status').filter({ hasText: 'Your password was set.' })).toBeVisible();
  // The console keeps working as night-admin (its session survived; the new password is kept for re-login).
  await openSecurity(page);
  await expect(loginSettings(page)).toContainText('Password: set on');
  // Changing it again asks for the current one; a wrong one is said under that field.
  await loginSettings(page).getByRole('button', { name: 'Change password…' }).click();
  const again = page.getByRole('dialog', { name: 'Change your password' });
  await expect(again.getByLabel('Current password')).toBeFocused();
  await again.getByLabel('Current password').fill('not the password');
  await again.getByLabel('New password', { exact: true }).fill(secret('another quiet corridor', 'account password typed'));
  await again.getByLabel('Type the new password again').fill('another quiet corridor');
  await again.getByRole('button', { name: 'Change password' }).click();
  await expect(again.locator('.field-error').filter({ hasText: /current/i })).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(again).toHaveCount(0);
  await expect(loginSettings(page).getByRole('button', { name: 'Change password…' })).toBeFocused();
});

test('an admin limited to one site sees the accounts but cannot change them, and is told why', async () => {
  // back to the full admin's view of the PBX API for the set-up
  const created = await api<Account>('POST', '/admin/accounts', { username: 'north-admin', password: 'north admin pass 99', role: 'admin', sites: ['north'] });
  expect(created.status, created.text).toBe(201);
  await connectAs(page, 'North office', 'north-admin', 'north admin pass 99');
  await expect(page.getByRole('heading', { name: 'Extensions' })).toBeVisible({ timeout: 30_000 });
  await openSecurity(page);
  const section = accounts(page);
  await expect(section).toContainText('Your account is limited to some sites, so you can see the accounts but not change them.');
  await expect(section.getByRole('button', { name: 'Add account…' })).toBeDisabled();
  await expect(row(page, 'night-admin').getByRole('button', { name: 'Edit night-admin' })).toBeDisabled();
  await expect(row(page, 'north-admin')).toContainText('North Branch');
  await tallShot(page, '109-accounts-site-limited-admin');

  // A receptionist has login settings too, without API access, and no accounts section.
  await connectAs(page, 'Front desk', 'reception', receptionPassword);
  await expect(page.getByLabel('Find an extension')).toBeVisible({ timeout: 30_000 });
  await openSecurity(page);
  await expect(loginSettings(page).getByLabel('Username')).toHaveValue('reception');
  await expect(loginSettings(page).getByRole('switch')).toHaveCount(0);
  await expect(accounts(page)).toHaveCount(0);
});

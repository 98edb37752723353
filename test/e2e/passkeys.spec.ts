// E2E: passkeys (issue 6 / SPEC F5) in Chromium with a virtual WebAuthn authenticator (CDP WebAuthn domain),
// against the real console and its real embedded reference PBX.
//
// On the PBX's own login page (http://localhost:<port>/login — WebAuthn needs a host name, not an IP): sign in
// with the password, register a passkey, sign out, sign in with the passkey (with another user agent). In the
// console's Admin security screen the passkey is listed with the key icon, its name, where and with which
// program it was registered and last used; it is deleted there after a confirmation, and the next passkey
// sign-in on the login page fails with a clear message. Screenshots 92–99, light and dark.
import { expect, test, type Browser, type BrowserContext, type CDPSession, type Page } from '@playwright/test';
import { startConsoleProcess, type ConsoleProcess } from '../support/console-process.js';
import { adminToken, pbxApiOf, shot } from '../support/e2e.js';

test.describe.configure({ mode: 'serial' });

const LINUX_CHROME = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36';
const WINDOWS_CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36';

let app: ConsoleProcess;
let consoleContext: BrowserContext;
let consolePage: Page;
let loginContext: BrowserContext;
let login: Page;
let cdp: CDPSession;
let token = '';
const api = pbxApiOf(() => app.pbxUrl, () => token);

test.beforeAll(async ({ browser }: { browser: Browser }) => {
  app = await startConsoleProcess();
  token = await adminToken(app);
  consoleContext = await browser.newContext();
  consolePage = await consoleContext.newPage();
  loginContext = await browser.newContext({ userAgent: LINUX_CHROME });
  login = await loginContext.newPage();
  cdp = await loginContext.newCDPSession(login);
  await cdp.send('WebAuthn.enable', { enableUI: false });
  await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
});

test.afterAll(async () => {
  await loginContext?.close();
  await consoleContext?.close();
  await app?.stop();
});

function loginUrl(): string {
  return `http://localhost:${new URL(app.pbxUrl).port}/login`;
}

const message = (p: Page) => p.locator('#message');

test('the PBX login page: password, register a passkey, sign out, sign in with the passkey', async () => {
  await login.goto(loginUrl());
  await expect(login.getByRole('heading', { level: 1, name: 'Sign in' })).toBeVisible();
  await expect(login.getByRole('button', { name: 'Sign in with a passkey' })).toBeEnabled();
  await shot(login, '92-pbx-login-page');
  await login.emulateMedia({ colorScheme: 'dark' });
  await shot(login, '93-pbx-login-page-dark');
  await login.emulateMedia({ colorScheme: 'light' });

  // the password, from the keyboard
  await login.getByLabel('Username').fill('admin');
  await login.getByLabel('Password').fill(app.adminPassword!);
  await login.getByLabel('Password').press('Enter');
  await expect(login.getByText('Signed in as')).toContainText('admin');
  await expect(login.getByText('No passkeys yet.')).toBeVisible();

  // register a passkey: the name is required
  await login.getByRole('button', { name: 'Register a passkey' }).click();
  await expect(message(login)).toHaveText(/Passkey name: give the passkey a name/);
  await expect(login.getByLabel('Passkey name')).toBeFocused();
  await login.getByLabel('Passkey name').fill('E2E laptop');
  await login.getByRole('button', { name: 'Register a passkey' }).click();
  await expect(message(login)).toHaveText('Passkey "E2E laptop" registered. You can now sign in with it.');
  const table = login.getByRole('table', { name: 'Your passkeys' });
  await expect(table.getByRole('row', { name: /E2E laptop/ })).toBeVisible();
  await expect(table).toContainText('127.0.0.1');
  await expect(table).toContainText('Chrome on Linux');
  await shot(login, '94-pbx-login-passkey-registered');

  // the PBX agrees
  const list = await api<{ items: { name: string; createdFrom: string; createdUserAgent: string; transports: string[] }[] }>('GET', '/admin/passkeys');
  expect(list.body.items).toHaveLength(1);
  expect(list.body.items[0]).toMatchObject({ name: 'E2E laptop', createdFrom: '127.0.0.1', createdUserAgent: LINUX_CHROME });

  // sign out, then sign in with the passkey (the browser now says it is Chrome on Windows)
  await login.getByRole('button', { name: 'Sign out' }).click();
  await expect(message(login)).toHaveText('You are signed out.');
  await cdp.send('Emulation.setUserAgentOverride', { userAgent: WINDOWS_CHROME });
  await login.getByRole('button', { name: 'Sign in with a passkey' }).click();
  await expect(login.getByText('Signed in as')).toContainText('admin');
  await login.emulateMedia({ colorScheme: 'dark' });
  await shot(login, '95-pbx-login-signed-in-dark');
  await login.emulateMedia({ colorScheme: 'light' });
  const after = await api<{ items: { lastUsedFrom: string; lastUsedUserAgent: string }[] }>('GET', '/admin/passkeys');
  expect(after.body.items[0]).toMatchObject({ lastUsedFrom: '127.0.0.1', lastUsedUserAgent: WINDOWS_CHROME });
  await login.getByRole('button', { name: 'Sign out' }).click();
  await expect(message(login)).toHaveText('You are signed out.');
});

test('the console lists the passkey with the key icon; deleting it there makes the next passkey sign-in fail', async () => {
  const page = consolePage;
  await page.goto(app.launchUrl);
  await expect(page.getByRole('heading', { name: 'Extensions' })).toBeVisible({ timeout: 30_000 });
  await page.getByRole('navigation', { name: 'Screens' }).getByRole('button', { name: 'Admin security' }).click();
  const table = page.getByRole('table', { name: 'Used tokens' });
  await expect(table).toBeVisible();

  const row = table.locator('tbody tr[data-key^="passkey:"]');
  // this console's token, the token the spec uses, and the passkey
  await expect(page.getByRole('status').filter({ hasText: '3 sign-ins, 2 besides this console' })).toBeVisible();
  await expect(row).toHaveCount(1);
  await expect(row).toContainText('Passkey');
  await expect(row).toContainText('E2E laptop');
  // created from Linux, last used from Windows (same address: the browser runs here)
  await expect(row.locator('td').nth(3)).toContainText('127.0.0.1');
  await expect(row.locator('td').nth(3)).toContainText('Chrome on Linux');
  await expect(row.locator('td').nth(5)).toContainText('Chrome on Windows');
  await expect(row.locator('td').nth(6)).toHaveText('Never');
  // the key icon for the passkey, the document icon for tokens
  await expect(row.locator('.kind-name[data-kind="passkey"] svg circle')).toHaveCount(1);
  await expect(table.locator('tbody tr[data-key^="token:"] .kind-name[data-kind="token"] svg').first()).toBeVisible();
  // (the login page's own sessions were signed out there, so they are gone from the list)
  await expect(table.locator('tbody tr[data-key^="token:"]').filter({ hasText: 'Chrome on' })).toHaveCount(0);
  await row.getByRole('button', { name: 'Details of passkey E2E laptop' }).click();
  await expect(table.locator('tr.token-details')).toContainText('Authenticator model (AAGUID)');
  await expect(table.locator('tr.token-details')).toContainText('internal');
  await page.locator('section.tokens-section').evaluate((el) => el.scrollIntoView({ block: 'start' }));
  await shot(page, '96-security-passkey-listed');
  await row.getByRole('button', { name: 'Details of passkey E2E laptop' }).click();

  // delete it: select, confirm
  await row.getByRole('checkbox', { name: 'Select passkey E2E laptop' }).check();
  const bar = page.getByRole('group', { name: 'Selected tokens' });
  await bar.getByRole('button', { name: 'Delete selected (1)…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Delete 1 passkey?' });
  await expect(dialog).toBeVisible();
  await expect(dialog.getByRole('listitem')).toHaveText(['Passkey “E2E laptop” registered from 127.0.0.1 (Chrome on Linux)']);
  await expect(dialog.getByRole('button', { name: 'Yes, delete it' })).toBeFocused();
  await page.emulateMedia({ colorScheme: 'dark' });
  await shot(page, '97-security-passkey-delete-dark');
  await page.emulateMedia({ colorScheme: 'light' });
  await dialog.getByRole('button', { name: 'Yes, delete it' }).click();
  await expect(dialog).toHaveCount(0);
  await expect(page.getByRole('status').filter({ hasText: 'Deleted 1 passkey.' })).toBeVisible();
  await expect(row).toHaveCount(0);
  expect((await api<{ items: unknown[] }>('GET', '/admin/passkeys')).body.items).toHaveLength(0);

  // the next passkey sign-in on the login page fails, clearly
  await login.goto(loginUrl());
  await login.getByRole('button', { name: 'Sign in with a passkey' }).click();
  await expect(message(login)).toHaveText(/The passkey was not accepted/);
  await expect(login.getByRole('heading', { level: 1, name: 'Sign in' })).toBeVisible();
  await shot(login, '98-pbx-login-passkey-refused');
  await login.emulateMedia({ colorScheme: 'dark' });
  await shot(login, '99-pbx-login-passkey-refused-dark');
  await login.emulateMedia({ colorScheme: 'light' });
});

test('the login page deletes a passkey too, after a confirmation', async () => {
  await login.goto(loginUrl());
  await login.getByLabel('Username').fill('admin');
  await login.getByLabel('Password').fill(app.adminPassword!);
  await login.getByLabel('Password').press('Enter');
  await expect(login.getByText('Signed in as')).toContainText('admin');
  await login.getByLabel('Passkey name').fill('Spare key');
  await login.getByRole('button', { name: 'Register a passkey' }).click();
  const table = login.getByRole('table', { name: 'Your passkeys' });
  await expect(table.getByRole('row', { name: /Spare key/ })).toBeVisible();
  // cancelling the confirmation keeps it
  login.once('dialog', (d) => void d.dismiss());
  await login.getByRole('button', { name: 'Delete the passkey Spare key' }).click();
  await expect(table.getByRole('row', { name: /Spare key/ })).toBeVisible();
  login.once('dialog', (d) => {
    expect(d.message()).toContain('It stops working at once');
    void d.accept();
  });
  await login.getByRole('button', { name: 'Delete the passkey Spare key' }).click();
  await expect(message(login)).toHaveText('Passkey “Spare key” deleted.');
  await expect(login.getByText('No passkeys yet.')).toBeVisible();
  expect((await api<{ items: unknown[] }>('GET', '/admin/passkeys')).body.items).toHaveLength(0);
});

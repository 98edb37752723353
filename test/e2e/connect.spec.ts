// E2E: the Connect screen, in browser mode against the real console and the real reference PBX, with the
// real keychain (under scripts/with-keyring.sh). Disconnect; add a PBX (a bad address is refused with
// the rule named); a wrong password is refused clearly; the right one connects and is saved in the
// keychain, so the next connect asks nothing. Also: a gap in the console's event stream is reconciled.
import { expect, test, type Page } from '@playwright/test';
import { requestFrom, startConsoleProcess, type ConsoleProcess } from '../support/console-process.js';
import { secret, shot } from '../support/e2e.js';


test.describe.configure({ mode: 'serial' });

let app: ConsoleProcess;
// One tab for the whole file: the launch token is one-time, like the one `npm start` prints.
let page: Page;

test.beforeAll(async ({ browser }) => {
  app = await startConsoleProcess();
  expect(app.adminPassword, 'the first run prints the admin password once').toBeTruthy();
  expect(app.pbxUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  page = await (await browser.newContext()).newPage();
});

test.afterAll(async () => {
  await app?.stop();
});

const connectHeading = () => page.getByRole('heading', { name: 'Connect to a PBX' });
const extensionsHeading = () => page.getByRole('heading', { name: 'Extensions' });
const branchCard = () => page.getByRole('article', { name: 'Branch PBX' });

async function disconnect(): Promise<void> {
  await page.getByRole('button', { name: 'Disconnect' }).click();
  await expect(connectHeading()).toBeVisible();
}

test('disconnect, add a PBX, refuse a wrong password, connect, and reconnect from the keychain', async () => {
  await page.goto(app.launchUrl);
  await expect(extensionsHeading()).toBeVisible({ timeout: 30_000 });

  // Disconnect → the Connect screen, with the built-in Local PBX as the last-used profile.
  await disconnect();
  const local = page.getByRole('article', { name: 'Local PBX' });
  await expect(local).toBeVisible();
  await expect(local.getByText('Last used')).toBeVisible();
  await expect(local.getByRole('button', { name: 'Connect to Local PBX' })).toBeFocused();
  await shot(page, '11-connect');

  // Add a PBX with an address that is not http(s): the field says which rule it broke.
  const form = page.getByRole('region', { name: 'Add a PBX' });
  await form.getByLabel('Name', { exact: true }).fill('Branch PBX');
  await form.getByLabel('Address (URL)').fill('ftp://x');
  await form.getByLabel('Username').fill('admin');
  await form.getByRole('button', { name: 'Save profile' }).click();
  const url = form.getByLabel('Address (URL)');
  await expect(url).toHaveAttribute('aria-invalid', 'true');
  await expect(url).toHaveAccessibleDescription(/http:\/\/ or https:\/\//);
  await expect(url).toBeFocused();
  await expect(form.getByRole('alert')).toContainText('Check the Address (URL) field');
  // Nothing was saved.
  await expect(branchCard()).toHaveCount(0);
  await shot(page, '12-add-profile-errors');

  // Plain http to another computer is refused too, and the message says why.
  await url.fill('http://pbx.example.com');
  await form.getByRole('button', { name: 'Save profile' }).click();
  await expect(url).toHaveAccessibleDescription(/https:\/\/.*unencrypted/);
  await expect(branchCard()).toHaveCount(0);

  // The embedded PBX's address (loopback http is allowed), with a wrong password saved along.
  await url.fill(app.pbxUrl);
  await expect(url).not.toHaveAttribute('aria-invalid', 'true');
  await form.getByLabel('Password', { exact: true }).fill(secret('not-the-password', 'wrong PBX password typed'));
  await form.getByRole('button', { name: 'Save profile' }).click();
  await expect(form.getByText('Saved “Branch PBX”.', { exact: false })).toBeVisible();
  await expect(branchCard()).toBeVisible();
  await expect(form.getByLabel('Name', { exact: true })).toHaveValue('');
  await expect(form.getByLabel('Password', { exact: true })).toHaveValue('');

  // Connecting with the saved wrong password: refused, clearly, and the card asks for the password.
  const card = branchCard();
  await card.getByRole('button', { name: 'Connect to Branch PBX' }).click();
  const alert = card.getByRole('alert');
  await expect(alert).toContainText(/password/i, { timeout: 15_000 });
  await expect(alert).toContainText(/incorrect|wrong|invalid|refused/i);
  const password = card.getByLabel('Password', { exact: true });
  await expect(password).toBeVisible();
  await expect(password).toBeFocused();
  await expect(connectHeading()).toBeVisible();
  await expect(alert).toContainText('refused the saved password for admin');
  await shot(page, '13-connect-wrong-password');

  // A wrong password typed in the card: refused too, and the field is ready to retype.
  await password.fill(secret('still-not-it', 'wrong PBX password typed'));
  await password.press('Enter');
  await expect(alert).toContainText('refused this password for admin', { timeout: 15_000 });
  await expect(password).toBeFocused();

  // The right password, typed in the card → the console, on the Branch PBX profile.
  await password.fill(app.adminPassword!);
  await card.getByRole('button', { name: 'Connect', exact: true }).click();
  await expect(extensionsHeading()).toBeVisible({ timeout: 30_000 });
  await expect(page.getByText('Connected to Branch PBX as admin (administrator)')).toBeVisible();
  await expect(page.getByRole('grid', { name: 'Extensions' }).getByRole('row').nth(5)).toBeVisible();

  // Disconnect, then connect again: the password now comes from the keychain, nothing is asked.
  await disconnect();
  await expect(branchCard().getByText('Last used')).toBeVisible();
  await expect(branchCard().getByText('Password not saved')).toHaveCount(0);
  await expect(branchCard().getByRole('button', { name: 'Connect to Branch PBX' })).toBeFocused();
  await branchCard().getByRole('button', { name: 'Connect to Branch PBX' }).click();
  await expect(extensionsHeading()).toBeVisible({ timeout: 30_000 });
  await expect(page.getByLabel('Password', { exact: true })).toHaveCount(0);
});

test('a 13-digit protection password is refused while typing', async () => {
  const grid = page.getByRole('grid', { name: 'Extensions' });
  await page.getByLabel('Type').selectOption({ label: 'Phone terminal' });
  await page.getByLabel('Protection').selectOption({ label: 'Off' });
  await grid.getByRole('row').nth(1).click();
  const detail = page.getByRole('region', { name: /^Extension \d+$/ });
  await detail.getByLabel('Protected phone access active').check();
  const pw = detail.getByLabel('Password to access telephony');
  await pw.fill(secret('1234567890123', 'protection password typed (too long)'));
  await expect(detail.getByText('3 to 12 digits', { exact: true })).toBeVisible();
  await expect(detail.getByText(/This password will be refused/)).toBeVisible();
  await expect(detail.getByRole('button', { name: 'Save protection' })).toBeDisabled();
  await shot(page, '14-password-too-long');
  // Leave it unsaved.
  await detail.getByLabel('Protected phone access active').uncheck();
  await page.keyboard.press('Escape');
  await page.getByLabel('Type').selectOption({ label: 'Any' });
  await page.getByLabel('Protection').selectOption({ label: 'Any' });
});

test('a gap in the event stream is reconciled when it comes back', async () => {
  const s = await requestFrom(`${app.pbxUrl}/api/v1/session`, { body: { username: 'admin', password: app.adminPassword } });
  const token = (s.body as { token: string }).token;
  const auth = { Authorization: `Bearer ${token}` };
  // A phone terminal with protection on and unrestricted: its password is known only to the seed, so set one.
  const list = await requestFrom(`${app.pbxUrl}/api/v1/extensions?limit=1000&type=phone_terminal&protection=off`, { headers: auth });
  const target = (list.body as { items: Array<{ number: string; etag: string }> }).items[3]!;
  const enable = await requestFrom(`${app.pbxUrl}/api/v1/extensions/${target.number}/protection`, {
    method: 'PUT', body: { enabled: true, password: '5071' }, headers: { ...auth, 'If-Match': target.etag },
  });
  expect(enable.status).toBe(200);

  const grid = page.getByRole('grid', { name: 'Extensions' });
  const search = page.getByLabel('Search extensions');
  await search.fill(target.number);
  const row = grid.getByRole('row').filter({ hasText: target.number });
  // Live while the stream is up.
  await expect(row).toContainText('Unrestricted');

  // Break the stream: every new /rpc/events request fails, and the open one is cut (window.stop()
  // cancels the page's loads, the EventSource's included: it sees a network error and keeps retrying).
  let refused = 0;
  await page.route('**/rpc/events', (route) => {
    refused++;
    return route.abort('connectionreset');
  });
  await page.evaluate(() => window.stop());
  await expect.poll(() => refused, { timeout: 10_000 }).toBeGreaterThan(0);
  // Meanwhile, the phone blocks itself with *11: the console misses that event.
  const toggle = await requestFrom(`${app.pbxUrl}/device/v1/keypad`, {
    body: { extension: target.number, code: '*11', digits: '5071' }, localAddress: '127.0.0.2',
  });
  expect(toggle.body).toMatchObject({ state: 'blocked' });
  await page.waitForTimeout(1000);
  await expect(row).toContainText('Unrestricted');

  // The stream comes back: the console re-reads what it missed, without a page reload.
  await page.unroute('**/rpc/events');
  await expect(row).toContainText('Blocked', { timeout: 15_000 });
  await expect(search).toHaveValue(target.number);
});

test('the Connect screen in dark mode', async () => {
  await disconnect();
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.waitForTimeout(250); // let the button transitions finish
  const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  const [r, g, b] = bg.match(/\d+/g)!.map(Number);
  expect((r! + g! + b!) / 3).toBeLessThan(80);
  // With an error showing, so its colours are checked too.
  const form = page.getByRole('region', { name: 'Add a PBX' });
  await form.getByLabel('Address (URL)').fill('pbx.example.com');
  await form.getByRole('button', { name: 'Save profile' }).click();
  await expect(form.getByLabel('Name', { exact: true })).toBeFocused();
  await expect(form.getByRole('alert')).toContainText('fields marked in red');
  await shot(page, '15-connect-dark');
  await page.emulateMedia({ colorScheme: 'light' });
});

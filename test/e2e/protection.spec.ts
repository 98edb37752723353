// E2E: the real console in browser mode (as `npm start` runs it), the real reference PBX, the real
// keychain (under scripts/with-keyring.sh), driven in Debian Chromium. SPEC F1 end to end.
import { expect, test, type Page } from '@playwright/test';
import { requestFrom, startConsoleProcess, type ConsoleProcess } from '../support/console-process.js';
import { shot, adminToken, pbxApiOf, secret } from '../support/e2e.js';
import { STATUS_TEXT } from '../../shared/protection.js';


test.describe.configure({ mode: 'serial' });

let app: ConsoleProcess;
let token: string;
// One tab for the whole file: the launch token is one-time, like the one `npm start` prints.
let page: Page;
let target: { number: string; label: string };

const api = pbxApiOf(() => app.pbxUrl, () => token);

test.beforeAll(async ({ browser }) => {
  app = await startConsoleProcess();
  page = await (await browser.newContext()).newPage();
  expect(app.adminPassword, 'the first run prints the admin password once').toBeTruthy();
  token = await adminToken(app);
  // A phone terminal with voicemail and protection off, to protect during the test.
  const list = await api<{ items: Array<{ number: string; label: string; type: string; voicemail: boolean; protection: { enabled: boolean } }> }>(
    'GET', '/extensions?limit=1000&type=phone_terminal&protection=off',
  );
  const pick = list.body.items.find((e) => e.voicemail && /\s/.test(e.label));
  expect(pick).toBeTruthy();
  target = { number: pick!.number, label: pick!.label };
});

test.afterAll(async () => {
  await app?.stop();
});

test('protect, block, route to voicemail, and follow *11 from the keypad live', async () => {
  // Log in: the one-time URL signs the tab in; the console is already connected to the local PBX.
  await page.goto(app.launchUrl);
  await expect(page.getByRole('heading', { name: 'Extensions' })).toBeVisible({ timeout: 30_000 });
  await expect(page.getByText(/Connected to .* as admin/)).toBeVisible();
  const grid = page.getByRole('grid', { name: 'Extensions' });
  await expect(grid.getByRole('row').nth(5)).toBeVisible();
  await shot(page, '01-extensions');

  // Find the extension by name (search is focused on open).
  const search = page.getByLabel('Search extensions');
  await expect(search).toBeFocused();
  await search.fill(target.label);
  const row = grid.getByRole('row').filter({ hasText: target.number });
  await expect(row).toHaveCount(1);
  await expect(page.getByText(/Showing 1 of 300 extensions/)).toBeVisible();
  await shot(page, '02-search');
  await row.click();

  const detail = page.getByRole('region', { name: `Extension ${target.number}` });
  await expect(detail.getByRole('heading', { name: `${target.number} · ${target.label}` })).toBeVisible();
  await expect(detail.getByText('Incoming calls ring the phone')).toBeVisible();

  // Enable protection: 2 and 13 digits are refused with the rule shown.
  await detail.getByLabel('Protected phone access active').check();
  const pw = detail.getByLabel('Password to access telephony');
  const save = detail.getByRole('button', { name: 'Save protection' });
  await pw.fill('12');
  await expect(detail.getByText('3 to 12 digits', { exact: true })).toBeVisible();
  await expect(detail.getByText(/This password will be refused/)).toBeVisible();
  await expect(save).toBeDisabled();
  await shot(page, '03-password-too-short');
  await pw.fill(secret('1234567890123', 'protection password typed (too long)'));
  await expect(save).toBeDisabled();
  await pw.fill('12a');
  await expect(save).toBeDisabled();
  // The server refuses them too, naming the field and the rule (the console cannot be bypassed).
  const etag = (await api('GET', `/extensions/${target.number}`)).headers['etag'] as string;
  for (const bad of ['12', '1234567890123']) {
    const r = await api<{ error: { code: string; details: Array<{ field: string; rule: string }> } }>(
      'PUT', `/extensions/${target.number}/protection`, { enabled: true, password: bad }, { 'If-Match': etag },
    );
    expect(r.status).toBe(422);
    expect(r.body.error.details.map((d) => d.field)).toContain('password');
  }

  await pw.fill(secret('4826', 'protection password typed'));
  await expect(save).toBeEnabled();
  await save.click();
  await expect(detail.getByText(STATUS_TEXT.unrestricted)).toBeVisible();
  await shot(page, '04-protected');

  // Block: status text changes; incoming calls now go to voicemail (the device API agrees).
  await detail.getByRole('button', { name: 'Block', exact: true }).click();
  await expect(detail.getByText(STATUS_TEXT.blocked)).toBeVisible();
  await expect(detail.getByText('Incoming calls go to voicemail')).toBeVisible();
  const route = await requestFrom(`${app.pbxUrl}/device/v1/calls`, { body: { to: target.number }, localAddress: '127.0.0.3' });
  expect(route.body).toMatchObject({ decision: 'voicemail' });
  await shot(page, '05-blocked');

  // A wrong keypad password from the phone changes nothing.
  const wrong = await requestFrom(`${app.pbxUrl}/device/v1/keypad`, {
    body: { extension: target.number, code: '*11', digits: '0000' }, localAddress: '127.0.0.2',
  });
  expect(wrong.status).toBe(403);
  await page.waitForTimeout(300);
  await expect(detail.getByText(STATUS_TEXT.blocked)).toBeVisible();

  // *11 + the password on the phone (from another host, 127.0.0.2): the console follows live.
  const t0 = Date.now();
  const toggle = await requestFrom(`${app.pbxUrl}/device/v1/keypad`, {
    body: { extension: target.number, code: '*11', digits: '4826' }, localAddress: '127.0.0.2',
  });
  expect(toggle.body).toMatchObject({ state: 'unrestricted' });
  await expect(detail.getByText(STATUS_TEXT.unrestricted)).toBeVisible({ timeout: 1_000 });
  const liveMs = Date.now() - t0;
  await expect(detail.getByText(/Last changed by keypad from 127\.0\.0\.2/)).toBeVisible();
  await expect(detail.getByText('Incoming calls ring the phone')).toBeVisible();
  await shot(page, '06-keypad-unblocked-live');
  test.info().annotations.push({ type: 'keypad→console', description: `${liveMs} ms` });

  // And back to blocked from the keypad; the table row follows too.
  await requestFrom(`${app.pbxUrl}/device/v1/keypad`, {
    body: { extension: target.number, code: '*11', digits: '4826' }, localAddress: '127.0.0.2',
  });
  await expect(detail.getByText(STATUS_TEXT.blocked)).toBeVisible({ timeout: 1_000 });
  await expect(grid.getByRole('row').filter({ hasText: target.number })).toContainText('Blocked');
});

test('a change made elsewhere while the console missed it: 412 shows both versions', async () => {
  const list = await api<{ items: Array<{ number: string; label: string; etag: string }> }>('GET', '/extensions?limit=50&protection=unrestricted');
  const other = list.body.items.find((e) => e.number !== target.number)!;
  await page.keyboard.press('Escape');
  const search = page.getByLabel('Search extensions');
  await search.fill(other.number);
  await page.getByRole('grid', { name: 'Extensions' }).getByRole('row').filter({ hasText: other.number }).click();
  const detail = page.getByRole('region', { name: `Extension ${other.number}` });
  await expect(detail.getByText(STATUS_TEXT.unrestricted)).toBeVisible();

  // The console stops hearing live events; meanwhile an admin elsewhere blocks the phone.
  await page.route('**/rpc/events', (route) => route.abort('connectionreset'));
  await page.evaluate(() => window.stop());
  const blocked = await api('POST', `/extensions/${other.number}/protection/block`, undefined, { 'If-Match': other.etag });
  expect(blocked.status).toBe(200);

  // Block from the console with the version it has: the PBX answers 412 and the console shows both.
  await detail.getByRole('button', { name: 'Block', exact: true }).click();
  await expect(detail.getByText(/Someone else changed this extension/)).toBeVisible();
  await expect(detail.getByRole('heading', { name: 'Your change' })).toBeVisible();
  await expect(detail.getByRole('heading', { name: 'Now on the PBX' })).toBeVisible();
  await shot(page, '16-conflict-both-versions');
  await detail.getByRole('button', { name: 'Use the PBX version' }).click();
  await expect(detail.getByText(STATUS_TEXT.blocked)).toBeVisible();
  await page.unroute('**/rpc/events');
  await search.fill('');
});

test('a non-phone-terminal extension cannot be protected', async () => {
  await page.keyboard.press('Escape');
  await page.getByLabel('Search extensions').fill('');
  await page.getByLabel('Type').selectOption({ label: 'Queue' });
  const grid = page.getByRole('grid', { name: 'Extensions' });
  const first = grid.getByRole('row').nth(1);
  await first.click();
  await expect(page.getByText(/Only phone-terminal extensions can be protected/)).toBeVisible();
  await expect(page.getByLabel('Protected phone access active')).toHaveCount(0);
  await shot(page, '07-queue-not-protectable');
});

test('the protection password policy: its rules show live, and the PBX applies the same ones', async () => {
  // An admin tightens the protection password policy (strict: 6 to 12 digits, no digit twice in a row, no
  // runs of 3, not the extension, the last 5 refused); the open form follows it live.
  const cur = await api<{ etag: string; policy: Record<string, unknown> }>('GET', '/policies/pin/protection_password');
  const strict = { ...cur.body.policy, minLength: 6, maxLength: 12, maxRepeatedDigits: 2, maxSequenceLength: 3, notExtension: true, historyCount: 5 };
  const put = await api<{ etag: string }>('PUT', '/policies/pin/protection_password', strict, { 'If-Match': cur.body.etag });
  expect(put.status).toBe(200);

  await page.keyboard.press('Escape');
  await page.getByLabel('Type').selectOption('');
  await page.getByLabel('Search extensions').fill(target.number);
  await page.getByRole('grid', { name: 'Extensions' }).getByRole('row').filter({ hasText: target.number }).first().click();
  const detail = page.getByRole('region', { name: `Extension ${target.number}` });
  const pw = detail.getByLabel('Password to access telephony');
  const rules = detail.getByRole('list', { name: 'Password rules' });
  await pw.fill(secret('55817', 'protection password typed (refused by policy)'));
  await expect(rules.getByRole('listitem').filter({ hasText: '6 to 12 digits' })).toContainText('too short');
  await expect(rules.getByRole('listitem').filter({ hasText: /No digit 2 or more times in a row/ })).toContainText('not allowed');
  await expect(rules.getByRole('listitem').filter({ hasText: /last 5/ })).toContainText('checked when you save');
  await expect(detail.getByText(/This password will be refused: use 6 to 12 digits .* and it breaks the rule/)).toBeVisible();
  await expect(detail.getByRole('button', { name: 'Save protection' })).toBeDisabled();
  await shot(page, '07b-protection-policy');

  // The PBX refuses the same value for the same reasons (straight through the API).
  const ext = await api<{ etag: string }>('GET', `/extensions/${target.number}`);
  const refused = await api<{ error: { code: string; details: Array<{ rule: string }> } }>(
    'PUT', `/extensions/${target.number}/protection`, { enabled: true, password: '55817' }, { 'If-Match': ext.body.etag },
  );
  expect(refused.status).toBe(422);
  expect(refused.body.error.code).toBe('pin_policy_violation');
  expect(refused.body.error.details.map((d) => d.rule)).toEqual(['pin_length', 'pin_repeated_digits']);

  // A value that meets every rule can be saved.
  await pw.fill(secret('814069', 'protection password typed'));
  for (const item of await rules.getByRole('listitem').all()) await expect(item).not.toContainText('not allowed');
  const save = detail.getByRole('button', { name: 'Save protection' });
  await expect(save).toBeEnabled();
  await save.click();
  await expect(detail.getByText(/Saved/)).toBeVisible();

  const back = await api('PUT', '/policies/pin/protection_password', cur.body.policy, { 'If-Match': put.body.etag });
  expect(back.status).toBe(200);
});

test('dark mode follows the OS', async () => {
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.waitForTimeout(250); // let the 80 ms button transitions finish
  const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  const [r, g, b] = bg.match(/\d+/g)!.map(Number);
  expect((r! + g! + b!) / 3).toBeLessThan(80);
  await shot(page, '08-dark');
  await page.emulateMedia({ colorScheme: 'light' });
  const light = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  expect(light).not.toBe(bg);
});

test('the launch link is one-time: reusing it is refused', async ({ browser }) => {
  const other = await (await browser.newContext()).newPage();
  const res = await other.goto(app.launchUrl);
  expect(res?.status()).toBe(403);
  await other.close();
});

// E2E: the Credentials section of the extension detail (SPEC F2) against the real reference PBX, in
// browser mode, in Debian Chromium: live rule feedback, a compliant PIN saved, a reused PIN refused by the
// PBX (a rule only the server can decide), Reset PIN to the default and the default shown large.
import { expect, test, type Page } from '@playwright/test';
import { requestFrom, startConsoleProcess, type ConsoleProcess } from '../support/console-process.js';
import { shot, adminToken, pbxApiOf, secret } from '../support/e2e.js';


test.describe.configure({ mode: 'serial' });

interface Meta {
  set: boolean;
  isDefault: boolean;
  setAt: string | null;
  compliant: boolean | null;
}
interface Ext {
  number: string;
  label: string;
  type: string;
  status: string;
  voicemail: boolean;
  voicemailTrusted?: boolean;
  credentials: { voicemail_pin: Meta };
}

let app: ConsoleProcess;
let token: string;
let page: Page;
let target: { number: string; label: string };
/** An active phone with a mailbox for the trusted-extension test (not `target`), and another active number. */
let trustedTarget: { number: string; label: string };
let otherNumber: string;

const api = pbxApiOf(() => app.pbxUrl, () => token);

test.beforeAll(async ({ browser }) => {
  app = await startConsoleProcess();
  page = await (await browser.newContext()).newPage();
  token = await adminToken(app);
  const list = await api<{ items: Ext[] }>('GET', '/extensions?limit=1000&type=phone_terminal');
  const pick = list.body.items.find((e) => e.status === 'active' && e.credentials.voicemail_pin.isDefault);
  expect(pick, 'a seeded phone terminal whose voicemail PIN is still the default').toBeTruthy();
  target = { number: pick!.number, label: pick!.label };
  const mailbox = list.body.items.find((e) => e.status === 'active' && e.voicemail && e.voicemailTrusted === false && e.number !== target.number);
  expect(mailbox, 'a seeded active phone terminal with a mailbox, not trusted').toBeTruthy();
  trustedTarget = { number: mailbox!.number, label: mailbox!.label };
  const other = list.body.items.find((e) => e.status === 'active' && e.number !== target.number && e.number !== trustedTarget.number);
  expect(other).toBeTruthy();
  otherNumber = other!.number;
});

test.afterAll(async () => {
  await app?.stop();
});

test('set a voicemail PIN with live rules, a reused PIN is refused, reset shows the default PIN', async () => {
  await page.goto(app.launchUrl);
  await expect(page.getByRole('heading', { name: 'Extensions' })).toBeVisible({ timeout: 30_000 });
  const search = page.getByLabel('Search extensions');
  await search.fill(target.number);
  const grid = page.getByRole('grid', { name: 'Extensions' });
  await grid.getByRole('row').filter({ hasText: target.number }).first().click();

  const detail = page.getByRole('region', { name: `Extension ${target.number}` });
  const creds = detail.getByRole('region', { name: 'Credentials' });
  await expect(creds).toBeVisible();
  const vmRow = creds.getByRole('listitem').filter({ hasText: 'Voicemail PIN' }).first();
  await expect(vmRow.getByText('Default PIN', { exact: true })).toBeVisible();
  for (const kind of ['Login code', 'Phone password', 'User password']) {
    await expect(creds.getByText(kind, { exact: true })).toBeVisible();
  }
  await creds.scrollIntoViewIfNeeded();
  await shot(page, '20-credentials');

  // Change: live rule-by-rule feedback; Save stays disabled while a rule this side can decide is unmet.
  await creds.getByRole('button', { name: 'Change Voicemail PIN' }).click();
  const input = creds.getByLabel('New voicemail PIN');
  await expect(input).toBeFocused();
  await expect(input).toHaveAttribute('type', 'password');
  await expect(input).toHaveAttribute('inputmode', 'numeric');
  const rules = creds.getByRole('list', { name: 'Rules for the voicemail PIN' });
  const save = creds.getByRole('button', { name: 'Save', exact: true });

  await input.fill('1111');
  await expect(rules.locator('.rule-unmet').filter({ hasText: /No digit 3 or more times in a row/ })).toBeVisible();
  await expect(save).toBeDisabled();

  await input.fill(target.number);
  await expect(rules.locator('.rule-unmet').filter({ hasText: /Not the extension number/ })).toBeVisible();
  await expect(save).toBeDisabled();
  await shot(page, '21-pin-rules');

  const pin = secret('480713', 'voicemail PIN typed');
  await input.fill(pin);
  await expect(rules.locator('.rule-unmet')).toHaveCount(0);
  await expect(rules.getByText(/checked when you save/).first()).toBeVisible();
  await expect(save).toBeEnabled();
  await save.click();
  await expect(creds.getByRole('status')).toContainText('Saved.');
  await expect(vmRow.getByText('Default PIN', { exact: true })).toHaveCount(0);
  await expect(vmRow.getByText(/^Set /)).toBeVisible();
  const afterSet = await api<Ext>('GET', `/extensions/${target.number}`);
  expect(afterSet.body.credentials.voicemail_pin).toMatchObject({ set: true, isDefault: false });

  // The same PIN again: only the PBX can tell (history against hashes); it refuses and names the rule.
  await creds.getByRole('button', { name: 'Change Voicemail PIN' }).click();
  await creds.getByLabel('New voicemail PIN').fill(pin);
  await expect(save).toBeEnabled();
  await save.click();
  const alert = creds.getByRole('alert');
  await expect(alert).toContainText('The PBX did not accept this voicemail PIN');
  await expect(alert).toContainText(/previous/i);
  await expect(rules.locator('.rule-unmet').filter({ hasText: /Not the previous PIN/ })).toBeVisible();
  await expect(save).toBeDisabled();
  await shot(page, '24-pin-refused');

  // Escape cancels the form (and does not close the panel).
  await creds.getByLabel('New voicemail PIN').press('Escape');
  await expect(creds.getByLabel('New voicemail PIN')).toHaveCount(0);
  await expect(detail).toBeVisible();
  await expect(creds.getByRole('button', { name: 'Change Voicemail PIN' })).toBeFocused();

  // Reset PIN → confirm → the default PIN is shown large.
  await creds.getByRole('button', { name: 'Reset PIN' }).click();
  const confirm = creds.getByRole('group', { name: 'Confirm reset' });
  await expect(confirm).toContainText(`Reset the voicemail PIN of ${target.number} to its default?`);
  await confirm.getByRole('button', { name: 'Reset PIN' }).click();
  const box = creds.getByRole('group', { name: `Default PIN for ${target.number}` });
  await expect(box).toBeVisible();
  const shown = (await box.locator('.default-pin-digits [aria-hidden="true"]').textContent()) ?? '';
  expect(shown.replace(/\s/g, '')).toMatch(/^[0-9]{4,15}$/);
  await expect(box.getByRole('button', { name: 'Print slip' })).toBeVisible();
  await expect(vmRow.getByText('Default PIN', { exact: true })).toBeVisible();
  await shot(page, '22-default-pin');

  const afterReset = await api<Ext>('GET', `/extensions/${target.number}`);
  expect(afterReset.body.credentials.voicemail_pin.isDefault).toBe(true);
  const def = await api<{ defaultPin: string }>('GET', `/extensions/${target.number}/credentials/voicemail-pin/default`);
  expect(def.body.defaultPin).toBe(shown.replace(/\s/g, ''));

  // Done closes the box; "Show default PIN" brings it back.
  await box.getByRole('button', { name: 'Done' }).click();
  await expect(box).toHaveCount(0);
  await creds.getByRole('button', { name: 'Show default PIN' }).click();
  await expect(creds.getByRole('group', { name: `Default PIN for ${target.number}` })).toBeVisible();

  // Dark mode: the default PIN box stays readable.
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.waitForTimeout(250);
  await shot(page, '23-default-pin-dark');
  await page.emulateMedia({ colorScheme: 'light' });

  // The print stylesheet shows only the slip: extension, name, default PIN, date.
  await page.emulateMedia({ media: 'print' });
  const slip = page.locator('.print-slip');
  await expect(slip).toBeVisible();
  await expect(slip).toContainText(target.number);
  await expect(slip).toContainText(target.label);
  await expect(slip).toContainText(def.body.defaultPin.slice(0, 3));
  await expect(page.getByRole('heading', { name: 'Extensions' })).toBeHidden();
  await shot(page, '26-print-slip');
  await page.emulateMedia({ media: 'screen' });
  await expect(slip).toBeHidden();
});

test('a change the console missed: 412 shows the PBX message, reloads, and the next save works', async () => {
  const detail = page.getByRole('region', { name: `Extension ${target.number}` });
  const creds = detail.getByRole('region', { name: 'Credentials' });
  await creds.getByRole('button', { name: 'Done' }).click();

  // The console stops hearing live events; meanwhile an admin elsewhere sets the login code.
  await page.route('**/rpc/events', (route) => route.abort('connectionreset'));
  await page.evaluate(() => window.stop());
  const etag = (await api('GET', `/extensions/${target.number}`)).headers['etag'] as string;
  const other = await api('PUT', `/extensions/${target.number}/credentials/login_code`, { value: '2580' }, { 'If-Match': etag });
  expect(other.status).toBe(200);

  await creds.getByRole('button', { name: 'Change Login code' }).click();
  const input = creds.getByLabel('New login code');
  await input.fill(secret('802461', 'login code typed (conflict)'));
  await input.press('Enter');
  await expect(creds.getByRole('alert')).toContainText(/changed in the meantime/);
  await expect(creds.getByRole('alert')).toContainText(/latest version is now shown/);
  await shot(page, '25-credentials-conflict');
  await creds.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(creds.getByRole('status')).toContainText('Saved.');
  const after = await api<{ credentials: { login_code: { set: boolean } } }>('GET', `/extensions/${target.number}`);
  expect(after.body.credentials.login_code.set).toBe(true);
  await page.unroute('**/rpc/events');
});

test('an admin marks an extension trusted from the keyboard: its own phone reaches the mailbox without the PIN, no other phone does', async () => {
  const n = trustedTarget.number;
  /** The phone's mailbox sign-in (device API), without a PIN. */
  const signIn = (from: string) =>
    requestFrom(`${app.pbxUrl}/device/v1/voicemail/login`, { method: 'POST', body: { extension: n, from } });
  // The PBX knows a call comes from the extension's own phone when it comes from the address that phone
  // registered from (with its phone password); here: this test's address.
  const cur = await api<Ext & { etag: string }>('GET', `/extensions/${n}`);
  const pw = await api('PUT', `/extensions/${n}/credentials/phone_password`, { value: '583920' }, { 'If-Match': cur.body.etag });
  expect(pw.status).toBe(200);
  const reg = await requestFrom(`${app.pbxUrl}/device/v1/register`, { method: 'POST', body: { extension: n, password: '583920' } });
  expect(reg.body).toEqual({ result: 'registered', expiresSeconds: 3600 });

  // Before: not trusted, so even the own phone needs the PIN.
  expect((await signIn(n)).status).toBe(403);

  // KEYBOARD ONLY: search, Enter opens the detail, Tab to the checkbox, Space.
  const search = page.getByLabel('Search extensions');
  await search.focus();
  await page.keyboard.press('Control+A');
  await page.keyboard.type(n);
  await page.keyboard.press('Enter');
  const detail = page.getByRole('region', { name: `Extension ${n}` });
  await expect(detail.getByRole('heading', { name: `${n} · ${trustedTarget.label}` })).toBeVisible();
  const creds = detail.getByRole('region', { name: 'Credentials' });
  const trusted = creds.getByRole('checkbox', { name: /trusted/i });
  await expect(trusted).not.toBeChecked();
  // the phone password set above has reached the console (live event): the detail is the latest version
  await expect(creds).toContainText('Set just now');
  let tabs = 0;
  while (!(await trusted.evaluate((el) => el === document.activeElement)) && tabs < 60) {
    await page.keyboard.press('Tab');
    tabs += 1;
  }
  await expect(trusted, 'the trusted checkbox is reachable with Tab').toBeFocused();
  await page.keyboard.press('Space');
  await expect(trusted).toBeChecked();
  await expect(creds.getByRole('status')).toContainText(`Extension ${n} is trusted`);
  await expect(trusted).toBeFocused();
  expect((await api<Ext>('GET', `/extensions/${n}`)).body.voicemailTrusted).toBe(true);
  await trusted.scrollIntoViewIfNeeded();
  await shot(page, '27-credentials-trusted');

  // The own phone signs in without a PIN; any other phone still needs it (the same 403 as a wrong PIN).
  const own = await signIn(n);
  expect(own.status, own.text).toBe(200);
  expect(own.body).toEqual({ result: 'ok' });
  const fromOther = await signIn(otherNumber);
  expect(fromOther.status, fromOther.text).toBe(403);
  expect((fromOther.body as { error: { code: string } }).error.code).toBe('keypad_rejected');

  // Space again turns it off: the own phone needs the PIN again.
  await page.keyboard.press('Space');
  await expect(trusted).not.toBeChecked();
  await expect(creds.getByRole('status')).toContainText(`Extension ${n} is no longer trusted`);
  expect((await api<Ext>('GET', `/extensions/${n}`)).body.voicemailTrusted).toBe(false);
  const after = await signIn(n);
  expect(after.status, after.text).toBe(403);
  expect((after.body as { error: { code: string } }).error.code).toBe('keypad_rejected');
});

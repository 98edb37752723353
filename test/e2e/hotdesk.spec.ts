// E2E: hot desking (SPEC F4, issue 5) in Chromium against the real console and its real embedded reference
// PBX. Phones are played by the device API from other loopback addresses (127.0.0.2, 127.0.0.3 act as the
// phones' hosts): status → login with the extension's voicemail PIN → (brands that need it) rebooted.
//
// 1. The admin opens Hot desking: the seeded mappings are listed; a Yealink phone logs in — the row appears
//    live as "Needs reboot", then "Logged in" after the reboot; the MAC search works in another notation; the
//    mapping dialog checks a MAC while typing and refuses one another mapping has. Light and dark screenshots.
// 2. The admin makes another Yealink template the brand's default (the PBX agrees), and sets the global admin
//    password with rule-by-rule feedback; the value is cleared and never shown again.
// 3. The receptionist (seeded `reception`, Headquarters) keeps Hot desking open in one tab and Reception in
//    another: a phone logs in, the row appears live; the reception card shows the phone, `l` asks to log it
//    out, Enter confirms, and the row disappears live. No admin panel is shown to the receptionist.
import { expect, test, type Browser, type BrowserContext, type Page } from '@playwright/test';
import { requestFrom, startConsoleProcess, type ConsoleProcess } from '../support/console-process.js';
import { adminAndReceptionist, chooseOnReception, connectAsReceptionist, expectShortcutListed, pbxApiOf, secret, shot, tallShot, type Ext } from '../support/e2e.js';

test.describe.configure({ mode: 'serial' });

interface Template {
  id: number;
  brand: string;
  name: string;
  isDefault: boolean;
  etag: string;
}

let app: ConsoleProcess;
let token: string;
let context: BrowserContext;
let page: Page;
let receptionPassword: string;
/** Headquarters phone extensions with a mailbox and no seeded mapping. */
let people: Ext[];

/** Seeded Headquarters phones (server/seed.ts DEMO_DEVICES): two Yealinks (reboot) and an Aastra (no reboot). */
const YEALINK = '80:5E:C0:11:00:03';
const AASTRA = '00:08:5D:22:00:02';

const api = pbxApiOf(() => app.pbxUrl, () => token);

async function device<T = Record<string, unknown>>(what: string, body: unknown, from: string): Promise<T> {
  const res = await requestFrom(`${app.pbxUrl}/device/v1/hotdesk/${what}`, { body, localAddress: from });
  expect(res.status, `${what}: ${res.text}`).toBe(200);
  return res.body as T;
}

/** A phone's Login app: status, then login with the extension's (default) voicemail PIN from `from`. */
async function phoneLogin(mac: string, ext: Ext, from: string): Promise<{ state: string; screen: string }> {
  const status = await device<{ screen: string; networks: Array<{ network: string }> }>('status', { mac }, from);
  expect(status.screen).toBe('login');
  expect(status.networks.map((n) => n.network)).toContain('internal');
  const pin = (await api<{ defaultPin: string }>('GET', `/extensions/${ext.number}/credentials/voicemail-pin/default`)).body.defaultPin;
  return device('login', { mac, network: 'internal', extension: ext.number, password: pin }, from);
}

async function openHotDesk(p: Page): Promise<void> {
  await p.getByRole('navigation', { name: 'Screens' }).getByRole('button', { name: 'Hot desking' }).click();
  await expect(p.getByRole('heading', { level: 1, name: 'Hot desking' })).toBeVisible();
}

function table(p: Page) {
  return p.getByRole('table', { name: 'Phones and extensions' });
}

function rowOf(p: Page, number: string) {
  return table(p).locator(`tbody tr[data-extension="${number}"]`);
}

async function dark<T>(p: Page, fn: () => Promise<T>): Promise<T> {
  await p.emulateMedia({ colorScheme: 'dark' });
  await p.waitForTimeout(300);
  try {
    return await fn();
  } finally {
    await p.emulateMedia({ colorScheme: 'light' });
  }
}

test.beforeAll(async ({ browser }: { browser: Browser }) => {
  app = await startConsoleProcess();
  ({ context, page, receptionPassword, token } = await adminAndReceptionist(app, browser));
  const all = (await api<{ items: Ext[] }>('GET', '/extensions?limit=1000')).body.items;
  people = all.filter(
    (e) => e.siteId === 'hq' && e.status === 'active' && e.voicemail && e.type === 'phone_terminal' && !['1000', '1001', '2000'].includes(e.number),
  );
  expect(people.length).toBeGreaterThanOrEqual(3);
});

test.afterAll(async () => {
  await context?.close();
  await app?.stop();
});

test('a phone logs in through the device API and its row appears live; search by MAC; the mapping dialog checks the MAC', async () => {
  await page.goto(app.launchUrl);
  await expect(page.getByRole('heading', { name: 'Extensions' })).toBeVisible({ timeout: 30_000 });
  await openHotDesk(page);

  // The seeded mappings are rows already (logged out: on no phone).
  await expect(rowOf(page, '1000')).toContainText('Logged out');
  await expect(rowOf(page, '1000')).toContainText('Reception with sidecar');
  await expect(rowOf(page, '1000')).toContainText('mapped to 80:5E:C0:11:00:01 only');
  await expect(rowOf(page, '1001')).toContainText('mapped: on any phone');
  const who = people[0]!;
  await expect(rowOf(page, who.number)).toHaveCount(0);

  // A Yealink logs in: the row appears live, waiting for the reboot; the reboot makes it "Logged in".
  const login = await phoneLogin(YEALINK, who, '127.0.0.2');
  expect(login.screen).toBe('needs_reboot');
  const row = rowOf(page, who.number);
  await expect(row).toContainText('Needs reboot');
  await expect(row).toContainText(who.label);
  await expect(row).toContainText(YEALINK);
  await expect(row).toContainText('Yealink T46U');
  await expect(row).toContainText('brand default (no mapping)');
  await expect(row).toContainText('just now');
  await device('rebooted', { mac: YEALINK }, '127.0.0.2');
  await expect(row).toContainText('Logged in');
  await expect(page.getByRole('status').filter({ hasText: /^1 logged in, 0 waiting for a reboot, 3 not on a phone$/ })).toBeVisible();

  // An Aastra (no reboot) logs in another person: live at once.
  const other = people[1]!;
  expect((await phoneLogin(AASTRA, other, '127.0.0.3')).screen).toBe('ready');
  await expect(rowOf(page, other.number)).toContainText('Logged in');
  await expect(rowOf(page, other.number)).toContainText('Aastra 6869i');

  // Search by MAC in another notation (dashes, lower case); by name; clear with Escape.
  const search = page.getByRole('searchbox', { name: 'Search' });
  await search.fill('80-5e-c0-11-00-03');
  await expect(table(page).locator('tbody tr')).toHaveCount(1);
  await expect(rowOf(page, who.number)).toHaveCount(1);
  await expect(page.getByText('Showing 1 of 5')).toBeVisible();
  await search.fill('0008.5d22');
  await expect(table(page).locator('tbody tr')).toHaveCount(1);
  await expect(rowOf(page, other.number)).toHaveCount(1);
  await search.press('Escape');
  await expect(table(page).locator('tbody tr')).toHaveCount(5);
  await page.getByLabel('State').selectOption({ label: 'Logged out' });
  await expect(table(page).locator('tbody tr')).toHaveCount(3);
  await page.getByLabel('State').selectOption({ label: 'Any state' });

  await page.getByRole('heading', { level: 1, name: 'Hot desking' }).scrollIntoViewIfNeeded();
  await tallShot(page, '70-hotdesk-admin-light');
  await dark(page, () => tallShot(page, '71-hotdesk-admin-dark'));

  // Edit the mapping of 1001: a bad MAC is named with its rule; the MAC of 1000's mapping is refused as a
  // duplicate before anything is sent; a known phone's model is shown; the brand must match the template.
  const edit = rowOf(page, '1001').getByRole('button', { name: 'Edit mapping of 1001' });
  await edit.click();
  const dialog = page.getByRole('dialog', { name: /^Mapping of 1001/ });
  await expect(dialog).toBeVisible();
  await expect(dialog.getByLabel('Template')).toBeFocused();
  const mac = dialog.getByLabel('Phone MAC address (optional)');
  await mac.fill('00:15:65:AB:CD');
  await mac.blur();
  await expect(dialog.getByText(/MAC: a MAC address is 12 hex digits/)).toBeVisible();
  await mac.fill('01:15:65:ab:cd:ef');
  await expect(dialog.getByText(/MAC: 01:15:65:AB:CD:EF is a multicast address/)).toBeVisible();
  await mac.fill('805ec0110001');
  await expect(dialog.getByText('MAC: 80:5E:C0:11:00:01 is already mapped to 1000')).toBeVisible();
  await expect(mac).toHaveAttribute('aria-invalid', 'true');
  await shot(page, '72-hotdesk-mapping-duplicate-mac');
  await mac.fill('80-5e-c0-11-00-02');
  await expect(dialog.getByText('Read as 80:5E:C0:11:00:02: a Yealink T54W the PBX knows.')).toBeVisible();
  // A template of another brand than the phone's is refused before sending (the PBX would refuse it too).
  await dialog.getByLabel('Template').selectOption({ label: 'Executive' });
  await expect(dialog.getByText('Template: “Executive” is a Poly template, but the phone 80:5E:C0:11:00:02 is a Yealink; choose a Yealink template.')).toBeVisible();
  await dialog.getByLabel('Template').selectOption({ label: 'Reception with sidecar' });
  // Escape closes without saving; focus is back on the button that opened the dialog.
  await page.keyboard.press('Escape');
  await expect(dialog).toHaveCount(0);
  await expect(edit).toBeFocused();
  expect((await api<{ items: Array<{ extension: string; mapping: { mac: string | null } | null }> }>('GET', '/hotdesk')).body.items.find((r) => r.extension === '1001')?.mapping?.mac).toBeNull();

  // Now save a MAC for real (keyboard: Enter saves); the row shows it live.
  await edit.press('Enter');
  await expect(dialog).toBeVisible();
  await dialog.getByLabel('Phone MAC address (optional)').fill('805E.C011.0002');
  await page.keyboard.press('Enter');
  await expect(dialog).toHaveCount(0);
  await expect(page.getByText(/Saved\. 1001 gets “Reception with sidecar” on the phone 80:5E:C0:11:00:02/)).toBeVisible();
  await expect(rowOf(page, '1001')).toContainText('mapped to 80:5E:C0:11:00:02 only');

  // "Add mapping" on the Aastra row: the extension is given, the phone brand's default template chosen.
  await rowOf(page, other.number).getByRole('button', { name: `Add mapping for ${other.number}` }).click();
  const add = page.getByRole('dialog', { name: 'Map an extension' });
  await expect(add.getByLabel('Extension')).toHaveValue(other.number);
  await expect(add.getByLabel('Template')).toHaveValue(String((await api<{ items: Template[] }>('GET', '/hotdesk/templates')).body.items.find((t) => t.brand === 'aastra' && t.isDefault)!.id));
  await add.getByLabel('Template').selectOption({ label: 'Warehouse' });
  await add.getByRole('button', { name: 'Add mapping' }).click();
  await expect(add).toHaveCount(0);
  await expect(rowOf(page, other.number)).toContainText('mapped: on any phone');

  // A change made elsewhere while the dialog is open: the save gets 412, both versions are shown side by side,
  // and "Keep my version" saves on top of the PBX's.
  await rowOf(page, '2000').getByRole('button', { name: 'Edit mapping of 2000' }).click();
  const stale = page.getByRole('dialog', { name: /^Mapping of 2000/ });
  const m2000 = (await api<{ items: Array<{ extension: string; mapping: { etag: string; templateId: number } }> }>('GET', '/hotdesk')).body.items.find((r) => r.extension === '2000')!.mapping;
  const put = await requestFrom(`${app.pbxUrl}/api/v1/hotdesk/mappings/2000`, {
    method: 'PUT',
    body: { templateId: m2000.templateId, mac: '64:16:7F:44:00:01' },
    headers: { Authorization: `Bearer ${token}`, 'If-Match': m2000.etag },
  });
  expect(put.status, put.text).toBe(200);
  await expect(rowOf(page, '2000')).toContainText('mapped to 64:16:7F:44:00:01 only');
  await stale.getByLabel('Phone MAC address (optional)').fill('64:16:7f:44:00:02');
  await stale.getByRole('button', { name: 'Save mapping' }).click();
  await expect(stale.getByText(/Someone else changed this mapping \(admin\) while you were editing it/)).toBeVisible();
  const theirs = stale.locator('.conflict-col').filter({ hasText: 'Now on the PBX' });
  await expect(theirs).toContainText('64:16:7F:44:00:01');
  await expect(stale.locator('.conflict-col').filter({ hasText: 'Your version' })).toContainText('64:16:7F:44:00:02');
  // The Save button is disabled now: the focus is on the safe choice.
  await expect(stale.getByRole('button', { name: 'Reload: use the PBX version' })).toBeFocused();
  await dark(page, () => shot(page, '72b-hotdesk-mapping-conflict-dark'));
  await stale.getByRole('button', { name: 'Keep my version (then save)' }).click();
  await stale.getByRole('button', { name: 'Save mapping' }).click();
  await expect(stale).toHaveCount(0);
  await expect(rowOf(page, '2000')).toContainText('mapped to 64:16:7F:44:00:02 only');
});

test('an admin makes another template the Yealink default and sets the global admin password', async () => {
  const templates = page.getByRole('region', { name: 'Templates' });
  const yealink = templates.getByRole('group', { name: 'Yealink' });
  const sidecar = yealink.getByRole('listitem', { name: /^Reception with sidecar/ });
  const before = (await api<{ items: Template[] }>('GET', '/hotdesk/templates')).body.items.filter((t) => t.brand === 'yealink');
  const oldDefault = before.find((t) => t.isDefault)!;
  expect(oldDefault.name).not.toBe('Reception with sidecar');
  const oldItem = yealink.getByRole('listitem', { name: `${oldDefault.name} (default)` });
  await expect(oldItem.getByText('Default', { exact: true })).toBeVisible();
  // The default cannot be deleted, and says why; a used template neither.
  await expect(oldItem.getByRole('button', { name: `Delete ${oldDefault.name}` })).toBeDisabled();
  await expect(oldItem).toContainText('The default cannot be deleted.');
  await expect(sidecar).toContainText(/Used by 2 mappings/);

  await sidecar.getByRole('button', { name: 'Make default: Reception with sidecar for Yealink' }).click();
  await expect(templates.getByText('“Reception with sidecar” is now the default template for Yealink phones')).toBeVisible();
  await expect(yealink.getByRole('listitem', { name: 'Reception with sidecar (default)' })).toBeVisible();
  await expect(yealink.getByRole('listitem', { name: oldDefault.name, exact: true })).toBeVisible();
  const after = (await api<{ items: Template[] }>('GET', '/hotdesk/templates')).body.items.filter((t) => t.brand === 'yealink');
  expect(after.filter((t) => t.isDefault).map((t) => t.name)).toEqual(['Reception with sidecar']);
  await templates.scrollIntoViewIfNeeded();
  await shot(page, '73-hotdesk-templates-default');

  // A template with a bad settings line is named by its line; fixed, it is added.
  await yealink.getByRole('button', { name: 'New Yealink template…' }).click();
  const dialog = page.getByRole('dialog', { name: 'New Yealink template' });
  await dialog.getByLabel('Name').fill('Night shift');
  await dialog.getByLabel('Settings').fill('screen.backlight = 20\nRing Tone: 3');
  await expect(dialog.getByText(/Line 2: write a setting as name = value/)).toBeVisible();
  await dialog.getByLabel('Settings').fill('screen.backlight = 20\nring.tone = 3');
  await dialog.getByRole('button', { name: 'Add template' }).click();
  await expect(dialog).toHaveCount(0);
  await expect(yealink.getByRole('listitem', { name: 'Night shift' })).toContainText('2 settings');

  // Site settings: a bad address and a too-short idle time are named with their rule; fixed, they save.
  const site = page.getByRole('form', { name: 'Hot-desk settings of Headquarters' });
  await site.getByLabel('Internal address').fill('10.1.0.11 office');
  await site.getByLabel('Log out after idle (minutes)').fill('3');
  await expect(site.getByText(/^Internal address: enter a host name or IP address/)).toBeVisible();
  await expect(site.getByText('Log out after idle (minutes): must be at least 5 minutes.')).toBeVisible();
  await expect(site.getByRole('button', { name: 'Save Headquarters' })).toBeDisabled();
  await site.getByLabel('Internal address').fill('10.1.0.11');
  await site.getByLabel('Log out after idle (minutes)').fill('240');
  await site.getByLabel('Log everyone out daily at').fill('23:30');
  await site.getByLabel('Time zone').fill('Europe/Berlin');
  await site.getByRole('button', { name: 'Save Headquarters' }).click();
  await expect(page.getByText('Saved the hot-desk settings of Headquarters.')).toBeVisible();
  const sites = (await api<{ items: Array<{ siteId: string; internalAddress: string; autoLogout: { idleMinutes: number; dailyAt: string; timeZone: string } }> }>('GET', '/hotdesk/sites')).body.items;
  expect(sites.find((s) => s.siteId === 'hq')).toMatchObject({ internalAddress: '10.1.0.11', autoLogout: { idleMinutes: 240, dailyAt: '23:30', timeZone: 'Europe/Berlin' } });

  // The global admin password: not set yet, with what that means; rules while typing; refused values do not
  // save; after saving the field is gone and only "Set on … by admin" remains.
  const pw = page.getByRole('region', { name: 'Hot-desk passwords' });
  await expect(pw).toContainText('Not set: nobody can log a phone in to an arbitrary extension');
  await expect(pw).toContainText('Not set: extensions without a voicemail box cannot log in on a hot-desk phone');
  await pw.getByRole('button', { name: 'Set admin password' }).click();
  const field = pw.getByLabel('New admin password');
  await expect(field).toBeFocused();
  await field.fill('1234');
  const rules = pw.getByRole('list', { name: 'Rules for the admin password' });
  await expect(rules).toContainText('— not yet');
  await expect(pw.getByRole('button', { name: 'Save admin password' })).toBeDisabled();
  await field.fill(secret('80461937', 'hot-desk admin password typed'));
  await expect(rules).not.toContainText('— not yet');
  await expect(rules).toContainText('Not the same as the user password — checked when you save');
  await pw.scrollIntoViewIfNeeded();
  await shot(page, '74-hotdesk-password-rules');
  await page.keyboard.press('Enter');
  await expect(pw.getByText('Saved. The admin password is set; it will not be shown again.')).toBeVisible();
  await expect(pw.getByLabel('New admin password')).toHaveCount(0);
  await expect(pw).toContainText(/Set on .* by admin\./);
  expect(await page.content()).not.toContain('80461937');
  const meta = (await api<{ admin: { set: boolean; setBy: string } }>('GET', '/hotdesk/passwords')).body;
  expect(meta.admin).toMatchObject({ set: true, setBy: 'admin' });

  // The same value as the user password is refused by the PBX (its own rule, shown against the value).
  await pw.getByRole('button', { name: 'Set user password' }).click();
  await pw.getByLabel('New user password').fill(secret('80461937', 'hot-desk user password typed'));
  await page.keyboard.press('Enter');
  await expect(pw.getByText('The PBX did not accept this user password:')).toBeVisible();
  await expect(pw.getByRole('list', { name: 'Rules for the user password' })).toContainText('Not the same as the admin password — refused by the PBX');
  await pw.scrollIntoViewIfNeeded();
  await dark(page, () => shot(page, '75-hotdesk-password-refused-dark'));
  await page.keyboard.press('Escape');
  await expect(pw.getByLabel('New user password')).toHaveCount(0);
});

test('a receptionist sees a phone log in live and logs it out from the reception card', async () => {
  await connectAsReceptionist(page, app.pbxUrl, receptionPassword);
  await expect(page.getByLabel('Find an extension')).toBeVisible({ timeout: 30_000 });

  // Tab 1: Hot desking. The table of their site, Log out buttons, and nothing an admin manages.
  await openHotDesk(page);
  const first = people[0]!;
  await expect(rowOf(page, first.number)).toContainText('Logged in');
  await expect(page.getByRole('region', { name: 'Templates' })).toHaveCount(0);
  await expect(page.getByRole('region', { name: 'Site settings' })).toHaveCount(0);
  await expect(page.getByRole('region', { name: 'Hot-desk passwords' })).toHaveCount(0);
  await expect(page.getByRole('button', { name: /mapping/ })).toHaveCount(0);

  // A third person logs in on the other free Yealink (…:00:02, which 1001's mapping names, but 1001 is on no
  // phone): the row appears live on the receptionist's screen, then the reboot makes it "Logged in".
  const third = people[2]!;
  await phoneLogin('80:5E:C0:11:00:02', third, '127.0.0.4');
  const row = rowOf(page, third.number);
  await expect(row).toContainText('Needs reboot');
  await device('rebooted', { mac: '80:5E:C0:11:00:02' }, '127.0.0.4');
  await expect(row).toContainText('Logged in');
  await expect(row).toContainText('80:5E:C0:11:00:02');
  // The reboot brand's new default template (changed by the admin before) is what the phone got.
  await expect(row).toContainText('Reception with sidecar');
  await tallShot(page, '76-hotdesk-receptionist');

  // Tab 2: Reception. The card says where the person is logged in and since when.
  const desk = await context.newPage();
  await desk.goto(new URL(app.launchUrl).origin + '/');
  const card = await chooseOnReception(desk, third.number);
  await expect(card.getByRole('list', { name: 'State' })).toContainText('Logged in on a hot-desk phone');
  await expect(card.getByText('Logged in on', { exact: true })).toBeVisible();
  await expect(card).toContainText('Yealink T54W');
  await expect(card).toContainText('80:5E:C0:11:00:02');
  await expect(card).toContainText('since just now');
  const logout = card.getByRole('button', { name: /Log out phone/ });
  await expect(logout).toBeVisible();
  await shot(desk, '77-reception-card-hotdesk');

  // `?` lists the new key; `l` asks to log out; Escape cancels (focus back on the button); `l` again, Enter.
  await expectShortcutListed(desk, 'Log the chosen extension out of its hot-desk phone');
  await card.getByRole('heading', { level: 2 }).focus();
  await desk.keyboard.press('l');
  const confirm = desk.getByRole('dialog', { name: `Log out ${third.number}?` });
  await expect(confirm).toContainText(`${third.number} (${third.label}) is logged in on Yealink T54W (80:5E:C0:11:00:02)`);
  await expect(confirm.getByRole('button', { name: 'Yes, log out' })).toBeFocused();
  await shot(desk, '78-reception-logout-confirm');
  await desk.keyboard.press('Escape');
  await expect(confirm).toHaveCount(0);
  await expect(logout).toBeFocused();
  await desk.keyboard.press('l');
  await expect(confirm).toBeVisible();
  await desk.keyboard.press('Enter');
  await expect(confirm).toHaveCount(0);
  await expect(card.getByText(/Logged out\. The phone 80:5E:C0:11:00:02 is back at its login screen/)).toBeVisible();
  await expect(card).toContainText('Not logged in on any hot-desk phone.');
  await expect(logout).toHaveCount(0);
  await dark(desk, () => shot(desk, '79-reception-card-logged-out-dark'));

  // The row disappears live on the Hot desking tab (no mapping: nothing left to show); the PBX agrees and the
  // phone is back at its login screen.
  await expect(row).toHaveCount(0);
  const status = await device<{ screen: string }>('status', { mac: '80:5E:C0:11:00:02' }, '127.0.0.4');
  expect(status.screen).toBe('login');
  const rows = (await api<{ items: Array<{ extension: string }> }>('GET', '/hotdesk')).body.items;
  expect(rows.map((r) => r.extension)).not.toContain(third.number);

  // Log out from the table too (keyboard): the first person's Yealink.
  const firstRow = rowOf(page, first.number);
  await firstRow.getByRole('button', { name: `Log out ${first.number}` }).focus();
  await page.keyboard.press('Enter');
  const dialog = page.getByRole('dialog', { name: `Log out ${first.number}?` });
  await expect(dialog).toBeVisible();
  await page.keyboard.press('Enter');
  await expect(firstRow).toHaveCount(0);
  await expect(page.getByText(/Logged out\. The phone 80:5E:C0:11:00:03/)).toBeVisible();
  await desk.close();
});

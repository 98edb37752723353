// E2E: lockouts and blacklists (SPEC F3, issue 4) in Chromium against the real console and its real embedded
// reference PBX. Failed voicemail sign-ins come from the device API on other loopback addresses (127.0.0.2,
// 127.0.0.3, … act as other hosts, each with a phone's User-Agent).
//
// 1. The admin opens Lockouts (empty state), five wrong PINs make a row appear live, the correlated view shows
//    who tried; ten failures from one address ban it (auto); a manual block with a bad CIDR is refused in the
//    form with a clear message, a good one appears as a row. Screenshots in light and dark mode.
// 2. The receptionist (the seeded `reception` account, Headquarters) keeps the Lockouts screen open in one tab
//    and Reception in another: five wrong PINs lock another extension, its row appears live, the reception
//    card shows the lock with a countdown, Unlock (the `u` key) unlocks it, and the row disappears live; a ban
//    an administrator adds and removes comes and goes live on the receptionist's screen as well.
import { expect, test, type Browser, type BrowserContext, type Page } from '@playwright/test';
import { requestFrom, startConsoleProcess, type ConsoleProcess } from '../support/console-process.js';
import { adminAndReceptionist, chooseOnReception, connectAsReceptionist, expectShortcutListed, pbxApiOf, shot, tallShot, type Ext } from '../support/e2e.js';

test.describe.configure({ mode: 'serial' });

let app: ConsoleProcess;
let token: string;
let context: BrowserContext;
let page: Page;
let receptionPassword: string;
/** Locked by the admin part; seen again by the receptionist. */
let first: Ext;
/** Locked and unlocked in the receptionist part. */
let second: Ext;
/** Locked by an attack from 127.0.0.4 that also bans the address. */
let third: Ext;
let fourth: Ext;

const UA = 'Yealink SIP-T46S 66.86.0.15';

const api = pbxApiOf(() => app.pbxUrl, () => token);

/** `n` wrong voicemail PINs for `extension` from `from` (each refused with the same 403). */
async function wrongPins(extension: string, from: string, n: number, userAgent = UA): Promise<void> {
  for (let i = 0; i < n; i++) {
    const res = await requestFrom(`${app.pbxUrl}/device/v1/voicemail/login`, {
      body: { extension, pin: `90${i}13${i}7` },
      localAddress: from,
      headers: { 'User-Agent': userAgent },
    });
    expect(res.status, res.text).toBe(403);
  }
}

async function openLockouts(p: Page): Promise<void> {
  await p.getByRole('navigation', { name: 'Screens' }).getByRole('button', { name: /^Lockouts/ }).click();
  await expect(p.getByRole('heading', { level: 1, name: 'Lockouts' })).toBeVisible();
}

function lockRows(p: Page) {
  return p.getByRole('table', { name: 'Blacklisted extensions' }).locator('tbody tr');
}

function banRows(p: Page) {
  return p.getByRole('table', { name: 'Blacklisted addresses' }).locator('tbody tr');
}

test.beforeAll(async ({ browser }: { browser: Browser }) => {
  app = await startConsoleProcess();
  ({ context, page, receptionPassword, token } = await adminAndReceptionist(app, browser));
  const all = (await api<{ items: Ext[] }>('GET', '/extensions?limit=1000')).body.items;
  // Active extensions with a mailbox at Headquarters (the receptionist's site).
  const fits = all.filter((e) => e.siteId === 'hq' && e.status === 'active' && e.voicemail);
  expect(fits.length).toBeGreaterThanOrEqual(4);
  [first, second, third, fourth] = [fits[0]!, fits[1]!, fits[2]!, fits[3]!];
});

test.afterAll(async () => {
  await context?.close();
  await app?.stop();
});

test('the admin sees locks and bans appear live, checks who tried, and blocks a network', async () => {
  await page.goto(app.launchUrl);
  await expect(page.getByRole('heading', { name: 'Extensions' })).toBeVisible({ timeout: 30_000 });
  await openLockouts(page);

  // Nothing locked yet: an empty state a receptionist understands.
  await expect(page.getByText('No extension is locked.')).toBeVisible();
  await expect(page.getByText('Extensions appear here after failed sign-ins.')).toBeVisible();
  await expect(page.getByText('No address is blocked.')).toBeVisible();

  // Four wrong PINs: a row with 4 failures, not blocked. The fifth locks it. No reload in between.
  await wrongPins(first.number, '127.0.0.2', 4);
  const row = lockRows(page).filter({ hasText: first.number });
  await expect(row).toHaveCount(1);
  await expect(row).toContainText('Voicemail');
  await expect(row.locator('td').nth(3)).toHaveText('No');
  await expect(row.locator('td').nth(4)).toHaveText('4');
  await wrongPins(first.number, '127.0.0.2', 1);
  await expect(row.locator('td').nth(3)).toHaveText('Yes');
  await expect(row.locator('td').nth(4)).toHaveText('5');
  await expect(row.locator('td').nth(5)).toHaveText('5');
  await expect(row).toContainText('127.0.0.2');
  await expect(row).toContainText(UA);
  // The countdown runs: 10 minutes by default, so it shows 9:5x and changes every second.
  const countdown = row.locator('.countdown');
  await expect(countdown).toHaveText(/^(10:00|9:5\d)$/);
  const before = await countdown.textContent();
  await expect(countdown).not.toHaveText(before!, { timeout: 3000 });
  // The navigation says how many extensions are locked.
  await expect(page.getByRole('navigation', { name: 'Screens' }).getByRole('button', { name: /^Lockouts/ })).toContainText('1');

  // Who tried? The correlated view lists the address and the phone's user agent.
  await row.getByRole('button', { name: `Who tried ${first.number}?` }).click();
  const who = page.getByRole('region', { name: new RegExp(`^Who tried ${first.number}`) });
  await expect(who.getByRole('table')).toContainText('127.0.0.2');
  await expect(who.getByRole('table')).toContainText(UA);
  await expect(who.getByRole('table').locator('tbody tr').first().locator('td').nth(3)).toHaveText('5');

  // An attack from 127.0.0.4: five failures lock the third extension, five more against the fourth reach the
  // address threshold of 10 and ban the address automatically (attempts on a locked extension do not count).
  await wrongPins(third.number, '127.0.0.4', 5, 'friendly-scanner');
  await wrongPins(fourth.number, '127.0.0.4', 5, 'friendly-scanner');
  await expect(lockRows(page).filter({ hasText: third.number }).locator('td').nth(3)).toHaveText('Yes');
  const autoBan = banRows(page).filter({ hasText: '127.0.0.4' });
  await expect(autoBan).toHaveCount(1);
  await expect(autoBan).toContainText('Automatic');
  await expect(autoBan).toContainText('failed sign-ins');
  await expect(autoBan.locator('.countdown')).toHaveText(/^(10:00|9:5\d)$/);

  // A manual block: a bad CIDR is refused in the form, naming the field and the rule; nothing is sent.
  const form = page.getByRole('form', { name: 'Block an address' });
  const cidr = form.getByLabel('Address or network');
  await cidr.fill('198.51.100.0/33');
  await expect(form.getByText(/Address or network: 198\.51\.100\.0\/33 is not a network: the prefix after \/ must be 0 to 32/)).toBeVisible();
  await expect(cidr).toHaveAttribute('aria-invalid', 'true');
  await form.getByLabel('Description').fill('SIP scanner seen in the logs');
  await form.getByRole('button', { name: 'Block' }).click();
  await expect(cidr).toBeFocused();
  await expect(banRows(page).filter({ hasText: '198.51.100' })).toHaveCount(0);
  expect((await api<{ items: Array<{ cidr: string }> }>('GET', '/lockouts/addresses')).body.items.map((b) => b.cidr)).not.toContain('198.51.100.0/33');

  // The same network written correctly: live feedback says what it covers, and the row appears.
  await cidr.fill('198.51.100.7/24');
  await expect(form.getByText('Blocks 198.51.100.0/24 (256 addresses).')).toBeVisible();
  await form.getByLabel('Duration').selectOption({ label: '7 days' });
  await form.getByRole('button', { name: 'Block' }).click();
  const manual = banRows(page).filter({ hasText: '198.51.100.0/24' });
  await expect(manual).toHaveCount(1);
  await expect(manual).toContainText('Manual');
  await expect(manual).toContainText('SIP scanner seen in the logs');
  await expect(manual.locator('.countdown')).toHaveText(/^(7 d 00:00:00|6 d 23:59:\d\d)$/);
  await expect(page.getByText('Blocked 198.51.100.0/24 for 7 days.')).toBeVisible();
  // The PBX agrees.
  const bans = (await api<{ items: Array<{ cidr: string; addedBy: string }> }>('GET', '/lockouts/addresses')).body.items;
  expect(bans.map((b) => `${b.cidr} ${b.addedBy}`).sort()).toEqual(['127.0.0.4 auto', '198.51.100.0/24 manual']);

  // The whole screen, light and dark (the OS setting decides).
  await expect(page.getByLabel('Failed sign-ins that lock an extension')).toHaveValue('5');
  const chart = page.getByRole('region', { name: 'Failed sign-ins per minute (24 hours)' });
  await chart.getByRole('button', { name: 'Refresh' }).click();
  await expect(chart.locator('.chart-summary')).toContainText(/^15 failed sign-ins in the last 24 hours/);
  await expect(chart.getByRole('combobox', { name: 'Line for' })).toHaveValue(/^e:\d+$/);
  await page.getByRole('heading', { level: 1, name: 'Lockouts' }).scrollIntoViewIfNeeded();
  await tallShot(page, '60-lockouts-admin-light');
  await page.emulateMedia({ colorScheme: 'dark' });
  await tallShot(page, '61-lockouts-admin-dark');
  await page.emulateMedia({ colorScheme: 'light' });

  // A block that would cover the console's own address (127.0.0.1): the PBX's 409 is shown as it is.
  await cidr.fill('127.0.0.0/8');
  await form.getByLabel('Description').fill('everything local');
  await form.getByRole('button', { name: 'Block' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'Not blocked: this would lock you out.' })).toContainText('127.0.0.0/8 includes');
  await expect(banRows(page).filter({ hasText: '127.0.0.0/8' })).toHaveCount(0);

  // The chart and the policy editor are there for the admin, with the defaults marked.
  await expect(page.getByRole('img', { name: /Failed sign-ins per minute/ })).toBeVisible();
  await expect(page.getByLabel('Failed sign-ins that lock an extension')).toHaveValue('5');
  await expect(page.getByText('default: 5', { exact: true }).first()).toBeVisible();

  // The allowlist: a bad network is refused in the form; a good one is listed, then removed.
  const allow = page.getByRole('region', { name: 'Allowlist' });
  const allowField = allow.getByLabel('Address or network to allow');
  await allowField.fill('10.0.0.0/8x');
  await expect(allow.getByText(/^Address or network: .* is not a network/)).toBeVisible();
  await allowField.fill('10.0.0.0/8');
  await allow.getByLabel('Description (optional)').fill('office LAN');
  await allow.getByRole('button', { name: 'Add to allowlist' }).click();
  await expect(allow.getByRole('table')).toContainText('10.0.0.0/8');
  await expect(allow.getByRole('table')).toContainText('office LAN');
  await allow.getByRole('button', { name: 'Remove 10.0.0.0/8 from the allowlist' }).click();
  await expect(allow.getByRole('table')).toHaveCount(0);
  await expect(allow.getByText('The allowlist is empty')).toBeVisible();

  // The lockout policy editor: a bad value is named with its rule; a change made elsewhere meanwhile shows
  // both versions (as for PIN policies); reset to defaults and save.
  const policy = page.getByRole('region', { name: 'Lockout policy' });
  const threshold = policy.getByLabel('Failed sign-ins that lock an extension');
  await threshold.fill('0');
  await expect(policy.getByText('Failed sign-ins that lock an extension: must be at least 1 (you entered 0).')).toBeVisible();
  await expect(policy.getByRole('button', { name: 'Save lockout policy' })).toBeDisabled();
  await threshold.fill('6');
  const current = await requestFrom(`${app.pbxUrl}/api/v1/policies/lockout`, { headers: { Authorization: `Bearer ${token}` } });
  const res = current.body as { policy: { extension: Record<string, number> }; etag: string };
  const put = await requestFrom(`${app.pbxUrl}/api/v1/policies/lockout`, {
    method: 'PUT',
    body: { ...res.policy, extension: { ...res.policy.extension, threshold: 7 } },
    headers: { Authorization: `Bearer ${token}`, 'If-Match': res.etag },
  });
  expect(put.status, put.text).toBe(200);
  await expect(policy.getByText(/The lockout policy was changed by admin .* while you were editing/)).toBeVisible();
  await expect(policy.getByRole('group').filter({ hasText: 'Now on the PBX' })).toContainText('7');
  await policy.getByRole('button', { name: 'Reload: use the PBX version' }).click();
  await expect(threshold).toHaveValue('7');
  await policy.getByRole('button', { name: 'Reset to defaults' }).click();
  await expect(threshold).toHaveValue('5');
  await policy.getByRole('button', { name: 'Save lockout policy' }).click();
  await expect(policy.getByText('Saved.', { exact: false })).toBeVisible();
  const saved = (await api<{ policy: { extension: { threshold: number } } }>('GET', '/policies/lockout')).body;
  expect(saved.policy.extension.threshold).toBe(5);

});

test('a receptionist sees a lock appear live, unlocks it from the reception card, and the row disappears live', async () => {
  // Connect as the receptionist (Disconnect, add a PBX "Front desk").
  await connectAsReceptionist(page, app.pbxUrl, receptionPassword);
  await expect(page.getByLabel('Find an extension')).toBeVisible({ timeout: 30_000 });

  // Tab 1: the Lockouts dashboard. The receptionist sees the lock rows of their site, and no admin panels.
  await openLockouts(page);
  await expect(lockRows(page).filter({ hasText: first.number })).toHaveCount(1);
  await expect(page.getByRole('form', { name: 'Block an address' })).toHaveCount(0);
  await expect(page.getByRole('heading', { name: 'Lockout policy' })).toHaveCount(0);
  await expect(page.getByRole('heading', { name: 'Allowlist' })).toHaveCount(0);
  await expect(page.getByRole('button', { name: /Who tried/ })).toHaveCount(0);
  await expect(banRows(page).filter({ hasText: '127.0.0.4' })).toHaveCount(1);

  // Tab 2: Reception, on the same console. Desktop alerts are allowed for it; the alerts it shows are recorded.
  const origin = new URL(app.launchUrl).origin;
  await context.grantPermissions(['notifications'], { origin });
  const desk = await context.newPage();
  await desk.addInitScript(() => {
    const w = window as unknown as { __alerts: Array<{ title: string; body: string }>; Notification: unknown };
    w.__alerts = [];
    const Real = window.Notification;
    class Recording extends Real {
      constructor(title: string, options?: NotificationOptions) {
        w.__alerts.push({ title, body: options?.body ?? '' });
        super(title, options);
      }
    }
    w.Notification = Recording;
  });
  await desk.goto(origin + '/');
  await expect(desk.getByLabel('Find an extension')).toBeVisible({ timeout: 30_000 });

  // Five wrong PINs from 127.0.0.3 lock the second extension: the row appears live on the dashboard.
  await wrongPins(second.number, '127.0.0.3', 5);
  const row = lockRows(page).filter({ hasText: second.number });
  await expect(row).toHaveCount(1);
  await expect(row.locator('td').nth(3)).toHaveText('Yes');
  await expect(row).toContainText('127.0.0.3');
  // A desktop alert for the new lock (permission given, so on without asking), naming no secret.
  await expect
    .poll(() => desk.evaluate(() => (window as unknown as { __alerts: Array<{ title: string }> }).__alerts.map((a) => a.title)))
    .toContain(`Extension ${second.number} locked`);
  const alerts = await desk.evaluate(() => (window as unknown as { __alerts: Array<{ title: string; body: string }> }).__alerts);
  expect(JSON.stringify(alerts)).not.toMatch(/90\d13\d7/);
  expect(alerts.find((a) => a.title === `Extension ${second.number} locked`)?.body).toContain('127.0.0.3');
  await tallShot(page, '62-lockouts-receptionist');

  // The reception card shows the lock with the time left, and an Unlock action listed under `?`.
  const card = await chooseOnReception(desk, second.number);
  const badges = card.getByRole('list', { name: 'State' });
  await expect(badges).toContainText('Voicemail locked');
  const lines = card.getByRole('list', { name: 'Locks' });
  await expect(lines).toContainText('locked after 5 failed sign-ins');
  await expect(lines.locator('.countdown')).toHaveText(/^(10:00|9:5\d)$/);
  const unlock = card.getByRole('button', { name: /Unlock/ });
  await expect(unlock).toBeVisible();
  await shot(desk, '63-reception-card-locked');
  await expectShortcutListed(desk, 'Unlock the chosen extension');

  // `u` unlocks (keyboard only): the card says so, the PBX agrees, and the dashboard row disappears live.
  await card.getByRole('heading', { level: 2 }).focus();
  await desk.keyboard.press('u');
  await expect(card.getByText(`Unlocked. ${second.number} can sign in again`)).toBeVisible();
  await expect(badges).not.toContainText('Voicemail locked');
  await expect(unlock).toHaveCount(0);
  await expect(row).toHaveCount(0);
  const locks = (await api<{ items: Array<{ extension: string; blocked: boolean }> }>('GET', '/lockouts/extensions')).body.items;
  expect(locks.filter((l) => l.extension === second.number)).toEqual([]);
  // The other locks stay.
  await expect(lockRows(page).filter({ hasText: first.number })).toHaveCount(1);
  // And the right PIN-less truth from the device side: the mailbox is no longer refused for being locked
  // (a wrong PIN now counts as a first failure again).
  await wrongPins(second.number, '127.0.0.3', 1);
  await expect(row.locator('td').nth(4)).toHaveText('1');
  await expect(row.locator('td').nth(3)).toHaveText('No');

  // Reset selected on the dashboard: select the first extension's row with Space, reset it, it disappears.
  const firstRow = lockRows(page).filter({ hasText: first.number });
  await firstRow.getByRole('checkbox').focus();
  await page.keyboard.press('Control+a');
  const all = await lockRows(page).count();
  await expect(page.getByRole('group', { name: 'Selected extensions' })).toContainText(`${all} selected`);
  await page.getByRole('button', { name: 'Clear selection' }).click();
  await firstRow.getByRole('checkbox').focus();
  await page.keyboard.press('Space');
  await expect(firstRow.getByRole('checkbox')).toBeChecked();
  await page.getByRole('button', { name: 'Reset selected (1)' }).click();
  await expect(firstRow).toHaveCount(0);

  // Bans reach the receptionist live too (ban.changed events, no re-reading): an administrator blocks an
  // address and unblocks it again; the row comes and goes well within the expect timeout (5 s).
  const added = await api<{ id: number }>('POST', '/lockouts/addresses', { cidr: '203.0.113.7', description: 'e2e: live for the receptionist' });
  expect(added.status).toBe(201);
  const liveBan = banRows(page).filter({ hasText: '203.0.113.7' });
  await expect(liveBan).toHaveCount(1);
  expect((await api('POST', '/lockouts/addresses/unban', { ids: [added.body.id] })).status).toBe(200);
  await expect(liveBan).toHaveCount(0);
  await desk.close();
});

// E2E: the Reception view. The admin still lands on Extensions; the seeded receptionist (printed once on
// the first run, `reception / <password>`, scoped to Headquarters) connects through "Add a PBX" and lands
// on Reception, then — keyboard only — finds a phone by part of its name, blocks and unblocks it, resets
// its voicemail PIN and reads the default, and opens the shortcut list. Their extension detail shows no
// admin-only controls.
import { expect, test, type Page } from '@playwright/test';
import { requestFrom, startConsoleProcess, type ConsoleProcess } from '../support/console-process.js';
import { shot, adminToken, connectAsReceptionist, type Ext as ListedExt } from '../support/e2e.js';


test.describe.configure({ mode: 'serial' });

interface Ext extends ListedExt {
  etag: string;
  protection: { enabled: boolean; state: string };
  credentials: { voicemail_pin: { isDefault: boolean } };
}

let app: ConsoleProcess;
let token: string;
let page: Page;
let receptionPassword: string;
let target: Ext;
let typed: string;

async function api<T>(method: string, p: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await requestFrom(`${app.pbxUrl}/api/v1${p}`, { method, body, headers: { Authorization: `Bearer ${token}` } });
  return { status: res.status, body: res.body as T };
}

/** The shortest word (or pair of words) of the label that matches no other extension. */
function uniquePart(t: Ext, all: Ext[]): string {
  const words = t.label.split(/\s+/).filter((w) => w.length >= 3);
  const candidates = [...words, ...words.slice(1).map((w, i) => `${words[i]} ${w}`), t.label];
  for (const c of candidates) {
    const needle = c.toLowerCase();
    const hits = all.filter((e) => e.label.toLowerCase().includes(needle) || e.number.startsWith(needle));
    if (hits.length === 1) return c;
  }
  return t.label;
}

test.beforeAll(async ({ browser }) => {
  app = await startConsoleProcess();
  page = await (await browser.newContext()).newPage();
  expect(app.adminPassword, 'the first run prints the admin password once').toBeTruthy();
  const m = /reception \/ (\S+)/.exec(app.output());
  expect(m, 'the first run prints the receptionist password once').toBeTruthy();
  receptionPassword = m![1]!;
  token = await adminToken(app);
  const list = await api<{ items: Ext[] }>('GET', '/extensions?limit=1000');
  const all = list.body.items;
  // A protected, unrestricted, active phone at Headquarters (the receptionist's site), not on its default PIN.
  const fits = (e: Ext) =>
    e.type === 'phone_terminal' &&
    e.siteId === 'hq' &&
    e.status === 'active' &&
    e.protection.enabled &&
    e.protection.state === 'unrestricted' &&
    /\s/.test(e.label);
  const pick = all.find((e) => fits(e) && !e.credentials.voicemail_pin.isDefault) ?? all.find(fits);
  expect(pick).toBeTruthy();
  target = pick!;
  typed = uniquePart(target, all);
});

test.afterAll(async () => {
  await app?.stop();
});

test('the admin still lands on Extensions', async () => {
  await page.goto(app.launchUrl);
  await expect(page.getByRole('heading', { name: 'Extensions' })).toBeVisible({ timeout: 30_000 });
  await expect(page.getByText(/Connected to .* as admin/)).toBeVisible();
  const nav = page.getByRole('navigation', { name: 'Screens' });
  await expect(nav.getByRole('button', { name: 'Extensions' })).toHaveAttribute('aria-current', 'page');
  await expect(nav.getByRole('button', { name: 'Reception' })).toBeVisible();
  await expect(nav.getByRole('button', { name: 'PIN policies' })).toBeVisible();
});

test('the receptionist lands on Reception and works it from the keyboard', async () => {
  // Connect as the receptionist: Disconnect, add a PBX "Front desk".
  await connectAsReceptionist(page, app.pbxUrl, receptionPassword);

  // Reception is the start screen, with the search box focused.
  const search = page.getByLabel('Find an extension');
  await expect(search).toBeVisible({ timeout: 30_000 });
  await expect(search).toBeFocused();
  await expect(page.getByText('Connected to Front desk as reception (receptionist)')).toBeVisible();
  const nav = page.getByRole('navigation', { name: 'Screens' });
  await expect(nav.getByRole('button', { name: 'Reception' })).toHaveAttribute('aria-current', 'page');
  // The PIN policies screen is for admins: no tab for the receptionist (the admin had one, see above).
  await expect(nav.getByRole('button', { name: 'Extensions' })).toBeVisible();
  await expect(nav.getByRole('button', { name: 'PIN policies' })).toHaveCount(0);
  await expect(page.getByRole('heading', { name: 'PIN policies' })).toHaveCount(0);

  // KEYBOARD ONLY from here: part of the name, Down, Enter.
  await page.keyboard.type(typed, { delay: 20 });
  const results = page.getByRole('listbox', { name: 'Matching extensions' });
  await expect(results.getByRole('option').first()).toContainText(target.number);
  await shot(page, '30-reception');
  await page.keyboard.press('ArrowDown');
  await expect(results.getByRole('option').first()).toHaveAttribute('aria-selected', 'true');
  await page.keyboard.press('Enter');
  const cardRegion = page.getByRole('region', { name: new RegExp(`${target.number}`) });
  await expect(cardRegion.getByRole('heading', { level: 2 })).toContainText(target.label);
  await expect(cardRegion.getByRole('heading', { level: 2 })).toBeFocused();
  // The result list closes once an extension is chosen.
  await expect(results).toHaveCount(0);
  const badges = cardRegion.getByRole('list', { name: 'State' });
  await expect(badges).toContainText('Protected');
  await expect(badges).not.toContainText('Blocked');
  await shot(page, '31-reception-card');

  // b blocks…
  await page.keyboard.press('b');
  await expect(badges).toContainText('Blocked');
  await expect(cardRegion.getByRole('button', { name: /Unblock phone/ })).toBeVisible();
  expect((await api<Ext>('GET', `/extensions/${target.number}`)).body.protection.state).toBe('blocked');
  // …and b again unblocks.
  await page.keyboard.press('b');
  await expect(badges).not.toContainText('Blocked');
  await expect(cardRegion.getByRole('button', { name: /Block phone/ })).toBeVisible();
  expect((await api<Ext>('GET', `/extensions/${target.number}`)).body.protection.state).toBe('unrestricted');

  // r, then Enter to confirm: the PIN is reset and the default is shown large.
  await page.keyboard.press('r');
  const confirm = cardRegion.getByRole('button', { name: 'Yes, reset the PIN' });
  await expect(confirm).toBeFocused();
  await page.keyboard.press('Enter');
  const def = await (async () => {
    await expect(cardRegion.getByRole('heading', { name: `Default PIN for ${target.number}` })).toBeVisible();
    return api<{ defaultPin: string }>('GET', `/extensions/${target.number}/credentials/voicemail-pin/default`);
  })();
  const digits = cardRegion.locator('.default-pin-digits');
  await expect(digits).toHaveAttribute('data-pin', def.body.defaultPin);
  const fontSize = await digits.evaluate((el) => parseFloat(getComputedStyle(el).fontSize));
  expect(fontSize).toBeGreaterThanOrEqual(40);
  await expect(cardRegion.getByRole('button', { name: 'Print slip' })).toBeVisible();
  await expect(badges).toContainText('Default PIN');
  expect((await api<Ext>('GET', `/extensions/${target.number}`)).body.credentials.voicemail_pin.isDefault).toBe(true);
  await shot(page, '32-reception-default-pin');

  // ? lists the shortcuts; Escape closes the list.
  await page.keyboard.press('?');
  const dialog = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
  await expect(dialog).toBeVisible();
  await expect(dialog).toContainText('Block or unblock');
  await shot(page, '33-shortcuts');
  await page.keyboard.press('Escape');
  await expect(dialog).toHaveCount(0);

  // / focuses the search again. (Closing the dialog hands focus back to where it was; let that land
  // first, as it does long before a person's next key — under CI load it can take a few frames.)
  await page.waitForTimeout(300);
  await page.keyboard.press('Escape'); // closes the default PIN box
  await expect(cardRegion.locator('.default-pin-digits')).toHaveCount(0);
  await page.keyboard.press('/');
  await expect(search).toBeFocused();
});

test("the receptionist's extension detail shows no admin-only controls", async () => {
  await page.getByRole('navigation', { name: 'Screens' }).getByRole('button', { name: 'Extensions' }).click();
  const search = page.getByLabel('Search extensions');
  await expect(search).toBeVisible({ timeout: 30_000 });
  await search.fill(target.number);
  await search.press('Enter');
  const detail = page.getByRole('region', { name: `Extension ${target.number}` });
  await expect(detail.getByRole('heading', { name: `${target.number} · ${target.label}` })).toBeVisible();
  await expect(detail.getByRole('button', { name: 'Block', exact: true })).toBeVisible();
  await expect(detail.getByRole('button', { name: 'Reset PIN' })).toBeVisible();
  await expect(detail.getByLabel('Password to access telephony')).toHaveCount(0);
  await expect(detail.getByLabel('Protected phone access active')).toHaveCount(0);
  await expect(detail.getByRole('button', { name: /^Change / })).toHaveCount(0);
});

test("the PBX refuses a receptionist's PIN policy write (403), whatever the console shows", async () => {
  // The receptionist's own API session, signed in the same way the console does.
  const session = await requestFrom(`${app.pbxUrl}/api/v1/session`, { body: { username: 'reception', password: receptionPassword } });
  expect(session.status, session.text).toBe(201);
  const receptionToken = (session.body as { token: string }).token;
  expect(receptionToken).toBeTruthy();

  interface PolicyResource {
    policy: Record<string, unknown> & { minLength: number };
    version: number;
    etag: string;
  }
  const before = (await api<PolicyResource>('GET', '/policies/pin/voicemail_pin')).body;
  expect(before.etag).toBeTruthy();
  // A valid write in every other respect (current etag, a policy within bounds): only the role is wrong.
  const put = await requestFrom(`${app.pbxUrl}/api/v1/policies/pin/voicemail_pin`, {
    method: 'PUT',
    body: { ...before.policy, minLength: before.policy.minLength + 1 },
    headers: { Authorization: `Bearer ${receptionToken}`, 'If-Match': before.etag },
  });
  expect(put.status, put.text).toBe(403);
  expect((put.body as { error: { code: string } }).error.code).toBe('forbidden');
  // Nothing changed on the PBX.
  const after = (await api<PolicyResource>('GET', '/policies/pin/voicemail_pin')).body;
  expect(after.version).toBe(before.version);
  expect(after.etag).toBe(before.etag);
  expect(after.policy).toEqual(before.policy);
});

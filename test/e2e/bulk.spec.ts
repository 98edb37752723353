// E2E: credential health in the extensions table and the bulk "reset voicemail PINs to default", against
// the real reference PBX in browser mode, in Debian Chromium. 200 extensions are selected with "all
// matching the filter" (by pointer for one site, by keyboard for the next), reset with a progress bar and
// per-row results (inactive numbers are reported, not reset), and the PBX is asked afterwards whether it
// agrees. Shift+click and Shift+arrows select from an anchor. On a bigger PBX, a run keeps the focus on its
// Cancel button and survives Escape pressed twice (and even a close of the <dialog>); a second run is
// cancelled part-way: what was sent is reset, the rest is "not started", and only that is selected again.
import { expect, test, type Page } from '@playwright/test';
import { requestFrom, startConsoleProcess, type ConsoleProcess } from '../support/console-process.js';
import { shot, adminToken, pbxApiOf } from '../support/e2e.js';


test.describe.configure({ mode: 'serial' });

interface Ext {
  number: string;
  label: string;
  siteId: string;
  status: 'active' | 'inactive';
  etag: string;
  credentials: { voicemail_pin: { isDefault: boolean; set: boolean } };
}

let app: ConsoleProcess;
let token: string;
let page: Page;

const api = pbxApiOf(() => app.pbxUrl, () => token);

const all = async () => (await api<{ items: Ext[] }>('GET', '/extensions?limit=1000')).body.items;

/** Give an extension its own voicemail PIN (random until the policy takes one). */
async function setOwnPin(e: Ext): Promise<void> {
  for (let tries = 0; tries < 10; tries++) {
    const value = String(100000 + Math.floor(Math.random() * 900000));
    const r = await api('PUT', `/extensions/${e.number}/credentials/voicemail_pin`, { value }, { 'If-Match': e.etag });
    if (r.status === 200) return;
  }
  throw new Error(`could not set a PIN on ${e.number}`);
}

test.beforeAll(async ({ browser }) => {
  app = await startConsoleProcess();
  page = await (await browser.newContext()).newPage();
  token = await adminToken(app);
});

test.afterAll(async () => {
  await app?.stop();
});

test('the table shows each voicemail PIN’s health; 200 selected via “all matching”, reset with progress and per-row results', async () => {
  const before = await all();
  const hq = before.filter((e) => e.siteId === 'hq');
  const north = before.filter((e) => e.siteId === 'north');
  const chosen = [...hq, ...north];
  expect(chosen).toHaveLength(200);
  // A few of them get their own PIN first, so the reset visibly changes them.
  const own = chosen.filter((e) => e.status === 'active').slice(0, 12);
  for (const e of own) await setOwnPin(e);
  const inactive = chosen.filter((e) => e.status === 'inactive');

  await page.goto(app.launchUrl);
  await expect(page.getByRole('heading', { name: 'Extensions' })).toBeVisible({ timeout: 30_000 });
  const grid = page.getByRole('grid', { name: 'Extensions' });
  const row = (n: string) => grid.locator(`[role="row"][data-number="${n}"]`);

  // Health columns: the PIN filter finds the ones with their own PIN, set today, meeting the policy.
  const pinFilter = page.getByLabel('Voicemail PIN', { exact: true });
  const cell = (n: string, col: number) => row(n).getByRole('gridcell').nth(col);
  await pinFilter.selectOption('custom');
  await expect(page.getByText(`Showing ${own.length} of 300 extensions`)).toBeVisible();
  await expect(cell(own[0]!.number, 7)).toHaveText('Own PIN');
  await expect(cell(own[0]!.number, 8)).toHaveText('today');
  await expect(cell(own[0]!.number, 9)).toHaveText('Meets');

  // Another admin tightens the voicemail PIN policy: those PINs were set under looser rules, so the table
  // (live, no reload) says they may not meet it, and the PIN filter finds them.
  const policy = await api<{ etag: string; policy: Record<string, unknown> }>('GET', '/policies/pin/voicemail_pin');
  const strict = { ...policy.body.policy, minLength: 6, maxRepeatedDigits: 2, historyCount: 5 };
  const put = await api<{ etag: string }>('PUT', '/policies/pin/voicemail_pin', strict, { 'If-Match': policy.body.etag });
  expect(put.status).toBe(200);
  await pinFilter.selectOption('outdated');
  await expect(page.getByText(`Showing ${own.length} of 300 extensions`)).toBeVisible();
  await expect(cell(own[0]!.number, 9)).toHaveText('Older policy');
  await shot(page, 'bulk-0-pin-filter');
  // Back to the policy they were set under: they meet it again.
  const back = await api('PUT', '/policies/pin/voicemail_pin', policy.body.policy, { 'If-Match': put.body.etag });
  expect(back.status).toBe(200);
  await pinFilter.selectOption('custom');
  await expect(page.getByText(`Showing ${own.length} of 300 extensions`)).toBeVisible();
  await expect(cell(own[0]!.number, 9)).toHaveText('Meets');
  await pinFilter.selectOption('any');

  // Site 1 by pointer: the header box selects every matching row.
  await page.getByLabel('Site').selectOption('hq');
  await expect(page.getByText('Showing 100 of 300 extensions')).toBeVisible();
  await page.getByRole('checkbox', { name: 'Select all 100 matching extensions' }).check();
  const bar = page.getByRole('region', { name: 'Selection' });
  await expect(bar).toContainText('100 selected');

  // Site 2 by keyboard: into the list, Ctrl+A selects all matching; Space toggles one row.
  await page.getByLabel('Site').selectOption('north');
  await page.getByLabel('Search extensions').focus();
  await page.keyboard.press('ArrowDown');
  await expect(grid.locator('[role="row"]:focus')).toHaveCount(1);
  await page.keyboard.press('Control+a');
  await expect(bar).toContainText('200 selected');
  await expect(bar).toContainText('100 hidden by the search or filters');
  const first = await grid.locator('[role="row"]:focus').getAttribute('data-number');
  await page.keyboard.press(' ');
  await expect(bar).toContainText('199 selected');
  await expect(row(first!)).toHaveAttribute('aria-selected', 'false');
  await page.keyboard.press(' ');
  await expect(bar).toContainText('200 selected');
  await expect(row(first!)).toHaveAttribute('aria-selected', 'true');
  await shot(page, 'bulk-1-selected');

  await bar.getByRole('button', { name: 'Reset voicemail PINs to default…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Reset voicemail PINs to default' });
  await expect(dialog).toContainText(
    'This resets the voicemail PIN of 200 extensions. Each PIN goes back to its default and the extension’s voicemail lock (if any) is lifted.',
  );
  // Cancel has the focus: a stray Enter never resets 200 PINs.
  await expect(dialog.getByRole('button', { name: 'Cancel' })).toBeFocused();
  await shot(page, 'bulk-2-confirm');
  await dialog.getByRole('button', { name: 'Reset 200 PINs' }).click();

  const progress = dialog.getByRole('progressbar', { name: 'Reset progress' });
  await expect(progress).toBeVisible();
  const done = chosen.length - inactive.length;
  const final = inactive.length ? `Done: ${done} reset, ${inactive.length} not reset.` : `Done: ${done} reset.`;
  // The bar moves: some value strictly between 0 and 200 is seen on the way (or it was too quick to see).
  const seen = new Set<string>();
  for (let i = 0; i < 400; i++) {
    const text = await dialog.getByRole('status').textContent();
    seen.add((await progress.getAttribute('aria-valuetext')) ?? '');
    if (text?.startsWith('Resetting') && seen.size === 2) await shot(page, 'bulk-3-running');
    if (text === final) break;
    await page.waitForTimeout(25);
  }
  await expect(dialog.getByRole('status')).toHaveText(final, { timeout: 30_000 });
  expect(seen.size, 'the progress bar showed intermediate values').toBeGreaterThan(2);
  await expect(progress).toHaveAttribute('aria-valuetext', '200 of 200');
  // Nothing to try again (inactive numbers cannot be reset): the focus is on Close, not on <body>.
  await expect(dialog.getByRole('button', { name: /^Select the/ })).toHaveCount(0);
  await expect(dialog.getByRole('button', { name: 'Close' })).toBeFocused();

  // Per-row results: the inactive ones are listed with the PBX's reason; the others as reset.
  if (inactive.length) {
    await expect(dialog.getByRole('button', { name: `Not reset (${inactive.length})` })).toHaveAttribute('aria-pressed', 'true');
    for (const e of inactive) {
      await expect(dialog.locator(`tr[data-number="${e.number}"]`)).toContainText('inactive');
    }
  }
  await dialog.getByRole('button', { name: `Reset (${done})` }).click();
  await expect(dialog.locator('tr[data-state="ok"]')).toHaveCount(done);
  await expect(dialog.locator(`tr[data-number="${own[0]!.number}"]`)).toContainText('Reset to the default PIN');
  await shot(page, 'bulk-4-results');
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.waitForTimeout(300); // let the 80 ms colour transitions finish
  await shot(page, 'bulk-4-results-dark');
  await page.emulateMedia({ colorScheme: 'light' });

  await dialog.getByRole('button', { name: 'Close' }).click();
  await expect(dialog).toBeHidden();

  // The PBX agrees, and the table followed its events without a reload.
  const after = new Map((await all()).map((e) => [e.number, e]));
  for (const e of chosen) {
    const now = after.get(e.number)!;
    if (e.status === 'active') expect(now.credentials.voicemail_pin.isDefault, e.number).toBe(true);
  }
  await page.getByLabel('Site').selectOption('');
  await page.getByLabel('Search extensions').fill(own[0]!.number);
  await expect(row(own[0]!.number).getByRole('gridcell').nth(7)).toHaveText('Default');
  await page.getByLabel('Search extensions').fill('');
  await bar.getByRole('button', { name: 'Clear selection' }).click();
  await expect(bar).toBeHidden();
});

test('Shift+click selects exactly the range from the anchor; Shift+arrows extend from the anchor', async () => {
  const grid = page.getByRole('grid', { name: 'Extensions' });
  const bar = page.getByRole('region', { name: 'Selection' });
  await expect(page.getByText('Showing 300 of 300 extensions')).toBeVisible();
  await expect(bar).toBeHidden();
  const at = (pos: number) => grid.locator(`[role="row"][data-pos="${pos}"]`);
  const numberAt = async (pos: number) => (await at(pos).getAttribute('data-number'))!;
  const rowsAt = async (from: number, to: number) => {
    const out: string[] = [];
    for (let p = from; p <= to; p++) out.push(await numberAt(p));
    return out;
  };
  /** Exactly rows from..to (by position) are selected among rows from-2..to+2. */
  const expectSelected = async (from: number, to: number) => {
    await expect(bar).toContainText(`${to - from + 1} selected`);
    for (let p = Math.max(0, from - 2); p <= to + 2; p++) {
      await expect(at(p), `row at ${p}`).toHaveAttribute('aria-selected', p >= from && p <= to ? 'true' : 'false');
    }
  };
  const names = await rowsAt(0, 9);

  // A plain click opens row 2 (and makes it the anchor); Shift+click on row 7 selects 2..7, nothing else.
  await at(2).click();
  await expect(page.locator('.ext-body.with-detail')).toBeVisible();
  await at(7).click({ modifiers: ['Shift'] });
  await expectSelected(2, 7);
  // The range follows the pointer from the same anchor: Shift+click on row 4 leaves 2..4.
  await at(4).click({ modifiers: ['Shift'] });
  await expectSelected(2, 4);
  await expect(at(4)).toBeFocused();
  await shot(page, 'bulk-selection-shift-click');
  await bar.getByRole('button', { name: 'Clear selection' }).click();
  await expect(bar).toBeHidden();

  // Keyboard: Space on row 1 selects it and sets the anchor; Shift+Down three times selects 1..4,
  // Shift+Up takes 4 back; plain arrows move on without selecting; Shift+Down then selects 1..7.
  await at(1).click();
  await page.keyboard.press('Escape'); // closes the detail; the focus goes back to row 1
  await expect(page.locator('.ext-body.with-detail')).toHaveCount(0);
  await expect(at(1)).toBeFocused();
  await page.keyboard.press(' ');
  await expectSelected(1, 1);
  for (let i = 0; i < 3; i++) await page.keyboard.press('Shift+ArrowDown');
  await expectSelected(1, 4);
  await page.keyboard.press('Shift+ArrowUp');
  await expectSelected(1, 3);
  for (let i = 0; i < 3; i++) await page.keyboard.press('ArrowDown');
  await expect(at(6)).toBeFocused();
  await expectSelected(1, 3);
  await page.keyboard.press('Shift+ArrowDown');
  await expect(at(7)).toBeFocused();
  await expectSelected(1, 7);
  // The rows stayed where they were (nothing re-sorted or scrolled under the selection).
  expect(await rowsAt(0, 9)).toEqual(names);
  await bar.getByRole('button', { name: 'Clear selection' }).click();
  await expect(bar).toBeHidden();
});

test.describe('a long run', () => {
  // Its own PBX with 2,000 generated numbers whose default PINs still need hashing: a reset of one site
  // (~667) takes several seconds on two cores, so there is time to cancel it.
  let big: ConsoleProcess;
  let bigToken: string;

  test.beforeAll(async () => {
    big = await startConsoleProcess({ args: ['--seed', '2000'] });
    const s = await requestFrom(`${big.pbxUrl}/api/v1/session`, { body: { username: 'admin', password: big.adminPassword } });
    bigToken = (s.body as { token: string }).token;
    // The same tab, now on the second console (its own port, so its own session cookie).
    await page.goto(big.launchUrl);
    await expect(page.getByRole('heading', { name: 'Extensions' })).toBeVisible({ timeout: 30_000 });
  });

  test.afterAll(async () => {
    await big?.stop();
  });

  const siteRows = async (site: string) => {
    const res = await requestFrom(`${big.pbxUrl}/api/v1/extensions?limit=1000&site=${site}`, { headers: { Authorization: `Bearer ${bigToken}` } });
    return (res.body as { items: Ext[] }).items;
  };
  const hqRows = () => siteRows('hq');

  test('while it runs the focus is on Cancel, and Escape twice (or a close of the dialog) does not close it', async () => {
    const n = (await siteRows('north')).length;
    await page.getByLabel('Site').selectOption('north');
    await page.getByRole('checkbox', { name: `Select all ${n} matching extensions` }).check();
    const bar = page.getByRole('region', { name: 'Selection' });
    await bar.getByRole('button', { name: 'Reset voicemail PINs to default…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Reset voicemail PINs to default' });
    await dialog.getByRole('button', { name: `Reset ${n} PINs` }).click();
    const status = dialog.getByRole('status');
    const cancel = dialog.getByRole('button', { name: 'Cancel' });
    // The Reset button that had the focus is gone: the focus is on the running Cancel, not on <body>.
    await expect(cancel).toBeFocused();
    await expect(status).toHaveText(new RegExp(`^Resetting… \\d+ of ${n} done\\.$`));

    // Escape, Escape: Chromium's second close request (no user activation in between) would close a
    // plain modal <dialog> without a cancelable `cancel` event. The run goes on, and so does the dialog.
    await page.keyboard.press('Escape');
    await page.keyboard.press('Escape');
    await expect(dialog).toBeVisible();
    await expect(status).toHaveText(/^Resetting… /);
    await expect(dialog).toContainText('The reset keeps going. To stop it, choose Cancel');
    await expect(cancel).toBeFocused();
    // Even a close of the element itself is undone while the run goes on (modal again, focus on Cancel).
    await page.locator('dialog.bulk-dialog').evaluate((d: HTMLDialogElement) => d.close());
    await expect(dialog).toBeVisible();
    expect(await page.locator('dialog.bulk-dialog').evaluate((d: HTMLDialogElement) => d.open && d.matches(':modal'))).toBe(true);
    await expect(cancel).toBeFocused();
    await expect(status).toHaveText(new RegExp(`^Resetting… [1-9]\\d* of ${n} done\\.$`), { timeout: 15_000 });
    await shot(page, 'bulk-6-running');
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.waitForTimeout(300);
    await shot(page, 'bulk-6-running-dark');
    await page.emulateMedia({ colorScheme: 'light' });

    // Cancel: the focus goes to the next action (select the ones not reset), never to <body>.
    await cancel.click();
    await expect(status).toHaveText(/^Cancelled: \d+ reset, \d+ not started/, { timeout: 15_000 });
    const select = dialog.getByRole('button', { name: /^Select the \d+ not reset$/ });
    await expect(select).toBeFocused();
    await shot(page, 'bulk-7-cancelled');
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.waitForTimeout(300);
    await shot(page, 'bulk-7-cancelled-dark');
    await page.emulateMedia({ colorScheme: 'light' });
    // Over: Escape closes it now.
    await page.keyboard.press('Escape');
    await expect(dialog).toBeHidden();
    await bar.getByRole('button', { name: 'Clear selection' }).click();
    await expect(bar).toBeHidden();
    await page.getByLabel('Site').selectOption('');
  });

  test('cancel part-way: what was sent is reset, the rest is “not started”, and the PBX agrees', async () => {
    const before = await hqRows();
    const n = before.length;
    await page.getByLabel('Site').selectOption('hq');
    await page.getByRole('checkbox', { name: `Select all ${n} matching extensions` }).check();
    const bar = page.getByRole('region', { name: 'Selection' });
    await bar.getByRole('button', { name: 'Reset voicemail PINs to default…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Reset voicemail PINs to default' });
    await dialog.getByRole('button', { name: `Reset ${n} PINs` }).click();
    await expect(dialog.getByRole('button', { name: 'Cancel' })).toBeFocused();
    await expect(dialog.getByRole('status')).toHaveText(new RegExp(`Resetting… [1-9]\\d* of ${n} done\\.`), { timeout: 15_000 });
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await expect(dialog.getByRole('status')).toHaveText(/^Cancelled: \d+ reset, \d+ not started/, { timeout: 15_000 });
    const status = (await dialog.getByRole('status').textContent())!;
    const m = /Cancelled: (\d+) reset, (\d+) not started(?:, (\d+) not reset)?/.exec(status)!;
    const [ok, notStarted, failed] = [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
    expect(ok + notStarted + failed).toBe(n);
    expect(ok).toBeGreaterThan(0);
    expect(notStarted).toBeGreaterThan(0);
    await shot(page, 'bulk-5-cancelled');

    // The PBX agrees: exactly `ok` numbers changed, and none of the listed "not started" ones did.
    await dialog.getByRole('button', { name: `Not started (${notStarted})` }).click();
    const listed = await dialog.locator('tr[data-state="not_started"]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-number')));
    expect(listed.length).toBe(Math.min(notStarted, 300));
    const after = new Map((await hqRows()).map((e) => [e.number, e]));
    const changed = before.filter((e) => after.get(e.number)!.etag !== e.etag).map((e) => e.number);
    expect(changed).toHaveLength(ok);
    for (const x of listed) expect(changed).not.toContain(x);

    // "Select the ones not reset" narrows the selection to those worth another try: the ones not started,
    // not the inactive ones (a reset cannot succeed for them), and it says so.
    const select = dialog.getByRole('button', { name: `Select the ${notStarted} not reset` });
    if (failed > 0) {
      await expect(dialog.locator('.bulk-left-out')).toHaveText(`Left out of “Select”: ${failed} ${failed === 1 ? 'is' : 'are'} inactive.`);
    }
    await select.click();
    await expect(dialog).toBeHidden();
    await expect(bar).toContainText(`${notStarted} selected`);
  });
});

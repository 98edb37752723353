// E2E: the lock state in the extensions table (SPEC F3, "credential-health columns … lock state"). Failed
// voicemail sign-ins through the device API (from another host, 127.0.0.2) show "N failed", the fifth
// "Locked", live and without reload; the detail panel's Unlock (and a reset elsewhere) clears it again.
import { expect, test, type Page } from '@playwright/test';
import { requestFrom, startConsoleProcess, type ConsoleProcess } from '../support/console-process.js';
import { adminToken, pbxApiOf, shot } from '../support/e2e.js';

test.describe.configure({ mode: 'serial' });

interface Ext {
  number: string;
  siteId: string;
  status: string;
  voicemail: boolean;
  type: string;
}

let app: ConsoleProcess;
let token: string;
let page: Page;
const api = pbxApiOf(() => app.pbxUrl, () => token);

test.beforeAll(async ({ browser }) => {
  app = await startConsoleProcess();
  page = await (await browser.newContext()).newPage();
  token = await adminToken(app);
});

test.afterAll(async () => {
  await app?.stop();
});

test('failed sign-ins show in the Lock column live; the fifth locks; a reset clears it', async () => {
  const list = await api<{ items: Ext[] }>('GET', '/extensions?limit=1000');
  const target = list.body.items.find((e) => e.type === 'phone_terminal' && e.status === 'active' && e.voicemail && e.siteId === 'north');
  expect(target).toBeTruthy();
  const n = target!.number;
  const wrongPin = () =>
    requestFrom(`${app.pbxUrl}/device/v1/voicemail/login`, { method: 'POST', body: { extension: n, pin: '907315246' }, localAddress: '127.0.0.2' });

  await page.goto(app.launchUrl);
  await expect(page.getByRole('heading', { name: 'Extensions' })).toBeVisible({ timeout: 30_000 });
  await page.getByLabel('Search extensions').fill(n);
  const row = page.getByRole('row').filter({ has: page.getByRole('gridcell', { name: n, exact: true }) });
  await expect(row).toHaveCount(1);
  const lockCell = row.getByRole('gridcell').last();
  await expect(page.getByRole('columnheader', { name: 'Lock' })).toBeVisible();
  await expect(lockCell).toHaveText('—');

  for (let i = 0; i < 3; i++) expect((await wrongPin()).status).toBe(403);
  await expect(lockCell).toHaveText('3 failed');
  await expect(lockCell).toHaveAttribute('title', 'Voicemail: 3 of 5 failed sign-ins before a lock');
  for (let i = 0; i < 2; i++) expect((await wrongPin()).status).toBe(403);
  await expect(lockCell).toHaveText('Locked');
  await expect(lockCell).toHaveAttribute('title', /^Voicemail locked until /);
  await shot(page, '64-extensions-lock-column');

  // The detail panel says what is locked and unlocks it (keyboard: Enter opens the row, Tab to Unlock).
  await page.getByLabel('Search extensions').press('Enter');
  const detail = page.getByRole('region', { name: `Extension ${n}` });
  const lockout = detail.getByRole('region', { name: 'Lockout' });
  await expect(lockout).toContainText('Voicemail: locked after 5 failed sign-ins (last from 127.0.0.2)');
  await shot(page, '65-extension-detail-locked');
  await lockout.getByRole('button', { name: 'Unlock' }).click();
  await expect(lockout.getByRole('status')).toContainText(`Unlocked. ${n} can sign in again`);
  await expect(lockCell).toHaveText('—');
  const locks = await api<{ items: { extension: string }[] }>('GET', '/lockouts/extensions');
  expect(locks.body.items.filter((l) => l.extension === n)).toEqual([]);

  // A reset elsewhere (the API here) clears the cell live too.
  for (let i = 0; i < 2; i++) expect((await wrongPin()).status).toBe(403);
  await expect(lockCell).toHaveText('2 failed');
  const reset = await api('POST', '/lockouts/extensions/reset', { items: [{ extension: n }] });
  expect(reset.status).toBe(200);
  await expect(lockCell).toHaveText('—');
});

// E2E: the Audit log screen (issue 6) in Chromium against the real console and its real embedded reference PBX.
//
// 1. The admin blocks and unblocks a phone through the PBX API (the records have the admin as actor), opens the
//    Audit log: the newest records first with the total, "Load more" pages on; the `protection.block` record
//    says who, from where, what and what changed, the full JSON on expand; filtering by an action group
//    (`protection.`, Enter in the field) and by who.
// 2. Verify chain: intact, N records checked, the head hash. Export CSV: a download with the header and the
//    blocked phone's record; the button says how many rows.
// 3. Someone edits a record in the PBX's database directly: Verify shows "Broken at record #id", and "Show
//    record #id" brings that row into the table, highlighted and focused, with the edited detail (dark mode).
// 4. A receptionist is offered no Audit log (and the PBX refuses her the audit API).
import { expect, test, type Browser, type BrowserContext, type Page } from '@playwright/test';
import Database from 'better-sqlite3';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { requestFrom, startConsoleProcess, type ConsoleProcess } from '../support/console-process.js';
import { adminAndReceptionist, connectAsReceptionist, pbxApiOf, shot, tallShot } from '../support/e2e.js';

test.describe.configure({ mode: 'serial' });

interface AuditRow {
  id: number;
  actor: string;
  action: string;
  target: string | null;
}

let app: ConsoleProcess;
let token: string;
let context: BrowserContext;
let page: Page;
let receptionPassword: string;
/** The phone blocked through the API, and the id of its `protection.block` record. */
let phone: string;
let blockId: number;

const api = pbxApiOf(() => app.pbxUrl, () => token);

const CSV_HEADER = 'id,at,actor,address,action,target,detail,prev_hash,hash';

function records(p: Page) {
  return p.getByRole('table', { name: 'Records' });
}

function rowOf(p: Page, id: number) {
  return records(p).locator(`tbody tr[data-id="${id}"]`);
}

async function openAudit(p: Page): Promise<void> {
  await p.getByRole('navigation', { name: 'Screens' }).getByRole('button', { name: 'Audit log' }).click();
  await expect(p.getByRole('heading', { level: 1, name: 'Audit log' })).toBeVisible();
}

test.beforeAll(async ({ browser }: { browser: Browser }) => {
  app = await startConsoleProcess();
  ({ context, page, receptionPassword, token } = await adminAndReceptionist(app, browser));

  // An admin blocks a protected phone and unblocks it again, 30 times (60 records: more than a page), then
  // blocks it once more — the record the test follows.
  const list = await api<{ items: Array<{ number: string; etag: string }> }>('GET', '/extensions?limit=5&protection=unrestricted');
  const ext = list.body.items[0]!;
  phone = ext.number;
  let etag = ext.etag;
  for (let i = 0; i < 61; i++) {
    const res = await api<{ etag: string }>('POST', `/extensions/${phone}/protection/${i % 2 === 0 ? 'block' : 'unblock'}`, undefined, { 'If-Match': etag });
    expect(res.status, res.text).toBe(200);
    etag = res.body.etag;
  }
  const last = await api<{ items: AuditRow[] }>('GET', '/audit?action=protection.block&limit=1');
  blockId = last.body.items[0]!.id;
  expect(last.body.items[0]).toMatchObject({ actor: 'admin', target: `extension:${phone}` });
});

test.afterAll(async () => {
  await context?.close();
  await app?.stop();
});

test('the admin reads the log: newest first, paged, the detail of a block, filters by action group and by who', async () => {
  await page.goto(app.launchUrl);
  await expect(page.getByRole('heading', { name: 'Extensions' })).toBeVisible({ timeout: 30_000 });
  await openAudit(page);

  const all = await api<{ total: number; items: AuditRow[] }>('GET', '/audit?limit=1');
  const total = all.body.total;
  expect(total).toBeGreaterThan(61);
  const section = page.getByRole('region', { name: 'Records' });
  await expect(section.getByRole('status').filter({ hasText: `${total} records` })).toBeVisible();

  // Newest first: the last block is the first row.
  const first = records(page).locator('tbody tr').first();
  await expect(first).toHaveAttribute('data-id', String(blockId));
  const row = rowOf(page, blockId);
  await expect(row).toContainText('protection.block');
  await expect(row.locator('td.c-actor')).toHaveText('admin');
  await expect(row).toContainText('127.0.0.1');
  await expect(row).toContainText(`extension:${phone}`);
  await expect(row).toContainText('state: blocked');
  await expect(row).toContainText('just now');
  await expect(section).toContainText(`Showing 50 of ${total}`);
  await shot(page, '80-audit-list');

  // Load more: the rest of the records, the oldest (the PBX's first start) last.
  await section.getByRole('button', { name: /^Load \d+ more$/ }).click();
  await expect(section).toContainText(`Showing ${total} of ${total}`);
  await expect(section.getByRole('button', { name: /^Load \d+ more$/ })).toHaveCount(0);
  await expect(records(page).locator('tbody tr').last()).toContainText('server.initialised');
  await expect(records(page).locator('tbody tr').last().locator('td.c-actor')).toHaveText('system');

  // A group of actions: "protection." typed, Enter applies. Only protection records, and their number.
  const action = page.getByLabel('Action', { exact: true });
  await action.fill('protection.');
  await action.press('Enter');
  await expect(section.getByRole('status').filter({ hasText: '61 matching records' })).toBeVisible();
  const actions = await records(page).locator('tbody .audit-action').allTextContents();
  expect(actions.length).toBe(50);
  expect(actions.every((a) => a === 'protection.block' || a === 'protection.unblock')).toBe(true);
  await expect(section.getByRole('button', { name: 'Export CSV (61 rows)' })).toBeVisible();

  // The full record on expand: the detail as JSON and its hashes.
  await row.getByRole('button', { name: `Show details of record ${blockId}` }).click();
  const details = records(page).locator('tr.audit-detail-row');
  await expect(details).toContainText('"state": "blocked"');
  await expect(details).toContainText('Previous hash');
  await page.locator('main').evaluate((m) => m.scrollTo(0, 0));
  await shot(page, '81-audit-filtered-details');
  await row.getByRole('button', { name: `Hide details of record ${blockId}` }).press('Enter');
  await expect(details).toHaveCount(0);

  // Who: the system's records (the PBX's first start); an exact action that matches nothing says so.
  await action.fill('');
  await page.getByLabel('Who', { exact: true }).fill('system');
  await page.getByLabel('Who', { exact: true }).press('Enter');
  await expect(records(page)).toContainText('server.initialised');
  await expect(records(page)).not.toContainText('protection.block');
  await page.getByLabel('Who', { exact: true }).fill('admin');
  await action.fill('protection');
  await action.press('Enter');
  await expect(section.getByText('No record matches these filters.')).toBeVisible();

  // A time range backwards is refused at the field, before asking the PBX.
  await page.getByLabel('From', { exact: true }).fill('2030-01-15T10:00');
  await page.getByLabel('To', { exact: true }).fill('2030-01-15T09:00');
  await page.getByLabel('To', { exact: true }).press('Enter');
  await expect(page.getByText('To must not be before From')).toBeVisible();
  await section.getByRole('button', { name: 'Clear', exact: true }).click();
  await expect(page.getByText('To must not be before From')).toHaveCount(0);
  await expect(section.getByRole('status').filter({ hasText: `${total} records` })).toBeVisible();
});

test('verify: intact with the head hash; export: a CSV of what the filters match', async () => {
  const section = page.getByRole('region', { name: 'Records' });
  // Keyboard: the button focused and Enter.
  await page.getByRole('button', { name: 'Verify chain' }).focus();
  await page.keyboard.press('Enter');
  const intact = page.locator('.audit-verify.intact');
  await expect(intact).toContainText(/^Intact: \d+ records checked, head hash [0-9a-f]{12}…/);
  const v = await api<{ checked: number; headHash: string }>('GET', '/audit/verify');
  await expect(intact).toContainText(`Intact: ${v.body.checked} records checked, head hash ${v.body.headHash.slice(0, 12)}…`);
  await intact.getByText('Full head hash').click();
  await expect(intact).toContainText(v.body.headHash);

  // Export the protection records.
  await page.getByLabel('Action', { exact: true }).fill('protection.block');
  await page.getByLabel('Action', { exact: true }).press('Enter');
  const button = section.getByRole('button', { name: 'Export CSV (31 rows)' });
  await expect(button).toBeVisible();
  const [download] = await Promise.all([page.waitForEvent('download'), button.click()]);
  expect(download.suggestedFilename()).toMatch(/^audit-\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}\.csv$/);
  const csv = readFileSync((await download.path())!, 'utf8');
  const lines = csv.trimEnd().split('\r\n');
  expect(lines[0]).toBe(CSV_HEADER);
  expect(lines.length).toBe(32);
  // oldest first; the last line is the block the test follows
  expect(lines[31]).toMatch(new RegExp(`^${blockId},[^,]+,admin,127\\.0\\.0\\.1,protection\\.block,extension:${phone},`));
  await expect(section.getByText(`Saved ${download.suggestedFilename()}: 31 records.`)).toBeVisible();
  await shot(page, '82-audit-verify-intact-export');

  // The export is itself a record, written after the file was made.
  const exported = await api<{ items: AuditRow[] }>('GET', '/audit?action=audit.exported&limit=1');
  expect(exported.body.items[0]).toMatchObject({ actor: 'admin', action: 'audit.exported' });
});

test('a record edited in the database: Verify says where the chain breaks and shows that record', async () => {
  // Someone with access to the PBX's files rewrites the block's detail.
  const db = new Database(path.join(app.home, 'reference-pbx', 'pbx.sqlite'));
  try {
    const changed = db.prepare('UPDATE audit SET detail = ? WHERE id = ?').run('{"tampered":true}', blockId);
    expect(changed.changes).toBe(1);
  } finally {
    db.close();
  }

  await page.getByRole('button', { name: 'Verify chain' }).click();
  const broken = page.getByRole('alert').filter({ hasText: `Broken at record #${blockId}` });
  await expect(broken).toContainText(`Broken at record #${blockId}: Record ${blockId} was changed after it was written`);
  await expect(broken).toContainText(`The ${blockId - 1} records before it are intact.`);
  await shot(page, '83-audit-broken');

  // Show it: the filters cleared, the table from that record down, the row marked, focused and expanded.
  // From the keyboard: the button focused, Enter; the focus lands on the row.
  await broken.getByRole('button', { name: `Show record #${blockId}` }).focus();
  await page.keyboard.press('Enter');
  const row = rowOf(page, blockId);
  await expect(row).toBeFocused();
  await expect(row).toHaveClass(/broken/);
  await expect(row).toContainText('chain breaks here');
  await expect(row).toContainText('tampered: yes');
  await expect(page.getByLabel('Action', { exact: true })).toHaveValue('');
  await expect(page.getByText(`Showing record #${blockId} and the records before it.`)).toBeVisible();
  await expect(records(page).locator('tr.audit-detail-row')).toContainText('"tampered": true');
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.waitForTimeout(300);
  await shot(page, '84-audit-broken-record-dark');
  await page.emulateMedia({ colorScheme: 'light' });

  // Back to the newest records.
  await page.getByRole('button', { name: 'Back to the newest' }).click();
  await expect(records(page).locator('tbody tr').first()).toContainText('audit.exported');
});

test('a receptionist is offered no Audit log, and the PBX refuses her the audit API', async () => {
  const session = await requestFrom(`${app.pbxUrl}/api/v1/session`, { body: { username: 'reception', password: receptionPassword } });
  const receptionToken = (session.body as { token: string }).token;
  const refused = await requestFrom(`${app.pbxUrl}/api/v1/audit`, { method: 'GET', headers: { Authorization: `Bearer ${receptionToken}` } });
  expect(refused.status).toBe(403);

  await connectAsReceptionist(page, app.pbxUrl, receptionPassword);
  await expect(page.getByLabel('Find an extension')).toBeVisible({ timeout: 30_000 });
  const nav = page.getByRole('navigation', { name: 'Screens' });
  await expect(nav.getByRole('button', { name: 'Hot desking' })).toBeVisible();
  await expect(nav.getByRole('button', { name: 'Audit log' })).toHaveCount(0);
  await expect(page.getByText('Loading extensions…')).toHaveCount(0);
  await tallShot(page, '85-audit-not-for-receptionist');
});

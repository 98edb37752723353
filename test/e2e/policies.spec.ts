// E2E: the PIN policy editor (SPEC F2) against the real reference PBX, in browser mode, in Debian Chromium:
// bad input names the field and blocks Save with nothing changed on the PBX; a preset in one click; the
// tester shows each rule met/unmet against the draft and asks the PBX for the server-only rules; Save with
// the etag; the Credentials section's live feedback then refuses a PIN it accepted before; a change made
// elsewhere shows up live, and a stale save (412) shows both versions and reloads.
import { expect, test, type Locator, type Page } from '@playwright/test';
import { startConsoleProcess, type ConsoleProcess } from '../support/console-process.js';
import { shot as shotFile, adminToken, pbxApiOf, secret } from '../support/e2e.js';

const shot = (page: Page, name: string) => shotFile(page, name, { fullPage: true });

test.describe.configure({ mode: 'serial' });

interface Ext {
  number: string;
  label: string;
  type: string;
  status: string;
  credentials: { voicemail_pin: { isDefault: boolean } };
}
interface PolicyResource {
  kind: string;
  policy: Record<string, unknown> & { minLength: number; maxLength: number };
  preset: string | null;
  version: number;
  etag: string;
  updatedBy: string | null;
}

let app: ConsoleProcess;
let token: string;
let page: Page;
let target: { number: string; label: string };
/** Accepted by the default (essensys 4–12) policy, refused by Strict (6–12). */
const SHORT_PIN = secret('4807', 'voicemail PIN typed (too short)');

const api = pbxApiOf(() => app.pbxUrl, () => token);

const voicemailPolicy = async () => (await api<PolicyResource>('GET', '/policies/pin/voicemail_pin')).body;

function screens(p: Page): Locator {
  return p.getByRole('navigation', { name: 'Screens' });
}

async function openCredentials(p: Page): Promise<Locator> {
  await screens(p).getByRole('button', { name: 'Extensions' }).click();
  await expect(p.getByRole('heading', { name: 'Extensions' })).toBeVisible({ timeout: 30_000 });
  await p.getByLabel('Search extensions').fill(target.number);
  await p.getByRole('grid', { name: 'Extensions' }).getByRole('row').filter({ hasText: target.number }).first().click();
  const creds = p.getByRole('region', { name: `Extension ${target.number}` }).getByRole('region', { name: 'Credentials' });
  await expect(creds).toBeVisible();
  return creds;
}

async function openPolicies(p: Page): Promise<Locator> {
  await screens(p).getByRole('button', { name: 'PIN policies' }).click();
  await expect(p.getByRole('heading', { name: 'PIN policies', level: 1 })).toBeVisible();
  const editor = p.getByRole('region', { name: 'Voicemail PIN policy' });
  await expect(editor).toBeVisible();
  return editor;
}

test.beforeAll(async ({ browser }) => {
  app = await startConsoleProcess();
  page = await (await browser.newContext()).newPage();
  token = await adminToken(app);
  const list = await api<{ items: Ext[] }>('GET', '/extensions?limit=1000&type=phone_terminal');
  const pick = list.body.items.find((e) => e.status === 'active' && e.credentials.voicemail_pin.isDefault && e.number !== SHORT_PIN);
  expect(pick, 'a seeded phone terminal whose voicemail PIN is still the default').toBeTruthy();
  target = { number: pick!.number, label: pick!.label };
});

test.afterAll(async () => {
  await app?.stop();
});

test('edit the voicemail PIN policy: bad input refused, preset, tester, save; Credentials feedback follows', async () => {
  await page.goto(app.launchUrl);
  await expect(page.getByRole('heading', { name: 'Extensions' })).toBeVisible({ timeout: 30_000 });
  await expect(screens(page).getByRole('button', { name: 'PIN policies' })).toBeVisible();

  // Before: the default policy accepts a 4-digit PIN in the Credentials section.
  let creds = await openCredentials(page);
  await creds.getByRole('button', { name: 'Change Voicemail PIN' }).click();
  await creds.getByLabel('New voicemail PIN').fill(SHORT_PIN);
  let rules = creds.getByRole('list', { name: 'Rules for the voicemail PIN' });
  await expect(rules.locator('.rule-met').filter({ hasText: /4 to 12 digits/ })).toBeVisible();
  await expect(rules.locator('.rule-unmet')).toHaveCount(0);
  await creds.getByLabel('New voicemail PIN').press('Escape');

  // The editor: the voicemail PIN policy is the essensys default, never changed.
  const editor = await openPolicies(page);
  const kinds = page.getByRole('navigation', { name: 'Credential kinds' });
  for (const k of ['Voicemail PIN', 'Login code', 'Phone password', 'User password', 'Protection password']) {
    await expect(kinds.getByRole('button', { name: new RegExp(`^${k}`) })).toBeVisible();
  }
  await expect(kinds.getByRole('button', { name: /^Voicemail PIN/ })).toHaveAttribute('aria-current', 'true');
  await expect(editor).toContainText('On the PBX now: essensys (default)');
  await expect(editor).toContainText('Never changed');
  await shot(page, '40-policies');
  const before = await voicemailPolicy();

  const min = editor.getByLabel('Minimum length', { exact: true });
  const max = editor.getByLabel('Maximum length', { exact: true });
  const save = editor.getByRole('button', { name: 'Save voicemail PIN policy' });
  await expect(min).toHaveValue('4');
  await expect(save).toBeDisabled();

  // Bad input: each message names the field and the rule; Save stays disabled.
  await min.fill('-1');
  await expect(min).toHaveAttribute('aria-invalid', 'true');
  await expect(editor.getByText('Minimum length must be 0 or more (you entered -1).')).toBeVisible();
  await expect(save).toBeDisabled();
  await expect(editor.getByText(/Fix this field first: Minimum length/)).toBeVisible();
  await min.fill('13');
  await expect(editor.getByText('The minimum length (13) must not exceed the maximum length (12).')).toBeVisible();
  await expect(save).toBeDisabled();
  await max.fill('40');
  await expect(editor.getByText('Maximum length must be 15 or less: a voicemail PIN is at most 15 long (you entered 40).')).toBeVisible();
  await max.fill('');
  await expect(editor.getByText('Maximum length is empty: enter a whole number.')).toBeVisible();
  await expect(save).toBeDisabled();
  await shot(page, '41-policies-bad-input');
  // Enter in a field does not save either, and the PBX still has the old version.
  await min.press('Enter');
  expect(await voicemailPolicy()).toMatchObject({ version: before.version, policy: { minLength: 4, maxLength: 12 } });

  // Discard brings back what is on the PBX.
  await editor.getByRole('button', { name: 'Discard changes' }).click();
  await expect(min).toHaveValue('4');
  await expect(max).toHaveValue('12');
  await expect(save).toBeDisabled();

  // Keyboard: ArrowUp steps a number field.
  await min.focus();
  await min.press('ArrowUp');
  await expect(min).toHaveValue('5');
  await expect(editor.getByText(/Your draft: custom rules — not saved yet/)).toBeVisible();
  await expect(kinds.getByRole('button', { name: /^Voicemail PIN/ })).toContainText('Unsaved');

  // The Strict preset in one click.
  const strict = editor.getByRole('button', { name: /^Strict/ });
  await strict.click();
  await expect(strict).toHaveAttribute('aria-pressed', 'true');
  await expect(min).toHaveValue('6');
  await expect(editor.getByText(/Your draft: Strict preset — not saved yet/)).toBeVisible();

  // The tester runs the shared engine against the DRAFT.
  const tester = page.getByRole('region', { name: 'Try a value' });
  await expect(tester).toContainText('against your draft');
  await tester.getByLabel('Voicemail PIN to try').fill(SHORT_PIN);
  await tester.getByLabel('For extension (optional)').fill(target.number);
  const testerRules = tester.getByRole('list', { name: 'Rules for the voicemail PIN' });
  await expect(testerRules.locator('.rule-unmet').filter({ hasText: /6 to 12 digits — not met/ })).toBeVisible();
  await expect(testerRules.locator('.rule-met').filter({ hasText: /Digits 0–9 only/ })).toBeVisible();
  await expect(tester.getByRole('status').first()).toContainText('Would be refused: 1 rule not met.');
  await tester.getByLabel('Voicemail PIN to try').fill(target.number);
  await expect(testerRules.locator('.rule-unmet').filter({ hasText: /Not the extension number/ })).toBeVisible();
  await tester.getByLabel('Voicemail PIN to try').fill(secret('480713', 'PIN typed into the policy tester'));
  await expect(testerRules.locator('.rule-unmet')).toHaveCount(0);
  await expect(testerRules.getByText(/Not the default PIN/)).toContainText('press “Check on the PBX”');
  // The PBX decides the default-PIN rule — for the draft, nothing saved; it never tells whether a value was
  // used before (that would give away PINs): history is checked when a PIN is set.
  await tester.getByRole('button', { name: 'Check on the PBX' }).click();
  await expect(tester.getByText('The PBX found no problem. Whether it was used before is checked when it is set.')).toBeVisible();
  await expect(testerRules.locator('.rule-met').filter({ hasText: /Not the default PIN — met \(checked on the PBX\)/ })).toBeVisible();
  // The number's default PIN is refused by the PBX.
  const def = await api<{ defaultPin: string }>('GET', `/extensions/${target.number}/credentials/voicemail-pin/default`);
  await tester.getByLabel('Voicemail PIN to try').fill(def.body.defaultPin);
  await tester.getByRole('button', { name: 'Check on the PBX' }).click();
  await expect(tester.getByText(/The PBX would refuse it/)).toBeVisible();
  await expect(testerRules.locator('.rule-unmet').filter({ hasText: /Not the default PIN — not met/ })).toBeVisible();
  await tester.getByLabel('Voicemail PIN to try').fill(SHORT_PIN);
  await shot(page, '42-policies-draft-tester');
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.waitForTimeout(250);
  await shot(page, '43-policies-draft-tester-dark');
  await page.emulateMedia({ colorScheme: 'light' });
  expect((await voicemailPolicy()).version).toBe(before.version);

  // Save: with the etag; the PBX now has the Strict preset, by admin.
  await expect(save).toBeEnabled();
  await save.click();
  await expect(editor.getByRole('status').filter({ hasText: 'Saved.' })).toBeVisible();
  await expect(editor).toContainText('On the PBX now: Strict');
  await expect(editor).toContainText(/Last changed by admin just now/);
  await expect(save).toBeDisabled();
  const after = await voicemailPolicy();
  expect(after).toMatchObject({ version: before.version + 1, preset: 'strict', updatedBy: 'admin', policy: { minLength: 6 } });
  await expect(kinds.getByRole('button', { name: /^Voicemail PIN/ })).toContainText('Strict');
  await expect(kinds.getByRole('button', { name: /^Voicemail PIN/ })).not.toContainText('Unsaved');
  await shot(page, '44-policies-saved');

  // The same PIN in the Credentials section now fails the length rule. A fresh console session loads the
  // new policy (the live case without a reload is the next test).
  await page.reload();
  await expect(page.getByRole('heading', { name: 'Extensions' })).toBeVisible({ timeout: 30_000 });
  creds = await openCredentials(page);
  await creds.getByRole('button', { name: 'Change Voicemail PIN' }).click();
  await creds.getByLabel('New voicemail PIN').fill(SHORT_PIN);
  rules = creds.getByRole('list', { name: 'Rules for the voicemail PIN' });
  await expect(rules.locator('.rule-unmet').filter({ hasText: /6 to 12 digits/ })).toBeVisible();
  await expect(creds.getByRole('button', { name: 'Save', exact: true })).toBeDisabled();
  await shot(page, '45-credentials-strict');
  await creds.getByLabel('New voicemail PIN').press('Escape');
});

test('a policy change made elsewhere shows up live in the editor; a dirty draft gets the conflict view', async () => {
  const editor = await openPolicies(page);
  const min = editor.getByLabel('Minimum length', { exact: true });
  await expect(min).toHaveValue('6');

  // Not edited here: another admin's change simply appears (settings.changed).
  let cur = await voicemailPolicy();
  const res = await api('PUT', '/policies/pin/voicemail_pin', { ...cur.policy, minLength: 7 }, { 'If-Match': cur.etag });
  expect(res.status).toBe(200);
  await expect(min).toHaveValue('7');
  await expect(editor.getByText(/policy was changed on the PBX by admin/)).toBeVisible();
  await expect(editor).toContainText('On the PBX now: Custom');

  // Edited here: the other change shows both versions and blocks Save until one is chosen.
  await min.fill('8');
  cur = await voicemailPolicy();
  await api('PUT', '/policies/pin/voicemail_pin', { ...cur.policy, minLength: 5 }, { 'If-Match': cur.etag });
  const conflict = editor.getByRole('group', { name: /changed by someone else/ });
  await expect(conflict).toBeVisible();
  await expect(conflict).toContainText('Your version');
  await expect(conflict).toContainText('8 to 12 digits');
  await expect(conflict).toContainText('Now on the PBX');
  await expect(conflict).toContainText('5 to 12 digits');
  await expect(editor.getByRole('button', { name: 'Save voicemail PIN policy' })).toBeDisabled();
  await shot(page, '46-policies-conflict');
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.waitForTimeout(250);
  await shot(page, '47-policies-conflict-dark');
  await page.emulateMedia({ colorScheme: 'light' });
  await conflict.getByRole('button', { name: 'Reload: use the PBX version' }).click();
  await expect(conflict).toHaveCount(0);
  await expect(min).toHaveValue('5');
  expect((await voicemailPolicy()).policy.minLength).toBe(5);
});

test('a stale save (events missed) gets 412: both versions shown, keep mine and save again', async () => {
  const editor = await openPolicies(page);
  const min = editor.getByLabel('Minimum length', { exact: true });
  await expect(min).toHaveValue('5');
  // The console stops hearing live events; meanwhile an admin elsewhere changes the policy.
  await page.route('**/rpc/events', (route) => route.abort('connectionreset'));
  await page.evaluate('window.stop()');
  const cur = await voicemailPolicy();
  await api('PUT', '/policies/pin/voicemail_pin', { ...cur.policy, historyCount: 3 }, { 'If-Match': cur.etag });

  await min.fill('9');
  await min.press('Enter');
  const conflict = editor.getByRole('group', { name: /changed by someone else/ });
  await expect(conflict).toBeVisible();
  await expect(conflict).toContainText('the last 3 refused');
  await conflict.getByRole('button', { name: 'Keep my version (then save)' }).click();
  await expect(conflict).toHaveCount(0);
  await editor.getByRole('button', { name: 'Save voicemail PIN policy' }).click();
  await expect(editor.getByRole('status').filter({ hasText: 'Saved.' })).toBeVisible();
  const after = await voicemailPolicy();
  // "Keep my version" keeps the whole draft, which was based on the older version (history 5).
  expect(after.policy).toMatchObject({ minLength: 9, historyCount: 5 });
  await page.unroute('**/rpc/events');
});

test('the Credentials section follows a policy change live, without a reload', async () => {
  // No reload in this test: a marker on the window proves the same page (and its policy cache, loaded
  // under an older policy before the previous test) lives on to the end, and the typed PIN stays typed.
  await page.evaluate(() => {
    (window as unknown as { noReloadMarker?: string }).noReloadMarker = 'same page';
  });
  const samePage = async () => expect(await page.evaluate(() => (window as unknown as { noReloadMarker?: string }).noReloadMarker)).toBe('same page');
  const creds = await openCredentials(page);
  await creds.getByRole('button', { name: 'Change Voicemail PIN' }).click();
  const input = creds.getByLabel('New voicemail PIN');
  await input.fill(SHORT_PIN);
  const rules = creds.getByRole('list', { name: 'Rules for the voicemail PIN' });
  const save = creds.getByRole('button', { name: 'Save', exact: true });
  // The previous test saved 9–12 while this page heard no events; the stream came back (resync), so the
  // feedback already follows the PBX's policy, not the one this page first loaded (6–12).
  await expect(rules.locator('.rule-unmet').filter({ hasText: /9 to 12 digits/ })).toBeVisible({ timeout: 15_000 });
  await expect(save).toBeDisabled();

  // Another admin goes back to the default: the open form's feedback follows (settings.changed).
  let cur = await voicemailPolicy();
  let res = await api('PUT', '/policies/pin/voicemail_pin', { ...cur.policy, minLength: 4, maxLength: 12, maxRepeatedDigits: 3, historyCount: 1 }, { 'If-Match': cur.etag });
  expect(res.status).toBe(200);
  await expect(rules.locator('.rule-met').filter({ hasText: /4 to 12 digits/ })).toBeVisible({ timeout: 5_000 });
  await expect(rules.locator('.rule-unmet')).toHaveCount(0);
  await expect(input).toHaveValue(SHORT_PIN);
  await expect(input).toBeFocused();
  await expect(save).toBeEnabled();
  await samePage();

  // Events missed: the console stops hearing them while the policy goes to 5–12; once the stream is back
  // (resync), the open form follows, still with the same PIN typed in.
  await page.route('**/rpc/events', (route) => route.abort('connectionreset'));
  await page.evaluate('window.stop()');
  cur = await voicemailPolicy();
  res = await api('PUT', '/policies/pin/voicemail_pin', { ...cur.policy, minLength: 5 }, { 'If-Match': cur.etag });
  expect(res.status).toBe(200);
  await page.waitForTimeout(500);
  await expect(rules.locator('.rule-met').filter({ hasText: /4 to 12 digits/ })).toBeVisible();
  await page.unroute('**/rpc/events');
  await expect(rules.locator('.rule-unmet').filter({ hasText: /5 to 12 digits/ })).toBeVisible({ timeout: 15_000 });
  await expect(input).toHaveValue(SHORT_PIN);
  await expect(save).toBeDisabled();
  await samePage();
  await shot(page, '48-credentials-policy-live');
});

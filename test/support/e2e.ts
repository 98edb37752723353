// What the e2e specs share: screenshots into test/output/screens (look at them), and the admin's view of
// the PBX API beside the console (to set up state and to check that the PBX agrees with what the UI shows).
import { expect, type Browser, type BrowserContext, type Page } from '@playwright/test';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { repoRoot, requestFrom, type ConsoleProcess } from './console-process.js';

/** The run-wide canary check (test/support/e2e-canary.ts): wrap every PIN/password/passphrase a spec types. */
export { e2eTempDir, secret } from './e2e-canary.js';

export const shotsDir = path.join(repoRoot, 'test/output/screens');

export async function shot(page: Page, name: string, opts: { fullPage?: boolean } = {}): Promise<void> {
  mkdirSync(shotsDir, { recursive: true });
  await page.screenshot({ path: path.join(shotsDir, `${name}.png`), fullPage: opts.fullPage ?? false });
}

/** A bearer token of the embedded PBX's admin (the password the first run printed). */
export async function adminToken(app: ConsoleProcess): Promise<string> {
  const s = await requestFrom(`${app.pbxUrl}/api/v1/session`, { body: { username: 'admin', password: app.adminPassword } });
  return (s.body as { token: string }).token;
}

export type PbxApi = <T>(
  method: string,
  p: string,
  body?: unknown,
  extra?: Record<string, string>,
) => Promise<{ status: number; body: T; headers: Record<string, unknown>; text: string }>;

/** Calls /api/v1 of the console's PBX with a token; both are read at call time (set in beforeAll). */
export function pbxApiOf(pbxUrl: () => string, token: () => string): PbxApi {
  return async <T>(method: string, p: string, body?: unknown, extra: Record<string, string> = {}) => {
    const res = await requestFrom(`${pbxUrl()}/api/v1${p}`, { method, body, headers: { Authorization: `Bearer ${token()}`, ...extra } });
    return { status: res.status, body: res.body as T, headers: res.headers, text: res.text };
  };
}

/** An extension as GET /api/v1/extensions lists it: the fields the specs pick by (a spec extends it with what else it reads). */
export interface Ext {
  number: string;
  label: string;
  type: string;
  siteId: string;
  status: string;
  voicemail: boolean;
}

/**
 * For specs with an admin tab and the seeded receptionist: a browser context with one page, the receptionist's
 * password (printed once on the first run of `app`) and an admin token.
 */
export async function adminAndReceptionist(
  app: ConsoleProcess,
  browser: Browser,
): Promise<{ context: BrowserContext; page: Page; receptionPassword: string; token: string }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const m = /reception \/ (\S+)/.exec(app.output());
  expect(m, 'the first run prints the receptionist password once').toBeTruthy();
  const receptionPassword = m![1]!;
  const token = await adminToken(app);
  return { context, page, receptionPassword, token };
}

/** The whole screen in one picture: the screen scrolls inside the window, so grow the window to fit it. */
export async function tallShot(page: Page, name: string): Promise<void> {
  const size = page.viewportSize() ?? { width: 1280, height: 800 };
  const height = await page.evaluate(() => {
    const main = document.querySelector('main');
    const header = document.querySelector('header');
    return Math.ceil((main?.scrollHeight ?? 800) + (header?.getBoundingClientRect().height ?? 0) + 4);
  });
  await page.setViewportSize({ width: size.width, height: Math.min(Math.max(height, size.height), 6000) });
  await shot(page, name);
  await page.setViewportSize(size);
}

/**
 * Connect as the seeded receptionist (`reception`, Headquarters; its password is printed once on the first
 * run): Disconnect, add the PBX as "Front desk" and connect. The caller waits for the screen it expects.
 */
export async function connectAsReceptionist(page: Page, pbxUrl: string, password: string): Promise<void> {
  await page.getByRole('button', { name: 'Disconnect' }).click();
  await expect(page.getByRole('heading', { name: 'Connect to a PBX' })).toBeVisible();
  const form = page.getByRole('region', { name: 'Add a PBX' });
  await form.getByLabel('Name', { exact: true }).fill('Front desk');
  await form.getByLabel('Address (URL)').fill(pbxUrl);
  await form.getByLabel('Username').fill('reception');
  await form.getByLabel('Password', { exact: true }).fill(password);
  await form.getByRole('button', { name: 'Save profile' }).click();
  const card = page.getByRole('article', { name: 'Front desk' });
  await expect(card).toBeVisible();
  await card.getByRole('button', { name: 'Connect to Front desk' }).click();
}

/** Reception: find an extension by its number and choose it; the card (a region named by the number). */
export async function chooseOnReception(page: Page, number: string) {
  const search = page.getByLabel('Find an extension');
  await expect(search).toBeVisible({ timeout: 30_000 });
  await search.fill(number);
  await search.press('Enter');
  return page.getByRole('region', { name: new RegExp(number) });
}

/** Reception: `?` lists the keyboard shortcuts, the list has `what`, and Escape closes it again. */
export async function expectShortcutListed(page: Page, what: string): Promise<void> {
  await page.keyboard.press('?');
  const dialog = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
  await expect(dialog).toContainText(what);
  await page.keyboard.press('Escape');
  await expect(dialog).toHaveCount(0);
  // The closed dialog gives the focus back a moment later.
  await page.waitForTimeout(300);
}

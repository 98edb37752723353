// What the e2e specs share: screenshots into test/output/screens (look at them), and the admin's view of
// the PBX API beside the console (to set up state and to check that the PBX agrees with what the UI shows).
import type { Page } from '@playwright/test';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { repoRoot, requestFrom, type ConsoleProcess } from './console-process.js';

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
) => Promise<{ status: number; body: T; headers: Record<string, unknown> }>;

/** Calls /api/v1 of the console's PBX with a token; both are read at call time (set in beforeAll). */
export function pbxApiOf(pbxUrl: () => string, token: () => string): PbxApi {
  return async <T>(method: string, p: string, body?: unknown, extra: Record<string, string> = {}) => {
    const res = await requestFrom(`${pbxUrl()}/api/v1${p}`, { method, body, headers: { Authorization: `Bearer ${token()}`, ...extra } });
    return { status: res.status, body: res.body as T, headers: res.headers };
  };
}

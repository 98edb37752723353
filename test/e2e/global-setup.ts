// The run-wide canary check (issue 8): a fresh run dir for everything the e2e run writes and every secret it
// uses (test/support/e2e-canary.ts); test/e2e/global-teardown.ts scans it at the end. Workers inherit the env var.
import { mkdirSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RUN_DIR_ENV } from '../support/e2e-canary.js';

export default function globalSetup(): void {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'warden-e2e-run-'));
  for (const sub of ['files/consoles', 'files/downloads', 'files/spec-tmp', 'renderer']) mkdirSync(path.join(dir, sub), { recursive: true });
  process.env[RUN_DIR_ENV] = dir;
}

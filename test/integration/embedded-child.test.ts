// The embedded PBX as a child process on plain node (how the Electron console runs it in development):
// a machine-readable ready line, the first-run password once, and no process left behind.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { childProcessPbx } from '../../main/embedded-pbx.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dir = mkdtempSync(path.join(os.tmpdir(), 'warden-child-'));
const cli = path.join(root, 'dist/server/cli.mjs');

beforeAll(() => {
  execFileSync(process.execPath, [path.join(root, 'scripts/build.mjs'), '--node-only'], { cwd: root, stdio: 'ignore' });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('embedded PBX in a child process', () => {
  it('starts, hands over the first-run password once, and stops with its parent pipe', async () => {
    const start = childProcessPbx(process.execPath, cli);
    const first = await start(dir, 'demo');
    expect(first.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(first.initialAdminPassword).toMatch(/^\S{12,}$/);
    const health = await fetch(`${first.url}/api/v1/health`);
    expect(health.status).toBe(200);
    await first.close();
    await expect(fetch(`${first.url}/api/v1/health`)).rejects.toThrow();

    const second = await start(dir, 'demo');
    expect(second.initialAdminPassword).toBeNull();
    const login = await fetch(`${second.url}/api/v1/session`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: first.initialAdminPassword }),
    });
    expect(login.status).toBe(201);
    await second.close();
  });

  it('reports a clear error when node cannot be found', async () => {
    await expect(childProcessPbx('/nonexistent/node', cli)(dir, 'demo')).rejects.toThrow(/could not start/);
  });
});

// The reference PBX command line: bad flags exit 2 naming the flag; the admin password is printed once.
import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

const root = resolve(here, '../..');
const tsx = join(root, 'node_modules/tsx/dist/cli.mjs');

/** Run the CLI until `until` matches stdout (then SIGTERM) or it exits. */
function runCli(args: string[], until?: RegExp): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, [tsx, 'server/cli.ts', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      rej(new Error(`cli timed out:\n${stdout}\n${stderr}`));
    }, 30_000);
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
      if (until?.test(stdout)) child.kill('SIGTERM');
    });
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('exit', (code) => {
      clearTimeout(timer);
      res({ code, stdout, stderr });
    });
  });
}

describe('server/cli.ts', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pbx-warden-cli-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses a bad flag with exit code 2, naming the flag', async () => {
    const r = await runCli(['--port', 'eighty']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--port: "eighty" is not a port number/);
    expect(r.stderr).toMatch(/Usage:/);
    const r2 = await runCli(['--frobnicate']);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(/unknown option --frobnicate/);
  });

  it('prints the URL, and the admin password only on the first run', async () => {
    const first = await runCli(['--data-dir', dir, '--seed', '50'], /shown again/);
    expect(first.stdout).toMatch(/listening on http:\/\/127\.0\.0\.1:\d+/);
    expect(first.stdout).toMatch(/password: [A-Za-z2-9]{20}\n/);
    expect(first.stdout).toMatch(/Store this password now: it will not be shown again/);
    const second = await runCli(['--data-dir', dir], /listening on/);
    expect(second.stdout).toMatch(/listening on http:\/\/127\.0\.0\.1:\d+/);
    expect(second.stdout).not.toMatch(/password/);
  });
});

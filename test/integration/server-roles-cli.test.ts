// The reference PBX command line with the demo data: the seeded receptionist's password is printed once,
// next to the admin's, and it logs in as a receptionist scoped to hq.
import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { httpRequest } from '../helpers/server.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const tsx = join(root, 'node_modules/tsx/dist/cli.mjs');

/** Run the CLI until `until` matches stdout, call `whileUp`, then SIGTERM. */
function runCli(args: string[], until: RegExp, whileUp: (stdout: string) => Promise<void> = async () => {}): Promise<string> {
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, [tsx, 'server/cli.ts', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let matched = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      rej(new Error(`cli timed out:\n${stdout}\n${stderr}`));
    }, 30_000);
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
      if (!matched && until.test(stdout)) {
        matched = true;
        whileUp(stdout).then(
          () => child.kill('SIGTERM'),
          (err: unknown) => {
            child.kill('SIGTERM');
            rej(err instanceof Error ? err : new Error(String(err)));
          },
        );
      }
    });
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('exit', () => {
      clearTimeout(timer);
      res(stdout);
    });
  });
}

describe('server/cli.ts with the demo data', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pbx-warden-roles-cli-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints the receptionist account once, next to the admin, and it logs in as receptionist', async () => {
    const first = await runCli(['--data-dir', dir, '--seed', 'demo'], /shown again/, async (stdout) => {
      const url = /listening on (http:\/\/\S+)/.exec(stdout)?.[1] as string;
      const password = /username: reception\n {2}password: ([A-Za-z2-9]{20})\n/.exec(stdout)?.[1] as string;
      const r = await httpRequest<{ role: string }>(`${url}/api/v1/session`, { method: 'POST', body: { username: 'reception', password } });
      expect(r.status, r.text).toBe(201);
      expect(r.json.role).toBe('receptionist');
    });
    expect(first).toMatch(/Admin account created\.\n {2}username: admin\n {2}password: [A-Za-z2-9]{20}\n/);
    expect(first).toMatch(/Receptionist account created \(site hq\)\.\n {2}username: reception\n {2}password: [A-Za-z2-9]{20}\n/);
    expect(first).toMatch(/Store these passwords now: they will not be shown again/);
    const second = await runCli(['--data-dir', dir], /listening on/);
    expect(second).not.toMatch(/password/);
  });
});

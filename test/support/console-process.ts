// Start the real console in browser mode (embedded reference PBX included) as a child process,
// the way `npm start` does, on a fresh WARDEN_HOME. Used by the e2e tests and the benchmarks.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

export const repoRoot = path.resolve(here, '../..');

export interface ConsoleProcess {
  launchUrl: string;
  pbxUrl: string;
  adminPassword: string | null;
  home: string;
  output: () => string;
  stop(): Promise<void>;
}

export async function startConsoleProcess(opts: {
  home?: string;
  env?: Record<string, string>;
  args?: string[];
  timeoutMs?: number;
} = {}): Promise<ConsoleProcess> {
  const home = opts.home ?? mkdtempSync(path.join(os.tmpdir(), 'warden-e2e-'));
  const child: ChildProcess = spawn(process.execPath, [path.join(repoRoot, 'dist/main/browser.mjs'), ...(opts.args ?? [])], {
    cwd: repoRoot,
    env: { ...process.env, WARDEN_HOME: home, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const launchUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`console did not start in time:\n${out}`)), opts.timeoutMs ?? 60_000);
    const check = () => {
      const m = /(http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{64})/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', check);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`console exited with ${code}:\n${out}`));
    });
  });
  const pbxUrl = /Reference PBX:\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1] ?? '';
  const adminPassword = /admin \/ (\S+)/.exec(out)?.[1] ?? null;
  return {
    launchUrl,
    pbxUrl,
    adminPassword,
    home,
    output: () => out,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      if (!opts.home) rmSync(home, { recursive: true, force: true });
    },
  };
}

/** A JSON request from a chosen loopback source address (127.0.0.2 acts as another host). */
export function requestFrom(
  url: string,
  opts: { method?: string; body?: unknown; headers?: Record<string, string>; localAddress?: string } = {},
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: unknown; text: string }> {
  return new Promise((resolve, reject) => {
    const data = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    const req = http.request(
      url,
      {
        method: opts.method ?? (data ? 'POST' : 'GET'),
        localAddress: opts.localAddress,
        headers: { ...(data ? { 'Content-Type': 'application/json' } : {}), ...opts.headers },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => {
          let body: unknown = text;
          try {
            body = JSON.parse(text);
          } catch {
            // not JSON
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text });
        });
      },
    );
    req.on('error', reject);
    if (data) req.write(data);
    req.end();
  });
}

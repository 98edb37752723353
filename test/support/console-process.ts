// Start the real console in browser mode (embedded reference PBX included) as a child process,
// the way `npm start` does, on a fresh WARDEN_HOME. Used by the e2e tests and the benchmarks.
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { canaryRunDir, recordRequestSecrets, recordResponseSecrets, recordSecret, recordStopped } from './e2e-canary.js';

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
  // Run-wide canary check (test/support/e2e-canary.ts): every dir the process may write to, and its output,
  // live under the run dir and stay there until the end-of-run scan.
  const runDir = canaryRunDir();
  const base = runDir ? mkdtempSync(path.join(runDir, 'files', 'consoles', 'c-')) : null;
  const baseEnv: Record<string, string> = {};
  if (base) {
    for (const [k, sub] of [['HOME', 'home'], ['XDG_CONFIG_HOME', 'home/.config'], ['XDG_DATA_HOME', 'home/.local/share'], ['XDG_CACHE_HOME', 'home/.cache'], ['XDG_STATE_HOME', 'home/.local/state'], ['TMPDIR', 'tmp']] as const) {
      baseEnv[k] = path.join(base, sub);
      mkdirSync(baseEnv[k], { recursive: true });
    }
  }
  const home = opts.home ?? (base ? path.join(base, 'warden-home') : mkdtempSync(path.join(os.tmpdir(), 'warden-e2e-')));
  const child: ChildProcess = spawn(process.execPath, [path.join(repoRoot, 'dist/main/browser.mjs'), ...(opts.args ?? [])], {
    cwd: repoRoot,
    env: { ...process.env, ...baseEnv, WARDEN_HOME: home, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => {
    out += c.toString();
    if (base) appendFileSync(path.join(base, 'stdout.log'), c);
  });
  child.stderr!.on('data', (c: Buffer) => {
    out += c.toString();
    if (base) appendFileSync(path.join(base, 'stderr.log'), c);
  });
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
  if (base) {
    // Printed once on stdout for the operator, by design: allowed in this process's captured stdout only.
    const stdout = { where: path.relative(path.join(runDir!, 'files'), path.join(base, 'stdout.log')), reason: 'printed once to the operator on stdout by design' };
    recordSecret('first run admin password', adminPassword, [stdout]);
    recordSecret('first run receptionist password', /reception \/ (\S+)/.exec(out)?.[1], [stdout]);
    recordSecret('one-time launch token', /\?token=([0-9a-f]{64})/.exec(launchUrl)?.[1], [stdout]);
  }
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
      // Canary run: keep everything for the end-of-run scan (a caller's own home is copied, the caller removes it).
      if (base) {
        recordStopped(base);
        if (opts.home) cpSync(opts.home, path.join(base, 'caller-home'), { recursive: true });
      } else if (!opts.home) rmSync(home, { recursive: true, force: true });
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
    recordRequestSecrets(url, opts.body);
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
          recordResponseSecrets(url, body);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text });
        });
      },
    );
    req.on('error', reject);
    if (data) req.write(data);
    req.end();
  });
}

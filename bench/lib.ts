// Small helpers shared by the benchmarks: percentiles, result files, Chromium launch.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from '@playwright/test';

const here = path.dirname(fileURLToPath(import.meta.url));

export const benchRoot = path.resolve(here);

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const i = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
  return s[i]!;
}

export const median = (v: number[]) => percentile(v, 50);
export const round = (n: number, d = 1) => Math.round(n * 10 ** d) / 10 ** d;

export function writeResult(name: string, data: Record<string, unknown>): void {
  const dir = path.join(benchRoot, 'results');
  mkdirSync(dir, { recursive: true });
  const record = { name, at: new Date().toISOString(), node: process.version, cpus: os.cpus().length, ...data };
  writeFileSync(path.join(dir, `${name}.json`), JSON.stringify(record, null, 2) + '\n');
  console.log(`\n${name}: ${JSON.stringify(data, null, 2)}`);
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}

/**
 * Start a Node child (a server) in the repo and resolve once it printed a loopback URL and `ready`
 * matches its output so far.
 */
export function startChild(
  args: string[],
  env: Record<string, string> = {},
  ready = /http:\/\/127/,
): Promise<{ child: ChildProcess; url: string; out: () => string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: path.resolve(here, '..'), env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const timer = setTimeout(() => reject(new Error(`child did not start:\n${out}`)), 600_000);
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /(http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m && ready.test(out)) {
        clearTimeout(timer);
        resolve({ child, url: m[1]!, out: () => out });
      }
    });
    child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    child.on('exit', (code) => reject(new Error(`child exited ${code}:\n${out}`)));
  });
}

/**
 * Sign in as the first-run admin of a PBX started by startChild (its password is printed once on stdout):
 * the password, the session token and the Authorization header.
 */
export async function adminSignIn(pbx: { url: string; out: () => string }): Promise<{ password: string; token: string; auth: { Authorization: string } }> {
  const password = /password:\s*(\S+)/.exec(pbx.out())?.[1];
  if (!password) throw new Error(`could not read the admin password from:\n${pbx.out()}`);
  const session = await fetch(`${pbx.url}/api/v1/session`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username: 'admin', password }),
  });
  const { token } = (await session.json()) as { token: string };
  return { password, token, auth: { Authorization: `Bearer ${token}` } };
}

// ---- "visible in the console" timing (bench/lockout-ui.ts, bench/hotdesk-ui.ts) ----------------------------

/** Wall-clock ms in this process (sub-ms), comparable with a page's performance.timeOrigin + performance.now(). */
export const wallNow = (): number => performance.timeOrigin + performance.now();

/** The page's clock minus this process's (ms), from the best of 3 round trips; its uncertainty is half that round trip. */
export async function pageClockOffset(page: Page): Promise<{ offset: number; halfRtt: number }> {
  let best = { offset: 0, halfRtt: Infinity };
  for (let i = 0; i < 3; i++) {
    const a = wallNow();
    const p = (await page.evaluate('performance.timeOrigin + performance.now()')) as number;
    const b = wallNow();
    if ((b - a) / 2 < best.halfRtt) best = { offset: p - (a + b) / 2, halfRtt: (b - a) / 2 };
  }
  return best;
}

/**
 * Installs window.__watch(id, selector, mode) in the page: window.__seen[id] resolves with { mutation, frame }
 * (page wall-clock ms: the DOM mutation that made `selector` match, and the next animation frame — the one that
 * paints it) once the element exists ('present'), exists with a class ('class:NAME') or is gone ('gone'); null
 * after 10 s. A string, so no bundler helper leaks into the page.
 */
export async function installFrameWatcher(page: Page): Promise<void> {
  await page.evaluate(`(() => {
    window.__seen = {};
    window.__watch = (id, selector, mode) => {
      const match = () => {
        const el = document.querySelector(selector);
        if (mode === 'gone') return el === null;
        if (mode.startsWith('class:')) return el !== null && el.classList.contains(mode.slice(6));
        return el !== null;
      };
      const now = () => performance.timeOrigin + performance.now();
      window.__seen[id] = new Promise((resolve) => {
        const done = () => {
          const mutation = now();
          requestAnimationFrame(() => resolve({ mutation, frame: now() }));
        };
        if (match()) { done(); return; }
        const obs = new MutationObserver(() => { if (match()) { obs.disconnect(); done(); } });
        obs.observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['class'] });
        setTimeout(() => { obs.disconnect(); resolve(null); }, 10000);
      });
    };
  })()`);
}

/** Start watching (see installFrameWatcher). */
export function watchFor(page: Page, id: string, selector: string, mode: 'present' | 'gone' | `class:${string}`): Promise<unknown> {
  return page.evaluate(`window.__watch(${JSON.stringify(id)}, ${JSON.stringify(selector)}, ${JSON.stringify(mode)})`);
}

/** What a watch saw: page wall-clock times of the mutation and the frame, or null (10 s passed). */
export function seenFrame(page: Page, id: string): Promise<{ mutation: number; frame: number } | null> {
  return page.evaluate(`window.__seen[${JSON.stringify(id)}]`) as Promise<{ mutation: number; frame: number } | null>;
}

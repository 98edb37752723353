// Time from `npm start` (node scripts/start.mjs, already built) to the extensions table shown in
// browser mode, median of 5. Each run uses a fresh WARDEN_HOME (first run: the embedded PBX is created
// and seeded) and a second, warm start on the same home.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium, median, round, writeResult } from './lib.js';

const here = path.dirname(fileURLToPath(import.meta.url));

const root = path.resolve(here, '..');

async function once(home: string, browser: Awaited<ReturnType<typeof launchChromium>>): Promise<number> {
  const t0 = performance.now();
  const child = spawn(process.execPath, [path.join(root, 'scripts/start.mjs'), '--browser'], {
    cwd: root, env: { ...process.env, WARDEN_HOME: home }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL:\n${out}`)), 60_000);
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /(http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{64})/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  });
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await page.goto(url);
  await page.getByRole('grid', { name: 'Extensions' }).getByRole('row').nth(3).waitFor({ timeout: 60_000 });
  const ms = performance.now() - t0;
  await ctx.close();
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
  return ms;
}

async function main() {
  const browser = await launchChromium();
  const cold: number[] = [];
  const warm: number[] = [];
  for (let i = 0; i < 5; i++) {
    const home = mkdtempSync(path.join(os.tmpdir(), 'warden-bench-start-'));
    cold.push(await once(home, browser));
    warm.push(await once(home, browser));
    rmSync(home, { recursive: true, force: true });
    console.log(`run ${i + 1}: first start ${round(cold[i]!, 0)} ms, warm start ${round(warm[i]!, 0)} ms`);
  }
  await browser.close();
  writeResult('startup', {
    what: 'npm start → extensions table visible in Chromium (browser mode), ms',
    firstRunMedianMs: round(median(cold), 0),
    warmStartMedianMs: round(median(warm), 0),
    firstRunMs: cold.map((v) => round(v, 0)),
    warmStartMs: warm.map((v) => round(v, 0)),
  });
}

void main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});

// Small helpers shared by the benchmarks: percentiles, result files, Chromium launch.
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from '@playwright/test';

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

// Shared by the reliability kill tests (issue 8): a seeded random source and the bundling of their child
// processes.
import { build } from 'esbuild';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from './console-process.js';

/** A seeded random source (mulberry32): the same seed gives the same run, so a failure can be replayed. */
export interface Random {
  readonly seed: number;
  /** [0, 1) */
  next(): number;
  /** An integer in [min, max]. */
  int(min: number, max: number): number;
  pick<T>(items: readonly T[]): T;
  chance(p: number): boolean;
}

export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (min: number, max: number) => min + Math.floor(next() * (max - min + 1));
  return {
    seed,
    next,
    int,
    pick: (items) => {
      if (items.length === 0) throw new Error('pick from an empty list');
      return items[int(0, items.length - 1)] as (typeof items)[number];
    },
    chance: (p) => next() < p,
  };
}

/** The seed of a run: RELIABILITY_SEED=<n> replays one, otherwise a fresh one (the test prints it). */
export function runSeed(): number {
  const env = process.env['RELIABILITY_SEED'];
  if (env !== undefined && /^\d+$/.test(env)) return Number(env) >>> 0;
  return Math.floor(Math.random() * 2 ** 32) >>> 0;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface Bundle {
  file: string;
  remove(): void;
}

/**
 * Bundle a child process's entry (relative to the repo) into `<name>.mjs` with esbuild, as scripts/build.mjs
 * bundles the shipped server: the same source, without tsx's ~2 s of TypeScript loading on every start (these
 * tests start hundreds of children). `packagesExternal`: leave node_modules out (native modules need it); the
 * bundle then lives under node_modules/.cache in the repo, where Node resolves them.
 */
export async function bundleChild(entry: string, name: string, opts: { packagesExternal?: boolean } = {}): Promise<Bundle> {
  const base = opts.packagesExternal ? path.join(repoRoot, 'node_modules', '.cache') : os.tmpdir();
  mkdirSync(base, { recursive: true });
  const dir = mkdtempSync(path.join(base, 'pbx-warden-reliability-'));
  const file = path.join(dir, `${name}.mjs`);
  await build({
    entryPoints: [entry],
    outfile: file,
    absWorkingDir: repoRoot,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    ...(opts.packagesExternal
      ? { packages: 'external' as const }
      : // CommonJS packages inside an ES module bundle still require() Node's own modules.
        { banner: { js: "import { createRequire as __reliabilityRequire } from 'node:module'; const require = __reliabilityRequire(import.meta.url);" } }),
    logLevel: 'error',
  });
  return { file, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

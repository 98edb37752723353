// Reads the Electron fuses back from a PACKAGED app and compares them with `electronFuses` in electron-builder.yml
// (issue 8). Runs after `npm run package` and in the lint step of `npm test`; where no packaged app exists (no
// Electron binary can be downloaded on this machine, so nothing can be packaged) it says so and exits 0 — the
// configuration itself is checked by test/unit/electron-fuses.test.ts.
//
//   node scripts/check-fuses.mjs                   every packaged app under the output folder (release/)
//   node scripts/check-fuses.mjs --app <path>      one binary (linux/windows) or .app bundle (macOS)
import { getCurrentFuseWire, FuseState, FuseV1Options } from '@electron/fuses';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

/** electron-builder.yml, parsed with the YAML reader electron-builder itself uses. */
export function readBuilderConfig(file = path.join(root, 'electron-builder.yml')) {
  const yaml = createRequire(require.resolve('app-builder-lib/package.json'))('js-yaml');
  return yaml.load(readFileSync(file, 'utf8'));
}

/**
 * The fuse settings electron-builder will flip, by fuse index, computed by electron-builder's own mapping of
 * `electronFuses` (so a misspelt key shows up as a missing fuse, not as a silent no-op).
 * @returns {Promise<{ version: string, [index: number]: boolean }>}
 */
export async function expectedFuseConfig(config = readBuilderConfig()) {
  if (!config.electronFuses) throw new Error('electron-builder.yml has no electronFuses section');
  const { PlatformPackager } = require('app-builder-lib');
  return PlatformPackager.prototype.generateFuseConfig.call({}, config.electronFuses);
}

/** Packaged Electron binaries under the output folder: <out>/*-unpacked/<executable> and <out>/mac*\/*.app. */
export function findPackagedApps(outDir) {
  if (!existsSync(outDir)) return [];
  const found = [];
  for (const d of readdirSync(outDir, { withFileTypes: true })) {
    if (!d.isDirectory()) continue;
    const dir = path.join(outDir, d.name);
    if (d.name.endsWith('-unpacked')) {
      for (const f of readdirSync(dir, { withFileTypes: true })) {
        if (!f.isFile() || /\.(so(\.\d+)*|dll|pak|bin|dat|json|dylib|node)$/i.test(f.name) || /^(chrome-sandbox|chrome_crashpad_handler|elevate\.exe|Uninstall.*\.exe)$/i.test(f.name)) continue;
        const p = path.join(dir, f.name);
        if (f.name.endsWith('.exe') || (statSync(p).mode & 0o111) !== 0) found.push(p);
      }
    } else if (d.name.startsWith('mac')) {
      for (const f of readdirSync(dir)) if (f.endsWith('.app')) found.push(path.join(dir, f));
    }
  }
  return found;
}

const STATE = { [FuseState.ENABLE]: 'on', [FuseState.DISABLE]: 'off', [FuseState.REMOVED]: 'removed', [FuseState.INHERIT]: 'inherit' };

/**
 * Mismatches between a binary's fuse wire and the expected config; null when the file carries no fuse wire
 * (not an Electron binary: a helper executable in the same folder).
 */
export async function checkBinary(binary, expected) {
  let wire;
  try {
    wire = await getCurrentFuseWire(binary);
  } catch (e) {
    if (/Could not find sentinel/.test(String(e?.message))) return null;
    throw e;
  }
  const problems = [];
  if (wire.version !== expected.version) problems.push(`fuse wire version ${wire.version}, expected ${expected.version}`);
  for (const [key, want] of Object.entries(expected)) {
    const i = Number(key);
    if (!Number.isInteger(i) || typeof want !== 'boolean') continue;
    const got = wire[i];
    const wantState = want ? FuseState.ENABLE : FuseState.DISABLE;
    if (got === undefined) problems.push(`${FuseV1Options[i]}: not in this Electron's fuse wire`);
    else if (got !== wantState && got !== FuseState.REMOVED) problems.push(`${FuseV1Options[i]} is ${STATE[got] ?? got}, expected ${want ? 'on' : 'off'}`);
  }
  return problems;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const config = readBuilderConfig();
  const outDir = path.resolve(root, config.directories?.output ?? 'dist');
  const apps = [];
  for (let i = 0; i < args.length; i++) if (args[i] === '--app') apps.push(path.resolve(args[++i]));
  if (apps.length === 0) apps.push(...findPackagedApps(outDir));
  if (apps.length === 0) {
    console.log(
      `check-fuses: no packaged app under ${path.relative(root, outDir)}/ — nothing to read back here (packaging needs the Electron binary, which cannot be downloaded on this machine). ` +
        'The electronFuses configuration is checked by test/unit/electron-fuses.test.ts; run `npm run package` where Electron is available and this reads the fuses from the packaged binary.',
    );
    process.exit(0);
  }
  const expected = await expectedFuseConfig(config);
  let electronBinaries = 0;
  let failed = false;
  for (const app of apps) {
    const problems = await checkBinary(app, expected);
    if (problems === null) continue;
    electronBinaries++;
    if (problems.length) {
      failed = true;
      console.error(`check-fuses: ${path.relative(root, app)}:\n  ${problems.join('\n  ')}`);
    } else console.log(`check-fuses: ${path.relative(root, app)}: every fuse as in electron-builder.yml`);
  }
  if (electronBinaries === 0) {
    console.error(`check-fuses: none of ${apps.map((a) => path.relative(root, a)).join(', ')} carries an Electron fuse wire`);
    failed = true;
  }
  if (failed) process.exit(1);
}

// Build: esbuild bundles the Node entry points (console main for Electron and browser mode, the
// reference PBX CLI); Vite builds the renderer. Native modules stay external.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const only = process.argv.includes('--node-only') ? 'node' : process.argv.includes('--renderer-only') ? 'renderer' : 'all';
const native = ['better-sqlite3', 'argon2', '@napi-rs/keyring'];
const common = { bundle: true, platform: 'node', target: 'node20', sourcemap: true, logLevel: 'warning', absWorkingDir: root };

const t0 = performance.now();
if (only !== 'renderer') {
  await Promise.all([
    build({ ...common, entryPoints: ['main/electron/main.ts'], outfile: 'dist/main/electron.cjs', format: 'cjs', external: ['electron', ...native] }),
    build({ ...common, entryPoints: ['main/electron/preload.ts'], outfile: 'dist/main/preload.cjs', format: 'cjs', external: ['electron'] }),
    build({
      ...common, entryPoints: ['main/browser/main.ts'], outfile: 'dist/main/browser.mjs', format: 'esm', packages: 'external',
    }),
    build({ ...common, entryPoints: ['server/cli.ts'], outfile: 'dist/server/cli.mjs', format: 'esm', packages: 'external' }),
  ]);
}
if (only !== 'node') {
  const r = spawnSync(process.execPath, [path.join(root, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
console.log(`build: done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

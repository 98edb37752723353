// npm start: build what is stale, start the embedded reference PBX and the console connected to it —
// the Electron window when an Electron binary exists (and a display), otherwise browser mode.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { findElectronBinary } from './electron-binary.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);

function newest(dir) {
  let t = 0;
  if (!existsSync(dir)) return t;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name.startsWith('.')) continue;
    const p = path.join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}
const mtime = (p) => (existsSync(p) ? statSync(p).mtimeMs : 0);

const srcNode = Math.max(newest(path.join(root, 'main')), newest(path.join(root, 'server')), newest(path.join(root, 'shared')));
const srcRenderer = Math.max(newest(path.join(root, 'renderer')), newest(path.join(root, 'shared')), mtime(path.join(root, 'vite.config.ts')));
const needNode = srcNode > Math.min(mtime(path.join(root, 'dist/main/browser.mjs')), mtime(path.join(root, 'dist/main/electron.cjs')));
const needRenderer = srcRenderer > mtime(path.join(root, 'dist/renderer/index.html'));
if (needNode || needRenderer) {
  const flag = needNode && needRenderer ? [] : needNode ? ['--node-only'] : ['--renderer-only'];
  const r = spawnSync(process.execPath, [path.join(root, 'scripts/build.mjs'), ...flag], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

const wantBrowser = args.includes('--browser') || process.env.WARDEN_MODE === 'browser';
const electron = findElectronBinary();
const hasDisplay = process.platform !== 'linux' || !!process.env.DISPLAY || !!process.env.WAYLAND_DISPLAY;
if (!wantBrowser && electron.path && hasDisplay) {
  const child = spawn(electron.path, [path.join(root, 'dist/main/electron.cjs'), ...args], { stdio: 'inherit' });
  child.on('exit', (code) => process.exit(code ?? 0));
} else {
  if (!wantBrowser) {
    const why = electron.path ? 'no display' : electron.reason;
    console.log(`  Browser mode (${why}).`);
  }
  await import(pathToFileURL(path.join(root, 'dist/main/browser.mjs')).href);
}

// Issue 8 — Electron fuses (checklist item 19): electron-builder.yml's electronFuses hold the intended value for
// every fuse, under key names electron-builder really maps to fuses, consistent with how the app runs; and
// scripts/check-fuses.mjs (which reads them back from a packaged binary) is exercised on stand-in binaries that
// carry a real fuse wire, flipped by @electron/fuses exactly as electron-builder does it.
import { FuseState, FuseV1Options, flipFuses, getCurrentFuseWire } from '@electron/fuses';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RENDERER_URL } from '../../main/electron/policy.js';
// @ts-expect-error -- a plain .mjs script, shared with `npm run package` and the lint step
import * as checkFusesModule from '../../scripts/check-fuses.mjs';

type FuseConfig = { version: string; [index: number]: boolean | undefined };
const checkFuses = checkFusesModule as {
  readBuilderConfig(file?: string): { asar?: boolean; electronFuses?: Record<string, boolean> };
  expectedFuseConfig(config?: unknown): Promise<FuseConfig>;
  findPackagedApps(outDir: string): string[];
  checkBinary(binary: string, expected: FuseConfig): Promise<string[] | null>;
};

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const INTENDED = {
  runAsNode: false,
  enableCookieEncryption: true,
  enableNodeOptionsEnvironmentVariable: false,
  enableNodeCliInspectArguments: false,
  enableEmbeddedAsarIntegrityValidation: true,
  onlyLoadAppFromAsar: true,
  loadBrowserProcessSpecificV8Snapshot: false,
  grantFileProtocolExtraPrivileges: false,
};

const SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
/** A stand-in for an Electron binary: filler, the fuse sentinel, wire version 1 and the given wire. Electron's
 *  shipped defaults: RunAsNode, NodeOptions, CliInspect, GrantFileProtocol, WasmTrapHandlers on; the rest off. */
function fakeElectron(file: string, wire = [1, 0, 1, 1, 0, 0, 0, 1, 1]): string {
  const bytes = wire.map((on) => (on ? FuseState.ENABLE : FuseState.DISABLE));
  writeFileSync(file, Buffer.concat([Buffer.alloc(4096, 7), Buffer.from(SENTINEL), Buffer.from([1, bytes.length, ...bytes]), Buffer.alloc(4096, 9)]));
  chmodSync(file, 0o755);
  return file;
}

describe('Electron fuses (electron-builder.yml electronFuses)', () => {
  const config = checkFuses.readBuilderConfig();

  it('sets every fuse to the intended value', () => {
    expect(config.electronFuses).toEqual(INTENDED);
  });

  it('uses only key names that electron-builder 26 accepts (its own JSON schema)', () => {
    const scheme = JSON.parse(readFileSync(path.join(root, 'node_modules/app-builder-lib/scheme.json'), 'utf8')) as {
      definitions: { FuseOptionsV1: { properties: Record<string, { type: string }>; additionalProperties: boolean } };
      properties: Record<string, unknown>;
    };
    expect(scheme.properties).toHaveProperty('electronFuses');
    const props = scheme.definitions.FuseOptionsV1.properties;
    for (const [k, v] of Object.entries(config.electronFuses ?? {})) {
      expect(props[k]?.type, k).toBe('boolean');
      expect(typeof v, k).toBe('boolean');
    }
  });

  it('electron-builder maps them to the fuses meant (RunAsNode off, cookie encryption on, node options and inspect off, ASAR integrity and ASAR-only on, no file:// privileges)', async () => {
    const fuses = await checkFuses.expectedFuseConfig(config);
    expect(fuses.version).toBe('1');
    expect(fuses[FuseV1Options.RunAsNode]).toBe(false);
    expect(fuses[FuseV1Options.EnableCookieEncryption]).toBe(true);
    expect(fuses[FuseV1Options.EnableNodeOptionsEnvironmentVariable]).toBe(false);
    expect(fuses[FuseV1Options.EnableNodeCliInspectArguments]).toBe(false);
    expect(fuses[FuseV1Options.EnableEmbeddedAsarIntegrityValidation]).toBe(true);
    expect(fuses[FuseV1Options.OnlyLoadAppFromAsar]).toBe(true);
    expect(fuses[FuseV1Options.LoadBrowserProcessSpecificV8Snapshot]).toBe(false);
    expect(fuses[FuseV1Options.GrantFileProtocolExtraPrivileges]).toBe(false);
  }, 30_000);

  it('the fuses fit how the app runs: packed in an asar, no Electron-as-Node child, no file:// pages', () => {
    expect(config.asar).toBe(true); // OnlyLoadAppFromAsar / integrity need the app in app.asar
    const mainSources: string[] = [];
    const walk = (dir: string) => {
      for (const e of readdirSync(path.join(root, dir), { withFileTypes: true })) {
        const rel = `${dir}/${e.name}`;
        if (e.isDirectory()) walk(rel);
        else if (e.name.endsWith('.ts')) mainSources.push(rel);
      }
    };
    walk('main');
    // RunAsNode off: nothing in a packaged build may start the Electron binary as Node. No child_process.fork
    // (it relies on ELECTRON_RUN_AS_NODE); the one ELECTRON_RUN_AS_NODE user, the Linux keychain probe child,
    // is off by default in packaged Electron (it probes in-thread there).
    const src = (f: string) => readFileSync(path.join(root, f), 'utf8');
    for (const f of mainSources) expect(src(f), f).not.toMatch(/\bfork\(/);
    expect(mainSources.filter((f) => /ELECTRON_RUN_AS_NODE/.test(src(f)))).toEqual(['main/core/keychain.ts']);
    expect(src('main/core/keychain.ts')).toMatch(/isolateProbe \?\? \(process\.platform === 'linux' && !isPackagedElectron\(\)\)/);
    // GrantFileProtocolExtraPrivileges off: the renderer is not a file:// page
    expect(new URL(RENDERER_URL).protocol).not.toBe('file:');
  });
});

describe('scripts/check-fuses.mjs on stand-in binaries', () => {
  let dir: string;
  let expected: FuseConfig;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'warden-fuses-'));
    expected = await checkFuses.expectedFuseConfig();
  }, 30_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('an unflipped Electron (its shipped defaults) fails, fuse by fuse', async () => {
    const problems = await checkFuses.checkBinary(fakeElectron(path.join(dir, 'stock')), expected);
    expect(problems).toEqual(
      expect.arrayContaining([
        'RunAsNode is on, expected off',
        'EnableCookieEncryption is off, expected on',
        'EnableNodeOptionsEnvironmentVariable is on, expected off',
        'EnableNodeCliInspectArguments is on, expected off',
        'EnableEmbeddedAsarIntegrityValidation is off, expected on',
        'OnlyLoadAppFromAsar is off, expected on',
        'GrantFileProtocolExtraPrivileges is on, expected off',
      ]),
    );
  });

  it('the same binary after the flip electron-builder performs passes, and the CLI agrees', async () => {
    const bin = fakeElectron(path.join(dir, 'flipped'));
    await flipFuses(bin, { ...expected, version: expected.version } as Parameters<typeof flipFuses>[1]);
    expect((await getCurrentFuseWire(bin))[FuseV1Options.RunAsNode]).toBe(FuseState.DISABLE);
    expect(await checkFuses.checkBinary(bin, expected)).toEqual([]);
    const ok = spawnSync(process.execPath, [path.join(root, 'scripts/check-fuses.mjs'), '--app', bin], { encoding: 'utf8' });
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/every fuse as in electron-builder.yml/);
    const bad = spawnSync(process.execPath, [path.join(root, 'scripts/check-fuses.mjs'), '--app', fakeElectron(path.join(dir, 'stock2'))], { encoding: 'utf8' });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/RunAsNode is on, expected off/);
  }, 30_000);

  it('finds the packaged binaries electron-builder lays out, and skips files without a fuse wire', async () => {
    const out = path.join(dir, 'release');
    mkdirSync(path.join(out, 'linux-unpacked'), { recursive: true });
    mkdirSync(path.join(out, 'mac-arm64/PBX Warden.app/Contents'), { recursive: true });
    const exe = fakeElectron(path.join(out, 'linux-unpacked/pbx-warden'));
    writeFileSync(path.join(out, 'linux-unpacked/libffmpeg.so'), 'x');
    writeFileSync(path.join(out, 'linux-unpacked/chrome-sandbox'), 'x');
    chmodSync(path.join(out, 'linux-unpacked/chrome-sandbox'), 0o755);
    writeFileSync(path.join(out, 'linux-unpacked/LICENSES.chromium.html'), 'x');
    expect(checkFuses.findPackagedApps(out).sort()).toEqual([path.join(out, 'linux-unpacked/pbx-warden'), path.join(out, 'mac-arm64/PBX Warden.app')].sort());
    expect(checkFuses.findPackagedApps(path.join(dir, 'none'))).toEqual([]);
    const helper = path.join(dir, 'helper');
    writeFileSync(helper, 'no fuse wire here');
    expect(await checkFuses.checkBinary(helper, expected)).toBeNull();
    expect(await checkFuses.checkBinary(exe, expected)).not.toEqual([]);
  });
});

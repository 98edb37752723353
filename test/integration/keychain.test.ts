// The keychain adapter against a real Secret Service (gnome-keyring on a private D-Bus session, started
// by scripts/with-keyring.sh), and the vault fallback when there is no D-Bus / no Secret Service / a bus
// that never answers. The fallback cases run in child processes, because libdbus reads the session bus
// address once per process.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOsKeychain } from '../../main/core/keychain.js';
import { createSecretStore } from '../../main/core/secrets.js';
import { MIN_KDF } from '../../main/core/vault.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SECRETS_TS = fileURLToPath(new URL('../../main/core/secrets.ts', import.meta.url));
const KEYCHAIN_TS = fileURLToPath(new URL('../../main/core/keychain.ts', import.meta.url));
const HAVE_KEYRING = process.env['WARDEN_KEYRING'] === '1';
const HAVE_DBUS_RUN_SESSION = spawnSync('sh', ['-c', 'command -v dbus-run-session']).status === 0;

const SERVICE = `pbx-warden-it-${randomBytes(4).toString('hex')}`;

function secretTool(...args: string[]): { status: number | null; stdout: string } {
  const r = spawnSync('secret-tool', args, { encoding: 'utf8', timeout: 10_000 });
  return { status: r.status, stdout: r.stdout };
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'warden-keychain-it-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  if (HAVE_KEYRING) secretTool('clear', 'service', SERVICE);
});

function filesContain(root: string, needle: string): string[] {
  const hits: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && readFileSync(p).includes(needle)) hits.push(p);
    }
  };
  walk(root);
  return hits;
}

describe.skipIf(!HAVE_KEYRING)(
  HAVE_KEYRING
    ? 'OS keychain against a real Secret Service (gnome-keyring)'
    : 'OS keychain against a real Secret Service — skipped: needs a Secret Service: run under scripts/with-keyring.sh',
  () => {
    it('probe round-trips a throwaway entry and leaves nothing behind', async () => {
      const keychain = createOsKeychain({ probeService: SERVICE });
      expect(await keychain.probe()).toEqual({ ok: true });
      // The same round trip in-thread (what macOS/Windows use, and the fallback if no child can run).
      expect(await createOsKeychain({ probeService: SERVICE, isolateProbe: false }).probe()).toEqual({ ok: true });
      expect(secretTool('search', '--all', 'service', SERVICE).stdout).not.toContain('warden-probe-');
    });

    it('set/get/delete through createOsKeychain really lands in the Secret Service', async () => {
      const keychain = createOsKeychain();
      const canary = `CANARY-${randomBytes(8).toString('hex')}`;
      const account = 'pbx-password:office:admin@https://pbx.example.com';
      await keychain.set(SERVICE, account, canary);
      expect(await keychain.get(SERVICE, account)).toBe(canary);
      // Seen from outside, through libsecret, under our service name.
      const lookup = secretTool('lookup', 'service', SERVICE, 'username', account);
      expect(lookup.status).toBe(0);
      expect(lookup.stdout).toBe(canary);

      await keychain.set(SERVICE, account, `${canary}-2`);
      expect(secretTool('lookup', 'service', SERVICE, 'username', account).stdout).toBe(`${canary}-2`);

      await keychain.delete(SERVICE, account);
      expect(await keychain.get(SERVICE, account)).toBeNull();
      expect(secretTool('lookup', 'service', SERVICE, 'username', account).stdout).toBe('');
      await keychain.delete(SERVICE, account); // deleting twice is fine
    });

    it('createSecretStore picks the keychain; secrets never touch the disk', async () => {
      const storeDir = mkdtempSync(path.join(dir, 'store-'));
      const vaultPath = path.join(storeDir, 'vault.json');
      const store = await createSecretStore({ service: SERVICE, vaultPath });
      expect(store.status()).toMatchObject({ backend: 'keychain', vault: 'none' });
      expect(store.status().message).toMatch(/Secret Service/);

      const canary = `CANARY-${randomBytes(8).toString('hex')}`;
      await store.set('pbx-password:local:admin@abc', canary);
      expect(await store.get('pbx-password:local:admin@abc')).toBe(canary);
      expect(secretTool('lookup', 'service', SERVICE, 'username', 'pbx-password:local:admin@abc').stdout).toBe(canary);
      expect(existsSync(vaultPath)).toBe(false);
      expect(filesContain(storeDir, canary)).toEqual([]);

      await store.delete('pbx-password:local:admin@abc');
      expect(await store.get('pbx-password:local:admin@abc')).toBeNull();
      expect(secretTool('lookup', 'service', SERVICE, 'username', 'pbx-password:local:admin@abc').status).not.toBe(0);
    });
  },
);

// ---- no Secret Service: the vault, in a child process ------------------------------------------

interface ChildResult {
  probeMs: number;
  before: { backend: string; vault: string; message: string };
  setBeforeVault: string;
  created: { backend: string; vault: string; message: string };
  roundTrip: boolean;
  osKeychainError: string;
}

const CHILD = `
import { createSecretStore } from ${JSON.stringify(SECRETS_TS)};
import { createOsKeychain } from ${JSON.stringify(KEYCHAIN_TS)};
const { WARDEN_TEST_CANARY: canary, WARDEN_TEST_VAULT: vaultPath, WARDEN_TEST_SERVICE: service } = process.env;
const t0 = Date.now();
const store = await createSecretStore({ service, vaultPath, vaultKdf: { m: ${MIN_KDF.m}, t: ${MIN_KDF.t} } });
const probeMs = Date.now() - t0;
const before = store.status();
let setBeforeVault = 'stored';
try { await store.set('pbx-password:x', canary); } catch (e) { setBeforeVault = e.code; }
const created = await store.createVault('a passphrase for the test vault');
await store.set('pbx-password:x', canary);
const roundTrip = (await store.get('pbx-password:x')) === canary;
let osKeychainError = 'not tried';
if (process.env.WARDEN_TEST_DIRECT === '1') {
  try { await createOsKeychain().set(service, 'direct', canary); osKeychainError = 'none'; } catch (e) { osKeychainError = e.code + ': ' + e.message; }
}
process.stdout.write(JSON.stringify({ probeMs, before, setBeforeVault, created, roundTrip, osKeychainError }) + '\\n');
process.exit(0);
`;

async function runChild(env: NodeJS.ProcessEnv, wrap: string[] = []): Promise<{ result: ChildResult; canary: string; storeDir: string; ms: number }> {
  const storeDir = mkdtempSync(path.join(dir, 'vault-'));
  const canary = `CANARY-${randomBytes(8).toString('hex')}`;
  const argv = [...wrap, process.execPath, '--import', 'tsx', '--input-type=module', '-e', CHILD];
  const t0 = Date.now();
  const child = spawn(argv[0]!, argv.slice(1), {
    cwd: ROOT,
    env: {
      ...process.env,
      ...env,
      WARDEN_TEST_CANARY: canary,
      WARDEN_TEST_VAULT: path.join(storeDir, 'vault.json'),
      WARDEN_TEST_SERVICE: SERVICE,
      WARDEN_TEST_DIRECT: '1',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 45_000);
    child.on('close', (c) => {
      clearTimeout(timer);
      resolve(c);
    });
  });
  const ms = Date.now() - t0;
  const line = stdout.split('\n').find((l) => l.startsWith('{'));
  if (code !== 0 || !line) throw new Error(`child failed (exit ${code}):\n${stdout}\n${stderr}`);
  return { result: JSON.parse(line) as ChildResult, canary, storeDir, ms };
}

function expectVaultFallback(run: Awaited<ReturnType<typeof runChild>>, reason: RegExp): void {
  const { result, canary, storeDir } = run;
  expect(result.before).toMatchObject({ backend: 'vault', vault: 'none' });
  expect(result.before.message).toMatch(/^No OS keychain is available: /);
  expect(result.before.message).toMatch(reason);
  expect(result.before.message).toMatch(/Secrets are kept in an encrypted local vault; choose a passphrase to create it\.$/);
  expect(result.setBeforeVault).toBe('vault_missing'); // refused, not written in plain text
  expect(result.created).toMatchObject({ backend: 'vault', vault: 'unlocked' });
  expect(result.roundTrip).toBe(true);
  // Pinned to the Secret Service: the direct keychain call fails clearly instead of falling back to
  // the kernel keyring (or anywhere else).
  if (result.osKeychainError !== 'not tried') {
    expect(result.osKeychainError).toMatch(/^keychain_unavailable: The OS keychain is not available: No Secret Service/);
  }
  // Only the encrypted vault is on disk; the canary appears in no file.
  expect(readdirSync(storeDir)).toEqual(['vault.json']);
  expect(filesContain(storeDir, canary)).toEqual([]);
  expect(JSON.parse(readFileSync(path.join(storeDir, 'vault.json'), 'utf8'))).toMatchObject({ v: 1, cipher: 'aes-256-gcm' });
  if (HAVE_KEYRING) expect(secretTool('lookup', 'service', SERVICE, 'username', 'pbx-password:x').stdout).toBe('');
}

describe('no Secret Service reachable → the passphrase vault, with a reason', () => {
  it('no D-Bus session at all (DBUS_SESSION_BUS_ADDRESS points at a missing socket)', async () => {
    const run = await runChild({ DBUS_SESSION_BUS_ADDRESS: `unix:path=${path.join(dir, 'no-such-bus')}` });
    expectVaultFallback(run, /No Secret Service \(gnome-keyring \/ KWallet\) is running on this desktop session/);
    expect(run.result.probeMs).toBeLessThan(3000);
  });

  it('a D-Bus session bus that never answers: the probe gives up after ~3 s and the process still exits', async () => {
    const sock = path.join(dir, 'mute-bus.sock');
    const server = net.createServer(() => undefined); // accepts, never speaks
    await new Promise<void>((resolve) => server.listen(sock, resolve));
    try {
      // (No direct keychain call here: the Entry constructor would block on this bus; the store never
      // makes one, because the probe already chose the vault.)
      const run = await runChild({ DBUS_SESSION_BUS_ADDRESS: `unix:path=${sock}`, WARDEN_TEST_DIRECT: '0' });
      expectVaultFallback(run, /did not answer within 3 s/);
      expect(run.result.probeMs).toBeGreaterThanOrEqual(2900);
      expect(run.result.probeMs).toBeLessThan(6000);
    } finally {
      server.close();
    }
  });

  it.skipIf(!HAVE_DBUS_RUN_SESSION)(
    HAVE_DBUS_RUN_SESSION
      ? 'a D-Bus session without any Secret Service provider'
      : 'a D-Bus session without any Secret Service provider — skipped: dbus-run-session missing (apt-get install -y dbus)',
    async () => {
      const conf = path.join(dir, 'bare-session.conf');
      writeFileSync(
        conf,
        `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:tmpdir=${os.tmpdir()}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default"><allow send_destination="*" eavesdrop="true"/><allow eavesdrop="true"/><allow own="*"/></policy>
</busconfig>
`,
      );
      const run = await runChild({}, ['dbus-run-session', `--config-file=${conf}`, '--']);
      expectVaultFallback(run, /No Secret Service .*not provided by any \.service files/);
    },
  );
});

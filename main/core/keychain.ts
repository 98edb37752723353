// The OS keychain behind one small interface, so the secret store can be tested with a fake and the
// real thing can be swapped per platform.
//
// Backend: @napi-rs/keyring (keyring-rs): macOS Keychain, Windows Credential Manager, and on Linux the
// freedesktop Secret Service (gnome-keyring, KWallet, KeePassXC...) over D-Bus.
//
// Pinning on Linux: by default @napi-rs/keyring picks a Linux store automatically and *silently falls
// back to the kernel keyutils keyring* when no Secret Service answers. That keyring lives in kernel
// memory only ("will not persist across reboots"), so saved passwords would vanish at the next boot
// without a word. The package (2.1+) lets an entry require one store through its options bag:
// `{ linux: { store: 'secret-service' } }`; with a required store the Entry constructor throws
// instead of falling back. We always pass it (the bag is ignored on macOS and Windows), so on Linux we
// get the Secret Service or a clear error — and the caller then offers the passphrase vault.
//
// Never log a secret: nothing in this file prints values, and error messages never include them.
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { spawn, type ChildProcess } from 'node:child_process';
import { AsyncEntry, type EntryOptions } from '@napi-rs/keyring';
import { AppError } from '../../shared/errors.js';

export type ProbeResult = { ok: true } | { ok: false; reason: string };

export interface KeychainBackend {
  /** The stored secret, or null when there is none. */
  get(service: string, account: string): Promise<string | null>;
  set(service: string, account: string, secret: string): Promise<void>;
  /** Removes the entry; removing a missing entry is not an error. */
  delete(service: string, account: string): Promise<void>;
  /** Really round-trips a throwaway entry. Never hangs and never throws. */
  probe(): Promise<ProbeResult>;
}

export interface OsKeychainOptions {
  /** Service name used for the probe's throwaway entry (default 'pbx-warden'). */
  probeService?: string;
  /** Upper bound for probe() (default 3000 ms). */
  probeTimeoutMs?: number;
  /** Upper bound for get/set/delete (default 60 s: a desktop may show an "unlock keyring" prompt). */
  opTimeoutMs?: number;
  /**
   * Run the probe in a short-lived child process (default: on Linux only, where the constructor does
   * synchronous D-Bus I/O). The child is this same executable as plain Node (ELECTRON_RUN_AS_NODE=1 under
   * Electron, which needs Electron's RunAsNode fuse: on in development, OFF in packaged builds, where the
   * default is therefore false). macOS and Windows entries do no I/O in the constructor, so there the probe runs
   * in-thread under the same async timeout.
   */
  isolateProbe?: boolean;
}

/** Pin Linux to the Secret Service: no silent fallback to the in-memory kernel keyring. */
export const ENTRY_OPTIONS: EntryOptions = { linux: { store: 'secret-service' } };

export const NO_SECRET_SERVICE = 'No Secret Service (gnome-keyring / KWallet) is running on this desktop session';

export function createOsKeychain(options: OsKeychainOptions = {}): KeychainBackend {
  const probeService = options.probeService ?? 'pbx-warden';
  const probeTimeoutMs = options.probeTimeoutMs ?? 3000;
  const opTimeoutMs = options.opTimeoutMs ?? 60_000;

  // Note: on Linux the constructor does a synchronous D-Bus round trip. The store only calls these
  // after probe() succeeded (the bus answered within the timeout), so this is a quick local call.
  const entry = (service: string, account: string): AsyncEntry => {
    try {
      return new AsyncEntry(service, account, ENTRY_OPTIONS);
    } catch (error) {
      throw unavailable(error);
    }
  };

  const run = async <T>(what: string, op: (signal: AbortSignal) => Promise<T>): Promise<T> => {
    try {
      return await withTimeout(op, opTimeoutMs, `the OS keychain did not answer within ${opTimeoutMs / 1000} s (${what})`);
    } catch (error) {
      throw error instanceof AppError ? error : unavailable(error);
    }
  };

  return {
    async get(service, account) {
      const e = entry(service, account);
      return run('read', (signal) => e.getPassword(signal));
    },
    async set(service, account, secret) {
      const e = entry(service, account);
      await run('write', (signal) => e.setPassword(secret, signal));
    },
    async delete(service, account) {
      const e = entry(service, account);
      await run('delete', (signal) => e.deleteCredential(signal));
    },
    // Not in a packaged Electron app: its RunAsNode fuse is off (electron-builder.yml), so the child would start
    // a second GUI instance instead of Node (slow, and its 3 s timeout would wrongly pick the vault).
    probe: () => probeOsKeychain(probeService, probeTimeoutMs, options.isolateProbe ?? (process.platform === 'linux' && !isPackagedElectron())),
  };
}

/** Electron sets process.defaultApp only when it runs an app from the command line (development). */
function isPackagedElectron(): boolean {
  return !!process.versions['electron'] && !(process as { defaultApp?: boolean }).defaultApp;
}

function unavailable(error: unknown): AppError {
  return new AppError('keychain_unavailable', `The OS keychain is not available: ${describeKeychainError(error)}.`, 503);
}

/** A sentence a person can act on, with the technical detail kept in parentheses. */
export function describeKeychainError(error: unknown): string {
  const detail = (error instanceof Error ? error.message : String(error)).replace(/\s+/g, ' ').trim().replace(/\.$/, '');
  if (process.platform === 'linux') {
    if (
      /DBUS_SESSION_BUS_ADDRESS|autolaunch|Failed to connect to socket|not provided by any \.service files|ServiceUnknown|NoServer|No such file or directory|Connection refused|did not answer|Did not receive a reply|timed? ?out/i.test(
        detail,
      )
    ) {
      return `${NO_SECRET_SERVICE} (${detail})`;
    }
    if (/no result found|no default collection|NoSuchObject/i.test(detail)) {
      return `the Secret Service has no default keyring to store passwords in; create or unlock one (for example with Seahorse) (${detail})`;
    }
    if (/\blocked\b|prompt|dismissed/i.test(detail)) {
      return `the Secret Service keyring is locked and was not unlocked (${detail})`;
    }
    return `the Secret Service failed (${detail})`;
  }
  return `the OS keychain failed (${detail})`;
}

async function withTimeout<T>(op: (signal: AbortSignal) => Promise<T>, ms: number, message: string): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new Error(message));
    }, ms);
    timer.unref();
  });
  try {
    return await Promise.race([op(controller.signal), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

// ---- probe ----------------------------------------------------------------------------------------
//
// The Entry constructor talks to D-Bus *synchronously* on the calling thread: it connects to the bus
// and calls org.freedesktop.secrets (which may trigger D-Bus activation). A bus that accepts the
// connection but never answers holds that thread indefinitely, and no timer can interrupt synchronous
// native code. A worker thread is not enough either: the main thread stays free, but a worker stuck in
// native code cannot be terminated, so the process could then never exit.
// So the round trip runs in a short-lived child process (the same Node or Electron binary, as plain
// Node) that we SIGKILL after the timeout. Only if no child can be spawned does it run in-thread.

const PROBE_CHILD_SOURCE = `
(async () => {
  const [modulePath, service, account] = process.argv.slice(-3);
  const { createRequire } = await import('node:module');
  const { randomBytes } = await import('node:crypto');
  const out = (r) => process.stdout.write(JSON.stringify(r) + '\\n', () => process.exit(0));
  let AsyncEntry;
  try {
    ({ AsyncEntry } = createRequire(modulePath)(modulePath));
  } catch (error) {
    return out({ ok: false, load: true, message: String(error && error.message) });
  }
  try {
    const value = randomBytes(18).toString('base64');
    const entry = new AsyncEntry(service, account, { linux: { store: 'secret-service' } });
    await entry.setPassword(value);
    let back;
    try {
      back = await entry.getPassword();
    } finally {
      await entry.deleteCredential().catch(() => undefined);
    }
    if (back !== value) throw new Error('an entry written to the keychain read back differently');
    out({ ok: true });
  } catch (error) {
    out({ ok: false, message: String(error && error.message ? error.message : error) });
  }
})();
`;

function keyringModulePath(): string | null {
  try {
    // ESM (tsx, vitest, node) has import.meta.url; a CommonJS bundle has a real `require`.
    const req = typeof require === 'function' ? require : createRequire(import.meta.url);
    return req.resolve('@napi-rs/keyring');
  } catch {
    return null;
  }
}

async function probeOsKeychain(service: string, timeoutMs: number, isolate: boolean): Promise<ProbeResult> {
  const account = `warden-probe-${randomBytes(6).toString('hex')}`;
  const timeoutReason = `${NO_SECRET_SERVICE} (the keychain did not answer within ${Math.round(timeoutMs / 100) / 10} s)`;
  const modulePath = isolate ? keyringModulePath() : null;
  if (modulePath) {
    const viaChild = await probeInChild(modulePath, service, account, timeoutMs, timeoutReason);
    if (viaChild) return viaChild;
  }
  // Fallback: in-thread round trip under an async timeout.
  const value = randomBytes(18).toString('base64');
  try {
    const e = new AsyncEntry(service, account, ENTRY_OPTIONS);
    await withTimeout(
      async (signal) => {
        await e.setPassword(value, signal);
        let back: string | null;
        try {
          back = await e.getPassword(signal);
        } finally {
          await e.deleteCredential().catch(() => undefined);
        }
        if (back !== value) throw new Error('an entry written to the keychain read back differently');
      },
      timeoutMs,
      'did not answer',
    );
    return { ok: true };
  } catch (error) {
    const msg = error instanceof Error ? error.message : String(error);
    return { ok: false, reason: msg === 'did not answer' ? timeoutReason : describeKeychainError(error) };
  }
}

/** Resolves null when no child could run the probe (the caller then probes in-thread). */
function probeInChild(
  modulePath: string,
  service: string,
  account: string,
  timeoutMs: number,
  timeoutReason: string,
): Promise<ProbeResult | null> {
  return new Promise((resolve) => {
    const env: NodeJS.ProcessEnv = { ...process.env, ELECTRON_RUN_AS_NODE: '1' };
    delete env['NODE_OPTIONS']; // no --inspect, loaders etc. from the parent
    let child: ChildProcess;
    try {
      child = spawn(process.execPath, ['-e', PROBE_CHILD_SOURCE, '--', modulePath, service, account], {
        env,
        stdio: ['ignore', 'pipe', 'ignore'],
        windowsHide: true,
      });
    } catch {
      resolve(null);
      return;
    }
    let settled = false;
    let stdout = '';
    const finish = (result: ProbeResult | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      resolve(result);
    };
    const timer = setTimeout(() => finish({ ok: false, reason: timeoutReason }), timeoutMs);
    timer.unref();
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      stdout += chunk;
      const line = stdout.split('\n')[0];
      if (!stdout.includes('\n') || line === undefined) return;
      try {
        const msg = JSON.parse(line) as { ok: boolean; load?: boolean; message?: string };
        if (msg.load) finish(null); // the addon did not load in the child: probe in-thread instead
        else finish(msg.ok ? { ok: true } : { ok: false, reason: describeKeychainError(new Error(msg.message ?? 'unknown error')) });
      } catch {
        finish(null);
      }
    });
    child.once('error', () => finish(null)); // could not spawn
    // Ended without a result line (crashed?): try in-thread rather than guess.
    child.once('close', () => finish(null));
  });
}

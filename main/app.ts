// The console's composition, shared by both roots (Electron and browser mode). Plain Node: no electron.
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defaultDataDir } from '../server/index.js';
import type { SeedOption } from '../server/seed.js';
import { inProcessPbx, type EmbeddedPbxHandle, type EmbeddedPbxStarter } from './embedded-pbx.js';
import { ConnectionManager } from './core/connection.js';
import { EMBEDDED_PROFILE_ID, ProfileStore } from './core/profiles.js';
import { DownloadStore } from './core/file-delivery.js';
import { ReviewManager } from './core/review.js';
import { createSecretStore } from './core/secrets.js';
import { EventHub } from './rpc/event-hub.js';
import { autoConnectEmbedded, createHandlers, type ConsoleServices } from './rpc/handlers.js';
import { createRouter, type Router } from './rpc/router.js';

export const APP_VERSION = '0.1.0';
export const KEYCHAIN_SERVICE = 'pbx-warden';

export interface ConsoleOptions {
  mode: 'electron' | 'browser';
  /** Where profiles and the vault live. */
  consoleDir: string;
  /** Start the embedded reference PBX with this data directory (null = no embedded PBX). */
  embeddedDataDir: string | null;
  /** Seed for the embedded PBX's first run. */
  seed?: SeedOption;
  /** How to start the embedded PBX (default: in this process). */
  startEmbedded?: EmbeddedPbxStarter;
  /** Use the passphrase vault even if a keychain is reachable (tests). */
  forceVault?: boolean;
  log?: (line: string) => void;
}

export interface ConsoleApp {
  router: Router;
  hub: EventHub;
  services: ConsoleServices;
  /** Shown once on the terminal: the embedded PBX admin password on its first run. */
  initialAdminPassword: string | null;
  /** Shown once too: the embedded PBX's front-desk (receptionist) account, on its first run. */
  initialReceptionistPassword: string | null;
  embeddedUrl: string | null;
  close(): Promise<void>;
}

/** Default folders: $WARDEN_HOME overrides both (tests, several instances side by side). */
export function defaultDirs(): { consoleDir: string; pbxDir: string } {
  const home = process.env['WARDEN_HOME'];
  if (home) return { consoleDir: path.join(home, 'console'), pbxDir: path.join(home, 'reference-pbx') };
  const base =
    process.platform === 'win32'
      ? process.env['APPDATA'] ?? path.join(os.homedir(), 'AppData', 'Roaming')
      : process.platform === 'darwin'
        ? path.join(os.homedir(), 'Library', 'Application Support')
        : process.env['XDG_CONFIG_HOME'] ?? path.join(os.homedir(), '.config');
  return { consoleDir: path.join(base, 'pbx-warden'), pbxDir: defaultDataDir() };
}

export async function createConsoleApp(opts: ConsoleOptions): Promise<ConsoleApp> {
  const log = opts.log ?? (() => undefined);
  mkdirSync(opts.consoleDir, { recursive: true, mode: 0o700 });
  const hub = new EventHub();
  const profiles = new ProfileStore({ cwd: opts.consoleDir });
  if (profiles.loadWarning) log(profiles.loadWarning);
  const secrets = await createSecretStore({
    service: KEYCHAIN_SERVICE,
    vaultPath: path.join(opts.consoleDir, 'vault.json'),
    forceVault: opts.forceVault ?? false,
  });
  // issue 7: while a file is reviewed, the renderer's connection status is the review's
  const review = new ReviewManager((status) => hub.emit({ kind: 'connection', status }));
  const connection = new ConnectionManager(secrets, {
    onStatus: (status) => {
      if (!review.current) hub.emit({ kind: 'connection', status });
    },
    onPbxEvent: (event) => hub.emit({ kind: 'pbx', event }),
  });

  let pbx: EmbeddedPbxHandle | null = null;
  const services: ConsoleServices = {
    mode: opts.mode, version: APP_VERSION, profiles, secrets, connection, embedded: null, review,
    // issue 7: Electron sets `shell` once its window exists; browser mode downloads files from the host
    shell: null, downloads: new DownloadStore(),
  };
  if (opts.embeddedDataDir) {
    pbx = await (opts.startEmbedded ?? inProcessPbx)(opts.embeddedDataDir, opts.seed ?? 'demo');
    // the embedded admin may have been renamed in its login settings (issue 6): keep that name, unless this
    // run created the PBX's data afresh (then the account is "admin" again)
    const kept = pbx.initialAdminPassword ? undefined : profiles.list().find((p) => p.id === EMBEDDED_PROFILE_ID && p.kind === 'embedded');
    profiles.upsertEmbedded(pbx.url, kept?.username ?? 'admin');
    services.embedded = {
      url: pbx.url,
      secretScope: createHash('sha256').update(path.resolve(opts.embeddedDataDir)).digest('hex').slice(0, 16),
      pendingPassword: pbx.initialAdminPassword,
    };
  }
  const router = createRouter(createHandlers(services), log);

  // Start-up: with the embedded PBX and a usable secret store, connect straight away, so a newcomer
  // lands on a logged-in console (the only prompt left is the vault passphrase when there is no keychain).
  await autoConnectEmbedded(services, log);

  return {
    router,
    hub,
    services,
    initialAdminPassword: pbx?.initialAdminPassword ?? null,
    initialReceptionistPassword: pbx?.initialReceptionistPassword ?? null,
    embeddedUrl: pbx?.url ?? null,
    async close() {
      await connection.disconnect(false).catch(() => undefined);
      await pbx?.close();
    },
  };
}

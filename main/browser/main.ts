// Browser-mode composition root: the embedded reference PBX + the console host on loopback.
// Prints the one-time URL to open. Used by `npm start` when no Electron binary is present.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createConsoleApp, defaultDirs } from '../app.js';
import { startBrowserHost } from './host.js';
import { parseSeedArg, type SeedOption } from '../../server/seed.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function parseSeed(v: string | undefined): SeedOption {
  if (!v) return 'demo';
  try {
    return parseSeedArg(v);
  } catch (err) {
    console.error((err as Error).message);
    process.exit(2);
  }
}

export async function main(): Promise<void> {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const dirs = defaultDirs();
  const staticDir = process.env['WARDEN_RENDERER_DIR'] ?? path.resolve(here, '../../dist/renderer');
  const noEmbedded = process.argv.includes('--no-embedded');
  const app = await createConsoleApp({
    mode: 'browser',
    consoleDir: arg('console-dir') ?? dirs.consoleDir,
    embeddedDataDir: noEmbedded ? null : arg('data-dir') ?? dirs.pbxDir,
    seed: parseSeed(arg('seed') ?? process.env['WARDEN_SEED']),
    forceVault: process.env['WARDEN_FORCE_VAULT'] === '1',
    log: (line) => console.error(`[console] ${line}`),
  });
  const portArg = arg('port') ?? process.env['WARDEN_PORT'];
  const host = await startBrowserHost({
    router: app.router, hub: app.hub, staticDir, port: portArg ? Number(portArg) : 0, downloads: app.services.downloads,
  });

  if (app.initialAdminPassword) {
    console.log('');
    console.log('  The embedded reference PBX was created. Its admin password (shown only this once):');
    console.log(`      admin / ${app.initialAdminPassword}`);
    if (app.initialReceptionistPassword) {
      console.log(`  and a front-desk (receptionist) account for the Headquarters site:`);
      console.log(`      reception / ${app.initialReceptionistPassword}`);
    }
    console.log('  The console keeps it in your keychain (or its vault); note it if you want to use the API directly.');
  }
  if (app.embeddedUrl) console.log(`  Reference PBX:  ${app.embeddedUrl}  (API docs: ${app.embeddedUrl}/api/v1/openapi.json)`);
  const secrets = app.services.secrets.status();
  if (secrets.backend === 'vault') console.log(`  Secrets: ${secrets.message}`);
  console.log('');
  console.log('  PBX Warden console (browser mode) — open this address once:');
  console.log(`  ${host.launchUrl}`);
  console.log('');

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await host.close();
    await app.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

void main().catch((err: unknown) => {
  console.error(`PBX Warden could not start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});

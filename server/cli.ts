// tsx server/cli.ts [--data-dir DIR] [--host H] [--port N] [--seed demo|none|N]
import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { defaultDataDir, startPbxServer } from './index.js';
import { parseSeedArg, type SeedOption } from './seed.js';

const USAGE = `Usage: tsx server/cli.ts [--data-dir DIR] [--host HOST] [--port N] [--seed demo|none|N]

  --data-dir DIR   where the database and the pepper live (default: ${defaultDataDir()})
  --host HOST      address to listen on (default 127.0.0.1)
  --port N         port, 0 = any free port (default 0)
  --seed S         first run only: demo (300 extensions), none, or a number of generated extensions
  --ready-json     print one line PBX_READY {url, first-run passwords} instead of the banner (for a parent process);
                   the server stops when its standard input closes
`;

export class UsageError extends Error {}

export interface CliOptions {
  dataDir: string;
  host: string;
  port: number;
  seed: SeedOption;
  help: boolean;
  /** For a parent process (the Electron console in development): one machine-readable line, no banner. */
  readyJson: boolean;
}

export function parseArgs(argv: string[]): CliOptions {
  const out: CliOptions = { dataDir: defaultDataDir(), host: '127.0.0.1', port: 0, seed: 'demo', help: false, readyJson: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--help' || arg === '-h') {
      out.help = true;
      continue;
    }
    const eq = arg.indexOf('=');
    const flag = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    const inline = arg.startsWith('--') && eq > 0 ? arg.slice(eq + 1) : undefined;
    const value = (): string => {
      if (inline !== undefined) return inline;
      const v = argv[i + 1];
      if (v === undefined || v.startsWith('--')) throw new UsageError(`${flag} needs a value`);
      i++;
      return v;
    };
    switch (flag) {
      case '--data-dir': {
        const v = value();
        if (v.trim() === '') throw new UsageError('--data-dir must not be empty');
        out.dataDir = resolve(v);
        break;
      }
      case '--host': {
        const v = value();
        if (!/^[A-Za-z0-9.:-]{1,253}$/.test(v)) throw new UsageError(`--host: "${v}" is not a host name or address`);
        out.host = v;
        break;
      }
      case '--port': {
        const v = value();
        const n = Number(v);
        if (!/^[0-9]{1,5}$/.test(v) || n > 65535) throw new UsageError(`--port: "${v}" is not a port number (0–65535)`);
        out.port = n;
        break;
      }
      case '--seed': {
        try {
          out.seed = parseSeedArg(value());
        } catch (err) {
          throw new UsageError((err as Error).message);
        }
        break;
      }
      case '--ready-json': {
        out.readyJson = true;
        break;
      }
      default:
        throw new UsageError(`unknown option ${flag}`);
    }
  }
  return out;
}

async function main(): Promise<void> {
  let opts: CliOptions;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`reference-pbx: ${err.message}\n\n${USAGE}`);
      process.exit(2);
    }
    throw err;
  }
  if (opts.help) {
    process.stdout.write(USAGE);
    return;
  }
  const server = await startPbxServer({ dataDir: opts.dataDir, host: opts.host, port: opts.port, seed: opts.seed, quiet: opts.readyJson });
  if (opts.readyJson) {
    // The parent reads this one line from a pipe and keeps the first-run password in memory only.
    process.stdout.write(
      `PBX_READY ${JSON.stringify({
        url: server.url,
        initialAdminPassword: server.initialAdminPassword,
        initialReceptionistPassword: server.initialReceptionistPassword,
      })}\n`,
    );
    process.stdin.on('end', () => void server.close().then(() => process.exit(0)));
    process.stdin.resume();
    return;
  }
  process.stdout.write(`Reference PBX "${server.serverName}" listening on ${server.url}\n`);
  process.stdout.write(`Data directory: ${opts.dataDir}\n`);
  if (server.initialAdminPassword) {
    process.stdout.write(
      `\nAdmin account created.\n  username: admin\n  password: ${server.initialAdminPassword}\n` +
        (server.initialReceptionistPassword
          ? `Receptionist account created (site hq).\n  username: reception\n  password: ${server.initialReceptionistPassword}\n`
          : '') +
        (server.initialReceptionistPassword
          ? 'Store these passwords now: they will not be shown again.\n\n'
          : 'Store this password now: it will not be shown again.\n\n'),
    );
  }
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`Received ${signal}, shutting down\n`);
    server.close().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

function invokedDirectly(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(script)).href;
  } catch {
    return false;
  }
}

if (invokedDirectly()) {
  main().catch((err: unknown) => {
    console.error(`reference-pbx: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}

// How the console starts its embedded reference PBX. Plain Node (no electron).
// - In-process (browser mode, and packaged Electron builds whose native modules electron-builder
//   rebuilt for Electron's ABI).
// - As a child process on plain `node` (Electron in development: better-sqlite3 and argon2 in
//   node_modules are built for Node's ABI, which Electron's runtime cannot load). The child prints one
//   PBX_READY line on a pipe and stops when that pipe closes, so it never outlives the console.
import { spawn } from 'node:child_process';
import { startPbxServer } from '../server/index.js';
import type { SeedOption } from '../server/seed.js';

export interface EmbeddedPbxHandle {
  url: string;
  initialAdminPassword: string | null;
  /** The seeded front-desk account's first-run password (demo data only). */
  initialReceptionistPassword?: string | null;
  close(): Promise<void>;
}

export type EmbeddedPbxStarter = (dataDir: string, seed: SeedOption) => Promise<EmbeddedPbxHandle>;

export const inProcessPbx: EmbeddedPbxStarter = (dataDir, seed) => startPbxServer({ dataDir, seed, quiet: true });

export function childProcessPbx(nodePath: string, cliPath: string): EmbeddedPbxStarter {
  return (dataDir, seed) =>
    new Promise((resolve, reject) => {
      const seedArg = typeof seed === 'string' ? seed : String(seed.extensions);
      const child = spawn(nodePath, [cliPath, '--data-dir', dataDir, '--seed', seedArg, '--ready-json'], {
        stdio: ['pipe', 'pipe', 'inherit'],
      });
      let out = '';
      const timer = setTimeout(() => {
        child.kill();
        reject(new Error('The embedded reference PBX did not start within 120 s'));
      }, 120_000);
      child.on('error', (err) => {
        clearTimeout(timer);
        reject(new Error(`The embedded reference PBX could not start (${nodePath}): ${err.message}`));
      });
      child.on('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`The embedded reference PBX stopped (exit code ${code})`));
      });
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (chunk: string) => {
        out += chunk;
        const m = /^PBX_READY (.+)$/m.exec(out);
        if (!m) return;
        clearTimeout(timer);
        const ready = JSON.parse(m[1]!) as { url: string; initialAdminPassword: string | null; initialReceptionistPassword?: string | null };
        out = '';
        resolve({
          url: ready.url,
          initialAdminPassword: ready.initialAdminPassword,
          initialReceptionistPassword: ready.initialReceptionistPassword ?? null,
          close: () =>
            new Promise<void>((done) => {
              if (child.exitCode !== null) return done();
              child.once('exit', () => done());
              child.stdin.end();
              setTimeout(() => child.kill(), 5000).unref();
            }),
        });
      });
    });
}

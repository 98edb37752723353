// Issue 7: the configuration export of a 100,000-extension PBX. (a) GET /api/v1/export (the PBX in its own
// process, seeded with 100,000 extensions; the whole body received), target ≤ 2 s; (b) opening it: openExportFile
// of the body's bytes, as the console opens a file (UTF-8 decode, size check, JSON.parse, the schema), target ≤ 1 s; (c) encrypting and decrypting it with a
// passphrase (argon2id 64 MiB + AES-256-GCM); (d) the console's export in browser mode (config.export, then the
// page's single-use download from the console host). Median of 3 (after a warm-up request). The exported extensions
// are also checked to equal Store.allExtensions() (the SQL serialisation of server/export.ts at full size).
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { readExportText } from '../shared/export-reader.js';
import { openExportFile } from '../main/core/export-file.js';
import { openDb } from '../server/db.js';
import { Store } from '../server/store.js';
import { decryptExport, encryptExport } from '../main/core/export-envelope.js';
import { ConnectionManager } from '../main/core/connection.js';
import { ProfileStore } from '../main/core/profiles.js';
import { startBrowserHost } from '../main/browser/host.js';
import { EventHub } from '../main/rpc/event-hub.js';
import { createHandlers, type ConsoleServices } from '../main/rpc/handlers.js';
import { createRouter } from '../main/rpc/router.js';
import { memorySecretStore } from '../test/support/memory-secrets.js';
import { adminSignIn, median, round, startChild, writeResult } from './lib.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const EXTENSIONS = Number(process.env['BENCH_EXPORT_EXTENSIONS'] ?? 100_000);
const RUNS = 3;

/** A GET timed from the request to the body's last byte (decoding it as text is the reader's part). */
function get(url: string, headers: Record<string, string>): Promise<{ status: number; ms: number; text: string; bytes: Buffer }> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          const ms = performance.now() - t0;
          resolve({ status: res.statusCode ?? 0, ms, text: body.toString('utf8'), bytes: body });
        });
      })
      .on('error', reject);
  });
}

const cpuMs = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1000;

async function main() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'warden-bench-export-'));
  const tsx = path.join(root, 'node_modules/tsx/dist/cli.mjs');
  const pbx = await startChild([tsx, 'server/cli.ts', '--data-dir', dir, '--seed', String(EXTENSIONS)], {}, /not be shown again/);
  try {
    const { password: pw, auth } = await adminSignIn(pbx);

    await get(`${pbx.url}/api/v1/export`, auth); // warm-up (statement cache, page cache)
    const exportMs: number[] = [];
    let text = '';
    let bytes: Buffer = Buffer.alloc(0);
    for (let i = 0; i < RUNS; i++) {
      const r = await get(`${pbx.url}/api/v1/export`, auth);
      if (r.status !== 200) throw new Error(`GET /api/v1/export: ${r.status} ${r.text.slice(0, 300)}`);
      exportMs.push(r.ms);
      text = r.text;
      bytes = r.bytes;
    }

    const readMs: number[] = [];
    const readCpuMs: number[] = [];
    let count = 0;
    for (let i = 0; i < RUNS; i++) {
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      const r = await openExportFile(bytes);
      readMs.push(performance.now() - t0);
      readCpuMs.push(cpuMs(process.cpuUsage(c0)));
      if (!r.ok) throw new Error(`openExportFile: ${r.code} ${r.message}`);
      count = r.data.extensions.length;
    }
    if (count !== EXTENSIONS) throw new Error(`expected ${EXTENSIONS} extensions in the export, read ${count}`);
    // the SQL-built extensions (server/export.ts) are exactly the Store's row mapping, at this size too
    const db = openDb(dir);
    const same = (() => {
      const r = readExportText(text);
      return r.ok && isDeepStrictEqual(r.data.extensions, new Store(db).allExtensions());
    })();
    db.close();
    if (!same) throw new Error('the exported extensions differ from Store.allExtensions()');

    let t0 = performance.now();
    const envelope = await encryptExport(text, 'correct horse battery staple');
    const encryptMs = performance.now() - t0;
    t0 = performance.now();
    const plain = await decryptExport(envelope, 'correct horse battery staple');
    const decryptMs = performance.now() - t0;
    if (plain !== text) throw new Error('the decrypted export differs from the original');

    // (d) the console's export, browser mode: config.export through the router (the PBX's export fetched by the
    // console's session, checked by the same reader, kept for one download) and then that download from the
    // console host, as the page's link fetches it
    const cdir = mkdtempSync(path.join(os.tmpdir(), 'warden-bench-console-'));
    const profiles = new ProfileStore({ cwd: cdir });
    const profile = profiles.save({ name: 'Bench', url: pbx.url, username: 'admin', tls: { mode: 'system' } });
    const secrets = memorySecretStore().store;
    const services: ConsoleServices = {
      mode: 'browser', version: 'bench', profiles, secrets, embedded: null,
      connection: new ConnectionManager(secrets, { onStatus: () => undefined, onPbxEvent: () => undefined }, { retries: 0 }),
    };
    const router = createRouter(createHandlers(services));
    const staticDir = path.join(cdir, 'static');
    mkdirSync(staticDir);
    const host = await startBrowserHost({ router, hub: new EventHub(), staticDir, downloads: services.downloads! });
    const consoleMs: number[] = [];
    const downloadMs: number[] = [];
    try {
      const connected = await router.handle('connection.connect', { profileId: profile.id, password: pw });
      if (!connected.ok) throw new Error(`connect: ${connected.error.message}`);
      const cookie = await new Promise<string>((resolve, reject) => {
        http.get(host.launchUrl, (res) => {
          res.resume();
          resolve(String(res.headers['set-cookie']).split(';')[0]!);
        }).on('error', reject);
      });
      for (let i = 0; i < RUNS + 1; i++) {
        const t0 = performance.now();
        const r = await router.handle('config.export', {});
        const t1 = performance.now();
        if (!r.ok) throw new Error(`config.export: ${r.error.code} ${r.error.message}`);
        const { delivery, bytes: size } = r.value as { delivery: { kind: string; url: string }; bytes: number };
        const got = await get(`${host.origin}${delivery.url}`, { Cookie: cookie });
        // each export is audited, so the audit summary (and the size) moves a little from one to the next
        if (got.status !== 200 || got.bytes.length !== size) throw new Error(`download: ${got.status}, ${got.bytes.length} of ${size} bytes`);
        if (i > 0) {
          consoleMs.push(t1 - t0);
          downloadMs.push(got.ms);
        }
      }
    } finally {
      await services.connection.disconnect(false).catch(() => undefined);
      await host.close();
      rmSync(cdir, { recursive: true, force: true });
    }

    const exportP50 = median(exportMs);
    const readP50 = median(readMs);
    console.log(
      `GET /api/v1/export, ${EXTENSIONS} extensions, ${round(text.length / 1024 / 1024, 1)} MiB: median ${round(exportP50, 0)} ms ` +
        `(target ≤ 2000) [${exportMs.map((x) => round(x, 0)).join(', ')}]\n` +
        `open (openExportFile of the bytes): median ${round(readP50, 0)} ms (target ≤ 1000) [${readMs.map((x) => round(x, 0)).join(', ')}], ` +
        `CPU [${readCpuMs.map((x) => round(x, 0)).join(', ')}] ms\n` +
        `load average during the run: ${os.loadavg().map((x) => round(x, 2)).join(' / ')} (2 cores; other work on the machine inflates every figure)\n` +
        `encrypt ${round(encryptMs, 0)} ms, decrypt ${round(decryptMs, 0)} ms (argon2id 64 MiB, t=3, AES-256-GCM)\n` +
        `console export (config.export: fetch + check + keep): median ${round(median(consoleMs), 0)} ms [${consoleMs.map((x) => round(x, 0)).join(', ')}], ` +
        `then the page's download from the console host: median ${round(median(downloadMs), 0)} ms`,
    );
    writeResult('export', {
      what: `GET /api/v1/export of a PBX seeded with ${EXTENSIONS} extensions (whole body received), opening its bytes (openExportFile), median of ${RUNS}; encrypt/decrypt once`,
      extensions: EXTENSIONS,
      bytes: Buffer.byteLength(text),
      exportMs: round(exportP50, 0),
      exportRunsMs: exportMs.map((x) => round(x, 0)),
      exportTargetMs: 2000,
      openMs: round(readP50, 0),
      openRunsMs: readMs.map((x) => round(x, 0)),
      openTargetMs: 1000,
      openCpuMs: readCpuMs.map((x) => round(x, 0)),
      loadAverage: os.loadavg().map((x) => round(x, 2)),
      encryptMs: round(encryptMs, 0),
      decryptMs: round(decryptMs, 0),
      consoleExportMs: round(median(consoleMs), 0),
      consoleExportRunsMs: consoleMs.map((x) => round(x, 0)),
      consoleDownloadMs: round(median(downloadMs), 0),
    });
  } finally {
    pbx.child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

void main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});

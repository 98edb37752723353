// Issue 8, reliability: kill the reference PBX with kill -9 at random points during a write-heavy run, 20 times.
// The PBX runs as a real child process through its CLI (server/cli.ts, bundled once: see reliability-lib.ts) on one
// data directory. Lanes of writes go over the real management API — protection on/off/block/unblock and password
// changes, voicemail trust, voicemail PINs, PIN policy and lockout policy edits, the lockout allowlist, manual
// address bans, hot-desk mappings (test/support/reliability-pbx-workload.ts) — until a SIGKILL at a random moment.
// After each restart on the same directory: every acknowledged write (2xx received before the kill) is there, the
// one in flight at most added; an acknowledged voicemail PIN signs a phone in; the audit chain verifies and holds
// a row for every acknowledged write; PRAGMA integrity_check is ok and foreign_key_check finds nothing.
// RELIABILITY_SEED=<n> replays the choices of a run (the kill moments depend on timing too).
import Database from 'better-sqlite3';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditVerify } from '../../shared/audit.js';
import { httpRequest } from '../helpers/server.js';
import { repoRoot } from '../support/console-process.js';
import { bundleChild, runSeed, seededRandom, sleep, type Bundle } from '../support/reliability-lib.js';
import { createLanes, PbxClient, Unreachable, type WriteStats } from '../support/reliability-pbx-workload.js';

const KILLS = 20;

let cli: Bundle;
beforeAll(async () => {
  cli = await bundleChild('server/cli.ts', 'reliability-pbx', { packagesExternal: true });
});
afterAll(() => cli?.remove());

interface PbxChild {
  proc: ChildProcessWithoutNullStreams;
  url: string;
  initialAdminPassword: string | null;
  output: () => string;
}

/** `node <bundled server/cli.ts> --data-dir DIR --seed demo --ready-json`; stdin stays open (it stops the PBX when closed). */
function startPbx(dataDir: string): Promise<PbxChild> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [cli.file, '--data-dir', dataDir, '--seed', 'demo', '--ready-json'], { cwd: repoRoot, stdio: 'pipe' });
    let out = '';
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`the PBX did not start in time:\n${out}`));
    }, 60_000);
    proc.stderr.on('data', (c: Buffer) => (out += c.toString()));
    proc.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /PBX_READY (\{.*\})\n/.exec(out);
      if (m) {
        clearTimeout(timer);
        const ready = JSON.parse(m[1] as string) as { url: string; initialAdminPassword: string | null };
        resolve({ proc, url: ready.url, initialAdminPassword: ready.initialAdminPassword, output: () => out });
      }
    });
    proc.on('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the PBX exited (code ${code}, signal ${signal}) before it was ready:\n${out}`));
    });
  });
}

function kill9(child: PbxChild): Promise<void> {
  return new Promise((resolve) => {
    if (child.proc.exitCode !== null || child.proc.signalCode !== null) return resolve();
    child.proc.once('exit', () => resolve());
    child.proc.kill('SIGKILL');
  });
}

/** The database as SQLite sees it (read-only, beside the running PBX): intact, every foreign key satisfied. */
function checkDatabase(dataDir: string, where: string): void {
  const db = new Database(path.join(dataDir, 'pbx.sqlite'), { readonly: true, fileMustExist: true });
  try {
    expect(db.pragma('integrity_check'), `${where}: PRAGMA integrity_check`).toEqual([{ integrity_check: 'ok' }]);
    expect(db.pragma('foreign_key_check'), `${where}: PRAGMA foreign_key_check`).toEqual([]);
  } finally {
    db.close();
  }
}

describe('kill -9 of the reference PBX during a write-heavy run', () => {
  it(`keeps every acknowledged write and an intact database, ${KILLS} times`, async () => {
    const seed = runSeed();
    console.log(`reliability-pbx-kill: seed ${seed} (RELIABILITY_SEED=${seed} replays it)`);
    const rnd = seededRandom(seed);
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'warden-pbx-kill-'));
    let child: PbxChild | undefined;
    const totals = { acked: 0, refused: 0, landedInFlight: 0, checked: 0, startMs: 0 };
    try {
      child = await startPbx(dataDir);
      const password = child.initialAdminPassword;
      expect(password, 'a fresh data directory creates the admin').toBeTruthy();
      const login = await httpRequest<{ token: string }>(`${child.url}/api/v1/session`, { method: 'POST', body: { username: 'admin', password } });
      expect(login.status, login.text).toBe(201);
      // Sessions are stored too: the one token serves every restart.
      const pbx = new PbxClient(child.url, login.json.token);
      const lanes = await createLanes(pbx, rnd);
      let audit = await pbx.get<AuditVerify>('/api/v1/audit/verify');
      expect(audit.ok).toBe(true);

      for (let kill = 1; kill <= KILLS; kill++) {
        const where = `after kill ${kill} (seed ${seed})`;
        const stats: WriteStats = { acked: 0, refused: 0 };
        let stop = false;
        const running = lanes.map(async (lane) => {
          while (!stop) {
            try {
              await lane.step(pbx, rnd, stats);
            } catch (error) {
              if (error instanceof Unreachable) return; // the kill: this request's outcome is unknown
              stop = true;
              throw error;
            }
          }
        });
        // a random moment of the run: lanes are mid-request (or between two) when it comes
        await Promise.race([sleep(rnd.int(100, 600)), Promise.all(running)]);
        await kill9(child);
        stop = true;
        await Promise.all(running);
        totals.acked += stats.acked;
        totals.refused += stats.refused;

        const t0 = performance.now();
        child = await startPbx(dataDir);
        totals.startMs += performance.now() - t0;
        expect(child.initialAdminPassword, `${where}: no second first run`).toBeNull();
        pbx.url = child.url;
        for (const lane of lanes) {
          const r = await lane.verify(pbx, where, rnd);
          totals.landedInFlight += r.pending;
          totals.checked += r.acked + r.pending;
        }
        const now = await pbx.get<AuditVerify>('/api/v1/audit/verify');
        expect(now.broken, `${where}: the audit chain`).toBeNull();
        expect(now.ok, `${where}: the audit chain`).toBe(true);
        // every acknowledged write appended an audit row (the one in flight may have too)
        expect(now.lastId ?? 0, `${where}: audit rows of ${stats.acked} acknowledged writes`).toBeGreaterThanOrEqual((audit.lastId ?? 0) + stats.acked);
        audit = now;
        checkDatabase(dataDir, where);
      }

      console.log(
        `reliability-pbx-kill: ${KILLS} kills, ${totals.acked} acknowledged writes (${totals.refused} refused by policy), ` +
          `${totals.checked} resource checks after restarts, ${totals.landedInFlight} writes in flight at a kill found applied, ` +
          `audit chain of ${audit.checked} rows intact; a restart took ${Math.round(totals.startMs / KILLS)} ms on average`,
      );
      // the run really was write-heavy, and kills really caught writes in flight
      expect(totals.acked).toBeGreaterThan(KILLS * 10);
    } finally {
      if (child) await kill9(child);
      rmSync(dataDir, { recursive: true, force: true });
    }
    // ~40 s on an idle 2-core machine (21 PBX starts); the limit leaves room for a busy one
  }, 300_000);
});

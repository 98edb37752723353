// Issue 8, reliability: kill the console host during profile writes, 200 times. A child process saves the
// connection profiles in a tight loop through the real ProfileStore (test/support/reliability-profile-writer.ts)
// and is SIGKILLed at a random moment; after each kill the file must be exactly the last acknowledged version or
// the one being written (parsed and compared with what that version holds), the real ProfileStore must load it
// without a warning (nothing quarantined), and no temp file may pile up: the next load removes what a kill left.
// One lane's writers have SNAP in their environment, where conf would write in place (torn at the first kill).
// RELIABILITY_SEED=<n> replays a run.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProfileStore, STALE_TEMP_MS } from '../../main/core/profiles.js';
import type { Profile, ProfilesFile } from '../../shared/rpc.js';
import { bundleChild, runSeed, seededRandom, sleep, type Bundle, type Random } from '../support/reliability-lib.js';
import { FILLER, fillerProfile, OFFICE_ID, officeProfile, versionOf } from '../support/reliability-profile-writer.js';

const KILLS = 200;
/** Children run side by side, each on its own folder (a start costs ~0.2 s of module loading). */
const LANES = 3;
const TEMP = /^profiles\.json\.tmp-/;

let writer: Bundle;
beforeAll(async () => {
  writer = await bundleChild('test/support/reliability-profile-writer.ts', 'reliability-profile-writer');
});
afterAll(() => writer?.remove());

interface KillResult {
  /** The version the child found on start. */
  from: number;
  /** Highest "W n" (about to write n) and "A n" (save of n returned) printed before the kill. */
  lastWrite: number;
  lastAck: number;
}

/**
 * Start a writer on `dir`, let it write for a random while, SIGKILL it. `snap`: SNAP set in its environment, as
 * in a console started from a snap-packaged terminal (conf then writes in place unless ProfileStore prevents it).
 */
function runAndKill(dir: string, rnd: Random, snap: boolean): Promise<KillResult> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env };
    if (snap) env['SNAP'] = '/snap/terminal/1';
    else delete env['SNAP'];
    const child = spawn(process.execPath, [writer.file, dir], { stdio: ['ignore', 'pipe', 'pipe'], env });
    let out = '';
    let err = '';
    let from: number | null = null;
    let killed = false;
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      if (from === null) {
        const m = /^READY (\d+)\n/m.exec(out);
        if (m) {
          from = Number(m[1]);
          // from a few writes in to a few dozen: each lands somewhere in a save (or between two)
          void sleep(rnd.int(0, 40)).then(() => {
            killed = true;
            child.kill('SIGKILL');
          });
        }
      }
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (!killed || signal !== 'SIGKILL' || from === null) {
        reject(new Error(`the writer ended by itself (code ${code}, signal ${signal}):\n${out}\n${err}`));
        return;
      }
      const last = (tag: string) => {
        const all = [...out.matchAll(new RegExp(`^${tag} (\\d+)$`, 'gm'))].map((m) => Number(m[1]));
        return all.length ? Math.max(...all) : from!;
      };
      resolve({ from, lastWrite: last('W'), lastAck: last('A') });
    });
  });
}

/** Version 0: the office profile and the fillers, through the real store. Returns the file as it holds them. */
function createVersionZero(dir: string): ProfilesFile {
  const store = new ProfileStore({ cwd: dir });
  const { id: _id, kind: _kind, ...first } = officeProfile(0);
  expect(store.save({ ...first, name: 'Office' }).id).toBe(OFFICE_ID);
  for (let i = 0; i < FILLER; i++) store.save(fillerProfile(i));
  store.save({ id: OFFICE_ID, ...first });
  const file = JSON.parse(readFileSync(path.join(dir, 'profiles.json'), 'utf8')) as ProfilesFile;
  expect(versionOf(file.profiles)).toBe(0);
  expect(file.profiles).toHaveLength(FILLER + 1);
  return file;
}

/** What the file holds in version k. */
function expectedFile(base: ProfilesFile, k: number): ProfilesFile {
  return { ...base, profiles: base.profiles.map((p): Profile => (p.id === OFFICE_ID ? officeProfile(k) : p)) };
}

describe('kill -9 of the console host during profile writes', () => {
  it(`leaves the old or the new profile file, never a corrupt one, ${KILLS} times`, async () => {
    const seed = runSeed();
    console.log(`reliability-profile-kill: seed ${seed} (RELIABILITY_SEED=${seed} replays it)`);
    const root = mkdtempSync(path.join(os.tmpdir(), 'warden-profile-kill-'));
    const stats = { kills: 0, midSave: 0, newVersion: 0, tempsLeft: 0, versions: 0 };
    try {
      const lanes = Array.from({ length: LANES }, (_, i) => {
        const dir = path.join(root, `lane-${i}`);
        return { dir, base: createVersionZero(dir), version: 0, rnd: seededRandom((seed + i * 0x9e3779b9) >>> 0) };
      });
      const file = (dir: string) => path.join(dir, 'profiles.json');

      await Promise.all(
        lanes.map(async (lane, i) => {
          const kills = Math.floor(KILLS / LANES) + (i < KILLS % LANES ? 1 : 0);
          for (let n = 0; n < kills; n++) {
            // the first lane's writers run with SNAP set
            const r = await runAndKill(lane.dir, lane.rnd, i === 0);
            const where = `lane ${i}, kill ${n + 1} (seed ${seed})`;
            expect(r.from, `${where}: the writer started from the version the last check saw`).toBe(lane.version);
            stats.kills++;
            if (r.lastWrite > r.lastAck) stats.midSave++;

            // The bytes on disk: complete JSON, exactly the content of one version written.
            const text = readFileSync(file(lane.dir), 'utf8');
            let parsed: ProfilesFile;
            try {
              parsed = JSON.parse(text) as ProfilesFile;
            } catch (error) {
              throw new Error(`${where}: the profile file is not JSON (${(error as Error).message}):\n${text.slice(0, 400)}`);
            }
            expect(text, `${where}: the file is whole`).toBe(`${JSON.stringify(parsed, null, 2)}\n`);
            const v = versionOf(parsed.profiles);
            // Every save that returned is there; the one in flight may or may not be.
            expect(v, `${where}: version on disk vs the last acknowledged save`).toBeGreaterThanOrEqual(r.lastAck);
            expect(v, `${where}: version on disk vs the last save begun`).toBeLessThanOrEqual(r.lastWrite);
            expect(parsed, `${where}: the file holds exactly version ${v}`).toEqual(expectedFile(lane.base, v));
            if (v > r.lastAck) stats.newVersion++;
            stats.versions += v - lane.version;

            // The console's own load: reads it as it is (nothing moved aside), and clears what the kill left.
            stats.tempsLeft += readdirSync(lane.dir).filter((f) => TEMP.test(f)).length;
            // staleTempMs 0: the writer is dead, so no write is in flight (a console's default waits STALE_TEMP_MS)
            const store = new ProfileStore({ cwd: lane.dir, staleTempMs: 0 });
            expect(store.loadWarning, where).toBeNull();
            expect(store.list().find((p) => p.id === OFFICE_ID), where).toEqual(officeProfile(v));
            expect(readdirSync(lane.dir).sort(), `${where}: only the profile file is left`).toEqual(['profiles.json']);
            lane.version = v;
          }
        }),
      );

      console.log(
        `reliability-profile-kill: ${stats.kills} kills, ${stats.midSave} during a save, ${stats.newVersion} of them after the new ` +
          `version was in place, ${stats.tempsLeft} temp files left by kills (each removed by the next load), ${stats.versions} versions written`,
      );
      expect(stats.kills).toBe(KILLS);
      // The kills really hit saves in progress (else this test would prove nothing) and the children really wrote.
      expect(stats.midSave).toBeGreaterThan(KILLS / 4);
      expect(stats.tempsLeft).toBeGreaterThan(0);
      expect(stats.versions).toBeGreaterThan(KILLS / 2);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
    // ~20 s on an idle 2-core machine (200 Node starts); the limit leaves room for a busy one
  }, 300_000);

  it('a console start keeps a young temp file (another console may be writing it) and removes an old one', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'warden-profile-temp-'));
    try {
      createVersionZero(dir);
      const young = path.join(dir, `profiles.json.tmp-${Date.now().toString().slice(-10)}00beef`);
      const old = path.join(dir, `profiles.json.tmp-${(Date.now() - STALE_TEMP_MS - 5000).toString().slice(-10)}c0ffee`);
      const unrelated = path.join(dir, 'notes.json.tmp-1234567890abcdef');
      for (const f of [young, old, unrelated]) writeFileSync(f, '{"schemaVersion":1,"profi');
      const aged = (Date.now() - STALE_TEMP_MS - 5000) / 1000;
      utimesSync(old, aged, aged);
      const store = new ProfileStore({ cwd: dir });
      expect(store.loadWarning).toBeNull();
      expect(versionOf(store.list())).toBe(0);
      expect(readdirSync(dir).sort()).toEqual([path.basename(unrelated), 'profiles.json', path.basename(young)].sort());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// SPEC F3 against the REAL reference PBX: brute force of voicemail PINs locks the extension and bans the
// source address; locked and banned requests get exactly the answer of a wrong PIN and cost no argon2 work;
// the fake clock ends the lock; and the counters and the lock survive kill -9 of the server process.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import type { ExtensionList } from '../../shared/api.js';
import type { Extension } from '../../shared/domain.js';
import type { PbxEvent } from '../../shared/events.js';
import { Hasher } from '../../server/secrets.js';
import { httpRequest, manualClock, openEventStream, startTestPbx, type EventStream, type HttpResult, type TestPbx } from '../helpers/server.js';

const MIN = 60_000;

/** A PIN that is not `pin` (same length, every digit changed). */
const wrongPin = (pin: string) => pin.replace(/[0-9]/g, (d) => String((Number(d) + 1) % 10));

/** The parts of an answer a device sees (status, body, and the headers that could tell answers apart). */
const seen = (r: HttpResult) => ({ status: r.status, text: r.text, type: r.headers['content-type'], length: r.headers['content-length'] });

describe('lockouts and bans on the real server (SPEC F3)', () => {
  const clock = manualClock();
  let pbx: TestPbx;
  let stream: EventStream;
  let mailboxes: Extension[];
  const pins = new Map<string, string>();
  const argon2 = { verify: vi.spyOn(Hasher.prototype, 'verify'), hash: vi.spyOn(Hasher.prototype, 'hash') };
  const argon2Calls = () => argon2.verify.mock.calls.length + argon2.hash.mock.calls.length;

  const vmLogin = (extension: string, pin: string, from: string) => pbx.device('/device/v1/voicemail/login', { extension, pin }, { from });
  const sql = <T>(query: string, ...args: unknown[]): T[] => {
    const db = new Database(join(pbx.dataDir, 'pbx.sqlite'), { readonly: true });
    try {
      return db.prepare(query).all(...args) as T[];
    } finally {
      db.close();
    }
  };

  beforeAll(async () => {
    pbx = await startTestPbx({ seed: 'demo', clock: clock.now });
    const r = await pbx.api<ExtensionList>('GET', '/api/v1/extensions?limit=1000&type=phone_terminal');
    mailboxes = r.json.items.filter((e) => e.status === 'active' && e.voicemail && !e.voicemailTrusted).slice(0, 5);
    expect(mailboxes).toHaveLength(5);
    for (const e of mailboxes) {
      const d = await pbx.api<{ defaultPin: string }>('GET', `/api/v1/extensions/${e.number}/credentials/voicemail-pin/default`);
      expect(d.status, d.text).toBe(200);
      pins.set(e.number, d.json.defaultPin);
    }
    stream = await openEventStream(pbx.url, pbx.token);
  });
  afterAll(async () => {
    stream?.close();
    argon2.verify.mockRestore();
    argon2.hash.mockRestore();
    await pbx?.cleanup();
  });

  it('locks the extension at 5 wrong PINs and bans the address at 10, refusing both like a wrong PIN, with no argon2 work', async () => {
    const [a, b] = mailboxes as [Extension, Extension];
    const pinA = pins.get(a.number) as string;
    const pinB = pins.get(b.number) as string;
    // the reference answer: one wrong PIN for another mailbox from another host
    const wrong = seen(await vmLogin(b.number, wrongPin(pinB), '127.0.0.4'));
    expect(wrong.status).toBe(403);

    // 1–5: wrong PINs, each verified by argon2; the 5th locks the mailbox
    for (let i = 1; i <= 5; i++) {
      const before = argon2Calls();
      const r = await vmLogin(a.number, wrongPin(pinA), '127.0.0.2');
      expect(seen(r)).toEqual(wrong);
      expect(argon2Calls() - before).toBe(1);
    }
    const locked = await stream.waitFor((e: PbxEvent) => e.type === 'lockout.changed' && e.number === a.number && e.action === 'locked');
    expect(locked).toMatchObject({ credential: 'voicemail', by: 'device', address: '127.0.0.2', lock: { blocked: true, failures: 5, maxFailures: 5 } });

    // refused as locked, before any hashing, the same answer; not counted (SPEC F3: failures while locked do
    // not count), neither toward the mailbox nor toward the address
    for (let i = 0; i < 8; i++) {
      const before = argon2Calls();
      expect(seen(await vmLogin(a.number, wrongPin(pinA), '127.0.0.2'))).toEqual(wrong);
      expect(argon2Calls()).toBe(before);
    }
    expect(stream.events.some((e) => e.type === 'ban.changed')).toBe(false);
    // 6–10 from that address: wrong PINs for another mailbox (hashed, counted): the 10th bans the address
    const e = mailboxes[4] as Extension;
    for (let i = 6; i <= 10; i++) expect(seen(await vmLogin(e.number, wrongPin(pins.get(e.number) as string), '127.0.0.2'))).toEqual(wrong);
    const ban = await stream.waitFor((e: PbxEvent) => e.type === 'ban.changed' && e.action === 'added');
    expect(ban).toMatchObject({ by: 'lockout engine', ban: { cidr: '127.0.0.2', addedBy: 'auto', hits: 0 } });
    if (ban.type !== 'ban.changed') throw new Error('unreachable');
    expect(Date.parse(ban.ban.expiresAt as string) - clock.now().getTime()).toBe(10 * MIN);

    // banned: even the right PIN of another mailbox is refused from 127.0.0.2, with no hashing; hits count
    let before = argon2Calls();
    expect(seen(await vmLogin(b.number, pinB, '127.0.0.2'))).toEqual(wrong);
    const adminFromBanned = await httpRequest(`${pbx.url}/api/v1/session`, {
      method: 'POST', body: { username: 'admin', password: pbx.adminPassword }, localAddress: '127.0.0.2',
    });
    expect(adminFromBanned.status).toBe(401);
    expect(adminFromBanned.json).toMatchObject({ error: { code: 'invalid_credentials' } });
    expect(argon2Calls()).toBe(before);
    expect(sql<{ hits: number }>("SELECT hits FROM address_bans WHERE cidr = '127.0.0.2'")).toEqual([{ hits: 2 }]);

    // a trusted mailbox called from its own extension (whose phone registered from 127.0.0.3) needs no PIN,
    // but not from a banned address
    const d = mailboxes[3] as Extension;
    const pw = await pbx.api<Extension>('PUT', `/api/v1/extensions/${d.number}/credentials/phone_password`, { body: { value: '583920' }, ifMatch: d.etag });
    expect(pw.status, pw.text).toBe(200);
    const t = await pbx.api<Extension>('PUT', `/api/v1/extensions/${d.number}/voicemail/trusted`, { body: { trusted: true }, ifMatch: pw.json.etag });
    expect(t.status, t.text).toBe(200);
    const reg = await pbx.device('/device/v1/register', { extension: d.number, password: '583920' }, { from: '127.0.0.3' });
    expect(reg.json).toEqual({ result: 'registered', expiresSeconds: 3600 });
    before = argon2Calls();
    expect(seen(await pbx.device('/device/v1/voicemail/login', { extension: d.number, from: d.number }, { from: '127.0.0.2' }))).toEqual(wrong);
    expect((await pbx.device('/device/v1/voicemail/login', { extension: d.number, from: d.number }, { from: '127.0.0.3' })).json).toEqual({ result: 'ok' });
    expect(argon2Calls()).toBe(before);
    expect(sql<{ hits: number }>("SELECT hits FROM address_bans WHERE cidr = '127.0.0.2'")).toEqual([{ hits: 3 }]);

    // another host: the right PIN of another mailbox works; the locked mailbox refuses even its right PIN
    const okB = await vmLogin(b.number, pinB, '127.0.0.3');
    expect(okB.status, okB.text).toBe(200);
    expect(okB.json).toMatchObject({ result: 'must_change_pin' });
    before = argon2Calls();
    expect(seen(await vmLogin(a.number, pinA, '127.0.0.3'))).toEqual(wrong);
    // the PIN change path checks the old PIN the same way
    expect(seen(await pbx.device('/device/v1/voicemail/pin', { extension: a.number, pin: pinA, newPin: '739154' }, { from: '127.0.0.3' }))).toEqual(wrong);
    expect(argon2Calls()).toBe(before);

    // the counters are in the database: 5 counted for the mailbox (the address's 10 were paid for by the ban)
    const [{ n: counted }] = sql<{ n: number }>('SELECT count(*) AS n FROM lockout_failures WHERE extension = ? AND ext_counted = 1', a.number) as [{ n: number }];
    expect(counted).toBe(5);
    expect(sql("SELECT action FROM audit WHERE action IN ('lockout.locked', 'ban.add') ORDER BY id")).toEqual([
      { action: 'lockout.locked' }, { action: 'lockout.locked' }, { action: 'ban.add' },
    ]);

    // 10 minutes later: the lock and the ban are over
    clock.advance(10 * MIN);
    const afterLock = await vmLogin(a.number, pinA, '127.0.0.3');
    expect(afterLock.status, afterLock.text).toBe(200);
    expect((await vmLogin(b.number, pinB, '127.0.0.2')).status).toBe(200);
  });

  it('parallel guesses cannot pass the threshold: at most 5 of 40 concurrent attempts are hashed', async () => {
    const before = argon2Calls();
    const answers = await Promise.all(Array.from({ length: 40 }, () => vmLogin(mailboxes[3]!.number, '000000000', '127.0.0.9')));
    expect(new Set(answers.map((a) => a.status))).toEqual(new Set([403]));
    expect(argon2Calls() - before).toBe(5);
    expect(sql<{ blocked: number }>('SELECT count(*) AS blocked FROM extension_locks WHERE extension = ? AND locked_until IS NOT NULL', mailboxes[3]!.number)).toEqual([{ blocked: 1 }]);
  });

  it('locks *11 on a protected phone, and failed admin logins ban their address', async () => {
    const c = mailboxes[2] as Extension;
    const r = await pbx.api<Extension>('PUT', `/api/v1/extensions/${c.number}/protection`, { body: { enabled: true, password: '58314' }, ifMatch: c.etag });
    expect(r.status, r.text).toBe(200);
    const keypad = (digits: string, from: string) => pbx.device('/device/v1/keypad', { extension: c.number, code: '*11', digits }, { from });
    const wrong = seen(await keypad('11111', '127.0.0.5'));
    expect(wrong.status).toBe(403);
    for (let i = 0; i < 4; i++) expect(seen(await keypad('11111', '127.0.0.5'))).toEqual(wrong);
    const before = argon2Calls();
    expect(seen(await keypad('58314', '127.0.0.6'))).toEqual(wrong);
    expect(argon2Calls()).toBe(before);
    // the voicemail credential of the same extension is not locked
    expect((await vmLogin(c.number, pins.get(c.number) as string, '127.0.0.6')).status).toBe(200);

    const login = (password: string) =>
      httpRequest(`${pbx.url}/api/v1/session`, { method: 'POST', body: { username: 'admin', password }, localAddress: '127.0.0.7' });
    const bad = await login('not-the-password');
    expect(bad.status).toBe(401);
    for (let i = 0; i < 9; i++) expect((await login('not-the-password')).text).toBe(bad.text);
    const b2 = argon2Calls();
    const refused = await login(pbx.adminPassword);
    expect(refused.status).toBe(401);
    expect(refused.text).toBe(bad.text);
    expect(argon2Calls()).toBe(b2);
    // other hosts can still log in
    expect((await pbx.login()).status).toBe(201);
  });
});

// ---- kill -9 mid-attack: the server as a child process through its CLI ----

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const tsx = join(root, 'node_modules/tsx/dist/cli.mjs');

interface Child {
  proc: ChildProcessWithoutNullStreams;
  url: string;
  adminPassword: string | null;
}

function startCli(dataDir: string): Promise<Child> {
  return new Promise((res, rej) => {
    const proc = spawn(process.execPath, [tsx, 'server/cli.ts', '--data-dir', dataDir, '--seed', '50', '--ready-json'], {
      cwd: root,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      rej(new Error(`server did not start:\n${out}\n${err}`));
    }, 30_000);
    proc.stderr.on('data', (c: Buffer) => (err += c.toString()));
    proc.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /PBX_READY (\{.*\})\n/.exec(out);
      if (m) {
        clearTimeout(timer);
        const ready = JSON.parse(m[1] as string) as { url: string; initialAdminPassword: string | null };
        res({ proc, url: ready.url, adminPassword: ready.initialAdminPassword });
      }
    });
    proc.on('exit', (code) => {
      clearTimeout(timer);
      rej(new Error(`server exited with ${code}:\n${out}\n${err}`));
    });
  });
}

function kill9(child: Child): Promise<void> {
  return new Promise((res) => {
    child.proc.once('exit', () => res());
    child.proc.kill('SIGKILL');
  });
}

describe('lock state survives kill -9', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'pbx-warden-lockout-kill-'));
  let child: Child | undefined;
  afterAll(async () => {
    if (child && child.proc.exitCode === null && child.proc.signalCode === null) await kill9(child);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps acknowledged failures and the lock across SIGKILL and restart', async () => {
    child = await startCli(dataDir);
    const adminPassword = child.adminPassword as string;
    const session = await httpRequest<{ token: string }>(`${child.url}/api/v1/session`, { method: 'POST', body: { username: 'admin', password: adminPassword } });
    expect(session.status).toBe(201);
    const auth = { authorization: `Bearer ${session.json.token}` };
    const list = await httpRequest<ExtensionList>(`${child.url}/api/v1/extensions?limit=100&type=phone_terminal`, { headers: auth });
    const ext = list.json.items.find((e) => e.status === 'active' && e.voicemail) as Extension;
    const d = await httpRequest<{ defaultPin: string }>(`${child.url}/api/v1/extensions/${ext.number}/credentials/voicemail-pin/default`, { headers: auth });
    const pin = d.json.defaultPin;
    const attempt = (url: string, p: string) =>
      httpRequest(`${url}/device/v1/voicemail/login`, { method: 'POST', body: { extension: ext.number, pin: p }, localAddress: '127.0.0.2' });

    // 3 failures acknowledged, then kill -9 at once
    for (let i = 0; i < 3; i++) expect((await attempt(child.url, wrongPin(pin))).status).toBe(403);
    await kill9(child);

    child = await startCli(dataDir);
    expect(child.adminPassword).toBeNull();
    // 2 more: 5 in all → locked (so the 3 before the kill were kept)
    for (let i = 0; i < 2; i++) expect((await attempt(child.url, wrongPin(pin))).status).toBe(403);
    await kill9(child);

    child = await startCli(dataDir);
    // the lock survived: even the right PIN, from another host, is refused
    const r = await httpRequest(`${child.url}/device/v1/voicemail/login`, {
      method: 'POST', body: { extension: ext.number, pin }, localAddress: '127.0.0.3',
    });
    expect(r.status).toBe(403);
    await kill9(child);

    const db = new Database(join(dataDir, 'pbx.sqlite'), { readonly: true });
    try {
      const counted = db.prepare('SELECT count(*) FROM lockout_failures WHERE extension = ? AND ext_counted = 1').pluck().get(ext.number);
      expect(counted).toBe(5);
      const lock = db.prepare("SELECT locked_until, permanent FROM extension_locks WHERE extension = ? AND credential = 'voicemail'").get(ext.number) as
        | { locked_until: string | null; permanent: number }
        | undefined;
      expect(lock?.locked_until).not.toBeNull();
      expect(Date.parse(lock!.locked_until!)).toBeGreaterThan(Date.now());
    } finally {
      db.close();
    }
  });
});

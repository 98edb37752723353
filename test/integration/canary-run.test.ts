// End-of-run canary (SPEC F2 "secrets are never stored in plain text"): the REAL reference PBX (server/cli.ts,
// --ready-json) and the REAL console in browser mode (main/browser/main.ts, --no-embedded) run as child
// processes with every folder they may write to — data dir, WARDEN_HOME, HOME, XDG dirs, TMPDIR — and their
// stdout/stderr inside one fresh temp dir. The test drives the console through its HTTP RPC bridge (one-time
// token → cookie, Origin, JSON; as the browser does), and the phones through the device API, to set long
// canary credentials of every kind, refuse one, change a voicemail PIN from the phone, fail a sign-in with a
// canary, reset PINs (single and bulk), read default PINs out, edit policies, deactivate and activate. Then
// both programs stop (gracefully, or SIGKILL so the SQLite WAL is left as it is) and EVERY file under the
// temp dir is scanned for each canary in utf8, utf16le/be, hex, base64(url) at every alignment and as a
// SQLite integer: none may appear. The default PINs the console read out are canaries too: stored sealed
// (AES-256-GCM) and hashed, never in plain text. A positive control plants canaries to prove the scanner
// finds them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomInt } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ExtensionList, PinPolicyResource } from '../../shared/api.js';
import type { Extension, ExtensionCredentialKind } from '../../shared/domain.js';
import { checkPin, pinPolicyPreset, type PinPolicy } from '../../shared/pin-policy.js';
import type { Channel, ChannelInput, ChannelOutput, Envelope } from '../../shared/rpc.js';
import { httpRequest } from '../helpers/server.js';
import {
  needlesOf,
  scanForCanaries,
  spawnLogged,
  stopChild,
  waitForOutput,
  type Canary,
  type LoggedChild,
} from '../helpers/canary.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const tsxLoader = path.join(root, 'node_modules/tsx/dist/loader.mjs');

// ---- canary values --------------------------------------------------------------------------------

/** n random digits with no two neighbours equal or one apart: passes every repeat/run rule of any policy. */
function calmDigits(n: number): string {
  let out = '';
  let prev = -5;
  while (out.length < n) {
    const d = randomInt(10);
    if (Math.abs(d - prev) <= 1 || (out.length === 0 && d === 0)) continue;
    out += String(d);
    prev = d;
  }
  return out;
}

/** A random value of `length` that the policy accepts (letters and digits when the policy allows letters). */
function compliant(policy: PinPolicy, length: number, extension: string): string {
  const letters = 'abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ';
  for (;;) {
    let v: string;
    if (policy.digitsOnly) v = calmDigits(length);
    else {
      v = '';
      const digits = calmDigits(length);
      for (let i = 0; i < length; i++) v += i % 3 === 1 ? (digits[i] as string) : (letters[randomInt(letters.length)] as string);
    }
    if (checkPin(v, policy, { extension, defaultPin: null, reused: false }).length === 0) return v;
  }
}

// ---- the console's HTTP RPC bridge, as the browser uses it --------------------------------------

class ConsoleBridge {
  private cookie = '';
  constructor(readonly origin: string) {}

  /** The one-time link: /?token=… → 303 with the session cookie (main/browser/host.ts). */
  async signIn(launchUrl: string): Promise<void> {
    const r = await httpRequest(launchUrl);
    expect(r.status, r.text).toBe(303);
    const setCookie = r.headers['set-cookie']?.[0] ?? '';
    this.cookie = setCookie.split(';')[0] as string;
    expect(this.cookie).toMatch(/^warden_session_\d+=[0-9a-f]{64}$/);
  }

  async envelope<C extends Channel>(channel: C, input: ChannelInput<C>): Promise<Envelope<ChannelOutput<C>>> {
    const r = await httpRequest<Envelope<ChannelOutput<C>>>(`${this.origin}/rpc/${channel}`, {
      method: 'POST',
      headers: { cookie: this.cookie, origin: this.origin },
      body: input,
    });
    expect(r.status, `${channel}: ${r.text}`).toBe(200);
    return r.json;
  }

  async call<C extends Channel>(channel: C, input: ChannelInput<C>): Promise<ChannelOutput<C>> {
    const env = await this.envelope(channel, input);
    if (!env.ok) throw new Error(`${channel}: ${env.error.code}: ${env.error.message}`);
    return env.value;
  }
}

// ---- one run ------------------------------------------------------------------------------------

interface RunResult {
  tempRoot: string;
  canaries: Canary[];
  /** The PBX's first-run admin password: --ready-json hands it to the parent on stdout, by design. */
  adminPassword: string;
  /** How each program ended. */
  exits: Record<string, { code: number | null; signal: NodeJS.Signals | null; forced: boolean }>;
}

async function runScenario(stop: 'graceful' | 'sigkill'): Promise<RunResult> {
  const tempRoot = mkdtempSync(path.join(tmpdir(), `warden-canary-${stop}-`));
  const dirs = {
    pbxData: path.join(tempRoot, 'reference-pbx'),
    wardenHome: path.join(tempRoot, 'warden-home'),
    home: path.join(tempRoot, 'home'),
    tmp: path.join(tempRoot, 'tmp'),
    logs: path.join(tempRoot, 'logs'),
  };
  for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true, mode: 0o700 });
  // Every place the programs may write by default points into the temp dir, so the scan sees it all.
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOME: dirs.home,
    XDG_CONFIG_HOME: path.join(dirs.home, '.config'),
    XDG_DATA_HOME: path.join(dirs.home, '.local/share'),
    XDG_CACHE_HOME: path.join(dirs.home, '.cache'),
    XDG_STATE_HOME: path.join(dirs.home, '.local/state'),
    TMPDIR: dirs.tmp,
    WARDEN_HOME: dirs.wardenHome,
    // The vault (not the desktop keychain, which lives outside the temp dir) keeps the console's secrets,
    // so its file is part of the scan.
    WARDEN_FORCE_VAULT: '1',
  };
  const canaries: Canary[] = [];
  const exits: RunResult['exits'] = {};
  let adminPassword = '';
  let pbx: LoggedChild | null = null;
  let consoleProc: LoggedChild | null = null;
  try {
    // The reference PBX alone, as a parent process runs it: one PBX_READY line, stops when stdin closes.
    pbx = spawnLogged('reference-pbx', dirs.logs, ['--import', tsxLoader, 'server/cli.ts', '--data-dir', dirs.pbxData, '--seed', 'demo', '--ready-json'], { cwd: root, env });
    // The console in browser mode, without its own embedded PBX.
    consoleProc = spawnLogged('console', dirs.logs, ['--import', tsxLoader, 'main/browser/main.ts', '--no-embedded'], {
      cwd: root,
      env: { ...env, WARDEN_RENDERER_DIR: path.join(root, 'dist/renderer') },
    });
    const ready = await waitForOutput(pbx, /^PBX_READY (\{.*\})$/m);
    const { url: pbxUrl, initialAdminPassword } = JSON.parse(ready[1] as string) as { url: string; initialAdminPassword: string };
    adminPassword = initialAdminPassword;
    const launch = await waitForOutput(consoleProc, /(http:\/\/127\.0\.0\.1:\d+)\/\?token=[0-9a-f]{64}/);
    const bridge = new ConsoleBridge(launch[1] as string);
    await bridge.signIn(launch[0]);

    // Console setup: a vault for its secrets, a profile for this PBX, connect.
    const passphrase = `vault-${calmDigits(8)}-passphrase`;
    expect((await bridge.call('secrets.createVault', { passphrase })).vault).toBe('unlocked');
    const profile = await bridge.call('profiles.save', {
      profile: { name: 'Canary PBX', url: pbxUrl, username: 'admin', tls: { mode: 'system' } },
      password: initialAdminPassword,
    });
    expect((await bridge.call('connection.connect', { profileId: profile.id })).state).toBe('online');

    // Direct API access for what the console has no channel for (deactivate/activate).
    const session = await httpRequest<{ token: string }>(`${pbxUrl}/api/v1/session`, { method: 'POST', body: { username: 'admin', password: initialAdminPassword } });
    expect(session.status, session.text).toBe(201);
    const api = <T>(method: string, p: string, ifMatch?: string) =>
      httpRequest<T>(`${pbxUrl}${p}`, { method, headers: { authorization: `Bearer ${session.json.token}`, ...(ifMatch ? { 'if-match': ifMatch } : {}) } });
    const device = <T>(p: string, body: unknown) => httpRequest<T>(`${pbxUrl}/device/v1${p}`, { method: 'POST', body, localAddress: '127.0.0.2' });

    const list = await bridge.call('extensions.list', { limit: 1000 });
    const phones = (list as ExtensionList).items.filter((e) => e.status === 'active' && e.type === 'phone_terminal' && e.voicemail);
    expect(phones.length).toBeGreaterThanOrEqual(4);
    const [a, b, c, d] = phones as [Extension, Extension, Extension, Extension];
    const etags = new Map<string, string>(phones.map((e) => [e.number, e.etag]));
    const track = (e: Extension) => {
      etags.set(e.number, e.etag);
      return e;
    };

    // Edit the policies through the console: IP Office (up to the format's maximum length) for every kind,
    // so that long canaries comply.
    const policies = new Map<string, PinPolicy>();
    for (const item of (await bridge.call('policies.pin.list', {})).items as PinPolicyResource[]) {
      const policy = pinPolicyPreset('ipoffice', item.kind);
      const saved = await bridge.call('policies.pin.set', { etag: item.etag, policy });
      expect(saved.policy).toEqual(policy);
      policies.set(item.kind, policy);
    }

    // Canary credentials of every kind on A (and a second voicemail PIN on B).
    const lengths: Record<ExtensionCredentialKind, number> = { voicemail_pin: 15, login_code: 15, phone_password: 14, user_password: 24 };
    for (const kind of Object.keys(lengths) as ExtensionCredentialKind[]) {
      const value = compliant(policies.get(kind) as PinPolicy, lengths[kind], a.number);
      canaries.push({ label: `${kind} of ${a.number} (set from the console)`, value });
      track(await bridge.call('credentials.set', { number: a.number, etag: etags.get(a.number) as string, kind, value }));
    }
    const vmA = (canaries[0] as Canary).value;
    const vmB = compliant(policies.get('voicemail_pin') as PinPolicy, 13, b.number);
    canaries.push({ label: `voicemail_pin of ${b.number}`, value: vmB });
    track(await bridge.call('credentials.set', { number: b.number, etag: etags.get(b.number) as string, kind: 'voicemail_pin', value: vmB }));

    // A refused value (policy violation) must not be kept or logged either.
    const refusedValue = `${calmDigits(6)}1111${calmDigits(5)}`;
    canaries.push({ label: 'refused login_code', value: refusedValue });
    const refused = await bridge.envelope('credentials.set', { number: a.number, etag: etags.get(a.number) as string, kind: 'login_code', value: refusedValue });
    expect(refused.ok === false && refused.error.code).toBe('pin_policy_violation');

    // Protection password (F1, 3–12 digits) from the console, then *11 from the phone (right and wrong).
    const protection = calmDigits(12);
    canaries.push({ label: `protection password of ${a.number}`, value: protection });
    track(await bridge.call('protection.set', { number: a.number, etag: etags.get(a.number) as string, update: { enabled: true, password: protection } }));
    expect((await device('/keypad', { extension: a.number, code: '*11', digits: protection })).status).toBe(200);
    const wrongKeypad = calmDigits(12);
    canaries.push({ label: 'wrong *11 password', value: wrongKeypad });
    expect((await device('/keypad', { extension: a.number, code: '*11', digits: wrongKeypad })).status).toBe(403);
    track(await bridge.call('extensions.get', { number: a.number }));

    // The phone changes its voicemail PIN (device API), and a failed mailbox sign-in with another canary.
    const vmA2 = compliant(policies.get('voicemail_pin') as PinPolicy, 15, a.number);
    canaries.push({ label: `voicemail_pin of ${a.number} (changed from the phone)`, value: vmA2 });
    const changed = await device<{ result: string }>('/voicemail/pin', { extension: a.number, pin: vmA, newPin: vmA2 });
    expect(changed.status, changed.text).toBe(200);
    const wrongVm = calmDigits(15);
    canaries.push({ label: 'wrong voicemail PIN', value: wrongVm });
    expect((await device('/voicemail/login', { extension: a.number, pin: wrongVm })).status).toBe(403);
    expect((await device<{ result: string }>('/voicemail/login', { extension: a.number, pin: vmA2 })).json.result).toBe('ok');
    track(await bridge.call('extensions.get', { number: a.number }));

    // Reset: one from the console (and read the default out, as the Reception view does), then a bulk reset.
    track(await bridge.call('credentials.resetVoicemailPin', { number: a.number, etag: etags.get(a.number) as string }));
    const bulk = await bridge.call('credentials.bulkResetVoicemailPin', { numbers: [b.number, c.number, d.number] });
    expect(bulk).toMatchObject({ done: 3, failed: 0 });
    const defaults = new Map<string, string>();
    for (const e of [a, b, c, d]) {
      const { defaultPin } = await bridge.call('credentials.defaultVoicemailPin', { number: e.number });
      defaults.set(e.number, defaultPin);
      canaries.push({ label: `default PIN of ${e.number}`, value: defaultPin });
    }
    // First sign-in with the default: must change; the phone picks a new canary PIN.
    const firstLogin = await device<{ result: string }>('/voicemail/login', { extension: c.number, pin: defaults.get(c.number) as string });
    expect(firstLogin.json.result).toBe('must_change_pin');
    const vmC = compliant(policies.get('voicemail_pin') as PinPolicy, 14, c.number);
    canaries.push({ label: `voicemail_pin of ${c.number} (first sign-in)`, value: vmC });
    expect((await device('/voicemail/pin', { extension: c.number, pin: defaults.get(c.number) as string, newPin: vmC })).status).toBe(200);

    // Deactivate and activate D (through the API: the console has no channel for it yet), after giving it a
    // canary login code; read its default again afterwards.
    const loginD = compliant(policies.get('login_code') as PinPolicy, 15, d.number);
    canaries.push({ label: `login_code of ${d.number}`, value: loginD });
    track(await bridge.call('credentials.set', { number: d.number, etag: (await bridge.call('extensions.get', { number: d.number })).etag, kind: 'login_code', value: loginD }));
    const deact = await api<Extension>('POST', `/api/v1/extensions/${d.number}/deactivate`, etags.get(d.number));
    expect(deact.status, deact.text).toBe(200);
    const act = await api<Extension>('POST', `/api/v1/extensions/${d.number}/activate`, deact.json.etag);
    expect(act.status, act.text).toBe(200);
    const { defaultPin: dAfter } = await bridge.call('credentials.defaultVoicemailPin', { number: d.number });
    if (dAfter !== defaults.get(d.number)) canaries.push({ label: `default PIN of ${d.number} after activation`, value: dAfter });

    // Let the console write whatever it writes on its own (profile last-used etc.), then stop.
    await bridge.call('connection.status', {});
    if (stop === 'graceful') {
      exits['console'] = await stopChild(consoleProc, 'SIGTERM');
      exits['reference-pbx'] = await stopChild(pbx, () => pbx?.child.stdin?.end());
    } else {
      exits['reference-pbx'] = await stopChild(pbx, 'SIGKILL');
      exits['console'] = await stopChild(consoleProc, 'SIGKILL');
    }
    return { tempRoot, canaries, adminPassword, exits };
  } catch (err) {
    const logs = [pbx, consoleProc].map((p) => (p ? p.output() : '')).join('\n----\n');
    throw new Error(`${err instanceof Error ? err.stack ?? err.message : String(err)}\n---- child output ----\n${logs}`);
  } finally {
    for (const p of [consoleProc, pbx]) if (p) await stopChild(p, 'SIGKILL', 2000);
  }
}

// ---- the checks ---------------------------------------------------------------------------------

describe.each(['graceful', 'sigkill'] as const)('canary run (%s stop): no secret of the run in any file written', (stop) => {
  let run: RunResult;
  beforeAll(async () => {
    run = await runScenario(stop);
  }, 60_000);
  afterAll(() => {
    if (run && !process.env['WARDEN_KEEP_CANARY_DIR']) rmSync(run.tempRoot, { recursive: true, force: true });
  });

  it('both programs stopped the intended way', () => {
    if (stop === 'graceful') {
      expect(run.exits['console']).toMatchObject({ code: 0, forced: false });
      expect(run.exits['reference-pbx']).toMatchObject({ code: 0, forced: false });
    } else {
      expect(run.exits['console']?.signal).toBe('SIGKILL');
      expect(run.exits['reference-pbx']?.signal).toBe('SIGKILL');
    }
  });

  it('wrote the files the scan is about (database, WAL, pepper, profiles, vault, logs)', () => {
    const { files } = scanForCanaries([run.tempRoot], []);
    const rel = files.map((f) => path.relative(run.tempRoot, f));
    expect(rel).toContain(path.join('reference-pbx', 'pbx.sqlite'));
    if (stop === 'sigkill') expect(rel).toContain(path.join('reference-pbx', 'pbx.sqlite-wal'));
    expect(rel).toEqual(expect.arrayContaining([
      path.join('warden-home', 'console', 'profiles.json'),
      path.join('warden-home', 'console', 'vault.json'),
      path.join('logs', 'reference-pbx.stdout.log'),
      path.join('logs', 'reference-pbx.stderr.log'),
      path.join('logs', 'console.stdout.log'),
      path.join('logs', 'console.stderr.log'),
    ]));
    // every kind of secret the run touched is in the list
    expect(run.canaries.length).toBeGreaterThanOrEqual(15);
    expect(run.canaries.filter((x) => x.label.startsWith('default PIN')).length).toBeGreaterThanOrEqual(4);
  });

  it('finds no canary, in any encoding, in any file under the temp dir (incl. SQLite db/-wal/-shm, logs, vault)', () => {
    const report = scanForCanaries([run.tempRoot], run.canaries);
    expect(report.files.length).toBeGreaterThan(5);
    expect(report.hits.map((h) => `${path.relative(run.tempRoot, h.file)} @${h.offset}: ${h.canary} as ${h.encoding} …${h.context}…`)).toEqual([]);
  });

  it('positive control: the same scan finds canaries planted in each encoding, in the data dir and in a log', () => {
    const planted: Canary = { label: 'planted', value: calmDigits(15) };
    const other: Canary = { label: 'planted password', value: 'Canary7pass9Word3xYz' };
    const controlDir = path.join(run.tempRoot, 'reference-pbx', 'control');
    mkdirSync(controlDir, { recursive: true });
    try {
      // Every needle of both canaries, each in its own file between random bytes (odd offsets included).
      for (const c of [planted, other]) {
        for (const n of needlesOf(c.value)) {
          const pad = Buffer.from(Array.from({ length: 1 + randomInt(7) }, () => randomInt(256)));
          writeFileSync(path.join(controlDir, `${c.label.replace(/ /g, '-')}.${n.encoding}.bin`), Buffer.concat([pad, n.bytes, pad]));
        }
      }
      // base64 of a larger blob that contains the canary at a random offset (not a needle we wrote as such)
      const blob = Buffer.concat([Buffer.from('x'.repeat(randomInt(5))), Buffer.from(`{"pin":"${planted.value}"}`)]);
      writeFileSync(path.join(controlDir, 'blob.b64'), blob.toString('base64'));
      appendFileSync(path.join(run.tempRoot, 'logs', 'console.stderr.log'), Buffer.from(`leak ${other.value}\n`, 'utf16le'));
      const report = scanForCanaries([run.tempRoot], [...run.canaries, planted, other]);
      const found = new Set(report.hits.map((h) => `${path.basename(h.file)}|${h.canary}|${h.encoding}`));
      for (const c of [planted, other]) {
        for (const n of needlesOf(c.value)) {
          expect(found, `${c.label} as ${n.encoding}`).toContain(`${c.label.replace(/ /g, '-')}.${n.encoding}.bin|${c.label}|${n.encoding}`);
        }
      }
      expect(report.hits.some((h) => path.basename(h.file) === 'blob.b64' && h.canary === 'planted' && h.encoding.startsWith('base64@'))).toBe(true);
      expect(found).toContain('console.stderr.log|planted password|utf16le');
      // A real secret in a real file of this run: the first-run admin password that --ready-json prints to
      // its parent on stdout (by design) is found in the captured stdout, so the capture and the walk work.
      const real = scanForCanaries([run.tempRoot], [{ label: 'admin password', value: run.adminPassword }]);
      expect(real.hits.map((h) => `${path.relative(run.tempRoot, h.file)}|${h.encoding}`)).toContain(path.join('logs', 'reference-pbx.stdout.log') + '|utf8');
      // and nothing but the planted ones
      expect(report.hits.filter((h) => !['planted', 'planted password'].includes(h.canary))).toEqual([]);
    } finally {
      rmSync(controlDir, { recursive: true, force: true });
    }
  });
});

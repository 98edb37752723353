// Run-wide canary check of the e2e suite (issue 8): no PIN, password, token or passphrase used during the run
// appears in any file the run wrote or in any message the renderer received, except where an explicit, narrow
// exception (with its reason) allows it.
//
// Layout of the run dir (WARDEN_E2E_RUN_DIR, made by test/e2e/global-setup.ts, scanned by global-teardown.ts):
//   secrets.jsonl          every secret used in the run: {kind, value, allow: [{where, reason}]} (not scanned)
//   files/consoles/c-*/    each console process: WARDEN_HOME (console profile/vault + embedded PBX data), HOME,
//                          XDG dirs, TMPDIR, and its captured stdout.log / stderr.log
//   files/downloads/       a copy of every download any page made (exports, CSVs)
//   files/spec-tmp/        temp dirs the specs write to (e2eTempDir)
//   renderer/*.jsonl       what the renderer saw: every /rpc/* response body, every /rpc/events message, the
//                          page's console messages and errors (one JSON line each, with its channel)
// Without WARDEN_E2E_RUN_DIR (benchmarks, a single spec run without the config's globalSetup) nothing is
// recorded and nothing changes.
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import type { BrowserContext, Page } from '@playwright/test';
import { needlesOf } from '../helpers/canary.js';

export const RUN_DIR_ENV = 'WARDEN_E2E_RUN_DIR';

/** The run dir, or null when the run-wide canary check is off. */
export function canaryRunDir(): string | null {
  const dir = process.env[RUN_DIR_ENV];
  return dir ? dir : null;
}

// ---- secrets -------------------------------------------------------------------------------------

/** Where a secret may legitimately appear: a file path relative to files/ (prefix), or `rpc:<channel>`. */
export interface Allowance {
  where: string;
  reason: string;
}

export interface SecretRecord {
  kind: string;
  value: string;
  allow: Allowance[];
  /**
   * A value seen in use (sent to or received from the PBX by a spec): a canary like any other, but it does not
   * narrow where a secret recorded at its origin (e.g. the first-run password printed on stdout) may be.
   */
  usage?: true;
  /** When it was recorded (ms): files and messages written before cannot hold it, unless by coincidence. */
  t?: number;
}

/** Shorter values cannot be searched for meaningfully (any 3 digits occur in any log); they are not recorded. */
export const MIN_SECRET_LENGTH = 4;

export function recordSecret(kind: string, value: string | null | undefined, allow: Allowance[] = [], usage = false): void {
  const dir = canaryRunDir();
  if (!dir || typeof value !== 'string' || value.length < MIN_SECRET_LENGTH) return;
  const record: SecretRecord = { kind, value, allow, ...(usage ? { usage: true as const } : {}), t: Date.now() };
  appendFileSync(path.join(dir, 'secrets.jsonl'), `${JSON.stringify(record)}\n`);
}

/** A secret a spec types or sends (PIN, password, passphrase): recorded for the end-of-run scan, returned as is. */
export function secret(value: string, kind = 'typed secret'): string {
  recordSecret(kind, value);
  return value;
}

/**
 * The fields of a JSON body sent to the PBX (test/support/console-process.ts requestFrom) that carry a
 * secret: recorded automatically, so values the specs send straight to the API are canaries too.
 */
export function recordRequestSecrets(url: string, body: unknown): void {
  if (!canaryRunDir() || !body || typeof body !== 'object') return;
  const where = new URL(url).pathname;
  for (const [key, v] of Object.entries(body as Record<string, unknown>)) {
    if (typeof v !== 'string') continue;
    if (/^(password|newPassword|pin|newPin|passphrase|digits|code)$/.test(key) && !(key === 'code' && v.startsWith('*'))) {
      recordSecret(`${key} sent to ${where}`, v, [], true);
    } else if (key === 'value' && where.includes('/credentials/')) recordSecret(`credential sent to ${where}`, v, [], true);
  }
}

/** Secrets in a PBX answer the spec received (session tokens, default PINs). */
export function recordResponseSecrets(url: string, body: unknown): void {
  if (!canaryRunDir() || !body || typeof body !== 'object') return;
  const where = new URL(url).pathname;
  const b = body as Record<string, unknown>;
  if (typeof b['token'] === 'string') recordSecret(`PBX session token (${where})`, b['token'], [], true);
  if (typeof b['defaultPin'] === 'string') recordSecret(`default voicemail PIN (${where})`, b['defaultPin'], [DEFAULT_PIN_READOUT]);
}

/**
 * The Reception read-out of a default voicemail PIN: the console shows the default PIN to the receptionist by
 * design (SPEC: the receptionist reads it out to the caller). Only this channel, only default PINs.
 */
export const DEFAULT_PIN_READOUT: Allowance = {
  where: 'rpc:credentials.defaultVoicemailPin',
  reason: 'the receptionist reads the default PIN out by design (Reception view)',
};

export function readSecrets(dir: string): SecretRecord[] {
  const file = path.join(dir, 'secrets.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as SecretRecord);
}

// ---- files the run writes ------------------------------------------------------------------------

/** A console process's dir (relative to files/) stopped at `stopped` (ms): written to lifetimes.jsonl. */
export function recordStopped(consoleDir: string): void {
  const dir = canaryRunDir();
  if (!dir) return;
  appendFileSync(path.join(dir, 'lifetimes.jsonl'), `${JSON.stringify({ dir: path.relative(path.join(dir, 'files'), consoleDir), stopped: Date.now() })}\n`);
}

/** A fresh dir under the run dir's files/ (scanned at the end), or under the OS temp dir when the check is off. */
export function e2eTempDir(prefix: string, sub = 'spec-tmp'): string {
  const dir = canaryRunDir();
  if (!dir) return mkdtempSync(path.join(os.tmpdir(), prefix));
  const parent = path.join(dir, 'files', sub);
  mkdirSync(parent, { recursive: true });
  return mkdtempSync(path.join(parent, prefix));
}

// ---- what the renderer sees ----------------------------------------------------------------------

export interface RendererMessage {
  /** `rpc:<channel>`, `event:/rpc/events`, `console:<type>`, `pageerror` */
  channel: string;
  text: string;
  t?: number;
}

let messageFile: string | null = null;
function appendMessage(m: RendererMessage): void {
  const dir = canaryRunDir();
  if (!dir) return;
  if (!messageFile) {
    mkdirSync(path.join(dir, 'renderer'), { recursive: true });
    messageFile = path.join(dir, 'renderer', `worker-${process.pid}.jsonl`);
  }
  appendFileSync(messageFile, `${JSON.stringify({ ...m, t: Date.now() })}\n`);
}

/** The page side: every message of every EventSource the renderer opens is handed to the binding. */
const eventSourceTap = `(() => {
  const Original = window.EventSource;
  if (!Original || Original.__wardenTapped) return;
  class Tapped extends Original {
    constructor(url, init) {
      super(url, init);
      this.addEventListener('message', (e) => { try { window.__wardenCanaryEvent(String(url), String(e.data)); } catch {} });
    }
  }
  Tapped.__wardenTapped = true;
  window.EventSource = Tapped;
})();`;

let downloadSeq = 0;
function attachPage(page: Page): void {
  page.on('response', (res) => {
    // The browser-mode session cookie (HttpOnly, never renderer-visible) is a token of the run.
    void res.headerValue('set-cookie').then((c) => {
      for (const m of (c ?? '').matchAll(/warden_session_\d+=([^;\s]+)/g)) recordSecret('console session cookie', m[1], [], true);
    }, () => undefined);
    const url = new URL(res.url());
    if (!url.pathname.startsWith('/rpc/') || url.pathname === '/rpc/events') return;
    const channel = `rpc:${url.pathname.slice('/rpc/'.length)}`;
    void res.text().then(
      (text) => {
        appendMessage({ channel, text });
        // The default PINs the console reads out are canaries everywhere else.
        if (channel === DEFAULT_PIN_READOUT.where) {
          try {
            const env = JSON.parse(text) as { ok?: boolean; value?: { defaultPin?: unknown } };
            if (env.ok && typeof env.value?.defaultPin === 'string') recordSecret('default voicemail PIN (read out by the console)', env.value.defaultPin, [DEFAULT_PIN_READOUT]);
          } catch {
            // not JSON: scanned as it is
          }
        }
      },
      () => undefined, // the page went away before the body arrived
    );
  });
  page.on('console', (msg) => appendMessage({ channel: `console:${msg.type()}`, text: msg.text() }));
  page.on('pageerror', (err) => appendMessage({ channel: 'pageerror', text: `${err.message}\n${err.stack ?? ''}` }));
  page.on('download', (d) => {
    const dir = canaryRunDir();
    if (!dir) return;
    const to = path.join(dir, 'files', 'downloads', `${process.pid}-${++downloadSeq}-${d.suggestedFilename()}`);
    void d.saveAs(to).catch(() => undefined);
  });
}

/** Attach the recorders to a browser context (its pages now and later, its EventSources). */
export async function attachRendererRecorder(context: BrowserContext): Promise<void> {
  if (!canaryRunDir()) return;
  await context.exposeBinding('__wardenCanaryEvent', (_source, url: string, data: string) => {
    appendMessage({ channel: `event:${new URL(url, 'http://x').pathname}`, text: data });
  });
  await context.addInitScript({ content: eventSourceTap });
  for (const p of context.pages()) attachPage(p);
  context.on('page', attachPage);
}

interface ClientInstrumentation {
  addListener(listener: { runAfterCreateBrowserContext?: (context: BrowserContext) => Promise<void> }): void;
}

let installed = false;
/**
 * Attach the recorders to every browser context any spec creates in this worker, however it creates it
 * (browser.newContext(), the `page` fixture, …): through Playwright's client instrumentation, the hook its
 * own trace recorder uses (playwright-core 1.65). Fails loudly if the hook is gone.
 */
export function installRendererRecorder(): void {
  if (installed) return;
  installed = true;
  const core = createRequire(import.meta.url)('playwright-core') as { _instrumentation?: ClientInstrumentation };
  if (!core._instrumentation?.addListener) throw new Error('e2e canary: playwright-core has no _instrumentation hook; update test/support/e2e-canary.ts');
  core._instrumentation.addListener({ runAfterCreateBrowserContext: (context) => attachRendererRecorder(context) });
}

// ---- the scan ------------------------------------------------------------------------------------

interface ScanNeedle {
  secret: number;
  encoding: string;
  bytes: Buffer;
  /** Short secrets: only whole-token matches count (not next to a letter or digit in the same encoding). */
  bounded: boolean;
  unit: number;
}

/** Below this length a secret is searched for as utf8/utf16/hex whole tokens only (base64 of 4 digits is noise). */
export const FULL_SCAN_LENGTH = 8;

export function needlesFor(secrets: string[]): ScanNeedle[] {
  const out: ScanNeedle[] = [];
  secrets.forEach((value, secret) => {
    const json = JSON.stringify(value).slice(1, -1);
    const extra = json !== value ? [{ encoding: 'json', bytes: Buffer.from(json, 'utf8') }] : [];
    if (value.length >= FULL_SCAN_LENGTH) {
      for (const n of [...needlesOf(value), ...extra]) out.push({ secret, encoding: n.encoding, bytes: n.bytes, bounded: false, unit: 1 });
    } else {
      const utf8 = Buffer.from(value, 'utf8');
      out.push({ secret, encoding: 'utf8', bytes: utf8, bounded: true, unit: 1 });
      out.push({ secret, encoding: 'utf16le', bytes: Buffer.from(value, 'utf16le'), bounded: true, unit: 2 });
      out.push({ secret, encoding: 'utf16be', bytes: Buffer.from(value, 'utf16le').swap16(), bounded: true, unit: 2 });
      const hex = utf8.toString('hex');
      out.push({ secret, encoding: 'hex', bytes: Buffer.from(hex, 'ascii'), bounded: true, unit: 1 });
      if (hex.toUpperCase() !== hex) out.push({ secret, encoding: 'HEX', bytes: Buffer.from(hex.toUpperCase(), 'ascii'), bounded: true, unit: 1 });
      for (const e of extra) out.push({ secret, encoding: e.encoding, bytes: e.bytes, bounded: true, unit: 1 });
    }
  });
  return out.filter((n) => n.bytes.length >= 4);
}

const isWordByte = (b: number | undefined) => b !== undefined && ((b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a));

function boundedOk(buf: Buffer, at: number, n: ScanNeedle): boolean {
  if (!n.bounded) return true;
  const end = at + n.bytes.length;
  if (n.unit === 1) return !isWordByte(buf[at - 1]) && !isWordByte(buf[end]);
  // utf16: the code unit before/after (le: low byte first; be: high byte first)
  const le = n.encoding === 'utf16le';
  const before = le ? buf[at - 2] : buf[at - 1];
  const beforeHi = le ? buf[at - 1] : buf[at - 2];
  const after = le ? buf[end] : buf[end + 1];
  const afterHi = le ? buf[end + 1] : buf[end];
  return !(beforeHi === 0 && isWordByte(before)) && !(afterHi === 0 && isWordByte(after));
}

/**
 * A multi-needle matcher: one pass over a buffer per scan (not one per needle), with a bitmap of the
 * needles' first four bytes as the filter. Needles are at least 4 bytes long.
 */
export class Matcher {
  private readonly bitmap = new Uint8Array(1 << 21); // 2^24 bits
  private readonly byPrefix = new Map<number, ScanNeedle[]>();
  constructor(readonly needles: ScanNeedle[]) {
    for (const n of needles) {
      const key = n.bytes.readUInt32LE(0);
      const h = Math.imul(key, 2654435761) >>> 8;
      this.bitmap[h >>> 3]! |= 1 << (h & 7);
      const list = this.byPrefix.get(key);
      if (list) list.push(n);
      else this.byPrefix.set(key, [n]);
    }
  }

  /** Every (needle, offset) found in buf: the first hit of each needle only. */
  scan(buf: Buffer): { needle: ScanNeedle; at: number }[] {
    const hits: { needle: ScanNeedle; at: number }[] = [];
    if (buf.length < 4 || this.needles.length === 0) return hits;
    const seen = new Set<ScanNeedle>();
    const bitmap = this.bitmap;
    // key = the 4 bytes at i, little-endian, rolled on by one byte per step
    let key = ((buf[0]! << 8) | (buf[1]! << 16) | (buf[2]! << 24)) >>> 0;
    for (let i = 0; i + 4 <= buf.length; i++) {
      key = ((key >>> 8) | (buf[i + 3]! << 24)) >>> 0;
      const h = Math.imul(key, 2654435761) >>> 8;
      if ((bitmap[h >>> 3]! & (1 << (h & 7))) === 0) continue;
      const list = this.byPrefix.get(key);
      if (!list) continue;
      for (const n of list) {
        if (seen.has(n) || i + n.bytes.length > buf.length) continue;
        if (buf.compare(n.bytes, 0, n.bytes.length, i, i + n.bytes.length) === 0 && boundedOk(buf, i, n)) {
          seen.add(n);
          hits.push({ needle: n, at: i });
        }
      }
    }
    return hits;
  }
}

/** Every regular file under dir (recursively, symlinks not followed). */
export function walkFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...walkFiles(p));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

export interface Finding {
  kind: string;
  /** `file <path relative to the run dir's files/>` or `renderer <channel> (<jsonl file>:<line>)` */
  where: string;
  /** For the allowance check: the relative file path or `rpc:<channel>`. */
  location: string;
  encoding: string;
  context: string;
  allowed: string | null;
  secret: number;
}

export interface RunScan {
  secrets: number;
  /**
   * Secrets that cannot serve as canaries: found in a file of a console process that had stopped before the
   * secret was first used, or in a renderer message received before (e.g. "000000000" in a hash chain's
   * genesis, "1120" in SQLite's index statistics). The value is part of ordinary data; its hits are not leaks.
   */
  unusable: { kind: string; value: string; where: string }[];
  files: number;
  bytes: number;
  messages: number;
  findings: Finding[];
}

/** Scan the run dir: every file under files/, every renderer message under renderer/, for every secret. */
export function scanRunDir(dir: string, records: SecretRecord[]): RunScan {
  // One entry per distinct value; a location is allowed only if every record of that value allows it (the
  // records made where the value was only seen in use count only when there is no other).
  const values = [...new Set(records.map((r) => r.value))];
  const kinds = values.map((v) => [...new Set(records.filter((r) => r.value === v).map((r) => r.kind))].join(' / '));
  const allowOf = values.map((v) => {
    const all = records.filter((r) => r.value === v);
    const origin = all.filter((r) => !r.usage);
    return (origin.length > 0 ? origin : all).map((r) => r.allow);
  });
  const firstSeen = values.map((v) => Math.min(...records.filter((r) => r.value === v).map((r) => r.t ?? -Infinity)));
  const stoppedAt = new Map<string, number>();
  const lifetimes = path.join(dir, 'lifetimes.jsonl');
  if (existsSync(lifetimes)) {
    for (const l of readFileSync(lifetimes, 'utf8').split('\n').filter(Boolean)) {
      const { dir: d, stopped } = JSON.parse(l) as { dir: string; stopped: number };
      stoppedAt.set(d, stopped);
    }
  }
  const stoppedOf = (rel: string): number => {
    const [a, b] = rel.split(path.sep);
    return a === 'consoles' && b ? stoppedAt.get(path.join(a, b)) ?? Infinity : Infinity;
  };
  const before = new Map<number, string>();
  const matcher = new Matcher(needlesFor(values));
  const findings: Finding[] = [];
  const report = (secret: number, where: string, location: string, encoding: string, buf: Buffer, at: number, len: number, writtenBy: number) => {
    const allowances = allowOf[secret]!;
    const hit = allowances.every((list) => list.some((a) => location === a.where || location.startsWith(`${a.where}/`)))
      ? allowances[0]!.find((a) => location === a.where || location.startsWith(`${a.where}/`))!.reason
      : null;
    // ordinary data that held the value before the run used it makes it useless as a canary; an allowed place
    // (the default-PIN read-out that also records the PIN) does not
    if (!hit && writtenBy < firstSeen[secret]! && !before.has(secret)) before.set(secret, where);
    const context = buf.subarray(Math.max(0, at - 30), at + len + 30).toString('latin1').replace(/[^\x20-\x7e]/g, '.');
    findings.push({ kind: kinds[secret]!, where, location, encoding, context, allowed: hit, secret });
  };

  const filesRoot = path.join(dir, 'files');
  const files = walkFiles(filesRoot);
  let bytes = 0;
  for (const file of files) {
    const buf = readFileSync(file);
    bytes += buf.length;
    const rel = path.relative(filesRoot, file);
    const writtenBy = stoppedOf(rel);
    for (const h of matcher.scan(buf)) report(h.needle.secret, `file ${rel}`, rel, h.needle.encoding, buf, h.at, h.needle.bytes.length, writtenBy);
  }

  let messages = 0;
  for (const file of walkFiles(path.join(dir, 'renderer'))) {
    const lines = readFileSync(file, 'utf8').split('\n');
    lines.forEach((line, i) => {
      if (!line) return;
      messages++;
      const m = JSON.parse(line) as RendererMessage;
      const buf = Buffer.from(m.text, 'utf8');
      for (const h of matcher.scan(buf)) {
        report(h.needle.secret, `renderer ${m.channel} (${path.basename(file)}:${i + 1})`, m.channel, h.needle.encoding, buf, h.at, h.needle.bytes.length, m.t ?? Infinity);
      }
    });
  }
  const unusable = [...before].map(([secret, where]) => ({ kind: kinds[secret]!, value: values[secret]!, where }));
  return { secrets: values.length, unusable, files: files.length, bytes, messages, findings: findings.filter((f) => !before.has(f.secret)) };
}

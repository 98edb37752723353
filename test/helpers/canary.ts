// Canary scanning for "no secret set during a run appears in any file the console or the server wrote":
// every canary is searched for as raw bytes in every file under the given roots, in several encodings
// (utf8, utf16le, hex lower/upper, base64 and base64url at all three byte alignments, and — for a canary
// that is a number — the big-endian integers SQLite would store it as). Plus small helpers to run the real
// programs as child processes with their output going straight to files (so the files can be scanned too).
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

export interface Canary {
  /** What it is, for messages: "voicemail PIN of 1001", "default PIN of 1002", … */
  label: string;
  value: string;
}

export interface Needle {
  encoding: string;
  bytes: Buffer;
}

/**
 * The base64 text that encodes `bytes` wherever they start in a larger buffer: for each of the three
 * alignments, only the characters made of the canary's own bits (the ones at either end depend on the
 * neighbouring bytes).
 */
function base64Needles(bytes: Buffer, url: boolean): Buffer[] {
  const out: Buffer[] = [];
  for (let k = 0; k < 3; k++) {
    const text = Buffer.concat([Buffer.alloc(k), bytes]).toString(url ? 'base64url' : 'base64');
    const first = Math.ceil((8 * k) / 6);
    const last = Math.floor((8 * (k + bytes.length) - 6) / 6); // inclusive
    if (last >= first) out.push(Buffer.from(text.slice(first, last + 1), 'ascii'));
  }
  return out;
}

/** Every byte pattern a canary could be stored as. */
export function needlesOf(value: string): Needle[] {
  const utf8 = Buffer.from(value, 'utf8');
  const hex = utf8.toString('hex');
  const needles: Needle[] = [
    { encoding: 'utf8', bytes: utf8 },
    { encoding: 'utf16le', bytes: Buffer.from(value, 'utf16le') },
    { encoding: 'utf16be', bytes: Buffer.from(value, 'utf16le').swap16() },
    { encoding: 'hex', bytes: Buffer.from(hex, 'ascii') },
    { encoding: 'HEX', bytes: Buffer.from(hex.toUpperCase(), 'ascii') },
    ...base64Needles(utf8, false).map((bytes, k) => ({ encoding: `base64@${k}`, bytes })),
    ...base64Needles(utf8, true).map((bytes, k) => ({ encoding: `base64url@${k}`, bytes })),
  ];
  // A PIN stored as a number: SQLite keeps integers big-endian in 6 or 8 bytes.
  if (/^[1-9][0-9]{5,17}$/.test(value)) {
    const n = BigInt(value);
    const be8 = Buffer.alloc(8);
    be8.writeBigInt64BE(n);
    needles.push({ encoding: 'int64be', bytes: be8 });
    if (n < 2n ** 47n) needles.push({ encoding: 'int48be', bytes: be8.subarray(2) });
  }
  return needles;
}

/** Every regular file under `root` (recursively; symlinks are not followed). */
export function filesUnder(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.isFile()) out.push(p);
    }
  };
  if (statSync(root).isDirectory()) walk(root);
  else out.push(root);
  return out;
}

export interface CanaryHit {
  file: string;
  canary: string;
  encoding: string;
  offset: number;
  /** A few bytes around the hit, printable characters only, for the failure message. */
  context: string;
}

export interface ScanReport {
  files: string[];
  bytes: number;
  hits: CanaryHit[];
}

/** Look for every canary, in every encoding, in every file under `roots`. */
export function scanForCanaries(roots: string[], canaries: Canary[]): ScanReport {
  const files = roots.flatMap(filesUnder);
  const needles = canaries.flatMap((c) => needlesOf(c.value).map((n) => ({ ...n, canary: c.label })));
  const hits: CanaryHit[] = [];
  let bytes = 0;
  for (const file of files) {
    const buf = readFileSync(file);
    bytes += buf.length;
    for (const n of needles) {
      const at = buf.indexOf(n.bytes);
      if (at >= 0) {
        const around = buf.subarray(Math.max(0, at - 24), at + n.bytes.length + 24).toString('latin1').replace(/[^\x20-\x7e]/g, '.');
        hits.push({ file, canary: n.canary, encoding: n.encoding, offset: at, context: around });
      }
    }
  }
  return { files, bytes, hits };
}

// ---- child processes with their output in files -------------------------------------------------

export interface LoggedChild {
  child: ChildProcess;
  stdoutFile: string;
  stderrFile: string;
  /** Everything written so far (stdout then stderr), read from the files. */
  output(): string;
  /** Resolves with the exit code/signal (immediately when it already exited). */
  exited(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Spawn `node ARGS` with stdout and stderr going straight into `<logDir>/<name>.stdout.log` / `.stderr.log`
 * (file descriptors, so nothing passes through this process's memory and nothing is lost on a crash).
 * stdin is a pipe (the reference PBX in --ready-json mode stops when it closes).
 */
export function spawnLogged(name: string, logDir: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv }): LoggedChild {
  const stdoutFile = path.join(logDir, `${name}.stdout.log`);
  const stderrFile = path.join(logDir, `${name}.stderr.log`);
  const out = openSync(stdoutFile, 'a');
  const err = openSync(stderrFile, 'a');
  const child = spawn(process.execPath, args, { cwd: opts.cwd, env: opts.env, stdio: ['pipe', out, err] });
  closeSync(out);
  closeSync(err);
  let exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  const exitPromise = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      resolve(exit);
    }),
  );
  return {
    child,
    stdoutFile,
    stderrFile,
    output: () => `${readFileSync(stdoutFile, 'utf8')}${readFileSync(stderrFile, 'utf8')}`,
    exited: () => (exit ? Promise.resolve(exit) : exitPromise),
  };
}

/** Poll the child's output files until `pattern` matches; fails early when the child exits. */
export async function waitForOutput(c: LoggedChild, pattern: RegExp, timeoutMs = 20_000): Promise<RegExpExecArray> {
  const deadline = Date.now() + timeoutMs;
  let gone = false;
  void c.exited().then(() => (gone = true));
  for (;;) {
    const m = pattern.exec(c.output());
    if (m) return m;
    if (gone) throw new Error(`${c.stdoutFile}: the process exited before printing ${pattern}:\n${c.output()}`);
    if (Date.now() > deadline) throw new Error(`${c.stdoutFile}: no ${pattern} within ${timeoutMs} ms:\n${c.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Stop a child: `how` first (a function, e.g. closing stdin, or a signal), SIGKILL after `graceMs`. */
export async function stopChild(c: LoggedChild, how: NodeJS.Signals | (() => void), graceMs = 5000): Promise<{ code: number | null; signal: NodeJS.Signals | null; forced: boolean }> {
  if (c.child.exitCode !== null || c.child.signalCode !== null) return { ...(await c.exited()), forced: false };
  if (typeof how === 'function') how();
  else c.child.kill(how);
  const timer = new Promise<null>((r) => setTimeout(() => r(null), graceMs));
  const first = await Promise.race([c.exited(), timer]);
  if (first) return { ...first, forced: false };
  c.child.kill('SIGKILL');
  return { ...(await c.exited()), forced: true };
}

// End of the e2e run: scan EVERYTHING the run wrote (each console process's WARDEN_HOME with the embedded PBX's
// database, HOME/XDG/TMPDIR, captured stdout/stderr; every download; the specs' temp dirs) and every message the
// renderer received (RPC answers, pushed events, console output) for every secret used in the run (typed by the
// specs, sent to the API, printed on first run, session tokens and cookies, default PINs read out). Any hit that
// no explicit allowance covers fails the run. A positive control plants canaries first, so the scan cannot pass
// by seeing nothing.
import { randomBytes, randomInt } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { canaryRunDir, readSecrets, scanRunDir, type SecretRecord } from '../support/e2e-canary.js';

function plantControls(dir: string): SecretRecord[] {
  const long: SecretRecord = { kind: 'control: planted passphrase', value: `Canary-${randomBytes(6).toString('hex')}-Phrase`, allow: [] };
  const short: SecretRecord = { kind: 'control: planted PIN', value: String(randomInt(100000, 999999)), allow: [] };
  const controlDir = path.join(dir, 'files', 'control');
  mkdirSync(controlDir, { recursive: true });
  const pad = randomBytes(1 + randomInt(7));
  // the long one as base64 at an odd offset inside a larger blob, the short one as utf16 text
  writeFileSync(path.join(controlDir, 'long.b64'), Buffer.concat([pad, Buffer.from(`{"x":"${long.value}"}`)]).toString('base64'));
  writeFileSync(path.join(controlDir, 'short.txt'), Buffer.from(`pin: ${short.value}\n`, 'utf16le'));
  writeFileSync(path.join(dir, 'renderer', 'control.jsonl'), `${JSON.stringify({ channel: 'rpc:control.echo', text: JSON.stringify({ ok: true, value: { pin: short.value } }) })}\n`);
  return [long, short];
}

function removeControls(dir: string): void {
  rmSync(path.join(dir, 'files', 'control'), { recursive: true, force: true });
  rmSync(path.join(dir, 'renderer', 'control.jsonl'), { force: true });
}

export default function globalTeardown(): void {
  const dir = canaryRunDir();
  if (!dir || !existsSync(dir)) throw new Error('e2e canary: the run dir is missing (global-setup did not run?)');
  const started = Date.now();
  const records = readSecrets(dir);
  const consoles = readdirSync(path.join(dir, 'files', 'consoles')).length;
  if (consoles === 0 && records.length === 0) {
    console.log('e2e canary: no console process ran, nothing to scan');
    rmSync(dir, { recursive: true, force: true });
    return;
  }
  const controls = plantControls(dir);
  let scan;
  try {
    scan = scanRunDir(dir, [...records, ...controls]);
  } finally {
    removeControls(dir);
  }
  const isControl = (kind: string) => kind.startsWith('control: ');
  const problems: string[] = [];
  // Positive control: both planted canaries found where they were planted (and in the renderer channel).
  const control = scan.findings.filter((f) => isControl(f.kind));
  const want = [
    ['control: planted passphrase', 'file control/long.b64'],
    ['control: planted PIN', 'file control/short.txt'],
    ['control: planted PIN', 'renderer rpc:control.echo'],
  ] as const;
  for (const [kind, where] of want) {
    if (!control.some((f) => f.kind === kind && f.where.startsWith(where))) problems.push(`positive control: the scan did not find the ${kind} in ${where}`);
  }
  // The capture works: every console's first-run admin password is in its own captured stdout (allowed there).
  const printed = scan.findings.filter((f) => f.allowed && /first run/.test(f.kind) && /stdout\.log$/.test(f.location));
  if (consoles > 0 && printed.length === 0) problems.push('positive control: no console stdout capture holds the first-run admin password');
  if (consoles > 0 && scan.messages === 0) problems.push('the renderer recorder recorded no message although console processes ran');

  const leaks = scan.findings.filter((f) => !f.allowed && !isControl(f.kind));
  for (const f of leaks) problems.push(`${f.kind}: in ${f.where} as ${f.encoding} …${f.context}…`);

  for (const u of scan.unusable) {
    console.log(`e2e canary: not usable as a canary (ordinary data has it): ${u.kind} "${u.value}", e.g. in ${u.where} written before it was used`);
  }
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  console.log(
    `e2e canary: ${scan.secrets - controls.length} secrets, ${scan.files} files (${(scan.bytes / 1e6).toFixed(1)} MB), ` +
      `${scan.messages - 1} renderer messages scanned in ${secs} s; ${scan.unusable.length} not usable; ${scan.findings.filter((f) => f.allowed).length} allowed ` +
      `occurrences, ${leaks.length} leaks; positive control ${control.length >= want.length ? 'found' : 'MISSED'}`,
  );
  if (problems.length > 0) {
    throw new Error(`e2e canary: secrets of the run found where they must not be (run dir kept: ${dir}):\n  ${problems.join('\n  ')}`);
  }
  if (process.env['WARDEN_E2E_KEEP_RUN_DIR']) console.log(`e2e canary: run dir kept: ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
}

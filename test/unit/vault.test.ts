import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../shared/errors.js';
import { DEFAULT_KDF, MIN_KDF, Vault } from '../../main/core/vault.js';

// argon2id is deliberately slow; most tests use the floor parameters (still ≥ 19 MiB, t=2).
const FAST = { kdf: { m: MIN_KDF.m, t: MIN_KDF.t } };
const PASS = 'correct horse battery staple';
const CANARY = 'CANARY-secret-5b1e0d';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'warden-vault-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});
let n = 0;
const fresh = () => path.join(dir, `vault-${++n}.json`);

async function rejection(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return error as AppError;
  }
  throw new Error('expected an AppError');
}

describe('Vault', () => {
  it('round-trips secrets through the encrypted file (default KDF parameters)', async () => {
    const file = fresh();
    expect(Vault.exists(file)).toBe(false);
    const vault = await Vault.create(file, PASS);
    expect(Vault.exists(file)).toBe(true);
    await vault.set('pbx-password:office', CANARY);
    await vault.set('other', 'ünïcødé ✓');
    expect(vault.get('pbx-password:office')).toBe(CANARY);

    const env = JSON.parse(readFileSync(file, 'utf8'));
    expect(env).toMatchObject({ v: 1, cipher: 'aes-256-gcm', kdf: { alg: 'argon2id', ...DEFAULT_KDF } });
    expect(Buffer.from(env.kdf.salt, 'base64')).toHaveLength(16);
    expect(Buffer.from(env.iv, 'base64')).toHaveLength(12);
    expect(Buffer.from(env.tag, 'base64')).toHaveLength(16);

    const reopened = await Vault.open(file, PASS);
    expect(reopened.get('pbx-password:office')).toBe(CANARY);
    expect(reopened.get('other')).toBe('ünïcødé ✓');
    expect(reopened.get('missing')).toBeNull();
    await reopened.delete('other');
    await reopened.delete('never-there');
    expect((await Vault.open(file, PASS)).keys()).toEqual(['pbx-password:office']);
  });

  it('keeps the file private (0600), holds no plaintext, and uses a new IV on every write', async () => {
    const file = fresh();
    const vault = await Vault.create(file, PASS, FAST);
    if (process.platform !== 'win32') expect(statSync(file).mode & 0o777).toBe(0o600);
    const ivs = new Set<string>();
    for (let i = 0; i < 4; i++) {
      await vault.set('k', `${CANARY}-${i}`);
      const text = readFileSync(file, 'utf8');
      expect(text).not.toContain(CANARY);
      expect(text).not.toContain(Buffer.from(CANARY).toString('base64').slice(0, 16));
      expect(text).not.toContain(PASS);
      ivs.add(JSON.parse(text).iv);
      if (process.platform !== 'win32') expect(statSync(file).mode & 0o777).toBe(0o600);
    }
    expect(ivs.size).toBe(4);
    // No temp files left behind by the atomic writes.
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('queues concurrent writes so none is lost', async () => {
    const file = fresh();
    const vault = await Vault.create(file, PASS, FAST);
    await Promise.all(Array.from({ length: 10 }, (_, i) => vault.set(`k${i}`, `v${i}`)));
    const again = await Vault.open(file, PASS);
    expect(again.keys().sort()).toEqual(Array.from({ length: 10 }, (_, i) => `k${i}`).sort());
  });

  it('a wrong passphrase is vault_passphrase_wrong and changes nothing', async () => {
    const file = fresh();
    const vault = await Vault.create(file, PASS, FAST);
    await vault.set('k', CANARY);
    const before = readFileSync(file);
    const err = await rejection(Vault.open(file, 'not the passphrase'));
    expect(err.code).toBe('vault_passphrase_wrong');
    expect(err.message).toMatch(/passphrase does not unlock/);
    expect((await rejection(Vault.open(file, ''))).code).toBe('vault_passphrase_wrong');
    expect(readFileSync(file)).toEqual(before);
  });

  it('refuses a short passphrase and an existing file on create', async () => {
    const file = fresh();
    const short = await rejection(Vault.create(file, 'short'));
    expect(short.code).toBe('validation_failed');
    expect(short.details).toContainEqual(expect.objectContaining({ field: 'passphrase', rule: 'min' }));
    await Vault.create(file, PASS, FAST);
    const before = readFileSync(file);
    expect((await rejection(Vault.create(file, PASS, FAST))).code).toBe('vault_exists');
    expect(readFileSync(file)).toEqual(before);
  });

  it('a missing file is vault_missing', async () => {
    expect((await rejection(Vault.open(path.join(dir, 'nope.json'), PASS))).code).toBe('vault_missing');
  });

  describe('a tampered or corrupt file is reported clearly and left untouched', () => {
    const cases: Array<[string, (env: Record<string, unknown>, text: string) => string, RegExp]> = [
      ['a flipped ciphertext byte', (env) => JSON.stringify({ ...env, data: flip(env['data'] as string) }), /integrity check/],
      ['a flipped tag byte', (env) => JSON.stringify({ ...env, tag: flip(env['tag'] as string) }), /integrity check/],
      ['a swapped IV', (env) => JSON.stringify({ ...env, iv: Buffer.alloc(12, 7).toString('base64') }), /integrity check/],
      ['truncated JSON', (_env, text) => text.slice(0, text.length / 2), /not valid JSON/],
      ['an empty file', () => '', /not valid JSON/],
      ['a wrong cipher', (env) => JSON.stringify({ ...env, cipher: 'aes-128-cbc' }), /field "cipher"/],
      ['a weakened KDF', (env) => JSON.stringify({ ...env, kdf: { ...(env['kdf'] as object), m: 8 } }), /field "kdf.m"/],
      ['an absurd KDF', (env) => JSON.stringify({ ...env, kdf: { ...(env['kdf'] as object), m: 2 ** 31 } }), /field "kdf.m"/],
      ['an unknown version', (env) => JSON.stringify({ ...env, v: 2 }), /field "v"/],
    ];
    it.each(cases)('%s', async (_label, tamper, why) => {
      const file = fresh();
      const vault = await Vault.create(file, PASS, FAST);
      await vault.set('k', CANARY);
      const text = readFileSync(file, 'utf8');
      const bad = tamper(JSON.parse(text), text);
      writeFileSync(file, bad);
      const err = await rejection(Vault.open(file, PASS));
      expect(err.code).toBe('vault_locked');
      expect(err.message).toMatch(/damaged or was altered/);
      expect(err.message).toMatch(why);
      expect(err.message).toContain('left untouched');
      expect(readFileSync(file, 'utf8')).toBe(bad);
      // And create() will not overwrite it either.
      expect((await rejection(Vault.create(file, PASS, FAST))).code).toBe('vault_exists');
      expect(readFileSync(file, 'utf8')).toBe(bad);
    });
  });
});

function flip(b64: string): string {
  const buf = Buffer.from(b64, 'base64');
  buf[0] = buf[0]! ^ 0x01;
  return buf.toString('base64');
}

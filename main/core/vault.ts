// The passphrase vault: where secrets go when no OS keychain is reachable. Never plain text.
//
// File (JSON, every binary field base64):
//   { v: 1,
//     kdf: { alg: 'argon2id', m, t, p, salt },   // argon2id, raw 32-byte output; m in KiB
//     cipher: 'aes-256-gcm', iv, tag, data,      // data = AES-256-GCM(JSON of the secrets map)
//     check }                                     // key-check value, see below
//
// Keys: argon2id(passphrase, salt) gives a 32-byte master key; HKDF-SHA256 splits it into the
// encryption key and a check key. `check` = HMAC-SHA256(checkKey, header) lets us tell "wrong
// passphrase" from "the file was altered": a GCM failure alone cannot tell the two apart. It gives an
// attacker nothing the GCM tag does not already give (both need the argon2id work per guess).
// The header (v, kdf, cipher) is also bound into GCM as additional authenticated data.
//
// Every write encrypts the whole map again with a fresh random 96-bit IV and replaces the file
// atomically (temp file in the same directory, fsync, rename; mode 0600). A damaged file is reported
// and left exactly as it is: the vault never overwrites what it cannot read.
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, promises as fsp } from 'node:fs';
import argon2 from 'argon2';
import { z } from 'zod';
import { AppError, parseOrThrow } from '../../shared/errors.js';
import { PassphraseSchema } from '../../shared/rpc.js';
import { AtomicWriteExistsError, removeStaleTemps, writeFileAtomic } from './atomic-file.js';

/** Defaults: 64 MiB, 3 passes, 1 lane (~0.3 s on a 2-core VM). */
export const DEFAULT_KDF = { m: 65536, t: 3, p: 1 } as const;
/** Floors (OWASP's argon2id minimum: 19 MiB, 2 passes). Weaker settings are refused, also when read. */
export const MIN_KDF = { m: 19456, t: 2, p: 1 } as const;
/** Ceilings when reading, so a doctored file cannot make us allocate gigabytes or spin for minutes. */
const MAX_KDF = { m: 1_048_576, t: 16, p: 8 } as const;

export interface KdfParams {
  m: number;
  t: number;
  p: number;
}

const b64 = (min: number, max: number) =>
  z
    .string()
    .regex(/^[A-Za-z0-9+/]*={0,2}$/, { message: 'not base64' })
    .refine((s) => {
      const n = Buffer.from(s, 'base64').length;
      return n >= min && n <= max;
    }, { message: `must decode to ${min === max ? min : `${min}–${max}`} bytes` });

const VaultFileSchema = z
  .object({
    v: z.literal(1),
    kdf: z
      .object({
        alg: z.literal('argon2id'),
        m: z.number().int().min(MIN_KDF.m).max(MAX_KDF.m),
        t: z.number().int().min(MIN_KDF.t).max(MAX_KDF.t),
        p: z.number().int().min(MIN_KDF.p).max(MAX_KDF.p),
        salt: b64(16, 64),
      })
      .strict(),
    cipher: z.literal('aes-256-gcm'),
    iv: b64(12, 12),
    tag: b64(16, 16),
    data: b64(0, 64 * 1024 * 1024),
    check: b64(32, 32),
  })
  .strict();
type VaultFile = z.infer<typeof VaultFileSchema>;

const SecretsMapSchema = z.object({ secrets: z.record(z.string(), z.string()) }).strict();

interface Keys {
  enc: Buffer;
  check: Buffer;
}

export class Vault {
  readonly path: string;
  #header: Header;
  #keys: Keys;
  #secrets: Map<string, string>;
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(path: string, header: Header, keys: Keys, secrets: Map<string, string>) {
    this.path = path;
    this.#header = header;
    this.#keys = keys;
    this.#secrets = secrets;
  }

  static exists(path: string): boolean {
    return existsSync(path);
  }

  /** Creates a new, empty vault file. Refuses (vault_exists) if any file is already at `path`. */
  static async create(path: string, passphrase: string, options: { kdf?: Partial<KdfParams> } = {}): Promise<Vault> {
    parseOrThrow(PassphraseSchema, passphrase, 'passphrase');
    if (Vault.exists(path)) throw vaultExists(path);
    const kdf = {
      m: Math.max(MIN_KDF.m, options.kdf?.m ?? DEFAULT_KDF.m),
      t: Math.max(MIN_KDF.t, options.kdf?.t ?? DEFAULT_KDF.t),
      p: Math.max(MIN_KDF.p, options.kdf?.p ?? DEFAULT_KDF.p),
    };
    const salt = randomBytes(16);
    const header: Header = { v: 1, kdf: { alg: 'argon2id', ...kdf, salt: salt.toString('base64') }, cipher: 'aes-256-gcm' };
    const keys = await deriveKeys(passphrase, header);
    const vault = new Vault(path, header, keys, new Map());
    try {
      await writeFileAtomic(path, vault.#serialize(vault.#secrets), { mode: 0o600, exclusive: true });
    } catch (error) {
      if (error instanceof AtomicWriteExistsError) throw vaultExists(path);
      throw writeFailed(path, error);
    }
    return vault;
  }

  /** Opens and decrypts an existing vault. Never modifies the file. */
  static async open(path: string, passphrase: string): Promise<Vault> {
    if (typeof passphrase !== 'string' || passphrase.length === 0) {
      throw new AppError('vault_passphrase_wrong', 'Enter the vault passphrase.', 400, [
        { field: 'passphrase', rule: 'required', message: 'passphrase: enter the vault passphrase' },
      ]);
    }
    // a console killed while saving the vault leaves a temp file next to it: tidy those (never the vault)
    await removeStaleTemps(path);
    let text: string;
    try {
      text = await fsp.readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new AppError('vault_missing', `There is no secret vault at ${path} yet; choose a passphrase to create one.`, 409);
      }
      throw new AppError('vault_locked', `The secret vault ${path} could not be read (${(error as Error).message}).`, 409);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw corrupt(path, 'it is not valid JSON');
    }
    const parsed = VaultFileSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw corrupt(path, `field "${issue?.path.join('.') || '(root)'}" ${issue?.message ?? 'is invalid'}`);
    }
    const file = parsed.data;
    const header: Header = { v: file.v, kdf: file.kdf, cipher: file.cipher };
    const keys = await deriveKeys(passphrase, header);
    const expected = checkValue(keys.check, header);
    const actual = Buffer.from(file.check, 'base64');
    if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) {
      throw new AppError('vault_passphrase_wrong', 'That passphrase does not unlock the secret vault. Check it and try again.', 400, [
        { field: 'passphrase', rule: 'wrong', message: 'passphrase: does not unlock the vault' },
      ]);
    }
    let plain: Buffer;
    try {
      const decipher = createDecipheriv('aes-256-gcm', keys.enc, Buffer.from(file.iv, 'base64'));
      decipher.setAAD(aad(header));
      decipher.setAuthTag(Buffer.from(file.tag, 'base64'));
      plain = Buffer.concat([decipher.update(Buffer.from(file.data, 'base64')), decipher.final()]);
    } catch {
      throw corrupt(path, 'its encrypted data fails the integrity check (it was altered or damaged)');
    }
    let map: z.infer<typeof SecretsMapSchema>;
    try {
      map = SecretsMapSchema.parse(JSON.parse(plain.toString('utf8')));
    } catch {
      throw corrupt(path, 'its decrypted content is not a secrets map');
    } finally {
      plain.fill(0);
    }
    return new Vault(path, header, keys, new Map(Object.entries(map.secrets)));
  }

  get(key: string): string | null {
    return this.#secrets.get(key) ?? null;
  }

  has(key: string): boolean {
    return this.#secrets.has(key);
  }

  keys(): string[] {
    return [...this.#secrets.keys()];
  }

  async set(key: string, value: string): Promise<void> {
    await this.#commit((next) => next.set(key, value));
  }

  async delete(key: string): Promise<void> {
    if (!this.#secrets.has(key)) return;
    await this.#commit((next) => next.delete(key));
  }

  /** Writes are queued, and the in-memory map changes only once the new file is safely on disk. */
  #commit(change: (next: Map<string, string>) => void): Promise<void> {
    const run = async (): Promise<void> => {
      const next = new Map(this.#secrets);
      change(next);
      try {
        await writeFileAtomic(this.path, this.#serialize(next), { mode: 0o600 });
      } catch (error) {
        throw writeFailed(this.path, error);
      }
      this.#secrets = next;
    };
    const result = this.#queue.then(run, run);
    this.#queue = result.catch(() => undefined);
    return result;
  }

  #serialize(secrets: Map<string, string>): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#keys.enc, iv);
    cipher.setAAD(aad(this.#header));
    const plain = Buffer.from(JSON.stringify({ secrets: Object.fromEntries(secrets) }), 'utf8');
    const data = Buffer.concat([cipher.update(plain), cipher.final()]);
    plain.fill(0);
    const file: VaultFile = {
      ...this.#header,
      iv: iv.toString('base64'),
      tag: cipher.getAuthTag().toString('base64'),
      data: data.toString('base64'),
      check: checkValue(this.#keys.check, this.#header).toString('base64'),
    };
    return `${JSON.stringify(file, null, 2)}\n`;
  }
}

type Header = { v: 1; kdf: VaultFile['kdf']; cipher: 'aes-256-gcm' };

function aad(header: Header): Buffer {
  const { m, t, p, salt } = header.kdf;
  return Buffer.from(`pbx-warden-vault|v${header.v}|${header.kdf.alg}|m=${m}|t=${t}|p=${p}|${salt}|${header.cipher}`, 'utf8');
}

function checkValue(checkKey: Buffer, header: Header): Buffer {
  return createHmac('sha256', checkKey).update('pbx-warden vault key check|').update(aad(header)).digest();
}

async function deriveKeys(passphrase: string, header: Header): Promise<Keys> {
  const salt = Buffer.from(header.kdf.salt, 'base64');
  const master = await argon2.hash(passphrase, {
    type: argon2.argon2id,
    raw: true,
    hashLength: 32,
    memoryCost: header.kdf.m,
    timeCost: header.kdf.t,
    parallelism: header.kdf.p,
    salt,
  });
  const enc = Buffer.from(hkdfSync('sha256', master, salt, 'pbx-warden vault v1 encryption key', 32));
  const check = Buffer.from(hkdfSync('sha256', master, salt, 'pbx-warden vault v1 check key', 32));
  master.fill(0);
  return { enc, check };
}

function vaultExists(path: string): AppError {
  return new AppError('vault_exists', `A secret vault already exists at ${path}; unlock it with its passphrase instead.`, 409);
}

function corrupt(path: string, why: string): AppError {
  // There is no dedicated error code for a damaged vault in shared/errors.ts; the vault stays locked.
  return new AppError(
    'vault_locked',
    `The secret vault ${path} is damaged or was altered: ${why}. It was left untouched; restore it from a backup, or move it away to start a new vault.`,
    409,
  );
}

function writeFailed(path: string, error: unknown): AppError {
  const detail = error instanceof Error ? error.message : String(error);
  return new AppError('internal', `The secret vault ${path} could not be written (${detail}); nothing was changed.`, 500);
}

// Secrets of the reference PBX: the pepper, argon2id hashing, bearer tokens, generated passwords.
import argon2 from 'argon2';
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { AppError } from '../shared/errors.js';

export const PEPPER_FILE = 'pepper.key';
const PEPPER_BYTES = 32;

/** OWASP minimum for argon2id: m=19456 KiB, t=2, p=1. */
export const ARGON2_OPTIONS = { type: argon2.argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

/**
 * Read the server-side pepper (argon2's `secret`), creating it on first run. Without it no stored hash
 * can be verified, so a data directory that already has data but lost its pepper is refused, loudly.
 */
export function loadPepper(dataDir: string, databaseIsNew: boolean): Buffer {
  const path = join(dataDir, PEPPER_FILE);
  if (!existsSync(path)) {
    if (!databaseIsNew) {
      throw new Error(
        `The pepper file ${path} is missing but the database already holds password hashes; ` +
          'they cannot be verified without it. Restore the file from a backup, or start with an empty data directory.',
      );
    }
    writeFileSync(path, randomBytes(PEPPER_BYTES), { mode: 0o600, flag: 'wx' });
  }
  if (process.platform !== 'win32') chmodSync(path, 0o600);
  const pepper = readFileSync(path);
  if (pepper.length !== PEPPER_BYTES) {
    throw new Error(`The pepper file ${path} is damaged (expected ${PEPPER_BYTES} bytes, found ${pepper.length}).`);
  }
  return pepper;
}

/**
 * argon2 work is CPU- and memory-bound (19 MiB each): at most one per core runs at a time, a bounded
 * queue waits, and beyond the queue a request is refused at once with 429 (the client honours
 * Retry-After) instead of starving every login behind a flood of unauthenticated device requests.
 */
export class Hasher {
  /** A hash of a random value, verified against when there is nothing to verify, so timing tells nothing. */
  private dummy: Promise<string> | undefined;
  private running = 0;
  private readonly waiting: Array<() => void> = [];
  private box: SecretBox | undefined;
  constructor(
    private readonly pepper: Buffer,
    readonly limits: { concurrency: number; queue: number } = { concurrency: availableParallelism(), queue: 64 },
  ) {}

  /** Is every slot busy and the queue full, so that a new hash would be refused with 429 now? */
  saturated(): boolean {
    return this.running >= this.limits.concurrency && this.waiting.length >= this.limits.queue;
  }

  /**
   * Run `work` in one of the gate's slots (argon2 work goes through here; tests hold slots with it).
   * `patient`: wait for a slot even when the queue is full. Only for a caller that bounds its own work in
   * flight (the bulk reset keeps at most `concurrency` hashes running or waiting), so the queue can grow by
   * that much at most; everyone else is refused beyond the queue.
   */
  async slot<T>(work: () => Promise<T>, patient = false): Promise<T> {
    if (this.running >= this.limits.concurrency) {
      if (!patient && this.waiting.length >= this.limits.queue) {
        throw new AppError('rate_limited', 'The PBX is busy checking passwords. Try again in a moment.', 429);
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running++;
    }
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next) next(); // hand the slot over
      else this.running--;
    }
  }

  hash(secret: string, opts: { patient?: boolean } = {}): Promise<string> {
    return this.slot(() => argon2.hash(secret, { ...ARGON2_OPTIONS, secret: this.pepper }), opts.patient ?? false);
  }

  async verify(hash: string, secret: string): Promise<boolean> {
    return this.slot(async () => {
      const started = performance.now();
      try {
        return await argon2.verify(hash, secret, { secret: this.pepper });
      } catch {
        return false;
      } finally {
        // a moving average of how long one verification takes here (for waitLikeVerify)
        this.typicalMs = this.typicalMs * 0.9 + (performance.now() - started) * 0.1;
      }
    });
  }

  /** About how long a verification takes on this machine now (moving average; 30 ms before the first). */
  private typicalMs = 30;

  /**
   * Wait (a timer, no CPU work) about as long as a verification takes: an answer refused before any hashing
   * (locked, banned) comes back after the time a wrong password's answer takes, so timing tells nothing.
   */
  waitLikeVerify(): Promise<void> {
    const ms = this.typicalMs * (0.9 + Math.random() * 0.2);
    return new Promise((resolve) => setTimeout(resolve, ms));
  }

  /** The box that encrypts default PINs, under a key derived from the pepper (HKDF-SHA256). */
  defaultPinBox(): SecretBox {
    this.box ??= new SecretBox(Buffer.from(hkdfSync('sha256', this.pepper, Buffer.alloc(0), 'pbx-warden default-pin v1', 32)));
    return this.box;
  }

  /** Spend the same time as a real verification, and fail. */
  async verifyNothing(secret: string): Promise<false> {
    this.dummy ??= this.hash(randomBytes(16).toString('hex'));
    await this.verify(await this.dummy, secret);
    return false;
  }
}

/** A bearer token: 32 random bytes, base64url (256 bits). */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

/** No 0/O, 1/l/I: easy to read out and type. */
const UNAMBIGUOUS = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';

export function generatePassword(length = 20): string {
  let out = '';
  for (let i = 0; i < length; i++) out += UNAMBIGUOUS[randomInt(UNAMBIGUOUS.length)];
  return out;
}

export function randomDigits(length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += String(randomInt(10));
  return out;
}

/**
 * AES-256-GCM for values the server must be able to show again (the default PIN an admin reads out).
 * The additional data binds a ciphertext to its row (the extension number), so rows cannot be swapped.
 */
export class SecretBox {
  /** Random IVs drawn in bulk (seeding seals 100,000 defaults; one randomBytes call each doubles the cost). */
  private ivPool = Buffer.alloc(0);
  private ivOffset = 0;
  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new Error('SecretBox: the key must be 32 bytes');
  }

  private nextIv(): Buffer {
    if (this.ivOffset + 12 > this.ivPool.length) {
      this.ivPool = randomBytes(12 * 4096);
      this.ivOffset = 0;
    }
    const iv = this.ivPool.subarray(this.ivOffset, this.ivOffset + 12);
    this.ivOffset += 12;
    return iv;
  }

  seal(plain: string, aad: string): Buffer {
    const iv = this.nextIv();
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(aad, 'utf8'));
    const ct = cipher.update(plain, 'utf8');
    const tail = cipher.final();
    const out = Buffer.allocUnsafe(28 + ct.length + tail.length);
    iv.copy(out, 0);
    cipher.getAuthTag().copy(out, 12);
    ct.copy(out, 28);
    tail.copy(out, 28 + ct.length);
    return out;
  }

  open(sealed: Buffer, aad: string): string {
    const decipher = createDecipheriv('aes-256-gcm', this.key, sealed.subarray(0, 12));
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(sealed.subarray(12, 28));
    return Buffer.concat([decipher.update(sealed.subarray(28)), decipher.final()]).toString('utf8');
  }
}

/** Constant-time string comparison (equal lengths compared in constant time; lengths may leak). */
export function safeEqual(a: string, b: string): boolean {
  const x = createHash('sha256').update(a, 'utf8').digest();
  const y = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(x, y);
}

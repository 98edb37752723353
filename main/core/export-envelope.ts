// Issue 7 / SPEC F6 — an exported configuration encrypted with a passphrase: argon2id KDF + AES-256-GCM.
//
// Envelope (JSON; binary fields base64):
//   { format: "pbx-warden-export-encrypted", version: 1,
//     kdf: { name: "argon2id", memoryCost (KiB), timeCost, parallelism, salt, check },
//     cipher: { name: "aes-256-gcm", iv, tag },
//     data }                                   // AES-256-GCM(the export's JSON text, UTF-8)
//
// Keys: argon2id(passphrase, salt) gives a 32-byte master key; HKDF-SHA256 splits it into the encryption key
// and a check key (as the console's vault does). `check` = HMAC-SHA256(check key, fixed text + header) lets the
// reader tell a wrong passphrase (check differs) from a damaged or edited file (check matches, GCM fails). It
// gives an attacker nothing the GCM tag does not (each guess costs the argon2id work either way). The header —
// everything but tag and data, in a fixed canonical text — is bound into GCM as additional authenticated data,
// so a changed KDF parameter, salt or IV is tampering too.
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import argon2 from 'argon2';
import { AppError } from '../../shared/errors.js';
import { EXPORT_LIMITS } from '../../shared/export.js';
import {
  EXPORT_ENVELOPE_FORMAT,
  EXPORT_ENVELOPE_VERSION,
  ExportEnvelopeSchema,
  describeIssues,
  scanJsonLimits,
  type ExportEnvelope,
} from '../../shared/export-reader.js';

/** Defaults: 64 MiB, 3 passes, 1 lane (~0.3 s on a 2-core VM), as the vault. */
export const EXPORT_KDF_DEFAULTS = { memoryCost: 65536, timeCost: 3, parallelism: 1 } as const;

/** A passphrase for an export: at least this many characters (it protects a file that may travel). */
export const EXPORT_PASSPHRASE_MIN = 10;

/** The largest envelope text read: the base64 of the largest export, plus its header. */
export const ENVELOPE_MAX_BYTES = Math.ceil((EXPORT_LIMITS.maxBytes * 4) / 3) + 64 * 1024;

type Header = Omit<ExportEnvelope, 'data' | 'cipher' | 'kdf'> & {
  kdf: Omit<ExportEnvelope['kdf'], 'check'>;
  cipher: Omit<ExportEnvelope['cipher'], 'tag'>;
};

/** The header in a fixed text (key order and spacing of the file do not matter): the GCM AAD. */
function aad(h: Header): Buffer {
  const { memoryCost, timeCost, parallelism, salt } = h.kdf;
  return Buffer.from(
    `${h.format}|v${h.version}|${h.kdf.name}|m=${memoryCost}|t=${timeCost}|p=${parallelism}|salt=${salt}|${h.cipher.name}|iv=${h.cipher.iv}`,
    'utf8',
  );
}

/**
 * The passphrase check: over the KDF parameters only (they decide the keys), so a changed IV, tag or data is
 * reported as tampering. A changed salt or cost changes the keys themselves and reads as a wrong passphrase.
 */
function checkValue(checkKey: Buffer, h: Header): Buffer {
  const { name, memoryCost, timeCost, parallelism, salt } = h.kdf;
  return createHmac('sha256', checkKey)
    .update(`pbx-warden export passphrase check|v${h.version}|${name}|m=${memoryCost}|t=${timeCost}|p=${parallelism}|salt=${salt}`)
    .digest();
}

async function deriveKeys(passphrase: string, kdf: Header['kdf']): Promise<{ enc: Buffer; check: Buffer }> {
  const salt = Buffer.from(kdf.salt, 'base64');
  const master = await argon2.hash(passphrase, {
    type: argon2.argon2id,
    raw: true,
    hashLength: 32,
    memoryCost: kdf.memoryCost,
    timeCost: kdf.timeCost,
    parallelism: kdf.parallelism,
    salt,
  });
  const enc = Buffer.from(hkdfSync('sha256', master, salt, 'pbx-warden export v1 encryption key', 32));
  const check = Buffer.from(hkdfSync('sha256', master, salt, 'pbx-warden export v1 check key', 32));
  master.fill(0);
  return { enc, check };
}

function invalid(why: string): AppError {
  return new AppError('export_invalid', `The encrypted export cannot be read: ${why}`, 422);
}

/**
 * Encrypt an export's JSON text with a passphrase; returns the envelope's JSON text. `kdf` overrides the
 * defaults (tests use the floor to stay fast).
 */
export async function encryptExport(
  json: string,
  passphrase: string,
  kdf: { memoryCost: number; timeCost: number; parallelism: number } = EXPORT_KDF_DEFAULTS,
): Promise<string> {
  if (typeof passphrase !== 'string' || [...passphrase].length < EXPORT_PASSPHRASE_MIN) {
    throw new AppError('validation_failed', `passphrase: at least ${EXPORT_PASSPHRASE_MIN} characters`, 422, [
      { field: 'passphrase', rule: 'min', message: `passphrase: at least ${EXPORT_PASSPHRASE_MIN} characters` },
    ]);
  }
  const header: Header = {
    format: EXPORT_ENVELOPE_FORMAT,
    version: EXPORT_ENVELOPE_VERSION,
    kdf: { name: 'argon2id', ...kdf, salt: randomBytes(16).toString('base64') },
    cipher: { name: 'aes-256-gcm', iv: randomBytes(12).toString('base64') },
  };
  const keys = await deriveKeys(passphrase, header.kdf);
  try {
    const cipher = createCipheriv('aes-256-gcm', keys.enc, Buffer.from(header.cipher.iv, 'base64'));
    cipher.setAAD(aad(header));
    const plain = Buffer.from(json, 'utf8');
    const data = Buffer.concat([cipher.update(plain), cipher.final()]);
    plain.fill(0);
    const envelope: ExportEnvelope = {
      format: header.format,
      version: header.version,
      kdf: { ...header.kdf, check: checkValue(keys.check, header).toString('base64') },
      cipher: { ...header.cipher, tag: cipher.getAuthTag().toString('base64') },
      data: data.toString('base64'),
    };
    return `${JSON.stringify(envelope)}\n`;
  } finally {
    keys.enc.fill(0);
    keys.check.fill(0);
  }
}

/** Parse and check an envelope's text (no decryption); AppError export_invalid naming the problem. */
export function parseEnvelope(envelopeText: string): ExportEnvelope {
  const t = envelopeText.charCodeAt(0) === 0xfeff ? envelopeText.slice(1) : envelopeText;
  const limits = scanJsonLimits(t, { maxBytes: ENVELOPE_MAX_BYTES, maxDepth: 4 });
  if (!limits.ok) throw invalid(limits.reason === 'too_large' ? 'the file is too large' : 'it is not an export envelope (nested too deep)');
  let value: unknown;
  try {
    value = JSON.parse(t);
  } catch {
    throw invalid('it is not valid JSON (the file is damaged or cut off)');
  }
  const r = ExportEnvelopeSchema.safeParse(value);
  if (!r.success) throw invalid(describeIssues(r.error.issues).message);
  const e = r.data;
  const len = (s: string) => Buffer.from(s, 'base64').length;
  if (len(e.kdf.salt) < 16 || len(e.kdf.salt) > 64) throw invalid('kdf.salt: 16–64 bytes expected');
  if (len(e.kdf.check) !== 32) throw invalid('kdf.check: 32 bytes expected');
  if (len(e.cipher.iv) !== 12) throw invalid('cipher.iv: 12 bytes expected');
  if (len(e.cipher.tag) !== 16) throw invalid('cipher.tag: 16 bytes expected');
  return e;
}

/**
 * Decrypt an envelope; returns the export's JSON text. Errors (AppError): export_invalid (not an envelope, or
 * a malformed one), export_passphrase_wrong (the check value differs), export_tampered (the passphrase is
 * right but the data, tag or header was changed).
 */
export async function decryptExport(envelopeText: string, passphrase: string): Promise<string> {
  const e = parseEnvelope(envelopeText);
  const header: Header = {
    format: e.format,
    version: e.version,
    kdf: { name: e.kdf.name, memoryCost: e.kdf.memoryCost, timeCost: e.kdf.timeCost, parallelism: e.kdf.parallelism, salt: e.kdf.salt },
    cipher: { name: e.cipher.name, iv: e.cipher.iv },
  };
  const keys = await deriveKeys(typeof passphrase === 'string' ? passphrase : '', header.kdf);
  try {
    const expected = checkValue(keys.check, header);
    if (!timingSafeEqual(expected, Buffer.from(e.kdf.check, 'base64'))) {
      throw new AppError('export_passphrase_wrong', 'The passphrase is not the one this export was encrypted with', 401);
    }
    const decipher = createDecipheriv('aes-256-gcm', keys.enc, Buffer.from(e.cipher.iv, 'base64'));
    decipher.setAAD(aad(header));
    decipher.setAuthTag(Buffer.from(e.cipher.tag, 'base64'));
    let plain: Buffer;
    try {
      plain = Buffer.concat([decipher.update(Buffer.from(e.data, 'base64')), decipher.final()]);
    } catch {
      throw new AppError(
        'export_tampered',
        'The passphrase is right, but the encrypted export was changed or damaged after it was written; it was not opened',
        422,
      );
    }
    const text = new TextDecoder('utf-8', { fatal: false }).decode(plain);
    plain.fill(0);
    return text;
  } finally {
    keys.enc.fill(0);
    keys.check.fill(0);
  }
}

// Issue 7 / SPEC F6 — reading an exported configuration safely. A file a user opens may be anything: truncated,
// hand-edited, made by a newer version, encrypted, or hostile (gigabytes, or nesting deep enough to overflow a
// recursive parser). Checked in order, each with a typed answer and a message a person can act on:
//   1. size (EXPORT_LIMITS.maxBytes, UTF-8 bytes), before JSON.parse;
//   2. JSON syntax (V8's JSON.parse is iterative: depth cannot overflow it); a syntax error is told apart as a
//      cut-off file or a hostile depth by scanJsonLimits, a linear scan run on that failure path only;
//   then, unless the document is a valid export (fast path below), nesting depth (EXPORT_LIMITS.maxDepth) by
//   depthExceeds, without recursion, before anything walks the value;
//   3. format and version (an encrypted envelope is named as such; a newer version asks for an update);
//   4. the schema (PbxExportSchema), the first few problems named by their JSON path: "extensions[12].protection.state: …".
//      A valid file takes a fast path: its extensions are checked by a hand-written twin of ExtensionSchema
//      (shared/export-fast.ts; zod's generic walk was ~0.4 s of a 100,000-extension file), the rest by zod; when
//      anything is wrong zod checks the whole document, so every answer and message is zod's, as before.
// readExportText never throws. Pure: no node:*, so the console's main process and tests share it.
import { z } from 'zod';
import { EXPORT_FORMAT, EXPORT_LIMITS, EXPORT_VERSION, PbxExportSchema, type PbxExport } from './export.js';
import { checkExtensions } from './export-fast.js';

/** The `format` of an encrypted export (main/core/export-envelope.ts writes it). */
export const EXPORT_ENVELOPE_FORMAT = 'pbx-warden-export-encrypted';
export const EXPORT_ENVELOPE_VERSION = 1;

export const ExportReadCodes = ['too_large', 'too_deep', 'not_json', 'encrypted', 'wrong_format', 'wrong_version', 'invalid'] as const;
export type ExportReadCode = (typeof ExportReadCodes)[number];

export type ExportReadResult =
  | { ok: true; data: PbxExport }
  | { ok: false; code: ExportReadCode; message: string; path?: string };

/** How many schema problems a message names (the rest are counted). */
const ISSUES_NAMED = 3;

/** A JSON path for people: extensions[12].protection.state (keys that are not identifiers quoted). */
export function jsonPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else {
      const key = String(seg);
      if (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key)) out += out ? `.${key}` : key;
      else out += `[${JSON.stringify(key)}]`;
    }
  }
  return out || '(document)';
}

const fail = (code: ExportReadCode, message: string, path?: string): ExportReadResult =>
  path === undefined ? { ok: false, code, message } : { ok: false, code, message, path };

function mib(bytes: number): string {
  return `${Math.round((bytes / (1024 * 1024)) * 10) / 10} MiB`;
}

/** The UTF-8 size of a text, counting only its non-ASCII characters one by one (an export is mostly ASCII). */
export function utf8Length(text: string): number {
  let bytes = text.length;
  const nonAscii = /[\u0080-\uffff]+/g;
  for (let m = nonAscii.exec(text); m !== null; m = nonAscii.exec(text)) {
    const run = m[0];
    // U+0080–U+07FF: 2 bytes (1 more); a surrogate pair: 4 bytes for 2 units (1 more each); else 3 (2 more)
    for (let i = 0; i < run.length; i++) {
      const c = run.charCodeAt(i);
      bytes += c < 0x800 || (c >= 0xd800 && c <= 0xdfff) ? 1 : 2;
    }
  }
  return bytes;
}

/**
 * The text's UTF-8 size and whether its nesting stays within maxDepth, in one pass without recursion (so a
 * hostile file of a million brackets cannot overflow a stack). Outside strings only `[ { ] }` and `"` matter; a
 * string is skipped with indexOf to its closing quote (one not escaped by an odd run of backslashes).
 */
export function scanJsonLimits(
  text: string,
  limits: { maxBytes: number; maxDepth: number } = EXPORT_LIMITS,
): { ok: true; bytes: number; depth: number; complete: boolean } | { ok: false; reason: 'too_large' | 'too_deep'; bytes: number; depth: number; offset: number } {
  if (text.length > limits.maxBytes) return { ok: false, reason: 'too_large', bytes: text.length, depth: 0, offset: limits.maxBytes };
  // at most 3 bytes per UTF-16 unit: when even that fits, no need to count
  const bytes = text.length * 3 > limits.maxBytes ? utf8Length(text) : text.length;
  if (bytes > limits.maxBytes) return { ok: false, reason: 'too_large', bytes, depth: 0, offset: limits.maxBytes };
  let depth = 0;
  let maxSeen = 0;
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      let j = i + 1;
      for (;;) {
        j = text.indexOf('"', j);
        if (j < 0) return { ok: true, bytes, depth: maxSeen, complete: false }; // unterminated: JSON.parse names it
        let k = j - 1;
        while (k > i && text.charCodeAt(k) === 0x5c /* \ */) k--;
        if ((j - 1 - k) % 2 === 0) break; // an even run of backslashes: the quote ends the string
        j++;
      }
      i = j + 1;
      continue;
    }
    if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      depth++;
      if (depth > maxSeen) {
        maxSeen = depth;
        if (depth > limits.maxDepth) return { ok: false, reason: 'too_deep', bytes, depth, offset: i };
      }
    } else if (c === 0x5d /* ] */ || c === 0x7d /* } */) depth--;
    i++;
  }
  // complete: every bracket opened was closed (else the text was probably cut off)
  return { ok: true, bytes, depth: maxSeen, complete: depth <= 0 };
}

/** "line 3, column 14" of an offset, for messages. */
function lineColumn(text: string, offset: number): string {
  let line = 1;
  let col = 1;
  const end = Math.min(offset, text.length);
  for (let i = 0; i < end; i++) {
    if (text.charCodeAt(i) === 0x0a) {
      line++;
      col = 1;
    } else col++;
  }
  return `line ${line}, column ${col}`;
}

const ENVELOPE_START = /^\s*\{\s*"format"\s*:\s*"pbx-warden-export-encrypted"/;

/** Is this text an encrypted export (an envelope to decrypt with a passphrase)? Never throws. */
export function isEncryptedEnvelope(text: string): boolean {
  try {
    const t = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
    if (ENVELOPE_START.test(t.slice(0, 512))) return true;
    // the keys in another order: only then is the whole text parsed (within the limits)
    if (!t.includes(`"${EXPORT_ENVELOPE_FORMAT}"`) || !scanJsonLimits(t).ok) return false;
    const v: unknown = JSON.parse(t);
    return isRecord(v) && v['format'] === EXPORT_ENVELOPE_FORMAT;
  } catch {
    return false;
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** zod issues → "path: message" for the first few, and the path of the first. */
export function describeIssues(issues: readonly z.core.$ZodIssue[], max = ISSUES_NAMED): { message: string; path: string } {
  const named = issues.slice(0, max).map((issue) => {
    const base = jsonPath(issue.path);
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((k) => `${jsonPath([...issue.path, k])}: not a field of this format`).join('; ');
    }
    return `${base}: ${issue.message}`;
  });
  const more = issues.length > max ? ` (and ${issues.length - max} more)` : '';
  const first = issues[0];
  const path = first ? jsonPath(first.code === 'unrecognized_keys' && first.keys[0] !== undefined ? [...first.path, first.keys[0]] : first.path) : '(document)';
  return { message: `${named.join('; ')}${more}`, path };
}

/** The document without its extensions (checked by hand in shared/export-fast.ts); as strict as the whole. */
const ExportRestSchema = PbxExportSchema.omit({ extensions: true });
const EXPORT_KEYS = Object.keys(PbxExportSchema.shape) as (keyof PbxExport)[];

/**
 * The fast path of the schema check: the extensions by hand, the rest by zod. A valid document comes out as
 * PbxExportSchema.parse would give it; anything else is undefined, and the caller lets zod check (and name the
 * problems in) the whole document, so a bad file reads exactly as before.
 */
function checkValid(value: Record<string, unknown>): PbxExport | undefined {
  const extensions = checkExtensions(value['extensions'], EXPORT_LIMITS.extensions);
  if (!extensions) return undefined;
  const { extensions: _skip, ...rest } = value;
  const r = ExportRestSchema.safeParse(rest);
  if (!r.success) return undefined;
  // the keys in the schema's order, as zod would have built the object
  const out: Record<string, unknown> = {};
  for (const k of EXPORT_KEYS) out[k] = k === 'extensions' ? extensions : r.data[k as Exclude<keyof PbxExport, 'extensions'>];
  return out as PbxExport;
}

function readParsed(value: unknown): ExportReadResult {
  // a good export takes the fast path (which never walks into what the schema does not know); only then is
  // the nesting measured, before anything walks the value to name what is wrong with it
  if (isRecord(value) && value['format'] === EXPORT_FORMAT && value['version'] === EXPORT_VERSION) {
    const fast = checkValid(value);
    if (fast) return { ok: true, data: fast };
  }
  if (depthExceeds(value, EXPORT_LIMITS.maxDepth)) return tooDeep('');
  if (!isRecord(value)) {
    return fail('wrong_format', `This is not a PBX Warden export: the file holds ${Array.isArray(value) ? 'a list' : value === null ? 'null' : `a ${typeof value}`}, not a document`);
  }
  const format = value['format'];
  if (format === EXPORT_ENVELOPE_FORMAT) {
    return fail('encrypted', 'This export is encrypted: enter its passphrase to open it');
  }
  if (format !== EXPORT_FORMAT) {
    const what = typeof format === 'string' ? `its format is “${format.slice(0, 80)}”` : 'it has no "format" field';
    return fail('wrong_format', `This is not a PBX Warden export (${what}; expected “${EXPORT_FORMAT}”)`, 'format');
  }
  const version = value['version'];
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    return fail('wrong_version', `The export's version is not valid (${JSON.stringify(version)?.slice(0, 40) ?? 'missing'}); expected ${EXPORT_VERSION}`, 'version');
  }
  if (version > EXPORT_VERSION) {
    return fail(
      'wrong_version',
      `This export was made by a newer PBX Warden (format version ${version}; this one reads version ${EXPORT_VERSION}); update PBX Warden to open it`,
      'version',
    );
  }
  if (version !== EXPORT_VERSION) {
    return fail('wrong_version', `Export format version ${version} is not known to this PBX Warden (it reads version ${EXPORT_VERSION})`, 'version');
  }
  const r = PbxExportSchema.safeParse(value);
  if (r.success) return { ok: true, data: r.data };
  const { message, path } = describeIssues(r.error.issues);
  return fail('invalid', `The export is damaged or was edited: ${message}`, path);
}

/**
 * How deep a parsed value nests, counted without recursion and given up on as soon as it passes `limit` (so a
 * value a million levels deep costs `limit` steps down its first path, not a million).
 */
export function depthExceeds(value: unknown, limit: number): boolean {
  const stack: { v: unknown; d: number }[] = [{ v: value, d: 0 }];
  while (stack.length > 0) {
    const { v, d } = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    const depth = d + 1;
    if (depth > limit) return true;
    const children = Array.isArray(v) ? v : Object.values(v);
    for (const c of children) if (typeof c === 'object' && c !== null) stack.push({ v: c, d: depth });
  }
  return false;
}

/** The size check: UTF-8 bytes, counted only when the characters alone could pass the limit. */
function tooLarge(text: string): boolean {
  if (text.length > EXPORT_LIMITS.maxBytes) return true;
  return text.length * 3 > EXPORT_LIMITS.maxBytes && utf8Length(text) > EXPORT_LIMITS.maxBytes;
}

const tooDeep = (where: string): ExportReadResult =>
  fail('too_deep', `The file nests more than ${EXPORT_LIMITS.maxDepth} levels deep${where}; an export never does, so it was not opened`);

/**
 * Read an export document from its text (UTF-8 decoded already; a leading BOM is ignored). Never throws.
 *
 * Order and cost: the size first (a length compare); then JSON.parse, which in V8 is iterative (no recursion,
 * so nesting cannot overflow the stack; test/unit/export-reader.test.ts parses a million levels); then the
 * schema. Nesting is checked only when the document is not a valid export (a valid one nests 6 levels at most,
 * the schema being strict), by depthExceeds before zod walks it, so a hostile file is named "too deep" and a
 * good one pays nothing: the linear pre-scan this replaced was ~160 ms of a 100,000-extension open.
 */
export function readExportText(text: string): ExportReadResult {
  try {
    if (typeof text !== 'string') return fail('not_json', 'The file could not be read as text');
    const t = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
    if (tooLarge(t)) return fail('too_large', `The file is larger than ${mib(EXPORT_LIMITS.maxBytes)}, the most an export may be; it was not opened`);
    if (t.trim() === '') return fail('not_json', 'The file is empty');
    let value: unknown;
    try {
      value = JSON.parse(t);
    } catch (err) {
      // the failure path only: the scan tells a cut-off file (brackets left open) and a hostile depth
      const limits = scanJsonLimits(t);
      if (!limits.ok) return tooDeep(` (at ${lineColumn(t, limits.offset)})`);
      const detail = err instanceof Error ? err.message : String(err);
      return fail(
        'not_json',
        limits.complete ? `The file is not valid JSON: ${detail}` : `The file is cut off: it ends before the document does (${detail})`,
      );
    }
    return readParsed(value);
  } catch (err) {
    // never throws: anything unforeseen (out of memory on a huge string, …) is an unreadable file
    const detail = err instanceof Error ? err.message : String(err);
    return fail('invalid', `The file could not be read: ${detail}`);
  }
}

// ---- the encrypted envelope's shape (main/core/export-envelope.ts reads and writes it) ----------------------

const b64 = (max: number) => z.string().max(max).regex(/^[A-Za-z0-9+/]*={0,2}$/, { message: 'base64 text expected' });

/** Ceilings of the key derivation a file may ask for (a doctored file must not make us allocate gigabytes). */
export const ENVELOPE_KDF_LIMITS = { memoryCost: { min: 19456, max: 1_048_576 }, timeCost: { min: 2, max: 16 }, parallelism: { min: 1, max: 8 } } as const;

export const ExportEnvelopeSchema = z
  .object({
    format: z.literal(EXPORT_ENVELOPE_FORMAT),
    version: z.literal(EXPORT_ENVELOPE_VERSION),
    kdf: z
      .object({
        name: z.literal('argon2id'),
        /** KiB */
        memoryCost: z.number().int().min(ENVELOPE_KDF_LIMITS.memoryCost.min).max(ENVELOPE_KDF_LIMITS.memoryCost.max),
        timeCost: z.number().int().min(ENVELOPE_KDF_LIMITS.timeCost.min).max(ENVELOPE_KDF_LIMITS.timeCost.max),
        parallelism: z.number().int().min(ENVELOPE_KDF_LIMITS.parallelism.min).max(ENVELOPE_KDF_LIMITS.parallelism.max),
        salt: b64(88),
        /** HMAC-SHA256 of a fixed text under a key derived alongside the encryption key: tells a wrong passphrase from a damaged file. */
        check: b64(88),
      })
      .strict(),
    cipher: z.object({ name: z.literal('aes-256-gcm'), iv: b64(24), tag: b64(24) }).strict(),
    data: b64(Math.ceil((EXPORT_LIMITS.maxBytes * 4) / 3) + 4),
  })
  .strict()
  .meta({ id: 'PbxExportEncrypted' });
export type ExportEnvelope = z.infer<typeof ExportEnvelopeSchema>;

// Issue 7: reading an export file safely (shared/export-reader.ts, main/core/export-file.ts) and its encrypted
// envelope (main/core/export-envelope.ts). Corrupt, truncated, foreign, newer, hostile (too deep, too large) and
// wrongly typed files each get a typed answer naming the problem; random mutations never make the reader throw;
// a wrong passphrase and a changed byte are told apart. Plus: the committed JSON Schema is a fresh generation.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EXPORT_LIMITS, PbxExportSchema } from '../../shared/export.js';
import {
  depthExceeds,
  ExportReadCodes,
  isEncryptedEnvelope,
  jsonPath,
  readExportText,
  scanJsonLimits,
  utf8Length,
  type ExportReadResult,
} from '../../shared/export-reader.js';
import { exportJsonSchemaText } from '../../shared/export-json-schema.js';
import { decryptExport, encryptExport } from '../../main/core/export-envelope.js';
import { openExportFile } from '../../main/core/export-file.js';
import { exportFixture, extension, token, hexId } from '../helpers/export-fixture.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const FAST_KDF = { memoryCost: 19456, timeCost: 2, parallelism: 1 };
const PASS = 'correct horse battery staple';

/** A valid export with 20 extensions, a token and a lock: enough structure for mutations. */
const base = exportFixture((x) => {
  x.extensions = Array.from({ length: 20 }, (_, i) => extension(String(1000 + i), { label: `User ${i} [desk] {x} "q" \\ é` }));
  x.tokens = [token(hexId(1))];
});
const baseText = JSON.stringify(base, null, 1);

const failure = (r: ExportReadResult) => {
  if (r.ok) throw new Error('expected a failure');
  return r;
};

describe('readExportText', () => {
  it('reads a valid export (with or without a BOM) into the typed document', () => {
    const r = readExportText(baseText);
    expect(r.ok && r.data).toEqual(PbxExportSchema.parse(base));
    expect(readExportText(`\uFEFF${baseText}`).ok).toBe(true);
    // brackets, braces, quotes and backslashes inside strings do not count as nesting
    const tricky = exportFixture((x) => {
      x.extensions = [extension('1000', { label: `${'['.repeat(200)}\\"${'{'.repeat(200)}\\\\` })];
    });
    expect(readExportText(JSON.stringify(tricky)).ok).toBe(true);
  });

  it('empty, corrupt and truncated files: not_json, saying whether it is cut off', () => {
    expect(failure(readExportText('')).code).toBe('not_json');
    expect(failure(readExportText('   \n')).message).toMatch(/empty/);
    const garbage = failure(readExportText('this is not json {'));
    expect(garbage.code).toBe('not_json');
    expect(garbage.message).toMatch(/not valid JSON/);
    for (const at of [1, 10, Math.floor(baseText.length / 2), baseText.length - 2]) {
      const r = failure(readExportText(baseText.slice(0, at)));
      expect(r.code, `cut at ${at}`).toBe('not_json');
    }
    expect(failure(readExportText(baseText.slice(0, baseText.length / 2))).message).toMatch(/cut off/);
    expect(failure(readExportText(`${baseText}]`)).message).toMatch(/not valid JSON/);
  });

  it('not an export: wrong_format naming what it is; an encrypted envelope: encrypted', () => {
    expect(failure(readExportText('[1,2,3]'))).toMatchObject({ code: 'wrong_format', message: expect.stringMatching(/a list/) });
    expect(failure(readExportText('42')).code).toBe('wrong_format');
    expect(failure(readExportText('{"format":"vault","v":1}'))).toMatchObject({ code: 'wrong_format', path: 'format', message: expect.stringMatching(/“vault”/) });
    expect(failure(readExportText('{"hello":1}')).message).toMatch(/no "format" field/);
    expect(failure(readExportText('{"format":"pbx-warden-export-encrypted","version":1}')).code).toBe('encrypted');
  });

  it('a newer version asks for an update; a nonsense version is refused', () => {
    const newer = failure(readExportText(JSON.stringify({ ...base, version: 2 })));
    expect(newer).toMatchObject({ code: 'wrong_version', path: 'version' });
    expect(newer.message).toMatch(/made by a newer PBX Warden.*update PBX Warden to open it/);
    for (const v of [0, -1, 1.5, '1', null]) expect(failure(readExportText(JSON.stringify({ ...base, version: v }))).code).toBe('wrong_version');
    expect(failure(readExportText(JSON.stringify({ ...base, version: undefined }))).code).toBe('wrong_version');
  });

  it('too deep: a million nested arrays are refused without overflowing the stack (parsed or not)', () => {
    const deep = `${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}`;
    const r = failure(readExportText(deep));
    expect(r.code).toBe('too_deep');
    expect(r.message).toMatch(/more than 32 levels/);
    // not even valid JSON: the failure path's scan names the depth and where it was passed
    const cut = failure(readExportText(`{"format":${'['.repeat(1_000_000)}`));
    expect(cut).toMatchObject({ code: 'too_deep', message: expect.stringMatching(/more than 32 levels deep \(at line 1, column \d+\)/) });
    expect(depthExceeds(JSON.parse(deep), 32)).toBe(true);
    expect(depthExceeds(base, EXPORT_LIMITS.maxDepth)).toBe(false);
    expect(depthExceeds([[[1]]], 3)).toBe(false);
    expect(depthExceeds([[[1]]], 2)).toBe(true);
    expect(depthExceeds({ a: { b: [{}] } }, 3)).toBe(true);
    // inside a valid document too (as an unknown field's value)
    const nested = `${baseText.slice(0, -1)},"x":${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}}`;
    expect(failure(readExportText(nested)).code).toBe('too_deep');
    // exactly at the limit is fine for the scan (then the schema refuses the unknown field)
    const atLimit = `${'['.repeat(EXPORT_LIMITS.maxDepth)}${']'.repeat(EXPORT_LIMITS.maxDepth)}`;
    expect(failure(readExportText(atLimit)).code).toBe('wrong_format');
  });

  it('too large: refused by size before anything else', () => {
    const big = ' '.repeat(EXPORT_LIMITS.maxBytes + 1);
    expect(failure(readExportText(big))).toMatchObject({ code: 'too_large', message: expect.stringMatching(/larger than 256 MiB/) });
    // UTF-8 bytes count, not characters
    expect(utf8Length('aé€😀')).toBe(1 + 2 + 3 + 4);
    expect(scanJsonLimits('"éééé"', { maxBytes: 10, maxDepth: 4 })).toMatchObject({ ok: true, bytes: 10 });
    expect(scanJsonLimits('"ééééé"', { maxBytes: 10, maxDepth: 4 })).toMatchObject({ ok: false, reason: 'too_large', bytes: 12 });
  });

  it('wrong types: invalid, the first problems named by their JSON path', () => {
    const bad = structuredClone(base) as unknown as { extensions: { protection: { state: unknown }; number: unknown }[]; tokens: unknown };
    bad.extensions[12]!.protection.state = 'maybe';
    const r = failure(readExportText(JSON.stringify(bad)));
    expect(r.code).toBe('invalid');
    expect(r.path).toBe('extensions[12].protection.state');
    expect(r.message).toMatch(/^The export is damaged or was edited: extensions\[12\]\.protection\.state: /);

    bad.extensions[3]!.number = 1003;
    expect(failure(readExportText(JSON.stringify(bad))).message).toMatch(/extensions\[3\]\.number: .*extensions\[12\]\.protection\.state: /);
    bad.tokens = 'none';
    const many = failure(readExportText(JSON.stringify({ ...bad, extra: true, sites: [{}, {}] })));
    expect(many.message).toMatch(/^The export is damaged or was edited: sites\[0\]\.id: .*\(and \d+ more\)$/);

    const unknown = failure(readExportText(JSON.stringify({ ...base, secrets: [] })));
    expect(unknown).toMatchObject({ code: 'invalid', path: 'secrets', message: expect.stringMatching(/secrets: not a field of this format/) });
    const { accounts: _a, ...missing } = base;
    expect(failure(readExportText(JSON.stringify(missing)))).toMatchObject({ code: 'invalid', path: 'accounts' });
  });

  it('names paths the way people read them', () => {
    expect(jsonPath(['extensions', 12, 'protection', 'state'])).toBe('extensions[12].protection.state');
    expect(jsonPath(['hotdesk', 'templates', 0, 'settings', 'account.1.label'])).toBe('hotdesk.templates[0].settings["account.1.label"]');
    expect(jsonPath([])).toBe('(document)');
  });

  it('fuzz: random mutations of a valid export give ok or a typed error, never an exception', () => {
    type Mutation = (v: unknown, text: string) => string;
    const paths: (string | number)[][] = [];
    const walk = (v: unknown, p: (string | number)[]) => {
      if (p.length > 6) return;
      const entries: [string | number, unknown][] = Array.isArray(v) ? v.map((x, i) => [i, x]) : v && typeof v === 'object' ? Object.entries(v) : [];
      for (const [k, x] of entries) {
        paths.push([...p, k]);
        walk(x, [...p, k]);
      }
    };
    walk(base, []);
    const edit = (p: (string | number)[], f: (parent: Record<string | number, unknown>, key: string | number) => void): Mutation => () => {
      const copy = structuredClone(base) as unknown as Record<string | number, unknown>;
      let parent = copy;
      for (const seg of p.slice(0, -1)) parent = parent[seg] as Record<string | number, unknown>;
      f(parent, p[p.length - 1]!);
      return JSON.stringify(copy);
    };
    const pathArb = fc.constantFrom(...paths);
    const valueArb = fc.oneof(fc.string(), fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.array(fc.integer()), fc.dictionary(fc.string(), fc.string()));
    const mutation: fc.Arbitrary<Mutation> = fc.oneof(
      pathArb.map((p) => edit(p, (parent, k) => (Array.isArray(parent) ? parent.splice(Number(k), 1) : delete parent[k]))),
      fc.tuple(pathArb, valueArb).map(([p, v]) => edit(p, (parent, k) => (parent[k] = v))),
      fc.nat().map((n): Mutation => (_v, t) => t.slice(0, n % (t.length + 1))),
      fc.tuple(fc.nat(), fc.string({ unit: 'binary' })).map(([n, g]): Mutation => (_v, t) => {
        const at = n % (t.length + 1);
        return t.slice(0, at) + g + t.slice(at);
      }),
      fc.tuple(fc.nat(), fc.integer({ min: 1, max: 5000 })).map(([n, d]): Mutation => (_v, t) => {
        const at = n % (t.length + 1);
        return `${t.slice(0, at)}${'['.repeat(d)}${t.slice(at)}`;
      }),
      fc.integer({ min: 1, max: 5000 }).map((d): Mutation => (_v, t) => `${'{"a":'.repeat(d)}${t}${'}'.repeat(d)}`),
    );
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 3 }), (ms) => {
        let text = baseText;
        for (const m of ms) text = m(base, text);
        const r = readExportText(text);
        if (r.ok) {
          expect(PbxExportSchema.safeParse(r.data).success).toBe(true);
        } else {
          expect(ExportReadCodes).toContain(r.code);
          expect(typeof r.message).toBe('string');
          expect(r.message.length).toBeGreaterThan(5);
        }
      }),
      { numRuns: 400 },
    );
  });

  it('never throws, even on values that are not text', () => {
    expect(readExportText(undefined as unknown as string)).toMatchObject({ ok: false, code: 'not_json' });
    expect(readExportText(42 as unknown as string)).toMatchObject({ ok: false });
  });
});

describe('isEncryptedEnvelope', () => {
  it('recognises an envelope whatever the key order, and nothing else', () => {
    expect(isEncryptedEnvelope('{"format":"pbx-warden-export-encrypted","version":1}')).toBe(true);
    expect(isEncryptedEnvelope('\uFEFF  {\n "format" : "pbx-warden-export-encrypted"}')).toBe(true);
    expect(isEncryptedEnvelope('{"version":1,"data":"","format":"pbx-warden-export-encrypted"}')).toBe(true);
    expect(isEncryptedEnvelope(baseText)).toBe(false);
    expect(isEncryptedEnvelope('{"label":"pbx-warden-export-encrypted"}')).toBe(false);
    expect(isEncryptedEnvelope('not json "pbx-warden-export-encrypted"')).toBe(false);
    expect(isEncryptedEnvelope('')).toBe(false);
  });
});

describe('encrypted exports (argon2id + AES-256-GCM)', () => {
  it('round trip; wrong passphrase vs changed byte told apart; a malformed envelope is export_invalid', async () => {
    const env = await encryptExport(baseText, PASS, FAST_KDF);
    expect(isEncryptedEnvelope(env)).toBe(true);
    expect(env).not.toContain('User 1');
    const parsed = JSON.parse(env) as { kdf: Record<string, unknown>; cipher: Record<string, string>; data: string };
    expect(parsed).toMatchObject({ format: 'pbx-warden-export-encrypted', version: 1, kdf: { name: 'argon2id', ...FAST_KDF }, cipher: { name: 'aes-256-gcm' } });
    expect(await decryptExport(env, PASS)).toBe(baseText);
    await expect(decryptExport(env, 'not the passphrase')).rejects.toMatchObject({ code: 'export_passphrase_wrong' });

    const flip = (b64: string, at: number) => {
      const b = Buffer.from(b64, 'base64');
      b[at % b.length]! ^= 0x80;
      return b.toString('base64');
    };
    // a changed data byte, tag or IV (authenticated as AAD): tampered, with the right passphrase
    for (const changed of [
      { ...parsed, data: flip(parsed.data, 7) },
      { ...parsed, cipher: { ...parsed.cipher, tag: flip(parsed.cipher['tag']!, 0) } },
      { ...parsed, cipher: { ...parsed.cipher, iv: flip(parsed.cipher['iv']!, 3) } },
    ]) {
      await expect(decryptExport(JSON.stringify(changed), PASS)).rejects.toMatchObject({ code: 'export_tampered' });
    }
    // malformed: cut off, unknown field, absurd KDF cost (refused before any work)
    await expect(decryptExport(env.slice(0, env.length / 2), PASS)).rejects.toMatchObject({ code: 'export_invalid' });
    await expect(decryptExport(JSON.stringify({ ...parsed, extra: 1 }), PASS)).rejects.toMatchObject({ code: 'export_invalid' });
    await expect(decryptExport(JSON.stringify({ ...parsed, kdf: { ...parsed.kdf, memoryCost: 64 * 1024 * 1024 } }), PASS)).rejects.toMatchObject({
      code: 'export_invalid',
      message: expect.stringMatching(/kdf\.memoryCost/),
    });
    await expect(encryptExport(baseText, 'short')).rejects.toMatchObject({ code: 'validation_failed' });
  }, 30_000);
});

describe('openExportFile', () => {
  it('decodes UTF-8 with or without a BOM; refuses UTF-16 and invalid bytes by name', async () => {
    expect(await openExportFile(Buffer.from(baseText))).toMatchObject({ ok: true, encrypted: false });
    expect(await openExportFile(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(baseText)]))).toMatchObject({ ok: true });
    expect(await openExportFile(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(baseText, 'utf16le')]))).toMatchObject({
      ok: false, code: 'not_json', message: expect.stringMatching(/UTF-16/),
    });
    expect(await openExportFile(Buffer.from([0x7b, 0xc3, 0x28, 0x7d]))).toMatchObject({ ok: false, code: 'not_json', message: expect.stringMatching(/not UTF-8/) });
    expect(await openExportFile(Buffer.from(JSON.stringify({ ...base, version: 9 })))).toMatchObject({ ok: false, code: 'wrong_version' });
  });

  it('an encrypted file asks for its passphrase, then opens', async () => {
    const env = Buffer.from(await encryptExport(baseText, PASS, FAST_KDF));
    expect(await openExportFile(env)).toMatchObject({ ok: false, code: 'passphrase_required' });
    expect(await openExportFile(env, 'wrong passphrase!')).toMatchObject({ ok: false, code: 'passphrase_wrong' });
    const r = await openExportFile(env, PASS);
    expect(r.ok && r.encrypted && r.data.extensions.length).toBe(20);
  }, 30_000);
});

describe('docs/export.schema.json', () => {
  it('is what npm run schema generates from PbxExportSchema now', () => {
    const committed = readFileSync(path.join(root, 'docs', 'export.schema.json'), 'utf8');
    expect(committed).toBe(exportJsonSchemaText());
    const schema = JSON.parse(committed) as { $ref: string; $defs: Record<string, unknown> };
    expect(schema.$ref).toBe('#/$defs/PbxExport');
    expect(Object.keys(schema.$defs)).toEqual(expect.arrayContaining(['PbxExport', 'Extension', 'ExportAccount', 'ExportToken', 'AuditSummary']));
  });
});

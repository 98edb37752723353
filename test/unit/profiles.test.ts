import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '../../shared/errors.js';
import { ProfileSchema, ProfilesFileSchema } from '../../shared/rpc.js';
import { ProfileStore, slugId, type ProfileInput } from '../../main/core/profiles.js';

const FP = Array.from({ length: 32 }, (_, i) => (i + 16).toString(16).padStart(2, '0')).join(':');
const valid = { id: 'office', name: 'Office', url: 'https://pbx.example.com', username: 'admin', kind: 'remote' as const };

function caught(fn: () => unknown): AppError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return error as AppError;
  }
  throw new Error('expected an AppError');
}

describe('ProfileSchema', () => {
  it('accepts http and https URLs and fills the default TLS mode', () => {
    expect(ProfileSchema.parse(valid).tls).toEqual({ mode: 'system' });
    expect(ProfileSchema.safeParse({ ...valid, url: 'http://127.0.0.1:8080/' }).success).toBe(true);
    expect(ProfileSchema.safeParse({ ...valid, url: 'http://localhost:8080/' }).success).toBe(true);
    expect(ProfileSchema.safeParse({ ...valid, url: 'http://[::1]:8080/' }).success).toBe(true);
    // plain http beyond this computer would carry the admin password in clear
    const lan = ProfileSchema.safeParse({ ...valid, url: 'http://10.0.0.5:8080/' });
    expect(lan.success).toBe(false);
    expect(lan.error?.issues[0]).toMatchObject({ path: ['url'], params: { rule: 'https_required' } });
  });

  it.each([
    ['ftp://pbx.example.com', 'another scheme'],
    ['file:///etc/passwd', 'a file URL'],
    ['javascript:alert(1)', 'a script URL'],
    ['pbx.example.com', 'no scheme'],
    ['https://admin:secret@pbx.example.com', 'user and password in the URL'],
    ['https://admin@pbx.example.com', 'a user in the URL'],
    ['', 'empty'],
  ])('refuses the URL %s (%s) with rule "url"', (url) => {
    const r = ProfileSchema.safeParse({ ...valid, url });
    expect(r.success).toBe(false);
    const err = caught(() => new ProfileStore({ cwd: tmp }).save({ name: 'x', url, username: 'u', tls: { mode: 'system' } }));
    expect(err.details?.find((d) => d.field === 'url')?.rule).toBe('url');
  });

  it('refuses @ in the username, an empty name and unknown keys', () => {
    const store = new ProfileStore({ cwd: tmp });
    const at = caught(() => store.save({ name: 'x', url: valid.url, username: 'admin@example.com', tls: { mode: 'system' } }));
    expect(at.code).toBe('profile_invalid');
    expect(at.details).toContainEqual(expect.objectContaining({ field: 'username', rule: 'no_at' }));
    const name = caught(() => store.save({ name: '   ', url: valid.url, username: 'a', tls: { mode: 'system' } }));
    expect(name.details).toContainEqual(expect.objectContaining({ field: 'name', rule: 'min' }));
    expect(ProfileSchema.safeParse({ ...valid, extra: 1 }).success).toBe(false);
  });

  it('requires a CA file for tls mode "ca" and a fingerprint for mode "pin"', () => {
    const store = new ProfileStore({ cwd: tmp });
    const ca = caught(() => store.save({ name: 'x', url: valid.url, username: 'a', tls: { mode: 'ca' } }));
    expect(ca.details).toContainEqual(expect.objectContaining({ field: 'tls.caFile', rule: 'required' }));
    const pin = caught(() => store.save({ name: 'x', url: valid.url, username: 'a', tls: { mode: 'pin' } }));
    expect(pin.details).toContainEqual(expect.objectContaining({ field: 'tls.fingerprint', rule: 'required' }));
    const badFp = caught(() => store.save({ name: 'x', url: valid.url, username: 'a', tls: { mode: 'pin', fingerprint: 'abcd' } }));
    expect(badFp.details).toContainEqual(expect.objectContaining({ field: 'tls.fingerprint', rule: 'pattern' }));
    expect(ProfileSchema.safeParse({ ...valid, tls: { mode: 'ca', caFile: '/etc/ssl/ca.pem' } }).success).toBe(true);
    expect(ProfileSchema.safeParse({ ...valid, tls: { mode: 'pin', fingerprint: FP } }).success).toBe(true);
    expect(ProfileSchema.safeParse({ ...valid, tls: { mode: 'pin', fingerprint: FP.replace(/:/g, '') } }).success).toBe(true);
  });

  it('the file schema is versioned and strict', () => {
    expect(ProfilesFileSchema.safeParse({ schemaVersion: 1, profiles: [valid] }).success).toBe(true);
    expect(ProfilesFileSchema.safeParse({ schemaVersion: 2, profiles: [] }).success).toBe(false);
    expect(ProfilesFileSchema.safeParse({ schemaVersion: 1, profiles: [{ ...valid, password: 'x' }] }).success).toBe(false);
  });
});

let tmp: string;
beforeEach(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'warden-profiles-'));
});
afterEach(() => {
  rmSync(tmp, { recursive: true, force: true });
});

const input = (over: Partial<ProfileInput> = {}): ProfileInput => ({
  name: 'Head Office',
  url: 'https://pbx.example.com',
  username: 'admin',
  tls: { mode: 'system' },
  ...over,
});

describe('ProfileStore', () => {
  it('starts empty without writing a file', () => {
    const store = new ProfileStore({ cwd: tmp });
    expect(store.list()).toEqual([]);
    expect(store.lastProfileId).toBeNull();
    expect(store.loadWarning).toBeNull();
    expect(existsSync(store.path)).toBe(false);
  });

  it('saves, lists, updates and deletes; ids come from the name and are unique', () => {
    const store = new ProfileStore({ cwd: tmp });
    const a = store.save(input());
    expect(a).toMatchObject({ id: 'head-office', kind: 'remote', tls: { mode: 'system' } });
    const b = store.save(input({ url: 'https://pbx2.example.com' }));
    expect(b.id).toBe('head-office-2');
    expect(store.save(input({ name: 'Zürich Süd!' })).id).toBe('zurich-sud');
    expect(store.save(input({ name: '***' })).id).toBe('pbx');

    const updated = store.save({ ...input({ name: 'Head Office (new)', username: 'ops' }), id: 'head-office' });
    expect(updated).toMatchObject({ id: 'head-office', name: 'Head Office (new)', username: 'ops', kind: 'remote' });

    // Everything is on disk: a fresh store sees it, validated.
    const again = new ProfileStore({ cwd: tmp });
    expect(again.list().map((p) => p.id)).toEqual(['head-office', 'head-office-2', 'zurich-sud', 'pbx']);
    expect(again.get('head-office').username).toBe('ops');
    const file = ProfilesFileSchema.parse(JSON.parse(readFileSync(store.path, 'utf8')));
    expect(file.schemaVersion).toBe(1);

    again.lastProfileId = 'head-office-2';
    expect(new ProfileStore({ cwd: tmp }).lastProfileId).toBe('head-office-2');
    again.delete('head-office-2');
    expect(again.lastProfileId).toBeNull();
    expect(caught(() => again.get('head-office-2')).code).toBe('profile_not_found');
    expect(caught(() => again.delete('nope')).code).toBe('profile_not_found');
    expect(caught(() => (again.lastProfileId = 'nope')).code).toBe('profile_not_found');
    expect(caught(() => again.save({ ...input(), id: 'nope' })).code).toBe('profile_not_found');
  });

  it('writes the file with mode 0600', () => {
    const store = new ProfileStore({ cwd: tmp });
    store.save(input());
    if (process.platform !== 'win32') expect(statSync(store.path).mode & 0o777).toBe(0o600);
  });

  it('keeps the embedded Local PBX profile first, refreshes it, and protects it from save and delete', () => {
    const store = new ProfileStore({ cwd: tmp });
    store.save(input());
    const local = store.upsertEmbedded('http://127.0.0.1:40123', 'admin');
    expect(local).toMatchObject({ id: 'local', name: 'Local PBX', kind: 'embedded', url: 'http://127.0.0.1:40123' });
    store.upsertEmbedded('http://127.0.0.1:40999', 'admin');
    expect(store.list().map((p) => [p.id, p.url])).toEqual([
      ['local', 'http://127.0.0.1:40999'],
      ['head-office', 'https://pbx.example.com'],
    ]);

    const before = readFileSync(store.path);
    const err = caught(() => store.save({ ...input({ url: 'https://evil.example.com' }), id: 'local' }));
    expect(err.code).toBe('profile_invalid');
    expect(err.details).toContainEqual(expect.objectContaining({ field: 'id', rule: 'read_only' }));
    // `kind` is not an input field: nobody can save an "embedded" profile.
    const kind = caught(() => store.save({ ...input(), kind: 'embedded' } as unknown as ProfileInput));
    expect(kind.details).toContainEqual(expect.objectContaining({ rule: 'unknown_keys' }));
    expect(caught(() => store.delete('local')).code).toBe('forbidden');
    // A new profile named "Local" never takes the reserved id.
    expect(readFileSync(store.path)).toEqual(before);
    expect(store.save(input({ name: 'Local' })).id).toBe('local-2');
  });

  it('bad input leaves the stored file byte for byte unchanged, and the error names field and rule', () => {
    const store = new ProfileStore({ cwd: tmp });
    const saved = store.save(input());
    const before = readFileSync(store.path);
    const bad: Array<[ProfileInput, string, string]> = [
      [input({ url: 'ftp://x' }), 'url', 'url'],
      [{ ...input({ username: 'a@b' }), id: saved.id }, 'username', 'no_at'],
      [input({ tls: { mode: 'ca' } }), 'tls.caFile', 'required'],
      [input({ name: 'x'.repeat(81) }), 'name', 'max'],
      [{ ...input(), id: 'Not An Id' }, 'id', 'pattern'],
    ];
    for (const [value, field, rule] of bad) {
      const err = caught(() => store.save(value));
      expect(err.code).toBe('profile_invalid');
      expect(err.details).toContainEqual(expect.objectContaining({ field, rule }));
      expect(err.message).toContain(field);
      expect(readFileSync(store.path)).toEqual(before);
    }
    expect(store.get(saved.id)).toEqual(saved);
  });

  it('never stores a secret: a password smuggled into a profile is refused and never reaches the file', () => {
    const canary = 'CANARY-pw-7f3a9c';
    const store = new ProfileStore({ cwd: tmp });
    store.save(input());
    const before = readFileSync(store.path);
    for (const smuggled of [
      { ...input(), password: canary },
      { ...input(), tls: { mode: 'system', password: canary } },
      { ...input(), secret: canary },
    ]) {
      const err = caught(() => store.save(smuggled as unknown as ProfileInput));
      expect(err.code).toBe('profile_invalid');
      expect(err.details?.[0]?.rule).toBe('unknown_keys');
      expect(err.message).not.toContain(canary);
    }
    expect(readFileSync(store.path)).toEqual(before);
    for (const name of readdirSync(tmp)) expect(readFileSync(path.join(tmp, name), 'utf8')).not.toContain(canary);
  });

  it.each([
    ['bad JSON', '{"schemaVersion": 1, "profiles": [', 'not valid JSON'],
    ['wrong schema', JSON.stringify({ schemaVersion: 1, profiles: [{ id: 'x', name: 'x' }] }), 'does not match the profile schema'],
    ['a secret in it', JSON.stringify({ schemaVersion: 1, profiles: [{ ...valid, password: 'pw' }] }), 'does not match'],
    ['a newer version', JSON.stringify({ schemaVersion: 7, profiles: [] }), 'newer version'],
    ['duplicate ids', JSON.stringify({ schemaVersion: 1, profiles: [valid, valid] }), 'duplicate profile id'],
    ['empty file', '', 'not valid JSON'],
  ])('a corrupt file (%s) is moved aside, not lost, and reported', (_label, content, why) => {
    const file = path.join(tmp, 'profiles.json');
    writeFileSync(file, content);
    const store = new ProfileStore({ cwd: tmp });
    expect(store.list()).toEqual([]);
    expect(store.loadWarning).toContain(why);
    const aside = readdirSync(tmp).filter((n) => n.startsWith('profiles.json.corrupt-'));
    expect(aside).toHaveLength(1);
    expect(store.loadWarning).toContain(path.join(tmp, aside[0]!));
    expect(readFileSync(path.join(tmp, aside[0]!), 'utf8')).toBe(content);
    expect(existsSync(file)).toBe(false);
    // The store works normally afterwards.
    store.save(input());
    expect(new ProfileStore({ cwd: tmp }).list()).toHaveLength(1);
  });

  it('a file damaged while running is also moved aside instead of crashing', () => {
    const store = new ProfileStore({ cwd: tmp });
    store.save(input());
    writeFileSync(store.path, 'garbage');
    expect(store.list()).toEqual([]);
    expect(store.loadWarning).toMatch(/moved to .*profiles\.json\.corrupt-/);
    expect(readdirSync(tmp).filter((n) => n.includes('.corrupt-'))).toHaveLength(1);
  });
});

describe('slugId', () => {
  it('makes ids that satisfy the id rule', () => {
    for (const name of ['A', 'Ω', 'x'.repeat(80), '--a--b--', 'Main PBX #2 (Berlin)']) {
      expect(slugId(name)).toMatch(/^[a-z0-9][a-z0-9-]{0,63}$/);
    }
  });
});

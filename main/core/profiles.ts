// Connection profiles, stored with `conf` (the engine under electron-store) in <cwd>/profiles.json.
//
// - The file is versioned (schemaVersion) and validated with zod (ProfilesFileSchema) on every read:
//   conf calls our `deserialize` each time it loads the file, and that throws on a bad file.
// - A corrupt or invalid file never crashes the console and is never silently lost: it is moved
//   aside to profiles.json.corrupt-<timestamp>, the store starts empty, and `loadWarning` says where
//   the old file went, for the UI to show.
// - Every change is validated before anything is written, so bad input leaves the file as it was.
// - Writes are atomic: conf 15 writes through `atomically`'s writeFileSync (node_modules/conf/dist/
//   source/index.js `_write`), which writes a temp file next to the target, fsyncs it and renames it
//   over the target. (conf only falls back to a plain write on EXDEV, or when SNAP is set: #write unsets it.)
//   atomically does not fsync the folder after the rename, so #write does (a save survives power loss too).
//   A console killed mid-write leaves atomically's temp file (profiles.json.tmp-…) behind: the next start
//   removes those older than staleTempMs (younger ones may be another console's write in flight).
// - Profiles never hold a secret: the schema is strict (unknown keys such as `password` are refused);
//   passwords live in the SecretStore.
import { closeSync, existsSync, fsyncSync, openSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import Conf from 'conf';
import { AppError, issuesFromZod, parseOrThrow, validationError } from '../../shared/errors.js';
import { ProfileIdSchema, ProfileSchema, ProfilesFileSchema, type Profile, type ProfilesFile } from '../../shared/rpc.js';

export const EMBEDDED_PROFILE_ID = 'local';
export const EMBEDDED_PROFILE_NAME = 'Local PBX';
const CONFIG_NAME = 'profiles';

/** What save() accepts: a profile without kind; without id for a new one. */
export const ProfileInputSchema = ProfileSchema.omit({ id: true, kind: true }).extend({ id: ProfileIdSchema.optional() }).strict();
export type ProfileInput = Omit<Profile, 'id' | 'kind'> & { id?: string | undefined };

/** The file schema plus what zod alone cannot say: ids are unique, at most one embedded profile. */
const StoredFileSchema = ProfilesFileSchema.superRefine((file, ctx) => {
  const seen = new Set<string>();
  file.profiles.forEach((p, i) => {
    if (seen.has(p.id)) ctx.addIssue({ code: 'custom', path: ['profiles', i, 'id'], message: `duplicate profile id "${p.id}"`, params: { rule: 'unique' } });
    seen.add(p.id);
    if (p.kind === 'embedded' && p.id !== EMBEDDED_PROFILE_ID) {
      ctx.addIssue({ code: 'custom', path: ['profiles', i, 'kind'], message: 'only the Local PBX profile is embedded', params: { rule: 'embedded' } });
    }
  });
});

class InvalidProfilesFile extends Error {
  constructor(readonly why: string) {
    super(why);
    this.name = 'InvalidProfilesFile';
  }
}

const EMPTY: ProfilesFile = { schemaVersion: 1, profiles: [], lastProfileId: null };

/** atomically's temp file name for profiles.json (node_modules/atomically/dist/utils/temp.js). */
const TEMP_FILE = new RegExp(`^${CONFIG_NAME}\\.json\\.tmp-\\d{10}[0-9a-f]{6}$`);
/** A temp file this old is no write in flight (atomically gives each step of a write 1 s). */
export const STALE_TEMP_MS = 60_000;

export class ProfileStore {
  readonly path: string;
  /** Set when the file on disk was unreadable and has been moved aside; for the UI to show. */
  loadWarning: string | null = null;
  #conf: Conf<ProfilesFile>;
  #cwd: string;

  /** staleTempMs: leftover temp files older than this are removed (default STALE_TEMP_MS). */
  constructor(opts: { cwd: string; staleTempMs?: number }) {
    this.#cwd = opts.cwd;
    this.path = path.join(opts.cwd, `${CONFIG_NAME}.json`);
    this.#removeStaleTemps(opts.staleTempMs ?? STALE_TEMP_MS);
    // conf reads (and so validates) the file once in its constructor; a bad file throws there.
    try {
      this.#conf = this.#openConf();
    } catch (error) {
      if (!(error instanceof InvalidProfilesFile)) throw error;
      this.#quarantine(error.why);
      this.#conf = this.#openConf();
    }
  }

  list(): Profile[] {
    const { profiles } = this.#read();
    // The built-in Local PBX first, then the rest in the order they were added.
    return [...profiles.filter((p) => p.kind === 'embedded'), ...profiles.filter((p) => p.kind !== 'embedded')];
  }

  get(id: string): Profile {
    const found = this.#read().profiles.find((p) => p.id === id);
    if (!found) throw notFound(id);
    return found;
  }

  /** Adds a remote profile (no id) or updates one (id). Validates everything before writing anything. */
  save(input: ProfileInput): Profile {
    const parsed = parseOrThrow(ProfileInputSchema, input, '', 'profile_invalid');
    const file = this.#read();
    let profile: Profile;
    let profiles: Profile[];
    if (parsed.id !== undefined) {
      const index = file.profiles.findIndex((p) => p.id === parsed.id);
      const existing = file.profiles[index];
      if (!existing) throw notFound(parsed.id);
      if (existing.kind === 'embedded') {
        throw validationError(
          [{ field: 'id', rule: 'read_only', message: `id: the built-in ${EMBEDDED_PROFILE_NAME} profile cannot be edited` }],
          'profile_invalid',
        );
      }
      profile = parseOrThrow(ProfileSchema, { ...parsed, id: existing.id, kind: 'remote' }, '', 'profile_invalid');
      profiles = file.profiles.map((p, i) => (i === index ? profile : p));
    } else {
      const id = uniqueId(parsed.name, new Set(file.profiles.map((p) => p.id)));
      profile = parseOrThrow(ProfileSchema, { ...parsed, id, kind: 'remote' }, '', 'profile_invalid');
      profiles = [...file.profiles, profile];
    }
    this.#write({ ...file, profiles });
    return profile;
  }

  delete(id: string): void {
    const file = this.#read();
    const existing = file.profiles.find((p) => p.id === id);
    if (!existing) throw notFound(id);
    if (existing.kind === 'embedded') {
      throw new AppError('forbidden', `The built-in ${EMBEDDED_PROFILE_NAME} profile cannot be deleted.`, 403);
    }
    this.#write({
      ...file,
      profiles: file.profiles.filter((p) => p.id !== id),
      lastProfileId: file.lastProfileId === id ? null : file.lastProfileId,
    });
  }

  /** Creates or refreshes the built-in Local PBX profile (the embedded server's URL changes per run). */
  upsertEmbedded(url: string, username: string): Profile {
    const profile = parseOrThrow(
      ProfileSchema,
      { id: EMBEDDED_PROFILE_ID, name: EMBEDDED_PROFILE_NAME, url, username, kind: 'embedded', tls: { mode: 'system' } },
      '',
      'profile_invalid',
    );
    const file = this.#read();
    const index = file.profiles.findIndex((p) => p.id === EMBEDDED_PROFILE_ID);
    const current = file.profiles[index];
    if (current && JSON.stringify(current) === JSON.stringify(profile)) return current;
    // A remote profile that happens to hold the id "local" (hand-edited file) keeps its data under a new id.
    const others = file.profiles.map((p) =>
      p.id === EMBEDDED_PROFILE_ID && p.kind !== 'embedded' ? { ...p, id: uniqueId(p.name, new Set(file.profiles.map((q) => q.id))) } : p,
    );
    const profiles = index >= 0 && current?.kind === 'embedded' ? others.map((p, i) => (i === index ? profile : p)) : [profile, ...others];
    this.#write({ ...file, profiles });
    return profile;
  }

  get lastProfileId(): string | null {
    const file = this.#read();
    const id = file.lastProfileId;
    return id && file.profiles.some((p) => p.id === id) ? id : null;
  }

  set lastProfileId(id: string | null) {
    const file = this.#read();
    if (id !== null && !file.profiles.some((p) => p.id === id)) throw notFound(id);
    if (file.lastProfileId === id) return;
    this.#write({ ...file, lastProfileId: id });
  }

  // ---- file handling ----------------------------------------------------------------------------

  #openConf(): Conf<ProfilesFile> {
    return new Conf<ProfilesFile>({
      cwd: this.#cwd,
      configName: CONFIG_NAME,
      // Profiles hold no secrets, but URLs and user names are nobody else's business.
      configFileMode: 0o600,
      // Keys are plain: no dot-notation paths into the profile list.
      accessPropertiesByDotNotation: false,
      // We never want conf to clear a file it cannot read: we move it aside ourselves.
      clearInvalidConfig: false,
      serialize: (value) => `${JSON.stringify(value, null, 2)}\n`,
      deserialize: (text) => {
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch (error) {
          throw new InvalidProfilesFile(`it is not valid JSON (${(error as Error).message})`);
        }
        const result = StoredFileSchema.safeParse(json);
        if (!result.success) {
          const version = (json as { schemaVersion?: unknown } | null)?.schemaVersion;
          if (typeof version === 'number' && version > 1) {
            throw new InvalidProfilesFile(`it was written by a newer version of PBX Warden (schemaVersion ${version})`);
          }
          const first = issuesFromZod(result.error)[0];
          throw new InvalidProfilesFile(first ? `it does not match the profile schema (${first.message})` : 'it does not match the profile schema');
        }
        return result.data;
      },
    });
  }

  /** The validated file content; a missing file is an empty store; a bad file is moved aside. */
  #read(): ProfilesFile {
    let raw: Record<string, unknown>;
    try {
      raw = this.#conf.store as Record<string, unknown>;
    } catch (error) {
      if (!(error instanceof InvalidProfilesFile)) throw error;
      this.#quarantine(error.why);
      return structuredClone(EMPTY);
    }
    // conf returns {} when there is no file yet (our deserialize never returns an empty object).
    if (Object.keys(raw).length === 0) return structuredClone(EMPTY);
    return raw as ProfilesFile;
  }

  #write(file: ProfilesFile): void {
    // Belt and braces: never write something we would refuse to read back.
    const checked = StoredFileSchema.safeParse(file);
    if (!checked.success) throw validationError(issuesFromZod(checked.error), 'profile_invalid');
    // conf writes in place, not atomically, when SNAP is set (its Snap workaround). We ship no Snap, but a
    // console started from a snap-packaged terminal or editor inherits SNAP: hide it for this synchronous write.
    const snap = process.env['SNAP'];
    if (snap !== undefined) delete process.env['SNAP'];
    try {
      this.#conf.store = checked.data;
    } finally {
      if (snap !== undefined) process.env['SNAP'] = snap;
    }
    syncDir(this.#cwd);
  }

  #removeStaleTemps(olderThanMs: number): void {
    let names: string[];
    try {
      names = readdirSync(this.#cwd);
    } catch {
      return; // no folder yet: conf creates it
    }
    const now = Date.now();
    for (const name of names) {
      if (!TEMP_FILE.test(name)) continue;
      const file = path.join(this.#cwd, name);
      try {
        if (now - statSync(file).mtimeMs >= olderThanMs) rmSync(file, { force: true });
      } catch {
        // gone meanwhile, or not ours to remove: leave it
      }
    }
  }

  #quarantine(why: string): void {
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    let target = `${this.path}.corrupt-${stamp}`;
    for (let n = 2; existsSync(target); n++) target = `${this.path}.corrupt-${stamp}-${n}`;
    try {
      renameSync(this.path, target);
    } catch (error) {
      // Could not move it (read-only folder?): refuse to go on rather than overwrite the user's file.
      throw new AppError(
        'internal',
        `The profiles file ${this.path} is unreadable (${why}) and could not be moved aside (${(error as Error).message}). Nothing was changed.`,
        500,
      );
    }
    const warning = `The saved connection profiles could not be read: ${why}. The file was moved to ${target} and the console started with no saved profiles; your old file is kept there.`;
    this.loadWarning = this.loadWarning ? `${this.loadWarning}\n${warning}` : warning;
  }
}

/** Persist a rename (the folder entry); best effort: not every platform or filesystem allows it. */
function syncDir(dir: string): void {
  if (process.platform === 'win32') return;
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // the file itself was fsynced by atomically
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function notFound(id: string): AppError {
  return new AppError('profile_not_found', `There is no connection profile "${id}".`, 404);
}

/** A readable id from the name: "Head office (Berlin)" → "head-office-berlin"; unique; never "local". */
export function slugId(name: string): string {
  const base = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 56)
    .replace(/-+$/, '');
  return base || 'pbx';
}

function uniqueId(name: string, taken: Set<string>): string {
  const base = slugId(name);
  const reserved = (id: string) => taken.has(id) || id === EMBEDDED_PROFILE_ID;
  if (!reserved(base)) return base;
  for (let n = 2; ; n++) {
    const candidate = `${base}-${n}`;
    if (!reserved(candidate)) return candidate;
  }
}

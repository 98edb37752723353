// SQLite storage of the reference PBX: opening, pragmas, migrations.
import { chainAll } from './audit.js';
import Database from 'better-sqlite3';
import { chmodSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_LOCKOUT_POLICY } from '../shared/lockout.js';
import { CredentialKinds, PinPolicySchema, pinPolicyPreset, policyImplies, type CredentialKind } from '../shared/pin-policy.js';

export type Db = Database.Database;

export const DB_FILE = 'pbx.sqlite';

/**
 * Migrations, applied in order; PRAGMA user_version holds how many have run.
 * Never edit a shipped migration: append a new one.
 */
/** Bulk seeding drops this trigger, inserts, rebuilds the index once and recreates it (seed.ts). */
export const FTS_INSERT_TRIGGER = `CREATE TRIGGER extensions_fts_insert AFTER INSERT ON extensions BEGIN
    INSERT INTO extensions_fts (rowid, label_lc) VALUES (new.id, new.label_lc);
  END`;

/** The triggers that keep the trigram index in step with the table (migrations 1 and 2). */
const FTS_TRIGGERS = `${FTS_INSERT_TRIGGER};
  CREATE TRIGGER extensions_fts_delete AFTER DELETE ON extensions BEGIN
    INSERT INTO extensions_fts (extensions_fts, rowid, label_lc) VALUES ('delete', old.id, old.label_lc);
  END;
  CREATE TRIGGER extensions_fts_update AFTER UPDATE OF label_lc ON extensions BEGIN
    INSERT INTO extensions_fts (extensions_fts, rowid, label_lc) VALUES ('delete', old.id, old.label_lc);
    INSERT INTO extensions_fts (rowid, label_lc) VALUES (new.id, new.label_lc);
  END`;

/** A migration is SQL, or a function for steps SQL cannot make re-runnable (ADD COLUMN has no IF NOT EXISTS). */
type Migration = string | ((db: Db) => void);

/** Does `table` have a column `column`? */
function hasColumn(db: Db, table: string, column: string): boolean {
  return (db.pragma(`table_info(${table})`) as { name: string }[]).some((c) => c.name === column);
}

const MIGRATIONS: Migration[] = [
  // 1: sites, extensions with phone password protection, admins, sessions, audit, auth failures.
  `
  CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
  ) STRICT;

  CREATE TABLE sites (
    id       TEXT PRIMARY KEY,
    name     TEXT NOT NULL,
    position INTEGER NOT NULL
  ) STRICT;

  CREATE TABLE extensions (
    -- explicit rowid: the full-text index refers to it, and VACUUM may renumber implicit rowids
    id                      INTEGER PRIMARY KEY,
    number                  TEXT NOT NULL UNIQUE,
    -- numeric order of the number (numbers are digit strings of 2–10 digits, so they fit)
    num_sort                INTEGER NOT NULL,
    label                   TEXT NOT NULL,
    -- label lower-cased in JS (Unicode-aware) for case-insensitive search and sort
    label_lc                TEXT NOT NULL,
    site_id                 TEXT NOT NULL REFERENCES sites(id),
    type                    TEXT NOT NULL CHECK (type IN ('phone_terminal','queue','ivr','conference','fax')),
    status                  TEXT NOT NULL CHECK (status IN ('active','inactive')),
    voicemail               INTEGER NOT NULL CHECK (voicemail IN (0,1)),
    protection_enabled      INTEGER NOT NULL DEFAULT 0 CHECK (protection_enabled IN (0,1)),
    protection_state        TEXT NOT NULL DEFAULT 'unrestricted' CHECK (protection_state IN ('unrestricted','blocked')),
    protection_hash         TEXT,
    protection_changed_at   TEXT,
    protection_changed_by   TEXT,
    protection_changed_from TEXT,
    version                 INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
    CHECK (protection_enabled = 0 OR type = 'phone_terminal'),
    CHECK (protection_enabled = 0 OR protection_hash IS NOT NULL)
  ) STRICT;
  CREATE INDEX extensions_by_num   ON extensions (num_sort, number);
  CREATE INDEX extensions_by_label ON extensions (label_lc, number);
  CREATE INDEX extensions_by_site  ON extensions (site_id, num_sort, number);
  CREATE INDEX extensions_by_type  ON extensions (type, num_sort, number);
  CREATE INDEX extensions_by_protection ON extensions (protection_enabled, protection_state, num_sort, number);

  -- Substring search on labels: a trigram index, kept in step by triggers (terms of 3+ characters).
  CREATE VIRTUAL TABLE extensions_fts USING fts5(
    label_lc, content = 'extensions', content_rowid = 'id', tokenize = 'trigram'
  );
  ${FTS_TRIGGERS};

  CREATE TABLE admins (
    username      TEXT PRIMARY KEY,
    password_hash TEXT,
    role          TEXT NOT NULL CHECK (role IN ('admin','receptionist')),
    created_at    TEXT NOT NULL
  ) STRICT;

  CREATE TABLE sessions (
    token_hash   TEXT PRIMARY KEY,          -- sha256 hex of the bearer token; the token itself is never stored
    username     TEXT NOT NULL REFERENCES admins(username) ON DELETE CASCADE,
    created_at   TEXT NOT NULL,
    expires_at   TEXT NOT NULL,
    created_from TEXT NOT NULL,
    user_agent   TEXT,
    last_used_at TEXT
  ) STRICT;
  CREATE INDEX sessions_by_user ON sessions (username);

  CREATE TABLE audit (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,  -- also the id of the live event the change produced
    at      TEXT NOT NULL,
    actor   TEXT NOT NULL,
    address TEXT,
    action  TEXT NOT NULL,
    target  TEXT,
    detail  TEXT NOT NULL DEFAULT '{}'          -- JSON; never a secret
  ) STRICT;

  CREATE TABLE auth_failures (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    at         TEXT NOT NULL,
    kind       TEXT NOT NULL,                   -- 'keypad', later 'registration', 'voicemail', …
    extension  TEXT,
    address    TEXT NOT NULL,
    user_agent TEXT,
    reason     TEXT NOT NULL                    -- internal only; the device always gets the same answer
  ) STRICT;
  CREATE INDEX auth_failures_by_extension ON auth_failures (extension, at);
  CREATE INDEX auth_failures_by_address ON auth_failures (address, at);
  `,

  // 2: the trigram index becomes case-sensitive. label_lc and the search term are both lower-cased in JS,
  // so no folding is needed, and without it a phrase match is exactly instr(label_lc, term) > 0 (the
  // default folding also matched e.g. 'ſ' for 's'): counts and pages of 3+ character terms come from
  // the index alone, with no re-check against the table.
  `
  DROP TRIGGER extensions_fts_insert;
  DROP TRIGGER extensions_fts_delete;
  DROP TRIGGER extensions_fts_update;
  DROP TABLE extensions_fts;
  CREATE VIRTUAL TABLE extensions_fts USING fts5(
    label_lc, content = 'extensions', content_rowid = 'id', tokenize = 'trigram case_sensitive 1'
  );
  ${FTS_TRIGGERS};
  INSERT INTO extensions_fts (extensions_fts) VALUES ('rebuild');
  `,

  // 3: PIN policies per credential kind, credentials per extension (argon2id hashes + metadata), their
  // history (hashes only), and the default voicemail PIN of each number (AES-256-GCM, key from the pepper).
  // IF NOT EXISTS: a database whose user_version was put back by hand re-runs this without harm.
  `
  CREATE TABLE IF NOT EXISTS pin_policies (
    kind       TEXT PRIMARY KEY,
    policy     TEXT NOT NULL,               -- JSON, PinPolicySchema
    version    INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
    updated_at TEXT,
    updated_by TEXT
  ) STRICT;

  CREATE TABLE IF NOT EXISTS credentials (
    number     TEXT NOT NULL REFERENCES extensions(number) ON DELETE CASCADE,
    kind       TEXT NOT NULL,
    -- argon2id hash of a value the user chose; NULL while is_default = 1 (the default PIN is verified
    -- through default_pins)
    hash       TEXT,
    is_default INTEGER NOT NULL DEFAULT 0 CHECK (is_default IN (0,1)),
    set_at     TEXT NOT NULL,
    set_by     TEXT NOT NULL,
    compliant  INTEGER NOT NULL DEFAULT 1 CHECK (compliant IN (0,1)),
    PRIMARY KEY (number, kind),
    CHECK (is_default = 1 OR hash IS NOT NULL)
  ) STRICT, WITHOUT ROWID;

  CREATE TABLE IF NOT EXISTS credential_history (
    id     INTEGER PRIMARY KEY AUTOINCREMENT,
    number TEXT NOT NULL REFERENCES extensions(number) ON DELETE CASCADE,
    kind   TEXT NOT NULL,
    hash   TEXT NOT NULL,                    -- argon2id; old values are never kept in plain text
    set_at TEXT NOT NULL
  ) STRICT;
  CREATE INDEX IF NOT EXISTS credential_history_by_ext ON credential_history (number, kind, id);

  CREATE TABLE IF NOT EXISTS default_pins (
    number     TEXT PRIMARY KEY REFERENCES extensions(number) ON DELETE CASCADE,
    enc        BLOB NOT NULL,                -- iv(12) | tag(16) | AES-256-GCM ciphertext, AAD = number
    hash       TEXT,                         -- argon2id of the default; NULL = pending (verify by decrypting)
    created_at TEXT NOT NULL
  ) STRICT, WITHOUT ROWID;
  `,

  // 4: accounts may be scoped to sites (a receptionist of one branch): no row = every site.
  // IF NOT EXISTS, as in 3: re-running it is harmless.
  `
  CREATE TABLE IF NOT EXISTS admin_sites (
    username TEXT NOT NULL REFERENCES admins(username) ON DELETE CASCADE,
    site_id  TEXT NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
    PRIMARY KEY (username, site_id)
  ) STRICT, WITHOUT ROWID;
  `,

  // 5: trusted extensions (SPEC F2): a call from the extension itself signs in to its mailbox without the
  // voicemail PIN. Off for every existing number; deactivation turns it off again (custom configuration).
  // A function, so that (like 3 and 4) a database whose user_version was put back by hand re-runs it without harm.
  (db) => {
    if (hasColumn(db, 'extensions', 'voicemail_trusted')) return;
    db.exec(
      'ALTER TABLE extensions ADD COLUMN voicemail_trusted INTEGER NOT NULL DEFAULT 0 CHECK (voicemail_trusted IN (0,1))',
    );
  },

  // 6: the protection password's default policy is F1's "3 to 12 digits" (the VoipNow preset), now that the
  // policy is enforced on it. Only a policy nobody has edited (version 1) changes.
  (db) => {
    db.prepare(`UPDATE pin_policies SET policy = ? WHERE kind = 'protection_password' AND version = 1 AND updated_by IS NULL`).run(
      JSON.stringify(pinPolicyPreset('voipnow', 'protection_password')),
    );
  },

  // 7: which policy a credential was set under, so the console can tell "meets the current policy" without
  // the value (SPEC F2 credential health). Every version of every kind's policy is kept with whether it
  // implies the current one (policyImplies; refreshed when a policy changes). Credentials already stored
  // were set under version 1 when their kind's policy was never changed; otherwise it is not known (NULL).
  (db) => {
    db.exec(`
      CREATE TABLE IF NOT EXISTS pin_policy_versions (
        kind            TEXT NOT NULL,
        version         INTEGER NOT NULL,
        policy          TEXT NOT NULL,
        implies_current INTEGER NOT NULL DEFAULT 1 CHECK (implies_current IN (0,1)),
        PRIMARY KEY (kind, version)
      ) STRICT, WITHOUT ROWID;
      INSERT OR IGNORE INTO pin_policy_versions (kind, version, policy) SELECT kind, version, policy FROM pin_policies;
    `);
    if (!hasColumn(db, 'credentials', 'policy_version')) {
      db.exec('ALTER TABLE credentials ADD COLUMN policy_version INTEGER');
      db.exec(`UPDATE credentials SET policy_version = 1
               WHERE kind IN (SELECT kind FROM pin_policies WHERE version = 1)`);
    }
  },

  // 8: lockouts and blacklists (SPEC F3; engine in server/lockout.ts). Failed attempts are kept one row each
  // (timestamps, so windows slide exactly); flags say whether a row still counts toward its extension
  // credential's counter and its (extension, address) pair (a success or a reset clears them). One lock row
  // per extension credential, the times it was locked (toward a permanent lock), address bans (auto and
  // manual), the allowlist, and the lockout policy (one row, versioned). IF NOT EXISTS: re-runnable.
  `
  CREATE TABLE IF NOT EXISTS lockout_failures (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    at           TEXT NOT NULL,                    -- ISO 8601 UTC (toISOString), compared as text
    extension    TEXT,                             -- NULL: no extension (admin login)
    credential   TEXT,                             -- registration | phone_login | voicemail | keypad | NULL
    address      TEXT NOT NULL,
    user_agent   TEXT,
    ext_counted  INTEGER NOT NULL CHECK (ext_counted IN (0,1)),
    pair_counted INTEGER NOT NULL CHECK (pair_counted IN (0,1)),
    addr_counted INTEGER NOT NULL CHECK (addr_counted IN (0,1))
  ) STRICT;
  CREATE INDEX IF NOT EXISTS lockout_failures_by_ext ON lockout_failures (extension, credential, at);
  CREATE INDEX IF NOT EXISTS lockout_failures_by_addr ON lockout_failures (address, at);
  CREATE INDEX IF NOT EXISTS lockout_failures_by_at ON lockout_failures (at);

  CREATE TABLE IF NOT EXISTS extension_locks (
    extension       TEXT NOT NULL,
    credential      TEXT NOT NULL,
    locked_at       TEXT,
    locked_until    TEXT,                          -- end of the last temporary lock (kept after it ends)
    permanent       INTEGER NOT NULL DEFAULT 0 CHECK (permanent IN (0,1)),
    last_failure_at TEXT,
    last_address    TEXT,
    last_user_agent TEXT,
    PRIMARY KEY (extension, credential)
  ) STRICT, WITHOUT ROWID;

  CREATE TABLE IF NOT EXISTS extension_lock_history (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    extension  TEXT NOT NULL,
    credential TEXT NOT NULL,
    at         TEXT NOT NULL
  ) STRICT;
  CREATE INDEX IF NOT EXISTS extension_lock_history_by_ext ON extension_lock_history (extension, credential, at);

  CREATE TABLE IF NOT EXISTS address_bans (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    cidr        TEXT NOT NULL,                     -- normalised address or CIDR block
    source      TEXT NOT NULL CHECK (source IN ('auto','manual')),
    reason      TEXT NOT NULL,
    hits        INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    expires_at  TEXT,                              -- NULL = until removed
    last_hit_at TEXT
  ) STRICT;
  CREATE INDEX IF NOT EXISTS address_bans_by_cidr ON address_bans (cidr);

  CREATE TABLE IF NOT EXISTS lockout_allowlist (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    cidr        TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL,
    created_by  TEXT NOT NULL
  ) STRICT;

  CREATE TABLE IF NOT EXISTS lockout_policy (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    policy     TEXT NOT NULL,                      -- JSON, LockoutPolicySchema
    version    INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
    updated_at TEXT,
    updated_by TEXT
  ) STRICT;
  INSERT OR IGNORE INTO lockout_policy (id, policy, version) VALUES (1, '${JSON.stringify(DEFAULT_LOCKOUT_POLICY)}', 1);
  `,

  // 9: phone registrations (SPEC F3 "registration"): the address a phone registered from with its extension's
  // phone password. The PBX knows from it which extension a call comes from; a trusted extension's mailbox
  // opens without the PIN only for a call from the address its own phone registered from.
  `
  CREATE TABLE IF NOT EXISTS device_registrations (
    extension     TEXT PRIMARY KEY,
    address       TEXT NOT NULL,
    user_agent    TEXT,
    registered_at TEXT NOT NULL,
    expires_at    TEXT NOT NULL
  ) STRICT, WITHOUT ROWID;
  `,

  // 10: hot desking (SPEC F4): phones by MAC, templates (at most one default per brand, by a partial unique
  // index; the server keeps at least one), extension mappings (a MAC at most once), per-site Login app
  // addresses and auto-logout, the global hot-desk passwords (argon2 hashes). Every brand starts with a
  // default template. IF NOT EXISTS / OR IGNORE: re-runnable.
  `
  CREATE TABLE IF NOT EXISTS hotdesk_templates (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    brand      TEXT NOT NULL CHECK (brand IN ('yealink','digium','polycom','aastra','snom')),
    name       TEXT NOT NULL,
    settings   TEXT NOT NULL DEFAULT '{}',
    is_default INTEGER NOT NULL DEFAULT 0 CHECK (is_default IN (0,1)),
    version    INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
    updated_at TEXT NOT NULL,
    updated_by TEXT,
    UNIQUE (brand, name)
  ) STRICT;
  CREATE UNIQUE INDEX IF NOT EXISTS hotdesk_one_default_per_brand ON hotdesk_templates (brand) WHERE is_default = 1;

  CREATE TABLE IF NOT EXISTS devices (
    mac               TEXT PRIMARY KEY,
    brand             TEXT NOT NULL CHECK (brand IN ('yealink','digium','polycom','aastra','snom')),
    model             TEXT NOT NULL,
    firmware          TEXT NOT NULL DEFAULT '',
    site_id           TEXT NOT NULL REFERENCES sites(id),
    last_seen_address TEXT,
    last_seen_at      TEXT,
    state             TEXT NOT NULL DEFAULT 'logged_out' CHECK (state IN ('logged_out','logged_in','needs_reboot')),
    extension         TEXT UNIQUE,
    template_id       INTEGER,
    since             TEXT,
    last_activity_at  TEXT,
    login_address     TEXT,
    network           TEXT CHECK (network IS NULL OR network IN ('internal','external')),
    CHECK ((state = 'logged_out') = (extension IS NULL))
  ) STRICT;

  CREATE TABLE IF NOT EXISTS hotdesk_mappings (
    extension   TEXT PRIMARY KEY REFERENCES extensions(number),
    template_id INTEGER NOT NULL REFERENCES hotdesk_templates(id),
    mac         TEXT UNIQUE,
    version     INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
    updated_at  TEXT NOT NULL,
    updated_by  TEXT
  ) STRICT;

  CREATE TABLE IF NOT EXISTS hotdesk_sites (
    site_id          TEXT PRIMARY KEY REFERENCES sites(id),
    internal_address TEXT,
    external_address TEXT,
    idle_minutes     INTEGER,
    daily_at         TEXT,
    time_zone        TEXT NOT NULL DEFAULT 'UTC',
    version          INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
    updated_at       TEXT,
    updated_by       TEXT
  ) STRICT;

  CREATE TABLE IF NOT EXISTS hotdesk_passwords (
    kind   TEXT PRIMARY KEY CHECK (kind IN ('user','admin')),
    hash   TEXT NOT NULL,
    set_at TEXT NOT NULL,
    set_by TEXT NOT NULL
  ) STRICT;

  -- failed hot-desk logins while a shared password is set: the shared passwords' own counter
  CREATE TABLE IF NOT EXISTS hotdesk_shared_failures (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    at      TEXT NOT NULL,
    address TEXT NOT NULL
  ) STRICT;
  CREATE INDEX IF NOT EXISTS hotdesk_shared_failures_by_at ON hotdesk_shared_failures (at);

  -- an existing PBX: every site gets its (empty) settings row; a new one's seed fills them
  INSERT OR IGNORE INTO hotdesk_sites (site_id, version, updated_at) SELECT id, 1, NULL FROM sites;

  INSERT OR IGNORE INTO hotdesk_templates (brand, name, settings, is_default, updated_at, updated_by) VALUES
    ('yealink', 'Standard', '{"lang.gui":"English","phone_setting.backlight_time":"60","features.dnd.enable":"0"}', 1, strftime('%Y-%m-%dT%H:%M:%fZ','now'), NULL),
    ('digium', 'Standard', '{"language":"en","screen.brightness":"5","dnd":"off"}', 1, strftime('%Y-%m-%dT%H:%M:%fZ','now'), NULL),
    ('polycom', 'Standard', '{"lcl.ml.lang":"English_United_States","up.backlight.idleIntensity":"1"}', 1, strftime('%Y-%m-%dT%H:%M:%fZ','now'), NULL),
    ('aastra', 'Standard', '{"language":"0","backlight.mode":"1"}', 1, strftime('%Y-%m-%dT%H:%M:%fZ','now'), NULL),
    ('snom', 'Standard', '{"language":"English","backlight":"10"}', 1, strftime('%Y-%m-%dT%H:%M:%fZ','now'), NULL);
  `,

  // 11: the tamper-evident audit log (issue 6): every row chained to the one before by its hash; the rows
  // written before this migration are chained now, in id order. Indexes for the audit screen's filters.
  (db) => {
    if (!hasColumn(db, 'audit', 'hash')) {
      db.exec('ALTER TABLE audit ADD COLUMN prev_hash TEXT');
      db.exec('ALTER TABLE audit ADD COLUMN hash TEXT');
    }
    db.exec(`CREATE INDEX IF NOT EXISTS audit_by_actor ON audit (actor, id);
             CREATE INDEX IF NOT EXISTS audit_by_action ON audit (action, id);
             CREATE INDEX IF NOT EXISTS audit_by_at ON audit (at);`);
    chainAll(db);
  },

  // 12: where and with what a login token was last used (SPEC F5 "used tokens").
  (db) => {
    if (!hasColumn(db, 'sessions', 'last_used_from')) {
      db.exec('ALTER TABLE sessions ADD COLUMN last_used_from TEXT');
      db.exec('ALTER TABLE sessions ADD COLUMN last_used_ua TEXT');
    }
  },

  // 13: the admin allowlist (issue 6 / SPEC F5): one row; entries as normalised CIDR texts; empty = all.
  `
  CREATE TABLE IF NOT EXISTS admin_allowlist (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    entries    TEXT NOT NULL DEFAULT '[]',
    version    INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
    updated_at TEXT,
    updated_by TEXT
  ) STRICT;
  INSERT OR IGNORE INTO admin_allowlist (id, entries, version) VALUES (1, '[]', 1);
  `,

  // 14: admin accounts' login settings (issue 6 / SPEC F5): emails, API access (HTTP Basic), token validity,
  // when the password was set, a version for If-Match; how each session was created (password, passkey, refresh).
  (db) => {
    if (!hasColumn(db, 'admins', 'api_access')) {
      db.exec(`ALTER TABLE admins ADD COLUMN emails TEXT NOT NULL DEFAULT '[]';
               ALTER TABLE admins ADD COLUMN api_access INTEGER NOT NULL DEFAULT 0 CHECK (api_access IN (0, 1));
               ALTER TABLE admins ADD COLUMN token_validity_minutes INTEGER NOT NULL DEFAULT 720;
               ALTER TABLE admins ADD COLUMN password_set_at TEXT;
               ALTER TABLE admins ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
               ALTER TABLE admins ADD COLUMN updated_at TEXT;
               ALTER TABLE admins ADD COLUMN updated_by TEXT;
               UPDATE admins SET password_set_at = created_at WHERE password_hash IS NOT NULL;`);
    }
    if (!hasColumn(db, 'sessions', 'method')) {
      db.exec(`ALTER TABLE sessions ADD COLUMN method TEXT NOT NULL DEFAULT 'password'`);
    }
  },

  // 15: passkeys (WebAuthn credentials, issue 6 / SPEC F5). id = the credential id (base64url).
  `
  CREATE TABLE IF NOT EXISTS passkeys (
    credential_id  TEXT PRIMARY KEY,
    short_id       TEXT NOT NULL UNIQUE,      -- sha256(credential_id) hex, first 16: the id the API shows
    username       TEXT NOT NULL REFERENCES admins(username) ON DELETE CASCADE,
    name           TEXT NOT NULL,
    public_key     BLOB NOT NULL,
    sign_count     INTEGER NOT NULL DEFAULT 0,
    aaguid         TEXT NOT NULL,
    transports     TEXT NOT NULL DEFAULT '[]',
    device_type    TEXT,
    backed_up      INTEGER NOT NULL DEFAULT 0,
    created_at     TEXT NOT NULL,
    created_from   TEXT NOT NULL,
    created_ua     TEXT,
    last_used_at   TEXT,
    last_used_from TEXT,
    last_used_ua   TEXT
  ) STRICT;
  CREATE INDEX IF NOT EXISTS passkeys_by_user ON passkeys (username);
  `,

  // 16: each account's WebAuthn user handle, random and kept with the account (it follows a rename; a new
  // account that takes an old name gets a new one). Made on the account's first passkey registration.
  (db) => {
    if (!hasColumn(db, 'admins', 'webauthn_id')) db.exec('ALTER TABLE admins ADD COLUMN webauthn_id TEXT');
  },
];

/** Recompute pin_policy_versions.implies_current of one kind after its policy changed (few rows). */
export function refreshPolicyImplications(db: Db, kind: CredentialKind): void {
  const current = db.prepare('SELECT policy FROM pin_policies WHERE kind = ?').pluck().get(kind) as string | undefined;
  if (current === undefined) return;
  const now = PinPolicySchema.parse(JSON.parse(current));
  const rows = db.prepare('SELECT version, policy FROM pin_policy_versions WHERE kind = ?').all(kind) as { version: number; policy: string }[];
  const update = db.prepare('UPDATE pin_policy_versions SET implies_current = ? WHERE kind = ? AND version = ?');
  for (const r of rows) {
    const then = PinPolicySchema.safeParse(JSON.parse(r.policy));
    update.run(then.success && policyImplies(then.data, now) ? 1 : 0, kind, r.version);
  }
}

/** For a database created before migration 7 (and for tests): every kind's implications from scratch. */
export function refreshAllPolicyImplications(db: Db): void {
  for (const kind of CredentialKinds) refreshPolicyImplications(db, kind);
}

export const SCHEMA_VERSION = MIGRATIONS.length;

export function openDb(dataDir: string): Db {
  const db = new Database(join(dataDir, DB_FILE));
  db.pragma('journal_mode = WAL');
  // FULL, not NORMAL: in WAL mode NORMAL may lose the last acknowledged commits on power loss. A block,
  // an unblock or a revoked token that the API has acknowledged must survive that; writes are rare
  // (admin actions, keypad toggles), so one fsync per commit costs nothing that matters.
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrate(db);
  if (process.platform !== 'win32') {
    for (const suffix of ['', '-wal', '-shm']) {
      const file = join(dataDir, DB_FILE + suffix);
      if (existsSync(file)) chmodSync(file, 0o600);
    }
  }
  return db;
}

function migrate(db: Db): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new Error(
      `The database schema is version ${current}, newer than this server understands (${MIGRATIONS.length}). ` +
        'Use a newer reference PBX or another data directory.',
    );
  }
  for (let v = current; v < MIGRATIONS.length; v++) {
    const step = MIGRATIONS[v] as Migration;
    db.transaction(() => {
      if (typeof step === 'string') db.exec(step);
      else step(db);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}

export function getMeta(db: Db, key: string): string | undefined {
  const row = db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined;
  return row?.value;
}

export function setMeta(db: Db, key: string, value: string): void {
  db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(
    key,
    value,
  );
}

export function deleteMeta(db: Db, key: string): void {
  db.prepare('DELETE FROM meta WHERE key = ?').run(key);
}

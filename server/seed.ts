// First-run data: sites, extensions (demo or N generated), a few protected terminals, the admin (and, in
// the demo data, a receptionist scoped to the first site).
import type { ExtensionType } from '../shared/domain.js';
import { defaultPinPolicy } from '../shared/pin-policy.js';
import { generateDefaultPin } from './credentials.js';
import { AuditLog } from './audit.js';
import { FTS_INSERT_TRIGGER, type Db } from './db.js';
import { generatePassword, randomDigits, type Hasher } from './secrets.js';

export type SeedOption = 'demo' | 'none' | { extensions: number };

export const SEED_SITES = [
  { id: 'hq', name: 'Headquarters' },
  { id: 'north', name: 'North Branch' },
  { id: 'south', name: 'South Branch' },
] as const;

export const ADMIN_USERNAME = 'admin';
/** The demo data's receptionist, scoped to the first site. */
export const RECEPTIONIST_USERNAME = 'reception';
export const RECEPTIONIST_SITES: readonly string[] = [SEED_SITES[0].id];
/** Meta key: the generated admin password has not been handed out yet. */
export const ADMIN_PASSWORD_PENDING = 'admin_password_pending';

/**
 * A first start that seeded but then failed (port busy, crash) never showed the admin password. The next
 * start generates a new one, so the password is always shown exactly once, on a run that came up.
 */
export async function regenerateAdminPassword(db: Db, hasher: Hasher): Promise<string> {
  const password = generatePassword(20);
  const hash = await hasher.hash(password);
  db.prepare('UPDATE admins SET password_hash = ? WHERE username = ?').run(hash, ADMIN_USERNAME);
  return password;
}

/** As regenerateAdminPassword, for the seeded receptionist; null when the data has none. */
export async function regenerateReceptionistPassword(db: Db, hasher: Hasher): Promise<string | null> {
  if (!db.prepare('SELECT 1 FROM admins WHERE username = ?').get(RECEPTIONIST_USERNAME)) return null;
  const password = generatePassword(20);
  const hash = await hasher.hash(password);
  db.prepare('UPDATE admins SET password_hash = ? WHERE username = ?').run(hash, RECEPTIONIST_USERNAME);
  return password;
}
export const MAX_SEED_EXTENSIONS = 1_000_000;

/** Parse a --seed value (demo | none | a number of extensions); throws with a message naming the rule. */
export function parseSeedArg(v: string, flag = '--seed'): SeedOption {
  if (v === 'demo' || v === 'none') return v;
  if (/^[0-9]{1,7}$/.test(v) && Number(v) <= MAX_SEED_EXTENSIONS) return { extensions: Number(v) };
  throw new Error(`${flag}: "${v}" must be demo, none, or a number of extensions (0–${MAX_SEED_EXTENSIONS})`);
}

const FIRST = [
  'Olivia', 'Liam', 'Emma', 'Noah', 'Ava', 'Oliver', 'Sophia', 'Elijah', 'Isabella', 'James', 'Mia', 'William',
  'Amelia', 'Benjamin', 'Harper', 'Lucas', 'Evelyn', 'Henry', 'Abigail', 'Theodore', 'Emily', 'Jack', 'Ella',
  'Levi', 'Elizabeth', 'Alexander', 'Camila', 'Jackson', 'Luna', 'Mateo', 'Sofia', 'Daniel', 'Avery', 'Michael',
  'Mila', 'Mason', 'Aria', 'Sebastian', 'Scarlett', 'Ethan', 'Penelope', 'Logan', 'Layla', 'Owen', 'Chloe',
  'Samuel', 'Victoria', 'Jacob', 'Madison', 'Asher', 'Eleanor', 'Aiden', 'Grace', 'John', 'Nora', 'Joseph',
  'Riley', 'Wyatt', 'Zoey', 'David', 'Hannah', 'Leo', 'Hazel', 'Luke', 'Lily', 'Julian', 'Ellie', 'Hudson',
  'Violet', 'Grayson', 'Lillian', 'Matthew', 'Zoe', 'Ezra', 'Stella', 'Gabriel', 'Aurora', 'Carter', 'Natalie',
  'Isaac', 'Emilia', 'Jayden', 'Everly', 'Luca', 'Leah', 'Anthony', 'Aubrey', 'Dylan', 'Willow', 'Lincoln',
  'Addison', 'Thomas', 'Lucy', 'Maverick', 'Audrey', 'Elias', 'Bella', 'Josiah', 'Nova', 'Charles', 'Brooklyn',
  'Zoë', 'José', 'Søren', 'Małgorzata', 'Björn', 'Renée', 'François', 'Ingrid', 'Kenji', 'Aiko', 'Ravi', 'Priya',
];
const LAST = [
  'Smith', 'Johnson', 'Williams', 'Brown', 'Jones', 'Garcia', 'Miller', 'Davis', 'Rodriguez', 'Martinez',
  'Hernandez', 'Lopez', 'Gonzalez', 'Wilson', 'Anderson', 'Thomas', 'Taylor', 'Moore', 'Jackson', 'Martin', 'Lee',
  'Perez', 'Thompson', 'White', 'Harris', 'Sanchez', 'Clark', 'Ramirez', 'Lewis', 'Robinson', 'Walker', 'Young',
  'Allen', 'King', 'Wright', 'Scott', 'Torres', 'Nguyen', 'Hill', 'Flores', 'Green', 'Adams', 'Nelson', 'Baker',
  'Hall', 'Rivera', 'Campbell', 'Mitchell', 'Carter', 'Roberts', 'Gomez', 'Phillips', 'Evans', 'Turner', 'Diaz',
  'Parker', 'Cruz', 'Edwards', 'Collins', 'Reyes', 'Stewart', 'Morris', 'Morales', 'Murphy', 'Cook', 'Rogers',
  'Gutierrez', 'Ortiz', 'Morgan', 'Cooper', 'Peterson', 'Bailey', 'Reed', 'Kelly', 'Howard', 'Ramos', 'Kim',
  'Cox', 'Ward', 'Richardson', 'Watson', 'Brooks', 'Chavez', 'Wood', 'James', 'Bennett', 'Gray', 'Mendoza',
  'Ruiz', 'Hughes', 'Price', 'Alvarez', 'Castillo', 'Sanders', 'Patel', 'Myers', 'Long', 'Ross', 'Foster',
  "O'Brien", 'Müller', 'Kowalski', 'Lindqvist', 'Dubois', 'Tanaka', 'Sato', 'Okafor', 'Novak', 'Jensen',
];
const OTHER_LABELS: Record<Exclude<ExtensionType, 'phone_terminal'>, string[]> = {
  queue: ['Sales Queue', 'Support Queue', 'Billing Queue', 'Reception Queue', 'Service Desk Queue', 'Orders Queue'],
  ivr: ['Main IVR', 'After Hours IVR', 'Language Menu IVR', 'Holiday IVR', 'Support IVR'],
  conference: ['Board Conference', 'Team Conference', 'All Hands Conference', 'Training Conference', 'War Room'],
  fax: ['Fax Office', 'Fax Accounts', 'Fax Legal', 'Fax Shipping', 'Fax HR'],
};
const OTHER_TYPES = ['queue', 'ivr', 'conference', 'fax'] as const;

/** Deterministic PRNG (mulberry32), so the demo data is the same on every machine. Secrets never use it. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface SeedExtension {
  number: string;
  label: string;
  siteId: string;
  type: ExtensionType;
  status: 'active' | 'inactive';
  voicemail: boolean;
  protection?: { state: 'unrestricted' | 'blocked'; password: string };
}

/**
 * The demo set: 300 extensions over three sites; per site 80 phone terminals (x000–x079) and 20 others
 * (x500–x519: queues, IVRs, conferences, faxes), so 80% are phone terminals. Seven are protected,
 * three of them blocked (one with voicemail on, one with voicemail off).
 */
export function demoExtensions(): SeedExtension[] {
  const rnd = prng(20240611);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)] as T;
  const out: SeedExtension[] = [];
  SEED_SITES.forEach((site, s) => {
    const prefix = s + 1;
    for (let i = 0; i < 80; i++) {
      out.push({
        number: String(prefix * 1000 + i),
        label: `${pick(FIRST)} ${pick(LAST)}`,
        siteId: site.id,
        type: 'phone_terminal',
        status: rnd() < 0.03 ? 'inactive' : 'active',
        voicemail: rnd() < 0.8,
      });
    }
    for (let i = 0; i < 20; i++) {
      const type = OTHER_TYPES[i % OTHER_TYPES.length] as (typeof OTHER_TYPES)[number];
      const labels = OTHER_LABELS[type];
      const base = labels[Math.floor(i / OTHER_TYPES.length) % labels.length] as string;
      out.push({
        number: String(prefix * 1000 + 500 + i),
        label: s === 0 ? base : `${base} (${site.name})`,
        siteId: site.id,
        type,
        status: 'active',
        voicemail: type === 'queue' || type === 'ivr' ? rnd() < 0.5 : false,
      });
    }
  });
  const protect = (number: string, state: 'unrestricted' | 'blocked', voicemail?: boolean) => {
    const ext = out.find((e) => e.number === number);
    if (!ext) throw new Error(`demo seed: no extension ${number}`);
    ext.status = 'active';
    if (voicemail !== undefined) ext.voicemail = voicemail;
    ext.protection = { state, password: randomDigits(4 + (Number(number) % 3)) };
  };
  protect('1003', 'unrestricted');
  protect('1007', 'blocked', true);
  protect('1012', 'blocked', false);
  protect('2004', 'unrestricted');
  protect('2010', 'unrestricted');
  protect('3002', 'blocked', true);
  protect('3008', 'unrestricted');
  return out;
}

/**
 * N generated extensions over the three sites, numbered from 10^max(3, digits(N)) so they share a length.
 * Protection goes to a handful only (each protected one costs an argon2 hash).
 */
export function generatedExtensions(count: number): SeedExtension[] {
  if (!Number.isInteger(count) || count < 0 || count > MAX_SEED_EXTENSIONS) {
    throw new Error(`seed: extensions must be an integer from 0 to ${MAX_SEED_EXTENSIONS} (got ${count})`);
  }
  const rnd = prng(count + 7);
  const base = 10 ** Math.max(3, String(count).length);
  const out: SeedExtension[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const site = SEED_SITES[i % SEED_SITES.length] as (typeof SEED_SITES)[number];
    const r = rnd();
    let type: ExtensionType = 'phone_terminal';
    let label: string;
    if (r < 0.8) {
      label = `${FIRST[Math.floor(rnd() * FIRST.length)]} ${LAST[Math.floor(rnd() * LAST.length)]}`;
    } else {
      type = OTHER_TYPES[Math.floor((r - 0.8) * 20) % OTHER_TYPES.length] as ExtensionType;
      const labels = OTHER_LABELS[type as keyof typeof OTHER_LABELS];
      label = `${labels[Math.floor(rnd() * labels.length)]} ${i + 1}`;
    }
    out[i] = {
      number: String(base + i),
      label,
      siteId: site.id,
      type,
      status: 'active',
      voicemail: type === 'phone_terminal' ? rnd() < 0.8 : false,
    };
  }
  // Protect up to 5 phone terminals: the first two blocked (voicemail on / off), the rest unrestricted.
  const phones = out.filter((e) => e.type === 'phone_terminal');
  const step = Math.max(1, Math.floor(phones.length / 5));
  for (let k = 0; k < 5 && k * step < phones.length; k++) {
    const ext = phones[k * step] as SeedExtension;
    const state = k < 2 ? 'blocked' : 'unrestricted';
    if (k === 0) ext.voicemail = true;
    if (k === 1) ext.voicemail = false;
    ext.protection = { state, password: randomDigits(6) };
  }
  return out;
}

/**
 * Seed an empty database. Hashes first (async, only the few that need it), then one transaction with
 * prepared statements. Returns the generated admin password, to be shown once.
 */
export async function seedDatabase(
  db: Db,
  hasher: Hasher,
  seed: SeedOption,
  now: Date,
  serverName: string,
): Promise<{ adminPassword: string; receptionistPassword: string | null }> {
  const extensions = seed === 'demo' ? demoExtensions() : seed === 'none' ? [] : generatedExtensions(seed.extensions);
  const adminPassword = generatePassword(20);
  const adminHash = await hasher.hash(adminPassword);
  // The demo data has one receptionist, scoped to the first site.
  const receptionistPassword = seed === 'demo' ? generatePassword(20) : null;
  const receptionistHash = receptionistPassword === null ? null : await hasher.hash(receptionistPassword);
  const protectedOnes = extensions.filter((e) => e.protection);
  const hashes = new Map<string, string>();
  await Promise.all(
    protectedOnes.map(async (e) => hashes.set(e.number, await hasher.hash((e.protection as { password: string }).password))),
  );
  const at = now.toISOString();

  const insertSite = db.prepare('INSERT INTO sites (id, name, position) VALUES (?, ?, ?)');
  const insertExt = db.prepare(
    `INSERT INTO extensions (number, num_sort, label, label_lc, site_id, type, status, voicemail,
       protection_enabled, protection_state, protection_hash, protection_changed_at, protection_changed_by,
       protection_changed_from, version)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)`,
  );
  // Every active number gets a random, policy-compliant default voicemail PIN, sealed (AES-256-GCM); its
  // argon2 hash is left pending (100,000 hashes would take minutes), the PIN is verified by decrypting.
  const box = hasher.defaultPinBox();
  const vmPolicy = defaultPinPolicy('voicemail_pin');
  const insertDefault = db.prepare('INSERT INTO default_pins (number, enc, hash, created_at) VALUES (?, ?, NULL, ?)');
  const insertCred = db.prepare(
    `INSERT INTO credentials (number, kind, hash, is_default, set_at, set_by, compliant)
     VALUES (?, 'voicemail_pin', NULL, 1, ?, 'system', 1)`,
  );
  const insertAdmin = db.prepare('INSERT INTO admins (username, password_hash, role, created_at) VALUES (?, ?, ?, ?)');
  const insertMeta = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)');
  const auditLog = new AuditLog(db);

  db.transaction(() => {
    // One index build after the bulk insert instead of one FTS update per row.
    db.exec('DROP TRIGGER extensions_fts_insert');
    SEED_SITES.forEach((s, i) => insertSite.run(s.id, s.name, i));
    for (const e of extensions) {
      const p = e.protection;
      insertExt.run(
        e.number,
        Number(e.number),
        e.label,
        e.label.toLowerCase(),
        e.siteId,
        e.type,
        e.status,
        e.voicemail ? 1 : 0,
        p ? 1 : 0,
        p ? p.state : 'unrestricted',
        p ? (hashes.get(e.number) as string) : null,
        p ? at : null,
        p ? 'system' : null,
        null,
      );
    }
    for (const e of extensions) {
      if (e.status !== 'active') continue;
      insertDefault.run(e.number, box.seal(generateDefaultPin(e.number, vmPolicy), e.number), at);
      insertCred.run(e.number, at);
    }
    db.exec(`INSERT INTO extensions_fts (extensions_fts) VALUES ('rebuild'); ${FTS_INSERT_TRIGGER};`);
    insertAdmin.run(ADMIN_USERNAME, adminHash, 'admin', at);
    if (receptionistHash !== null) {
      insertAdmin.run(RECEPTIONIST_USERNAME, receptionistHash, 'receptionist', at);
      const insertScope = db.prepare('INSERT INTO admin_sites (username, site_id) VALUES (?, ?)');
      for (const site of RECEPTIONIST_SITES) insertScope.run(RECEPTIONIST_USERNAME, site);
    }
    seedHotDesk(db, seed === 'demo', at);
    insertMeta.run('created_at', at);
    insertMeta.run('server_name', serverName);
    insertMeta.run('seed', typeof seed === 'string' ? seed : `extensions:${seed.extensions}`);
    // Cleared once the server is listening and has handed the password out (see startPbxServer).
    insertMeta.run(ADMIN_PASSWORD_PENDING, '1');
    auditLog.append({
      at, actor: 'system', address: null, action: 'server.initialised', target: null,
      detail: { seed: typeof seed === 'string' ? seed : seed, extensions: extensions.length },
    });
  })();
  db.exec('ANALYZE');
  return { adminPassword, receptionistPassword };
}

/** Demo phones (MAC, brand, model, firmware, site); none logged in at first. */
export const DEMO_DEVICES: readonly { mac: string; brand: string; model: string; firmware: string; siteId: string }[] = [
  { mac: '80:5E:C0:11:00:01', brand: 'yealink', model: 'T54W', firmware: '96.86.0.70', siteId: 'hq' },
  { mac: '80:5E:C0:11:00:02', brand: 'yealink', model: 'T54W', firmware: '96.86.0.70', siteId: 'hq' },
  { mac: '80:5E:C0:11:00:03', brand: 'yealink', model: 'T46U', firmware: '108.86.0.45', siteId: 'hq' },
  { mac: '00:08:5D:22:00:01', brand: 'aastra', model: '6867i', firmware: '5.1.0.2040', siteId: 'hq' },
  { mac: '00:08:5D:22:00:02', brand: 'aastra', model: '6869i', firmware: '5.1.0.2040', siteId: 'hq' },
  { mac: '00:0F:D3:33:00:01', brand: 'digium', model: 'D65', firmware: '2.8.1', siteId: 'hq' },
  { mac: '64:16:7F:44:00:01', brand: 'polycom', model: 'VVX 450', firmware: '6.4.3.5018', siteId: 'north' },
  { mac: '64:16:7F:44:00:02', brand: 'polycom', model: 'VVX 450', firmware: '6.4.3.5018', siteId: 'north' },
  { mac: '80:5E:C0:11:00:10', brand: 'yealink', model: 'T43U', firmware: '108.86.0.45', siteId: 'north' },
  { mac: '00:04:13:55:00:01', brand: 'snom', model: 'D785', firmware: '10.1.73.16', siteId: 'south' },
  { mac: '00:04:13:55:00:02', brand: 'snom', model: 'D735', firmware: '10.1.73.16', siteId: 'south' },
  { mac: '00:08:5D:22:00:10', brand: 'aastra', model: '6867i', firmware: '5.1.0.2040', siteId: 'south' },
];

/**
 * Hot-desk data (SPEC F4): every site gets internal and external PBX addresses (the Login app's choices);
 * the demo set adds phones, a second template for some brands and a few extension mappings.
 */
function seedHotDesk(db: Db, demo: boolean, at: string): void {
  const insertSite = db.prepare(
    `INSERT OR IGNORE INTO hotdesk_sites (site_id, internal_address, external_address, idle_minutes, daily_at, time_zone, version, updated_at, updated_by)
     VALUES (?, ?, ?, NULL, ?, 'UTC', 1, ?, 'system')`,
  );
  SEED_SITES.forEach((site, i) => insertSite.run(site.id, `10.${i + 1}.0.10`, `${site.id}.pbx.example.net:5061`, null, at));
  if (!demo) return;
  const insertDevice = db.prepare(`INSERT INTO devices (mac, brand, model, firmware, site_id, state) VALUES (?, ?, ?, ?, ?, 'logged_out')`);
  for (const d of DEMO_DEVICES) insertDevice.run(d.mac, d.brand, d.model, d.firmware, d.siteId);
  const insertTemplate = db.prepare(
    `INSERT INTO hotdesk_templates (brand, name, settings, is_default, version, updated_at, updated_by) VALUES (?, ?, ?, 0, 1, ?, 'system')`,
  );
  const reception = Number(
    insertTemplate.run('yealink', 'Reception with sidecar', JSON.stringify({ 'expansion_module.1.enable': '1', 'linekey.1.type': '16', 'lang.gui': 'English' }), at)
      .lastInsertRowid,
  );
  const executive = Number(
    insertTemplate.run('polycom', 'Executive', JSON.stringify({ 'up.backlight.idleIntensity': '3', 'feature.doNotDisturb.enable': '1' }), at).lastInsertRowid,
  );
  insertTemplate.run('aastra', 'Warehouse', JSON.stringify({ 'ring.tone': '3', 'backlight.mode': '2' }), at);
  const insertMapping = db.prepare(
    `INSERT INTO hotdesk_mappings (extension, template_id, mac, version, updated_at, updated_by) VALUES (?, ?, ?, 1, ?, 'system')`,
  );
  insertMapping.run('1000', reception, '80:5E:C0:11:00:01', at);
  insertMapping.run('1001', reception, null, at);
  insertMapping.run('2000', executive, null, at);
}

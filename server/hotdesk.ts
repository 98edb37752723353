// SPEC F4 — hot desking on the reference PBX: phones (by MAC), templates (one default per brand), extension
// mappings, site settings (Internal / External PBX address, auto-logout) and the global hot-desk passwords'
// hashes. Every state change runs inside the caller's transaction and returns the live events it produced
// (their ids are the audit rows written here); the handlers publish them after the commit.
import { AppError } from '../shared/errors.js';
import type { PbxEvent } from '../shared/events.js';
import {
  BRAND_INFO,
  SHARED_PASSWORD_LOCK,
  type Device,
  type DeviceState,
  type HotDeskPasswordKind,
  type HotDeskPasswordMeta,
  type HotDeskPasswords,
  type SharedPasswordLock,
  type HotDeskRow,
  type Network,
  type PhoneBrand,
  type SiteHotDesk,
  type SiteHotDeskWrite,
  type Template,
  type Mapping,
} from '../shared/hotdesk.js';
import { deleteMeta, getMeta, setMeta, type Db } from './db.js';

type HotDeskEvent = Extract<PbxEvent, { type: 'hotdesk.changed' }>;
type AuditFn = (row: { at: string; actor: string; address: string | null; action: string; target: string | null; detail: object }) => number;

interface DeviceRow {
  mac: string;
  brand: PhoneBrand;
  model: string;
  firmware: string;
  site_id: string;
  last_seen_address: string | null;
  last_seen_at: string | null;
  state: DeviceState;
  extension: string | null;
  template_id: number | null;
  since: string | null;
  last_activity_at: string | null;
  login_address: string | null;
  network: Network | null;
}

interface TemplateRow {
  id: number;
  brand: PhoneBrand;
  name: string;
  settings: string;
  is_default: number;
  version: number;
  updated_at: string;
  updated_by: string | null;
  mappings: number;
}

interface MappingRow {
  extension: string;
  template_id: number;
  mac: string | null;
  version: number;
  updated_at: string;
  updated_by: string | null;
}

interface SiteRow {
  id: string;
  name: string;
  internal_address: string | null;
  external_address: string | null;
  idle_minutes: number | null;
  daily_at: string | null;
  time_zone: string | null;
  version: number | null;
  updated_at: string | null;
  updated_by: string | null;
}

export interface Who {
  by: string;
  address: string;
}

const SHARED_LOCK_KEY = 'hotdesk_shared_locked_until';

export const templateEtag = (id: number, version: number): string => `"t${id}.${version}"`;
export const mappingEtag = (number: string, version: number): string => `"m${number}.${version}"`;
export const siteEtag = (siteId: string, version: number): string => `"s${siteId}.${version}"`;

function toDevice(r: DeviceRow): Device {
  return {
    mac: r.mac,
    brand: r.brand,
    model: r.model,
    firmware: r.firmware,
    siteId: r.site_id,
    lastSeenAddress: r.last_seen_address,
    lastSeenAt: r.last_seen_at,
    state: r.state,
    extension: r.extension,
    templateId: r.template_id,
    since: r.since,
    lastActivityAt: r.last_activity_at,
  };
}

function toTemplate(r: TemplateRow): Template {
  return {
    id: r.id,
    brand: r.brand,
    name: r.name,
    settings: JSON.parse(r.settings) as Record<string, string>,
    isDefault: r.is_default === 1,
    mappings: r.mappings,
    updatedAt: r.updated_at,
    updatedBy: r.updated_by,
    etag: templateEtag(r.id, r.version),
  };
}

function toMapping(r: MappingRow): Mapping {
  return {
    extension: r.extension,
    templateId: r.template_id,
    mac: r.mac,
    updatedAt: r.updated_at,
    updatedBy: r.updated_by,
    etag: mappingEtag(r.extension, r.version),
  };
}

function toSite(r: SiteRow): SiteHotDesk {
  return {
    siteId: r.id,
    siteName: r.name,
    internalAddress: r.internal_address,
    externalAddress: r.external_address,
    autoLogout: { idleMinutes: r.idle_minutes, dailyAt: r.daily_at, timeZone: r.time_zone ?? 'UTC' },
    updatedAt: r.updated_at,
    updatedBy: r.updated_by,
    etag: siteEtag(r.id, r.version ?? 0),
  };
}

// ---- time zones (the daily auto-logout) -----------------------------------------------------

const formatters = new Map<string, Intl.DateTimeFormat>();
function zoneParts(ms: number, tz: string): number[] {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
    });
    formatters.set(tz, f);
  }
  const parts = f.formatToParts(new Date(ms));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  return [get('year'), get('month'), get('day'), get('hour'), get('minute'), get('second')];
}

/** Local time minus UTC at an instant, in ms. */
function zoneOffset(ms: number, tz: string): number {
  const [y, mo, d, h, mi, s] = zoneParts(ms, tz) as [number, number, number, number, number, number];
  return Date.UTC(y, mo - 1, d, h, mi, s) - Math.floor(ms / 1000) * 1000;
}

const HOUR = 3_600_000;

/**
 * The UTC instant at which the wall clock of `tz` first shows y-mo-d h:mi: in the hour repeated when clocks
 * go back, its first occurrence (so a daily logout happens once that day); when the time is skipped (clocks
 * go forward), the instant the same time would be under the offset from before the change, which is later on
 * the wall clock (02:30 → 03:30).
 */
function zonedInstant(y: number, mo: number, d: number, h: number, mi: number, tz: string): number {
  const naive = Date.UTC(y, mo - 1, d, h, mi);
  const before = zoneOffset(naive - 12 * HOUR, tz);
  const offsets = new Set([before, zoneOffset(naive + 12 * HOUR, tz)]);
  const shows = (t: number) => {
    const [py, pmo, pd, ph, pmi] = zoneParts(t, tz) as [number, number, number, number, number];
    return Date.UTC(py, pmo - 1, pd, ph, pmi) === naive;
  };
  const hits = [...offsets].map((o) => naive - o).filter(shows);
  return hits.length > 0 ? Math.min(...hits) : naive - before;
}

/** The latest instant ≤ now at which the wall clock of `tz` first showed `hhmm` on its day (today's or an earlier day's). */
export function lastDailyInstant(nowMs: number, hhmm: string, tz: string): number {
  const [h, mi] = hhmm.split(':').map(Number) as [number, number];
  const [y, mo, d] = zoneParts(nowMs, tz) as [number, number, number];
  let best = -Infinity;
  for (let back = 0; back <= 2 && best === -Infinity; back++) {
    const t = zonedInstant(y, mo, d - back, h, mi, tz);
    if (t <= nowMs) best = t;
  }
  return best;
}

// ---- the store ------------------------------------------------------------------------------

const ROW_SQL = `
  SELECT e.number AS extension, e.label, e.site_id,
         d.mac, d.brand, d.model, d.site_id AS device_site, d.state, d.since, d.login_address,
         td.id AS td_id, td.name AS td_name, td.brand AS td_brand,
         m.template_id AS m_template_id, m.mac AS m_mac, m.version AS m_version, m.updated_at AS m_updated_at,
         m.updated_by AS m_updated_by, tm.name AS tm_name, tm.brand AS tm_brand
  FROM extensions e
  LEFT JOIN devices d ON d.extension = e.number
  LEFT JOIN hotdesk_templates td ON td.id = d.template_id
  LEFT JOIN hotdesk_mappings m ON m.extension = e.number
  LEFT JOIN hotdesk_templates tm ON tm.id = m.template_id`;

interface JoinedRow {
  extension: string;
  label: string;
  site_id: string;
  mac: string | null;
  brand: PhoneBrand | null;
  model: string | null;
  device_site: string | null;
  state: DeviceState | null;
  since: string | null;
  login_address: string | null;
  td_id: number | null;
  td_name: string | null;
  td_brand: PhoneBrand | null;
  m_template_id: number | null;
  m_mac: string | null;
  m_version: number | null;
  m_updated_at: string | null;
  m_updated_by: string | null;
  tm_name: string | null;
  tm_brand: PhoneBrand | null;
}

function toRow(r: JoinedRow): HotDeskRow {
  const onPhone = r.mac !== null && r.brand !== null;
  const mapping: Mapping | null =
    r.m_template_id !== null
      ? {
          extension: r.extension,
          templateId: r.m_template_id,
          mac: r.m_mac,
          updatedAt: r.m_updated_at as string,
          updatedBy: r.m_updated_by,
          etag: mappingEtag(r.extension, r.m_version as number),
        }
      : null;
  const template =
    onPhone && r.td_id !== null
      ? { id: r.td_id, name: r.td_name as string, brand: r.td_brand as PhoneBrand }
      : !onPhone && mapping
        ? { id: mapping.templateId, name: r.tm_name as string, brand: r.tm_brand as PhoneBrand }
        : null;
  return {
    extension: r.extension,
    label: r.label,
    siteId: r.site_id,
    state: onPhone ? (r.state as DeviceState) : 'logged_out',
    since: onPhone ? r.since : null,
    device: onPhone
      ? { mac: r.mac as string, brand: r.brand as PhoneBrand, model: r.model as string, siteId: r.device_site as string, address: r.login_address }
      : null,
    template,
    mapping,
  };
}

export class HotDeskStore {
  constructor(
    private readonly db: Db,
    private readonly clock: () => Date,
    private readonly audit: AuditFn,
  ) {}

  // ---- reads ----

  rows(): HotDeskRow[] {
    const rs = this.db
      .prepare(
        `${ROW_SQL} WHERE d.mac IS NOT NULL OR m.extension IS NOT NULL ORDER BY e.num_sort, e.number`,
      )
      .all() as JoinedRow[];
    return rs.map(toRow);
  }

  rowOf(number: string): HotDeskRow | null {
    const r = this.db.prepare(`${ROW_SQL} WHERE e.number = ? AND (d.mac IS NOT NULL OR m.extension IS NOT NULL)`).get(number) as
      | JoinedRow
      | undefined;
    return r ? toRow(r) : null;
  }

  devices(): Device[] {
    return (this.db.prepare('SELECT * FROM devices ORDER BY site_id, mac').all() as DeviceRow[]).map(toDevice);
  }

  deviceRow(mac: string): DeviceRow | undefined {
    return this.db.prepare('SELECT * FROM devices WHERE mac = ?').get(mac) as DeviceRow | undefined;
  }

  device(mac: string): Device | undefined {
    const r = this.deviceRow(mac);
    return r ? toDevice(r) : undefined;
  }

  deviceOfExtension(number: string): DeviceRow | undefined {
    return this.db.prepare('SELECT * FROM devices WHERE extension = ?').get(number) as DeviceRow | undefined;
  }

  templates(): Template[] {
    return (
      this.db
        .prepare(
          `SELECT t.*, (SELECT count(*) FROM hotdesk_mappings m WHERE m.template_id = t.id) AS mappings
           FROM hotdesk_templates t ORDER BY t.brand, t.is_default DESC, t.name`,
        )
        .all() as TemplateRow[]
    ).map(toTemplate);
  }

  template(id: number): Template | undefined {
    const r = this.db
      .prepare(
        `SELECT t.*, (SELECT count(*) FROM hotdesk_mappings m WHERE m.template_id = t.id) AS mappings
         FROM hotdesk_templates t WHERE t.id = ?`,
      )
      .get(id) as TemplateRow | undefined;
    return r ? toTemplate(r) : undefined;
  }

  private templateVersion(id: number): number | undefined {
    const r = this.db.prepare('SELECT version FROM hotdesk_templates WHERE id = ?').get(id) as { version: number } | undefined;
    return r?.version;
  }

  defaultTemplate(brand: PhoneBrand): Template | undefined {
    const r = this.db.prepare('SELECT id FROM hotdesk_templates WHERE brand = ? AND is_default = 1').get(brand) as { id: number } | undefined;
    return r ? this.template(r.id) : undefined;
  }

  mapping(number: string): Mapping | undefined {
    const r = this.db.prepare('SELECT * FROM hotdesk_mappings WHERE extension = ?').get(number) as MappingRow | undefined;
    return r ? toMapping(r) : undefined;
  }

  private mappingVersion(number: string): number | undefined {
    const r = this.db.prepare('SELECT version FROM hotdesk_mappings WHERE extension = ?').get(number) as { version: number } | undefined;
    return r?.version;
  }

  mappingWithMac(mac: string): Mapping | undefined {
    const r = this.db.prepare('SELECT * FROM hotdesk_mappings WHERE mac = ?').get(mac) as MappingRow | undefined;
    return r ? toMapping(r) : undefined;
  }

  private siteRows(where = '', ...args: unknown[]): SiteRow[] {
    return this.db
      .prepare(
        `SELECT s.id, s.name, h.internal_address, h.external_address, h.idle_minutes, h.daily_at, h.time_zone,
                h.version, h.updated_at, h.updated_by
         FROM sites s LEFT JOIN hotdesk_sites h ON h.site_id = s.id ${where} ORDER BY s.position`,
      )
      .all(...args) as SiteRow[];
  }

  sites(): SiteHotDesk[] {
    return this.siteRows().map(toSite);
  }

  site(siteId: string): SiteHotDesk | undefined {
    const r = this.siteRows('WHERE s.id = ?', siteId)[0];
    return r ? toSite(r) : undefined;
  }

  /** The Login app's choices for a phone of `siteId`. */
  networks(siteId: string): { network: Network; address: string }[] {
    const s = this.site(siteId);
    const out: { network: Network; address: string }[] = [];
    if (s?.internalAddress) out.push({ network: 'internal', address: s.internalAddress });
    if (s?.externalAddress) out.push({ network: 'external', address: s.externalAddress });
    return out;
  }

  passwordHash(kind: HotDeskPasswordKind): string | null {
    const r = this.db.prepare('SELECT hash FROM hotdesk_passwords WHERE kind = ?').get(kind) as { hash: string } | undefined;
    return r?.hash ?? null;
  }

  passwordMeta(kind: HotDeskPasswordKind): HotDeskPasswordMeta {
    const r = this.db.prepare('SELECT set_at, set_by FROM hotdesk_passwords WHERE kind = ?').get(kind) as
      | { set_at: string; set_by: string }
      | undefined;
    return { kind, set: r !== undefined, setAt: r?.set_at ?? null, setBy: r?.set_by ?? null };
  }

  passwords(): HotDeskPasswords {
    return { user: this.passwordMeta('user'), admin: this.passwordMeta('admin'), sharedLock: this.sharedLock() };
  }

  // ---- the shared passwords' own lock (SHARED_PASSWORD_LOCK) ----

  /** Until when neither shared password is accepted (ISO), or null. */
  sharedLockedUntil(): string | null {
    const until = getMeta(this.db, SHARED_LOCK_KEY);
    return until !== undefined && Date.parse(until) > this.clock().getTime() ? until : null;
  }

  sharedLock(): SharedPasswordLock {
    const since = new Date(this.clock().getTime() - SHARED_PASSWORD_LOCK.windowMinutes * 60_000).toISOString();
    const { n } = this.db.prepare('SELECT count(*) AS n FROM hotdesk_shared_failures WHERE at > ?').get(since) as { n: number };
    return { lockedUntil: this.sharedLockedUntil(), failures: n, ...SHARED_PASSWORD_LOCK };
  }

  /**
   * A failed hot-desk login while a shared password is set: one more guess at the master keys. At the threshold
   * within the window, the shared passwords are locked; returns the audit id of that (for its event), else null.
   */
  sharedFailure(address: string): number | null {
    const now = this.clock();
    const at = now.toISOString();
    const since = new Date(now.getTime() - SHARED_PASSWORD_LOCK.windowMinutes * 60_000).toISOString();
    this.db.prepare('DELETE FROM hotdesk_shared_failures WHERE at <= ?').run(since);
    this.db.prepare('INSERT INTO hotdesk_shared_failures (at, address) VALUES (?, ?)').run(at, address);
    if (this.sharedLockedUntil() !== null) return null;
    const { n } = this.db.prepare('SELECT count(*) AS n FROM hotdesk_shared_failures WHERE at > ?').get(since) as { n: number };
    if (n < SHARED_PASSWORD_LOCK.threshold) return null;
    const until = new Date(now.getTime() + SHARED_PASSWORD_LOCK.lockMinutes * 60_000).toISOString();
    setMeta(this.db, SHARED_LOCK_KEY, until);
    return this.audit({
      at, actor: 'system', address, action: 'hotdesk.shared_passwords_locked', target: 'hotdesk_password:*',
      detail: { failures: n, windowMinutes: SHARED_PASSWORD_LOCK.windowMinutes, until },
    });
  }

  /** Lift the shared passwords' lock and forget their failures; the audit id, or null when there was nothing to lift. */
  unlockShared(who: Who, reason: string): number | null {
    const had = this.sharedLockedUntil() !== null || this.sharedLock().failures > 0;
    deleteMeta(this.db, SHARED_LOCK_KEY);
    this.db.prepare('DELETE FROM hotdesk_shared_failures').run();
    if (!had) return null;
    return this.audit({
      at: this.now(), actor: who.by, address: who.address, action: 'hotdesk.shared_passwords_unlocked', target: 'hotdesk_password:*',
      detail: { reason },
    });
  }

  // ---- writes (inside the caller's transaction) ----

  private now(): string {
    return this.clock().toISOString();
  }

  private event(
    id: number, at: string, action: HotDeskEvent['action'], who: Who, device: DeviceRow, number: string | null, siteId: string,
  ): HotDeskEvent {
    const d = this.deviceRow(device.mac) as DeviceRow;
    return {
      type: 'hotdesk.changed', id, at, action, by: who.by, address: who.address, number, siteId,
      device: toDevice(d), row: number === null ? null : this.rowOf(number),
    };
  }

  private extensionSite(number: string): string | undefined {
    const r = this.db.prepare('SELECT site_id FROM extensions WHERE number = ?').get(number) as { site_id: string } | undefined;
    return r?.site_id;
  }

  /** A phone announced itself: remember where it was seen (written at most once a minute or on a new address). */
  seen(mac: string, address: string): void {
    const d = this.deviceRow(mac);
    if (!d) return;
    const now = this.clock();
    const stale = d.last_seen_at === null || now.getTime() - Date.parse(d.last_seen_at) >= 60_000;
    if (stale || d.last_seen_address !== address) {
      this.db.prepare('UPDATE devices SET last_seen_address = ?, last_seen_at = ? WHERE mac = ?').run(address, now.toISOString(), mac);
    }
  }

  createDevice(input: { mac: string; brand: PhoneBrand; model: string; firmware: string; siteId: string }, who: Who): { device: Device; eventId: number } {
    const at = this.now();
    this.db
      .prepare(
        `INSERT INTO devices (mac, brand, model, firmware, site_id, state) VALUES (?, ?, ?, ?, ?, 'logged_out')`,
      )
      .run(input.mac, input.brand, input.model, input.firmware, input.siteId);
    const eventId = this.audit({
      at, actor: who.by, address: who.address, action: 'hotdesk.device_created', target: `device:${input.mac}`,
      detail: { brand: input.brand, model: input.model, siteId: input.siteId },
    });
    return { device: this.device(input.mac) as Device, eventId };
  }

  /** The template a login of `number` on `device` gets: the mapping's (blank MAC, or this phone's) if it is for this brand, else the brand's default. */
  effectiveTemplate(number: string, device: { mac: string; brand: PhoneBrand }): Template | undefined {
    const m = this.mapping(number);
    if (m && (m.mac === null || m.mac === device.mac)) {
      const t = this.template(m.templateId);
      if (t && t.brand === device.brand) return t;
    }
    return this.defaultTemplate(device.brand);
  }

  /** Log out whatever is on a phone (no-op when nothing is); returns the event. */
  private logoutDevice(d: DeviceRow, action: HotDeskEvent['action'], who: Who, detail: object = {}): HotDeskEvent | null {
    if (d.state === 'logged_out' || d.extension === null) return null;
    const at = this.now();
    const number = d.extension;
    const res = this.db
      .prepare(
        `UPDATE devices SET state = 'logged_out', extension = NULL, template_id = NULL, since = ?, login_address = NULL,
           network = NULL WHERE mac = ? AND extension = ?`,
      )
      .run(at, d.mac, number);
    if (res.changes !== 1) return null; // someone else logged it out (or in) meanwhile
    const id = this.audit({
      at, actor: who.by, address: who.address, action: `hotdesk.${action}`, target: `extension:${number}`,
      detail: { mac: d.mac, ...detail },
    });
    return this.event(id, at, action, who, d, number, this.extensionSite(number) ?? d.site_id);
  }

  /**
   * A successful hot-desk login of `number` on the phone `mac` (credentials already checked): the extension
   * leaves any other phone (recorded as moved), whoever was on this phone is logged out, and the phone gets
   * its template — live at once, or after a reboot for brands that need one.
   */
  login(
    mac: string, number: string, network: Network, via: 'voicemail_pin' | 'user_password' | 'admin_password', who: Who,
    extra: { pinIsDefault?: boolean } = {},
  ): { events: HotDeskEvent[]; template: Template | undefined; state: DeviceState } {
    const d = this.deviceRow(mac);
    if (!d) throw new AppError('not_found', `No phone with MAC ${mac} is provisioned on this PBX`, 404);
    const events: HotDeskEvent[] = [];
    const elsewhere = this.deviceOfExtension(number);
    if (elsewhere && elsewhere.mac !== mac) {
      const ev = this.logoutDevice(elsewhere, 'moved', who, { to: mac });
      if (ev) events.push(ev);
    }
    if (d.extension !== null && d.extension !== number) {
      const ev = this.logoutDevice(d, 'logged_out', who, { replacedBy: number });
      if (ev) events.push(ev);
    }
    const template = this.effectiveTemplate(number, d);
    const state: DeviceState = BRAND_INFO[d.brand].needsReboot ? 'needs_reboot' : 'logged_in';
    const at = this.now();
    this.db
      .prepare(
        `UPDATE devices SET state = ?, extension = ?, template_id = ?, since = ?, last_activity_at = ?, login_address = ?,
           network = ?, last_seen_address = ?, last_seen_at = ? WHERE mac = ?`,
      )
      .run(state, number, template?.id ?? null, at, at, who.address, network, who.address, at, mac);
    const id = this.audit({
      at, actor: who.by, address: who.address, action: 'hotdesk.login', target: `extension:${number}`,
      detail: { mac, via, network, templateId: template?.id ?? null, state, ...extra },
    });
    const after = this.deviceRow(mac) as DeviceRow;
    events.push(this.event(id, at, state === 'needs_reboot' ? 'needs_reboot' : 'logged_in', who, after, number, this.extensionSite(number) ?? d.site_id));
    // every event carries the rows after the whole change (the moved extension is on its new phone)
    for (const ev of events) ev.row = ev.number === null ? null : this.rowOf(ev.number);
    return { events, template, state };
  }

  /** The phone rebooted with its new configuration: needs reboot → logged in. */
  rebooted(d: DeviceRow, who: Who): HotDeskEvent | null {
    if (d.state !== 'needs_reboot' || d.extension === null) return null;
    const at = this.now();
    const res = this.db
      .prepare(`UPDATE devices SET state = 'logged_in', since = ?, last_activity_at = ? WHERE mac = ? AND extension = ? AND state = 'needs_reboot'`)
      .run(at, at, d.mac, d.extension);
    if (res.changes !== 1) return null;
    const id = this.audit({
      at, actor: who.by, address: who.address, action: 'hotdesk.rebooted', target: `extension:${d.extension}`, detail: { mac: d.mac },
    });
    return this.event(id, at, 'rebooted', who, d, d.extension, this.extensionSite(d.extension) ?? d.site_id);
  }

  activity(d: DeviceRow): void {
    this.db.prepare('UPDATE devices SET last_activity_at = ? WHERE mac = ?').run(this.now(), d.mac);
  }

  logout(d: DeviceRow, action: 'logged_out' | 'forced_logout' | 'auto_logout', who: Who, detail: object = {}): HotDeskEvent | null {
    return this.logoutDevice(d, action, who, detail);
  }

  /**
   * Automatic logouts due by now: phones idle for their site's idleMinutes, and phones logged in before the
   * latest daily logout time of their site. Idempotent (a phone logged in after the daily time stays).
   */
  sweep(): HotDeskEvent[] {
    const nowMs = this.clock().getTime();
    const events: HotDeskEvent[] = [];
    const candidates = this.db
      .prepare(
        `SELECT d.*, h.idle_minutes, h.daily_at, h.time_zone, h.updated_at AS rule_since FROM devices d
         JOIN hotdesk_sites h ON h.site_id = d.site_id
         WHERE d.state <> 'logged_out' AND (h.idle_minutes IS NOT NULL OR h.daily_at IS NOT NULL)`,
      )
      .all() as (DeviceRow & { idle_minutes: number | null; daily_at: string | null; time_zone: string; rule_since: string | null })[];
    const daily = new Map<string, number>();
    for (const c of candidates) {
      let reason: string | null = null;
      const active = Date.parse(c.last_activity_at ?? c.since ?? '');
      if (c.idle_minutes !== null && Number.isFinite(active) && nowMs - active >= c.idle_minutes * 60_000) {
        reason = 'idle';
      } else if (c.daily_at !== null && c.since !== null) {
        const key = `${c.daily_at}|${c.time_zone}`;
        let last = daily.get(key);
        if (last === undefined) {
          try {
            last = lastDailyInstant(nowMs, c.daily_at, c.time_zone);
          } catch {
            last = -Infinity; // a time zone this runtime does not know: skip the daily rule, not the sweep
          }
          daily.set(key, last);
        }
        // the daily time counts from when the rule was set: setting 14:00 at 15:00 logs out tomorrow, not now
        const ruleSince = c.rule_since === null ? -Infinity : Date.parse(c.rule_since);
        if (Date.parse(c.since) < last && last >= ruleSince) reason = 'daily';
      }
      if (reason === null) continue;
      const ev = this.logoutDevice(c, 'auto_logout', { by: 'system', address: '' }, { reason });
      if (ev) events.push(ev);
    }
    return events;
  }

  // ---- templates ----

  createTemplate(input: { brand: PhoneBrand; name: string; settings: Record<string, string>; isDefault: boolean }, who: Who): { template: Template; eventId: number } {
    const at = this.now();
    const previous = this.defaultTemplate(input.brand);
    const makeDefault = input.isDefault || previous === undefined;
    if (makeDefault) {
      this.db
        .prepare('UPDATE hotdesk_templates SET is_default = 0, version = version + 1, updated_at = ?, updated_by = ? WHERE brand = ? AND is_default = 1')
        .run(at, who.by, input.brand);
    }
    const res = this.db
      .prepare(
        `INSERT INTO hotdesk_templates (brand, name, settings, is_default, version, updated_at, updated_by) VALUES (?, ?, ?, ?, 1, ?, ?)`,
      )
      .run(input.brand, input.name, JSON.stringify(input.settings), makeDefault ? 1 : 0, at, who.by);
    const id = Number(res.lastInsertRowid);
    const eventId = this.audit({
      at, actor: who.by, address: who.address, action: 'hotdesk.template_created', target: `template:${id}`,
      detail: { brand: input.brand, name: input.name, isDefault: makeDefault, previousDefault: makeDefault ? (previous?.id ?? null) : undefined },
    });
    return { template: this.template(id) as Template, eventId };
  }

  /** undefined = the version moved on (412). */
  updateTemplate(id: number, expectedVersion: number, input: { name: string; settings: Record<string, string> }, who: Who): { template: Template; eventId: number } | undefined {
    const at = this.now();
    const res = this.db
      .prepare('UPDATE hotdesk_templates SET name = ?, settings = ?, version = version + 1, updated_at = ?, updated_by = ? WHERE id = ? AND version = ?')
      .run(input.name, JSON.stringify(input.settings), at, who.by, id, expectedVersion);
    if (res.changes !== 1) return undefined;
    const eventId = this.audit({
      at, actor: who.by, address: who.address, action: 'hotdesk.template_updated', target: `template:${id}`,
      detail: { name: input.name, settings: Object.keys(input.settings).length },
    });
    return { template: this.template(id) as Template, eventId };
  }

  /** Make `id` its brand's default, the old default no longer, in one transaction (the caller's). */
  setDefaultTemplate(id: number, expectedVersion: number, who: Who): { eventId: number | null } | undefined {
    const t = this.template(id);
    if (!t || this.templateVersion(id) !== expectedVersion) return undefined;
    if (t.isDefault) return { eventId: null };
    const at = this.now();
    const old = this.defaultTemplate(t.brand);
    this.db.prepare('UPDATE hotdesk_templates SET is_default = 0, version = version + 1, updated_at = ?, updated_by = ? WHERE brand = ? AND is_default = 1').run(at, who.by, t.brand);
    this.db.prepare('UPDATE hotdesk_templates SET is_default = 1, version = version + 1, updated_at = ?, updated_by = ? WHERE id = ?').run(at, who.by, id);
    const eventId = this.audit({
      at, actor: who.by, address: who.address, action: 'hotdesk.template_default', target: `template:${id}`,
      detail: { brand: t.brand, previous: old?.id ?? null },
    });
    return { eventId };
  }

  deleteTemplate(id: number, expectedVersion: number, who: Who): { eventId: number } | undefined {
    const t = this.template(id);
    if (!t || this.templateVersion(id) !== expectedVersion) return undefined;
    if (t.isDefault) {
      throw new AppError(
        'template_in_use',
        `"${t.name}" is the default ${BRAND_INFO[t.brand].label} template; make another template the default first`,
        409,
      );
    }
    if (t.mappings > 0) {
      throw new AppError('template_in_use', `"${t.name}" is used by ${t.mappings} extension mapping${t.mappings === 1 ? '' : 's'}; change them first`, 409);
    }
    const at = this.now();
    // phones configured with it keep their configuration until their next login
    this.db.prepare('UPDATE devices SET template_id = NULL WHERE template_id = ?').run(id);
    this.db.prepare('DELETE FROM hotdesk_templates WHERE id = ?').run(id);
    const eventId = this.audit({
      at, actor: who.by, address: who.address, action: 'hotdesk.template_deleted', target: `template:${id}`, detail: { brand: t.brand, name: t.name },
    });
    return { eventId };
  }

  // ---- mappings ----

  createMapping(number: string, templateId: number, mac: string | null, who: Who): { mapping: Mapping; eventId: number } {
    const at = this.now();
    this.db
      .prepare('INSERT INTO hotdesk_mappings (extension, template_id, mac, version, updated_at, updated_by) VALUES (?, ?, ?, 1, ?, ?)')
      .run(number, templateId, mac, at, who.by);
    const eventId = this.audit({
      at, actor: who.by, address: who.address, action: 'hotdesk.mapping_created', target: `extension:${number}`, detail: { templateId, mac },
    });
    return { mapping: this.mapping(number) as Mapping, eventId };
  }

  updateMapping(number: string, expectedVersion: number, templateId: number, mac: string | null, who: Who): { mapping: Mapping; eventId: number } | undefined {
    const at = this.now();
    const before = this.mapping(number);
    const res = this.db
      .prepare('UPDATE hotdesk_mappings SET template_id = ?, mac = ?, version = version + 1, updated_at = ?, updated_by = ? WHERE extension = ? AND version = ?')
      .run(templateId, mac, at, who.by, number, expectedVersion);
    if (res.changes !== 1) return undefined;
    const eventId = this.audit({
      at, actor: who.by, address: who.address, action: 'hotdesk.mapping_updated', target: `extension:${number}`,
      detail: { before: before ? { templateId: before.templateId, mac: before.mac } : null, after: { templateId, mac } },
    });
    return { mapping: this.mapping(number) as Mapping, eventId };
  }

  deleteMapping(number: string, expectedVersion: number, who: Who): { eventId: number } | undefined {
    if (this.mappingVersion(number) !== expectedVersion) return undefined;
    const before = this.mapping(number) as Mapping;
    this.db.prepare('DELETE FROM hotdesk_mappings WHERE extension = ?').run(number);
    const eventId = this.audit({
      at: this.now(), actor: who.by, address: who.address, action: 'hotdesk.mapping_deleted', target: `extension:${number}`,
      detail: { templateId: before.templateId, mac: before.mac },
    });
    return { eventId };
  }

  /** Remove an extension's mapping whatever its version (deactivation removes custom configuration). */
  removeMapping(number: string, who: Who, reason: string): { eventId: number } | null {
    const before = this.mapping(number);
    if (!before) return null;
    this.db.prepare('DELETE FROM hotdesk_mappings WHERE extension = ?').run(number);
    const eventId = this.audit({
      at: this.now(), actor: who.by, address: who.address, action: 'hotdesk.mapping_deleted', target: `extension:${number}`,
      detail: { templateId: before.templateId, mac: before.mac, reason },
    });
    return { eventId };
  }

  // ---- sites and passwords ----

  siteVersion(siteId: string): number {
    const r = this.db.prepare('SELECT version FROM hotdesk_sites WHERE site_id = ?').get(siteId) as { version: number } | undefined;
    return r?.version ?? 0;
  }

  setSite(siteId: string, expectedVersion: number, w: SiteHotDeskWrite, who: Who): { site: SiteHotDesk; eventId: number } | undefined {
    if (this.siteVersion(siteId) !== expectedVersion) return undefined;
    const at = this.now();
    const before = this.site(siteId);
    this.db
      .prepare(
        `INSERT INTO hotdesk_sites (site_id, internal_address, external_address, idle_minutes, daily_at, time_zone, version, updated_at, updated_by)
         VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?)
         ON CONFLICT(site_id) DO UPDATE SET internal_address = excluded.internal_address, external_address = excluded.external_address,
           idle_minutes = excluded.idle_minutes, daily_at = excluded.daily_at, time_zone = excluded.time_zone,
           version = version + 1, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
      )
      .run(siteId, w.internalAddress, w.externalAddress, w.autoLogout.idleMinutes, w.autoLogout.dailyAt, w.autoLogout.timeZone, at, who.by);
    const strip = (s: SiteHotDesk | undefined) =>
      s ? { internalAddress: s.internalAddress, externalAddress: s.externalAddress, autoLogout: s.autoLogout } : null;
    const after = this.site(siteId) as SiteHotDesk;
    const eventId = this.audit({
      at, actor: who.by, address: who.address, action: 'hotdesk.site_settings', target: `site:${siteId}`,
      detail: { before: strip(before), after: strip(after) },
    });
    return { site: after, eventId };
  }

  setPassword(kind: HotDeskPasswordKind, hash: string, who: Who): { meta: HotDeskPasswordMeta; eventId: number } {
    const at = this.now();
    this.db
      .prepare(
        `INSERT INTO hotdesk_passwords (kind, hash, set_at, set_by) VALUES (?, ?, ?, ?)
         ON CONFLICT(kind) DO UPDATE SET hash = excluded.hash, set_at = excluded.set_at, set_by = excluded.set_by`,
      )
      .run(kind, hash, at, who.by);
    const eventId = this.audit({ at, actor: who.by, address: who.address, action: 'hotdesk.password_set', target: `hotdesk_password:${kind}`, detail: {} });
    return { meta: this.passwordMeta(kind), eventId };
  }
}

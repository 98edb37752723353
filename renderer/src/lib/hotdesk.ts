// SPEC F4 in the console: the live hot-desk table (one row per extension that has a mapping or is logged in
// on a phone) and the phones known to the PBX, as one store for the whole renderer, so that the Hot desking
// screen and the Reception card show the same state.
//
// How it stays current (lib/liveStore.ts, as for lib/lockouts.ts):
// - loaded whole (`hotdesk.list` + `hotdesk.devices` + `sites.list`) when the connection comes (back) online,
//   and again after a gap in the event stream (`resync`: events may have been missed);
// - then patched by live events: `hotdesk.changed` carries the extension's row after the change (null: it no
//   longer has one) and the phone after it; `hotdesk.mapping_changed` the row after a mapping change;
//   `hotdesk.settings_changed` with `devices` reloads the phones, with `templates` everything (a renamed
//   template is named in rows that no row event updates); the other kinds are the admin panels' own;
// - events that arrive while a load is on its way are kept and applied on top of its answer, in order;
// - an event older than one already applied to the same row or phone (by event id) is ignored.
//
// Also here, pure and unit-tested (test/unit/hotdesk-store.test.ts): filtering and searching the rows (by
// extension number prefix, user name, or MAC in any notation), and the `name = value` text of a template's
// settings.
import { useCallback, useEffect, useRef, useState } from 'react';
import type { Device, DeviceState, HotDeskRow, Mapping, PhoneBrand, SiteHotDesk, SiteHotDeskWrite, Template } from '../../../shared/hotdesk';
import { MAX_SETTING_VALUE, MAX_TEMPLATE_SETTINGS, PhoneBrands, SETTING_NAME, SiteHotDeskWriteSchema } from '../../../shared/hotdesk';
import type { Site } from '../../../shared/domain';
import type { PbxEvent } from '../../../shared/events';
import type { ErrorBody } from '../../../shared/errors';
import { call, errorBody, type StreamEvent } from '../api';
import { subscribeEvents } from './events';
import { LiveStore, useLiveStore, type LiveDeps, type LiveSnapshot } from './liveStore';

// ---- pure: the tables ------------------------------------------------------------------------------------

export interface HotDeskTables {
  /** Key: extension number. */
  readonly rows: ReadonlyMap<string, HotDeskRow>;
  /** Key: MAC in its normal form (00:15:65:AB:CD:EF). */
  readonly devices: ReadonlyMap<string, Device>;
  /** The id of the last event applied per row (`row:<number>`) and phone (`dev:<mac>`), to ignore older ones. */
  readonly lastEventId: ReadonlyMap<string, number>;
}

export function emptyHotDesk(): HotDeskTables {
  return { rows: new Map(), devices: new Map(), lastEventId: new Map() };
}

export function hotDeskFromLists(rows: readonly HotDeskRow[], devices: readonly Device[]): HotDeskTables {
  return {
    rows: new Map(rows.map((r) => [r.extension, r])),
    devices: new Map(devices.map((d) => [d.mac, d])),
    lastEventId: new Map(),
  };
}

type HotDeskEvent = Extract<PbxEvent, { type: 'hotdesk.changed' | 'hotdesk.mapping_changed' }>;

export function isHotDeskEvent(ev: PbxEvent): ev is HotDeskEvent {
  return ev.type === 'hotdesk.changed' || ev.type === 'hotdesk.mapping_changed';
}

/**
 * One live event applied to the tables: the row of `number` replaced by `row` (or removed when null), and the
 * phone of a `hotdesk.changed` replaced. Returns the same object when nothing changes (another type, or
 * older than what the row and phone already show).
 */
export function applyHotDeskEvent(t: HotDeskTables, ev: PbxEvent): HotDeskTables {
  if (!isHotDeskEvent(ev)) return t;
  let rows: Map<string, HotDeskRow> | null = null;
  let devices: Map<string, Device> | null = null;
  const lastEventId = new Map(t.lastEventId);
  const fresh = (key: string): boolean => {
    const seen = t.lastEventId.get(key);
    if (seen !== undefined && ev.id <= seen) return false;
    lastEventId.set(key, ev.id);
    return true;
  };
  if (ev.number !== null && fresh(`row:${ev.number}`)) {
    rows = new Map(t.rows);
    if (ev.row) rows.set(ev.number, ev.row);
    else rows.delete(ev.number);
  }
  if (ev.type === 'hotdesk.changed' && fresh(`dev:${ev.device.mac}`)) {
    devices = new Map(t.devices);
    devices.set(ev.device.mac, ev.device);
  }
  if (!rows && !devices) return t;
  return { rows: rows ?? t.rows, devices: devices ?? t.devices, lastEventId };
}

export function applyHotDeskEvents(t: HotDeskTables, events: readonly PbxEvent[]): HotDeskTables {
  let out = t;
  for (const ev of events) out = applyHotDeskEvent(out, ev);
  return out;
}

/** The answer of our own force logout (the phone after it); the row follows with its event. */
export function applyDevice(t: HotDeskTables, device: Device): HotDeskTables {
  const devices = new Map(t.devices);
  devices.set(device.mac, device);
  return { ...t, devices };
}

// ---- pure: searching and filtering -----------------------------------------------------------------------

/** A MAC's 12 hex digits, upper case, for comparing in any notation. */
export function macHex(mac: string): string {
  return mac.replace(/[^0-9a-fA-F]/g, '').toUpperCase();
}

/**
 * The hex digits to look for in MACs when the search looks like (part of) a MAC, else null: it may use any
 * notation (00:15:65, 00-15-65, 0015.65ab, 001565ab), in any case. Short plain digits are taken for an
 * extension number only (a 4-digit extension would otherwise match half the MACs): a MAC search has a
 * separator, a hex letter with 4 or more digits, or 6 or more digits.
 */
export function macSearchHex(query: string): string | null {
  const q = query.trim();
  if (q === '' || !/^[0-9a-fA-F:.\- ]+$/.test(q)) return null;
  const hex = macHex(q);
  if (hex.length === 0 || hex.length > 12) return null;
  const separated = /[:.\- ]/.test(q);
  if (separated) return hex.length >= 2 ? hex : null;
  if (/[a-fA-F]/.test(q)) return hex.length >= 4 ? hex : null;
  return hex.length >= 6 ? hex : null;
}

export type StateFilter = 'any' | DeviceState;

export interface HotDeskFilter {
  search: string;
  state: StateFilter;
  /** '' = every site. */
  site: string;
}

export const NO_FILTER: HotDeskFilter = { search: '', state: 'any', site: '' };

/** Whether a row matches a search: extension number prefix, user name substring, or MAC (any notation). */
export function rowMatchesSearch(row: HotDeskRow, search: string): boolean {
  const q = search.trim();
  if (q === '') return true;
  if (/^[0-9]+$/.test(q) && row.extension.startsWith(q)) return true;
  if (row.label.toLowerCase().includes(q.toLowerCase())) return true;
  const hex = macSearchHex(q);
  if (hex) {
    if (row.device && macHex(row.device.mac).includes(hex)) return true;
    if (row.mapping?.mac && macHex(row.mapping.mac).includes(hex)) return true;
  }
  return false;
}

/** Extension numbers in number order (short before long, then digit by digit). */
export function compareNumbers(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}

/** The rows that pass the filter, in extension order. */
export function filterRows(rows: Iterable<HotDeskRow>, f: HotDeskFilter): HotDeskRow[] {
  const out: HotDeskRow[] = [];
  for (const r of rows) {
    if (f.state !== 'any' && r.state !== f.state) continue;
    if (f.site !== '' && r.siteId !== f.site) continue;
    if (!rowMatchesSearch(r, f.search)) continue;
    out.push(r);
  }
  return out.sort((a, b) => compareNumbers(a.extension, b.extension));
}

/** How many rows are in each state (for the summary line). */
export function stateCounts(rows: Iterable<HotDeskRow>): Record<DeviceState, number> {
  const out: Record<DeviceState, number> = { logged_in: 0, needs_reboot: 0, logged_out: 0 };
  for (const r of rows) out[r.state]++;
  return out;
}

/** Whether staff can log the row's phone out (an extension is on a phone). */
export function canLogOut(row: HotDeskRow): row is HotDeskRow & { device: NonNullable<HotDeskRow['device']> } {
  return row.device !== null && row.state !== 'logged_out';
}

// ---- pure: mappings ----------------------------------------------------------------------------------------

/** The other extension whose mapping has this MAC (normal form), if any: a MAC maps one extension only. */
export function macMappedElsewhere(rows: Iterable<HotDeskRow>, mac: string, exceptNumber: string | null): HotDeskRow | null {
  for (const r of rows) {
    if (r.extension !== exceptNumber && r.mapping?.mac === mac) return r;
  }
  return null;
}

/** Every brand with its templates: the default first, then by name. */
export function templatesByBrand(templates: readonly Template[]): Map<PhoneBrand, Template[]> {
  const out = new Map<PhoneBrand, Template[]>(PhoneBrands.map((b) => [b, []]));
  for (const t of templates) out.get(t.brand)?.push(t);
  for (const list of out.values()) {
    list.sort((a, b) => Number(b.isDefault) - Number(a.isDefault) || a.name.localeCompare(b.name));
  }
  return out;
}

/** A mapping as the PBX would have it after a write of (templateId, MAC text); for comparing versions. */
export function sameMapping(a: Pick<Mapping, 'templateId' | 'mac'>, b: Pick<Mapping, 'templateId' | 'mac'>): boolean {
  return a.templateId === b.templateId && (a.mac ?? null) === (b.mac ?? null);
}

// ---- pure: a site's settings form ------------------------------------------------------------------------

/** The site settings form: every field as typed. */
export interface SiteDraft {
  internalAddress: string;
  externalAddress: string;
  idleMinutes: string;
  dailyAt: string;
  timeZone: string;
}

export type SiteField = 'internalAddress' | 'externalAddress' | 'autoLogout.idleMinutes' | 'autoLogout.dailyAt' | 'autoLogout.timeZone';

export const SITE_FIELD_LABEL: Record<SiteField, string> = {
  internalAddress: 'Internal address',
  externalAddress: 'External address',
  'autoLogout.idleMinutes': 'Log out after idle (minutes)',
  'autoLogout.dailyAt': 'Log everyone out daily at',
  'autoLogout.timeZone': 'Time zone',
};

/** A site's settings as the form's texts (empty = not set / never). */
export function siteDraft(s: SiteHotDesk): SiteDraft {
  return {
    internalAddress: s.internalAddress ?? '',
    externalAddress: s.externalAddress ?? '',
    idleMinutes: s.autoLogout.idleMinutes === null ? '' : String(s.autoLogout.idleMinutes),
    dailyAt: s.autoLogout.dailyAt ?? '',
    timeZone: s.autoLogout.timeZone,
  };
}

export function sameSiteDraft(a: SiteDraft, b: SiteDraft): boolean {
  return (Object.keys(a) as Array<keyof SiteDraft>).every((k) => a[k].trim() === b[k].trim());
}

/** "autoLogout.idleMinutes must be at least 5 minutes" → "Log out after idle (minutes): must be at least 5 minutes." */
export function siteFieldMessage(field: SiteField, message: string): string {
  const m = message.replace(/^[A-Za-z.]+:\s*/, '').replace(new RegExp(`^${field.replace('.', '\\.')}\\s+`), '');
  return `${SITE_FIELD_LABEL[field]}: ${m}${/[.!?]$/.test(m) ? '' : '.'}`;
}

/** The form (texts) as the PBX's write body, or the problems, each on its field. */
export function parseSiteDraft(d: SiteDraft): { value: SiteHotDeskWrite | null; issues: Partial<Record<SiteField, string>> } {
  const issues: Partial<Record<SiteField, string>> = {};
  const idle = d.idleMinutes.trim();
  let idleMinutes: number | null = null;
  if (idle !== '') {
    if (!/^[0-9]+$/.test(idle)) issues['autoLogout.idleMinutes'] = `${SITE_FIELD_LABEL['autoLogout.idleMinutes']}: a whole number of minutes (5 to 10080), or empty for never.`;
    else idleMinutes = Number(idle);
  }
  const body = {
    internalAddress: d.internalAddress.trim() === '' ? null : d.internalAddress.trim(),
    externalAddress: d.externalAddress.trim() === '' ? null : d.externalAddress.trim(),
    autoLogout: { idleMinutes, dailyAt: d.dailyAt.trim() === '' ? null : d.dailyAt.trim(), timeZone: d.timeZone.trim() },
  };
  const r = SiteHotDeskWriteSchema.safeParse(body);
  if (!r.success) {
    for (const issue of r.error.issues) {
      const field = issue.path.join('.') as SiteField;
      if (field in SITE_FIELD_LABEL && !issues[field]) issues[field] = siteFieldMessage(field, issue.message);
    }
  }
  return { value: r.success && Object.keys(issues).length === 0 ? r.data : null, issues };
}

// ---- pure: template settings as text ----------------------------------------------------------------------

const MAX_SETTINGS = MAX_TEMPLATE_SETTINGS;
const MAX_VALUE = MAX_SETTING_VALUE;

export interface SettingsProblem {
  /** 1-based line number. */
  line: number;
  message: string;
}

/** A template's settings as the text the editor shows: one `name = value` per line. */
export function settingsToText(settings: Readonly<Record<string, string>>): string {
  return Object.entries(settings)
    .map(([k, v]) => `${k} = ${v}`)
    .join('\n');
}

/**
 * The editor's text read back: `name = value` per line (spaces around `=` ignored; blank lines and lines
 * starting with # skipped). Each problem names its line and the rule, the way the PBX would refuse it.
 */
export function parseSettingsText(text: string): { settings: Record<string, string>; problems: SettingsProblem[] } {
  const settings: Record<string, string> = {};
  const problems: SettingsProblem[] = [];
  const seenAt = new Map<string, number>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    const s = raw.trim();
    if (s === '' || s.startsWith('#')) return;
    const eq = s.indexOf('=');
    if (eq < 0) {
      problems.push({ line, message: `Line ${line}: write a setting as name = value (no “=” in “${clip(s)}”).` });
      return;
    }
    const name = s.slice(0, eq).trim();
    const value = s.slice(eq + 1).trim();
    if (!SETTING_NAME.test(name)) {
      problems.push({
        line,
        message:
          name === ''
            ? `Line ${line}: the setting name before “=” is missing.`
            : `Line ${line}: “${clip(name)}” is not a setting name: lowercase letters, digits, dots and underscores, starting with a letter (at most 64).`,
      });
      return;
    }
    if (value.length > MAX_VALUE) {
      problems.push({ line, message: `Line ${line}: the value of ${name} is ${value.length} characters; at most ${MAX_VALUE}.` });
      return;
    }
    const before = seenAt.get(name);
    if (before !== undefined) {
      problems.push({ line, message: `Line ${line}: ${name} is already set on line ${before}; a setting appears once.` });
      return;
    }
    seenAt.set(name, line);
    settings[name] = value;
  });
  const n = Object.keys(settings).length;
  if (n > MAX_SETTINGS) problems.push({ line: 0, message: `A template has at most ${MAX_SETTINGS} settings; this one has ${n}.` });
  return { settings, problems };
}

function clip(s: string): string {
  return s.length > 40 ? `${s.slice(0, 39)}…` : s;
}

// ---- the store ---------------------------------------------------------------------------------------------

export interface HotDeskSnapshot extends LiveSnapshot<HotDeskTables> {
  sites: readonly Site[];
}

/** What the store needs from the outside world (the RPC client and the event stream), injectable for tests. */
export interface HotDeskDeps extends LiveDeps {
  loadRows(): Promise<{ items: HotDeskRow[] }>;
  loadDevices(): Promise<{ items: Device[] }>;
  loadSites(): Promise<{ items: Site[] }>;
}

export class HotDeskStore extends LiveStore<HotDeskTables, HotDeskSnapshot> {
  constructor(private readonly deps: HotDeskDeps) {
    super(deps, () => ({ tables: emptyHotDesk(), sites: [], status: 'idle', error: null, version: 0 }));
  }

  protected accepts(ev: PbxEvent): boolean {
    return isHotDeskEvent(ev);
  }

  protected apply(t: HotDeskTables, ev: PbxEvent): HotDeskTables {
    return applyHotDeskEvent(t, ev);
  }

  protected async fetch(): Promise<{ tables: HotDeskTables; sites: Site[] }> {
    const [rows, devices, sites] = await Promise.all([this.deps.loadRows(), this.deps.loadDevices(), this.deps.loadSites()]);
    return { tables: hotDeskFromLists(rows.items, devices.items), sites: sites.items };
  }

  override onStreamEvent(e: StreamEvent): void {
    if (e.kind === 'pbx' && e.event.type === 'hotdesk.settings_changed') {
      // A phone was added: the phones again (the rows are unchanged). A template renamed: the rows name it,
      // and no row event says so — everything again (a few hundred rows at most).
      if (e.event.what === 'devices') void this.loadDevices();
      else if (e.event.what === 'templates') void this.load();
      return;
    }
    super.onStreamEvent(e);
  }

  private async loadDevices(): Promise<void> {
    const seq = this.loadSeq;
    try {
      const devices = await this.deps.loadDevices();
      if (seq !== this.loadSeq) return;
      const t = this.snap.tables;
      const next = new Map(devices.items.map((d) => [d.mac, d]));
      // A phone an event changed meanwhile keeps the event's version.
      for (const [mac, d] of t.devices) if (t.lastEventId.has(`dev:${mac}`)) next.set(mac, d);
      this.set({ tables: { ...t, devices: next } });
    } catch {
      // The next full load corrects the list.
    }
  }

  applyDevice(device: Device): void {
    this.set({ tables: applyDevice(this.snap.tables, device) });
  }
}

let shared: HotDeskStore | null = null;

/** The renderer's one store (created on first use). */
export function getHotDeskStore(): HotDeskStore {
  if (!shared) {
    shared = new HotDeskStore({
      loadRows: () => call('hotdesk.list', {}),
      loadDevices: () => call('hotdesk.devices', {}),
      loadSites: () => call('sites.list', {}),
      subscribe: subscribeEvents,
      errorBody,
    });
  }
  return shared;
}

/**
 * The live hot-desk tables for a component: keeps the store subscribed while mounted and loads it for each
 * online epoch (the connection came (back) online).
 */
export function useHotDesk(onlineEpoch: number): HotDeskSnapshot & { store: HotDeskStore } {
  return useLiveStore(getHotDeskStore(), onlineEpoch);
}

// ---- the admin panels' lists -------------------------------------------------------------------------------

/** Which lists a `hotdesk.settings_changed` (or another event) makes stale. */
export function staleAfter(ev: PbxEvent, what: 'templates' | 'site' | 'passwords'): boolean {
  if (ev.type === 'hotdesk.settings_changed') return ev.what === what;
  // A template's "used by N mappings" changes with the mappings.
  return what === 'templates' && ev.type === 'hotdesk.mapping_changed';
}

export interface LiveList<T> {
  data: T | null;
  error: ErrorBody | null;
  reload: () => void;
  /** Our own write's answer, shown at once (its event reloads the list anyway). */
  setData: (data: T) => void;
}

/**
 * One of the admin panels' lists (templates, site settings, passwords): loaded for each online epoch, again
 * after a stream gap and whenever an event says it changed. Only the latest load lands.
 */
export function useLiveList<T>(load: () => Promise<T>, what: 'templates' | 'site' | 'passwords', onlineEpoch: number): LiveList<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<ErrorBody | null>(null);
  const seq = useRef(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  const reload = useCallback(() => {
    const mine = ++seq.current;
    loadRef.current().then(
      (d) => {
        if (mine !== seq.current) return;
        setData(d);
        setError(null);
      },
      (e: unknown) => {
        if (mine === seq.current) setError(errorBody(e));
      },
    );
  }, []);
  useEffect(() => {
    if (onlineEpoch > 0) reload();
  }, [onlineEpoch, reload]);
  useEffect(
    () =>
      subscribeEvents((e) => {
        if (e.kind === 'resync' || (e.kind === 'pbx' && staleAfter(e.event, what))) reload();
      }),
    [reload, what],
  );
  const set = useCallback((d: T) => {
    seq.current++;
    setData(d);
    setError(null);
  }, []);
  return { data, error, reload, setData: set };
}

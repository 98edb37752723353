// The console's live hot-desk table (renderer/src/lib/hotdesk.ts): how `hotdesk.changed` and
// `hotdesk.mapping_changed` patch the rows and phones (including the two events of a move), how a load and the
// events that arrive meanwhile combine, resync; searching (extension prefix, name, MAC in any notation) and
// filtering; a template's `name = value` text. Pure functions plus the store with a fake RPC and event stream
// (a unit test of one module; the real PBX is exercised by test/e2e/hotdesk.spec.ts).
import { describe, expect, it } from 'vitest';
import type { Device, HotDeskRow, Mapping } from '../../shared/hotdesk.js';
import type { PbxEvent } from '../../shared/events.js';
import type { StreamEvent } from '../../renderer/src/api.js';
import {
  applyDevice,
  applyHotDeskEvent,
  applyHotDeskEvents,
  canLogOut,
  emptyHotDesk,
  filterRows,
  hotDeskFromLists,
  HotDeskStore,
  macMappedElsewhere,
  macSearchHex,
  NO_FILTER,
  parseSettingsText,
  parseSiteDraft,
  rowMatchesSearch,
  sameSiteDraft,
  siteDraft,
  settingsToText,
  stateCounts,
  staleAfter,
  templatesByBrand,
} from '../../renderer/src/lib/hotdesk.js';

const AT = '2026-11-29T10:00:00.000Z';
const MAC_A = '80:5E:C0:11:00:01';
const MAC_B = '00:08:5D:22:00:01';

function device(over: Partial<Device> = {}): Device {
  return {
    mac: MAC_A,
    brand: 'yealink',
    model: 'T54W',
    firmware: '96.86.0.70',
    siteId: 'hq',
    lastSeenAddress: '127.0.0.2',
    lastSeenAt: AT,
    state: 'logged_out',
    extension: null,
    templateId: null,
    since: AT,
    lastActivityAt: null,
    ...over,
  };
}

function mapping(over: Partial<Mapping> = {}): Mapping {
  return { extension: '1001', templateId: 2, mac: null, updatedAt: AT, updatedBy: 'admin', etag: '"m1"', ...over };
}

function row(over: Partial<HotDeskRow> = {}): HotDeskRow {
  return {
    extension: '1001',
    label: 'Ada Lovelace',
    siteId: 'hq',
    state: 'logged_in',
    since: AT,
    device: { mac: MAC_A, brand: 'yealink', model: 'T54W', siteId: 'hq', address: '127.0.0.2' },
    template: { id: 1, name: 'Standard', brand: 'yealink' },
    mapping: null,
    ...over,
  };
}

function loggedOut(over: Partial<HotDeskRow> = {}): HotDeskRow {
  return row({ state: 'logged_out', device: null, since: null, mapping: mapping(), template: { id: 2, name: 'Reception', brand: 'yealink' }, ...over });
}

let nextId = 100;
function changed(over: Partial<Extract<PbxEvent, { type: 'hotdesk.changed' }>> = {}): PbxEvent {
  return {
    type: 'hotdesk.changed',
    id: nextId++,
    at: AT,
    action: 'logged_in',
    by: 'device',
    address: '127.0.0.2',
    number: '1001',
    siteId: 'hq',
    device: device({ state: 'logged_in', extension: '1001' }),
    row: row(),
    ...over,
  };
}

function mappingChanged(over: Partial<Extract<PbxEvent, { type: 'hotdesk.mapping_changed' }>> = {}): PbxEvent {
  return {
    type: 'hotdesk.mapping_changed',
    id: nextId++,
    at: AT,
    action: 'created',
    by: 'admin',
    address: '127.0.0.1',
    number: '1001',
    siteId: 'hq',
    row: loggedOut(),
    ...over,
  };
}

describe('applying live events', () => {
  it('a login adds the row and updates the phone; a logout of a mapped extension keeps a logged-out row', () => {
    let t = applyHotDeskEvent(emptyHotDesk(), changed());
    expect(t.rows.get('1001')?.state).toBe('logged_in');
    expect(t.devices.get(MAC_A)?.extension).toBe('1001');
    t = applyHotDeskEvent(t, changed({ action: 'logged_out', device: device(), row: loggedOut() }));
    expect(t.rows.get('1001')).toMatchObject({ state: 'logged_out', device: null });
    expect(t.devices.get(MAC_A)?.state).toBe('logged_out');
  });

  it('a logout of an unmapped extension removes its row (row null)', () => {
    let t = applyHotDeskEvent(emptyHotDesk(), changed());
    t = applyHotDeskEvent(t, changed({ action: 'forced_logout', device: device(), row: null }));
    expect(t.rows.has('1001')).toBe(false);
    expect(t.devices.get(MAC_A)?.state).toBe('logged_out');
  });

  it('a move: "moved" for phone A then "logged_in" for phone B, both with the row after the whole change', () => {
    const onB = row({ device: { mac: MAC_B, brand: 'aastra', model: '6867i', siteId: 'hq', address: '127.0.0.3' } });
    let t = applyHotDeskEvent(emptyHotDesk(), changed());
    t = applyHotDeskEvents(t, [
      changed({ action: 'moved', device: device(), row: onB }),
      changed({ action: 'logged_in', device: device({ mac: MAC_B, brand: 'aastra', model: '6867i', state: 'logged_in', extension: '1001' }), row: onB }),
    ]);
    expect(t.rows.size).toBe(1);
    expect(t.rows.get('1001')?.device?.mac).toBe(MAC_B);
    expect(t.devices.get(MAC_A)?.state).toBe('logged_out');
    expect(t.devices.get(MAC_B)?.extension).toBe('1001');
  });

  it('an event older than the one already applied to the same row is ignored; other rows are independent', () => {
    const newer = changed({ id: 500, row: row({ state: 'needs_reboot' }), device: device({ state: 'needs_reboot', extension: '1001' }) });
    const older = changed({ id: 499, row: row({ state: 'logged_in' }) });
    let t = applyHotDeskEvent(emptyHotDesk(), newer);
    const same = applyHotDeskEvent(t, older);
    expect(same).toBe(t);
    expect(t.rows.get('1001')?.state).toBe('needs_reboot');
    t = applyHotDeskEvent(t, changed({ id: 498, number: '1002', row: row({ extension: '1002', label: 'Bob' }), device: device({ mac: MAC_B }) }));
    expect(t.rows.get('1002')?.label).toBe('Bob');
  });

  it('mapping events add, change and remove rows; other event types change nothing', () => {
    let t = applyHotDeskEvent(emptyHotDesk(), mappingChanged());
    expect(t.rows.get('1001')?.mapping?.templateId).toBe(2);
    t = applyHotDeskEvent(t, mappingChanged({ action: 'updated', row: loggedOut({ mapping: mapping({ mac: MAC_A }) }) }));
    expect(t.rows.get('1001')?.mapping?.mac).toBe(MAC_A);
    t = applyHotDeskEvent(t, mappingChanged({ action: 'deleted', row: null }));
    expect(t.rows.size).toBe(0);
    const other: PbxEvent = { type: 'hotdesk.settings_changed', id: nextId++, at: AT, what: 'templates', by: 'admin', address: '127.0.0.1' };
    expect(applyHotDeskEvent(t, other)).toBe(t);
  });

  it('an event without an extension (number null) updates only the phone', () => {
    const t = applyHotDeskEvent(hotDeskFromLists([row()], [device()]), changed({ number: null, row: null, action: 'rebooted', device: device({ lastSeenAddress: '127.0.0.9' }) }));
    expect(t.rows.get('1001')?.state).toBe('logged_in');
    expect(t.devices.get(MAC_A)?.lastSeenAddress).toBe('127.0.0.9');
  });

  it('our own force logout answer updates the phone at once', () => {
    const t = applyDevice(hotDeskFromLists([], [device({ state: 'logged_in', extension: '1001' })]), device());
    expect(t.devices.get(MAC_A)?.state).toBe('logged_out');
  });

  it('the admin lists go stale on their own settings event; templates also on a mapping change', () => {
    const settings = (what: 'templates' | 'site' | 'passwords' | 'devices'): PbxEvent => ({ type: 'hotdesk.settings_changed', id: 1, at: AT, what, by: 'a', address: 'x' });
    expect(staleAfter(settings('site'), 'site')).toBe(true);
    expect(staleAfter(settings('site'), 'passwords')).toBe(false);
    expect(staleAfter(mappingChanged(), 'templates')).toBe(true);
    expect(staleAfter(mappingChanged(), 'site')).toBe(false);
  });
});

describe('search and filters', () => {
  const rows = [
    row({ extension: '1001', label: 'Ada Lovelace' }),
    row({ extension: '1100', label: 'Grace Hopper', state: 'needs_reboot', device: { mac: MAC_B, brand: 'aastra', model: '6867i', siteId: 'hq', address: null } }),
    loggedOut({ extension: '2000', label: 'Alan Turing', siteId: 'north', mapping: mapping({ extension: '2000', mac: '64:16:7F:44:00:02' }) }),
    row({ extension: '10', label: 'Lobby', siteId: 'south', device: { mac: '00:04:13:55:00:01', brand: 'snom', model: 'D785', siteId: 'south', address: null } }),
  ];
  const numbers = (f: Partial<typeof NO_FILTER>) => filterRows(rows, { ...NO_FILTER, ...f }).map((r) => r.extension);

  it('lists every row in extension order without a filter', () => {
    expect(numbers({})).toEqual(['10', '1001', '1100', '2000']);
  });

  it('finds by extension number prefix, not in the middle', () => {
    expect(numbers({ search: '10' })).toEqual(['10', '1001']);
    expect(numbers({ search: '100' })).toEqual(['1001']);
    expect(numbers({ search: '00' })).toEqual([]);
  });

  it('finds by part of the name, in any case', () => {
    expect(numbers({ search: 'hopper' })).toEqual(['1100']);
    expect(numbers({ search: ' TURING ' })).toEqual(['2000']);
  });

  it('finds by MAC in any notation: colons, dashes, Cisco dots, none; upper or lower case; part of it', () => {
    for (const q of ['00:08:5D:22:00:01', '00-08-5d-22-00-01', '0008.5d22.0001', '00085d220001', '5d:22', '5D22']) {
      expect(numbers({ search: q }), q).toEqual(['1100']);
    }
    // the mapping's MAC of a logged-out row counts too
    expect(numbers({ search: '64-16-7f-44-00-02' })).toEqual(['2000']);
    expect(numbers({ search: '0004.1355' })).toEqual(['10']);
  });

  it('short plain digits are an extension search only; a MAC search needs a separator, a hex letter or 6+ digits', () => {
    expect(macSearchHex('1001')).toBeNull();
    expect(macSearchHex('00:15')).toBe('0015');
    expect(macSearchHex('abcd')).toBe('ABCD');
    expect(macSearchHex('abc')).toBeNull();
    expect(macSearchHex('001565')).toBe('001565');
    expect(macSearchHex('Ada')).toBeNull();
    expect(macSearchHex('00:15:65:AB:CD:EF:01')).toBeNull();
    expect(rowMatchesSearch(rows[0]!, '')).toBe(true);
  });

  it('filters by state and site, combined with the search', () => {
    expect(numbers({ state: 'needs_reboot' })).toEqual(['1100']);
    expect(numbers({ state: 'logged_out' })).toEqual(['2000']);
    expect(numbers({ site: 'south' })).toEqual(['10']);
    expect(numbers({ site: 'hq', search: 'a' })).toEqual(['1001', '1100']);
    expect(numbers({ site: 'north', state: 'logged_in' })).toEqual([]);
  });

  it('counts states and says which rows can be logged out', () => {
    expect(stateCounts(rows)).toEqual({ logged_in: 2, needs_reboot: 1, logged_out: 1 });
    expect(rows.map(canLogOut)).toEqual([true, true, false, true]);
  });

  it('finds the other mapping that already has a MAC (not the extension being edited)', () => {
    const withMac = [loggedOut({ extension: '2000', mapping: mapping({ extension: '2000', mac: MAC_A }) })];
    expect(macMappedElsewhere(withMac, MAC_A, '1001')?.extension).toBe('2000');
    expect(macMappedElsewhere(withMac, MAC_A, '2000')).toBeNull();
    expect(macMappedElsewhere(withMac, MAC_B, null)).toBeNull();
  });
});

describe('templates', () => {
  const t = (id: number, brand: 'yealink' | 'snom', name: string, isDefault = false) => ({
    id, brand, name, isDefault, settings: {}, mappings: 0, updatedAt: AT, updatedBy: null, etag: `"t${id}"`,
  });

  it('groups by brand, default first, then by name; every brand listed', () => {
    const g = templatesByBrand([t(1, 'yealink', 'Zeta'), t(2, 'yealink', 'Alpha'), t(3, 'yealink', 'Standard', true), t(4, 'snom', 'S', true)]);
    expect(g.get('yealink')!.map((x) => x.name)).toEqual(['Standard', 'Alpha', 'Zeta']);
    expect(g.get('snom')!.map((x) => x.id)).toEqual([4]);
    expect(g.get('digium')).toEqual([]);
  });

  it('reads name = value lines back, skipping blanks and comments; round-trips', () => {
    const text = 'lang.gui = English\n\n# a comment\nlinekey.1.type=16\nempty = \nurl = http://x/?a=b';
    const r = parseSettingsText(text);
    expect(r.problems).toEqual([]);
    expect(r.settings).toEqual({ 'lang.gui': 'English', 'linekey.1.type': '16', empty: '', url: 'http://x/?a=b' });
    expect(parseSettingsText(settingsToText(r.settings)).settings).toEqual(r.settings);
  });

  it('names each bad line and its rule', () => {
    const r = parseSettingsText('ok = 1\nno equals sign\nBad.Name = 2\n= 3\nok = 4\nlong = ' + 'x'.repeat(257));
    expect(r.problems.map((p) => p.line)).toEqual([2, 3, 4, 5, 6]);
    expect(r.problems[0]!.message).toMatch(/^Line 2: write a setting as name = value/);
    expect(r.problems[1]!.message).toMatch(/^Line 3: “Bad.Name” is not a setting name: lowercase letters/);
    expect(r.problems[2]!.message).toMatch(/^Line 4: the setting name before “=” is missing/);
    expect(r.problems[3]!.message).toMatch(/^Line 5: ok is already set on line 1/);
    expect(r.problems[4]!.message).toMatch(/^Line 6: the value of long is 257 characters; at most 256/);
    expect(r.settings).toEqual({ ok: '1' });
  });

  it('refuses more than 100 settings', () => {
    const text = Array.from({ length: 101 }, (_, i) => `s${i} = ${i}`).join('\n');
    expect(parseSettingsText(text).problems).toEqual([{ line: 0, message: 'A template has at most 100 settings; this one has 101.' }]);
  });
});

describe('site settings form', () => {
  const site = {
    siteId: 'hq', siteName: 'Headquarters', internalAddress: '10.1.0.10', externalAddress: null,
    autoLogout: { idleMinutes: null, dailyAt: '23:30', timeZone: 'UTC' }, updatedAt: AT, updatedBy: 'system', etag: '"s1"',
  };

  it('shows the settings as texts (empty = not set / never) and reads them back', () => {
    const d = siteDraft(site);
    expect(d).toEqual({ internalAddress: '10.1.0.10', externalAddress: '', idleMinutes: '', dailyAt: '23:30', timeZone: 'UTC' });
    expect(parseSiteDraft({ ...d, idleMinutes: ' 240 ', externalAddress: 'pbx.example.com:5061' })).toEqual({
      value: { internalAddress: '10.1.0.10', externalAddress: 'pbx.example.com:5061', autoLogout: { idleMinutes: 240, dailyAt: '23:30', timeZone: 'UTC' } },
      issues: {},
    });
    expect(sameSiteDraft(d, { ...d, internalAddress: ' 10.1.0.10 ' })).toBe(true);
    expect(sameSiteDraft(d, { ...d, dailyAt: '' })).toBe(false);
  });

  it('names each bad field by its label and the rule', () => {
    const r = parseSiteDraft({ internalAddress: 'office pbx', externalAddress: '', idleMinutes: '3', dailyAt: '24:00', timeZone: 'Mars/Olympus' });
    expect(r.value).toBeNull();
    expect(r.issues).toEqual({
      internalAddress: 'Internal address: enter a host name or IP address, optionally with :port (e.g. 10.1.0.10 or pbx.example.com:5061).',
      'autoLogout.idleMinutes': 'Log out after idle (minutes): must be at least 5 minutes.',
      'autoLogout.dailyAt': 'Log everyone out daily at: must be a time like 23:30 (24-hour HH:MM).',
      'autoLogout.timeZone': 'Time zone: must be a time zone name like Europe/Berlin or UTC.',
    });
    expect(parseSiteDraft({ ...siteDraft(site), idleMinutes: 'ten' }).issues['autoLogout.idleMinutes']).toBe(
      'Log out after idle (minutes): a whole number of minutes (5 to 10080), or empty for never.',
    );
  });
});

describe('the store', () => {
  function harness() {
    let listener: ((e: StreamEvent) => void) | null = null;
    const answers: Array<(v: { items: HotDeskRow[] }) => void> = [];
    let deviceLoads = 0;
    const store = new HotDeskStore({
      loadRows: () => new Promise((resolve) => answers.push(resolve)),
      loadDevices: () => {
        deviceLoads++;
        return Promise.resolve({ items: [device()] });
      },
      loadSites: () => Promise.resolve({ items: [{ id: 'hq', name: 'Headquarters', extensionCount: 10 }] }),
      subscribe: (l) => {
        listener = l;
        return () => (listener = null);
      },
      errorBody: (e) => ({ code: 'internal', message: String(e) }),
    });
    const release = store.retain();
    return {
      store,
      release,
      emit: (ev: PbxEvent) => listener?.({ kind: 'pbx', event: ev }),
      resync: () => listener?.({ kind: 'resync' }),
      answer: (items: HotDeskRow[]) => answers.shift()!({ items }),
      pendingLoads: () => answers.length,
      deviceLoads: () => deviceLoads,
      subscribed: () => listener !== null,
    };
  }
  const flush = () => new Promise((r) => setTimeout(r, 0));

  it('applies events that arrive while the list is loading on top of the answer', async () => {
    const h = harness();
    h.store.loadForEpoch(1);
    expect(h.store.getSnapshot().status).toBe('loading');
    h.emit(changed({ number: '1002', row: row({ extension: '1002', label: 'Bob' }), device: device({ mac: MAC_B }) }));
    h.answer([loggedOut()]);
    await flush();
    const snap = h.store.getSnapshot();
    expect(snap.status).toBe('ready');
    expect([...snap.tables.rows.keys()].sort()).toEqual(['1001', '1002']);
    expect(snap.sites.map((s) => s.name)).toEqual(['Headquarters']);
  });

  it('loads once per online epoch, reloads after a resync, the phones on a devices event, all on a templates event', async () => {
    const h = harness();
    h.store.loadForEpoch(1);
    h.store.loadForEpoch(1);
    expect(h.pendingLoads()).toBe(1);
    h.answer([]);
    await flush();
    h.resync();
    expect(h.pendingLoads()).toBe(1);
    h.answer([row()]);
    await flush();
    expect(h.store.getSnapshot().tables.rows.get('1001')?.state).toBe('logged_in');
    const before = h.deviceLoads();
    h.emit({ type: 'hotdesk.settings_changed', id: nextId++, at: AT, what: 'devices', by: 'admin', address: '127.0.0.1' });
    await flush();
    expect(h.deviceLoads()).toBe(before + 1);
    expect(h.pendingLoads()).toBe(0);
    // A template change (a rename shows in the rows): the whole table again; site or password changes: nothing.
    h.emit({ type: 'hotdesk.settings_changed', id: nextId++, at: AT, what: 'site', by: 'admin', address: '127.0.0.1' });
    expect(h.pendingLoads()).toBe(0);
    h.emit({ type: 'hotdesk.settings_changed', id: nextId++, at: AT, what: 'templates', by: 'admin', address: '127.0.0.1' });
    expect(h.pendingLoads()).toBe(1);
  });

  it('patches live after the load and forgets everything when the last user leaves', async () => {
    const h = harness();
    h.store.loadForEpoch(1);
    h.answer([row()]);
    await flush();
    h.emit(changed({ action: 'forced_logout', device: device(), row: null }));
    expect(h.store.getSnapshot().tables.rows.size).toBe(0);
    h.release();
    expect(h.subscribed()).toBe(false);
    expect(h.store.getSnapshot().status).toBe('idle');
  });
});

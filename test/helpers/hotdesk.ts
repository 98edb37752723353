// What the hot-desk integration tests share: picking extensions from a pool, fresh loopback addresses (each
// file its own range), a phone's login (POST /device/v1/hotdesk/login) and the admin's reads of the hot-desk
// rows and the devices, and waiting for a hot-desk event. Built on the harness in ./server.ts.
import { expect } from 'vitest';
import type { Extension } from '../../shared/domain.js';
import type { PbxEvent } from '../../shared/events.js';
import { DeviceConfigSchema, DeviceListSchema, HotDeskListSchema, type Device, type HotDeskRow } from '../../shared/hotdesk.js';
import type { EventStream, TestPbx } from './server.js';

export type HotDeskEvent = Extract<PbxEvent, { type: 'hotdesk.changed' }>;

/** The next extension of `pool` (taken out of it); `what` names the pool when it has run dry. */
export function takeFrom(pool: Extension[], what?: string): Extension {
  const e = pool.shift();
  if (!e) throw new Error(what === undefined ? 'out of extensions' : `out of ${what} extensions`);
  return e;
}

/** Fresh loopback addresses `${prefix}${start}`, `${prefix}${start + 1}`, …: hosts that have not failed anything yet. */
export function loopbackHosts(prefix: string, start: number): () => string {
  let next = start;
  return () => `${prefix}${next++}`;
}

/** The hot-desk helpers of one test file; the PBX (and the default event stream) are read at call time. */
export function hotDeskHelpers(pbx: () => TestPbx, stream?: () => EventStream) {
  const login = (mac: string, extension: string, password: string, from: string, network: 'internal' | 'external' = 'internal') =>
    pbx().device('/device/v1/hotdesk/login', { mac, network, extension, password }, { from });
  const loginOk = async (mac: string, extension: string, password: string, from: string) => {
    const r = await login(mac, extension, password, from);
    expect(r.status, r.text).toBe(200);
    return DeviceConfigSchema.parse(r.json);
  };
  const rows = async (token?: string): Promise<HotDeskRow[]> => {
    const r = await pbx().api('GET', '/api/v1/hotdesk', token ? { token } : {});
    expect(r.status, r.text).toBe(200);
    return HotDeskListSchema.parse(r.json).items;
  };
  const devices = async (): Promise<Device[]> => {
    const r = await pbx().api('GET', '/api/v1/devices');
    expect(r.status, r.text).toBe(200);
    return DeviceListSchema.parse(r.json).items;
  };
  const deviceOf = async (mac: string): Promise<Device> => {
    const d = (await devices()).find((x) => x.mac === mac);
    if (!d) throw new Error(`no device ${mac}`);
    return d;
  };
  const hotdeskEvent = (match: (e: HotDeskEvent) => boolean, s?: EventStream) => {
    const on = s ?? stream?.();
    if (!on) throw new Error('hotdeskEvent: no event stream');
    return on.waitFor((e) => e.type === 'hotdesk.changed' && match(e)) as Promise<HotDeskEvent>;
  };
  return { login, loginOk, rows, devices, deviceOf, hotdeskEvent };
}

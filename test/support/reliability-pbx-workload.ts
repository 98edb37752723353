// The write-heavy run of test/integration/reliability-pbx-kill.test.ts: lanes of writes over the real management
// API, each lane owning its own resources and writing them one request at a time, with a model of what the PBX
// must hold. For every resource the model keeps the ACKNOWLEDGED state (the last write whose 2xx response the
// client received in full, or what the last check saw) and, while a request is out, the state that request would
// leave (PENDING). After a kill -9 and a restart, each resource must be in its acknowledged state, or — only if a
// request was out at the kill — in that request's state. Nothing else.
import { isDeepStrictEqual } from 'node:util';
import type { ExtensionList, PinPolicyResource } from '../../shared/api.js';
import type { Extension } from '../../shared/domain.js';
import type { HotDeskRow, Mapping, Template } from '../../shared/hotdesk.js';
import type { AddressBan, AllowEntry, LockoutPolicy, LockoutPolicyResource } from '../../shared/lockout.js';
import { checkPin, defaultPinPolicy, pinPolicyPreset, PinPresets, type PinPolicy } from '../../shared/pin-policy.js';
import { httpRequest, type HttpResult } from '../helpers/server.js';
import type { Random } from './reliability-lib.js';

const API = '/api/v1';

type HotDeskList = { items: HotDeskRow[] };

/** The PBX went away (the kill): the request's outcome is unknown. */
export class Unreachable extends Error {}

export class PbxClient {
  constructor(
    public url: string,
    public token: string,
  ) {}

  async call<T>(method: string, path: string, body?: unknown, ifMatch?: string): Promise<HttpResult<T>> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}` };
    if (ifMatch !== undefined) headers['if-match'] = ifMatch;
    try {
      return await httpRequest<T>(`${this.url}${path}`, { method, headers, body });
    } catch (error) {
      throw new Unreachable(`${method} ${path}: ${(error as Error).message}`);
    }
  }

  /** A read that must answer 200. */
  async get<T>(path: string): Promise<T> {
    const r = await this.call<T>('GET', path);
    if (r.status !== 200) throw new Error(`GET ${path}: ${r.status} ${r.text}`);
    return r.json;
  }

  device<T>(path: string, body: unknown): Promise<HttpResult<T>> {
    return httpRequest<T>(`${this.url}/device/v1${path}`, { method: 'POST', body });
  }
}

export interface WriteStats {
  /** Writes answered 2xx (acknowledged). */
  acked: number;
  /** Writes refused with an answer the model allows (nothing changed). */
  refused: number;
}

/** One resource: its acknowledged state and, while a request is out, what that request would leave. */
interface Slot<S> {
  name: string;
  acked: S;
  /** Does `actual` show the write in flight at the kill? null: no write was out. */
  pending: ((actual: S) => boolean) | null;
  pendingWhat: string;
}

function settle<S>(slot: Slot<S>, actual: S, same: (a: S, b: S) => boolean, where: string): 'acked' | 'pending' {
  if (same(actual, slot.acked)) {
    slot.pending = null;
    return 'acked';
  }
  if (slot.pending?.(actual)) {
    slot.acked = actual;
    slot.pending = null;
    return 'pending';
  }
  throw new Error(
    `${where}: ${slot.name} lost an acknowledged write.\n  acknowledged: ${JSON.stringify(slot.acked)}\n` +
      `  write in flight at the kill: ${slot.pending ? slot.pendingWhat : 'none'}\n  after restart: ${JSON.stringify(actual)}`,
  );
}

export interface Lane {
  name: string;
  /** One write (resolves when answered); throws Unreachable when the PBX is gone. */
  step(pbx: PbxClient, rnd: Random, stats: WriteStats): Promise<void>;
  /** After a restart: the PBX holds every acknowledged write (and maybe the one in flight); adopt what it holds. */
  verify(pbx: PbxClient, where: string, rnd: Random): Promise<{ acked: number; pending: number }>;
}

function unexpected(r: HttpResult, what: string): Error {
  return new Error(`${what}: unexpected ${r.status} ${r.text}`);
}

const ok = (r: HttpResult) => r.status >= 200 && r.status < 300;

// ---- extensions: protection, voicemail trust, voicemail PIN -------------------------------------------

/** An extension as compared: meetsCurrentPolicy follows the policies of the moment, not this extension's writes. */
function comparable(e: Extension): Extension {
  if (!e.credentials) return e;
  const credentials = Object.fromEntries(
    Object.entries(e.credentials).map(([k, m]) => [k, { ...m, meetsCurrentPolicy: undefined }]),
  ) as unknown as Extension['credentials'];
  return { ...e, credentials };
}
const sameExtension = (a: Extension, b: Extension) => isDeepStrictEqual(comparable(a), comparable(b));

/** Writes to a few extensions of their own; `plan` picks a change for one of them. */
abstract class ExtensionLane implements Lane {
  abstract name: string;
  readonly slots: Slot<Extension>[];

  constructor(extensions: Extension[]) {
    this.slots = extensions.map((e) => ({ name: `extension ${e.number}`, acked: e, pending: null, pendingWhat: '' }));
  }

  protected abstract plan(e: Extension, rnd: Random): { method: string; path: string; body?: unknown; what: string; expect: (n: Extension) => boolean } | null;

  /** A write answered with this status changed nothing (and the model allows it). */
  protected refusalAllowed(_r: HttpResult): boolean {
    return false;
  }

  protected onAcked(_slot: Slot<Extension>, _body: unknown): void {}

  async step(pbx: PbxClient, rnd: Random, stats: WriteStats): Promise<void> {
    const slot = rnd.pick(this.slots);
    const before = slot.acked;
    const p = this.plan(before, rnd);
    if (!p) return;
    const predicted = (n: Extension) => n.version === before.version + 1 && p.expect(n);
    slot.pending = predicted;
    slot.pendingWhat = p.what;
    const r = await pbx.call<Extension>(p.method, p.path, p.body, before.etag);
    if (ok(r)) {
      if (!predicted(r.json)) throw new Error(`${this.name}: ${p.what} answered ${JSON.stringify(r.json)}, not what the model predicts`);
      slot.acked = r.json;
      this.onAcked(slot, p.body);
      stats.acked++;
    } else if (this.refusalAllowed(r)) {
      stats.refused++;
    } else {
      throw unexpected(r, `${this.name}: ${p.what}`);
    }
    slot.pending = null;
  }

  async verify(pbx: PbxClient, where: string): Promise<{ acked: number; pending: number }> {
    const out = { acked: 0, pending: 0 };
    for (const slot of this.slots) {
      const actual = await pbx.get<Extension>(`${API}/extensions/${slot.acked.number}`);
      out[settle(slot, actual, sameExtension, `${where} (${this.name})`)]++;
    }
    return out;
  }
}

/** 3 to 8 digits (the protection password policy is VoipNow's: any 3 to 12 digits). */
const protectionPassword = (rnd: Random) => Array.from({ length: rnd.int(3, 8) }, () => String(rnd.int(0, 9))).join('');

/** Protected phone access: on (with a new password or not), off, block, unblock. */
export class ProtectionLane extends ExtensionLane {
  name = 'protection';

  protected plan(e: Extension, rnd: Random) {
    const path = `${API}/extensions/${e.number}/protection`;
    const p = e.protection;
    if (!p.enabled) {
      const password = !p.passwordSet || rnd.chance(0.3) ? protectionPassword(rnd) : undefined;
      return {
        method: 'PUT', path, body: password === undefined ? { enabled: true } : { enabled: true, password },
        what: `protection on${password ? ' with a new password' : ''} for ${e.number}`,
        expect: (n: Extension) => n.protection.enabled && n.protection.passwordSet && n.protection.state === 'unrestricted',
      };
    }
    const dice = rnd.next();
    if (dice < 0.15) {
      return { method: 'PUT', path, body: { enabled: false }, what: `protection off for ${e.number}`, expect: (n: Extension) => !n.protection.enabled };
    }
    if (dice < 0.3) {
      // a new password; the phone stays as it is (blocked or not)
      return {
        method: 'PUT', path, body: { enabled: true, password: protectionPassword(rnd) }, what: `a new protection password for ${e.number}`,
        expect: (n: Extension) => n.protection.enabled && n.protection.state === p.state,
      };
    }
    const state = p.state === 'blocked' ? 'unrestricted' : 'blocked';
    return {
      method: 'POST', path: `${path}/${state === 'blocked' ? 'block' : 'unblock'}`, what: `${state === 'blocked' ? 'block' : 'unblock'} ${e.number}`,
      expect: (n: Extension) => n.protection.enabled && n.protection.state === state,
    };
  }
}

/** Trusted extension for voicemail: on, off. */
export class TrustedLane extends ExtensionLane {
  name = 'voicemail trust';

  protected plan(e: Extension) {
    const trusted = !(e.voicemailTrusted ?? false);
    return {
      method: 'PUT', path: `${API}/extensions/${e.number}/voicemail/trusted`, body: { trusted },
      what: `voicemail trust ${trusted ? 'on' : 'off'} for ${e.number}`,
      expect: (n: Extension) => n.voicemailTrusted === trusted,
    };
  }
}

/** A policy-compliant voicemail PIN for `number` (the server alone knows the default PIN and the history). */
function voicemailPin(number: string, rnd: Random): string {
  const policy = defaultPinPolicy('voicemail_pin');
  for (;;) {
    const pin = String(rnd.int(0, 10 ** 6 - 1)).padStart(6, '0');
    if (checkPin(pin, policy, { extension: number }).length === 0) return pin;
  }
}

/** Voicemail PINs set by the admin; the PIN of each extension is known, so a device sign-in can prove it. */
export class VoicemailPinLane extends ExtensionLane {
  name = 'voicemail PIN';
  /** The PIN each extension holds as far as the model knows (null: not one this run set), and the one in flight. */
  readonly pins = new Map<string, { acked: string | null; pending: string | null }>();

  constructor(extensions: Extension[]) {
    super(extensions);
    for (const e of extensions) this.pins.set(e.number, { acked: null, pending: null });
  }

  protected plan(e: Extension, rnd: Random) {
    const value = voicemailPin(e.number, rnd);
    const before = e.credentials?.voicemail_pin.setAt ?? null;
    (this.pins.get(e.number) as { pending: string | null }).pending = value;
    return {
      method: 'PUT', path: `${API}/extensions/${e.number}/credentials/voicemail_pin`, body: { value },
      what: `a new voicemail PIN for ${e.number}`,
      expect: (n: Extension) => n.credentials?.voicemail_pin.set === true && n.credentials.voicemail_pin.isDefault === false && n.credentials.voicemail_pin.setAt !== before,
    };
  }

  /** The server's history and default-PIN rules may refuse a random PIN: nothing is written then. */
  protected override refusalAllowed(r: HttpResult): boolean {
    return r.status === 422 && (r.json as { error?: { code?: string } } | undefined)?.error?.code === 'pin_policy_violation';
  }

  protected override onAcked(slot: Slot<Extension>, body: unknown): void {
    const pin = this.pins.get(slot.acked.number) as { acked: string | null; pending: string | null };
    pin.acked = (body as { value: string }).value;
    pin.pending = null;
  }

  override async verify(pbx: PbxClient, where: string, rnd?: Random): Promise<{ acked: number; pending: number }> {
    const before = new Map(this.slots.map((s) => [s.acked.number, s.acked.version]));
    const out = await super.verify(pbx, where);
    for (const slot of this.slots) {
      const pin = this.pins.get(slot.acked.number) as { acked: string | null; pending: string | null };
      // the write in flight got in: its PIN is the one now
      if (slot.acked.version !== before.get(slot.acked.number)) pin.acked = pin.pending;
      pin.pending = null;
    }
    // The stored hash really is the acknowledged PIN: a phone signs in to the mailbox with it (one extension a
    // restart: each sign-in is an argon2 verification).
    const known = this.slots.filter((s) => this.pins.get(s.acked.number)?.acked);
    if (known.length && rnd) {
      const slot = rnd.pick(known);
      const pin = this.pins.get(slot.acked.number)?.acked as string;
      const r = await pbx.device<{ result: string }>('/voicemail/login', { extension: slot.acked.number, pin });
      if (r.status !== 200 || r.json.result !== 'ok') {
        throw new Error(`${where}: the voicemail PIN acknowledged for ${slot.acked.number} does not sign in: ${r.status} ${r.text}`);
      }
    }
    return out;
  }
}

// ---- policies ----------------------------------------------------------------------------------------

interface Versioned<P> {
  policy: P;
  version: number;
  etag: string;
}
const samePolicy = <P>(a: Versioned<P>, b: Versioned<P>) => a.version === b.version && isDeepStrictEqual(a.policy, b.policy) && a.etag === b.etag;

/** PIN policy edits of kinds no other lane writes credentials of (a preset, its minimum length moved). */
export class PinPolicyLane implements Lane {
  name = 'PIN policy';
  readonly slots: Slot<Versioned<PinPolicy>>[];

  constructor(resources: PinPolicyResource[]) {
    this.slots = resources.map((r) => ({ name: `the ${r.kind} policy`, acked: pickPolicy(r), pending: null, pendingWhat: '' }));
  }

  async step(pbx: PbxClient, rnd: Random, stats: WriteStats): Promise<void> {
    const slot = rnd.pick(this.slots);
    const before = slot.acked;
    const kind = before.policy.kind;
    const base = pinPolicyPreset(rnd.pick(PinPresets), kind);
    const policy: PinPolicy = { ...base, minLength: rnd.int(Math.max(base.minLength - 1, 1), base.maxLength) };
    slot.pending = (n) => n.version === before.version + 1 && isDeepStrictEqual(n.policy, policy);
    slot.pendingWhat = JSON.stringify(policy);
    const r = await pbx.call<PinPolicyResource>('PUT', `${API}/policies/pin/${kind}`, policy, before.etag);
    if (!ok(r)) throw unexpected(r, `PIN policy ${kind}`);
    const now = pickPolicy(r.json);
    if (!slot.pending(now)) throw new Error(`PIN policy ${kind}: answered ${JSON.stringify(r.json)}, not ${slot.pendingWhat}`);
    slot.acked = now;
    slot.pending = null;
    stats.acked++;
  }

  async verify(pbx: PbxClient, where: string): Promise<{ acked: number; pending: number }> {
    const out = { acked: 0, pending: 0 };
    for (const slot of this.slots) {
      const actual = pickPolicy(await pbx.get<PinPolicyResource>(`${API}/policies/pin/${slot.acked.policy.kind}`));
      out[settle(slot, actual, samePolicy, `${where} (${this.name})`)]++;
    }
    return out;
  }
}

function pickPolicy<P>(r: { policy: P; version: number; etag: string }): Versioned<P> {
  return { policy: r.policy, version: r.version, etag: r.etag };
}

/** Lockout policy edits (thresholds and durations). */
export class LockoutPolicyLane implements Lane {
  name = 'lockout policy';
  readonly slot: Slot<Versioned<LockoutPolicy>>;

  constructor(resource: LockoutPolicyResource) {
    this.slot = { name: 'the lockout policy', acked: pickPolicy(resource), pending: null, pendingWhat: '' };
  }

  async step(pbx: PbxClient, rnd: Random, stats: WriteStats): Promise<void> {
    const slot = this.slot;
    const before = slot.acked;
    const policy: LockoutPolicy = {
      extension: { threshold: rnd.int(2, 20), windowSeconds: rnd.int(60, 3600), lockSeconds: rnd.int(60, 7200) },
      address: { threshold: rnd.int(5, 100), windowSeconds: rnd.int(60, 3600), banSeconds: rnd.int(60, 7200) },
      permanentAfterLocks: rnd.int(0, 10),
      permanentWindowSeconds: rnd.int(3600, 172_800),
    };
    slot.pending = (n) => n.version === before.version + 1 && isDeepStrictEqual(n.policy, policy);
    slot.pendingWhat = JSON.stringify(policy);
    const r = await pbx.call<LockoutPolicyResource>('PUT', `${API}/policies/lockout`, policy, before.etag);
    if (!ok(r)) throw unexpected(r, 'lockout policy');
    const now = pickPolicy(r.json);
    if (!slot.pending(now)) throw new Error(`lockout policy: answered ${JSON.stringify(r.json)}, not ${slot.pendingWhat}`);
    slot.acked = now;
    slot.pending = null;
    stats.acked++;
  }

  async verify(pbx: PbxClient, where: string): Promise<{ acked: number; pending: number }> {
    const actual = pickPolicy(await pbx.get<LockoutPolicyResource>(`${API}/policies/lockout`));
    const r = settle(this.slot, actual, samePolicy, `${where} (${this.name})`);
    return { acked: r === 'acked' ? 1 : 0, pending: r === 'pending' ? 1 : 0 };
  }
}

// ---- lists: the lockout allowlist, manual address bans -----------------------------------------------

/**
 * A list the lane adds entries to (each with a CIDR of its own) and removes them from. The acknowledged list
 * is CIDR → id; at most one add or one removal is out at a time.
 */
abstract class ListLane<E extends { id: number; cidr: string }> implements Lane {
  abstract name: string;
  protected abstract listPath: string;
  acked = new Map<string, number>();
  pending: { add: string } | { remove: string } | null = null;
  private counter = 0;

  constructor(
    private readonly prefix: (n: number) => string,
    existing: E[],
  ) {
    for (const e of existing) this.acked.set(e.cidr, e.id);
  }

  protected abstract add(pbx: PbxClient, cidr: string): Promise<HttpResult<E>>;
  protected abstract remove(pbx: PbxClient, id: number): Promise<HttpResult>;

  async step(pbx: PbxClient, rnd: Random, stats: WriteStats): Promise<void> {
    const mine = [...this.acked.keys()];
    if (mine.length > 3 && rnd.chance(0.4)) {
      const cidr = rnd.pick(mine);
      this.pending = { remove: cidr };
      const r = await this.remove(pbx, this.acked.get(cidr) as number);
      if (!ok(r)) throw unexpected(r, `${this.name}: remove ${cidr}`);
      this.acked.delete(cidr);
    } else {
      const cidr = this.prefix(this.counter++);
      this.pending = { add: cidr };
      const r = await this.add(pbx, cidr);
      if (!ok(r)) throw unexpected(r, `${this.name}: add ${cidr}`);
      if (r.json.cidr !== cidr) throw new Error(`${this.name}: added ${cidr}, answered ${JSON.stringify(r.json)}`);
      this.acked.set(cidr, r.json.id);
    }
    this.pending = null;
    stats.acked++;
  }

  async verify(pbx: PbxClient, where: string): Promise<{ acked: number; pending: number }> {
    const items = (await pbx.get<{ items: E[] }>(this.listPath)).items;
    const actual = new Map(items.map((e) => [e.cidr, e.id]));
    const fail = (why: string) =>
      new Error(
        `${where} (${this.name}): ${why}.\n  acknowledged: ${JSON.stringify([...this.acked])}\n  in flight: ${JSON.stringify(this.pending)}\n` +
          `  after restart: ${JSON.stringify([...actual])}`,
      );
    let pendingLanded = false;
    for (const [cidr, id] of this.acked) {
      if (actual.get(cidr) === id) continue;
      if (this.pending && 'remove' in this.pending && this.pending.remove === cidr && !actual.has(cidr)) {
        pendingLanded = true;
        continue;
      }
      throw fail(`the acknowledged entry ${cidr} (#${id}) is ${actual.has(cidr) ? `#${actual.get(cidr)}` : 'gone'}`);
    }
    for (const cidr of actual.keys()) {
      if (this.acked.has(cidr)) continue;
      if (this.pending && 'add' in this.pending && this.pending.add === cidr) {
        pendingLanded = true;
        continue;
      }
      throw fail(`${cidr} is there, but no write added it`);
    }
    this.acked = actual;
    this.pending = null;
    return { acked: pendingLanded ? 0 : 1, pending: pendingLanded ? 1 : 0 };
  }
}

/** Allowlist entries of the lockout engine (10.<a>.<b>.0/24). */
export class AllowlistLane extends ListLane<AllowEntry> {
  name = 'lockout allowlist';
  protected listPath = `${API}/lockouts/allowlist`;

  constructor(existing: AllowEntry[], run: number) {
    super((n) => `10.${(run * 7 + (n >> 8)) % 256}.${n % 256}.0/24`, existing);
  }

  protected add(pbx: PbxClient, cidr: string) {
    return pbx.call<AllowEntry>('POST', `${API}/lockouts/allowlist`, { cidr, description: `reliability ${cidr}` });
  }

  protected remove(pbx: PbxClient, id: number) {
    return pbx.call('DELETE', `${API}/lockouts/allowlist/${id}`);
  }
}

/** Manual address bans (198.18.<a>.<b>, the benchmarking range; stored without /32), lifted by id. */
export class BanLane extends ListLane<AddressBan> {
  name = 'address bans';
  protected listPath = `${API}/lockouts/addresses`;

  constructor(existing: AddressBan[]) {
    super((n) => `198.18.${(n >> 8) % 256}.${n % 256}`, existing);
  }

  protected add(pbx: PbxClient, cidr: string) {
    return pbx.call<AddressBan>('POST', `${API}/lockouts/addresses`, { cidr, description: `reliability ${cidr}` });
  }

  protected remove(pbx: PbxClient, id: number) {
    return pbx.call('POST', `${API}/lockouts/addresses/unban`, { ids: [id] });
  }
}

// ---- hot-desk mappings ---------------------------------------------------------------------------------

type MappingState = Pick<Mapping, 'templateId' | 'mac' | 'etag'> | null;
const mappingState = (m: Mapping | null | undefined): MappingState => (m ? { templateId: m.templateId, mac: m.mac, etag: m.etag } : null);

/** Extension mappings (no MAC: the template on any phone): created, moved to another template, deleted. */
export class MappingLane implements Lane {
  name = 'hot-desk mappings';
  readonly slots: Slot<MappingState>[];

  constructor(
    numbers: string[],
    private readonly templates: Template[],
  ) {
    this.slots = numbers.map((n) => ({ name: `the mapping of ${n}`, acked: null, pending: null, pendingWhat: '' }));
  }

  private number(slot: Slot<MappingState>): string {
    return slot.name.replace('the mapping of ', '');
  }

  async step(pbx: PbxClient, rnd: Random, stats: WriteStats): Promise<void> {
    const slot = rnd.pick(this.slots);
    const number = this.number(slot);
    const before = slot.acked;
    let r: HttpResult<Mapping>;
    if (before === null) {
      const templateId = rnd.pick(this.templates).id;
      slot.pending = (n) => n !== null && n.templateId === templateId && n.mac === null;
      slot.pendingWhat = `create with template ${templateId}`;
      r = await pbx.call<Mapping>('POST', `${API}/hotdesk/mappings`, { extension: number, templateId, mac: null });
    } else if (rnd.chance(0.3)) {
      slot.pending = (n) => n === null;
      slot.pendingWhat = 'delete';
      r = await pbx.call<Mapping>('DELETE', `${API}/hotdesk/mappings/${number}`, undefined, before.etag);
    } else {
      const templateId = rnd.pick(this.templates.filter((t) => t.id !== before.templateId)).id;
      slot.pending = (n) => n !== null && n.templateId === templateId && n.etag !== before.etag;
      slot.pendingWhat = `move to template ${templateId}`;
      r = await pbx.call<Mapping>('PUT', `${API}/hotdesk/mappings/${number}`, { templateId, mac: null }, before.etag);
    }
    if (!ok(r)) throw unexpected(r, `${this.name}: ${slot.pendingWhat} for ${number}`);
    const now = r.status === 204 ? null : mappingState(r.json);
    if (!slot.pending(now)) throw new Error(`${this.name}: ${slot.pendingWhat} for ${number} answered ${r.text}`);
    slot.acked = now;
    slot.pending = null;
    stats.acked++;
  }

  async verify(pbx: PbxClient, where: string): Promise<{ acked: number; pending: number }> {
    const rows = (await pbx.get<HotDeskList>(`${API}/hotdesk`)).items;
    const out = { acked: 0, pending: 0 };
    for (const slot of this.slots) {
      const actual = mappingState(rows.find((row) => row.extension === this.number(slot))?.mapping);
      out[settle(slot, actual, isDeepStrictEqual, `${where} (${this.name})`)]++;
    }
    return out;
  }
}

// ---- the lanes of a run ----------------------------------------------------------------------------------

/** Picks disjoint extensions for each lane from the seeded data and reads their starting state. */
export async function createLanes(pbx: PbxClient, rnd: Random): Promise<Lane[]> {
  const phones = (await pbx.get<ExtensionList>(`${API}/extensions?limit=1000&type=phone_terminal`)).items.filter((e) => e.status === 'active');
  const mapped = new Set((await pbx.get<HotDeskList>(`${API}/hotdesk`)).items.map((r) => r.extension));
  const shuffled = [...phones].sort(() => rnd.next() - 0.5);
  const take = (n: number, ok: (e: Extension) => boolean) => {
    const out: Extension[] = [];
    for (let i = 0; i < shuffled.length && out.length < n; i++) {
      const e = shuffled[i] as Extension;
      if (ok(e) && !mapped.has(e.number)) {
        out.push(e);
        shuffled.splice(i--, 1);
      }
    }
    if (out.length < n) throw new Error(`not enough extensions in the seeded data (${out.length} of ${n})`);
    return out;
  };
  const withMailbox = (e: Extension) => e.voicemail;
  const templates = (await pbx.get<{ items: Template[] }>(`${API}/hotdesk/templates`)).items;
  if (templates.length < 2) throw new Error('the seeded data has fewer than two hot-desk templates');
  const pinPolicies = await Promise.all(
    (['phone_password', 'user_password'] as const).map((k) => pbx.get<PinPolicyResource>(`${API}/policies/pin/${k}`)),
  );
  return [
    new ProtectionLane(take(3, () => true)),
    new ProtectionLane(take(3, () => true)),
    new TrustedLane(take(3, withMailbox)),
    new VoicemailPinLane(take(3, withMailbox)),
    new PinPolicyLane(pinPolicies),
    new LockoutPolicyLane(await pbx.get<LockoutPolicyResource>(`${API}/policies/lockout`)),
    new AllowlistLane((await pbx.get<{ items: AllowEntry[] }>(`${API}/lockouts/allowlist`)).items, rnd.int(0, 255)),
    new BanLane((await pbx.get<{ items: AddressBan[] }>(`${API}/lockouts/addresses`)).items),
    new MappingLane(take(4, () => true).map((e) => e.number), templates),
  ];
}

// The routes of SPEC F4 (hot desking), by operationId: the management side (table, phones, templates,
// mappings, site settings, global passwords) and the phone's Login app (status, login, rebooted, activity,
// logout). server/hotdesk.ts does the storage; here: roles and site scoping, If-Match, validation that names
// the field, the credential checks of a login (same 403 for every refusal, failures counted by the lockout
// engine), audit (written by the store) and publishing the events after each transaction.
import type { z } from 'zod';
import type { NumberParamsSchema } from '../shared/api.js';
import { normaliseAddress } from '../shared/cidr.js';
import {
  BRAND_INFO,
  HOTDESK_PASSWORDS_DIFFER_RULE,
  hotDeskPasswordFloor,
  normaliseMac,
  type HotDeskPasswordKind,
  type Template,
} from '../shared/hotdesk.js';
import type {
  DeviceCreateSchema,
  DeviceMacRequestSchema,
  HotDeskLoginRequestSchema,
  HotDeskPasswordParamsSchema,
  HotDeskPasswordWriteSchema,
  MacParamsSchema,
  MappingCreateSchema,
  MappingWriteSchema,
  SiteHotDeskWriteSchema,
  SiteParamsSchema,
  TemplateCreateSchema,
  TemplateParamsSchema,
  TemplateUpdateSchema,
} from '../shared/hotdesk.js';
import { AppError, validationError } from '../shared/errors.js';
import type { PbxEvent } from '../shared/events.js';
import type { LockCredential } from '../shared/lockout.js';
import { checkPin } from '../shared/pin-policy.js';
import type { EventHub } from './events.js';
import { HotDeskStore, type Who } from './hotdesk.js';
import type { Handlers, RequestContext } from './http.js';
import type { LockoutEngine } from './lockout.js';
import type { Hasher } from './secrets.js';
import type { Store } from './store.js';

type Out<S extends z.ZodType> = z.output<S>;

/** How often the server looks for phones due for an automatic logout (also checked on every read). */
export const HOTDESK_SWEEP_MS = 30_000;

export interface HotDeskRouteDeps<S extends { username: string; role: string }> {
  store: Store;
  hub: EventHub;
  hotdesk: HotDeskStore;
  hasher: Hasher;
  lockout: LockoutEngine;
  clock: () => Date;
  inScope: (session: S, siteId: string) => boolean;
  /** The lockout gate of a device credential (refuses a locked extension or banned address like a wrong password). */
  deviceGate: (ctx: RequestContext, extension: string, credential: LockCredential) => Promise<() => void>;
  /** A failed device attempt: counted by the lockout engine. */
  deviceFailure: (ctx: RequestContext, kind: LockCredential, extension: string, reason: string) => void;
  voicemailPinMatches: (extension: string, pin: string) => Promise<{ ok: true; isDefault: boolean } | { ok: false; reason: string }>;
  /** The 403 every device refusal gets. */
  rejected: () => AppError;
}

type HotDeskRoutes =
  | 'listHotDesk'
  | 'listDevices'
  | 'createDevice'
  | 'forceLogout'
  | 'listTemplates'
  | 'createTemplate'
  | 'updateTemplate'
  | 'setDefaultTemplate'
  | 'deleteTemplate'
  | 'createMapping'
  | 'updateMapping'
  | 'deleteMapping'
  | 'listSiteHotDesk'
  | 'setSiteHotDesk'
  | 'getHotDeskPasswords'
  | 'unlockHotDeskPasswords'
  | 'setHotDeskPassword'
  | 'deviceHotDeskStatus'
  | 'deviceHotDeskLogin'
  | 'deviceHotDeskRebooted'
  | 'deviceHotDeskActivity'
  | 'deviceHotDeskLogout';

const ifMatches = (ifMatch: string | null, etag: string): boolean => {
  const tags = (ifMatch ?? '').split(',').map((t) => t.trim());
  return tags.includes('*') || tags.includes(etag);
};

const mustBeMac = (input: string): string => normaliseMac(input) as string; // validated by the schema

export function hotdeskHandlers<S extends { username: string; role: string }>(deps: HotDeskRouteDeps<S>): Pick<Handlers<S>, HotDeskRoutes> {
  const { store, hub, hotdesk, hasher, lockout, inScope, clock } = deps;
  const publishAll = (events: PbxEvent[]) => {
    for (const ev of events) hub.publish(ev);
  };
  const tx = <T>(fn: () => T): T => store.db.transaction(fn)();
  const who = (ctx: RequestContext & { session: S }): Who => ({ by: ctx.session.username, address: ctx.address });
  const settingsEvent = (id: number, w: Who, what: 'templates' | 'site' | 'passwords' | 'devices'): PbxEvent => ({
    type: 'hotdesk.settings_changed', id, at: clock().toISOString(), what, by: w.by, address: w.address,
  });

  let passwordWrites: Promise<void> = Promise.resolve();

  /** Phones due for an automatic logout are logged out before anything reads hot-desk state. */
  const sweep = (): void => publishAll(tx(() => hotdesk.sweep()));

  const deviceVisible = (session: S, d: { siteId: string; extension: string | null }): boolean => {
    if (inScope(session, d.siteId)) return true;
    const ext = d.extension === null ? undefined : store.getExtension(d.extension);
    return ext !== undefined && inScope(session, ext.siteId);
  };

  const noDevice = (mac: string, field = 'mac'): AppError => {
    const message = `No phone with MAC ${mac} is provisioned on this PBX`;
    return new AppError('not_found', message, 404, [{ field, rule: 'exists', message: `${field}: ${message}` }]);
  };

  const requireTemplate = (id: number): Template => {
    const t = hotdesk.template(id);
    if (!t) throw new AppError('not_found', `Template ${id} does not exist`, 404);
    return t;
  };

  const staleTemplate = (id: number): AppError => {
    const current = requireTemplate(id);
    return new AppError('precondition_failed', `Template "${current.name}" was changed in the meantime; review it and try again`, 412, undefined, {
      current, currentEtag: current.etag,
    });
  };

  const requireVisibleExtension = (session: S, number: string, field: string) => {
    const ext = store.getExtension(number);
    if (!ext || !inScope(session, ext.siteId)) {
      const message = `Extension ${number} does not exist`;
      throw new AppError('not_found', message, 404, [{ field, rule: 'exists', message: `${field}: ${message}` }]);
    }
    return ext;
  };

  /** The checks of a mapping write: a phone extension, an existing template, a MAC no other mapping has and (when known) of the template's brand. */
  const checkMapping = (session: S, number: string, templateId: number, macIn: string | null | undefined): { mac: string | null } => {
    const ext = store.getExtension(number);
    if (ext && ext.type !== 'phone_terminal') {
      throw validationError([{ field: 'extension', rule: 'phone_terminal', message: `extension: ${number} is not a phone extension; only phones can hot-desk` }]);
    }
    const t = hotdesk.template(templateId);
    if (!t) throw validationError([{ field: 'templateId', rule: 'exists', message: `templateId: template ${templateId} does not exist` }]);
    const mac = macIn === null || macIn === undefined || macIn === '' ? null : mustBeMac(macIn);
    if (mac !== null) {
      const other = hotdesk.mappingWithMac(mac);
      if (other && other.extension !== number) {
        const otherExt = store.getExtension(other.extension);
        const whom = otherExt && inScope(session, otherExt.siteId) ? `extension ${other.extension}` : 'an extension of another site';
        const message = `mac: the phone ${mac} is already mapped to ${whom}`;
        throw new AppError('mac_in_use', message, 409, [{ field: 'mac', rule: 'unique', message }]);
      }
      const d = hotdesk.device(mac);
      if (d && d.brand !== t.brand) {
        throw validationError([{
          field: 'templateId', rule: 'brand',
          message: `templateId: "${t.name}" is a ${BRAND_INFO[t.brand].label} template, but the phone ${mac} is a ${BRAND_INFO[d.brand].label}`,
        }]);
      }
    }
    return { mac };
  };

  const mappingEvent = (id: number, w: Who, action: 'created' | 'updated' | 'deleted', number: string, siteId: string): PbxEvent => ({
    type: 'hotdesk.mapping_changed', id, at: clock().toISOString(), action, by: w.by, address: w.address, number, siteId,
    row: hotdesk.rowOf(number),
  });

  // ---- the phone's side ----

  const requireDevice = (mac: string) => {
    const d = hotdesk.deviceRow(mac);
    if (!d) throw noDevice(mac);
    return d;
  };

  const status = (mac: string, address: string) => {
    const d = requireDevice(mac);
    const mine = d.state !== 'logged_out' && d.login_address === address;
    return {
      mac: d.mac,
      state: d.state,
      screen: d.state === 'logged_out' ? ('login' as const) : d.state === 'needs_reboot' ? ('needs_reboot' as const) : ('ready' as const),
      networks: hotdesk.networks(d.site_id),
      extension: mine ? d.extension : null,
    };
  };

  /** A phone acting on its login (reboot, activity, logout) must call from the address it logged in from. */
  const ownLogin = async (ctx: RequestContext, mac: string) => {
    const d = requireDevice(mac);
    const address = normaliseAddress(ctx.address) ?? ctx.address;
    if (d.state !== 'logged_out' && d.login_address !== address) {
      await hasher.waitLikeVerify();
      throw deps.rejected();
    }
    return { d, address };
  };

  return {
    listHotDesk: (ctx) => {
      sweep();
      return { body: { items: hotdesk.rows().filter((r) => inScope(ctx.session, r.siteId)) } };
    },

    listDevices: (ctx) => {
      sweep();
      // a phone of your site shows another site's user as "in use", without saying who
      const items = hotdesk.devices().filter((d) => deviceVisible(ctx.session, d)).map((d) => {
        const ext = d.extension === null ? undefined : store.getExtension(d.extension);
        return ext && !inScope(ctx.session, ext.siteId) ? { ...d, extension: null, templateId: null } : d;
      });
      return { body: { items } };
    },

    createDevice: (ctx) => {
      const body = ctx.body as Out<typeof DeviceCreateSchema>;
      const mac = mustBeMac(body.mac);
      if (!store.listSites().some((s) => s.id === body.siteId) || !inScope(ctx.session, body.siteId)) {
        throw validationError([{ field: 'siteId', rule: 'exists', message: `siteId: there is no site ${body.siteId}` }]);
      }
      if (hotdesk.deviceRow(mac)) {
        const message = `mac: a phone with MAC ${mac} is already provisioned`;
        throw new AppError('mac_in_use', message, 409, [{ field: 'mac', rule: 'unique', message }]);
      }
      const w = who(ctx);
      const r = tx(() => hotdesk.createDevice({ ...body, mac }, w));
      hub.publish(settingsEvent(r.eventId, w, 'devices'));
      return { status: 201, body: r.device };
    },

    forceLogout: (ctx) => {
      sweep();
      const mac = mustBeMac((ctx.params as Out<typeof MacParamsSchema>).mac);
      const d = hotdesk.deviceRow(mac);
      const visible = d && deviceVisible(ctx.session, { siteId: d.site_id, extension: d.extension });
      if (!d || !visible) throw noDevice(mac);
      if (d.state === 'logged_out' || d.extension === null) {
        throw new AppError('not_logged_in', `Nobody is logged in on the phone ${mac}`, 409);
      }
      // the logged-in extension decides (a receptionist logs out her sites' users, wherever they sit)
      const ext = store.getExtension(d.extension);
      if (ext && !inScope(ctx.session, ext.siteId)) {
        // site scoping answers 404 for another site's extension (as everywhere); the message says what is meant
        const message = `The extension logged in on the phone ${mac} is not one of your sites' extensions, so you cannot log it out`;
        throw new AppError('not_found', message, 404, [{ field: 'mac', rule: 'in_scope', message: `mac: ${message}` }]);
      }
      const w = who(ctx);
      const ev = tx(() => hotdesk.logout(d, 'forced_logout', w));
      if (ev) hub.publish(ev);
      return { body: hotdesk.device(mac) };
    },

    listTemplates: () => ({ body: { items: hotdesk.templates() } }),

    createTemplate: (ctx) => {
      const body = ctx.body as Out<typeof TemplateCreateSchema>;
      if (hotdesk.templates().some((t) => t.brand === body.brand && t.name.toLowerCase() === body.name.toLowerCase())) {
        const message = `name: there is already a ${BRAND_INFO[body.brand].label} template called "${body.name}"`;
        throw new AppError('conflict', message, 409, [{ field: 'name', rule: 'unique', message }]);
      }
      const w = who(ctx);
      const r = tx(() => hotdesk.createTemplate(body, w));
      hub.publish(settingsEvent(r.eventId, w, 'templates'));
      return { status: 201, body: r.template, etag: r.template.etag };
    },

    updateTemplate: (ctx) => {
      const { id } = ctx.params as Out<typeof TemplateParamsSchema>;
      const body = ctx.body as Out<typeof TemplateUpdateSchema>;
      const t = requireTemplate(id);
      if (!ifMatches(ctx.ifMatch, t.etag)) throw staleTemplate(id);
      if (hotdesk.templates().some((o) => o.id !== id && o.brand === t.brand && o.name.toLowerCase() === body.name.toLowerCase())) {
        const message = `name: there is already a ${BRAND_INFO[t.brand].label} template called "${body.name}"`;
        throw new AppError('conflict', message, 409, [{ field: 'name', rule: 'unique', message }]);
      }
      const version = Number(/\.(\d+)"$/.exec(t.etag)?.[1]);
      const w = who(ctx);
      const r = tx(() => hotdesk.updateTemplate(id, version, body, w));
      if (!r) throw staleTemplate(id);
      hub.publish(settingsEvent(r.eventId, w, 'templates'));
      return { body: r.template, etag: r.template.etag };
    },

    setDefaultTemplate: (ctx) => {
      const { id } = ctx.params as Out<typeof TemplateParamsSchema>;
      const t = requireTemplate(id);
      if (!ifMatches(ctx.ifMatch, t.etag)) throw staleTemplate(id);
      const version = Number(/\.(\d+)"$/.exec(t.etag)?.[1]);
      const w = who(ctx);
      const r = tx(() => hotdesk.setDefaultTemplate(id, version, w));
      if (!r) throw staleTemplate(id);
      if (r.eventId !== null) hub.publish(settingsEvent(r.eventId, w, 'templates'));
      return { body: { items: hotdesk.templates() } };
    },

    deleteTemplate: (ctx) => {
      const { id } = ctx.params as Out<typeof TemplateParamsSchema>;
      const t = requireTemplate(id);
      if (!ifMatches(ctx.ifMatch, t.etag)) throw staleTemplate(id);
      const version = Number(/\.(\d+)"$/.exec(t.etag)?.[1]);
      const w = who(ctx);
      const r = tx(() => hotdesk.deleteTemplate(id, version, w));
      if (!r) throw staleTemplate(id);
      hub.publish(settingsEvent(r.eventId, w, 'templates'));
      return { status: 204 };
    },

    createMapping: (ctx) => {
      const body = ctx.body as Out<typeof MappingCreateSchema>;
      const ext = requireVisibleExtension(ctx.session, body.extension, 'extension');
      if (hotdesk.mapping(body.extension)) {
        throw new AppError('conflict', `Extension ${body.extension} already has a mapping; change it instead`, 409, [
          { field: 'extension', rule: 'unique', message: `extension: ${body.extension} already has a mapping` },
        ]);
      }
      const { mac } = checkMapping(ctx.session, body.extension, body.templateId, body.mac);
      const w = who(ctx);
      const r = tx(() => hotdesk.createMapping(body.extension, body.templateId, mac, w));
      hub.publish(mappingEvent(r.eventId, w, 'created', body.extension, ext.siteId));
      return { status: 201, body: r.mapping, etag: r.mapping.etag };
    },

    updateMapping: (ctx) => {
      const { number } = ctx.params as Out<typeof NumberParamsSchema>;
      const body = ctx.body as Out<typeof MappingWriteSchema>;
      const ext = requireVisibleExtension(ctx.session, number, 'number');
      const current = hotdesk.mapping(number);
      if (!current) throw new AppError('not_found', `Extension ${number} has no mapping`, 404);
      const stale = () =>
        new AppError('precondition_failed', `The mapping of extension ${number} was changed in the meantime; review it and try again`, 412, undefined, {
          current: hotdesk.mapping(number), currentEtag: hotdesk.mapping(number)?.etag,
        });
      if (!ifMatches(ctx.ifMatch, current.etag)) throw stale();
      const { mac } = checkMapping(ctx.session, number, body.templateId, body.mac);
      const w = who(ctx);
      const version = Number(/(\d+)"$/.exec(current.etag)?.[1]);
      const r = tx(() => hotdesk.updateMapping(number, version, body.templateId, mac, w));
      if (!r) throw stale();
      hub.publish(mappingEvent(r.eventId, w, 'updated', number, ext.siteId));
      return { body: r.mapping, etag: r.mapping.etag };
    },

    deleteMapping: (ctx) => {
      const { number } = ctx.params as Out<typeof NumberParamsSchema>;
      const ext = requireVisibleExtension(ctx.session, number, 'number');
      const current = hotdesk.mapping(number);
      if (!current) throw new AppError('not_found', `Extension ${number} has no mapping`, 404);
      const stale = () =>
        new AppError('precondition_failed', `The mapping of extension ${number} was changed in the meantime; review it and try again`, 412, undefined, {
          current, currentEtag: current.etag,
        });
      if (!ifMatches(ctx.ifMatch, current.etag)) throw stale();
      const w = who(ctx);
      const version = Number(/(\d+)"$/.exec(current.etag)?.[1]);
      const r = tx(() => hotdesk.deleteMapping(number, version, w));
      if (!r) throw stale();
      hub.publish(mappingEvent(r.eventId, w, 'deleted', number, ext.siteId));
      return { status: 204 };
    },

    listSiteHotDesk: (ctx) => ({ body: { items: hotdesk.sites().filter((s) => inScope(ctx.session, s.siteId)) } }),

    setSiteHotDesk: (ctx) => {
      const { siteId } = ctx.params as Out<typeof SiteParamsSchema>;
      const body = ctx.body as Out<typeof SiteHotDeskWriteSchema>;
      const current = hotdesk.site(siteId);
      if (!current || !inScope(ctx.session, siteId)) throw new AppError('not_found', `There is no site ${siteId}`, 404);
      const stale = () => {
        const now = hotdesk.site(siteId) as NonNullable<typeof current>;
        return new AppError('precondition_failed', `The settings of ${now.siteName} were changed in the meantime; review them and try again`, 412, undefined, {
          current: now, currentEtag: now.etag,
        });
      };
      if (!ifMatches(ctx.ifMatch, current.etag)) throw stale();
      const w = who(ctx);
      const r = tx(() => hotdesk.setSite(siteId, hotdesk.siteVersion(siteId), body, w));
      if (!r) throw stale();
      hub.publish(settingsEvent(r.eventId, w, 'site'));
      // a shorter idle time or an earlier daily time may make phones due at once
      sweep();
      return { body: r.site, etag: r.site.etag };
    },

    getHotDeskPasswords: () => ({ body: hotdesk.passwords() }),

    unlockHotDeskPasswords: (ctx) => {
      const w = who(ctx);
      const id = tx(() => hotdesk.unlockShared(w, 'unlocked'));
      if (id !== null) hub.publish(settingsEvent(id, w, 'passwords'));
      return { body: hotdesk.passwords() };
    },

    setHotDeskPassword: async (ctx) => {
      const { kind } = ctx.params as Out<typeof HotDeskPasswordParamsSchema>;
      const { password } = ctx.body as Out<typeof HotDeskPasswordWriteSchema>;
      const { policy } = store.getPolicy('login_code');
      const floor = hotDeskPasswordFloor(password);
      // the floor says the length rule of a shared password (the policy's own length rule, when looser, would only repeat it)
      const problems: { rule: string; message: string }[] = checkPin(password, policy).filter((p) => !(floor && p.rule === 'pin_length'));
      if (floor) problems.unshift(floor);
      if (problems.length) {
        throw validationError(
          problems.map((p) => ({ field: 'password', rule: p.rule, message: `password: ${p.message.replace(/^the login code\b/, 'a hot-desk password')}` })),
          'pin_policy_violation',
        );
      }
      // one write at a time: "the two must differ" is checked against what the other one is when this one is stored
      const run = passwordWrites.then(async () => {
        const other: HotDeskPasswordKind = kind === 'user' ? 'admin' : 'user';
        const otherHash = hotdesk.passwordHash(other);
        if (otherHash !== null && (await hasher.verify(otherHash, password))) {
          throw validationError(
            [{ field: 'password', rule: HOTDESK_PASSWORDS_DIFFER_RULE, message: `password: the hot-desk user and admin passwords must differ` }],
            'pin_policy_violation',
          );
        }
        const hash = await hasher.hash(password);
        const w = who(ctx);
        const r = tx(() => {
          const unlocked = hotdesk.unlockShared(w, 'new_password');
          return { ...hotdesk.setPassword(kind, hash, w), unlocked };
        });
        if (r.unlocked !== null) hub.publish(settingsEvent(r.unlocked, w, 'passwords'));
        hub.publish(settingsEvent(r.eventId, w, 'passwords'));
        return r.meta;
      });
      passwordWrites = run.then(() => undefined, () => undefined);
      return { body: await run };
    },

    // ---- the phone's Login app ----

    deviceHotDeskStatus: (ctx) => {
      sweep();
      const mac = mustBeMac((ctx.body as Out<typeof DeviceMacRequestSchema>).mac);
      const address = normaliseAddress(ctx.address) ?? ctx.address;
      requireDevice(mac);
      tx(() => hotdesk.seen(mac, address));
      return { body: status(mac, address) };
    },

    deviceHotDeskLogin: async (ctx) => {
      sweep();
      const body = ctx.body as Out<typeof HotDeskLoginRequestSchema>;
      const mac = mustBeMac(body.mac);
      const address = normaliseAddress(ctx.address) ?? ctx.address;
      const d = requireDevice(mac);
      if (!hotdesk.networks(d.site_id).some((n) => n.network === body.network)) {
        const message = `network: this phone's site has no ${body.network} PBX address; choose the other one or ask an admin to set it`;
        throw new AppError('network_not_configured', message, 409, [{ field: 'network', rule: 'configured', message }]);
      }
      // One secret, one counter: for an extension with a mailbox the hot-desk password is its voicemail PIN, so
      // failures count (and a lock applies) on the voicemail credential — hot desking is no second way to
      // guess a PIN that voicemail has locked. Otherwise on phone_login.
      const target = store.getExtension(body.extension);
      const phone = target !== undefined && target.status === 'active' && target.type === 'phone_terminal' ? target : undefined;
      const credential: LockCredential = phone?.voicemail ? 'voicemail' : 'phone_login';
      // While someone is logged in on this phone, only the phone itself (its login address) logs in someone
      // else: a MAC is printed on a label, so it proves nothing. Same 403 as any refusal.
      if (d.state !== 'logged_out' && d.login_address !== address) {
        await hasher.waitLikeVerify();
        throw deps.rejected();
      }
      const release = await deps.deviceGate(ctx, body.extension, credential);
      let via: 'voicemail_pin' | 'user_password' | 'admin_password';
      let pinIsDefault: boolean | undefined;
      try {
        // the shared passwords are master keys with a counter of their own; while locked they match nothing
        const sharedLocked = hotdesk.sharedLockedUntil() !== null;
        const userHash = sharedLocked ? null : hotdesk.passwordHash('user');
        const adminHash = sharedLocked ? null : hotdesk.passwordHash('admin');
        const sharedSet = hotdesk.passwordHash('user') !== null || hotdesk.passwordHash('admin') !== null;
        // Always two verifications, side by side: the extension's own (its mailbox PIN, or the user password
        // when it has no mailbox) and the admin password — so no answer is faster than another.
        const own = phone?.voicemail
          ? deps.voicemailPinMatches(body.extension, body.password).then((r) => {
              if (r.ok) pinIsDefault = r.isDefault;
              return r.ok;
            })
          : phone && userHash !== null
            ? hasher.verify(userHash, body.password)
            : hasher.verifyNothing(body.password);
        const admin = adminHash !== null ? hasher.verify(adminHash, body.password) : hasher.verifyNothing(body.password);
        const [ownOk, adminOk] = await Promise.all([own, admin]);
        if (!phone || (!ownOk && !adminOk)) {
          const reason = !target ? 'unknown_extension' : !phone ? 'not_eligible' : 'wrong_password';
          deps.deviceFailure(ctx, credential, body.extension, reason);
          if (sharedSet) {
            const lockedId = tx(() => hotdesk.sharedFailure(address));
            if (lockedId !== null) hub.publish(settingsEvent(lockedId, { by: 'system', address }, 'passwords'));
          }
          throw deps.rejected();
        }
        via = ownOk ? (phone.voicemail ? 'voicemail_pin' : 'user_password') : 'admin_password';
      } finally {
        release();
      }
      const w: Who = { by: 'device', address };
      const r = tx(() => {
        // what was checked may have changed during the verification (deactivated, moved to another type)
        const now = store.getExtension(body.extension);
        if (!now || now.status !== 'active' || now.type !== 'phone_terminal') return null;
        const current = hotdesk.deviceRow(mac);
        if (!current || (current.state !== 'logged_out' && current.login_address !== address)) return null;
        // only the extension's own secret clears its counter: a shared password is not its secret
        if (via === 'voicemail_pin') lockout.success({ extension: body.extension, credential, address });
        return hotdesk.login(mac, body.extension, body.network, via, w, via === 'voicemail_pin' ? { pinIsDefault } : {});
      });
      if (r === null) throw deps.rejected();
      publishAll(r.events);
      const server = hotdesk.networks(d.site_id).find((n) => n.network === body.network)?.address as string;
      return {
        body: {
          state: r.state,
          screen: r.state === 'needs_reboot' ? ('needs_reboot' as const) : ('ready' as const),
          extension: body.extension,
          server,
          template: r.template ? { id: r.template.id, name: r.template.name, settings: r.template.settings } : null,
        },
      };
    },

    deviceHotDeskRebooted: async (ctx) => {
      sweep();
      const mac = mustBeMac((ctx.body as Out<typeof DeviceMacRequestSchema>).mac);
      const { d, address } = await ownLogin(ctx, mac);
      const ev = tx(() => {
        hotdesk.seen(mac, address);
        return hotdesk.rebooted(d, { by: 'device', address });
      });
      if (ev) hub.publish(ev);
      return { body: status(mac, address) };
    },

    deviceHotDeskActivity: async (ctx) => {
      sweep();
      const mac = mustBeMac((ctx.body as Out<typeof DeviceMacRequestSchema>).mac);
      const { d, address } = await ownLogin(ctx, mac);
      if (d.state !== 'logged_out') tx(() => hotdesk.activity(d));
      return { body: status(mac, address) };
    },

    deviceHotDeskLogout: async (ctx) => {
      sweep();
      const mac = mustBeMac((ctx.body as Out<typeof DeviceMacRequestSchema>).mac);
      const { d, address } = await ownLogin(ctx, mac);
      const ev = tx(() => hotdesk.logout(d, 'logged_out', { by: 'device', address }));
      if (ev) hub.publish(ev);
      return { body: status(mac, address) };
    },
  };
}

// The management routes of SPEC F3 (lockouts, bans, allowlist, lockout policy, failure history), by
// operationId. The engine (server/lockout.ts) does the work; here: roles and site scoping, If-Match, the
// self-ban guard, audit (the engine writes it) and publishing the events after the transaction.
import type { z } from 'zod';
import type { NumberParamsSchema } from '../shared/api.js';
import { CidrSet, parseCidr } from '../shared/cidr.js';
import { AppError } from '../shared/errors.js';
import type { PbxEvent } from '../shared/events.js';
import type {
  AllowEntryParamsSchema,
  AllowEntryRequestSchema,
  FailureHistogramQuerySchema,
  LockoutPolicy,
  LockoutPolicyResource,
  LockResetRequest,
  ManualBanRequest,
  UnbanRequest,
} from '../shared/lockout.js';
import type { EventHub } from './events.js';
import type { Handlers } from './http.js';
import type { LockoutEngine } from './lockout.js';
import type { Store } from './store.js';

type Out<S extends z.ZodType> = z.output<S>;


/** ETag of a lockout policy version (its own namespace). */
export function lockoutPolicyEtag(version: number): string {
  return `"l${version}"`;
}

export interface LockoutRouteDeps<S extends { username: string }> {
  lockout: LockoutEngine;
  store: Store;
  hub: EventHub;
  /** May this session see and act on extensions of this site? */
  inScope: (session: S, siteId: string) => boolean;
  /** Is this session limited to some sites (then it sees nothing that is not about an extension of them)? */
  limitedToSites: (session: S) => boolean;
}

type LockoutRoutes =
  | 'listExtensionLocks'
  | 'resetExtensionLocks'
  | 'listAddressBans'
  | 'addAddressBan'
  | 'unbanAddresses'
  | 'listAllowlist'
  | 'addAllowEntry'
  | 'deleteAllowEntry'
  | 'failureHistogram'
  | 'lockCorrelation'
  | 'getLockoutPolicy'
  | 'setLockoutPolicy';

export function lockoutHandlers<S extends { username: string }>(deps: LockoutRouteDeps<S>): Pick<Handlers<S>, LockoutRoutes> {
  const { lockout, store, hub, inScope, limitedToSites } = deps;
  const publishAll = (events: PbxEvent[]) => {
    for (const ev of events) hub.publish(ev);
  };
  const resource = (): LockoutPolicyResource => {
    const r = lockout.policyResource();
    return { policy: r.policy, version: r.version, etag: lockoutPolicyEtag(r.version), updatedAt: r.updatedAt, updatedBy: r.updatedBy };
  };
  const visibleExtension = (session: S, number: string): boolean => {
    const ext = store.getExtension(number);
    return ext !== undefined && inScope(session, ext.siteId);
  };

  return {
    listExtensionLocks: (ctx) => ({ body: { items: lockout.extensionLocks().filter((l) => inScope(ctx.session, l.siteId)) } }),

    resetExtensionLocks: (ctx) => {
      const req = ctx.body as LockResetRequest;
      const who = { by: ctx.session.username, address: ctx.address };
      let targets: { extension: string; credential: LockLike }[];
      if (req.all === true || req.items === undefined) {
        const seen = new Set<string>();
        targets = [];
        for (const l of lockout.extensionLocks()) {
          if (!inScope(ctx.session, l.siteId) || seen.has(l.extension)) continue;
          seen.add(l.extension);
          targets.push({ extension: l.extension, credential: undefined });
        }
      } else {
        // every listed extension must exist (within the caller's sites) before anything is reset
        req.items.forEach((item, i) => {
          if (!visibleExtension(ctx.session, item.extension)) {
            const field = `items[${i}].extension`;
            const message = `${field}: Extension ${item.extension} does not exist`;
            throw new AppError('not_found', message, 404, [{ field, rule: 'exists', message }]);
          }
        });
        // the same extension (and credential) listed twice is reset once
        const seen = new Set<string>();
        targets = req.items
          .filter((i) => {
            const key = `${i.extension}|${i.credential ?? '*'}`;
            return !seen.has(key) && seen.add(key) !== undefined;
          })
          .map((i) => ({ extension: i.extension, credential: i.credential }));
      }
      const events = store.db.transaction(() => targets.flatMap((t) => lockout.resetLock(t.extension, t.credential, who)))();
      publishAll(events);
      const items = events.flatMap((e) => (e.type === 'lockout.changed' ? [e.lock] : []));
      return { body: { reset: items.length, items } };
    },

    listAddressBans: () => ({ body: { items: lockout.bans() } }),

    addAddressBan: (ctx) => {
      const req = ctx.body as ManualBanRequest;
      const parsed = parseCidr(req.cidr.trim());
      if (!parsed.ok) {
        const message = `cidr: ${parsed.message}`;
        throw new AppError('validation_failed', message, 422, [{ field: 'cidr', rule: 'cidr', message }]);
      }
      // a guard against locking yourself out: the block may not cover the address this request comes from
      if (new CidrSet([parsed.value]).matches(ctx.address)) {
        throw new AppError(
          'ban_covers_you',
          `cidr: ${parsed.value.text} includes ${ctx.address}, the address you are working from; blocking it would lock you out`,
          409,
          [{ field: 'cidr', rule: 'not_own_address', message: `cidr: ${parsed.value.text} includes your own address ${ctx.address}` }],
        );
      }
      const { ban, events } = lockout.manualBan({ cidr: parsed.value.text, description: req.description, durationSeconds: req.durationSeconds ?? null }, {
        by: ctx.session.username,
        address: ctx.address,
      });
      publishAll(events);
      return { status: 201, body: ban };
    },

    unbanAddresses: (ctx) => {
      const req = ctx.body as UnbanRequest;
      const events = lockout.unban(req.ids === undefined ? { all: true } : { ids: req.ids }, { by: ctx.session.username, address: ctx.address });
      publishAll(events);
      const items = events.flatMap((e) => (e.type === 'ban.changed' ? [e.ban] : []));
      return { body: { removed: items.length, items } };
    },

    listAllowlist: () => ({ body: { items: lockout.allowlist() } }),

    addAllowEntry: (ctx) => {
      const req = ctx.body as Out<typeof AllowEntryRequestSchema>;
      const { entry, events } = lockout.allow({ cidr: req.cidr, description: req.description }, { by: ctx.session.username, address: ctx.address });
      publishAll(events);
      return { status: 201, body: entry };
    },

    deleteAllowEntry: (ctx) => {
      const { id } = ctx.params as Out<typeof AllowEntryParamsSchema>;
      if (!lockout.allowlist().some((e) => e.id === id)) {
        const message = `id: there is no allowlist entry ${id}`;
        throw new AppError('not_found', message, 404, [{ field: 'id', rule: 'exists', message }]);
      }
      publishAll(lockout.disallow([id], { by: ctx.session.username, address: ctx.address }));
      return { status: 204 };
    },

    failureHistogram: (ctx) => {
      const { hours, top } = ctx.query as Out<typeof FailureHistogramQuerySchema>;
      const scoped = limitedToSites(ctx.session);
      return { body: lockout.histogram(hours, top, scoped ? (n) => visibleExtension(ctx.session, n) : null) };
    },

    lockCorrelation: (ctx) => {
      const { number } = ctx.params as Out<typeof NumberParamsSchema>;
      if (!visibleExtension(ctx.session, number)) {
        const message = `Extension ${number} does not exist`;
        throw new AppError('not_found', message, 404, [{ field: 'number', rule: 'exists', message: `number: ${message}` }]);
      }
      return { body: lockout.correlation(number) };
    },

    getLockoutPolicy: () => {
      const body = resource();
      return { body, etag: body.etag };
    },

    setLockoutPolicy: (ctx) => {
      const policy = ctx.body as LockoutPolicy;
      const current = resource();
      const stale = (now: LockoutPolicyResource) =>
        new AppError(
          'precondition_failed',
          `The lockout policy was changed in the meantime (now ${now.etag}); review the current version and try again`,
          412,
          undefined,
          { current: now, currentEtag: now.etag },
        );
      const tags = (ctx.ifMatch ?? '').split(',').map((t) => t.trim());
      if (!tags.includes('*') && !tags.includes(current.etag)) throw stale(current);
      const out = lockout.setPolicy(policy, current.version, { by: ctx.session.username, address: ctx.address });
      if (!out) throw stale(resource());
      publishAll(out.events);
      const body = resource();
      return { body, etag: body.etag };
    },
  };
}

type LockLike = Parameters<LockoutEngine['resetLock']>[1];

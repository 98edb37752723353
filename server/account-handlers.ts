// Issue 6 / SPEC F5 — admin accounts and login settings: list, create, change (rename), delete, passwords
// (argon2id; "no password" only when confirmed, and then reported as a warning everywhere), and your own
// login settings. Guards: only an admin without a site limit manages other accounts; the last such admin can
// neither be removed nor limited; you cannot delete the account you are signed in with.
import type { z } from 'zod';
import {
  adminPasswordProblem,
  type AccountCreateSchema,
  type AccountUpdateSchema,
  type LoginSettingsWriteSchema,
  type PasswordChangeSchema,
  TOKEN_VALIDITY_DEFAULT_MINUTES,
  type USERNAME_PARAM,
} from '../shared/accounts.js';
import type { Role } from '../shared/domain.js';
import { AppError, validationError, type FieldIssue } from '../shared/errors.js';
import { AccountStore, accountEtag, accountResource, type AccountSettings, type StoredAccount } from './accounts.js';
import type { AdminAllowlistStore } from './admin-allowlist.js';
import type { EventHub } from './events.js';
import type { HandlerResult, Handlers, RequestContext } from './http.js';
import type { Hasher } from './secrets.js';
import type { Store } from './store.js';

type Out<S extends z.ZodType> = z.output<S>;

type Ops =
  | 'listAccounts' | 'createAccount' | 'updateAccount' | 'deleteAccount' | 'setAccountPassword' | 'setOwnPassword' | 'getLoginSettings'
  | 'setLoginSettings';

export interface AccountDeps {
  store: Store;
  hub: EventHub;
  clock: () => Date;
  hasher: Hasher;
  allowlist: AdminAllowlistStore;
  /** Per-address budget of password checks (a current-password check counts like a login). */
  rateLimit: { take(address: string): void };
  /** A failed password check: the auth log row and the address lockout counter. */
  loginFailure: (ctx: RequestContext, kind: 'admin_login', reason: string) => void;
}

interface AccountSession {
  username: string;
  role: Role;
  sites: string[] | null;
  tokenHash: string;
}

/** What an audit row may say about an account: its settings, never a hash. */
function auditView(a: StoredAccount | AccountSettings & { hasPassword?: boolean }): Record<string, unknown> {
  return {
    username: a.username, role: a.role, sites: a.sites, emails: a.emails, apiAccess: a.apiAccess,
    tokenValidityMinutes: a.tokenValidityMinutes, ...('hasPassword' in a ? { hasPassword: a.hasPassword } : {}),
  };
}

export function accountHandlers<S extends AccountSession>(deps: AccountDeps): Pick<Handlers<S>, Ops> {
  const { store, hub, clock, hasher } = deps;
  const accounts = new AccountStore(store.db);
  const allowlistEmpty = () => deps.allowlist.resource('').entries.length === 0;
  const view = (a: StoredAccount, you: string) => accountResource(a, { you, allowlistEmpty: allowlistEmpty() });

  const requireManager = (session: S, what: string): void => {
    if (session.role !== 'admin' || session.sites !== null) {
      throw new AppError('forbidden', `Only an admin without a site limit may ${what}`, 403);
    }
  };

  /** Admins' consoles hear of every account change (they reload the accounts they show). */
  const announce = (ctx: RequestContext, by: string, id: number, at: string, username: string): void => {
    hub.publish({ type: 'admin.changed', id, at, what: 'accounts', username, by, address: ctx.address });
  };

  /** End the live streams of an account (its tokens' and its HTTP Basic ones), under its old and new name. */
  const endStreams = (...names: string[]): void => {
    for (const n of new Set(names)) {
      for (const h of accounts.sessionHashes(n)) hub.closeTagged(h);
      hub.closeTagged(`basic:${n}`);
    }
  };

  const find = (username: string): StoredAccount => {
    const a = accounts.get(username);
    if (!a) throw new AppError('not_found', `No account named “${username}”`, 404);
    return a;
  };

  const stale = (username: string, you: string): AppError => {
    const now = accounts.get(username);
    return new AppError('precondition_failed', `The account “${username}” was changed in the meantime; review it and try again`, 412, undefined,
      now ? { current: view(now, you), currentEtag: accountEtag(now) } : undefined);
  };

  const checkIfMatch = (ctx: RequestContext, a: StoredAccount, you: string): void => {
    const tags = (ctx.ifMatch ?? '').split(',').map((t) => t.trim());
    if (!tags.includes('*') && !tags.includes(accountEtag(a))) throw stale(a.username, you);
  };

  /** Field checks the schemas cannot make alone (they need the stored sites and accounts). */
  const settingsIssues = (s: AccountSettings, renamedFrom: string | null): FieldIssue[] => {
    const issues: FieldIssue[] = [];
    if (s.role !== 'admin' && s.apiAccess) {
      issues.push({ field: 'apiAccess', rule: 'admins_only', message: 'apiAccess: HTTP Basic API access is for admin accounts only' });
    }
    const known = new Set(store.listSites().map((x) => x.id));
    (s.sites ?? []).forEach((site, i) => {
      if (!known.has(site)) issues.push({ field: `sites.${i}`, rule: 'exists', message: `sites.${i}: there is no site “${site}”` });
    });
    if (renamedFrom !== s.username && accounts.get(s.username)) {
      issues.push({ field: 'username', rule: 'unique', message: `username: an account named “${s.username}” already exists` });
    }
    return issues;
  };

  const taken = (issues: FieldIssue[]): never => {
    const unique = issues.find((i) => i.rule === 'unique');
    if (unique && issues.length === 1) throw new AppError('conflict', unique.message, 409, issues);
    throw validationError(issues);
  };

  /** The last admin without a site limit stays one (else nobody could manage accounts or every site). */
  const guardLastAdmin = (before: StoredAccount, after: { role: Role; sites: string[] | null } | null): void => {
    const wasUnrestricted = before.role === 'admin' && before.sites === null;
    const staysUnrestricted = after !== null && after.role === 'admin' && (after.sites === null || after.sites.length === 0);
    if (!wasUnrestricted || staysUnrestricted) return;
    const others = accounts.unrestrictedAdmins().filter((u) => u !== before.username);
    if (others.length > 0) return;
    const message =
      `“${before.username}” is the last admin without a site limit; ${after === null ? 'deleting it' : 'this change'} would leave ` +
      'nobody who can manage accounts and every site. Give another account that first';
    throw new AppError('last_admin', message, 409, [{ field: after === null ? 'username' : 'role', rule: 'last_admin', message }]);
  };

  /** A new password's hash, or null when "no password" is confirmed; 422 naming the field otherwise. */
  const newPasswordHash = async (username: string, password: string | null, confirmNoPassword: boolean | undefined): Promise<string | null> => {
    if (password === null || password === '') {
      if (confirmNoPassword === true) return null;
      const message =
        'password: enter a password (an account without one is the documented insecure default; to really do that, confirm it with confirmNoPassword)';
      throw validationError([{ field: 'password', rule: 'required', message }]);
    }
    const p = adminPasswordProblem(password, username);
    if (p) throw validationError([{ field: 'password', rule: p.rule, message: p.message }]);
    return hasher.hash(password);
  };

  const normaliseSites = (sites: string[] | null | undefined): string[] | null =>
    sites === null || sites === undefined || sites.length === 0 ? null : [...new Set(sites)];

  /** Apply a settings change (update or own login settings): checks, version, audit. */
  const applySettings = (ctx: RequestContext, session: S, current: StoredAccount, next: AccountSettings, action: string): StoredAccount => {
    const issues = settingsIssues(next, current.username);
    if (issues.length) taken(issues);
    guardLastAdmin(current, next);
    const at = clock().toISOString();
    const eventId = store.db.transaction(() => {
      if (!accounts.update(current.username, current.version, next, at, session.username)) return null;
      return store.audit({
        at, actor: session.username, address: ctx.address, action, target: `admin:${next.username}`,
        detail: { before: auditView(current), after: auditView(next) },
      });
    })();
    if (eventId === null) throw stale(current.username, session.username);
    announce(ctx, session.username, eventId, at, next.username);
    // HTTP Basic streams of an account whose API access was just turned off end now
    hub.recheck();
    return find(next.username);
  };

  /**
   * The current password of `username`, for a change a stolen session must not make alone (a new password, a
   * new username). Rate-limited; a wrong one counts on the address like a failed login. 422 naming the field.
   */
  const proveCurrentPassword = async (ctx: RequestContext, username: string, given: string | undefined): Promise<void> => {
    const text = given ?? '';
    if (text === '') {
      throw validationError([{ field: 'currentPassword', rule: 'required', message: 'currentPassword: enter your current password' }]);
    }
    deps.rateLimit.take(ctx.address);
    if (await hasher.verify(accounts.passwordHash(username) as string, text)) return;
    // a wrong guess counts on the address like a failed login (a stolen session is no free guessing oracle)
    deps.loginFailure(ctx, 'admin_login', 'wrong_current_password');
    throw validationError([{ field: 'currentPassword', rule: 'matches', message: 'currentPassword: this is not your current password' }]);
  };

  const changePassword = async (ctx: RequestContext & { session: S }, username: string): Promise<HandlerResult> => {
    const body = ctx.body as Out<typeof PasswordChangeSchema>;
    const self = username === ctx.session.username;
    if (!self) requireManager(ctx.session, "set another account's password");
    const current = find(username);
    // your own: prove it is you (a stolen session alone cannot take the account over)
    if (self && current.hasPassword) await proveCurrentPassword(ctx, username, body.currentPassword);
    const hash = await newPasswordHash(username, body.password, body.confirmNoPassword);
    const at = clock().toISOString();
    // every other session of the account ends (a password change is how you throw out whoever else is in)
    const ended = accounts.sessionHashes(username).filter((h) => !(self && h === ctx.session.tokenHash));
    const eventId = store.db.transaction(() => {
      if (!accounts.setPassword(username, hash, at, ctx.session.username)) return null; // renamed or deleted meanwhile
      for (const h of ended) store.deleteSession(h);
      return store.audit({
        at, actor: ctx.session.username, address: ctx.address, action: 'account.password', target: `admin:${username}`,
        detail: { hasPassword: hash !== null, hadPassword: current.hasPassword, sessionsEnded: ended.length },
      });
    })();
    if (eventId === null) throw new AppError('not_found', `No account named “${username}” (it was renamed or deleted meanwhile)`, 404);
    announce(ctx, ctx.session.username, eventId, at, username);
    for (const h of ended) hub.closeTagged(h);
    hub.recheck();
    if (ended.length) {
      hub.publish({
        type: 'token.changed', id: eventId, at, action: 'revoked', username, count: ended.length, by: ctx.session.username, address: ctx.address,
      });
    }
    return { body: { account: view(find(username), ctx.session.username), signedOut: ended.length } };
  };

  return {
    listAccounts: (ctx) => {
      const items = accounts.list().map((a) => view(a, ctx.session.username));
      return { body: { items, total: items.length, sites: store.listSites() } };
    },

    createAccount: async (ctx) => {
      requireManager(ctx.session, 'create accounts');
      const body = ctx.body as Out<typeof AccountCreateSchema>;
      const settings: AccountSettings = {
        username: body.username,
        role: body.role,
        sites: normaliseSites(body.sites),
        emails: body.emails ?? [],
        apiAccess: body.apiAccess ?? false,
        tokenValidityMinutes: body.tokenValidityMinutes ?? TOKEN_VALIDITY_DEFAULT_MINUTES,
      };
      const issues = settingsIssues(settings, null);
      if (issues.length) taken(issues);
      const hash = await newPasswordHash(body.username, body.password, body.confirmNoPassword);
      const at = clock().toISOString();
      const created = store.db.transaction(() => {
        if (accounts.get(settings.username)) return null; // created meanwhile (while hashing)
        accounts.create(settings, hash, at, ctx.session.username);
        return store.audit({
          at, actor: ctx.session.username, address: ctx.address, action: 'account.create', target: `admin:${settings.username}`,
          detail: { after: { ...auditView(settings), hasPassword: hash !== null } },
        });
      })();
      if (created !== null) announce(ctx, ctx.session.username, created, at, settings.username);
      if (created === null) taken([{ field: 'username', rule: 'unique', message: `username: an account named “${settings.username}” already exists` }]);
      const a = find(settings.username);
      return { status: 201, body: view(a, ctx.session.username), etag: accountEtag(a) };
    },

    updateAccount: (ctx) => {
      requireManager(ctx.session, 'change accounts');
      const { username } = ctx.params as Out<typeof USERNAME_PARAM>;
      const current = find(username);
      checkIfMatch(ctx, current, ctx.session.username);
      const body = ctx.body as Out<typeof AccountUpdateSchema>;
      const next: AccountSettings = { ...body, sites: normaliseSites(body.sites) };
      const a = applySettings(ctx, ctx.session, current, next, 'account.update');
      // a role or site change applies from the account's next request; its live streams reopen with the new scope
      // a role, site or name change applies from the account's next request; its live streams (token and HTTP
      // Basic ones) end now and reopen with the new scope and name
      if (a.role !== current.role || JSON.stringify(a.sites) !== JSON.stringify(current.sites) || a.username !== current.username) {
        endStreams(current.username, a.username);
      }
      const you = ctx.session.username === username ? a.username : ctx.session.username;
      return { body: view(a, you), etag: accountEtag(a) };
    },

    deleteAccount: (ctx) => {
      requireManager(ctx.session, 'delete accounts');
      const { username } = ctx.params as Out<typeof USERNAME_PARAM>;
      const current = find(username);
      if (username === ctx.session.username) {
        const message = 'username: you cannot delete the account you are signed in with; sign in as another admin to do that';
        throw new AppError('conflict', message, 409, [{ field: 'username', rule: 'not_yourself', message }]);
      }
      checkIfMatch(ctx, current, ctx.session.username);
      guardLastAdmin(current, null);
      const sessions = accounts.sessionHashes(username);
      const at = clock().toISOString();
      const eventId = store.db.transaction(() => {
        if (!accounts.delete(username, current.version)) return null;
        return store.audit({
          at, actor: ctx.session.username, address: ctx.address, action: 'account.delete', target: `admin:${username}`,
          detail: { before: auditView(current), sessionsEnded: sessions.length, passkeysDeleted: current.passkeys },
        });
      })();
      if (eventId === null) throw stale(username, ctx.session.username);
      announce(ctx, ctx.session.username, eventId, at, username);
      for (const h of sessions) hub.closeTagged(h);
      hub.closeTagged(`basic:${username}`);
      return {};
    },

    setAccountPassword: (ctx) => changePassword(ctx, (ctx.params as Out<typeof USERNAME_PARAM>).username),
    setOwnPassword: (ctx) => changePassword(ctx, ctx.session.username),

    getLoginSettings: (ctx) => {
      const a = find(ctx.session.username);
      return { body: view(a, ctx.session.username), etag: accountEtag(a) };
    },

    setLoginSettings: async (ctx) => {
      const current = find(ctx.session.username);
      checkIfMatch(ctx, current, ctx.session.username);
      const { currentPassword, ...body } = ctx.body as Out<typeof LoginSettingsWriteSchema>;
      if (body.username !== current.username && current.hasPassword) await proveCurrentPassword(ctx, current.username, currentPassword);
      const next: AccountSettings = { ...body, role: current.role, sites: current.sites };
      const a = applySettings(ctx, ctx.session, current, next, 'account.login_settings');
      return { body: view(a, a.username), etag: accountEtag(a) };
    },
  };
}

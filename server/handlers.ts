// The operations of the route table (shared/api.ts), by operationId.
import type { z } from 'zod';
import type {
  BulkResetItem,
  BulkResetRequest,
  BulkResetResponse,
  CallRouteRequestSchema,
  CredentialParamsSchema,
  CredentialUpdate,
  DevicePhoneLoginRequestSchema,
  DeviceRegisterRequestSchema,
  ExtensionListQuerySchema,
  KeypadRequestSchema,
  NumberParamsSchema,
  PinCheckRequest,
  PinCheckResult,
  PinPolicyResource,
  PolicyKindParamsSchema,
  ProtectionUpdate,
  SessionRequestSchema,
  VoicemailLoginRequestSchema,
  VoicemailPinChangeSchema,
  VoicemailTrustedUpdate,
} from '../shared/api.js';
import {
  checkPin,
  historyCandidates,
  pinRules,
  presetOf,
  type CredentialKind,
  type PinCheckContext,
  type PinPolicy,
  type PinProblem,
} from '../shared/pin-policy.js';
import { generateDefaultPin, matchesSealedDefault } from './credentials.js';
import type { StoredPolicy } from './store.js';
import { EXTENSION_TYPE_LABEL, type ChangeSource, type Extension, type Role } from '../shared/domain.js';
import { AppError, validationError, type FieldIssue } from '../shared/errors.js';
import type { PbxEvent } from '../shared/events.js';
import { buildOpenApi } from '../shared/openapi.js';
import { KEYPAD_TOGGLE_CODE, routeIncomingCall } from '../shared/protection.js';
import type { EventHub } from './events.js';
import type { LockoutEngine } from './lockout.js';
import type { LockCredential } from '../shared/lockout.js';
import { normaliseAddress } from '../shared/cidr.js';
import { lockoutHandlers } from './lockout-handlers.js';
import { hotdeskHandlers } from './hotdesk-handlers.js';
import { listAudit, verifyAuditAsync } from './audit.js';
import { auditCsv, type AuditQuerySchema } from '../shared/audit.js';
import type { TokenRevokeRequestSchema } from '../shared/tokens.js';

/** At most this many rows in one CSV export (the newest that match). */
const AUDIT_EXPORT_MAX = 100_000;
import type { HotDeskStore } from './hotdesk.js';
import { AdminAllowlistStore } from './admin-allowlist.js';
import type { AdminAllowlistWriteSchema } from '../shared/admin.js';
import type { CredentialRateLimiter } from './rate-limit.js';
import { passkeyHandlers } from './passkey-handlers.js';
import { accountHandlers } from './account-handlers.js';
import { exportHandlers } from './export.js';
import { HIJACKED, type HandlerResult, type Handlers, type RequestContext } from './http.js';
import { newToken, sha256Hex, type Hasher } from './secrets.js';
import type { Store } from './store.js';

/** How long a session token is valid. */
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;
/** last_used_at is written at most this often per token (a read should not cost an fsync each time). */
const TOUCH_INTERVAL_MS = 60 * 1000;

/** A bulk reset writes its results in transactions of this many items (one commit, not one per item). */
const BULK_BATCH = 250;

/** One answer for every refused keypad request, whatever the reason: no oracle. */
export const KEYPAD_REJECTED_MESSAGE = 'The feature code or password was not accepted';

export interface Session {
  username: string;
  role: Role;
  /** A session token, or HTTP Basic (API access on; tokenHash is then "basic:<username>"). */
  via: 'token' | 'basic';
  /** How the token was made (password, passkey, refresh; "basic" for HTTP Basic) and when. */
  method: string;
  createdAt: string;
  /** The sites this account may see and act on; null = every site. */
  sites: string[] | null;
  expiresAt: string;
  tokenHash: string;
}

/** May this session see an extension of `siteId`? */
export function inScope(session: Pick<Session, 'sites'>, siteId: string): boolean {
  return session.sites === null || session.sites.includes(siteId);
}

/**
 * Which live events a session receives: a site-scoped account only events about extensions of its sites;
 * a receptionist nothing but hello and extension events (no settings).
 */
export function eventVisible(session: Pick<Session, 'sites' | 'role' | 'username'>, ev: PbxEvent): boolean {
  if (ev.type === 'hello') return true;
  // an account's own tokens: only its own sessions
  if (ev.type === 'token.changed') return ev.username === session.username;
  // Lock rows: staff of the extension's sites (receptionists unlock); bans: staff (receptionists unban);
  // the allowlist and the lockout policy: admins.
  if (ev.type === 'lockout.changed') return inScope(session, ev.lock.siteId);
  if (ev.type === 'ban.changed') return true;
  // hot desking: staff of the extension's site (receptionists log phones out); settings: admins
  if (ev.type === 'hotdesk.changed' || ev.type === 'hotdesk.mapping_changed') return inScope(session, ev.siteId);
  // template names are in every hot-desk row, so staff hear of template changes (nothing secret in it)
  if (ev.type === 'hotdesk.settings_changed' && ev.what === 'templates') return true;
  if ('extension' in ev) return inScope(session, ev.extension.siteId);
  return session.role === 'admin';
}

/** How long a phone registration lasts (a phone registers again before it ends). */
export const REGISTRATION_SECONDS = 3600;

export interface AppDeps {
  store: Store;
  hasher: Hasher;
  hub: EventHub;
  clock: () => Date;
  /** SPEC F3: failed attempts, extension locks and address bans. */
  lockout: LockoutEngine;
  /** SPEC F4: phones, templates, mappings, hot-desk settings. */
  hotdesk: HotDeskStore;
  /** Issue 6: the addresses the management API answers. */
  allowlist: AdminAllowlistStore;
  /** Issue 6: password checks per address (logins, passkeys, HTTP Basic). */
  rateLimit: CredentialRateLimiter;
  /** Issue 6: the WebAuthn relying party (passkeys): a host name such as "localhost", and a display name. */
  webauthn: { rpId: string; rpName: string };
  serverName: string;
  version: string;
}

type Out<S extends z.ZodType> = z.output<S>;

function typeName(ext: Extension): string {
  const label = EXTENSION_TYPE_LABEL[ext.type].toLowerCase();
  const article = /^[aeiou]/.test(label) || ext.type === 'ivr' ? 'an' : 'a';
  return `${article} ${ext.type === 'ivr' ? 'IVR' : label}`;
}

/** The checks every sign-in path shares (password, passkey, HTTP Basic). */
function loginGuards(deps: AppDeps) {
  const { store, hasher, hub, clock, lockout } = deps;
  const publishAll = (events: PbxEvent[]): void => {
    for (const ev of events) hub.publish(ev);
  };
  /** SPEC F3 + issue 6: a banned address is refused before any credential work, like a wrong password. */
  const loginGate = async (ctx: RequestContext): Promise<void> => {
    deps.rateLimit.take(ctx.address);
    const gate = lockout.check({ extension: null, credential: null, address: ctx.address, userAgent: ctx.userAgent });
    if (gate.ok) return;
    publishAll(gate.events);
    await hasher.waitLikeVerify();
    throw new AppError('invalid_credentials', 'Wrong username or password', 401);
  };

  /** A failed admin login (password, passkey or HTTP Basic) counts toward its address (no extension to lock). */
  const loginFailure = (ctx: RequestContext, kind: 'admin_login' | 'admin_basic' | 'admin_passkey', reason: string): void => {
    const events = store.db.transaction(() => {
      store.recordAuthFailure({ at: clock().toISOString(), kind, extension: null, address: ctx.address, userAgent: ctx.userAgent, reason });
      return lockout.failure({ extension: null, credential: null, address: ctx.address, userAgent: ctx.userAgent });
    })();
    publishAll(events);
  };

  return { loginGate, loginFailure };
}

/** HTTP Basic verifications that succeeded, for a minute: an API client does not pay argon2 on every request. */
const BASIC_CACHE_MS = 60_000;

export function authenticator(deps: AppDeps) {
  const { loginGate, loginFailure } = loginGuards(deps);
  /** sha256(Authorization header) → the account and the password hash it was verified against, until when. */
  const basicOk = new Map<string, { username: string; passwordHash: string; until: number }>();

  /**
   * HTTP Basic (SPEC F5 "API access"): only for an admin whose API access is on. Rate-limited and counted on
   * the address like a password login; the password is checked before API access is looked at, so the answer
   * tells nothing to someone who does not know it.
   */
  const basic = async (ctx: RequestContext, header: string, encoded: string): Promise<Session> => {
    // per address: a password verified from one place is checked again (ban, rate, argon2) from another
    const key = sha256Hex(`${ctx.address} ${header}`);
    const now = deps.clock().getTime();
    const decoded = Buffer.from(encoded, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 1) throw new AppError('unauthorized', 'HTTP Basic credentials must be username:password in base64', 401);
    const username = decoded.slice(0, colon);
    const password = decoded.slice(colon + 1);
    let admin = deps.store.getAdmin(username);
    const cached = basicOk.get(key);
    // a remembered header is still refused from an address banned since (no hashing: the ban check only)
    const fresh =
      cached !== undefined && cached.until > now && admin?.passwordHash === cached.passwordHash &&
      deps.lockout.check({ extension: null, credential: null, address: ctx.address, userAgent: ctx.userAgent }).ok;
    if (!fresh) {
      basicOk.delete(key);
      await loginGate(ctx);
      admin = deps.store.getAdmin(username);
      // an account without a password never gets Basic (there is nothing to check)
      const ok = admin?.passwordHash ? await deps.hasher.verify(admin.passwordHash, password) : await deps.hasher.verifyNothing(password);
      if (!admin || !admin.passwordHash || !ok) {
        loginFailure(ctx, 'admin_basic', admin ? (admin.passwordHash ? 'wrong_password' : 'no_password') : 'unknown_user');
        throw new AppError('invalid_credentials', 'Wrong username or password', 401);
      }
      if (basicOk.size >= 1000) basicOk.clear();
      basicOk.set(key, { username, passwordHash: admin.passwordHash, until: now + BASIC_CACHE_MS });
    }
    if (!admin || admin.role !== 'admin' || !admin.apiAccess) {
      throw new AppError(
        'unauthorized',
        'HTTP Basic authentication is off for this account (API access); log in with POST /api/v1/session and send the token as Bearer',
        401,
      );
    }
    ctx.reply.removeHeader('www-authenticate');
    return {
      username: admin.username, role: admin.role, via: 'basic', method: 'basic', createdAt: new Date(now).toISOString(), sites: admin.sites,
      expiresAt: new Date(now).toISOString(), tokenHash: `basic:${admin.username}`,
    };
  };

  return (ctx: RequestContext): Session | Promise<Session> => {
    const header = ctx.req.headers.authorization;
    ctx.reply.header('www-authenticate', 'Bearer realm="pbx-warden"');
    if (typeof header !== 'string' || header.trim() === '') {
      throw new AppError('unauthorized', 'Log in first: send Authorization: Bearer <token> (POST /api/v1/session)', 401);
    }
    const b = /^Basic\s+([A-Za-z0-9+/]{1,1024}={0,2})\s*$/i.exec(header);
    if (b) return basic(ctx, header, b[1] as string);
    const m = /^Bearer\s+([A-Za-z0-9_-]{16,256})\s*$/i.exec(header);
    const invalid = () =>
      new AppError('unauthorized', 'The session token is not valid (revoked, or never issued); log in again', 401);
    if (!m) throw invalid();
    const tokenHash = sha256Hex(m[1] as string);
    const s = deps.store.findSession(tokenHash);
    if (!s) throw invalid();
    const now = deps.clock();
    if (Date.parse(s.expiresAt) <= now.getTime()) {
      deps.store.deleteSession(tokenHash);
      throw new AppError('unauthorized', 'The session has expired; log in again', 401);
    }
    // last used: when, from where, with what (written at most once a minute, or at once from a new place)
    const ua = ctx.userAgent === null ? null : ctx.userAgent.slice(0, 300);
    if (!s.lastUsedAt || now.getTime() - Date.parse(s.lastUsedAt) >= TOUCH_INTERVAL_MS || s.lastUsedFrom !== ctx.address || s.lastUsedUa !== ua) {
      deps.store.touchSession(tokenHash, now.toISOString(), ctx.address, ua);
    }
    ctx.reply.removeHeader('www-authenticate');
    return {
      username: s.username, role: s.role, via: 'token', method: s.method, createdAt: s.createdAt, sites: s.sites, expiresAt: s.expiresAt, tokenHash,
    };
  };
}

/** ETag of a PIN policy version (a different namespace from extension versions). */
export function policyEtag(version: number): string {
  return `"p${version}"`;
}

function policyResource(sp: StoredPolicy): PinPolicyResource {
  return {
    kind: sp.kind,
    policy: sp.policy,
    preset: presetOf(sp.policy),
    version: sp.version,
    etag: policyEtag(sp.version),
    updatedAt: sp.updatedAt,
    updatedBy: sp.updatedBy,
  };
}

export function createHandlers(deps: AppDeps): Handlers<Session> {
  const { store, hasher, hub, clock, lockout } = deps;
  const box = hasher.defaultPinBox();

  const publishAll = (events: PbxEvent[]): void => {
    for (const ev of events) hub.publish(ev);
  };

  /**
   * SPEC F3, before any hashing: a banned address or a locked extension credential is refused with exactly
   * the answer of a wrong password (the 403 every device refusal gets), and no argon2 work at all.
   */
  const deviceGate = async (ctx: RequestContext, extension: string, credential: LockCredential): Promise<() => void> => {
    const r = store.db.transaction(() => {
      const verdict = lockout.check({ extension, credential, address: ctx.address, userAgent: ctx.userAgent });
      if (!verdict.ok && verdict.reason === 'locked') {
        store.recordAuthFailure({
          at: clock().toISOString(), kind: credential, extension, address: ctx.address, userAgent: ctx.userAgent, reason: 'locked',
        });
      }
      return verdict;
    })();
    // parallel guesses: counted failures + attempts in flight stay below the threshold
    const release = r.ok ? lockout.reserve(extension, credential) : null;
    if (release) return release;
    if (!r.ok) publishAll(r.events);
    // the answer of a wrong password, after the time one takes (a timer, no hashing)
    await hasher.waitLikeVerify();
    throw new AppError('keypad_rejected', KEYPAD_REJECTED_MESSAGE, 403);
  };

  /** A failed device attempt: the auth log row and the lockout counters, in one transaction; then the events. */
  const deviceFailure = (ctx: RequestContext, kind: LockCredential, extension: string, reason: string): void => {
    const at = clock().toISOString();
    const events = store.db.transaction(() => {
      store.recordAuthFailure({ at, kind, extension, address: ctx.address, userAgent: ctx.userAgent, reason });
      return lockout.failure({ extension, credential: kind, address: ctx.address, userAgent: ctx.userAgent });
    })();
    publishAll(events);
  };

  const { loginGate, loginFailure } = loginGuards(deps);

  /**
   * A new login token for `username` (after a password, a passkey, or in exchange for `replaces`): valid for the
   * account's token validity, stored hashed, audited, announced to the account's own sessions.
   */
  const issueSession = (
    ctx: RequestContext,
    username: string,
    method: 'password' | 'passkey' | 'refresh',
    replaces?: string,
  ): { token: string; expiresAt: string; role: Role; username: string; noPassword: boolean } => {
    const admin = store.getAdmin(username);
    if (!admin) throw new AppError('unauthorized', 'The account no longer exists; log in again', 401);
    const now = clock();
    const token = newToken();
    const tokenHash = sha256Hex(token);
    const expiresAt = new Date(now.getTime() + admin.tokenValidityMinutes * 60_000).toISOString();
    const eventId = store.db.transaction(() => {
      store.deleteExpiredSessions(now.toISOString());
      if (replaces) store.deleteSession(replaces);
      store.createSession({
        tokenHash, username, createdAt: now.toISOString(), expiresAt, createdFrom: ctx.address, userAgent: ctx.userAgent, method,
      });
      return store.audit({
        at: now.toISOString(),
        actor: username,
        address: ctx.address,
        action: method === 'refresh' ? 'session.refresh' : 'session.create',
        target: `admin:${username}`,
        detail: { expiresAt, tokenId: tokenHash.slice(0, 16), method, ...(replaces ? { replaces: replaces.slice(0, 16) } : {}) },
      });
    })();
    hub.publish({
      type: 'token.changed', id: eventId, at: now.toISOString(), action: 'created', username, count: 1, by: username, address: ctx.address,
    });
    return { token, expiresAt, role: admin.role, username, noPassword: admin.passwordHash === null };
  };

  const requireAdmin = (session: Session, what: string): void => {
    if (session.role !== 'admin') {
      throw new AppError('forbidden', `Only an admin may ${what}`, 403);
    }
  };

  /** The number's default voicemail PIN in clear (server-side only), or null when it has none. */
  const defaultPinPlain = (number: string): string | null => {
    const d = store.defaultPinOf(number);
    return d ? box.open(d.enc, number) : null;
  };

  /**
   * The checks of every credential write path (and of the policy tester, which must agree with them): the
   * shared engine (format + policy, extension, default PIN), then — only when those pass, since it costs
   * argon2 time — the history against the last N hashes (the value and its reverse), N from `policy`.
   * number null: no extension, so its rules (extension, default PIN, history) stay undecided.
   * Returns the failed rules and the context they were decided with. History verification goes through
   * the Hasher's gate (429 when it is full).
   */
  const credentialProblems = async (
    number: string | null,
    kind: CredentialKind,
    value: string,
    policy: PinPolicy,
  ): Promise<{ problems: PinProblem[]; context: PinCheckContext }> => {
    if (number === null) return { problems: checkPin(value, policy), context: {} };
    const defaultPin = kind === 'voicemail_pin' ? defaultPinPlain(number) : null;
    const context: PinCheckContext = { extension: number, defaultPin };
    const problems = checkPin(value, policy, context);
    if (problems.length === 0 && policy.historyCount > 0) {
      const hashes = store.historyHashes(number, kind, policy.historyCount);
      const candidates = historyCandidates(value);
      // allSettled: when the gate refuses one verification (429), the request still waits for its others,
      // so no work of an answered request stays queued behind the next caller.
      const settled = await Promise.allSettled(hashes.flatMap((h) => candidates.map((c) => hasher.verify(h, c))));
      const failure = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failure) throw failure.reason;
      context.reused = settled.some((r) => r.status === 'fulfilled' && r.value);
      return { problems: checkPin(value, policy, context), context };
    }
    return { problems, context };
  };

  /** Every write path of a credential goes through here. Throws 422 pin_policy_violation with the failed rules. */
  const validateCredential = async (
    number: string,
    kind: CredentialKind,
    value: string,
    field: string,
  ): Promise<{ policy: PinPolicy; policyVersion: number }> => {
    const { policy, version } = store.getPolicy(kind);
    const { problems } = await credentialProblems(number, kind, value, policy);
    const issues: FieldIssue[] = problems.map((p) => ({ field, rule: p.rule, message: `${field}: ${p.message}` }));
    if (issues.length) throw validationError(issues, 'pin_policy_violation');
    return { policy, policyVersion: version };
  };

  /** Store a credential on the extension at `expected.version`, with an audit row; 412 when it moved on. */
  const commitCredential = (
    expected: Extension,
    kind: CredentialKind,
    change: { hash: string | null; isDefault: boolean; policyVersion?: number },
    who: { by: string; from: string; source: 'console' | 'device' | 'system' },
    action: string,
    /** More writes of the same change, in its transaction (only when it applies); their events go out first. */
    also?: () => PbxEvent[] | void,
  ): Extension => {
    const at = clock().toISOString();
    let eventId = 0;
    let alsoEvents: PbxEvent[] = [];
    const STALE = Symbol('stale');
    let updated: Extension | undefined;
    try {
      updated = store.db.transaction(() => {
        const next = store.setCredential(expected.number, expected.version, kind, { ...change, at, by: who.by });
        // stale: throw, so that nothing of this change (nor of `also`) is committed
        if (!next) throw STALE;
        alsoEvents = also?.() ?? [];
        eventId = store.audit({
        at,
        actor: who.by,
        address: who.from,
        action,
        target: `extension:${expected.number}`,
          detail: { kind, isDefault: change.isDefault, version: next.version },
        });
        return next;
      })();
    } catch (err) {
      if (err === STALE) throw stale(requireExtension(expected.number));
      throw err;
    }
    // in id order: `also`'s audit rows were written first
    publishAll(alsoEvents);
    hub.publish({
      type: 'credentials.changed',
      id: eventId,
      at,
      number: updated.number,
      kind,
      action: who.source === 'device' ? 'device_change' : change.isDefault ? 'reset' : 'set',
      source: who.source,
      by: who.by,
      address: who.from,
      extension: updated,
    });
    return updated;
  };

  const voicemailReject = (ctx: RequestContext, extension: string, reason: string): never => {
    deviceFailure(ctx, 'voicemail', extension, reason);
    throw new AppError('keypad_rejected', KEYPAD_REJECTED_MESSAGE, 403);
  };

  /** Check a mailbox PIN; the same 403 for every failure. Returns whether the PIN is still the default. */
  const verifyVoicemail = async (ctx: RequestContext, extension: string, pin: string): Promise<{ isDefault: boolean }> => {
    const release = await deviceGate(ctx, extension, 'voicemail');
    try {
      return await checkVoicemailPin(ctx, extension, pin);
    } finally {
      release();
    }
  };

  /**
   * Does `pin` open the mailbox of `extension`? Exactly one verification's time whatever the answer; records
   * nothing (the callers count failures against their own credential).
   */
  const voicemailPinMatches = async (
    extension: string,
    pin: string,
  ): Promise<{ ok: true; isDefault: boolean } | { ok: false; reason: string }> => {
    const ext = store.getExtension(extension);
    const cred = ext ? store.credentialOf(extension, 'voicemail_pin') : undefined;
    if (!ext || ext.status !== 'active' || !ext.voicemail || !cred) {
      await hasher.verifyNothing(pin);
      return { ok: false, reason: !ext ? 'unknown_extension' : 'no_mailbox' };
    }
    let ok: boolean;
    if (cred.isDefault) {
      const d = store.defaultPinOf(extension);
      if (!d) {
        await hasher.verifyNothing(pin);
        return { ok: false, reason: 'no_default' };
      }
      if (d.hash) ok = await hasher.verify(d.hash, pin);
      else {
        // Hash pending (bulk seeding): decrypt and compare, spending the same time as a verification.
        await hasher.verifyNothing(pin);
        ok = matchesSealedDefault(box, d.enc, extension, pin);
      }
    } else {
      ok = await hasher.verify(cred.hash as string, pin);
    }
    return ok ? { ok: true, isDefault: cred.isDefault } : { ok: false, reason: 'wrong_pin' };
  };

  const checkVoicemailPin = async (ctx: RequestContext, extension: string, pin: string): Promise<{ isDefault: boolean }> => {
    const r = await voicemailPinMatches(extension, pin);
    if (!r.ok) return voicemailReject(ctx, extension, r.reason);
    lockout.success({ extension, credential: 'voicemail', address: ctx.address });
    return { isDefault: r.isDefault };
  };

  /**
   * Check a device credential other than the mailbox PIN (registration: the phone password; phone login:
   * the login code). Locked, unknown, inactive, unset and wrong all get the same 403 after the same work.
   */
  const verifyDeviceSecret = async (
    ctx: RequestContext,
    extension: string,
    lockCredential: 'registration' | 'phone_login',
    kind: 'phone_password' | 'login_code',
    secret: string,
  ): Promise<void> => {
    const release = await deviceGate(ctx, extension, lockCredential);
    try {
      const ext = store.getExtension(extension);
      const cred = ext && ext.status === 'active' ? store.credentialOf(extension, kind) : undefined;
      const ok = cred?.hash ? await hasher.verify(cred.hash, secret) : await hasher.verifyNothing(secret);
      if (!ok) {
        deviceFailure(ctx, lockCredential, extension, !ext ? 'unknown_extension' : !cred?.hash ? 'not_set' : 'wrong_password');
        throw new AppError('keypad_rejected', KEYPAD_REJECTED_MESSAGE, 403);
      }
      lockout.success({ extension, credential: lockCredential, address: ctx.address });
    } finally {
      release();
    }
  };

  const requireExtension = (number: string, field = 'number'): Extension => {
    const ext = store.getExtension(number);
    if (!ext) {
      const message = `Extension ${number} does not exist`;
      throw new AppError('not_found', message, 404, [{ field, rule: 'exists', message: `${field}: ${message}` }]);
    }
    return ext;
  };

  /** requireExtension, and within the session's sites: another site's extension is 404 (not 403: no leak). */
  const requireVisible = (session: Session, number: string): Extension => {
    const ext = requireExtension(number);
    if (!inScope(session, ext.siteId)) {
      const message = `Extension ${number} does not exist`;
      throw new AppError('not_found', message, 404, [{ field: 'number', rule: 'exists', message: `number: ${message}` }]);
    }
    return ext;
  };

  const stale = (current: Extension): AppError =>
    new AppError(
      'precondition_failed',
      `Extension ${current.number} was changed in the meantime (now ${current.etag}); review the current version and try again`,
      412,
      undefined,
      { current, currentEtag: current.etag },
    );

  const checkIfMatch = (ifMatch: string | null, ext: Extension): void => {
    const tags = (ifMatch ?? '').split(',').map((t) => t.trim());
    if (!tags.includes('*') && !tags.includes(ext.etag)) throw stale(ext);
  };

  const notSupported = (ext: Extension): AppError =>
    new AppError(
      'protection_not_supported',
      `Extension ${ext.number} is ${typeName(ext)}; only phone-terminal extensions can be protected`,
      409,
    );

  /**
   * Apply a protection change if the extension is still at `expected.version`, audit it and publish the
   * event — all or nothing. Throws 412 with the current version when someone else got there first.
   */
  const commitProtection = (
    expected: Extension,
    change: { enabled: boolean; state: 'unrestricted' | 'blocked'; hash?: string | undefined },
    who: { by: string; from: string; source: ChangeSource },
    action: string,
    detail: Record<string, unknown>,
  ): Extension => {
    const at = clock().toISOString();
    let eventId = 0;
    const updated = store.db.transaction(() => {
      const next = store.updateProtection(expected.number, expected.version, { ...change, at, by: who.by, from: who.from });
      if (!next) return undefined;
      eventId = store.audit({
        at,
        actor: who.by,
        address: who.from,
        action,
        target: `extension:${expected.number}`,
        detail: { ...detail, enabled: next.protection.enabled, state: next.protection.state, version: next.version },
      });
      return next;
    })();
    if (!updated) throw stale(requireExtension(expected.number));
    const ev: PbxEvent = {
      type: 'protection.changed',
      id: eventId,
      at,
      number: updated.number,
      source: who.source,
      by: who.by,
      address: who.from,
      extension: updated,
    };
    hub.publish(ev);
    return updated;
  };

  /** `counts` false: not a wrong password (it was right, but the protection changed meanwhile). */
  const keypadReject = (ctx: RequestContext, extension: string, reason: string, counts = true): never => {
    if (counts) deviceFailure(ctx, 'keypad', extension, reason);
    else {
      store.recordAuthFailure({ at: clock().toISOString(), kind: 'keypad', extension, address: ctx.address, userAgent: ctx.userAgent, reason });
    }
    throw new AppError('keypad_rejected', KEYPAD_REJECTED_MESSAGE, 403);
  };

  /** *11 + protection password (after the lockout gate). */
  const keypad = async (ctx: RequestContext, extension: string, code: string, digits: string): Promise<HandlerResult> => {
    if (code !== KEYPAD_TOGGLE_CODE) {
      await hasher.verifyNothing(digits);
      return keypadReject(ctx, extension, 'unknown_code');
    }
    const ext = store.getExtension(extension);
    const hash = ext ? store.protectionHashOf(extension) : null;
    if (!ext || ext.type !== 'phone_terminal' || ext.status !== 'active' || !ext.protection.enabled || !hash) {
      await hasher.verifyNothing(digits);
      return keypadReject(ctx, extension, !ext ? 'unknown_extension' : 'protection_off');
    }
    if (!(await hasher.verify(hash, digits))) return keypadReject(ctx, extension, 'wrong_password');
    // The password was checked against `hash`; toggle the state as it is now, unless protection or its
    // password changed while we were hashing.
    const current = store.getExtension(extension);
    if (!current || !current.protection.enabled || store.protectionHashOf(extension) !== hash) {
      return keypadReject(ctx, extension, 'changed_during_check', false);
    }
    lockout.success({ extension, credential: 'keypad', address: ctx.address });
    const state = current.protection.state === 'blocked' ? 'unrestricted' : 'blocked';
    const updated = commitProtection(
      current,
      { enabled: true, state },
      { by: 'keypad', from: ctx.address, source: 'keypad' },
      'protection.keypad_toggle',
      { code },
    );
    return {
      body: {
        result: 'ok',
        state: updated.protection.state,
        announcement: state === 'blocked' ? 'Phone access is now blocked' : 'Phone access is now unrestricted',
      },
    };
  };

  return {
    ...lockoutHandlers<Session>({ lockout, store, hub, inScope, limitedToSites: (session) => session.sites !== null }),
    getAdminAllowlist: (ctx) => {
      const r = deps.allowlist.resource(ctx.address);
      return { body: r, etag: r.etag };
    },

    setAdminAllowlist: (ctx) => {
      const body = ctx.body as Out<typeof AdminAllowlistWriteSchema>;
      const current = deps.allowlist.resource(ctx.address);
      const tags = (ctx.ifMatch ?? '').split(',').map((t) => t.trim());
      const stale = () => {
        const now = deps.allowlist.resource(ctx.address);
        return new AppError('precondition_failed', 'The admin allowlist was changed in the meantime; review it and try again', 412, undefined, {
          current: now, currentEtag: now.etag,
        });
      };
      if (!tags.includes('*') && !tags.includes(current.etag)) throw stale();
      const entries = AdminAllowlistStore.normalise(body.entries);
      // the guard against locking yourself out: the list must let the saver's own address in, or say so
      if (!AdminAllowlistStore.wouldAdmit(entries, ctx.address) && body.confirmExcludeSelf !== true) {
        const message =
          `entries: this list leaves out ${ctx.address}, the address you are working from; your next request would be ` +
          'refused. Add it, or confirm (confirmExcludeSelf) that you mean it';
        throw new AppError('allowlist_excludes_you', message, 409, [{ field: 'entries', rule: 'includes_you', message }]);
      }
      const at = clock().toISOString();
      const version = Number(/(\d+)"$/.exec(current.etag)?.[1]);
      const eventId = store.db.transaction(() => {
        if (!deps.allowlist.save(entries, version, at, ctx.session.username)) return null;
        return store.audit({
          at, actor: ctx.session.username, address: ctx.address, action: 'admin.allowlist', target: 'admin:allowlist',
          detail: { before: current.entries, after: entries, excludesSaver: !AdminAllowlistStore.wouldAdmit(entries, ctx.address) },
        });
      })();
      if (eventId === null) throw stale();
      // live streams from addresses the list now leaves out end at once (requests are refused from now on)
      hub.recheck();
      hub.publish({ type: 'admin.changed', id: eventId, at, what: 'allowlist', username: null, by: ctx.session.username, address: ctx.address });
      const r = deps.allowlist.resource(ctx.address);
      return { body: r, etag: r.etag };
    },

    listTokens: (ctx) => {
      const items = store.sessionsOf(ctx.session.username, clock().toISOString()).map((t) => ({
        id: t.tokenHash.slice(0, 16),
        type: 'session' as const,
        username: ctx.session.username,
        createdAt: t.createdAt,
        createdFrom: t.createdFrom,
        createdUserAgent: t.userAgent,
        createdWith: t.method,
        lastUsedAt: t.lastUsedAt,
        lastUsedFrom: t.lastUsedFrom,
        lastUsedUserAgent: t.lastUsedUa,
        expiresAt: t.expiresAt,
        current: t.tokenHash === ctx.session.tokenHash,
      }));
      return { body: { items } };
    },

    revokeTokens: (ctx) => {
      const req = ctx.body as Out<typeof TokenRevokeRequestSchema>;
      const mine = store.sessionsOf(ctx.session.username, clock().toISOString());
      const wanted = new Set(req.ids ?? []);
      const targets = req.allExceptCurrent ? mine.filter((t) => t.tokenHash !== ctx.session.tokenHash) : mine.filter((t) => wanted.has(t.tokenHash.slice(0, 16)));
      if (targets.length === 0) return { body: { revoked: 0, currentRevoked: false } };
      const at = clock().toISOString();
      const eventId = store.db.transaction(() => {
        for (const t of targets) store.deleteSession(t.tokenHash);
        return store.audit({
          at, actor: ctx.session.username, address: ctx.address, action: 'session.revoke', target: `admin:${ctx.session.username}`,
          detail: { count: targets.length, ids: targets.map((t) => t.tokenHash.slice(0, 16)), allExceptCurrent: req.allExceptCurrent === true },
        });
      })();
      // a revoked token's live stream ends now; the token is refused from its next request
      for (const t of targets) hub.closeTagged(t.tokenHash);
      hub.publish({
        type: 'token.changed', id: eventId, at, action: 'revoked', username: ctx.session.username, count: targets.length,
        by: ctx.session.username, address: ctx.address,
      });
      return { body: { revoked: targets.length, currentRevoked: targets.some((t) => t.tokenHash === ctx.session.tokenHash) } };
    },

    listAudit: (ctx) => ({ body: listAudit(store.db, ctx.query as Out<typeof AuditQuerySchema>) }),
    // in batches, yielding between them: phones and other consoles are answered while a long log is checked
    verifyAudit: async () => ({ body: await verifyAuditAsync(store.db) }),
    exportAudit: (ctx) => {
      const q = ctx.query as Omit<Out<typeof AuditQuerySchema>, 'limit' | 'cursor'>;
      const { items, total } = listAudit(store.db, { ...q, limit: AUDIT_EXPORT_MAX });
      const csv = auditCsv(items.reverse());
      // an export is a security event too (written after, so it is not in the file it describes)
      const at = clock().toISOString();
      store.audit({
        at, actor: ctx.session.username, address: ctx.address, action: 'audit.exported', target: null,
        detail: { rows: items.length, total, filters: q },
      });
      const stamp = at.slice(0, 19).replace(/[:T]/g, '-');
      return { body: csv, headers: { 'content-disposition': `attachment; filename="audit-${stamp}.csv"`, 'x-total-count': String(total) } };
    },
    ...passkeyHandlers<Session>({
      store, hub, clock, rpId: deps.webauthn.rpId, rpName: deps.webauthn.rpName, rateLimit: deps.rateLimit, loginGate, loginFailure, issueSession,
    }),
    ...accountHandlers<Session>({ store, hub, clock, hasher, allowlist: deps.allowlist, rateLimit: deps.rateLimit, loginFailure }),
    ...exportHandlers<Session>({
      store, lockout, hotdesk: deps.hotdesk, allowlist: deps.allowlist, clock, serverName: deps.serverName, version: deps.version,
    }),
    ...hotdeskHandlers<Session>({
      store, hub, hotdesk: deps.hotdesk, hasher, lockout, clock, inScope, deviceGate, deviceFailure, voicemailPinMatches,
      rejected: () => new AppError('keypad_rejected', KEYPAD_REJECTED_MESSAGE, 403),
    }),
    health: () => ({ body: { ok: true, server: deps.serverName, version: deps.version } }),

    createSession: async (ctx) => {
      const { username, password } = ctx.body as Out<typeof SessionRequestSchema>;
      // SPEC F3: a banned address is refused before any hashing, with the answer of a wrong password.
      await loginGate(ctx);
      const admin = store.getAdmin(username);
      // "no password" (the documented insecure default): the username and an empty password sign in
      const ok = admin?.passwordHash
        ? await hasher.verify(admin.passwordHash, password)
        : admin
          ? (await hasher.verifyNothing(password), password === '')
          : await hasher.verifyNothing(password);
      if (!admin || !ok) {
        loginFailure(ctx, 'admin_login', admin ? 'wrong_password' : 'unknown_user');
        throw new AppError('invalid_credentials', 'Wrong username or password', 401);
      }
      return { body: issueSession(ctx, admin.username, 'password') };
    },

    refreshSession: (ctx) => {
      if (ctx.session.via === 'basic') {
        throw new AppError('conflict', 'There is no session to refresh: this request was made with HTTP Basic (log in with POST /session for a token)', 409);
      }
      const body = issueSession(ctx, ctx.session.username, 'refresh', ctx.session.tokenHash);
      // the old token's live streams carry on under the new one (no gap; the console keeps its screen)
      hub.retag(ctx.session.tokenHash, sha256Hex(body.token));
      return { body };
    },

    getSession: (ctx) => ({
      body: {
        username: ctx.session.username, role: ctx.session.role, expiresAt: ctx.session.expiresAt, server: deps.serverName,
        noPassword: store.getAdmin(ctx.session.username)?.passwordHash == null, via: ctx.session.via,
      },
    }),

    deleteSession: (ctx) => {
      if (ctx.session.via === 'basic') {
        throw new AppError('conflict', 'There is no session to log out of: this request was made with HTTP Basic', 409);
      }
      const at = clock().toISOString();
      const eventId = store.db.transaction(() => {
        store.deleteSession(ctx.session.tokenHash);
        return store.audit({
          at,
          actor: ctx.session.username,
          address: ctx.address,
          action: 'session.delete',
          target: `admin:${ctx.session.username}`,
          detail: { tokenId: ctx.session.tokenHash.slice(0, 16) },
        });
      })();
      hub.closeTagged(ctx.session.tokenHash);
      // the account's other consoles see the token leave their "used tokens" list
      hub.publish({
        type: 'token.changed', id: eventId, at, action: 'revoked', username: ctx.session.username, count: 1,
        by: ctx.session.username, address: ctx.address,
      });
      return {};
    },

    listSites: (ctx) => {
      const items = store.listSites().filter((site) => inScope(ctx.session, site.id));
      return { body: { items, total: items.length } };
    },

    listExtensions: (ctx) => ({
      body: store.listExtensions({ ...(ctx.query as Out<typeof ExtensionListQuerySchema>), scope: ctx.session.sites }),
    }),

    getExtension: (ctx) => {
      const ext = requireVisible(ctx.session, (ctx.params as Out<typeof NumberParamsSchema>).number);
      return { body: ext, etag: ext.etag };
    },

    setProtection: async (ctx) => {
      const { number } = ctx.params as Out<typeof NumberParamsSchema>;
      const body = ctx.body as ProtectionUpdate;
      const ext = requireVisible(ctx.session, number);
      checkIfMatch(ctx.ifMatch, ext);
      if (ext.type !== 'phone_terminal') throw notSupported(ext);
      if (body.enabled && body.password === undefined && !ext.protection.passwordSet) {
        const message = 'password: enter a protection password (3 to 12 digits) to turn protection on';
        throw new AppError('protection_password_required', message, 422, [{ field: 'password', rule: 'required', message }]);
      }
      // The format (3 to 12 digits) was checked with the body; the protection password's PIN policy too
      // (SPEC F2: every write path), history included.
      if (body.password !== undefined) await validateCredential(number, 'protection_password', body.password, 'password');
      // Everything is valid: only now spend the argon2 time.
      const hash = body.password !== undefined ? await hasher.hash(body.password) : undefined;
      const state = body.enabled && ext.protection.enabled ? ext.protection.state : 'unrestricted';
      const updated = commitProtection(
        ext,
        { enabled: body.enabled, state, hash },
        { by: ctx.session.username, from: ctx.address, source: 'console' },
        'protection.update',
        { passwordChanged: hash !== undefined },
      );
      return { body: updated, etag: updated.etag };
    },

    blockExtension: (ctx) => setBlocked(ctx, 'blocked'),
    unblockExtension: (ctx) => setBlocked(ctx, 'unrestricted'),

    listPinPolicies: () => ({ body: { items: store.listPolicies().map(policyResource) } }),

    getPinPolicy: (ctx) => {
      const { kind } = ctx.params as Out<typeof PolicyKindParamsSchema>;
      const res = policyResource(store.getPolicy(kind));
      return { body: res, etag: res.etag };
    },

    setPinPolicy: (ctx) => {
      const { kind } = ctx.params as Out<typeof PolicyKindParamsSchema>;
      const policy = ctx.body as PinPolicy;
      requireAdmin(ctx.session, 'change a PIN policy');
      if (policy.kind !== kind) {
        const message = `kind: the policy is for ${policy.kind} but the path names ${kind}`;
        throw new AppError('validation_failed', message, 422, [{ field: 'kind', rule: 'matches_path', message }]);
      }
      const current = store.getPolicy(kind);
      const stalePolicy = (sp: StoredPolicy) => {
        const res = policyResource(sp);
        return new AppError(
          'precondition_failed',
          `The ${kind} policy was changed in the meantime (now ${res.etag}); review the current version and try again`,
          412,
          undefined,
          { current: res, currentEtag: res.etag },
        );
      };
      const tags = (ctx.ifMatch ?? '').split(',').map((t) => t.trim());
      if (!tags.includes('*') && !tags.includes(policyEtag(current.version))) throw stalePolicy(current);
      const at = clock().toISOString();
      let eventId = 0;
      const updated = store.db.transaction(() => {
        const next = store.updatePolicy(kind, current.version, policy, at, ctx.session.username);
        if (!next) return undefined;
        eventId = store.audit({
          at,
          actor: ctx.session.username,
          address: ctx.address,
          action: 'policy.pin.update',
          target: `pin_policy:${kind}`,
          detail: { policy, version: next.version },
        });
        return next;
      })();
      if (!updated) throw stalePolicy(store.getPolicy(kind));
      hub.publish({
        type: 'settings.changed',
        id: eventId,
        at,
        setting: 'pin_policy',
        kind,
        by: ctx.session.username,
        address: ctx.address,
        policy: updated.policy,
        version: updated.version,
      });
      const res = policyResource(updated);
      return { body: res, etag: res.etag };
    },

    setCredential: async (ctx) => {
      const { number, kind } = ctx.params as Out<typeof CredentialParamsSchema>;
      const { value } = ctx.body as CredentialUpdate;
      requireAdmin(ctx.session, 'set a credential');
      const ext = requireVisible(ctx.session, number);
      checkIfMatch(ctx.ifMatch, ext);
      const { policyVersion } = await validateCredential(number, kind, value, 'value');
      const hash = await hasher.hash(value);
      const updated = commitCredential(
        ext, kind, { hash, isDefault: false, policyVersion }, { by: ctx.session.username, from: ctx.address, source: 'console' }, 'credentials.set',
        // a new phone password: the phone registered with the old one is no longer "the extension's own phone"
        kind === 'phone_password' ? () => store.deleteRegistration(ext.number) : undefined,
      );
      return { body: updated, etag: updated.etag };
    },

    /** The policy tester: exactly the write paths' checks, nothing written, the PIN never echoed nor logged. */
    checkPinPolicy: async (ctx) => {
      const { kind } = ctx.params as Out<typeof PolicyKindParamsSchema>;
      const { pin, extension, policy: draft } = ctx.body as PinCheckRequest;
      if (draft !== undefined && draft.kind !== kind) {
        const message = `policy.kind: the draft policy is for ${draft.kind} but the path names ${kind}`;
        throw new AppError('validation_failed', message, 422, [{ field: 'policy.kind', rule: 'matches_path', message }]);
      }
      if (extension !== undefined) {
        const ext = store.getExtension(extension);
        if (!ext || !inScope(ctx.session, ext.siteId)) {
          const message = `extension: Extension ${extension} does not exist`;
          throw new AppError('not_found', message, 404, [{ field: 'extension', rule: 'exists', message }]);
        }
      }
      const policy = draft ?? store.getPolicy(kind).policy;
      // The history rule is never decided here: a tester that said "this was one of the last PINs" would let
      // anyone with the tester find an extension's current PIN (or an old one) without changing anything.
      // It is listed under `unchecked`; the write paths enforce it.
      const { problems, context } = await credentialProblems(extension ?? null, kind, pin, { ...policy, historyCount: 0 });
      const unchecked = pinRules(pin, policy, context)
        .filter((r) => r.met === null)
        .map((r) => r.rule);
      const body: PinCheckResult = {
        ok: problems.length === 0,
        failed: problems.map((p) => ({ rule: p.rule, message: p.message })),
        unchecked,
        policy: draft === undefined ? 'stored' : 'draft',
      };
      return { body };
    },

    setVoicemailTrusted: (ctx) => {
      const { number } = ctx.params as Out<typeof NumberParamsSchema>;
      const { trusted } = ctx.body as VoicemailTrustedUpdate;
      const ext = requireVisible(ctx.session, number);
      checkIfMatch(ctx.ifMatch, ext);
      if (trusted && ext.status !== 'active') {
        throw new AppError(
          'extension_inactive',
          `Extension ${number} is inactive; only an active number can be trusted for voicemail`,
          409,
        );
      }
      if (trusted && !ext.voicemail) {
        throw new AppError(
          'conflict',
          `Extension ${number} has no voicemail box; only a number with a mailbox can be trusted for voicemail`,
          409,
        );
      }
      // Already so: nothing to write, audit or announce.
      if ((ext.voicemailTrusted ?? false) === trusted) return { body: ext, etag: ext.etag };
      const at = clock().toISOString();
      const by = ctx.session.username;
      let eventId = 0;
      const updated = store.db.transaction(() => {
        const next = store.setVoicemailTrusted(number, ext.version, trusted);
        if (!next) return undefined;
        eventId = store.audit({
          at,
          actor: by,
          address: ctx.address,
          action: 'extension.voicemail_trusted',
          target: `extension:${number}`,
          detail: { trusted, version: next.version },
        });
        return next;
      })();
      if (!updated) throw stale(requireExtension(number));
      hub.publish({
        type: 'extension.changed',
        id: eventId,
        at,
        number,
        action: 'voicemail_trusted',
        by,
        address: ctx.address,
        extension: updated,
      });
      return { body: updated, etag: updated.etag };
    },

    getDefaultVoicemailPin: (ctx) => {
      const { number } = ctx.params as Out<typeof NumberParamsSchema>;
      requireVisible(ctx.session, number);
      const defaultPin = defaultPinPlain(number);
      if (defaultPin === null) {
        throw new AppError('not_found', `Extension ${number} has no default voicemail PIN`, 404);
      }
      store.audit({
        at: clock().toISOString(),
        actor: ctx.session.username,
        address: ctx.address,
        action: 'credentials.default_pin_viewed',
        target: `extension:${number}`,
        detail: { kind: 'voicemail_pin', message: 'default PIN viewed' },
      });
      return { body: { defaultPin } };
    },

    resetVoicemailPin: async (ctx) => {
      const { number } = ctx.params as Out<typeof NumberParamsSchema>;
      const ext = requireVisible(ctx.session, number);
      checkIfMatch(ctx.ifMatch, ext);
      if (ext.status !== 'active') {
        throw new AppError(
          'extension_inactive',
          `Extension ${number} is inactive; only an active number's PIN can be reset to its default`,
          409,
        );
      }
      // The default's argon2 hash is pending after a bulk seed: a reset (a rare admin action) fills it in,
      // so later sign-ins with the default verify by argon2 instead of decrypting.
      const existing = store.defaultPinOf(number);
      const fresh = existing ? null : generateDefaultPin(number, store.getPolicy('voicemail_pin').policy);
      const pendingHash = !existing || existing.hash === null ? await hasher.hash(fresh ?? box.open((existing as { enc: Buffer }).enc, number)) : null;
      const updated = commitCredential(
        ext,
        'voicemail_pin',
        { hash: null, isDefault: true },
        { by: ctx.session.username, from: ctx.address, source: 'console' },
        'credentials.reset_to_default',
        () => {
          if (fresh !== null) store.putDefaultPin(number, box.seal(fresh, number), clock().toISOString());
          if (pendingHash !== null) store.setDefaultPinHash(number, pendingHash);
          // SPEC F2: reset PIN → default *and unlocked*
          return lockout.resetLock(number, 'voicemail', { by: ctx.session.username, address: ctx.address });
        },
      );
      return { body: updated, etag: updated.etag };
    },

    /**
     * Bulk reset, unconditional (no If-Match per item). Every number is checked first (unknown or outside the
     * caller's sites: not_found; inactive: extension_inactive); the defaults whose argon2 hash is pending are
     * hashed through the shared Hasher with at most `concurrency` in flight from this request (patient: it
     * waits for slots, it is never refused by its own load); results are written in batched transactions,
     * one audit row and one credentials.changed event per reset number.
     */
    bulkResetVoicemailPin: async (ctx) => {
      const { numbers } = ctx.body as BulkResetRequest;
      if (hasher.saturated()) {
        throw new AppError('rate_limited', 'The PBX is busy checking passwords. Try again in a moment.', 429);
      }
      const who = { by: ctx.session.username, from: ctx.address };
      const results: BulkResetItem[] = new Array<BulkResetItem>(numbers.length);
      const notFound = (number: string): BulkResetItem => ({
        number, ok: false, error: { code: 'not_found', message: `Extension ${number} does not exist` },
      });
      const inactive = (number: string): BulkResetItem => ({
        number, ok: false,
        error: { code: 'extension_inactive', message: `Extension ${number} is inactive; only an active number's PIN can be reset to its default` },
      });
      type Todo = { index: number; number: string; fresh: string | null; hash: string | null; pending: string | null };
      const todo: Todo[] = [];
      const policy = store.getPolicy('voicemail_pin').policy;
      numbers.forEach((number, index) => {
        const ext = store.getExtension(number);
        if (!ext || !inScope(ctx.session, ext.siteId)) results[index] = notFound(number);
        else if (ext.status !== 'active') results[index] = inactive(number);
        else {
          const existing = store.defaultPinOf(number);
          const fresh = existing ? null : generateDefaultPin(number, policy);
          const pending = fresh ?? (existing && existing.hash === null ? box.open(existing.enc, number) : null);
          todo.push({ index, number, fresh, hash: null, pending });
        }
      });

      const commitBatch = (batch: Todo[]): void => {
        if (batch.length === 0) return;
        const at = clock().toISOString();
        const events: PbxEvent[] = [];
        store.db.transaction(() => {
          for (const t of batch) {
            const ext = store.getExtension(t.number);
            // it may have changed while its hash was being computed
            if (!ext || !inScope(ctx.session, ext.siteId)) { results[t.index] = notFound(t.number); continue; }
            if (ext.status !== 'active') { results[t.index] = inactive(t.number); continue; }
            if (t.fresh !== null) store.putDefaultPin(t.number, box.seal(t.fresh, t.number), at);
            if (t.hash !== null) store.setDefaultPinHash(t.number, t.hash);
            const next = store.setCredential(t.number, ext.version, 'voicemail_pin', { hash: null, isDefault: true, at, by: who.by });
            if (!next) throw new Error(`bulk reset: ${t.number} changed inside its transaction`);
            const id = store.audit({
              at, actor: who.by, address: who.from, action: 'credentials.reset_to_default',
              target: `extension:${t.number}`, detail: { kind: 'voicemail_pin', isDefault: true, version: next.version, bulk: true },
            });
            events.push({
              type: 'credentials.changed', id, at, number: t.number, kind: 'voicemail_pin', action: 'reset',
              source: 'console', by: who.by, address: who.from, extension: next,
            });
            // SPEC F2: reset PIN → default *and unlocked*
            events.push(...lockout.resetLock(t.number, 'voicemail', { by: who.by, address: who.from }));
            results[t.index] = { number: t.number, ok: true, etag: next.etag };
          }
        })();
        for (const ev of events) hub.publish(ev);
      };

      // Items without a pending hash go straight into batches; the others after their hash.
      const ready: Todo[] = todo.filter((t) => t.pending === null);
      const hashing = todo.filter((t) => t.pending !== null);
      for (let i = 0; i < ready.length; i += BULK_BATCH) commitBatch(ready.slice(i, i + BULK_BATCH));
      let buffer: Todo[] = [];
      let next = 0;
      const workers = Math.max(1, Math.min(hasher.limits.concurrency, hashing.length));
      await Promise.all(
        Array.from({ length: workers }, async () => {
          while (next < hashing.length) {
            const t = hashing[next++] as Todo;
            t.hash = await hasher.hash(t.pending as string, { patient: true });
            t.pending = null;
            buffer.push(t);
            if (buffer.length >= BULK_BATCH) {
              const batch = buffer;
              buffer = [];
              commitBatch(batch);
            }
          }
        }),
      );
      commitBatch(buffer);
      const failed = results.filter((r) => !r.ok).length;
      const body: BulkResetResponse = { results, done: results.length - failed, failed };
      return { body };
    },

    deactivateExtension: (ctx) => {
      const ext = requireVisible(ctx.session, (ctx.params as Out<typeof NumberParamsSchema>).number);
      checkIfMatch(ctx.ifMatch, ext);
      if (ext.status !== 'active') {
        throw new AppError('extension_inactive', `Extension ${ext.number} is already inactive`, 409);
      }
      return commitActivation(ctx, ext, 'deactivated');
    },

    activateExtension: (ctx) => {
      const ext = requireVisible(ctx.session, (ctx.params as Out<typeof NumberParamsSchema>).number);
      checkIfMatch(ctx.ifMatch, ext);
      if (ext.status === 'active') throw new AppError('conflict', `Extension ${ext.number} is already active`, 409);
      return commitActivation(ctx, ext, 'activated');
    },

    deviceVoicemailLogin: async (ctx) => {
      const { extension, pin, from } = ctx.body as Out<typeof VoicemailLoginRequestSchema>;
      // SPEC F2: no PIN from a trusted extension — the call must come from the mailbox's own extension.
      // The PIN is not asked for, so it is not looked at (and must_change_pin is not answered: the user
      // entered nothing to change).
      if (from !== undefined && from === extension) {
        // no credential is checked here, but a banned address gets nothing (the answer of a wrong PIN)
        const gate = lockout.check({ extension: null, credential: null, address: ctx.address, userAgent: ctx.userAgent });
        if (!gate.ok) {
          await hasher.waitLikeVerify();
          throw new AppError('keypad_rejected', KEYPAD_REJECTED_MESSAGE, 403);
        }
        const ext = store.getExtension(extension);
        // `from` is what the caller says; the PBX believes it only from the address the extension's own phone
        // registered from (with its phone password), so nobody else can claim to be that phone.
        const at = clock().toISOString();
        const reg = store.registrationOf(extension, at);
        const fromItsPhone = reg !== null && reg.address === (normaliseAddress(ctx.address) ?? ctx.address);
        if (ext && ext.status === 'active' && ext.voicemail && ext.voicemailTrusted === true && fromItsPhone) {
          store.audit({ at, actor: 'device', address: ctx.address, action: 'voicemail.trusted_login', target: `extension:${extension}`, detail: {} });
          return { body: { result: 'ok' } };
        }
      }
      if (pin === undefined) {
        const release = await deviceGate(ctx, extension, 'voicemail');
        try {
          // the same time and the same answer as a wrong PIN
          await hasher.verifyNothing('');
          return voicemailReject(ctx, extension, 'pin_required');
        } finally {
          release();
        }
      }
      const { isDefault } = await verifyVoicemail(ctx, extension, pin);
      return { body: { result: isDefault ? 'must_change_pin' : 'ok' } };
    },

    deviceRegister: async (ctx) => {
      const { extension, password } = ctx.body as Out<typeof DeviceRegisterRequestSchema>;
      await verifyDeviceSecret(ctx, extension, 'registration', 'phone_password', password);
      const now = clock();
      store.putRegistration({
        extension,
        address: normaliseAddress(ctx.address) ?? ctx.address,
        userAgent: ctx.userAgent,
        at: now.toISOString(),
        expiresAt: new Date(now.getTime() + REGISTRATION_SECONDS * 1000).toISOString(),
      });
      return { body: { result: 'registered', expiresSeconds: REGISTRATION_SECONDS } };
    },

    devicePhoneLogin: async (ctx) => {
      const { extension, code } = ctx.body as Out<typeof DevicePhoneLoginRequestSchema>;
      await verifyDeviceSecret(ctx, extension, 'phone_login', 'login_code', code);
      return { body: { result: 'ok' } };
    },

    deviceVoicemailPin: async (ctx) => {
      const { extension, pin, newPin } = ctx.body as Out<typeof VoicemailPinChangeSchema>;
      await verifyVoicemail(ctx, extension, pin);
      const { policyVersion } = await validateCredential(extension, 'voicemail_pin', newPin, 'newPin');
      const hash = await hasher.hash(newPin);
      const current = requireExtension(extension, 'extension');
      commitCredential(
        current, 'voicemail_pin', { hash, isDefault: false, policyVersion }, { by: 'device', from: ctx.address, source: 'device' },
        'credentials.device_change',
      );
      return { body: { result: 'ok' } };
    },

    events: (ctx) => {
      const raw = ctx.req.headers['last-event-id'];
      let after: number | undefined;
      if (typeof raw === 'string' && raw.trim() !== '') {
        if (!/^[0-9]{1,15}$/.test(raw.trim())) {
          const message = 'Last-Event-ID: must be the id of an event received before (digits)';
          throw new AppError('validation_failed', message, 422, [{ field: 'Last-Event-ID', rule: 'pattern', message }]);
        }
        after = Number(raw.trim());
      }
      const hello: PbxEvent = { type: 'hello', id: hub.currentId, at: clock().toISOString(), server: deps.serverName };
      const session = ctx.session;
      const visible = (ev: PbxEvent) => eventVisible(session, ev);
      const replay = after === undefined ? [] : hub.since(after).filter(visible);
      ctx.reply.hijack();
      const res = ctx.reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
        'x-content-type-options': 'nosniff',
      });
      ctx.req.raw.socket.setNoDelay(true);
      ctx.req.raw.socket.setTimeout(0);
      const tokenHash = ctx.session.tokenHash;
      const passwordAtOpen = session.via === 'basic' ? store.getAdmin(session.username)?.passwordHash : undefined;
      hub.attach(res, [hello, ...replay], {
        tag: tokenHash,
        filter: visible,
        stillValid: (tag) => {
          if (!deps.allowlist.admits(ctx.address)) return false;
          if (session.via === 'basic') {
            // HTTP Basic: as long as the account keeps API access and the password it was opened with
            const a = store.getAdmin(session.username);
            return a !== undefined && a.apiAccess && a.role === 'admin' && a.passwordHash !== null && passwordAtOpen === a.passwordHash;
          }
          // the stream's tag is its session token's hash (moved to the new token by a refresh)
          const s = store.findSession(tag ?? tokenHash);
          return s !== undefined && Date.parse(s.expiresAt) > clock().getTime();
        },
      });
      return HIJACKED;
    },

    deviceKeypad: async (ctx) => {
      const { extension, code, digits } = ctx.body as Out<typeof KeypadRequestSchema>;
      const release = await deviceGate(ctx, extension, 'keypad');
      try {
        return await keypad(ctx, extension, code, digits);
      } finally {
        release();
      }
    },

    deviceRouteCall: (ctx) => {
      const { to, from } = ctx.body as Out<typeof CallRouteRequestSchema>;
      const callee = requireExtension(to, 'to');
      if (from !== undefined) {
        const caller = requireExtension(from, 'from');
        if (caller.type === 'phone_terminal' && caller.protection.enabled && caller.protection.state === 'blocked') {
          return { body: { decision: 'rejected', reason: 'caller_blocked' } };
        }
      }
      return { body: routeIncomingCall(callee) };
    },
  };

  /**
   * Deactivate (custom credentials and history removed, voicemail PIN back to the default, protection off)
   * or activate a number; audit and live event, all or nothing. A number without a default PIN gets one.
   */
  function commitActivation(ctx: RequestContext & { session: Session }, ext: Extension, action: 'deactivated' | 'activated') {
    const at = clock().toISOString();
    const by = ctx.session.username;
    let eventId = 0;
    const logoutEvents: PbxEvent[] = [];
    const fresh = store.defaultPinOf(ext.number) ? null : generateDefaultPin(ext.number, store.getPolicy('voicemail_pin').policy);
    const updated = store.db.transaction(() => {
      if (fresh !== null) store.putDefaultPin(ext.number, box.seal(fresh, ext.number), at);
      const next =
        action === 'deactivated'
          ? store.deactivateExtension(ext.number, ext.version, at, by, ctx.address)
          : store.activateExtension(ext.number, ext.version, at, by);
      if (!next) return undefined;
      // SPEC F4: a deactivated number leaves the hot-desk phone it is logged in on, and loses its mapping
      // (custom configuration, SPEC F2)
      if (action === 'deactivated') {
        const w = { by, address: ctx.address };
        const phone = deps.hotdesk.deviceOfExtension(ext.number);
        const ev = phone ? deps.hotdesk.logout(phone, 'forced_logout', w, { reason: 'deactivated' }) : null;
        if (ev) logoutEvents.push(ev);
        const removed = deps.hotdesk.removeMapping(ext.number, w, 'deactivated');
        if (removed) {
          logoutEvents.push({
            type: 'hotdesk.mapping_changed', id: removed.eventId, at, action: 'deleted', by, address: ctx.address,
            number: ext.number, siteId: ext.siteId, row: deps.hotdesk.rowOf(ext.number),
          });
        }
        // the logout event's row was taken before the mapping went
        for (const e of logoutEvents) if (e.type === 'hotdesk.changed' && e.number !== null) e.row = deps.hotdesk.rowOf(e.number);
      }
      eventId = store.audit({
        at,
        actor: by,
        address: ctx.address,
        action: action === 'deactivated' ? 'extension.deactivate' : 'extension.activate',
        target: `extension:${ext.number}`,
        detail: { version: next.version, status: next.status },
      });
      return next;
    })();
    if (!updated) throw stale(requireExtension(ext.number));
    publishAll(logoutEvents);
    hub.publish({ type: 'extension.changed', id: eventId, at, number: ext.number, action, by, address: ctx.address, extension: updated });
    return { body: updated, etag: updated.etag };
  }

  function setBlocked(ctx: RequestContext & { session: Session }, state: 'blocked' | 'unrestricted') {
    const ext = requireVisible(ctx.session, (ctx.params as Out<typeof NumberParamsSchema>).number);
    checkIfMatch(ctx.ifMatch, ext);
    if (ext.type !== 'phone_terminal') throw notSupported(ext);
    if (!ext.protection.enabled) {
      throw new AppError(
        'protection_not_enabled',
        `Protected phone access is off for extension ${ext.number}; turn it on before you ${state === 'blocked' ? 'block' : 'unblock'} the phone`,
        409,
      );
    }
    const updated = commitProtection(
      ext,
      { enabled: true, state },
      { by: ctx.session.username, from: ctx.address, source: 'console' },
      state === 'blocked' ? 'protection.block' : 'protection.unblock',
      {},
    );
    return { body: updated, etag: updated.etag };
  }
}

export function openApiJson(version: string): string {
  return JSON.stringify(buildOpenApi({ version }));
}

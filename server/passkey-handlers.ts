// Issue 6 / SPEC F5 — passkeys (WebAuthn, @simplewebauthn/server): registration from a signed-in session,
// sign-in with a discoverable credential, the list and deletion.
//
// Challenges live in memory (5 minutes, single use). The expected origin is http://<Host header>; the Host's
// host name must be the relying party id (a browser refuses WebAuthn on any other name, and an assertion made
// for another origin never verifies). Every refused passkey sign-in gets one answer (401 invalid_credentials)
// and counts toward its address, like a wrong password.
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import type { z } from 'zod';
import { AppError, validationError } from '../shared/errors.js';
import type {
  AuthenticationResponseJsonSchema,
  PasskeyDeleteRequestSchema,
  PasskeyLoginRequestSchema,
  PasskeyRegistrationRequestSchema,
  RegistrationResponseJsonSchema,
} from '../shared/passkeys.js';
import type { Handlers, RequestContext } from './http.js';
import type { EventHub } from './events.js';
import type { Store } from './store.js';
import type { Role } from '../shared/domain.js';
import { ChallengeBook, PasskeyStore, passkeyShortId, passkeyView, webauthnUserId, type StoredPasskey } from './passkeys.js';

export interface PasskeyDeps {
  store: Store;
  hub: EventHub;
  clock: () => Date;
  /** The WebAuthn relying party: its id (a host name, e.g. "localhost") and the name browsers show. */
  rpId: string;
  rpName: string;
  /** Per-address budget of credential work (sign-in options make a challenge each). */
  rateLimit: { take(address: string): void };
  /** Banned address / rate limit, before any credential work (throws the answer of a wrong password). */
  loginGate: (ctx: RequestContext) => Promise<void>;
  /** A failed sign-in: the auth log row and the address lockout counter. */
  loginFailure: (ctx: RequestContext, kind: 'admin_passkey', reason: string) => void;
  /** A new login token for the account (audited, announced). */
  issueSession: (
    ctx: RequestContext,
    username: string,
    method: 'passkey',
  ) => { token: string; expiresAt: string; role: Role; username: string; noPassword: boolean };
}

type PasskeyOps = 'listPasskeys' | 'deletePasskeys' | 'passkeyRegistrationOptions' | 'registerPasskey' | 'passkeyLoginOptions' | 'createPasskeySession';

/** The one answer to every refused passkey sign-in (no oracle: unknown, deleted, replayed and forged look alike). */
export const PASSKEY_LOGIN_REJECTED = 'The passkey was not accepted; sign in with your password, or register the passkey again';

/** Algorithms offered: ES256, EdDSA, RS256 (what authenticators actually make). */
const ALGORITHMS = [-7, -8, -257];

/** How recent a sign-in must be to register a passkey. */
const FRESH_SIGN_IN_MS = 10 * 60_000;

/** The clientDataJSON's challenge (base64url), or null when it cannot be read. */
function challengeOf(clientDataJSON: string): string | null {
  try {
    const v: unknown = JSON.parse(Buffer.from(clientDataJSON, 'base64url').toString('utf8'));
    if (v && typeof v === 'object' && 'challenge' in v && typeof v.challenge === 'string' && /^[A-Za-z0-9_-]{16,256}$/.test(v.challenge)) {
      return v.challenge;
    }
  } catch {
    /* not JSON */
  }
  return null;
}

function b64urlCanon(s: string): string {
  return s.replace(/=+$/, '');
}

export function passkeyHandlers<
  S extends { username: string; role: Role; tokenHash: string; via: 'token' | 'basic'; method: string; createdAt: string },
>(
  deps: PasskeyDeps,
): Pick<Handlers<S>, PasskeyOps> {
  const { store, hub, clock, rpId, rpName } = deps;
  const passkeys = new PasskeyStore(store.db);
  const challenges = new ChallengeBook(clock);

  /** The page's host name (from Host), or null when it is missing or unreadable. */
  const hostOf = (ctx: RequestContext): { origin: string; hostname: string } | null => {
    const host = ctx.req.headers.host;
    if (typeof host !== 'string' || host === '' || host.length > 300) return null;
    try {
      const url = new URL(`http://${host}`);
      if (url.username || url.password || url.pathname !== '/' || url.search || url.hash) return null;
      // serialised like a browser's origin (http://localhost:8080; port 80 left out)
      return { origin: url.origin, hostname: url.hostname };
    } catch {
      return null;
    }
  };

  /** The expected origin; 422 naming the relying party id when the page was not opened with that host name. */
  const expectedOrigin = (ctx: RequestContext): string => {
    const h = hostOf(ctx);
    // the page must be the PBX's own: its host name and the port this request came in on (another web page on the
    // same host, e.g. localhost:3000, is another origin and never gets a PBX token)
    const port = String(ctx.req.socket.localPort ?? '');
    const hostPort = h ? new URL(h.origin).port || '80' : '';
    if (h && h.hostname === rpId && hostPort === port) return h.origin;
    const message =
      `Host: passkeys on this PBX work only with the host name "${rpId}" (its WebAuthn relying party id); ` +
      `open the login page as http://${rpId}:<port>/login${h ? `, not with "${h.hostname}"` : ''}`;
    throw new AppError('validation_failed', message, 422, [{ field: 'Host', rule: 'rp_id', message }]);
  };

  /**
   * A new passkey is a new way into the account that a password change does not end, so it needs a sign-in of
   * the last 10 minutes with the password or a passkey (or HTTP Basic, which proves the password each time):
   * a stolen, older or refreshed token alone cannot plant one.
   */
  const requireFreshSignIn = (session: S): void => {
    if (session.via === 'basic') return;
    const fresh =
      (session.method === 'password' || session.method === 'passkey') &&
      clock().getTime() - Date.parse(session.createdAt) <= FRESH_SIGN_IN_MS;
    if (fresh) return;
    throw new AppError(
      'unauthorized',
      'To register a passkey, sign in again with your password (on this page) first: it needs a sign-in of the last 10 minutes',
      401,
    );
  };

  const responseInvalid = (reason: string): AppError => {
    const message = `response: ${reason}`;
    return validationError([{ field: 'response', rule: 'webauthn', message }]);
  };

  return {
    listPasskeys: (ctx) => ({ body: { items: passkeys.of(ctx.session.username).map(passkeyView) } }),

    deletePasskeys: (ctx) => {
      const { ids } = ctx.body as z.output<typeof PasskeyDeleteRequestSchema>;
      const wanted = new Set(ids);
      const username = ctx.session.username;
      const at = clock().toISOString();
      const r = store.db.transaction(() => {
        // only your own (ids from your list); unknown ids are skipped
        const targets = passkeys.of(username).filter((p) => wanted.has(p.shortId));
        for (const p of targets) passkeys.delete(p.credentialId);
        if (targets.length === 0) return null;
        const eventId = store.audit({
          at, actor: username, address: ctx.address, action: 'passkey.delete', target: `admin:${username}`,
          detail: { count: targets.length, passkeys: targets.map((p) => ({ id: p.shortId, name: p.name })) },
        });
        return { eventId, count: targets.length };
      })();
      if (!r) return { body: { deleted: 0 } };
      hub.publish({ type: 'token.changed', id: r.eventId, at, action: 'revoked', username, count: r.count, by: username, address: ctx.address });
      return { body: { deleted: r.count } };
    },

    passkeyRegistrationOptions: async (ctx) => {
      requireFreshSignIn(ctx.session);
      expectedOrigin(ctx);
      const username = ctx.session.username;
      const options = await generateRegistrationOptions({
        rpName,
        rpID: rpId,
        userName: username,
        userDisplayName: username,
        userID: webauthnUserId(store.db, username),
        attestationType: 'none',
        timeout: 120_000,
        excludeCredentials: passkeys.of(username).map((p) => ({ id: p.credentialId, transports: p.transports })),
        authenticatorSelection: { residentKey: 'required', requireResidentKey: true, userVerification: 'required' },
        supportedAlgorithmIDs: ALGORITHMS,
      });
      challenges.add(options.challenge, 'register', username);
      return { body: options };
    },

    registerPasskey: async (ctx) => {
      const { name, response } = ctx.body as z.output<typeof PasskeyRegistrationRequestSchema>;
      requireFreshSignIn(ctx.session);
      const origin = expectedOrigin(ctx);
      const username = ctx.session.username;
      const challenge = challengeOf(response.response.clientDataJSON);
      if (!challenge) throw responseInvalid('clientDataJSON is not readable WebAuthn client data');
      if (!challenges.take(challenge, 'register', username)) {
        throw responseInvalid('the registration challenge is unknown, already used or expired (5 minutes); start the registration again');
      }
      let info;
      try {
        const v = await verifyRegistrationResponse({
          response: response as z.output<typeof RegistrationResponseJsonSchema> as RegistrationResponseJSON,
          expectedChallenge: challenge,
          expectedOrigin: origin,
          expectedRPID: rpId,
          requireUserVerification: true,
          supportedAlgorithmIDs: ALGORITHMS,
        });
        if (!v.verified) throw new Error('the attestation was not verified');
        info = v.registrationInfo;
      } catch (err) {
        throw responseInvalid(err instanceof Error ? err.message : 'the attestation was not verified');
      }
      const credentialId = b64urlCanon(info.credential.id);
      const now = clock().toISOString();
      const row: StoredPasskey = {
        credentialId,
        shortId: passkeyShortId(credentialId),
        username,
        name,
        publicKey: info.credential.publicKey,
        signCount: info.credential.counter,
        aaguid: info.aaguid,
        transports: (info.credential.transports ?? response.response.transports ?? []).slice(0, 10),
        deviceType: info.credentialDeviceType,
        backedUp: info.credentialBackedUp,
        createdAt: now,
        createdFrom: ctx.address,
        createdUa: ctx.userAgent === null ? null : ctx.userAgent.slice(0, 300),
        lastUsedAt: null,
        lastUsedFrom: null,
        lastUsedUa: null,
      };
      const eventId = store.db.transaction(() => {
        if (passkeys.byCredentialId(credentialId)) {
          throw new AppError('conflict', 'This passkey is already registered on this PBX', 409);
        }
        if (!store.getAdmin(username)) throw new AppError('unauthorized', 'The account no longer exists; log in again', 401);
        passkeys.insert(row);
        return store.audit({
          at: now, actor: username, address: ctx.address, action: 'passkey.register', target: `admin:${username}`,
          detail: {
            passkeyId: row.shortId, name, aaguid: row.aaguid, transports: row.transports, deviceType: row.deviceType, backedUp: row.backedUp,
            userAgent: row.createdUa,
          },
        });
      })();
      hub.publish({ type: 'token.changed', id: eventId, at: now, action: 'created', username, count: 1, by: username, address: ctx.address });
      return { status: 201, body: passkeyView(row) };
    },

    passkeyLoginOptions: async (ctx) => {
      // a challenge costs memory until it expires: options are rate-limited per address like a sign-in
      deps.rateLimit.take(ctx.address);
      expectedOrigin(ctx);
      const options = await generateAuthenticationOptions({ rpID: rpId, allowCredentials: [], userVerification: 'required', timeout: 120_000 });
      challenges.add(options.challenge, 'login', null);
      return { body: options };
    },

    createPasskeySession: async (ctx) => {
      const { response } = ctx.body as z.output<typeof PasskeyLoginRequestSchema>;
      await deps.loginGate(ctx);
      const refuse = (reason: string): AppError => {
        deps.loginFailure(ctx, 'admin_passkey', reason);
        return new AppError('invalid_credentials', PASSKEY_LOGIN_REJECTED, 401);
      };
      const h = hostOf(ctx);
      if (!h || h.hostname !== rpId) throw refuse('wrong_host');
      const challenge = challengeOf(response.response.clientDataJSON);
      if (!challenge || !challenges.take(challenge, 'login', null)) throw refuse('unknown_challenge');
      const credentialId = b64urlCanon(response.rawId || response.id);
      const stored = passkeys.byCredentialId(credentialId);
      if (!stored) throw refuse('unknown_passkey');
      // The account is the credential's row (the credential id names it; the signature proves the key). The user
      // handle is not compared: it was derived from the username at registration, and a renamed account keeps its
      // passkeys (server/accounts.ts moves them), so an old handle is still the same account.
      let result;
      try {
        result = await verifyAuthenticationResponse({
          response: response as z.output<typeof AuthenticationResponseJsonSchema> as AuthenticationResponseJSON,
          expectedChallenge: challenge,
          expectedOrigin: h.origin,
          expectedRPID: rpId,
          credential: { id: stored.credentialId, publicKey: stored.publicKey, counter: stored.signCount, transports: stored.transports },
          requireUserVerification: true,
        });
      } catch (err) {
        const why = err instanceof Error && /counter/i.test(err.message) ? 'sign_count_regressed' : 'verification_failed';
        throw refuse(why);
      }
      if (!result.verified) throw refuse('verification_failed');
      const { newCounter, credentialBackedUp } = result.authenticationInfo;
      const now = clock().toISOString();
      const ok = store.db.transaction(() => {
        // deleted (or used with a higher count) while we verified: refused
        const current = passkeys.byCredentialId(credentialId);
        if (!current) return false;
        if ((newCounter > 0 || current.signCount > 0) && newCounter <= current.signCount) return false;
        return passkeys.touch(credentialId, {
          signCount: newCounter, backedUp: credentialBackedUp, at: now, from: ctx.address,
          userAgent: ctx.userAgent === null ? null : ctx.userAgent.slice(0, 300),
        });
      })();
      if (!ok) throw refuse('passkey_changed');
      return { status: 201, body: deps.issueSession(ctx, stored.username, 'passkey') };
    },
  };
}

// Issue 6 / SPEC F5 — passkeys (WebAuthn, @simplewebauthn/server): registration from a signed-in session,
// sign-in with a discoverable credential, the list and deletion. (Being written: see issue 6.)
import { AppError } from '../shared/errors.js';
import type { Handlers, RequestContext } from './http.js';
import type { EventHub } from './events.js';
import type { Store } from './store.js';
import type { Role } from '../shared/domain.js';

export interface PasskeyDeps {
  store: Store;
  hub: EventHub;
  clock: () => Date;
  /** The WebAuthn relying party: its id (a host name, e.g. "localhost") and the name browsers show. */
  rpId: string;
  rpName: string;
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

export function passkeyHandlers<S extends { username: string; role: Role; tokenHash: string }>(
  _deps: PasskeyDeps,
): Pick<Handlers<S>, PasskeyOps> {
  const notYet = (): never => {
    throw new AppError('not_found', 'Passkeys are not available on this PBX yet', 404);
  };
  return {
    listPasskeys: () => ({ body: { items: [] } }),
    deletePasskeys: notYet,
    passkeyRegistrationOptions: notYet,
    registerPasskey: notYet,
    passkeyLoginOptions: notYet,
    createPasskeySession: notYet,
  };
}

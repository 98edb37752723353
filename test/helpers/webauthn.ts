// A small software WebAuthn authenticator for tests (no browser): ES256 key pairs from node:crypto, a
// "none" attestation object in CBOR, authenticator data with the rpIdHash, flags, sign count and attested
// credential data, and signed assertions. It answers the JSON options the PBX hands out and produces the JSON
// a browser would send back (the shape of @simplewebauthn/browser).
import { createHash, createPublicKey, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';

// ---- CBOR (RFC 8949), the subset attestation objects and COSE keys use ----

type Cbor = number | string | Uint8Array | Map<number | string, Cbor> | { [k: string]: Cbor };

function head(major: number, n: number): Buffer {
  if (n < 24) return Buffer.from([(major << 5) | n]);
  if (n < 0x100) return Buffer.from([(major << 5) | 24, n]);
  if (n < 0x10000) {
    const b = Buffer.alloc(3);
    b[0] = (major << 5) | 25;
    b.writeUInt16BE(n, 1);
    return b;
  }
  const b = Buffer.alloc(5);
  b[0] = (major << 5) | 26;
  b.writeUInt32BE(n, 1);
  return b;
}

export function cborEncode(v: Cbor): Buffer {
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw new Error('cbor: integers only');
    return v >= 0 ? head(0, v) : head(1, -1 - v);
  }
  if (typeof v === 'string') {
    const b = Buffer.from(v, 'utf8');
    return Buffer.concat([head(3, b.length), b]);
  }
  if (v instanceof Uint8Array) return Buffer.concat([head(2, v.length), Buffer.from(v)]);
  const entries: [number | string, Cbor][] = v instanceof Map ? [...v.entries()] : Object.entries(v);
  return Buffer.concat([head(5, entries.length), ...entries.flatMap(([k, val]) => [cborEncode(k), cborEncode(val)])]);
}

// ---- the authenticator ----

const b64url = (b: Uint8Array): string => Buffer.from(b).toString('base64url');
const sha256 = (b: Uint8Array | string): Buffer => createHash('sha256').update(b).digest();

export const FLAG_UP = 0x01;
export const FLAG_UV = 0x04;
export const FLAG_BE = 0x08;
export const FLAG_BS = 0x10;
export const FLAG_AT = 0x40;

export interface SoftCredential {
  id: Buffer;
  privateKey: KeyObject;
  rpId: string;
  userHandle: Buffer;
  signCount: number;
}

export interface RegistrationJson {
  id: string;
  rawId: string;
  type: 'public-key';
  response: { clientDataJSON: string; attestationObject: string; transports?: string[] };
  authenticatorAttachment?: 'platform' | 'cross-platform';
  clientExtensionResults: Record<string, unknown>;
}

export interface AuthenticationJson {
  id: string;
  rawId: string;
  type: 'public-key';
  response: { clientDataJSON: string; authenticatorData: string; signature: string; userHandle?: string };
  authenticatorAttachment?: 'platform' | 'cross-platform';
  clientExtensionResults: Record<string, unknown>;
}

export interface CreationOptionsJson {
  challenge: string;
  rp: { id?: string; name: string };
  user: { id: string; name: string; displayName: string };
  excludeCredentials?: { id: string }[];
}

export interface RequestOptionsJson {
  challenge: string;
  rpId?: string;
  allowCredentials?: { id: string }[];
}

export class SoftAuthenticator {
  readonly credentials: SoftCredential[] = [];
  /** A made-up model id (AAGUID) for this authenticator. */
  readonly aaguid: Buffer;

  constructor(opts: { aaguid?: Buffer } = {}) {
    this.aaguid = opts.aaguid ?? Buffer.from('5057617264656e546573744b65790001', 'hex');
  }

  /**
   * navigator.credentials.create(): a new ES256 credential for options.rp.id (or `rpId`), as the page at
   * `origin` would send it back. `flags` defaults to UP|UV|AT.
   */
  create(
    options: CreationOptionsJson,
    origin: string,
    o: { rpId?: string; flags?: number; challenge?: string; credential?: SoftCredential } = {},
  ): RegistrationJson {
    const rpId = o.rpId ?? options.rp.id ?? new URL(origin).hostname;
    // a new key pair, or (to test a second registration of the same credential) an existing one
    const privateKey = o.credential?.privateKey ?? generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const publicKey = createPublicKey(privateKey);
    const jwk = publicKey.export({ format: 'jwk' });
    const x = Buffer.from(jwk.x as string, 'base64url');
    const y = Buffer.from(jwk.y as string, 'base64url');
    const cose = cborEncode(new Map<number, Cbor>([[1, 2], [3, -7], [-1, 1], [-2, x], [-3, y]]));
    const id = o.credential?.id ?? randomBytes(32);
    const idLen = Buffer.alloc(2);
    idLen.writeUInt16BE(id.length);
    const authData = Buffer.concat([
      sha256(rpId), Buffer.from([o.flags ?? FLAG_UP | FLAG_UV | FLAG_AT]), Buffer.alloc(4), this.aaguid, idLen, id, cose,
    ]);
    const clientDataJSON = Buffer.from(
      JSON.stringify({ type: 'webauthn.create', challenge: o.challenge ?? options.challenge, origin, crossOrigin: false }),
    );
    const attestationObject = cborEncode({ fmt: 'none', attStmt: {}, authData });
    if (!o.credential) this.credentials.push({ id, privateKey, rpId, userHandle: Buffer.from(options.user.id, 'base64url'), signCount: 0 });
    return {
      id: b64url(id),
      rawId: b64url(id),
      type: 'public-key',
      response: { clientDataJSON: b64url(clientDataJSON), attestationObject: b64url(attestationObject), transports: ['internal'] },
      authenticatorAttachment: 'platform',
      clientExtensionResults: {},
    };
  }

  /**
   * navigator.credentials.get(): an assertion by `credential` (default the newest), its sign count increased
   * by one unless `signCount` says otherwise.
   */
  get(
    options: RequestOptionsJson,
    origin: string,
    o: { credential?: SoftCredential; signCount?: number; rpId?: string; flags?: number; challenge?: string } = {},
  ): AuthenticationJson {
    const cred = o.credential ?? this.credentials[this.credentials.length - 1];
    if (!cred) throw new Error('SoftAuthenticator: no credential');
    cred.signCount = o.signCount ?? cred.signCount + 1;
    const count = Buffer.alloc(4);
    count.writeUInt32BE(cred.signCount);
    const authData = Buffer.concat([sha256(o.rpId ?? options.rpId ?? cred.rpId), Buffer.from([o.flags ?? FLAG_UP | FLAG_UV]), count]);
    const clientDataJSON = Buffer.from(
      JSON.stringify({ type: 'webauthn.get', challenge: o.challenge ?? options.challenge, origin, crossOrigin: false }),
    );
    const signature = sign('sha256', Buffer.concat([authData, sha256(clientDataJSON)]), cred.privateKey);
    return {
      id: b64url(cred.id),
      rawId: b64url(cred.id),
      type: 'public-key',
      response: {
        clientDataJSON: b64url(clientDataJSON),
        authenticatorData: b64url(authData),
        signature: b64url(signature),
        userHandle: b64url(cred.userHandle),
      },
      authenticatorAttachment: 'platform',
      clientExtensionResults: {},
    };
  }
}

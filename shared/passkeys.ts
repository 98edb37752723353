// Issue 6 / SPEC F5 — passkeys: WebAuthn credentials an account registers on the reference PBX's web login
// page (/login) and later signs in with. Stored: credential id, public key, sign count, AAGUID, transports,
// created and last used (time, address, user agent). Deleting one makes it unusable at once.
import { z } from 'zod';

/** A passkey row's id in the API: 16 hex digits derived from the credential id (like a token id). */
export const PasskeyIdSchema = z.string().regex(/^[0-9a-f]{16}$/, { message: 'a passkey id is 16 hex digits (from the passkey list)' });

export const PASSKEY_NAME_MAX = 64;
export const PasskeyNameSchema = z
  .string()
  .trim()
  .min(1, { message: 'give the passkey a name (e.g. "Office laptop")' })
  .max(PASSKEY_NAME_MAX, { message: `at most ${PASSKEY_NAME_MAX} characters` })
  // eslint-disable-next-line no-control-regex
  .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), { message: 'no control characters' });

export const PasskeySchema = z
  .object({
    id: PasskeyIdSchema,
    type: z.literal('passkey'),
    username: z.string(),
    name: z.string(),
    aaguid: z.string(),
    transports: z.array(z.string()),
    backedUp: z.boolean(),
    createdAt: z.string(),
    createdFrom: z.string(),
    createdUserAgent: z.string().nullable(),
    lastUsedAt: z.string().nullable(),
    lastUsedFrom: z.string().nullable(),
    lastUsedUserAgent: z.string().nullable(),
  })
  .meta({ id: 'Passkey' });
export type Passkey = z.infer<typeof PasskeySchema>;

export const PasskeyListSchema = z.object({ items: z.array(PasskeySchema) }).meta({ id: 'PasskeyList' });

export const PasskeyDeleteRequestSchema = z
  .object({
    ids: z.array(PasskeyIdSchema).min(1, { message: 'list at least one passkey' }).max(500, { message: 'at most 500 at once' }),
  })
  .strict()
  .meta({ id: 'PasskeyDeleteRequest' });
export const PasskeyDeleteResponseSchema = z.object({ deleted: z.number().int() }).meta({ id: 'PasskeyDeleteResponse' });

const B64URL = z.string().max(16_384).regex(/^[A-Za-z0-9_-]*={0,2}$/, { message: 'base64url text expected' });

/** navigator.credentials.create() as JSON (the shape @simplewebauthn/browser produces). */
export const RegistrationResponseJsonSchema = z
  .object({
    id: B64URL,
    rawId: B64URL,
    type: z.literal('public-key'),
    response: z
      .object({
        clientDataJSON: B64URL,
        attestationObject: B64URL,
        authenticatorData: B64URL.optional(),
        transports: z.array(z.string().max(32)).max(10).optional(),
        publicKeyAlgorithm: z.number().int().optional(),
        publicKey: B64URL.optional(),
      })
      .strict(),
    authenticatorAttachment: z.enum(['platform', 'cross-platform']).optional(),
    clientExtensionResults: z.record(z.string(), z.unknown()),
  })
  .strict();

/** navigator.credentials.get() as JSON. */
export const AuthenticationResponseJsonSchema = z
  .object({
    id: B64URL,
    rawId: B64URL,
    type: z.literal('public-key'),
    response: z
      .object({
        clientDataJSON: B64URL,
        authenticatorData: B64URL,
        signature: B64URL,
        userHandle: B64URL.optional(),
      })
      .strict(),
    authenticatorAttachment: z.enum(['platform', 'cross-platform']).optional(),
    clientExtensionResults: z.record(z.string(), z.unknown()),
  })
  .strict();

export const PasskeyRegistrationOptionsRequestSchema = z.object({}).strict().meta({ id: 'PasskeyRegistrationOptionsRequest' });
export const PasskeyRegistrationRequestSchema = z
  .object({ name: PasskeyNameSchema, response: RegistrationResponseJsonSchema })
  .strict()
  .meta({ id: 'PasskeyRegistrationRequest' });

/** Options for a passkey sign-in (discoverable credentials: no username needed). */
export const PasskeyLoginOptionsRequestSchema = z.object({}).strict().meta({ id: 'PasskeyLoginOptionsRequest' });
export const PasskeyLoginRequestSchema = z
  .object({ response: AuthenticationResponseJsonSchema })
  .strict()
  .meta({ id: 'PasskeyLoginRequest' });

/** The WebAuthn options JSON handed to the browser as it is (shape defined by WebAuthn Level 3). */
export const WebAuthnOptionsSchema = z.record(z.string(), z.unknown()).meta({ id: 'WebAuthnOptions' });

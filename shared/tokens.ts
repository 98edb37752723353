// Issue 6 / SPEC F5 — "used tokens": the login tokens (sessions) of the calling account, with where and with
// what they were created and last used, and their revocation (some, or all but the current one). A token's
// value is never shown again after login; rows are named by a short id derived from its stored hash.
import { z } from 'zod';

export const TokenIdSchema = z.string().regex(/^[0-9a-f]{16}$/, { message: 'a token id is 16 hex digits (from the token list)' });

export const TokenSchema = z
  .object({
    id: TokenIdSchema,
    /** Today only login sessions; API keys would be another type. */
    type: z.literal('session'),
    username: z.string(),
    /** How the login was made: a password, a passkey, or a refresh of an earlier token. */
    createdWith: z.enum(['password', 'passkey', 'refresh']),
    createdAt: z.string(),
    createdFrom: z.string(),
    createdUserAgent: z.string().nullable(),
    lastUsedAt: z.string().nullable(),
    lastUsedFrom: z.string().nullable(),
    lastUsedUserAgent: z.string().nullable(),
    expiresAt: z.string(),
    /** The token this request was made with. */
    current: z.boolean(),
  })
  .meta({ id: 'Token' });
export type Token = z.infer<typeof TokenSchema>;

export const TokenListSchema = z.object({ items: z.array(TokenSchema) }).meta({ id: 'TokenList' });

/** Revoke some of your tokens (by id), or every one but the one you call with ("sign out everywhere else"). */
export const TokenRevokeRequestSchema = z
  .object({
    ids: z.array(TokenIdSchema).min(1, { message: 'ids: list at least one token' }).max(500, { message: 'ids: at most 500 at once' }).optional(),
    allExceptCurrent: z.literal(true).optional(),
  })
  .strict()
  .refine((r) => (r.ids === undefined) !== (r.allExceptCurrent === undefined), {
    message: 'send either ids or allExceptCurrent: true',
    path: ['ids'],
  })
  .meta({ id: 'TokenRevokeRequest' });
export type TokenRevokeRequest = z.infer<typeof TokenRevokeRequestSchema>;

export const TokenRevokeResponseSchema = z
  .object({ revoked: z.number().int(), currentRevoked: z.boolean() })
  .meta({ id: 'TokenRevokeResponse' });

// Issue 6 / SPEC F5 — admin login security, the allowlist: the addresses and CIDR blocks (IPv4 and IPv6) the
// management API answers; empty = every address. Checked before anything else on every management request
// (the login included, before its credentials). Saving a list that leaves out the saver's own address is
// refused (409 allowlist_excludes_you) unless the request confirms it.
import { z } from 'zod';
import { parseCidr } from './cidr.js';

/** One line of the allowlist editor: an address or CIDR block (validated and normalised by parseCidr). */
export const AllowlistEntryTextSchema = z
  .string()
  .trim()
  .min(1, { message: 'an entry cannot be empty' })
  .max(64, { message: 'an entry is at most 64 characters' })
  .superRefine((s, ctx) => {
    const r = parseCidr(s);
    if (!r.ok) ctx.addIssue({ code: 'custom', message: r.message, params: { rule: 'cidr' } });
  });

export const AdminAllowlistWriteSchema = z
  .object({
    entries: z.array(AllowlistEntryTextSchema).max(500, { message: 'entries: at most 500' }),
    /** Save even though the list leaves out the address this request comes from. */
    confirmExcludeSelf: z.boolean().optional(),
  })
  .strict()
  .meta({ id: 'AdminAllowlistWrite' });
export type AdminAllowlistWrite = z.infer<typeof AdminAllowlistWriteSchema>;

export const AdminAllowlistSchema = z
  .object({
    /** Normalised (192.0.2.7/24 → 192.0.2.0/24), in the order saved, duplicates removed. Empty = all addresses. */
    entries: z.array(z.string()),
    /** The address this request came from, as the PBX sees it, and whether the list lets it in. */
    yourAddress: z.string(),
    youAreIncluded: z.boolean(),
    updatedAt: z.string().nullable(),
    updatedBy: z.string().nullable(),
    etag: z.string(),
  })
  .meta({ id: 'AdminAllowlist' });
export type AdminAllowlist = z.infer<typeof AdminAllowlistSchema>;

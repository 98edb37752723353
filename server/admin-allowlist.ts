// Issue 6 / SPEC F5: the admin allowlist — which source addresses the management API answers at all. Checked
// first on every management request (server/http.ts `admit`), the login included, before its credentials;
// kept in memory as a CidrSet and re-read after each change. Empty = every address.
import { CidrSet, parseCidr, type Cidr } from '../shared/cidr.js';
import type { AdminAllowlist } from '../shared/admin.js';
import type { Db } from './db.js';

interface Row {
  entries: string;
  version: number;
  updated_at: string | null;
  updated_by: string | null;
}

export const adminAllowlistEtag = (version: number): string => `"a${version}"`;

export class AdminAllowlistStore {
  private set: CidrSet | null = null;
  private cachedVersion = -1;

  constructor(private readonly db: Db) {}

  private row(): Row {
    return this.db.prepare('SELECT entries, version, updated_at, updated_by FROM admin_allowlist WHERE id = 1').get() as Row;
  }

  /** The set to check against (null = empty list = every address). */
  private current(): CidrSet | null {
    const r = this.row();
    if (r.version !== this.cachedVersion) {
      const entries = JSON.parse(r.entries) as string[];
      // an entry that does not parse (edited by hand in the database) is left out, not a 500 for every request
      const cidrs = entries.flatMap((e) => {
        const r = parseCidr(e);
        return r.ok ? [r.value] : [];
      });
      this.set = entries.length === 0 ? null : new CidrSet(cidrs);
      this.cachedVersion = r.version;
    }
    return this.set;
  }

  admits(address: string): boolean {
    const set = this.current();
    return set === null || set.matches(address) !== null;
  }

  resource(address: string): AdminAllowlist {
    const r = this.row();
    return {
      entries: JSON.parse(r.entries) as string[],
      yourAddress: address,
      youAreIncluded: this.admits(address),
      updatedAt: r.updated_at,
      updatedBy: r.updated_by,
      etag: adminAllowlistEtag(r.version),
    };
  }

  version(): number {
    return this.row().version;
  }

  /** Normalise (and de-duplicate) entries already validated by the schema. */
  static normalise(entries: readonly string[]): string[] {
    const out: string[] = [];
    for (const e of entries) {
      const r = parseCidr(e.trim());
      if (r.ok && !out.includes(r.value.text)) out.push(r.value.text);
    }
    return out;
  }

  /** Would this list let `address` in? */
  static wouldAdmit(entries: readonly string[], address: string): boolean {
    if (entries.length === 0) return true;
    const set = new CidrSet(entries.map((e) => (parseCidr(e) as { ok: true; value: Cidr }).value));
    return set.matches(address) !== null;
  }

  /** Store the list if still at `expectedVersion`; false = it moved on (412). */
  save(entries: string[], expectedVersion: number, at: string, by: string): boolean {
    const res = this.db
      .prepare('UPDATE admin_allowlist SET entries = ?, version = version + 1, updated_at = ?, updated_by = ? WHERE id = 1 AND version = ?')
      .run(JSON.stringify(entries), at, by, expectedVersion);
    return res.changes === 1;
  }
}

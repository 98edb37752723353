// The admin allowlist editor's text (one address or CIDR block per line) read back with the same parser the
// PBX uses (shared/cidr.ts): each bad line named with its number and the rule, the normalised entries, and
// whether the list would still let in the address this console reaches the PBX from.
import { CidrSet, parseCidr, type Cidr } from '../../../shared/cidr';

export interface AllowlistDraft {
  /** Normalised, duplicates removed, in order. */
  entries: string[];
  problems: { line: number; text: string; message: string }[];
  /** Lines that normalise to an entry already listed (kept once). */
  duplicates: number[];
  /** Would the saved list admit `address`? (An empty list admits everyone.) */
  admits: (address: string) => boolean;
}

export function readAllowlist(text: string): AllowlistDraft {
  const entries: string[] = [];
  const cidrs: Cidr[] = [];
  const problems: AllowlistDraft['problems'] = [];
  const duplicates: number[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const s = raw.trim();
    if (s === '' || s.startsWith('#')) return;
    const r = parseCidr(s);
    if (!r.ok) {
      problems.push({ line: i + 1, text: s, message: r.message });
      return;
    }
    if (entries.includes(r.value.text)) {
      duplicates.push(i + 1);
      return;
    }
    entries.push(r.value.text);
    cidrs.push(r.value);
  });
  const set = new CidrSet(cidrs);
  return { entries, problems, duplicates, admits: (address) => entries.length === 0 || set.matches(address) !== null };
}

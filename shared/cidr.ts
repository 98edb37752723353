// IPv4 and IPv6 addresses and CIDR blocks: parsing, normalising and matching, in plain TypeScript (no node:*,
// runs in the browser too).
//
// Accepted text (parseAddress) is exactly what Node's `net.isIP` accepts, with one deliberate difference:
// zone ids (`fe80::1%eth0`) are rejected — a zone names an interface of one host, it has no meaning in a rule.
//   IPv4: four decimal parts 0–255 separated by dots, no leading zeros ("01.2.3.4" is rejected, as isIP does:
//         some tools read 010 as octal 8, so the text is ambiguous).
//   IPv6: every RFC 4291 form — eight groups of 1–4 hex digits (either case), `::` once for one or more zero
//         groups, a dotted IPv4 address as the last 32 bits (`::ffff:192.0.2.1`, `64:ff9b::198.51.100.7`).
//
// Matching follows node's `BlockList`: an IPv4 address a.b.c.d is the same address as the IPv4-mapped IPv6
// address ::ffff:a.b.c.d (what Node reports for an IPv4 client on a dual-stack socket). So
//   - parseAddress / normaliseAddress turn ::ffff:a.b.c.d into plain a.b.c.d;
//   - parseCidr turns an IPv6 block inside ::ffff:0:0/96 into the IPv4 block (::ffff:127.0.0.0/104 → 127.0.0.0/8);
//   - a wider IPv6 block that contains all of ::ffff:0:0/96 (e.g. ::/0, ::/80) also contains every IPv4 address.
// Internally every address is a 128-bit number in the IPv6 space; an IPv4 block of prefix p is the block
// ::ffff:a.b.c.d/(96 + p) there, which also makes "most specific match" well defined across families.
//
// Normalised text: IPv4 dotted decimal; IPv6 in RFC 5952 form (lower case, no leading zeros, the longest run of
// two or more zero groups — the first on a tie — written as ::). A block whose prefix is the full length (/32,
// /128) is written as the bare address.

export type IpFamily = 'ipv4' | 'ipv6';

export interface Cidr {
  family: IpFamily;
  /** 4 (IPv4) or 16 (IPv6) bytes, host bits zeroed. */
  bytes: Uint8Array;
  /** 0–32 for IPv4, 0–128 for IPv6. */
  prefix: number;
  /** Normalised: 192.0.2.0/24, 2001:db8::/32; a single address has no /32 or /128 suffix. */
  text: string;
}

export type ParsedAddress = { ok: true; family: IpFamily; bytes: Uint8Array; text: string } | { ok: false; message: string };
export type ParsedCidr = { ok: true; value: Cidr } | { ok: false; message: string };

const MAX_TEXT = 100; // the longest valid IPv6 text is 45 characters; longer input is rejected before parsing
const EXAMPLES = 'e.g. 192.0.2.1 or 2001:db8::1';

// ---- parsing ---------------------------------------------------------------------------------------------

type Raw = { ok: true; family: IpFamily; bytes: Uint8Array } | { ok: false; message: string };

function fail(message: string): { ok: false; message: string } {
  return { ok: false, message };
}

function isDigit(c: string): boolean {
  return c >= '0' && c <= '9';
}

function isHexDigit(c: string): boolean {
  return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/** Dotted IPv4 into out[at..at+4). `whole` is the text to name in messages. */
function parseIpv4Into(text: string, out: Uint8Array, at: number, whole: string): string | null {
  const why = `${whole} is not an IPv4 address`;
  const parts = text.split('.');
  if (parts.length !== 4) {
    return `${why}: it needs 4 numbers separated by dots (e.g. 192.0.2.1), not ${parts.length}`;
  }
  for (let i = 0; i < 4; i++) {
    const part = parts[i] as string;
    if (part === '') return `${why}: part ${i + 1} is empty (two dots in a row, or a dot at the start or end)`;
    for (const c of part) {
      if (!isDigit(c)) return `${why}: each part must be a decimal number from 0 to 255 ("${part}" is not)`;
    }
    if (part.length > 1 && part[0] === '0') {
      return `${why}: parts must not have leading zeros (write ${String(Number(part))}, not ${part})`;
    }
    const n = part.length > 3 ? 256 : Number(part);
    if (n > 255) return `${why}: each part must be 0 to 255 (${part} is too large)`;
    out[at + i] = n;
  }
  return null;
}

function parseIpv6(text: string): Raw {
  const why = `${text} is not an IPv6 address`;
  const halves = text.split('::');
  if (halves.length > 2) return fail(`${why}: :: may appear only once (it stands for one run of zero groups)`);
  const compressed = halves.length === 2;
  const head = halves[0] === '' ? [] : (halves[0] as string).split(':');
  const tail = compressed ? (halves[1] === '' ? [] : (halves[1] as string).split(':')) : [];
  const groups = [...head, ...tail];

  for (let i = 0; i < groups.length; i++) {
    if (groups[i] !== '') continue;
    if (!compressed && i === 0) return fail(`${why}: it must not start with a single colon (use :: for leading zeros)`);
    if (!compressed && i === groups.length - 1) return fail(`${why}: it must not end with a single colon (use :: for trailing zeros)`);
    if (compressed && i === 0 && head.length > 0) return fail(`${why}: it must not start with a single colon (use :: for leading zeros)`);
    if (compressed && i === groups.length - 1 && tail.length > 0) return fail(`${why}: it must not end with a single colon (use :: for trailing zeros)`);
    return fail(`${why}: a group between colons is empty (only one :: is allowed, and never three colons in a row)`);
  }

  const words: number[] = [];
  let v4: Uint8Array | null = null;
  for (let i = 0; i < groups.length; i++) {
    const g = groups[i] as string;
    if (g.includes('.')) {
      // Only the last part of the text may be dotted: "1.2.3.4::" ends with ::, not with the IPv4 address.
      if (i !== groups.length - 1 || (compressed && tail.length === 0)) return fail(`${why}: an embedded IPv4 address (${g}) must be the last part`);
      v4 = new Uint8Array(4);
      const err = parseIpv4Into(g, v4, 0, g);
      if (err !== null) return fail(`${why}: ${err}`);
      continue;
    }
    for (const c of g) {
      if (!isHexDigit(c)) return fail(`${why}: each group must be hexadecimal digits 0-9 and a-f ("${g}" is not)`);
    }
    if (g.length > 4) return fail(`${why}: each group must be 1 to 4 hexadecimal digits ("${g}" has ${g.length})`);
    words.push(parseInt(g, 16));
  }

  const count = words.length + (v4 ? 2 : 0);
  if (compressed && count > 7) {
    return fail(`${why}: :: stands for at least one zero group, but the address already has ${count} groups (8 in all)`);
  }
  if (!compressed && count !== 8) {
    return fail(count > 8
      ? `${why}: it has ${count} groups; an IPv6 address has 8`
      : `${why}: it has ${count} groups; an IPv6 address has 8, or use :: for a run of zero groups`);
  }

  const bytes = new Uint8Array(16);
  const headWords = compressed ? head.length : words.length;
  // Words before :: go to the front, the rest (and the embedded IPv4) to the back.
  for (let i = 0; i < headWords; i++) {
    bytes[2 * i] = (words[i] as number) >> 8;
    bytes[2 * i + 1] = (words[i] as number) & 0xff;
  }
  const tailWords = words.length - headWords;
  const tailStart = 16 - (v4 ? 4 : 0) - 2 * tailWords;
  for (let j = 0; j < tailWords; j++) {
    const w = words[headWords + j] as number;
    bytes[tailStart + 2 * j] = w >> 8;
    bytes[tailStart + 2 * j + 1] = w & 0xff;
  }
  if (v4) bytes.set(v4, 12);
  return { ok: true, family: 'ipv6', bytes };
}

function parseRaw(text: string): Raw {
  if (typeof text !== 'string' || text === '') return fail(`Enter an IP address, ${EXAMPLES}.`);
  if (text.length > MAX_TEXT) return fail(`That is not an IP address: it is ${text.length} characters long (${EXAMPLES}).`);
  if (text.trim() !== text || /\s/.test(text)) return fail(`"${text}" is not an IP address: remove the spaces.`);
  if (text.includes('%')) {
    return fail(`${text} is not supported: zone ids (the %${text.slice(text.indexOf('%') + 1)} part) name one host's interface; write the address without it.`);
  }
  if (text.startsWith('[') || text.endsWith(']')) return fail(`${text} is not an IP address: write it without the square brackets.`);
  if (text.includes('/')) return fail(`${text} is a network (address/prefix), not a single address.`);
  if (text.includes(':')) return parseIpv6(text);
  if (/^[0-9.]+$/.test(text)) {
    const bytes = new Uint8Array(4);
    const err = parseIpv4Into(text, bytes, 0, text);
    return err === null ? { ok: true, family: 'ipv4', bytes } : fail(err);
  }
  return fail(`${text} is not an IP address: expected an IPv4 address like 192.0.2.1 or an IPv6 address like 2001:db8::1.`);
}

function isMapped(b: Uint8Array): boolean {
  if (b.length !== 16) return false;
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false;
  return b[10] === 0xff && b[11] === 0xff;
}

/** Plain IPv4 for IPv4 and IPv4-mapped IPv6 bytes, the IPv6 bytes otherwise. */
function unmap(family: IpFamily, bytes: Uint8Array): { family: IpFamily; bytes: Uint8Array } {
  return family === 'ipv6' && isMapped(bytes) ? { family: 'ipv4', bytes: bytes.slice(12) } : { family, bytes };
}

function formatIpv4(b: Uint8Array): string {
  return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
}

/** RFC 5952: lower case, no leading zeros, the longest run (>= 2) of zero groups, the first on a tie, as ::. */
function formatIpv6(b: Uint8Array): string {
  const w: number[] = [];
  for (let i = 0; i < 8; i++) w.push(((b[2 * i] as number) << 8) | (b[2 * i + 1] as number));
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (w[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  const hex = (ws: number[]) => ws.map((x) => x.toString(16)).join(':');
  if (bestStart < 0) return hex(w);
  return `${hex(w.slice(0, bestStart))}::${hex(w.slice(bestStart + bestLen))}`;
}

function formatAddress(family: IpFamily, bytes: Uint8Array): string {
  return family === 'ipv4' ? formatIpv4(bytes) : formatIpv6(bytes);
}

/**
 * Parses one IP address (no prefix). IPv4-mapped IPv6 (::ffff:a.b.c.d, in any spelling) becomes plain IPv4.
 * `text` is the normalised form.
 */
export function parseAddress(text: string): ParsedAddress {
  const raw = parseRaw(text);
  if (!raw.ok) return raw;
  const { family, bytes } = unmap(raw.family, raw.bytes);
  return { ok: true, family, bytes, text: formatAddress(family, bytes) };
}

/** The normalised text of an address (IPv4-mapped → IPv4), or null if `text` is not an address. */
export function normaliseAddress(text: string): string | null {
  const p = parseAddress(text);
  return p.ok ? p.text : null;
}

function maskBytes(bytes: Uint8Array, prefix: number): Uint8Array {
  const out = bytes.slice();
  for (let i = 0; i < out.length; i++) {
    const keep = Math.max(0, Math.min(8, prefix - 8 * i));
    out[i] = (out[i] as number) & ((0xff << (8 - keep)) & 0xff);
  }
  return out;
}

function makeCidr(family: IpFamily, bytes: Uint8Array, prefix: number): Cidr {
  const net = maskBytes(bytes, prefix);
  const full = family === 'ipv4' ? 32 : 128;
  const addr = formatAddress(family, net);
  return { family, bytes: net, prefix, text: prefix === full ? addr : `${addr}/${prefix}` };
}

/**
 * Parses "address" or "address/prefix". Host bits are cleared (192.0.2.7/24 → 192.0.2.0/24); an IPv6 block
 * inside ::ffff:0:0/96 becomes the IPv4 block it maps (::ffff:10.0.0.0/104 → 10.0.0.0/8).
 */
export function parseCidr(text: string): ParsedCidr {
  if (typeof text !== 'string' || text === '') return fail(`Enter an IP address or network, e.g. 192.0.2.0/24 or 2001:db8::/32.`);
  const slash = text.indexOf('/');
  if (slash < 0) {
    const a = parseRaw(text);
    if (!a.ok) return a;
    const u = unmap(a.family, a.bytes);
    return { ok: true, value: makeCidr(u.family, u.bytes, u.family === 'ipv4' ? 32 : 128) };
  }
  if (text.indexOf('/', slash + 1) >= 0) return fail(`${text} is not a network: write one address, one / and one prefix (e.g. 192.0.2.0/24).`);
  const addrText = text.slice(0, slash);
  const prefixText = text.slice(slash + 1);
  if (addrText === '') return fail(`${text} is not a network: the address before / is missing (e.g. 192.0.2.0/24).`);
  const a = parseRaw(addrText);
  if (!a.ok) return a;
  const max = a.family === 'ipv4' ? 32 : 128;
  const what = a.family === 'ipv4' ? 'an IPv4' : 'an IPv6';
  if (prefixText === '') return fail(`${text} is not a network: the prefix after / is missing (0 to ${max} for ${what} address).`);
  if (!/^[0-9]+$/.test(prefixText) || prefixText.length > 3 || Number(prefixText) > max) {
    return fail(`${text} is not a network: the prefix after / must be 0 to ${max} for ${what} address.`);
  }
  let prefix = Number(prefixText);
  let { family, bytes } = a;
  if (family === 'ipv6' && prefix >= 96 && isMapped(bytes)) {
    family = 'ipv4';
    bytes = bytes.slice(12);
    prefix -= 96;
  }
  return { ok: true, value: makeCidr(family, bytes, prefix) };
}

// ---- matching (in the 128-bit IPv6 space) ----------------------------------------------------------------

const MAPPED_BASE = 0xffffn << 32n;
const ALL = (1n << 128n) - 1n;
const MASKS: bigint[] = Array.from({ length: 129 }, (_, p) => (ALL << BigInt(128 - p)) & ALL);

function toBig(bytes: Uint8Array): bigint {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return v;
}

/** The address as a 128-bit number; IPv4 as ::ffff:a.b.c.d. */
function addressToBig(bytes: Uint8Array): bigint | null {
  if (bytes.length === 4) return MAPPED_BASE | toBig(bytes);
  if (bytes.length === 16) return toBig(bytes);
  return null;
}

function parseToBig(address: string | Uint8Array): bigint | null {
  if (typeof address === 'string') {
    const p = parseRaw(address);
    return p.ok ? addressToBig(p.bytes) : null;
  }
  return address instanceof Uint8Array ? addressToBig(address) : null;
}

/** The block as (network, prefix) in the 128-bit space, or null for a malformed Cidr object. */
function cidrSpace(c: Cidr): { net: bigint; prefix: number } | null {
  const v4 = c.family === 'ipv4';
  if (c.bytes.length !== (v4 ? 4 : 16)) return null;
  const max = v4 ? 32 : 128;
  if (!Number.isInteger(c.prefix) || c.prefix < 0 || c.prefix > max) return null;
  const prefix = v4 ? c.prefix + 96 : c.prefix;
  const base = addressToBig(c.bytes) as bigint;
  return { net: base & (MASKS[prefix] as bigint), prefix };
}

/**
 * Whether `address` (text, or 4 / 16 bytes) lies in `cidr`. An IPv4 address and its IPv4-mapped IPv6 form are
 * the same address. Text that is not an address never matches.
 */
export function cidrContains(cidr: Cidr, address: string | Uint8Array): boolean {
  const s = cidrSpace(cidr);
  const v = parseToBig(address);
  if (s === null || v === null) return false;
  return (v & (MASKS[s.prefix] as bigint)) === s.net;
}

/**
 * A set of blocks that answers "which block is the most specific one containing this address": one Map of
 * network → Cidr per prefix length (IPv4 prefixes counted in the IPv6 space), probed from the longest
 * prefix in use to the shortest. Adding a block with the same network again replaces it.
 */
export class CidrSet {
  private readonly byPrefix = new Map<number, Map<bigint, Cidr>>();
  private prefixes: number[] = []; // in use, longest first
  private count = 0;

  constructor(cidrs?: Iterable<Cidr>) {
    if (cidrs) for (const c of cidrs) this.add(c);
  }

  add(c: Cidr): void {
    const s = cidrSpace(c);
    if (s === null) throw new TypeError(`not a valid Cidr: ${String(c?.text)}`);
    let bucket = this.byPrefix.get(s.prefix);
    if (!bucket) {
      bucket = new Map();
      this.byPrefix.set(s.prefix, bucket);
      this.prefixes = [...this.byPrefix.keys()].sort((a, b) => b - a);
    }
    if (!bucket.has(s.net)) this.count++;
    bucket.set(s.net, c);
  }

  delete(c: Cidr): void {
    const s = cidrSpace(c);
    if (s === null) return;
    const bucket = this.byPrefix.get(s.prefix);
    if (!bucket || !bucket.delete(s.net)) return;
    this.count--;
    if (bucket.size === 0) {
      this.byPrefix.delete(s.prefix);
      this.prefixes = [...this.byPrefix.keys()].sort((a, b) => b - a);
    }
  }

  /** The most specific block containing `address`, or null (also for text that is not an address). */
  matches(address: string): Cidr | null {
    const v = parseToBig(address);
    if (v === null) return null;
    for (const p of this.prefixes) {
      const hit = this.byPrefix.get(p)?.get(v & (MASKS[p] as bigint));
      if (hit) return hit;
    }
    return null;
  }

  get size(): number {
    return this.count;
  }
}

// shared/cidr.ts against node:net as the oracle: `isIP` for which text is an address, `BlockList` for matching,
// and the WHATWG URL parser (`new URL('http://[…]/').hostname`) for the RFC 5952 text of IPv6 addresses.
//
// Deliberate difference from isIP: zone ids (fe80::1%eth0) are accepted by isIP and rejected by parseAddress.
import { BlockList, isIP } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CidrSet, cidrContains, normaliseAddress, parseAddress, parseCidr, type Cidr } from '../../shared/cidr.js';

// ---- generators -------------------------------------------------------------------------------------------

const word = fc.oneof(
  { weight: 4, arbitrary: fc.constant(0) },
  { weight: 1, arbitrary: fc.constant(0xffff) },
  { weight: 5, arbitrary: fc.integer({ min: 0, max: 0xffff }) },
);
const byte = fc.oneof(
  { weight: 1, arbitrary: fc.constantFrom(0, 1, 127, 255) },
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 255 }) },
);

type Addr = { family: 'ipv4'; bytes: number[] } | { family: 'ipv6'; words: number[] };

const v4Arb: fc.Arbitrary<Addr> = fc.array(byte, { minLength: 4, maxLength: 4 }).map((bytes) => ({ family: 'ipv4', bytes }));
const v6Arb: fc.Arbitrary<Addr> = fc.array(word, { minLength: 8, maxLength: 8 }).map((words) => ({ family: 'ipv6', words }));
const mappedArb: fc.Arbitrary<Addr> = fc.tuple(word, word).map(([a, b]) => ({ family: 'ipv6', words: [0, 0, 0, 0, 0, 0xffff, a, b] }));
const addrArb = fc.oneof(v4Arb, v6Arb, mappedArb);

/** How to spell an IPv6 address: pad groups to 4 digits, upper case, last 32 bits dotted, which zero run to compress. */
const styleArb = fc.record({ pad: fc.boolean(), upper: fc.boolean(), dotted: fc.boolean(), run: fc.nat(64) });
type Style = { pad: boolean; upper: boolean; dotted: boolean; run: number };

function render(a: Addr, s: Style): string {
  if (a.family === 'ipv4') return a.bytes.join('.');
  const w = a.words;
  const limit = s.dotted ? 6 : 8;
  const hex = (x: number) => {
    const h = x.toString(16);
    return s.pad ? h.padStart(4, '0') : h;
  };
  // Every range of >= 1 zero groups among the hex groups may be written as :: (RFC 4291 2.2).
  const ranges: Array<[number, number]> = [];
  for (let i = 0; i < limit; i++) {
    for (let j = i; j < limit && w[j] === 0; j++) ranges.push([i, j + 1]);
  }
  const dotted = s.dotted ? `${w[6]! >> 8}.${w[6]! & 0xff}.${w[7]! >> 8}.${w[7]! & 0xff}` : '';
  let text: string;
  const pick = s.run % (ranges.length + 1);
  if (pick === ranges.length) {
    text = w.slice(0, limit).map(hex).join(':') + (s.dotted ? `:${dotted}` : '');
  } else {
    const [from, to] = ranges[pick]!;
    const right = w.slice(to, limit).map(hex).join(':');
    text = `${w.slice(0, from).map(hex).join(':')}::${right}${s.dotted ? (right ? ':' : '') + dotted : ''}`;
  }
  return s.upper ? text.toUpperCase() : text;
}

const renderedArb = fc.tuple(addrArb, styleArb).map(([a, s]) => render(a, s));

function familyOf(text: string): 'ipv4' | 'ipv6' {
  const f = isIP(text);
  if (f === 0) throw new Error(`generator produced a non-address: ${text}`);
  return f === 4 ? 'ipv4' : 'ipv6';
}

/** A subnet, and addresses near it (inside, random host bits) or anywhere. */
const subnetArb = fc
  .tuple(addrArb, styleArb, fc.nat(128))
  .map(([a, s, p]) => ({ addr: a, text: render(a, s), prefix: a.family === 'ipv4' ? p % 33 : p }));

function withHostBits(a: Addr, prefix: number, noise: number[]): Addr {
  const bits = a.family === 'ipv4' ? a.bytes.flatMap((b) => [b]) : a.words.flatMap((x) => [x >> 8, x & 0xff]);
  const out = bits.map((b, i) => {
    const keep = Math.max(0, Math.min(8, prefix - 8 * i));
    const mask = (0xff << (8 - keep)) & 0xff;
    return (b & mask) | ((noise[i] ?? 0) & ~mask & 0xff);
  });
  if (a.family === 'ipv4') return { family: 'ipv4', bytes: out };
  return { family: 'ipv6', words: Array.from({ length: 8 }, (_, i) => (out[2 * i]! << 8) | out[2 * i + 1]!) };
}

function mapV4(a: Addr): Addr {
  return a.family === 'ipv4' ? { family: 'ipv6', words: [0, 0, 0, 0, 0, 0xffff, (a.bytes[0]! << 8) | a.bytes[1]!, (a.bytes[2]! << 8) | a.bytes[3]!] } : a;
}

const probeArb = (sub: { addr: Addr; prefix: number }) =>
  fc.oneof(
    fc.tuple(fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 16, maxLength: 16 }), fc.boolean(), styleArb).map(([noise, map, s]) => {
      const inside = withHostBits(sub.addr, sub.prefix, noise);
      return render(map ? mapV4(inside) : inside, s);
    }),
    renderedArb,
  );

function oracleContains(net: string, prefix: number, addr: string): boolean {
  const bl = new BlockList();
  bl.addSubnet(net, prefix, familyOf(net));
  return bl.check(addr, familyOf(addr));
}

function mustCidr(text: string): Cidr {
  const r = parseCidr(text);
  if (!r.ok) throw new Error(`${text}: ${r.message}`);
  return r.value;
}

/** The block's prefix counted in the IPv6 space (IPv4 blocks live in ::ffff:0:0/96). */
const spacePrefix = (c: Cidr) => (c.family === 'ipv4' ? c.prefix + 96 : c.prefix);

// ---- matching against BlockList ---------------------------------------------------------------------------

describe('cidrContains agrees with node:net BlockList', () => {
  it('for random subnets and addresses in every spelling', () => {
    fc.assert(
      fc.property(subnetArb.chain((sub) => fc.tuple(fc.constant(sub), probeArb(sub))), ([sub, addr]) => {
        const cidr = mustCidr(`${sub.text}/${sub.prefix}`);
        const expected = oracleContains(sub.text, sub.prefix, addr);
        expect(cidrContains(cidr, addr)).toBe(expected);
        const parsed = parseAddress(addr);
        expect(parsed.ok).toBe(true);
        if (parsed.ok) {
          expect(cidrContains(cidr, parsed.bytes)).toBe(expected);
          expect(cidrContains(cidr, parsed.text)).toBe(expected);
        }
      }),
      { numRuns: 4000 },
    );
  });

  it('a request from ::ffff:127.0.0.2 (dual-stack socket) matches 127.0.0.0/8', () => {
    const loop = mustCidr('127.0.0.0/8');
    for (const a of ['::ffff:127.0.0.2', '::FFFF:7f00:2', '0:0:0:0:0:ffff:127.0.0.2', '0000:0000:0000:0000:0000:FFFF:7F00:0002']) {
      expect(cidrContains(loop, a)).toBe(true);
      expect(oracleContains('127.0.0.0', 8, a)).toBe(true);
    }
    expect(cidrContains(loop, new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 2]))).toBe(true);
    expect(cidrContains(loop, new Uint8Array([127, 9, 9, 9]))).toBe(true);
    expect(cidrContains(loop, '::127.0.0.2')).toBe(false); // IPv4-compatible (deprecated), not mapped
    expect(cidrContains(loop, '::ffff:128.0.0.1')).toBe(false);
    expect(cidrContains(mustCidr('::ffff:127.0.0.0/104'), '127.1.2.3')).toBe(true);
    expect(mustCidr('::ffff:127.0.0.0/104').text).toBe('127.0.0.0/8');
  });

  it('IPv6 blocks wider than ::ffff:0:0/96 contain IPv4 addresses, as in BlockList', () => {
    expect(cidrContains(mustCidr('::/0'), '192.0.2.1')).toBe(true);
    expect(cidrContains(mustCidr('::/80'), '192.0.2.1')).toBe(true);
    expect(cidrContains(mustCidr('::/81'), '192.0.2.1')).toBe(false);
    expect(cidrContains(mustCidr('0.0.0.0/0'), '2001:db8::1')).toBe(false);
    expect(cidrContains(mustCidr('2001:db8::/32'), '192.0.2.1')).toBe(false);
  });

  it('text that is not an address never matches', () => {
    const all4 = mustCidr('0.0.0.0/0');
    const all6 = mustCidr('::/0');
    for (const bad of ['', 'localhost', '1.2.3', '01.2.3.4', '::1%lo', '1.2.3.4/32']) {
      expect(cidrContains(all4, bad)).toBe(false);
      expect(cidrContains(all6, bad)).toBe(false);
    }
    expect(cidrContains(all6, new Uint8Array(5))).toBe(false);
  });
});

describe('CidrSet', () => {
  const setCase = fc.array(subnetArb, { minLength: 1, maxLength: 30 }).chain((subs) =>
    fc.tuple(
      fc.constant(subs),
      fc.array(fc.integer({ min: 0, max: subs.length - 1 }).chain((i) => probeArb(subs[i]!)), { minLength: 1, maxLength: 10 }),
    ),
  );

  it('matches what BlockList matches, and returns the most specific block', () => {
    fc.assert(
      fc.property(setCase, ([subs, addrs]) => {
        const all = new BlockList();
        for (const s of subs) all.addSubnet(s.text, s.prefix, familyOf(s.text));
        const cidrs = subs.map((s) => mustCidr(`${s.text}/${s.prefix}`));
        const set = new CidrSet(cidrs);
        expect(set.size).toBe(new Set(cidrs.map((c) => `${c.family} ${c.text}`)).size);
        for (const addr of addrs) {
          const hit = set.matches(addr);
          expect(hit !== null).toBe(all.check(addr, familyOf(addr)));
          const containing = subs.filter((s) => oracleContains(s.text, s.prefix, addr)).map((s) => mustCidr(`${s.text}/${s.prefix}`));
          if (hit) {
            const best = Math.max(...containing.map(spacePrefix));
            expect(spacePrefix(hit)).toBe(best);
            expect(containing.map((c) => c.text)).toContain(hit.text);
          }
        }
      }),
      { numRuns: 600 },
    );
  });

  it('add, delete and size; the most specific block wins across families', () => {
    const set = new CidrSet();
    const wide = mustCidr('::/0');
    const v4all = mustCidr('0.0.0.0/0');
    const net = mustCidr('10.0.0.0/8');
    const host = mustCidr('10.1.2.3');
    for (const c of [wide, v4all, net, host]) set.add(c);
    set.add(mustCidr('10.9.9.9/8')); // same network as 10.0.0.0/8: replaces it
    expect(set.size).toBe(4);
    expect(set.matches('10.1.2.3')?.text).toBe('10.1.2.3');
    expect(set.matches('::ffff:10.1.2.3')?.text).toBe('10.1.2.3');
    expect(set.matches('10.1.2.4')?.text).toBe('10.0.0.0/8');
    expect(set.matches('192.0.2.1')?.text).toBe('0.0.0.0/0');
    expect(set.matches('2001:db8::1')?.text).toBe('::/0');
    expect(set.matches('not an address')).toBeNull();
    set.delete(host);
    set.delete(mustCidr('10.0.0.0/8'));
    set.delete(mustCidr('10.0.0.0/9')); // not in the set: no effect
    expect(set.size).toBe(2);
    expect(set.matches('10.1.2.3')?.text).toBe('0.0.0.0/0');
    set.delete(v4all);
    expect(set.matches('10.1.2.3')?.text).toBe('::/0');
    set.delete(wide);
    expect(set.size).toBe(0);
    expect(set.matches('10.1.2.3')).toBeNull();
  });

  it('stays fast with thousands of entries', () => {
    const cidrs: Cidr[] = [];
    for (let i = 0; i < 5000; i++) {
      cidrs.push(mustCidr(`10.${(i >> 8) & 255}.${i & 255}.0/${16 + (i % 17)}`));
      cidrs.push(mustCidr(`2001:db8:${i.toString(16)}::/${48 + (i % 81)}`));
    }
    const set = new CidrSet(cidrs);
    const t0 = performance.now();
    let hits = 0;
    for (let i = 0; i < 20000; i++) {
      if (set.matches(i % 2 ? `10.${i & 255}.${(i >> 3) & 255}.7` : `2001:db8:${(i % 5000).toString(16)}::${i.toString(16)}`)) hits++;
    }
    const ms = performance.now() - t0;
    expect(hits).toBeGreaterThan(0);
    expect(ms).toBeLessThan(3000);
  });
});

// ---- which text is an address: isIP as the oracle --------------------------------------------------------

const CORPUS = [
  '', ' ', '0', '1', '1.2.3', '1.2.3.4', '1.2.3.4.', '.1.2.3.4', '1.2.3.4.5', '1..2.3', '0.0.0.0', '255.255.255.255', '256.0.0.0',
  '1.2.3.256', '01.2.3.4', '00.1.2.3', '0.01.2.3', '1.2.3.04', '1.2.3.00', '1.2.3.0', '0x1.2.3.4', '1.2.3.4 ', ' 1.2.3.4',
  '1.2.3.4\n', '١.2.3.4', '1.2.3.-1', '+1.2.3.4', '1e2.2.3.4', '1.2.3.4/32', '999.1.1.1', '1000.1.1.1', '1.2.3.4:80',
  '::', ':::', '::::', '::1', '1::', ':1', '1:', ':1::', '::1:', '1::2::3', '1:::2', '1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8:9',
  '1:2:3:4:5:6:7', '1:2:3:4:5:6:7::', '::2:3:4:5:6:7:8', '1::2:3:4:5:6:7:8', '1:2:3:4::5:6:7:8', ':1:2:3:4:5:6:7',
  '1:2:3:4:5:6:7:', '0000::1', '00000::1', '12345::', 'g::1', 'FFFF::', 'ffff::FFFF', 'fe80::1', 'fe80::1%eth0', 'fe80::1%1',
  '::1%', '[::1]', '[::1]:80', '::ffff:1.2.3.4', '::FFFF:1.2.3.4', '::ffff:01.2.3.4', '::ffff:1.2.3', '::ffff:256.1.1.1',
  '::1.2.3.4', '::1.2.3.4.5', '1.2.3.4::', '::1.2.3.4:1', '1::1.2.3.4', '1:2:3:4:5:6:1.2.3.4', '1:2:3:4:5:6:7:1.2.3.4',
  '1:2:3:4:5::1.2.3.4', '1:2:3:4:5:6::1.2.3.4', '1:2:3:4:5:1.2.3.4', 'a:b:c:d:e:f:1.2.3.4', '::ffff:255.255.255.255',
  '64:ff9b::192.0.2.33', '2001:db8::', '2001:DB8:0:0:8:800:200C:417A', '2001:db8:0:0:8:800:200c:417a:', '2001:db8::/32',
  'localhost', 'example.com', '1.2.3.4.in-addr.arpa', '::ffff:1.2.3.4%eth0', '1::2:', ':',
];

describe('parseAddress accepts exactly what isIP accepts (except zone ids)', () => {
  function agree(text: string): void {
    const p = parseAddress(text);
    if (text.includes('%')) {
      expect(p.ok, text).toBe(false);
      return;
    }
    const f = isIP(text);
    expect(p.ok, `${JSON.stringify(text)}: isIP says ${f}${p.ok ? '' : `, we say: ${p.message}`}`).toBe(f !== 0);
    if (p.ok) {
      const mapped = f === 6 && p.family === 'ipv4';
      expect(p.family).toBe(f === 4 || mapped ? 'ipv4' : 'ipv6');
      expect(p.bytes.length).toBe(p.family === 'ipv4' ? 4 : 16);
    } else {
      expect(p.message.length).toBeGreaterThan(10);
    }
  }

  it('on a corpus of edge cases', () => {
    for (const t of CORPUS) agree(t);
    expect(isIP('fe80::1%eth0')).toBe(6); // the deliberate difference
    expect(parseAddress('fe80::1%eth0').ok).toBe(false);
  });

  it('on every spelling of random addresses', () => {
    fc.assert(fc.property(renderedArb, (t) => {
      expect(isIP(t)).not.toBe(0);
      agree(t);
    }), { numRuns: 3000 });
  });

  it('on random edits of valid addresses', () => {
    const alphabet = fc.constantFrom(...'0123456789abcdefABCDEFgx:.:.%/ '.split(''));
    const edit = fc.tuple(fc.nat(60), fc.constantFrom('insert', 'delete', 'replace', 'duplicate'), alphabet, fc.nat(10));
    fc.assert(fc.property(renderedArb, fc.array(edit, { minLength: 1, maxLength: 3 }), (t, edits) => {
      let s = t;
      for (const [pos, op, ch, len] of edits) {
        const i = pos % (s.length + 1);
        if (op === 'insert') s = s.slice(0, i) + ch + s.slice(i);
        else if (op === 'delete') s = s.slice(0, i) + s.slice(i + 1);
        else if (op === 'replace') s = s.slice(0, i) + ch + s.slice(i + 1);
        else s = s.slice(0, i) + s.slice(i, i + len) + s.slice(i);
      }
      agree(s);
    }), { numRuns: 5000 });
  });

  it('on random strings', () => {
    const ch = fc.constantFrom(...'0123456789aAfF:.'.split(''), ':', '.', '0', '1', '2', '5');
    fc.assert(fc.property(fc.array(ch, { maxLength: 24 }).map((a) => a.join('')), agree), { numRuns: 5000 });
  });
});

// ---- normalised text ----------------------------------------------------------------------------------------

describe('normalisation', () => {
  it('RFC 5952 examples and IPv4-mapped addresses', () => {
    const cases: Array<[string, string]> = [
      ['2001:db8:0:0:0:0:2:1', '2001:db8::2:1'],
      ['2001:0db8:0000:0000:0000:0000:0002:0001', '2001:db8::2:1'],
      ['2001:db8::0:1', '2001:db8::1'],
      ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // one zero group is not compressed (4.2.2)
      ['2001:db8::1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
      ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'], // the longest run (4.2.3)
      ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // on a tie, the first
      ['2001:DB8::AAAA', '2001:db8::aaaa'], // lower case (4.3)
      ['0:0:0:0:0:0:0:0', '::'],
      ['0:0:0:0:0:0:0:1', '::1'],
      ['1:0:0:0:0:0:0:0', '1::'],
      ['fe80:0:0:0:0:0:0:1', 'fe80::1'],
      ['::1.2.3.4', '::102:304'], // IPv4-compatible: not mapped, so not IPv4
      ['64:ff9b::192.0.2.33', '64:ff9b::c000:221'],
      ['::ffff:192.0.2.1', '192.0.2.1'],
      ['::FFFF:C000:0201', '192.0.2.1'],
      ['0:0:0:0:0:ffff:192.0.2.1', '192.0.2.1'],
      ['::ffff:0.0.0.0', '0.0.0.0'],
      ['::fffe:192.0.2.1', '::fffe:c000:201'],
      ['192.0.2.1', '192.0.2.1'],
    ];
    for (const [input, expected] of cases) {
      expect(normaliseAddress(input), input).toBe(expected);
      const p = parseAddress(input);
      expect(p.ok && p.text).toBe(expected);
    }
    expect(normaliseAddress('01.2.3.4')).toBeNull();
    expect(normaliseAddress('::1%lo')).toBeNull();
  });

  it('IPv6 text matches the WHATWG URL serialiser, and round-trips', () => {
    fc.assert(fc.property(renderedArb, (t) => {
      const p = parseAddress(t);
      expect(p.ok).toBe(true);
      if (!p.ok) return;
      if (p.family === 'ipv6') expect(`[${p.text}]`).toBe(new URL(`http://[${t}]/`).hostname);
      else expect(isIP(p.text)).toBe(4);
      const again = parseAddress(p.text);
      expect(again.ok && again.text).toBe(p.text);
      expect(again.ok && [...again.bytes]).toEqual([...p.bytes]);
    }), { numRuns: 3000 });
  });

  it('CIDR text: host bits cleared, no suffix for a single address', () => {
    const cases: Array<[string, string]> = [
      ['192.0.2.7/24', '192.0.2.0/24'],
      ['192.0.2.7/32', '192.0.2.7'],
      ['192.0.2.7', '192.0.2.7'],
      ['0.0.0.0/0', '0.0.0.0/0'],
      ['255.255.255.255/0', '0.0.0.0/0'],
      ['10.1.2.3/9', '10.0.0.0/9'],
      ['2001:DB8:1::/32', '2001:db8::/32'],
      ['2001:db8::1/128', '2001:db8::1'],
      ['2001:db8::1', '2001:db8::1'],
      ['::/0', '::/0'],
      ['ffff::/1', '8000::/1'],
      ['::ffff:10.1.2.3/104', '10.0.0.0/8'],
      ['::ffff:0:0/96', '0.0.0.0/0'],
      ['::ffff:10.1.2.3', '10.1.2.3'],
      ['::ffff:10.1.2.3/128', '10.1.2.3'],
      ['::ffff:10.1.2.3/95', '::fffe:0:0/95'],
      ['192.0.2.0/024', '192.0.2.0/24'],
    ];
    for (const [input, expected] of cases) {
      const r = parseCidr(input);
      expect(r.ok ? r.value.text : r.message, input).toBe(expected);
    }
    const c = mustCidr('192.0.2.7/24');
    expect(c.family).toBe('ipv4');
    expect([...c.bytes]).toEqual([192, 0, 2, 0]);
    expect(c.prefix).toBe(24);
    const c6 = mustCidr('2001:db8:ffff::1/33');
    expect(c6.family).toBe('ipv6');
    expect(c6.bytes.length).toBe(16);
    expect(c6.text).toBe('2001:db8:8000::/33');
  });
});

// ---- messages a person can act on --------------------------------------------------------------------------

describe('error messages', () => {
  const msg = (text: string) => {
    const r = parseCidr(text);
    if (r.ok) throw new Error(`${text} was accepted as ${r.value.text}`);
    return r.message;
  };

  it('name the rule that was broken', () => {
    expect(msg('198.51.100.300')).toBe('198.51.100.300 is not an IPv4 address: each part must be 0 to 255 (300 is too large)');
    expect(msg('198.51.100.0/33')).toMatch(/the prefix after \/ must be 0 to 32 for an IPv4 address/);
    expect(msg('2001:db8::/129')).toMatch(/the prefix after \/ must be 0 to 128 for an IPv6 address/);
    expect(msg('192.0.2.0/')).toMatch(/the prefix after \/ is missing/);
    expect(msg('192.0.2.0/-1')).toMatch(/must be 0 to 32/);
    expect(msg('192.0.2.0/24/8')).toMatch(/one \//);
    expect(msg('/24')).toMatch(/address before \/ is missing/);
    expect(msg('192.0.2')).toMatch(/needs 4 numbers separated by dots/);
    expect(msg('192.0.2.1.5')).toMatch(/needs 4 numbers separated by dots/);
    expect(msg('192.0..1')).toMatch(/part 3 is empty/);
    expect(msg('010.0.0.1')).toMatch(/leading zeros \(write 10, not 010\)/);
    expect(msg('192.0.2.x')).toMatch(/not an IP address|decimal number/);
    expect(msg('2001:db8::1::2')).toMatch(/:: may appear only once/);
    expect(msg('2001:db8:0:0:0:0:0:0:1')).toMatch(/9 groups; an IPv6 address has 8/);
    expect(msg('2001:db8:1')).toMatch(/3 groups; an IPv6 address has 8, or use ::/);
    expect(msg('2001:db8:12345::')).toMatch(/1 to 4 hexadecimal digits \("12345" has 5\)/);
    expect(msg('2001:db8:g::')).toMatch(/hexadecimal digits 0-9 and a-f \("g" is not\)/);
    expect(msg('1:2:3:4::5:6:7:8')).toMatch(/at least one zero group/);
    expect(msg(':1:2:3:4:5:6:7')).toMatch(/must not start with a single colon/);
    expect(msg('1:2:3:4:5:6:7:')).toMatch(/must not end with a single colon/);
    expect(msg('1:::2')).toMatch(/never three colons/);
    expect(msg('::ffff:1.2.3.256')).toMatch(/IPv6 address: 1\.2\.3\.256 is not an IPv4 address: each part must be 0 to 255/);
    expect(msg('1.2.3.4::')).toMatch(/embedded IPv4 address \(1\.2\.3\.4\) must be the last part/);
    expect(msg('fe80::1%eth0')).toMatch(/zone ids \(the %eth0 part\)/);
    expect(msg('[::1]')).toMatch(/without the square brackets/);
    expect(msg(' 192.0.2.1')).toMatch(/remove the spaces/);
    expect(msg('')).toMatch(/Enter an IP address or network/);
    expect(msg('localhost')).toMatch(/expected an IPv4 address like 192\.0\.2\.1 or an IPv6 address like 2001:db8::1/);
    expect(msg('x'.repeat(500)).length).toBeLessThan(200);
  });

  it('parseAddress rejects a network', () => {
    const r = parseAddress('192.0.2.0/24');
    expect(r.ok).toBe(false);
    expect(!r.ok && r.message).toMatch(/is a network/);
  });
});

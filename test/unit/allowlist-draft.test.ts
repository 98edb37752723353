// The admin allowlist editor's reading of its text (renderer/src/lib/allowlist.ts): the PBX's own parser per
// line, bad lines named with their number, duplicates kept once, and "would this list still let me in?".
import { describe, expect, it } from 'vitest';
import { readAllowlist } from '../../renderer/src/lib/allowlist.js';

describe('readAllowlist', () => {
  it('normalises entries, skips blanks and # comments, keeps duplicates once and names them', () => {
    const d = readAllowlist('  192.0.2.7/24\n\n# office\n10.1.2.3\n2001:DB8::1/32\n192.0.2.0/24\n');
    expect(d.entries).toEqual(['192.0.2.0/24', '10.1.2.3', '2001:db8::/32']);
    expect(d.duplicates).toEqual([6]);
    expect(d.problems).toEqual([]);
  });

  it('names each bad line with its number and the rule', () => {
    const d = readAllowlist('10.0.0.1\n300.1.1.1\nexample.com\n10.0.0.0/33');
    expect(d.entries).toEqual(['10.0.0.1']);
    expect(d.problems.map((p) => p.line)).toEqual([2, 3, 4]);
    for (const p of d.problems) expect(p.message.length).toBeGreaterThan(5);
  });

  it('says whether an address is let in; an empty list lets everyone in', () => {
    expect(readAllowlist('').admits('203.0.113.9')).toBe(true);
    const d = readAllowlist('127.0.0.0/8\n2001:db8::/32');
    expect(d.admits('127.0.0.1')).toBe(true);
    expect(d.admits('2001:db8::5')).toBe(true);
    expect(d.admits('192.0.2.1')).toBe(false);
  });
});

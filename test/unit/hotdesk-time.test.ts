// SPEC F4 building blocks: the daily auto-logout instant (lastDailyInstant, server/hotdesk.ts) in UTC and in
// zones with daylight saving time, and the MAC address parser of the shared contract (parseMac / normaliseMac).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { lastDailyInstant } from '../../server/hotdesk.js';
import { normaliseMac, parseMac } from '../../shared/hotdesk.js';

const HOUR = 3_600_000;
const MIN = 60_000;
const at = (iso: string) => Date.parse(iso);
const last = (nowIso: string, hhmm: string, tz: string) => new Date(lastDailyInstant(at(nowIso), hhmm, tz)).toISOString();

/** The wall clock of `tz` at `ms`, as HH:MM. */
const wallClock = (ms: number, tz: string) =>
  new Intl.DateTimeFormat('en-GB', { timeZone: tz, hourCycle: 'h23', hour: '2-digit', minute: '2-digit' }).format(new Date(ms));

describe('lastDailyInstant (the daily auto-logout time)', () => {
  it('UTC: today’s time once it has passed (inclusive), else yesterday’s', () => {
    expect(last('2030-01-15T09:00:00.000Z', '18:00', 'UTC')).toBe('2030-01-14T18:00:00.000Z');
    expect(last('2030-01-15T17:59:59.999Z', '18:00', 'UTC')).toBe('2030-01-14T18:00:00.000Z');
    expect(last('2030-01-15T18:00:00.000Z', '18:00', 'UTC'), 'exactly at the time').toBe('2030-01-15T18:00:00.000Z');
    expect(last('2030-01-15T23:59:00.000Z', '00:00', 'UTC')).toBe('2030-01-15T00:00:00.000Z');
    expect(last('2030-03-01T00:10:00.000Z', '23:30', 'UTC'), 'across a month end').toBe('2030-02-28T23:30:00.000Z');
    expect(last('2030-01-01T00:10:00.000Z', '23:30', 'UTC'), 'across a year end').toBe('2029-12-31T23:30:00.000Z');
  });

  it('Europe/Berlin, winter (UTC+1) and summer (UTC+2)', () => {
    expect(last('2030-01-15T09:00:00.000Z', '18:00', 'Europe/Berlin')).toBe('2030-01-14T17:00:00.000Z');
    expect(last('2030-01-15T16:59:00.000Z', '18:00', 'Europe/Berlin')).toBe('2030-01-14T17:00:00.000Z');
    expect(last('2030-01-15T17:01:00.000Z', '18:00', 'Europe/Berlin')).toBe('2030-01-15T17:00:00.000Z');
    expect(last('2030-07-01T16:30:00.000Z', '18:00', 'Europe/Berlin')).toBe('2030-07-01T16:00:00.000Z');
    // local date ahead of the UTC date: 00:10 on the 16th in Berlin is 23:10Z on the 15th
    expect(last('2030-01-15T23:10:00.000Z', '00:30', 'Europe/Berlin')).toBe('2030-01-14T23:30:00.000Z');
    expect(last('2030-01-15T23:40:00.000Z', '00:30', 'Europe/Berlin')).toBe('2030-01-15T23:30:00.000Z');
  });

  it('Europe/Berlin on the spring-forward day (2030-03-31, 02:00 → 03:00): a 23-hour day', () => {
    expect(last('2030-03-31T12:00:00.000Z', '18:00', 'Europe/Berlin'), 'yesterday, still CET').toBe('2030-03-30T17:00:00.000Z');
    expect(last('2030-03-31T16:30:00.000Z', '18:00', 'Europe/Berlin'), 'today, CEST').toBe('2030-03-31T16:00:00.000Z');
    expect(at(last('2030-03-31T16:30:00.000Z', '18:00', 'Europe/Berlin')) - at('2030-03-30T17:00:00.000Z')).toBe(23 * HOUR);
    expect(last('2030-03-31T22:30:00.000Z', '00:00', 'Europe/Berlin')).toBe('2030-03-31T22:00:00.000Z');
    expect(last('2030-03-31T00:30:00.000Z', '01:30', 'Europe/Berlin'), 'just before the change').toBe('2030-03-31T00:30:00.000Z');
    // 02:30 does not exist that day: it moves forward to 03:30 CEST (01:30Z)
    expect(last('2030-03-31T12:00:00.000Z', '02:30', 'Europe/Berlin')).toBe('2030-03-31T01:30:00.000Z');
    expect(wallClock(at('2030-03-31T01:30:00.000Z'), 'Europe/Berlin')).toBe('03:30');
    expect(last('2030-03-31T01:10:00.000Z', '02:30', 'Europe/Berlin'), '03:10 CEST: not yet').toBe('2030-03-30T01:30:00.000Z');
  });

  it('Europe/Berlin on the fall-back day (2030-10-27, 03:00 → 02:00): a 25-hour day', () => {
    expect(last('2030-10-27T10:00:00.000Z', '18:00', 'Europe/Berlin'), 'yesterday, still CEST').toBe('2030-10-26T16:00:00.000Z');
    expect(last('2030-10-27T17:30:00.000Z', '18:00', 'Europe/Berlin'), 'today, CET').toBe('2030-10-27T17:00:00.000Z');
    expect(at('2030-10-27T17:00:00.000Z') - at('2030-10-26T16:00:00.000Z')).toBe(25 * HOUR);
    // the daily time happens once that day: at its first occurrence, so after the second 02:30 it is still the first
    expect(last('2030-10-27T01:45:00.000Z', '02:30', 'Europe/Berlin'), 'after the second 02:30').toBe('2030-10-27T00:30:00.000Z');
  });

  // The documented contract: the latest day's first instant ≤ now at which the wall clock of tz showed hhmm.
  it('Europe/Berlin fall-back day: between the first 02:30 (CEST, 00:30Z) and the second (CET, 01:30Z), today’s first one is the latest', () => {
    expect(wallClock(at('2030-10-27T00:30:00.000Z'), 'Europe/Berlin')).toBe('02:30');
    expect(last('2030-10-27T01:00:00.000Z', '02:30', 'Europe/Berlin')).toBe('2030-10-27T00:30:00.000Z');
  });

  // "a time skipped by DST moves forward" — in a zone west of UTC too.
  it('America/New_York spring-forward day (2030-03-10, 02:00 → 03:00): 02:30 moves forward to 03:30 EDT', () => {
    expect(last('2030-03-10T12:00:00.000Z', '18:00', 'America/New_York')).toBe('2030-03-09T23:00:00.000Z');
    const r = lastDailyInstant(at('2030-03-10T12:00:00.000Z'), '02:30', 'America/New_York');
    expect(wallClock(r, 'America/New_York'), 'not 01:30 EST').toBe('03:30');
    expect(new Date(r).toISOString()).toBe('2030-03-10T07:30:00.000Z');
  });

  it('far from UTC (UTC+14, UTC−11): the local date, not the UTC date, decides today', () => {
    expect(last('2030-01-01T00:10:00.000Z', '23:50', 'Pacific/Kiritimati')).toBe('2029-12-31T09:50:00.000Z');
    expect(last('2030-01-01T00:10:00.000Z', '00:05', 'Pacific/Pago_Pago')).toBe('2029-12-31T11:05:00.000Z');
    expect(last('2030-01-15T09:00:00.000Z', '14:00', 'Asia/Kolkata'), 'a half-hour offset').toBe('2030-01-15T08:30:00.000Z');
  });

  it('property: the result is ≤ now, shows hh:mm on the zone’s wall clock, and no later instant ≤ now does (times outside the DST hours)', () => {
    const zones = ['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'Australia/Sydney', 'Pacific/Kiritimati'];
    fc.assert(
      fc.property(
        fc.integer({ min: at('2029-01-01T00:00:00Z'), max: at('2031-12-31T00:00:00Z') }),
        fc.integer({ min: 4, max: 23 }),
        fc.integer({ min: 0, max: 59 }),
        fc.constantFrom(...zones),
        (now, h, m, tz) => {
          const hhmm = `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`;
          const r = lastDailyInstant(now, hhmm, tz);
          expect(r).toBeLessThanOrEqual(now);
          expect(now - r).toBeLessThan(25 * HOUR);
          expect(wallClock(r, tz)).toBe(hhmm);
          // every minute after r up to now that shows hh:mm would be a later one: look at each whole minute,
          // one per UTC hour (and half hour, for half-hour offsets) where the local minute is m
          for (let t = r + 30 * MIN - (r % MIN); t <= now; t += 30 * MIN) {
            if (wallClock(t, tz) === hhmm) expect.fail(`${new Date(t).toISOString()} shows ${hhmm} in ${tz} and is later than the answer`);
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});

// ---- MAC addresses ----------------------------------------------------------------------------

const hexByte = (b: number) => b.toString(16).padStart(2, '0').toUpperCase();
/** Six bytes of a phone's address: unicast (even first byte), not all zeros. */
const unicastMac = fc
  .tuple(fc.integer({ min: 0, max: 127 }).map((x) => x * 2), fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 5, maxLength: 5 }))
  .map(([first, rest]) => [first, ...rest])
  .filter((bytes) => bytes.some((b) => b !== 0));
const notations = ['colon', 'dash', 'none', 'dot'] as const;
const render = (bytes: number[], notation: (typeof notations)[number]): string => {
  const hex = bytes.map(hexByte).join('');
  switch (notation) {
    case 'colon':
      return bytes.map(hexByte).join(':');
    case 'dash':
      return bytes.map(hexByte).join('-');
    case 'none':
      return hex;
    case 'dot':
      return [hex.slice(0, 4), hex.slice(4, 8), hex.slice(8)].join('.');
  }
};
/** Each letter upper or lower case, as the mask says. */
const recase = (s: string, mask: boolean[]) =>
  [...s].map((c, i) => (mask[i % mask.length] ? c.toLowerCase() : c.toUpperCase())).join('');
const NOTATION_RES = [
  /^[0-9a-fA-F]{12}$/,
  /^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$/,
  /^([0-9a-fA-F]{2}-){5}[0-9a-fA-F]{2}$/,
  /^([0-9a-fA-F]{4}\.){2}[0-9a-fA-F]{4}$/,
];

describe('parseMac / normaliseMac', () => {
  it('examples: every notation, any case, spaces around; multicast and reserved addresses are refused with their rule', () => {
    for (const s of ['00:15:65:AB:CD:EF', '00-15-65-ab-cd-ef', '001565abcdef', '0015.65AB.cdef', '  00:15:65:ab:CD:ef\t']) {
      expect(normaliseMac(s), s).toBe('00:15:65:AB:CD:EF');
    }
    expect(parseMac('01:00:5E:00:00:01')).toMatchObject({ problem: { rule: 'mac_unicast' } });
    expect(parseMac('000000000000')).toMatchObject({ problem: { rule: 'mac_reserved' } });
    expect(parseMac('ff:ff:ff:ff:ff:ff'), 'broadcast').toMatchObject({ problem: { rule: 'mac_reserved' } });
    expect(parseMac('03:00:00:00:00:00')).toMatchObject({ problem: { rule: 'mac_unicast' } });
    for (const s of ['', '00:15:65:AB:CD', '00:15:65:AB:CD:EF:00', '00:15-65:AB:CD:EF', '0015:65ab:cdef', '00:15:65:AB:CD:EG', '00 15 65 AB CD EF', '0x001565abcdef']) {
      expect(parseMac(s), JSON.stringify(s)).toMatchObject({ problem: { rule: 'mac_format' } });
      expect(normaliseMac(s)).toBeNull();
    }
  });

  it('property: any unicast address in any of the four notations and any case normalises to the same colon form', () => {
    fc.assert(
      fc.property(
        unicastMac,
        fc.constantFrom(...notations),
        fc.array(fc.boolean(), { minLength: 1, maxLength: 17 }),
        fc.constantFrom('', ' ', '\t', '  '),
        (bytes, notation, mask, pad) => {
          const expected = bytes.map(hexByte).join(':');
          const input = `${pad}${recase(render(bytes, notation), mask)}${pad}`;
          expect(parseMac(input)).toEqual({ mac: expected });
          expect(normaliseMac(input)).toBe(expected);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('property: the normal form is a fixed point', () => {
    fc.assert(
      fc.property(unicastMac, fc.constantFrom(...notations), (bytes, notation) => {
        const once = normaliseMac(render(bytes, notation)) as string;
        expect(once).toMatch(/^([0-9A-F]{2}:){5}[0-9A-F]{2}$/);
        expect(normaliseMac(once)).toBe(once);
      }),
      { numRuns: 200 },
    );
  });

  it('property: anything that is not one of the notations is refused with rule mac_format', () => {
    const garbage = fc.oneof(
      fc.string({ maxLength: 24 }),
      fc.stringMatching(/^[0-9a-fA-F:.-]{0,20}$/),
      // a valid address with one character replaced by a non-hex one, or one digit too many / too few
      fc.tuple(unicastMac, fc.constantFrom(...notations), fc.nat(), fc.constantFrom('g', 'G', 'z', ' ', '_', ':', '-', '.')).map(
        ([bytes, n, i, c]) => {
          const s = render(bytes, n);
          const k = i % s.length;
          return s.slice(0, k) + c + s.slice(k + 1);
        },
      ),
      fc.tuple(unicastMac, fc.constantFrom(...notations), fc.boolean()).map(([bytes, n, longer]) =>
        longer ? `${render(bytes, n)}0` : render(bytes, n).slice(1),
      ),
    );
    fc.assert(
      fc.property(garbage, (s) => {
        fc.pre(!NOTATION_RES.some((re) => re.test(s.trim())));
        const r = parseMac(s);
        expect(r).toMatchObject({ problem: { rule: 'mac_format' } });
        expect(normaliseMac(s)).toBeNull();
      }),
      { numRuns: 400 },
    );
  });
});

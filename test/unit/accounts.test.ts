// Issue 6 / SPEC F5: the admin email list (";"-separated, each validated, names with spaces allowed) as
// properties over generated lists, and the username and password rules.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { adminPasswordProblem, EmailListSchema, parseEmail, parseEmailList, usernameProblem } from '../../shared/accounts.js';

const atom = fc.stringMatching(/^[a-z0-9][a-z0-9_+-]{0,9}$/);
const local = fc.array(atom, { minLength: 1, maxLength: 3 }).map((p) => p.join('.'));
const label = fc.stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,8}[a-z0-9])?$/);
const tld = fc.stringMatching(/^[a-z]{2,6}$/);
const domain = fc.tuple(fc.array(label, { minLength: 1, maxLength: 3 }), tld).map(([l, t]) => [...l, t].join('.'));
const address = fc.tuple(local, domain).map(([l, d]) => `${l}@${d}`);
const name = fc.array(fc.stringMatching(/^[A-Za-z][A-Za-z'.-]{0,7}$/), { minLength: 1, maxLength: 3 }).map((w) => w.join(' '));
const space = fc.constantFrom('', ' ', '  ', '\t');
/** An entry as a person might type it, and the text it should be stored as. */
const entry = fc.oneof(
  address.map((a) => ({ typed: a, stored: a })),
  fc.tuple(name, address).map(([n, a]) => ({ typed: `${n} <${a}>`, stored: `${n} <${a}>` })),
  fc.tuple(name, address).map(([n, a]) => ({ typed: `"${n}" <${a}>`, stored: `${n} <${a}>` })),
  // the domain is case-insensitive and stored in lower case; the local part is kept as typed
  fc.tuple(local, domain).map(([l, d]) => ({ typed: `${l}@${d.toUpperCase()}`, stored: `${l}@${d}` })),
);

describe('admin email list', () => {
  it('any list of valid entries, with any spacing and empty entries, parses to the entries in order (duplicates once)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(entry, space, space, fc.boolean()), { maxLength: 8 }), (parts) => {
        const typed = parts.map(([e, a, b, extraSemi]) => `${a}${e.typed}${b}${extraSemi ? ';' : ''}`).join(';');
        const r = parseEmailList(typed);
        expect(r.ok).toBe(true);
        const seen = new Set<string>();
        const expected: string[] = [];
        for (const [e] of parts) {
          const addr = parseEmail(e.stored);
          if (addr.ok && !seen.has(addr.address)) {
            seen.add(addr.address);
            expect(addr.text).toBe(e.stored);
            expected.push(e.stored);
          }
        }
        if (r.ok) expect(r.emails).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('one bad entry among good ones is reported by its position, and the list is refused', () => {
    const bad = fc.constantFrom('not-an-address', 'a@b', '@example.com', 'jane@', 'ja ne@example.com', 'x@-bad-.com', 'x@example.123', 'a..b@example.com', 'Name <x@example.com');
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 5 }), fc.array(entry, { maxLength: 5 }), bad, (before, after, b) => {
        const r = parseEmailList([...before.map((e) => e.typed), b, ...after.map((e) => e.typed)].join('; '));
        expect(r.ok).toBe(false);
        if (!r.ok) {
          expect(r.problems).toHaveLength(1);
          expect(r.problems[0]).toMatch(new RegExp(`^entry ${before.length + 1}: `));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('the schema turns the text into the list or names every bad entry; an empty text is no addresses', () => {
    expect(EmailListSchema.parse('')).toEqual([]);
    expect(EmailListSchema.parse(' ; ;')).toEqual([]);
    expect(EmailListSchema.parse('Jane Q. Public <Jane@Example.org>; ops@example.org')).toEqual(['Jane Q. Public <Jane@example.org>', 'ops@example.org']);
    const r = EmailListSchema.safeParse('ok@example.org; nope; also@bad');
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => i.message)).toEqual([expect.stringMatching(/^entry 2: /), expect.stringMatching(/^entry 3: /)]);
  });
});

describe('usernames and passwords', () => {
  it('usernames: anything printable without "@" or ":" and without edge spaces; case is kept', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 64 }), (s) => {
        const p = usernameProblem(s);
        // eslint-disable-next-line no-control-regex
        const fine = !s.includes('@') && !/[\u0000-\u001f\u007f:]/.test(s) && s.trim() === s;
        expect(p === null).toBe(fine);
      }),
    );
    expect(usernameProblem('Front Desk')).toBeNull();
    expect(usernameProblem('ops@site')?.rule).toBe('no_at');
  });

  it('passwords: at least 10 characters, not only spaces, not containing the username (any case)', () => {
    expect(adminPasswordProblem('short', 'x')?.rule).toBe('min');
    expect(adminPasswordProblem('          ', 'x')?.rule).toBe('not_blank');
    expect(adminPasswordProblem('hello-ADMIN-2030', 'admin')?.rule).toBe('not_username');
    expect(adminPasswordProblem('correct horse battery', 'admin')).toBeNull();
  });
});

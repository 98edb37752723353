// The console's reading of account settings (renderer/src/lib/accounts.ts): the token validity picker (units,
// exact range), the `;`-separated email field entry by entry, the password rules against the PBX's own rule,
// the account in words for the 412 view, and who may change accounts (the PBX's rule, said before a click).
import { describe, expect, it } from 'vitest';
import { adminPasswordProblem, TOKEN_VALIDITY_MAX_MINUTES, TOKEN_VALIDITY_MIN_MINUTES, type Account } from '../../shared/accounts.js';
import {
  deleteProblem,
  describeMinutes,
  emailsText,
  manageAccountsProblem,
  passwordFormProblem,
  passwordRules,
  readEmails,
  readValidity,
  settingsRows,
  sitesText,
  sortAccounts,
  splitValidity,
  usernameFieldProblem,
  VALIDITY_PRESETS,
} from '../../renderer/src/lib/accounts.js';

function account(p: Partial<Account>): Account {
  return {
    username: 'admin', role: 'admin', sites: null, hasPassword: true, passwordSetAt: null, emails: [], apiAccess: false,
    tokenValidityMinutes: 720, passkeys: 0, createdAt: '2026-01-01T00:00:00.000Z', updatedAt: null, updatedBy: null,
    warnings: [], you: false, etag: '"1"', ...p,
  };
}

describe('token validity', () => {
  it('shows minutes in the largest unit that says them exactly, and reads them back', () => {
    expect(splitValidity(1440)).toEqual({ amount: '1', unit: 'days' });
    expect(splitValidity(720)).toEqual({ amount: '12', unit: 'hours' });
    expect(splitValidity(90)).toEqual({ amount: '90', unit: 'minutes' });
    for (const m of [5, 59, 60, 90, 720, 1440, 2880, 10_080, TOKEN_VALIDITY_MAX_MINUTES]) {
      const s = splitValidity(m);
      expect(readValidity(s.amount, s.unit)).toEqual({ ok: true, minutes: m });
    }
  });

  it('names the field and the exact range when out of bounds or not a whole number', () => {
    const short = readValidity('4', 'minutes');
    expect(short.ok).toBe(false);
    if (!short.ok) {
      expect(short.message).toMatch(/^Token validity: 4 minutes is too short/);
      expect(short.message).toContain(`${TOKEN_VALIDITY_MIN_MINUTES} to 43,200 minutes`);
    }
    const long = readValidity('31', 'days');
    expect(long.ok).toBe(false);
    if (!long.ok) expect(long.message).toMatch(/31 days is too long/);
    expect(readValidity('', 'hours')).toEqual({ ok: false, message: 'Token validity: enter a number' });
    expect(readValidity('1.5', 'hours').ok).toBe(false);
    expect(readValidity('30', 'days')).toEqual({ ok: true, minutes: TOKEN_VALIDITY_MAX_MINUTES });
    expect(readValidity(' 5 ', 'minutes')).toEqual({ ok: true, minutes: TOKEN_VALIDITY_MIN_MINUTES });
  });

  it('says durations in words; every preset is within the range', () => {
    expect(describeMinutes(1800)).toBe('1 day 6 hours');
    expect(describeMinutes(90)).toBe('1 hour 30 minutes');
    expect(describeMinutes(1)).toBe('1 minute');
    for (const p of VALIDITY_PRESETS) expect(readValidity(String(p.minutes), 'minutes').ok).toBe(true);
  });
});

describe('email field', () => {
  it('accepts names with spaces and normalises the domain; a trailing ";" is fine', () => {
    expect(readEmails('Jane Doe <jane@Example.COM>; bob@example.org;')).toEqual({
      emails: ['Jane Doe <jane@example.com>', 'bob@example.org'],
      problems: [],
    });
    expect(readEmails('')).toEqual({ emails: [], problems: [] });
  });

  it('names the bad entry by its position and text', () => {
    const r = readEmails('ok@example.com; bob@; Jane <jane@example.com>');
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]).toMatch(/^Email addresses: entry 2: “bob@”/);
    expect(readEmails('jane doe@example.com').problems[0]).toMatch(/no spaces/);
  });

  it('round-trips the stored list through the text field', () => {
    const stored = ['Jane Doe <jane@example.com>', 'bob@example.org'];
    expect(readEmails(emailsText(stored)).emails).toEqual(stored);
  });
});

describe('password rules', () => {
  it('agree with the PBX rule: all met exactly when adminPasswordProblem finds nothing', () => {
    const cases = ['', 'short', '          ', 'correct horse battery', 'myadminpassword', 'x'.repeat(257), 'Tr0ub4dor&3xyz'];
    for (const pw of cases) {
      const rules = passwordRules(pw, pw, 'admin').filter((r) => r.rule !== 'confirm');
      const allMet = pw !== '' && rules.every((r) => r.met === true);
      expect(allMet, pw).toBe(pw !== '' && adminPasswordProblem(pw, 'admin') === null);
    }
  });

  it('checks the confirmation and says the first problem in words', () => {
    expect(passwordRules('a long password', 'a long passwor', 'bob').find((r) => r.rule === 'confirm')?.met).toBe(false);
    expect(passwordRules('', '', 'bob').every((r) => r.met === null)).toBe(true);
    expect(passwordFormProblem('', '', 'bob')).toBe('Type the new password.');
    expect(passwordFormProblem('short', 'short', 'bob')).toBe('New password: at least 10 characters');
    expect(passwordFormProblem('bob-is-here-today', 'bob-is-here-today', 'bob')).toBe('New password: may not contain the username');
    expect(passwordFormProblem('a long password', 'other', 'bob')).toMatch(/do not match/);
    expect(passwordFormProblem('a long password', 'a long password', 'bob')).toBeNull();
  });
});

describe('accounts in words', () => {
  const names = new Map([['hq', 'Headquarters'], ['br', 'Branch']]);
  it('names the sites, every site for null or []', () => {
    expect(sitesText(null, names)).toBe('Every site');
    expect(sitesText([], names)).toBe('Every site');
    expect(sitesText(['hq', 'gone'], names)).toBe('Headquarters, gone');
  });

  it('lists the same rows in the same order for both versions of a conflict', () => {
    const a = settingsRows(account({ emails: ['a@example.com'], apiAccess: true, role: 'receptionist', sites: ['hq'] }), names);
    const b = settingsRows(account({}), names);
    expect(a.map((r) => r.label)).toEqual(b.map((r) => r.label));
    expect(a).toContainEqual({ label: 'Sites', value: 'Headquarters' });
    expect(a).toContainEqual({ label: 'API access (HTTP Basic)', value: 'On' });
    expect(a).toContainEqual({ label: 'Token validity', value: '12 hours' });
    // your own login settings: no role and no sites rows
    expect(settingsRows({ username: 'x', emails: [], apiAccess: false, tokenValidityMinutes: 60 }, names).map((r) => r.label)).not.toContain('Role');
  });

  it('sorts administrators first, then by case-sensitive name', () => {
    const sorted = sortAccounts([account({ username: 'zed', role: 'receptionist' }), account({ username: 'bob' }), account({ username: 'Anna' })]);
    expect(sorted.map((a) => a.username)).toEqual(['Anna', 'bob', 'zed']);
  });

  it('says who may change accounts and which accounts cannot be deleted', () => {
    expect(manageAccountsProblem(account({}))).toBeNull();
    expect(manageAccountsProblem(account({ sites: [] }))).toBeNull();
    expect(manageAccountsProblem(account({ sites: ['hq'] }))).toMatch(/limited to some sites/);
    expect(manageAccountsProblem(account({ role: 'receptionist' }))).toMatch(/Only administrators/);
    const me = account({ username: 'me', you: true });
    const other = account({ username: 'other' });
    const branch = account({ username: 'branch', sites: ['br'] });
    expect(deleteProblem(me, [me, other])).toMatch(/signed in with/);
    expect(deleteProblem(other, [me, other])).toBeNull();
    expect(deleteProblem(other, [account({ username: 'me', you: true, sites: ['hq'] }), other])).toMatch(/last administrator/);
    expect(deleteProblem(branch, [me, branch])).toBeNull();
  });

  it('says username problems like the other fields', () => {
    expect(usernameFieldProblem('jane@example.com')).toMatch(/^Username: may not contain "@"/);
    expect(usernameFieldProblem('Jane')).toBeNull();
  });
});

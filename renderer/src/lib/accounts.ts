// Account settings (issue 6 / SPEC F5) as the console shows and edits them: the token validity in friendly units
// (minutes, hours or days) with the exact range the PBX allows, the `;`-separated email field read entry by entry
// with the PBX's own parser (shared/accounts.ts), an account in words (for the table and for the 412 view that
// shows both versions), and who may change accounts at all (the PBX's rule, said before a button is pressed).
import {
  ADMIN_PASSWORD_MAX,
  ADMIN_PASSWORD_MIN,
  adminPasswordProblem,
  parseEmailList,
  TOKEN_VALIDITY_MAX_MINUTES,
  TOKEN_VALIDITY_MIN_MINUTES,
  usernameProblem,
  type Account,
} from '../../../shared/accounts';
import type { Role } from '../../../shared/domain';

// ---- token validity ----------------------------------------------------------------------------------------

export type ValidityUnit = 'minutes' | 'hours' | 'days';
export const VALIDITY_UNITS: readonly ValidityUnit[] = ['minutes', 'hours', 'days'];
export const UNIT_MINUTES: Record<ValidityUnit, number> = { minutes: 1, hours: 60, days: 24 * 60 };

/** Common choices, one click each. */
export const VALIDITY_PRESETS: ReadonlyArray<{ label: string; minutes: number }> = [
  { label: '1 hour', minutes: 60 },
  { label: '8 hours (a working day)', minutes: 8 * 60 },
  { label: '12 hours', minutes: 12 * 60 },
  { label: '1 day', minutes: 24 * 60 },
  { label: '7 days', minutes: 7 * 24 * 60 },
  { label: '30 days', minutes: 30 * 24 * 60 },
];

/** Minutes as the largest unit that says them exactly: 1440 → 1 day, 90 → 90 minutes, 120 → 2 hours. */
export function splitValidity(minutes: number): { amount: string; unit: ValidityUnit } {
  if (minutes > 0 && minutes % UNIT_MINUTES.days === 0) return { amount: String(minutes / UNIT_MINUTES.days), unit: 'days' };
  if (minutes > 0 && minutes % UNIT_MINUTES.hours === 0) return { amount: String(minutes / UNIT_MINUTES.hours), unit: 'hours' };
  return { amount: String(minutes), unit: 'minutes' };
}

function plural(n: number, one: string): string {
  return `${n.toLocaleString('en-US')} ${one}${n === 1 ? '' : 's'}`;
}

/** "12 hours", "1 day 6 hours", "1 hour 30 minutes", "5 minutes". */
export function describeMinutes(minutes: number): string {
  const days = Math.floor(minutes / UNIT_MINUTES.days);
  const hours = Math.floor((minutes % UNIT_MINUTES.days) / UNIT_MINUTES.hours);
  const mins = minutes % UNIT_MINUTES.hours;
  const parts = [days ? plural(days, 'day') : '', hours ? plural(hours, 'hour') : '', mins ? plural(mins, 'minute') : ''].filter(Boolean);
  return parts.length ? parts.join(' ') : '0 minutes';
}

/** The range in words and exact minutes, for the hint under the picker. */
export const VALIDITY_RANGE_TEXT = `From ${describeMinutes(TOKEN_VALIDITY_MIN_MINUTES)} to ${describeMinutes(TOKEN_VALIDITY_MAX_MINUTES)} (${TOKEN_VALIDITY_MIN_MINUTES} to ${TOKEN_VALIDITY_MAX_MINUTES.toLocaleString('en-US')} minutes).`;

/** The picker's amount (as typed) and unit → minutes, or what is wrong with them (naming the field and the range). */
export function readValidity(amount: string, unit: ValidityUnit): { ok: true; minutes: number } | { ok: false; message: string } {
  const t = amount.trim();
  if (t === '') return { ok: false, message: 'Token validity: enter a number' };
  if (!/^[0-9]+$/.test(t)) return { ok: false, message: `Token validity: “${t}” is not a whole number of ${unit}` };
  const minutes = Number(t) * UNIT_MINUTES[unit];
  if (minutes < TOKEN_VALIDITY_MIN_MINUTES || minutes > TOKEN_VALIDITY_MAX_MINUTES) {
    return {
      ok: false,
      message: `Token validity: ${describeMinutes(minutes)} is ${minutes < TOKEN_VALIDITY_MIN_MINUTES ? 'too short' : 'too long'}; ${VALIDITY_RANGE_TEXT.charAt(0).toLowerCase()}${VALIDITY_RANGE_TEXT.slice(1)}`,
    };
  }
  return { ok: true, minutes };
}

// ---- email addresses -----------------------------------------------------------------------------------------

/** The email field as typed → its normalised addresses, or each bad entry named ("entry 2: “bob@”: …"). */
export function readEmails(text: string): { emails: string[]; problems: string[] } {
  const r = parseEmailList(text);
  return r.ok ? { emails: r.emails, problems: [] } : { emails: [], problems: r.problems.map((p) => `Email addresses: ${p}`) };
}

/** Stored addresses back into the one text field. */
export function emailsText(emails: readonly string[]): string {
  return emails.join('; ');
}

// ---- passwords --------------------------------------------------------------------------------------------------

export interface PasswordRule {
  rule: string;
  label: string;
  /** null = nothing typed yet. */
  met: boolean | null;
}

/**
 * The new password's rules, live, one by one: the same rules as the PBX's adminPasswordProblem (which names only
 * the first that fails; passwordFormProblem asks it), and the confirmation.
 */
export function passwordRules(pw: string, confirm: string, username: string): PasswordRule[] {
  const has = pw.length > 0;
  return [
    { rule: 'min', label: `${ADMIN_PASSWORD_MIN} to ${ADMIN_PASSWORD_MAX} characters`, met: has ? pw.length >= ADMIN_PASSWORD_MIN && pw.length <= ADMIN_PASSWORD_MAX : null },
    { rule: 'not_blank', label: 'Not only spaces', met: has ? pw.trim() !== '' : null },
    {
      rule: 'not_username',
      label: username ? `Does not contain the username “${username}”` : 'Does not contain the username',
      met: has ? !(username && pw.toLowerCase().includes(username.toLowerCase())) : null,
    },
    { rule: 'confirm', label: 'Typed the same twice', met: has && confirm.length ? confirm === pw : null },
  ];
}

/** Why the dialog's "Set password" is not possible yet (null = it is). */
export function passwordFormProblem(pw: string, confirm: string, username: string): string | null {
  if (pw === '') return 'Type the new password.';
  const p = adminPasswordProblem(pw, username);
  if (p) return `New password: ${p.message.replace(/^password: /, '')}`;
  if (confirm !== pw) return 'Confirm the new password: the two do not match.';
  return null;
}

// ---- accounts in words -------------------------------------------------------------------------------------

export const ROLE_TEXT: Record<Role, string> = { admin: 'Administrator', receptionist: 'Receptionist' };

/** "Every site", or the sites by name (an id the console does not know is shown as is). */
export function sitesText(sites: readonly string[] | null, siteNames: ReadonlyMap<string, string>): string {
  if (sites === null || sites.length === 0) return 'Every site';
  return sites.map((id) => siteNames.get(id) ?? id).join(', ');
}

/** The settings an account has (or a draft would give it), for the 412 view: the same labels in the same order. */
export interface AccountSettings {
  username: string;
  role?: Role;
  sites?: readonly string[] | null;
  emails: readonly string[];
  apiAccess: boolean;
  tokenValidityMinutes: number;
}

export function settingsRows(a: AccountSettings, siteNames: ReadonlyMap<string, string>): { label: string; value: string }[] {
  const rows = [{ label: 'Username', value: a.username }];
  if (a.role !== undefined) rows.push({ label: 'Role', value: ROLE_TEXT[a.role] });
  if (a.sites !== undefined) rows.push({ label: 'Sites', value: sitesText(a.sites, siteNames) });
  rows.push(
    { label: 'Email addresses', value: a.emails.length ? a.emails.join('; ') : 'None' },
    { label: 'API access (HTTP Basic)', value: a.apiAccess ? 'On' : 'Off' },
    { label: 'Token validity', value: describeMinutes(a.tokenValidityMinutes) },
  );
  return rows;
}

/** Sorted for the table: administrators first, then by username (case-sensitive names: "Admin" ≠ "admin"). */
export function sortAccounts(items: readonly Account[]): Account[] {
  return [...items].sort((a, b) =>
    a.role !== b.role ? (a.role === 'admin' ? -1 : 1) : a.username < b.username ? -1 : a.username > b.username ? 1 : 0,
  );
}

/**
 * Whether the signed-in account may create, change, delete accounts or set their passwords: the PBX allows an
 * administrator without a site limit only. The reason is said next to the disabled buttons.
 */
export function manageAccountsProblem(me: Pick<Account, 'role' | 'sites'> | null): string | null {
  if (!me) return 'Loading your account…';
  if (me.role !== 'admin') return 'Only administrators can change accounts.';
  if (me.sites !== null && me.sites.length > 0) {
    return 'Your account is limited to some sites, so you can see the accounts but not change them. An administrator for every site can.';
  }
  return null;
}

/** Why this row's Delete is not offered (null = it is). */
export function deleteProblem(account: Account, accounts: readonly Account[]): string | null {
  if (account.you) return 'You cannot delete the account you are signed in with.';
  const fullAdmins = accounts.filter((a) => a.role === 'admin' && (a.sites === null || a.sites.length === 0));
  if (fullAdmins.length === 1 && fullAdmins[0]!.username === account.username) {
    return 'The last administrator for every site cannot be deleted.';
  }
  return null;
}

/** The username field's live problem, said like the other fields ("Username: …"). */
export function usernameFieldProblem(raw: string): string | null {
  const p = usernameProblem(raw);
  return p ? `Username: ${p.message.replace(/^username: /, '')}` : null;
}

// ---- "an account changed" within this window ---------------------------------------------------------------

const changeListeners = new Set<() => void>();

/** The PBX sends no event for account changes; the sections of this window tell each other (login settings → table). */
export function onAccountsChanged(listener: () => void): () => void {
  changeListeners.add(listener);
  return () => changeListeners.delete(listener);
}

export function notifyAccountsChanged(): void {
  for (const l of [...changeListeners]) l();
}

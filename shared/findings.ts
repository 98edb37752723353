// Issue 7 / SPEC F6 — the security findings of an exported configuration (offline review): a fixed list of
// rules, each with a severity, a plain-words explanation (what it means for a receptionist, a branch admin or
// an auditor) and how to fix it, run over a PbxExport. Every rule is reported, also with nothing found, so a
// report can say "checked, nothing found". Pure and linear: one pass per section, Maps and Sets for the
// lookups (a 100,000-extension export is checked in a few tens of milliseconds).
import { csvCell } from './audit.js';
import { CidrSet, parseCidr } from './cidr.js';
import type { CredentialMeta, Extension } from './domain.js';
import type { PbxExport } from './export.js';
import { normaliseMac } from './hotdesk.js';
import { DEFAULT_LOCKOUT_POLICY, LOCK_CREDENTIAL_LABEL } from './lockout.js';
import { defaultPinPolicy, type PinPolicy } from './pin-policy.js';

export type Severity = 'critical' | 'high' | 'medium' | 'low';
export const SEVERITIES: readonly Severity[] = ['critical', 'high', 'medium', 'low'];
export const SEVERITY_RANK: Readonly<Record<Severity, number>> = { critical: 0, high: 1, medium: 2, low: 3 };
export const SEVERITY_LABEL: Readonly<Record<Severity, string>> = { critical: 'Critical', high: 'High', medium: 'Medium', low: 'Low' };

/** Tokens (and passkeys) unused for this many days are stale. */
export const STALE_DAYS = 90;

export interface FindingRule {
  id: FindingRuleId;
  severity: Severity;
  title: string;
  /** What it means, in plain words. */
  explanation: string;
  /** How to fix it. */
  fix: string;
}

/** One affected item: key = its stable id (extension number, MAC, token id, username, address …). */
export interface FindingRow {
  key: string;
  label: string;
  detail: string;
}

export interface Finding {
  rule: FindingRuleId;
  severity: Severity;
  title: string;
  explanation: string;
  fix: string;
  /** Affected items (= rows.length). */
  count: number;
  rows: FindingRow[];
}

export const FindingRuleIds = [
  'admin_no_password',
  'audit_chain_broken',
  'admin_allowlist_empty',
  'default_voicemail_pin',
  'tokens_outside_allowlist',
  'permanent_extension_locks',
  'duplicate_macs',
  'api_basic_auth',
  'protection_off',
  'pin_not_compliant',
  'stale_tokens',
  'orphan_tokens_passkeys',
  'mapping_inactive_extension',
  'pin_policy_weak',
  'lockout_policy_weak',
  'pin_compliance_unknown',
  'permanent_address_bans',
  'voicemail_trusted',
  'hotdesk_password_unset',
] as const;
export type FindingRuleId = (typeof FindingRuleIds)[number];

/** Every rule, most severe first (the order of runFindings' answer). */
export const FINDING_RULES: readonly FindingRule[] = [
  {
    id: 'admin_no_password',
    severity: 'critical',
    title: 'Admin account without a password',
    explanation:
      'Anyone who can reach the PBX management interface can sign in with this username and an empty password, and then change every phone, PIN and policy.',
    fix: 'Sign in as this account (or as another admin) and set a password of at least 10 characters; delete the account if nobody uses it.',
  },
  {
    id: 'audit_chain_broken',
    severity: 'critical',
    title: 'Audit log chain is broken',
    explanation:
      'Each audit record carries a hash of the one before. When the export was made, the check found a record that was edited, deleted or inserted after the fact: the history of admin actions can no longer be trusted from that record on.',
    fix: 'Keep this export as evidence, open the audit log on the PBX and look at the named record and the ones around it; find out who had access to the PBX database.',
  },
  {
    id: 'admin_allowlist_empty',
    severity: 'high',
    title: 'Admin login is allowed from every address',
    explanation:
      'The admin allowlist is empty (or contains an entry that matches every address), so the management interface answers sign-in attempts from anywhere, including the internet if the PBX is reachable from it.',
    fix: 'Under Admin security → Allowlist, list the office networks and VPN addresses admins work from (e.g. 10.1.0.0/16); remove 0.0.0.0/0 and ::/0.',
  },
  {
    id: 'default_voicemail_pin',
    severity: 'high',
    title: 'Default voicemail PIN still in use',
    explanation:
      'These active mailboxes still have the PIN the PBX gave them when the number was created. Receptionists and admins can read default PINs, so anyone at the front desk could listen to these voicemails.',
    fix: 'Ask each user to sign in to voicemail once: the PBX makes them choose their own PIN. Reset the PIN if the default was ever handed out in writing.',
  },
  {
    id: 'tokens_outside_allowlist',
    severity: 'high',
    title: 'Admin token used from outside the allowlist',
    explanation:
      'A login token was last used from an address the admin allowlist does not contain. Either the allowlist was tightened after that sign-in, or someone reached the management interface from an unexpected place.',
    fix: 'Check the address and the user agent with the account holder; revoke the token under Admin security → Used tokens if the use is not recognised.',
  },
  {
    id: 'permanent_extension_locks',
    severity: 'high',
    title: 'Extension permanently locked',
    explanation:
      'After repeated failed sign-ins this extension credential is locked until an admin resets it: the user cannot use that function of their phone (registration, phone login, voicemail or *11), and someone may be guessing its PIN.',
    fix: 'Look at the last failure address and user agent in Lockouts; if the attempts were the user, reset the lock (and the PIN); otherwise block the address first.',
  },
  {
    id: 'duplicate_macs',
    severity: 'high',
    title: 'Duplicate MAC address',
    explanation:
      'More than one phone or more than one extension mapping uses the same MAC address. Phones are provisioned by MAC, so a cloned or mistyped MAC can give one phone another user\'s configuration and registration.',
    fix: 'Under Hot desking, check the phones\' labels against the listed MAC; delete the wrong device or mapping and re-enter it with the right MAC.',
  },
  {
    id: 'api_basic_auth',
    severity: 'medium',
    title: 'API access with HTTP Basic is on',
    explanation:
      'These accounts may call the management API with their username and password on every request (HTTP Basic) instead of a short-lived token. A password sent on every request is easier to leak through scripts and logs — worse while the admin allowlist is empty.',
    fix: 'Turn off "API access" for accounts that do not run scripts against the PBX; for those that do, keep the allowlist tight.',
  },
  {
    id: 'protection_off',
    severity: 'medium',
    title: 'Phone password protection is off',
    explanation:
      'On these active phone terminals "Protected phone access" is off: nobody can block the phone, so anyone at the desk can place calls on it (also expensive or international ones).',
    fix: 'Turn on "Protected phone access active" and set a 3–12 digit protection password; users then dial *11 and the password to block or unblock their phone.',
  },
  {
    id: 'pin_not_compliant',
    severity: 'medium',
    title: 'PIN or password not compliant with the policy',
    explanation:
      'These credentials did not meet the PIN policy when they were set (e.g. imported or set before the policy existed): they may be short or easy to guess, like 1111 or the extension number.',
    fix: 'Reset the PIN to the default (the user then picks a new one at the next sign-in) or ask the user to change it.',
  },
  {
    id: 'stale_tokens',
    severity: 'medium',
    title: `Admin token unused for ${STALE_DAYS}+ days`,
    explanation:
      `These login tokens have not been used for ${STALE_DAYS} days or more (or never, since they were created). A forgotten token is a working key to the management interface for whoever copies it.`,
    fix: 'Revoke the tokens under Admin security → Used tokens; shorten the token validity of the account.',
  },
  {
    id: 'orphan_tokens_passkeys',
    severity: 'medium',
    title: 'Token or passkey of an account that no longer exists',
    explanation:
      'These tokens and passkeys belong to a username that is not among the accounts. If an account with that name is created again, they could sign in as it.',
    fix: 'Delete the listed tokens and passkeys; create a new account under a new name rather than re-using an old one.',
  },
  {
    id: 'mapping_inactive_extension',
    severity: 'medium',
    title: 'Hot-desk mapping or phone of an inactive extension',
    explanation:
      'These hot-desk mappings (or logged-in phones) belong to an extension that is inactive or no longer exists. The phone configuration stays reachable for a number nobody should be using.',
    fix: 'Delete the mappings under Hot desking and log the phones out; re-create a mapping only when the number is active again.',
  },
  {
    id: 'pin_policy_weak',
    severity: 'medium',
    title: 'PIN policy looser than the default',
    explanation:
      'The policy for these credential kinds accepts PINs the default policy refuses (shorter, repeated digits, runs like 1234, the extension number, the last PIN or the default PIN).',
    fix: 'Under PIN policies, pick the default preset (essensys) or the strict one; existing PINs are then shown as "may not meet the current policy".',
  },
  {
    id: 'lockout_policy_weak',
    severity: 'medium',
    title: 'Lockout policy looser than the default',
    explanation:
      'The lockout policy allows more guesses, or locks for a shorter time, than the defaults (5 failures in 10 minutes lock an extension for 10 minutes; 10 from one address ban it; 3 locks in a day make the lock permanent). Guessing a PIN takes less time.',
    fix: 'Under Lockouts → Policy, restore the defaults or tighten the listed values.',
  },
  {
    id: 'pin_compliance_unknown',
    severity: 'low',
    title: 'PIN set under an older, looser policy',
    explanation:
      'These PINs were set while a looser policy was in force. The PBX keeps only hashes, so it cannot tell whether they meet today\'s policy — some may not.',
    fix: 'Ask the users to change their PIN, or reset them to the default so that each user picks a new one.',
  },
  {
    id: 'permanent_address_bans',
    severity: 'low',
    title: 'Address banned with no end',
    explanation:
      'These address bans never expire. That is often intended (a known attacker), but bans that are never reviewed pile up and may lock out a partner or a branch that later uses the address.',
    fix: 'Under Lockouts → Addresses, review the reason of each ban; remove the ones no longer needed or give them an expiry.',
  },
  {
    id: 'voicemail_trusted',
    severity: 'low',
    title: 'Voicemail reachable without a PIN from the own phone',
    explanation:
      'These extensions are "trusted": calling their own mailbox from their own phone needs no PIN, so anyone at that desk can listen to the voicemails.',
    fix: 'Turn trust off for phones in shared or public places (or turn on phone protection so the phone can be blocked).',
  },
  {
    id: 'hotdesk_password_unset',
    severity: 'low',
    title: 'Hot-desk shared password not set',
    explanation:
      'Hot-desk phones are in use but a global password is not set: without the user password, extensions without a mailbox cannot log in on a hot-desk phone; without the admin password, staff cannot log a phone in for someone else. Not a leak — a gap users work around.',
    fix: 'Under Hot desking → Passwords, set the missing password (at least 6 digits), or ignore this if the function is not wanted.',
  },
];

const RULE_BY_ID = new Map<FindingRuleId, FindingRule>(FINDING_RULES.map((r) => [r.id, r]));

const DAY_MS = 86_400_000;

const NORMAL_MAC = /^[0-9A-F]{2}(:[0-9A-F]{2}){5}$/;
/** A MAC's normal form (most are already: the PBX stores that form), so that two notations of one phone meet. */
function macKey(mac: string): string {
  return NORMAL_MAC.test(mac) ? mac : (normaliseMac(mac) ?? mac.trim().toUpperCase());
}

/** The credential kinds an extension has, with their names for people. */
const CREDENTIAL_LABEL: Readonly<Record<keyof NonNullable<Extension['credentials']>, string>> = {
  voicemail_pin: 'voicemail PIN',
  login_code: 'login code',
  phone_password: 'phone password',
  user_password: 'user password',
};

function extLabel(e: Extension): string {
  return e.label ? `${e.number} ${e.label}` : e.number;
}

function day(iso: string | null | undefined): string {
  return iso ? iso.slice(0, 10) : 'unknown';
}

/** Where `policy` accepts what `reference` refuses, in words (the maximum length is ignored: longer is not weaker). */
export function looserPinRules(policy: PinPolicy, reference: PinPolicy): string[] {
  const out: string[] = [];
  const looserLimit = (v: number | null, ref: number | null) => ref !== null && (v === null || v > ref);
  const show = (v: number | null) => (v === null ? 'off' : String(v));
  if (policy.minLength < reference.minLength) out.push(`minimum length ${policy.minLength} (default ${reference.minLength})`);
  if (reference.digitsOnly && !policy.digitsOnly) out.push('letters allowed (default: digits only)');
  if (looserLimit(policy.maxRepeatedDigits, reference.maxRepeatedDigits)) {
    out.push(`repeated digits ${show(policy.maxRepeatedDigits)} (default ${show(reference.maxRepeatedDigits)})`);
  }
  if (looserLimit(policy.maxSequenceLength, reference.maxSequenceLength)) {
    out.push(`digit runs ${show(policy.maxSequenceLength)} (default ${show(reference.maxSequenceLength)})`);
  }
  if (reference.notExtension && !policy.notExtension) out.push('the extension number is allowed');
  if (policy.historyCount < reference.historyCount) out.push(`history ${policy.historyCount} (default ${reference.historyCount})`);
  if (reference.notDefault && !policy.notDefault) out.push('the default PIN is allowed');
  return out;
}

/**
 * Every rule over one export, most severe first, including the rules that found nothing (count 0). `now` is
 * the review time (stale tokens are measured against it).
 */
export function runFindings(x: PbxExport, now: Date): Finding[] {
  const rows = new Map<FindingRuleId, FindingRow[]>(FINDING_RULES.map((r) => [r.id, []]));
  const add = (id: FindingRuleId, row: FindingRow) => (rows.get(id) as FindingRow[]).push(row);
  const nowMs = now.getTime();

  // ---- accounts ------------------------------------------------------------------------------------
  const usernames = new Set<string>();
  for (const a of x.accounts) {
    usernames.add(a.username);
    const who = `${a.role}${a.sites && a.sites.length ? ` (sites ${a.sites.join(', ')})` : ''}`;
    if (!a.hasPassword || a.warnings.includes('no_password')) {
      add('admin_no_password', { key: a.username, label: a.username, detail: `${who}: no password set` });
    }
    if (a.apiAccess) {
      const open = x.adminAllowlist.entries.length === 0 || a.warnings.includes('basic_without_allowlist');
      add('api_basic_auth', {
        key: a.username,
        label: a.username,
        detail: `${who}: HTTP Basic on${open ? ', and the admin allowlist is empty' : ''}${a.hasPassword ? '' : ', and no password'}`,
      });
    }
  }

  // ---- audit ---------------------------------------------------------------------------------------
  const verify = x.audit.verify;
  if (!verify.ok) {
    const b = verify.broken;
    add('audit_chain_broken', {
      key: b ? String(b.id) : 'audit',
      label: b ? `Audit record #${b.id}` : 'Audit log',
      detail: b ? `${b.reason}: ${b.message}` : `the chain check failed after ${verify.checked} records`,
    });
  }

  // ---- admin allowlist -----------------------------------------------------------------------------
  const allow = new CidrSet();
  for (const entry of x.adminAllowlist.entries) {
    const p = parseCidr(entry);
    if (!p.ok) continue;
    allow.add(p.value);
    if (p.value.prefix === 0) {
      add('admin_allowlist_empty', {
        key: p.value.text,
        label: entry,
        detail: `matches every ${p.value.family === 'ipv4' ? 'IPv4' : 'IPv6'} address`,
      });
    }
  }
  if (x.adminAllowlist.entries.length === 0) {
    add('admin_allowlist_empty', {
      key: 'admin-allowlist',
      label: 'Admin allowlist',
      detail: `empty: every address may sign in${x.adminAllowlist.updatedAt ? ` (changed ${day(x.adminAllowlist.updatedAt)} by ${x.adminAllowlist.updatedBy ?? 'unknown'})` : ''}`,
    });
  }

  // ---- tokens and passkeys -------------------------------------------------------------------------
  const staleBefore = nowMs - STALE_DAYS * DAY_MS;
  const checkAllowlist = x.adminAllowlist.entries.length > 0;
  for (const t of x.tokens) {
    const label = `Token of ${t.username}`;
    const lastMs = Date.parse(t.lastUsedAt ?? t.createdAt);
    if (!Number.isNaN(lastMs) && lastMs < staleBefore) {
      const days = Math.floor((nowMs - lastMs) / DAY_MS);
      add('stale_tokens', {
        key: t.id,
        label,
        detail: t.lastUsedAt
          ? `last used ${day(t.lastUsedAt)} (${days} days ago) from ${t.lastUsedFrom ?? 'unknown'}; expires ${day(t.expiresAt)}`
          : `never used since it was created ${day(t.createdAt)} (${days} days ago); expires ${day(t.expiresAt)}`,
      });
    }
    if (checkAllowlist) {
      const from = t.lastUsedFrom ?? t.createdFrom;
      if (allow.matches(from) === null) {
        add('tokens_outside_allowlist', {
          key: t.id,
          label,
          detail: `${t.lastUsedFrom ? `last used ${day(t.lastUsedAt)}` : `created ${day(t.createdAt)}`} from ${from}${(t.lastUsedUserAgent ?? t.createdUserAgent) ? ` (${t.lastUsedUserAgent ?? t.createdUserAgent})` : ''}`,
        });
      }
    }
    if (!usernames.has(t.username)) {
      add('orphan_tokens_passkeys', { key: t.id, label, detail: `token: no account "${t.username}"; created ${day(t.createdAt)}` });
    }
  }
  for (const p of x.passkeys) {
    if (!usernames.has(p.username)) {
      add('orphan_tokens_passkeys', {
        key: p.id,
        label: `Passkey "${p.name}" of ${p.username}`,
        detail: `passkey: no account "${p.username}"; created ${day(p.createdAt)}`,
      });
    }
  }

  // ---- extensions ----------------------------------------------------------------------------------
  const extStatus = new Map<string, Extension['status']>();
  for (const e of x.extensions) {
    extStatus.set(e.number, e.status);
    if (e.status !== 'active') continue;
    const c = e.credentials;
    if (e.voicemail && c?.voicemail_pin.isDefault) {
      add('default_voicemail_pin', { key: e.number, label: extLabel(e), detail: `site ${e.siteId}; default PIN since ${day(c.voicemail_pin.setAt)}` });
    }
    if (e.type === 'phone_terminal' && !e.protection.enabled) {
      add('protection_off', { key: e.number, label: extLabel(e), detail: `site ${e.siteId}; protection off${e.protection.changedAt ? ` since ${day(e.protection.changedAt)}` : ''}` });
    }
    if (e.voicemailTrusted && e.voicemail) {
      add('voicemail_trusted', { key: e.number, label: extLabel(e), detail: `site ${e.siteId}; ${e.type === 'phone_terminal' && e.protection.enabled ? 'phone protection on' : 'phone protection off'}` });
    }
    if (c) {
      let bad: string[] | null = null;
      let unknown: string[] | null = null;
      for (const kind of ['voicemail_pin', 'login_code', 'phone_password', 'user_password'] as const) {
        const m: CredentialMeta = c[kind];
        if (!m.set) continue;
        if (m.compliant === false || m.meetsCurrentPolicy === false) (bad ??= []).push(`${CREDENTIAL_LABEL[kind]} (set ${day(m.setAt)})`);
        else if (!m.isDefault && m.meetsCurrentPolicy === null) (unknown ??= []).push(`${CREDENTIAL_LABEL[kind]} (set ${day(m.setAt)})`);
      }
      if (bad) add('pin_not_compliant', { key: e.number, label: extLabel(e), detail: bad.join('; ') });
      if (unknown) add('pin_compliance_unknown', { key: e.number, label: extLabel(e), detail: unknown.join('; ') });
    }
  }

  // ---- lockouts ------------------------------------------------------------------------------------
  for (const l of x.lockouts.extensions) {
    if (!l.permanent) continue;
    add('permanent_extension_locks', {
      key: `${l.extension}/${l.credential}`,
      label: l.label ? `${l.extension} ${l.label}` : l.extension,
      detail: `${LOCK_CREDENTIAL_LABEL[l.credential]} locked since ${day(l.lockedAt)}; last failure ${day(l.lastFailureAt)} from ${l.lastAddress ?? 'unknown'}${l.lastUserAgent ? ` (${l.lastUserAgent})` : ''}`,
    });
  }
  for (const b of x.lockouts.addresses) {
    if (b.expiresAt !== null) continue;
    add('permanent_address_bans', {
      key: b.cidr,
      label: b.cidr,
      detail: `${b.addedBy} ban by ${b.createdBy} since ${day(b.createdAt)}: ${b.reason}; ${b.hits} refused requests`,
    });
  }

  // ---- hot desking ---------------------------------------------------------------------------------
  const byMac = new Map<string, { devices: string[]; mappings: string[] }>();
  const slot = (mac: string) => {
    let s = byMac.get(mac);
    if (!s) byMac.set(mac, (s = { devices: [], mappings: [] }));
    return s;
  };
  for (const d of x.hotdesk.devices) {
    const mac = macKey(d.mac);
    slot(mac).devices.push(`${d.brand} ${d.model} at ${d.siteId}`);
    if (d.extension !== null && d.state !== 'logged_out' && extStatus.get(d.extension) !== 'active') {
      const status = extStatus.get(d.extension);
      add('mapping_inactive_extension', {
        key: mac,
        label: `Phone ${mac}`,
        detail: `logged in as extension ${d.extension}, which ${status === undefined ? 'does not exist' : 'is inactive'}`,
      });
    }
  }
  for (const m of x.hotdesk.mappings) {
    if (m.mac !== null && m.mac !== '') slot(macKey(m.mac)).mappings.push(m.extension);
    const status = extStatus.get(m.extension);
    if (status !== 'active') {
      add('mapping_inactive_extension', {
        key: m.extension,
        label: `Mapping of ${m.extension}`,
        detail: `the extension ${status === undefined ? 'does not exist' : 'is inactive'}; ${m.mac ? `on phone ${m.mac}` : 'on any phone'}, template ${m.templateId}`,
      });
    }
  }
  for (const [mac, s] of byMac) {
    if (s.devices.length < 2 && s.mappings.length < 2) continue;
    const parts: string[] = [];
    if (s.devices.length > 1) parts.push(`${s.devices.length} phones (${s.devices.join('; ')})`);
    if (s.mappings.length > 1) parts.push(`mapped to ${s.mappings.length} extensions (${s.mappings.join(', ')})`);
    add('duplicate_macs', { key: mac, label: mac, detail: parts.join('; ') });
  }
  if (x.hotdesk.devices.length > 0 || x.hotdesk.mappings.length > 0) {
    for (const kind of ['user', 'admin'] as const) {
      const p = x.hotdesk.passwords[kind];
      if (!p.set) {
        add('hotdesk_password_unset', {
          key: kind,
          label: kind === 'user' ? 'Hot-desk user password' : 'Hot-desk admin password',
          detail: kind === 'user' ? 'not set: extensions without a mailbox cannot log in on a hot-desk phone' : 'not set: no one can log a phone in for another extension',
        });
      }
    }
  }

  // ---- policies ------------------------------------------------------------------------------------
  for (const p of x.policies.pin) {
    const kind = p.kind;
    const looser = looserPinRules(p.policy, defaultPinPolicy(kind));
    if (looser.length) {
      add('pin_policy_weak', { key: kind, label: `PIN policy: ${kind.replace(/_/g, ' ')}`, detail: `${p.preset ? `preset ${p.preset}; ` : ''}${looser.join('; ')}` });
    }
  }
  const lp = x.policies.lockout.policy;
  const d = DEFAULT_LOCKOUT_POLICY;
  const weak: FindingRow[] = [];
  const more = (path: string, v: number, def: number, what: string) => {
    if (v > def) weak.push({ key: path, label: what, detail: `${v} (default ${def})` });
  };
  const less = (path: string, v: number, def: number, what: string) => {
    if (v < def) weak.push({ key: path, label: what, detail: `${v} (default ${def})` });
  };
  more('extension.threshold', lp.extension.threshold, d.extension.threshold, 'Failures before an extension locks');
  less('extension.windowSeconds', lp.extension.windowSeconds, d.extension.windowSeconds, 'Extension failure window (seconds)');
  less('extension.lockSeconds', lp.extension.lockSeconds, d.extension.lockSeconds, 'Extension lock duration (seconds)');
  more('address.threshold', lp.address.threshold, d.address.threshold, 'Failures before an address is banned');
  less('address.windowSeconds', lp.address.windowSeconds, d.address.windowSeconds, 'Address failure window (seconds)');
  less('address.banSeconds', lp.address.banSeconds, d.address.banSeconds, 'Address ban duration (seconds)');
  if (lp.permanentAfterLocks === 0) {
    weak.push({ key: 'permanentAfterLocks', label: 'Locks before a lock is permanent', detail: `0 = never permanent (default ${d.permanentAfterLocks})` });
  } else more('permanentAfterLocks', lp.permanentAfterLocks, d.permanentAfterLocks, 'Locks before a lock is permanent');
  if (lp.permanentAfterLocks !== 0) {
    less('permanentWindowSeconds', lp.permanentWindowSeconds, d.permanentWindowSeconds, 'Window for permanent locks (seconds)');
  }
  for (const r of weak) add('lockout_policy_weak', r);

  const out: Finding[] = [];
  for (const rule of FINDING_RULES) {
    const r = rows.get(rule.id) as FindingRow[];
    out.push({ rule: rule.id, severity: rule.severity, title: rule.title, explanation: rule.explanation, fix: rule.fix, count: r.length, rows: r });
  }
  return out.sort((a, b) => SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity]);
}

/** The rule's definition by id. */
export function findingRule(id: FindingRuleId): FindingRule {
  return RULE_BY_ID.get(id) as FindingRule;
}

const FINDINGS_CSV_COLUMNS = ['pbx', 'exported_at', 'rule', 'severity', 'title', 'key', 'label', 'detail'] as const;

/**
 * The findings as CSV: one row per affected item (rules that found nothing have no row), with the PBX and the
 * export time on every row. RFC 4180, CRLF, header row; cells a spreadsheet would run as a formula are
 * neutralised (the audit CSV's escaping).
 */
export function findingsCsv(findings: readonly Finding[], meta: { pbx: string; exportedAt: string }): string {
  const lines: string[] = [FINDINGS_CSV_COLUMNS.join(',')];
  for (const f of findings) {
    for (const r of f.rows) {
      lines.push([meta.pbx, meta.exportedAt, f.rule, f.severity, f.title, r.key, r.label, r.detail].map(csvCell).join(','));
    }
  }
  return lines.join('\r\n') + '\r\n';
}

// SPEC F1: phone password protection (VoipNow semantics). Pure rules shared by console and server.
import type { FieldIssue } from './errors.js';

export const PROTECTION_PASSWORD_MIN = 3;
export const PROTECTION_PASSWORD_MAX = 12;

export interface RuleResult {
  rule: string;
  label: string;
  met: boolean;
}

/** Each rule with met/unmet, for live feedback while typing. */
export function protectionPasswordRules(password: string): RuleResult[] {
  return [
    { rule: 'digits_only', label: 'Digits 0–9 only', met: password.length > 0 && /^[0-9]+$/.test(password) },
    {
      rule: 'length',
      label: `${PROTECTION_PASSWORD_MIN} to ${PROTECTION_PASSWORD_MAX} digits`,
      met: password.length >= PROTECTION_PASSWORD_MIN && password.length <= PROTECTION_PASSWORD_MAX,
    },
  ];
}

/**
 * The failed rules of a protection password, each with a stable rule id and a message. The one source
 * of the rule: the live feedback, the API schema (domain.ts) and the server all use it.
 */
export function protectionPasswordProblems(password: string): Array<{ rule: 'digits_only' | 'length'; message: string }> {
  const problems: Array<{ rule: 'digits_only' | 'length'; message: string }> = [];
  if (!/^[0-9]*$/.test(password)) {
    problems.push({ rule: 'digits_only', message: 'the protection password may contain digits 0–9 only' });
  }
  if (password.length < PROTECTION_PASSWORD_MIN || password.length > PROTECTION_PASSWORD_MAX) {
    problems.push({
      rule: 'length',
      message: `the protection password must be ${PROTECTION_PASSWORD_MIN} to ${PROTECTION_PASSWORD_MAX} digits (got ${password.length})`,
    });
  }
  return problems;
}

/** Failed rules as field issues (empty = valid). */
export function checkProtectionPassword(password: string, field = 'password'): FieldIssue[] {
  return protectionPasswordProblems(password).map((p) => ({ field, rule: p.rule, message: `${field}: ${p.message}` }));
}

export type ProtectionStateName = 'unrestricted' | 'blocked';

export const STATUS_TEXT: Record<ProtectionStateName, string> = {
  unrestricted:
    'Currently access to phone is unrestricted. By accessing the Block link, you will restrict the phone terminal usage.',
  blocked: 'Currently access to phone is blocked.',
};

export const KEYPAD_TOGGLE_CODE = '*11';

export type CallDecision = 'ring' | 'voicemail' | 'rejected';

/**
 * Where an incoming call to this extension goes (SPEC F1): a blocked terminal cannot receive calls;
 * the call goes to voicemail when the extension has it, otherwise it is rejected.
 */
export function routeIncomingCall(ext: {
  type: string;
  status: string;
  voicemail: boolean;
  protection: { enabled: boolean; state: ProtectionStateName };
}): { decision: CallDecision; reason: string } {
  if (ext.status !== 'active') {
    return ext.voicemail
      ? { decision: 'voicemail', reason: 'extension_inactive' }
      : { decision: 'rejected', reason: 'extension_inactive' };
  }
  if (ext.protection.enabled && ext.protection.state === 'blocked') {
    return ext.voicemail
      ? { decision: 'voicemail', reason: 'terminal_blocked' }
      : { decision: 'rejected', reason: 'terminal_blocked' };
  }
  return { decision: 'ring', reason: 'ok' };
}

export const CALL_DECISION_TEXT: Record<CallDecision, string> = {
  ring: 'Incoming calls ring the phone',
  voicemail: 'Incoming calls go to voicemail',
  rejected: 'Incoming calls are rejected',
};

// The rule-by-rule feedback of a PIN or password form (SPEC F2): each rule of the policy met / not yet /
// checked when you save, while typing; and the PBX's refusal of a value, one failed rule per line. Shared by
// the Credentials section and the global hot-desk passwords.
import type { Ref } from 'react';
import type { ErrorBody } from '../../../shared/errors';
import type { PinRuleResult } from '../../../shared/pin-policy';
import { CheckIcon, CrossIcon, DotIcon, ErrorIcon } from './icons';

export type RuleState = 'met' | 'unmet' | 'pending' | 'server';

/** What a form says after each rule: OK, not yet, refused by the PBX, checked when you save. */
function saveStateText(r: PinRuleResult, state: RuleState): string {
  if (state === 'met') return ' — OK';
  if (state === 'unmet') return r.serverOnly ? ' — refused by the PBX' : ' — not yet';
  return state === 'server' ? ' — checked when you save' : '';
}

export function PinRuleList({
  id,
  rules,
  value,
  what,
  stateText = saveStateText,
}: {
  id?: string;
  rules: readonly PinRuleResult[];
  value: string;
  what: string;
  /** The words after a rule in its state (the PIN tester says more than a form). */
  stateText?: (r: PinRuleResult, state: RuleState) => string;
}) {
  return (
    <ul id={id} className="rules rules-column" aria-label={`Rules for the ${what}`}>
      {rules.map((r) => {
        const state: RuleState = r.met === null ? 'server' : value === '' ? 'pending' : r.met ? 'met' : 'unmet';
        return (
          <li key={r.rule} className={`rule rule-${state}`}>
            {state === 'met' ? <CheckIcon /> : state === 'unmet' ? <CrossIcon /> : <DotIcon />}
            <span>
              {r.label}
              <span className="rule-state">{stateText(r, state)}</span>
            </span>
          </li>
        );
      })}
    </ul>
  );
}

/** A failed save: for a policy refusal, "The PBX did not accept this …:" and each failed rule by its label. */
export function PinRefusalNotice({
  error,
  what,
  rules,
  boxRef,
}: {
  error: ErrorBody;
  what: string;
  rules: readonly Pick<PinRuleResult, 'rule' | 'label'>[];
  boxRef?: Ref<HTMLDivElement>;
}) {
  const ruleLabel = (rule: string): string | undefined => rules.find((r) => r.rule === rule)?.label;
  return (
    <div className="notice error" role="alert" ref={boxRef}>
      <ErrorIcon />
      <div>
        {error.code === 'pin_policy_violation' && error.details && error.details.length > 0 ? (
          <>
            <span>{`The PBX did not accept this ${what}:`}</span>
            <ul className="detail-list">
              {error.details.map((d, i) => (
                <li key={i}>
                  {ruleLabel(d.rule) ? <strong>{`${ruleLabel(d.rule)}: `}</strong> : null}
                  {readable(d.message)}
                </li>
              ))}
            </ul>
          </>
        ) : (
          <span>{error.message}</span>
        )}
      </div>
    </div>
  );
}

/** "value: the voicemail PIN may not be …" → "The voicemail PIN may not be …." */
function readable(message: string): string {
  const m = message.replace(/^[a-z_]+:\s*/i, '');
  const s = m.charAt(0).toUpperCase() + m.slice(1);
  return /[.!?]$/.test(s) ? s : `${s}.`;
}

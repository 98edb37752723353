// Set an account's password (issue 6 / SPEC F5): your own (the current one first, unless you have none) or, for an
// administrator of every site, another account's. The new password's rules turn green as they are met (the PBX's
// own rules, shared/accounts.ts), and it is typed twice. "No password" is never an accident: a separate button
// opens a warning that says what it means, and only its own red button sends it (confirmNoPassword).
// After it: the PBX signs out every other session of that account, and the dialog's owner says how many.
import { useEffect, useId, useRef, useState } from 'react';
import type { ErrorBody } from '../../../shared/errors';
import { call, errorBody } from '../api';
import { passwordFormProblem, passwordRules, type PasswordRule } from '../lib/accounts';
import { fieldErrors } from './AccountFields';
import { ErrorNotice } from './ErrorNotice';
import { CheckIcon, CrossIcon, DotIcon, ErrorIcon } from './icons';
import { ModalDialog } from './ModalDialog';
import { SecretInput } from './SecretInput';
import '../screens/accounts.css';

export interface PasswordTarget {
  username: string;
  hasPassword: boolean;
  /** The signed-in account itself (then the current password is asked for, when it has one). */
  own: boolean;
}

/** What happened, in one sentence for the owner's done line. */
export function passwordDoneText(target: PasswordTarget, password: string | null, signedOut: number): string {
  const who = target.own ? 'Your' : `${target.username}’s`;
  const what = password === null ? `${who} password was removed: the account has no password now.` : `${who} password was ${target.hasPassword ? 'changed' : 'set'}.`;
  const others = signedOut === 0 ? 'No other session was signed in.' : `${signedOut} other session${signedOut === 1 ? ' was' : 's were'} signed out${target.own ? '; this console stays signed in' : ''}.`;
  return `${what} ${others}`;
}

export function ChangePasswordDialog({
  target,
  online,
  onClose,
  onDone,
  fallbackFocus,
}: {
  target: PasswordTarget;
  online: boolean;
  onClose: () => void;
  onDone: (text: string) => void;
  fallbackFocus?: () => HTMLElement | null;
}) {
  const ids = useId();
  const needCurrent = target.own && target.hasPassword;
  const [current, setCurrent] = useState('');
  const [pw, setPw] = useState('');
  const [confirm, setConfirm] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ErrorBody | null>(null);
  const [tried, setTried] = useState(false);
  const [askNone, setAskNone] = useState(false);
  const [understood, setUnderstood] = useState(false);
  const firstRef = useRef<HTMLInputElement>(null);
  const noneRef = useRef<HTMLInputElement>(null);
  useEffect(() => firstRef.current?.focus(), []);
  useEffect(() => {
    if (askNone) noneRef.current?.focus();
  }, [askNone]);

  const rules = passwordRules(pw, confirm, target.username);
  // the PBX names the field it refused (a wrong current password: currentPassword); said under that field
  const server = fieldErrors(error?.details);
  const problem = passwordFormProblem(pw, confirm, target.username) ?? (needCurrent && current === '' ? 'Type your current password.' : null);

  const send = async (password: string | null) => {
    setBusy(true);
    setError(null);
    try {
      const res = await call('accounts.setPassword', {
        username: target.username,
        password,
        ...(password === null ? { confirmNoPassword: true as const } : {}),
        ...(needCurrent ? { currentPassword: current } : {}),
      });
      onDone(passwordDoneText(target, password, res.signedOut));
    } catch (e) {
      setError(errorBody(e));
      setAskNone(false);
      setUnderstood(false);
    } finally {
      setBusy(false);
    }
  };

  const whose = target.own ? 'your account' : `the account ${target.username}`;
  const title = target.own ? (target.hasPassword ? 'Change your password' : 'Set a password for your account') : `Set the password of ${target.username}`;

  return (
    <ModalDialog title={title} className="password-dialog" onClose={onClose} fallbackFocus={fallbackFocus}>
      {() => (
        <form
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            setTried(true);
            if (!problem && !busy && online) void send(pw);
          }}
        >
          <p className="muted">
            {`Every other session of ${whose} is signed out when the password changes`}
            {target.own ? '; this console stays signed in and keeps the new password.' : '.'}
          </p>
          {needCurrent ? (
            <div className={`field${tried && current === '' ? ' has-error' : ''}`}>
              <label htmlFor={`${ids}-current`}>Current password</label>
              <input
                id={`${ids}-current`}
                ref={firstRef}
                type="password"
                autoComplete="current-password"
                value={current}
                aria-invalid={(tried && current === '') || !!server['currentPassword'] || undefined}
                aria-describedby={server['currentPassword'] ? `${ids}-current-error` : undefined}
                onChange={(e) => {
                  setCurrent(e.target.value);
                  setError(null);
                }}
              />
              {server['currentPassword'] ? (
                <p id={`${ids}-current-error`} className="field-error">
                  <ErrorIcon /> <span>{server['currentPassword']}</span>
                </p>
              ) : null}
            </div>
          ) : null}
          <div className={`field${tried && problem && pw !== '' ? ' has-error' : ''}`}>
            <label htmlFor={`${ids}-new`}>New password</label>
            <SecretInput
              id={`${ids}-new`}
              {...(needCurrent ? {} : { inputRef: firstRef })}
              value={pw}
              onChange={(v) => {
                setPw(v);
                setError(null);
              }}
              digitsOnly={false}
              invalid={rules.some((r) => r.met === false && r.rule !== 'confirm')}
              describedBy={`${ids}-rules`}
            />
          </div>
          <div className={`field${confirm !== '' && confirm !== pw ? ' has-error' : ''}`}>
            <label htmlFor={`${ids}-confirm`}>Type the new password again</label>
            <input
              id={`${ids}-confirm`}
              type="password"
              autoComplete="new-password"
              value={confirm}
              aria-invalid={(confirm !== '' && confirm !== pw) || undefined}
              aria-describedby={`${ids}-rules`}
              onChange={(e) => setConfirm(e.target.value)}
            />
          </div>
          <PasswordRules id={`${ids}-rules`} rules={rules} what="the new password" className="account-rules" />
          {tried && problem ? (
            <p className="field-error" role="alert">
              <ErrorIcon /> <span>{problem}</span>
            </p>
          ) : null}
          {error && !server['currentPassword'] ? <ErrorNotice error={error} /> : null}
          <div className="form-actions">
            <button type="submit" className="btn primary" disabled={busy || !online} aria-busy={(busy && !askNone) || undefined}>
              {target.hasPassword ? 'Change password' : 'Set password'}
            </button>
            <button type="button" className="btn" onClick={onClose} disabled={busy}>
              Cancel
            </button>
            {target.hasPassword && !askNone ? (
              <button type="button" className="link-btn small no-password-link" onClick={() => setAskNone(true)} disabled={busy || !online}>
                Remove the password instead…
              </button>
            ) : null}
          </div>
          {!online ? <p className="muted small">The PBX is out of reach; try again when it is back.</p> : null}
          {askNone ? (
            <div className="notice error no-password-confirm" role="group" aria-labelledby={`${ids}-none-title`}>
              <ErrorIcon />
              <div>
                <p id={`${ids}-none-title`}>
                  <strong>{`Leave ${whose} without a password?`}</strong>
                </p>
                <p>
                  {`Anyone who can reach this PBX could then sign in as `}
                  <strong className="mono">{target.username}</strong>
                  {' with an empty password and do everything this account can. The console will warn about it on every screen until a password is set.'}
                </p>
                <div className="check-field">
                  <input id={`${ids}-understood`} ref={noneRef} type="checkbox" checked={understood} onChange={(e) => setUnderstood(e.target.checked)} />
                  <label htmlFor={`${ids}-understood`}>{`I understand: ${target.username} will have no password`}</label>
                </div>
                <div className="form-actions">
                  <button type="button" className="btn danger" disabled={!understood || busy || !online} aria-busy={busy || undefined} onClick={() => void send(null)}>
                    Remove the password
                  </button>
                  <button
                    type="button"
                    className="btn"
                    onClick={() => {
                      setAskNone(false);
                      setUnderstood(false);
                    }}
                    disabled={busy}
                  >
                    Keep a password
                  </button>
                </div>
              </div>
            </div>
          ) : null}
        </form>
      )}
    </ModalDialog>
  );
}

/** The password rules while typing: met, not yet, or not decided until something is typed. */
export function PasswordRules({ id, rules, what, className }: { id: string; rules: readonly PasswordRule[]; what: string; className?: string }) {
  return (
    <ul id={id} className={`rules rules-column${className ? ` ${className}` : ''}`} aria-label={`Rules for ${what}`}>
      {rules.map((r) => (
        <li key={r.rule} className={`rule ${r.met === null ? 'rule-pending' : r.met ? 'rule-met' : 'rule-unmet'}`}>
          {r.met === null ? <DotIcon /> : r.met ? <CheckIcon /> : <CrossIcon />}
          <span>
            {r.label}
            <span className="rule-state">{r.met === null ? '' : r.met ? ' — OK' : ' — not yet'}</span>
          </span>
        </li>
      ))}
    </ul>
  );
}

// The two global hot-desk passwords (SPEC F4; admins): the user password (logs in an extension that has no
// voicemail box) and the admin password (logs in any extension). Typed on a phone keypad, so the PBX applies
// the login-code PIN policy; the rule-by-rule feedback comes from the same engine and list as the
// Credentials section. A value is sent once and never shown again: after saving the field is cleared and
// only "set on … by …" remains. Not set: a warning that says what cannot be done without it.
import { useEffect, useId, useRef, useState } from 'react';
import {
  HOTDESK_PASSWORD_LABEL,
  HOTDESK_PASSWORD_MIN_LENGTH,
  HOTDESK_PASSWORD_MIN_RULE,
  HOTDESK_PASSWORDS_DIFFER_RULE,
  HotDeskPasswordKinds,
  hotDeskPasswordFloor,
  type HotDeskPasswordKind,
  type HotDeskPasswordMeta,
  type HotDeskPasswords,
  type SharedPasswordLock,
} from '../../../shared/hotdesk';
import type { ErrorBody } from '../../../shared/errors';
import { pinRules, type PinPolicy, type PinRuleResult } from '../../../shared/pin-policy';
import { call, errorBody } from '../api';
import type { LiveList } from '../lib/hotdesk';
import { usePolicies } from '../lib/policies';
import { absoluteTime } from '../lib/time';
import { ErrorLine } from './ErrorNotice';
import { DoneStatus } from './Field';
import { ErrorIcon } from './icons';
import { PinRefusalNotice, PinRuleList } from './PinRuleList';
import { SecretInput } from './SecretInput';

const WHAT: Record<HotDeskPasswordKind, string> = {
  user: 'Logs in an extension that has no voicemail box (extensions with a box use their voicemail PIN).',
  admin: 'Logs in any extension on any phone. Keep it to the people who set up phones.',
};

const MISSING: Record<HotDeskPasswordKind, string> = {
  user: 'Not set: extensions without a voicemail box cannot log in on a hot-desk phone.',
  admin: 'Not set: nobody can log a phone in to an arbitrary extension (each user needs their own voicemail PIN).',
};

const OTHER_RULE = HOTDESK_PASSWORDS_DIFFER_RULE;

/**
 * The login-code rules that apply to a global password — the PBX checks it without an extension, a default
 * or a history, so those rules are left out — plus its own "not the same as the other one".
 */
export function globalPasswordRules(value: string, policy: PinPolicy, kind: HotDeskPasswordKind): PinRuleResult[] {
  const rules = pinRules(value, policy).filter((r) => r.rule !== 'pin_matches_extension' && r.rule !== 'pin_is_default' && r.rule !== 'pin_reused');
  const other = HOTDESK_PASSWORD_LABEL[kind === 'user' ? 'admin' : 'user'].toLowerCase();
  // whatever the policy allows, a shared password has a floor (the PBX checks the same function)
  const floor: PinRuleResult = {
    rule: HOTDESK_PASSWORD_MIN_RULE as PinRuleResult['rule'],
    label: `At least ${HOTDESK_PASSWORD_MIN_LENGTH} digits (it opens shared phones)`,
    met: hotDeskPasswordFloor(value) === null,
    serverOnly: false,
  };
  return [floor, ...rules, { rule: OTHER_RULE as PinRuleResult['rule'], label: `Not the same as the ${other}`, met: null, serverOnly: true }];
}

export function HotDeskPasswordsPanel({ list, online }: { list: LiveList<HotDeskPasswords>; online: boolean }) {
  const ids = useId();
  return (
    <section className="policy-editor lock-section hotdesk-passwords" aria-labelledby={`${ids}-title`}>
      <div className="section-head">
        <h2 id={`${ids}-title`}>Hot-desk passwords</h2>
        <span className="muted small">Typed on the phone’s keypad at login, for every extension of every site. Never shown again once saved.</span>
      </div>
      {list.error ? (
        <ErrorLine text={`Could not read whether the passwords are set: ${list.error.message}`}>
          <button type="button" className="btn small-btn" onClick={list.reload} disabled={!online}>
            Try again
          </button>
        </ErrorLine>
      ) : null}
      {!list.data && !list.error ? <p className="loading">Loading…</p> : null}
      {list.data ? <SharedLockNotice lock={list.data.sharedLock} online={online} onChange={list.setData} /> : null}
      {list.data ? (
        <ul className="cred-list">
          {HotDeskPasswordKinds.map((kind) => (
            <PasswordRow
              key={kind}
              kind={kind}
              meta={list.data![kind]}
              online={online}
              onSaved={(meta) => list.setData({ ...list.data!, [kind]: meta })}
            />
          ))}
        </ul>
      ) : null}
    </section>
  );
}

function PasswordRow({ kind, meta, online, onSaved }: { kind: HotDeskPasswordKind; meta: HotDeskPasswordMeta; online: boolean; onSaved: (m: HotDeskPasswordMeta) => void }) {
  const ids = useId();
  const label = HOTDESK_PASSWORD_LABEL[kind];
  const [editing, setEditing] = useState(false);
  const [done, setDone] = useState<string | null>(null);
  const changeRef = useRef<HTMLButtonElement>(null);

  return (
    <li className="cred-row" aria-labelledby={`${ids}-name`}>
      <div className="cred-head">
        <span id={`${ids}-name`} className="cred-name">
          {label}
        </span>
        {meta.set ? (
          <span className="badge badge-cred-set">Set</span>
        ) : (
          <span className="badge badge-noncompliant">Not set</span>
        )}
      </div>
      <p className="muted small">{WHAT[kind]}</p>
      {meta.set ? (
        <p className="small">
          {meta.setAt ? `Set on ${absoluteTime(meta.setAt)}${meta.setBy ? ` by ${meta.setBy}` : ''}.` : 'Set.'}
        </p>
      ) : (
        <p className="notice warn-notice small">
          <ErrorIcon /> <span>{MISSING[kind]}</span>
        </p>
      )}
      {editing ? (
        <PasswordForm
          kind={kind}
          online={online}
          onCancel={() => {
            setEditing(false);
            requestAnimationFrame(() => changeRef.current?.focus());
          }}
          onSaved={(m) => {
            onSaved(m);
            setEditing(false);
            setDone(`Saved. The ${label.toLowerCase()} is set; it will not be shown again.`);
            requestAnimationFrame(() => changeRef.current?.focus());
          }}
        />
      ) : (
        <div className="cred-actions">
          <button
            type="button"
            ref={changeRef}
            className="btn small-btn"
            onClick={() => {
              setEditing(true);
              setDone(null);
            }}
            disabled={!online}
          >
            {meta.set ? `Change ${label.toLowerCase()}` : `Set ${label.toLowerCase()}`}
          </button>
        </div>
      )}
      <DoneStatus text={done} />
    </li>
  );
}

/** The PBX's refusal of one exact value (its rules show as unmet for that value only). */
interface Refusal {
  value: string;
  rules: Set<string>;
}

function PasswordForm({ kind, online, onCancel, onSaved }: { kind: HotDeskPasswordKind; online: boolean; onCancel: () => void; onSaved: (m: HotDeskPasswordMeta) => void }) {
  const ids = useId();
  const label = HOTDESK_PASSWORD_LABEL[kind];
  const what = label.toLowerCase();
  const policies = usePolicies();
  const policy = policies.status === 'ready' ? (policies.items.find((p) => p.kind === 'login_code')?.policy ?? null) : null;
  const [value, setValue] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ErrorBody | null>(null);
  const [refusal, setRefusal] = useState<Refusal | null>(null);
  const inputRef = useRef<HTMLInputElement>(null);
  useEffect(() => inputRef.current?.focus(), []);

  let rules = policy ? globalPasswordRules(value, policy, kind) : [];
  if (refusal && refusal.value === value) {
    rules = rules.map((r) => (refusal.rules.has(r.rule) ? { ...r, met: false } : r));
  }
  const unmet = rules.some((r) => r.met === false);
  const canSave = value !== '' && !unmet && !busy && online;

  const save = async () => {
    if (!canSave) return;
    setBusy(true);
    setError(null);
    try {
      const meta = await call('hotdesk.setPassword', { kind, password: value });
      setValue('');
      onSaved(meta);
    } catch (e) {
      const body = errorBody(e);
      if (body.details && body.details.length > 0) setRefusal({ value, rules: new Set(body.details.map((d) => d.rule)) });
      setError(body);
      requestAnimationFrame(() => inputRef.current?.focus());
    } finally {
      setBusy(false);
    }
  };

  return (
    <form
      className="cred-form"
      noValidate
      aria-label={`Set the ${what}`}
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
      onKeyDown={(e) => {
        if (e.key === 'Escape') {
          e.preventDefault();
          e.stopPropagation();
          setValue('');
          onCancel();
        }
      }}
    >
      <div className={`field${unmet ? ' has-error' : ''}`}>
        <label htmlFor={`${ids}-value`}>{`New ${what}`}</label>
        <SecretInput
          id={`${ids}-value`}
          inputRef={inputRef}
          value={value}
          onChange={(v) => {
            setValue(v);
            if (error) setError(null);
          }}
          digitsOnly
          invalid={unmet}
          describedBy={`${ids}-rules`}
        />
        {policy ? (
          <PinRuleList id={`${ids}-rules`} rules={rules} value={value} what={what} />
        ) : (
          <p id={`${ids}-rules`} className="field-hint">
            {policies.status === 'loading' ? 'Loading the rules…' : 'Digits only. The PBX checks the login-code rules when you save.'}
          </p>
        )}
        <p className="field-hint">The login-code rules apply (PIN policies screen). Write it down before saving: it cannot be shown again.</p>
      </div>
      {error ? <PinRefusalNotice error={error} what={what} rules={rules} /> : null}
      <div className="form-actions">
        <button type="submit" className="btn primary" disabled={!canSave} aria-busy={busy || undefined}>
          {`Save ${what}`}
        </button>
        <button
          type="button"
          className="btn"
          onClick={() => {
            setValue('');
            onCancel();
          }}
        >
          Cancel
        </button>
      </div>
    </form>
  );
}

/**
 * The shared passwords' own lock: after too many failed hot-desk logins (from anywhere, on any extension) neither
 * is accepted for a while. Says so, until when, and lets an admin lift it; below the threshold, how many so far.
 */
function SharedLockNotice({ lock, online, onChange }: { lock: SharedPasswordLock; online: boolean; onChange: (p: HotDeskPasswords) => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const unlock = async () => {
    setBusy(true);
    setError(null);
    try {
      onChange(await call('hotdesk.unlockPasswords', {}));
    } catch (e) {
      setError(errorBody(e).message);
    } finally {
      setBusy(false);
    }
  };
  if (lock.lockedUntil === null) {
    return lock.failures > 0 ? (
      <p className="muted small" role="status">
        {lock.failures} failed hot-desk login{lock.failures === 1 ? '' : 's'} in the last {lock.windowMinutes} minutes; at {lock.threshold} the
        shared passwords stop working for {lock.lockMinutes} minutes.
      </p>
    ) : null;
  }
  return (
    <div className="notice warn-notice small" role="alert">
      <ErrorIcon />
      <div>
        <p>
          <strong>Locked until {absoluteTime(lock.lockedUntil)}</strong>: {lock.failures} failed hot-desk logins in {lock.windowMinutes} minutes,
          so neither shared password is accepted (someone may be guessing). Voicemail PINs still log phones in.
        </p>
        <button type="button" className="btn small-btn" onClick={() => void unlock()} disabled={!online || busy} aria-busy={busy || undefined}>
          Unlock now
        </button>
        {error ? <p className="field-error">{error}</p> : null}
      </div>
    </div>
  );
}

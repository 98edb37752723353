// "Password protection" (SPEC F1, VoipNow semantics): the "Protected phone access active" checkbox, the
// "Password to access telephony" with rule-by-rule feedback while typing, the status text and the
// Block/Unblock action. Writes carry the etag of the version the user was looking at; a 412 shows both
// versions side by side. Live changes from the PBX never overwrite what the user is typing.
import { useEffect, useId, useRef, useState, type Ref } from 'react';
import type { ProtectionUpdate } from '../../../shared/api';
import type { Extension } from '../../../shared/domain';
import { EXTENSION_TYPE_LABEL } from '../../../shared/domain';
import type { ErrorBody } from '../../../shared/errors';
import { STATUS_TEXT } from '../../../shared/protection';
import { call, errorBody } from '../api';
import { usePolicies } from '../lib/policies';
import { lengthBounds, protectionRules, type Rule } from '../lib/protectionRules';
import { absoluteTime, relativeTime, useNow } from '../lib/time';
import { protectionBadge } from '../lib/extensionIndex';
import { useIsReceptionist } from '../lib/role';
import { BADGE_TEXT } from './ExtensionsGrid';
import { BlockIcon, CheckIcon, CrossIcon, DotIcon, ErrorIcon, LockIcon } from './icons';
import { ErrorNotice } from './ErrorNotice';
import { DoneStatus } from './Field';
import { ReadOnlyFieldset } from './ReadOnly';

interface Props {
  ext: Extension;
  onUpdated: (ext: Extension) => void;
}

export function ProtectionSection({ ext, onUpdated }: Props) {
  const titleId = useId();
  return (
    <section className="protection" aria-labelledby={titleId}>
      <div className="section-title">
        <h3 id={titleId}>Password protection</h3>
        {ext.type === 'phone_terminal' ? <StateBadge ext={ext} /> : null}
      </div>
      {ext.type === 'phone_terminal' ? (
        <ReadOnlyFieldset>
          <ProtectionForm ext={ext} onUpdated={onUpdated} />
        </ReadOnlyFieldset>
      ) : (
        <p className="notice info">
          {`Only phone-terminal extensions can be protected. This is ${article(EXTENSION_TYPE_LABEL[ext.type])} ${EXTENSION_TYPE_LABEL[ext.type]}.`}
        </p>
      )}
    </section>
  );
}

function StateBadge({ ext }: { ext: Extension }) {
  const badge = protectionBadge(ext);
  return <span className={`badge badge-${badge}`}>{BADGE_TEXT[badge]}</span>;
}

function article(word: string): string {
  return /^[AEIOU]/.test(word) ? 'an' : 'a';
}

type Action = { kind: 'save'; update: ProtectionUpdate } | { kind: 'block' } | { kind: 'unblock' };

interface Conflict {
  action: Action;
  current: Extension;
}

function isExtension(v: unknown): v is Extension {
  return typeof v === 'object' && v !== null && 'etag' in v && 'protection' in v && 'number' in v;
}

function ProtectionForm({ ext, onUpdated }: Props) {
  const receptionist = useIsReceptionist();
  const ids = useId();
  const checkboxId = `${ids}-enabled`;
  const passwordId = `${ids}-password`;
  const rulesId = `${ids}-rules`;
  const hintId = `${ids}-hint`;
  const saveHintId = `${ids}-savehint`;

  // The version the user's edit is based on; writes send its etag.
  const [base, setBase] = useState<Extension>(ext);
  const [enabled, setEnabled] = useState(ext.protection.enabled);
  const [password, setPassword] = useState('');
  const [showPassword, setShowPassword] = useState(false);
  const [remoteChangeAt, setRemoteChangeAt] = useState<number | null>(null);
  const [busy, setBusy] = useState<Action['kind'] | null>(null);
  const [error, setError] = useState<ErrorBody | null>(null);
  const [conflict, setConflict] = useState<Conflict | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const now = useNow(10_000);

  // The last version of the extension this form has taken into account.
  const [seenEtag, setSeenEtag] = useState(ext.etag);

  const dirty = enabled !== base.protection.enabled || password !== '';

  // A newer version arrived (live event, reload, or a conflict answer). Reconciled during render, and
  // never while one of our own writes is in flight: the PBX's event for our write may arrive before
  // the write's answer, and must not be mistaken for somebody else's change.
  if (ext.etag !== seenEtag && busy === null) {
    setSeenEtag(ext.etag);
    if (ext.etag !== base.etag) {
      setRemoteChangeAt(Date.now());
      setDone(null);
      if (!dirty) {
        setBase(ext);
        setEnabled(ext.protection.enabled);
      }
    }
  }

  const policies = usePolicies();
  const policy = policies.status === 'ready' ? (policies.items.find((p) => p.kind === 'protection_password')?.policy ?? null) : null;
  const rules = protectionRules(password, policy, ext.number);
  const bounds = lengthBounds(policy);
  // A rule only the PBX can decide (history) does not hold the Save button back.
  const rulesOk = rules.every((r) => r.met !== false);
  const needsPassword = enabled && !ext.protection.passwordSet && password === '';
  const passwordInvalid = password !== '' && !rulesOk;

  let saveBlockedReason: string | null = null;
  if (passwordInvalid) saveBlockedReason = 'Fix the password first.';
  else if (needsPassword) saveBlockedReason = `Type a password of ${bounds.min} to ${bounds.max} digits to turn protection on.`;
  else if (conflict) saveBlockedReason = 'Choose a version below first.';
  else if (!dirty) saveBlockedReason = 'Nothing to save yet.';
  const canSave = saveBlockedReason === null && busy === null;

  const run = async (action: Action, etag: string) => {
    setBusy(action.kind);
    setError(null);
    setDone(null);
    try {
      let result: Extension;
      if (action.kind === 'save') {
        result = await call('protection.set', { number: ext.number, etag, update: action.update });
      } else if (action.kind === 'block') {
        result = await call('protection.block', { number: ext.number, etag });
      } else {
        result = await call('protection.unblock', { number: ext.number, etag });
      }
      setBase(result);
      setSeenEtag(result.etag);
      // Block/Unblock leave an unsaved edit of the form alone.
      if (action.kind === 'save' || !dirty) setEnabled(result.protection.enabled);
      if (action.kind === 'save') setPassword('');
      setConflict(null);
      setRemoteChangeAt(null);
      onUpdated(result);
      setDone(
        action.kind === 'save'
          ? result.protection.enabled
            ? 'Saved. Protected phone access is on.'
            : 'Saved. Protected phone access is off.'
          : action.kind === 'block'
            ? 'The phone is now blocked.'
            : 'The phone is now unrestricted.',
      );
    } catch (e) {
      const body = errorBody(e);
      if (body.code === 'precondition_failed') {
        let current: Extension | undefined = isExtension(body.current) ? body.current : undefined;
        if (!current) current = await call('extensions.get', { number: ext.number }).catch(() => undefined);
        if (current) {
          setConflict({ action, current });
          onUpdated(current);
          return;
        }
      }
      setError(body);
    } finally {
      setBusy(null);
    }
  };

  const save = () => {
    const update: ProtectionUpdate = { enabled };
    if (password !== '') update.password = password;
    void run({ kind: 'save', update }, base.etag);
  };

  const usePbxVersion = () => {
    if (!conflict) return;
    const current = conflict.current;
    setBase(current);
    setEnabled(current.protection.enabled);
    setPassword('');
    setConflict(null);
    setRemoteChangeAt(null);
    setError(null);
    setDone('Kept the version that is on the PBX. Your change was discarded.');
  };

  const applyAgain = () => {
    if (!conflict) return;
    void run(conflict.action, conflict.current.etag);
  };

  const conflictRef = useRef<HTMLDivElement>(null);
  const actionsRef = useRef<HTMLDivElement>(null);
  const errorRef = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (conflict) conflictRef.current?.scrollIntoView({ block: 'nearest' });
  }, [conflict]);
  useEffect(() => {
    // While typing, the rule feedback grows; keep it and the Save button in view.
    if (password !== '' && document.activeElement?.id === passwordId) actionsRef.current?.scrollIntoView({ block: 'nearest' });
  }, [password, passwordId]);
  useEffect(() => {
    if (error) errorRef.current?.scrollIntoView({ block: 'nearest' });
  }, [error]);

  const p = ext.protection;
  const remoteAgo = remoteChangeAt !== null ? relativeTime(new Date(remoteChangeAt).toISOString(), now) : null;

  return (
    <div className="protection-body">
      {remoteChangeAt !== null ? (
        <p className="notice info" role="status">
          <strong>{`Changed on the PBX ${remoteAgo}`}</strong>
          {p.changedBy ? ` by ${p.changedBy}${p.changedFrom ? ` from ${p.changedFrom}` : ''}.` : '.'}
          {dirty ? ' Your unsaved change is kept below.' : ''}
        </p>
      ) : null}

      {/* Current state on the PBX: status text and the Block/Unblock action. */}
      {p.enabled ? (
        <div className={`state-box state-${p.state}`}>
          <p className="status-text">{STATUS_TEXT[p.state]}</p>
          <button
            type="button"
            className={`btn big ${p.state === 'blocked' ? 'primary' : 'danger'}`}
            onClick={() => void run({ kind: p.state === 'blocked' ? 'unblock' : 'block' }, ext.etag)}
            disabled={busy !== null}
            aria-busy={busy === 'block' || busy === 'unblock' || undefined}
          >
            {p.state === 'blocked' ? <LockIcon open /> : <BlockIcon />}
            {p.state === 'blocked' ? 'Unblock' : 'Block'}
          </button>
        </div>
      ) : null}

      {receptionist && !p.enabled ? (
        <p className="notice info">Protected phone access is off for this phone. An administrator can turn it on.</p>
      ) : null}

      {/* Turning protection on/off and its password are for administrators (the PBX refuses a receptionist). */}
      {receptionist ? null : (
      <form
        className="protection-form"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          if (canSave) save();
        }}
      >
        <div className="check-field">
          <input
            id={checkboxId}
            type="checkbox"
            checked={enabled}
            onChange={(e) => {
              setEnabled(e.target.checked);
              setDone(null);
            }}
          />
          <label htmlFor={checkboxId}>Protected phone access active</label>
        </div>

        <div className={`field${passwordInvalid ? ' has-error' : ''}`}>
          <label htmlFor={passwordId}>Password to access telephony</label>
          <div className="password-row">
            <input
              id={passwordId}
              type={showPassword ? 'text' : 'password'}
              inputMode="numeric"
              autoComplete="off"
              spellCheck={false}
              value={password}
              onChange={(e) => {
                setPassword(e.target.value);
                setDone(null);
              }}
              onFocus={() => {
                // Keep the rule feedback and the Save button in view while typing.
                actionsRef.current?.scrollIntoView({ block: 'nearest' });
              }}
              aria-invalid={passwordInvalid || undefined}
              aria-describedby={`${p.passwordSet ? `${hintId} ` : ''}${rulesId}`}
            />
            <button
              type="button"
              className="btn ghost small-btn"
              aria-pressed={showPassword}
              onClick={() => setShowPassword((s) => !s)}
            >
              Show digits
            </button>
          </div>
          {p.passwordSet ? (
            <p id={hintId} className="field-hint">
              A password is set. Leave empty to keep it.
            </p>
          ) : null}
          <ul id={rulesId} className="rules" aria-label="Password rules">
            {rules.map((r) => {
              const state = r.met === null ? 'server' : password === '' ? 'pending' : r.met ? 'met' : 'unmet';
              return (
                <li key={r.rule} className={`rule rule-${state}`}>
                  {state === 'met' ? <CheckIcon /> : state === 'unmet' ? <CrossIcon /> : <DotIcon />}
                  <span>{r.label}</span>
                  <span className="rule-state">
                    {state === 'met'
                      ? ' — OK'
                      : state === 'unmet'
                        ? ` — ${unmetText(r.rule, password, bounds.max)}`
                        : state === 'server'
                          ? ' — checked when you save'
                          : ''}
                  </span>
                </li>
              );
            })}
          </ul>
          <p className="field-error" aria-live="polite">
            {passwordInvalid ? (
              <>
                <ErrorIcon />{' '}
                <span>
                  {`This password will be refused: ${describeFailures(password, bounds, rules)}`}
                </span>
              </>
            ) : null}
          </p>
        </div>

        <div className="form-actions" ref={actionsRef}>
          <button
            type="submit"
            className="btn primary big"
            disabled={!canSave}
            aria-busy={busy === 'save' || undefined}
            aria-describedby={saveBlockedReason && saveBlockedReason !== 'Nothing to save yet.' ? saveHintId : undefined}
          >
            Save protection
          </button>
          {saveBlockedReason && busy === null ? (
            <span id={saveHintId} className="muted small">
              {saveBlockedReason}
            </span>
          ) : null}
        </div>
      </form>
      )}

      {conflict ? <ConflictView boxRef={conflictRef} conflict={conflict} onUsePbx={usePbxVersion} onApplyAgain={applyAgain} busy={busy !== null} /> : null}

      {error ? <ErrorNotice error={error} boxRef={errorRef} listFrom={2} /> : null}

      <DoneStatus text={done} />

      {p.changedAt || p.changedBy ? (
        <p className="muted small last-changed" title={p.changedAt ? absoluteTime(p.changedAt) : undefined}>
          {`Last changed by ${p.changedBy ?? 'unknown'}${p.changedFrom ? ` from ${p.changedFrom}` : ''}${
            p.changedAt ? `, ${relativeTime(p.changedAt, now)}` : ''
          }`}
        </p>
      ) : null}
    </div>
  );
}

/** Why a rule is not met yet, in words that say what to do: more digits, fewer digits, digits only. */
function unmetText(rule: string, password: string, max: number): string {
  if (rule === 'length') return password.length > max ? 'too long' : 'too short';
  if (rule === 'digits_only') return 'remove anything that is not a digit';
  return 'not allowed';
}

function describeFailures(password: string, bounds: { min: number; max: number }, rules: Rule[]): string {
  const parts: string[] = [];
  const digitsOnly = /^[0-9]*$/.test(password);
  if (!digitsOnly) parts.push('use digits 0–9 only');
  if (password.length < bounds.min || password.length > bounds.max) {
    const unit = digitsOnly ? 'digit' : 'character';
    parts.push(`use ${bounds.min} to ${bounds.max} digits (you typed ${password.length} ${unit}${password.length === 1 ? '' : 's'})`);
  }
  const other = rules.filter((r) => r.met === false && r.rule !== 'length' && r.rule !== 'digits_only');
  if (other.length) parts.push(`it breaks the rule${other.length > 1 ? 's' : ''} ${other.map((r) => `“${r.label}”`).join(', ')}`);
  return `${parts.join(' and ')}.`;
}

/** What the extension would look like with the user's change applied on top of the PBX version. */
function describeAction(action: Action, current: Extension): { label: string; value: string }[] {
  const p = current.protection;
  const enabled = action.kind === 'save' ? action.update.enabled : true;
  const state = action.kind === 'block' ? 'blocked' : action.kind === 'unblock' ? 'unrestricted' : p.state;
  const password =
    action.kind === 'save' && action.update.password ? 'New password (typed by you)' : p.passwordSet ? 'Set (unchanged)' : 'None';
  return [
    { label: 'Protected phone access', value: enabled ? 'On' : 'Off' },
    { label: 'Phone access', value: enabled ? (state === 'blocked' ? 'Blocked' : 'Unrestricted') : 'Unrestricted (protection off)' },
    { label: 'Password', value: password },
  ];
}

function describeExtension(ext: Extension): { label: string; value: string }[] {
  const p = ext.protection;
  const rows = [
    { label: 'Protected phone access', value: p.enabled ? 'On' : 'Off' },
    { label: 'Phone access', value: p.enabled ? (p.state === 'blocked' ? 'Blocked' : 'Unrestricted') : 'Unrestricted (protection off)' },
    { label: 'Password', value: p.passwordSet ? 'Set' : 'None' },
  ];
  if (p.changedBy) rows.push({ label: 'Changed by', value: `${p.changedBy}${p.changedFrom ? ` from ${p.changedFrom}` : ''}` });
  return rows;
}

function ConflictView({
  boxRef,
  conflict,
  onUsePbx,
  onApplyAgain,
  busy,
}: {
  boxRef: Ref<HTMLDivElement>;
  conflict: Conflict;
  onUsePbx: () => void;
  onApplyAgain: () => void;
  busy: boolean;
}) {
  const titleId = useId();
  const mine = describeAction(conflict.action, conflict.current);
  const theirs = describeExtension(conflict.current);
  return (
    <div className="conflict" role="group" aria-labelledby={titleId} ref={boxRef}>
      <p id={titleId} className="conflict-title" role="alert">
        <ErrorIcon /> Someone else changed this extension before your change was saved. Choose which version to keep.
      </p>
      <div className="conflict-cols">
        <ConflictColumn title="Your change" rows={mine} />
        <ConflictColumn title="Now on the PBX" rows={theirs} />
      </div>
      <div className="form-actions">
        <button type="button" className="btn" onClick={onUsePbx} disabled={busy}>
          Use the PBX version
        </button>
        <button type="button" className="btn primary" onClick={onApplyAgain} disabled={busy}>
          Apply my change again
        </button>
      </div>
    </div>
  );
}

function ConflictColumn({ title, rows }: { title: string; rows: Array<{ label: string; value: string }> }) {
  return (
    <div className="conflict-col">
      <h4>{title}</h4>
      <dl>
        {rows.map((r) => (
          <div key={r.label}>
            <dt>{r.label}</dt>
            <dd>{r.value}</dd>
          </div>
        ))}
      </dl>
    </div>
  );
}

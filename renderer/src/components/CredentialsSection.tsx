// "Credentials" (SPEC F2): one row per credential kind with its state (default PIN, not set, PIN age,
// not compliant), an inline form to set a new value with rule-by-rule feedback from the shared policy
// engine, and for the voicemail PIN: reset to the default and show the default large enough to read out,
// with a printable slip. Writes carry the extension's etag; a 412 shows the PBX's message and reloads.
import { useEffect, useId, useRef, useState } from 'react';
import { useReadOnly } from '../lib/review';
import { ReadOnlyFieldset } from './ReadOnly';
import type { CredentialMeta, Extension, ExtensionCredentialKind } from '../../../shared/domain';
import { ExtensionCredentialKinds } from '../../../shared/domain';
import type { ErrorBody } from '../../../shared/errors';
import { CREDENTIAL_FORMATS, pinRules, type PinCheckContext, type PinPolicy } from '../../../shared/pin-policy';
import { call, errorBody } from '../api';
import { usePolicies } from '../lib/policies';
import { useIsReceptionist } from '../lib/role';
import { absoluteTime, relativeTime, useNow } from '../lib/time';
import { DefaultPinBox, type DefaultPinView } from './DefaultPin';
import { ErrorIcon } from './icons';
import { PinRefusalNotice, PinRuleList } from './PinRuleList';
import { SecretInput } from './SecretInput';
import { DoneStatus } from './Field';

const KIND_LABEL: Record<ExtensionCredentialKind, string> = {
  voicemail_pin: 'Voicemail PIN',
  login_code: 'Login code',
  phone_password: 'Phone password',
  user_password: 'User password',
};

function isExtension(v: unknown): v is Extension {
  return typeof v === 'object' && v !== null && 'etag' in v && 'protection' in v && 'number' in v;
}

/**
 * A 412 from the PBX: reload the extension (from the error body when it carries it) so the next try uses
 * the current version. Returns the message to show.
 */
async function reloadAfterConflict(body: ErrorBody, number: string, onUpdated: (ext: Extension) => void): Promise<ErrorBody> {
  let current: Extension | undefined = isExtension(body.current) ? body.current : undefined;
  if (!current) current = await call('extensions.get', { number }).catch(() => undefined);
  if (current) onUpdated(current);
  return {
    ...body,
    message: `${body.message
      .replace(/[.;]?\s*review the current version and try again\.?$/i, '')
      .replace(/\s*\(now [^)]*\)/, '')}. The latest version is now shown; please try again.`,
  };
}

// ---- the section ---------------------------------------------------------------------------------------

interface Props {
  ext: Extension;
  onUpdated: (ext: Extension) => void;
}


export function CredentialsSection({ ext, onUpdated }: Props) {
  const titleId = useId();
  const policies = usePolicies();
  /** A receptionist may reset the voicemail PIN and read the default, but not set credentials. */
  const receptionist = useIsReceptionist();
  const readOnly = useReadOnly();
  const now = useNow(30_000);
  const [editing, setEditing] = useState<ExtensionCredentialKind | null>(null);
  const [confirmReset, setConfirmReset] = useState(false);
  const [busy, setBusy] = useState<'reset' | 'show' | null>(null);
  const [error, setError] = useState<ErrorBody | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [defaultPin, setDefaultPin] = useState<DefaultPinView | null>(null);
  const changeRefs = useRef<Partial<Record<ExtensionCredentialKind, HTMLButtonElement | null>>>({});
  const resetRef = useRef<HTMLButtonElement>(null);
  const confirmRef = useRef<HTMLButtonElement>(null);
  const errorRef = useRef<HTMLDivElement>(null);

  // Another extension opened in the same panel: start clean.
  const [shownNumber, setShownNumber] = useState(ext.number);
  if (shownNumber !== ext.number) {
    setShownNumber(ext.number);
    setEditing(null);
    setConfirmReset(false);
    setError(null);
    setDone(null);
    setDefaultPin(null);
  }

  useEffect(() => {
    if (confirmReset) confirmRef.current?.focus();
  }, [confirmReset]);
  useEffect(() => {
    if (error) errorRef.current?.scrollIntoView({ block: 'nearest' });
  }, [error]);

  const creds = ext.credentials;
  if (!creds) {
    return (
      <section className="credentials" aria-labelledby={titleId}>
        <h3 id={titleId}>Credentials</h3>
        <p className="notice info">This PBX does not report credentials for its extensions.</p>
      </section>
    );
  }
  const active = ext.status === 'active';

  const policyFor = (kind: ExtensionCredentialKind): PinPolicy | null =>
    policies.status === 'ready' ? (policies.items.find((p) => p.kind === kind)?.policy ?? null) : null;

  const showDefault = async (number: string, label: string) => {
    const r = await call('credentials.defaultVoicemailPin', { number });
    setDefaultPin({ number, label, pin: r.defaultPin, shownAt: Date.now() });
  };

  const reset = async () => {
    setBusy('reset');
    setError(null);
    setDone(null);
    try {
      const result = await call('credentials.resetVoicemailPin', { number: ext.number, etag: ext.etag });
      onUpdated(result);
      setConfirmReset(false);
      setDone('The voicemail PIN is back to its default.');
      await showDefault(result.number, result.label);
    } catch (e) {
      const body = errorBody(e);
      setConfirmReset(false);
      setError(body.code === 'precondition_failed' ? await reloadAfterConflict(body, ext.number, onUpdated) : body);
    } finally {
      setBusy(null);
    }
  };

  const show = async () => {
    setBusy('show');
    setError(null);
    try {
      await showDefault(ext.number, ext.label);
    } catch (e) {
      setError(errorBody(e));
    } finally {
      setBusy(null);
    }
  };

  const closeDefault = () => {
    setDefaultPin(null);
    requestAnimationFrame(() => resetRef.current?.focus());
  };

  return (
    <section className="credentials" aria-labelledby={titleId}>
      <div className="section-title">
        <h3 id={titleId}>Credentials</h3>
      </div>
      {!active ? (
        <p className="notice info">This number is inactive. Credentials can be changed on active numbers only.</p>
      ) : null}
      {policies.status === 'failed' ? (
        <p className="notice info">
          {`The PIN rules could not be loaded (${policies.message}). The PBX still checks every new value when you save.`}
        </p>
      ) : null}

      <ul className="cred-list">
        {ExtensionCredentialKinds.map((kind) => {
          const meta = creds[kind];
          const rowTitleId = `${titleId}-${kind}`;
          return (
            <li key={kind} className="cred-row" aria-labelledby={rowTitleId}>
              <div className="cred-head">
                <span id={rowTitleId} className="cred-name">
                  {KIND_LABEL[kind]}
                </span>
                <CredentialBadges meta={meta} now={now} />
              </div>
              {active && editing !== kind && !readOnly && (!receptionist || kind === 'voicemail_pin') ? (
                <div className="cred-actions">
                  {receptionist ? null : (
                  <button
                    type="button"
                    className="btn small-btn"
                    ref={(el) => {
                      changeRefs.current[kind] = el;
                    }}
                    aria-label={`Change ${KIND_LABEL[kind]}`}
                    onClick={() => {
                      setEditing(kind);
                      setDone(null);
                      setError(null);
                    }}
                  >
                    Change
                  </button>
                  )}
                  {kind === 'voicemail_pin' && !confirmReset ? (
                    <button
                      type="button"
                      className="btn small-btn"
                      ref={resetRef}
                      onClick={() => {
                        setConfirmReset(true);
                        setDone(null);
                        setError(null);
                      }}
                      disabled={busy !== null}
                    >
                      Reset PIN
                    </button>
                  ) : null}
                  {kind === 'voicemail_pin' && meta.isDefault && !confirmReset && !defaultPin ? (
                    <button
                      type="button"
                      className="btn small-btn"
                      onClick={() => void show()}
                      disabled={busy !== null}
                      aria-busy={busy === 'show' || undefined}
                    >
                      Show default PIN
                    </button>
                  ) : null}
                </div>
              ) : null}

              {kind === 'voicemail_pin' && confirmReset ? (
                <div
                  className="confirm-box"
                  role="group"
                  aria-label="Confirm reset"
                  onKeyDown={(e) => {
                    if (e.key === 'Escape') {
                      e.preventDefault();
                      e.stopPropagation();
                      setConfirmReset(false);
                      requestAnimationFrame(() => resetRef.current?.focus());
                    }
                  }}
                >
                  <p>
                    {`Reset the voicemail PIN of ${ext.number} to its default? The user will have to choose a new PIN at the next sign-in.`}
                  </p>
                  <div className="form-actions">
                    <button
                      type="button"
                      className="btn danger"
                      ref={confirmRef}
                      onClick={() => void reset()}
                      disabled={busy !== null}
                      aria-busy={busy === 'reset' || undefined}
                    >
                      Reset PIN
                    </button>
                    <button
                      type="button"
                      className="btn"
                      onClick={() => {
                        setConfirmReset(false);
                        requestAnimationFrame(() => resetRef.current?.focus());
                      }}
                      disabled={busy === 'reset'}
                    >
                      Cancel
                    </button>
                  </div>
                </div>
              ) : null}

              {kind === 'voicemail_pin' && defaultPin && defaultPin.number === ext.number ? (
                <DefaultPinBox view={defaultPin} onDone={closeDefault} />
              ) : null}

              {kind === 'voicemail_pin' && !receptionist && active && ext.voicemail && ext.voicemailTrusted !== undefined ? (
                <ReadOnlyFieldset note={false}>
                <TrustedToggle
                  ext={ext}
                  onUpdated={onUpdated}
                  onResult={(text, err) => {
                    setDone(text);
                    setError(err);
                  }}
                />
                </ReadOnlyFieldset>
              ) : null}

              {editing === kind && !receptionist ? (
                <CredentialForm
                  ext={ext}
                  kind={kind}
                  policy={policyFor(kind)}
                  policiesLoading={policies.status === 'loading'}
                  onCancel={() => {
                    setEditing(null);
                    requestAnimationFrame(() => changeRefs.current[kind]?.focus());
                  }}
                  onSaved={(result) => {
                    onUpdated(result);
                    setEditing(null);
                    setDone(`Saved. The new ${CREDENTIAL_FORMATS[kind].label} is in place.`);
                    requestAnimationFrame(() => changeRefs.current[kind]?.focus());
                  }}
                  onUpdated={onUpdated}
                />
              ) : null}
            </li>
          );
        })}
      </ul>

      {error ? (
        <div className="notice error" role="alert" ref={errorRef}>
          <ErrorIcon />
          <span>{error.message}</span>
        </div>
      ) : null}

      <DoneStatus text={done} />
    </section>
  );
}

/**
 * "Trusted extension" (SPEC F2; admins only): calls from the extension itself reach its mailbox without the
 * PIN. A native checkbox (Space toggles it); it saves at once with the extension's etag. What happened is
 * reported through the section's one status line and error notice (onResult).
 */
function TrustedToggle({
  ext,
  onUpdated,
  onResult,
}: {
  ext: Extension;
  onUpdated: (ext: Extension) => void;
  onResult: (done: string | null, error: ErrorBody | null) => void;
}) {
  const id = useId();
  const hintId = `${id}-hint`;
  const [busy, setBusy] = useState(false);
  const trusted = ext.voicemailTrusted === true;

  const toggle = async (next: boolean) => {
    if (busy) return;
    setBusy(true);
    onResult(null, null);
    try {
      const result = await call('credentials.setVoicemailTrusted', { number: ext.number, etag: ext.etag, trusted: next });
      onUpdated(result);
      onResult(
        next
          ? `Extension ${ext.number} is trusted: calls from it reach its mailbox without the PIN.`
          : `Extension ${ext.number} is no longer trusted: its mailbox asks for the PIN again.`,
        null,
      );
    } catch (e) {
      const body = errorBody(e);
      onResult(null, body.code === 'precondition_failed' ? await reloadAfterConflict(body, ext.number, onUpdated) : body);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="cred-trusted">
      <div className="check-field">
        <input
          id={id}
          type="checkbox"
          checked={trusted}
          aria-describedby={hintId}
          aria-busy={busy || undefined}
          onChange={(e) => void toggle(e.target.checked)}
        />
        <label htmlFor={id}>{`Trusted: ${ext.number}'s own phone opens its voicemail without the PIN`}</label>
      </div>
      <p id={hintId} className="field-hint">
        {`Calls from any other phone still need the PIN. Only for a phone nobody else uses: anyone at ${ext.number}'s phone could then listen to its messages.`}
      </p>
    </div>
  );
}

function CredentialBadges({ meta, now }: { meta: CredentialMeta; now: number }) {
  return (
    <span className="cred-badges">
      {meta.isDefault ? (
        <span className="badge badge-default-pin">Default PIN</span>
      ) : !meta.set ? (
        <span className="badge badge-off">Not set</span>
      ) : (
        <span className="badge badge-cred-set" title={meta.setAt ? absoluteTime(meta.setAt) : undefined}>
          {meta.setAt ? `Set ${relativeTime(meta.setAt, now)}` : 'Set'}
        </span>
      )}
      {meta.compliant === false ? <span className="badge badge-noncompliant">Not compliant</span> : null}
    </span>
  );
}

// ---- the inline form --------------------------------------------------------------------------------

interface FormProps {
  ext: Extension;
  kind: ExtensionCredentialKind;
  policy: PinPolicy | null;
  policiesLoading: boolean;
  onCancel: () => void;
  onSaved: (ext: Extension) => void;
  onUpdated: (ext: Extension) => void;
}

/** The value the PBX refused and the rules it named, so the list can show them as unmet for that value. */
interface Refusal {
  value: string;
  rules: Set<string>;
}

function CredentialForm({ ext, kind, policy, policiesLoading, onCancel, onSaved, onUpdated }: FormProps) {
  const ids = useId();
  const inputId = `${ids}-value`;
  const rulesId = `${ids}-rules`;
  const hintId = `${ids}-hint`;
  const label = KIND_LABEL[kind];
  const format = CREDENTIAL_FORMATS[kind];
  const [value, setValue] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ErrorBody | null>(null);
  const [refusal, setRefusal] = useState<Refusal | null>(null);
  const inputRef = useRef<HTMLInputElement>(null);
  const errorRef = useRef<HTMLDivElement>(null);
  const actionsRef = useRef<HTMLDivElement>(null);

  useEffect(() => {
    inputRef.current?.focus();
  }, []);
  useEffect(() => {
    if (error) errorRef.current?.scrollIntoView({ block: 'nearest' });
  }, [error]);
  useEffect(() => {
    // While typing, keep the rule feedback and the Save button in view.
    if (value !== '' && document.activeElement === inputRef.current) actionsRef.current?.scrollIntoView({ block: 'nearest' });
  }, [value]);

  // What the PBX said about exactly this value feeds the engine, so its rule shows as unmet.
  const context: PinCheckContext = { extension: ext.number };
  if (refusal && refusal.value === value) {
    if (refusal.rules.has('pin_reused')) context.reused = true;
    if (refusal.rules.has('pin_is_default')) context.defaultPin = value;
  }
  const rules = policy ? pinRules(value, policy, context) : [];
  const unmet = rules.some((r) => r.met === false);
  const canSave = value !== '' && !unmet && !busy;
  const saveHint = value === '' ? null : unmet ? `Fix the ${format.label} first.` : null;

  const save = async () => {
    setBusy(true);
    setError(null);
    try {
      const result = await call('credentials.set', { number: ext.number, etag: ext.etag, kind, value });
      onSaved(result);
    } catch (e) {
      const body = errorBody(e);
      if (body.code === 'precondition_failed') {
        setError(await reloadAfterConflict(body, ext.number, onUpdated));
      } else {
        if (body.code === 'pin_policy_violation' && body.details) {
          setRefusal({ value, rules: new Set(body.details.map((d) => d.rule)) });
        }
        setError(body);
        // The Save button is now disabled (a clicked button loses focus): back to the field to try another.
        requestAnimationFrame(() => inputRef.current?.focus());
      }
    } finally {
      setBusy(false);
    }
  };

  return (
    <form
      className="cred-form"
      noValidate
      aria-label={`Change ${label}`}
      onSubmit={(e) => {
        e.preventDefault();
        if (canSave) void save();
      }}
      onKeyDown={(e) => {
        if (e.key === 'Escape') {
          e.preventDefault();
          e.stopPropagation();
          onCancel();
        }
      }}
    >
      <div className={`field${unmet ? ' has-error' : ''}`}>
        <label htmlFor={inputId}>{`New ${label.charAt(0).toLowerCase()}${label.slice(1)}`}</label>
        <SecretInput
          id={inputId}
          inputRef={inputRef}
          value={value}
          onChange={(v) => {
            setValue(v);
            if (error && error.code !== 'precondition_failed') setError(null);
          }}
          digitsOnly={format.digitsOnly}
          invalid={unmet}
          describedBy={`${rulesId}${saveHint ? ` ${hintId}` : ''}`}
        />
        {policy ? (
          <PinRuleList id={rulesId} rules={rules} value={value} what={format.label} />
        ) : (
          <p id={rulesId} className="field-hint">
            {policiesLoading ? 'Loading the rules…' : 'The PBX checks the rules when you save.'}
          </p>
        )}
      </div>

      {error ? <PinRefusalNotice error={error} what={format.label} rules={rules} boxRef={errorRef} /> : null}

      <div className="form-actions" ref={actionsRef}>
        <button type="submit" className="btn primary" disabled={!canSave} aria-busy={busy || undefined}>
          Save
        </button>
        <button type="button" className="btn" onClick={onCancel} aria-keyshortcuts="Escape">
          Cancel
        </button>
        {saveHint && !busy ? (
          <span id={hintId} className="muted small">
            {saveHint}
          </span>
        ) : null}
      </div>
    </form>
  );
}

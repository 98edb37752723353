// The fields an account's settings share between "Login settings" (your own) and the account dialogs (admins):
// the email addresses (one field, `;`-separated, each entry checked as you type and named when it is wrong), the
// API access switch with what HTTP Basic means, the token validity picker (a number and a unit, or one of the
// common choices, with the exact range in minutes), and the sites an account is limited to.
import { useId } from 'react';
import type { Site } from '../../../shared/domain';
import {
  describeMinutes,
  readValidity,
  UNIT_MINUTES,
  VALIDITY_PRESETS,
  VALIDITY_RANGE_TEXT,
  VALIDITY_UNITS,
  type ValidityUnit,
} from '../lib/accounts';
import { ErrorIcon } from './icons';
import '../screens/accounts.css';

export function EmailsField({ value, onChange, problems, serverError }: { value: string; onChange: (v: string) => void; problems: string[]; serverError?: string | null }) {
  const id = useId();
  const errors = serverError ? [...problems, serverError] : problems;
  return (
    <div className={`field${errors.length ? ' has-error' : ''}`}>
      <label htmlFor={id}>Email addresses</label>
      <input
        id={id}
        type="text"
        value={value}
        spellCheck={false}
        autoComplete="off"
        placeholder="jane@example.com; Jane Doe <jane.doe@example.com>"
        aria-invalid={errors.length > 0 || undefined}
        aria-describedby={`${id}-hint${errors.length ? ` ${id}-error` : ''}`}
        onChange={(e) => onChange(e.target.value)}
      />
      <p id={`${id}-hint`} className="field-hint">
        Separate addresses with <kbd>;</kbd>. A name may go first: <span className="mono">Jane Doe &lt;jane@example.com&gt;</span>. Leave empty for none.
      </p>
      {errors.length ? (
        <ul id={`${id}-error`} className="field-error detail-list" role="alert">
          {errors.map((p) => (
            <li key={p}>{p}</li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

export function ApiAccessField({
  checked,
  onChange,
  allowlistEmpty,
  disabledReason,
}: {
  checked: boolean;
  onChange: (v: boolean) => void;
  /** null = not known (the allowlist could not be read). */
  allowlistEmpty: boolean | null;
  /** Why it cannot be turned on here (a receptionist account), or null. */
  disabledReason?: string | null;
}) {
  const id = useId();
  return (
    <div className="api-access">
      <div className="check-field">
        <input
          id={id}
          type="checkbox"
          role="switch"
          checked={checked}
          disabled={!!disabledReason}
          onChange={(e) => onChange(e.target.checked)}
          aria-describedby={`${id}-what${checked && allowlistEmpty ? ` ${id}-warn` : ''}`}
        />
        <label htmlFor={id}>API access with HTTP Basic authentication</label>
      </div>
      <p id={`${id}-what`} className="field-hint">
        {disabledReason ??
          'On: scripts and tools may call the PBX’s management API by sending this username and password with every request, without signing in first. Off: only a sign-in token works (like the one this console uses), so a leaked password alone cannot be used from a script.'}
      </p>
      {checked && allowlistEmpty ? (
        <p id={`${id}-warn`} className="notice warn-notice small" role="alert">
          <ErrorIcon />
          <span>
            The admin allowlist is empty, so this password would work from <strong>every address</strong>. Add the addresses your scripts run
            from under “Who may manage this PBX”.
          </span>
        </p>
      ) : null}
    </div>
  );
}

export interface ValidityDraft {
  amount: string;
  unit: ValidityUnit;
}

export function ValidityField({ value, onChange, serverError }: { value: ValidityDraft; onChange: (v: ValidityDraft) => void; serverError?: string | null }) {
  const id = useId();
  const r = readValidity(value.amount, value.unit);
  const error = r.ok ? (serverError ?? null) : r.message;
  const presetValue = r.ok ? (VALIDITY_PRESETS.find((p) => p.minutes === r.minutes)?.minutes ?? '') : '';
  return (
    <fieldset className={`field validity-field${error ? ' has-error' : ''}`} aria-describedby={`${id}-hint${error ? ` ${id}-error` : ''}`}>
      <legend>Sign-in token validity</legend>
      <div className="validity-row">
        <label htmlFor={`${id}-amount`} className="sr-only">
          Token validity amount
        </label>
        <input
          id={`${id}-amount`}
          className="validity-amount"
          type="text"
          inputMode="numeric"
          value={value.amount}
          aria-invalid={!r.ok || undefined}
          onChange={(e) => onChange({ ...value, amount: e.target.value })}
        />
        <label htmlFor={`${id}-unit`} className="sr-only">
          Token validity unit
        </label>
        <select id={`${id}-unit`} value={value.unit} onChange={(e) => onChange({ ...value, unit: e.target.value as ValidityUnit })}>
          {VALIDITY_UNITS.map((u) => (
            <option key={u} value={u}>
              {u}
            </option>
          ))}
        </select>
        <label htmlFor={`${id}-preset`} className="validity-or">
          or
        </label>
        <select
          id={`${id}-preset`}
          aria-label="Common choices"
          value={presetValue}
          onChange={(e) => {
            const m = Number(e.target.value);
            if (!m) return;
            const unit: ValidityUnit = m % UNIT_MINUTES.days === 0 ? 'days' : 'hours';
            onChange({ amount: String(m / UNIT_MINUTES[unit]), unit });
          }}
        >
          <option value="">Common choices…</option>
          {VALIDITY_PRESETS.map((p) => (
            <option key={p.minutes} value={p.minutes}>
              {p.label}
            </option>
          ))}
        </select>
      </div>
      <p id={`${id}-hint`} className="field-hint">
        {r.ok ? `${describeMinutes(r.minutes)} = ${r.minutes.toLocaleString('en-US')} minutes. ` : ''}
        How long a sign-in lasts before the password is needed again. {VALIDITY_RANGE_TEXT}
      </p>
      {error ? (
        <p id={`${id}-error`} className="field-error">
          <ErrorIcon /> <span>{error}</span>
        </p>
      ) : null}
    </fieldset>
  );
}

/** Every site (null), or only some: the receptionist of a branch sees and acts on that branch's extensions only. */
export function SitesField({
  value,
  onChange,
  sites,
  error,
}: {
  value: string[] | null;
  onChange: (v: string[] | null) => void;
  sites: readonly Site[] | null;
  error?: string | null;
}) {
  const id = useId();
  const limited = value !== null;
  return (
    <fieldset className={`field sites-field${error ? ' has-error' : ''}`} aria-describedby={error ? `${id}-error` : undefined}>
      <legend>Sites</legend>
      <div className="check-field">
        <input id={`${id}-all`} type="radio" name={`${id}-scope`} checked={!limited} onChange={() => onChange(null)} />
        <label htmlFor={`${id}-all`}>Every site</label>
      </div>
      <div className="check-field">
        <input id={`${id}-some`} type="radio" name={`${id}-scope`} checked={limited} onChange={() => onChange(value ?? [])} />
        <label htmlFor={`${id}-some`}>Only these sites:</label>
      </div>
      {limited ? (
        sites ? (
          <div className="site-checks">
            {sites.map((s) => (
              <div className="check-field" key={s.id}>
                <input
                  id={`${id}-${s.id}`}
                  type="checkbox"
                  checked={value.includes(s.id)}
                  onChange={(e) => onChange(e.target.checked ? [...value, s.id] : value.filter((x) => x !== s.id))}
                />
                <label htmlFor={`${id}-${s.id}`}>{s.name}</label>
              </div>
            ))}
          </div>
        ) : (
          <p className="muted small">Loading the sites…</p>
        )
      ) : null}
      {error ? (
        <p id={`${id}-error`} className="field-error">
          <ErrorIcon /> <span>{error}</span>
        </p>
      ) : null}
    </fieldset>
  );
}

/** The field a 409/422 from the PBX is about (its details name it), for showing it in place. */
export function fieldErrors(details: readonly { field: string; message: string }[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const d of details ?? []) {
    const key = d.field.split('.')[0] ?? d.field;
    out[key] = out[key] ? `${out[key]}; ${d.message}` : d.message;
  }
  return out;
}

// "Login settings" (issue 6 / SPEC F5), for both roles: the signed-in account's own username (case-sensitive, no
// "@"), email addresses, API access (administrators only: HTTP Basic), how long a sign-in lasts, and its password
// (the Change password dialog). Every field is checked as you type with the PBX's own rules; Save sends If-Match,
// and when someone else changed the account meanwhile (412) both versions are shown side by side.
import { useCallback, useEffect, useId, useMemo, useRef, useState } from 'react';
import { ACCOUNT_WARNING_TEXT, AccountSchema, type Account } from '../../../shared/accounts';
import type { ErrorBody } from '../../../shared/errors';
import { call, errorBody } from '../api';
import { emailsText, readEmails, readValidity, settingsRows, splitValidity, usernameFieldProblem, type AccountSettings, notifyAccountsChanged } from '../lib/accounts';
import { subscribeEvents } from '../lib/events';
import { useRole } from '../lib/role';
import { absoluteTime } from '../lib/time';
import { ApiAccessField, EmailsField, fieldErrors, ValidityField, type ValidityDraft } from './AccountFields';
import { ChangePasswordDialog } from './ChangePasswordDialog';
import { ErrorLine, ErrorNotice } from './ErrorNotice';
import { DoneStatus, Field } from './Field';
import { ErrorIcon } from './icons';
import { PolicyConflict } from './PolicyConflict';

interface Draft {
  username: string;
  emails: string;
  apiAccess: boolean;
  validity: ValidityDraft;
}

function draftOf(a: Account): Draft {
  return { username: a.username, emails: emailsText(a.emails), apiAccess: a.apiAccess, validity: splitValidity(a.tokenValidityMinutes) };
}

const NO_SITES = new Map<string, string>();

/** What the login settings edit (not role and sites): both versions of a conflict list the same rows. */
function ownSettings(a: Account): AccountSettings {
  return { username: a.username, emails: a.emails, apiAccess: a.apiAccess, tokenValidityMinutes: a.tokenValidityMinutes };
}

export function LoginSettingsSection({ online }: { online: boolean }) {
  const ids = useId();
  const admin = useRole() === 'admin';
  const [saved, setSaved] = useState<Account | null>(null);
  /** What this render shows as saved, and the draft: for load(), which decides whether to follow a change. */
  const savedRef = useRef<Account | null>(null);
  savedRef.current = saved;
  const [draft, setDraft] = useState<Draft | null>(null);
  const draftRef = useRef<Draft | null>(null);
  draftRef.current = draft;
  const [loadError, setLoadError] = useState<string | null>(null);
  const [allowlistEmpty, setAllowlistEmpty] = useState<boolean | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ErrorBody | null>(null);
  const [conflict, setConflict] = useState<Account | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [changingPassword, setChangingPassword] = useState(false);
  /** A new username needs the current password (a stolen session alone cannot rename the account). */
  const [currentPw, setCurrentPw] = useState('');
  const passwordButton = useRef<HTMLButtonElement>(null);

  const load = useCallback(async () => {
    try {
      const a = await call('loginSettings.get', {});
      const before = savedRef.current;
      const d = draftRef.current;
      // an untouched form follows a change made elsewhere; one being edited keeps its edits AND the version they
      // were made on, so Save gets the PBX's 412 and shows both versions (never a silent overwrite)
      const untouched = d === null || before === null || JSON.stringify(d) === JSON.stringify(draftOf(before));
      if (untouched) {
        setSaved(a);
        setDraft(draftOf(a));
      }
      setLoadError(null);
    } catch (e) {
      setLoadError(errorBody(e).message);
    }
    if (admin) {
      call('admin.allowlist', {})
        .then((l) => setAllowlistEmpty(l.entries.length === 0))
        .catch(() => setAllowlistEmpty(null));
    }
  }, [admin]);

  useEffect(() => {
    void load();
    return subscribeEvents((e) => {
      // a resync, or the connection's own account changed (a password set from the banner, a rename)
      if (e.kind === 'resync' || (e.kind === 'connection' && e.status.state === 'online')) void load();
      // your account changed from another console (or by another admin)
      else if (e.kind === 'pbx' && e.event.type === 'admin.changed' && e.event.what === 'accounts') void load();
    });
  }, [load]);

  const emails = useMemo(() => readEmails(draft?.emails ?? ''), [draft?.emails]);
  const usernameError = draft ? usernameFieldProblem(draft.username) : null;
  const validity = draft ? readValidity(draft.validity.amount, draft.validity.unit) : null;
  const renaming = !!saved && !!draft && draft.username !== saved.username && saved.hasPassword;
  const valid = !!draft && !usernameError && emails.problems.length === 0 && !!validity?.ok && (!renaming || currentPw !== '');
  const changed =
    !!saved &&
    !!draft &&
    (draft.username !== saved.username ||
      emailsText(emails.emails) !== emailsText(saved.emails) ||
      draft.apiAccess !== saved.apiAccess ||
      (validity?.ok ? validity.minutes : -1) !== saved.tokenValidityMinutes);
  const serverField = fieldErrors(error?.details);

  const edit = (patch: Partial<Draft>) => {
    setDraft((d) => (d ? { ...d, ...patch } : d));
    setDone(null);
  };

  const save = async () => {
    if (!saved || !draft || !valid || !validity?.ok) return;
    setBusy(true);
    setError(null);
    setDone(null);
    try {
      const next = await call('loginSettings.set', {
        etag: saved.etag,
        username: draft.username,
        emails: draft.emails,
        apiAccess: admin ? draft.apiAccess : saved.apiAccess,
        tokenValidityMinutes: validity.minutes,
        ...(renaming ? { currentPassword: currentPw } : {}),
      });
      setCurrentPw('');
      setSaved(next);
      setDraft(draftOf(next));
      setConflict(null);
      notifyAccountsChanged();
      setDone(next.username !== saved.username ? `Saved. You are now signed in as ${next.username}.` : 'Login settings saved.');
    } catch (e) {
      const b = errorBody(e);
      const current = b.code === 'precondition_failed' ? AccountSchema.safeParse(b.current) : null;
      if (current?.success) setConflict({ ...current.data, etag: b.currentEtag ?? current.data.etag });
      else if (b.code === 'conflict') setError({ ...b, details: b.details?.length ? b.details : [{ field: 'username', rule: 'unique', message: b.message }] });
      else setError(b);
    } finally {
      setBusy(false);
    }
  };

  const mineRows =
    draft && valid && validity?.ok
      ? settingsRows({ username: draft.username, emails: emails.emails, apiAccess: draft.apiAccess, tokenValidityMinutes: validity.minutes }, NO_SITES)
      : null;

  return (
    <section className="policy-editor lock-section login-settings" aria-labelledby={`${ids}-title`}>
      <div className="section-head">
        <h2 id={`${ids}-title`}>Login settings</h2>
        <span className="muted small">How you sign in to this PBX{saved ? ` as ${saved.username}` : ''}.</span>
      </div>
      <ErrorLine text={loadError ? `Could not read your login settings: ${loadError}` : null}>
        <button type="button" className="btn small-btn" onClick={() => void load()} disabled={!online}>
          Try again
        </button>
      </ErrorLine>
      {saved && draft ? (
        <>
          {saved.warnings.length ? (
            <ul className="account-warnings" aria-label="Warnings about your account">
              {saved.warnings.map((w) => (
                <li key={w} className="notice warn-notice small">
                  <ErrorIcon />
                  <span>
                    <strong>{saved.username}</strong> {ACCOUNT_WARNING_TEXT[w]}
                  </span>
                </li>
              ))}
            </ul>
          ) : null}
          <div className="password-line">
            <span>
              <strong>Password: </strong>
              {saved.hasPassword ? (
                <span>{saved.passwordSetAt ? `set on ${absoluteTime(saved.passwordSetAt)}` : 'set'}</span>
              ) : (
                <span className="badge badge-blocked">No password</span>
              )}
            </span>
            <button
              type="button"
              ref={passwordButton}
              className={`btn small-btn${saved.hasPassword ? '' : ' primary'}`}
              onClick={() => {
                setChangingPassword(true);
                setDone(null);
              }}
              disabled={!online}
            >
              {saved.hasPassword ? 'Change password…' : 'Set a password…'}
            </button>
          </div>
          <form
            className="account-form"
            noValidate
            aria-label="Login settings"
            onSubmit={(e) => {
              e.preventDefault();
              if (changed) void save();
            }}
          >
            <Field
              label="Username"
              value={draft.username}
              autoComplete="off"
              spellCheck={false}
              onChange={(e) => edit({ username: e.target.value })}
              error={usernameError ?? serverField['username']}
              hint="Case-sensitive; no “@”. Renaming keeps your sessions and passkeys; this console switches to the new name."
            />
            {renaming ? (
              <Field
                label="Your current password (to rename the account)"
                type="password"
                autoComplete="current-password"
                value={currentPw}
                onChange={(e) => setCurrentPw(e.target.value)}
                error={serverField['currentPassword']}
                hint="A new username is a new way to sign in, so the PBX asks for your password first."
              />
            ) : null}
            <EmailsField value={draft.emails} onChange={(v) => edit({ emails: v })} problems={emails.problems} serverError={serverField['emails'] ?? null} />
            {admin ? (
              <ApiAccessField checked={draft.apiAccess} onChange={(v) => edit({ apiAccess: v })} allowlistEmpty={allowlistEmpty} />
            ) : null}
            <ValidityField value={draft.validity} onChange={(v) => edit({ validity: v })} serverError={serverField['tokenValidityMinutes'] ?? null} />
            {error && !conflict ? <ErrorNotice error={error} /> : null}
            {conflict ? (
              <PolicyConflict
                title={`Your account was changed elsewhere${conflict.updatedBy ? ` (by ${conflict.updatedBy}${conflict.updatedAt ? `, ${absoluteTime(conflict.updatedAt)}` : ''})` : ''} while you were editing. Your changes are not saved yet.`}
                mineTitle="Your version"
                theirsTitle="Now on the PBX"
                mine={mineRows}
                theirs={settingsRows(ownSettings(conflict), NO_SITES)}
                focusOnShow
                onUsePbx={() => {
                  setSaved(conflict);
                  setDraft(draftOf(conflict));
                  setConflict(null);
                  notifyAccountsChanged();
                }}
                onKeepMine={() => {
                  setSaved(conflict);
                  setConflict(null);
                }}
              />
            ) : null}
            <div className="form-actions">
              <button type="submit" className="btn primary" disabled={!online || busy || !changed || !valid || !!conflict} aria-busy={busy || undefined}>
                Save login settings
              </button>
              <button
                type="button"
                className="btn"
                disabled={busy || !changed}
                onClick={() => {
                  setDraft(draftOf(saved));
                  setError(null);
                }}
              >
                Undo changes
              </button>
              <span className="muted small">{saved.updatedAt ? `Last changed ${absoluteTime(saved.updatedAt)} by ${saved.updatedBy ?? 'system'}` : 'Never changed'}</span>
            </div>
            <DoneStatus text={done} />
          </form>
        </>
      ) : !loadError ? (
        <p className="loading">Loading…</p>
      ) : null}
      {changingPassword && saved ? (
        <ChangePasswordDialog
          target={{ username: saved.username, hasPassword: saved.hasPassword, own: true }}
          online={online}
          onClose={() => setChangingPassword(false)}
          onDone={(text) => {
            setChangingPassword(false);
            setDone(text);
            void load();
            notifyAccountsChanged();
          }}
          fallbackFocus={() => passwordButton.current}
        />
      ) : null}
    </section>
  );
}

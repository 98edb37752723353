// "Accounts" (issue 6 / SPEC F5; administrators): every admin and receptionist account of this PBX — role, sites,
// whether it has a password, API access, how long its sign-ins last, passkeys, and its warnings as badges (no
// password; HTTP Basic while the allowlist is empty). An administrator for every site creates accounts, edits
// them (a new username renames), sets their passwords and deletes them after a confirmation; an administrator
// limited to some sites sees the list with the buttons disabled and the reason next to them (the PBX's rule).
// Errors of the PBX are shown where they happened: in the dialog, next to the field they name.
import { useCallback, useEffect, useId, useMemo, useRef, useState } from 'react';
import { useReadOnly } from '../lib/review';
import { ACCOUNT_WARNING_TEXT, AccountSchema, type Account, type AccountWarning } from '../../../shared/accounts';
import type { Role, Site } from '../../../shared/domain';
import type { ErrorBody } from '../../../shared/errors';
import { call, errorBody } from '../api';
import {
  deleteProblem,
  describeMinutes,
  emailsText,
  manageAccountsProblem,
  onAccountsChanged,
  passwordFormProblem,
  passwordRules,
  readEmails,
  readValidity,
  ROLE_TEXT,
  settingsRows,
  sitesText,
  sortAccounts,
  splitValidity,
  usernameFieldProblem,
} from '../lib/accounts';
import { subscribeEvents } from '../lib/events';
import { TOKEN_VALIDITY_DEFAULT_MINUTES } from '../../../shared/accounts';
import { ApiAccessField, EmailsField, fieldErrors, SitesField, ValidityField, type ValidityDraft } from './AccountFields';
import { ChangePasswordDialog, PasswordRules } from './ChangePasswordDialog';
import { ErrorLine, ErrorNotice } from './ErrorNotice';
import { DoneStatus, Field } from './Field';
import { ErrorIcon } from './icons';
import { ConfirmActions, ModalDialog } from './ModalDialog';
import { PolicyConflict } from './PolicyConflict';
import { SecretInput } from './SecretInput';

const WARNING_BADGE: Record<AccountWarning, string> = {
  no_password: 'No password',
  basic_without_allowlist: 'HTTP Basic from anywhere',
};

type Dialog = { kind: 'create' } | { kind: 'edit'; account: Account } | { kind: 'password'; account: Account } | { kind: 'delete'; account: Account };

export function AccountsSection({ online }: { online: boolean }) {
  const ids = useId();
  const [items, setItems] = useState<Account[] | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [sites, setSites] = useState<Site[] | null>(null);
  const [allowlistEmpty, setAllowlistEmpty] = useState<boolean | null>(null);
  const [dialog, setDialog] = useState<Dialog | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const headingRef = useRef<HTMLHeadingElement>(null);

  const load = useCallback(async () => {
    try {
      const res = await call('accounts.list', {});
      setItems(sortAccounts(res.items));
      // every site by name (GET /sites answers a site-limited admin only their own)
      setSites(res.sites);
      setLoadError(null);
    } catch (e) {
      setLoadError(errorBody(e).message);
    }
  }, []);
  useEffect(() => {
    void load();
    call('admin.allowlist', {})
      .then((l) => setAllowlistEmpty(l.entries.length === 0))
      .catch(() => setAllowlistEmpty(null));
    const stop = subscribeEvents((e) => {
      if (e.kind === 'resync' || (e.kind === 'connection' && e.status.state === 'online')) void load();
      // an account changed (here or from another console), or the allowlist (the Basic warning depends on it)
      else if (e.kind === 'pbx' && e.event.type === 'admin.changed') void load();
    });
    // your own login settings saved above: your row changes too
    const stopOwn = onAccountsChanged(() => void load());
    return () => {
      stop();
      stopOwn();
    };
  }, [load]);

  const siteNames = useMemo(() => new Map((sites ?? []).map((s) => [s.id, s.name])), [sites]);
  const me = items?.find((a) => a.you) ?? null;
  const readOnly = useReadOnly();
  const manageProblem = readOnly ?? (items ? manageAccountsProblem(me) : 'Loading…');
  const canManage = manageProblem === null && online;
  const close = () => setDialog(null);
  const finished = (text: string) => {
    setDialog(null);
    setDone(text);
    void load();
  };

  return (
    <section className="lock-section accounts-section" aria-labelledby={`${ids}-title`}>
      <div className="section-head">
        <h2 id={`${ids}-title`} ref={headingRef} tabIndex={-1}>
          Accounts
        </h2>
        <span className="muted small">Who may sign in to manage this PBX: administrators and receptionists.</span>
        <div className="section-actions">
          <button
            type="button"
            className="btn small-btn primary"
            disabled={!canManage}
            aria-describedby={manageProblem ? `${ids}-why` : undefined}
            onClick={() => {
              setDone(null);
              setDialog({ kind: 'create' });
            }}
          >
            Add account…
          </button>
        </div>
      </div>
      {manageProblem && items ? (
        <p id={`${ids}-why`} className="notice info small">
          {manageProblem}
        </p>
      ) : null}
      <ErrorLine text={loadError ? `Could not read the accounts: ${loadError}` : null}>
        <button type="button" className="btn small-btn" onClick={() => void load()} disabled={!online}>
          Try again
        </button>
      </ErrorLine>
      <DoneStatus text={done} />
      {items ? (
        <div className="table-wrap">
          <table className="data-table accounts-table" aria-labelledby={`${ids}-title`}>
            <thead>
              <tr>
                <th scope="col">Username</th>
                <th scope="col">Role</th>
                <th scope="col">Sites</th>
                <th scope="col">Password</th>
                <th scope="col">API access</th>
                <th scope="col">Sign-ins last</th>
                <th scope="col" className="num">
                  Passkeys
                </th>
                <th scope="col">Warnings</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((a) => {
                const delWhy = deleteProblem(a, items);
                return (
                  <tr key={a.username} data-username={a.username} className={a.you ? 'current' : undefined}>
                    <th scope="row">
                      <span className="c-user">
                        <span className="mono">{a.username}</span>
                        {a.you ? <span className="badge badge-current">You</span> : null}
                        {a.emails.length ? <span className="muted small account-emails">{a.emails.join('; ')}</span> : null}
                      </span>
                    </th>
                    <td>{ROLE_TEXT[a.role]}</td>
                    <td>{sitesText(a.sites, siteNames)}</td>
                    <td>{a.hasPassword ? <span className="badge badge-cred-set">Set</span> : <span className="badge badge-blocked">Not set</span>}</td>
                    <td>{a.apiAccess ? 'HTTP Basic on' : <span className="muted">Off</span>}</td>
                    <td>{describeMinutes(a.tokenValidityMinutes)}</td>
                    <td className="num">{a.passkeys}</td>
                    <td>
                      {a.warnings.length ? (
                        <span className="warning-badges">
                          {a.warnings.map((w) => (
                            <span key={w} className="badge badge-warning" title={`${a.username} ${ACCOUNT_WARNING_TEXT[w]}`}>
                              {WARNING_BADGE[w]}
                              <span className="sr-only">{`: ${a.username} ${ACCOUNT_WARNING_TEXT[w]}`}</span>
                            </span>
                          ))}
                        </span>
                      ) : (
                        <span className="muted">None</span>
                      )}
                    </td>
                    <td className="c-more">
                      <span className="row-actions">
                        <button
                          type="button"
                          className="btn small-btn"
                          disabled={!canManage}
                          aria-label={`Edit ${a.username}`}
                          onClick={() => {
                            setDone(null);
                            setDialog({ kind: 'edit', account: a });
                          }}
                        >
                          Edit…
                        </button>
                        <button
                          type="button"
                          className="btn small-btn"
                          disabled={!canManage}
                          aria-label={`Set the password of ${a.username}`}
                          onClick={() => {
                            setDone(null);
                            setDialog({ kind: 'password', account: a });
                          }}
                        >
                          Password…
                        </button>
                        <button
                          type="button"
                          className="btn small-btn danger-text"
                          disabled={!canManage || !!delWhy}
                          title={canManage ? (delWhy ?? undefined) : undefined}
                          aria-label={`Delete ${a.username}${canManage && delWhy ? ` (${delWhy})` : ''}`}
                          onClick={() => {
                            setDone(null);
                            setDialog({ kind: 'delete', account: a });
                          }}
                        >
                          Delete…
                        </button>
                      </span>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      ) : !loadError ? (
        <p className="loading">Loading…</p>
      ) : null}
      {items && items.some((a) => a.warnings.length) ? (
        <ul className="account-warning-legend small" aria-label="What the warnings mean">
          {(['no_password', 'basic_without_allowlist'] as const)
            .filter((w) => items.some((a) => a.warnings.includes(w)))
            .map((w) => (
              <li key={w}>
                <span className="badge badge-warning">{WARNING_BADGE[w]}</span>{' '}
                {`${items
                  .filter((a) => a.warnings.includes(w))
                  .map((a) => a.username)
                  .join(', ')} ${ACCOUNT_WARNING_TEXT[w]}`}
              </li>
            ))}
        </ul>
      ) : null}

      {dialog?.kind === 'create' || dialog?.kind === 'edit' ? (
        <AccountDialog
          account={dialog.kind === 'edit' ? dialog.account : null}
          sites={sites}
          siteNames={siteNames}
          allowlistEmpty={allowlistEmpty}
          online={online}
          onClose={close}
          onDone={finished}
          fallbackFocus={() => headingRef.current}
        />
      ) : null}
      {dialog?.kind === 'password' ? (
        <ChangePasswordDialog
          target={{ username: dialog.account.username, hasPassword: dialog.account.hasPassword, own: dialog.account.you }}
          online={online}
          onClose={close}
          onDone={finished}
          fallbackFocus={() => headingRef.current}
        />
      ) : null}
      {dialog?.kind === 'delete' ? (
        <DeleteDialog account={dialog.account} online={online} onClose={close} onDone={finished} fallbackFocus={() => headingRef.current} />
      ) : null}
    </section>
  );
}

// ---- create / edit ---------------------------------------------------------------------------------------

interface Draft {
  username: string;
  role: Role;
  sites: string[] | null;
  emails: string;
  apiAccess: boolean;
  validity: ValidityDraft;
}

function draftOf(a: Account | null): Draft {
  if (!a) return { username: '', role: 'receptionist', sites: null, emails: '', apiAccess: false, validity: splitValidity(TOKEN_VALIDITY_DEFAULT_MINUTES) };
  return {
    username: a.username,
    role: a.role,
    sites: a.sites && a.sites.length ? [...a.sites] : null,
    emails: emailsText(a.emails),
    apiAccess: a.apiAccess,
    validity: splitValidity(a.tokenValidityMinutes),
  };
}

function AccountDialog({
  account,
  sites,
  siteNames,
  allowlistEmpty,
  online,
  onClose,
  onDone,
  fallbackFocus,
}: {
  /** null = a new account. */
  account: Account | null;
  sites: readonly Site[] | null;
  siteNames: ReadonlyMap<string, string>;
  allowlistEmpty: boolean | null;
  online: boolean;
  onClose: () => void;
  onDone: (text: string) => void;
  fallbackFocus: () => HTMLElement | null;
}) {
  const ids = useId();
  const [base, setBase] = useState<Account | null>(account);
  const [draft, setDraft] = useState<Draft>(() => draftOf(account));
  const [pw, setPw] = useState('');
  const [confirm, setConfirm] = useState('');
  const [noPassword, setNoPassword] = useState(false);
  const [understood, setUnderstood] = useState(false);
  const [tried, setTried] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ErrorBody | null>(null);
  const [conflict, setConflict] = useState<Account | null>(null);
  const firstRef = useRef<HTMLInputElement>(null);
  useEffect(() => firstRef.current?.focus(), []);

  const creating = account === null;
  const emails = readEmails(draft.emails);
  const usernameError = usernameFieldProblem(draft.username);
  const validity = readValidity(draft.validity.amount, draft.validity.unit);
  const sitesError = draft.sites !== null && draft.sites.length === 0 ? 'Sites: choose at least one site, or “Every site”.' : null;
  const rules = passwordRules(pw, confirm, draft.username);
  const pwProblem = creating ? (noPassword ? (understood ? null : 'Confirm that this account will have no password.') : passwordFormProblem(pw, confirm, draft.username)) : null;
  const apiAllowed = draft.role === 'admin';
  const problems = [usernameError, emails.problems[0] ?? null, validity.ok ? null : validity.message, sitesError, pwProblem].filter((p): p is string => !!p);
  const server = fieldErrors(error?.details);
  const edit = (patch: Partial<Draft>) => {
    setDraft((d) => ({ ...d, ...patch }));
    setError(null);
  };

  const save = async () => {
    setTried(true);
    if (problems.length || !validity.ok || busy || !online) return;
    setBusy(true);
    setError(null);
    const common = {
      username: draft.username,
      role: draft.role,
      sites: draft.sites,
      emails: draft.emails,
      apiAccess: apiAllowed && draft.apiAccess,
      tokenValidityMinutes: validity.minutes,
    };
    try {
      if (creating) {
        const a = await call('accounts.create', noPassword ? { ...common, password: null, confirmNoPassword: true } : { ...common, password: pw });
        onDone(`Account ${a.username} created (${ROLE_TEXT[a.role].toLowerCase()}, ${sitesText(a.sites, siteNames).toLowerCase()})${a.hasPassword ? '' : ' without a password'}.`);
      } else {
        const a = await call('accounts.update', { username: base!.username, etag: base!.etag, update: common });
        onDone(a.username !== base!.username ? `Account ${base!.username} renamed to ${a.username} and saved.` : `Account ${a.username} saved.`);
      }
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

  const mine = !problems.length && validity.ok
    ? settingsRows({ username: draft.username, role: draft.role, sites: draft.sites, emails: emails.emails, apiAccess: apiAllowed && draft.apiAccess, tokenValidityMinutes: validity.minutes }, siteNames)
    : null;

  return (
    <ModalDialog title={creating ? 'Add an account' : `Edit ${account.username}`} className="account-dialog" onClose={onClose} fallbackFocus={fallbackFocus}>
      {() => (
        <form
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            void save();
          }}
        >
          <div className="account-dialog-grid">
            <Field
              label="Username"
              inputRef={firstRef}
              value={draft.username}
              autoComplete="off"
              spellCheck={false}
              onChange={(e) => edit({ username: e.target.value })}
              error={(tried || draft.username !== '' ? usernameError : null) ?? server['username']}
              hint={creating ? 'Case-sensitive (“Anna” and “anna” are two accounts); no “@”.' : 'A new name renames the account; its sessions and passkeys go with it.'}
            />
            <div className="field">
              <label htmlFor={`${ids}-role`}>Role</label>
              <select id={`${ids}-role`} value={draft.role} onChange={(e) => edit({ role: e.target.value as Role })} aria-describedby={`${ids}-role-hint`}>
                <option value="receptionist">Receptionist</option>
                <option value="admin">Administrator</option>
              </select>
              <p id={`${ids}-role-hint`} className="field-hint">
                {draft.role === 'admin'
                  ? 'Everything: policies, lockouts, hot desking, accounts (with every site), audit log.'
                  : 'The front desk: find extensions, block and unblock phones, reset PINs to the default, log hot-desk phones out. Never sees a private PIN.'}
              </p>
              {server['role'] ? (
                <p className="field-error">
                  <ErrorIcon /> <span>{server['role']}</span>
                </p>
              ) : null}
            </div>
          </div>
          <SitesField value={draft.sites} onChange={(v) => edit({ sites: v })} sites={sites} error={sitesError ?? server['sites'] ?? null} />
          <EmailsField value={draft.emails} onChange={(v) => edit({ emails: v })} problems={emails.problems} serverError={server['emails'] ?? null} />
          <ApiAccessField
            checked={apiAllowed && draft.apiAccess}
            onChange={(v) => edit({ apiAccess: v })}
            allowlistEmpty={allowlistEmpty}
            disabledReason={apiAllowed ? null : 'API access (HTTP Basic) is for administrators only; a receptionist signs in with the console.'}
          />
          <ValidityField value={draft.validity} onChange={(v) => edit({ validity: v })} serverError={server['tokenValidityMinutes'] ?? null} />
          {creating ? (
            <fieldset className="field new-password">
              <legend>Password of the new account</legend>
              {!noPassword ? (
                <>
                  <div className="field">
                    <label htmlFor={`${ids}-pw`}>Password</label>
                    <SecretInput id={`${ids}-pw`} value={pw} onChange={setPw} digitsOnly={false} invalid={rules.some((r) => r.met === false && r.rule !== 'confirm')} describedBy={`${ids}-rules`} />
                  </div>
                  <div className={`field${confirm !== '' && confirm !== pw ? ' has-error' : ''}`}>
                    <label htmlFor={`${ids}-pw2`}>Type the password again</label>
                    <input id={`${ids}-pw2`} type="password" autoComplete="new-password" value={confirm} onChange={(e) => setConfirm(e.target.value)} aria-invalid={(confirm !== '' && confirm !== pw) || undefined} />
                  </div>
                  <PasswordRules id={`${ids}-rules`} rules={rules} what="the password" />
                  <p className="field-hint">Give it to the person in person or by phone; the console never shows it again.</p>
                  <button type="button" className="link-btn small no-password-link" onClick={() => setNoPassword(true)}>
                    Create it without a password…
                  </button>
                </>
              ) : (
                <div className="notice error no-password-confirm" role="group" aria-labelledby={`${ids}-none-title`}>
                  <ErrorIcon />
                  <div>
                    <p id={`${ids}-none-title`}>
                      <strong>An account without a password?</strong>
                    </p>
                    <p>
                      Anyone who can reach this PBX could sign in as <strong className="mono">{draft.username || 'this account'}</strong> with an empty
                      password and do everything its role allows. The console warns about it on every screen until a password is set.
                    </p>
                    <div className="check-field">
                      <input id={`${ids}-understood`} type="checkbox" checked={understood} onChange={(e) => setUnderstood(e.target.checked)} autoFocus />
                      <label htmlFor={`${ids}-understood`}>I understand: this account will have no password</label>
                    </div>
                    <button
                      type="button"
                      className="btn small-btn"
                      onClick={() => {
                        setNoPassword(false);
                        setUnderstood(false);
                      }}
                    >
                      Give it a password after all
                    </button>
                  </div>
                </div>
              )}
            </fieldset>
          ) : null}
          {tried && problems.length ? (
            <div className="notice error" role="alert">
              <ErrorIcon />
              <div>
                <span>{problems.length === 1 ? 'One thing to fix first:' : `${problems.length} things to fix first:`}</span>
                <ul className="detail-list">
                  {problems.map((p) => (
                    <li key={p}>{p}</li>
                  ))}
                </ul>
              </div>
            </div>
          ) : null}
          {error ? <ErrorNotice error={error} /> : null}
          {conflict && base ? (
            <PolicyConflict
              title={`${base.username} was changed elsewhere${conflict.updatedBy ? ` (by ${conflict.updatedBy})` : ''} while you were editing. Your changes are not saved yet.`}
              mineTitle="Your version"
              theirsTitle="Now on the PBX"
              mine={mine}
              theirs={settingsRows(conflict, siteNames)}
              focusOnShow
              onUsePbx={() => {
                setBase(conflict);
                setDraft(draftOf(conflict));
                setConflict(null);
              }}
              onKeepMine={() => {
                setBase(conflict);
                setConflict(null);
              }}
            />
          ) : null}
          <div className="form-actions">
            <button type="submit" className={`btn ${noPassword ? 'danger' : 'primary'}`} disabled={busy || !online || !!conflict} aria-busy={busy || undefined}>
              {creating ? (noPassword ? 'Create without a password' : 'Create account') : 'Save account'}
            </button>
            <button type="button" className="btn" onClick={onClose} disabled={busy}>
              Cancel
            </button>
            {!online ? <span className="muted small">The PBX is out of reach; try again when it is back.</span> : null}
          </div>
        </form>
      )}
    </ModalDialog>
  );
}

// ---- delete ------------------------------------------------------------------------------------------------

function DeleteDialog({
  account,
  online,
  onClose,
  onDone,
  fallbackFocus,
}: {
  account: Account;
  online: boolean;
  onClose: () => void;
  onDone: (text: string) => void;
  fallbackFocus: () => HTMLElement | null;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ErrorBody | null>(null);
  const del = async () => {
    setBusy(true);
    setError(null);
    try {
      await call('accounts.delete', { username: account.username, etag: account.etag });
      onDone(`Account ${account.username} deleted; its sessions and passkeys no longer work.`);
    } catch (e) {
      const b = errorBody(e);
      setError(
        b.code === 'precondition_failed'
          ? { ...b, message: `${account.username} was changed by someone else since this list was loaded. Close this, check the account again, then delete it.` }
          : b,
      );
    } finally {
      setBusy(false);
    }
  };
  return (
    <ModalDialog title={`Delete ${account.username}?`} className="account-dialog" onClose={onClose} fallbackFocus={fallbackFocus}>
      {() => (
        <>
          <p>
            <strong className="mono">{account.username}</strong> ({ROLE_TEXT[account.role].toLowerCase()}) can no longer sign in. Its sessions end at once
            {account.passkeys ? ` and its ${account.passkeys} passkey${account.passkeys === 1 ? '' : 's'} stop working` : ''}. The audit log keeps what it did.
          </p>
          {error ? <ErrorNotice error={error} /> : null}
          <ConfirmActions yes={`Yes, delete ${account.username}`} enterDoes="deletes" onYes={() => void del()} onCancel={onClose} busy={busy} online={online} />
        </>
      )}
    </ModalDialog>
  );
}

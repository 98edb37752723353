// Connect screen: unlock (or create) the local vault when the OS keychain is missing, then pick a saved
// PBX profile and connect, or add a new one. The last-used profile comes first with its button focused,
// so a returning user connects with a single Enter.
import { useCallback, useEffect, useRef, useState, type ChangeEvent, type FormEvent } from 'react';
import type { ConnectionStatus, ProfileView, SecretsStatus } from '../../../shared/rpc';
import type { ErrorBody } from '../../../shared/errors';
import { call, errorBody } from '../api';
import { Field } from '../components/Field';
import { ErrorIcon } from '../components/icons';
import { OpenExport } from '../components/OpenExport';

interface Props {
  notice: string | null;
  onConnected: (status: ConnectionStatus) => void;
}

interface ProfilesState {
  profiles: ProfileView[];
  lastProfileId: string | null;
}

export function ConnectScreen({ notice, onConnected }: Props) {
  const [secrets, setSecrets] = useState<SecretsStatus | null>(null);
  const [profiles, setProfiles] = useState<ProfilesState | null>(null);
  const [loadError, setLoadError] = useState<ErrorBody | null>(null);
  const [focusProfileId, setFocusProfileId] = useState<string | null>(null);

  const secretsReady = secrets !== null && (secrets.backend === 'keychain' || secrets.vault === 'unlocked');

  const loadProfiles = useCallback(async (focusId?: string) => {
    try {
      const list = await call('profiles.list', {});
      setProfiles(list);
      setFocusProfileId(focusId ?? list.lastProfileId ?? list.profiles[0]?.id ?? null);
    } catch (e) {
      setLoadError(errorBody(e));
    }
  }, []);

  const load = useCallback(async () => {
    setLoadError(null);
    try {
      const s = await call('secrets.status', {});
      setSecrets(s);
      if (s.backend === 'keychain' || s.vault === 'unlocked') await loadProfiles();
    } catch (e) {
      setLoadError(errorBody(e));
    }
  }, [loadProfiles]);

  useEffect(() => {
    void load();
  }, [load]);

  const onVaultReady = (s: SecretsStatus) => {
    setSecrets(s);
    if (s.backend === 'keychain' || s.vault === 'unlocked') void loadProfiles();
  };

  // Last used first, then in saved order.
  const ordered = profiles
    ? [...profiles.profiles].sort((a, b) =>
        a.id === profiles.lastProfileId ? -1 : b.id === profiles.lastProfileId ? 1 : 0,
      )
    : [];

  return (
    <main className="connect-page" aria-labelledby="connect-title">
      <div className="connect-inner">
        <div className="brand-line" aria-hidden="true">
          <span className="brand-mark">PW</span> PBX Warden
        </div>
        <h1 id="connect-title">Connect to a PBX</h1>
        <p className="lead muted">Choose the phone system you want to look after.</p>

        {notice ? (
          <p className="notice info" role="status">
            {notice}
          </p>
        ) : null}

        {loadError ? (
          <div className="notice error" role="alert">
            <ErrorIcon /> <span>{loadError.message}</span>{' '}
            <button type="button" className="btn" onClick={() => void load()}>
              Try again
            </button>
          </div>
        ) : null}

        {secrets === null && !loadError ? <p role="status" className="muted">Loading…</p> : null}

        {secrets && secrets.backend === 'vault' && secrets.vault !== 'unlocked' ? (
          <VaultForm status={secrets} onReady={onVaultReady} />
        ) : null}

        {secretsReady ? (
          <div className="connect-columns">
            <section className="connect-profiles" aria-labelledby="saved-title">
              <h2 id="saved-title">Saved PBXs</h2>
              {profiles === null ? (
                <p role="status" className="muted">Loading saved PBXs…</p>
              ) : ordered.length === 0 ? (
                <p className="muted">No PBX saved yet. Add one with the form.</p>
              ) : (
                <ul className="profile-list">
                  {ordered.map((p) => (
                    <li key={p.id}>
                      <ProfileCard
                        profile={p}
                        lastUsed={p.id === profiles.lastProfileId}
                        autoFocus={p.id === focusProfileId}
                        onConnected={onConnected}
                      />
                    </li>
                  ))}
                </ul>
              )}
              {secrets?.backend === 'vault' ? (
                <p className="muted small">Saved passwords are kept in a passphrase-protected vault on this computer.</p>
              ) : null}
            </section>
            <AddProfileForm onSaved={(p) => void loadProfiles(p.id)} />
          </div>
        ) : null}

        {secretsReady ? (
          <section className="card review-open" aria-labelledby="review-open-title">
            <OpenExport onOpened={onConnected} wholePage>
              <h2 id="review-open-title">Review an exported config</h2>
            </OpenExport>
          </section>
        ) : null}
      </div>
    </main>
  );
}

// ---- vault -----------------------------------------------------------------------------------

export function VaultForm({ status, onReady }: { status: SecretsStatus; onReady: (s: SecretsStatus) => void }) {
  const creating = status.vault === 'none';
  const [passphrase, setPassphrase] = useState('');
  const [repeat, setRepeat] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [repeatError, setRepeatError] = useState<string | undefined>(undefined);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setRepeatError(undefined);
    if (creating && passphrase !== repeat) {
      setRepeatError('The two passphrases are different. Type the same passphrase twice.');
      return;
    }
    setBusy(true);
    try {
      const s = creating
        ? await call('secrets.createVault', { passphrase })
        : await call('secrets.unlockVault', { passphrase });
      setPassphrase('');
      setRepeat('');
      onReady(s);
    } catch (err) {
      const body = errorBody(err);
      setError(body.details?.[0]?.message ?? body.message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="card vault-card" aria-labelledby="vault-title">
      <h2 id="vault-title">{creating ? 'Create a vault for saved passwords' : 'Unlock saved passwords'}</h2>
      <p>
        {creating
          ? 'This computer has no system keychain, so PBX Warden keeps saved PBX passwords in an encrypted vault. Choose a passphrase for it.'
          : 'Saved PBX passwords are in an encrypted vault on this computer. Type its passphrase to use them.'}
      </p>
      <details className="tech-details">
        <summary>Why?</summary>
        <p className="muted small">{status.message}</p>
      </details>
      <form onSubmit={(e) => void submit(e)} noValidate>
        <Field
          label="Vault passphrase"
          type="password"
          autoComplete={creating ? 'new-password' : 'current-password'}
          value={passphrase}
          onChange={(e) => setPassphrase(e.target.value)}
          autoFocus
          required
          hint={creating ? 'At least 10 characters. You will need it each time the console starts.' : undefined}
        />
        {creating ? (
          <Field
            label="Repeat passphrase"
            type="password"
            autoComplete="new-password"
            value={repeat}
            onChange={(e) => setRepeat(e.target.value)}
            required
            error={repeatError}
          />
        ) : null}
        {error ? (
          <p className="notice error" role="alert">
            <ErrorIcon /> <span>{error}</span>
          </p>
        ) : null}
        <button type="submit" className="btn primary big" disabled={busy} aria-busy={busy || undefined}>
          {creating ? 'Create vault' : 'Unlock vault'}
        </button>
      </form>
    </section>
  );
}

// ---- one saved profile -------------------------------------------------------------------------

function ProfileCard({
  profile,
  lastUsed,
  autoFocus,
  onConnected,
}: {
  profile: ProfileView;
  lastUsed: boolean;
  autoFocus: boolean;
  onConnected: (status: ConnectionStatus) => void;
}) {
  const [askPassword, setAskPassword] = useState(false);
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ErrorBody | null>(null);
  const buttonRef = useRef<HTMLButtonElement>(null);
  const passwordRef = useRef<HTMLInputElement>(null);
  const titleId = `profile-${profile.id}-title`;

  useEffect(() => {
    if (autoFocus) buttonRef.current?.focus();
  }, [autoFocus]);

  useEffect(() => {
    if (askPassword) passwordRef.current?.focus();
  }, [askPassword]);

  const connect = async (withPassword?: string) => {
    setBusy(true);
    setError(null);
    try {
      const input: { profileId: string; password?: string } = { profileId: profile.id };
      // '' = the account has no password (chosen with its own button below, never by an empty Enter)
      if (withPassword !== undefined) input.password = withPassword;
      const status = await call('connection.connect', input);
      if (status.state === 'online') {
        setPassword('');
        onConnected(status);
      } else {
        setError({ code: 'pbx_unreachable', message: status.message ?? `Could not connect to ${profile.name}.` });
      }
    } catch (e) {
      const body = errorBody(e);
      if (body.code === 'invalid_credentials') {
        // Say which password was refused: the one saved earlier (nothing was typed) or the one just typed.
        setError({
          ...body,
          message: withPassword === ''
            ? `${profile.name} refused ${profile.username} without a password: this account has one. Type it and try again.`
            : withPassword
            ? `Wrong username or password: ${profile.name} refused this password for ${profile.username}. Check it and try again.`
            : `Wrong username or password: ${profile.name} refused the saved password for ${profile.username}. Type the current password below.`,
        });
      } else {
        setError(body);
      }
      if (body.code === 'invalid_credentials' || body.code === 'secret_missing') {
        setAskPassword(true);
        // Already asking: back to the field, with the text selected to retype.
        passwordRef.current?.focus();
        passwordRef.current?.select();
      }
    } finally {
      setBusy(false);
    }
  };

  const onConnectClick = () => {
    if (!profile.hasSecret && !askPassword) {
      setAskPassword(true);
      return;
    }
    if (askPassword) {
      passwordRef.current?.focus();
      return;
    }
    void connect();
  };

  return (
    <article className={`card profile-card${lastUsed ? ' last-used' : ''}`} aria-labelledby={titleId}>
      <div className="profile-head">
        <div>
          <h3 id={titleId}>{profile.name}</h3>
          <dl className="profile-facts">
            <div>
              <dt>Address</dt>
              <dd className="mono">{profile.url}</dd>
            </div>
            <div>
              <dt>Username</dt>
              <dd>{profile.username}</dd>
            </div>
          </dl>
          <p className="profile-tags">
            {lastUsed ? <span className="tag">Last used</span> : null}
            {profile.kind === 'embedded' ? <span className="tag">Built in</span> : null}
            {!profile.hasSecret ? <span className="tag subtle">Password not saved</span> : null}
          </p>
        </div>
        <button
          ref={buttonRef}
          type="button"
          className={`btn big${lastUsed ? ' primary' : ''}`}
          onClick={onConnectClick}
          disabled={busy}
          aria-busy={busy || undefined}
        >
          {`Connect to ${profile.name}`}
        </button>
      </div>
      {busy ? (
        <p className="muted" role="status">
          Connecting to {profile.name}…
        </p>
      ) : null}
      {error ? (
        <div className="notice error" role="alert">
          <ErrorIcon /> <span>{error.message}</span>
        </div>
      ) : null}
      {askPassword ? (
        <form
          className="inline-form"
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            if (password) void connect(password);
            else setError({ code: 'invalid_payload', message: 'Type the password for this PBX.' });
          }}
        >
          <Field
            label="Password"
            type="password"
            autoComplete="current-password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            inputRef={passwordRef}
            hint={`The password of ${profile.username} on ${profile.name}.`}
          />
          <button type="submit" className="btn primary" disabled={busy}>
            Connect
          </button>
          {/* SPEC F5: an account may have no password (the insecure default); connecting so is a choice, and the
              console then warns on every screen until a password is set. */}
          {password === '' ? (
            <button type="button" className="link-btn small" disabled={busy} onClick={() => void connect('')}>
              This account has no password
            </button>
          ) : null}
        </form>
      ) : null}
    </article>
  );
}

// ---- add a profile -----------------------------------------------------------------------------

type FormFields = 'name' | 'url' | 'username' | 'password';
const FIELD_ORDER: FormFields[] = ['name', 'url', 'username', 'password'];
const FIELD_LABEL: Record<FormFields, string> = { name: 'Name', url: 'Address (URL)', username: 'Username', password: 'Password' };
const FIELD_OF: Record<string, FormFields> = {
  'profile.name': 'name',
  'profile.url': 'url',
  'profile.username': 'username',
  password: 'password',
  name: 'name',
  url: 'url',
  username: 'username',
};

/** Strip the "field: " prefix the server puts on messages; the field label is already next to it. */
function messageOnly(message: string, field: string): string {
  const prefix = `${field}: `;
  const text = message.startsWith(prefix) ? message.slice(prefix.length) : message;
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function AddProfileForm({ onSaved }: { onSaved: (p: ProfileView) => void }) {
  const [values, setValues] = useState<Record<FormFields, string>>({ name: '', url: '', username: '', password: '' });
  const [fieldErrors, setFieldErrors] = useState<Partial<Record<FormFields, string>>>({});
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const inputs = useRef<Partial<Record<FormFields, HTMLInputElement | null>>>({});
  const inputRef = (k: FormFields) => (el: HTMLInputElement | null) => {
    inputs.current[k] = el;
  };

  const set = (k: FormFields) => (e: ChangeEvent<HTMLInputElement>) => {
    setValues((v) => ({ ...v, [k]: e.target.value }));
    if (fieldErrors[k]) setFieldErrors((f) => ({ ...f, [k]: undefined }));
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setSaved(null);
    setFieldErrors({});
    try {
      const input: { profile: { name: string; url: string; username: string }; password?: string } = {
        profile: { name: values.name.trim(), url: values.url.trim(), username: values.username },
      };
      if (values.password) input.password = values.password;
      const p = await call('profiles.save', input);
      setValues({ name: '', url: '', username: '', password: '' });
      setSaved(`Saved “${p.name}”. It is now in the list of saved PBXs.`);
      onSaved(p);
    } catch (err) {
      const body = errorBody(err);
      const next: Partial<Record<FormFields, string>> = {};
      const other: string[] = [];
      for (const d of body.details ?? []) {
        const f = FIELD_OF[d.field];
        if (f && !next[f]) next[f] = messageOnly(d.message, d.field);
        else if (!f) other.push(d.message);
      }
      setFieldErrors(next);
      const invalid = FIELD_ORDER.filter((f) => next[f]);
      if (invalid.length === 0 || other.length > 0) setError(other[0] ?? body.message);
      else if (invalid.length === 1) setError(`Check the ${FIELD_LABEL[invalid[0]!]} field: the message under it says what to change.`);
      else setError('Check the fields marked in red: the messages under them say what to change.');
      // Take the user to the first field to fix.
      const first = invalid[0];
      if (first) inputs.current[first]?.focus();
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="card add-profile" aria-labelledby="add-title">
      <h2 id="add-title">Add a PBX</h2>
      <form onSubmit={(e) => void submit(e)} noValidate>
        <Field
          label={FIELD_LABEL.name}
          value={values.name}
          onChange={set('name')}
          error={fieldErrors.name}
          inputRef={inputRef('name')}
          autoComplete="off"
          placeholder="Branch office"
        />
        <Field
          label={FIELD_LABEL.url}
          value={values.url}
          onChange={set('url')}
          error={fieldErrors.url}
          inputRef={inputRef('url')}
          inputMode="url"
          autoComplete="off"
          spellCheck={false}
          placeholder="https://pbx.example.com"
        />
        <Field
          label={FIELD_LABEL.username}
          value={values.username}
          onChange={set('username')}
          error={fieldErrors.username}
          inputRef={inputRef('username')}
          autoComplete="off"
          spellCheck={false}
        />
        <Field
          label={FIELD_LABEL.password}
          type="password"
          value={values.password}
          onChange={set('password')}
          error={fieldErrors.password}
          inputRef={inputRef('password')}
          autoComplete="new-password"
          hint="Kept in this computer's secure store, never in the profile file. Leave empty to type it when you connect."
        />
        {error ? (
          <p className="notice error" role="alert">
            <ErrorIcon /> <span>{error}</span>
          </p>
        ) : null}
        <p role="status" className="saved-note">
          {saved}
        </p>
        <button type="submit" className="btn big" disabled={busy} aria-busy={busy || undefined}>
          Save profile
        </button>
      </form>
    </section>
  );
}

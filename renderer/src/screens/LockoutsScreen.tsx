// "Lockouts" (SPEC F3, issue 4): what failed sign-ins have locked or blocked, live.
//
// Everyone (admins and receptionists, rows of their sites):
//   - Blacklisted extensions: one row per extension credential with failures or a lock, with a countdown to
//     the end of a temporary lock or "Permanent"; select rows (checkboxes: Space, Ctrl+A, ↑/↓) → Reset
//     selected, or Reset all behind a confirmation. A reset row disappears live.
//   - Blacklisted addresses: bans in force (automatic and manual), countdown or "Until removed"; Unban.
//   - Desktop alerts for new locks and blocks (asked for from the button only).
// Admins only (the PBX answers 403 to a receptionist):
//   - a manual block form (address or CIDR checked while typing with the shared parser; 409 ban_covers_you
//     shown as it is), the failure chart, the correlated view of one extension (who tried it, from where,
//     with which phone), the allowlist and the lockout policy editor (defaults shown, reset to defaults,
//     412 → both versions side by side, as on the PIN policies screen).
//
// The two lists come from the shared live store (lib/lockouts.ts); the admin panels load their own data and
// reload it on `lockout.settings_changed` (and after a stream gap or reconnect).
import { useCallback, useEffect, useId, useMemo, useRef, useState, type ChangeEvent, type KeyboardEvent as ReactKeyboardEvent, type ReactNode } from 'react';
import { useReadOnly } from '../lib/review';
import { ReadOnlyFieldset } from '../components/ReadOnly';
import {
  DEFAULT_LOCKOUT_POLICY,
  LOCK_CREDENTIAL_LABEL,
  LockoutPolicyResourceSchema,
  LockoutPolicySchema,
  type AddressBan,
  type AllowEntry,
  type ExtensionLock,
  type FailureHistogram,
  type LockCorrelation,
  type LockoutPolicy,
  type LockoutPolicyResource,
} from '../../../shared/lockout';
import { parseCidr } from '../../../shared/cidr';
import type { ErrorBody } from '../../../shared/errors';
import { call, errorBody } from '../api';
import { BulkTableSection, RowCheckbox, SelectAllCheckbox, useSelection } from '../components/BulkTableSection';
import { DoneStatus, Field } from '../components/Field';
import { ErrorLine, ErrorNotice } from '../components/ErrorNotice';
import { ErrorIcon } from '../components/icons';
import { LockChart } from '../components/LockChart';
import { When } from '../components/When';
import { PolicyConflict, type PolicyRow } from '../components/PolicyConflict';
import { PolicyFormActions, saveBlockedReason } from '../components/PolicyFormActions';
import { subscribeEvents } from '../lib/events';
import {
  banRemainingMs,
  countdownWords,
  formatCountdown,
  lockBlockedAt,
  lockKey,
  lockRemainingMs,
  sortedBans,
  sortedLocks,
  useLockouts,
  type LockoutStore,
} from '../lib/lockouts';
import { requestDesktopAlerts, turnOffDesktopAlerts, useDesktopAlertState } from '../lib/notify';
import { useIsReceptionist } from '../lib/role';
import { absoluteTime, formatCount, relativeTime, useNow } from '../lib/time';
import './policies.css';
import './lockouts.css';

interface Props {
  onlineEpoch: number;
  online: boolean;
}

export function LockoutsScreen({ onlineEpoch, online }: Props) {
  const receptionist = useIsReceptionist();
  const readOnly = useReadOnly();
  const admin = !receptionist;
  const lockouts = useLockouts(onlineEpoch);
  const { store, tables, status, error } = lockouts;
  const now = useNow(1000);
  const [attemptsOf, setAttemptsOf] = useState<string | null>(null);

  const locks = useMemo(() => sortedLocks(tables, now), [tables, now]);
  const bans = useMemo(() => sortedBans(tables, now), [tables, now]);

  const attemptsLock = attemptsOf ? locks.find((l) => l.extension === attemptsOf) : undefined;

  return (
    <main className="lockouts-screen" aria-labelledby="lockouts-title">
      <div className="toolbar lockouts-toolbar">
        <div className="toolbar-title">
          <h1 id="lockouts-title">Lockouts</h1>
          <p className="muted">
            Extensions locked and addresses blocked after failed sign-ins (phone registration, phone login, voicemail and
            *11). The lists update by themselves.
          </p>
        </div>
        {readOnly ? null : <DesktopAlerts />}
      </div>

      {error ? (
        <div className="notice error" role="alert">
          <ErrorIcon />
          <span>{`The lockouts could not be loaded: ${error.message}`}</span>
          <button type="button" className="btn small-btn" onClick={() => void store.load()} disabled={!online}>
            Try again
          </button>
        </div>
      ) : null}

      {status === 'loading' || status === 'idle' ? (
        <p className="loading" role="status">
          {online ? 'Loading lockouts…' : 'Waiting for the PBX to come back…'}
        </p>
      ) : null}

      {status === 'ready' || (status === 'failed' && tables.locks.size + tables.bans.size > 0) ? (
        <>
          <LockTable
            rows={locks}
            now={now}
            admin={admin}
            online={online}
            store={store}
            attemptsOf={attemptsOf}
            onAttempts={(n) => setAttemptsOf((cur) => (cur === n ? null : n))}
          />
          {admin && attemptsOf ? (
            <CorrelationPanel number={attemptsOf} label={attemptsLock?.label ?? ''} online={online} onClose={() => setAttemptsOf(null)} />
          ) : null}
          <BanTable rows={bans} now={now} online={online} store={store} admin={admin} />
        </>
      ) : null}

      {admin ? (
        <>
          {readOnly ? null : <ManualBanForm online={online} store={store} />}
          {readOnly ? null : <FailureChart online={online} onlineEpoch={onlineEpoch} />}
          <div className="lockouts-admin-grid">
            <AllowlistPanel online={online} onlineEpoch={onlineEpoch} />
            <LockoutPolicyEditor online={online} onlineEpoch={onlineEpoch} />
          </div>
        </>
      ) : null}
    </main>
  );
}

// ---- desktop alerts ------------------------------------------------------------------------------------

function DesktopAlerts() {
  const state = useDesktopAlertState();
  const [asking, setAsking] = useState(false);
  const turnOn = async () => {
    setAsking(true);
    try {
      await requestDesktopAlerts();
    } finally {
      setAsking(false);
    }
  };
  let text: ReactNode;
  let button: ReactNode = null;
  if (state === 'unsupported') text = 'This browser cannot show desktop alerts.';
  else if (state === 'denied') text = 'Desktop alerts are blocked for this console in the browser’s site settings.';
  else if (state === 'granted') {
    text = 'Desktop alerts are on: you are told when an extension is locked or an address blocked.';
    button = (
      <button type="button" className="btn small-btn" onClick={turnOffDesktopAlerts}>
        Turn off desktop alerts
      </button>
    );
  } else {
    text = 'Get a desktop alert when an extension is locked or an address is blocked.';
    button = (
      <button type="button" className="btn small-btn" onClick={() => void turnOn()} disabled={asking} aria-busy={asking || undefined}>
        Turn on desktop alerts
      </button>
    );
  }
  return (
    <div className="desktop-alerts" role="group" aria-label="Desktop alerts">
      <span className="small muted" role="status">
        {text}
      </span>
      {button}
    </div>
  );
}

// ---- table cells ----------------------------------------------------------------------------------------

function Countdown({ ms }: { ms: number }) {
  return (
    <span className="countdown" role="timer" aria-label={countdownWords(ms)}>
      {formatCountdown(ms)}
    </span>
  );
}

// ---- blacklisted extensions ------------------------------------------------------------------------------

function LockTable({
  rows,
  now,
  admin,
  online,
  store,
  attemptsOf,
  onAttempts,
}: {
  rows: ExtensionLock[];
  now: number;
  admin: boolean;
  online: boolean;
  store: LockoutStore;
  attemptsOf: string | null;
  onAttempts: (number: string) => void;
}) {
  const selection = useSelection(rows.map(lockKey));
  const blockedCount = rows.filter((r) => lockBlockedAt(r, now)).length;

  const reset = async (which: 'selected' | 'all') => {
    const items =
      which === 'all'
        ? undefined
        : rows.filter((r) => selection.selected.has(lockKey(r))).map((r) => ({ extension: r.extension, credential: r.credential }));
    const res = await call('lockouts.reset', items ? { items } : { all: true });
    store.applyReset(res, items ?? rows.map((r) => ({ extension: r.extension, credential: r.credential })));
    return res.reset === 0
      ? 'Nothing to reset: those rows had already been reset.'
      : `Reset ${res.reset} extension lock${res.reset === 1 ? '' : 's'}. The phones can sign in again.`;
  };

  return (
    <BulkTableSection
      title="Blacklisted extensions"
      count={rows.length === 0 ? '' : `${rows.length} row${rows.length === 1 ? '' : 's'}, ${blockedCount} locked now`}
      allAction="Reset all…"
      confirmText={`Reset all ${rows.length} extension lock${rows.length === 1 ? '' : 's'} and their failure counters? Locked phones and mailboxes can sign in again at once.`}
      confirmYes={`Yes, reset all ${rows.length}`}
      selectionLabel="Selected extensions"
      selectedAction="Reset selected"
      online={online}
      selection={selection}
      run={reset}
      empty={
        <>
          <p className="empty-title">No extension is locked.</p>
          <p className="muted">Extensions appear here after failed sign-ins.</p>
        </>
      }
    >
      {(titleId) => (
        <>
          <table className="data-table lock-table" aria-labelledby={titleId} aria-describedby={`${titleId}-keys`}>
            <thead>
              <tr>
                <SelectAllCheckbox selection={selection} label="Select all extensions" />
                <th scope="col">Extension</th>
                <th scope="col">Credential</th>
                <th scope="col">Blocked</th>
                <th scope="col" className="num">
                  Failures
                </th>
                <th scope="col" className="num">
                  Max failures
                </th>
                <th scope="col">Last failure</th>
                <th scope="col">Last address</th>
                <th scope="col">User agent</th>
                <th scope="col">Unlocks in</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => {
                const key = lockKey(r);
                const blocked = lockBlockedAt(r, now);
                const remaining = lockRemainingMs(r, now);
                const checked = selection.selected.has(key);
                const what = `${r.extension} ${LOCK_CREDENTIAL_LABEL[r.credential]}`;
                return (
                  <tr key={key} className={`${checked ? 'checked' : ''}${blocked ? ' locked' : ''}${attemptsOf === r.extension ? ' open' : ''}`} data-key={key}>
                    <RowCheckbox selection={selection} rowKey={key} label={`Select ${what}`} />
                    <td className="c-ext">
                      <span className="ext-number">{r.extension}</span>
                      {r.label ? <span className="ext-name">{r.label}</span> : null}
                      {admin ? (
                        <button
                          type="button"
                          className="link-btn small"
                          onClick={() => onAttempts(r.extension)}
                          aria-expanded={attemptsOf === r.extension}
                          aria-label={`Who tried ${r.extension}?`}
                        >
                          Who tried?
                        </button>
                      ) : null}
                    </td>
                    <td>{LOCK_CREDENTIAL_LABEL[r.credential]}</td>
                    <td>
                      {blocked ? (
                        <span className="badge badge-blocked">Yes</span>
                      ) : r.blocked ? (
                        <span>No (lock ended)</span>
                      ) : (
                        <span>No</span>
                      )}
                    </td>
                    <td className="num">{r.failures}</td>
                    <td className="num">{r.maxFailures}</td>
                    <td>
                      <When iso={r.lastFailureAt} now={now} />
                    </td>
                    <td className="mono">{r.lastAddress ?? '—'}</td>
                    <td className="c-ua" title={r.lastUserAgent ?? undefined}>
                      {r.lastUserAgent ?? <span className="muted">—</span>}
                    </td>
                    <td>
                      {blocked && r.permanent ? (
                        <strong className="permanent">Permanent</strong>
                      ) : blocked && remaining !== null ? (
                        <Countdown ms={remaining} />
                      ) : (
                        <span className="muted">{r.recentLocks > 0 ? `not locked (${r.recentLocks} recent lock${r.recentLocks === 1 ? '' : 's'})` : 'not locked'}</span>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          <p id={`${titleId}-keys`} className="muted small table-keys">
            Select rows with <kbd>Space</kbd>, all with <kbd>Ctrl</kbd>+<kbd>A</kbd>; <kbd>↑</kbd> <kbd>↓</kbd> move between rows.
            A permanent lock stays until someone resets it.
          </p>
        </>
      )}
    </BulkTableSection>
  );
}

// ---- the correlated view -------------------------------------------------------------------------------

function CorrelationPanel({ number, label, online, onClose }: { number: string; label: string; online: boolean; onClose: () => void }) {
  const ids = useId();
  const now = useNow(30_000);
  const [data, setData] = useState<LockCorrelation | null>(null);
  const [err, setErr] = useState<string | null>(null);
  const seq = useRef(0);

  const load = useCallback(async () => {
    const mine = ++seq.current;
    try {
      const r = await call('lockouts.correlation', { number });
      if (mine === seq.current) {
        setData(r);
        setErr(null);
      }
    } catch (e) {
      if (mine === seq.current) setErr(errorBody(e).message);
    }
  }, [number]);

  useEffect(() => {
    setData(null);
    void load();
  }, [load]);

  // New failures against this extension: read again (at most every 2 s).
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | null = null;
    const stop = subscribeEvents((e) => {
      const again = e.kind === 'resync' || (e.kind === 'pbx' && e.event.type === 'lockout.changed' && e.event.number === number);
      if (again && !timer) timer = setTimeout(() => {
        timer = null;
        void load();
      }, 2000);
    });
    return () => {
      stop();
      if (timer) clearTimeout(timer);
    };
  }, [load, number]);

  return (
    <section className="lock-section correlation" aria-labelledby={`${ids}-title`}>
      <div className="section-head">
        <h2 id={`${ids}-title`}>{`Who tried ${number}${label ? ` (${label})` : ''}`}</h2>
        <span className="muted small">Failed sign-ins in the last 24 hours, by address and phone (user agent).</span>
        <div className="section-actions">
          <button type="button" className="btn small-btn" onClick={() => void load()} disabled={!online}>
            Refresh
          </button>
          <button type="button" className="btn small-btn" onClick={onClose}>
            Close
          </button>
        </div>
      </div>
      <ErrorLine text={err} />
      {!data && !err ? <p className="loading">Loading…</p> : null}
      {data && data.rows.length === 0 ? <p className="muted">No failed sign-in against this extension in the last 24 hours.</p> : null}
      {data && data.rows.length > 0 ? (
        <div className="table-wrap">
          <table className="data-table">
            <caption className="sr-only">{`Failed sign-ins against ${number} by address and user agent`}</caption>
            <thead>
              <tr>
                <th scope="col">Address</th>
                <th scope="col">User agent</th>
                <th scope="col">Credential</th>
                <th scope="col" className="num">
                  Failures
                </th>
                <th scope="col">First</th>
                <th scope="col">Last</th>
                <th scope="col">Address blocked now</th>
              </tr>
            </thead>
            <tbody>
              {data.rows.map((r, i) => (
                <tr key={`${r.address}|${r.userAgent ?? ''}|${r.credential}|${i}`}>
                  <td className="mono">{r.address}</td>
                  <td className="c-ua" title={r.userAgent ?? undefined}>
                    {r.userAgent ?? <span className="muted">none sent</span>}
                  </td>
                  <td>{LOCK_CREDENTIAL_LABEL[r.credential]}</td>
                  <td className="num">{r.failures}</td>
                  <td>
                    <When iso={r.firstAt} now={now} />
                  </td>
                  <td>
                    <When iso={r.lastAt} now={now} />
                  </td>
                  <td>{r.banned ? <span className="badge badge-blocked">Yes</span> : 'No'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}

// ---- blacklisted addresses --------------------------------------------------------------------------------

function BanTable({ rows, now, online, store, admin }: { rows: AddressBan[]; now: number; online: boolean; store: LockoutStore; admin: boolean }) {
  const selection = useSelection(rows.map((r) => r.id));

  const unban = async (which: 'selected' | 'all') => {
    const res = await call('lockouts.unban', which === 'all' ? { all: true } : { ids: [...selection.selected] });
    store.applyUnban(res);
    return res.removed === 0 ? 'Nothing to unblock: those blocks had already ended.' : `Unblocked ${res.removed} address${res.removed === 1 ? '' : 'es'}.`;
  };

  return (
    <BulkTableSection
      title="Blacklisted addresses"
      count={rows.length === 0 ? '' : `${rows.length} blocked`}
      allAction="Unban all…"
      confirmText={`Unblock all ${rows.length} address${rows.length === 1 ? '' : 'es'}, automatic and manual blocks alike?`}
      confirmYes={`Yes, unban all ${rows.length}`}
      selectionLabel="Selected addresses"
      selectedAction="Unban selected"
      online={online}
      selection={selection}
      run={unban}
      empty={
        <>
          <p className="empty-title">No address is blocked.</p>
          <p className="muted">
            {admin
              ? 'Addresses appear here after repeated failed sign-ins from them, or when you block one below.'
              : 'Addresses appear here after repeated failed sign-ins from them, or when an administrator blocks one.'}
          </p>
        </>
      }
    >
      {(titleId) => (
        <table className="data-table ban-table" aria-labelledby={titleId}>
          <thead>
            <tr>
              <SelectAllCheckbox selection={selection} label="Select all addresses" />
              <th scope="col">Address or network</th>
              <th scope="col">Added by</th>
              <th scope="col">Reason</th>
              <th scope="col" className="num">
                Hits
              </th>
              <th scope="col">Blocked since</th>
              <th scope="col">Expires</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((b) => {
              const remaining = banRemainingMs(b, now);
              const checked = selection.selected.has(b.id);
              return (
                <tr key={b.id} className={checked ? 'checked' : undefined}>
                  <RowCheckbox selection={selection} rowKey={b.id} label={`Select ${b.cidr}`} />
                  <td className="mono">{b.cidr}</td>
                  <td>
                    {b.addedBy === 'auto' ? (
                      <span className="tag subtle">Automatic</span>
                    ) : (
                      <span>
                        <span className="tag">Manual</span>
                        <span className="small">{b.createdBy}</span>
                      </span>
                    )}
                  </td>
                  <td className="c-reason">{b.reason}</td>
                  <td className="num" title={b.lastHitAt ? `Last refused ${absoluteTime(b.lastHitAt)}` : undefined}>
                    {formatCount(b.hits)}
                  </td>
                  <td>
                    <When iso={b.createdAt} now={now} />
                  </td>
                  <td>
                    {remaining === null ? (
                      <strong>Until removed</strong>
                    ) : (
                      <span title={b.expiresAt ? absoluteTime(b.expiresAt) : undefined}>
                        in <Countdown ms={remaining} />
                      </span>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </BulkTableSection>
  );
}

// ---- manual block ---------------------------------------------------------------------------------------

const DURATIONS: ReadonlyArray<{ value: string; label: string; seconds: number | null }> = [
  { value: '3600', label: '1 hour', seconds: 3600 },
  { value: '86400', label: '24 hours', seconds: 86_400 },
  { value: '604800', label: '7 days', seconds: 604_800 },
  { value: '2592000', label: '30 days', seconds: 2_592_000 },
  { value: 'forever', label: 'Until removed', seconds: null },
];

/** "256 addresses", "one address", "a /64 network". */
function cidrSize(text: string): string | null {
  const p = parseCidr(text);
  if (!p.ok) return null;
  const { family, prefix } = p.value;
  const host = (family === 'ipv4' ? 32 : 128) - prefix;
  if (host === 0) return 'one address';
  if (host <= 24) return `${formatCount(2 ** host)} addresses`;
  return `a /${prefix} ${family === 'ipv4' ? 'IPv4' : 'IPv6'} network`;
}

function cidrError(field: string, text: string): string | undefined {
  const t = text.trim();
  if (t === '') return undefined;
  const p = parseCidr(t);
  return p.ok ? undefined : `${field}: ${p.message}`;
}

function ManualBanForm({ online, store }: { online: boolean; store: LockoutStore }) {
  const ids = useId();
  const [cidr, setCidr] = useState('');
  const [description, setDescription] = useState('');
  const [duration, setDuration] = useState('86400');
  const [tried, setTried] = useState(false);
  const [busy, setBusy] = useState(false);
  const [serverError, setServerError] = useState<ErrorBody | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const cidrRef = useRef<HTMLInputElement>(null);
  const descRef = useRef<HTMLInputElement>(null);

  const fieldName = 'Address or network';
  const cidrErr = cidrError(fieldName, cidr) ?? (tried && cidr.trim() === '' ? `${fieldName}: enter an address or a network, e.g. 192.0.2.7 or 198.51.100.0/24.` : undefined);
  const descErr =
    description.length > 200
      ? `Description: at most 200 characters (you have ${description.length}).`
      : tried && description.trim() === ''
        ? 'Description: say why you block it (a few words), so colleagues know.'
        : undefined;
  const normalised = cidr.trim() !== '' && !cidrErr ? parseCidr(cidr.trim()) : null;
  const serverField = (f: string) => serverError?.details?.find((d) => d.field === f)?.message;

  const submit = async () => {
    setTried(true);
    setDone(null);
    setServerError(null);
    const cErr = cidrError(fieldName, cidr) ?? (cidr.trim() === '' ? 'x' : undefined);
    const dErr = description.trim() === '' || description.length > 200;
    if (cErr) {
      cidrRef.current?.focus();
      return;
    }
    if (dErr) {
      descRef.current?.focus();
      return;
    }
    const d = DURATIONS.find((x) => x.value === duration) ?? DURATIONS[1]!;
    setBusy(true);
    try {
      const ban = await call('lockouts.ban', { cidr: cidr.trim(), description: description.trim(), durationSeconds: d.seconds });
      store.applyBan(ban);
      setDone(`Blocked ${ban.cidr} ${d.seconds === null ? 'until removed' : `for ${d.label}`}.`);
      setCidr('');
      setDescription('');
      setTried(false);
    } catch (e) {
      setServerError(errorBody(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="lock-section" aria-labelledby={`${ids}-title`}>
      <div className="section-head">
        <h2 id={`${ids}-title`}>Block an address</h2>
        <span className="muted small">Refuse every sign-in from an address or a whole network (IPv4 or IPv6), for a while or until removed.</span>
      </div>
      <form
        className="ban-form"
        noValidate
        aria-labelledby={`${ids}-title`}
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <Field
          label={fieldName}
          className="ban-cidr"
          value={cidr}
          inputRef={cidrRef}
          onChange={(e) => {
            setCidr(e.target.value);
            setServerError(null);
          }}
          autoComplete="off"
          spellCheck={false}
          placeholder="e.g. 198.51.100.0/24"
          hint={normalised?.ok ? `Blocks ${normalised.value.text} (${cidrSize(normalised.value.text)}).` : 'One address, or a network as address/prefix.'}
          error={cidrErr ?? (serverError?.code === 'validation_failed' ? serverField('cidr') : undefined)}
        />
        <Field
          label="Description"
          className="ban-desc"
          value={description}
          inputRef={descRef}
          onChange={(e) => setDescription(e.target.value)}
          autoComplete="off"
          placeholder="e.g. SIP scanner seen on 2 May"
          error={descErr ?? (serverError?.code === 'validation_failed' ? serverField('description') : undefined)}
        />
        <div className="field ban-duration">
          <label htmlFor={`${ids}-duration`}>Duration</label>
          <select id={`${ids}-duration`} value={duration} onChange={(e) => setDuration(e.target.value)}>
            {DURATIONS.map((d) => (
              <option key={d.value} value={d.value}>
                {d.label}
              </option>
            ))}
          </select>
        </div>
        <div className="ban-submit">
          <button type="submit" className="btn danger" disabled={busy || !online} aria-busy={busy || undefined}>
            Block
          </button>
        </div>
      </form>
      {serverError && (serverError.code !== 'validation_failed' || !serverField('cidr')) ? (
        <div className="notice error" role="alert">
          <ErrorIcon />
          <div>
            <strong>{serverError.code === 'ban_covers_you' ? 'Not blocked: this would lock you out. ' : 'Not blocked. '}</strong>
            <span>{serverError.code === 'ban_covers_you' ? serverError.message.replace(/^cidr: /, '') : serverError.message}</span>
            {serverError.code === 'ban_covers_you' ? <p className="small">Choose a smaller network that leaves out the address you work from.</p> : null}
          </div>
        </div>
      ) : null}
      <DoneStatus text={done} />
    </section>
  );
}

// ---- failure chart ----------------------------------------------------------------------------------------

function FailureChart({ online, onlineEpoch }: { online: boolean; onlineEpoch: number }) {
  const ids = useId();
  const [data, setData] = useState<FailureHistogram | null>(null);
  const [err, setErr] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const seq = useRef(0);

  const load = useCallback(async () => {
    const mine = ++seq.current;
    setLoading(true);
    try {
      const r = await call('lockouts.histogram', { hours: 24, top: 5 });
      if (mine === seq.current) {
        setData(r);
        setErr(null);
      }
    } catch (e) {
      if (mine === seq.current) setErr(errorBody(e).message);
    } finally {
      if (mine === seq.current) setLoading(false);
    }
  }, []);

  useEffect(() => {
    void load();
  }, [load, onlineEpoch]);

  // Every minute, and a few seconds after failures arrive.
  useEffect(() => {
    if (!online) return;
    const id = setInterval(() => void load(), 60_000);
    let timer: ReturnType<typeof setTimeout> | null = null;
    const stop = subscribeEvents((e) => {
      const again = e.kind === 'resync' || (e.kind === 'pbx' && (e.event.type === 'lockout.changed' || e.event.type === 'ban.changed'));
      if (again && !timer) timer = setTimeout(() => {
        timer = null;
        void load();
      }, 2000);
    });
    return () => {
      clearInterval(id);
      stop();
      if (timer) clearTimeout(timer);
    };
  }, [load, online]);

  return (
    <section className="lock-section" aria-labelledby={`${ids}-title`}>
      <div className="section-head">
        <h2 id={`${ids}-title`}>Failed sign-ins per minute (24 hours)</h2>
        <div className="section-actions">
          <button type="button" className="btn small-btn" onClick={() => void load()} disabled={!online || loading} aria-busy={loading || undefined}>
            Refresh
          </button>
        </div>
      </div>
      <ErrorLine text={err ? `The chart could not be loaded: ${err}` : null} />
      {data ? <LockChart histogram={data} /> : !err ? <p className="loading">Loading the chart…</p> : null}
    </section>
  );
}

// ---- allowlist --------------------------------------------------------------------------------------------

function AllowlistPanel({ online, onlineEpoch }: { online: boolean; onlineEpoch: number }) {
  const readOnly = useReadOnly();
  const ids = useId();
  const now = useNow(30_000);
  const [items, setItems] = useState<AllowEntry[] | null>(null);
  const [loadErr, setLoadErr] = useState<string | null>(null);
  const [cidr, setCidr] = useState('');
  const [description, setDescription] = useState('');
  const [tried, setTried] = useState(false);
  const [busy, setBusy] = useState<string | null>(null);
  const [err, setErr] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const cidrRef = useRef<HTMLInputElement>(null);

  const load = useCallback(async () => {
    try {
      setItems((await call('lockouts.allowlist', {})).items);
      setLoadErr(null);
    } catch (e) {
      setLoadErr(errorBody(e).message);
    }
  }, []);
  useEffect(() => {
    void load();
  }, [load, onlineEpoch]);
  useEffect(
    () =>
      subscribeEvents((e) => {
        if (e.kind === 'resync') void load();
        else if (e.kind === 'pbx' && e.event.type === 'lockout.settings_changed' && e.event.what === 'allowlist') {
          if (e.event.allowlist) setItems(e.event.allowlist);
          else void load();
        }
      }),
    [load],
  );

  const field = 'Address or network';
  const cidrErr = cidrError(field, cidr) ?? (tried && cidr.trim() === '' ? `${field}: enter an address or a network, e.g. 10.0.0.0/8.` : undefined);
  const descErr = description.length > 200 ? `Description: at most 200 characters (you have ${description.length}).` : undefined;

  const add = async () => {
    setTried(true);
    setErr(null);
    setDone(null);
    if (cidrError(field, cidr) || cidr.trim() === '' || descErr) {
      cidrRef.current?.focus();
      return;
    }
    setBusy('add');
    try {
      const entry = await call('lockouts.allow', { cidr: cidr.trim(), description: description.trim() });
      setItems((list) => [...(list ?? []).filter((x) => x.id !== entry.id), entry]);
      setDone(`${entry.cidr} is on the allowlist: it is never blocked automatically.`);
      setCidr('');
      setDescription('');
      setTried(false);
    } catch (e) {
      setErr(errorBody(e).message);
    } finally {
      setBusy(null);
    }
  };

  const remove = async (entry: AllowEntry) => {
    setBusy(`rm${entry.id}`);
    setErr(null);
    setDone(null);
    try {
      await call('lockouts.disallow', { id: entry.id });
      setItems((list) => (list ?? []).filter((x) => x.id !== entry.id));
      setDone(`${entry.cidr} was removed from the allowlist.`);
    } catch (e) {
      setErr(errorBody(e).message);
    } finally {
      setBusy(null);
    }
  };

  return (
    <section className="lock-section" aria-labelledby={`${ids}-title`}>
      <div className="section-head">
        <h2 id={`${ids}-title`}>Allowlist</h2>
      </div>
      <p className="muted small">Addresses and networks here are never blocked automatically (e.g. the office network). Manual blocks still apply.</p>
      <ErrorLine text={loadErr ? `The allowlist could not be loaded: ${loadErr}` : null}>
        <button type="button" className="btn small-btn" onClick={() => void load()} disabled={!online}>
          Try again
        </button>
      </ErrorLine>
      {items && items.length === 0 ? <p className="muted">The allowlist is empty: any address can be blocked after failed sign-ins.</p> : null}
      {items && items.length > 0 ? (
        <div className="table-wrap">
          <table className="data-table">
            <caption className="sr-only">Allowlist</caption>
            <thead>
              <tr>
                <th scope="col">Address or network</th>
                <th scope="col">Description</th>
                <th scope="col">Added</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((a) => (
                <tr key={a.id}>
                  <td className="mono">{a.cidr}</td>
                  <td>{a.description || <span className="muted">—</span>}</td>
                  <td>
                    <When iso={a.createdAt} now={now} /> <span className="muted small">{`by ${a.createdBy}`}</span>
                  </td>
                  <td>
                    <button
                      type="button"
                      className="btn small-btn"
                      onClick={() => void remove(a)}
                      disabled={busy !== null || !online || !!readOnly}
                      title={readOnly ?? undefined}
                      aria-busy={busy === `rm${a.id}` || undefined}
                      aria-label={`Remove ${a.cidr} from the allowlist`}
                    >
                      Remove
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {readOnly ? null : (
      <form
        className="allow-form"
        noValidate
        aria-label="Add to the allowlist"
        onSubmit={(e) => {
          e.preventDefault();
          void add();
        }}
      >
        <Field
          label="Address or network to allow"
          value={cidr}
          inputRef={cidrRef}
          onChange={(e) => setCidr(e.target.value)}
          autoComplete="off"
          spellCheck={false}
          placeholder="e.g. 10.0.0.0/8"
          error={cidrErr}
        />
        <Field label="Description (optional)" value={description} onChange={(e) => setDescription(e.target.value)} autoComplete="off" error={descErr} />
        <div className="ban-submit">
          <button type="submit" className="btn" disabled={busy !== null || !online} aria-busy={busy === 'add' || undefined}>
            Add to allowlist
          </button>
        </div>
      </form>
      )}
      <ErrorLine text={err} />
      <DoneStatus text={done} />
    </section>
  );
}

// ---- lockout policy editor -------------------------------------------------------------------------------

type PolicyPath =
  | 'extension.threshold'
  | 'extension.windowSeconds'
  | 'extension.lockSeconds'
  | 'address.threshold'
  | 'address.windowSeconds'
  | 'address.banSeconds'
  | 'permanentAfterLocks'
  | 'permanentWindowSeconds';

type PolicyDraft = Record<PolicyPath, string>;

const POLICY_FIELDS: ReadonlyArray<{ path: PolicyPath; label: string; seconds: boolean; group: 'extension' | 'address' | 'permanent' }> = [
  { path: 'extension.threshold', label: 'Failed sign-ins that lock an extension', seconds: false, group: 'extension' },
  { path: 'extension.windowSeconds', label: 'Extension: counted within (seconds)', seconds: true, group: 'extension' },
  { path: 'extension.lockSeconds', label: 'Extension: lock lasts (seconds)', seconds: true, group: 'extension' },
  { path: 'address.threshold', label: 'Failed sign-ins that block an address', seconds: false, group: 'address' },
  { path: 'address.windowSeconds', label: 'Address: counted within (seconds)', seconds: true, group: 'address' },
  { path: 'address.banSeconds', label: 'Address: block lasts after the last failure (seconds)', seconds: true, group: 'address' },
  { path: 'permanentAfterLocks', label: 'Locks that make a lock permanent (0 = never)', seconds: false, group: 'permanent' },
  { path: 'permanentWindowSeconds', label: 'Permanent: locks counted within (seconds)', seconds: true, group: 'permanent' },
];

const FIELD_BY_PATH = new Map(POLICY_FIELDS.map((f) => [f.path, f]));

function getPath(p: LockoutPolicy, path: PolicyPath): number {
  switch (path) {
    case 'extension.threshold':
      return p.extension.threshold;
    case 'extension.windowSeconds':
      return p.extension.windowSeconds;
    case 'extension.lockSeconds':
      return p.extension.lockSeconds;
    case 'address.threshold':
      return p.address.threshold;
    case 'address.windowSeconds':
      return p.address.windowSeconds;
    case 'address.banSeconds':
      return p.address.banSeconds;
    case 'permanentAfterLocks':
      return p.permanentAfterLocks;
    case 'permanentWindowSeconds':
      return p.permanentWindowSeconds;
  }
}

function toPolicyDraft(p: LockoutPolicy): PolicyDraft {
  const d = {} as PolicyDraft;
  for (const f of POLICY_FIELDS) d[f.path] = String(getPath(p, f.path));
  return d;
}

function sameDraft(a: PolicyDraft, b: PolicyDraft): boolean {
  return POLICY_FIELDS.every((f) => a[f.path] === b[f.path]);
}

/** "10 min", "1 h 30 min", "7 days", "45 s". */
function durationWords(seconds: number): string {
  if (!Number.isFinite(seconds)) return '';
  const d = Math.floor(seconds / 86_400);
  const h = Math.floor((seconds % 86_400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  const parts: string[] = [];
  if (d) parts.push(`${d} day${d === 1 ? '' : 's'}`);
  if (h) parts.push(`${h} h`);
  if (m) parts.push(`${m} min`);
  if (s) parts.push(`${s} s`);
  return parts.join(' ') || '0 s';
}

function parseWhole(text: string): number | null {
  const t = text.trim();
  return /^[-−]?\d{1,9}$/.test(t) ? Number(t.replace('−', '-')) : null;
}

function parsePolicyDraft(d: PolicyDraft): { policy: LockoutPolicy | null; errors: Partial<Record<PolicyPath, string>> } {
  const errors: Partial<Record<PolicyPath, string>> = {};
  const n = (path: PolicyPath): number => {
    const v = parseWhole(d[path]);
    const label = FIELD_BY_PATH.get(path)!.label;
    if (v === null) errors[path] = d[path].trim() === '' ? `${label}: empty — enter a whole number.` : `${label}: must be a whole number (you entered "${d[path]}").`;
    return v ?? Number.NaN;
  };
  const candidate = {
    extension: { threshold: n('extension.threshold'), windowSeconds: n('extension.windowSeconds'), lockSeconds: n('extension.lockSeconds') },
    address: { threshold: n('address.threshold'), windowSeconds: n('address.windowSeconds'), banSeconds: n('address.banSeconds') },
    permanentAfterLocks: n('permanentAfterLocks'),
    permanentWindowSeconds: n('permanentWindowSeconds'),
  };
  const r = LockoutPolicySchema.safeParse(candidate);
  if (!r.success) {
    for (const issue of r.error.issues) {
      const path = issue.path.join('.') as PolicyPath;
      const f = FIELD_BY_PATH.get(path);
      if (!f || errors[path]) continue;
      // The schema's messages start with the field path ("extension.threshold must be at least 1"): name the field as the form does.
      const rule = issue.message.startsWith(path) ? issue.message.slice(path.length).trim() : issue.message;
      errors[path] = `${f.label}: ${rule} (you entered ${d[path].trim()}).`;
    }
  }
  const ok = r.success && Object.keys(errors).length === 0;
  return { policy: ok ? r.data : null, errors };
}

function describeLockoutPolicy(p: LockoutPolicy): PolicyRow[] {
  return POLICY_FIELDS.map((f) => {
    const v = getPath(p, f.path);
    return { label: f.label, value: f.seconds ? `${v} (${durationWords(v)})` : String(v) };
  });
}

function LockoutPolicyEditor({ online, onlineEpoch }: { online: boolean; onlineEpoch: number }) {
  const ids = useId();
  const now = useNow(30_000);
  const [server, setServer] = useState<LockoutPolicyResource | null>(null);
  const [loadErr, setLoadErr] = useState<string | null>(null);
  const [edit, setEdit] = useState<{ base: LockoutPolicyResource; draft: PolicyDraft } | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ErrorBody | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [liveNote, setLiveNote] = useState<string | null>(null);
  const serverRef = useRef<LockoutPolicyResource | null>(null);
  const busyRef = useRef(false);
  busyRef.current = busy;
  const fieldRefs = useRef<Partial<Record<PolicyPath, HTMLInputElement | null>>>({});

  const merge = useCallback((res: LockoutPolicyResource, announce: boolean) => {
    const prev = serverRef.current;
    if (prev && res.version <= prev.version) return;
    serverRef.current = res;
    setServer(res);
    if (announce && prev && !busyRef.current) setLiveNote(`The lockout policy was changed on the PBX${res.updatedBy ? ` by ${res.updatedBy}` : ''}.`);
  }, []);

  const load = useCallback(
    async (announce: boolean) => {
      try {
        merge(await call('policies.lockout.get', {}), announce);
        setLoadErr(null);
      } catch (e) {
        if (!serverRef.current) setLoadErr(errorBody(e).message);
      }
    },
    [merge],
  );

  useEffect(() => {
    void load(onlineEpoch > 0 && serverRef.current !== null);
  }, [load, onlineEpoch]);
  useEffect(
    () =>
      subscribeEvents((e) => {
        if (e.kind === 'resync') void load(true);
        else if (e.kind === 'pbx' && e.event.type === 'lockout.settings_changed' && e.event.what === 'policy') void load(true);
      }),
    [load],
  );

  if (loadErr) {
    return (
      <section className="lock-section policy-editor" aria-labelledby={`${ids}-title`}>
        <h2 id={`${ids}-title`}>Lockout policy</h2>
        <ErrorLine text={`The lockout policy could not be loaded: ${loadErr}`}>
          <button type="button" className="btn small-btn" onClick={() => void load(false)} disabled={!online}>
            Try again
          </button>
        </ErrorLine>
      </section>
    );
  }
  if (!server) {
    return (
      <section className="lock-section policy-editor" aria-labelledby={`${ids}-title`}>
        <h2 id={`${ids}-title`}>Lockout policy</h2>
        <p className="loading">Loading the lockout policy…</p>
      </section>
    );
  }

  const base = edit?.base ?? server;
  const draft = edit?.draft ?? toPolicyDraft(server.policy);
  const parsed = parsePolicyDraft(draft);
  const dirty = !!edit && !sameDraft(edit.draft, toPolicyDraft(edit.base.policy));
  const conflict =
    edit && dirty && !busy && server.version > edit.base.version && !(parsed.policy && JSON.stringify(parsed.policy) === JSON.stringify(server.policy))
      ? server
      : null;
  const errorPaths = POLICY_FIELDS.map((f) => f.path).filter((p) => parsed.errors[p]);
  const isDefault = parsed.policy !== null && JSON.stringify(parsed.policy) === JSON.stringify(LockoutPolicySchema.parse(DEFAULT_LOCKOUT_POLICY));

  const blocked = saveBlockedReason({ conflict: !!conflict, errorLabels: errorPaths.map((p) => FIELD_BY_PATH.get(p)!.label), separator: '; ', dirty, online });
  const canSave = blocked === null && !busy;

  const setDraft = (next: PolicyDraft) => {
    setDone(null);
    setError(null);
    const b = edit?.base ?? server;
    if (sameDraft(next, toPolicyDraft(b.policy)) && b.version === server.version) setEdit(null);
    else setEdit({ base: b, draft: next });
  };

  const save = async () => {
    if (!canSave || !parsed.policy) return;
    setBusy(true);
    setError(null);
    setDone(null);
    setLiveNote(null);
    try {
      const res = await call('policies.lockout.set', { etag: base.etag, policy: parsed.policy });
      merge(res, false);
      setEdit(null);
      setDone('Saved. New failed sign-ins are counted with these values from now on.');
    } catch (e) {
      const body = errorBody(e);
      if (body.code === 'precondition_failed') {
        const cur = LockoutPolicyResourceSchema.safeParse(body.current);
        if (cur.success) merge(cur.data, false);
        else await load(false);
      } else setError(body);
    } finally {
      setBusy(false);
    }
  };

  const input = (path: PolicyPath) => {
    const f = FIELD_BY_PATH.get(path)!;
    const def = getPath(DEFAULT_LOCKOUT_POLICY, path);
    const typed = parseWhole(draft[path]);
    return {
      label: f.label,
      value: draft[path],
      inputMode: 'numeric' as const,
      autoComplete: 'off',
      spellCheck: false,
      inputRef: (el: HTMLInputElement | null) => {
        fieldRefs.current[path] = el;
      },
      onChange: (e: ChangeEvent<HTMLInputElement>) => setDraft({ ...draft, [path]: e.target.value }),
      onKeyDown: (e: ReactKeyboardEvent<HTMLInputElement>) => {
        if (e.key !== 'ArrowUp' && e.key !== 'ArrowDown') return;
        const v = parseWhole(draft[path]);
        if (v === null) return;
        e.preventDefault();
        const step = f.seconds ? 60 : 1;
        setDraft({ ...draft, [path]: String(Math.max(0, v + (e.key === 'ArrowUp' ? step : -step))) });
      },
      hint: (
        <>
          {`default: ${def}${f.seconds ? ` (${durationWords(def)})` : ''}`}
          {f.seconds && typed !== null && typed > 0 && typed !== def ? <span className="policy-now-value">{` · now: ${durationWords(typed)}`}</span> : null}
        </>
      ),
      error: parsed.errors[path],
    };
  };

  return (
    <section className="lock-section policy-editor lockout-policy" aria-labelledby={`${ids}-title`}>
      <div className="policy-head">
        <h2 id={`${ids}-title`}>Lockout policy</h2>
        <p className="muted small">
          {server.updatedAt ? (
            <>
              {'Last changed '}
              {server.updatedBy ? `by ${server.updatedBy} ` : ''}
              <time dateTime={server.updatedAt} title={absoluteTime(server.updatedAt)}>
                {relativeTime(server.updatedAt, now)}
              </time>
              .
            </>
          ) : (
            'Never changed: the built-in defaults.'
          )}
        </p>
      </div>
      {liveNote && !conflict ? (
        <p className="notice info" role="status">
          {liveNote}
        </p>
      ) : null}
      {conflict ? (
        <PolicyConflict
          title={`The lockout policy was changed by ${conflict.updatedBy ?? 'someone else'}${conflict.updatedAt ? ` ${relativeTime(conflict.updatedAt, now)}` : ''} while you were editing. Your changes are not saved yet. Choose which version to keep.`}
          mineTitle="Your version"
          theirsTitle="Now on the PBX"
          mine={parsed.policy ? describeLockoutPolicy(parsed.policy) : null}
          theirs={describeLockoutPolicy(conflict.policy)}
          onUsePbx={() => {
            setEdit(null);
            setError(null);
          }}
          onKeepMine={() => edit && setEdit({ base: server, draft: edit.draft })}
        />
      ) : null}

      <form
        className="policy-form"
        noValidate
        aria-labelledby={`${ids}-title`}
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
      >
        {/* a review: the values as exported, every input off (PolicyFormActions says why, in place of Save) */}
        <ReadOnlyFieldset note={false}>
          {(['extension', 'address', 'permanent'] as const).map((g) => (
            <fieldset key={g} className="policy-group">
              <legend>{g === 'extension' ? 'Extensions' : g === 'address' ? 'Addresses' : 'Permanent locks'}</legend>
              <div className="policy-fields">
                {POLICY_FIELDS.filter((f) => f.group === g).map((f) => (
                  <Field key={f.path} {...input(f.path)} />
                ))}
              </div>
            </fieldset>
          ))}
        </ReadOnlyFieldset>

        {error ? <ErrorNotice error={error} /> : null}

        <PolicyFormActions
          blockedId={`${ids}-blocked`}
          saveLabel="Save lockout policy"
          blocked={blocked}
          busy={busy}
          dirty={dirty}
          draftState={dirty ? (parsed.policy ? 'Not saved yet.' : 'Your draft has errors — not saved.') : null}
          hasErrors={errorPaths.length > 0}
          done={done}
          onDiscard={() => {
            setEdit(null);
            setError(null);
            setDone('Your changes were discarded.');
          }}
          onGoToFirstError={() => fieldRefs.current[errorPaths[0]!]?.focus()}
        >
          <button type="button" className="btn" onClick={() => setDraft(toPolicyDraft(DEFAULT_LOCKOUT_POLICY))} disabled={busy || isDefault}>
            Reset to defaults
          </button>
        </PolicyFormActions>
      </form>
    </section>
  );
}

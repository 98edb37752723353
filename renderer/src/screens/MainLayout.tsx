// The connected console: a header that says where you are connected and as whom, with the screens
// (Reception, the receptionist's start screen; Extensions, the admin's; Lockouts, for both roles, with the
// number of locked extensions; Hot desking, for both roles (a receptionist sees the live table and can log a
// phone out, nothing more); PIN policies and the Audit log, admins only — the PBX refuses policy changes
// and audit reads from a receptionist, so the tabs are not shown), the connection banner when the
// PBX goes away, and the current screen. While offline the screen stays mounted, so edits in
// progress stay in their forms.
import { useEffect, useState } from 'react';
import type { ConnectionStatus } from '../../../shared/rpc';
import { call, errorBody } from '../api';
import { ErrorIcon } from '../components/icons';
import { NoPasswordBanner } from '../components/NoPasswordBanner';
import { useNow } from '../lib/time';
import { RoleContext } from '../lib/role';
import { lockedCount, useLockouts } from '../lib/lockouts';
import { startDesktopAlerts } from '../lib/notify';
import { READ_ONLY_REASON, ReadOnlyContext, reviewSentence } from '../lib/review';
import { OpenExport } from '../components/OpenExport';
import { AuditSummaryScreen } from './AuditSummaryScreen';
import { CompareScreen } from './CompareScreen';
import { FindingsScreen } from './FindingsScreen';
import { AdminSecurityScreen } from './AdminSecurityScreen';
import { AuditScreen } from './AuditScreen';
import { ExtensionsScreen } from './ExtensionsScreen';
import { HotDeskScreen } from './HotDeskScreen';
import { LockoutsScreen } from './LockoutsScreen';
import { PoliciesScreen } from './PoliciesScreen';
import { ReceptionScreen } from './ReceptionScreen';
import './review.css';

interface Props {
  status: ConnectionStatus;
  onlineEpoch: number;
  onStatus: (status: ConnectionStatus) => void;
}

type Screen = 'reception' | 'extensions' | 'lockouts' | 'hotdesk' | 'policies' | 'audit' | 'security' | 'findings' | 'compare';

/** `reviewOnly`: the screens of a review of an exported file (issue 7); `live`: hidden in a review. */
const SCREENS: ReadonlyArray<{ key: Screen; label: string; adminOnly: boolean; reviewOnly?: boolean; liveOnly?: boolean }> = [
  { key: 'findings', label: 'Findings', adminOnly: true, reviewOnly: true },
  { key: 'reception', label: 'Reception', adminOnly: false, liveOnly: true },
  { key: 'extensions', label: 'Extensions', adminOnly: false },
  { key: 'lockouts', label: 'Lockouts', adminOnly: false },
  { key: 'hotdesk', label: 'Hot desking', adminOnly: false },
  { key: 'policies', label: 'PIN policies', adminOnly: true },
  { key: 'audit', label: 'Audit log', adminOnly: true },
  // issue 7: the same findings, live against the connected PBX (after the screens of daily work)
  { key: 'findings', label: 'Findings', adminOnly: true, liveOnly: true },
  { key: 'security', label: 'Admin security', adminOnly: false },
  { key: 'compare', label: 'Compare', adminOnly: true, reviewOnly: true },
];

const ROLE_LABEL: Record<string, string> = { admin: 'administrator', receptionist: 'receptionist' };

export function MainLayout({ status, onlineEpoch, onStatus }: Props) {
  const [disconnecting, setDisconnecting] = useState(false);
  const [disconnectError, setDisconnectError] = useState<string | null>(null);
  const profileName = useProfileName(status.profileId);
  const review = status.review ?? null;
  const startScreen: Screen = review ? 'findings' : status.role === 'receptionist' ? 'reception' : 'extensions';
  const [screen, setScreen] = useState<{ role: ConnectionStatus['role']; screen: Screen }>({ role: status.role, screen: startScreen });
  // Connected as someone else (another role): back to that role's start screen.
  if (status.role !== null && screen.role !== status.role) setScreen({ role: status.role, screen: startScreen });
  const admin = status.role === 'admin';
  // Only admins see (and can stay on) the admin-only screens.
  const shownScreens = SCREENS.filter((s) => (admin || !s.adminOnly) && (review ? !s.liveOnly : !s.reviewOnly));
  const current: Screen = shownScreens.some((s) => s.key === screen.screen) ? screen.screen : startScreen;

  // Desktop alerts for new locks and blocks, whatever screen is open (only once turned on, from a button).
  const role = status.role;
  useEffect(() => startDesktopAlerts(() => setScreen({ role, screen: 'lockouts' })), [role]);

  const disconnect = async () => {
    setDisconnecting(true);
    setDisconnectError(null);
    try {
      onStatus(await call(review ? 'review.close' : 'connection.disconnect', {}));
    } catch (e) {
      setDisconnectError(errorBody(e).message);
    } finally {
      setDisconnecting(false);
    }
  };

  const online = status.state === 'online';
  const connected = review
    ? `Exported file ${review.fileName} (${review.pbx.name})`
    : `Connected to ${profileName ?? status.server ?? 'the PBX'} as ${status.username ?? '?'}${
        status.role ? ` (${ROLE_LABEL[status.role] ?? status.role})` : ''
      }`;

  return (
    <div className={`app-shell${review ? ' review-mode' : ''}`}>
      <header className="app-header">
        <div className="brand">
          <span className="brand-mark" aria-hidden="true">
            PW
          </span>
          <span className="brand-name">PBX Warden</span>
        </div>
        <nav className="screen-nav" aria-label="Screens">
          {shownScreens.map(({ key, label }) => (
            <button
              key={key}
              type="button"
              className={`nav-tab${current === key ? ' current' : ''}`}
              aria-current={current === key ? 'page' : undefined}
              onClick={() => setScreen({ role: status.role, screen: key })}
            >
              {label}
              {key === 'lockouts' && !review ? <LockedCount onlineEpoch={onlineEpoch} /> : null}
            </button>
          ))}
        </nav>
        <p className="conn-text">
          <span className={`conn-dot ${review ? 'file' : online ? 'on' : 'off'}`} aria-hidden="true" />
          {/* The name the user chose on the Connect screen first; what the PBX calls itself after it. */}
          <span className="conn-main" title={connected}>
            {connected}
          </span>
          {profileName && status.server && status.server !== profileName ? (
            <span className="conn-server">{status.server}</span>
          ) : null}
        </p>
        {!review ? (
          <OpenExport
            onOpened={onStatus}
            connectedTo={profileName ?? status.server ?? 'the PBX'}
            label="Open export…"
            buttonClass="btn ghost"
          />
        ) : null}
        {review ? null : (
          <button
            type="button"
            className="btn"
            onClick={() => void disconnect()}
            disabled={disconnecting}
            aria-busy={disconnecting || undefined}
          >
            Disconnect
          </button>
        )}
      </header>
      {review ? (
        // a landmark around it, so the banner is not content outside every landmark (axe "region")
        <section aria-label="Review of an exported file">
        <div className="banner review" role="note" aria-label="Read-only review">
          <span className="review-badge" aria-hidden="true">
            READ-ONLY
          </span>
          <div className="banner-text">
            <strong>
              {reviewSentence(review)} <span className="nowrap">Read-only.</span>
            </strong>
            <span className="banner-detail">
              Every screen shows the file; changes are off. {countText(review.counts.extensions, 'extension')},{' '}
              {countText(review.counts.extensionLocks, 'locked credential')}, {countText(review.counts.addressBans, 'banned address', 'banned addresses')},{' '}
              {countText(review.counts.accounts, 'account')}, {countText(review.counts.tokens, 'login token')}.
            </span>
          </div>
          <button type="button" className="btn" onClick={() => void disconnect()} disabled={disconnecting} aria-busy={disconnecting || undefined}>
            Close review
          </button>
        </div>
        </section>
      ) : null}
      {disconnectError ? (
        <div className="banner error" role="alert">
          <ErrorIcon /> <span>{disconnectError}</span>
        </div>
      ) : null}
      {!online ? <ConnectionBanner status={status} onStatus={onStatus} /> : null}
      <NoPasswordBanner username={status.username} noPassword={status.noPassword} online={online} />
      <ReadOnlyContext.Provider value={review ? READ_ONLY_REASON : null}>
      <RoleContext.Provider value={status.role}>
        {current === 'findings' ? (
          <FindingsScreen source={review ? { kind: 'review', review } : { kind: 'live', online, onlineEpoch }} />
        ) : current === 'compare' && review ? (
          <CompareScreen review={review} />
        ) : current === 'reception' ? (
          <ReceptionScreen onlineEpoch={onlineEpoch} online={online} />
        ) : current === 'policies' ? (
          <PoliciesScreen onlineEpoch={onlineEpoch} online={online} />
        ) : current === 'lockouts' ? (
          <LockoutsScreen onlineEpoch={onlineEpoch} online={online} />
        ) : current === 'hotdesk' ? (
          <HotDeskScreen onlineEpoch={onlineEpoch} online={online} />
        ) : current === 'audit' && review ? (
          <AuditSummaryScreen review={review} />
        ) : current === 'audit' ? (
          <AuditScreen onlineEpoch={onlineEpoch} online={online} />
        ) : current === 'security' ? (
          <AdminSecurityScreen onlineEpoch={onlineEpoch} online={online} pbxName={profileName ?? status.server ?? 'the PBX'} />
        ) : (
          <ExtensionsScreen onlineEpoch={onlineEpoch} online={online} />
        )}
      </RoleContext.Provider>
      </ReadOnlyContext.Provider>
    </div>
  );
}

function countText(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString()} ${n === 1 ? one : many}`;
}

/**
 * The number of extension credentials locked now, next to "Lockouts" (and the store kept live for the whole
 * session, so the Reception card and the Lockouts screen open with current data).
 */
function LockedCount({ onlineEpoch }: { onlineEpoch: number }) {
  const { tables } = useLockouts(onlineEpoch);
  const now = useNow(1000);
  const n = lockedCount(tables, now);
  if (n === 0) return null;
  return (
    <span className="nav-count">
      {n}
      <span className="sr-only">{` locked extension${n === 1 ? '' : 's'}`}</span>
    </span>
  );
}

/** The banner's headline: what is wrong, in words (the detail line carries the PBX's address and the error). */
const OFFLINE_HEADLINE: Record<NonNullable<ConnectionStatus['offlineReason']>, string> = {
  unreachable: 'Lost connection to the PBX.',
  slow: 'The PBX is not answering in time.',
  server_error: 'The PBX is answering with errors.',
  certificate: 'The PBX’s certificate is not trusted.',
};

function ConnectionBanner({ status, onStatus }: { status: ConnectionStatus; onStatus: (s: ConnectionStatus) => void }) {
  const now = useNow(250);
  const [retrying, setRetrying] = useState(false);
  const [retryError, setRetryError] = useState<string | null>(null);

  const retry = async () => {
    if (!status.profileId) return;
    setRetrying(true);
    setRetryError(null);
    try {
      onStatus(await call('connection.connect', { profileId: status.profileId }));
    } catch (e) {
      setRetryError(errorBody(e).message);
    } finally {
      setRetrying(false);
    }
  };

  const seconds = status.retryAt !== null ? Math.max(0, Math.ceil((status.retryAt - now) / 1000)) : null;
  const busy = retrying || status.state === 'connecting' || seconds === 0;

  return (
    <div className="banner warning" role="alert">
      <ErrorIcon />
      <div className="banner-text">
        <strong>
          {OFFLINE_HEADLINE[status.offlineReason ?? 'unreachable']}{' '}
          {/* The countdown changes every second; keep screen readers from re-announcing it each time. */}
          <span aria-live="off">
            {busy ? 'Retrying now…' : seconds !== null ? `Retrying in ${seconds} s…` : 'Retrying…'}
          </span>
        </strong>
        <span className="banner-detail">
          Your work on this screen is kept. {status.message ? `(${status.message})` : ''}
          {retryError ? ` Retry failed: ${retryError}` : ''}
        </span>
      </div>
      <button
        type="button"
        className="btn"
        onClick={() => void retry()}
        disabled={retrying || !status.profileId}
        aria-busy={retrying || undefined}
      >
        Retry now
      </button>
    </div>
  );
}

/** The saved profile's name for the header (the PBX's own name stays the fallback). */
function useProfileName(profileId: string | null): string | null {
  const [name, setName] = useState<{ id: string; name: string } | null>(null);
  useEffect(() => {
    if (!profileId) return;
    let live = true;
    call('profiles.list', {})
      .then((list) => {
        const p = list.profiles.find((x) => x.id === profileId);
        if (live && p) setName({ id: p.id, name: p.name });
      })
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [profileId]);
  return name && name.id === profileId ? name.name : null;
}

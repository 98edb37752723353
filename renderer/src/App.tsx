// Top level: which screen to show. Not signed in (browser mode without a session) → a full-screen
// message; not connected → the Connect screen; connected (or connected and temporarily offline) → the
// main layout. The connection state comes from `connection.status` at start and `connection` events after.
import { useCallback, useEffect, useRef, useState } from 'react';
import type { ConnectionStatus, SecretsStatus } from '../../shared/rpc';
import type { ErrorBody } from '../../shared/errors';
import { call, errorBody, onAuthChange } from './api';
import { subscribeEvents } from './lib/events';
import { ConnectScreen, VaultForm } from './screens/ConnectScreen';
import { MainLayout } from './screens/MainLayout';

export function App() {
  const [signedIn, setSignedIn] = useState(true);
  const [status, setStatus] = useState<ConnectionStatus | null>(null);
  /** Without an OS keychain, the vault comes first: even when the embedded PBX is already connected,
   * its first-run password must land in the vault before anything else (or it is lost at exit). */
  const [secrets, setSecrets] = useState<SecretsStatus | null>(null);
  const [bootError, setBootError] = useState<ErrorBody | null>(null);
  /** Bumped each time the connection comes (back) online, so screens reload their data. */
  const [onlineEpoch, setOnlineEpoch] = useState(0);
  const lastState = useRef<ConnectionStatus['state'] | null>(null);
  /** True from the first "online" until the user disconnects (so offline keeps the main layout). */
  const [inSession, setInSession] = useState(false);

  /** Mirrors onlineEpoch for the resync below (which must not reload twice). */
  const epochRef = useRef(0);
  /** Counts the `connection` events received, so a slower status answer never overrides a newer event. */
  const connectionEvents = useRef(0);

  const reloadScreens = useCallback(() => {
    epochRef.current += 1;
    setOnlineEpoch(epochRef.current);
  }, []);

  const applyStatus = useCallback((next: ConnectionStatus) => {
    const prev = lastState.current;
    lastState.current = next.state;
    setStatus(next);
    if (next.state === 'online') {
      setInSession(true);
      if (prev !== 'online') reloadScreens();
    } else if (next.state === 'disconnected') {
      setInSession(false);
    } else if (next.state === 'offline' && next.profileId) {
      setInSession(true);
    }
  }, [reloadScreens]);

  useEffect(() => onAuthChange((ok) => setSignedIn(ok)), []);

  const boot = useCallback(() => {
    setBootError(null);
    Promise.all([call('secrets.status', {}), call('connection.status', {})])
      .then(([sec, st]) => {
        setSecrets(sec);
        applyStatus(st);
      })
      .catch((e: unknown) => setBootError(errorBody(e)));
  }, [applyStatus]);

  useEffect(() => {
    boot();
  }, [boot]);

  /**
   * The event stream had a gap (browser mode: the bridge does not replay what it sent meanwhile): re-read
   * the connection status, and have the screens reload their data, whatever changed while it was down.
   */
  const resync = useCallback(() => {
    const events0 = connectionEvents.current;
    const epoch0 = epochRef.current;
    call('connection.status', {})
      .then((st) => {
        // A `connection` event that arrived meanwhile is at least as new as this answer.
        if (connectionEvents.current === events0) applyStatus(st);
        // Reload, unless that status (or an event) already made the screens reload since we asked.
        if (lastState.current === 'online' && epochRef.current === epoch0) reloadScreens();
      })
      .catch(() => {
        // The host went away again; the stream's next reopen resyncs again.
      });
  }, [applyStatus, reloadScreens]);

  useEffect(
    () =>
      subscribeEvents((event) => {
        if (event.kind === 'connection') {
          connectionEvents.current += 1;
          applyStatus(event.status);
        } else if (event.kind === 'resync') resync();
      }),
    [applyStatus, resync],
  );

  if (!signedIn) {
    return (
      <main className="fullscreen-message" aria-labelledby="nosession-title">
        <div className="card narrow">
          <h1 id="nosession-title">Not signed in</h1>
          <p className="lead">
            This console tab is not signed in. Open the address printed by <code>npm start</code> again.
          </p>
          <p className="muted">
            The address contains a one-time sign-in code. It is shown in the terminal where the console was started.
          </p>
        </div>
      </main>
    );
  }

  if (bootError) {
    return (
      <main className="fullscreen-message" aria-labelledby="boot-title">
        <div className="card narrow">
          <h1 id="boot-title">PBX Warden could not start</h1>
          <p role="alert" className="lead">
            {bootError.message}
          </p>
          <button type="button" className="btn primary" onClick={boot}>
            Try again
          </button>
        </div>
      </main>
    );
  }

  if (!status || !secrets) {
    return (
      <main className="fullscreen-message">
        <p role="status" className="muted">
          Starting PBX Warden…
        </p>
      </main>
    );
  }

  if (secrets.backend === 'vault' && secrets.vault !== 'unlocked') {
    return (
      <main className="connect-page" aria-labelledby="vault-gate-title">
        <div className="connect-inner">
          <div className="brand-line" aria-hidden="true">
            <span className="brand-mark">PW</span> PBX Warden
          </div>
          <h1 id="vault-gate-title">{secrets.vault === 'none' ? 'Welcome to PBX Warden' : 'Welcome back'}</h1>
          <VaultForm
            status={secrets}
            onReady={(s) => {
              setSecrets(s);
              boot();
            }}
          />
        </div>
      </main>
    );
  }

  if (inSession && status.state !== 'disconnected') {
    return (
      <MainLayout
        status={status}
        onlineEpoch={onlineEpoch}
        onStatus={applyStatus}
      />
    );
  }

  return <ConnectScreen notice={status.message} onConnected={applyStatus} />;
}

// "Admin security" (issue 6 / SPEC F5), for both roles: each account manages its own sign-ins (the PBX lists
// and revokes only the calling account's tokens): the used tokens (components/TokensTable.tsx); for admins also
// who may manage the PBX at all, the admin allowlist (components/AdminAllowlistEditor.tsx). The accounts and
// their login settings; for admins, the configuration export (issue 7).
//
// The list is loaded for each online epoch (first connection, and after the PBX came back), and again on a
// `token.changed` event (a login or a revocation of this account, from anywhere) and after a stream gap.
import { useCallback, useEffect, useRef, useState } from 'react';
import { useReadOnly } from '../lib/review';
import { ReadOnlyFieldset } from '../components/ReadOnly';
import type { ErrorBody } from '../../../shared/errors';
import { call, errorBody } from '../api';
import { AccountsSection } from '../components/AccountsSection';
import { AdminAllowlistEditor } from '../components/AdminAllowlistEditor';
import { LoginSettingsSection } from '../components/LoginSettingsSection';
import { ErrorNotice } from '../components/ErrorNotice';
import { ExportConfigButton } from '../components/ExportConfigDialog';
import { DoneStatus } from '../components/Field';
import { TokensTable, type RevokeResult } from '../components/TokensTable';
import { subscribeEvents } from '../lib/events';
import { useRole } from '../lib/role';
import { useNow } from '../lib/time';
import { sortRows, tokenRow, type CredentialRow } from '../lib/tokens';
import './policies.css';
import './lockouts.css';
import './hotdesk.css';
import './security.css';

interface Props {
  onlineEpoch: number;
  online: boolean;
  /** The connected PBX, as the header names it (the export dialog says which PBX it exports). */
  pbxName?: string;
}

interface ListState {
  status: 'loading' | 'ready' | 'failed';
  rows: CredentialRow[];
  error: ErrorBody | null;
}

export function AdminSecurityScreen({ onlineEpoch, online, pbxName = 'the PBX' }: Props) {
  const now = useNow(30_000);
  const admin = useRole() === 'admin';
  const readOnly = useReadOnly();
  const [list, setList] = useState<ListState>({ status: 'loading', rows: [], error: null });
  const seq = useRef(0);
  const [exported, setExported] = useState<string | null>(null);

  const load = useCallback(() => {
    const mine = ++seq.current;
    setList((l) => ({ ...l, status: l.status === 'ready' ? 'ready' : 'loading', error: null }));
    call('tokens.list', {})
      .then((res) => {
        if (mine === seq.current) setList({ status: 'ready', rows: sortRows(res.items.map(tokenRow)), error: null });
      })
      .catch((e: unknown) => {
        if (mine === seq.current) setList((l) => ({ ...l, status: 'failed', error: errorBody(e) }));
      });
  }, []);

  useEffect(() => {
    if (onlineEpoch > 0) load();
  }, [onlineEpoch, load]);

  useEffect(
    () =>
      subscribeEvents((e) => {
        if (e.kind === 'resync' || (e.kind === 'pbx' && e.event.type === 'token.changed')) load();
      }),
    [load],
  );

  const revoke = async (what: { rows: CredentialRow[] } | { allExceptCurrent: true }): Promise<RevokeResult> => {
    const res =
      'rows' in what
        ? await call('tokens.revoke', { ids: what.rows.filter((r) => r.kind === 'token').map((r) => r.id) })
        : await call('tokens.revoke', { allExceptCurrent: true });
    load();
    return res;
  };

  return (
    <main className="lockouts-screen security-screen" aria-labelledby="security-title">
      <div className="toolbar lockouts-toolbar">
        <div className="toolbar-title">
          <h1 id="security-title">Admin security</h1>
          <p className="muted">
            {readOnly
              ? 'As exported: the login tokens and passkeys of every account, who may manage this PBX, and its accounts.'
              : `Your login settings and password, where your account is signed in${admin ? '; who may manage this PBX, and its accounts' : ''}.`}
          </p>
        </div>
      </div>

      {/* a review has no signed-in account: no "your" login settings (every account is listed below) */}
      {readOnly ? null : <LoginSettingsSection online={online} />}

      {list.error ? (
        <div className="security-error">
          <ErrorNotice error={{ ...list.error, message: `The tokens could not be loaded: ${list.error.message}` }} />
          <button type="button" className="btn small-btn" onClick={load} disabled={!online}>
            Try again
          </button>
        </div>
      ) : null}

      {list.status === 'loading' ? (
        <p className="loading" role="status">
          {online ? 'Loading tokens…' : 'Waiting for the PBX to come back…'}
        </p>
      ) : list.status === 'ready' || list.rows.length > 0 ? (
        <TokensTable rows={list.rows} now={now} online={online} revoke={revoke} />
      ) : null}

      {admin ? (
        <ReadOnlyFieldset>
          <AdminAllowlistEditor key={onlineEpoch} online={online} />
        </ReadOnlyFieldset>
      ) : null}

      {/* not keyed by the online epoch: an edit in progress survives the PBX going away (they reload when it is back) */}
      {admin ? <AccountsSection online={online} /> : null}

      {/* issue 7: the whole configuration as a file, for an offline review or an auditor (not in a review: it is one) */}
      {admin && !readOnly ? (
        <section className="lock-section config-export-section" aria-labelledby="config-export-title">
          <h2 id="config-export-title">Configuration export</h2>
          <p className="muted">
            Every setting of this PBX in one file — no password, PIN, token or key — to review offline in this console
            (<em>Open exported config…</em> on the Connect screen) or to hand to an auditor. Admins without a site limit only.
          </p>
          <div className="form-actions">
            <ExportConfigButton pbx={pbxName} online={online} onSaved={setExported} />
          </div>
          <DoneStatus text={exported} />
        </section>
      ) : null}
    </main>
  );
}

// "Hot desking" (SPEC F4, issue 5): who is logged in on which phone, live.
//
// Everyone (admins and receptionists, rows of their sites): the live table with search and filters, and
// "Log out" on a phone (the PBX lets receptionists force a logout, nothing else here).
// Admins only (the PBX answers 403 to a receptionist): extension mappings (add, change, remove — from the
// table), templates per brand with the default marked, each site's PBX addresses and auto-logout, and the
// global hot-desk passwords.
//
// The table comes from the shared live store (lib/hotdesk.ts, also used by the Reception card); the admin
// panels load their own lists and reload them on `hotdesk.settings_changed` (and after a gap or reconnect).
import { call } from '../api';
import { useReadOnly } from '../lib/review';
import { ReadOnlyFieldset } from '../components/ReadOnly';
import { HotDeskPasswordsPanel } from '../components/HotDeskPasswords';
import { HotDeskSites } from '../components/HotDeskSites';
import { HotDeskTable } from '../components/HotDeskTable';
import { HotDeskTemplates } from '../components/HotDeskTemplates';
import { ErrorLine } from '../components/ErrorNotice';
import { useHotDesk, useLiveList } from '../lib/hotdesk';
import { useIsReceptionist } from '../lib/role';
import './policies.css';
import './lockouts.css';
import './hotdesk.css';

interface Props {
  onlineEpoch: number;
  online: boolean;
}

const loadTemplates = () => call('hotdesk.templates', {});
const loadSites = () => call('hotdesk.sites', {});
const loadPasswords = () => call('hotdesk.passwords', {});

export function HotDeskScreen({ onlineEpoch, online }: Props) {
  const receptionist = useIsReceptionist();
  const hotdesk = useHotDesk(onlineEpoch);
  const { status, error, store } = hotdesk;

  return (
    <main className="lockouts-screen hotdesk-screen" aria-labelledby="hotdesk-title">
      <div className="toolbar lockouts-toolbar">
        <div className="toolbar-title">
          <h1 id="hotdesk-title">Hot desking</h1>
          <p className="muted">
            {receptionist
              ? 'Who is logged in on which shared phone. The table updates by itself; log a phone out when someone forgot to.'
              : 'Who is logged in on which shared phone, and what each phone loads at login. The table updates by itself as phones log in and out.'}
          </p>
        </div>
      </div>

      <ErrorLine text={error ? `The hot-desk table could not be loaded: ${error.message}` : null}>
        <button type="button" className="btn small-btn" onClick={() => void store.load()} disabled={!online}>
          Try again
        </button>
      </ErrorLine>
      {status === 'loading' || status === 'idle' ? (
        <p className="loading" role="status">
          {online ? 'Loading hot-desk phones…' : 'Waiting for the PBX to come back…'}
        </p>
      ) : null}

      {receptionist ? (
        shown(hotdesk) ? <HotDeskTable hotdesk={hotdesk} admin={false} online={online} templates={null} /> : null
      ) : (
        <AdminPanels onlineEpoch={onlineEpoch} online={online} hotdesk={hotdesk} />
      )}
    </main>
  );
}

/** The table once loaded, or after a failed reload that kept rows (a failed first load shows no empty table). */
function shown(h: ReturnType<typeof useHotDesk>): boolean {
  return h.status === 'ready' || (h.status === 'failed' && h.tables.rows.size > 0);
}

function AdminPanels({ onlineEpoch, online, hotdesk }: Props & { hotdesk: ReturnType<typeof useHotDesk> }) {
  const templates = useLiveList(loadTemplates, 'templates', onlineEpoch);
  const sites = useLiveList(loadSites, 'site', onlineEpoch);
  const passwords = useLiveList(loadPasswords, 'passwords', onlineEpoch);
  const readOnly = useReadOnly();
  return (
    <>
      {shown(hotdesk) ? <HotDeskTable hotdesk={hotdesk} admin={!readOnly} online={online} templates={templates.data?.items ?? null} /> : null}
      <ReadOnlyFieldset>
        <HotDeskTemplates list={templates} online={online} />
        <div className="lockouts-admin-grid hotdesk-admin-grid">
          <HotDeskSites list={sites} online={online} />
          <HotDeskPasswordsPanel list={passwords} online={online} />
        </div>
      </ReadOnlyFieldset>
    </>
  );
}

// The live hot-desk table (SPEC F4): one row per extension that has a mapping or is logged in on a phone —
// extension and user, state, the phone's MAC and brand/model, the template it got (or the mapping's), since
// when — with search (extension number, name, or MAC in any notation), state and site filters, "Log out"
// for staff and, for admins, "Edit mapping" / "Add mapping". Rows change live as phones log in and out. In a
// review of an exported file "Log out" is off with the reason (and the screen passes admin=false: no mapping).
import { useId, useMemo, useRef, useState } from 'react';
import { DEVICE_STATE_LABEL, DeviceStates, type HotDeskRow, type Mapping, type Template } from '../../../shared/hotdesk';
import { canLogOut, filterRows, stateCounts, type HotDeskFilter, type HotDeskSnapshot, type HotDeskStore, type StateFilter } from '../lib/hotdesk';
import { useReadOnly } from '../lib/review';
import { useNow } from '../lib/time';
import { When } from './When';
import { DoneStatus } from './Field';
import { HotDeskLogoutDialog, phoneModel } from './HotDeskLogout';
import { HotDeskMappingDialog, type MappingTarget } from './HotDeskMappingDialog';

const STATE_CLASS: Record<HotDeskRow['state'], string> = {
  logged_in: 'badge-logged-in',
  needs_reboot: 'badge-needs-reboot',
  logged_out: 'badge-logged-out',
};

export function StateBadge({ state }: { state: HotDeskRow['state'] }) {
  return <span className={`badge ${STATE_CLASS[state]}`}>{DEVICE_STATE_LABEL[state]}</span>;
}

/** What the template column says about the mapping under the template's name. */
function mappingNote(row: HotDeskRow): string {
  const m = row.mapping;
  if (!m) return 'brand default (no mapping)';
  if (m.mac === null) return 'mapped: on any phone';
  if (row.device && row.device.mac === m.mac) return 'mapped to this phone';
  return `mapped to ${m.mac} only`;
}

interface Props {
  hotdesk: HotDeskSnapshot & { store: HotDeskStore };
  admin: boolean;
  online: boolean;
  /** Templates for the mapping dialog (admins; null for a receptionist or while loading). */
  templates: readonly Template[] | null;
}

export function HotDeskTable({ hotdesk, admin, online, templates }: Props) {
  const ids = useId();
  const now = useNow(30_000);
  // a review of an exported file: "Log out" stays in the row, off, with the reason
  const readOnly = useReadOnly();
  const { tables, sites, store } = hotdesk;
  const [filter, setFilter] = useState<HotDeskFilter>({ search: '', state: 'any', site: '' });
  const [logoutOf, setLogoutOf] = useState<string | null>(null);
  const [mappingTarget, setMappingTarget] = useState<MappingTarget | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const headingRef = useRef<HTMLHeadingElement>(null);
  const searchRef = useRef<HTMLInputElement>(null);

  const all = useMemo(() => [...tables.rows.values()], [tables.rows]);
  const rows = useMemo(() => filterRows(all, filter), [all, filter]);
  const counts = stateCounts(all);
  const siteName = (id: string) => sites.find((s) => s.id === id)?.name ?? id;
  const siteIds = [...new Set([...sites.map((s) => s.id), ...all.map((r) => r.siteId)])];
  const showSite = siteIds.length > 1;
  const filtered = filter.search.trim() !== '' || filter.state !== 'any' || filter.site !== '';
  const logoutRow = logoutOf ? tables.rows.get(logoutOf) : undefined;
  // The phone logged out meanwhile (from the phone, or someone else): nothing left to confirm.
  if (logoutOf && (readOnly || !(logoutRow && canLogOut(logoutRow)))) setLogoutOf(null);

  const summary = `${counts.logged_in} logged in, ${counts.needs_reboot} waiting for a reboot, ${counts.logged_out} not on a phone`;

  return (
    <section className="lock-section policy-editor hotdesk-table-section" aria-labelledby={`${ids}-title`}>
      <div className="section-head">
        <h2 id={`${ids}-title`} ref={headingRef} tabIndex={-1}>
          Phones and extensions
        </h2>
        <span className="count" role="status">
          {summary}
        </span>
        {admin ? (
          <div className="section-actions">
            <button type="button" className="btn small-btn" onClick={() => setMappingTarget({ kind: 'create' })} disabled={!online || !templates}>
              Map an extension…
            </button>
          </div>
        ) : null}
      </div>

      <div className="hotdesk-filters" role="search" aria-label="Filter the table">
        <div className="field hotdesk-search">
          <label htmlFor={`${ids}-search`}>Search</label>
          <input
            id={`${ids}-search`}
            ref={searchRef}
            type="search"
            value={filter.search}
            placeholder="Extension, name or MAC (any notation)"
            autoComplete="off"
            spellCheck={false}
            onChange={(e) => setFilter((f) => ({ ...f, search: e.target.value }))}
            onKeyDown={(e) => {
              if (e.key === 'Escape' && filter.search !== '') {
                e.preventDefault();
                setFilter((f) => ({ ...f, search: '' }));
              }
            }}
          />
        </div>
        <div className="field">
          <label htmlFor={`${ids}-state`}>State</label>
          <select id={`${ids}-state`} value={filter.state} onChange={(e) => setFilter((f) => ({ ...f, state: e.target.value as StateFilter }))}>
            <option value="any">Any state</option>
            {DeviceStates.map((s) => (
              <option key={s} value={s}>
                {DEVICE_STATE_LABEL[s]}
              </option>
            ))}
          </select>
        </div>
        {showSite ? (
          <div className="field">
            <label htmlFor={`${ids}-site`}>Site</label>
            <select id={`${ids}-site`} value={filter.site} onChange={(e) => setFilter((f) => ({ ...f, site: e.target.value }))}>
              <option value="">All sites</option>
              {siteIds.map((id) => (
                <option key={id} value={id}>
                  {siteName(id)}
                </option>
              ))}
            </select>
          </div>
        ) : null}
        <p className="muted small hotdesk-shown" role="status">
          {filtered ? `Showing ${rows.length} of ${all.length}` : `${all.length} extension${all.length === 1 ? '' : 's'}`}
        </p>
      </div>

      <DoneStatus text={done} />

      {all.length === 0 ? (
        <div className="lock-empty">
          <p className="empty-title">Nobody is logged in on a hot-desk phone.</p>
          <p className="muted">
            {admin
              ? 'Rows appear here as soon as someone logs in on a phone, and for every extension you map to a template.'
              : 'Rows appear here as soon as someone logs in on a phone.'}
          </p>
        </div>
      ) : rows.length === 0 ? (
        <div className="lock-empty">
          <p className="empty-title">{filter.search.trim() !== '' ? `Nothing matches “${filter.search.trim()}”.` : 'No row in this state.'}</p>
          <button
            type="button"
            className="btn small-btn"
            onClick={() => {
              setFilter({ search: '', state: 'any', site: '' });
              searchRef.current?.focus();
            }}
          >
            Clear the filters
          </button>
        </div>
      ) : (
        <div className="table-wrap">
          <table className="data-table hotdesk-table" aria-labelledby={`${ids}-title`}>
            <thead>
              <tr>
                <th scope="col">Extension</th>
                <th scope="col">State</th>
                <th scope="col">Phone</th>
                <th scope="col">MAC</th>
                <th scope="col">Template</th>
                {showSite ? <th scope="col">Site</th> : null}
                <th scope="col">Since</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.extension} className={`state-${r.state}`} data-extension={r.extension}>
                  <td className="c-ext">
                    <span className="ext-number">{r.extension}</span>
                    {r.label ? <span className="ext-name">{r.label}</span> : null}
                  </td>
                  <td>
                    <StateBadge state={r.state} />
                  </td>
                  <td>
                    {r.device ? (
                      <>
                        <span className="phone-model">{phoneModel(r.device)}</span>
                        {r.device.address ? <span className="ext-name mono">{`from ${r.device.address}`}</span> : null}
                      </>
                    ) : (
                      <span className="muted">not on a phone</span>
                    )}
                  </td>
                  <td className="mono">{r.device ? r.device.mac : <span className="muted">—</span>}</td>
                  <td>
                    {r.template ? <span className="template-ref">{r.template.name}</span> : <span className="muted">—</span>}
                    <span className="ext-name">{mappingNote(r)}</span>
                  </td>
                  {showSite ? <td>{siteName(r.siteId)}</td> : null}
                  <td>
                    <When iso={r.since} now={now} />
                  </td>
                  <td className="c-actions">
                    {canLogOut(r) ? (
                      <button
                        type="button"
                        className="btn small-btn"
                        onClick={() => setLogoutOf(r.extension)}
                        disabled={!online || !!readOnly}
                        title={readOnly ?? undefined}
                        aria-label={`Log out ${r.extension}`}
                      >
                        Log out
                      </button>
                    ) : null}
                    {admin && templates ? (
                      <button
                        type="button"
                        className="btn small-btn ghost"
                        onClick={() =>
                          setMappingTarget(
                            r.mapping
                              ? { kind: 'edit', row: r as HotDeskRow & { mapping: Mapping } }
                              : { kind: 'create', extension: r.extension, ...(r.device ? { brand: r.device.brand } : {}) },
                          )
                        }
                        disabled={!online}
                        aria-label={`${r.mapping ? 'Edit mapping of' : 'Add mapping for'} ${r.extension}`}
                      >
                        {r.mapping ? 'Edit mapping' : 'Add mapping'}
                      </button>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}

      {logoutRow && canLogOut(logoutRow) && !readOnly ? (
        <HotDeskLogoutDialog
          row={logoutRow}
          online={online}
          store={store}
          onClose={() => setLogoutOf(null)}
          onDone={(text) => {
            setLogoutOf(null);
            setDone(text);
          }}
          fallbackFocus={() => headingRef.current}
        />
      ) : null}
      {mappingTarget && templates ? (
        <HotDeskMappingDialog
          target={mappingTarget}
          templates={templates}
          rows={tables.rows}
          devices={tables.devices}
          online={online}
          onClose={() => setMappingTarget(null)}
          onDone={(text) => {
            setMappingTarget(null);
            setDone(text);
          }}
          fallbackFocus={() => headingRef.current}
        />
      ) : null}
    </section>
  );
}

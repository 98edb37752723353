// Extensions: every extension of the PBX in a local index, searched and filtered on each keystroke,
// shown in a virtualised grid, with the detail panel beside it. Live events replace single rows in place
// (lib/useExtensionIndex.ts).
import { useCallback, useEffect, useMemo, useRef, useState, type KeyboardEvent as ReactKeyboardEvent } from 'react';
import { useReadOnly } from '../lib/review';
import type { ExtensionType } from '../../../shared/domain';
import { EXTENSION_TYPE_LABEL, ExtensionTypes } from '../../../shared/domain';
import { BulkResetDialog } from '../components/BulkResetDialog';
import { ExtensionDetail } from '../components/ExtensionDetail';
import { ExtensionsGrid, type GridHandle, type SelectAllState } from '../components/ExtensionsGrid';
import { ErrorIcon } from '../components/icons';
import type { PinFilter, ProtectionFilter, Query, SortKey } from '../lib/extensionIndex';
import { useExtensionIndex } from '../lib/useExtensionIndex';
import { formatCount, useNow } from '../lib/time';
import { locksByNumber, useLockouts } from '../lib/lockouts';
import type { ExtensionLock } from '../../../shared/lockout';

const EMPTY = new Int32Array(0);

const INITIAL_QUERY: Query = { search: '', site: '', type: '', protection: 'any', pin: 'any', sortKey: 'number', sortDir: 'asc' };

const PROTECTION_OPTIONS: { value: ProtectionFilter; label: string }[] = [
  { value: 'any', label: 'Any' },
  { value: 'off', label: 'Off' },
  { value: 'on', label: 'On' },
  { value: 'unrestricted', label: 'Unrestricted' },
  { value: 'blocked', label: 'Blocked' },
];

const PIN_OPTIONS: { value: PinFilter; label: string }[] = [
  { value: 'any', label: 'Any' },
  { value: 'default', label: 'Default PIN' },
  { value: 'custom', label: 'Own PIN, meets the policy' },
  { value: 'outdated', label: 'Own PIN, older policy' },
  { value: 'unset', label: 'Not set' },
];

function isEditable(el: EventTarget | null): boolean {
  if (!(el instanceof HTMLElement)) return false;
  return el.isContentEditable || el.matches('input, textarea, select');
}

interface Props {
  /** Changes each time the connection comes (back) online: reload everything. */
  onlineEpoch: number;
  online: boolean;
}

const NO_LOCKS: readonly ExtensionLock[] = [];

export function ExtensionsScreen({ onlineEpoch, online }: Props) {
  const readOnly = useReadOnly();
  const [query, setQuery] = useState<Query>(INITIAL_QUERY);
  const [activeNumber, setActiveNumber] = useState<string | null>(null);
  const [openNumber, setOpenNumber] = useState<string | null>(null);
  const [focusDetail, setFocusDetail] = useState(0);

  const searchRef = useRef<HTMLInputElement>(null);
  const gridRef = useRef<GridHandle>(null);
  const now = useNow(60_000);
  // SPEC F3: the lock column follows the Lockouts store (live events), and notices a lock's end within 10 s.
  const lockNow = useNow(10_000);
  const { tables: lockTables } = useLockouts(onlineEpoch);
  const locks = useMemo(() => locksByNumber(lockTables), [lockTables]);

  // ---- selection (for bulk actions) ------------------------------------------------------------
  // One mutable Set (it can hold 100k numbers) plus a version number that tells React it changed.
  // The selection may hold rows the search or filters hide (the bar says how many): selecting one site,
  // then "all matching" on another, keeps both. Rows that no longer exist are dropped on each reload.
  const selectedRef = useRef(new Set<string>());
  const [selectionVersion, setSelectionVersion] = useState(0);
  /** The open bulk dialog: its numbers, and a key per opening so that each run starts clean. */
  const [bulkOpen, setBulkOpen] = useState<{ key: number; numbers: string[] } | null>(null);
  const bulkKey = useRef(0);
  // The anchor of Shift ranges: set by a plain click, Space, Ctrl+click or a row's box. `rangeAdded`
  // is what the current range from it added (so that a shorter range takes back what it no longer covers).
  const anchorRef = useRef<string | null>(null);
  const rangeAdded = useRef(new Set<string>());
  const changeSelection = useCallback((fn: (s: Set<string>) => void, keepRange = false) => {
    if (!keepRange) rangeAdded.current = new Set();
    fn(selectedRef.current);
    setSelectionVersion((v) => v + 1);
  }, []);
  const setAnchor = useCallback((n: string) => {
    anchorRef.current = n;
    rangeAdded.current = new Set();
  }, []);

  // ---- data ----------------------------------------------------------------------------------

  const { index, sites, version, loading, loadError, load, applyUpdate } = useExtensionIndex(onlineEpoch);

  // ---- filtering -----------------------------------------------------------------------------

  const visible = useMemo(
    () => (index ? index.filter(query) : EMPTY),
    // `version` is how the mutable index tells React a row changed.
    [index, version, query],
  );

  const activePos = useMemo(() => {
    if (!index || visible.length === 0) return -1;
    if (activeNumber !== null) {
      const ri = index.indexOf(activeNumber);
      for (let k = 0; k < visible.length; k++) if (visible[k] === ri) return k;
    }
    return 0;
  }, [index, visible, activeNumber]);

  const scrollResetKey = `${query.search}\u0000${query.site}\u0000${query.type}\u0000${query.protection}\u0000${query.pin}\u0000${query.sortKey}\u0000${query.sortDir}`;

  // Other rows, another order: a Shift range goes on from the anchor but no longer takes anything back.
  useEffect(() => {
    rangeAdded.current = new Set();
  }, [scrollResetKey]);

  const selected = selectedRef.current;
  const selectedVisible = useMemo(() => {
    if (!index || selected.size === 0) return 0;
    let n = 0;
    for (let k = 0; k < visible.length; k++) if (selected.has(index.rows[visible[k]!]!.number)) n++;
    return n;
    // selectionVersion: the Set is mutated in place.
  }, [index, visible, selected, selectionVersion]);
  const selectAllState: SelectAllState =
    selectedVisible === 0 ? 'none' : selectedVisible === visible.length ? 'all' : 'some';

  const onToggleSelect = useCallback(
    (n: string) => {
      setAnchor(n);
      changeSelection((s) => (s.has(n) ? s.delete(n) : s.add(n)));
    },
    [changeSelection, setAnchor],
  );
  // The selection callbacks read the current rows through refs, so that they stay the same functions from
  // one keystroke to the next: the table's rows are memoised on them (a new function per keystroke would
  // re-render every row on every keystroke).
  const rowsRef = useRef({ index, visible });
  rowsRef.current = { index, visible };
  const onToggleAllMatching = useCallback(() => {
    const { index, visible } = rowsRef.current;
    if (!index) return;
    changeSelection((s) => {
      let all = true;
      for (let k = 0; k < visible.length && all; k++) all = s.has(index.rows[visible[k]!]!.number);
      for (let k = 0; k < visible.length; k++) {
        const n = index.rows[visible[k]!]!.number;
        if (all) s.delete(n);
        else s.add(n);
      }
    });
  }, [changeSelection]);
  const onSelectRange = useCallback(
    (to: string, fallbackAnchor: string | null) => {
      const { index, visible } = rowsRef.current;
      if (!index) return;
      /** Where a number is in the rows shown, or -1. */
      const posOf = (n: string | null) => {
        const ri = n === null ? -1 : index.indexOf(n);
        if (ri < 0) return -1;
        for (let k = 0; k < visible.length; k++) if (visible[k] === ri) return k;
        return -1;
      };
      const pb = posOf(to);
      if (pb < 0) return;
      let pa = posOf(anchorRef.current);
      if (pa < 0) {
        // No anchor yet (or it is hidden now): the row that had the focus, else the target itself.
        pa = posOf(fallbackAnchor);
        setAnchor(pa < 0 ? to : fallbackAnchor!);
        if (pa < 0) pa = pb;
      }
      changeSelection((s) => {
        // The range from this anchor replaces the previous one; what was selected before it stays.
        for (const n of rangeAdded.current) s.delete(n);
        const added = new Set<string>();
        for (let k = Math.min(pa, pb); k <= Math.max(pa, pb); k++) {
          const n = index.rows[visible[k]!]!.number;
          if (!s.has(n)) {
            s.add(n);
            added.add(n);
          }
        }
        rangeAdded.current = added;
      }, true);
    },
    [changeSelection, setAnchor],
  );
  const clearSelection = useCallback(() => changeSelection((s) => s.clear()), [changeSelection]);

  // After a reload (back online, a policy change) some numbers may no longer exist: drop them from the
  // selection, and the anchor with them. Live row updates never remove a row, so the reload is enough.
  const prunedFor = useRef(index);
  useEffect(() => {
    if (!index || prunedFor.current === index) return;
    prunedFor.current = index;
    if (anchorRef.current !== null && !index.get(anchorRef.current)) anchorRef.current = null;
    const s = selectedRef.current;
    let gone = false;
    for (const n of s) {
      if (!index.get(n)) {
        gone = true;
        break;
      }
    }
    if (gone) changeSelection((sel) => {
      for (const n of sel) if (!index.get(n)) sel.delete(n);
    });
  }, [index, changeSelection]);

  const openBulkReset = () => {
    if (!index) return;
    // In the order the table shows them, then any selected rows the filter hides.
    const order: string[] = [];
    const seen = new Set<string>();
    for (let k = 0; k < visible.length; k++) {
      const n = index.rows[visible[k]!]!.number;
      if (selected.has(n)) {
        order.push(n);
        seen.add(n);
      }
    }
    for (const n of selected) if (!seen.has(n) && index.get(n)) order.push(n);
    setBulkOpen({ key: ++bulkKey.current, numbers: order });
  };

  const setSearch = (search: string) => setQuery((q) => ({ ...q, search }));

  const onSort = useCallback((key: SortKey) => {
    setQuery((q) => ({ ...q, sortKey: key, sortDir: q.sortKey === key && q.sortDir === 'asc' ? 'desc' : 'asc' }));
  }, []);

  // ---- focus and keyboard ----------------------------------------------------------------------

  useEffect(() => {
    searchRef.current?.focus();
  }, []);

  const closeDetailRef = useRef<() => void>(() => {});

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === '/' && !e.ctrlKey && !e.metaKey && !e.altKey && !isEditable(e.target)) {
        e.preventDefault();
        searchRef.current?.focus();
        searchRef.current?.select();
      } else if (e.key === 'Escape' && !e.defaultPrevented && (e.target === document.body || e.target === null)) {
        // Focus fell out of everything (e.g. tabbed past the end): Escape still closes the detail.
        closeDetailRef.current();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  const openDetail = useCallback((number: string, how: 'keyboard' | 'pointer') => {
    setActiveNumber(number);
    setOpenNumber(number);
    setFocusDetail((n) => (how === 'keyboard' ? Math.max(0, n) + 1 : 0));
  }, []);

  const closeDetail = useCallback(() => {
    const n = openNumber;
    setOpenNumber(null);
    if (n === null) return;
    setActiveNumber(n);
    // Back to the row it came from (focused in the grid's layout effect, in this same event), or to the
    // search box when the list is empty.
    if (!gridRef.current?.focusActive()) searchRef.current?.focus();
  }, [openNumber]);

  closeDetailRef.current = closeDetail;

  const onActiveChange = useCallback((n: string) => setActiveNumber(n), []);

  const onSearchKeyDown = (e: ReactKeyboardEvent<HTMLInputElement>) => {
    if (e.key === 'Escape') {
      if (query.search !== '') {
        e.preventDefault();
        setSearch('');
      } else if (openNumber) {
        e.preventDefault();
        setOpenNumber(null);
      }
    } else if (e.key === 'ArrowDown') {
      if (visible.length > 0) {
        e.preventDefault();
        gridRef.current?.focusActive();
      }
    } else if (e.key === 'Enter') {
      // Type a number, press Enter: the best match opens.
      const first = visible[0];
      if (index && first !== undefined) {
        e.preventDefault();
        openDetail(index.rows[first]!.number, 'keyboard');
      }
    }
  };

  const clearFilters = () => setQuery((q) => ({ ...q, site: '', type: '', protection: 'any', pin: 'any' }));
  const filtersActive = query.site !== '' || query.type !== '' || query.protection !== 'any' || query.pin !== 'any';

  const openExt = openNumber && index ? index.get(openNumber) : undefined;
  const total = index?.total ?? 0;

  return (
    <main className="ext-screen" aria-labelledby="ext-title">
      <div className="toolbar">
        <div className="toolbar-title">
          <h1 id="ext-title">Extensions</h1>
          <p className="count" aria-live="polite">
            {index ? `Showing ${formatCount(visible.length)} of ${formatCount(total)} extensions` : ''}
          </p>
        </div>
        <div className="toolbar-controls">
          <div className="field search-field">
            <label htmlFor="ext-search">Search extensions</label>
            <div className="search-box">
              <svg className="icon search-icon" viewBox="0 0 16 16" aria-hidden="true" focusable="false">
                <circle cx="7" cy="7" r="4.8" fill="none" stroke="currentColor" strokeWidth="1.8" />
                <path d="M10.6 10.6L14 14" stroke="currentColor" strokeWidth="1.8" strokeLinecap="round" />
              </svg>
              <input
                id="ext-search"
                ref={searchRef}
                type="search"
                placeholder="Number or name"
                autoComplete="off"
                spellCheck={false}
                value={query.search}
                onChange={(e) => setSearch(e.target.value)}
                onKeyDown={onSearchKeyDown}
                aria-describedby="ext-search-hint"
                aria-keyshortcuts="/"
              />
              <kbd className="key-hint" aria-hidden="true">
                /
              </kbd>
            </div>
            <span id="ext-search-hint" className="sr-only">
              Press Enter to open the first match, Down arrow to go to the list, Escape to clear.
            </span>
          </div>
          <div className="field">
            <label htmlFor="ext-site">Site</label>
            <select id="ext-site" value={query.site} onChange={(e) => setQuery((q) => ({ ...q, site: e.target.value }))}>
              <option value="">Any</option>
              {sites.map((s) => (
                <option key={s.id} value={s.id}>
                  {s.name}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor="ext-type">Type</label>
            <select
              id="ext-type"
              value={query.type}
              onChange={(e) => setQuery((q) => ({ ...q, type: e.target.value as ExtensionType | '' }))}
            >
              <option value="">Any</option>
              {ExtensionTypes.map((t) => (
                <option key={t} value={t}>
                  {EXTENSION_TYPE_LABEL[t]}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor="ext-protection">Protection</label>
            <select
              id="ext-protection"
              value={query.protection}
              onChange={(e) => setQuery((q) => ({ ...q, protection: e.target.value as ProtectionFilter }))}
            >
              {PROTECTION_OPTIONS.map((o) => (
                <option key={o.value} value={o.value}>
                  {o.label}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor="ext-pin">Voicemail PIN</label>
            <select id="ext-pin" value={query.pin} onChange={(e) => setQuery((q) => ({ ...q, pin: e.target.value as PinFilter }))}>
              {PIN_OPTIONS.map((o) => (
                <option key={o.value} value={o.value}>
                  {o.label}
                </option>
              ))}
            </select>
          </div>
        </div>
      </div>

      <div className={`ext-body${openExt ? ' with-detail' : ''}`}>
        <div className="grid-area">
          {selected.size > 0 ? (
            <div className="bulk-bar" role="region" aria-label="Selection">
              <span className="bulk-count" aria-live="polite">
                {formatCount(selected.size)} selected
                {selected.size > selectedVisible ? (
                  <span className="muted"> ({formatCount(selected.size - selectedVisible)} hidden by the search or filters)</span>
                ) : null}
              </span>
              <div className="bulk-actions">
                <button type="button" className="btn primary" onClick={openBulkReset} disabled={!online || !!readOnly} title={readOnly ?? undefined}>
                  Reset voicemail PINs to default…
                </button>
                <button type="button" className="btn" onClick={clearSelection}>
                  Clear selection
                </button>
              </div>
            </div>
          ) : null}
          {loadError ? (
            <div className="notice error" role="alert">
              <ErrorIcon /> <span>Could not load the extensions: {loadError.message}</span>{' '}
              <button type="button" className="btn" onClick={() => void load()} disabled={!online}>
                Try again
              </button>
            </div>
          ) : null}
          {!index && (loading || !loadError) ? (
            <p className="loading" role="status">
              {online ? 'Loading extensions…' : 'Waiting for the PBX to come back…'}
            </p>
          ) : null}
          {index ? (
            <ExtensionsGrid
              handleRef={gridRef}
              index={index}
              version={version}
              visible={visible}
              activePos={activePos}
              openNumber={openNumber}
              sortKey={query.sortKey}
              sortDir={query.sortDir}
              scrollResetKey={scrollResetKey}
              search={query.search}
              onSort={onSort}
              onActiveChange={onActiveChange}
              onOpen={openDetail}
              onEscape={closeDetail}
              selected={selected}
              selectionVersion={selectionVersion}
              selectAllState={selectAllState}
              onToggleSelect={onToggleSelect}
              onSetAnchor={setAnchor}
              onSelectRange={onSelectRange}
              onToggleAllMatching={onToggleAllMatching}
              now={now}
              locks={locks}
              lockNow={lockNow}
            />
          ) : null}
          {index && visible.length === 0 ? (
            <div className="empty-state">
              {query.search.trim() !== '' ? (
                <>
                  <p className="empty-title">No extension matches “{query.search.trim()}”</p>
                  <p className="muted">
                    {filtersActive
                      ? 'Check the spelling, or clear the search or the filters.'
                      : 'Check the number or the spelling of the name.'}
                  </p>
                  <div className="empty-actions">
                    <button
                      type="button"
                      className="btn primary"
                      onClick={() => {
                        setSearch('');
                        searchRef.current?.focus();
                      }}
                    >
                      Clear search
                    </button>
                    {filtersActive ? (
                      <button type="button" className="btn" onClick={clearFilters}>
                        Clear filters
                      </button>
                    ) : null}
                  </div>
                </>
              ) : (
                <>
                  <p className="empty-title">No extension matches these filters</p>
                  {filtersActive ? (
                    <div className="empty-actions">
                      <button type="button" className="btn primary" onClick={clearFilters}>
                        Clear filters
                      </button>
                    </div>
                  ) : null}
                </>
              )}
            </div>
          ) : null}
        </div>
        {openExt && index ? (
          <ExtensionDetail
            key={openExt.number}
            ext={openExt}
            siteName={index.siteNameOf(openExt.siteId)}
            focusSignal={focusDetail}
            onClose={closeDetail}
            onUpdated={applyUpdate}
            locks={locks.get(openExt.number) ?? NO_LOCKS}
            online={online}
          />
        ) : null}
      </div>
      {bulkOpen && index ? (
        <BulkResetDialog
          key={bulkOpen.key}
          numbers={bulkOpen.numbers}
          nameOf={(n) => index.get(n)?.label ?? ''}
          online={online}
          onClose={() => setBulkOpen(null)}
          onSelectOnly={(numbers) =>
            changeSelection((s) => {
              s.clear();
              for (const n of numbers) s.add(n);
            })
          }
        />
      ) : null}
    </main>
  );
}

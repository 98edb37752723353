// The virtualised extensions table. An ARIA grid whose rows use roving focus: the active row has
// tabIndex 0 and holds DOM focus while the user moves with the arrow keys, Home/End and PageUp/PageDown.
// Only the rows in view (plus a small overscan) are in the DOM; the active row is always rendered too,
// so focus is never lost when it scrolls out of view.
import { memo, useCallback, useEffect, useImperativeHandle, useLayoutEffect, useRef, useState, type KeyboardEvent, type Ref } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
import type { Extension } from '../../../shared/domain';
import { EXTENSION_TYPE_LABEL } from '../../../shared/domain';
import type { ExtensionIndex, SortDir, SortKey } from '../lib/extensionIndex';
import { pinHealth, pinSetAt, policyFit, protectionBadge, type PinHealth, type PolicyFit } from '../lib/extensionIndex';
import { ageText } from '../lib/time';
import type { ExtensionLock } from '../../../shared/lockout';
import { LOCK_CREDENTIAL_LABEL } from '../../../shared/lockout';
import { lockBlockedAt } from '../lib/lockouts';

export const ROW_HEIGHT = 44;
const HEADER_HEIGHT = 44;

export const COLUMNS: { key: SortKey; label: string }[] = [
  { key: 'number', label: 'Number' },
  { key: 'label', label: 'Name' },
  { key: 'site', label: 'Site' },
  { key: 'type', label: 'Type' },
  { key: 'protection', label: 'Protection' },
  { key: 'incoming', label: 'Incoming calls' },
  { key: 'pin', label: 'Voicemail PIN' },
  { key: 'pinAge', label: 'PIN age' },
  { key: 'compliance', label: 'Current policy' },
];

export const PIN_TEXT: Record<PinHealth, string> = {
  default: 'Default',
  outdated: 'Own PIN',
  custom: 'Own PIN',
  unset: 'Not set',
  unknown: '—',
};
export const FIT_TEXT: Record<PolicyFit, string> = { meets: 'Meets', older: 'Older policy', no: 'Not compliant', na: '—' };
const FIT_TITLE: Record<PolicyFit, string> = {
  meets: 'Set under rules at least as strict as the current policy',
  older: 'Set under an older, looser policy: it may not meet the current one (reset it to be sure)',
  no: 'Did not meet the policy when it was set',
  na: 'A default PIN or no PIN: changed at the first voicemail sign-in',
};

const clock = (iso: string) => new Date(iso).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });

/**
 * The lock column (SPEC F3): "Locked" while any credential of the extension is locked (permanent first),
 * "N failed" while failures count toward a lock, nothing otherwise. The title says which and until when.
 */
export function lockCell(locks: readonly ExtensionLock[] | undefined, nowMs: number): { text: string; tone: 'locked' | 'failures' | 'none'; title?: string } {
  if (!locks || locks.length === 0) return { text: '—', tone: 'none' };
  const locked = locks.filter((l) => lockBlockedAt(l, nowMs));
  if (locked.length > 0) {
    const permanent = locked.some((l) => l.permanent);
    const title = locked
      .map((l) => `${LOCK_CREDENTIAL_LABEL[l.credential]} locked ${l.permanent || l.lockedUntil === null ? 'until an admin or receptionist unlocks it' : `until ${clock(l.lockedUntil)}`}`)
      .join('; ');
    return { text: permanent ? 'Locked (permanent)' : 'Locked', tone: 'locked', title };
  }
  // A lock that ran out: the failures that caused it no longer count on the PBX (its list says so at the next
  // reload; no event comes when a lock simply ends).
  const counting = locks.filter((l) => !l.blocked && l.failures > 0);
  const failures = counting.reduce((n, l) => n + l.failures, 0);
  if (failures === 0) return { text: '—', tone: 'none' };
  const title = counting
    .map((l) => `${LOCK_CREDENTIAL_LABEL[l.credential]}: ${l.failures} of ${l.maxFailures} failed sign-ins before a lock`)
    .join('; ');
  return { text: `${failures} failed`, tone: 'failures', title };
}

/** What the select-all box in the header shows. */
export type SelectAllState = 'none' | 'some' | 'all';

export const BADGE_TEXT = { off: 'Off', unrestricted: 'Unrestricted', blocked: 'Blocked' } as const;
export const INCOMING_SHORT = { ring: 'Ring', voicemail: 'Voicemail', rejected: 'Rejected' } as const;

export interface GridHandle {
  /** Move DOM focus to the active row (scrolling it into view). Returns false when there is no row. */
  focusActive(): boolean;
}

interface Props {
  index: ExtensionIndex;
  version: number;
  visible: Int32Array;
  activePos: number;
  openNumber: string | null;
  sortKey: SortKey;
  sortDir: SortDir;
  /** Changes when the query changes; the list then scrolls back to the top. */
  scrollResetKey: string;
  /** The search text these rows were filtered with (data-query: lets a benchmark see the frame that shows it). */
  search: string;
  onSort: (key: SortKey) => void;
  onActiveChange: (number: string) => void;
  onOpen: (number: string, how: 'keyboard' | 'pointer') => void;
  onEscape: () => void;
  handleRef: Ref<GridHandle>;
  /** Selected numbers (for bulk actions); `selectionVersion` changes when it does. */
  selected: ReadonlySet<string>;
  selectionVersion: number;
  selectAllState: SelectAllState;
  /** Space, Ctrl+click or the row's box: toggle one row (it becomes the anchor of a Shift range). */
  onToggleSelect: (number: string) => void;
  /** A plain click on a row (it opens): that row becomes the anchor of a Shift range. */
  onSetAnchor: (number: string) => void;
  /**
   * Shift+click, Shift+arrows (and Home/End/PageUp/PageDown): select the rows from the anchor to `number`.
   * `fallbackAnchor` (the row that had the focus) is the anchor when there is none yet.
   */
  onSelectRange: (toNumber: string, fallbackAnchor: string | null) => void;
  onToggleAllMatching: () => void;
  /** For the PIN age column (re-rendered now and then, not every second). */
  now: number;
  /** Lock rows by extension number (the Lockouts store), for the lock column. */
  locks: ReadonlyMap<string, ExtensionLock[]>;
  /** For the lock column: when a lock ends (ticks more often than `now`). */
  lockNow: number;
}

export function ExtensionsGrid({
  index,
  version,
  visible,
  activePos,
  openNumber,
  sortKey,
  sortDir,
  scrollResetKey,
  search,
  onSort,
  onActiveChange,
  onOpen,
  onEscape,
  handleRef,
  selected,
  selectionVersion,
  selectAllState,
  onToggleSelect,
  onSetAnchor,
  onSelectRange,
  onToggleAllMatching,
  now,
  locks,
  lockNow,
}: Props) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const focusPending = useRef(false);
  const [focusTick, setFocusTick] = useState(0);

  const virtualizer = useVirtualizer({
    count: visible.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    paddingStart: HEADER_HEIGHT,
    overscan: 5,
  });

  // After a search, filter or sort change the old scroll position means nothing: go back to the top.
  // (Live row updates change `visible` too, but not the key, so they never move the view.)
  const lastResetKey = useRef(scrollResetKey);
  useEffect(() => {
    if (lastResetKey.current !== scrollResetKey) {
      lastResetKey.current = scrollResetKey;
      // The virtualizer tracks the offset from scroll events; asking the element would force a layout
      // on every keystroke.
      if ((virtualizer.scrollOffset ?? 0) !== 0) scrollRef.current?.scrollTo({ top: 0 });
    }
  }, [scrollResetKey, virtualizer]);

  useLayoutEffect(() => {
    if (!focusPending.current || activePos < 0) return;
    focusPending.current = false;
    virtualizer.scrollToIndex(activePos, { align: 'auto' });
    const el = scrollRef.current?.querySelector<HTMLElement>(`[data-pos="${activePos}"]`);
    el?.focus({ preventScroll: true });
  }, [activePos, focusTick, virtualizer]);

  useImperativeHandle(
    handleRef,
    () => ({
      focusActive() {
        if (activePos < 0) return false;
        focusPending.current = true;
        setFocusTick((t) => t + 1);
        return true;
      },
    }),
    [activePos],
  );

  const moveTo = useCallback(
    (pos: number, extend = false) => {
      if (visible.length === 0) return;
      const clamped = Math.max(0, Math.min(visible.length - 1, pos));
      const ext = index.rows[visible[clamped]!]!;
      if (extend) onSelectRange(ext.number, activePos >= 0 && activePos < visible.length ? index.rows[visible[activePos]!]!.number : null);
      focusPending.current = true;
      setFocusTick((t) => t + 1);
      onActiveChange(ext.number);
    },
    [index, visible, activePos, onActiveChange, onSelectRange],
  );

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    const target = e.target as HTMLElement;
    if (!target.matches('[role="row"]')) {
      if (e.key === 'Escape') onEscape();
      return;
    }
    const page = Math.max(1, Math.floor(((scrollRef.current?.clientHeight ?? 400) - HEADER_HEIGHT) / ROW_HEIGHT) - 1);
    const pos = activePos < 0 ? 0 : activePos;
    const extend = e.shiftKey;
    switch (e.key) {
      case 'ArrowDown':
        moveTo(pos + 1, extend);
        break;
      case 'ArrowUp':
        moveTo(pos - 1, extend);
        break;
      case 'PageDown':
        moveTo(pos + page, extend);
        break;
      case 'PageUp':
        moveTo(pos - page, extend);
        break;
      case 'Home':
        moveTo(0, extend);
        break;
      case 'End':
        moveTo(visible.length - 1, extend);
        break;
      case 'Enter': {
        const n = target.dataset['number'];
        if (n) onOpen(n, 'keyboard');
        break;
      }
      case ' ': {
        // Space selects (for the bulk actions), as in a file list; Enter opens.
        const n = target.dataset['number'];
        if (n) onToggleSelect(n);
        break;
      }
      case 'a':
      case 'A':
        if (!(e.ctrlKey || e.metaKey)) return;
        onToggleAllMatching();
        break;
      case 'Escape':
        onEscape();
        break;
      default:
        return;
    }
    e.preventDefault();
  };

  const items = virtualizer.getVirtualItems();
  const rendered: { pos: number; start: number }[] = items.map((it) => ({ pos: it.index, start: it.start }));
  if (activePos >= 0 && activePos < visible.length) {
    const first = items[0]?.index ?? -1;
    const last = items[items.length - 1]?.index ?? -1;
    if (activePos < first) rendered.unshift({ pos: activePos, start: HEADER_HEIGHT + activePos * ROW_HEIGHT });
    else if (activePos > last) rendered.push({ pos: activePos, start: HEADER_HEIGHT + activePos * ROW_HEIGHT });
  }

  const openRow = useCallback(
    (n: string) => {
      onSetAnchor(n);
      onOpen(n, 'pointer');
    },
    [onSetAnchor, onOpen],
  );
  const activeNumber = activePos >= 0 && activePos < visible.length ? index.rows[visible[activePos]!]!.number : null;
  const activeRef = useRef(activeNumber);
  activeRef.current = activeNumber;
  // Shift+click: from the anchor (the row that had the focus when there is none) to the clicked row,
  // which then becomes the active row. The row's mousedown keeps the focus where it was (and the text
  // unselected), so the active row read here is still the one from before the click.
  const rangeTo = useCallback(
    (n: string) => {
      onSelectRange(n, activeRef.current);
      focusPending.current = true;
      setFocusTick((t) => t + 1);
      onActiveChange(n);
    },
    [onSelectRange, onActiveChange],
  );
  const focusRow = useCallback((n: string) => onActiveChange(n), [onActiveChange]);

  return (
    <div
      ref={scrollRef}
      className="grid"
      role="grid"
      aria-label="Extensions"
      aria-rowcount={visible.length + 1}
      aria-colcount={COLUMNS.length + 2}
      aria-multiselectable="true"
      data-selection={selectionVersion}
      data-version={version}
      data-query={search}
      onKeyDown={onKeyDown}
    >
      <div role="rowgroup" className="grid-head">
        <div role="row" aria-rowindex={1} className="grid-row head-row">
          <div role="columnheader" className="cell c-select">
            <input
              type="checkbox"
              className="select-box"
              aria-label={`Select all ${visible.length} matching extensions`}
              title="Select all matching (Ctrl+A in the list)"
              checked={selectAllState === 'all'}
              ref={(el) => {
                if (el) el.indeterminate = selectAllState === 'some';
              }}
              disabled={visible.length === 0}
              onChange={onToggleAllMatching}
            />
          </div>
          {COLUMNS.map((c) => {
            const active = c.key === sortKey;
            return (
              <div
                key={c.key}
                role="columnheader"
                className={`cell c-${c.key}`}
                aria-sort={active ? (sortDir === 'asc' ? 'ascending' : 'descending') : undefined}
              >
                <button type="button" className="sort-btn" onClick={() => onSort(c.key)}>
                  {c.label}
                  <span className={`sort-arrow${active ? ' on' : ''}`} aria-hidden="true">
                    {active ? (sortDir === 'asc' ? '▲' : '▼') : '↕'}
                  </span>
                </button>
              </div>
            );
          })}
          <div role="columnheader" className="cell c-lock plain-head" title="Locked after failed sign-ins (SPEC F3); unlock on the Lockouts screen or the reception card">
            Lock
          </div>
        </div>
      </div>
      <div role="rowgroup" className="grid-rows" style={{ height: Math.max(0, virtualizer.getTotalSize() - HEADER_HEIGHT) }}>
        {rendered.map(({ pos, start }) => {
          const ext = index.rows[visible[pos]!]!;
          const lock = lockCell(locks.get(ext.number), lockNow);
          return (
            <Row
              key={ext.number}
              ext={ext}
              siteName={index.siteNameOf(ext.siteId)}
              pos={pos}
              top={start - HEADER_HEIGHT}
              active={pos === activePos}
              open={ext.number === openNumber}
              checked={selected.has(ext.number)}
              now={now}
              lockText={lock.text}
              lockTone={lock.tone}
              lockTitle={lock.title}
              onOpen={openRow}
              onFocusRow={focusRow}
              onToggleSelect={onToggleSelect}
              onRangeTo={rangeTo}
            />
          );
        })}
      </div>
    </div>
  );
}

interface RowProps {
  ext: Extension;
  siteName: string;
  pos: number;
  top: number;
  active: boolean;
  open: boolean;
  checked: boolean;
  now: number;
  /** The lock column's text, tone and title (primitives, so the memoised row re-renders only on change). */
  lockText: string;
  lockTone: 'locked' | 'failures' | 'none';
  lockTitle: string | undefined;
  onOpen: (number: string) => void;
  onFocusRow: (number: string) => void;
  onToggleSelect: (number: string) => void;
  onRangeTo: (number: string) => void;
}

const Row = memo(function Row({
  ext,
  siteName,
  pos,
  top,
  active,
  open,
  checked,
  now,
  lockText,
  lockTone,
  lockTitle,
  onOpen,
  onFocusRow,
  onToggleSelect,
  onRangeTo,
}: RowProps) {
  const badge = protectionBadge(ext);
  const pin = pinHealth(ext);
  const setAt = pinSetAt(ext);
  const fit = policyFit(ext);
  return (
    <div
      role="row"
      id={`ext-row-${ext.number}`}
      data-number={ext.number}
      data-pos={pos}
      aria-rowindex={pos + 2}
      aria-selected={checked}
      aria-current={open ? 'true' : undefined}
      tabIndex={active ? 0 : -1}
      className={`grid-row body-row${active ? ' active' : ''}${open ? ' open' : ''}${checked ? ' checked' : ''}`}
      style={{ transform: `translateY(${top}px)` }}
      onMouseDown={(e) => {
        // Shift+click selects a range: keep the focus (and so the active row) until the click, and
        // keep the browser from selecting text across the rows.
        if (e.shiftKey) e.preventDefault();
      }}
      onClick={(e) => {
        if (e.shiftKey) onRangeTo(ext.number);
        else if (e.ctrlKey || e.metaKey) onToggleSelect(ext.number);
        else onOpen(ext.number);
      }}
      onFocus={(e) => {
        if (e.target === e.currentTarget && !active) onFocusRow(ext.number);
      }}
    >
      <div role="gridcell" className="cell c-select" onClick={(e) => e.stopPropagation()}>
        <input
          type="checkbox"
          className="select-box"
          tabIndex={-1}
          aria-label={`Select ${ext.number}`}
          checked={checked}
          onChange={() => onToggleSelect(ext.number)}
          onClick={(e) => {
            if (e.shiftKey) {
              e.preventDefault();
              onRangeTo(ext.number);
            }
          }}
        />
      </div>
      <div role="gridcell" className="cell c-number">
        {ext.number}
      </div>
      <div role="gridcell" className="cell c-label">
        {ext.label}
      </div>
      <div role="gridcell" className="cell c-site">
        {siteName}
      </div>
      <div role="gridcell" className="cell c-type">
        {EXTENSION_TYPE_LABEL[ext.type]}
      </div>
      <div role="gridcell" className="cell c-protection">
        <span className={`badge badge-${badge}`}>{BADGE_TEXT[badge]}</span>
      </div>
      <div role="gridcell" className={`cell c-incoming incoming-${ext.incomingCalls}`}>
        {INCOMING_SHORT[ext.incomingCalls]}
      </div>
      <div role="gridcell" className="cell c-pin">
        {pin === 'default' ? <span className="badge badge-default-pin">{PIN_TEXT[pin]}</span> : <span className={`pin-${pin}`}>{PIN_TEXT[pin]}</span>}
      </div>
      <div role="gridcell" className="cell c-pinAge" title={ext.credentials?.voicemail_pin.setAt ?? undefined}>
        {setAt === null ? '—' : ageText(setAt, now)}
      </div>
      <div role="gridcell" className={`cell c-compliance fit-${fit}`} title={FIT_TITLE[fit]}>
        {FIT_TEXT[fit]}
      </div>
      <div role="gridcell" className={`cell c-lock lock-${lockTone}`} title={lockTitle}>
        {lockTone === 'locked' ? <span className="badge badge-lock">{lockText}</span> : lockText}
      </div>
    </div>
  );
});

// The virtualised extensions table. An ARIA grid whose rows use roving focus: the active row has
// tabIndex 0 and holds DOM focus while the user moves with the arrow keys, Home/End and PageUp/PageDown.
// Only the rows in view (plus a small overscan) are in the DOM; the active row is always rendered too,
// so focus is never lost when it scrolls out of view.
import { memo, useCallback, useEffect, useImperativeHandle, useLayoutEffect, useRef, useState, type KeyboardEvent, type Ref } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
import type { Extension } from '../../../shared/domain';
import { EXTENSION_TYPE_LABEL } from '../../../shared/domain';
import type { ExtensionIndex, SortDir, SortKey } from '../lib/extensionIndex';
import { protectionBadge } from '../lib/extensionIndex';

export const ROW_HEIGHT = 44;
const HEADER_HEIGHT = 44;

export const COLUMNS: { key: SortKey; label: string }[] = [
  { key: 'number', label: 'Number' },
  { key: 'label', label: 'Name' },
  { key: 'site', label: 'Site' },
  { key: 'type', label: 'Type' },
  { key: 'protection', label: 'Protection' },
  { key: 'incoming', label: 'Incoming calls' },
];

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
    (pos: number) => {
      if (visible.length === 0) return;
      const clamped = Math.max(0, Math.min(visible.length - 1, pos));
      const ext = index.rows[visible[clamped]!]!;
      focusPending.current = true;
      setFocusTick((t) => t + 1);
      onActiveChange(ext.number);
    },
    [index, visible, onActiveChange],
  );

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    const target = e.target as HTMLElement;
    if (!target.matches('[role="row"]')) {
      if (e.key === 'Escape') onEscape();
      return;
    }
    const page = Math.max(1, Math.floor(((scrollRef.current?.clientHeight ?? 400) - HEADER_HEIGHT) / ROW_HEIGHT) - 1);
    const pos = activePos < 0 ? 0 : activePos;
    switch (e.key) {
      case 'ArrowDown':
        moveTo(pos + 1);
        break;
      case 'ArrowUp':
        moveTo(pos - 1);
        break;
      case 'PageDown':
        moveTo(pos + page);
        break;
      case 'PageUp':
        moveTo(pos - page);
        break;
      case 'Home':
        moveTo(0);
        break;
      case 'End':
        moveTo(visible.length - 1);
        break;
      case 'Enter':
      case ' ': {
        const n = target.dataset['number'];
        if (n) onOpen(n, 'keyboard');
        break;
      }
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

  const openRow = useCallback((n: string) => onOpen(n, 'pointer'), [onOpen]);
  const focusRow = useCallback((n: string) => onActiveChange(n), [onActiveChange]);

  return (
    <div
      ref={scrollRef}
      className="grid"
      role="grid"
      aria-label="Extensions"
      aria-rowcount={visible.length + 1}
      aria-colcount={COLUMNS.length}
      data-version={version}
      data-query={search}
      onKeyDown={onKeyDown}
    >
      <div role="rowgroup" className="grid-head">
        <div role="row" aria-rowindex={1} className="grid-row head-row">
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
        </div>
      </div>
      <div role="rowgroup" className="grid-rows" style={{ height: Math.max(0, virtualizer.getTotalSize() - HEADER_HEIGHT) }}>
        {rendered.map(({ pos, start }) => {
          const ext = index.rows[visible[pos]!]!;
          return (
            <Row
              key={ext.number}
              ext={ext}
              siteName={index.siteNameOf(ext.siteId)}
              pos={pos}
              top={start - HEADER_HEIGHT}
              active={pos === activePos}
              open={ext.number === openNumber}
              onOpen={openRow}
              onFocusRow={focusRow}
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
  onOpen: (number: string) => void;
  onFocusRow: (number: string) => void;
}

const Row = memo(function Row({ ext, siteName, pos, top, active, open, onOpen, onFocusRow }: RowProps) {
  const badge = protectionBadge(ext);
  return (
    <div
      role="row"
      id={`ext-row-${ext.number}`}
      data-number={ext.number}
      data-pos={pos}
      aria-rowindex={pos + 2}
      aria-selected={open}
      tabIndex={active ? 0 : -1}
      className={`grid-row body-row${active ? ' active' : ''}${open ? ' open' : ''}`}
      style={{ transform: `translateY(${top}px)` }}
      onClick={() => onOpen(ext.number)}
      onFocus={(e) => {
        if (e.target === e.currentTarget && !active) onFocusRow(ext.number);
      }}
    >
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
    </div>
  );
});

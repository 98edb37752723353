// A table section whose rows can be selected and acted on in bulk (the Lockouts screen's blacklisted
// extensions and blacklisted addresses): a heading with a count and an "… all…" button behind a
// confirmation, a bar for the selected rows ("Reset selected (2)", "Clear selection"), the error or done
// line of the last action, an empty state, and the keyboard of the table (Space toggles a row's checkbox,
// Ctrl+A selects every row, ↑/↓ move between the rows' checkboxes).
//
// The selection lives in `useSelection` (the caller draws the rows with it); the section runs the action
// (`run`): busy while it runs, then the selection is cleared, the confirmation closed, the returned text
// said and focus put on the heading; a failure shows its message.
import { useEffect, useId, useRef, useState, type KeyboardEvent as ReactKeyboardEvent, type ReactNode } from 'react';
import { errorBody } from '../api';
import { useReadOnly } from '../lib/review';
import { pruneSelection, toggleSelection } from '../lib/lockouts';
import { ErrorLine } from './ErrorNotice';
import { DoneStatus } from './Field';

export interface Selection<K> {
  /** The keys of the rows shown, in order. */
  keys: readonly K[];
  /** The selected keys, kept to the rows still shown (a row that left the table leaves the selection). */
  selected: Set<K>;
  allChecked: boolean;
  toggle: (key: K) => void;
  selectAll: () => void;
  /** The header checkbox: all when not all are selected, else none. */
  toggleAll: () => void;
  clear: () => void;
}

export function useSelection<K>(keys: readonly K[]): Selection<K> {
  const [selectedRaw, setSelected] = useState<Set<K>>(new Set());
  const selected = pruneSelection(selectedRaw, keys);
  const allChecked = keys.length > 0 && selected.size === keys.length;
  return {
    keys,
    selected,
    allChecked,
    toggle: (key) => setSelected((s) => toggleSelection(pruneSelection(s, keys), key)),
    selectAll: () => setSelected(new Set(keys)),
    toggleAll: () => setSelected(allChecked ? new Set() : new Set(keys)),
    clear: () => setSelected(new Set()),
  };
}

/** Ctrl+A selects every row; ↑/↓ move between the rows' checkboxes (Space toggles, natively). */
export function tableKeys(e: ReactKeyboardEvent<HTMLElement>, selectAll: () => void): void {
  const target = e.target as HTMLElement;
  if ((e.ctrlKey || e.metaKey) && !e.altKey && e.key.toLowerCase() === 'a') {
    if (target.matches('input[type="text"], input:not([type]), input[type="search"], textarea')) return;
    e.preventDefault();
    selectAll();
    return;
  }
  if ((e.key === 'ArrowDown' || e.key === 'ArrowUp') && target.matches('input.row-check')) {
    const boxes = [...e.currentTarget.querySelectorAll<HTMLInputElement>('input.row-check')];
    const i = boxes.indexOf(target as HTMLInputElement);
    const next = boxes[e.key === 'ArrowDown' ? i + 1 : i - 1];
    if (next) {
      e.preventDefault();
      next.focus();
    }
  }
}

function Confirm({
  text,
  yes,
  busy,
  onYes,
  onCancel,
}: {
  text: string;
  yes: string;
  busy: boolean;
  onYes: () => void;
  onCancel: () => void;
}) {
  const ref = useRef<HTMLButtonElement>(null);
  useEffect(() => ref.current?.focus(), []);
  return (
    <div
      className="confirm-box"
      role="group"
      aria-label="Confirm"
      onKeyDown={(e) => {
        if (e.key === 'Escape') {
          e.preventDefault();
          e.stopPropagation();
          onCancel();
        }
      }}
    >
      <p>{text}</p>
      <div className="form-actions">
        <button type="button" ref={ref} className="btn danger" onClick={onYes} disabled={busy} aria-busy={busy || undefined}>
          {yes}
        </button>
        <button type="button" className="btn" onClick={onCancel} disabled={busy}>
          Cancel
        </button>
      </div>
    </div>
  );
}

/** The header cell's checkbox: all rows, none, or some (indeterminate). */
export function SelectAllCheckbox<K>({ selection, label }: { selection: Selection<K>; label: string }) {
  const { selected, allChecked } = selection;
  return (
    <th scope="col" className="c-check">
      <input
        type="checkbox"
        aria-label={label}
        checked={allChecked}
        ref={(el) => {
          if (el) el.indeterminate = selected.size > 0 && !allChecked;
        }}
        onChange={selection.toggleAll}
      />
    </th>
  );
}

/** A row's checkbox cell (`row-check`: ↑/↓ move between them). */
export function RowCheckbox<K>({ selection, rowKey, label }: { selection: Selection<K>; rowKey: K; label: string }) {
  return (
    <td className="c-check">
      <input type="checkbox" className="row-check" aria-label={label} checked={selection.selected.has(rowKey)} onChange={() => selection.toggle(rowKey)} />
    </td>
  );
}

/** The bar shown while rows are selected: how many, the action on them, and "Clear selection". */
export function SelectionBar({
  label,
  count,
  action,
  onAction,
  onClear,
  busy,
  online,
}: {
  /** The bar's name, e.g. "Selected extensions". */
  label: string;
  count: number;
  /** The action button's text, e.g. "Reset selected (2)". */
  action: string;
  onAction: () => void;
  onClear: () => void;
  busy: boolean;
  online: boolean;
}) {
  return (
    <div className="bulk-bar" role="group" aria-label={label}>
      <span className="bulk-count">{`${count} selected`}</span>
      <div className="bulk-actions">
        <button type="button" className="btn primary small-btn" onClick={onAction} disabled={busy || !online} aria-busy={busy || undefined}>
          {action}
        </button>
        <button type="button" className="btn small-btn" onClick={onClear} disabled={busy}>
          Clear selection
        </button>
      </div>
    </div>
  );
}

export function BulkTableSection<K>({
  title,
  count,
  allAction,
  confirmText,
  confirmYes,
  selectionLabel,
  selectedAction,
  online,
  selection,
  run,
  empty,
  children,
}: {
  title: string;
  /** Beside the heading (a live status), e.g. "3 rows, 1 locked now". */
  count: string;
  /** The button that asks to act on every row, e.g. "Reset all…". */
  allAction: string;
  confirmText: string;
  confirmYes: string;
  /** The name of the bar shown while rows are selected, e.g. "Selected extensions". */
  selectionLabel: string;
  /** Its button, followed by the number selected, e.g. "Reset selected". */
  selectedAction: string;
  online: boolean;
  selection: Selection<K>;
  /** Act on the selected rows or on all of them; resolves to what to say when done. */
  run: (which: 'selected' | 'all') => Promise<string>;
  /** Shown instead of the table when there is no row. */
  empty: ReactNode;
  /** The table (and anything below it), given the heading's id to name it by. */
  children: (titleId: string) => ReactNode;
}) {
  const ids = useId();
  const titleId = `${ids}-title`;
  const headingRef = useRef<HTMLHeadingElement>(null);
  const [confirmAll, setConfirmAll] = useState(false);
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const { selected } = selection;
  const rowCount = selection.keys.length;

  const act = async (which: 'selected' | 'all') => {
    setBusy(true);
    setErr(null);
    setDone(null);
    try {
      const text = await run(which);
      selection.clear();
      setConfirmAll(false);
      setDone(text);
      requestAnimationFrame(() => headingRef.current?.focus());
    } catch (e) {
      setErr(errorBody(e).message);
    } finally {
      setBusy(false);
    }
  };

  const readOnly = useReadOnly();
  return (
    <section className="lock-section" aria-labelledby={titleId}>
      <div className="section-head">
        <h2 id={titleId} ref={headingRef} tabIndex={-1}>
          {title}
        </h2>
        <span className="count" role="status">
          {count}
        </span>
        <div className="section-actions">
          <button type="button" className="btn small-btn" onClick={() => setConfirmAll(true)} disabled={rowCount === 0 || busy || !online || confirmAll || !!readOnly} title={readOnly ?? undefined}>
            {allAction}
          </button>
        </div>
      </div>

      {confirmAll ? <Confirm text={confirmText} yes={confirmYes} busy={busy} onYes={() => void act('all')} onCancel={() => setConfirmAll(false)} /> : null}

      {selected.size > 0 && !readOnly ? (
        <SelectionBar
          label={selectionLabel}
          count={selected.size}
          action={`${selectedAction} (${selected.size})`}
          onAction={() => void act('selected')}
          onClear={selection.clear}
          busy={busy}
          online={online}
        />
      ) : null}

      <ErrorLine text={err} />
      <DoneStatus text={done} />

      {rowCount === 0 ? (
        <div className="lock-empty">{empty}</div>
      ) : (
        <div className="table-wrap" onKeyDown={(e) => tableKeys(e, selection.selectAll)}>
          {children(titleId)}
        </div>
      )}
    </section>
  );
}

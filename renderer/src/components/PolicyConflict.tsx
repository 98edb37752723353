// The 412 view of a policy editor (PIN policies, lockout policy): someone else saved the policy while you
// were editing it, so both versions are shown side by side, row by row, the rows that differ marked, and you
// choose: take the PBX's version, or keep yours (then save it on top of theirs).
import { useEffect, useId, useRef, type Ref } from 'react';
import { ErrorIcon } from './icons';

/** One line of a policy in words ("Length" → "4 to 8 digits"); both versions list the same labels in order. */
export interface PolicyRow {
  label: string;
  value: string;
}

function Rows({ rows, other }: { rows: readonly PolicyRow[]; other: readonly PolicyRow[] | null }) {
  return (
    <dl>
      {rows.map((r, i) => (
        <div key={r.label} className={other && r.value !== other[i]!.value ? 'differs' : undefined}>
          <dt>{r.label}</dt>
          <dd>{r.value}</dd>
        </div>
      ))}
    </dl>
  );
}

export function PolicyConflict({
  boxRef,
  title,
  mineTitle,
  theirsTitle,
  mine,
  theirs,
  onUsePbx,
  onKeepMine,
  focusOnShow = false,
}: {
  boxRef?: Ref<HTMLDivElement>;
  /** What happened, said as an alert: who changed it, when, and that your changes are not saved yet. */
  title: string;
  mineTitle: string;
  theirsTitle: string;
  /** Your draft in words; null while it has errors (nothing to compare). */
  mine: readonly PolicyRow[] | null;
  /** The version now on the PBX in words. */
  theirs: readonly PolicyRow[];
  onUsePbx: () => void;
  onKeepMine: () => void;
  /** Put the focus on "Reload" when shown (the Save button that led here is disabled now). */
  focusOnShow?: boolean;
}) {
  const titleId = useId();
  const reloadRef = useRef<HTMLButtonElement>(null);
  const focusRef = useRef(focusOnShow);
  useEffect(() => {
    if (focusRef.current) reloadRef.current?.focus();
  }, []);
  return (
    <div className="conflict" role="group" aria-labelledby={titleId} ref={boxRef}>
      <p id={titleId} className="conflict-title" role="alert">
        <ErrorIcon />
        {title}
      </p>
      <div className="conflict-cols">
        <div className="conflict-col">
          <h4>{mineTitle}</h4>
          {mine ? <Rows rows={mine} other={theirs} /> : <p className="small">Your draft has errors; fix them to compare.</p>}
        </div>
        <div className="conflict-col">
          <h4>{theirsTitle}</h4>
          <Rows rows={theirs} other={mine} />
        </div>
      </div>
      <div className="form-actions">
        <button type="button" className="btn" onClick={onUsePbx} ref={reloadRef}>
          Reload: use the PBX version
        </button>
        <button type="button" className="btn primary" onClick={onKeepMine}>
          Keep my version (then save)
        </button>
      </div>
    </div>
  );
}

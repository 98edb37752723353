// The foot of a policy editor's form (PIN policies, lockout policy): Save (disabled, with the reason as its
// description, while it cannot run), any buttons of the editor's own, Discard, whether the draft is saved,
// the reason Save is disabled (shown once the draft differs from the PBX, with a link to the first field in
// error; before that only to screen readers), and what the last action did.
import type { ReactNode } from 'react';
import { useReadOnly } from '../lib/review';
import { DoneStatus } from './Field';
import { ErrorIcon } from './icons';

/** The first reason Save cannot run, or null when it can. */
export function saveBlockedReason({
  conflict,
  errorLabels,
  separator,
  dirty,
  online,
}: {
  /** The PBX has a newer version: choose one first. */
  conflict: boolean;
  /** The labels of the fields in error, in form order. */
  errorLabels: readonly string[];
  /** Between the labels ("; " where the labels have colons of their own). */
  separator: string;
  dirty: boolean;
  online: boolean;
}): string | null {
  if (conflict) return 'Choose a version in the box above first.';
  if (errorLabels.length > 0) return `Fix ${errorLabels.length === 1 ? 'this field' : 'these fields'} first: ${errorLabels.join(separator)}.`;
  if (!dirty) return 'No changes to save.';
  if (!online) return 'Waiting for the PBX connection; your changes are kept.';
  return null;
}

export function PolicyFormActions({
  blockedId,
  saveLabel,
  blocked,
  busy,
  dirty,
  draftState,
  hasErrors,
  done,
  onDiscard,
  onGoToFirstError,
  children,
}: {
  /** The id of the reason line (the Save button's description). */
  blockedId: string;
  saveLabel: string;
  /** saveBlockedReason(…): null when Save can run. */
  blocked: string | null;
  busy: boolean;
  dirty: boolean;
  /** Beside the buttons, e.g. "Not saved yet."; null for nothing. */
  draftState: string | null;
  hasErrors: boolean;
  done: string | null;
  onDiscard: () => void;
  onGoToFirstError: () => void;
  /** Buttons between Save and Discard. */
  children?: ReactNode;
}) {
  const readOnly = useReadOnly();
  const canSave = blocked === null && !busy;
  if (readOnly) {
    return (
      <p className="read-only-note" id={blockedId}>
        Read-only: {readOnly.replace(/^This is a review/, 'this is a review')}
      </p>
    );
  }
  return (
    <>
      <div className="form-actions policy-actions">
        <button type="submit" className="btn primary" disabled={!canSave} aria-busy={busy || undefined} aria-describedby={blocked ? blockedId : undefined}>
          {saveLabel}
        </button>
        {children}
        <button type="button" className="btn" onClick={onDiscard} disabled={!dirty || busy}>
          Discard changes
        </button>
        {draftState ? <span className="draft-state">{draftState}</span> : null}
      </div>
      {blocked && dirty ? (
        <p id={blockedId} className={hasErrors ? 'field-error' : 'muted small'}>
          {hasErrors ? <ErrorIcon /> : null}
          <span>
            {blocked}
            {hasErrors ? (
              <>
                {' '}
                <button type="button" className="link-btn" onClick={onGoToFirstError}>
                  Go to the first one
                </button>
              </>
            ) : null}
          </span>
        </p>
      ) : blocked ? (
        <p id={blockedId} className="sr-only">
          {blocked}
        </p>
      ) : null}
      <DoneStatus text={done} />
    </>
  );
}

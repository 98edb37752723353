// Issue 7: write controls in a review of an exported file. `ReadOnlyFieldset` wraps a section whose controls all
// write (a form, an editor, a row's actions): in a review it becomes a disabled <fieldset> — every control in it
// disabled natively (skipped by Tab, announced as unavailable) — with the reason said once above it; live, it
// renders its children untouched. `useReadOnly` (lib/review) is for a single button inside a read section.
import type { ReactNode } from 'react';
import { useReadOnly } from '../lib/review';

export function ReadOnlyFieldset({ children, note = true }: { children: ReactNode; note?: boolean }) {
  const reason = useReadOnly();
  if (!reason) return <>{children}</>;
  return (
    <fieldset disabled className="read-only-fieldset" title={reason}>
      {note ? <p className="read-only-note">Read-only: {reason.replace(/^This is a review/, 'this is a review')}</p> : null}
      {children}
    </fieldset>
  );
}

// The default voicemail PIN shown large enough to read out over the counter, with a printable slip.
// Shared by the Credentials section of the extension detail and the Reception view.
import { useEffect, useId, useRef } from 'react';
import { createPortal } from 'react-dom';

export type DefaultPinView = { number: string; label: string; pin: string; shownAt: number };

/** "480713" → ["480", "713"]; 4 digits → ["48", "07"]; groups of 3 otherwise. */
export function groupDigits(pin: string): string[] {
  const size = pin.length <= 4 ? 2 : 3;
  const out: string[] = [];
  for (let i = 0; i < pin.length; i += size) out.push(pin.slice(i, i + size));
  return out;
}

/** `level`: its heading's level where the box does not sit under an h3 (the reception card's is an h2). */
export function DefaultPinBox({ view, onDone, level }: { view: DefaultPinView; onDone: () => void; level?: number }) {
  const titleId = useId();
  const headingRef = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    headingRef.current?.focus();
    headingRef.current?.scrollIntoView({ block: 'nearest' });
  }, [view]);
  const groups = groupDigits(view.pin);
  const date = new Date(view.shownAt).toLocaleString('en', { dateStyle: 'long', timeStyle: 'short' });
  return (
    <div
      className="default-pin-box"
      role="group"
      aria-labelledby={titleId}
      onKeyDown={(e) => {
        if (e.key === 'Escape') {
          e.preventDefault();
          e.stopPropagation();
          onDone();
        }
      }}
    >
      <h4 id={titleId} ref={headingRef} tabIndex={-1} aria-level={level}>{`Default PIN for ${view.number}`}</h4>
      <p className="default-pin-digits" data-pin={view.pin}>
        <span aria-hidden="true">
          {groups.map((g, i) => (
            <span key={i} className="pin-group">
              {g}
            </span>
          ))}
        </span>
        <span className="sr-only">{view.pin.split('').join(' ')}</span>
      </p>
      <p className="muted small">The user will be asked to choose a new PIN at the next voicemail sign-in.</p>
      <div className="form-actions">
        <button type="button" className="btn" onClick={() => window.print()}>
          Print slip
        </button>
        <button type="button" className="btn primary" onClick={onDone}>
          Done
        </button>
      </div>
      {createPortal(
        <div className="print-slip" aria-hidden="true">
          <p className="slip-title">Voicemail PIN</p>
          <dl>
            <div>
              <dt>Extension</dt>
              <dd>{view.number}</dd>
            </div>
            <div>
              <dt>Name</dt>
              <dd>{view.label}</dd>
            </div>
            <div>
              <dt>Default PIN</dt>
              <dd className="slip-pin">{groups.join(' ')}</dd>
            </div>
            <div>
              <dt>Date</dt>
              <dd>{date}</dd>
            </div>
          </dl>
          <p>You will be asked to choose a new PIN the first time you sign in to your voicemail.</p>
        </div>,
        document.body,
      )}
    </div>
  );
}

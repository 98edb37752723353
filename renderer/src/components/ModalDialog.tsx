// A native modal <dialog> for the console: opened when mounted, closed when unmounted; Escape (the dialog's
// cancel) asks the owner to close it; focus goes back to what had it before the dialog opened (the trigger),
// or — when that is gone (the row it was in left the table) — to `fallbackFocus`.
import { useEffect, useId, useRef, type ReactNode } from 'react';

export function ModalDialog({
  title,
  className,
  onClose,
  fallbackFocus,
  children,
}: {
  title: string;
  className?: string;
  onClose: () => void;
  fallbackFocus?: () => HTMLElement | null;
  children: (titleId: string) => ReactNode;
}) {
  const ids = useId();
  const titleId = `${ids}-title`;
  const ref = useRef<HTMLDialogElement>(null);
  const onCloseRef = useRef(onClose);
  onCloseRef.current = onClose;
  const fallbackRef = useRef(fallbackFocus);
  fallbackRef.current = fallbackFocus;

  useEffect(() => {
    const d = ref.current;
    const before = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    if (d && !d.open) d.showModal();
    const onCancel = (e: Event) => {
      e.preventDefault();
      onCloseRef.current();
    };
    d?.addEventListener('cancel', onCancel);
    return () => {
      d?.removeEventListener('cancel', onCancel);
      if (d?.open) d.close();
      // After React has removed the dialog and updated the page: the trigger may be gone by then.
      requestAnimationFrame(() => {
        const target = before && before.isConnected && !before.matches(':disabled') ? before : (fallbackRef.current?.() ?? null);
        target?.focus();
      });
    };
  }, []);

  return (
    <dialog ref={ref} className={`modal-dialog${className ? ` ${className}` : ''}`} aria-labelledby={titleId}>
      <h2 id={titleId}>{title}</h2>
      {children(titleId)}
    </dialog>
  );
}

/**
 * A confirmation's buttons: the dangerous "Yes, …" (focused when the dialog opens, so Enter confirms) and
 * Cancel, and the line that says so (and that the PBX is out of reach, when it is).
 */
export function ConfirmActions({
  yes,
  enterDoes,
  onYes,
  onCancel,
  busy,
  online,
}: {
  yes: string;
  /** What Enter does, e.g. "logs out". */
  enterDoes: string;
  onYes: () => void;
  onCancel: () => void;
  busy: boolean;
  online: boolean;
}) {
  return (
    <>
      <div className="form-actions">
        <button type="button" className="btn danger big" onClick={onYes} disabled={busy || !online} aria-busy={busy || undefined} autoFocus>
          {yes}
        </button>
        <button type="button" className="btn big" onClick={onCancel} disabled={busy}>
          Cancel
        </button>
      </div>
      <p className="muted small">
        <kbd>Enter</kbd> {enterDoes}, <kbd>Esc</kbd> cancels.
        {!online ? ' The PBX is out of reach; try again when it is back.' : ''}
      </p>
    </>
  );
}

// Errors said as alerts. ErrorNotice: a failed save, the PBX's message and, when it names several problems,
// each of them on a line of its own (the lockout policy editor, the PIN policy editor, the protection
// section). ErrorLine: one line ("The chart could not be loaded: …"), optionally with a button after it.
import type { ReactNode, Ref } from 'react';
import type { ErrorBody, FieldIssue } from '../../../shared/errors';
import { ErrorIcon } from './icons';

export function ErrorNotice({
  error,
  boxRef,
  listFrom = 1,
  detail = (d) => d.message,
}: {
  error: ErrorBody;
  boxRef?: Ref<HTMLDivElement>;
  /** How many details it takes to list them (2 where the message already says the only one). */
  listFrom?: number;
  /** One detail's line (default: its message). */
  detail?: (d: FieldIssue) => ReactNode;
}) {
  return (
    <div className="notice error" role="alert" ref={boxRef}>
      <ErrorIcon />
      <div>
        <span>{error.message}</span>
        {error.details && error.details.length >= listFrom ? (
          <ul className="detail-list">
            {error.details.map((d, i) => (
              <li key={i}>{detail(d)}</li>
            ))}
          </ul>
        ) : null}
      </div>
    </div>
  );
}

/** One line of error as an alert (nothing when `text` is null), optionally followed by a button (Try again). */
export function ErrorLine({ text, children }: { text: string | null; children?: ReactNode }) {
  if (!text) return null;
  return (
    <div className="notice error" role="alert">
      <ErrorIcon /> <span>{text}</span>
      {children}
    </div>
  );
}

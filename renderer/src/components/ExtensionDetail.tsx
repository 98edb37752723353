// The detail panel of one extension: facts, where incoming calls go, and the Password protection
// section (SPEC F1), then Credentials (SPEC F2); a Lockout section with Unlock when it is locked (SPEC F3). Escape closes it and focus returns to the row.
import { useEffect, useRef } from 'react';
import type { Extension } from '../../../shared/domain';
import { EXTENSION_TYPE_LABEL } from '../../../shared/domain';
import { CALL_DECISION_TEXT } from '../../../shared/protection';
import { CredentialsSection } from './CredentialsSection';
import { ProtectionSection } from './ProtectionSection';
import { LockSection } from './LockSection';
import type { ExtensionLock } from '../../../shared/lockout';

interface Props {
  ext: Extension;
  siteName: string;
  /** > 0 and bumped each time the panel is opened from the keyboard: focus moves into the panel. 0 = leave focus. */
  focusSignal: number;
  onClose: () => void;
  onUpdated: (ext: Extension) => void;
  /** This extension's lock rows (the live lockouts store). */
  locks: readonly ExtensionLock[];
  online: boolean;
}

export function ExtensionDetail({ ext, siteName, focusSignal, onClose, onUpdated, locks, online }: Props) {
  const headingRef = useRef<HTMLHeadingElement>(null);
  const titleId = `detail-${ext.number}-title`;

  useEffect(() => {
    // Opened from the keyboard (Enter on a row or in the search box): move focus into the panel.
    if (focusSignal > 0) headingRef.current?.focus();
  }, [focusSignal]);

  return (
    <section
      className="detail"
      role="region"
      aria-label={`Extension ${ext.number}`}
      onKeyDown={(e) => {
        if (e.key === 'Escape' && !e.defaultPrevented) {
          e.preventDefault();
          onClose();
        }
      }}
    >
      <div className="detail-head">
        <h2 id={titleId} ref={headingRef} tabIndex={-1}>
          {`${ext.number} · ${ext.label}`}
        </h2>
        <button type="button" className="btn ghost" onClick={onClose} aria-keyshortcuts="Escape">
          Close
        </button>
      </div>

      <p className={`call-decision decision-${ext.incomingCalls}`}>{CALL_DECISION_TEXT[ext.incomingCalls]}</p>

      <dl className="facts">
        <div>
          <dt>Type</dt>
          <dd>{EXTENSION_TYPE_LABEL[ext.type]}</dd>
        </div>
        <div>
          <dt>Site</dt>
          <dd>{siteName}</dd>
        </div>
        <div>
          <dt>Status</dt>
          <dd>{ext.status === 'active' ? 'Active' : 'Inactive'}</dd>
        </div>
        <div>
          <dt>Voicemail</dt>
          <dd>{ext.voicemail ? 'On' : 'Off'}</dd>
        </div>
      </dl>

      <LockSection number={ext.number} locks={locks} online={online} />
      <ProtectionSection ext={ext} onUpdated={onUpdated} />
      <CredentialsSection ext={ext} onUpdated={onUpdated} />
    </section>
  );
}

// The extension detail's Lockout section (SPEC F3): which of the extension's credentials are locked (until
// when, or permanently) or collecting failed sign-ins, and Unlock — the same reset as the Lockouts screen and
// the reception card. Follows the live lockouts store; hidden when there is nothing to say.
import { useId, useRef, useState } from 'react';
import { useReadOnly } from '../lib/review';
import { LOCK_CREDENTIAL_LABEL, type ExtensionLock } from '../../../shared/lockout';
import { call, errorBody } from '../api';
import { countdownWords, getLockoutStore, lockBlockedAt, lockRemainingMs } from '../lib/lockouts';
import { useNow } from '../lib/time';
import { DoneStatus } from './Field';

export function LockSection({ number, locks, online }: { number: string; locks: readonly ExtensionLock[]; online: boolean }) {
  const readOnly = useReadOnly();
  const titleId = useId();
  const now = useNow(1000);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const buttonRef = useRef<HTMLButtonElement>(null);
  const locked = locks.filter((l) => lockBlockedAt(l, now));
  const failing = locks.filter((l) => !l.blocked && l.failures > 0);
  if (locked.length === 0 && failing.length === 0 && done === null) return null;

  const unlock = async () => {
    setBusy(true);
    setError(null);
    setDone(null);
    try {
      const asked = [{ extension: number }];
      const res = await call('lockouts.reset', { items: asked });
      getLockoutStore().applyReset(res, asked);
      setDone(`Unlocked. ${number} can sign in again (the failed sign-ins are forgotten).`);
    } catch (e) {
      setError(errorBody(e).message);
      requestAnimationFrame(() => buttonRef.current?.focus());
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="lock-detail" aria-labelledby={titleId}>
      <div className="section-title">
        <h3 id={titleId}>Lockout</h3>
        {locked.length > 0 ? <span className="badge badge-lock">Locked</span> : null}
      </div>
      <ul className="lock-detail-lines">
        {locked.map((l) => {
          const left = lockRemainingMs(l, now);
          return (
            <li key={l.credential}>
              <strong>{LOCK_CREDENTIAL_LABEL[l.credential]}</strong>
              {l.permanent || left === null
                ? ': locked until someone unlocks it (too many locks in a row).'
                : `: locked after ${l.failures} failed sign-ins${l.lastAddress ? ` (last from ${l.lastAddress})` : ''}; unlocks by itself in ${countdownWords(left)}.`}
            </li>
          );
        })}
        {failing.map((l) => (
          <li key={l.credential}>
            <strong>{LOCK_CREDENTIAL_LABEL[l.credential]}</strong>: {l.failures} of {l.maxFailures} failed sign-ins before a lock.
          </li>
        ))}
      </ul>
      {locked.length > 0 || failing.length > 0 ? (
        <div className="form-actions">
          <button type="button" ref={buttonRef} className="btn primary" onClick={() => void unlock()} disabled={busy || !online || !!readOnly} title={readOnly ?? undefined} aria-busy={busy || undefined}>
            {locked.length > 0 ? 'Unlock' : 'Forget the failed sign-ins'}
          </button>
        </div>
      ) : null}
      {error ? (
        <p className="notice error" role="alert">
          {error}
        </p>
      ) : null}
      <DoneStatus text={done} />
    </section>
  );
}

// The admin allowlist (issue 6 / SPEC F5; admins): which addresses may manage this PBX at all. One address or
// CIDR block per line, checked while typing with the PBX's own parser; the address this console reaches the
// PBX from is shown with whether the draft still lets it in — and saving a list that does not asks for an
// explicit confirmation (the PBX refuses it otherwise: 409 allowlist_excludes_you).
import { useCallback, useEffect, useId, useMemo, useRef, useState } from 'react';
import type { AdminAllowlist } from '../../../shared/admin';
import type { ErrorBody } from '../../../shared/errors';
import { call, errorBody } from '../api';
import { readAllowlist } from '../lib/allowlist';
import { subscribeEvents } from '../lib/events';
import { absoluteTime } from '../lib/time';
import { ErrorLine, ErrorNotice } from './ErrorNotice';
import { DoneStatus } from './Field';
import { ErrorIcon } from './icons';
import { ModalDialog } from './ModalDialog';

export function AdminAllowlistEditor({ online }: { online: boolean }) {
  const ids = useId();
  const [saved, setSaved] = useState<AdminAllowlist | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [text, setText] = useState<string | null>(null);
  const textRef = useRef<string | null>(null);
  textRef.current = text;
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ErrorBody | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [confirming, setConfirming] = useState(false);

  /** The list as last loaded: an untouched editor follows a change made elsewhere; an edited one keeps the edits. */
  const savedText = useRef<string | null>(null);
  savedText.current = saved ? saved.entries.join('\n') : null;
  const load = useCallback(async () => {
    try {
      const a = await call('admin.allowlist', {});
      const before = savedText.current;
      const t = textRef.current;
      // an untouched editor follows a change made elsewhere; an edited one keeps its edits and the version they
      // were made on (Save then gets the PBX's 412 and shows both lists: never a silent overwrite)
      if (t === null || before === null || t === before) {
        setSaved(a);
        setText(a.entries.join('\n'));
      }
      setLoadError(null);
    } catch (e) {
      setLoadError(errorBody(e).message);
    }
  }, []);
  useEffect(() => {
    void load();
    return subscribeEvents((e) => {
      // another admin (or another console) saved the list
      if (e.kind === 'resync' || (e.kind === 'pbx' && e.event.type === 'admin.changed' && e.event.what === 'allowlist')) void load();
    });
  }, [load]);

  const draft = useMemo(() => readAllowlist(text ?? ''), [text]);
  const changed = saved !== null && text !== null && draft.entries.join('\n') !== saved.entries.join('\n');
  const you = saved?.yourAddress ?? null;
  const youIn = you === null ? true : draft.admits(you);

  const save = async (confirmExcludeSelf: boolean) => {
    if (!saved) return;
    setBusy(true);
    setError(null);
    setDone(null);
    try {
      const next = await call('admin.setAllowlist', { etag: saved.etag, entries: draft.entries, ...(confirmExcludeSelf ? { confirmExcludeSelf: true } : {}) });
      setSaved(next);
      setText(next.entries.join('\n'));
      setConfirming(false);
      setDone(next.entries.length === 0 ? 'Saved: every address may manage this PBX.' : `Saved: ${next.entries.length} ${next.entries.length === 1 ? 'entry' : 'entries'}.`);
    } catch (e) {
      const b = errorBody(e);
      if (b.code === 'allowlist_excludes_you') setConfirming(true);
      else setError(b);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="policy-editor lock-section allowlist-editor" aria-labelledby={`${ids}-title`}>
      <div className="section-head">
        <h2 id={`${ids}-title`}>Who may manage this PBX</h2>
        <span className="muted small">Addresses and networks (CIDR) the PBX answers admin requests from. Phones are not affected.</span>
      </div>
      <ErrorLine text={loadError ? `Could not read the allowlist: ${loadError}` : null}>
        <button type="button" className="btn small-btn" onClick={() => void load()} disabled={!online}>
          Try again
        </button>
      </ErrorLine>
      {saved && text !== null ? (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            if (draft.problems.length === 0 && changed) void (youIn ? save(false) : setConfirming(true));
          }}
        >
          <div className={`field${draft.problems.length ? ' has-error' : ''}`}>
            <label htmlFor={`${ids}-text`}>Allowed addresses, one per line</label>
            <textarea
              id={`${ids}-text`}
              className="settings-text"
              rows={Math.min(12, Math.max(4, (text.match(/\n/g)?.length ?? 0) + 2))}
              value={text}
              spellCheck={false}
              placeholder={'Empty: every address may manage this PBX\n192.0.2.10\n10.20.0.0/16\n2001:db8::/32'}
              aria-describedby={`${ids}-hint ${ids}-you`}
              aria-invalid={draft.problems.length > 0 || undefined}
              onChange={(e) => {
                setText(e.target.value);
                setDone(null);
              }}
            />
            <p id={`${ids}-hint`} className="field-hint">
              {draft.entries.length === 0 ? 'Empty: every address may manage this PBX.' : `${draft.entries.length} ${draft.entries.length === 1 ? 'entry' : 'entries'}.`}
              {draft.duplicates.length ? ` Line${draft.duplicates.length === 1 ? '' : 's'} ${draft.duplicates.join(', ')} repeat${draft.duplicates.length === 1 ? 's' : ''} an entry (kept once).` : ''}
            </p>
            {draft.problems.length ? (
              <ul className="field-error detail-list" role="alert">
                {draft.problems.map((p) => (
                  <li key={p.line}>{`Line ${p.line} (“${p.text}”): ${p.message}`}</li>
                ))}
              </ul>
            ) : null}
          </div>
          <p id={`${ids}-you`} className={youIn ? 'small' : 'notice warn-notice small'} role={youIn ? undefined : 'alert'}>
            {youIn ? null : <ErrorIcon />}
            <span>
              This console reaches the PBX from <strong className="mono">{you}</strong>
              {youIn ? ' — the list lets it in.' : ' — this list leaves it out: after saving, this console could no longer manage the PBX.'}
            </span>
          </p>
          {error ? <ErrorNotice error={error} /> : null}
          <div className="form-actions">
            <button type="submit" className="btn primary" disabled={!online || busy || !changed || draft.problems.length > 0} aria-busy={busy || undefined}>
              Save allowlist
            </button>
            <button type="button" className="btn" disabled={busy || !changed} onClick={() => setText(saved.entries.join('\n'))}>
              Undo changes
            </button>
            <span className="muted small">{saved.updatedAt ? `Saved ${absoluteTime(saved.updatedAt)} by ${saved.updatedBy ?? 'system'}` : 'Never changed'}</span>
          </div>
          <DoneStatus text={done} />
        </form>
      ) : !loadError ? (
        <p className="loading">Loading…</p>
      ) : null}
      {confirming && you ? (
        <ModalDialog title="Shut this console out?" onClose={() => setConfirming(false)}>
          {() => (
            <>
              <p>
                The new list leaves out <strong className="mono">{you}</strong>, the address this console reaches the PBX from. Once it is
                saved, the PBX refuses every request from here — including this console — until someone changes the list from an address on it.
              </p>
              <div className="form-actions">
                <button type="button" className="btn" onClick={() => setConfirming(false)} autoFocus>
                  Keep editing
                </button>
                <button type="button" className="btn danger" onClick={() => void save(true)} disabled={busy || !online} aria-busy={busy || undefined}>
                  Save anyway
                </button>
              </div>
            </>
          )}
        </ModalDialog>
      ) : null}
    </section>
  );
}

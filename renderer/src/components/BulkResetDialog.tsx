// Bulk "reset voicemail PINs to default": confirm → progress (with cancel) → per-row results.
// The work itself is lib/bulkRunner.ts (chunks, two requests in flight, waits out the PBX's 429s);
// this is what the person sees. Modal, so nothing else changes under it; Escape closes it except while
// it runs (then the Cancel button is the way out, and it says what cancelling does).
import { useEffect, useId, useMemo, useRef, useState } from 'react';
import { call } from '../api';
import { runBulk, type BulkItem, type BulkItemState, type BulkProgress, type BulkSummary } from '../lib/bulkRunner';
import { formatCount } from '../lib/time';
import { ErrorIcon } from './icons';

type Phase = 'confirm' | 'running' | 'done';
type Tab = 'failed' | 'ok' | 'not_started' | 'pending';

const TAB_LABEL: Record<Tab, string> = { failed: 'Not reset', ok: 'Reset', not_started: 'Not started', pending: 'Waiting' };
/** Rows rendered per list (the counts always cover everything). */
const LIST_LIMIT = 300;

interface Props {
  numbers: string[];
  nameOf: (number: string) => string;
  onClose: () => void;
  /** Keep only these numbers selected (e.g. the ones not reset, to try again). */
  onSelectOnly: (numbers: string[]) => void;
}

export function BulkResetDialog({ numbers, nameOf, onClose, onSelectOnly }: Props) {
  const ids = useId();
  const ref = useRef<HTMLDialogElement>(null);
  const [phase, setPhase] = useState<Phase>('confirm');
  const [progress, setProgress] = useState<BulkProgress>({ total: numbers.length, ok: 0, failed: 0, inFlight: 0, waitingUntil: null, busyAnswers: 0 });
  const [items, setItems] = useState<readonly BulkItem[]>(() => numbers.map((number) => ({ number, state: 'pending' as const })));
  const [summary, setSummary] = useState<BulkSummary | null>(null);
  const [cancelling, setCancelling] = useState(false);
  const [tab, setTab] = useState<Tab | null>(null);
  const [startedAt, setStartedAt] = useState(0);
  const abort = useRef<AbortController | null>(null);
  const closeBtn = useRef<HTMLButtonElement>(null);
  const cancelBtn = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    const d = ref.current;
    const before = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    if (d && !d.open) d.showModal();
    // showModal() focuses the first button (Reset); start on Cancel, so a stray Enter resets nothing.
    cancelBtn.current?.focus();
    return () => {
      abort.current?.abort();
      if (d?.open) d.close();
      before?.focus();
    };
  }, []);

  useEffect(() => {
    if (phase === 'done') closeBtn.current?.focus();
  }, [phase]);

  const start = async () => {
    const ac = new AbortController();
    abort.current = ac;
    setPhase('running');
    setStartedAt(Date.now());
    let last = 0;
    const result = await runBulk({
      numbers,
      send: (chunk) => call('credentials.bulkResetVoicemailPin', { numbers: chunk }),
      signal: ac.signal,
      onProgress: (p, list) => {
        setProgress(p);
        // The list is re-rendered at most every 150 ms (a copy per update would be wasteful at 5,000 rows).
        const t = Date.now();
        if (t - last > 150) {
          last = t;
          setItems([...list]);
        }
      },
    });
    setItems([...result.items]);
    setProgress(result);
    setSummary(result);
    setPhase('done');
    setTab(result.failed > 0 ? 'failed' : result.notStarted > 0 ? 'not_started' : 'ok');
  };

  const cancel = () => {
    setCancelling(true);
    abort.current?.abort();
  };

  const counts = useMemo(() => {
    const c: Record<BulkItemState, number> = { pending: 0, ok: 0, failed: 0, not_started: 0 };
    for (const it of items) c[it.state]++;
    return c;
  }, [items]);

  const shownTab: Tab = tab ?? (counts.failed > 0 ? 'failed' : 'ok');
  const listed = useMemo(() => items.filter((it) => it.state === shownTab), [items, shownTab]);

  const finished = progress.ok + progress.failed;
  const pct = progress.total ? Math.round((finished / progress.total) * 100) : 100;
  const waitingS = progress.waitingUntil ? Math.max(1, Math.ceil((progress.waitingUntil - Date.now()) / 1000)) : 0;
  const rate = phase !== 'confirm' && finished > 0 && Date.now() > startedAt ? finished / ((Date.now() - startedAt) / 1000) : 0;

  const n = numbers.length;
  const sample = numbers.slice(0, 8).join(', ') + (n > 8 ? `, … and ${formatCount(n - 8)} more` : '');

  return (
    <dialog
      ref={ref}
      className="bulk-dialog"
      aria-labelledby={`${ids}-title`}
      aria-describedby={`${ids}-desc`}
      onCancel={(e) => {
        e.preventDefault();
        if (phase !== 'running') onClose();
      }}
    >
      <h2 id={`${ids}-title`}>Reset voicemail PINs to default</h2>

      {phase === 'confirm' ? (
        <>
          <div id={`${ids}-desc`}>
            <p>
              The voicemail PIN of <strong>{formatCount(n)}</strong> {n === 1 ? 'extension' : 'extensions'} goes back to each number’s own
              default PIN, and any PIN lock is lifted. Each user has to choose a new PIN at their next voicemail sign-in.
            </p>
            <p className="muted small">Inactive numbers are skipped and listed. Extensions: {sample}</p>
          </div>
          <div className="form-actions">
            <button type="button" className="btn primary" onClick={() => void start()}>
              Reset {formatCount(n)} {n === 1 ? 'PIN' : 'PINs'}
            </button>
            <button type="button" className="btn" onClick={onClose} ref={cancelBtn}>
              Cancel
            </button>
          </div>
        </>
      ) : (
        <>
          <div id={`${ids}-desc`} className="bulk-status" role="status" aria-live="polite">
            {phase === 'running'
              ? cancelling
                ? `Cancelling… the ${formatCount(progress.inFlight)} already sent finish first.`
                : `Resetting… ${formatCount(finished)} of ${formatCount(progress.total)} done.`
              : summary?.stoppedBy
                ? `Stopped: ${summary.stoppedBy.message}`
                : summary?.cancelled
                  ? `Cancelled: ${formatCount(summary.ok)} reset, ${formatCount(summary.notStarted)} not started${summary.failed ? `, ${formatCount(summary.failed)} not reset` : ''}.`
                  : `Done: ${formatCount(progress.ok)} reset${progress.failed ? `, ${formatCount(progress.failed)} not reset` : ''}.`}
          </div>
          <div className="bulk-progress">
            <progress
              max={progress.total}
              value={finished}
              aria-label="Reset progress"
              aria-valuetext={`${formatCount(finished)} of ${formatCount(progress.total)}`}
            />
            <span className="bulk-pct" aria-hidden="true">
              {pct}%
            </span>
          </div>
          <p className="muted small bulk-meta">
            {formatCount(progress.ok)} reset · {formatCount(progress.failed)} not reset
            {summary ? ` · ${formatCount(summary.notStarted)} not started` : ''}
            {rate > 0 ? ` · ${rate.toFixed(0)} per second` : ''}
            {phase === 'running' && waitingS > 0 ? ` · the PBX is busy; waiting ${waitingS} s as it asked` : ''}
          </p>

          <div className="bulk-tabs" role="group" aria-label="Show">
            {(['failed', 'ok', 'not_started', 'pending'] as Tab[])
              .filter((t) => counts[t] > 0 || t === shownTab)
              .map((t) => (
                <button
                  key={t}
                  type="button"
                  className={`chip${t === shownTab ? ' on' : ''}`}
                  aria-pressed={t === shownTab}
                  onClick={() => setTab(t)}
                >
                  {TAB_LABEL[t]} ({formatCount(counts[t])})
                </button>
              ))}
          </div>
          <div className="bulk-results" tabIndex={0} aria-label={`${TAB_LABEL[shownTab]}: ${formatCount(listed.length)}`}>
            {listed.length === 0 ? (
              <p className="muted small">None.</p>
            ) : (
              <table>
                <thead>
                  <tr>
                    <th scope="col">Number</th>
                    <th scope="col">Name</th>
                    <th scope="col">Result</th>
                  </tr>
                </thead>
                <tbody>
                  {listed.slice(0, LIST_LIMIT).map((it) => (
                    <tr key={it.number} data-number={it.number} data-state={it.state}>
                      <td className="num">{it.number}</td>
                      <td>{nameOf(it.number)}</td>
                      <td className={`result-${it.state}`}>
                        {it.state === 'failed' ? (
                          <>
                            <ErrorIcon /> {it.message}
                          </>
                        ) : it.state === 'ok' ? (
                          'Reset to the default PIN'
                        ) : it.state === 'not_started' ? (
                          'Not sent (cancelled)'
                        ) : (
                          'Waiting'
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
            {listed.length > LIST_LIMIT ? (
              <p className="muted small">…and {formatCount(listed.length - LIST_LIMIT)} more.</p>
            ) : null}
          </div>

          <div className="form-actions">
            {phase === 'running' ? (
              <button type="button" className="btn" onClick={cancel} disabled={cancelling}>
                {cancelling ? 'Cancelling…' : 'Cancel'}
              </button>
            ) : (
              <>
                {summary && summary.failed + summary.notStarted > 0 ? (
                  <button
                    type="button"
                    className="btn"
                    onClick={() => {
                      onSelectOnly(summary.items.filter((i) => i.state === 'failed' || i.state === 'not_started').map((i) => i.number));
                      onClose();
                    }}
                  >
                    Select the {formatCount(summary.failed + summary.notStarted)} not reset
                  </button>
                ) : null}
                <button type="button" className="btn primary" ref={closeBtn} onClick={onClose}>
                  Close
                </button>
              </>
            )}
          </div>
        </>
      )}
    </dialog>
  );
}

// Bulk "reset voicemail PINs to default": confirm → progress (with cancel) → per-row results.
// The work itself is lib/bulkRunner.ts (chunks, two requests in flight, waits out the PBX's 429s, pauses
// while the connection is lost); this is what the person sees. Modal, so nothing else changes under it.
// Escape closes it except while it runs: then the Cancel button is the way out (it says what cancelling
// does), and neither a repeated Escape nor anything else closes the <dialog> under the run.
// Focus never falls out of it: on each phase change it moves to the action that comes next.
import { useCallback, useEffect, useId, useLayoutEffect, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import { call } from '../api';
import {
  isRetryable,
  runBulk,
  type BulkItem,
  type BulkItemState,
  type BulkProgress,
  type BulkSummary,
} from '../lib/bulkRunner';
import { formatCount } from '../lib/time';
import { ErrorIcon } from './icons';

type Phase = 'confirm' | 'running' | 'done';
type Tab = 'failed' | 'uncertain' | 'ok' | 'not_started' | 'pending';

const TAB_LABEL: Record<Tab, string> = {
  failed: 'Not reset',
  uncertain: 'Uncertain',
  ok: 'Reset',
  not_started: 'Not started',
  pending: 'Waiting',
};
const TABS: Tab[] = ['failed', 'uncertain', 'ok', 'not_started', 'pending'];
/** Rows rendered per list (the counts always cover everything). */
const LIST_LIMIT = 300;
/** After the connection was lost, give the console this long to notice before trusting `online` again. */
const RECHECK_MS = 2000;

/** Why a failed item is left out of "Select the N not reset" (the reset cannot succeed for it as it is). */
const LEFT_OUT_REASON: Record<string, [one: string, many: string]> = {
  extension_inactive: ['is inactive', 'are inactive'],
  not_found: ['no longer exists', 'no longer exist'],
  forbidden: ['is not yours to reset', 'are not yours to reset'],
};

const initialProgress = (total: number): BulkProgress => ({
  total,
  ok: 0,
  failed: 0,
  uncertain: 0,
  inFlight: 0,
  waitingUntil: null,
  busyAnswers: 0,
  pausedBy: null,
});

interface Props {
  numbers: string[];
  nameOf: (number: string) => string;
  /** Whether the console is connected to the PBX (a run pauses while it is not). */
  online: boolean;
  onClose: () => void;
  /** Keep only these numbers selected (e.g. the ones not reset, to try again). */
  onSelectOnly: (numbers: string[]) => void;
}

export function BulkResetDialog({ numbers, nameOf, online, onClose, onSelectOnly }: Props) {
  const ids = useId();
  const ref = useRef<HTMLDialogElement>(null);
  const [phase, setPhase] = useState<Phase>('confirm');
  const [progress, setProgress] = useState<BulkProgress>(() => initialProgress(numbers.length));
  const [items, setItems] = useState<readonly BulkItem[]>(() => numbers.map((number) => ({ number, state: 'pending' as const })));
  const [summary, setSummary] = useState<BulkSummary | null>(null);
  const [cancelling, setCancelling] = useState(false);
  const [tab, setTab] = useState<Tab | null>(null);
  const [startedAt, setStartedAt] = useState(0);
  /** Escape was pressed while running: say how to stop instead. */
  const [escapeHint, setEscapeHint] = useState(false);
  const abort = useRef<AbortController | null>(null);
  /** Each run's updates carry its id; anything from an older run is ignored. */
  const runId = useRef(0);
  const phaseRef = useRef<Phase>('confirm');
  phaseRef.current = phase;
  const onCloseRef = useRef(onClose);
  onCloseRef.current = onClose;
  /** Set while this component closes the <dialog> itself (unmount), so the close is not undone. */
  const closingRef = useRef(false);
  const confirmCancelBtn = useRef<HTMLButtonElement>(null);
  const runCancelBtn = useRef<HTMLButtonElement>(null);
  const nextBtn = useRef<HTMLButtonElement>(null);

  // ---- connection: the runner waits here while the PBX is out of reach --------------------------
  const onlineRef = useRef(online);
  onlineRef.current = online;
  const onlineWaiters = useRef(new Set<() => void>());
  useEffect(() => {
    if (!online) return;
    for (const w of onlineWaiters.current) w();
    onlineWaiters.current.clear();
  }, [online]);
  const waitForConnection = useCallback(
    (signal?: AbortSignal) =>
      new Promise<void>((resolve) => {
        let done = false;
        const finish = () => {
          if (done) return;
          done = true;
          clearTimeout(timer);
          onlineWaiters.current.delete(finish);
          resolve();
        };
        // The console marks itself offline when a call fails; give that a moment before trusting `online`.
        const timer = setTimeout(() => {
          if (onlineRef.current) finish();
          else onlineWaiters.current.add(finish);
        }, RECHECK_MS);
        signal?.addEventListener('abort', finish, { once: true });
      }),
    [],
  );

  // ---- the native dialog ---------------------------------------------------------------------------
  useEffect(() => {
    const d = ref.current;
    const before = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    closingRef.current = false;
    if (d && !d.open) d.showModal();
    // showModal() focuses the first button (Reset); start on Cancel, so a stray Enter resets nothing.
    confirmCancelBtn.current?.focus();
    const onCancel = (e: Event) => {
      // Escape (or another close request): never closes the dialog itself; we decide.
      e.preventDefault();
      if (phaseRef.current === 'running') setEscapeHint(true);
      else onCloseRef.current();
    };
    const onNativeClose = () => {
      if (closingRef.current || !d) return;
      if (phaseRef.current === 'running') {
        // Chrome lets a second Escape (no user activation in between) close a dialog without a
        // cancelable `cancel` event. The run is still going: put the dialog back where it was.
        if (!d.open) d.showModal();
        setEscapeHint(true);
        runCancelBtn.current?.focus();
      } else {
        onCloseRef.current();
      }
    };
    d?.addEventListener('cancel', onCancel);
    d?.addEventListener('close', onNativeClose);
    return () => {
      closingRef.current = true;
      d?.removeEventListener('cancel', onCancel);
      d?.removeEventListener('close', onNativeClose);
      abort.current?.abort();
      if (d?.open) d.close();
      before?.focus();
    };
  }, []);

  // Focus follows the phase: the running Cancel once the run starts (the Reset button that had it is
  // gone), the next action once it is over (the running Cancel is gone). Before paint, so no frame
  // has the focus on <body>.
  useLayoutEffect(() => {
    if (phase === 'running') runCancelBtn.current?.focus();
    else if (phase === 'done') nextBtn.current?.focus();
  }, [phase]);

  const start = async () => {
    if (phaseRef.current !== 'confirm') return;
    const id = ++runId.current;
    const ac = new AbortController();
    abort.current = ac;
    // A clean slate for this run, whatever an earlier one left.
    setProgress(initialProgress(numbers.length));
    setItems(numbers.map((number) => ({ number, state: 'pending' as const })));
    setSummary(null);
    setTab(null);
    setCancelling(false);
    setEscapeHint(false);
    setStartedAt(Date.now());
    phaseRef.current = 'running';
    setPhase('running');
    let last = 0;
    const result = await runBulk({
      numbers,
      send: (chunk) => call('credentials.bulkResetVoicemailPin', { numbers: chunk }),
      signal: ac.signal,
      waitForConnection,
      onProgress: (p, list) => {
        if (id !== runId.current) return;
        setProgress(p);
        // The list is re-rendered at most every 150 ms (a copy per update would be wasteful at 5,000 rows).
        const t = Date.now();
        if (t - last > 150) {
          last = t;
          setItems([...list]);
        }
      },
    });
    if (id !== runId.current) return;
    setItems([...result.items]);
    setProgress(result);
    setSummary(result);
    phaseRef.current = 'done';
    setPhase('done');
    setTab(result.failed > 0 ? 'failed' : result.uncertain > 0 ? 'uncertain' : result.notStarted > 0 ? 'not_started' : 'ok');
  };

  const cancel = () => {
    if (cancelling) return;
    setCancelling(true);
    abort.current?.abort();
  };

  const onKeyDown = (e: KeyboardEvent<HTMLDialogElement>) => {
    // While running, Escape does nothing but say how to stop (the cancel/close handlers back this up).
    if (e.key === 'Escape' && phaseRef.current === 'running') {
      e.preventDefault();
      setEscapeHint(true);
    }
  };

  const counts = useMemo(() => {
    const c: Record<BulkItemState, number> = { pending: 0, ok: 0, failed: 0, uncertain: 0, not_started: 0 };
    for (const it of items) c[it.state]++;
    return c;
  }, [items]);

  const shownTab: Tab =
    tab ?? (counts.failed > 0 ? 'failed' : counts.uncertain > 0 ? 'uncertain' : counts.ok > 0 || counts.pending === 0 ? 'ok' : 'pending');
  const listed = useMemo(() => items.filter((it) => it.state === shownTab), [items, shownTab]);

  /** After a run: what "Select the N not reset" takes (retryable only), and what it leaves out and why. */
  const retry = useMemo(() => {
    if (!summary) return null;
    const again: string[] = [];
    const leftOut = new Map<string, number>();
    let uncertain = 0;
    for (const it of summary.items) {
      if (it.state === 'ok') continue;
      if (isRetryable(it)) again.push(it.number);
      else if (it.state === 'uncertain') uncertain++;
      else leftOut.set(it.code ?? '', (leftOut.get(it.code ?? '') ?? 0) + 1);
    }
    const parts: string[] = [];
    let other = 0;
    for (const [code, k] of leftOut) {
      const reason = LEFT_OUT_REASON[code];
      if (reason) parts.push(`${formatCount(k)} ${k === 1 ? reason[0] : reason[1]}`);
      else other += k;
    }
    if (other) parts.push(`${formatCount(other)} refused by the PBX (see “Not reset”)`);
    if (uncertain) parts.push(`${formatCount(uncertain)} uncertain: check ${uncertain === 1 ? 'it' : 'them'} first`);
    return { numbers: again, leftOut: parts };
  }, [summary]);

  const finished = progress.ok + progress.failed + progress.uncertain;
  const pct = progress.total ? Math.round((finished / progress.total) * 100) : 100;
  const waitingS = progress.waitingUntil ? Math.max(1, Math.ceil((progress.waitingUntil - Date.now()) / 1000)) : 0;
  const rate = phase !== 'confirm' && finished > 0 && Date.now() > startedAt ? finished / ((Date.now() - startedAt) / 1000) : 0;

  const n = numbers.length;
  const sample = numbers.slice(0, 8).join(', ') + (n > 8 ? `, … and ${formatCount(n - 8)} more` : '');
  const uncertainPart = (s: { uncertain: number }) => (s.uncertain ? `, ${formatCount(s.uncertain)} uncertain` : '');

  let status: string;
  if (phase === 'running') {
    status = cancelling
      ? progress.inFlight > 0
        ? `Cancelling… the ${formatCount(progress.inFlight)} already sent finish first.`
        : 'Cancelling…'
      : progress.pausedBy
        ? `Paused at ${formatCount(finished)} of ${formatCount(progress.total)}: the PBX cannot be reached. The reset goes on when it is back; Cancel stops it.`
        : `Resetting… ${formatCount(finished)} of ${formatCount(progress.total)} done.`;
  } else if (summary?.stoppedBy) {
    status = `Stopped: ${summary.stoppedBy.message}`;
  } else if (summary?.cancelled) {
    status = `Cancelled: ${formatCount(summary.ok)} reset, ${formatCount(summary.notStarted)} not started${summary.failed ? `, ${formatCount(summary.failed)} not reset` : ''}${uncertainPart(summary)}.`;
  } else {
    status = `Done: ${formatCount(progress.ok)} reset${progress.failed ? `, ${formatCount(progress.failed)} not reset` : ''}${uncertainPart(progress)}.`;
  }

  const resultText = (it: BulkItem) => {
    switch (it.state) {
      case 'failed':
        return (
          <>
            <ErrorIcon /> {it.message}
          </>
        );
      case 'uncertain':
        return `Uncertain: check this extension (${it.message ?? 'the PBX failed while resetting'})`;
      case 'ok':
        return 'Reset to the default PIN';
      case 'not_started':
        return summary?.cancelled ? 'Not sent (cancelled)' : 'Not sent';
      default:
        return 'Waiting';
    }
  };

  return (
    <dialog
      ref={ref}
      className="bulk-dialog"
      data-phase={phase}
      aria-labelledby={`${ids}-title`}
      aria-describedby={`${ids}-desc`}
      onKeyDown={onKeyDown}
    >
      <h2 id={`${ids}-title`}>Reset voicemail PINs to default</h2>

      {phase === 'confirm' ? (
        <>
          <div id={`${ids}-desc`}>
            <p>
              This resets the voicemail PIN of <strong>{formatCount(n)}</strong> {n === 1 ? 'extension' : 'extensions'}. Each PIN goes back
              to its default and the extension’s voicemail lock (if any) is lifted. Each user has to choose a new PIN at their next
              voicemail sign-in.
            </p>
            <p className="muted small">Inactive numbers are skipped and listed. Extensions: {sample}</p>
          </div>
          <div className="form-actions">
            <button type="button" className="btn primary" onClick={() => void start()}>
              Reset {formatCount(n)} {n === 1 ? 'PIN' : 'PINs'}
            </button>
            <button type="button" className="btn" onClick={onClose} ref={confirmCancelBtn}>
              Cancel
            </button>
          </div>
        </>
      ) : (
        <>
          <div
            id={`${ids}-desc`}
            className={`bulk-status${progress.pausedBy && phase === 'running' ? ' paused' : ''}`}
            role="status"
            aria-live="polite"
          >
            {status}
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
            {progress.uncertain ? ` · ${formatCount(progress.uncertain)} uncertain` : ''}
            {summary ? ` · ${formatCount(summary.notStarted)} not started` : ''}
            {rate > 0 ? ` · ${rate.toFixed(0)} per second` : ''}
            {phase === 'running' && waitingS > 0 ? ` · the PBX is busy; waiting ${waitingS} s as it asked` : ''}
          </p>
          {phase === 'running' && escapeHint && !cancelling ? (
            <p className="small bulk-hint">The reset keeps going. To stop it, choose Cancel: what was already sent finishes first.</p>
          ) : null}

          <div className="bulk-tabs" role="group" aria-label="Show">
            {TABS.filter((t) => counts[t] > 0 || t === shownTab).map((t) => (
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
                      <td className={`result-${it.state}`}>{resultText(it)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
            {listed.length > LIST_LIMIT ? (
              <p className="muted small">…and {formatCount(listed.length - LIST_LIMIT)} more.</p>
            ) : null}
          </div>

          {phase === 'done' && retry && retry.numbers.length > 0 && retry.leftOut.length > 0 ? (
            <p className="small bulk-left-out" id={`${ids}-left-out`}>
              Left out of “Select”: {retry.leftOut.join('; ')}.
            </p>
          ) : null}

          <div className="form-actions">
            {phase === 'running' ? (
              <button
                type="button"
                className="btn"
                ref={runCancelBtn}
                onClick={cancel}
                // Stays focusable while cancelling (a disabled button would drop the focus to <body>).
                aria-disabled={cancelling}
              >
                {cancelling ? 'Cancelling…' : 'Cancel'}
              </button>
            ) : retry && retry.numbers.length > 0 ? (
              <>
                <button
                  type="button"
                  className="btn primary"
                  ref={nextBtn}
                  aria-describedby={retry.leftOut.length ? `${ids}-left-out` : undefined}
                  onClick={() => {
                    onSelectOnly(retry.numbers);
                    onClose();
                  }}
                >
                  Select the {formatCount(retry.numbers.length)} not reset
                </button>
                <button type="button" className="btn" onClick={onClose}>
                  Close
                </button>
              </>
            ) : (
              <button type="button" className="btn primary" ref={nextBtn} onClick={onClose}>
                Close
              </button>
            )}
          </div>
        </>
      )}
    </dialog>
  );
}

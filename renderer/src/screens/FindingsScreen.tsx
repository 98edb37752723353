// Issue 7 / SPEC F6: the findings of a reviewed export, or of the connected PBX (`source` live: a fresh export
// checked by the same rules, with "Check again" and "Export config…") — each rule with its severity, how many rows it
// affects, why it matters and what to do, and the rows themselves (folded). Export as CSV (a download) and a
// printable report (window.print with the print stylesheet: the report only, every finding unfolded); in the
// desktop app also "Save as PDF…" (the same stylesheet, printed to PDF by main and saved where a dialog says).
import { useCallback, useEffect, useState } from 'react';
import type { ErrorBody } from '../../../shared/errors';
import type { FindingSeverity, FindingView, ReviewInfo } from '../../../shared/review';
import { call, errorBody } from '../api';
import { ErrorNotice } from '../components/ErrorNotice';
import { ExportConfigButton } from '../components/ExportConfigDialog';
import { DoneStatus } from '../components/Field';
import { downloadText } from '../lib/audit';
import { formatWhen } from '../lib/review';
import { useDesktopShell } from '../lib/desktop';

const SEVERITY_ORDER: Record<FindingSeverity, number> = { critical: 0, high: 1, medium: 2, low: 3 };
const SEVERITY_LABEL: Record<FindingSeverity, string> = { critical: 'Critical', high: 'High', medium: 'Medium', low: 'Low' };

/** Print only the report (see review.css: body.print-findings), every finding's rows unfolded. */
function printReport(): void {
  document.body.classList.add('print-findings');
  const done = () => {
    document.body.classList.remove('print-findings');
    window.removeEventListener('afterprint', done);
  };
  window.addEventListener('afterprint', done);
  window.print();
}

/** Where the findings come from: the reviewed file, or the connected PBX (a fresh export on every check). */
export type FindingsSource = { kind: 'review'; review: ReviewInfo } | { kind: 'live'; online: boolean; onlineEpoch: number };

export function FindingsScreen({ source }: { source: FindingsSource }) {
  const [data, setData] = useState<{ findings: FindingView[]; csv: string; filename: string; pbx?: string; checkedAt?: string } | null>(null);
  const [error, setError] = useState<ErrorBody | null>(null);
  const [checking, setChecking] = useState(false);
  const [saved, setSaved] = useState<string | null>(null);
  const [open, setOpen] = useState<ReadonlySet<string>>(new Set());
  const live = source.kind === 'live';
  const review = source.kind === 'review' ? source.review : null;
  const desktop = useDesktopShell();
  const [pdfBusy, setPdfBusy] = useState(false);
  const [pdfNote, setPdfNote] = useState<string | null>(null);

  /** The desktop app: the report as a PDF (the print stylesheet), saved where a native dialog says. */
  const savePdf = async () => {
    if (!data) return;
    setPdfBusy(true);
    setPdfNote(null);
    document.body.classList.add('print-findings');
    try {
      const { delivery } = await call('report.savePdf', { filename: data.filename.replace(/\.csv$/, '.pdf') });
      setPdfNote(delivery.kind === 'saved' ? `Saved ${delivery.path}.` : delivery.kind === 'cancelled' ? 'Not saved: the save dialog was cancelled.' : null);
    } catch (e) {
      setError(errorBody(e));
    } finally {
      document.body.classList.remove('print-findings');
      setPdfBusy(false);
    }
  };

  const load = useCallback(async () => {
    setError(null);
    setChecking(true);
    try {
      const res = live ? await call('findings.live', {}) : await call('review.findings', {});
      setData({ ...res, findings: [...res.findings].sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] || b.count - a.count) });
    } catch (e) {
      setError(errorBody(e));
    } finally {
      setChecking(false);
    }
  }, [live]);

  const reloadKey = review ? `${review.fileName}|${review.exportedAt}` : `live|${source.kind === 'live' ? source.onlineEpoch : 0}`;
  useEffect(() => {
    void load();
  }, [load, reloadKey]);

  const toggle = (rule: string) =>
    setOpen((s) => {
      const n = new Set(s);
      if (n.has(rule)) n.delete(rule);
      else n.add(rule);
      return n;
    });

  const withRows = data?.findings.filter((f) => f.count > 0) ?? [];
  const clean = data?.findings.filter((f) => f.count === 0) ?? [];
  const bySeverity = (sev: FindingSeverity) => withRows.filter((f) => f.severity === sev).length;

  return (
    <main className="findings-screen" aria-labelledby="findings-title">
      <div className="toolbar">
        <div className="toolbar-title">
          <h1 id="findings-title">Findings</h1>
          {review ? (
            <p className="muted">
              {review.pbx.name}, exported {formatWhen(review.exportedAt)} by {review.exportedBy} ({review.fileName})
            </p>
          ) : (
            <p className="muted findings-live-head">
              <span className="live-badge">LIVE</span> {data?.pbx ?? 'The PBX'} — the connected PBX
              {data?.checkedAt ? <>, checked {formatWhen(data.checkedAt)}</> : null}, by the same checks as an exported file.
            </p>
          )}
        </div>
        <div className="toolbar-actions no-print">
          {live ? (
            <button
              type="button"
              className="btn"
              disabled={checking || (source.kind === 'live' && !source.online)}
              aria-busy={checking || undefined}
              onClick={() => void load()}
            >
              {checking && data ? 'Checking…' : 'Check again'}
            </button>
          ) : null}
          <button type="button" className="btn" disabled={!data} onClick={() => data && downloadText(data.filename, data.csv)}>
            Export CSV
          </button>
          <button type="button" className="btn" disabled={!data} onClick={printReport}>
            Print report…
          </button>
          {desktop ? (
            <button type="button" className="btn" disabled={!data || pdfBusy} aria-busy={pdfBusy || undefined} onClick={() => void savePdf()}>
              Save as PDF…
            </button>
          ) : null}
          {/* a successful live check proves the right to export (admins without a site limit) */}
          {live && data && source.kind === 'live' ? <ExportConfigButton pbx={data.pbx ?? 'the PBX'} online={source.online} onSaved={setSaved} /> : null}
        </div>
      </div>
      {live ? <DoneStatus text={saved} /> : null}
      <DoneStatus text={pdfNote} />
      {error ? (
        <div className="findings-error">
          <ErrorNotice error={error} />
          <button type="button" className="btn small-btn no-print" onClick={() => void load()}>
            Try again
          </button>
        </div>
      ) : null}
      {!data && !error ? (
        <p className="loading" role="status">
          {live ? 'Checking the PBX (reading its whole configuration)…' : 'Checking the file…'}
        </p>
      ) : null}
      {data ? (
        <>
          <ul className="findings-summary" aria-label="Findings by severity">
            {(Object.keys(SEVERITY_ORDER) as FindingSeverity[]).map((sev) => (
              <li key={sev} className={`sev-chip sev-${sev}`}>
                <strong>{bySeverity(sev)}</strong> {SEVERITY_LABEL[sev].toLowerCase()}
              </li>
            ))}
            <li className="sev-chip sev-ok">
              <strong>{clean.length}</strong> checks passed
            </li>
          </ul>
          {withRows.length === 0 ? <p className="notice info">No problems found {live ? 'on this PBX' : 'in this export'}.</p> : null}
          <ol className="findings-list">
            {withRows.map((f) => {
              const shown = open.has(f.rule);
              return (
                <li key={f.rule} className={`finding sev-${f.severity}`}>
                  <article aria-labelledby={`finding-${f.rule}`}>
                    <header className="finding-head">
                      <span className={`sev-badge sev-${f.severity}`}>{SEVERITY_LABEL[f.severity]}</span>
                      <h2 id={`finding-${f.rule}`}>{f.title}</h2>
                      <span className="finding-count">
                        {f.count} {f.count === 1 ? 'row' : 'rows'}
                      </span>
                    </header>
                    <p>{f.explanation}</p>
                    <p className="finding-fix">
                      <strong>Fix:</strong> {f.fix}
                    </p>
                    <button type="button" className="link-btn no-print" aria-expanded={shown} onClick={() => toggle(f.rule)}>
                      {shown ? 'Hide' : 'Show'} the {f.rows.length === 1 ? 'affected row' : `${f.rows.length} affected rows`}
                    </button>
                    <table className={`data-table finding-rows${shown ? '' : ' print-only'}`} aria-label={`${f.title}: affected rows`}>
                      <thead>
                        <tr>
                          <th scope="col">Item</th>
                          <th scope="col">Name</th>
                          <th scope="col">Detail</th>
                        </tr>
                      </thead>
                      <tbody>
                        {f.rows.map((r) => (
                          <tr key={r.key}>
                            <td className="mono">{r.key}</td>
                            <td>{r.label}</td>
                            <td>{r.detail}</td>
                          </tr>
                        ))}
                      </tbody>
                    </table>
                  </article>
                </li>
              );
            })}
          </ol>
          {clean.length > 0 ? (
            <section className="findings-clean" aria-labelledby="clean-title">
              <h2 id="clean-title">Checks passed</h2>
              <ul>
                {clean.map((f) => (
                  <li key={f.rule}>{f.title}</li>
                ))}
              </ul>
            </section>
          ) : null}
        </>
      ) : null}
    </main>
  );
}

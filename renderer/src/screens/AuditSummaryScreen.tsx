// Issue 7: the Audit log screen of a review. An export holds the audit log's summary, not its rows: how many,
// from when to when, the hash chain's check at export time (with the head hash that anchors it), and the rows
// per action.
import type { ReviewInfo } from '../../../shared/review';
import { formatWhen } from '../lib/review';
import './audit.css';

export function AuditSummaryScreen({ review }: { review: ReviewInfo }) {
  const a = review.audit;
  return (
    <main className="findings-screen" aria-labelledby="audit-summary-title">
      <div className="toolbar">
        <div className="toolbar-title">
          <h1 id="audit-summary-title">Audit log</h1>
          <p className="muted">An export holds the audit log's summary, not its rows; connect to the PBX to read them.</p>
        </div>
      </div>
      <section className="card" aria-label="Audit log summary">
        <dl className="summary-list">
          <div>
            <dt>Rows</dt>
            <dd>{a.rows.toLocaleString()}</dd>
          </div>
          <div>
            <dt>From</dt>
            <dd>{a.firstAt ? formatWhen(a.firstAt) : '—'}</dd>
          </div>
          <div>
            <dt>To</dt>
            <dd>{a.lastAt ? formatWhen(a.lastAt) : '—'}</dd>
          </div>
          <div>
            <dt>Hash chain at export time</dt>
            <dd>
              {a.verify.ok ? (
                <>
                  Intact ({a.verify.checked.toLocaleString()} rows checked){a.verify.headHash ? <>, head hash <code>{a.verify.headHash}</code></> : null}
                </>
              ) : (
                <strong className="text-danger">
                  Broken at record #{a.verify.broken?.id}: {a.verify.broken?.message}
                </strong>
              )}
            </dd>
          </div>
        </dl>
      </section>
      {a.byAction.length > 0 ? (
        <section className="card" aria-labelledby="by-action-title">
          <h2 id="by-action-title">Rows per action</h2>
          <table className="data-table">
            <thead>
              <tr>
                <th scope="col">Action</th>
                <th scope="col" className="num">
                  Rows
                </th>
              </tr>
            </thead>
            <tbody>
              {a.byAction.map((r) => (
                <tr key={r.action}>
                  <td className="mono">{r.action}</td>
                  <td className="num">{r.count.toLocaleString()}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      ) : null}
    </main>
  );
}

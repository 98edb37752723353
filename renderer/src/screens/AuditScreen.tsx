// "Audit log" (issue 6, admins only — the PBX answers 403 to a receptionist and MainLayout does not offer the
// screen): every admin action and security event, newest first, paged with "Load more"; filters by who, action
// (exact, or a group: a prefix ending in "."), and a time range in the computer's time zone; the rows the filters
// match exported as CSV; and the hash chain verified — intact with its head hash, or where it breaks, with a
// button that shows that record in the table.
//
// The PBX writes a record for every change, and the live event of a change carries the record's id: an event
// newer than the newest row loaded says so above the table (Refresh), without moving the rows under the reader.
import { Fragment, useCallback, useEffect, useId, useRef, useState, type FormEvent } from 'react';
import type { AuditList, AuditRecord, AuditVerify } from '../../../shared/audit';
import type { ErrorBody } from '../../../shared/errors';
import { call, errorBody } from '../api';
import { ErrorLine, ErrorNotice } from '../components/ErrorNotice';
import { DoneStatus, Field } from '../components/Field';
import { CheckIcon, ErrorIcon } from '../components/icons';
import { When } from '../components/When';
import {
  buildAuditFilter,
  csvRowCount,
  detailSummary,
  downloadText,
  EMPTY_AUDIT_FILTER,
  filterSuggestions,
  isFiltered,
  listInput,
  pageFrom,
  verifySentence,
  type AuditFilter,
  type AuditFilterField,
  type AuditFilterForm,
} from '../lib/audit';
import { subscribeEvents } from '../lib/events';
import { absoluteTime, formatCount, useNow } from '../lib/time';
import './policies.css';
import './lockouts.css';
import './audit.css';

interface Props {
  onlineEpoch: number;
  online: boolean;
}

const PAGE = 50;

/** Which rows the table holds: the newest matching the filters, or (to show where the chain breaks) from one record down. */
type View = { kind: 'filter'; filter: AuditFilter } | { kind: 'from'; id: number };

interface ListState {
  view: View;
  status: 'loading' | 'ready' | 'failed';
  items: AuditRecord[];
  total: number;
  nextCursor: number | null;
  error: ErrorBody | null;
}

const FIELD_OF: Record<string, AuditFilterField> = { actor: 'actor', action: 'action', from: 'from', to: 'to' };

export function AuditScreen({ onlineEpoch, online }: Props) {
  const ids = useId();
  const now = useNow(30_000);
  const [form, setForm] = useState<AuditFilterForm>(EMPTY_AUDIT_FILTER);
  const [issues, setIssues] = useState<Partial<Record<AuditFilterField, string>>>({});
  const [list, setList] = useState<ListState>({ view: { kind: 'filter', filter: {} }, status: 'loading', items: [], total: 0, nextCursor: null, error: null });
  const [loadingMore, setLoadingMore] = useState(false);
  const [moreError, setMoreError] = useState<string | null>(null);
  const [newer, setNewer] = useState(false);
  const [expanded, setExpanded] = useState<ReadonlySet<number>>(new Set());
  const [verify, setVerify] = useState<{ busy: boolean; result: AuditVerify | null; error: string | null }>({ busy: false, result: null, error: null });
  const [exporting, setExporting] = useState(false);
  const [exportDone, setExportDone] = useState<string | null>(null);
  const [exportError, setExportError] = useState<string | null>(null);
  const [focusRow, setFocusRow] = useState<number | null>(null);
  const seq = useRef(0);
  const listRef = useRef(list);
  listRef.current = list;
  const tableRef = useRef<HTMLTableElement>(null);

  const load = useCallback((view: View) => {
    const mine = ++seq.current;
    setList((l) => ({ ...l, view, status: 'loading', error: null }));
    setMoreError(null);
    setNewer(false);
    setExportDone(null);
    setExportError(null);
    call('audit.list', view.kind === 'from' ? pageFrom(view.id, PAGE) : listInput(view.filter, PAGE))
      .then((page: AuditList) => {
        if (mine !== seq.current) return;
        setList({ view, status: 'ready', items: page.items, total: page.total, nextCursor: page.nextCursor, error: null });
      })
      .catch((e: unknown) => {
        if (mine !== seq.current) return;
        const body = errorBody(e);
        // A filter the PBX refused names its field: said under that field.
        const byField = Object.fromEntries((body.details ?? []).filter((d) => FIELD_OF[d.field]).map((d) => [FIELD_OF[d.field], d.message]));
        setIssues(byField);
        setList((l) => ({ ...l, status: 'failed', error: Object.keys(byField).length ? null : body }));
      });
  }, []);

  // Loaded for each online epoch (the first connection, and again after the PBX came back), keeping the view.
  useEffect(() => {
    if (onlineEpoch > 0) load(listRef.current.view);
  }, [onlineEpoch, load]);

  // A live event carries the id of the record the change wrote: newer than the rows shown → "Refresh".
  useEffect(
    () =>
      subscribeEvents((e) => {
        if (e.kind === 'resync') setNewer(true);
        else if (e.kind === 'pbx' && e.event.type !== 'hello') {
          const newest = listRef.current.items[0]?.id ?? 0;
          if (e.event.id > newest) setNewer(true);
        }
      }),
    [],
  );

  // After "Show record #n": the row scrolled into view and focused, once it is in the table.
  useEffect(() => {
    if (focusRow === null || list.status !== 'ready') return;
    const row = tableRef.current?.querySelector<HTMLElement>(`tr[data-id="${focusRow}"]`) ?? tableRef.current;
    row?.scrollIntoView({ block: 'center' });
    row?.focus({ preventScroll: true });
    setFocusRow(null);
  }, [focusRow, list.status]);

  const apply = (e?: FormEvent) => {
    e?.preventDefault();
    const built = buildAuditFilter(form);
    if (!built.ok) {
      setIssues(Object.fromEntries(built.issues.map((i) => [i.field, i.message])));
      return;
    }
    setIssues({});
    load({ kind: 'filter', filter: built.filter });
  };

  const clear = () => {
    setForm(EMPTY_AUDIT_FILTER);
    setIssues({});
    load({ kind: 'filter', filter: {} });
  };

  const loadMore = async () => {
    const { view, nextCursor } = list;
    if (nextCursor === null) return;
    const mine = seq.current;
    setLoadingMore(true);
    setMoreError(null);
    try {
      const page = await call('audit.list', listInput(view.kind === 'filter' ? view.filter : {}, PAGE, nextCursor));
      if (mine !== seq.current) return;
      setList((l) => ({ ...l, items: [...l.items, ...page.items], total: page.total, nextCursor: page.nextCursor }));
    } catch (e) {
      if (mine === seq.current) setMoreError(errorBody(e).message);
    } finally {
      setLoadingMore(false);
    }
  };

  const runVerify = async () => {
    setVerify((v) => ({ ...v, busy: true, error: null }));
    try {
      const result = await call('audit.verify', {});
      setVerify({ busy: false, result, error: null });
    } catch (e) {
      setVerify({ busy: false, result: null, error: errorBody(e).message });
    }
  };

  const showRecord = (id: number) => {
    setForm(EMPTY_AUDIT_FILTER);
    setIssues({});
    setExpanded((s) => new Set([...s, id]));
    load({ kind: 'from', id });
    setFocusRow(id);
  };

  const exportCsv = async () => {
    const filter = list.view.kind === 'filter' ? list.view.filter : {};
    setExporting(true);
    setExportDone(null);
    setExportError(null);
    try {
      const { csv, filename } = await call('audit.export', filter);
      downloadText(filename, csv);
      const rows = csvRowCount(csv);
      const total = list.view.kind === 'filter' && list.status === 'ready' ? list.total : rows;
      setExportDone(
        rows < total
          ? `Saved ${filename}: the newest ${formatCount(rows)} of ${formatCount(total)} matching records.`
          : `Saved ${filename}: ${formatCount(rows)} record${rows === 1 ? '' : 's'}.`,
      );
    } catch (e) {
      setExportError(`The export failed: ${errorBody(e).message}`);
    } finally {
      setExporting(false);
    }
  };

  const { view, items, total, status } = list;
  const filtered = view.kind === 'filter' && isFiltered(view.filter);
  const brokenId = verify.result?.broken?.id ?? null;
  const suggestions = filterSuggestions(items);
  const exportRows = view.kind === 'filter' && status === 'ready' ? total : null;
  const field = (key: AuditFilterField) => ({
    value: form[key],
    error: issues[key],
    onChange: (e: { target: { value: string } }) => setForm((f) => ({ ...f, [key]: e.target.value })),
  });

  return (
    <main className="lockouts-screen audit-screen" aria-labelledby={`${ids}-title`}>
      <div className="toolbar lockouts-toolbar">
        <div className="toolbar-title">
          <h1 id={`${ids}-title`}>Audit log</h1>
          <p className="muted">
            Every admin action and security event, newest first. Each record is chained to the one before by its hash, so
            an edited or deleted record shows up when you verify the chain.
          </p>
        </div>
        <div className="section-actions">
          <button type="button" className="btn primary" onClick={() => void runVerify()} disabled={!online || verify.busy} aria-busy={verify.busy || undefined}>
            Verify chain
          </button>
        </div>
      </div>

      {/* one live region for the whole time: a result put into it is read out (a broken chain is an alert too) */}
      <div className="audit-verify-live" aria-live="polite">
        <VerifyResult verify={verify} onShow={showRecord} online={online} />
      </div>

      <section className="lock-section policy-editor audit-section" aria-labelledby={`${ids}-records`}>
        <div className="section-head">
          <h2 id={`${ids}-records`}>Records</h2>
          <span className="count" role="status">
            {status === 'ready'
              ? view.kind === 'from'
                ? `From record #${view.id} down · ${formatCount(total)} in the log`
                : filtered
                  ? `${formatCount(total)} matching record${total === 1 ? '' : 's'}`
                  : `${formatCount(total)} record${total === 1 ? '' : 's'}`
              : ''}
          </span>
          <div className="section-actions">
            <button type="button" className="btn small-btn" onClick={() => load(view)} disabled={!online || status === 'loading'}>
              Refresh
            </button>
            <button
              type="button"
              className="btn small-btn"
              onClick={() => void exportCsv()}
              disabled={!online || exporting || exportRows === 0}
              aria-busy={exporting || undefined}
            >
              {exportRows === null ? 'Export CSV' : `Export CSV (${formatCount(exportRows)} row${exportRows === 1 ? '' : 's'})`}
            </button>
          </div>
        </div>

        <form className="audit-filters" role="search" aria-label="Filter the audit log" onSubmit={apply} noValidate>
          <datalist id={`${ids}-actors`}>
            {[...new Set(['system', 'device', ...suggestions.actors])].map((a) => (
              <option key={a} value={a} />
            ))}
          </datalist>
          <datalist id={`${ids}-actions`}>
            {suggestions.actions.map((a) => (
              <option key={a} value={a} />
            ))}
          </datalist>
          <Field label="Who" placeholder="e.g. admin" list={`${ids}-actors`} autoComplete="off" spellCheck={false} hint="The exact account name" {...field('actor')} />
          <Field
            label="Action"
            placeholder="e.g. protection.block"
            list={`${ids}-actions`}
            autoComplete="off"
            spellCheck={false}
            hint={
              <>
                Exact, or a group ending in “.”: <code>hotdesk.</code>
              </>
            }
            {...field('action')}
          />
          <Field label="From" type="datetime-local" hint="Your computer’s time" {...field('from')} />
          <Field label="To" type="datetime-local" hint="Up to the end of that minute" {...field('to')} />
          <div className="audit-filter-actions">
            <button type="submit" className="btn primary small-btn" disabled={!online}>
              Apply
            </button>
            <button type="button" className="btn small-btn ghost" onClick={clear} disabled={!online}>
              Clear
            </button>
          </div>
        </form>

        <DoneStatus text={exportDone} />
        <ErrorLine text={exportError} />
        {newer && view.kind === 'filter' ? (
          <p className="audit-newer" role="status">
            New records were written since this list was loaded.{' '}
            <button type="button" className="link-btn" onClick={() => load(view)} disabled={!online}>
              {filtered ? 'Refresh' : 'Show them'}
            </button>
          </p>
        ) : null}
        {view.kind === 'from' && status !== 'loading' ? (
          <p className="audit-newer">
            {items[0]?.id === view.id
              ? `Showing record #${view.id} and the records before it.`
              : `Record #${view.id} is not in the log any more; showing the records before it.`}{' '}
            <button type="button" className="link-btn" onClick={clear} disabled={!online}>
              Back to the newest
            </button>
          </p>
        ) : null}

        {list.error ? (
          <ErrorLine text={`The audit log could not be loaded: ${list.error.message}`}>
            <button type="button" className="btn small-btn" onClick={() => load(view)} disabled={!online}>
              Try again
            </button>
          </ErrorLine>
        ) : null}

        {status === 'loading' && items.length === 0 ? (
          <p className="loading" role="status">
            {online ? 'Loading the audit log…' : 'Waiting for the PBX to come back…'}
          </p>
        ) : status !== 'failed' && items.length === 0 ? (
          <div className="lock-empty">
            <p className="empty-title">{filtered ? 'No record matches these filters.' : 'The audit log is empty.'}</p>
            {filtered ? (
              <button type="button" className="btn small-btn" onClick={clear}>
                Clear the filters
              </button>
            ) : null}
          </div>
        ) : items.length > 0 ? (
          <>
            <div className="table-wrap">
              <table className="data-table audit-table" aria-labelledby={`${ids}-records`} ref={tableRef} tabIndex={-1} aria-busy={status === 'loading' || undefined}>
                <thead>
                  <tr>
                    <th scope="col" className="num">
                      #
                    </th>
                    <th scope="col">When</th>
                    <th scope="col">Who</th>
                    <th scope="col">From</th>
                    <th scope="col">Action</th>
                    <th scope="col">Target</th>
                    <th scope="col">What changed</th>
                    <th scope="col">
                      <span className="sr-only">Details</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {items.map((r) => (
                    <AuditRow
                      key={r.id}
                      record={r}
                      now={now}
                      broken={r.id === brokenId}
                      open={expanded.has(r.id)}
                      onToggle={() =>
                        setExpanded((s) => {
                          const next = new Set(s);
                          if (!next.delete(r.id)) next.add(r.id);
                          return next;
                        })
                      }
                    />
                  ))}
                </tbody>
              </table>
            </div>
            <div className="audit-more">
              <span className="muted small">{`Showing ${formatCount(items.length)} of ${formatCount(total)}`}</span>
              {list.nextCursor !== null ? (
                <button type="button" className="btn small-btn" onClick={() => void loadMore()} disabled={!online || loadingMore} aria-busy={loadingMore || undefined}>
                  {`Load ${formatCount(Math.min(PAGE, Math.max(0, total - items.length)) || PAGE)} more`}
                </button>
              ) : null}
            </div>
            <ErrorLine text={moreError ? `More records could not be loaded: ${moreError}` : null} />
          </>
        ) : null}
      </section>
    </main>
  );
}

function VerifyResult({ verify, onShow, online }: { verify: { busy: boolean; result: AuditVerify | null; error: string | null }; onShow: (id: number) => void; online: boolean }) {
  const { result, error, busy } = verify;
  if (error) return <ErrorNotice error={{ code: 'verify_failed', message: `The chain could not be verified: ${error}` }} />;
  if (busy && !result) return <p className="loading audit-verifying">Verifying the chain…</p>;
  if (!result) return null;
  if (result.broken) {
    const { id } = result.broken;
    return (
      <div className="notice error audit-verify broken" role="alert">
        <ErrorIcon />
        <div className="audit-verify-text">
          <p>
            <strong>{`Broken at record #${id}:`}</strong> {result.broken.message}
          </p>
          <span className="small">
            {`The ${formatCount(result.checked)} record${result.checked === 1 ? '' : 's'} before it ${result.checked === 1 ? 'is' : 'are'} intact. `}
            Records from #{id} on cannot be trusted until the cause is known.
          </span>
        </div>
        <button type="button" className="btn small-btn" onClick={() => onShow(id)} disabled={!online}>
          {`Show record #${id}`}
        </button>
      </div>
    );
  }
  return (
    <div className="notice audit-verify intact">
      <CheckIcon />
      <div className="audit-verify-text">
        <strong>{verifySentence(result)}</strong>
        {result.headHash ? (
          <details className="small">
            <summary>Full head hash</summary>
            <code className="audit-hash">{result.headHash}</code>
            <p className="muted">Note it somewhere else: a later check that still passes through this hash proves the records up to #{result.lastId} were not rewritten.</p>
          </details>
        ) : null}
      </div>
    </div>
  );
}

function AuditRow({ record: r, now, broken, open, onToggle }: { record: AuditRecord; now: number; broken: boolean; open: boolean; onToggle: () => void }) {
  const detailId = useId();
  const { lines, more } = detailSummary(r.detail);
  return (
    <Fragment>
      <tr data-id={r.id} className={`${broken ? 'broken' : ''}${open ? ' open' : ''}`.trim() || undefined} tabIndex={broken ? -1 : undefined}>
        <td className="num mono">
          {r.id}
          {broken ? <span className="audit-break-badge">chain breaks here</span> : null}
        </td>
        <td className="c-when">
          <span className="audit-at">{absoluteTime(r.at)}</span>
          <span className="ext-name">
            <When iso={r.at} now={now} />
          </span>
        </td>
        <td className="c-actor">{r.actor}</td>
        <td className="mono">{r.address ?? <span className="muted">—</span>}</td>
        <td>
          <span className="audit-action">{r.action}</span>
        </td>
        <td className="mono c-target">{r.target ?? <span className="muted">—</span>}</td>
        <td className="c-detail">
          {lines.length === 0 ? (
            <span className="muted">—</span>
          ) : (
            <ul className="audit-lines">
              {lines.map((l, i) => (
                <li key={i}>{l}</li>
              ))}
              {more > 0 ? <li className="muted">{`+ ${more} more`}</li> : null}
            </ul>
          )}
        </td>
        <td className="c-actions">
          <button type="button" className="btn small-btn ghost" aria-expanded={open} aria-controls={open ? detailId : undefined} onClick={onToggle} aria-label={`${open ? 'Hide' : 'Show'} details of record ${r.id}`}>
            {open ? 'Hide' : 'Details'}
          </button>
        </td>
      </tr>
      {open ? (
        <tr className={`audit-detail-row${broken ? ' broken' : ''}`} id={detailId}>
          <td colSpan={8}>
            <dl className="audit-detail">
              <dt>Recorded at</dt>
              <dd className="mono">{r.at}</dd>
              <dt>Detail</dt>
              <dd>
                <pre className="audit-json">{JSON.stringify(r.detail, null, 2)}</pre>
              </dd>
              <dt>Previous hash</dt>
              <dd>
                <code className="audit-hash">{r.prevHash || '—'}</code>
              </dd>
              <dt>Hash</dt>
              <dd>
                <code className="audit-hash">{r.hash || '—'}</code>
              </dd>
            </dl>
          </td>
        </tr>
      ) : null}
    </Fragment>
  );
}

// Issue 7 / SPEC F6: compare the reviewed export with a second one — what was added, removed and changed in
// each section, from the other file to the one under review.
import { useRef, useState } from 'react';
import type { ErrorBody } from '../../../shared/errors';
import type { ReviewInfo, SectionDiffView } from '../../../shared/review';
import { call, errorBody } from '../api';
import { ErrorNotice } from '../components/ErrorNotice';
import { formatWhen, sendFile } from '../lib/review';
import { useDesktopShell } from '../lib/desktop';

function show(v: unknown): string {
  if (v === null || v === undefined) return '—';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

export function CompareScreen({ review }: { review: ReviewInfo }) {
  const inputRef = useRef<HTMLInputElement>(null);
  const [result, setResult] = useState<{ other: ReviewInfo; sections: SectionDiffView[] } | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<ErrorBody | null>(null);
  const [pending, setPending] = useState<{ fileName: string; uploadId: string } | null>(null);
  const [passphrase, setPassphrase] = useState('');
  const desktop = useDesktopShell();

  const compare = async (fileName: string, uploadId: string, pass?: string) => {
    setBusy(`Comparing with ${fileName}…`);
    setError(null);
    try {
      setResult(await call('review.compare', { fileName, uploadId, ...(pass ? { passphrase: pass } : {}) }));
      setPending(null);
    } catch (e) {
      const body = errorBody(e);
      if (body.code === 'export_passphrase_required' || body.code === 'export_passphrase_wrong') setPending({ fileName, uploadId });
      setError(body.code === 'export_passphrase_required' ? null : body);
    } finally {
      setBusy(null);
    }
  };

  const choose = async (file: File) => {
    setBusy(`Reading ${file.name}…`);
    setError(null);
    try {
      await compare(file.name, await sendFile(file));
    } catch (e) {
      setBusy(null);
      setError(errorBody(e));
    }
  };

  /** The desktop app: the native open dialog (main reads the file). */
  const pickOther = async () => {
    setError(null);
    try {
      const { file } = await call('review.pick', {});
      if (file) await compare(file.fileName, file.uploadId);
    } catch (e) {
      setError(errorBody(e));
    }
  };

  const total = (s: SectionDiffView) => s.added.length + s.removed.length + s.changed.length;
  const changedSections = result?.sections.filter((s) => total(s) > 0) ?? [];
  const sameSections = result?.sections.filter((s) => total(s) === 0) ?? [];
  const item = (r: { key: string; label: string }) =>
    r.label.includes(r.key) ? r.label : (
      <>
        <span className="mono">{r.key}</span> {r.label}
      </>
    );

  return (
    <main className="compare-screen" aria-labelledby="compare-title">
      <div className="toolbar">
        <div className="toolbar-title">
          <h1 id="compare-title">Compare</h1>
          <p className="muted">
            What changed between another export and {review.fileName} ({review.pbx.name}, {formatWhen(review.exportedAt)}).
          </p>
        </div>
        <div className="toolbar-actions">
          <button type="button" className="btn primary" onClick={() => (desktop ? void pickOther() : inputRef.current?.click())} disabled={busy !== null}>
            Choose the earlier export…
          </button>
          <input
            ref={inputRef}
            type="file"
            hidden
            accept=".json,.pbxexport,application/json"
            aria-label="Export file to compare with"
            data-testid="compare-input"
            onChange={(e) => {
              const f = e.currentTarget.files?.[0];
              e.currentTarget.value = '';
              if (f) void choose(f);
            }}
          />
        </div>
      </div>
      {busy ? (
        <p role="status" className="muted">
          {busy}
        </p>
      ) : null}
      {error ? <ErrorNotice error={error} /> : null}
      {pending ? (
        <form
          className="card compare-pass"
          onSubmit={(e) => {
            e.preventDefault();
            const p = passphrase;
            setPassphrase('');
            void compare(pending.fileName, pending.uploadId, p);
          }}
        >
          <div className="field">
            <label htmlFor="compare-pass">Passphrase of {pending.fileName}</label>
            <input id="compare-pass" type="password" autoComplete="off" value={passphrase} onChange={(e) => setPassphrase(e.target.value)} />
          </div>
          <button type="submit" className="btn primary" disabled={passphrase === ''}>
            Compare
          </button>
        </form>
      ) : null}
      {result ? (
        <>
          <p className="compare-files">
            From <strong>{result.other.fileName}</strong> ({result.other.pbx.name}, {formatWhen(result.other.exportedAt)}) to{' '}
            <strong>{review.fileName}</strong> ({formatWhen(review.exportedAt)}).
          </p>
          {changedSections.length === 0 ? <p className="notice info">The two exports hold the same settings.</p> : null}
          {changedSections.map((s) => (
            <section key={s.section} className="card compare-section" aria-labelledby={`cmp-${s.section}`}>
              <h2 id={`cmp-${s.section}`}>
                {s.title}{' '}
                <span className="muted small">
                  {s.added.length} added, {s.removed.length} removed, {s.changed.length} changed
                </span>
              </h2>
              <ul className="diff-list">
                {s.added.map((r) => (
                  <li key={`a-${r.key}`} className="diff-added">
                    <span className="diff-mark">Added</span> {item(r)}
                  </li>
                ))}
                {s.removed.map((r) => (
                  <li key={`r-${r.key}`} className="diff-removed">
                    <span className="diff-mark">Removed</span> {item(r)}
                  </li>
                ))}
                {s.changed.map((r) => (
                  <li key={`c-${r.key}`} className="diff-changed">
                    <span className="diff-mark">Changed</span> {item(r)}
                    <ul>
                      {r.fields.map((f) => (
                        <li key={f.path}>
                          <code>{f.path}</code>: {show(f.before)} → {show(f.after)}
                        </li>
                      ))}
                    </ul>
                  </li>
                ))}
              </ul>
            </section>
          ))}
          {sameSections.length > 0 ? (
            <p className="muted compare-same">No change in: {sameSections.map((s) => s.title).join(', ')}.</p>
          ) : null}
        </>
      ) : !busy && !error && !pending ? (
        <p className="muted">Choose a second export file of the same PBX (for example last month's) to see what changed since.</p>
      ) : null}
    </main>
  );
}

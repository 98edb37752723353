// Issue 7: "Open exported config…" — a button (and a drop zone around `children`) that reads an export file,
// asks to disconnect first when the console is connected, asks for the passphrase of an encrypted file, and
// says clearly why a file cannot be opened (the reader's message, naming the path in the file).
import { useCallback, useEffect, useId, useRef, useState, type DragEvent, type FormEvent, type ReactNode } from 'react';
import type { ConnectionStatus } from '../../../shared/rpc';
import type { ErrorBody } from '../../../shared/errors';
import { call, errorBody } from '../api';
import { sendFile } from '../lib/review';
import { useDesktopShell } from '../lib/desktop';
import { ErrorNotice } from './ErrorNotice';
import { ModalDialog } from './ModalDialog';
import '../screens/review.css';

type Step =
  | { kind: 'idle' }
  /** file null: the desktop's own open dialog comes after the confirmation */
  | { kind: 'confirm'; file: File | null }
  | { kind: 'busy'; fileName: string; note: string }
  | { kind: 'passphrase'; fileName: string; uploadId: string; error: string | null };

export interface OpenExportProps {
  onOpened: (status: ConnectionStatus) => void;
  /** Set when connected: opening a file disconnects from this PBX (asked first). */
  connectedTo?: string | null;
  /** What the button says. */
  label?: string;
  buttonClass?: string;
  /** Take a file dropped anywhere on the page (the Connect screen), not only on this box. */
  wholePage?: boolean;
}

/** Open with a file: open → (passphrase) → the review's status; a typed error otherwise. */
export function useOpenExport({ onOpened, connectedTo }: Pick<OpenExportProps, 'onOpened' | 'connectedTo'>) {
  const [step, setStep] = useState<Step>({ kind: 'idle' });
  const [error, setError] = useState<ErrorBody | null>(null);

  const open = useCallback(
    async (fileName: string, uploadId: string, passphrase?: string) => {
      setStep({ kind: 'busy', fileName, note: `Opening ${fileName}…` });
      try {
        const st = await call('review.open', { fileName, uploadId, ...(passphrase ? { passphrase } : {}) });
        setStep({ kind: 'idle' });
        onOpened(st);
      } catch (e) {
        const body = errorBody(e);
        if (body.code === 'export_passphrase_required' || (body.code === 'export_passphrase_wrong' && passphrase !== undefined)) {
          setStep({ kind: 'passphrase', fileName, uploadId, error: body.code === 'export_passphrase_wrong' ? body.message : null });
          return;
        }
        setStep({ kind: 'idle' });
        setError(body);
      }
    },
    [onOpened],
  );

  const start = useCallback(
    async (file: File, confirmed = false) => {
      setError(null);
      if (connectedTo && !confirmed) {
        setStep({ kind: 'confirm', file });
        return;
      }
      setStep({ kind: 'busy', fileName: file.name, note: `Reading ${file.name}…` });
      let uploadId: string;
      try {
        uploadId = await sendFile(file, (sent, total) =>
          setStep({ kind: 'busy', fileName: file.name, note: `Reading ${file.name}… ${Math.round((100 * sent) / total)} %` }),
        );
      } catch (e) {
        setStep({ kind: 'idle' });
        setError({ ...errorBody(e), message: `${file.name}: ${errorBody(e).message}` });
        return;
      }
      await open(file.name, uploadId);
    },
    [connectedTo, open],
  );

  /** The desktop app: the native open dialog; main reads the file (its size checked first) into an upload. */
  const pick = useCallback(
    async (confirmed = false) => {
      setError(null);
      if (connectedTo && !confirmed) {
        setStep({ kind: 'confirm', file: null });
        return;
      }
      setStep({ kind: 'busy', fileName: '', note: 'Choose the exported file…' });
      try {
        const { file } = await call('review.pick', {});
        if (!file) {
          setStep({ kind: 'idle' });
          return;
        }
        await open(file.fileName, file.uploadId);
      } catch (e) {
        setStep({ kind: 'idle' });
        setError(errorBody(e));
      }
    },
    [connectedTo, open],
  );

  return { step, setStep, error, setError, start, open, pick };
}

export function OpenExport({ onOpened, connectedTo, label = 'Open exported config…', buttonClass = 'btn', wholePage = false, children }: OpenExportProps & { children?: ReactNode }) {
  const inputRef = useRef<HTMLInputElement>(null);
  const ids = useId();
  const { step, setStep, error, setError, start, open, pick } = useOpenExport({ onOpened, connectedTo });
  const desktop = useDesktopShell();
  const [dragging, setDragging] = useState(false);
  const [passphrase, setPassphrase] = useState('');

  const startRef = useRef(start);
  startRef.current = start;
  useEffect(() => {
    if (!wholePage) return;
    const over = (e: globalThis.DragEvent) => {
      if (e.dataTransfer?.types.includes('Files')) {
        e.preventDefault();
        setDragging(true);
      }
    };
    const leave = (e: globalThis.DragEvent) => {
      if (e.relatedTarget === null) setDragging(false);
    };
    const drop = (e: globalThis.DragEvent) => {
      e.preventDefault();
      setDragging(false);
      const file = e.dataTransfer?.files[0];
      if (file) void startRef.current(file);
    };
    document.addEventListener('dragover', over);
    document.addEventListener('dragleave', leave);
    document.addEventListener('drop', drop);
    return () => {
      document.removeEventListener('dragover', over);
      document.removeEventListener('dragleave', leave);
      document.removeEventListener('drop', drop);
    };
  }, [wholePage]);

  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    e.stopPropagation();
    setDragging(false);
    const file = e.dataTransfer.files[0];
    if (file) void start(file);
  };

  const submitPassphrase = (e: FormEvent) => {
    e.preventDefault();
    if (step.kind !== 'passphrase' || passphrase === '') return;
    const p = passphrase;
    setPassphrase('');
    void open(step.fileName, step.uploadId, p);
  };

  return (
    <div
      className={`open-export${dragging ? ' dragging' : ''}`}
      onDragOver={(e) => {
        if (e.dataTransfer.types.includes('Files')) {
          e.preventDefault();
          setDragging(true);
        }
      }}
      onDragLeave={(e) => {
        if (e.currentTarget === e.target) setDragging(false);
      }}
      onDrop={onDrop}
    >
      {children}
      <div className="open-export-row">
        <button
          type="button"
          className={buttonClass}
          onClick={() => (desktop ? void pick() : inputRef.current?.click())}
          disabled={step.kind === 'busy'}
          aria-busy={step.kind === 'busy' || undefined}
          aria-describedby={`${ids}-hint`}
        >
          {label}
        </button>
        <input
          ref={inputRef}
          type="file"
          accept=".json,.pbxexport,application/json"
          hidden
          aria-label="Exported config file"
          data-testid="open-export-input"
          onChange={(e) => {
            const file = e.currentTarget.files?.[0];
            e.currentTarget.value = '';
            if (file) void start(file);
          }}
        />
        <span id={`${ids}-hint`} className="muted small">
          Review a PBX's exported configuration offline, read-only. You can also drop the file here.
        </span>
      </div>
      {dragging ? <p className="drop-hint" aria-hidden="true">Drop the exported file to review it</p> : null}
      {step.kind === 'busy' ? (
        <p role="status" className="muted">
          {step.note}
        </p>
      ) : null}
      {error ? (
        <div className="open-export-error">
          <ErrorNotice error={{ ...error, details: undefined }} />
          {error.details?.[0]?.field && error.details[0].field !== '(file)' ? (
            <p className="muted small">
              Where in the file: <code>{error.details[0].field}</code>
            </p>
          ) : null}
          <button type="button" className="btn small-btn ghost" onClick={() => setError(null)}>
            Dismiss
          </button>
        </div>
      ) : null}
      {step.kind === 'confirm' ? (
        <ModalDialog title="Disconnect to review a file?" onClose={() => setStep({ kind: 'idle' })}>
          {() => (
            <>
              <p>
                Opening {step.file ? <strong>{step.file.name}</strong> : 'an exported file'} disconnects from <strong>{connectedTo}</strong>. The review is read-only;
                connect again when you close it.
              </p>
              <div className="form-actions">
                <button type="button" className="btn primary" autoFocus onClick={() => void (step.file ? start(step.file, true) : pick(true))}>
                  Disconnect and open
                </button>
                <button type="button" className="btn" onClick={() => setStep({ kind: 'idle' })}>
                  Cancel
                </button>
              </div>
            </>
          )}
        </ModalDialog>
      ) : null}
      {step.kind === 'passphrase' ? (
        <ModalDialog title="This export is encrypted" onClose={() => setStep({ kind: 'idle' })}>
          {() => (
            <form onSubmit={submitPassphrase}>
              <p>
                Enter the passphrase <strong>{step.fileName}</strong> was exported with.
              </p>
              <div className="field">
              <label htmlFor={`${ids}-pass`}>
                Passphrase
              </label>
              <input
                id={`${ids}-pass`}
                type="password"
                autoFocus
                autoComplete="off"
                value={passphrase}
                onChange={(e) => setPassphrase(e.target.value)}
                aria-invalid={step.error ? true : undefined}
                aria-describedby={step.error ? `${ids}-pass-err` : undefined}
              />
              {step.error ? (
                <p id={`${ids}-pass-err`} className="field-error" role="alert">
                  {step.error}
                </p>
              ) : null}
              </div>
              <div className="form-actions">
                <button type="submit" className="btn primary" disabled={passphrase === ''}>
                  Open
                </button>
                <button type="button" className="btn" onClick={() => setStep({ kind: 'idle' })}>
                  Cancel
                </button>
              </div>
            </form>
          )}
        </ModalDialog>
      ) : null}
    </div>
  );
}

// Issue 7: "Export config…" — the connected PBX's whole configuration as a file (config.export): main writes it
// where a native save dialog says (Electron) or keeps it for one download by this tab (browser mode); the body
// never travels through the RPC channel. Optional passphrase (typed twice; the rule is shown): the file
// is then the encrypted envelope. The passphrase is a secret: sent once, never shown back, cleared after use.
import { useId, useRef, useState } from 'react';
import type { ErrorBody } from '../../../shared/errors';
import { call, errorBody } from '../api';
import { downloadUrl } from '../lib/audit';
import { ErrorNotice } from './ErrorNotice';
import { ErrorIcon } from './icons';
import { ModalDialog } from './ModalDialog';
import { SecretInput } from './SecretInput';

/** The rule of an export passphrase (the RPC schema says the same). */
export const EXPORT_PASSPHRASE_MIN = 10;

/** What the dialog says about a passphrase draft: null = fine (empty = a plain file). */
export function passphraseProblem(pass: string, repeat: string): { field: 'pass' | 'repeat'; message: string } | null {
  if (pass === '' && repeat === '') return null;
  if ([...pass].length < EXPORT_PASSPHRASE_MIN) {
    return { field: 'pass', message: `At least ${EXPORT_PASSPHRASE_MIN} characters (or leave both fields empty for a plain file).` };
  }
  if (pass !== repeat) return { field: 'repeat', message: 'The two passphrases differ; type the same one twice.' };
  return null;
}

function sizeText(bytes: number): string {
  if (bytes < 1024 * 1024) return `${Math.max(1, Math.round(bytes / 1024))} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/** The button and its dialog; `pbx` names the connected PBX in the dialog; `onSaved` gets the line to show. */
export function ExportConfigButton({ pbx, online, onSaved }: { pbx: string; online: boolean; onSaved: (text: string | null) => void }) {
  const [opened, setOpened] = useState(false);
  const buttonRef = useRef<HTMLButtonElement>(null);
  return (
    <>
      <button
        ref={buttonRef}
        type="button"
        className="btn"
        disabled={!online}
        onClick={() => {
          onSaved(null);
          setOpened(true);
        }}
      >
        Export config…
      </button>
      {opened ? (
        <ExportConfigDialog
          pbx={pbx}
          online={online}
          onClose={() => setOpened(false)}
          onSaved={(text) => {
            setOpened(false);
            onSaved(text);
          }}
          fallbackFocus={() => buttonRef.current}
        />
      ) : null}
    </>
  );
}

function ExportConfigDialog({
  pbx,
  online,
  onClose,
  onSaved,
  fallbackFocus,
}: {
  pbx: string;
  online: boolean;
  onClose: () => void;
  onSaved: (text: string) => void;
  fallbackFocus: () => HTMLElement | null;
}) {
  const ids = useId();
  const [pass, setPass] = useState('');
  const [repeat, setRepeat] = useState('');
  const [tried, setTried] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ErrorBody | null>(null);
  const problem = passphraseProblem(pass, repeat);
  const shownProblem = tried || (problem?.field === 'repeat' && repeat.length >= pass.length) ? problem : null;
  const encrypted = pass !== '';

  const submit = async () => {
    setTried(true);
    if (problem || busy) return;
    setBusy(true);
    setError(null);
    try {
      const res = await call('config.export', encrypted ? { passphrase: pass } : {});
      const d = res.delivery;
      const what = `(${sizeText(res.bytes)}${res.encrypted ? ', encrypted: it opens only with the passphrase' : ', not encrypted'})`;
      if (d.kind === 'download') {
        // the browser saves it (its downloads folder, or where it asks)
        downloadUrl(d.url, res.filename);
        onSaved(`Saved ${res.filename} ${what} with your browser's downloads.`);
      } else if (d.kind === 'saved') onSaved(`Saved ${d.path} ${what}.`);
      else onSaved('Not saved: the save dialog was cancelled.');
    } catch (e) {
      setError(errorBody(e));
    } finally {
      // the passphrase is used once: never kept in the form, whatever happened
      setPass('');
      setRepeat('');
      setTried(false);
      setBusy(false);
    }
  };

  return (
    <ModalDialog title="Export the configuration" className="export-config-dialog" onClose={() => !busy && onClose()} fallbackFocus={fallbackFocus}>
      {() => (
        <form
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            void submit();
          }}
        >
          <p>
            A file with the whole configuration of <strong>{pbx}</strong>, for an offline review in this console (
            <em>Open exported config…</em> on the Connect screen).
          </p>
          <ul className="export-contents">
            <li>
              <strong>In it:</strong> sites, every extension with its protection and credential metadata (set, default, when,
              compliant), PIN and lockout policies, locks, bans and allowlists, hot desking, accounts, login tokens and passkeys
              (ids, names and use), an audit summary.
            </li>
            <li>
              <strong>Never in it:</strong> a password, PIN, token or key — nor any hash of one.
            </li>
            <li>It still maps your security (who is admin, which PINs are default): keep it private, or encrypt it.</li>
          </ul>
          <fieldset className="field export-passphrase">
            <legend>Encrypt with a passphrase (optional)</legend>
            <p id={`${ids}-rule`} className="field-hint">
              At least {EXPORT_PASSPHRASE_MIN} characters, typed twice. Leave both empty for a plain JSON file. Without the
              passphrase the encrypted file cannot be opened — there is no way to recover it.
            </p>
            <div className="field">
              <label htmlFor={`${ids}-pass`}>Passphrase</label>
              <SecretInput
                id={`${ids}-pass`}
                value={pass}
                onChange={setPass}
                digitsOnly={false}
                invalid={shownProblem?.field === 'pass'}
                describedBy={`${ids}-rule${shownProblem?.field === 'pass' ? ` ${ids}-err` : ''}`}
              />
            </div>
            <div className="field">
              <label htmlFor={`${ids}-repeat`}>Passphrase again</label>
              <SecretInput
                id={`${ids}-repeat`}
                value={repeat}
                onChange={setRepeat}
                digitsOnly={false}
                invalid={shownProblem?.field === 'repeat'}
                describedBy={shownProblem?.field === 'repeat' ? `${ids}-err` : undefined}
              />
            </div>
            {shownProblem ? (
              <p id={`${ids}-err`} className="field-error" role="alert">
                <ErrorIcon /> <span>{shownProblem.message}</span>
              </p>
            ) : null}
          </fieldset>
          {error ? <ErrorNotice error={error} /> : null}
          {busy ? (
            <p className="muted" role="status">
              Reading the configuration from the PBX{encrypted ? ' and encrypting it' : ''}… (a large PBX takes a few seconds)
            </p>
          ) : null}
          <div className="form-actions">
            <button type="submit" className="btn primary big" disabled={busy || !online} aria-busy={busy || undefined}>
              {encrypted ? 'Export encrypted' : 'Export'}
            </button>
            <button type="button" className="btn big" onClick={onClose} disabled={busy}>
              Cancel
            </button>
          </div>
          {!online ? <p className="muted small">The PBX is out of reach; try again when it is back.</p> : null}
        </form>
      )}
    </ModalDialog>
  );
}

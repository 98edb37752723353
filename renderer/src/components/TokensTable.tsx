// "Used tokens" (issue 6 / SPEC F5): the account's sign-ins — login tokens (document icon) and passkeys (key
// icon, with their names) — with when, from which address and with which program each was created and last
// used, when it expires, and "This console" on the session the console itself uses. The token rows come from
// the screen; the passkeys are fetched here (again whenever the screen reloads its tokens, which it does on
// every `token.changed` event — the PBX announces passkey registrations and deletions with it too).
//
// Select rows (Space, Shift+click or Shift+↑/↓ for a range, Ctrl+A for all, ↑/↓ between the rows) and "Sign
// out selected…" (tokens) / "Delete selected…" (passkeys) / "Remove selected…" (both), or "Sign out everywhere
// else…" (tokens only); each asks first in a dialog that says how many and whether this console's own session
// is among them (the console then signs in again with the saved password). After it: a done line, the list
// reloads, and focus goes back to the button or, when that is gone, to the heading.
//
// In a review of an exported file nothing can be signed out or deleted: no selection column (selecting only
// serves the removal), "Sign out everywhere else…" off, and the reason said once above the table.
import { Fragment, useEffect, useId, useRef, useState, type KeyboardEvent as ReactKeyboardEvent } from 'react';
import { useReadOnly } from '../lib/review';
import type { ErrorBody } from '../../../shared/errors';
import { call, errorBody } from '../api';
import { pruneSelection } from '../lib/lockouts';
import { absoluteTime } from '../lib/time';
import {
  countWords,
  deletedSentence,
  emptyRangeSelection,
  extendRange,
  KIND_LABEL,
  passkeyRow,
  removeVerb,
  revokedSentence,
  setAll,
  toggleOne,
  userAgentName,
  type CredentialKind,
  type CredentialRow,
  sameOrigin,
  sortRows,
  type RangeSelection,
} from '../lib/tokens';
import { SelectAllCheckbox, SelectionBar, tableKeys, type Selection } from './BulkTableSection';
import { ErrorNotice } from './ErrorNotice';
import { DoneStatus } from './Field';
import { DocumentIcon, ErrorIcon, KeyIcon } from './icons';
import { ConfirmActions, ModalDialog } from './ModalDialog';
import { When } from './When';

const KIND_ICON: Record<CredentialKind, typeof DocumentIcon> = { token: DocumentIcon, passkey: KeyIcon };

export interface RevokeResult {
  revoked: number;
  currentRevoked: boolean;
}

/** Selection (the checkboxes) with Shift ranges, in the shape the shared header checkbox takes. */
function useRangeSelection(keys: readonly string[]): Selection<string> & { rangeTo: (key: string, fallbackAnchor: string | null) => void } {
  const [state, setState] = useState<RangeSelection<string>>(emptyRangeSelection);
  const selected = pruneSelection(state.selected, keys);
  const allChecked = keys.length > 0 && selected.size === keys.length;
  return {
    keys,
    selected,
    allChecked,
    toggle: (key) => setState((s) => toggleOne({ ...s, selected: pruneSelection(s.selected, keys) }, key)),
    selectAll: () => setState(setAll(keys, true)),
    toggleAll: () => setState(setAll(keys, !allChecked)),
    clear: () => setState(setAll(keys, false)),
    rangeTo: (key, fallbackAnchor) => setState((s) => extendRange({ ...s, selected: pruneSelection(s.selected, keys) }, keys, key, fallbackAnchor)),
  };
}

type Asking = { which: 'selected'; rows: CredentialRow[] } | { which: 'others'; rows: CredentialRow[] };

/** The account's passkeys as rows, loaded again each time `reloadWith` changes (the screen's token rows). */
function usePasskeyRows(reloadWith: unknown): { rows: CredentialRow[]; error: ErrorBody | null; reload: () => void } {
  const [state, setState] = useState<{ rows: CredentialRow[]; error: ErrorBody | null }>({ rows: [], error: null });
  const [again, setAgain] = useState(0);
  useEffect(() => {
    let live = true;
    call('passkeys.list', {})
      .then((res) => {
        if (live) setState({ rows: res.items.map(passkeyRow), error: null });
      })
      .catch((e: unknown) => {
        if (live) setState((s) => ({ ...s, error: errorBody(e) }));
      });
    return () => {
      live = false;
    };
  }, [reloadWith, again]);
  return { ...state, reload: () => setAgain((n) => n + 1) };
}

export function TokensTable({
  rows: tokenRows,
  now,
  online,
  revoke,
}: {
  /** In the order shown. */
  rows: readonly CredentialRow[];
  now: number;
  online: boolean;
  /** Sign out these token rows, or every one but this console's; the list reloads after it. */
  revoke: (what: { rows: CredentialRow[] } | { allExceptCurrent: true }) => Promise<RevokeResult>;
}) {
  const readOnly = useReadOnly();
  const passkeys = usePasskeyRows(tokenRows);
  const rows = sortRows([...tokenRows, ...passkeys.rows]);
  const ids = useId();
  const titleId = `${ids}-title`;
  const headingRef = useRef<HTMLHeadingElement>(null);
  const selection = useRangeSelection(rows.map((r) => r.key));
  const [asking, setAsking] = useState<Asking | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ErrorBody | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(new Set());
  const { selected } = selection;
  // "Sign out everywhere else" is about login tokens; the count beside the title about every row
  const others = rows.filter((r) => r.kind === 'token' && !r.current);
  const notThisConsole = rows.filter((r) => !r.current).length;

  const ask = (a: Asking) => {
    setError(null);
    setDone(null);
    setAsking(a);
  };

  const confirm = async () => {
    if (!asking) return;
    setBusy(true);
    setError(null);
    try {
      const lines: string[] = [];
      if (asking.which === 'others') {
        const res = await revoke({ allExceptCurrent: true });
        lines.push(revokedSentence(res.revoked, res.currentRevoked));
      } else {
        const tokens = asking.rows.filter((r) => r.kind === 'token');
        const keys = asking.rows.filter((r) => r.kind === 'passkey');
        if (keys.length > 0) {
          const res = await call('passkeys.delete', { ids: keys.map((r) => r.id) });
          passkeys.reload();
          lines.push(deletedSentence(res.deleted, keys.length));
        }
        if (tokens.length > 0) {
          const res = await revoke({ rows: tokens });
          lines.unshift(revokedSentence(res.revoked, res.currentRevoked));
        }
      }
      selection.clear();
      setAsking(null);
      setDone(lines.join(' '));
    } catch (e) {
      setError(errorBody(e));
    } finally {
      setBusy(false);
    }
  };

  const onKeyDown = (e: ReactKeyboardEvent<HTMLDivElement>) => {
    const from = (e.target as HTMLElement).closest('tr')?.dataset['key'] ?? null;
    tableKeys(e, selection.selectAll);
    // Shift+↑/↓: tableKeys moved the focus to the next row's box; the range goes from the anchor to there.
    if (e.shiftKey && (e.key === 'ArrowDown' || e.key === 'ArrowUp')) {
      const to = (document.activeElement as HTMLElement | null)?.closest('tr')?.dataset['key'];
      if (to && to !== from) selection.rangeTo(to, from);
    }
  };

  const toggleExpanded = (key: string) =>
    setExpanded((s) => {
      const out = new Set(s);
      if (out.has(key)) out.delete(key);
      else out.add(key);
      return out;
    });

  return (
    <section className="lock-section tokens-section" aria-labelledby={titleId}>
      <div className="section-head">
        <h2 id={titleId} ref={headingRef} tabIndex={-1}>
          Used tokens
        </h2>
        <span className="count" role="status">
          {rows.length === 0
            ? ''
            : notThisConsole === rows.length
              ? countWords(rows)
              : notThisConsole === 0
                ? 'Only this console is signed in'
                : `${countWords(rows)}, ${notThisConsole} besides this console`}
        </span>
        <div className="section-actions">
          <button
            type="button"
            className="btn small-btn"
            onClick={() => ask({ which: 'others', rows: others })}
            disabled={others.length === 0 || busy || !online || !!readOnly}
            title={readOnly ?? (others.length === 0 ? 'No other session is signed in.' : undefined)}
          >
            Sign out everywhere else…
          </button>
        </div>
      </div>
      <p className="muted tokens-intro">
        Each sign-in of this account to the PBX — login tokens and passkeys: when, from which address and with which
        program it was created and last used. Signing a token out or deleting a passkey takes effect at once. Passkeys are
        registered on the PBX&apos;s own login page.
      </p>
      {passkeys.error ? (
        <ErrorNotice error={{ ...passkeys.error, message: `The passkeys could not be loaded: ${passkeys.error.message}` }} />
      ) : null}

      {readOnly ? (
        <p className="read-only-note">Read-only: {readOnly.replace(/^This is a review/, 'this is a review')}</p>
      ) : selected.size > 0 ? (
        <SelectionBar
          label="Selected tokens"
          count={selected.size}
          action={`${removeVerb(rows.filter((r) => selected.has(r.key)))} selected (${selected.size})…`}
          onAction={() => ask({ which: 'selected', rows: rows.filter((r) => selected.has(r.key)) })}
          onClear={selection.clear}
          busy={busy}
          online={online}
        />
      ) : null}

      <DoneStatus text={done} />

      {rows.length === 0 ? (
        <div className="lock-empty">
          <p className="empty-title">No token is in use.</p>
        </div>
      ) : (
        <div className="table-wrap" onKeyDown={readOnly ? undefined : onKeyDown}>
          <table className="data-table tokens-table" aria-labelledby={titleId} aria-describedby={readOnly ? undefined : `${titleId}-keys`}>
            <thead>
              <tr>
                {readOnly ? null : <SelectAllCheckbox selection={selection} label="Select all tokens" />}
                <th scope="col">Type</th>
                <th scope="col">Created</th>
                <th scope="col">Created from</th>
                <th scope="col">Last used</th>
                <th scope="col">Last used from</th>
                <th scope="col">Expires</th>
                <th scope="col">
                  <span className="sr-only">Details</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => {
                const Icon = KIND_ICON[r.kind];
                const checked = selected.has(r.key);
                const open = expanded.has(r.key);
                const name = r.passkey
                  ? `passkey ${r.passkey.name}`
                  : `${KIND_LABEL[r.kind].toLowerCase()} ${r.id}${r.current ? ' (this console)' : ''}`;
                return (
                  <Fragment key={r.key}>
                    <tr className={`${checked ? 'checked' : ''}${r.current ? ' current' : ''}`} data-key={r.key}>
                      {readOnly ? null : (
                        <td className="c-check">
                          <input
                            type="checkbox"
                            className="row-check"
                            aria-label={`Select ${name}`}
                            checked={checked}
                            onChange={(e) => {
                              if ((e.nativeEvent as MouseEvent).shiftKey) selection.rangeTo(r.key, null);
                              else selection.toggle(r.key);
                            }}
                          />
                        </td>
                      )}
                      <td className="c-kind">
                        <span className="kind-name" data-kind={r.kind}>
                          <Icon />
                          {KIND_LABEL[r.kind]}
                        </span>
                        {r.passkey ? <span className="passkey-name">{r.passkey.name}</span> : null}
                        {r.current ? <span className="badge badge-current">This console</span> : null}
                      </td>
                      <td>
                        <When iso={r.createdAt} now={now} />
                      </td>
                      <td>
                        <Origin address={r.createdFrom} userAgent={r.createdUserAgent} />
                      </td>
                      <td>
                        {r.lastUsedAt ? <When iso={r.lastUsedAt} now={now} /> : <span className="muted">Not used yet</span>}
                      </td>
                      <td>
                        {!r.lastUsedAt ? (
                          <span className="muted">—</span>
                        ) : sameOrigin(r) ? (
                          <span className="muted">Same as created</span>
                        ) : (
                          <Origin address={r.lastUsedFrom} userAgent={r.lastUsedUserAgent} />
                        )}
                      </td>
                      <td>{r.expiresAt ? <When iso={r.expiresAt} now={now} /> : <span className="muted">Never</span>}</td>
                      <td className="c-more">
                        <button
                          type="button"
                          className="link-btn small"
                          aria-expanded={open}
                          aria-controls={`${ids}-${r.key}`}
                          aria-label={`Details of ${name}`}
                          onClick={() => toggleExpanded(r.key)}
                        >
                          {open ? 'Less' : 'Details'}
                        </button>
                      </td>
                    </tr>
                    {open ? (
                      <tr className="token-details" id={`${ids}-${r.key}`}>
                        {readOnly ? null : <td />}
                        <td colSpan={7}>
                          <dl>
                            <dt>{r.kind === 'passkey' ? 'Passkey id' : 'Token id'}</dt>
                            <dd className="mono">{r.id}</dd>
                            {r.passkey ? (
                              <>
                                <dt>Authenticator model (AAGUID)</dt>
                                <dd className="mono">{r.passkey.aaguid}</dd>
                                <dt>Transports</dt>
                                <dd>{r.passkey.transports.length ? r.passkey.transports.join(', ') : 'Not reported'}</dd>
                                <dt>Synced (backed up)</dt>
                                <dd>{r.passkey.backedUp ? 'Yes' : 'No'}</dd>
                              </>
                            ) : null}
                            <dt>Created</dt>
                            <dd>{`${absoluteTime(r.createdAt)} from ${r.createdFrom ?? 'an unknown address'}`}</dd>
                            <dt>Created with</dt>
                            <dd className="ua-full">{r.createdUserAgent ?? 'No user agent sent'}</dd>
                            <dt>Last used</dt>
                            <dd>{r.lastUsedAt ? `${absoluteTime(r.lastUsedAt)} from ${r.lastUsedFrom ?? 'an unknown address'}` : 'Not used yet'}</dd>
                            {r.lastUsedAt ? (
                              <>
                                <dt>Last used with</dt>
                                <dd className="ua-full">{r.lastUsedUserAgent ?? 'No user agent sent'}</dd>
                              </>
                            ) : null}
                            <dt>Expires</dt>
                            <dd>{r.expiresAt ? absoluteTime(r.expiresAt) : 'Never'}</dd>
                          </dl>
                        </td>
                      </tr>
                    ) : null}
                  </Fragment>
                );
              })}
            </tbody>
          </table>
          {readOnly ? null : (
            <p id={`${titleId}-keys`} className="muted small table-keys">
              Select rows with <kbd>Space</kbd>, a range with <kbd>Shift</kbd>+click or <kbd>Shift</kbd>+<kbd>↑</kbd> <kbd>↓</kbd>,
              all with <kbd>Ctrl</kbd>+<kbd>A</kbd>; <kbd>↑</kbd> <kbd>↓</kbd> move between rows.
            </p>
          )}
        </div>
      )}

      {asking && !readOnly ? (
        <ConfirmRevoke
          asking={asking}
          busy={busy}
          online={online}
          error={error}
          onYes={() => void confirm()}
          onClose={() => {
            if (!busy) setAsking(null);
          }}
          fallbackFocus={() => headingRef.current}
        />
      ) : null}
    </section>
  );
}

/** An address over the short name of the program (the full user agent on hover, and under Details). */
function Origin({ address, userAgent }: { address: string | null; userAgent: string | null }) {
  const name = userAgentName(userAgent);
  return (
    <span className="origin">
      {address ? <span className="mono">{address}</span> : <span className="muted">Address not recorded</span>}
      {name ? (
        <span className="ua-name" title={userAgent ?? undefined}>
          {name}
        </span>
      ) : (
        <span className="ua-name muted">No user agent</span>
      )}
    </span>
  );
}

/** How many of the rows to sign out the confirmation names. */
const LISTED = 5;

/** "Login token from 127.0.0.3 (curl 8.5)", "… — this console", "Passkey “Office laptop” registered from …". */
function rowSummary(r: CredentialRow): string {
  const ua = userAgentName(r.createdUserAgent);
  const from = `from ${r.createdFrom ?? 'an unknown address'}${ua ? ` (${ua})` : ''}`;
  if (r.passkey) return `Passkey “${r.passkey.name}” registered ${from}`;
  return `${KIND_LABEL[r.kind]} ${from}${r.current ? ' — this console' : ''}`;
}

function ConfirmRevoke({
  asking,
  busy,
  online,
  error,
  onYes,
  onClose,
  fallbackFocus,
}: {
  asking: Asking;
  busy: boolean;
  online: boolean;
  error: ErrorBody | null;
  onYes: () => void;
  onClose: () => void;
  fallbackFocus: () => HTMLElement | null;
}) {
  const n = asking.rows.length;
  const what = countWords(asking.rows);
  const includesCurrent = asking.which === 'selected' && asking.rows.some((r) => r.current);
  const verb = removeVerb(asking.rows);
  const title = asking.which === 'others' ? 'Sign out everywhere else?' : `${verb} ${what}?`;
  const keys = asking.rows.filter((r) => r.kind === 'passkey').length;
  return (
    <ModalDialog title={title} className="tokens-dialog" onClose={onClose} fallbackFocus={fallbackFocus}>
      {() => (
        <>
          {asking.which === 'others' ? (
            <p>{`The ${n === 1 ? 'other sign-in' : `${n} other sign-ins`} of this account (${what}) ${n === 1 ? 'stops' : 'stop'} working at once; whoever uses ${n === 1 ? 'it' : 'them'} must sign in again. This console stays signed in.`}</p>
          ) : (
            <>
              <ul className="revoke-list">
                {asking.rows.slice(0, LISTED).map((r) => (
                  <li key={r.key}>{rowSummary(r)}</li>
                ))}
                {n > LISTED ? <li>{`and ${n - LISTED} more`}</li> : null}
              </ul>
              {keys === n ? (
                <p>{`${n === 1 ? 'It no longer signs' : 'They no longer sign'} anyone in, at once. To use ${n === 1 ? 'that authenticator' : 'those authenticators'} again, register ${n === 1 ? 'it' : 'them'} again on the PBX's login page.`}</p>
              ) : (
                <p>{`${n === 1 ? 'It stops' : 'They stop'} working at once; a browser or program that uses ${n === 1 ? 'it' : 'one of them'} must sign in again.${keys > 0 ? ` The ${keys === 1 ? 'passkey no longer signs' : `${keys} passkeys no longer sign`} anyone in.` : ''}`}</p>
              )}
            </>
          )}
          {includesCurrent ? (
            <div className="notice warn-notice">
              <ErrorIcon />
              <span>
                {n === 1 ? 'This is' : 'One of them is'} <strong>the session this console uses</strong>; it will sign in again with the
                saved password.
              </span>
            </div>
          ) : null}
          {error ? <ErrorNotice error={error} /> : null}
          <ConfirmActions
            yes={
              asking.which === 'others'
                ? `Yes, sign out ${n === 1 ? 'the other' : `all ${n} others`}`
                : verb === 'Sign out'
                  ? n === 1
                    ? 'Yes, sign it out'
                    : `Yes, sign out all ${n}`
                  : n === 1
                    ? `Yes, ${verb.toLowerCase()} it`
                    : `Yes, ${verb.toLowerCase()} all ${n}`
            }
            enterDoes={verb === 'Sign out' || asking.which === 'others' ? 'signs out' : verb === 'Delete' ? 'deletes' : 'removes'}
            onYes={onYes}
            onCancel={onClose}
            busy={busy}
            online={online}
          />
        </>
      )}
    </ModalDialog>
  );
}

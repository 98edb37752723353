// Reception (the start screen of the receptionist role, reachable by admins too): one big search box,
// up to 8 results as you type (from the same local index as the extensions table), and a large card for
// the chosen extension with its state as badges and big actions: Block/Unblock and Reset PIN (then the
// default PIN, large, with a printable slip), and — when failed sign-ins locked it (SPEC F3) — its lock state
// per credential (counting down to the end of a temporary lock, or "permanent") with a big Unlock action, and
// its hot-desk state (SPEC F4: the phone it is logged in on, since when) with "Log out phone".
// Every action has a key; `?` lists them.
import { useEffect, useId, useMemo, useRef, useState, type KeyboardEvent as ReactKeyboardEvent, type RefObject } from 'react';
import type { Extension } from '../../../shared/domain';
import { EXTENSION_TYPE_LABEL } from '../../../shared/domain';
import type { ErrorBody } from '../../../shared/errors';
import { call, errorBody } from '../api';
import { DefaultPinBox, type DefaultPinView } from '../components/DefaultPin';
import { BlockIcon, ErrorIcon, LockIcon } from '../components/icons';
import type { Query } from '../lib/extensionIndex';
import { useExtensionIndex } from '../lib/useExtensionIndex';
import { DoneStatus } from '../components/Field';
import { LOCK_CREDENTIAL_LABEL, type ExtensionLock } from '../../../shared/lockout';
import { countdownWords, formatCountdown, lockBlockedAt, lockRemainingMs, locksByNumber, useLockouts, type LockoutStore } from '../lib/lockouts';
import { useNow } from '../lib/time';
import { When } from '../components/When';
import { canLogOut, useHotDesk, type HotDeskStore } from '../lib/hotdesk';
import type { HotDeskRow } from '../../../shared/hotdesk';
import { HotDeskLogoutDialog, phoneModel } from '../components/HotDeskLogout';
import './lockouts.css';
import './hotdesk.css';

const MAX_RESULTS = 8;
const QUERY: Omit<Query, 'search'> = { site: '', type: '', protection: 'any', pin: 'any', sortKey: 'number', sortDir: 'asc' };

const SHORTCUTS: Array<{ keys: string[]; what: string }> = [
  { keys: ['/', 'f'], what: 'Find an extension (focus the search box)' },
  { keys: ['↑', '↓'], what: 'Move through the results' },
  { keys: ['Enter'], what: 'Choose the highlighted extension (or the first one)' },
  { keys: ['b'], what: 'Block or unblock the chosen phone' },
  { keys: ['r'], what: 'Reset the voicemail PIN of the chosen extension' },
  { keys: ['u'], what: 'Unlock the chosen extension (locked after failed sign-ins)' },
  { keys: ['l'], what: 'Log the chosen extension out of its hot-desk phone' },
  { keys: ['Esc'], what: 'Cancel, close, or clear the search' },
  { keys: ['?'], what: 'Show this list' },
];

function isEditable(el: EventTarget | null): boolean {
  if (!(el instanceof HTMLElement)) return false;
  return el.isContentEditable || el.matches('input, textarea, select');
}

function isExtension(v: unknown): v is Extension {
  return typeof v === 'object' && v !== null && 'etag' in v && 'protection' in v && 'number' in v;
}

interface Props {
  onlineEpoch: number;
  online: boolean;
}

export function ReceptionScreen({ onlineEpoch, online }: Props) {
  const ids = useId();
  const [search, setSearch] = useState('');
  /** The highlighted result (-1 = none yet: Enter takes the first). */
  const [activePos, setActivePos] = useState(-1);
  const [chosen, setChosen] = useState<string | null>(null);
  const [cardFocus, setCardFocus] = useState(0);
  const [helpOpen, setHelpOpen] = useState(false);
  /** The result list closes once an extension is chosen, and opens again on the next keystroke. */
  const [listOpen, setListOpen] = useState(true);

  const searchRef = useRef<HTMLInputElement>(null);
  const cardRef = useRef<CardHandle>(null);

  // ---- data: the same local index as the extensions screen ------------------------------------

  const { index, version, loadError, load, applyUpdate } = useExtensionIndex(onlineEpoch);
  // Lock state (SPEC F3): the live store shared with the Lockouts screen.
  const lockouts = useLockouts(onlineEpoch);
  const locksOf = useMemo(() => locksByNumber(lockouts.tables), [lockouts.tables]);
  // Hot-desk state (SPEC F4): the live store shared with the Hot desking screen.
  const hotdesk = useHotDesk(onlineEpoch);

  // ---- search --------------------------------------------------------------------------------------

  const results = useMemo(() => {
    if (!index || !listOpen || search.trim() === '') return [];
    const rows = index.filter({ ...QUERY, search });
    const out: Extension[] = [];
    for (let k = 0; k < rows.length && k < MAX_RESULTS; k++) out.push(index.rows[rows[k]!]!);
    return out;
    // `version` is how the mutable index tells React a row changed.
  }, [index, version, search, listOpen]);

  const choose = (number: string) => {
    setChosen(number);
    setActivePos(-1);
    setListOpen(false);
    setCardFocus((n) => n + 1);
  };

  const focusSearch = () => {
    searchRef.current?.focus();
    searchRef.current?.select();
  };

  const onSearchKeyDown = (e: ReactKeyboardEvent<HTMLInputElement>) => {
    if (e.key === 'ArrowDown' && !listOpen && search.trim() !== '') {
      e.preventDefault();
      setListOpen(true);
    } else if (e.key === 'ArrowDown') {
      if (results.length > 0) {
        e.preventDefault();
        setActivePos((p) => Math.min(results.length - 1, p + 1));
      }
    } else if (e.key === 'ArrowUp') {
      if (results.length > 0) {
        e.preventDefault();
        setActivePos((p) => Math.max(0, p - 1));
      }
    } else if (e.key === 'Enter') {
      const pick = results[activePos >= 0 ? activePos : 0];
      if (pick) {
        e.preventDefault();
        choose(pick.number);
      }
    } else if (e.key === 'Escape') {
      if (search !== '') {
        e.preventDefault();
        setSearch('');
        setActivePos(-1);
      }
    }
  };

  // ---- shortcuts -------------------------------------------------------------------------------------

  const helpOpenRef = useRef(helpOpen);
  helpOpenRef.current = helpOpen;

  useEffect(() => {
    searchRef.current?.focus();
  }, []);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.ctrlKey || e.metaKey || e.altKey || e.defaultPrevented) return;
      if (helpOpenRef.current || isEditable(e.target)) return;
      // Keys typed in a dialog (the hot-desk logout confirmation) belong to it.
      if (e.target instanceof Element && e.target.closest('dialog')) return;
      // Keys typed on a button (Enter, Space) belong to that button.
      if (e.key === '?') {
        e.preventDefault();
        setHelpOpen(true);
      } else if (e.key === '/' || e.key === 'f') {
        e.preventDefault();
        focusSearch();
      } else if (e.key === 'b') {
        if (cardRef.current?.toggleBlock()) e.preventDefault();
      } else if (e.key === 'r') {
        if (cardRef.current?.askReset()) e.preventDefault();
      } else if (e.key === 'u') {
        if (cardRef.current?.unlock()) e.preventDefault();
      } else if (e.key === 'l') {
        if (cardRef.current?.logOut()) e.preventDefault();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  const chosenExt = chosen && index ? index.get(chosen) : undefined;
  const listId = `${ids}-results`;
  const optionId = (i: number) => `${ids}-opt-${i}`;
  const searchTrim = search.trim();

  return (
    <main className="reception" aria-labelledby={`${ids}-title`}>
      <div className="reception-top">
        <h1 id={`${ids}-title`} className="sr-only">
          Reception
        </h1>
        <div className="reception-search">
          <label htmlFor={`${ids}-search`} className="reception-label">
            Find an extension
          </label>
          <div className="reception-combo">
            <input
              id={`${ids}-search`}
              ref={searchRef}
              type="search"
              role="combobox"
              className="reception-input"
              placeholder="Type a number or a name"
              autoComplete="off"
              spellCheck={false}
              value={search}
              onChange={(e) => {
                setSearch(e.target.value);
                setActivePos(-1);
                setListOpen(true);
              }}
              onKeyDown={onSearchKeyDown}
              aria-expanded={results.length > 0}
              aria-controls={listId}
              aria-autocomplete="list"
              aria-activedescendant={activePos >= 0 && results[activePos] ? optionId(activePos) : undefined}
              aria-describedby={`${ids}-search-hint`}
              aria-keyshortcuts="/ f"
            />
            <p id={`${ids}-search-hint`} className="reception-hint">
              Results appear as you type. <kbd>↓</kbd> <kbd>↑</kbd> to move, <kbd>Enter</kbd> to choose,{' '}
              <kbd>?</kbd> for all keys.
            </p>
            {results.length > 0 ? (
              <ul id={listId} role="listbox" aria-label="Matching extensions" className="reception-results">
                {results.map((r, i) => (
                  <li
                    key={r.number}
                    id={optionId(i)}
                    role="option"
                    aria-selected={i === activePos}
                    className={`reception-option${i === activePos ? ' active' : ''}${r.number === chosen ? ' chosen' : ''}`}
                    onMouseDown={(e) => e.preventDefault()}
                    onClick={() => choose(r.number)}
                  >
                    <span className="opt-number">{r.number}</span>
                    <span className="opt-label">{r.label}</span>
                    <span className="opt-site muted">{index?.siteNameOf(r.siteId)}</span>
                  </li>
                ))}
              </ul>
            ) : (
              <span id={listId} className="sr-only" role="status">
                {searchTrim !== '' && index && listOpen ? `No extension matches “${searchTrim}”` : ''}
              </span>
            )}
            {searchTrim !== '' && index && listOpen && results.length === 0 ? (
              <p className="reception-empty" aria-hidden="true">
                {`No extension matches “${searchTrim}”. Check the number or the spelling of the name.`}
              </p>
            ) : null}
          </div>
        </div>
      </div>

      {loadError ? (
        <div className="notice error" role="alert">
          <ErrorIcon /> <span>Could not load the extensions: {loadError.message}</span>{' '}
          <button type="button" className="btn" onClick={() => void load()} disabled={!online}>
            Try again
          </button>
        </div>
      ) : null}
      {!index && !loadError ? (
        <p className="loading" role="status">
          {online ? 'Loading extensions…' : 'Waiting for the PBX to come back…'}
        </p>
      ) : null}

      {chosenExt && index ? (
        <ReceptionCard
          key={chosenExt.number}
          handleRef={cardRef}
          ext={chosenExt}
          siteName={index.siteNameOf(chosenExt.siteId)}
          focusSignal={cardFocus}
          online={online}
          onUpdated={applyUpdate}
          onFindAnother={focusSearch}
          locks={locksOf.get(chosenExt.number) ?? NO_LOCKS}
          lockStore={lockouts.store}
          hotRow={hotdesk.tables.rows.get(chosenExt.number) ?? null}
          hotReady={hotdesk.status === 'ready'}
          hotStore={hotdesk.store}
        />
      ) : index ? (
        <p className="reception-placeholder muted">
          Type a number or a name above, then choose the extension to block or unblock its phone, reset its voicemail
          PIN, unlock it after failed sign-ins or log it out of a hot-desk phone.
        </p>
      ) : null}

      <button type="button" className="btn ghost reception-help-btn" onClick={() => setHelpOpen(true)} aria-keyshortcuts="?">
        Keyboard shortcuts <kbd>?</kbd>
      </button>
      {helpOpen ? <ShortcutsDialog onClose={() => setHelpOpen(false)} /> : null}
    </main>
  );
}

// ---- the card ---------------------------------------------------------------------------------------

interface CardHandle {
  /** The `b` key: block or unblock when possible. Returns whether the key was used. */
  toggleBlock(): boolean;
  /** The `r` key: ask to confirm a PIN reset when possible. */
  askReset(): boolean;
  /** The `u` key: unlock the extension when it is locked. */
  unlock(): boolean;
  /** The `l` key: ask to log the extension out of its hot-desk phone when it is on one. */
  logOut(): boolean;
}

const NO_LOCKS: ExtensionLock[] = [];

interface CardProps {
  handleRef: RefObject<CardHandle | null>;
  ext: Extension;
  siteName: string;
  focusSignal: number;
  online: boolean;
  onUpdated: (ext: Extension) => void;
  onFindAnother: () => void;
  /** This extension's lock rows (SPEC F3), live. */
  locks: ExtensionLock[];
  lockStore: LockoutStore;
  /** This extension's hot-desk row (SPEC F4), live; null when it has none. */
  hotRow: HotDeskRow | null;
  hotReady: boolean;
  hotStore: HotDeskStore;
}

function ReceptionCard({ handleRef, ext, siteName, focusSignal, online, onUpdated, onFindAnother, locks, lockStore, hotRow, hotReady, hotStore }: CardProps) {
  const ids = useId();
  const headingRef = useRef<HTMLHeadingElement>(null);
  const blockRef = useRef<HTMLButtonElement>(null);
  const resetRef = useRef<HTMLButtonElement>(null);
  const confirmRef = useRef<HTMLButtonElement>(null);
  const [busy, setBusy] = useState<'block' | 'reset' | 'unlock' | null>(null);
  const [confirmReset, setConfirmReset] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [defaultPin, setDefaultPin] = useState<DefaultPinView | null>(null);

  useEffect(() => {
    if (focusSignal > 0) headingRef.current?.focus();
  }, [focusSignal]);
  useEffect(() => {
    if (confirmReset) confirmRef.current?.focus();
  }, [confirmReset]);

  const p = ext.protection;
  const isPhone = ext.type === 'phone_terminal';
  const active = ext.status === 'active';
  const blocked = p.enabled && p.state === 'blocked';
  const pinMeta = ext.credentials?.voicemail_pin;

  let blockDisabledReason: string | null = null;
  if (!isPhone) blockDisabledReason = `Only phones can be blocked. This is a ${EXTENSION_TYPE_LABEL[ext.type].toLowerCase()}.`;
  else if (!p.enabled)
    blockDisabledReason = 'Protected phone access is off for this phone, so it cannot be blocked. An administrator can turn it on.';
  let resetDisabledReason: string | null = null;
  if (!ext.credentials) resetDisabledReason = 'This PBX does not report voicemail PINs.';
  else if (!active) resetDisabledReason = 'This number is inactive: its PIN cannot be reset.';

  const canBlock = blockDisabledReason === null && busy === null && online;
  const canReset = resetDisabledReason === null && busy === null && online && !confirmReset;

  // ---- lock state (SPEC F3) ----
  const now = useNow(1000);
  const lockedRows = locks.filter((l) => lockBlockedAt(l, now));
  const locked = lockedRows.length > 0;
  // a lock that ran out: the failures that caused it no longer count on the PBX
  const failingRows = locks.filter((l) => !l.blocked && l.failures > 0);
  const unlockRef = useRef<HTMLButtonElement>(null);
  const canUnlock = locked && busy === null && online;

  // ---- hot desk (SPEC F4) ----
  const logoutRef = useRef<HTMLButtonElement>(null);
  const [askLogout, setAskLogout] = useState(false);
  const onPhone = hotRow !== null && canLogOut(hotRow) ? hotRow : null;
  // The phone logged out meanwhile (from the phone, or elsewhere): nothing left to confirm.
  if (askLogout && !onPhone) setAskLogout(false);
  const canLogout = onPhone !== null && busy === null && online && !askLogout;
  const openLogout = () => {
    // The dialog gives focus back to what had it: the button, also when the `l` key opened it.
    logoutRef.current?.focus();
    setAskLogout(true);
    setDone(null);
    setError(null);
  };

  const unlock = async () => {
    setBusy('unlock');
    setError(null);
    setDone(null);
    try {
      const asked = [{ extension: ext.number }];
      const res = await call('lockouts.reset', { items: asked });
      lockStore.applyReset(res, asked);
      setDone(`Unlocked. ${ext.number} can sign in again (the failed sign-ins are forgotten).`);
      requestAnimationFrame(() => headingRef.current?.focus());
    } catch (e) {
      setError(errorBody(e).message);
      requestAnimationFrame(() => unlockRef.current?.focus());
    } finally {
      setBusy(null);
    }
  };

  /** A 412: the card already shows what the PBX has now (from the answer or a reload). */
  const conflictMessage = async (body: ErrorBody): Promise<string> => {
    let current: Extension | undefined = isExtension(body.current) ? body.current : undefined;
    if (!current) current = await call('extensions.get', { number: ext.number }).catch(() => undefined);
    if (current) onUpdated(current);
    return 'Someone else changed this extension a moment ago. The card now shows the latest state; check it and try again.';
  };

  const toggleBlock = async () => {
    const wasBlocked = blocked;
    setBusy('block');
    setError(null);
    setDone(null);
    try {
      const result = wasBlocked
        ? await call('protection.unblock', { number: ext.number, etag: ext.etag })
        : await call('protection.block', { number: ext.number, etag: ext.etag });
      onUpdated(result);
      setDone(wasBlocked ? 'Unblocked. The phone can make calls again.' : 'Blocked. The phone needs its password to make calls; incoming calls go to voicemail.');
    } catch (e) {
      const body = errorBody(e);
      setError(body.code === 'precondition_failed' ? await conflictMessage(body) : body.message);
    } finally {
      setBusy(null);
      requestAnimationFrame(() => blockRef.current?.focus());
    }
  };

  const reset = async () => {
    setBusy('reset');
    setError(null);
    setDone(null);
    try {
      const result = await call('credentials.resetVoicemailPin', { number: ext.number, etag: ext.etag });
      onUpdated(result);
      setConfirmReset(false);
      setDone('The voicemail PIN is back to its default.');
      const r = await call('credentials.defaultVoicemailPin', { number: result.number });
      setDefaultPin({ number: result.number, label: result.label, pin: r.defaultPin, shownAt: Date.now() });
    } catch (e) {
      const body = errorBody(e);
      setConfirmReset(false);
      setError(body.code === 'precondition_failed' ? await conflictMessage(body) : body.message);
      requestAnimationFrame(() => resetRef.current?.focus());
    } finally {
      setBusy(null);
    }
  };

  const cancelReset = () => {
    setConfirmReset(false);
    requestAnimationFrame(() => resetRef.current?.focus());
  };

  const askReset = () => {
    setConfirmReset(true);
    setDefaultPin(null);
    setDone(null);
    setError(null);
  };

  const state = { canBlock, canReset, canUnlock, canLogout, toggleBlock, askReset, unlock, openLogout };
  const stateRef = useRef(state);
  stateRef.current = state;
  useEffect(() => {
    handleRef.current = {
      toggleBlock() {
        if (!stateRef.current.canBlock) return false;
        void stateRef.current.toggleBlock();
        return true;
      },
      askReset() {
        if (!stateRef.current.canReset) return false;
        stateRef.current.askReset();
        return true;
      },
      unlock() {
        if (!stateRef.current.canUnlock) return false;
        void stateRef.current.unlock();
        return true;
      },
      logOut() {
        if (!stateRef.current.canLogout) return false;
        stateRef.current.openLogout();
        return true;
      },
    };
    return () => {
      handleRef.current = null;
    };
  }, [handleRef]);

  return (
    <section className="reception-card" aria-labelledby={`${ids}-title`}>
      <div className="reception-card-head">
        <h2 id={`${ids}-title`} ref={headingRef} tabIndex={-1}>
          <span className="card-number">{ext.number}</span>
          <span className="card-name">{ext.label}</span>
        </h2>
        <p className="card-facts">
          {`${siteName} · ${EXTENSION_TYPE_LABEL[ext.type]}${active ? '' : ' · Inactive'}`}
        </p>
        <ul className="card-badges" aria-label="State">
          {!isPhone ? null : p.enabled ? (
            blocked ? (
              <li className="big-badge badge-blocked">Blocked</li>
            ) : (
              <li className="big-badge badge-unrestricted">Protected · not blocked</li>
            )
          ) : (
            <li className="big-badge badge-off">Not protected</li>
          )}
          {lockedRows.map((l) => (
            <li key={l.credential} className="big-badge badge-locked">
              <LockIcon />
              {`${LOCK_CREDENTIAL_LABEL[l.credential]} locked${l.permanent ? ' (permanent)' : ''}`}
            </li>
          ))}
          {onPhone ? (
            <li className={`big-badge ${onPhone.state === 'needs_reboot' ? 'badge-needs-reboot' : 'badge-logged-in'}`}>
              {onPhone.state === 'needs_reboot' ? 'Hot desk: phone needs a reboot' : 'Logged in on a hot-desk phone'}
            </li>
          ) : null}
          {pinMeta?.isDefault ? <li className="big-badge badge-default-pin">Default PIN</li> : null}
          {!active ? <li className="big-badge badge-off">Inactive</li> : null}
        </ul>
      </div>

      {locked ? (
        <ul className="lock-lines" aria-label="Locks">
          {lockedRows.map((l) => {
            const left = lockRemainingMs(l, now);
            return (
              <li key={l.credential}>
                <strong>{LOCK_CREDENTIAL_LABEL[l.credential]}</strong>
                {l.permanent ? (
                  <span>{': locked permanently after repeated failed sign-ins. It stays locked until someone unlocks it.'}</span>
                ) : (
                  <span>
                    {`: locked after ${l.failures} failed sign-ins${l.lastAddress ? ` (last from ${l.lastAddress})` : ''}. Unlocks by itself in `}
                    <span className="countdown" role="timer" aria-label={left !== null ? countdownWords(left) : undefined}>
                      {left !== null ? formatCountdown(left) : '—'}
                    </span>
                    .
                  </span>
                )}
              </li>
            );
          })}
        </ul>
      ) : failingRows.length > 0 ? (
        <p className="muted">
          {failingRows
            .map((l) => `${l.failures} failed ${LOCK_CREDENTIAL_LABEL[l.credential].toLowerCase()} sign-in${l.failures === 1 ? '' : 's'} recently (locks at ${l.maxFailures}).`)
            .join(' ')}
        </p>
      ) : null}

      {onPhone ? (
        <p className="hotdesk-line">
          <strong>{onPhone.state === 'needs_reboot' ? 'Logging in on' : 'Logged in on'}</strong>
          <span>{phoneModel(onPhone.device)}</span>
          <span className="mono">{onPhone.device.mac}</span>
          {onPhone.since ? (
            <span>
              {'since '}
              <When iso={onPhone.since} now={now} />
            </span>
          ) : null}
          {onPhone.state === 'needs_reboot' ? <span className="muted">The phone loads the settings when it restarts.</span> : null}
        </p>
      ) : hotReady && isPhone ? (
        <p className="muted">
          {hotRow?.mapping ? 'Not logged in on any hot-desk phone (it has a hot-desk mapping).' : 'Not logged in on any hot-desk phone.'}
        </p>
      ) : null}

      <div className="reception-actions">
        {locked ? (
          <div className="reception-action">
            <button
              type="button"
              ref={unlockRef}
              className="btn huge primary"
              onClick={() => void unlock()}
              disabled={!canUnlock}
              aria-busy={busy === 'unlock' || undefined}
              aria-keyshortcuts="u"
            >
              <LockIcon open />
              Unlock
              <kbd aria-hidden="true">u</kbd>
            </button>
            <p className="action-why muted">
              {lockedRows.some((l) => l.permanent)
                ? 'Ends the lock now: the phone or mailbox can sign in again.'
                : 'Ends the lock now instead of waiting; the failed sign-ins are forgotten.'}
            </p>
          </div>
        ) : null}
        <div className="reception-action">
          <button
            type="button"
            ref={blockRef}
            className={`btn huge ${blocked ? 'primary' : 'danger'}`}
            onClick={() => void toggleBlock()}
            disabled={!canBlock}
            aria-busy={busy === 'block' || undefined}
            aria-keyshortcuts="b"
            aria-describedby={blockDisabledReason ? `${ids}-block-why` : undefined}
          >
            {blocked ? <LockIcon open /> : <BlockIcon />}
            {blocked ? 'Unblock phone' : 'Block phone'}
            <kbd aria-hidden="true">b</kbd>
          </button>
          {blockDisabledReason ? (
            <p id={`${ids}-block-why`} className="action-why">
              {blockDisabledReason}
            </p>
          ) : (
            <p className="action-why muted">
              {blocked ? 'The phone is blocked: outgoing calls need its password.' : 'The phone is protected and can make calls.'}
            </p>
          )}
        </div>
        <div className="reception-action">
          <button
            type="button"
            ref={resetRef}
            className="btn huge"
            onClick={askReset}
            disabled={!canReset}
            aria-keyshortcuts="r"
            aria-describedby={resetDisabledReason ? `${ids}-reset-why` : undefined}
          >
            Reset PIN
            <kbd aria-hidden="true">r</kbd>
          </button>
          {resetDisabledReason ? (
            <p id={`${ids}-reset-why`} className="action-why">
              {resetDisabledReason}
            </p>
          ) : (
            <p className="action-why muted">Sets the voicemail PIN back to its default and shows it to read out.</p>
          )}
        </div>
        {onPhone ? (
          <div className="reception-action">
            <button
              type="button"
              ref={logoutRef}
              className="btn huge"
              onClick={openLogout}
              disabled={!canLogout && !askLogout}
              aria-keyshortcuts="l"
            >
              Log out phone
              <kbd aria-hidden="true">l</kbd>
            </button>
            <p className="action-why muted">Returns the shared phone to its login screen, e.g. when someone forgot to log out.</p>
          </div>
        ) : null}
      </div>

      {confirmReset ? (
        <div
          className="confirm-box"
          role="group"
          aria-label="Confirm reset"
          onKeyDown={(e) => {
            if (e.key === 'Escape') {
              e.preventDefault();
              e.stopPropagation();
              cancelReset();
            }
          }}
        >
          <p>{`Reset the voicemail PIN of ${ext.number} (${ext.label}) to its default? They will choose a new PIN at their next voicemail sign-in.`}</p>
          <div className="form-actions">
            <button
              type="button"
              className="btn danger big"
              ref={confirmRef}
              onClick={() => void reset()}
              disabled={busy !== null}
              aria-busy={busy === 'reset' || undefined}
            >
              Yes, reset the PIN
            </button>
            <button type="button" className="btn big" onClick={cancelReset} disabled={busy === 'reset'}>
              Cancel
            </button>
          </div>
          <p className="muted small">
            <kbd>Enter</kbd> resets, <kbd>Esc</kbd> cancels.
          </p>
        </div>
      ) : null}

      {defaultPin && defaultPin.number === ext.number ? (
        <DefaultPinBox
          view={defaultPin}
          level={3}
          onDone={() => {
            setDefaultPin(null);
            requestAnimationFrame(() => resetRef.current?.focus());
          }}
        />
      ) : null}

      {askLogout && onPhone ? (
        <HotDeskLogoutDialog
          row={onPhone}
          online={online}
          store={hotStore}
          onClose={() => setAskLogout(false)}
          onDone={(text) => {
            setAskLogout(false);
            setDone(text);
          }}
          fallbackFocus={() => headingRef.current}
        />
      ) : null}

      {error ? (
        <div className="notice error" role="alert">
          <ErrorIcon /> <span>{error}</span>
        </div>
      ) : null}
      <DoneStatus text={done} />
      <button type="button" className="btn ghost" onClick={onFindAnother} aria-keyshortcuts="/ f">
        Find another extension <kbd aria-hidden="true">/</kbd>
      </button>
    </section>
  );
}

// ---- the shortcut list ----------------------------------------------------------------------------------

function ShortcutsDialog({ onClose }: { onClose: () => void }) {
  const ids = useId();
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    const before = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    if (d && !d.open) d.showModal();
    return () => {
      if (d?.open) d.close();
      before?.focus();
    };
  }, []);
  return (
    <dialog
      ref={ref}
      className="shortcuts-dialog"
      aria-labelledby={`${ids}-title`}
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
      onKeyDown={(e) => {
        if (e.key === 'Escape') {
          e.preventDefault();
          e.stopPropagation();
          onClose();
        }
      }}
    >
      <h2 id={`${ids}-title`}>Keyboard shortcuts</h2>
      <table className="shortcuts">
        <tbody>
          {SHORTCUTS.map((s) => (
            <tr key={s.what}>
              <th scope="row">
                {s.keys.map((k, i) => (
                  <span key={k}>
                    {i > 0 ? ' or ' : ''}
                    <kbd>{k}</kbd>
                  </span>
                ))}
              </th>
              <td>{s.what}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="muted small">The letter keys work when the cursor is not in the search box.</p>
      <div className="form-actions">
        <button type="button" className="btn primary" onClick={onClose} autoFocus>
          Close
        </button>
      </div>
    </dialog>
  );
}

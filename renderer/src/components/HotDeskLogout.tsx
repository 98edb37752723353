// "Log out phone" (SPEC F4): staff end a hot-desk login — from the Hot desking table or the reception card —
// after a confirmation that names the person and the phone. Keyboard: the dialog opens on "Yes, log out",
// Enter confirms, Escape cancels, and focus goes back to the button that opened it.
import { useState } from 'react';
import { BRAND_INFO, type HotDeskRow } from '../../../shared/hotdesk';
import type { ErrorBody } from '../../../shared/errors';
import { call, errorBody } from '../api';
import type { HotDeskStore } from '../lib/hotdesk';
import { ErrorNotice } from './ErrorNotice';
import { ConfirmActions, ModalDialog } from './ModalDialog';

type LoggedInRow = HotDeskRow & { device: NonNullable<HotDeskRow['device']> };

/** "Yealink SIP-T46S" */
export function phoneModel(device: Pick<NonNullable<HotDeskRow['device']>, 'brand' | 'model'>): string {
  return `${BRAND_INFO[device.brand].label} ${device.model}`;
}

/** "Yealink SIP-T46S (00:15:65:AB:CD:EF)" */
export function phoneName(device: NonNullable<HotDeskRow['device']>): string {
  return `${phoneModel(device)} (${device.mac})`;
}

export function HotDeskLogoutDialog({
  row,
  online,
  store,
  onClose,
  onDone,
  fallbackFocus,
}: {
  row: LoggedInRow;
  online: boolean;
  store: HotDeskStore;
  onClose: () => void;
  /** The logout went through (or the phone was already logged out): what to say. */
  onDone: (text: string) => void;
  fallbackFocus?: () => HTMLElement | null;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ErrorBody | null>(null);
  const who = `${row.extension}${row.label ? ` (${row.label})` : ''}`;

  const logOut = async () => {
    setBusy(true);
    setError(null);
    try {
      const device = await call('hotdesk.forceLogout', { mac: row.device.mac });
      store.applyDevice(device);
      onDone(`Logged out. The phone ${row.device.mac} is back at its login screen; ${row.extension} can log in again on any phone.`);
    } catch (e) {
      const body = errorBody(e);
      if (body.code === 'not_logged_in') onDone(`Nothing to do: nobody is logged in on ${row.device.mac} any more.`);
      else setError(body);
    } finally {
      setBusy(false);
    }
  };

  return (
    <ModalDialog title={`Log out ${row.extension}?`} className="hotdesk-dialog" onClose={onClose} fallbackFocus={fallbackFocus}>
      {() => (
        <>
          <p>{`${who} is ${row.state === 'needs_reboot' ? 'logging in (the phone waits for a reboot)' : 'logged in'} on ${phoneName(row.device)}.`}</p>
          <p>The phone goes back to its login screen at once. Calls to the extension no longer ring there until someone logs in again.</p>
          {error ? <ErrorNotice error={error} /> : null}
          <ConfirmActions yes="Yes, log out" enterDoes="logs out" onYes={() => void logOut()} onCancel={onClose} busy={busy} online={online} />
        </>
      )}
    </ModalDialog>
  );
}

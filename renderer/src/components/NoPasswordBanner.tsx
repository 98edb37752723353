// SPEC F5: "the console warns loudly while an admin has no password". While the signed-in account has none
// (the PBX says so at sign-in and the console keeps it in the connection status), every screen shows this
// banner under the header, with a button that opens the Set password dialog. It goes away by itself once a
// password is set (the connection status changes).
import { useRef, useState } from 'react';
import { ChangePasswordDialog } from './ChangePasswordDialog';
import { DoneStatus } from './Field';
import { ErrorIcon } from './icons';
import '../screens/accounts.css';

export function NoPasswordBanner({ username, noPassword, online }: { username: string | null; noPassword: boolean; online: boolean }) {
  const [open, setOpen] = useState(false);
  const [done, setDone] = useState<string | null>(null);
  const buttonRef = useRef<HTMLButtonElement>(null);
  if (!noPassword || !username) {
    return done ? (
      <div className="banner ok-banner">
        <DoneStatus text={done} />
        <button type="button" className="btn small-btn" onClick={() => setDone(null)}>
          Dismiss
        </button>
      </div>
    ) : null;
  }
  return (
    <div className="banner no-password-banner" role="alert">
      <ErrorIcon />
      <div className="banner-text">
        <strong>{`Your account ${username} has no password.`}</strong>
        <span className="banner-detail">
          Anyone who can reach this PBX can sign in as {username} with an empty password and change everything you can. Set a password now.
        </span>
      </div>
      <button type="button" ref={buttonRef} className="btn danger" onClick={() => setOpen(true)} disabled={!online}>
        Set a password…
      </button>
      {open ? (
        <ChangePasswordDialog
          target={{ username, hasPassword: false, own: true }}
          online={online}
          onClose={() => setOpen(false)}
          onDone={(text) => {
            setOpen(false);
            setDone(text);
          }}
        />
      ) : null}
    </div>
  );
}

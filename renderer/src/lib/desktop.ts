// Issue 7: what the console host offers — in the desktop app (Electron), native open/save dialogs and saving a
// report as PDF; in browser mode, the browser's own file picker, downloads and print dialog. Asked once.
import { useEffect, useState } from 'react';
import { call } from '../api';

let asked: Promise<boolean> | null = null;

/** Whether main has native dialogs (app.info.desktop); false when it cannot say. */
export function hasDesktopShell(): Promise<boolean> {
  asked ??= call('app.info', {}).then(
    (info) => info.desktop,
    () => {
      asked = null; // ask again next time
      return false;
    },
  );
  return asked;
}

/** React: true once main is known to have native dialogs (false until then and in browser mode). */
export function useDesktopShell(): boolean {
  const [desktop, setDesktop] = useState(false);
  useEffect(() => {
    let live = true;
    void hasDesktopShell().then((d) => live && setDesktop(d));
    return () => {
      live = false;
    };
  }, []);
  return desktop;
}

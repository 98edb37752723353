// Issue 7 — the desktop side of file delivery (main/core/file-delivery.ts): native save and open dialogs,
// attached to the console window (modal, so the user answers before going on), and the window printed to PDF.
// The files themselves are read and written by main/core (atomically, size checked first).
import { dialog, type BrowserWindow } from 'electron';
import type { DesktopShell } from '../core/file-delivery.js';

export function electronShell(win: BrowserWindow): DesktopShell {
  return {
    async chooseSavePath({ title, defaultName, filters }) {
      const r = await dialog.showSaveDialog(win, {
        title,
        defaultPath: defaultName,
        filters,
        properties: ['createDirectory', 'showOverwriteConfirmation'],
      });
      return r.canceled || !r.filePath ? null : r.filePath;
    },
    async chooseOpenPath({ title, filters }) {
      const r = await dialog.showOpenDialog(win, { title, filters, properties: ['openFile'] });
      return r.canceled ? null : (r.filePaths[0] ?? null);
    },
    async printToPdf() {
      // the page's print stylesheet decides what is on paper (the report only, every finding unfolded)
      return win.webContents.printToPDF({ printBackground: false, pageSize: 'A4', preferCSSPageSize: true, generateDocumentOutline: true });
    },
  };
}

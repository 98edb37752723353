// The peer of our extensions table for bench/table-peer.ts: the same extensions (fetched from the same
// seeded PBX by the bench) in AG Grid Community, bundled by esbuild into a standalone page. Columns as
// ours: a selection box, Number, Name, Site, Type, Protection, Incoming calls, Voicemail PIN, PIN age,
// Current policy, Lock; rows 44 px high; the grid the size of ours; no row animation (ours has none). The search box drives AG Grid's quick
// filter, restricted to Number and Name (what our search looks in), with cacheQuickFilter (AG Grid's advice
// for large row counts). The grid holds the full extension objects, like our index; cells are value getters.
//
// The page answers the bench through window.__peer: shows(query) = the grid paints the rows of `query`
// (the row model was filtered with it, and every row of the first screen is in the DOM with its cells),
// scroller() = the element that scrolls vertically, root() = the grid's element.
import { AllCommunityModule, ModuleRegistry, createGrid, type ColDef, type GridApi, type ValueGetterParams } from 'ag-grid-community';
import type { Extension, Site } from '../../shared/domain';
import { EXTENSION_TYPE_LABEL } from '../../shared/domain';
import { pinHealth, pinSetAt, policyFit, protectionBadge } from '../../renderer/src/lib/extensionIndex';
import { ageText } from '../../renderer/src/lib/age';

ModuleRegistry.registerModules([AllCommunityModule]);

// The texts of our cells (renderer/src/components/ExtensionsGrid.tsx exports them, but importing that file
// would bundle React into the peer).
const BADGE_TEXT = { off: 'Off', unrestricted: 'Unrestricted', blocked: 'Blocked' } as const;
const INCOMING_SHORT = { ring: 'Ring', voicemail: 'Voicemail', rejected: 'Rejected' } as const;
const PIN_TEXT = { default: 'Default', outdated: 'Own PIN', custom: 'Own PIN', unset: 'Not set', unknown: '—' } as const;
const FIT_TEXT = { meets: 'Meets', older: 'Older policy', no: 'Not compliant', na: '—' } as const;
const ROW_HEIGHT = 44;

interface PeerApi {
  shows(query: string): boolean;
  scroller(): HTMLElement;
  root(): HTMLElement;
  rowCount(): number;
  loadMs: number;
}
declare global {
  interface Window {
    __peer?: PeerApi;
  }
}

async function main() {
  const params = new URLSearchParams(location.search);
  const width = Number(params.get('w') ?? 1200);
  const height = Number(params.get('h') ?? 600);
  const t0 = performance.now();
  const data = (await (await fetch('/data.json')).json()) as { sites: Site[]; extensions: Extension[] };
  const siteName = new Map(data.sites.map((s) => [s.id, s.name]));
  const now = Date.now();
  const get = (f: (e: Extension) => string) => (p: ValueGetterParams<Extension>) => (p.data ? f(p.data) : '');
  const noQuick = () => '';
  const columnDefs: ColDef<Extension>[] = [
    { colId: 'number', headerName: 'Number', field: 'number', width: 100 },
    { colId: 'label', headerName: 'Name', field: 'label', flex: 1, minWidth: 160 },
    { colId: 'site', headerName: 'Site', valueGetter: get((e) => siteName.get(e.siteId) ?? e.siteId), getQuickFilterText: noQuick, width: 130 },
    { colId: 'type', headerName: 'Type', valueGetter: get((e) => EXTENSION_TYPE_LABEL[e.type]), getQuickFilterText: noQuick, width: 120 },
    { colId: 'protection', headerName: 'Protection', valueGetter: get((e) => BADGE_TEXT[protectionBadge(e)]), getQuickFilterText: noQuick, width: 110 },
    { colId: 'incoming', headerName: 'Incoming calls', valueGetter: get((e) => INCOMING_SHORT[e.incomingCalls]), getQuickFilterText: noQuick, width: 110 },
    { colId: 'pin', headerName: 'Voicemail PIN', valueGetter: get((e) => PIN_TEXT[pinHealth(e)]), getQuickFilterText: noQuick, width: 110 },
    {
      colId: 'pinAge', headerName: 'PIN age', getQuickFilterText: noQuick, width: 90,
      valueGetter: get((e) => {
        const at = pinSetAt(e);
        return at === null ? '—' : ageText(at, now);
      }),
    },
    { colId: 'compliance', headerName: 'Current policy', valueGetter: get((e) => FIT_TEXT[policyFit(e)]), getQuickFilterText: noQuick, width: 120 },
    { colId: 'lock', headerName: 'Lock', valueGetter: () => '—', getQuickFilterText: noQuick, sortable: false, width: 80 },
  ];

  const host = document.getElementById('grid') as HTMLElement;
  host.style.width = `${width}px`;
  host.style.height = `${height}px`;
  const status = document.getElementById('status') as HTMLElement;
  const input = document.getElementById('search') as HTMLInputElement;
  let modelQuery: string | null = null;
  const api: GridApi<Extension> = createGrid(host, {
    columnDefs,
    rowData: data.extensions,
    getRowId: (p) => p.data.number,
    rowHeight: ROW_HEIGHT,
    headerHeight: ROW_HEIGHT,
    rowSelection: { mode: 'multiRow', checkboxes: true, headerCheckbox: true },
    cacheQuickFilter: true,
    // ours has no row animation; with it AG Grid keeps leaving rows in the DOM for 400 ms after a filter
    animateRows: false,
    onModelUpdated: (e) => {
      modelQuery = (e.api.getGridOption('quickFilterText') ?? '').trim().toLowerCase();
      const total = data.extensions.length.toLocaleString('en-US');
      status.textContent = `Showing ${e.api.getDisplayedRowCount().toLocaleString('en-US')} of ${total} extensions`;
    },
  });
  input.addEventListener('input', () => api.setGridOption('quickFilterText', input.value));

  // AG Grid 36: one viewport scrolls both ways (the header sticks at its top)
  const viewport = () => host.querySelector('.ag-grid-viewport') as HTMLElement;
  const columns = columnDefs.length + 1; // + the selection column
  const peer: PeerApi = {
    loadMs: 0,
    root: () => host,
    scroller: viewport,
    rowCount: () => api.getDisplayedRowCount(),
    shows(query) {
      if (modelQuery !== query.trim().toLowerCase()) return false;
      const n = api.getDisplayedRowCount();
      if (n === 0) return host.querySelector('.ag-overlay-no-matching-rows-center') !== null && host.querySelector('.ag-row[row-index="0"]') === null;
      const first = Math.floor(viewport().scrollTop / ROW_HEIGHT);
      const last = Math.min(n, first + Math.floor((viewport().clientHeight - ROW_HEIGHT) / ROW_HEIGHT)) - 1;
      for (let i = first; i <= last; i++) {
        const row = host.querySelector(`.ag-row[row-index="${i}"]`);
        const node = api.getDisplayedRowAtIndex(i);
        if (!row || !node || row.getAttribute('row-id') !== node.id) return false;
        if (row.querySelectorAll('.ag-cell').length < columns) return false;
        if (row.querySelector('[col-id="number"]')?.textContent !== node.data?.number) return false;
      }
      // no row of an earlier query left below the last one
      return host.querySelector(`.ag-row[row-index="${n}"]`) === null;
    },
  };
  const ready = () => {
    if (peer.shows('') && api.getDisplayedRowCount() === data.extensions.length) {
      peer.loadMs = performance.now() - t0;
      window.__peer = peer;
    } else requestAnimationFrame(ready);
  };
  requestAnimationFrame(ready);
}

void main();

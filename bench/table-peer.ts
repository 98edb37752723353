// Our extensions table next to its peer, AG Grid Community, on the same 100,000 extensions in the same
// Chromium run (SPEC issue 8: ratio ours/peer ≤ 1).
// - Ours: the console in browser mode with its embedded PBX seeded with N extensions (as bench/filter.ts).
// - The peer: bench/peer/main.ts bundled by esbuild, served with the extensions this bench fetched from that
//   same PBX (GET /api/v1/extensions, every page) — the same objects our table holds; the grid is given the
//   size of ours.
// Both pages are open side by side and measured by the same injected script, in alternating rounds:
// - filter: an input event in the search box (keystrokes and clears) → the first animation frame in which
//   the grid shows that query's rows (ours: the grid's data-query; the peer: its row model filtered with the
//   query and every row of the first screen in the DOM with its cells), p50/p95;
// - scroll: scrollTop set in each animation frame (240 frames of 2 rows, then 60 jumps across the list);
//   p95 of the interval between frames, and p95 of the main-thread time per frame (frame start → a message
//   posted from its animation frame callback runs, i.e. after that frame's style, layout and paint);
// - DOM nodes: the grid's subtree, and the whole document (getElementsByTagName('*')), the most seen;
// - JS heap: Runtime.getHeapUsage after two forced collections (CDP), with all rows loaded.
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { Page } from '@playwright/test';
import type { ExtensionList } from '../shared/api.js';
import type { Extension, Site } from '../shared/domain.js';
import { startConsoleProcess } from '../test/support/console-process.js';
import { launchChromium, percentile, round, writeResult } from './lib.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const N = Number(process.env['BENCH_EXTENSIONS'] ?? 100_000);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 4);
const WORDS = ['ann', 'smith', '1004', 'mar', 'queue', 'lee', '55', 'conf', 'jo', 'wil'];

/** Bundle the peer page (minified, like our renderer's production build). */
async function bundlePeer(dir: string): Promise<string> {
  const outfile = path.join(dir, 'peer.js');
  await build({
    absWorkingDir: root, entryPoints: ['bench/peer/main.ts'], outfile, bundle: true, format: 'iife',
    platform: 'browser', target: 'chrome120', minify: true, logLevel: 'warning',
  });
  return readFileSync(outfile, 'utf8');
}

/** Every extension (and the sites) from the PBX, as the console's index loads them. */
async function fetchAll(pbxUrl: string, password: string): Promise<{ sites: Site[]; extensions: Extension[] }> {
  const s = await fetch(`${pbxUrl}/api/v1/session`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username: 'admin', password }),
  });
  if (!s.ok) throw new Error(`session: HTTP ${s.status} ${await s.text()}`);
  const { token } = (await s.json()) as { token: string };
  const headers = { Authorization: `Bearer ${token}` };
  const sites = ((await (await fetch(`${pbxUrl}/api/v1/sites`, { headers })).json()) as { items: Site[] }).items;
  const extensions: Extension[] = [];
  for (let cursor: string | null = null; ; ) {
    const q: string = `${pbxUrl}/api/v1/extensions?limit=1000&sort=number${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const r = await fetch(q, { headers });
    if (!r.ok) throw new Error(`extensions: HTTP ${r.status} ${await r.text()}`);
    const page = (await r.json()) as ExtensionList;
    extensions.push(...page.items);
    if (!page.nextCursor) break;
    cursor = page.nextCursor;
  }
  return { sites, extensions };
}

function servePeer(js: string, data: string): Promise<{ server: Server; url: string }> {
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Extensions (AG Grid peer)</title>
<style>body{margin:0;font-family:system-ui,sans-serif}header{padding:12px 16px;display:flex;gap:16px;align-items:center}</style>
</head><body><header><label for="search">Search extensions</label><input id="search" type="search" aria-label="Search extensions">
<span id="status" role="status"></span></header><main><div id="grid"></div></main><script src="/peer.js"></script></body></html>`;
  const server = createServer((req, res) => {
    const p = (req.url ?? '/').split('?')[0];
    const [type, body] = p === '/' ? ['text/html', html] : p === '/peer.js' ? ['text/javascript', js] : p === '/data.json' ? ['application/json', data] : ['', ''];
    if (!type) return void res.writeHead(404).end();
    res.writeHead(200, { 'Content-Type': `${type}; charset=utf-8`, 'Cache-Control': 'no-store' }).end(body);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    const a = server.address();
    resolve({ server, url: `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}` });
  }));
}

// The measuring script, the same for both pages; window.__adapter (shows, scroller, root) is set first.
// A string, so no bundler helper (tsx keepNames) leaks into the page.
const HARNESS = `(() => {
  const a = window.__adapter;
  window.__samples = [];
  window.__pending = 0;
  const input = document.querySelector('#ext-search, input[type="search"]');
  input.addEventListener('input', () => {
    const start = performance.now();
    const want = input.value;
    window.__pending++;
    const tick = () => {
      if (a.shows(want)) {
        window.__samples.push(performance.now() - start);
        window.__pending--;
      } else requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  }, { capture: true });
  window.__nodes = () => ({ grid: a.root().getElementsByTagName('*').length + 1, document: document.getElementsByTagName('*').length });
  window.__scrollRun = () => new Promise((resolve) => {
    const el = a.scroller();
    const max = el.scrollHeight - el.clientHeight;
    const steps = [];
    for (let i = 1; i <= 240; i++) steps.push(i * 88);
    for (let i = 1; i <= 60; i++) steps.push(Math.round(((i * 0.6180339887) % 1) * max));
    const intervals = [], work = [];
    let last = null, frameStart = 0, k = 0;
    const ch = new MessageChannel();
    ch.port1.onmessage = () => work.push(performance.now() - frameStart);
    const tick = (ts) => {
      if (last !== null) intervals.push(ts - last);
      last = ts;
      frameStart = ts;
      if (k === steps.length) {
        el.scrollTop = 0;
        setTimeout(() => resolve({ intervals, work, scrollHeight: el.scrollHeight, clientHeight: el.clientHeight }), 300);
        return;
      }
      el.scrollTop = steps[k++];
      ch.port2.postMessage(0);
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
})()`;

interface Side {
  name: 'ours' | 'peer';
  page: Page;
  samples: number[];
  intervals: number[];
  work: number[];
  nodes: { grid: number; document: number };
  scrollHeight: number;
  heapUsedBytes: number;
}

/**
 * Type the words (a clear before each), one key at a time. The next key goes only once the frame showing
 * the previous one was seen (then 40 ms later), so every keystroke is measured: a key typed while the
 * previous query is still being drawn would supersede it, and the slow samples would be the ones lost.
 */
async function typeWords(side: Side): Promise<void> {
  const search = side.page.getByLabel('Search extensions');
  const settled = async (what: string) => {
    const until = performance.now() + 30_000;
    while ((await side.page.evaluate('window.__pending')) !== 0 && performance.now() < until) await new Promise((r) => setTimeout(r, 10));
    if ((await side.page.evaluate('window.__pending')) !== 0) {
      const state = await side.page.evaluate(`(() => {
        const g = document.querySelector('[role="grid"]');
        return { value: document.querySelector('#ext-search, input[type="search"]').value, pending: window.__pending,
          shows: window.__adapter.shows(${JSON.stringify(what)}), dataQuery: g && g.dataset.query, visibility: document.visibilityState,
          text: document.body.innerText.slice(0, 300) };
      })()`);
      throw new Error(`${side.name}: the frame showing "${what}" was not seen within 30 s: ${JSON.stringify(state)}`);
    }
    await side.page.waitForTimeout(40);
  };
  for (const w of WORDS) {
    await search.fill('');
    await settled('');
    for (let i = 0; i < w.length; i++) {
      await search.press(w[i]!);
      await settled(w.slice(0, i + 1));
    }
  }
  await search.fill('');
  await settled('');
}

async function countNodes(side: Side): Promise<void> {
  const n = (await side.page.evaluate('window.__nodes()')) as { grid: number; document: number };
  side.nodes = { grid: Math.max(side.nodes.grid, n.grid), document: Math.max(side.nodes.document, n.document) };
}

async function heapUsed(page: Page): Promise<number> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('HeapProfiler.collectGarbage');
  await cdp.send('HeapProfiler.collectGarbage');
  const { usedSize } = await cdp.send('Runtime.getHeapUsage');
  await cdp.detach();
  return usedSize;
}

const stats = (v: number[]) => ({ n: v.length, p50Ms: round(percentile(v, 50), 2), p95Ms: round(percentile(v, 95), 2), maxMs: round(Math.max(...v), 2) });
const ratio = (a: number, b: number) => round(a / b, 3);

async function main() {
  const loadBefore = os.loadavg().map((l) => round(l, 2));
  const t0 = performance.now();
  const app = await startConsoleProcess({ env: { WARDEN_SEED: String(N) }, timeoutMs: 300_000 });
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'warden-bench-peer-'));
  const browser = await launchChromium();
  let peerServer: Server | null = null;
  try {
    if (!app.adminPassword) throw new Error(`no admin password in the console's output:\n${app.output()}`);
    const total = N.toLocaleString('en-US');
    const viewport = { width: 1280, height: 800 };

    // ours
    const ourPage = await (await browser.newContext({ viewport })).newPage();
    await ourPage.goto(app.launchUrl);
    await ourPage.getByText(`Showing ${total} of ${total} extensions`).waitFor({ timeout: 600_000 });
    const ourLoadMs = performance.now() - t0;
    const box = (await ourPage.getByRole('grid', { name: 'Extensions' }).evaluate((g) => ({ w: g.clientWidth, h: g.clientHeight }))) as { w: number; h: number };
    await ourPage.evaluate(`(() => {
      const grid = () => document.querySelector('[role="grid"]');
      window.__adapter = {
        // no grid = the "No extension matches" message, which is also the repaint of that query
        shows: (want) => { const g = grid(); return !g || g.dataset.query === want; },
        scroller: grid,
        root: grid,
      };
    })()`);

    // the peer: the same extensions, from the same PBX
    const [js, data] = await Promise.all([bundlePeer(tmp), fetchAll(app.pbxUrl, app.adminPassword)]);
    if (data.extensions.length !== N) throw new Error(`the PBX listed ${data.extensions.length} extensions, not ${N}`);
    const served = await servePeer(js, JSON.stringify(data));
    peerServer = served.server;
    const peerPage = await (await browser.newContext({ viewport })).newPage();
    for (const pg of [ourPage, peerPage]) pg.on('pageerror', (e) => console.error(`page error: ${e.message}`));
    const p0 = performance.now();
    await peerPage.goto(`${served.url}/?w=${box.w}&h=${box.h}`);
    await peerPage.waitForFunction('window.__peer !== undefined', null, { timeout: 300_000 });
    const peerLoadMs = performance.now() - p0;
    const peerRows = (await peerPage.evaluate('window.__peer.rowCount()')) as number;
    if (peerRows !== N) throw new Error(`AG Grid shows ${peerRows} rows, not ${N}`);
    await peerPage.evaluate(`(() => {
      window.__adapter = { shows: (q) => window.__peer.shows(q), scroller: () => window.__peer.scroller(), root: () => window.__peer.root() };
    })()`);

    const sides: Side[] = [ourPage, peerPage].map((page, i) => ({
      name: i === 0 ? 'ours' : 'peer', page, samples: [], intervals: [], work: [], nodes: { grid: 0, document: 0 }, scrollHeight: 0, heapUsedBytes: 0,
    }));
    for (const s of sides) {
      await s.page.bringToFront();
      await s.page.evaluate(HARNESS);
      await countNodes(s);
      s.heapUsedBytes = await heapUsed(s.page);
    }

    // alternating rounds, so a change in machine load weighs on both alike
    for (let r = 0; r < ROUNDS; r++) {
      for (const s of sides) {
        await s.page.bringToFront();
        await typeWords(s);
        await countNodes(s);
        const run = (await s.page.evaluate('window.__scrollRun()')) as { intervals: number[]; work: number[]; scrollHeight: number; clientHeight: number };
        s.intervals.push(...run.intervals.slice(1));
        s.work.push(...run.work.slice(1));
        s.scrollHeight = run.scrollHeight;
        await countNodes(s);
        console.log(`round ${r + 1} ${s.name}: done`);
      }
    }
    for (const s of sides) {
      const all = (await s.page.evaluate('window.__samples')) as number[];
      s.samples = all.slice(5); // the first keystrokes warm up the JIT
      if (s.samples.length < 20) throw new Error(`${s.name}: only ${all.length} keystrokes were measured`);
    }
    const [ours, peer] = sides as [Side, Side];
    const fig = (s: Side) => ({
      filter: stats(s.samples),
      scrollFrameInterval: stats(s.intervals),
      scrollFrameMainThread: stats(s.work),
      domNodes: s.nodes,
      heapUsedMiB: round(s.heapUsedBytes / 2 ** 20, 1),
      scrollHeightPx: s.scrollHeight,
    });
    const o = fig(ours);
    const p = fig(peer);
    const loadAfter = os.loadavg().map((l) => round(l, 2));
    writeResult(N === 100_000 ? 'table-peer' : `table-peer-${N}`, {
      what: `${total} extensions, our table vs AG Grid Community ${agGridVersion()} (quick filter on Number and Name, cacheQuickFilter, 44 px rows, the size of our grid ${box.w}×${box.h}) in one Chromium (${browser.version()}), ${ROUNDS} alternating rounds: filter = input event → first frame showing that query's rows; scroll = scrollTop set every frame (240 × 88 px, then 60 jumps), frame interval and main-thread time per frame; DOM nodes in the grid / the document; JS heap after GC (CDP Runtime.getHeapUsage)`,
      extensions: N,
      gridPx: box,
      ours: { ...o, loadAllMs: round(ourLoadMs, 0) },
      peer: { ...p, loadMs: round(peerLoadMs, 0), note: 'load = fetch of one JSON file from a local server + AG Grid setup; ours = console start, PBX seeding and 100 pages over the RPC bridge (not comparable)' },
      ratios: {
        what: 'ours / peer (target ≤ 1)',
        filterP95: ratio(o.filter.p95Ms, p.filter.p95Ms),
        filterP50: ratio(o.filter.p50Ms, p.filter.p50Ms),
        scrollFrameIntervalP95: ratio(o.scrollFrameInterval.p95Ms, p.scrollFrameInterval.p95Ms),
        scrollFrameMainThreadP95: ratio(o.scrollFrameMainThread.p95Ms, p.scrollFrameMainThread.p95Ms),
        domNodesGrid: ratio(o.domNodes.grid, p.domNodes.grid),
        domNodesDocument: ratio(o.domNodes.document, p.domNodes.document),
        heapUsed: ratio(ours.heapUsedBytes, peer.heapUsedBytes),
      },
      loadAverage: { before: loadBefore, after: loadAfter },
    });
  } finally {
    await browser.close();
    await app.stop();
    peerServer?.close();
    rmSync(tmp, { recursive: true, force: true });
  }
}

function agGridVersion(): string {
  return (JSON.parse(readFileSync(path.join(root, 'node_modules/ag-grid-community/package.json'), 'utf8')) as { version: string }).version;
}

void main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});

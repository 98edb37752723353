// SPEC F4: time from a phone's hot-desk login to its row visible in the console's Hot desking table (p95).
// The real console in browser mode with its embedded reference PBX (test/support/console-process.ts, as
// bench/lockout-ui.ts), Chromium, the admin signed in through the launch URL, on the Hot desking screen.
// For each of N extensions without a mapping (so the table has no row for it before): a Login-app login on a
// phone (alternately an Aastra — live at once — and a Yealink — "needs reboot"), timed from just before the
// device request is sent (Node) to the first animation frame in which `tr[data-extension=N]` shows the phone's
// state (page clock; the Node↔page offset measured before each login, as in bench/lockout-ui.ts). The device
// request's own time is reported beside it: a hot-desk login costs two argon2 verifications side by side (the
// extension's own secret and the global admin password). Then the phone logs out and the row goes away.
import os from 'node:os';
import { installFrameWatcher, launchChromium, pageClockOffset, percentile, round, seenFrame, wallNow, watchFor, writeResult } from './lib.js';
import { requestFrom, startConsoleProcess } from '../test/support/console-process.js';

const COUNT = Number(process.env['BENCH_HOTDESK_UI_COUNT'] ?? 40);
const ADMIN_HOTDESK_PASSWORD = '582047193';

interface Ext {
  number: string;
  status: string;
  siteId: string;
}

async function main() {
  const app = await startConsoleProcess({ timeoutMs: 120_000 });
  const browser = await launchChromium();
  try {
    const s = await requestFrom(`${app.pbxUrl}/api/v1/session`, { body: { username: 'admin', password: app.adminPassword } });
    const token = (s.body as { token: string }).token;
    if (!token) throw new Error(`no admin token: ${s.text}`);
    const auth = { Authorization: `Bearer ${token}` };
    const pw = await requestFrom(`${app.pbxUrl}/api/v1/hotdesk/passwords/admin`, {
      method: 'PUT', headers: auth, body: { password: ADMIN_HOTDESK_PASSWORD },
    });
    if (pw.status !== 200) throw new Error(`set the hot-desk admin password: ${pw.status} ${pw.text}`);
    const rows = await requestFrom(`${app.pbxUrl}/api/v1/hotdesk`, { method: 'GET', headers: auth });
    const mapped = new Set((rows.body as { items: { extension: string }[] }).items.map((r) => r.extension));
    const list = await requestFrom(`${app.pbxUrl}/api/v1/extensions?limit=1000&type=phone_terminal&site=hq`, { method: 'GET', headers: auth });
    const exts = (list.body as { items: Ext[] }).items.filter((e) => e.status === 'active' && !mapped.has(e.number)).slice(0, COUNT);
    if (exts.length < COUNT) throw new Error(`only ${exts.length} unmapped hq extensions`);
    const devices = await requestFrom(`${app.pbxUrl}/api/v1/devices`, { method: 'GET', headers: auth });
    const hq = (devices.body as { items: { mac: string; brand: string; siteId: string }[] }).items.filter((d) => d.siteId === 'hq');
    const aastra = hq.find((d) => d.brand === 'aastra');
    const yealink = hq.find((d) => d.brand === 'yealink');
    if (!aastra || !yealink) throw new Error('no Aastra and Yealink phone at hq in the demo data');

    const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    await page.goto(app.launchUrl);
    await page.getByRole('heading', { name: 'Extensions' }).waitFor({ timeout: 60_000 });
    await page.getByRole('navigation', { name: 'Screens' }).getByRole('button', { name: /^Hot desking/ }).click();
    await page.locator('tr[data-extension]').first().waitFor({ timeout: 30_000 });

    await installFrameWatcher(page);

    const device = (path: string, body: unknown, from: string) =>
      requestFrom(`${app.pbxUrl}/device/v1/hotdesk/${path}`, { body, localAddress: from });

    const loadBefore = os.loadavg().map((x) => round(x, 2));
    const frameMs: number[] = [];
    const mutationMs: number[] = [];
    const answeredMs: number[] = [];
    const uncertainty: number[] = [];
    for (let k = 0; k < exts.length; k++) {
      const ext = exts[k]!.number;
      const phone = k % 2 === 0 ? aastra : yealink;
      const want = phone.brand === 'aastra' ? 'logged_in' : 'needs_reboot';
      const from = `127.0.2.${k + 1}`;
      const row = `tr[data-extension="${ext}"]`;
      await watchFor(page, `${ext}/${want}`, row, `class:state-${want}`);
      const off = await pageClockOffset(page);
      const t0 = wallNow();
      const r = await device('login', { mac: phone.mac, network: 'internal', extension: ext, password: ADMIN_HOTDESK_PASSWORD }, from);
      const answered = wallNow() - t0;
      if (r.status !== 200) throw new Error(`login of ${ext}: HTTP ${r.status} ${r.text}`);
      const seen = await seenFrame(page, `${ext}/${want}`);
      if (!seen) throw new Error(`the row of ${ext} did not show ${want} within 10 s`);
      frameMs.push(seen.frame - off.offset - t0);
      mutationMs.push(seen.mutation - off.offset - t0);
      answeredMs.push(answered);
      uncertainty.push(off.halfRtt);
      console.log(
        `${String(k + 1).padStart(2)} ${ext} on ${phone.brand}: login → row ${want} ${round(frameMs.at(-1)!, 1)} ms ` +
          `(DOM ${round(mutationMs.at(-1)!, 1)} ms; the PBX answered after ${round(answered, 1)} ms)`,
      );
      // log out again; the row goes away (no mapping), so the next login starts from the same table
      await watchFor(page, `${ext}/gone`, row, 'gone');
      const out = await device('logout', { mac: phone.mac }, from);
      if (out.status !== 200) throw new Error(`logout of ${phone.mac}: HTTP ${out.status} ${out.text}`);
      if (!(await seenFrame(page, `${ext}/gone`))) throw new Error(`the row of ${ext} stayed after the logout`);
    }

    const stats = (xs: number[]) => ({ p50Ms: round(percentile(xs, 50), 1), p95Ms: round(percentile(xs, 95), 1), maxMs: round(Math.max(...xs), 1) });
    const afterAnswer = frameMs.map((v, i) => v - answeredMs[i]!);
    const loadAfter = os.loadavg().map((x) => round(x, 2));
    console.log(
      `\ndevice login → row visible: p50 ${stats(frameMs).p50Ms} ms, p95 ${stats(frameMs).p95Ms} ms, max ${stats(frameMs).maxMs} ms` +
        `\n  of which the device request itself (two argon2 verifications, the login written): p50 ${stats(answeredMs).p50Ms} ms, p95 ${stats(answeredMs).p95Ms} ms` +
        `\n  from the answer to the frame: p50 ${stats(afterAnswer).p50Ms} ms, p95 ${stats(afterAnswer).p95Ms} ms` +
        `\nload average before/after: ${loadBefore.join(' ')} / ${loadAfter.join(' ')} (2 cores)`,
    );
    writeResult('hotdesk-ui', {
      what:
        `${exts.length} hot-desk logins (alternately Aastra: logged in, Yealink: needs reboot), each timed from just before the device ` +
        'request (Node) to the first animation frame with that extension\'s row in the Hot desking table showing the state (page clock, ' +
        'offset to Node measured per login); browser mode, Chromium',
      logins: frameMs.length,
      loginToRowVisible: stats(frameMs),
      loginToRowDomMutation: stats(mutationMs),
      deviceRequestAnswered: stats(answeredMs),
      answerToRowVisible: stats(afterAnswer),
      clockOffsetUncertaintyMaxMs: round(Math.max(...uncertainty), 2),
      samplesMs: frameMs.map((v) => round(v, 1)),
      loadAverage: { before: loadBefore, after: loadAfter },
    });
  } finally {
    await browser.close();
    await app.stop();
  }
}

void main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});

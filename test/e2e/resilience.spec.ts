// E2E (issue 8, Reliability): the real console in browser mode against a real reference PBX behind a
// controllable proxy (test/support/chaos-proxy.ts). Console B has no PBX of its own (--no-embedded) and a profile
// that reaches console A's embedded PBX over HTTPS through the proxy, pinning the proxy's certificate by its
// SHA-256 fingerprint. With the PBX stopped, slow (answers held 10 s and more), answering 500, or presenting a
// certificate the profile does not pin: a banner says what is wrong in plain words, the console retries with
// backoff (a countdown that grows), the protection edit being typed stays, and once the proxy passes again the
// console is back by itself (no click) and the edit is saved; also when the save itself got no answer while the
// event stream stayed open. Then two consoles edit the same extension: the
// second save gets 412 and shows both versions.
import { expect, test, type Locator, type Page } from '@playwright/test';
import { startChaosProxy, type ChaosMode, type ChaosProxy } from '../support/chaos-proxy.js';
import { startConsoleProcess, type ConsoleProcess } from '../support/console-process.js';
import { adminToken, pbxApiOf, shot } from '../support/e2e.js';

test.describe.configure({ mode: 'serial' });

let pbx: ConsoleProcess; // console A, with the embedded reference PBX
let viaProxy: ConsoleProcess; // console B, no PBX of its own
let proxy: ChaosProxy;
let token: string;
let pageA: Page;
let pageB: Page;
let targets: Array<{ number: string; label: string; etag: string }>;

const api = pbxApiOf(() => pbx.pbxUrl, () => token);
const PROFILE = 'Branch via proxy';

test.beforeAll(async ({ browser }) => {
  [pbx, viaProxy] = await Promise.all([startConsoleProcess(), startConsoleProcess({ args: ['--no-embedded'] })]);
  expect(pbx.adminPassword, 'the first run prints the admin password once').toBeTruthy();
  expect(viaProxy.pbxUrl, 'console B runs no PBX of its own').toBe('');
  // Responses held 11 s: past the console's 10 s limit, so which side gives up first is certain.
  proxy = await startChaosProxy(pbx.pbxUrl, { slowMs: 11_000 });
  token = await adminToken(pbx);
  const list = await api<{ items: Array<{ number: string; label: string; etag: string; voicemail: boolean }> }>(
    'GET', '/extensions?limit=1000&type=phone_terminal&protection=off',
  );
  targets = list.body.items.slice(0, 2);
  expect(targets).toHaveLength(2);
  pageA = await (await browser.newContext()).newPage();
  pageB = await (await browser.newContext()).newPage();
});

test.afterAll(async () => {
  await proxy?.close();
  await Promise.all([pbx?.stop(), viaProxy?.stop()]);
});

/** A console RPC from the tab (the bridge the renderer uses): for the pinned profile, which the Connect form does not offer. */
async function rpc<T>(page: Page, channel: string, input: unknown): Promise<T> {
  const env = await page.evaluate(
    async ([c, i]) => (await fetch(`/rpc/${c}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(i) })).json(),
    [channel, input] as const,
  );
  expect(env, `${channel} answers`).toMatchObject({ ok: true });
  return (env as { value: T }).value;
}

async function openExtension(page: Page, number: string): Promise<Locator> {
  const search = page.getByLabel('Search extensions');
  await search.fill(number);
  await page.getByRole('grid', { name: 'Extensions' }).getByRole('row').filter({ hasText: number }).first().click();
  const detail = page.getByRole('region', { name: `Extension ${number}` });
  // protection is off: no Block/Unblock yet, only the form to turn it on
  await expect(detail.getByLabel('Protected phone access active')).not.toBeChecked();
  return detail;
}

const banner = () => pageB.getByRole('alert').filter({ hasText: 'Your work on this screen is kept.' });

/** The countdowns the banner shows ("Retrying in N s…") over `ms`: with backoff they grow. */
async function countdowns(ms: number): Promise<number[]> {
  const seen: number[] = [];
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const text = (await banner().textContent().catch(() => null)) ?? '';
    const m = /Retrying in (\d+) s/.exec(text);
    if (m && Number(m[1]) !== seen.at(-1)) seen.push(Number(m[1]));
    await pageB.waitForTimeout(100);
  }
  return seen;
}

test('PBX stopped, slow, answering 500 or with the wrong certificate: banner, backoff, edit kept, back by itself', async () => {
  test.setTimeout(120_000);
  await pageB.goto(viaProxy.launchUrl);
  await expect(pageB.getByRole('heading', { name: 'Connect to a PBX' })).toBeVisible({ timeout: 30_000 });
  const saved = await rpc<{ id: string }>(pageB, 'profiles.save', {
    profile: { name: PROFILE, url: proxy.httpsUrl, username: 'admin', tls: { mode: 'pin', fingerprint: proxy.fingerprint } },
    password: pbx.adminPassword,
  });
  expect(saved.id).toBeTruthy();
  await pageB.reload();
  await pageB.getByRole('article', { name: PROFILE }).getByRole('button', { name: `Connect to ${PROFILE}` }).click();
  await expect(pageB.getByText(new RegExp(`Connected to ${PROFILE} as admin`))).toBeVisible({ timeout: 30_000 });
  expect(proxy.seen.pass, 'the console reaches the PBX through the proxy').toBeGreaterThan(0);

  // The edit in progress: protection turned on with a password typed, not saved.
  const target = targets[0]!;
  const detail = await openExtension(pageB, target.number);
  const enabled = detail.getByLabel('Protected phone access active');
  const password = detail.getByLabel('Password to access telephony');
  await enabled.check();
  await password.fill('4826');
  const editKept = async () => {
    await expect(enabled).toBeChecked();
    await expect(password).toHaveValue('4826');
  };

  // the headline says what is wrong; the detail names the PBX and the error
  const faults: Array<{ mode: ChaosMode; headline: string; says: RegExp; shot: string; backoff?: boolean }> = [
    { mode: 'stopped', headline: 'Lost connection to the PBX.', says: /cannot be reached/, shot: '140-resilience-pbx-stopped', backoff: true },
    { mode: 'slow', headline: 'The PBX is not answering in time.', says: /did not answer in time/, shot: '141-resilience-pbx-slow' },
    { mode: 'error500', headline: 'The PBX is answering with errors.', says: /answered HTTP 500/, shot: '142-resilience-pbx-500' },
    {
      mode: 'wrongcert', headline: 'The PBX’s certificate is not trusted.', says: /presented a certificate this profile does not trust/,
      shot: '143-resilience-wrong-certificate', backoff: true,
    },
  ];
  for (const f of faults) {
    await test.step(f.mode, async () => {
      // wrongcert: the console hangs up after the handshake, before any request
      const tries = () => (f.mode === 'wrongcert' ? proxy.tlsConnections : proxy.seen)[f.mode];
      const triesBefore = tries();
      await proxy.setMode(f.mode);
      await expect(banner()).toBeVisible();
      // what is wrong, in words (the slow PBX needs the console's whole 10 s limit to be told apart)
      await expect(banner()).toContainText(f.says, { timeout: f.mode === 'slow' ? 15_000 : 5_000 });
      await expect(banner().locator('strong')).toContainText(f.headline);
      if (f.backoff) {
        // retried, each wait longer than the one before: after ~5 s the countdown is past 2 s
        const seen = await countdowns(5_000);
        expect(Math.max(...seen), `countdowns seen: ${seen.join(', ')}`).toBeGreaterThanOrEqual(3);
        await expect(banner()).toContainText(f.says);
      } else {
        await expect(banner()).toContainText(/Retrying (in \d+ s|now)/);
      }
      if (f.mode !== 'stopped') expect(tries(), 'the console kept trying').toBeGreaterThan(triesBefore);
      await editKept();
      await shot(pageB, f.shot);
      // The PBX is back: the console notices by itself (no click on "Retry now"), the edit still there.
      await proxy.setMode('pass');
      await expect(banner()).toHaveCount(0, { timeout: 20_000 });
      await expect(pageB.getByText(new RegExp(`Connected to ${PROFILE} as admin`))).toBeVisible();
      await editKept();
    });
  }

  // The PBX turns slow while the event stream stays open, and the save itself gets no answer: the console gives up
  // after its 10 s limit and says so, the edit stays, and only its own check can see the PBX back (the stream never
  // broke): the banner goes by itself.
  await proxy.setMode('slow', { keepOpen: true });
  const save = detail.getByRole('button', { name: 'Save protection' });
  await save.click();
  await expect(banner().locator('strong')).toContainText('The PBX is not answering in time.', { timeout: 15_000 });
  await expect(detail.getByText(/did not answer in time/)).toBeVisible();
  await editKept();
  await shot(pageB, '144-resilience-slow-save');
  const unsaved = await api<{ protection: { enabled: boolean } }>('GET', `/extensions/${target.number}`);
  expect(unsaved.body.protection.enabled, 'the save the console gave up on never reached the PBX').toBe(false);
  await proxy.setMode('pass', { keepOpen: true });
  await expect(banner()).toHaveCount(0, { timeout: 25_000 });
  await editKept();

  // The kept edit is saved, and the PBX has it.
  await save.click();
  await expect(detail.getByText('Saved. Protected phone access is on.')).toBeVisible();
  await shot(pageB, '145-resilience-back-and-saved');
  const after = await api<{ protection: { enabled: boolean; passwordSet: boolean } }>('GET', `/extensions/${target.number}`);
  expect(after.body.protection).toMatchObject({ enabled: true, passwordSet: true });
});

test('two consoles edit the same extension: the second save gets 412 and shows both versions', async () => {
  const target = targets[1]!;
  await pageA.goto(pbx.launchUrl);
  await expect(pageA.getByText(/Connected to .* as admin/)).toBeVisible({ timeout: 30_000 });
  const detailA = await openExtension(pageA, target.number);
  const detailB = await openExtension(pageB, target.number);

  // Both start an edit of the same version; B's is typed first, A saves first.
  await detailB.getByLabel('Protected phone access active').check();
  await detailB.getByLabel('Password to access telephony').fill('5937');
  await detailA.getByLabel('Protected phone access active').check();
  await detailA.getByLabel('Password to access telephony').fill('4826');
  await detailA.getByRole('button', { name: 'Save protection' }).click();
  await expect(detailA.getByText('Saved. Protected phone access is on.')).toBeVisible();

  // B hears of it live, keeps its edit, and its save (with the version it started from) is refused with 412.
  await expect(detailB.getByText(/Changed on the PBX .* by admin/)).toBeVisible();
  await expect(detailB.getByText('Your unsaved change is kept below.', { exact: false })).toBeVisible();
  const stale = await api<{ etag: string }>('GET', `/extensions/${target.number}`);
  expect(stale.body.etag).not.toBe(target.etag);
  await detailB.getByRole('button', { name: 'Save protection' }).click();
  await expect(detailB.getByText(/Someone else changed this extension before your change was saved/)).toBeVisible();
  const mine = detailB.locator('.conflict-col').filter({ has: pageB.getByRole('heading', { name: 'Your change' }) });
  const theirs = detailB.locator('.conflict-col').filter({ has: pageB.getByRole('heading', { name: 'Now on the PBX' }) });
  await expect(mine).toContainText('New password (typed by you)');
  await expect(theirs).toContainText(/Protected phone access\s*On/);
  await expect(theirs).toContainText(/Password\s*Set/);
  await expect(theirs).toContainText(/Changed by\s*admin/);
  await shot(pageB, '146-two-consoles-conflict');
  // Nothing was overwritten: the PBX still has A's version.
  expect((await api<{ etag: string }>('GET', `/extensions/${target.number}`)).body.etag).toBe(stale.body.etag);

  // B applies its change on top of A's version.
  await detailB.getByRole('button', { name: 'Apply my change again' }).click();
  await expect(detailB.getByText('Saved. Protected phone access is on.')).toBeVisible();
  expect((await api<{ etag: string }>('GET', `/extensions/${target.number}`)).body.etag).not.toBe(stale.body.etag);
});

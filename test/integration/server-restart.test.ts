// Durability: a restart on the same data directory keeps everything.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExtensionList } from '../../shared/api.js';
import { startPbxServer } from '../../server/index.js';
import type { Extension } from '../../shared/domain.js';
import { errorOf, httpRequest, openEventStream, startTestPbx, type TestPbx } from '../helpers/server.js';

describe('restart on the same data directory', () => {
  let pbx: TestPbx;
  beforeAll(async () => {
    pbx = await startTestPbx({ seed: 'demo' });
  });
  afterAll(async () => {
    await pbx?.cleanup();
  });

  it('keeps protection state, passwords, the admin account and sessions; seeds only once', async () => {
    const list = await pbx.api<ExtensionList>('GET', '/api/v1/extensions?limit=1000&type=phone_terminal&protection=off');
    const ext = list.json.items.find((e) => e.status === 'active') as Extension;
    let r = await pbx.api<Extension>('PUT', `/api/v1/extensions/${ext.number}/protection`, {
      body: { enabled: true, password: '60606' },
      ifMatch: ext.etag,
    });
    expect(r.status).toBe(200);
    r = await pbx.api<Extension>('POST', `/api/v1/extensions/${ext.number}/protection/block`, { ifMatch: r.json.etag });
    expect(r.status).toBe(200);
    const blocked = r.json;
    const oldToken = pbx.token;
    const events = await openEventStream(pbx.url, pbx.token);
    const hello1 = await events.waitFor((e) => e.type === 'hello');
    events.close();

    const firstName = pbx.serverName;
    // a different seed on restart is ignored: the data is already there
    await pbx.restart({ seed: 'none' });
    expect(pbx.initialAdminPassword).toBeNull();
    expect(pbx.serverName).toBe(firstName);

    // the admin password still works (restart() logged in with it), and so does the old token
    expect((await pbx.api('GET', '/api/v1/session', { token: oldToken })).status).toBe(200);
    const total = (await pbx.api<ExtensionList>('GET', '/api/v1/extensions?limit=1')).json.total;
    expect(total).toBe(300);
    expect(await pbx.extension(ext.number)).toEqual(blocked);
    expect((await pbx.device('/device/v1/calls', { to: ext.number })).json).toMatchObject({ reason: 'terminal_blocked' });

    // the stored protection password still verifies (same pepper): *11 unblocks
    const k = await pbx.device('/device/v1/keypad', { extension: ext.number, code: '*11', digits: '60606' });
    expect(k.status, k.text).toBe(200);
    expect((await pbx.extension(ext.number)).protection.state).toBe('unrestricted');

    // event ids keep growing across restarts, so a reconnecting client never misses or repeats ids
    const events2 = await openEventStream(pbx.url, pbx.token);
    const hello2 = await events2.waitFor((e) => e.type === 'hello');
    events2.close();
    expect(hello2.id).toBeGreaterThan(hello1.id);

    // logging out still works after a restart, and the revocation survives the next one
    expect((await pbx.api('DELETE', '/api/v1/session', { token: oldToken })).status).toBe(204);
    await pbx.restart();
    const revoked = await pbx.api('GET', '/api/v1/session', { token: oldToken });
    expect(revoked.status).toBe(401);
    expect(errorOf(revoked).code).toBe('unauthorized');
  });
});

describe('a first start that fails after seeding', () => {
  it('shows a (new) admin password on the next start that comes up, then never again', async () => {
    const busy = await startTestPbx({ seed: 'none' });
    const dir = mkdtempSync(join(tmpdir(), 'pbx-warden-test-'));
    try {
      const port = Number(new URL(busy.url).port);
      await expect(startPbxServer({ dataDir: dir, port, seed: 'none', quiet: true })).rejects.toThrow(/EADDRINUSE/);
      const second = await startPbxServer({ dataDir: dir, seed: 'none', quiet: true });
      const password = second.initialAdminPassword;
      expect(password).toMatch(/^[A-Za-z2-9]{20}$/);
      const login = await httpRequest(`${second.url}/api/v1/session`, { method: 'POST', body: { username: 'admin', password } });
      expect(login.status).toBe(201);
      await second.close();
      const third = await startPbxServer({ dataDir: dir, seed: 'none', quiet: true });
      expect(third.initialAdminPassword).toBeNull();
      await third.close();
    } finally {
      await busy.cleanup();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// The console's RPC handlers over the core services against the REAL reference PBX: connecting with a
// typed password that the secret store cannot take keeps the connection and says so.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../shared/errors.js';
import type { ConnectionStatus } from '../../shared/rpc.js';
import { ConnectionManager } from '../../main/core/connection.js';
import { ProfileStore } from '../../main/core/profiles.js';
import { createHandlers, flushPendingSecret, type ConsoleServices } from '../../main/rpc/handlers.js';
import { createRouter, type Router } from '../../main/rpc/router.js';
import { startTestPbx, type TestPbx } from '../helpers/server.js';
import { memorySecretStore } from '../support/memory-secrets.js';

let pbx: TestPbx;
let dir: string;
let router: Router;
let services: ConsoleServices;
const statuses: ConnectionStatus[] = [];
let failSet: Error | null = null;
const { store: secrets, values } = memorySecretStore({ message: 'test keychain', failSet: () => failSet });

beforeAll(async () => {
  pbx = await startTestPbx();
  dir = mkdtempSync(path.join(os.tmpdir(), 'warden-handlers-'));
  const profiles = new ProfileStore({ cwd: dir });
  profiles.save({ name: 'Test PBX', url: pbx.url, username: 'admin', tls: { mode: 'system' } });
  const connection = new ConnectionManager(secrets, { onStatus: (s) => statuses.push(s), onPbxEvent: () => undefined }, { retries: 0 });
  services = { mode: 'browser', version: 't', profiles, secrets, connection, embedded: null };
  router = createRouter(createHandlers(services));
});

afterEach(async () => {
  services.embedded = null;
  failSet = null;
  values.clear();
  await services.connection.disconnect(false);
});

afterAll(async () => {
  await pbx.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

describe('connection.connect with a typed password', () => {
  it('saves a typed password that worked; the status has no message', async () => {
    const res = await router.handle('connection.connect', { profileId: 'test-pbx', password: pbx.adminPassword });
    expect(res).toMatchObject({ ok: true, value: { state: 'online', message: null } });
    const keys = [...values.keys()];
    expect(keys.filter((k) => k.startsWith('pbx-password:')).map((k) => values.get(k))).toEqual([pbx.adminPassword]);
    // and the session token is kept too (issue 6), with its expiry; never the password in it
    const kept = keys.filter((k) => k.startsWith('pbx-token:'));
    expect(kept).toHaveLength(1);
    expect(JSON.parse(values.get(kept[0]!)!)).toMatchObject({ token: services.connection.sessionToken, expiresAt: expect.any(String) });
  });

  it('stays connected when the password cannot be saved (typed error), and the status says why', async () => {
    failSet = new AppError('vault_locked', 'The secret vault is locked: enter its passphrase to unlock it.', 409);
    const res = await router.handle('connection.connect', { profileId: 'test-pbx', password: pbx.adminPassword });
    const message = 'Connected, but the password could not be saved: The secret vault is locked: enter its passphrase to unlock it';
    expect(res).toMatchObject({ ok: true, value: { state: 'online', message } });
    expect(services.connection.getStatus()).toMatchObject({ state: 'online', message });
    expect(statuses.at(-1)).toMatchObject({ state: 'online', message }); // pushed to the UI too
    expect((await router.handle('sites.list', {})).ok).toBe(true);
  });

  it('stays connected when the keychain fails with an unexpected error (never "Something went wrong")', async () => {
    failSet = new Error('DBus connection closed');
    const res = await router.handle('connection.connect', { profileId: 'test-pbx', password: pbx.adminPassword });
    expect(res).toMatchObject({ ok: true, value: { state: 'online', message: 'Connected, but the password could not be saved: DBus connection closed' } });
  });

  it('the embedded PBX first-run password waits in memory when the store cannot take it; the note goes once it is saved', async () => {
    services.profiles.upsertEmbedded(pbx.url, 'admin');
    services.embedded = { url: pbx.url, secretScope: 'scope-x', pendingPassword: pbx.adminPassword };
    failSet = new AppError('vault_missing', 'There is no secret vault yet: choose a passphrase to create it.', 409);
    const res = await router.handle('connection.connect', { profileId: 'local' });
    expect(res).toMatchObject({
      ok: true,
      value: {
        state: 'online',
        message: 'Connected, but the password could not be saved yet (it is kept until the secret store can take it): There is no secret vault yet: choose a passphrase to create it',
      },
    });
    expect(services.embedded.pendingPassword).toBe(pbx.adminPassword);
    failSet = null;
    await flushPendingSecret(services);
    expect(services.embedded.pendingPassword).toBeNull();
    expect([...values.values()]).toEqual([pbx.adminPassword]);
    expect(services.connection.getStatus()).toMatchObject({ state: 'online', message: null });
  });
});

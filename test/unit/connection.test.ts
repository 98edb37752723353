// The ConnectionManager's own bookkeeping against a small fake PBX that misbehaves on purpose (a fake is
// fine here: these faults — a login that works and a whoami that fails, one dropped request while the
// event stream stays up — cannot be provoked on the real server; the real server is used in
// test/integration/console-core*.test.ts).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import os from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { routes } from '../../shared/api.js';
import type { ConnectionStatus, Profile } from '../../shared/rpc.js';
import { ConnectionManager } from '../../main/core/connection.js';

interface FakePbx {
  url: string;
  server: http.Server;
  log: string[];
  /** Per route "METHOD path": what to do instead of the normal answer. */
  faults: Map<string, 'drop' | 'garbage' | 'error500' | 'unauthorized-once'>;
  openStreams(): number;
  connections(): Promise<number>;
}

const fakes: FakePbx[] = [];
afterEach(async () => {
  for (const f of fakes.splice(0)) {
    f.server.closeAllConnections();
    await new Promise((r) => f.server.close(r));
  }
});

async function fakePbx(): Promise<FakePbx> {
  const log: string[] = [];
  const faults: FakePbx['faults'] = new Map();
  const streams = new Set<http.ServerResponse>();
  let n = 0;
  const json = (res: http.ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const server = http.createServer((req, res) => {
    const route = `${req.method} ${req.url!.split('?')[0]}`;
    log.push(`${route} ${req.headers.authorization ?? ''}`.trim());
    const fault = faults.get(route);
    if (fault === 'drop') return req.socket.destroy();
    if (fault === 'garbage') return json(res, 200, { nope: true });
    if (fault === 'error500') return json(res, 500, { error: { code: 'internal', message: 'boom' } });
    if (fault === 'unauthorized-once') {
      faults.delete(route);
      return json(res, 401, { error: { code: 'unauthorized', message: 'session expired' } });
    }
    switch (route) {
      case 'POST /api/v1/session': {
        // an empty password is "this account has no password" (SPEC F5's insecure default)
        let body = '';
        req.on('data', (c: Buffer) => (body += c.toString()));
        req.on('end', () => {
          const { username, password } = JSON.parse(body || '{}') as { username?: string; password?: string };
          log.push(`login ${username ?? '?'} ${password === '' ? '(no password)' : '(password)'}`);
          json(res, 201, {
            token: `token-${++n}-abcdefghijklmnop`, expiresAt: new Date(Date.now() + 3600_000).toISOString(), role: 'admin',
            username: username ?? 'admin', noPassword: password === '',
          });
        });
        return;
      }
      case 'GET /api/v1/session':
        return json(res, 200, { username: 'admin', role: 'admin', expiresAt: new Date(Date.now() + 3600_000).toISOString(), server: 'Fake PBX', noPassword: false, via: 'token' });
      case 'DELETE /api/v1/session':
        res.writeHead(204);
        return res.end();
      case 'GET /api/v1/sites':
        return json(res, 200, { items: [{ id: 'hq', name: 'HQ', extensionCount: 1 }], total: 1 });
      case 'GET /api/v1/events': {
        res.writeHead(200, { 'Content-Type': 'text/event-stream' });
        res.write(': hello\n\n');
        streams.add(res);
        const beat = setInterval(() => res.write(': heartbeat\n\n'), 50);
        res.on('close', () => {
          clearInterval(beat);
          streams.delete(res);
        });
        return;
      }
      default:
        return json(res, 404, { error: { code: 'not_found', message: route } });
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const f: FakePbx = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    server,
    log,
    faults,
    openStreams: () => streams.size,
    connections: () => new Promise((r, j) => server.getConnections((e, c) => (e ? j(e) : r(c)))),
  };
  fakes.push(f);
  return f;
}

function setup(url: string, opts: { secret?: string | null } = {}) {
  const statuses: ConnectionStatus[] = [];
  const manager = new ConnectionManager(
    { get: async () => (opts.secret === undefined ? 'pw' : opts.secret) },
    { onStatus: (s) => statuses.push(s), onPbxEvent: () => undefined },
    { retries: 0, backoffMs: 1 },
  );
  const profile: Profile = { id: 'fake', name: 'Fake PBX', url, username: 'admin', kind: 'remote', tls: { mode: 'system' } };
  return { manager, statuses, profile };
}

describe('ConnectionManager.connect cleans up on every failure path', () => {
  it('when the session check after login fails: logs out again, closes the client, ends "disconnected"', async () => {
    const pbx = await fakePbx();
    pbx.faults.set('GET /api/v1/session', 'garbage');
    const { manager, statuses, profile } = setup(pbx.url);
    await expect(manager.connect(profile)).rejects.toMatchObject({ code: 'pbx_error' });
    expect(manager.getStatus().state).toBe('disconnected');
    expect(statuses.map((s) => s.state)).toEqual(['connecting', 'disconnected']);
    // the session that was created is not leaked
    expect(pbx.log).toContain('DELETE /api/v1/session Bearer token-1-abcdefghijklmnop');
    // the client's keep-alive connections are closed
    await expect.poll(() => pbx.connections(), { timeout: 2000, interval: 20 }).toBe(0);
    await expect(manager.call(routes.listSites)).rejects.toMatchObject({ code: 'not_connected' });
    expect(pbx.openStreams()).toBe(0);
  });

  it('when the secret store fails: rethrows, and the UI learns that the previous connection is gone', async () => {
    const pbx = await fakePbx();
    const statuses: ConnectionStatus[] = [];
    let gets = 0;
    const manager = new ConnectionManager(
      { get: async () => (++gets === 1 ? 'pw' : Promise.reject(new Error('keychain exploded'))) },
      { onStatus: (s) => statuses.push(s), onPbxEvent: () => undefined },
      { retries: 0 },
    );
    const profile: Profile = { id: 'x', name: 'X', url: pbx.url, username: 'admin', kind: 'remote', tls: { mode: 'system' } };
    await manager.connect(profile);
    await expect(manager.connect(profile)).rejects.toThrow('keychain exploded');
    expect(manager.getStatus().state).toBe('disconnected');
    expect(statuses.at(-1)).toEqual(manager.getStatus());
    expect(pbx.log).toContain('DELETE /api/v1/session Bearer token-1-abcdefghijklmnop');
    await new Promise((r) => setTimeout(r, 100));
    expect(pbx.openStreams()).toBe(0);
  });

  it('when the profile CA file is unusable: a typed profile_invalid error naming tls.caFile', async () => {
    const { manager, profile } = setup('https://127.0.0.1:1');
    const caFile = path.join(os.tmpdir(), 'warden-no-such-ca.pem');
    await expect(manager.connect({ ...profile, tls: { mode: 'ca', caFile } })).rejects.toMatchObject({
      code: 'profile_invalid',
      message: expect.stringMatching(/^tls\.caFile: /),
    });
    expect(manager.getStatus().state).toBe('disconnected');
  });
});

describe('ConnectionManager serialises connect and disconnect', () => {
  it('two quick connects to two PBXs: the last one wins and no stream of the first survives', async () => {
    const a = await fakePbx();
    const b = await fakePbx();
    const { manager, profile } = setup(a.url);
    const other: Profile = { ...profile, id: 'other', name: 'Other', url: b.url };
    const results = await Promise.allSettled([manager.connect(profile), manager.connect(other)]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled']);
    expect(manager.getStatus()).toMatchObject({ state: 'online', profileId: 'other' });
    await expect.poll(() => b.openStreams(), { timeout: 2000, interval: 20 }).toBe(1);
    await new Promise((r) => setTimeout(r, 200));
    expect(a.openStreams()).toBe(0);
    expect(a.log).toContain('DELETE /api/v1/session Bearer token-1-abcdefghijklmnop');
    await manager.disconnect(false);
    await expect.poll(() => b.openStreams(), { timeout: 2000, interval: 20 }).toBe(0);
  });

  it('a disconnect called during a connect runs after it and leaves nothing open', async () => {
    const a = await fakePbx();
    const { manager, profile } = setup(a.url);
    const connecting = manager.connect(profile);
    const disconnected = manager.disconnect();
    await connecting;
    expect((await disconnected).state).toBe('disconnected');
    await new Promise((r) => setTimeout(r, 200));
    expect(a.openStreams()).toBe(0);
    expect(manager.getStatus().state).toBe('disconnected');
  });
});

describe('ConnectionManager online state', () => {
  it('a successful call brings it back online after a failed call marked it offline (stream still up)', async () => {
    const pbx = await fakePbx();
    const { manager, statuses, profile } = setup(pbx.url);
    await manager.connect(profile);
    await expect.poll(() => pbx.openStreams(), { timeout: 2000, interval: 20 }).toBe(1);
    pbx.faults.set('GET /api/v1/sites', 'drop');
    await expect(manager.call(routes.listSites)).rejects.toMatchObject({ code: 'pbx_unreachable' });
    expect(manager.getStatus().state).toBe('offline');
    pbx.faults.delete('GET /api/v1/sites');
    await manager.call(routes.listSites);
    expect(manager.getStatus()).toMatchObject({ state: 'online', message: null, retryAt: null });
    expect(statuses.map((s) => s.state)).toEqual(['connecting', 'online', 'offline', 'online']);
    expect(pbx.openStreams()).toBe(1); // the stream never dropped: the call alone brought it back
    await manager.disconnect(false);
  });
});

describe('ConnectionManager and an account without a password (SPEC F5)', () => {
  it('connects with an explicit empty password, says so in the status, signs in again with it; a new password clears it', async () => {
    const pbx = await fakePbx();
    const { manager, statuses, profile } = setup(pbx.url, { secret: null });
    const status = await manager.connect(profile, '');
    expect(status).toMatchObject({ state: 'online', noPassword: true });
    expect(pbx.log).toContain('login admin (no password)');
    // the session ends: the re-login sends the empty password again (nothing is saved for it)
    pbx.faults.set('GET /api/v1/sites', 'unauthorized-once');
    await manager.call(routes.listSites);
    expect(pbx.log.filter((l) => l === 'login admin (no password)')).toHaveLength(2);
    // a password was set through the console, and the account renamed: status and re-login follow
    manager.accountChanged({ password: 'a new long password', noPassword: false });
    manager.accountChanged({ username: 'root' });
    expect(manager.getStatus()).toMatchObject({ state: 'online', noPassword: false, username: 'root' });
    expect(statuses.at(-1)).toMatchObject({ noPassword: false, username: 'root' });
    pbx.faults.set('GET /api/v1/sites', 'unauthorized-once');
    await manager.call(routes.listSites);
    expect(pbx.log.at(-2)).toBe('login root (password)');
    await manager.disconnect(false);
  });

  it('without a typed password and nothing saved, it asks for one (secret_missing), as before', async () => {
    const pbx = await fakePbx();
    const { manager, profile } = setup(pbx.url, { secret: null });
    await expect(manager.connect(profile)).rejects.toMatchObject({ code: 'secret_missing' });
  });
});

// Live events (SSE) from the real reference PBX: console and keypad changes, replay after Last-Event-ID.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExtensionList } from '../../shared/api.js';
import type { Extension } from '../../shared/domain.js';
import { PbxEventSchema, type PbxEvent } from '../../shared/events.js';
import { errorOf, httpRequest, openEventStream, startTestPbx, type EventStream, type TestPbx } from '../helpers/server.js';

type Changed = Extract<PbxEvent, { type: 'protection.changed' }>;
const changedFor =
  (number: string, pred: (e: Changed) => boolean = () => true) =>
  (e: PbxEvent): boolean =>
    e.type === 'protection.changed' && e.number === number && pred(e);

describe('live events', () => {
  let pbx: TestPbx;
  let spare: Extension[];
  const streams: EventStream[] = [];

  const open = async (lastEventId?: string) => {
    const s = await openEventStream(pbx.url, pbx.token, lastEventId !== undefined ? { lastEventId } : {});
    streams.push(s);
    return s;
  };
  const protect = async (ext: Extension, password: string) => {
    const r = await pbx.api<Extension>('PUT', `/api/v1/extensions/${ext.number}/protection`, {
      body: { enabled: true, password },
      ifMatch: ext.etag,
    });
    expect(r.status, r.text).toBe(200);
    return r.json;
  };

  beforeAll(async () => {
    pbx = await startTestPbx({ seed: 'demo' });
    const r = await pbx.api<ExtensionList>('GET', '/api/v1/extensions?limit=1000&type=phone_terminal&protection=off');
    spare = r.json.items.filter((e) => e.status === 'active');
  });
  afterAll(async () => {
    for (const s of streams) s.close();
    await pbx?.cleanup();
  });

  it('refuses a stream without a valid token', async () => {
    const bogus = await openEventStream(pbx.url, 'A'.repeat(43));
    streams.push(bogus);
    expect(bogus.status).toBe(401);
    const r = await httpRequest(`${pbx.url}/api/v1/events`);
    expect(r.status).toBe(401);
    expect(errorOf(r).code).toBe('unauthorized');
  });

  it('starts with a hello event, typed as text/event-stream', async () => {
    const s = await open();
    expect(s.status).toBe(200);
    expect(s.headers['content-type']).toMatch(/^text\/event-stream/);
    const hello = await s.waitFor((e) => e.type === 'hello');
    expect(PbxEventSchema.parse(hello)).toMatchObject({ type: 'hello', server: pbx.serverName });
    expect(s.events[0]?.type).toBe('hello');
  });

  it('delivers protection.changed for console and keypad changes within a second', async () => {
    const s = await open();
    await s.waitFor((e) => e.type === 'hello');
    const ext = spare.shift() as Extension;

    let t = performance.now();
    const enabled = await protect(ext, '8642');
    const ev1 = (await s.waitFor(changedFor(ext.number), 1000)) as Changed;
    expect(performance.now() - t).toBeLessThan(1000);
    expect(PbxEventSchema.parse(ev1)).toMatchObject({ source: 'console', by: 'admin', address: '127.0.0.1' });
    expect(ev1.extension).toEqual(enabled);
    expect(s.events.at(-1)?.sseEvent).toBe('protection.changed');
    expect(s.events.at(-1)?.sseId).toBe(String(ev1.id));

    t = performance.now();
    const r = await pbx.device('/device/v1/keypad', { extension: ext.number, code: '*11', digits: '8642' }, { from: '127.0.0.2' });
    expect(r.status).toBe(200);
    const ev2 = (await s.waitFor(changedFor(ext.number, (e) => e.source === 'keypad'), 1000)) as Changed;
    expect(performance.now() - t).toBeLessThan(1000);
    expect(ev2).toMatchObject({ by: 'keypad', address: '127.0.0.2' });
    expect(ev2.extension.protection.state).toBe('blocked');
    expect(ev2.id).toBeGreaterThan(ev1.id);

    // a refused keypad attempt produces no event
    await pbx.device('/device/v1/keypad', { extension: ext.number, code: '*11', digits: '0000' }, { from: '127.0.0.2' });
    await new Promise((r2) => setTimeout(r2, 100));
    expect(s.events.filter(changedFor(ext.number))).toHaveLength(2);
  });

  it('replays the events after Last-Event-ID on reconnect', async () => {
    const first = await open();
    const hello = await first.waitFor((e) => e.type === 'hello');
    first.close();
    // changes while disconnected
    const a = spare.shift() as Extension;
    const b = spare.shift() as Extension;
    await protect(a, '1212');
    await protect(b, '3434');
    const again = await open(String(hello.id));
    const evB = await again.waitFor(changedFor(b.number));
    const kinds = again.events.map((e) => (e.type === 'protection.changed' ? e.number : e.type));
    expect(kinds).toEqual(['hello', a.number, b.number]);
    expect(again.events[0]?.id).toBe(evB.id); // hello carries the newest id

    // a client that is up to date gets nothing replayed
    const upToDate = await open(String(evB.id));
    await upToDate.waitFor((e) => e.type === 'hello');
    await new Promise((r) => setTimeout(r, 100));
    expect(upToDate.events.map((e) => e.type)).toEqual(['hello']);

    const bad = await httpRequest(`${pbx.url}/api/v1/events`, {
      headers: { authorization: `Bearer ${pbx.token}`, 'last-event-id': 'yesterday' },
    });
    expect(bad.status).toBe(422);
    expect(errorOf(bad).details?.[0]).toMatchObject({ field: 'Last-Event-ID' });
  });

  it('ends a stream when its session logs out', async () => {
    const login = await pbx.login();
    const token = login.json.token;
    const s = await openEventStream(pbx.url, token);
    streams.push(s);
    await s.waitFor((e) => e.type === 'hello');
    expect((await pbx.api('DELETE', '/api/v1/session', { token })).status).toBe(204);
    await s.ended;
    // the admin's other stream is unaffected
    const other = await open();
    await other.waitFor((e) => e.type === 'hello');
  });

  it('ends open streams when the server closes (close() does not hang)', async () => {
    const s = await open();
    await s.waitFor((e) => e.type === 'hello');
    const t = performance.now();
    await pbx.stop();
    await s.ended;
    expect(performance.now() - t).toBeLessThan(2000);
  });
});

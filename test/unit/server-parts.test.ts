// Unit tests of small reference-PBX modules (pure parts; the server itself is tested for real in integration).
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseArgs, UsageError } from '../../server/cli.js';
import { fastifyPath, fieldIssues, normaliseAddress } from '../../server/http.js';
import { decodeCursor, encodeCursor } from '../../server/store.js';
import { demoExtensions, generatedExtensions } from '../../server/seed.js';
import { defaultDataDir } from '../../server/index.js';
import { generatePassword } from '../../server/secrets.js';
import { EventHub, formatEvent } from '../../server/events.js';
import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { SseParser } from '../../shared/events.js';

describe('cli arguments', () => {
  it('parses every flag, in both --flag value and --flag=value forms', () => {
    const o = parseArgs(['--data-dir', '/tmp/x', '--host=0.0.0.0', '--port', '8080', '--seed', '5000']);
    expect(o).toMatchObject({ dataDir: '/tmp/x', host: '0.0.0.0', port: 8080, seed: { extensions: 5000 } });
    expect(parseArgs(['--seed=none']).seed).toBe('none');
    expect(parseArgs([]).seed).toBe('demo');
  });

  it('names the flag in every error', () => {
    const cases: [string[], RegExp][] = [
      [['--port', 'http'], /--port/],
      [['--port', '70000'], /--port/],
      [['--seed', 'lots'], /--seed/],
      [['--data-dir'], /--data-dir needs a value/],
      [['--host', 'a b'], /--host/],
      [['--verbose'], /unknown option --verbose/],
    ];
    for (const [argv, message] of cases) {
      expect(() => parseArgs(argv)).toThrow(UsageError);
      expect(() => parseArgs(argv)).toThrow(message);
    }
  });
});

describe('http helpers', () => {
  it('normalises IPv4-mapped addresses', () => {
    expect(normaliseAddress('::ffff:127.0.0.2')).toBe('127.0.0.2');
    expect(normaliseAddress('::1')).toBe('::1');
    expect(normaliseAddress('10.0.0.1')).toBe('10.0.0.1');
    expect(normaliseAddress(undefined)).toBe('unknown');
  });

  it('turns OpenAPI templates into Fastify paths', () => {
    expect(fastifyPath('/api/v1/extensions/{number}/protection')).toBe('/api/v1/extensions/:number/protection');
  });

  it('names each unknown field by itself', () => {
    const r = z.object({ a: z.object({ b: z.string() }).strict() }).strict().safeParse({ a: { b: 'x', c: 1 }, d: 2 });
    expect(r.success).toBe(false);
    if (!r.success) {
      expect(fieldIssues(r.error).map((i) => [i.field, i.rule])).toEqual([
        ['a.c', 'unknown_keys'],
        ['d', 'unknown_keys'],
      ]);
    }
  });
});

describe('list cursors', () => {
  it('round-trips and refuses foreign or damaged cursors', () => {
    const c = encodeCursor('-label', ['anna smith', '1001']);
    expect(decodeCursor(c, '-label')).toEqual(['anna smith', '1001']);
    expect(() => decodeCursor(c, 'label')).toThrow(/cursor/);
    expect(() => decodeCursor('%%%', 'number')).toThrow(/cursor/);
    expect(() => decodeCursor(encodeCursor('number', ['1001', '1001']), 'number')).toThrow(/cursor/);
    expect(() => decodeCursor(encodeCursor('number', [1001]), 'number')).toThrow(/cursor/);
  });
});

describe('seed data', () => {
  it('demo: 300 extensions, 80% phone terminals, ≥5 protected, blocked with and without voicemail', () => {
    const all = demoExtensions();
    expect(all).toHaveLength(300);
    expect(new Set(all.map((e) => e.number)).size).toBe(300);
    expect(all.filter((e) => e.type === 'phone_terminal')).toHaveLength(240);
    const prot = all.filter((e) => e.protection);
    expect(prot.length).toBeGreaterThanOrEqual(5);
    expect(prot.every((e) => e.type === 'phone_terminal' && /^[0-9]{3,12}$/.test(e.protection?.password ?? ''))).toBe(true);
    const blocked = prot.filter((e) => e.protection?.state === 'blocked');
    expect(blocked.some((e) => e.voicemail)).toBe(true);
    expect(blocked.some((e) => !e.voicemail)).toBe(true);
    // labels are deterministic (same demo everywhere), passwords are not
    expect(demoExtensions().map((e) => e.label)).toEqual(all.map((e) => e.label));
  });

  it('generated: N unique numbers of one length, a handful protected', () => {
    const all = generatedExtensions(12_345);
    expect(all).toHaveLength(12_345);
    expect(new Set(all.map((e) => e.number)).size).toBe(12_345);
    expect(new Set(all.map((e) => e.number.length)).size).toBe(1);
    const prot = all.filter((e) => e.protection);
    expect(prot).toHaveLength(5);
    expect(prot.filter((e) => e.protection?.state === 'blocked')).toHaveLength(2);
    expect(generatedExtensions(0)).toHaveLength(0);
    expect(() => generatedExtensions(-1)).toThrow();
  });
});

describe('secrets and paths', () => {
  const env = { ...process.env };
  afterEach(() => {
    process.env = { ...env };
  });

  it('generates unambiguous admin passwords', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 50; i++) {
      const p = generatePassword();
      expect(p).toMatch(/^[A-HJ-NP-Za-km-z2-9]{20}$/);
      seen.add(p);
    }
    expect(seen.size).toBe(50);
  });

  it.runIf(process.platform === 'linux')('uses $XDG_DATA_HOME, else ~/.local/share', () => {
    process.env['XDG_DATA_HOME'] = '/srv/data';
    expect(defaultDataDir()).toBe('/srv/data/pbx-warden/reference-pbx');
    delete process.env['XDG_DATA_HOME'];
    expect(defaultDataDir()).toMatch(/\/\.local\/share\/pbx-warden\/reference-pbx$/);
  });
});

describe('SSE framing', () => {
  it('frames an event so the shared parser reads it back', () => {
    const got: { event: string; data: string; id?: string }[] = [];
    const p = new SseParser((e) => got.push(e));
    p.push(formatEvent({ type: 'hello', id: 7, at: '2030-01-01T00:00:00.000Z', server: 'x' }));
    expect(got).toEqual([{ event: 'hello', id: '7', data: JSON.stringify({ type: 'hello', id: 7, at: '2030-01-01T00:00:00.000Z', server: 'x' }) }]);
  });
});

describe('event hub', () => {
  class FakeResponse extends EventEmitter {
    chunks: string[] = [];
    destroyed = false;
    writableEnded = false;
    socket = null;
    write(c: string): boolean {
      this.chunks.push(c);
      return true;
    }
    end(): void {
      this.writableEnded = true;
      this.emit('close');
    }
  }
  const hello = (id: number) => ({ type: 'hello' as const, id, at: '2030-01-01T00:00:00.000Z', server: 'x' });

  it('replays after an id, keeps the last 1000, and forgets closed streams', () => {
    const hub = new EventHub(0);
    for (let i = 1; i <= 1005; i++) hub.publish(hello(i));
    expect(hub.since(0)).toHaveLength(1000);
    expect(hub.since(1003).map((e) => e.id)).toEqual([1004, 1005]);
    expect(hub.currentId).toBe(1005);
    const res = new FakeResponse();
    hub.attach(res as unknown as ServerResponse, []);
    expect(hub.openStreams).toBe(1);
    hub.publish(hello(1006));
    expect(res.chunks.at(-1)).toBe(formatEvent(hello(1006)));
    res.emit('close');
    expect(hub.openStreams).toBe(0);
    hub.publish(hello(1007)); // no write to a closed stream
    expect(res.chunks.at(-1)).toBe(formatEvent(hello(1006)));
  });

  it('sends heartbeats and ends a stream whose session is gone', async () => {
    const hub = new EventHub(0);
    const res = new FakeResponse();
    let valid = true;
    hub.attach(res as unknown as ServerResponse, [], { heartbeatMs: 10, stillValid: () => valid });
    await new Promise((r) => setTimeout(r, 35));
    expect(res.chunks.filter((c) => c.startsWith(': heartbeat')).length).toBeGreaterThanOrEqual(2);
    valid = false;
    await new Promise((r) => setTimeout(r, 25));
    expect(res.writableEnded).toBe(true);
    expect(hub.openStreams).toBe(0);
  });
});

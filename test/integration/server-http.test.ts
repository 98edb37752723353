// HTTP surface of the real reference PBX: OpenAPI, the one error shape, limits, and secrets at rest.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { routes, type RouteDef } from '../../shared/api.js';
import type { Extension } from '../../shared/domain.js';
import { ApiErrorSchema } from '../../shared/errors.js';
import { errorOf, httpRequest, startTestPbx, type TestPbx } from '../helpers/server.js';

describe('HTTP surface', () => {
  let pbx: TestPbx;
  beforeAll(async () => {
    pbx = await startTestPbx({ seed: 'demo' });
  });
  afterAll(async () => {
    await pbx?.cleanup();
  });

  it('serves health without auth', async () => {
    const r = await httpRequest<{ ok: boolean; server: string; version: string }>(`${pbx.url}/api/v1/health`);
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ ok: true, server: pbx.serverName, version: expect.stringMatching(/^\d+\.\d+\.\d+/) });
  });

  it('serves an OpenAPI 3.1 document with every route of the table', async () => {
    const r = await httpRequest<{
      openapi: string;
      paths: Record<string, Record<string, { operationId: string; responses: Record<string, unknown> }>>;
      components: { schemas: Record<string, unknown> };
    }>(`${pbx.url}/api/v1/openapi.json`);
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toMatch(/^application\/json/);
    const doc = r.json;
    expect(doc.openapi).toBe('3.1.0');
    for (const def of Object.values(routes) as RouteDef[]) {
      const op = doc.paths[def.path]?.[def.method.toLowerCase()];
      expect(op, `${def.method} ${def.path}`).toBeDefined();
      expect(op?.operationId).toBe(def.operationId);
      expect(Object.keys(op?.responses ?? {})).toContain(String(def.status));
    }
    expect(Object.keys(doc.components.schemas)).toEqual(expect.arrayContaining(['Extension', 'Error', 'ProtectionUpdate']));
    // every $ref resolves
    const refs = [...r.text.matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1] as string);
    for (const ref of refs) expect(doc.components.schemas[ref], ref).toBeDefined();
  });

  it('answers unknown routes and wrong methods with the one error shape', async () => {
    for (const [method, path] of [
      ['GET', '/nope'],
      ['GET', '/api/v1/nope'],
      ['PATCH', '/api/v1/extensions/1003'],
      ['GET', '/api/v1/extensions/1003/protection'],
    ]) {
      const r = await pbx.api(method as string, path as string);
      expect(r.status, `${method} ${path}`).toBe(404);
      expect(ApiErrorSchema.strict().parse(r.json).error.code).toBe('not_found');
    }
  });

  it('refuses malformed JSON, a foreign content type and an oversized body in the same shape', async () => {
    const malformed = await httpRequest(`${pbx.url}/api/v1/session`, {
      method: 'POST',
      rawBody: '{"username": "admin", ',
      headers: { 'content-type': 'application/json' },
    });
    expect(malformed.status).toBe(422);
    expect(errorOf(malformed)).toMatchObject({ code: 'validation_failed', details: [{ field: '(body)', rule: 'json' }] });

    const form = await httpRequest(`${pbx.url}/api/v1/session`, {
      method: 'POST',
      rawBody: 'username=admin',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(form.status).toBe(415);
    expect(errorOf(form).details?.[0]).toMatchObject({ field: 'Content-Type' });

    const huge = await httpRequest(`${pbx.url}/device/v1/keypad`, {
      method: 'POST',
      body: { extension: '1003', code: '*11', digits: '1'.repeat(70 * 1024) },
    });
    expect(huge.status).toBe(413);
    expect(ApiErrorSchema.parse(huge.json).error.code).toBe('payload_too_large');

    const arr = await httpRequest(`${pbx.url}/api/v1/session`, { method: 'POST', body: ['admin'] });
    expect(arr.status).toBe(422);
    const nobody = await httpRequest(`${pbx.url}/api/v1/session`, { method: 'POST' });
    expect(nobody.status).toBe(422);
    expect(errorOf(nobody).details?.[0]).toMatchObject({ field: '(root)', rule: 'required' });
  });

  it('refuses a body or query parameters on routes that take none', async () => {
    const ext = await pbx.extension('1003');
    const r = await pbx.api('POST', '/api/v1/extensions/1003/protection/block', { ifMatch: ext.etag, body: { force: true } });
    expect(r.status).toBe(422);
    expect(errorOf(r).details?.[0]).toMatchObject({ field: 'force', rule: 'unknown_keys' });
    // an empty body under any content type is "no body" (axios sends form content type with an empty POST)
    const axiosLike = await pbx.api('POST', '/api/v1/extensions/1003/protection/block', {
      ifMatch: ext.etag,
      rawBody: '',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(axiosLike.status).toBe(200);
    const unblocked = await pbx.api<Extension>('POST', '/api/v1/extensions/1003/protection/unblock', { ifMatch: axiosLike.headers.etag as string });
    expect(unblocked.status).toBe(200);
    ext.etag = unblocked.json.etag;
    const q = await pbx.api('GET', '/api/v1/sites?x=1');
    expect(q.status).toBe(422);
    // an empty JSON body is "no body"
    const empty = await pbx.api('POST', '/api/v1/extensions/1003/protection/block', {
      ifMatch: ext.etag,
      rawBody: '',
      headers: { 'content-type': 'application/json' },
    });
    expect(empty.status).toBe(200);
  });

  it('never stores a protection password, admin password or token in plain text (database and WAL)', async () => {
    const canary = '739158264073';
    const ext = (await pbx.api<{ items: Extension[] }>('GET', '/api/v1/extensions?protection=off&type=phone_terminal&limit=1'))
      .json.items[0] as Extension;
    const r = await pbx.api<Extension>('PUT', `/api/v1/extensions/${ext.number}/protection`, {
      body: { enabled: true, password: canary },
      ifMatch: ext.etag,
    });
    expect(r.status).toBe(200);
    const k = await pbx.device('/device/v1/keypad', { extension: ext.number, code: '*11', digits: canary });
    expect(k.status).toBe(200);
    const files = readdirSync(pbx.dataDir);
    expect(files).toEqual(expect.arrayContaining(['pbx.sqlite', 'pbx.sqlite-wal', 'pepper.key']));
    const needles = [canary, pbx.adminPassword, pbx.token];
    for (const file of files) {
      const bytes = readFileSync(join(pbx.dataDir, file));
      for (const needle of needles) {
        expect(bytes.includes(Buffer.from(needle)), `${needle.slice(0, 4)}… in ${file}`).toBe(false);
        expect(bytes.includes(Buffer.from(needle, 'utf16le')), `${needle.slice(0, 4)}… (utf16) in ${file}`).toBe(false);
      }
    }
    if (process.platform !== 'win32') {
      expect(statSync(join(pbx.dataDir, 'pepper.key')).mode & 0o777).toBe(0o600);
      expect(statSync(join(pbx.dataDir, 'pepper.key')).size).toBe(32);
      expect(statSync(pbx.dataDir).mode & 0o077).toBe(0);
    }
  });

  it('never leaks a stack trace or internals in an error', async () => {
    const r = await httpRequest(`${pbx.url}/api/v1/extensions/${'9'.repeat(120)}`, {
      headers: { authorization: `Bearer ${pbx.token}` },
    });
    expect(r.status).toBe(422);
    expect(errorOf(r).details?.[0]).toMatchObject({ field: 'number', rule: 'pattern' });
    const veryLong = await httpRequest(`${pbx.url}/api/v1/extensions/${'9'.repeat(2000)}`, {
      headers: { authorization: `Bearer ${pbx.token}` },
    });
    expect(veryLong.status).toBe(414);
    const badEncoding = await httpRequest(`${pbx.url}/api/v1/extensions/%E0%A4%A`, {
      headers: { authorization: `Bearer ${pbx.token}` },
    });
    expect(badEncoding.status).toBeGreaterThanOrEqual(400);
    expect(badEncoding.status).toBeLessThan(500);
    for (const res of [r, veryLong, badEncoding]) {
      expect(res.text).not.toMatch(/at .*\.ts:\d+|node_modules|FST_|Error:/);
      ApiErrorSchema.strict().parse(res.json);
    }
  });
});

// Issue 7: the files main keeps for the page to download (browser mode) — single use, a few minutes, a few at a
// time — and the Content-Disposition a saved file gets.
import { describe, expect, it } from 'vitest';
import { contentDisposition, DownloadStore } from '../../main/core/file-delivery.js';

describe('DownloadStore', () => {
  it('keeps a file under a random 128-bit id, for one download', () => {
    const store = new DownloadStore();
    const a = store.put('a.json', '{"x":1}', 'application/json');
    const b = store.put('b.json', Buffer.from('b'), 'application/json');
    expect(a.id).toMatch(/^[0-9a-f]{32}$/);
    expect(a.url).toBe(`/download/${a.id}`);
    expect(a.id).not.toBe(b.id);
    expect(store.take(a.id)).toMatchObject({ filename: 'a.json', type: 'application/json', body: Buffer.from('{"x":1}') });
    expect(store.take(a.id)).toBeUndefined();
    expect(store.take(b.id.toUpperCase())).toBeUndefined(); // only the exact id
    expect(store.take(b.id)?.body.toString()).toBe('b');
  });

  it('forgets a file after its time, and the oldest when too many wait', () => {
    let now = 1_000;
    const store = new DownloadStore({ ttlMs: 60_000, max: 2, now: () => now });
    const old = store.put('old.json', 'o', 'application/json');
    now += 60_001;
    expect(store.take(old.id)).toBeUndefined();
    const one = store.put('1.json', '1', 'application/json');
    const two = store.put('2.json', '2', 'application/json');
    const three = store.put('3.json', '3', 'application/json');
    expect(store.size).toBe(2);
    expect(store.take(one.id)).toBeUndefined();
    expect(store.take(two.id)?.filename).toBe('2.json');
    expect(store.take(three.id)?.filename).toBe('3.json');
  });

  it('refuses ids that are not its own shape without looking them up', () => {
    const store = new DownloadStore();
    for (const id of ['', '../x', 'constructor', '__proto__', '0'.repeat(31), '0'.repeat(33)]) expect(store.take(id)).toBeUndefined();
  });
});

describe('contentDisposition', () => {
  it('an ASCII fallback without quotes or separators, and the exact UTF-8 name', () => {
    expect(contentDisposition('pbx-export.json')).toBe(`attachment; filename="pbx-export.json"; filename*=UTF-8''pbx-export.json`);
    expect(contentDisposition('Zentrale "Süd";x.json')).toBe(
      `attachment; filename="Zentrale _S_d__x.json"; filename*=UTF-8''${encodeURIComponent('Zentrale "Süd";x.json')}`,
    );
    expect(contentDisposition('a\r\nSet-Cookie: x.json')).not.toMatch(/[\r\n]/);
  });
});

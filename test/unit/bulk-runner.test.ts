// The console's bulk runner against a fake PBX (a unit test of one module; the real PBX is exercised by
// the e2e bulk reset): bounded concurrency, Retry-After on 429, cancel, retries and per-item results.
import { describe, expect, it } from 'vitest';
import type { BulkResetResponse } from '../../shared/api.js';
import { runBulk, type BulkProgress } from '../../renderer/src/lib/bulkRunner.js';

const numbers = (n: number) => Array.from({ length: n }, (_, i) => String(1000 + i));

class Busy extends Error {
  constructor(readonly body: { code: string; message: string; retryAfterSeconds?: number }) {
    super(body.message);
  }
}

/** A fake PBX: answers every chunk after `delayMs`, tracking how many requests overlap. */
function fakePbx(opts: { delayMs?: number; fail?: (n: string) => string | null; before?: (call: number) => void } = {}) {
  let inFlight = 0;
  let calls = 0;
  const state = { maxInFlight: 0, sent: [] as string[][], times: [] as number[] };
  const send = async (chunk: string[]): Promise<BulkResetResponse> => {
    const call = calls++;
    state.sent.push(chunk);
    state.times.push(Date.now());
    opts.before?.(call);
    inFlight++;
    state.maxInFlight = Math.max(state.maxInFlight, inFlight);
    await new Promise((r) => setTimeout(r, opts.delayMs ?? 5));
    inFlight--;
    const results = chunk.map((number) => {
      const code = opts.fail?.(number) ?? null;
      return code ? { number, ok: false as const, error: { code, message: `${number}: ${code}` } } : { number, ok: true as const, etag: 'W/"2"' };
    });
    return { results, done: results.filter((r) => r.ok).length, failed: results.filter((r) => !r.ok).length };
  };
  return { send, state };
}

describe('bulk runner', () => {
  it('resets every number in chunks, never more than `concurrency` requests at once, with per-item results', async () => {
    const pbx = fakePbx({ fail: (n) => (n === '1007' ? 'extension_inactive' : null) });
    const seen: BulkProgress[] = [];
    const s = await runBulk({ numbers: numbers(200), send: pbx.send, chunkSize: 25, concurrency: 2, onProgress: (p) => seen.push(p) });
    expect(pbx.state.maxInFlight).toBe(2);
    expect(pbx.state.sent).toHaveLength(8);
    expect(pbx.state.sent.flat().sort()).toEqual(numbers(200));
    expect(s.ok).toBe(199);
    expect(s.failed).toBe(1);
    expect(s.notStarted).toBe(0);
    expect(s.items.find((i) => i.number === '1007')).toMatchObject({ state: 'failed', code: 'extension_inactive' });
    expect(s.items.every((i) => i.state === 'ok' || i.number === '1007')).toBe(true);
    // Progress only grows.
    for (let i = 1; i < seen.length; i++) expect(seen[i]!.ok + seen[i]!.failed).toBeGreaterThanOrEqual(seen[i - 1]!.ok + seen[i - 1]!.failed);
  });

  it('waits out Retry-After when the PBX is busy (429), then sends the same chunk again', async () => {
    const pbx = fakePbx({
      before: (call) => {
        if (call === 1) throw new Busy({ code: 'rate_limited', message: 'busy', retryAfterSeconds: 0.3 });
      },
    });
    const waits: number[] = [];
    const s = await runBulk({
      numbers: numbers(100),
      send: pbx.send,
      chunkSize: 25,
      concurrency: 2,
      onProgress: (p) => {
        if (p.waitingUntil !== null) waits.push(p.waitingUntil);
      },
    });
    expect(s.ok).toBe(100);
    expect(s.busyAnswers).toBe(1);
    expect(waits.length).toBeGreaterThan(0);
    // The refused chunk (the second request) went again, and nothing was sent during the wait.
    expect(pbx.state.sent).toHaveLength(5);
    const refusedAt = pbx.state.times[1]!;
    const later = pbx.state.times.slice(2);
    expect(later.every((t) => t >= refusedAt + 280)).toBe(true);
  });

  it('cancel stops sending; the chunk in flight finishes and the rest are "not started"', async () => {
    const ac = new AbortController();
    const pbx = fakePbx({ delayMs: 20 });
    const s = await runBulk({
      numbers: numbers(300),
      send: pbx.send,
      chunkSize: 10,
      concurrency: 2,
      signal: ac.signal,
      onProgress: (p) => {
        if (p.ok >= 40) ac.abort();
      },
    });
    expect(s.cancelled).toBe(true);
    expect(s.ok + s.failed + s.notStarted).toBe(300);
    expect(s.ok).toBeGreaterThanOrEqual(40);
    expect(s.ok).toBeLessThan(300);
    expect(s.notStarted).toBe(300 - s.ok);
    expect(pbx.state.sent.flat()).toHaveLength(s.ok);
  });

  it('retries a chunk after a network failure, and stops the whole run when signed out', async () => {
    let failures = 0;
    const flaky = fakePbx({
      before: (call) => {
        if (call === 0 && failures++ < 1) throw new Busy({ code: 'pbx_unreachable', message: 'gone' });
      },
    });
    const ok = await runBulk({ numbers: numbers(30), send: flaky.send, chunkSize: 10, concurrency: 1, backoffMs: 1 });
    expect(ok.ok).toBe(30);

    let n = 0;
    const signedOut = async (chunk: string[]): Promise<BulkResetResponse> => {
      if (n++ >= 1) throw new Busy({ code: 'unauthorized', message: 'log in again' });
      return { results: chunk.map((number) => ({ number, ok: true as const, etag: 'x' })), done: chunk.length, failed: 0 };
    };
    const s = await runBulk({ numbers: numbers(50), send: signedOut, chunkSize: 10, concurrency: 1 });
    expect(s.stoppedBy?.code).toBe('unauthorized');
    expect(s.ok).toBe(10);
    expect(s.failed).toBe(10);
    expect(s.notStarted).toBe(30);
  });

  it('an answer that does not report on a number marks that number failed (never silently ok)', async () => {
    const send = async (chunk: string[]): Promise<BulkResetResponse> => ({
      results: chunk.slice(1).map((number) => ({ number, ok: true as const, etag: 'x' })),
      done: chunk.length - 1,
      failed: 0,
    });
    const s = await runBulk({ numbers: numbers(5), send, chunkSize: 5 });
    // The answer is shifted by one: every position mismatches, so nothing counts as done.
    expect(s.ok).toBe(0);
    expect(s.failed).toBe(5);
  });
});

// The console's bulk runner against a fake PBX (a unit test of one module; the real PBX is exercised by
// the e2e bulk reset): bounded concurrency, Retry-After on 429, cancel, retries and per-item results, a lost
// connection pausing (or stopping) the run, and a 5xx giving "uncertain" items that are not resent.
import { describe, expect, it } from 'vitest';
import type { BulkResetResponse } from '../../shared/api.js';
import { isRetryable, runBulk, type BulkProgress } from '../../renderer/src/lib/bulkRunner.js';

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

  it('an answer that does not report on a number marks that number uncertain (never silently ok)', async () => {
    const send = async (chunk: string[]): Promise<BulkResetResponse> => ({
      results: chunk.slice(1).map((number) => ({ number, ok: true as const, etag: 'x' })),
      done: chunk.length - 1,
      failed: 0,
    });
    const s = await runBulk({ numbers: numbers(5), send, chunkSize: 5 });
    // The answer is shifted by one: every position mismatches, so nothing counts as done.
    expect(s.ok).toBe(0);
    expect(s.uncertain).toBe(5);
    expect(s.items.every((i) => i.state === 'uncertain')).toBe(true);
  });

  it('a lost connection without a way to wait for it stops the run: one chunk failed (retryable), the rest not started', async () => {
    const pbx = fakePbx({
      before: (call) => {
        if (call >= 2) throw new Busy({ code: 'pbx_unreachable', message: 'The PBX at http://x cannot be reached (ECONNREFUSED)' });
      },
    });
    const s = await runBulk({ numbers: numbers(100), send: pbx.send, chunkSize: 10, concurrency: 1, maxRetries: 3, backoffMs: 1 });
    // Two chunks done, the third tried 1 + 3 times, nothing after it.
    expect(pbx.state.sent).toHaveLength(2 + 4);
    expect(s.stoppedBy?.code).toBe('pbx_unreachable');
    expect(s.ok).toBe(20);
    expect(s.failed).toBe(10);
    expect(s.uncertain).toBe(0);
    expect(s.notStarted).toBe(70);
    const failed = s.items.filter((i) => i.state === 'failed');
    expect(failed.map((i) => i.number)).toEqual(numbers(30).slice(20));
    expect(failed.every((i) => i.code === 'pbx_unreachable' && isRetryable(i))).toBe(true);
  });

  it('a lost connection pauses the run until the caller says it is back; nothing is sent meanwhile; then it goes on', async () => {
    let down = true;
    let pausedCalls = 0;
    const pauses: (string | null)[] = [];
    const pbx = fakePbx({
      before: (call) => {
        if (call >= 3 && down) throw new Busy({ code: 'bridge_unreachable', message: 'The console host is not answering.' });
      },
    });
    let back!: () => void;
    const s = await runBulk({
      numbers: numbers(100),
      send: pbx.send,
      chunkSize: 10,
      concurrency: 2,
      maxRetries: 2,
      backoffMs: 1,
      waitForConnection: () => {
        pausedCalls++;
        return new Promise<void>((resolve) => {
          back = resolve;
          // While paused for 150 ms, nothing may be sent.
          const sentAtPause = pbx.state.sent.length;
          setTimeout(() => {
            expect(pbx.state.sent.length).toBe(sentAtPause);
            down = false;
            back();
          }, 150);
        });
      },
      onProgress: (p) => {
        const code = p.pausedBy?.code ?? null;
        if (pauses[pauses.length - 1] !== code) pauses.push(code);
      },
    });
    // Both workers met the lost connection, but the run paused once and then finished everything.
    expect(pausedCalls).toBe(1);
    expect(pauses).toEqual([null, 'bridge_unreachable', null]);
    expect(s.ok).toBe(100);
    expect(s.failed + s.uncertain + s.notStarted).toBe(0);
    expect(s.stoppedBy).toBeNull();
    expect(s.items.every((i) => i.state === 'ok')).toBe(true);
  });

  it('cancel while paused for the connection: the chunk that met it and the rest end "not started"', async () => {
    const ac = new AbortController();
    const pbx = fakePbx({
      before: (call) => {
        if (call >= 1) throw new Busy({ code: 'pbx_unreachable', message: 'did not answer in time' });
      },
    });
    const s = await runBulk({
      numbers: numbers(50),
      send: pbx.send,
      chunkSize: 10,
      concurrency: 1,
      maxRetries: 1,
      backoffMs: 1,
      signal: ac.signal,
      // Never comes back by itself: only Cancel ends the pause.
      waitForConnection: () => new Promise<void>(() => undefined),
      onProgress: (p) => {
        if (p.pausedBy) setTimeout(() => ac.abort(), 20);
      },
    });
    expect(s.cancelled).toBe(true);
    expect(s.ok).toBe(10);
    expect(s.failed).toBe(0);
    expect(s.notStarted).toBe(40);
    expect(s.pausedBy).toBeNull();
  });

  it('a 5xx is not resent: that chunk’s numbers are "uncertain", the run goes on with the others', async () => {
    const pbx = fakePbx({
      before: (call) => {
        if (call === 1) throw new Busy({ code: 'internal', message: 'Internal server error' });
        if (call === 3) throw new Busy({ code: 'pbx_error', message: 'The PBX answered HTTP 500 without a readable error' });
      },
    });
    const s = await runBulk({ numbers: numbers(60), send: pbx.send, chunkSize: 10, concurrency: 1, backoffMs: 1 });
    // Six chunks, each sent exactly once.
    expect(pbx.state.sent).toHaveLength(6);
    expect(s.ok).toBe(40);
    expect(s.uncertain).toBe(20);
    expect(s.failed).toBe(0);
    expect(s.stoppedBy).toBeNull();
    const uncertain = s.items.filter((i) => i.state === 'uncertain');
    expect(uncertain.map((i) => i.number)).toEqual([...numbers(20).slice(10), ...numbers(40).slice(30)]);
    expect(uncertain.some(isRetryable)).toBe(false);
    // A per-item 5xx-type result is uncertain too; a per-item "inactive" is a plain (permanent) failure.
    const mixed = fakePbx({ fail: (n) => (n === '1001' ? 'internal' : n === '1002' ? 'extension_inactive' : null) });
    const m = await runBulk({ numbers: numbers(3), send: mixed.send });
    expect(m.items.map((i) => i.state)).toEqual(['ok', 'uncertain', 'failed']);
    expect(m.items.map(isRetryable)).toEqual([false, false, false]);
  });

  it('a 429 still waits (it neither pauses the run nor counts as a lost connection)', async () => {
    let waited = 0;
    const pbx = fakePbx({
      before: (call) => {
        if (call === 0 || call === 1) throw new Busy({ code: 'rate_limited', message: 'busy', retryAfterSeconds: 0.2 });
      },
    });
    const t0 = Date.now();
    const s = await runBulk({
      numbers: numbers(20),
      send: pbx.send,
      chunkSize: 10,
      concurrency: 1,
      maxRetries: 0,
      waitForConnection: async () => {
        waited++;
      },
    });
    expect(waited).toBe(0);
    expect(s.ok).toBe(20);
    expect(s.busyAnswers).toBe(2);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(380);
  });

  it('isRetryable: not started and busy/connection failures yes; permanent failures and uncertain no', () => {
    expect(isRetryable({ number: '1', state: 'not_started' })).toBe(true);
    expect(isRetryable({ number: '1', state: 'failed', code: 'rate_limited' })).toBe(true);
    expect(isRetryable({ number: '1', state: 'failed', code: 'pbx_unreachable' })).toBe(true);
    expect(isRetryable({ number: '1', state: 'failed', code: 'not_connected' })).toBe(true);
    expect(isRetryable({ number: '1', state: 'failed', code: 'extension_inactive' })).toBe(false);
    expect(isRetryable({ number: '1', state: 'failed', code: 'not_found' })).toBe(false);
    expect(isRetryable({ number: '1', state: 'uncertain', code: 'internal' })).toBe(false);
    expect(isRetryable({ number: '1', state: 'ok' })).toBe(false);
  });
});

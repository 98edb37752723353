// Runs a bulk action (today: reset voicemail PINs to default) over many extensions the way the PBX
// wants to be asked: in chunks, at most `concurrency` chunks in flight, and when the PBX answers 429
// every worker waits out its Retry-After before sending again. Cancel stops sending new chunks; a chunk
// already sent finishes (the PBX applies it as a whole) and its results are kept. Numbers that were never
// sent end as "not started", so the person knows exactly what happened to each row.
// When the connection to the PBX is lost (after a few quick retries) the run pauses until the caller says
// it is back, or stops if the caller cannot tell, instead of failing every chunk left. A 5xx from the PBX
// is not resent: the PBX may have applied part of that chunk, so its numbers end as "uncertain".
// No DOM and no RPC here: the caller passes `send`, so the unit tests drive it with a fake PBX.
import type { BulkResetResponse } from '../../../shared/api';
import type { ErrorBody } from '../../../shared/errors';

export type BulkItemState = 'pending' | 'ok' | 'failed' | 'uncertain' | 'not_started';

export interface BulkItem {
  number: string;
  state: BulkItemState;
  /** For failed and uncertain items: the PBX's (or the console's) reason. */
  code?: string;
  message?: string;
}

export interface BulkProgress {
  total: number;
  ok: number;
  failed: number;
  /** The PBX failed on its side (HTTP 5xx) while applying these: they may or may not have been reset. */
  uncertain: number;
  /** Sent and not answered yet. */
  inFlight: number;
  /** While the PBX asked to wait (429): when sending resumes (ms since the epoch), else null. */
  waitingUntil: number | null;
  /** How many times the PBX said it was busy. */
  busyAnswers: number;
  /** While the run is paused because the connection to the PBX is lost: the error that said so, else null. */
  pausedBy: ErrorBody | null;
}

export interface BulkSummary extends BulkProgress {
  notStarted: number;
  cancelled: boolean;
  /** Set when the run stopped early because of an error no retry can fix (e.g. signed out), or because the
   *  connection was lost and the caller gave no way to wait for it. */
  stoppedBy: ErrorBody | null;
  items: BulkItem[];
}

export interface BulkRunOptions {
  numbers: readonly string[];
  /** One PBX request for one chunk; throws with an error body (RpcError) on failure. */
  send: (chunk: string[]) => Promise<BulkResetResponse>;
  /** Numbers per request (default 25: a chunk's hashing takes ~0.3 s on two cores, so progress moves). */
  chunkSize?: number;
  /** Chunks in flight at once (default 2). */
  concurrency?: number;
  /** Quick retries of one chunk after a lost connection (default 4) before the run pauses or stops; 429s do not count. */
  maxRetries?: number;
  /** Give up on a chunk after this many 429s in a row (default 60). */
  maxBusy?: number;
  /** Backoff base for the quick retries (default 500 ms; doubles per retry, capped at 8 s). */
  backoffMs?: number;
  /**
   * Called when the connection to the PBX stays lost after the quick retries: the run pauses (nothing is
   * sent, `pausedBy` says why) until this resolves, then goes on with the chunk that failed. It should
   * resolve when `signal` aborts (Cancel). Without it a lost connection stops the run: the chunk that met
   * it is failed with the connection error (worth another try later), the rest is "not started".
   */
  waitForConnection?: (signal?: AbortSignal) => Promise<void>;
  signal?: AbortSignal;
  onProgress?: (p: BulkProgress, items: readonly BulkItem[]) => void;
  /** Injected for tests. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  now?: () => number;
}

/**
 * The console cannot reach the PBX (shared/errors.ts; main/core/pbx-client.ts maps refused connections,
 * timeouts and 502/503/504 to pbx_unreachable; the browser-mode bridge answers bridge_unreachable when
 * the console host is gone). Every later chunk would meet the same: retry briefly, then pause (or stop).
 */
export const CONNECTION_LOST: ReadonlySet<string> = new Set(['pbx_unreachable', 'not_connected', 'bridge_unreachable']);
/**
 * The PBX failed on its side (HTTP 500, or an answer the console could not read). It applies a chunk in
 * several transactions, so part of it may be done: not resent blindly, each of its numbers is "uncertain".
 */
export const SERVER_FAILED: ReadonlySet<string> = new Set(['internal', 'pbx_error']);
/** Errors no later chunk can escape either: stop the run. */
const FATAL = new Set(['unauthorized', 'forbidden', 'invalid_payload', 'unknown_channel', 'vault_locked', 'tls_error']);
/** Failures that say nothing about the extension itself: the same reset may well succeed next time. */
const RETRYABLE_CODES: ReadonlySet<string> = new Set(['rate_limited', 'unauthorized', 'vault_locked', ...CONNECTION_LOST]);

/** Whether trying this item again makes sense: never sent, or failed for a reason outside the extension. */
export function isRetryable(item: BulkItem): boolean {
  if (item.state === 'not_started' || item.state === 'pending') return true;
  return item.state === 'failed' && item.code !== undefined && RETRYABLE_CODES.has(item.code);
}

export function errorBodyOf(e: unknown): ErrorBody {
  const body = (e as { body?: unknown } | null)?.body;
  if (body && typeof body === 'object' && typeof (body as ErrorBody).code === 'string') return body as ErrorBody;
  return { code: 'internal', message: e instanceof Error ? e.message : String(e) };
}

export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted || ms <= 0) return resolve();
    const done = () => {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Resolves when `signal` aborts (never without one). */
function aborted(signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (!signal) return;
    if (signal.aborted) return resolve();
    signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

export async function runBulk(opts: BulkRunOptions): Promise<BulkSummary> {
  const chunkSize = Math.max(1, opts.chunkSize ?? 25);
  const concurrency = Math.max(1, opts.concurrency ?? 2);
  const maxRetries = opts.maxRetries ?? 4;
  const maxBusy = opts.maxBusy ?? 60;
  const backoffMs = opts.backoffMs ?? 500;
  const sleep = opts.sleep ?? abortableSleep;
  const now = opts.now ?? Date.now;
  const signal = opts.signal;
  const onAbort = aborted(signal);

  const items: BulkItem[] = opts.numbers.map((number) => ({ number, state: 'pending' }));
  const chunks: number[][] = [];
  for (let i = 0; i < items.length; i += chunkSize) {
    chunks.push(Array.from({ length: Math.min(chunkSize, items.length - i) }, (_, k) => i + k));
  }

  const progress: BulkProgress = {
    total: items.length, ok: 0, failed: 0, uncertain: 0, inFlight: 0, waitingUntil: null, busyAnswers: 0, pausedBy: null,
  };
  let next = 0;
  let stoppedBy: ErrorBody | null = null;
  /** While the connection is lost: resolves when it is back (shared by all workers). */
  let pause: Promise<void> | null = null;
  const report = () => opts.onProgress?.({ ...progress }, items);

  const settle = (i: number, state: 'failed' | 'uncertain', err: { code: string; message: string }) => {
    items[i] = { number: items[i]!.number, state, code: err.code, message: err.message };
    progress[state]++;
  };

  /** Wait while the PBX asked everyone to wait (429), or while the connection is lost. */
  const waitIfBusy = async () => {
    for (;;) {
      if (signal?.aborted) return;
      if (pause) {
        await Promise.race([pause, onAbort]);
        continue;
      }
      if (progress.waitingUntil === null) return;
      const left = progress.waitingUntil - now();
      if (left <= 0) {
        progress.waitingUntil = null;
        report();
        return;
      }
      await sleep(left, signal);
    }
  };

  /** Pause the run until the caller says the connection is back (joins a pause already going on). */
  const pauseFor = (err: ErrorBody, wait: NonNullable<BulkRunOptions['waitForConnection']>): Promise<void> => {
    if (!pause) {
      progress.pausedBy = err;
      report();
      pause = Promise.resolve()
        .then(() => wait(signal))
        .catch(() => undefined)
        .then(() => {
          pause = null;
          progress.pausedBy = null;
          report();
        });
    }
    return Promise.race([pause, onAbort]);
  };

  const worker = async () => {
    while (!signal?.aborted && stoppedBy === null && next < chunks.length) {
      const chunk = chunks[next++]!;
      let retries = 0;
      let busy = 0;
      for (;;) {
        await waitIfBusy();
        if (signal?.aborted || stoppedBy !== null) {
          // Never sent (or to be sent again): it stays pending and ends as "not started".
          return;
        }
        progress.inFlight += chunk.length;
        report();
        let answer: BulkResetResponse | null = null;
        let error: ErrorBody | null = null;
        try {
          answer = await opts.send(chunk.map((i) => items[i]!.number));
        } catch (e) {
          error = errorBodyOf(e);
        }
        progress.inFlight -= chunk.length;
        if (answer) {
          const results = answer.results;
          // One result per number, in request order.
          chunk.forEach((i, k) => {
            const r = results[k];
            if (r && r.number === items[i]!.number && r.ok) {
              items[i] = { number: r.number, state: 'ok' };
              progress.ok++;
            } else if (r && r.number === items[i]!.number && !r.ok) {
              settle(i, SERVER_FAILED.has(r.error.code) ? 'uncertain' : 'failed', r.error);
            } else {
              // The PBX answered, but not about this number: whether it was reset is unknown.
              settle(i, 'uncertain', { code: 'internal', message: 'The PBX did not report on this number' });
            }
          });
          report();
          break;
        }
        const err = error!;
        if (err.code === 'rate_limited' && busy < maxBusy) {
          busy++;
          progress.busyAnswers++;
          // Honour Retry-After; if the PBX keeps saying busy, back off further (up to 10 s).
          const wait = Math.max((err.retryAfterSeconds ?? 1) * 1000, Math.min(250 * 2 ** (busy - 1), 10_000));
          const until = now() + wait;
          progress.waitingUntil = Math.max(progress.waitingUntil ?? 0, until);
          report();
          continue;
        }
        if (CONNECTION_LOST.has(err.code)) {
          // Another worker already paused the run: join it rather than spend retries.
          if (pause && opts.waitForConnection) {
            await pauseFor(err, opts.waitForConnection);
            retries = 0;
            continue;
          }
          if (retries < maxRetries) {
            retries++;
            await sleep(Math.min(backoffMs * 2 ** (retries - 1), 8000), signal);
            continue;
          }
          if (opts.waitForConnection) {
            await pauseFor(err, opts.waitForConnection);
            retries = 0;
            continue;
          }
          // Nobody to wait for the connection: stop here rather than fail every chunk after this one.
          stoppedBy = err;
          for (const i of chunk) settle(i, 'failed', err);
          report();
          break;
        }
        if (SERVER_FAILED.has(err.code)) {
          // A 5xx: part of the chunk may have been applied. Not resent; the person checks these.
          for (const i of chunk) settle(i, 'uncertain', err);
          report();
          break;
        }
        if (FATAL.has(err.code)) stoppedBy = err;
        for (const i of chunk) settle(i, 'failed', err);
        report();
        break;
      }
    }
  };

  await Promise.all(Array.from({ length: Math.min(concurrency, Math.max(1, chunks.length)) }, worker));

  let notStarted = 0;
  for (let i = 0; i < items.length; i++) {
    if (items[i]!.state === 'pending') {
      items[i] = { number: items[i]!.number, state: 'not_started' };
      notStarted++;
    }
  }
  progress.waitingUntil = null;
  progress.pausedBy = null;
  const summary: BulkSummary = { ...progress, notStarted, cancelled: Boolean(signal?.aborted), stoppedBy, items };
  opts.onProgress?.({ ...progress }, items);
  return summary;
}

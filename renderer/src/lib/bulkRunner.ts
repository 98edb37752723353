// Runs a bulk action (today: reset voicemail PINs to default) over many extensions the way the PBX
// wants to be asked: in chunks, at most `concurrency` chunks in flight, and when the PBX answers 429
// every worker waits out its Retry-After before sending again. Cancel stops sending new chunks; a chunk
// already sent finishes (the PBX applies it as a whole) and its results are kept. Numbers that were never
// sent end as "not started", so the person knows exactly what happened to each row.
// No DOM and no RPC here: the caller passes `send`, so the unit tests drive it with a fake PBX.
import type { BulkResetResponse } from '../../../shared/api';
import type { ErrorBody } from '../../../shared/errors';

export type BulkItemState = 'pending' | 'ok' | 'failed' | 'not_started';

export interface BulkItem {
  number: string;
  state: BulkItemState;
  /** For failed items: the PBX's (or the console's) reason. */
  code?: string;
  message?: string;
}

export interface BulkProgress {
  total: number;
  ok: number;
  failed: number;
  /** Sent and not answered yet. */
  inFlight: number;
  /** While the PBX asked to wait (429): when sending resumes (ms since the epoch), else null. */
  waitingUntil: number | null;
  /** How many times the PBX said it was busy. */
  busyAnswers: number;
}

export interface BulkSummary extends BulkProgress {
  notStarted: number;
  cancelled: boolean;
  /** Set when the run stopped early because of an error no retry can fix (e.g. signed out). */
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
  /** Retries of one chunk after a network-type failure (default 4); 429s do not count. */
  maxRetries?: number;
  /** Give up on a chunk after this many 429s in a row (default 60). */
  maxBusy?: number;
  /** Backoff base for network-type failures (default 500 ms; doubles per retry, capped at 8 s). */
  backoffMs?: number;
  signal?: AbortSignal;
  onProgress?: (p: BulkProgress, items: readonly BulkItem[]) => void;
  /** Injected for tests. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  now?: () => number;
}

/** Errors worth another try of the same chunk (the PBX or the link to it is briefly away). */
const TRANSIENT = new Set(['pbx_unreachable', 'not_connected', 'pbx_error', 'internal']);
/** Errors no later chunk can escape either: stop the run. */
const FATAL = new Set(['unauthorized', 'forbidden', 'invalid_payload', 'unknown_channel', 'vault_locked']);

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

export async function runBulk(opts: BulkRunOptions): Promise<BulkSummary> {
  const chunkSize = Math.max(1, opts.chunkSize ?? 25);
  const concurrency = Math.max(1, opts.concurrency ?? 2);
  const maxRetries = opts.maxRetries ?? 4;
  const maxBusy = opts.maxBusy ?? 60;
  const backoffMs = opts.backoffMs ?? 500;
  const sleep = opts.sleep ?? abortableSleep;
  const now = opts.now ?? Date.now;
  const signal = opts.signal;

  const items: BulkItem[] = opts.numbers.map((number) => ({ number, state: 'pending' }));
  const chunks: number[][] = [];
  for (let i = 0; i < items.length; i += chunkSize) {
    chunks.push(Array.from({ length: Math.min(chunkSize, items.length - i) }, (_, k) => i + k));
  }

  const progress: BulkProgress = { total: items.length, ok: 0, failed: 0, inFlight: 0, waitingUntil: null, busyAnswers: 0 };
  let next = 0;
  let stoppedBy: ErrorBody | null = null;
  const report = () => opts.onProgress?.({ ...progress }, items);

  const fail = (chunk: number[], err: ErrorBody) => {
    for (const i of chunk) {
      items[i] = { number: items[i]!.number, state: 'failed', code: err.code, message: err.message };
      progress.failed++;
    }
  };

  /** Wait while the PBX asked everyone to wait (shared by all workers). */
  const waitIfBusy = async () => {
    while (progress.waitingUntil !== null && !signal?.aborted) {
      const left = progress.waitingUntil - now();
      if (left <= 0) {
        progress.waitingUntil = null;
        report();
        break;
      }
      await sleep(left, signal);
    }
  };

  const worker = async () => {
    while (!signal?.aborted && stoppedBy === null && next < chunks.length) {
      const chunk = chunks[next++]!;
      let retries = 0;
      let busy = 0;
      for (;;) {
        await waitIfBusy();
        if (signal?.aborted || stoppedBy !== null) {
          // Never sent: it stays pending and ends as "not started".
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
            } else {
              const err = r && !r.ok ? r.error : { code: 'internal', message: 'The PBX did not report on this number' };
              items[i] = { number: items[i]!.number, state: 'failed', code: err.code, message: err.message };
              progress.failed++;
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
        if (TRANSIENT.has(err.code) && retries < maxRetries) {
          retries++;
          await sleep(Math.min(backoffMs * 2 ** (retries - 1), 8000), signal);
          continue;
        }
        if (FATAL.has(err.code)) stoppedBy = err;
        fail(chunk, err);
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
  const summary: BulkSummary = { ...progress, notStarted, cancelled: Boolean(signal?.aborted), stoppedBy, items };
  opts.onProgress?.({ ...progress }, items);
  return summary;
}

// Live events (SSE): a ring buffer for replay after Last-Event-ID, and the open streams.
import type { ServerResponse } from 'node:http';
import type { PbxEvent } from '../shared/events.js';

export const EVENT_BUFFER_SIZE = 1000;
export const HEARTBEAT_MS = 15_000;
/** Hint to EventSource-style clients how soon to reconnect. */
export const RETRY_MS = 2_000;

export function formatEvent(ev: PbxEvent): string {
  return `id: ${ev.id}\nevent: ${ev.type}\ndata: ${JSON.stringify(ev)}\n\n`;
}

interface Stream {
  res: ServerResponse;
  heartbeat: NodeJS.Timeout;
  /** The session the stream belongs to (ended when that session is revoked). */
  tag: string | undefined;
  /** Whether the stream may go on (its session, the caller's address); checked at heartbeats and by recheck(). */
  stillValid: ((tag: string | undefined) => boolean) | undefined;
  /** Which events this stream receives (its session's role and sites); undefined = all. */
  filter: ((ev: PbxEvent) => boolean) | undefined;
}

export class EventHub {
  private readonly buffer: PbxEvent[] = [];
  private readonly streams = new Set<Stream>();

  /** @param lastId the id of the newest event already produced (ids are audit row ids, so they survive restarts). */
  constructor(private lastId: number) {}

  get currentId(): number {
    return this.lastId;
  }

  get openStreams(): number {
    return this.streams.size;
  }

  publish(ev: PbxEvent): void {
    if (ev.id > this.lastId) this.lastId = ev.id;
    this.buffer.push(ev);
    if (this.buffer.length > EVENT_BUFFER_SIZE) this.buffer.splice(0, this.buffer.length - EVENT_BUFFER_SIZE);
    const frame = formatEvent(ev);
    for (const s of this.streams) {
      if (s.filter && !s.filter(ev)) continue;
      if (!s.res.destroyed && !s.res.writableEnded) s.res.write(frame);
    }
  }

  /** Buffered events after `id`, oldest first. */
  since(id: number): PbxEvent[] {
    return this.buffer.filter((e) => e.id > id);
  }

  /**
   * Attach an already-started event-stream response: send `first` frames (hello, replay), then every
   * published event, plus a heartbeat comment. Cleans up when the client goes away.
   */
  attach(
    res: ServerResponse,
    first: PbxEvent[],
    opts: { tag?: string; filter?: (ev: PbxEvent) => boolean; stillValid?: (tag: string | undefined) => boolean; heartbeatMs?: number } = {},
  ): void {
    res.write(`retry: ${RETRY_MS}\n\n`);
    for (const ev of first) res.write(formatEvent(ev));
    const heartbeat = setInterval(() => {
      // A stream lives no longer than its session: checked at every heartbeat, and on logout at once.
      if (opts.stillValid && !opts.stillValid(stream.tag)) this.end(stream);
      else if (!res.destroyed && !res.writableEnded) res.write(': heartbeat\n\n');
    }, opts.heartbeatMs ?? HEARTBEAT_MS);
    heartbeat.unref();
    const stream: Stream = { res, heartbeat, tag: opts.tag, filter: opts.filter, stillValid: opts.stillValid };
    this.streams.add(stream);
    const done = () => {
      clearInterval(heartbeat);
      this.streams.delete(stream);
    };
    res.once('close', done);
    // keep a listener for good: a write racing a dropped connection must never become an uncaught error
    res.on('error', done);
  }

  /** End every stream that may no longer go on (e.g. its address was taken off the admin allowlist). */
  recheck(): void {
    for (const s of [...this.streams]) if (s.stillValid && !s.stillValid(s.tag)) this.end(s);
  }

  /** A refreshed session: its streams carry on, now belonging to the new token (no gap, no reconnect). */
  retag(from: string, to: string): void {
    for (const s of this.streams) if (s.tag === from) s.tag = to;
  }

  /** End the streams opened with this tag (a revoked session). */
  closeTagged(tag: string): void {
    for (const s of this.streams) if (s.tag === tag) this.end(s);
  }

  /** End every open stream (server shutdown), so closing does not wait for clients. */
  closeAll(): void {
    for (const s of this.streams) this.end(s);
  }

  private end(s: Stream): void {
    clearInterval(s.heartbeat);
    this.streams.delete(s);
    s.res.end();
    s.res.socket?.destroySoon?.();
  }
}

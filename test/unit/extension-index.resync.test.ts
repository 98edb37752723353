// The extensions index is only as fresh as the event stream that patches it. The browser-mode stream
// (renderer/src/lib/eventStream.ts) must say when it had a gap, so that the app re-reads the connection
// status and reloads the index: exactly once per reopen after an error, never on the first open, never
// after it was stopped, and a stream that gave up is replaced after the pause.
import { describe, expect, it } from 'vitest';
import { followEventStream, type StreamHandlers } from '../../renderer/src/lib/eventStream.js';

function harness(opts: { syncErrorOnConnect?: boolean } = {}) {
  const sources: { handlers: StreamHandlers; closed: boolean }[] = [];
  const timers: { fn: () => void; ms: number; cleared: boolean }[] = [];
  const messages: string[] = [];
  let resyncs = 0;
  const stop = followEventStream({
    connect(handlers) {
      const s = { handlers, closed: false };
      sources.push(s);
      if (opts.syncErrorOnConnect && sources.length === 1) handlers.error(true);
      return { close: () => void (s.closed = true) };
    },
    onMessage: (d) => messages.push(d),
    onResync: () => resyncs++,
    retryMs: 3000,
    setTimer: (fn, ms) => {
      const t = { fn, ms, cleared: false };
      timers.push(t);
      return t;
    },
    clearTimer: (h) => void ((h as { cleared: boolean }).cleared = true),
  });
  const fire = () => {
    const t = timers.find((x) => !x.cleared);
    if (!t) throw new Error('no timer pending');
    t.cleared = true;
    t.fn();
  };
  return { sources, timers, messages, resyncs: () => resyncs, stop, fire, last: () => sources[sources.length - 1]! };
}

describe('followEventStream', () => {
  it('passes messages through; the first open is not a resync', () => {
    const h = harness();
    expect(h.sources).toHaveLength(1);
    h.last().handlers.open();
    h.last().handlers.message('{"a":1}');
    expect(h.messages).toEqual(['{"a":1}']);
    expect(h.resyncs()).toBe(0);
  });

  it('the browser reconnects by itself after a network error: one resync when it is back', () => {
    const h = harness();
    h.last().handlers.open();
    h.last().handlers.error(false); // CONNECTING: EventSource retries on its own
    h.last().handlers.error(false); // a failed retry
    expect(h.resyncs()).toBe(0);
    expect(h.sources).toHaveLength(1);
    expect(h.timers).toHaveLength(0);
    h.last().handlers.open();
    expect(h.resyncs()).toBe(1);
    h.last().handlers.open(); // a second open without an error in between is not another gap
    expect(h.resyncs()).toBe(1);
    h.last().handlers.error(false);
    h.last().handlers.open();
    expect(h.resyncs()).toBe(2);
  });

  it('a stream that gave up (HTTP error) is closed, replaced after the pause, and the new one resyncs', () => {
    const h = harness();
    const first = h.last();
    first.handlers.open();
    first.handlers.error(true);
    expect(first.closed).toBe(true);
    expect(h.timers.map((t) => t.ms)).toEqual([3000]);
    expect(h.sources).toHaveLength(1);
    h.fire();
    expect(h.sources).toHaveLength(2);
    // Late callbacks of the dead source are ignored.
    first.handlers.message('stale');
    first.handlers.open();
    expect(h.messages).toEqual([]);
    expect(h.resyncs()).toBe(0);
    // The replacement fails too (host still restarting), then comes up: one resync.
    h.last().handlers.error(true);
    h.fire();
    expect(h.sources).toHaveLength(3);
    h.last().handlers.open();
    expect(h.resyncs()).toBe(1);
    h.last().handlers.message('fresh');
    expect(h.messages).toEqual(['fresh']);
  });

  it('an error before the very first open still means a resync when it opens', () => {
    const h = harness({ syncErrorOnConnect: true });
    expect(h.sources[0]!.closed).toBe(true);
    h.fire();
    h.last().handlers.open();
    expect(h.resyncs()).toBe(1);
  });

  it('stopping closes the stream, cancels a pending reopen, and silences everything', () => {
    const h = harness();
    h.last().handlers.error(true);
    h.stop();
    expect(h.timers.every((t) => t.cleared)).toBe(true);
    expect(h.sources).toHaveLength(1);

    const k = harness();
    k.last().handlers.open();
    k.last().handlers.error(false);
    k.stop();
    expect(k.last().closed).toBe(true);
    k.last().handlers.open();
    k.last().handlers.message('late');
    expect(k.resyncs()).toBe(0);
    expect(k.messages).toEqual([]);
  });
});

// Following a server-sent event stream that may break: the browser-mode bridge's /rpc/events.
//
// The bridge does not replay what was sent while a stream was down (no Last-Event-ID), so after any
// error the renderer cannot know what it missed: a protection change, or the connection going offline
// and back. When a stream opens again after an error, `onResync` fires once, and the app re-reads
// everything that events would have kept current (connection status, the extensions). The first open
// does not fire it: the app has just read everything anyway.
//
// The browser's EventSource reconnects by itself after network errors (readyState CONNECTING) but
// gives up after an HTTP error status (CLOSED), e.g. while the host restarts; then a new one is opened
// after `retryMs`. No DOM here: the caller passes a factory, and the unit tests a fake.

/** What a stream reports to us; the caller wires its EventSource's handlers to these. */
export interface StreamHandlers {
  open(): void;
  message(data: string): void;
  /** `closed`: the source gave up (it will not reconnect by itself). */
  error(closed: boolean): void;
}

export interface StreamOptions {
  /** Open one stream (e.g. `new EventSource(url)`), wired to the handlers; returns how to close it. */
  connect(handlers: StreamHandlers): { close(): void };
  onMessage(data: string): void;
  /** The stream is back after an error: whatever was sent meanwhile is lost, re-read the state. */
  onResync(): void;
  /** Pause before opening a new stream when the old one gave up. */
  retryMs?: number;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
}

/** Follow the stream until the returned function is called. */
export function followEventStream(opts: StreamOptions): () => void {
  const retryMs = opts.retryMs ?? 3000;
  const setTimer = opts.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
  const clearTimer = opts.clearTimer ?? ((h) => clearTimeout(h as ReturnType<typeof setTimeout>));
  let current: { close(): void } | null = null;
  let timer: unknown = null;
  let stopped = false;
  /** Set by an error; cleared (with a resync) by the next successful open. */
  let gap = false;

  const open = (): void => {
    timer = null;
    if (stopped) return;
    let mine: { close(): void } | null = null;
    let gaveUp = false;
    const handlers: StreamHandlers = {
      open() {
        if (stopped || gaveUp) return;
        if (gap) {
          gap = false;
          opts.onResync();
        }
      },
      message(data) {
        if (!stopped && !gaveUp) opts.onMessage(data);
      },
      error(closed) {
        if (stopped || gaveUp) return;
        gap = true;
        if (!closed) return; // the source reconnects by itself; its next open resyncs
        gaveUp = true;
        mine?.close();
        if (current === mine) current = null;
        timer = setTimer(open, retryMs);
      },
    };
    mine = opts.connect(handlers);
    // connect() may have reported an error synchronously; only keep the source if it is still live.
    if (!gaveUp) current = mine;
    else mine.close();
  };

  open();
  return () => {
    stopped = true;
    if (timer !== null) clearTimer(timer);
    timer = null;
    current?.close();
    current = null;
  };
}

// The renderer's only way to talk to main. In Electron the preload exposes `window.warden`; in browser
// mode the same contract is carried over the loopback bridge: POST /rpc/<channel> for calls and an
// EventSource on /rpc/events for pushed events. Every answer is an Envelope; typed failures come back
// as {ok:false,error} with HTTP 200, so only 401/403 (this tab has no session cookie) is special.
import type { Channel, ChannelInput, ChannelOutput, ConsoleEvent, Envelope, WardenApi } from '../../shared/rpc';
import type { ErrorBody } from '../../shared/errors';
import { followEventStream } from './lib/eventStream';

/** A typed failure from main (or the PBX behind it), carrying the error body for the UI. */
export class RpcError extends Error {
  readonly code: string;
  readonly body: ErrorBody;
  constructor(body: ErrorBody) {
    super(body.message);
    this.name = 'RpcError';
    this.code = body.code;
    this.body = body;
  }
  get details(): ErrorBody['details'] {
    return this.body.details;
  }
}

// ---- browser-mode session state ----------------------------------------------------------------

type AuthListener = (signedIn: boolean) => void;
const authListeners = new Set<AuthListener>();
let signedIn = true;

function markNotSignedIn(): void {
  if (!signedIn) return;
  signedIn = false;
  for (const l of authListeners) l(false);
}

/** Browser mode only: tells the app when the bridge refused this tab (HTTP 401/403). */
export function onAuthChange(listener: AuthListener): () => void {
  authListeners.add(listener);
  if (!signedIn) listener(false);
  return () => authListeners.delete(listener);
}

const NOT_SIGNED_IN: ErrorBody = {
  code: 'unauthorized',
  message: 'This console tab is not signed in. Open the address printed by npm start again.',
};

function bridgeApi(): WardenApi {
  return {
    async call<C extends Channel>(channel: C, input: ChannelInput<C>): Promise<Envelope<ChannelOutput<C>>> {
      let res: Response;
      try {
        res = await fetch(`/rpc/${channel}`, {
          method: 'POST',
          credentials: 'same-origin',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify(input ?? {}),
        });
      } catch {
        return {
          ok: false,
          error: {
            code: 'bridge_unreachable',
            message: 'The console host is not answering. Check that npm start is still running, then try again.',
          },
        };
      }
      if (res.status === 401 || res.status === 403) {
        markNotSignedIn();
        return { ok: false, error: NOT_SIGNED_IN };
      }
      try {
        return (await res.json()) as Envelope<ChannelOutput<C>>;
      } catch {
        return {
          ok: false,
          error: { code: 'internal', message: `The console host sent an unreadable answer (HTTP ${res.status}).` },
        };
      }
    },

    onEvent(listener: (event: ConsoleEvent) => void): () => void {
      return bridgeEvents((event) => {
        if (event.kind !== 'resync') listener(event);
      });
    },
  };
}

/**
 * The renderer's own signal, next to the events main sends: the event stream was broken and is back,
 * so events may have been missed; re-read the state they keep current.
 */
export interface ResyncEvent {
  kind: 'resync';
}
export type StreamEvent = ConsoleEvent | ResyncEvent;

/** Browser mode: main's events over an EventSource on /rpc/events, with a resync after every break. */
function bridgeEvents(listener: (event: StreamEvent) => void): () => void {
  return followEventStream({
    connect(h) {
      const source = new EventSource('/rpc/events', { withCredentials: true });
      source.onopen = () => h.open();
      source.onmessage = (msg: MessageEvent<string>) => h.message(msg.data);
      source.onerror = () => h.error(source.readyState === EventSource.CLOSED);
      return source;
    },
    onMessage(data) {
      let event: ConsoleEvent;
      try {
        event = JSON.parse(data) as ConsoleEvent;
      } catch {
        // A malformed event is dropped; the next full refresh corrects the view.
        return;
      }
      listener(event);
    },
    onResync: () => listener({ kind: 'resync' }),
  });
}

export const api: WardenApi = typeof window !== 'undefined' && window.warden ? window.warden : bridgeApi();

/**
 * Main's events, plus a `resync` whenever the stream had a gap. Electron's IPC has no gaps (it lives
 * as long as the window); the browser-mode stream does.
 */
export function onStreamEvent(listener: (event: StreamEvent) => void): () => void {
  return typeof window !== 'undefined' && window.warden ? window.warden.onEvent(listener) : bridgeEvents(listener);
}

/** Call a channel and return its value, or throw an RpcError with the error body. */
export async function call<C extends Channel>(channel: C, input: ChannelInput<C>): Promise<ChannelOutput<C>> {
  let envelope: Envelope<ChannelOutput<C>>;
  try {
    envelope = await api.call(channel, input);
  } catch (e) {
    throw new RpcError({ code: 'internal', message: e instanceof Error ? e.message : String(e) });
  }
  if (envelope.ok) return envelope.value;
  throw new RpcError(envelope.error);
}

/** The error body of anything thrown, for display. */
export function errorBody(e: unknown): ErrorBody {
  if (e instanceof RpcError) return e.body;
  return { code: 'internal', message: e instanceof Error ? e.message : String(e) };
}

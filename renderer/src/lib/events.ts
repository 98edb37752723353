// One subscription to main's event stream for the whole renderer (in browser mode each subscription
// is an EventSource), fanned out to the components that care. Besides main's events, listeners get a
// `resync` after the stream had a gap (see lib/eventStream.ts): App re-reads the connection status and
// has the screens reload their data.
import { onStreamEvent, type StreamEvent } from '../api';

type Listener = (event: StreamEvent) => void;
const listeners = new Set<Listener>();
let unsubscribe: (() => void) | null = null;

export function subscribeEvents(listener: Listener): () => void {
  listeners.add(listener);
  if (!unsubscribe) {
    unsubscribe = onStreamEvent((event) => {
      for (const l of [...listeners]) l(event);
    });
  }
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0 && unsubscribe) {
      unsubscribe();
      unsubscribe = null;
    }
  };
}

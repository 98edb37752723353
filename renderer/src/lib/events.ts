// One subscription to main's event stream for the whole renderer (in browser mode each subscription
// is an EventSource), fanned out to the components that care.
import type { ConsoleEvent } from '../../../shared/rpc';
import { api } from '../api';

type Listener = (event: ConsoleEvent) => void;
const listeners = new Set<Listener>();
let unsubscribe: (() => void) | null = null;

export function subscribeEvents(listener: Listener): () => void {
  listeners.add(listener);
  if (!unsubscribe) {
    unsubscribe = api.onEvent((event) => {
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

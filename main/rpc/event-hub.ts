// Fan-out of console events (PBX events and connection status) to the transports' subscribers.
import type { ConsoleEvent } from '../../shared/rpc.js';

export class EventHub {
  private readonly listeners = new Set<(ev: ConsoleEvent) => void>();
  subscribe(listener: (ev: ConsoleEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  emit(ev: ConsoleEvent): void {
    for (const l of this.listeners) {
      try {
        l(ev);
      } catch {
        // one broken subscriber must not starve the others
      }
    }
  }
  get size(): number {
    return this.listeners.size;
  }
}

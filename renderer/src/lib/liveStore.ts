// The shell of a live store shared by the renderer's screens (lib/lockouts.ts, lib/hotdesk.ts): immutable
// tables loaded whole and patched by live events, for `useSyncExternalStore`.
//
// - loaded when the connection comes (back) online (once per online epoch, however many screens ask) and
//   again after a gap in the event stream (`resync`: events may have been missed);
// - patched by the PBX events the store `accepts`; events that arrive while a load is on its way are kept and
//   applied on top of its answer, in order (the answer may be older than such an event, never newer than the
//   events after it);
// - subscribed to the event stream while at least one user is mounted; the last one out clears the data.
//
// The pure event-applying logic stays in each store's module (unit-tested there); this file is the plumbing.
import { useEffect, useSyncExternalStore } from 'react';
import type { PbxEvent } from '../../../shared/events';
import type { ErrorBody } from '../../../shared/errors';
import type { StreamEvent } from '../api';

export type LoadStatus = 'idle' | 'loading' | 'ready' | 'failed';

export interface LiveSnapshot<T> {
  tables: T;
  status: LoadStatus;
  /** Why the last load failed (the previous tables stay shown). */
  error: ErrorBody | null;
  /** Bumped on every change, for memo keys. */
  version: number;
}

/** The event stream and the error reader, injectable for tests. */
export interface LiveDeps {
  subscribe(listener: (event: StreamEvent) => void): () => void;
  errorBody(e: unknown): ErrorBody;
}

export abstract class LiveStore<T, S extends LiveSnapshot<T>> {
  protected snap: S;
  private readonly listeners = new Set<() => void>();
  private retained = 0;
  private unsubscribe: (() => void) | null = null;
  /** Bumped by every load and by the last user leaving: an answer of an older load is dropped. */
  protected loadSeq = 0;
  /** Events received while a load is on its way; applied on top of its answer. */
  private pending: PbxEvent[] | null = null;
  private lastEpoch = -1;

  constructor(
    private readonly liveDeps: LiveDeps,
    private readonly initial: () => S,
  ) {
    this.snap = initial();
  }

  /** Whether this store keeps an event type current. */
  protected abstract accepts(ev: PbxEvent): boolean;
  /** One accepted event applied to the tables (the same object when nothing changes). */
  protected abstract apply(tables: T, ev: PbxEvent): T;
  /** Everything loaded whole: the tables, and whatever else the snapshot carries. */
  protected abstract fetch(): Promise<Partial<S> & { tables: T }>;

  getSnapshot = (): S => this.snap;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  protected set(next: Partial<S>): void {
    this.snap = { ...this.snap, ...next, version: this.snap.version + 1 };
    for (const l of [...this.listeners]) l();
  }

  /** Keep the live subscription while at least one user is mounted; the last one out clears the data. */
  retain(): () => void {
    this.retained++;
    if (!this.unsubscribe) this.unsubscribe = this.liveDeps.subscribe((e) => this.onStreamEvent(e));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.retained--;
      if (this.retained === 0) {
        this.unsubscribe?.();
        this.unsubscribe = null;
        this.loadSeq++;
        this.pending = null;
        this.lastEpoch = -1;
        this.snap = { ...this.initial(), version: this.snap.version + 1 };
        for (const l of [...this.listeners]) l();
      }
    };
  }

  /** Load for this online epoch unless already done (several screens ask with the same epoch). */
  loadForEpoch(epoch: number): void {
    if (epoch <= 0 || epoch === this.lastEpoch) return;
    this.lastEpoch = epoch;
    void this.load();
  }

  onStreamEvent(e: StreamEvent): void {
    if (e.kind === 'resync') {
      void this.load();
      return;
    }
    if (e.kind !== 'pbx' || !this.accepts(e.event)) return;
    if (this.pending) this.pending.push(e.event);
    const next = this.apply(this.snap.tables, e.event);
    if (next !== this.snap.tables) this.set({ tables: next } as Partial<S>);
  }

  async load(): Promise<void> {
    const seq = ++this.loadSeq;
    this.pending = [];
    if (this.snap.status !== 'ready') this.set({ status: 'loading', error: null } as Partial<S>);
    try {
      const loaded = await this.fetch();
      if (seq !== this.loadSeq) return;
      let tables = loaded.tables;
      for (const ev of this.pending ?? []) tables = this.apply(tables, ev);
      this.pending = null;
      this.set({ ...loaded, tables, status: 'ready', error: null });
    } catch (e) {
      if (seq !== this.loadSeq) return;
      this.pending = null;
      this.set({ status: this.snap.status === 'ready' ? 'ready' : 'failed', error: this.liveDeps.errorBody(e) } as Partial<S>);
    }
  }
}

/**
 * A live store for a component: keeps it subscribed while mounted and loads it for each online epoch (the
 * connection came (back) online).
 */
export function useLiveStore<St extends LiveStore<unknown, LiveSnapshot<unknown>>>(store: St, onlineEpoch: number): ReturnType<St['getSnapshot']> & { store: St } {
  const snap = useSyncExternalStore(store.subscribe, store.getSnapshot) as ReturnType<St['getSnapshot']>;
  useEffect(() => store.retain(), [store]);
  useEffect(() => {
    store.loadForEpoch(onlineEpoch);
  }, [store, onlineEpoch]);
  return { ...snap, store };
}

// The PIN policies of every credential kind, for live rule feedback (Credentials and Protection sections):
// one list for the console session, kept current by live events.
import { useEffect, useState } from 'react';
import type { PinPolicyResource } from '../../../shared/api';
import { call, errorBody } from '../api';
import { subscribeEvents } from './events';

// ---- policies: cached for the console session, kept current by live events ------------------------------
//
// One list for every open Credentials section. It is dropped, and the open sections load it again, when
// the PBX says a PIN policy changed (settings.changed, e.g. saved on the PIN policies screen or by another
// admin), after the event stream had a gap (resync: such an event may have been missed), and when the
// connection comes (back) online or goes to another PBX. A failed load is retried on the next open.

let policiesPromise: Promise<PinPolicyResource[]> | null = null;
/** The open sections: told to load the policies again after the cache was dropped. */
const policyWatchers = new Set<() => void>();
/** The one event subscription that keeps the cache current (set up by the first load, kept for the session). */
let policyEvents: (() => void) | null = null;
/** The last connection state and PBX profile seen, to notice "online again" and "another PBX". */
let lastConnection: { state: string; profileId: string | null } | null = null;

function dropPolicies(): void {
  policiesPromise = null;
  for (const w of [...policyWatchers]) w();
}

function watchPolicyEvents(): void {
  if (policyEvents) return;
  policyEvents = subscribeEvents((event) => {
    if (event.kind === 'resync') {
      dropPolicies();
    } else if (event.kind === 'pbx') {
      if (event.event.type === 'settings.changed' && event.event.setting === 'pin_policy') dropPolicies();
    } else if (event.kind === 'connection') {
      const prev = lastConnection;
      const next = { state: event.status.state, profileId: event.status.profileId };
      lastConnection = next;
      const backOnline = next.state === 'online' && (!prev || prev.state !== 'online' || prev.profileId !== next.profileId);
      if (backOnline) dropPolicies();
    }
  });
}

function loadPolicies(): Promise<PinPolicyResource[]> {
  watchPolicyEvents();
  if (!policiesPromise) {
    const p: Promise<PinPolicyResource[]> = call('policies.pin.list', {}).then(
      (r) => r.items,
      (e: unknown) => {
        if (policiesPromise === p) policiesPromise = null;
        throw e;
      },
    );
    policiesPromise = p;
  }
  return policiesPromise;
}

export type PolicyState = { status: 'loading' } | { status: 'ready'; items: PinPolicyResource[] } | { status: 'failed'; message: string };

/**
 * The PIN policies for a Credentials section, current: loaded again whenever the cache is dropped. While a
 * new list is on its way the previous one stays in use (an open form keeps its feedback and what was typed);
 * only the latest load lands.
 */
export function usePolicies(): PolicyState {
  const [state, setState] = useState<PolicyState>({ status: 'loading' });
  useEffect(() => {
    let alive = true;
    let seq = 0;
    const load = () => {
      const mine = ++seq;
      loadPolicies().then(
        (items) => {
          if (alive && mine === seq) setState({ status: 'ready', items });
        },
        (e: unknown) => {
          if (!alive || mine !== seq) return;
          // A refresh that fails keeps the rules already shown (the PBX still checks every value on save).
          setState((prev) => (prev.status === 'ready' ? prev : { status: 'failed', message: errorBody(e).message }));
        },
      );
    };
    policyWatchers.add(load);
    load();
    return () => {
      alive = false;
      policyWatchers.delete(load);
    };
  }, []);
  return state;
}

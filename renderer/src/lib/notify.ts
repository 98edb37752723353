// Desktop alerts (SPEC F3 / issue 4): a system notification when a NEW extension lock ('locked',
// 'permanent') or a new address ban ('added') arrives on the live event stream, through the browser's
// Notification API (browser mode; in Electron the same API, if the session allows the permission).
//
// Rules:
// - permission is only ever asked from a user gesture: the "Turn on desktop alerts" button calls
//   requestDesktopAlerts() from its click handler; nothing here asks by itself;
// - the text names the extension, the credential and the source address — never a PIN, password or token
//   (the events carry none anyway);
// - a person can turn alerts off again here (kept in localStorage) even though a granted browser permission
//   cannot be revoked from the page;
// - a burst (a brute force locking many extensions) is coalesced: at most one alert per extension or address
//   (the notification `tag` replaces the previous one) and at most MAX_PER_MINUTE in a minute, then one
//   summary.
import { useEffect, useState } from 'react';
import type { PbxEvent } from '../../../shared/events';
import { LOCK_CREDENTIAL_LABEL } from '../../../shared/lockout';
import { isNewLockOrBan } from './lockouts';
import { subscribeEvents } from './events';

export type AlertState = 'unsupported' | 'default' | 'granted' | 'denied' | 'off';

const PREF_KEY = 'pbx-warden.desktop-alerts';
const MAX_PER_MINUTE = 5;

type Listener = (s: AlertState) => void;
const stateListeners = new Set<Listener>();

function supported(): boolean {
  return typeof window !== 'undefined' && 'Notification' in window;
}

function prefOff(): boolean {
  try {
    return window.localStorage.getItem(PREF_KEY) === 'off';
  } catch {
    return false;
  }
}

function setPref(on: boolean): void {
  try {
    if (on) window.localStorage.removeItem(PREF_KEY);
    else window.localStorage.setItem(PREF_KEY, 'off');
  } catch {
    // private mode: the choice lasts for this page only
  }
}

export function desktopAlertState(): AlertState {
  if (!supported()) return 'unsupported';
  const p = Notification.permission;
  if (p === 'granted') return prefOff() ? 'off' : 'granted';
  return p === 'denied' ? 'denied' : 'default';
}

function announce(): void {
  const s = desktopAlertState();
  for (const l of [...stateListeners]) l(s);
}

/** From a click handler only: asks the browser for permission (if needed) and turns alerts on. */
export async function requestDesktopAlerts(): Promise<AlertState> {
  if (!supported()) return 'unsupported';
  setPref(true);
  if (Notification.permission === 'default') {
    try {
      await Notification.requestPermission();
    } catch {
      // old callback-style implementations: the state below says what happened
    }
  }
  announce();
  return desktopAlertState();
}

export function turnOffDesktopAlerts(): void {
  setPref(false);
  announce();
}

/** The alert state for a component, updated when it is turned on or off on this page. */
export function useDesktopAlertState(): AlertState {
  const [state, setState] = useState<AlertState>(() => desktopAlertState());
  useEffect(() => {
    stateListeners.add(setState);
    setState(desktopAlertState());
    return () => {
      stateListeners.delete(setState);
    };
  }, []);
  return state;
}

/** Title and body of the alert for an event, or null when the event is not a new lock or ban. No secrets. */
export function alertText(ev: PbxEvent): { title: string; body: string; tag: string } | null {
  if (!isNewLockOrBan(ev)) return null;
  if (ev.type === 'lockout.changed') {
    const who = ev.lock.label ? `${ev.number} (${ev.lock.label})` : ev.number;
    const what = LOCK_CREDENTIAL_LABEL[ev.credential];
    const from = ev.lock.lastAddress ?? ev.address;
    return {
      title: ev.action === 'permanent' ? `Extension ${ev.number} locked permanently` : `Extension ${ev.number} locked`,
      body:
        ev.action === 'permanent'
          ? `${what} of ${who} is locked until someone unlocks it, after repeated failed sign-ins (last from ${from}).`
          : `${what} of ${who} is locked after ${ev.lock.failures} failed sign-ins (last from ${from}).`,
      tag: `lock:${ev.number}`,
    };
  }
  if (ev.type === 'ban.changed') {
    return {
      title: `Address ${ev.ban.cidr} blocked`,
      body: ev.ban.addedBy === 'auto' ? `Blocked automatically: ${ev.ban.reason}.` : `Blocked by ${ev.ban.createdBy}: ${ev.ban.reason}`,
      tag: `ban:${ev.ban.cidr}`,
    };
  }
  return null;
}

/**
 * Follow the event stream and show an alert for each new lock or ban while alerts are on. Returns how to stop.
 * `onClick` runs when a person clicks an alert (e.g. open the Lockouts screen).
 */
export function startDesktopAlerts(onClick?: () => void): () => void {
  const shown = new Set<number>();
  let windowStart = 0;
  let inWindow = 0;
  let suppressed = 0;
  let summaryTimer: ReturnType<typeof setTimeout> | null = null;

  const show = (title: string, body: string, tag: string) => {
    try {
      const n = new Notification(title, { body, tag });
      n.onclick = () => {
        window.focus();
        onClick?.();
        n.close();
      };
    } catch {
      // some platforms only allow notifications from a service worker: nothing to show then
    }
  };

  const stop = subscribeEvents((e) => {
    if (e.kind !== 'pbx') return;
    const text = alertText(e.event);
    if (!text || desktopAlertState() !== 'granted') return;
    if (shown.has(e.event.id)) return;
    shown.add(e.event.id);
    if (shown.size > 500) shown.clear();
    const now = Date.now();
    if (now - windowStart > 60_000) {
      windowStart = now;
      inWindow = 0;
    }
    if (inWindow < MAX_PER_MINUTE) {
      inWindow++;
      show(text.title, text.body, text.tag);
      return;
    }
    suppressed++;
    if (!summaryTimer) {
      summaryTimer = setTimeout(() => {
        summaryTimer = null;
        const n = suppressed;
        suppressed = 0;
        if (n > 0 && desktopAlertState() === 'granted') {
          show(`${n} more lock${n === 1 ? '' : 's'} or block${n === 1 ? '' : 's'}`, 'Open the Lockouts screen of PBX Warden to see them all.', 'lockout-summary');
        }
      }, 10_000);
    }
  });
  return () => {
    stop();
    if (summaryTimer) clearTimeout(summaryTimer);
  };
}

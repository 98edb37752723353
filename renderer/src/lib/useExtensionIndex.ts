// The console's local index of every extension, shared by the Extensions and Reception screens:
// loaded whole (again each time the connection comes back online), then kept current by live events.
import { useCallback, useEffect, useRef, useState } from 'react';
import type { Extension, Site } from '../../../shared/domain';
import type { ErrorBody } from '../../../shared/errors';
import { call, errorBody } from '../api';
import { ExtensionIndex } from './extensionIndex';
import { subscribeEvents } from './events';

export interface ExtensionIndexState {
  index: ExtensionIndex | null;
  sites: Site[];
  /** Bumped whenever a row changes: how the mutable index tells React to re-filter. */
  version: number;
  loading: boolean;
  loadError: ErrorBody | null;
  load: () => Promise<void>;
  /** Apply a newer version of one extension (from an event or an action's answer). */
  applyUpdate: (ext: Extension) => void;
}

export function useExtensionIndex(onlineEpoch: number): ExtensionIndexState {
  const [index, setIndex] = useState<ExtensionIndex | null>(null);
  const [sites, setSites] = useState<Site[]>([]);
  const [version, setVersion] = useState(0);
  const [loading, setLoading] = useState(false);
  const [loadError, setLoadError] = useState<ErrorBody | null>(null);
  const indexRef = useRef<ExtensionIndex | null>(null);
  const loadingRef = useRef(false);
  const pending = useRef<Extension[]>([]);
  const loadSeq = useRef(0);

  const load = useCallback(async () => {
    // Reloads can overlap (back online, then a resync of the event stream): only the latest one lands.
    const seq = ++loadSeq.current;
    loadingRef.current = true;
    setLoading(true);
    setLoadError(null);
    try {
      const [all, siteList] = await Promise.all([call('extensions.all', {}), call('sites.list', {})]);
      if (seq !== loadSeq.current) return;
      const idx = new ExtensionIndex(all.items, siteList.items);
      // Live changes that arrived while the list was on its way (older versions are ignored).
      for (const ext of pending.current) idx.update(ext);
      pending.current = [];
      indexRef.current = idx;
      setIndex(idx);
      setSites(siteList.items);
      setVersion((v) => v + 1);
    } catch (e) {
      if (seq === loadSeq.current) setLoadError(errorBody(e));
    } finally {
      if (seq === loadSeq.current) {
        loadingRef.current = false;
        setLoading(false);
      }
    }
  }, []);

  useEffect(() => {
    if (onlineEpoch > 0) void load();
  }, [onlineEpoch, load]);

  const applyUpdate = useCallback((ext: Extension) => {
    if (loadingRef.current) pending.current.push(ext);
    const idx = indexRef.current;
    if (idx && idx.update(ext)) setVersion((v) => v + 1);
  }, []);

  useEffect(
    () =>
      subscribeEvents((event) => {
        if (event.kind !== 'pbx') return;
        const e = event.event;
        if (e.type === 'protection.changed' || e.type === 'credentials.changed' || e.type === 'extension.changed') {
          applyUpdate(e.extension);
        } else if (e.type === 'settings.changed' && e.setting === 'pin_policy' && e.kind === 'voicemail_pin') {
          // Whether each voicemail PIN meets the policy (a column of the table) changed on the PBX for many
          // rows at once, without new row versions: load the list again (policy changes are rare).
          void load();
        }
      }),
    [applyUpdate, load],
  );

  return { index, sites, version, loading, loadError, load, applyUpdate };
}

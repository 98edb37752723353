import type { WardenApi } from '../../shared/rpc';

declare global {
  interface Window {
    /** Provided by the Electron preload (contextBridge). Absent in browser mode. */
    warden?: WardenApi;
  }
}

export {};

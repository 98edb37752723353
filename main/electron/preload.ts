// Preload (sandboxed): exposes only the contract's API — never ipcRenderer itself.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type { ConsoleEvent, WardenApi } from '../../shared/rpc.js';

// Same value as RPC_PREFIX in shared/rpc.ts, written out so the sandboxed preload bundle stays tiny
// (importing the module would pull in zod and every schema).
const RPC_PREFIX = 'warden:';

const api: WardenApi = {
  call: (channel, input) => ipcRenderer.invoke(`${RPC_PREFIX}rpc`, channel, input),
  onEvent(listener) {
    const wrapped = (_e: IpcRendererEvent, ev: ConsoleEvent) => listener(ev);
    ipcRenderer.on(`${RPC_PREFIX}event`, wrapped);
    return () => ipcRenderer.removeListener(`${RPC_PREFIX}event`, wrapped);
  },
};

contextBridge.exposeInMainWorld('warden', Object.freeze(api));

import type { FleetApi } from '../../../shared/contract';
import { createWebClient } from './web-client';

declare global {
  interface Window {
    /** Exposed by the Electron preload (contextBridge): exactly the contract's requests plus `subscribe`. */
    readonly fleet?: FleetApi;
  }
}

export interface StationClient {
  readonly api: FleetApi;
  readonly kind: 'electron' | 'web';
  /** Reports (re)connections so that snapshots can be refetched; Electron IPC never drops. */
  onConnection(listener: (connected: boolean) => void): () => void;
}

/** Chosen once at startup: Electron IPC when the preload bridge is there, otherwise the web shell. */
export function selectClient(): StationClient {
  const bridge = window.fleet;
  if (bridge !== undefined) return { api: bridge, kind: 'electron', onConnection: () => () => undefined };
  const web = createWebClient();
  return { api: web, kind: 'web', onConnection: (l) => web.onConnection(l) };
}

import {
  channels,
  isEventName,
  requestNames,
  type EventName,
  type EventPayload,
  type FleetApi,
  type RequestFunctions,
  type Result,
} from '../../shared/contract';

/** What the preload needs from ipcRenderer, narrowed so the bridge can be built and tested without Electron. */
export interface RendererIpc {
  invoke(channel: string, input: unknown): Promise<unknown>;
  on(channel: string, listener: (payload: unknown) => void): () => void;
}

/**
 * The object the preload exposes as `window.fleet`: one function per contract request (each bound to its own
 * channel) and `subscribe` for the contract's events only. The raw ipcRenderer is never handed out.
 */
export function createBridge(ipc: RendererIpc): FleetApi {
  const functions = Object.fromEntries(
    requestNames.map((name) => {
      const channel = channels.request(name);
      return [name, (input: unknown) => ipc.invoke(channel, input) as Promise<Result<unknown>>];
    }),
  ) as unknown as RequestFunctions;
  return {
    ...functions,
    subscribe<E extends EventName>(name: E, listener: (payload: EventPayload<E>) => void): () => void {
      if (!isEventName(name)) throw new Error(`no event named "${String(name)}" in the contract`);
      return ipc.on(channels.event(name), (payload) => listener(payload as EventPayload<E>));
    },
  };
}

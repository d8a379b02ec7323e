import { contextBridge, ipcRenderer } from 'electron';
import { createBridge } from './bridge';

/**
 * The preload of the sandboxed renderer: exposes exactly the contract as `window.fleet`. Listeners never see
 * the IpcRendererEvent (it would leak `sender`), only the payload.
 */
contextBridge.exposeInMainWorld(
  'fleet',
  createBridge({
    invoke: (channel, input) => ipcRenderer.invoke(channel, input),
    on: (channel, listener) => {
      const wrapped = (_event: unknown, payload: unknown): void => listener(payload);
      ipcRenderer.on(channel, wrapped);
      return () => {
        ipcRenderer.removeListener(channel, wrapped);
      };
    },
  }),
);

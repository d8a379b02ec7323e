import { channels, eventNames, fail, requestNames, type EventName, type Result } from '../../shared/contract';
import type { Dispatch } from '../core/handlers';
import type { EventSource } from '../shell-web/server';
import type { Disposable } from '../transport/types';

/** What the IPC wiring needs from ipcMain, narrowed so it can be tested over an in-memory channel pair. */
export interface MainIpc {
  handle(
    channel: string,
    handler: (event: { readonly senderUrl: string | undefined }, input: unknown) => Promise<unknown>,
  ): void;
  removeHandler(channel: string): void;
}

export interface IpcOptions {
  readonly ipc: MainIpc;
  readonly dispatch: Dispatch;
  readonly events: EventSource;
  /** Pushes an event to the window (webContents.send). */
  readonly send: (channel: string, payload: unknown) => void;
  /** True only for frames showing our own renderer (the app:// origin); anything else is refused. */
  readonly isTrustedSender: (senderUrl: string | undefined) => boolean;
}

/**
 * Binds the contract to Electron IPC: one handler per request channel (validated sender, then the shared
 * dispatch, which validates the input) and one push channel per event. `dispose()` removes all of it.
 */
export function bindIpc(options: IpcOptions): Disposable {
  for (const name of requestNames) {
    options.ipc.handle(channels.request(name), async (event, input): Promise<Result<unknown>> => {
      if (!options.isTrustedSender(event.senderUrl)) return fail('forbidden', 'the sender is not the station window');
      return options.dispatch(name, input);
    });
  }
  const subscriptions = eventNames.map((name: EventName) =>
    options.events.on(name, (payload: unknown) => options.send(channels.event(name), payload)),
  );
  return {
    dispose: () => {
      for (const name of requestNames) options.ipc.removeHandler(channels.request(name));
      for (const s of subscriptions) s.dispose();
    },
  };
}

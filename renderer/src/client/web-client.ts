import {
  apiPrefix,
  fail,
  requestNames,
  serverMessageSchema,
  socketPath,
  type EventName,
  type EventPayload,
  type FleetApi,
  type RequestFunctions,
  type RequestName,
  type Result,
} from '../../../shared/contract';

type Listener = (payload: unknown) => void;

export interface WebClient extends FleetApi {
  /** Called with true when the event socket (re)connects, false when it drops. */
  onConnection(listener: (connected: boolean) => void): () => void;
  close(): void;
}

/**
 * The contract over the web shell: requests as POST /api/<name>, events from the WebSocket (reconnected with a
 * growing delay when it drops). Everything comes back as a Result; network failures become error data too.
 */
export function createWebClient(origin: string = window.location.origin): WebClient {
  const listeners = new Map<string, Set<Listener>>();
  const connectionListeners = new Set<(connected: boolean) => void>();
  let socket: WebSocket | undefined;
  let closed = false;
  let retryMs = 250;

  const connect = (): void => {
    const ws = new WebSocket(`${origin.replace(/^http/, 'ws')}${socketPath}`);
    socket = ws;
    ws.onopen = () => {
      retryMs = 250;
      for (const l of connectionListeners) l(true);
    };
    ws.onmessage = (message) => {
      if (typeof message.data !== 'string') return;
      const parsed = serverMessageSchema.safeParse(JSON.parse(message.data));
      if (!parsed.success || parsed.data.kind !== 'event') return;
      for (const l of listeners.get(parsed.data.name) ?? []) l(parsed.data.payload);
    };
    ws.onclose = () => {
      for (const l of connectionListeners) l(false);
      if (closed) return;
      setTimeout(connect, retryMs);
      retryMs = Math.min(retryMs * 2, 5000);
    };
  };
  connect();

  const call = async (name: RequestName, input: unknown): Promise<Result<unknown>> => {
    try {
      const response = await fetch(`${origin}${apiPrefix}${name}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(input),
      });
      return (await response.json()) as Result<unknown>;
    } catch (error) {
      return fail(
        'internal',
        `the station is not reachable: ${error instanceof Error ? error.message : 'network error'}`,
      );
    }
  };

  const functions = Object.fromEntries(
    requestNames.map((name) => [name, (input: unknown) => call(name, input)]),
  ) as unknown as RequestFunctions;

  return {
    ...functions,
    subscribe<E extends EventName>(name: E, listener: (payload: EventPayload<E>) => void) {
      const set = listeners.get(name) ?? new Set<Listener>();
      listeners.set(name, set);
      const wrapped: Listener = (payload) => listener(payload as EventPayload<E>);
      set.add(wrapped);
      return () => set.delete(wrapped);
    },
    onConnection(listener) {
      connectionListeners.add(listener);
      return () => connectionListeners.delete(listener);
    },
    close() {
      closed = true;
      socket?.close();
    },
  };
}

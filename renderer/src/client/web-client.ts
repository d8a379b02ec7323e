import {
  events,
  fail,
  isEventName,
  requestNames,
  requests,
  serverMessageSchema,
  socketPath,
  type ClientMessage,
  type EventName,
  type EventPayload,
  type FleetApi,
  type RequestFunctions,
  type RequestName,
  type Result,
} from '../../../shared/contract';

type Listener = (payload: unknown) => void;

export interface WebClient extends FleetApi {
  /** Called at once with the current state, then with true when the socket (re)connects, false when it drops. */
  onConnection(listener: (connected: boolean) => void): () => void;
  close(): void;
}

/**
 * The contract over the web shell's WebSocket: requests carry an id and are answered in any order, events are
 * pushed. Requests made while the socket is (re)connecting wait for it; a drop answers the requests in flight
 * with an error (as data) and reconnects with a growing delay. Errors never surface as HTTP failures.
 */
export function createWebClient(origin: string = window.location.origin): WebClient {
  const listeners = new Map<string, Set<Listener>>();
  const connectionListeners = new Set<(connected: boolean) => void>();
  const inFlight = new Map<
    number,
    { readonly name: RequestName; readonly resolve: (result: Result<unknown>) => void }
  >();
  let waiting: ClientMessage[] = [];
  let socket: WebSocket | undefined;
  let closed = false;
  let retryMs = 250;
  let nextId = 1;
  let connected = false;
  const setConnected = (up: boolean): void => {
    connected = up;
    for (const l of connectionListeners) l(up);
  };

  const connect = (): void => {
    const ws = new WebSocket(`${origin.replace(/^http/, 'ws')}${socketPath}`);
    socket = ws;
    ws.onopen = () => {
      retryMs = 250;
      for (const message of waiting.splice(0)) ws.send(JSON.stringify(message));
      setConnected(true);
    };
    ws.onmessage = (message) => {
      if (typeof message.data !== 'string') return;
      const parsed = serverMessageSchema.safeParse(JSON.parse(message.data));
      if (!parsed.success) return;
      const data = parsed.data;
      if (data.kind === 'response') {
        const pending = inFlight.get(data.id);
        inFlight.delete(data.id);
        pending?.resolve(checked(pending.name, data.result));
        return;
      }
      // Only events the contract declares, with payloads that match it, reach the application.
      if (!isEventName(data.name) || !events[data.name].safeParse(data.payload).success) return;
      for (const l of listeners.get(data.name) ?? []) l(data.payload);
    };
    ws.onclose = () => {
      for (const { resolve } of inFlight.values()) resolve(fail('internal', 'the connection to the station dropped'));
      inFlight.clear();
      setConnected(false);
      if (closed) return;
      setTimeout(connect, retryMs);
      retryMs = Math.min(retryMs * 2, 5000);
    };
  };
  connect();

  const call = (name: RequestName, input: unknown): Promise<Result<unknown>> =>
    new Promise((resolve) => {
      const message: ClientMessage = { kind: 'request', id: nextId++, name, input };
      inFlight.set(message.id, { name, resolve });
      if (socket?.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
      else waiting.push(message);
    });

  /** A value that does not match the request's declared output is turned into an error, not trusted. */
  const checked = (name: RequestName, result: Result<unknown>): Result<unknown> =>
    !result.ok || requests[name].output.safeParse(result.value).success
      ? result
      : fail('internal', `the station's answer to ${name} does not match the contract`);

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
      // Tell a late subscriber where things stand: the socket may have opened before it subscribed.
      listener(connected);
      return () => connectionListeners.delete(listener);
    },
    close() {
      closed = true;
      waiting = [];
      socket?.close();
    },
  };
}

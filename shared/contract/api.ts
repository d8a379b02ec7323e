import type { Result } from './errors';
import type { EventName, EventPayload } from './events';
import type { ParsedInput, RequestInput, RequestName, RequestOutput } from './requests';

/** Main's side: one handler per request, receiving input already validated against the contract. */
export type Handlers = {
  readonly [N in RequestName]: (input: ParsedInput<N>) => Promise<Result<RequestOutput<N>>>;
};

/** One function per request, as the renderer calls them (and as the Electron preload exposes them). */
export type RequestFunctions = {
  readonly [N in RequestName]: (input: RequestInput<N>) => Promise<Result<RequestOutput<N>>>;
};

export type EventListener<E extends EventName> = (payload: EventPayload<E>) => void;

/** The renderer's whole view of the station: the requests plus event subscription. */
export interface FleetApi extends RequestFunctions {
  /** Returns the unsubscribe function. */
  subscribe<E extends EventName>(name: E, listener: EventListener<E>): () => void;
}

/** IPC channel names, derived from the request and event names (Electron shell). */
export const channels = {
  request: (name: RequestName): string => `fleet:request:${name}`,
  event: (name: EventName): string => `fleet:event:${name}`,
} as const;

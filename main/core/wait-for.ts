import type { EventName, EventPayload } from '../../shared/contract';
import type { Station } from './station';

/**
 * Resolves with the first payload of `event` that satisfies `accept` (checking `current` first, so a state
 * already reached counts). Event-driven: callers wait for what they need instead of sleeping.
 */
export function waitForEvent<E extends EventName>(
  station: Station,
  event: E,
  accept: (payload: EventPayload<E>) => boolean,
  current?: EventPayload<E>,
  timeoutMs = 20_000,
): Promise<EventPayload<E>> {
  if (current !== undefined && accept(current)) return Promise.resolve(current);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      subscription.dispose();
      reject(new Error(`${event}: the awaited state did not come within ${timeoutMs} ms`));
    }, timeoutMs);
    const subscription = station.on(event, (payload) => {
      if (!accept(payload)) return;
      clearTimeout(timer);
      subscription.dispose();
      resolve(payload);
    });
  });
}

/** Waits until every listed module has left `identifying`. */
export function waitForIdentified(station: Station): Promise<EventPayload<'modulesChanged'>> {
  return waitForEvent(
    station,
    'modulesChanged',
    (list) => list.every((m) => m.state !== 'identifying'),
    station.list(),
  );
}

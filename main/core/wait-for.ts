import type { EventName, EventPayload, ModuleInfo } from '../../shared/contract';
import { DisposableStore } from '../base';
import type { Station } from './station';

/**
 * Resolves with the first payload of `event` that satisfies `accept`. Event-driven: callers wait for what they
 * need instead of sleeping; the deadline is only a safety net.
 */
export function waitForEvent<E extends EventName>(
  station: Station,
  event: E,
  accept: (payload: EventPayload<E>) => boolean,
  timeoutMs = 20_000,
): Promise<EventPayload<E>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      subscription.dispose();
      reject(new Error(`${event}: the awaited event did not come within ${timeoutMs} ms`));
    }, timeoutMs);
    const subscription = station.on(event, (payload) => {
      if (!accept(payload)) return;
      clearTimeout(timer);
      subscription.dispose();
      resolve(payload);
    });
  });
}

/** Resolves with the unit list once `accept` holds for it: checked now and after every pushed unit change. */
export function waitForModules(
  station: Station,
  accept: (list: ModuleInfo[]) => boolean,
  timeoutMs = 20_000,
): Promise<ModuleInfo[]> {
  const now = station.list();
  if (accept(now)) return Promise.resolve(now);
  return new Promise((resolve, reject) => {
    const subscriptions = new DisposableStore();
    const timer = setTimeout(() => {
      subscriptions.dispose();
      reject(
        new Error(`the awaited unit states did not come within ${timeoutMs} ms: ${JSON.stringify(station.list())}`),
      );
    }, timeoutMs);
    const check = (): void => {
      const list = station.list();
      if (!accept(list)) return;
      clearTimeout(timer);
      subscriptions.dispose();
      resolve(list);
    };
    subscriptions.add(station.on('moduleChanged', check));
    subscriptions.add(station.on('moduleRemoved', check));
  });
}

/** Resolves once `moduleId` satisfies `accept`. */
export async function waitForModule(
  station: Station,
  moduleId: string,
  accept: (module: ModuleInfo) => boolean,
  timeoutMs = 20_000,
): Promise<ModuleInfo> {
  const list = await waitForModules(
    station,
    (modules) => modules.some((m) => m.id === moduleId && accept(m)),
    timeoutMs,
  );
  const found = list.find((m) => m.id === moduleId);
  if (found === undefined) throw new Error(`${moduleId} is not listed`);
  return found;
}

/** Waits until no listed unit is still being attached or identified. */
export function waitForIdentified(station: Station, timeoutMs = 20_000): Promise<ModuleInfo[]> {
  return waitForModules(
    station,
    (list) => list.every((m) => m.connection !== 'identifying' && m.connection !== 'attached'),
    timeoutMs,
  );
}

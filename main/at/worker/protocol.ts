import type { AtEvent } from '../vocab/types';

/**
 * Messages between the main thread and a parser worker. One worker hosts the parsers of many ports; messages
 * of one port travel in order (postMessage is FIFO per channel), which is what keeps a port's events in order.
 */
export type ToWorker =
  | { readonly type: 'open'; readonly portId: string }
  /** `chunk` is transferred, not copied. */
  | { readonly type: 'bytes'; readonly portId: string; readonly chunk: Uint8Array }
  | { readonly type: 'note'; readonly portId: string; readonly line: string }
  | { readonly type: 'close'; readonly portId: string };

export type FromWorker =
  /** The events completed by one `bytes` message (never sent empty). */
  | { readonly type: 'events'; readonly portId: string; readonly events: AtEvent[] }
  /** A message the worker could not act on (unknown port, malformed message). Carries no line content. */
  | { readonly type: 'problem'; readonly portId: string | null; readonly message: string };

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** Runtime check of a message arriving at the worker: the types vanish at the thread boundary. */
export function parseToWorker(value: unknown): ToWorker | null {
  if (!isObject(value) || typeof value.portId !== 'string') return null;
  const portId = value.portId;
  switch (value.type) {
    case 'open':
    case 'close':
      return { type: value.type, portId };
    case 'bytes':
      return value.chunk instanceof Uint8Array ? { type: 'bytes', portId, chunk: value.chunk } : null;
    case 'note':
      return typeof value.line === 'string' ? { type: 'note', portId, line: value.line } : null;
    default:
      return null;
  }
}

/** Runtime check of a reply arriving at the main thread (structure only; events are trusted worker output). */
export function parseFromWorker(value: unknown): FromWorker | null {
  if (!isObject(value)) return null;
  if (value.type === 'events' && typeof value.portId === 'string' && Array.isArray(value.events)) {
    return { type: 'events', portId: value.portId, events: value.events as AtEvent[] };
  }
  if (value.type === 'problem' && typeof value.message === 'string') {
    return { type: 'problem', portId: typeof value.portId === 'string' ? value.portId : null, message: value.message };
  }
  return null;
}

import type { HoldKind, ParserOptions } from '../parser';
import type { AtEvent } from '../vocab/types';

/**
 * Messages between the main thread and a parser worker. One worker hosts the parsers of many ports; messages
 * of one port travel in order (postMessage is FIFO per channel), which is what keeps a port's events in order and
 * a note ahead of the bytes that answer it.
 */
export type ToWorker =
  | { readonly type: 'open'; readonly portId: string; readonly options?: ParserOptions }
  /** `chunk` is transferred, not copied. */
  | { readonly type: 'bytes'; readonly portId: string; readonly chunk: Uint8Array }
  | { readonly type: 'note'; readonly portId: string; readonly line: string }
  /** The engine writes `length` payload bytes after a prompt (AtStreamParser.notePayload). */
  | { readonly type: 'payload'; readonly portId: string; readonly length: number }
  /** Give up the payload being taken whole, or only one of kind `only` (AtStreamParser.abandonHold). */
  | { readonly type: 'abandon'; readonly portId: string; readonly only?: HoldKind }
  | { readonly type: 'close'; readonly portId: string };

export type FromWorker =
  /**
   * The events completed by one message, and `hold` when the parser started or stopped taking a payload whole
   * (absent when that did not change). Never sent with no events and no hold change.
   */
  | {
      readonly type: 'events';
      readonly portId: string;
      readonly events: AtEvent[];
      readonly hold?: HoldKind | null;
    }
  /** A message the worker could not act on (unknown port, malformed message). Carries no line content. */
  | { readonly type: 'problem'; readonly portId: string | null; readonly message: string };

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

const HOLDS: readonly (HoldKind | null)[] = ['recv-counted', 'recv-quoted', 'data', null];

function parserOptions(value: unknown): ParserOptions | null | undefined {
  if (value === undefined) return undefined;
  if (!isObject(value)) return null;
  const { live, maxRecvPayload } = value;
  if (live !== undefined && typeof live !== 'boolean') return null;
  if (maxRecvPayload !== undefined && typeof maxRecvPayload !== 'number') return null;
  return {
    ...(live !== undefined ? { live } : {}),
    ...(maxRecvPayload !== undefined ? { maxRecvPayload } : {}),
  };
}

/**
 * The messages one postMessage carries: each side posts an array of the messages of one turn, in order (a lone
 * message is taken as an array of one).
 */
export function messagesIn(posted: unknown): readonly unknown[] {
  return Array.isArray(posted) ? posted : [posted];
}

/** Runtime check of a message arriving at the worker: the types vanish at the thread boundary. */
export function parseToWorker(value: unknown): ToWorker | null {
  if (!isObject(value) || typeof value.portId !== 'string') return null;
  const portId = value.portId;
  switch (value.type) {
    case 'open': {
      const options = parserOptions(value.options);
      if (options === null) return null;
      return options === undefined ? { type: 'open', portId } : { type: 'open', portId, options };
    }
    case 'close':
      return { type: value.type, portId };
    case 'abandon': {
      if (value.only === undefined) return { type: 'abandon', portId };
      const only = HOLDS.find((h) => h !== null && h === value.only);
      return only == null ? null : { type: 'abandon', portId, only };
    }
    case 'bytes':
      return value.chunk instanceof Uint8Array ? { type: 'bytes', portId, chunk: value.chunk } : null;
    case 'note':
      return typeof value.line === 'string' ? { type: 'note', portId, line: value.line } : null;
    case 'payload':
      return typeof value.length === 'number' ? { type: 'payload', portId, length: value.length } : null;
    default:
      return null;
  }
}

/** Runtime check of a reply arriving at the main thread (structure only; events are trusted worker output). */
export function parseFromWorker(value: unknown): FromWorker | null {
  if (!isObject(value)) return null;
  if (value.type === 'events' && typeof value.portId === 'string' && Array.isArray(value.events)) {
    const events = value.events as AtEvent[];
    const hold = HOLDS.find((h) => h === value.hold);
    return value.hold === undefined || hold === undefined
      ? { type: 'events', portId: value.portId, events }
      : { type: 'events', portId: value.portId, events, hold };
  }
  if (value.type === 'problem' && typeof value.message === 'string') {
    return { type: 'problem', portId: typeof value.portId === 'string' ? value.portId : null, message: value.message };
  }
  return null;
}

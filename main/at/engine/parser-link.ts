import { AtStreamParser } from '../parser';
import type { AtEvent } from '../vocab/types';
import type { Disposable } from '../../transport/types';

/**
 * What the engine needs from a parser: bytes in, the command about to be written, events out. The worker pool's
 * per-port handle (ParserPool.open) has exactly this shape, and so does the in-thread link below, so the engine
 * runs the same over both.
 */
export interface ParserLink {
  push(bytes: Uint8Array): void;
  /** Called just before a command line is written, so the parser can classify its answer (see CommandNotice). */
  note(line: string): void;
  /** Events in stream order, batched per pushed chunk. */
  onEvents(listener: (events: readonly AtEvent[]) => void): Disposable;
  /** The parser lost its state (its worker died and was replaced); the engine fails its transaction and resyncs. */
  onRestart?(listener: (reason: string) => void): Disposable;
  dispose(): void;
}

/**
 * A parser running on the calling thread: for unit tests, the log decoder and single-port tools. Events are
 * delivered synchronously from push(), which is fine because the engine never pushes from an event handler.
 */
export function inThreadParserLink(parser: AtStreamParser = new AtStreamParser()): ParserLink {
  const listeners = new Set<(events: readonly AtEvent[]) => void>();
  let open = true;
  return {
    push(bytes) {
      if (!open) return;
      const events = parser.push(bytes);
      if (events.length === 0) return;
      for (const listener of [...listeners]) listener(events);
    },
    note(line) {
      if (open) parser.noteCommand(line);
    },
    onEvents(listener) {
      listeners.add(listener);
      return { dispose: () => listeners.delete(listener) };
    },
    dispose() {
      open = false;
      listeners.clear();
    },
  };
}

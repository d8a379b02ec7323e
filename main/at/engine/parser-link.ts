import { Emitter, type Event } from '../../base';
import { AtStreamParser, type HoldKind } from '../parser';
import type { AtEvent } from '../vocab/types';

/**
 * What the engine needs from a parser: bytes in, what is about to be written, events out. The worker pool's
 * per-port handle (ParserPool.open) has exactly this shape, and so does the in-thread link below, so the engine
 * runs the same over both.
 */
export interface ParserLink {
  push(bytes: Uint8Array): void;
  /** Called just before a command line is written, so the parser can classify its answer (see CommandNotice). */
  note(line: string): void;
  /** Called just before a payload is written after a prompt, so the parser counts its echo (and nothing else). */
  notePayload(length: number): void;
  /** Makes the parser give up the payload it is taking whole (or only one of kind `only`). */
  abandonHold(only?: HoldKind): void;
  /** Events in stream order, batched per pushed chunk. */
  readonly onEvents: Event<readonly AtEvent[]>;
  /** The parser started (a kind) or stopped (null) taking a payload whole; told after the events of that chunk. */
  readonly onHold: Event<HoldKind | null>;
  /** The parser lost its state (its worker died and was replaced); the engine fails its transaction and resyncs. */
  readonly onRestart?: Event<string>;
  dispose(): void;
}

/**
 * A parser running on the calling thread: for unit tests, the log decoder and single-port tools. Events are
 * delivered synchronously from push(), which is fine because the engine never pushes from an event handler.
 * The parser is a live one (it counts a payload echo only when told, see ParserOptions.live).
 */
export function inThreadParserLink(parser: AtStreamParser = new AtStreamParser({ live: true })): ParserLink {
  const events = new Emitter<readonly AtEvent[]>('parser.events');
  const holds = new Emitter<HoldKind | null>('parser.hold');
  let open = true;
  let hold: HoldKind | null = null;
  const deliver = (batch: readonly AtEvent[]): void => {
    if (batch.length > 0) events.fire(batch);
    const now = parser.hold;
    if (now !== hold) {
      hold = now;
      holds.fire(now);
    }
  };
  return {
    push(bytes) {
      if (open) deliver(parser.push(bytes));
    },
    note(line) {
      if (open) parser.noteCommand(line);
    },
    notePayload(length) {
      if (!open) return;
      parser.notePayload(length);
      deliver([]);
    },
    abandonHold(only) {
      if (open) deliver(parser.abandonHold(only));
    },
    onEvents: events.event,
    onHold: holds.event,
    dispose() {
      open = false;
      events.dispose();
      holds.dispose();
    },
  };
}

import { AtStreamParser, type HoldKind } from '../parser/index';
import type { AtEvent } from '../vocab/types';
import type { FromWorker } from './protocol';
import { parseToWorker } from './protocol';

interface Hosted {
  readonly parser: AtStreamParser;
  /** The hold last reported to the main thread. */
  hold: HoldKind | null;
}

const NO_EVENTS: AtEvent[] = [];

/**
 * The parsers of the ports assigned to one worker, behind the message protocol. Kept apart from the worker
 * entry so that it runs (and is tested) in-thread too; the entry only wires it to `parentPort`.
 */
export class ParserHost {
  private readonly parsers = new Map<string, Hosted>();

  /** Handles one message; returns the reply to post, if any. Never throws. */
  handle(message: unknown): FromWorker | null {
    const msg = parseToWorker(message);
    if (msg === null) return { type: 'problem', portId: null, message: 'malformed message to parser worker' };
    if (msg.type === 'open') {
      try {
        this.parsers.set(msg.portId, { parser: new AtStreamParser(msg.options), hold: null });
      } catch {
        return { type: 'problem', portId: msg.portId, message: 'parser options out of range' };
      }
      return null;
    }
    if (msg.type === 'close') {
      this.parsers.delete(msg.portId);
      return null;
    }
    const hosted = this.parsers.get(msg.portId);
    if (hosted === undefined) return unknownPort(msg.portId);
    const { parser } = hosted;
    let events = NO_EVENTS;
    switch (msg.type) {
      case 'note':
        parser.noteCommand(msg.line);
        return null;
      case 'payload':
        parser.notePayload(msg.length);
        break;
      case 'abandon':
        events = parser.abandonHold();
        break;
      case 'bytes':
        events = parser.push(msg.chunk);
        break;
    }
    const hold = parser.hold;
    if (hold === hosted.hold) return events.length === 0 ? null : { type: 'events', portId: msg.portId, events };
    hosted.hold = hold;
    return { type: 'events', portId: msg.portId, events, hold };
  }

  get portCount(): number {
    return this.parsers.size;
  }
}

function unknownPort(portId: string): FromWorker {
  return { type: 'problem', portId, message: 'port is not open in the parser worker' };
}

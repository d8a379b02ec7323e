import { AtStreamParser } from '../parser/index';
import type { FromWorker } from './protocol';
import { parseToWorker } from './protocol';

/**
 * The parsers of the ports assigned to one worker, behind the message protocol. Kept apart from the worker
 * entry so that it runs (and is tested) in-thread too; the entry only wires it to `parentPort`.
 */
export class ParserHost {
  private readonly parsers = new Map<string, AtStreamParser>();

  /** Handles one message; returns the reply to post, if any. Never throws. */
  handle(message: unknown): FromWorker | null {
    const msg = parseToWorker(message);
    if (msg === null) return { type: 'problem', portId: null, message: 'malformed message to parser worker' };
    switch (msg.type) {
      case 'open':
        this.parsers.set(msg.portId, new AtStreamParser());
        return null;
      case 'close':
        this.parsers.delete(msg.portId);
        return null;
      case 'note': {
        const parser = this.parsers.get(msg.portId);
        if (parser === undefined) return unknownPort(msg.portId);
        parser.noteCommand(msg.line);
        return null;
      }
      case 'bytes': {
        const parser = this.parsers.get(msg.portId);
        if (parser === undefined) return unknownPort(msg.portId);
        const events = parser.push(msg.chunk);
        return events.length === 0 ? null : { type: 'events', portId: msg.portId, events };
      }
    }
  }

  get portCount(): number {
    return this.parsers.size;
  }
}

function unknownPort(portId: string): FromWorker {
  return { type: 'problem', portId, message: 'port is not open in the parser worker' };
}

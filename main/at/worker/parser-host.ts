import { AtStreamParser, type HoldKind } from '../parser/index';
import type { AtEvent } from '../vocab/types';
import type { FromWorker } from './protocol';
import { parseToWorker } from './protocol';

interface Hosted {
  readonly parser: AtStreamParser;
  /** The hold last reported to the main thread. */
  hold: HoldKind | null;
  /** Reports a hold that began, once it has lasted HOLD_REPORT_MS. */
  timer: ReturnType<typeof setTimeout> | null;
}

/**
 * How long a payload must be taken whole before the main thread is told. Most holds are a message that spans two
 * reads and ends a few milliseconds later: reporting each would double the messages a busy port sends. The
 * engine's trap timers count in seconds, so a report this late changes nothing there.
 */
export const HOLD_REPORT_MS = 250;

const NO_EVENTS: AtEvent[] = [];

/**
 * The parsers of the ports assigned to one worker, behind the message protocol. Kept apart from the worker
 * entry so that it runs (and is tested) in-thread too; the entry only wires it to `parentPort`.
 */
export class ParserHost {
  private readonly parsers = new Map<string, Hosted>();

  /** `post` sends a reply that comes later than the message it answers (a hold that lasted). */
  constructor(private readonly post: (reply: FromWorker) => void = () => undefined) {}

  /** Handles one message; returns the reply to post, if any. Never throws. */
  handle(message: unknown): FromWorker | null {
    const msg = parseToWorker(message);
    if (msg === null) return { type: 'problem', portId: null, message: 'malformed message to parser worker' };
    if (msg.type === 'open') {
      try {
        this.parsers.set(msg.portId, { parser: new AtStreamParser(msg.options), hold: null, timer: null });
      } catch {
        return { type: 'problem', portId: msg.portId, message: 'parser options out of range' };
      }
      return null;
    }
    if (msg.type === 'close') {
      const hosted = this.parsers.get(msg.portId);
      if (hosted?.timer != null) clearTimeout(hosted.timer);
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
        events = parser.abandonHold(msg.only);
        break;
      case 'bytes':
        events = parser.push(msg.chunk);
        break;
    }
    const hold = parser.hold;
    // A hold that begins is told once it has lasted; an end (or a change of kind) of a told hold at once.
    if (hold !== null && hosted.hold === null) this.reportLater(msg.portId, hosted);
    if (hold === hosted.hold || (hold !== null && hosted.hold === null)) {
      return events.length === 0 ? null : { type: 'events', portId: msg.portId, events };
    }
    hosted.hold = hold;
    return { type: 'events', portId: msg.portId, events, hold };
  }

  private reportLater(portId: string, hosted: Hosted): void {
    if (hosted.timer !== null) return;
    hosted.timer = setTimeout(() => {
      hosted.timer = null;
      const hold = hosted.parser.hold;
      if (this.parsers.get(portId) !== hosted || hold === null || hosted.hold !== null) return;
      hosted.hold = hold;
      this.post({ type: 'events', portId, events: [], hold });
    }, HOLD_REPORT_MS);
  }

  get portCount(): number {
    return this.parsers.size;
  }
}

function unknownPort(portId: string): FromWorker {
  return { type: 'problem', portId, message: 'port is not open in the parser worker' };
}

import { ParserHost } from './parser-host';
import type { FromWorker } from './protocol';

/** The part of a MessagePort the parser service uses (parentPort in a worker). */
export interface ParserChannel {
  on(event: 'message', listener: (message: unknown) => void): unknown;
  postMessage(message: FromWorker, transfer: ArrayBuffer[]): void;
}

/** Serves the parser protocol on a channel: every message handled in order, replies posted back. */
export function serveParsers(channel: ParserChannel): void {
  const post = (reply: FromWorker): void => channel.postMessage(reply, transferList(reply));
  const host = new ParserHost(post);
  channel.on('message', (message: unknown) => {
    const reply = host.handle(message);
    if (reply !== null) post(reply);
  });
}

/** Replies carry payload bytes: transfer their buffers rather than copy them (each event owns its own). */
function transferList(reply: FromWorker): ArrayBuffer[] {
  if (reply.type !== 'events') return [];
  const transfer = new Set<ArrayBuffer>();
  for (const event of reply.events) {
    if (event.kind === 'data' || event.kind === 'recv') {
      const bytes = event.kind === 'data' ? event.bytes : event.payload;
      // Only a buffer the event owns whole may be moved; anything else is copied by the clone.
      if (bytes.buffer instanceof ArrayBuffer && bytes.byteLength === bytes.buffer.byteLength) {
        transfer.add(bytes.buffer);
      }
    }
  }
  return [...transfer];
}

import { parentPort } from 'node:worker_threads';
import { ParserHost } from './parser-host';
import type { FromWorker } from './protocol';

/**
 * Worker entry: hosts the AT parsers of many ports (see ParserPool). Only parsing runs here; serial I/O stays
 * on the main thread (serialport reads crash inside worker threads).
 */
const port = parentPort;
if (port !== null) {
  const host = new ParserHost();
  port.on('message', (message: unknown) => {
    const reply = host.handle(message);
    if (reply !== null) post(reply);
  });
}

/** Replies carry payload bytes: transfer their buffers rather than copy them (they are fresh per event). */
function post(reply: FromWorker): void {
  if (port === null) return;
  if (reply.type !== 'events') {
    port.postMessage(reply);
    return;
  }
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
  port.postMessage(reply, [...transfer]);
}

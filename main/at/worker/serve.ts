import { ParserHost } from './parser-host';
import { messagesIn, type FromWorker } from './protocol';
import type { AtEvent } from '../vocab/types';

/** The part of a MessagePort the parser service uses (parentPort in a worker). */
export interface ParserChannel {
  on(event: 'message', listener: (message: unknown) => void): unknown;
  postMessage(messages: readonly FromWorker[], transfer: ArrayBuffer[]): void;
}

/**
 * Serves the parser protocol on a channel: every message handled in order, the replies to one posted batch posted
 * back together (one array, in order).
 */
export function serveParsers(channel: ParserChannel): void {
  const post = (replies: readonly FromWorker[]): void => channel.postMessage(replies, transferList(replies));
  const host = new ParserHost((reply) => post([reply]));
  channel.on('message', (posted: unknown) => {
    const replies: FromWorker[] = [];
    for (const message of messagesIn(posted)) {
      const reply = host.handle(message);
      if (reply !== null) replies.push(reply);
    }
    if (replies.length > 0) post(replies);
  });
}

/** Replies carry payload bytes: transfer their buffers rather than copy them (each event owns its own). */
function transferList(replies: readonly FromWorker[]): ArrayBuffer[] {
  const transfer = new Set<ArrayBuffer>();
  for (const reply of replies) {
    if (reply.type === 'events') addPayloads(reply.events, transfer);
  }
  return [...transfer];
}

function addPayloads(events: readonly AtEvent[], transfer: Set<ArrayBuffer>): void {
  for (const event of events) {
    if (event.kind === 'data' || event.kind === 'recv') {
      const bytes = event.kind === 'data' ? event.bytes : event.payload;
      // Only a buffer the event owns whole may be moved; anything else is copied by the clone.
      if (bytes.buffer instanceof ArrayBuffer && bytes.byteLength === bytes.buffer.byteLength) {
        transfer.add(bytes.buffer);
      }
    }
  }
}

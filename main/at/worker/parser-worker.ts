import { parentPort } from 'node:worker_threads';
import { serveParsers } from './serve';

/**
 * Worker entry: hosts the AT parsers of many ports (see ParserPool). Only parsing runs here; serial I/O stays
 * on the main thread (serialport reads crash inside worker threads). The listener is attached while this
 * module evaluates, so messages posted before are queued by Node, not lost.
 */
if (parentPort !== null) {
  const port = parentPort;
  serveParsers({
    on: (event, listener) => port.on(event, listener),
    postMessage: (message, transfer) => port.postMessage(message, transfer),
  });
}

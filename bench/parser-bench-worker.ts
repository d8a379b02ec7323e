import { parentPort } from 'node:worker_threads';
import { AtStreamParser } from '../main/at/parser/index';

/**
 * Benchmark worker: parses the chunks it is sent and, on 'mark', reports the time spent inside the parser
 * since the previous mark, so the figure is the parser's own speed in a worker thread, apart from messaging.
 */
const port = parentPort;
if (port !== null) {
  const parser = new AtStreamParser();
  let parseMs = 0;
  let bytes = 0;
  let events = 0;
  port.on('message', (message: unknown) => {
    if (message instanceof Uint8Array) {
      const t0 = performance.now();
      events += parser.push(message).length;
      parseMs += performance.now() - t0;
      bytes += message.length;
    } else if (message === 'mark') {
      port.postMessage({ parseMs, bytes, events });
      parseMs = 0;
      bytes = 0;
      events = 0;
    }
  });
}

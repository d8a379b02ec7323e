/**
 * Child process of bench/engine-event-loop.ts: plays the modules. It opens the device end of each pseudo-terminal
 * given on the command line and writes unsolicited traffic into it at the wire rate of a UART (BAUD, 8N1 = 10 bits
 * a byte), so the station's main thread receives what 64 busy modules would send. It runs in its own process so
 * its work does not count against the main thread being measured. Stops on SIGTERM or when stdin closes.
 */
import { open, type FileHandle } from 'node:fs/promises';

const BAUD = Number(process.env.FEEDER_BAUD ?? 115200);
const BYTES_PER_SECOND = BAUD / 10;
const TICK_MS = 10;

/** Unsolicited traffic of a busy module: received messages of mixed sizes (with quotes, commas and CR LF), pings, link events. */
function trafficPattern(seed: number): Buffer {
  let x = seed + 1;
  const rand = (n: number): number => {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    return x % n;
  };
  const parts: string[] = [];
  for (let i = 0; i < 200; i++) {
    const r = rand(100);
    if (r < 70) {
      const size = 16 + rand(600);
      const body = `{"seq":${i},"temp":"${(rand(400) / 10).toFixed(1)}","note":"a, \\"b\\"\r\nc"}`.padEnd(size, 'x');
      parts.push(`\r\n+QMTRECV: 0,${rand(65535)},"fleet/dev${seed}/cmd",${Buffer.byteLength(body)},"${body}"\r\n`);
    } else if (r < 85) {
      parts.push(`\r\n+QMTRECV: 1,${rand(5)}\r\n`);
    } else if (r < 95) {
      parts.push(`\r\n+QIURC: "pdpdeact",1\r\n`);
    } else {
      parts.push('\r\n+QMTPING: 2,1\r\n');
    }
  }
  return Buffer.from(parts.join(''));
}

interface Feed {
  readonly handle: FileHandle;
  readonly pattern: Buffer;
  offset: number;
  owed: number;
  busy: boolean;
}

const paths = process.argv.slice(2);
const feeds: Feed[] = await Promise.all(
  paths.map(async (path, i) => ({
    handle: await open(path, 'w'),
    pattern: trafficPattern(i),
    offset: 0,
    owed: 0,
    busy: false,
  })),
);

let last = performance.now();
const timer = setInterval(() => {
  const now = performance.now();
  const due = ((now - last) / 1000) * BYTES_PER_SECOND;
  last = now;
  for (const feed of feeds) {
    feed.owed += due;
    if (feed.busy || feed.owed < 1) continue;
    const count = Math.floor(feed.owed);
    feed.owed -= count;
    const chunk = Buffer.alloc(count);
    for (let i = 0; i < count; i++) {
      chunk[i] = feed.pattern[feed.offset] ?? 0x20;
      feed.offset = (feed.offset + 1) % feed.pattern.length;
    }
    feed.busy = true;
    feed.handle.write(chunk).then(
      () => (feed.busy = false),
      () => (feed.busy = true), // the station went away: stop feeding this port
    );
  }
}, TICK_MS);

const stop = (): void => {
  clearInterval(timer);
  void Promise.allSettled(feeds.map((feed) => feed.handle.close())).then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.stdin.on('end', stop);
process.stdin.resume();
process.stdout.write('ready\n');

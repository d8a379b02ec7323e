/**
 * Benchmark: the main thread's event-loop delay while PORTS pseudo-terminals stream unsolicited traffic at the
 * full rate of a 115200-baud UART into a Station: the same set-up as bench/engine-event-loop.ts (serial I/O on this
 * thread, parsing in the ParserPool's workers, the modules played by bench/engine-stream-feeder.ts in a child
 * process), with the station core on top: unit registry, per-unit URC forwarding, the redacted transcript of every
 * line, transcript batches and unit events pushed to one subscriber that serialises them as the web shell does.
 * The units never answer AT, so each keeps probing for its boot (as a unit that is still starting would).
 *
 * Run: `node bin/run-ts.mjs bench/station-event-loop.ts [PORTS=64] [SECONDS=10]`
 */
import { spawn } from 'node:child_process';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { eventNames } from '../shared/contract';
import { AtEngine } from '../main/at/engine';
import { ParserPool } from '../main/at/worker/pool';
import { Station } from '../main/core/station';
import { startPtyPair, type PtyPair } from '../main/transport/pty-pair';
import { SerialTransport } from '../main/transport/serial';

const PORTS = Number(process.argv[2] ?? 64);
const SECONDS = Number(process.argv[3] ?? 10);
const BAUD = 115200;

if (!Number.isInteger(PORTS) || PORTS < 1 || PORTS > 256 || !(SECONDS > 0)) {
  console.error('usage: station-event-loop.ts [PORTS 1-256] [SECONDS > 0]');
  process.exit(2);
}

const pairs: PtyPair[] = [];
const pool = new ParserPool();
const station = new Station({
  openEngine: (transport) => new AtEngine({ transport, parser: pool.open(transport.id) }),
  bootWaitMs: 3_600_000,
});
let bytesIn = 0;
let pushedEvents = 0;
let pushedBytes = 0;
let lines = 0;
for (const name of eventNames) {
  station.on(name, (payload) => {
    pushedEvents++;
    pushedBytes += JSON.stringify({ kind: 'event', name, payload }).length;
    if (name === 'transcriptLines' && Array.isArray(payload)) lines += payload.length;
  });
}

try {
  for (let start = 0; start < PORTS; start += 8) {
    const batch = await Promise.all(Array.from({ length: Math.min(8, PORTS - start) }, () => startPtyPair()));
    pairs.push(...batch);
  }
  for (const pair of pairs) {
    const transport = await SerialTransport.open({ path: pair.a, baudRate: BAUD });
    transport.onData((chunk) => (bytesIn += chunk.byteLength));
    station.attach(transport);
  }

  const feeder = spawn(
    process.execPath,
    [
      new URL('../bin/run-ts.mjs', import.meta.url).pathname,
      new URL('./engine-stream-feeder.ts', import.meta.url).pathname,
      ...pairs.map((p) => p.b),
    ],
    { stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, FEEDER_BAUD: String(BAUD) } },
  );
  await new Promise<void>((resolve, reject) => {
    feeder.stdout.once('data', () => resolve());
    feeder.once('exit', (code) => reject(new Error(`feeder exited early (${String(code)})`)));
  });

  await new Promise((resolve) => setTimeout(resolve, 1000));
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  const cpuBefore = process.cpuUsage();
  const start = { bytes: bytesIn, events: pushedEvents, pushed: pushedBytes, lines };
  const started = performance.now();
  histogram.enable();
  await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000));
  histogram.disable();
  const elapsed = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);

  feeder.stdin.end();
  await new Promise((resolve) => feeder.once('exit', resolve));

  const ms = (ns: number): string => (ns / 1e6).toFixed(2);
  console.log(`station event loop: ${PORTS} pty ports at ${BAUD} baud into a Station, ${elapsed.toFixed(1)} s`);
  console.log(
    `  bytes in          ${((bytesIn - start.bytes) / elapsed / 1024).toFixed(0)} KiB/s (wire maximum ${((PORTS * BAUD) / 10 / 1024).toFixed(0)} KiB/s)`,
  );
  console.log(`  transcript lines  ${((lines - start.lines) / elapsed).toFixed(0)}/s`);
  console.log(
    `  pushed            ${((pushedEvents - start.events) / elapsed).toFixed(0)} events/s, ${((pushedBytes - start.pushed) / elapsed / 1024).toFixed(0)} KiB/s`,
  );
  console.log(
    `  event-loop delay  p50 ${ms(histogram.percentile(50))} ms  p99 ${ms(histogram.percentile(99))} ms  max ${ms(histogram.max)} ms`,
  );
  console.log(`  main-thread CPU   ${(((cpu.user + cpu.system) / 1e6 / elapsed) * 100).toFixed(0)} % of one core`);
} finally {
  await station.dispose();
  await Promise.all(pairs.map((p) => p.stop()));
  await pool.dispose();
}

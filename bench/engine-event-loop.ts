/**
 * Benchmark: the main thread's event-loop delay while PORTS pseudo-terminals stream unsolicited traffic at the
 * full rate of a 115200-baud UART into AT engines. Serial I/O and the engines run on this (main) thread, as in
 * the station; parsing runs in the ParserPool's workers (`pool`, the production set-up) or on this thread
 * (`inline`, for comparison). The modules are played by a child process (bench/engine-stream-feeder.ts) so
 * that their work is not measured. Target: p99 < 10 ms with the pool.
 *
 * Run: `node bin/run-ts.mjs bench/engine-event-loop.ts [PORTS=64] [SECONDS=10] [pool|inline]`
 */
import { spawn } from 'node:child_process';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { AtEngine, inThreadParserLink, type ParserLink } from '../main/at/engine';
import { ParserPool } from '../main/at/worker/pool';
import { startPtyPair, type PtyPair } from '../main/transport/pty-pair';
import { SerialTransport } from '../main/transport/serial';

const PORTS = Number(process.argv[2] ?? 64);
const SECONDS = Number(process.argv[3] ?? 10);
const MODE = process.argv[4] === 'inline' ? 'inline' : 'pool';
const BAUD = 115200;

if (!Number.isInteger(PORTS) || PORTS < 1 || PORTS > 256 || !(SECONDS > 0)) {
  console.error('usage: engine-event-loop.ts [PORTS 1-256] [SECONDS > 0] [pool|inline]');
  process.exit(2);
}

const pairs: PtyPair[] = [];
const transports: SerialTransport[] = [];
const engines: AtEngine[] = [];
const pool = MODE === 'pool' ? new ParserPool() : null;
let bytesIn = 0;
let urcs = 0;
let messages = 0;

try {
  for (let start = 0; start < PORTS; start += 8) {
    const batch = await Promise.all(Array.from({ length: Math.min(8, PORTS - start) }, () => startPtyPair()));
    pairs.push(...batch);
  }
  for (const pair of pairs) {
    const transport = await SerialTransport.open({ path: pair.a, baudRate: BAUD });
    transports.push(transport);
    transport.onData((chunk) => (bytesIn += chunk.byteLength));
    const parser: ParserLink = pool ? pool.open(pair.a) : inThreadParserLink();
    const engine = new AtEngine({ transport, parser });
    engine.onAnyUrc((event) => {
      urcs++;
      if (event.kind === 'recv') messages++;
    });
    engines.push(engine);
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

  // Warm up (workers started, JIT), then measure.
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  const cpuBefore = process.cpuUsage();
  const startBytes = bytesIn;
  const startUrcs = urcs;
  const startMessages = messages;
  const started = performance.now();
  histogram.enable();
  await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000));
  histogram.disable();
  const elapsed = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  // While the traffic flows (once the feeder stops mid-message, a message left unfinished is rightly a trap).
  const healthy = engines.filter((engine) => engine.health.state === 'ok').length;

  feeder.stdin.end();
  await new Promise((resolve) => feeder.once('exit', resolve));

  const ms = (ns: number): string => (ns / 1e6).toFixed(2);
  const wireRate = (PORTS * BAUD) / 10;
  console.log(
    `engine event loop: ${PORTS} pty ports at ${BAUD} baud, parsing ${MODE === 'pool' ? 'in the worker pool' : 'on the main thread'}, ${elapsed.toFixed(1)} s`,
  );
  console.log(
    `  bytes in          ${((bytesIn - startBytes) / elapsed / 1024).toFixed(0)} KiB/s (wire maximum ${(wireRate / 1024).toFixed(0)} KiB/s)`,
  );
  console.log(
    `  URCs routed       ${((urcs - startUrcs) / elapsed).toFixed(0)}/s (+QMTRECV messages ${((messages - startMessages) / elapsed).toFixed(0)}/s)`,
  );
  console.log(
    `  event-loop delay  p50 ${ms(histogram.percentile(50))} ms  p99 ${ms(histogram.percentile(99))} ms  max ${ms(histogram.max)} ms`,
  );
  console.log(`  main-thread CPU   ${(((cpu.user + cpu.system) / 1e6 / elapsed) * 100).toFixed(0)} % of one core`);
  console.log(`  engines healthy   ${healthy}/${engines.length}`);
} finally {
  for (const engine of engines) engine.dispose();
  await Promise.all(transports.map((t) => t.close()));
  await Promise.all(pairs.map((p) => p.stop()));
  await pool?.dispose();
}

import { ParserPool } from '../main/at/worker/pool';
import { AtStreamParser } from '../main/at/parser/index';
import { startWorker } from '../main/platform/worker';
import { chunked, mixedStream } from './parser-stream';

/**
 * Throughput of the AT parser on a realistic mixed stream (bench/parser-stream.ts), each figure the median of
 * several passes after a warm-up pass (a station runs for hours; its parser is JIT-warm):
 *  1. in the main thread (baseline);
 *  2. inside a worker thread, timing only the parser: the figure the >= 100 MB/s target applies to;
 *  3. end to end through ParserPool (copy, transfer, parse, structured clone of the events back), one port;
 *  4. end to end with 4 ports on 1 and on 2 workers: what the default worker count rests on.
 * Usage: node bin/run-ts.mjs bench/parser-throughput.ts [MB=8] [chunk=4096] [passes=5]
 */
const megabytes = Number(process.argv[2] ?? 8);
const chunkSize = Number(process.argv[3] ?? 4096);
const passes = Number(process.argv[4] ?? 5);
const stream = mixedStream(megabytes * 1024 * 1024);
const chunks = chunked(stream, chunkSize);
const MB = 1024 * 1024;

interface Figures {
  readonly median: number;
  readonly best: number;
}

function figures(rates: number[]): Figures {
  const sorted = [...rates].sort((a, b) => a - b);
  return { median: sorted[Math.floor(sorted.length / 2)] ?? 0, best: sorted[sorted.length - 1] ?? 0 };
}

function show(label: string, f: Figures, note = ''): void {
  console.log(
    `${label.padEnd(34)} median ${f.median.toFixed(1).padStart(6)} MB/s, best ${f.best.toFixed(1)} MB/s${note}`,
  );
}

function inThread(): Figures & { events: number } {
  const rates: number[] = [];
  let events = 0;
  for (let pass = 0; pass <= passes; pass++) {
    const parser = new AtStreamParser();
    events = 0;
    const t0 = performance.now();
    for (const chunk of chunks) events += parser.push(chunk).length;
    if (pass > 0) rates.push(stream.length / MB / ((performance.now() - t0) / 1000));
  }
  return { ...figures(rates), events };
}

async function inWorker(): Promise<Figures> {
  const worker = startWorker(new URL('./parser-bench-worker.ts', import.meta.url));
  const rates: number[] = [];
  for (let pass = 0; pass <= passes; pass++) {
    for (const chunk of chunks) worker.postMessage(chunk.slice());
    const report = await new Promise<{ parseMs: number; bytes: number }>((resolve) => {
      worker.once('message', resolve);
      worker.postMessage('mark');
    });
    if (pass > 0) rates.push(report.bytes / MB / (report.parseMs / 1000));
  }
  await worker.terminate();
  return figures(rates);
}

async function throughPool(workers: number, ports: number, eventsPerStream: number): Promise<Figures> {
  const pool = new ParserPool({ workers });
  const handles = Array.from({ length: ports }, (_, i) => pool.open(`bench${i}`));
  const counts = handles.map(() => 0);
  let wake: (() => void) | null = null;
  handles.forEach((h, i) =>
    h.onEvents((batch) => {
      counts[i] = (counts[i] ?? 0) + batch.length;
      wake?.();
    }),
  );
  const rates: number[] = [];
  for (let pass = 0; pass <= passes; pass++) {
    const target = (pass + 1) * eventsPerStream;
    const t0 = performance.now();
    for (const chunk of chunks) for (const h of handles) h.push(chunk);
    await new Promise<void>((resolve) => {
      wake = () => {
        if (counts.every((c) => c >= target)) resolve();
      };
      wake();
    });
    if (pass > 0) rates.push((stream.length * ports) / MB / ((performance.now() - t0) / 1000));
  }
  await pool.dispose();
  return figures(rates);
}

console.log(
  `stream: ${(stream.length / MB).toFixed(1)} MB mixed (echo on), ${chunks.length} chunks of ${chunkSize} bytes`,
);
const base = inThread();
show('in-thread parser', base, ` (${base.events} events per pass)`);
show('parser inside a worker', await inWorker(), ' (parse time only)');
show('ParserPool end to end, 1 port', await throughPool(1, 1, base.events), ' (events cloned back)');
for (const workers of [1, 2]) {
  show(`ParserPool, 4 ports, ${workers} worker${workers > 1 ? 's' : ''}`, await throughPool(workers, 4, base.events));
}

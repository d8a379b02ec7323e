import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * `npm run bench`: every benchmark in turn, each in its own Node process (so one's heap and threads do not
 * skew the next), printing its figures. Name some to run only those: `npm run bench -- parser emulator`.
 */
const benches: readonly { readonly name: string; readonly file: string; readonly node?: readonly string[] }[] = [
  { name: 'parser', file: 'parser-throughput.ts' },
  { name: 'event-loop', file: 'engine-event-loop.ts' },
  { name: 'emulator', file: 'emulator-64.ts', node: ['--expose-gc'] },
  { name: 'net', file: 'net-session.ts' },
  { name: 'web-shell', file: 'web-shell.ts' },
  { name: 'store', file: 'store.ts' },
  { name: 'report', file: 'report.ts', node: ['--expose-gc'] },
  { name: 'station-loop', file: 'station-event-loop.ts' },
  { name: 'events', file: 'event-volume.ts' },
  { name: 'decode', file: 'decode.ts' },
  { name: 'cli-startup', file: 'cli-startup.ts' },
  { name: 'provision', file: 'provision.ts', node: ['--expose-gc'] },
];

const wanted = process.argv.slice(2);
const runTs = fileURLToPath(new URL('../bin/run-ts.mjs', import.meta.url));
let failed = 0;
for (const bench of benches) {
  if (wanted.length > 0 && !wanted.includes(bench.name)) continue;
  const file = fileURLToPath(new URL(`./${bench.file}`, import.meta.url));
  console.log(`\n== ${bench.name} (bench/${bench.file}) ==`);
  const run = spawnSync(process.execPath, [...(bench.node ?? []), runTs, file], { stdio: 'inherit' });
  if (run.status !== 0) {
    failed += 1;
    console.log(`bench ${bench.name} failed (exit ${String(run.status ?? run.signal)})`);
  }
}
process.exitCode = failed > 0 ? 1 : 0;

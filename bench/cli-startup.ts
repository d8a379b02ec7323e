import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Start-up of the `fleet-station` command line: every CLI test and every scripted production-line call pays it.
 * Each command runs RUNS times as a child process under /usr/bin/time -v; the median wall time and the peak RSS
 * are printed. `node -e 0` is the floor (Node itself). Usage: node bin/run-ts.mjs bench/cli-startup.ts [RUNS=7]
 */

const runs = Number(process.argv[2] ?? 7);
const repo = fileURLToPath(new URL('../', import.meta.url));
const cli = join(repo, 'bin/fleet-station.mjs');

const cases: readonly { readonly name: string; readonly args: readonly string[] }[] = [
  { name: 'node -e 0 (the floor)', args: ['-e', '0'] },
  { name: 'fleet-station --version', args: [cli, '--version'] },
  { name: 'fleet-station --help', args: [cli, '--help'] },
  { name: 'fleet-station provision --help', args: [cli, 'provision', '--help'] },
  // A usage error: parsed, refused with exit 2, nothing else loaded.
  { name: 'fleet-station report (no --out)', args: [cli, 'report'] },
  // A command that runs: its module is loaded, the log decoded.
  { name: 'fleet-station decode package.json', args: [cli, 'decode', join(repo, 'package.json')] },
];

function once(args: readonly string[]): { wallS: number; rssMb: number } {
  const run = spawnSync('/usr/bin/time', ['-v', process.execPath, ...args], {
    cwd: repo,
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
  });
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(run.stderr)?.[1];
  const wall = /Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)/.exec(run.stderr);
  const wallS = wall ? Number(wall[1] ?? 0) * 3600 + Number(wall[2]) * 60 + Number(wall[3]) : NaN;
  return { wallS, rssMb: Number(rss ?? NaN) / 1024 };
}

for (const { name, args } of cases) {
  const results = Array.from({ length: runs }, () => once(args));
  const walls = results.map((r) => r.wallS).sort((a, b) => a - b);
  const median = walls[Math.floor(walls.length / 2)] ?? NaN;
  const rss = Math.max(...results.map((r) => r.rssMb));
  console.log(`${name.padEnd(36)} median ${median.toFixed(2)} s wall over ${runs} runs, peak RSS ${rss.toFixed(0)} MB`);
}

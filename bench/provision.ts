import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { embeddedBrokerHosts } from '../main/app/virtual-fleet';
import { describeFinal } from '../main/at/decode/describe';
import { AtEngine } from '../main/at/engine';
import { ParserPool } from '../main/at/worker/pool';
import { startEmbeddedBroker } from '../main/broker/embedded';
import { Station } from '../main/core/station';
import { waitForIdentified } from '../main/core/wait-for';
import { InProcessTransport } from '../main/emulator/in-process-transport';
import { createMqttClientSession } from '../main/emulator/net/session';
import { pacingModel, PACING_NAMES, type PacingName } from '../main/emulator/pacing';
import { VirtualModule } from '../main/emulator/virtual-module';
import { loadProfile } from '../main/provisioning';
import { startBatch } from '../main/provisioning/batch';
import { loadManifest, toCredentialInputs } from '../main/provisioning/manifest';
import { openSqliteStore, type Store } from '../main/store';
import type { ByteTransport } from '../main/transport/types';

/**
 * Batch provisioning at realistic pacing (issue 10's acceptance): the demo profile on in-process virtual modules
 * paced at 115200 baud both ways, answering as an EC200U on LTE would (main/emulator/pacing.ts: command
 * processing, the network's round trips for every MQTT exchange, DNS and TCP for AT+QMTOPEN, flash writes),
 * through the production parts: worker-thread parsers, the station's runner, the SQLite store (credential claims
 * fsynced, every step committed), the embedded aedes broker. Every run gets a fresh data directory, so every unit
 * claims a new credential as on a production line. Prints, each the median of several runs:
 *  - one module alone against its floor: the emulator's own busy time during the run (the wire time of every byte
 *    both ways at 115200 baud, its processing, the modeled network; overlaps counted once), as it scheduled it;
 *  - N modules at once against one alone;
 *  - the station's memory per unit: heap and RSS after GC, over the fleet attached and provisioned, with and
 *    without the virtual modules' own share;
 *  - the CPU the process spends per unit-run (main thread and workers).
 *
 * Usage: node --expose-gc bin/run-ts.mjs bench/provision.ts [N=64] [--runs R=5] [--pacing realistic|fast]
 *        [--profile DIR] (a CPU profile of the main thread during each N-unit batch, for `node --cpu-prof` tools)
 */

const args = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
};
const positional = args.filter((arg, i) => !arg.startsWith('--') && !(args[i - 1] ?? '').startsWith('--'));
const COUNT = Number(positional[0] ?? 64);
const RUNS = Number(option('--runs') ?? 5);
const PACING = (option('--pacing') ?? 'realistic') as PacingName;
const PROFILE_DIR = option('--profile');
if (!Number.isInteger(COUNT) || COUNT < 1 || COUNT > 256 || !Number.isInteger(RUNS) || RUNS < 1) {
  throw new Error('usage: provision.ts [N 1-256] [--runs R] [--pacing realistic|fast] [--profile DIR]');
}
if (!PACING_NAMES.includes(PACING)) throw new Error(`--pacing: one of ${PACING_NAMES.join(', ')}`);

const BAUD = 115_200;
const FLOOR_LIMIT = 1.1;
const BATCH_LIMIT = 1.2;
const demo = new URL('../profiles/demo/demo.yaml', import.meta.url).pathname;
const manifestFile = new URL('../profiles/demo/manifest.csv', import.meta.url).pathname;

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) console.log('(run with --expose-gc for memory after GC)');
function memory(): { heap: number; rss: number } {
  gc?.();
  gc?.();
  const usage = process.memoryUsage();
  return { heap: usage.heapUsed, rss: usage.rss };
}
const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? NaN) : ((sorted[mid - 1] ?? NaN) + (sorted[mid] ?? NaN)) / 2;
};
const load = (): string =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

const loaded = await loadProfile(demo);
if (!loaded.ok) throw new Error('the demo profile does not load');
const profile = loaded.profile;
const credentials = toCredentialInputs(await loadManifest(manifestFile));
const broker = await startEmbeddedBroker();
const hostMap = new Map(embeddedBrokerHosts.map((name) => [name, { host: broker.host, port: broker.port }]));
const pool = new ParserPool();
const pacing = pacingModel(PACING);

/** A fresh data directory with the demo manifest imported: every unit claims a new credential. */
async function freshStore(): Promise<{ store: Store; remove: () => Promise<void> }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-provision-'));
  const store = await openSqliteStore({ dataDir });
  const imported = await store.ledger.importCredentials(credentials);
  if (!imported.ok) throw new Error('manifest refused');
  return {
    store,
    remove: async () => {
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

interface RunFigures {
  readonly ms: number;
  readonly passed: number;
  /** The emulator's busy time during the run, per module. */
  readonly floors: readonly number[];
  /** Process CPU (user + system, all threads) during the run. */
  readonly cpuMs: number;
  /** The station's turnaround per module: from the last bytes it received to each write of its, summed. */
  readonly turnarounds: readonly number[];
  /** The emulator's lateness per module (see TimedPort). */
  readonly lates: readonly number[];
  /** From each module's last bytes to the run's end. */
  readonly wrapUps: readonly number[];
}

/**
 * A module's port, timing where a run's time goes besides the module's own busy time:
 *  - the station's turnaround: from the last bytes the module sent to each next write of the station's;
 *  - the emulator's lateness: from a write to the first bytes of the answer, less what the module counted busy
 *    meanwhile (its timers firing later than scheduled, the in-process hops);
 *  - the wrap-up: from the module's last bytes to the run's end (the unit's and the run's records).
 */
class TimedPort implements ByteTransport {
  lastData = performance.now();
  turnaroundMs = 0;
  lateMs = 0;
  private asked: { readonly at: number; readonly busy: number } | undefined;
  constructor(
    private readonly inner: InProcessTransport,
    private readonly module: VirtualModule,
  ) {
    inner.onData(() => {
      this.lastData = performance.now();
      if (this.asked === undefined) return;
      this.lateMs += Math.max(0, this.lastData - this.asked.at - (module.busyMs - this.asked.busy));
      this.asked = undefined;
    });
  }
  get id(): string {
    return this.inner.id;
  }
  get isOpen(): boolean {
    return this.inner.isOpen;
  }
  /** From now on (a run starts: its first write counts from here). */
  reset(): void {
    this.lastData = performance.now();
    this.turnaroundMs = 0;
    this.lateMs = 0;
    this.asked = undefined;
  }
  write(data: Uint8Array): Promise<void> {
    const now = performance.now();
    this.turnaroundMs += now - this.lastData;
    this.asked ??= { at: now, busy: this.module.busyMs };
    return this.inner.write(data);
  }
  onData(listener: (chunk: Uint8Array) => void) {
    return this.inner.onData(listener);
  }
  onClose(listener: (error: Error | undefined) => void) {
    return this.inner.onClose(listener);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

function modulesOnly(count: number): VirtualModule[] {
  return Array.from(
    { length: count },
    (_, index) => new VirtualModule({ index, sessionFactory: createMqttClientSession, hostMap, baud: BAUD, pacing }),
  );
}

async function fleet(modules: readonly VirtualModule[]) {
  const station = new Station({
    openEngine: (transport) => new AtEngine({ transport, parser: pool.open(transport.id), describeFinal }),
  });
  const ports = modules.map(
    (module, index) => new TimedPort(new InProcessTransport(module, `virtual:${index}`), module),
  );
  for (const [index, port] of ports.entries()) {
    station.attach(port);
    modules[index]?.powerOn();
  }
  await waitForIdentified(station, 120_000);
  return {
    async run(profileFile?: string): Promise<RunFigures> {
      const { store, remove } = await freshStore();
      const session = profileFile === undefined ? undefined : new Session();
      if (session !== undefined) {
        session.connect();
        await session.post('Profiler.enable');
        await session.post('Profiler.start');
      }
      const busyBefore = modules.map((module) => module.busyMs);
      for (const port of ports) port.reset();
      const cpuBefore = process.cpuUsage();
      const started = performance.now();
      const result = await startBatch({
        station,
        store,
        profile,
        moduleIds: ports.map((port) => port.id),
        stationId: 'bench',
      }).done;
      const ms = performance.now() - started;
      const cpu = process.cpuUsage(cpuBefore);
      const floors = modules.map((module, i) => module.busyMs - (busyBefore[i] ?? 0));
      if (session !== undefined && profileFile !== undefined) {
        const { profile: cpuProfile } = await session.post('Profiler.stop');
        writeFileSync(profileFile, JSON.stringify(cpuProfile));
        session.disconnect();
      }
      for (const unit of result.units.filter((u) => u.result !== 'pass')) {
        console.log(`  ${unit.moduleId}: ${unit.result} at ${unit.failedStep ?? '?'}: ${unit.error ?? ''}`);
      }
      await remove();
      return {
        ms,
        passed: result.counts.passed,
        floors,
        cpuMs: (cpu.user + cpu.system) / 1000,
        turnarounds: ports.map((port) => port.turnaroundMs),
        lates: ports.map((port) => port.lateMs),
        wrapUps: ports.map((port) => started + ms - port.lastData),
      };
    },
    async close(): Promise<void> {
      await station.dispose();
      for (const module of modules) module.dispose();
    },
  };
}

const fmt = (values: readonly number[]): string => values.map((v) => v.toFixed(0)).join(', ');
const verdict = (ratio: number, limit: number): string => (ratio <= limit ? 'PASS' : 'FAIL');

console.log(`batch provisioning, demo profile, ${PACING} pacing, ${BAUD} baud; load average ${load()}`);
try {
  // One module alone: a warm-up run (code paths, the broker), then RUNS measured runs.
  const single = await fleet(modulesOnly(1));
  await single.run();
  const alone: RunFigures[] = [];
  for (let i = 0; i < RUNS; i++) {
    const figures = await single.run();
    if (figures.passed !== 1) throw new Error('the single module did not pass');
    alone.push(figures);
  }
  await single.close();
  const aloneMs = median(alone.map((r) => r.ms));
  const floorMs = median(alone.map((r) => r.floors[0] ?? NaN));
  const floorRatio = median(alone.map((r) => r.ms / (r.floors[0] ?? NaN)));
  console.log(`one module alone: ${aloneMs.toFixed(0)} ms (runs: ${fmt(alone.map((r) => r.ms))})`);
  console.log(
    `  floor (the emulator's own busy time, as scheduled): ${floorMs.toFixed(0)} ms (runs: ${fmt(alone.map((r) => r.floors[0] ?? NaN))})`,
  );
  console.log(
    `  run / floor: ${floorRatio.toFixed(3)} (median of the runs' ratios) ${verdict(floorRatio, FLOOR_LIMIT)} (limit ${FLOOR_LIMIT})`,
  );
  const first = (values: readonly number[]): number => values[0] ?? NaN;
  const turnaround = median(alone.map((r) => first(r.turnarounds)));
  const late = median(alone.map((r) => first(r.lates)));
  const wrapUp = median(alone.map((r) => first(r.wrapUps)));
  const excess = median(alone.map((r) => r.ms - first(r.floors)));
  console.log(
    `  over the floor: ${excess.toFixed(0)} ms: the station's turnaround (from an answer to its next write) ` +
      `${turnaround.toFixed(0)} ms, the wrap-up (last answer to the run's end) ${wrapUp.toFixed(0)} ms, the ` +
      `emulator answering later than it scheduled ${late.toFixed(0)} ms, unaccounted ` +
      `${(excess - turnaround - wrapUp - late).toFixed(0)} ms (lateness after an answer's first bytes, URCs)`,
  );
  console.log(`  process CPU per unit-run: ${median(alone.map((r) => r.cpuMs)).toFixed(1)} ms`);

  const before = memory();
  const modules = modulesOnly(COUNT);
  for (const module of modules) module.powerOn();
  await Promise.all(modules.map((module) => module.whenReady()));
  const withModules = memory();
  const many = await fleet(modules);
  await many.run(); // warm-up
  const batches: RunFigures[] = [];
  const memories: { heap: number; rss: number }[] = [];
  if (PROFILE_DIR !== undefined) mkdirSync(PROFILE_DIR, { recursive: true });
  for (let i = 0; i < Math.max(3, Math.ceil(RUNS / 2)); i++) {
    const file = PROFILE_DIR === undefined ? undefined : join(PROFILE_DIR, `batch-${COUNT}-${i}.cpuprofile`);
    const figures = await many.run(file);
    if (figures.passed !== COUNT) throw new Error(`only ${figures.passed} of ${COUNT} units passed`);
    batches.push(figures);
    memories.push(memory());
  }
  const batchMs = median(batches.map((r) => r.ms));
  const batchRatio = batchMs / aloneMs;
  console.log(`${COUNT} modules at once: ${batchMs.toFixed(0)} ms (runs: ${fmt(batches.map((r) => r.ms))})`);
  console.log(
    `  batch / one alone: ${batchRatio.toFixed(3)} ${verdict(batchRatio, BATCH_LIMIT)} (limit ${BATCH_LIMIT})`,
  );
  console.log(
    `  floors of its units: median ${median(batches.flatMap((r) => r.floors)).toFixed(0)} ms, ` +
      `max ${Math.max(...batches.flatMap((r) => r.floors)).toFixed(0)} ms`,
  );
  console.log(
    `  station turnaround per unit: median ${median(batches.flatMap((r) => r.turnarounds)).toFixed(0)} ms, ` +
      `max ${Math.max(...batches.flatMap((r) => r.turnarounds)).toFixed(0)} ms`,
  );
  console.log(`  process CPU per unit-run: ${(median(batches.map((r) => r.cpuMs)) / COUNT).toFixed(1)} ms`);
  const perUnit = (bytes: number): string => `${(bytes / COUNT / 1024).toFixed(0)} kB`;
  const heap = median(memories.map((m) => m.heap));
  const rss = median(memories.map((m) => m.rss));
  console.log(
    `  memory per unit after GC (${COUNT} attached, provisioned ${batches.length + 1} times): ` +
      `station heap ${perUnit(heap - withModules.heap)}, RSS ${perUnit(rss - withModules.rss)} ` +
      '(after the modules booted); with the virtual modules heap ' +
      `${perUnit(heap - before.heap)}, RSS ${perUnit(rss - before.rss)}`,
  );
  console.log(
    '    (heap: what the main thread keeps after GC; RSS: the whole process, the parser worker, OpenSSL and ' +
      "SQLite's memory and what the allocator has not given back included, the broker's and modules' sessions too)",
  );
  await many.close();
  console.log(`load average ${load()}`);
} finally {
  await pool.dispose();
  await broker.close();
}

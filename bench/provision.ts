import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
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
import { VirtualModule } from '../main/emulator/virtual-module';
import { loadProfile } from '../main/provisioning';
import { startBatch } from '../main/provisioning/batch';
import { loadManifest, toCredentialInputs } from '../main/provisioning/manifest';
import { openSqliteStore } from '../main/store';
import type { ByteTransport } from '../main/transport/types';

/**
 * Batch provisioning with the demo profile on in-process virtual modules paced at 115200 baud (both directions),
 * through the production parts: worker-thread parsers, the station's runner, the SQLite store (claims fsynced),
 * the embedded aedes broker. Prints:
 *  - one module alone: its run time against its floor (the wire time of every byte of its run, both ways, at
 *    115200 baud, plus the emulator's own processing time per command: 2-7 ms, 6-11 ms for +QMT/+QSSL/+QF);
 *  - N modules at once: the batch time against one module alone;
 *  - the station's memory per unit (heap and RSS growth while the N units are attached and provisioned).
 * Usage: node --expose-gc bin/run-ts.mjs bench/provision.ts [N=64]
 */

const COUNT = Number(process.argv[2] ?? 64);
const BAUD = 115_200;
const demo = new URL('../profiles/demo/demo.yaml', import.meta.url).pathname;
const manifestFile = new URL('../profiles/demo/manifest.csv', import.meta.url).pathname;

/** Counts what crosses a unit's port and which commands were sent. */
class CountingPort implements ByteTransport {
  tx = 0;
  rx = 0;
  readonly commands: string[] = [];
  constructor(private readonly inner: InProcessTransport) {
    inner.onData((chunk) => (this.rx += chunk.length));
  }
  get id(): string {
    return this.inner.id;
  }
  get isOpen(): boolean {
    return this.inner.isOpen;
  }
  write(data: Uint8Array): Promise<void> {
    this.tx += data.length;
    const text = Buffer.from(data).toString('latin1');
    if (/^AT/i.test(text)) this.commands.push(text.trim());
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
  reset(): void {
    this.tx = 0;
    this.rx = 0;
    this.commands.length = 0;
  }
}

/** The emulator's expected processing time of the commands (its mean: base + 2.5 ms). */
function processingMs(commands: readonly string[]): number {
  return commands.reduce((total, line) => total + (/^AT\+Q(MT|SSL|F)/i.test(line) ? 8.5 : 4.5), 0);
}

const gc = (globalThis as { gc?: () => void }).gc;
const heapMb = (): number => {
  gc?.();
  return process.memoryUsage().heapUsed / 1e6;
};
const rssMb = (): number => process.memoryUsage().rss / 1e6;

const loaded = await loadProfile(demo);
if (!loaded.ok) throw new Error('the demo profile does not load');
const profile = loaded.profile;
const broker = await startEmbeddedBroker();
const hostMap = new Map(embeddedBrokerHosts.map((name) => [name, { host: broker.host, port: broker.port }]));
const pool = new ParserPool();

async function fleet(count: number) {
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-provision-'));
  const store = await openSqliteStore({ dataDir });
  const imported = await store.ledger.importCredentials(toCredentialInputs(await loadManifest(manifestFile)));
  if (!imported.ok) throw new Error('manifest refused');
  const station = new Station({
    openEngine: (transport) => new AtEngine({ transport, parser: pool.open(transport.id), describeFinal }),
  });
  const modules = Array.from(
    { length: count },
    (_, index) => new VirtualModule({ index, sessionFactory: createMqttClientSession, hostMap, baud: BAUD }),
  );
  const ports = modules.map((module, index) => new CountingPort(new InProcessTransport(module, `virtual:${index}`)));
  for (const [index, port] of ports.entries()) {
    station.attach(port);
    modules[index]?.powerOn();
  }
  await waitForIdentified(station, 120_000);
  for (const port of ports) port.reset();
  return {
    station,
    ports,
    async run(): Promise<{ ms: number; passed: number }> {
      const started = performance.now();
      const result = await startBatch({
        station,
        store,
        profile,
        moduleIds: ports.map((port) => port.id),
        stationId: 'bench',
      }).done;
      for (const unit of result.units.filter((u) => u.result !== 'pass')) {
        console.log(`  ${unit.moduleId}: ${unit.result} at ${unit.failedStep ?? '?'}: ${unit.error ?? ''}`);
      }
      return { ms: performance.now() - started, passed: result.counts.passed };
    },
    async close(): Promise<void> {
      await station.dispose();
      for (const module of modules) module.dispose();
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

try {
  // One module alone: its best of five runs (the first warms the code paths and the broker).
  const single = await fleet(1);
  const times: number[] = [];
  let floor = 0;
  for (let i = 0; i < 5; i++) {
    const port = single.ports[0];
    port?.reset();
    const { ms, passed } = await single.run();
    if (passed !== 1) throw new Error('the single module did not pass');
    times.push(ms);
    if (port !== undefined) floor = ((port.tx + port.rx) * 10 * 1000) / BAUD + processingMs(port.commands);
  }
  await single.close();
  const alone = Math.min(...times.slice(1));
  const port = single.ports[0];
  console.log(
    `one module alone: ${alone.toFixed(0)} ms (runs: ${times.map((t) => t.toFixed(0)).join(', ')}); ` +
      `${port?.tx ?? 0} bytes sent, ${port?.rx ?? 0} received, ${port?.commands.length ?? 0} commands`,
  );
  console.log(`  floor (wire time both ways at ${BAUD} + emulator processing): ${floor.toFixed(0)} ms`);
  console.log(`  run / floor: ${(alone / floor).toFixed(2)}`);

  const heapBefore = heapMb();
  const rssBefore = rssMb();
  const many = await fleet(COUNT);
  const first = await many.run();
  const second = await many.run();
  const heapAfter = heapMb();
  const rssAfter = rssMb();
  if (first.passed !== COUNT || second.passed !== COUNT)
    throw new Error(`not every unit passed: ${first.passed}, ${second.passed}`);
  const batch = Math.min(first.ms, second.ms);
  console.log(
    `${COUNT} modules at once: ${first.ms.toFixed(0)} ms (new credentials), ${second.ms.toFixed(0)} ms (again)`,
  );
  console.log(`  batch / one alone: ${(batch / alone).toFixed(2)}`);
  console.log(
    `  station memory per unit (${COUNT} units attached and provisioned twice): ` +
      `heap ${(((heapAfter - heapBefore) * 1000) / COUNT).toFixed(0)} kB, RSS ${(((rssAfter - rssBefore) * 1000) / COUNT).toFixed(0)} kB ` +
      '(the virtual modules and the broker included)',
  );
  await many.close();
} finally {
  await pool.dispose();
  await broker.close();
}

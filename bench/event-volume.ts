/**
 * Benchmark: what the station pushes to a connected client (events and JSON bytes, as the web shell frames them)
 * for UNITS virtual modules: attaching and identifying them, then one script of one step (AT+CSQ) on every unit.
 *
 * `after` counts the events the station really pushes (one unit per `moduleChanged`, one step per
 * `stepProgress`, `runChanged`, batched `transcriptLines`). `whole list` counts what the old contract pushed for
 * the same unit changes: the whole module list at every change (`modulesChanged`), which is quadratic in the number
 * of units; it is computed here from the same run (one whole-list push per `moduleChanged`, a lower bound: the
 * old station pushed at every change without coalescing them within a turn).
 *
 * Run: `node bin/run-ts.mjs bench/event-volume.ts [UNITS=256]`
 */
import { eventNames, type EventName } from '../shared/contract';
import * as commands from '../main/at/commands';
import { AtEngine, inThreadParserLink } from '../main/at/engine';
import type { Script } from '../main/core/script';
import { Station } from '../main/core/station';
import { waitForIdentified } from '../main/core/wait-for';
import { InProcessTransport } from '../main/emulator/in-process-transport';
import { MemoryBroker } from '../main/emulator/memory-broker';
import { VirtualModule } from '../main/emulator/virtual-module';

const UNITS = Number(process.argv[2] ?? 256);
if (!Number.isInteger(UNITS) || UNITS < 1 || UNITS > 1024) {
  console.error('usage: event-volume.ts [UNITS 1-1024]');
  process.exit(2);
}

interface Tally {
  events: number;
  bytes: number;
  byName: Map<string, { events: number; bytes: number }>;
}
const tally = (): Tally => ({ events: 0, bytes: 0, byName: new Map() });
const count = (t: Tally, name: string, payload: unknown): number => {
  const bytes = Buffer.byteLength(JSON.stringify({ kind: 'event', name, payload }));
  add(t, name, bytes);
  return bytes;
};
const add = (t: Tally, name: string, bytes: number): void => {
  t.events++;
  t.bytes += bytes;
  const entry = t.byName.get(name) ?? { events: 0, bytes: 0 };
  entry.events++;
  entry.bytes += bytes;
  t.byName.set(name, entry);
};

const broker = new MemoryBroker();
const station = new Station({
  openEngine: (transport) => new AtEngine({ transport, parser: inThreadParserLink() }),
  concurrency: UNITS,
});
let phase: { after: Tally; wholeList: Tally } = { after: tally(), wholeList: tally() };
// The whole list's JSON size is kept as a running sum of each unit's last pushed JSON (serialising 256 units at
// every change here would block the very units being measured: that is the quadratic cost this replaces).
const unitBytes = new Map<string, number>();
let listBytes = 0;
const frame = Buffer.byteLength(JSON.stringify({ kind: 'event', name: 'modulesChanged', payload: [] }));
for (const name of eventNames) {
  station.on(name, (payload) => {
    const bytes = count(phase.after, name, payload);
    if (name === 'moduleChanged' && !Array.isArray(payload) && 'id' in payload) {
      const own = Buffer.byteLength(JSON.stringify(payload));
      listBytes += own - (unitBytes.get(payload.id) ?? 0);
      unitBytes.set(payload.id, own);
      add(phase.wholeList, 'modulesChanged', frame + listBytes + Math.max(0, unitBytes.size - 1));
    } else if (name === 'transcriptLines') add(phase.wholeList, name, bytes);
  });
}

const modules = Array.from(
  { length: UNITS },
  (_, index) => new VirtualModule({ index, sessionFactory: broker.createSession, baud: 0, bootDelayMs: 5 }),
);
const report = (title: string): void => {
  const kib = (n: number): string => `${(n / 1024).toFixed(0)} KiB`;
  const line = (label: string, t: Tally): string =>
    `    ${label.padEnd(11)} ${String(t.events).padStart(7)} events ${kib(t.bytes).padStart(10)}   ` +
    [...t.byName.entries()].map(([n, v]) => `${n} ${v.events}/${kib(v.bytes)}`).join(', ');
  console.log(`  ${title}`);
  console.log(line('after', phase.after));
  console.log(line('whole list', phase.wholeList));
  phase = { after: tally(), wholeList: tally() };
};

try {
  const started = performance.now();
  for (const [index, module] of modules.entries()) {
    station.attach(new InProcessTransport(module, `virtual:${index}`));
    module.powerOn();
  }
  await waitForIdentified(station, 120_000);
  // Let the last transcript batch go out.
  await new Promise((resolve) => setTimeout(resolve, 100));
  console.log(
    `event volume: ${UNITS} virtual modules (identified in ${((performance.now() - started) / 1000).toFixed(1)} s)`,
  );
  report(`attach and identify (${station.list().filter((m) => m.connection === 'ready').length} ready)`);

  const oneStep: Script<{ readonly rssi?: number }> = {
    name: 'signal',
    steps: [{ name: 'csq', timeoutMs: 5_000, run: async (ctx) => ({ rssi: (await ctx.at(commands.csq())).rssi }) }],
  };
  const run = await station.runScript(oneStep, {
    moduleIds: station.list().map((m) => m.id),
    input: () => ({}),
  }).done;
  await new Promise((resolve) => setTimeout(resolve, 100));
  report(`one script of one step on every unit (${run.units.filter((u) => u.result === 'pass').length} passed)`);
  const names: readonly EventName[] = eventNames;
  console.log(`  (events of the contract now: ${names.join(', ')})`);
} finally {
  await station.dispose();
  for (const module of modules) module.dispose();
}

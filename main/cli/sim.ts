import { startVirtualFleet, type PtyModule, type VirtualFleet } from '../emulator/pty-module';
import {
  faultsFor,
  parseBaud,
  parseCount,
  parseHostMap,
  SimOptionError,
  type TimedFaults,
} from '../emulator/sim-options';

/** The flags of `sim` (main/cli/commands/sim.ts). */
export interface SimFlags {
  count: string;
  hostMap: string[];
  baud: string;
  json?: boolean;
  fault: string[];
  seed: string;
}

/**
 * `fleet-station sim --count N`: starts N virtual Quectel modules on pseudo-terminals, prints where each one is
 * (a station or a test rig opens those paths as serial ports) and runs until SIGINT/SIGTERM, then removes them.
 */
export async function simCommand(flags: SimFlags): Promise<void> {
  let fleet: VirtualFleet;
  let faults: ReturnType<typeof faultsFor>[];
  try {
    const count = parseCount(flags.count);
    const baud = parseBaud(flags.baud);
    const hostMap = parseHostMap(flags.hostMap);
    if (!/^\d{1,9}$/.test(flags.seed)) throw new SimOptionError(`--seed "${flags.seed}": expected a number`);
    faults = Array.from({ length: count }, (_, i) => faultsFor(flags.fault, i));
    fleet = await startVirtualFleet({
      count,
      baud,
      hostMap,
      seed: Number(flags.seed),
      faults: (i) => faults[i]?.plan,
    });
  } catch (error: unknown) {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`fleet-station sim: ${message}\n`);
    process.exitCode = 2;
    return;
  }
  // A line printed means a module ready for commands (commands before RDY would get no answer).
  await Promise.all(fleet.modules.map((m) => m.module.whenReady()));
  fleet.modules.forEach((m, i) => {
    process.stdout.write(describe(m, i, flags.json === true));
  });
  const timers = fleet.modules.flatMap((m, i) => scheduleTimed(m, faults[i]?.timed ?? {}));
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  for (const t of timers) clearTimeout(t);
  await fleet.close();
}

function describe(m: PtyModule, index: number, json: boolean): string {
  const id = m.module.identity;
  if (json) {
    const record = {
      index,
      port: m.path,
      imei: id.imei,
      iccid: id.iccid,
      imsi: id.imsi,
      model: id.model,
      revision: id.revision,
    };
    return `${JSON.stringify(record)}\n`;
  }
  return `${m.path}  ${id.model}  IMEI ${id.imei}  ICCID ${id.iccid}  ${id.revision}\n`;
}

function scheduleTimed(m: PtyModule, timed: TimedFaults): NodeJS.Timeout[] {
  const timers: NodeJS.Timeout[] = [];
  if (timed.garbageEveryMs !== undefined)
    timers.push(setInterval(() => m.module.injectGarbage(), timed.garbageEveryMs));
  if (timed.unplugAfterMs !== undefined) timers.push(setTimeout(() => void m.unplug(), timed.unplugAfterMs));
  if (timed.rebootAfterMs !== undefined) timers.push(setTimeout(() => m.module.reboot(), timed.rebootAfterMs));
  if (timed.dropLinkAfterMs !== undefined) timers.push(setTimeout(() => m.module.dropLink(), timed.dropLinkAfterMs));
  return timers;
}

import type { ModuleInfo } from '../../shared/contract';
import type { EmbeddedBroker } from '../broker/embedded';
import type { Station } from '../core/station';
import { waitForModules } from '../core/wait-for';
import { startStationRuntime } from './station-app';
import { virtualFleetReaching } from './virtual-fleet';

/** Where the units of a provisioning run come from: exactly one of them. */
export type UnitSource =
  | { readonly kind: 'ports'; readonly paths: readonly string[] }
  | { readonly kind: 'all' }
  | { readonly kind: 'virtual'; readonly count: number };

export interface ProvisioningRuntimeOptions {
  readonly units: UnitSource;
  /**
   * The profile's broker host: with virtual modules it reaches the embedded broker (as do the embedded default's
   * own names), whatever port the profile gives.
   */
  readonly brokerHost: string;
  /** Port presence checks (ms), for `ports` and `all`. */
  readonly watchIntervalMs?: number;
}

/** A station for one provisioning run: its units attached (and being identified), the embedded broker if virtual. */
export interface ProvisioningRuntime {
  readonly station: Station;
  readonly broker: EmbeddedBroker | undefined;
  /**
   * Resolves with the unit list once no unit is still being attached or identified, or after `timeoutMs` with the
   * list as it is then (a unit still identifying is provisioned after its identification: the lease orders them).
   */
  identified(timeoutMs: number): Promise<ModuleInfo[]>;
  close(): Promise<void>;
}

const portCollator = new Intl.Collator('en', { numeric: true });

/**
 * With `--all`, units in the order of their ports (`ttyUSB2` before `ttyUSB10`), as an operator reads the hub,
 * whatever order the ports appeared or were identified in. Named ports keep the order they were given in.
 */
function inPortOrder(list: readonly ModuleInfo[]): ModuleInfo[] {
  return [...list].sort((a, b) => portCollator.compare(a.port, b.port));
}

/**
 * The composition root of `provision`: the station runtime on the chosen units (named ports, every USB serial port,
 * or N in-process virtual modules against the embedded broker under the profile's broker host). The store and the
 * batch are the caller's (the command line opens the store before any module is touched).
 */
export async function startProvisioningRuntime(options: ProvisioningRuntimeOptions): Promise<ProvisioningRuntime> {
  const { units } = options;
  const runtime = await startStationRuntime({
    virtual: units.kind === 'virtual' ? units.count : 0,
    portPaths: units.kind === 'ports' ? units.paths : [],
    scanPorts: units.kind === 'all',
    startVirtualFleet: virtualFleetReaching([options.brokerHost]),
    ...(options.watchIntervalMs === undefined ? {} : { watchIntervalMs: options.watchIntervalMs }),
  });
  const settled = (list: readonly ModuleInfo[]): boolean =>
    list.every((unit) => unit.connection !== 'attached' && unit.connection !== 'identifying');
  return {
    station: runtime.station,
    broker: runtime.broker,
    identified: async (timeoutMs) => {
      const list = await waitForModules(runtime.station, settled, timeoutMs).catch(() => runtime.station.list());
      return units.kind === 'all' ? inPortOrder(list) : list;
    },
    close: () => runtime.close(),
  };
}

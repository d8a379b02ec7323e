import { InProcessTransport } from '../emulator/in-process-transport';
import { createMqttClientSession } from '../emulator/net/session';
import type { HostMap } from '../emulator/net/types';
import { VirtualModule } from '../emulator/virtual-module';
import type { VirtualFleetStarter } from './station-app';

/** Host names of the embedded default: a profile may name any of them, they all reach the embedded broker. */
export const embeddedBrokerHosts = ['broker.fleet.local', 'localhost', '127.0.0.1'] as const;

/**
 * A starter of virtual modules that also reach the embedded broker under `hosts` (a profile's broker host, for
 * `provision --virtual N`), whatever port the module is asked to open.
 */
export function virtualFleetReaching(hosts: readonly string[]): VirtualFleetStarter {
  return (count, broker) => {
    const names = [...new Set([...embeddedBrokerHosts, ...hosts])];
    const hostMap: HostMap = new Map(names.map((name) => [name, { host: broker.host, port: broker.port }]));
    const modules = Array.from(
      { length: count },
      (_, index) => new VirtualModule({ index, sessionFactory: createMqttClientSession, hostMap }),
    );
    const transports = modules.map((module, index) => new InProcessTransport(module, `virtual:${index}`));
    for (const module of modules) module.powerOn();
    return Promise.resolve({
      transports,
      close: async () => {
        await Promise.all(transports.map((t) => t.close()));
        for (const module of modules) module.dispose();
      },
    });
  };
}

/**
 * The embedded default fleet: N virtual modules in-process (deterministic identities by index), each behind an
 * in-process ByteTransport, their MQTT sessions reaching the embedded broker through the host map.
 */
export const startVirtualFleet: VirtualFleetStarter = virtualFleetReaching([]);

import type { EmbeddedBroker } from '../broker/embedded';
import { startEmbeddedBroker } from '../broker/embedded';
import type { AtPortFactory } from '../core/at-port';
import { createDispatch, createHandlers } from '../core/handlers';
import { LineAtPort } from '../core/line-at-port';
import { Station } from '../core/station';
import { startWebShell, type WebShell } from '../shell-web/server';
import { SerialTransport } from '../transport/serial';
import type { ByteTransport } from '../transport/types';

/** Starts N virtual modules wired to a broker and returns their station-side transports. */
export type VirtualFleetStarter = (
  count: number,
  broker: { readonly host: string; readonly port: number },
) => Promise<{ readonly transports: readonly ByteTransport[]; close(): Promise<void> }>;

export interface StationAppOptions {
  readonly host: string;
  readonly port: number;
  readonly staticRoot: string;
  /** Virtual modules to start in-process (the embedded default). */
  readonly virtual: number;
  /** Real serial ports (or pseudo-terminals) to attach. */
  readonly portPaths: readonly string[];
  readonly startVirtualFleet?: VirtualFleetStarter;
  readonly openPort?: AtPortFactory;
}

export interface StationApp {
  readonly station: Station;
  readonly shell: WebShell;
  readonly broker: EmbeddedBroker | undefined;
  close(): Promise<void>;
}

/**
 * The composition root of the web-served station: broker, virtual fleet or real ports, transports, Station,
 * handler table, web shell. Everything started here is stopped by `close()`, in reverse order, even after a
 * partial start.
 */
export async function startStationApp(options: StationAppOptions): Promise<StationApp> {
  const cleanups: (() => Promise<void>)[] = [];
  const close = async (): Promise<void> => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    cleanups.length = 0;
  };
  try {
    const station = new Station({ openPort: options.openPort ?? ((t) => new LineAtPort(t)) });
    cleanups.push(() => station.dispose());
    let broker: EmbeddedBroker | undefined;
    if (options.virtual > 0) {
      if (options.startVirtualFleet === undefined) throw new Error('virtual modules are not available in this build');
      const started = await startEmbeddedBroker();
      broker = started;
      cleanups.push(() => started.close());
      const fleet = await options.startVirtualFleet(options.virtual, started);
      cleanups.push(() => fleet.close());
      for (const transport of fleet.transports) station.attach(transport);
    }
    for (const path of options.portPaths) {
      const transport = await SerialTransport.open({ path });
      cleanups.push(() => transport.close());
      station.attach(transport);
    }
    const shell = await startWebShell({
      dispatch: createDispatch(createHandlers(station)),
      events: station,
      staticRoot: options.staticRoot,
      host: options.host,
      port: options.port,
    });
    cleanups.push(() => shell.close());
    return { station, shell, broker, close };
  } catch (error) {
    await close();
    throw error;
  }
}

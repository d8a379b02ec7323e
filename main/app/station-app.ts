import type { EmbeddedBroker } from '../broker/embedded';
import { startEmbeddedBroker } from '../broker/embedded';
import { AtEngine } from '../at/engine';
import { ParserPool } from '../at/worker/pool';
import { createDispatch, createHandlers, type Dispatch } from '../core/handlers';
import { PortWatcher } from '../core/port-watch';
import type { RunObserver } from '../core/script';
import { Station } from '../core/station';
import type { EngineFactory } from '../core/units';
import { startWebShell, type WebShell } from '../shell-web/server';

/** For the command line, which reaches the web shell through this composition root only. */
export { tokenEnvironmentVariable, tokenProblem } from '../shell-web/auth';
import { SerialTransport } from '../transport/serial';
import type { ByteTransport } from '../transport/types';

/** Starts N virtual modules wired to a broker and returns their station-side transports. */
export type VirtualFleetStarter = (
  count: number,
  broker: { readonly host: string; readonly port: number },
) => Promise<{ readonly transports: readonly ByteTransport[]; close(): Promise<void> }>;

/**
 * Services the station is given rather than builds: the composition root (or a test) injects them, and the core
 * never knows which implementation it got. The store's History goes in as `recorder` (a RunObserver adapter over
 * it); whatever needs closing at shutdown goes in `close`.
 */
export interface StationServices {
  /** Told of every script run started through `Station.runScript` (not of identification). */
  readonly recorder?: RunObserver;
  /** Called by the runtime's close(), after the station has stopped (closing a store). */
  readonly close?: () => Promise<void>;
}

export interface StationCoreOptions {
  /** Virtual modules to start in-process (the embedded default). */
  readonly virtual: number;
  /** Real serial ports (or pseudo-terminals) to attach; one that cannot be opened is listed with the reason. */
  readonly portPaths: readonly string[];
  /** Also attach every USB serial port (ttyUSB / ttyACM, or udev's list) as it appears. */
  readonly scanPorts?: boolean;
  readonly startVirtualFleet?: VirtualFleetStarter;
  readonly openEngine?: EngineFactory;
  readonly services?: StationServices;
  /** Port presence checks (ms); the default is 1000. */
  readonly watchIntervalMs?: number;
}

/** A running station without a shell: what both the web shell and the Electron shell sit on. */
export interface StationRuntime {
  readonly station: Station;
  readonly dispatch: Dispatch;
  readonly broker: EmbeddedBroker | undefined;
  close(): Promise<void>;
}

/**
 * The composition root: broker, virtual fleet or real ports, transports, Station, handler table. Everything
 * started here is stopped by `close()`, in reverse order, even after a partial start.
 */
export async function startStationRuntime(options: StationCoreOptions): Promise<StationRuntime> {
  const cleanups: (() => Promise<void>)[] = [];
  const close = async (): Promise<void> => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  };
  try {
    // One parser pool for all ports: parsing runs in worker threads, serial I/O stays on this thread.
    const pool = new ParserPool();
    cleanups.push(() => pool.dispose());
    const services = options.services ?? {};
    if (services.close !== undefined) cleanups.push(services.close);
    const station = new Station({
      openEngine: options.openEngine ?? ((transport) => new AtEngine({ transport, parser: pool.open(transport.id) })),
      ...(services.recorder === undefined ? {} : { recorder: services.recorder }),
    });
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
    if (options.portPaths.length > 0 || options.scanPorts === true) {
      // Ports are opened as they appear and re-opened when they come back; the station owns what it attached.
      const watcher = new PortWatcher(station, {
        paths: options.portPaths,
        scan: options.scanPorts === true,
        open: (path) => SerialTransport.open({ path }),
        ...(options.watchIntervalMs === undefined ? {} : { intervalMs: options.watchIntervalMs }),
      });
      cleanups.push(() => Promise.resolve(watcher.dispose()));
      await watcher.start();
    }
    return { station, dispatch: createDispatch(createHandlers(station)), broker, close };
  } catch (error) {
    await close();
    throw error;
  }
}

export interface StationAppOptions extends StationCoreOptions {
  readonly host: string;
  readonly port: number;
  readonly staticRoot: string;
  /** The web shell's token (a fresh random one when absent). */
  readonly token?: string;
  /** Also serve on this Unix-domain socket (0600). */
  readonly unixSocket?: string;
}

export interface StationApp extends StationRuntime {
  readonly shell: WebShell;
}

/** The web-served station: the runtime plus the web shell on the loopback interface. */
export async function startStationApp(options: StationAppOptions): Promise<StationApp> {
  const runtime = await startStationRuntime(options);
  try {
    const shell = await startWebShell({
      dispatch: runtime.dispatch,
      events: runtime.station,
      staticRoot: options.staticRoot,
      host: options.host,
      port: options.port,
      ...(options.token === undefined ? {} : { token: options.token }),
      ...(options.unixSocket === undefined ? {} : { unixSocket: options.unixSocket }),
    });
    return {
      ...runtime,
      shell,
      close: async () => {
        await shell.close().catch(() => undefined);
        await runtime.close();
      },
    };
  } catch (error) {
    await runtime.close();
    throw error;
  }
}

import { startPtyPair, type PtyPair } from '../transport/pty-pair';
import { SerialTransport } from '../transport/serial';
import type { FaultPlan } from './faults';
import { createMqttClientSession } from './net/session';
import type { HostMap, MqttClientSessionFactory } from './net/types';
import type { PacingModel } from './pacing';
import { VirtualModule } from './virtual-module';

/**
 * Virtual modules behind real pseudo-terminals: socat links two ptys, the module opens one end with `serialport`
 * (on the main thread: serialport's reads crash inside worker threads) and the station opens the other, exactly
 * as it opens a USB serial port. Unplugging closes the module's end and kills socat, so the station's port errors
 * out as a pulled cable does.
 */

export interface PtyModuleOptions {
  readonly index?: number;
  readonly seed?: number;
  readonly baud?: number;
  readonly hostMap?: HostMap;
  readonly faults?: FaultPlan;
  /** Defaults to the real MQTT client over TCP/TLS (main/emulator/net/session.ts). */
  readonly sessionFactory?: MqttClientSessionFactory;
  readonly bootDelayMs?: number;
  /** The timing model (main/emulator/pacing.ts): FAST_PACING by default, REALISTIC_PACING for `sim --pacing`. */
  readonly pacing?: PacingModel;
  /** Power on as soon as the pty exists (default). With false, call `module.powerOn()` once the station listens. */
  readonly autoPowerOn?: boolean;
}

export interface PtyModule {
  /** The path the station opens (a symlink to /dev/pts/N). */
  readonly path: string;
  readonly module: VirtualModule;
  /** Pulls the cable: the module stops and the station's port vanishes. Resolves once socat is gone. */
  unplug(): Promise<void>;
  /** Stops everything and removes the pty links. Safe to call twice, also after unplug. */
  close(): Promise<void>;
}

export async function startPtyModule(options: PtyModuleOptions = {}): Promise<PtyModule> {
  const pair: PtyPair = await startPtyPair();
  let port: SerialTransport;
  try {
    port = await SerialTransport.open({ path: pair.b, baudRate: options.baud ?? 115200 });
  } catch (error: unknown) {
    await pair.stop();
    throw error;
  }
  const module = new VirtualModule({
    index: options.index ?? 0,
    seed: options.seed ?? 0,
    baud: options.baud ?? 115200,
    sessionFactory: options.sessionFactory ?? createMqttClientSession,
    ...(options.hostMap ? { hostMap: options.hostMap } : {}),
    ...(options.faults ? { faults: options.faults } : {}),
    ...(options.bootDelayMs !== undefined ? { bootDelayMs: options.bootDelayMs } : {}),
    ...(options.pacing !== undefined ? { pacing: options.pacing } : {}),
  });
  port.onData((chunk) => module.receive(chunk));
  module.onOutput((bytes) => {
    // A write to a port that is going away fails; the module's output is then lost, as on a pulled cable.
    port.write(bytes).catch(() => undefined);
  });
  let closing: Promise<void> | undefined;
  const teardown = async (): Promise<void> => {
    await port.close();
    await pair.unplug();
  };
  module.onUnplug(() => {
    closing ??= teardown();
  });
  port.onClose(() => {
    // The station side cannot close our end; if it vanishes anyway (socat died), the module is unplugged.
    if (!closing) module.unplug();
  });
  if (options.autoPowerOn !== false) module.powerOn();
  return {
    path: pair.a,
    module,
    unplug: async () => {
      module.unplug();
      await closing;
    },
    close: async () => {
      closing ??= teardown();
      module.dispose();
      await closing;
      await pair.stop();
    },
  };
}

export interface VirtualFleetOptions {
  readonly count: number;
  readonly seed?: number;
  readonly hostMap?: HostMap;
  readonly baud?: number;
  /** Faults for every module, or per index. */
  readonly faults?: FaultPlan | ((index: number) => FaultPlan | undefined);
  readonly sessionFactory?: MqttClientSessionFactory;
  readonly bootDelayMs?: number;
  readonly autoPowerOn?: boolean;
}

export interface VirtualFleet {
  readonly modules: readonly PtyModule[];
  close(): Promise<void>;
}

/** Starts `count` PTY modules (in small batches: each is a socat process). On failure, cleans up what started. */
export async function startVirtualFleet(options: VirtualFleetOptions): Promise<VirtualFleet> {
  if (!Number.isInteger(options.count) || options.count < 1 || options.count > 256) {
    throw new RangeError(`fleet size must be an integer from 1 to 256, got ${options.count}`);
  }
  // Slot per index: batches finish in any order, the fleet is listed in index order.
  const slots: (PtyModule | undefined)[] = new Array<PtyModule | undefined>(options.count).fill(undefined);
  const started = () => slots.filter((m): m is PtyModule => m !== undefined);
  const close = async () => {
    await Promise.all(started().map((m) => m.close()));
  };
  try {
    for (let start = 0; start < options.count; start += 8) {
      const batch = [];
      for (let index = start; index < Math.min(options.count, start + 8); index++) {
        const faults = typeof options.faults === 'function' ? options.faults(index) : options.faults;
        batch.push(
          startPtyModule({
            index,
            ...(options.seed !== undefined ? { seed: options.seed } : {}),
            ...(options.baud !== undefined ? { baud: options.baud } : {}),
            ...(options.hostMap ? { hostMap: options.hostMap } : {}),
            ...(faults ? { faults } : {}),
            ...(options.sessionFactory ? { sessionFactory: options.sessionFactory } : {}),
            ...(options.bootDelayMs !== undefined ? { bootDelayMs: options.bootDelayMs } : {}),
            ...(options.autoPowerOn !== undefined ? { autoPowerOn: options.autoPowerOn } : {}),
          }).then((m) => {
            slots[index] = m;
            return m;
          }),
        );
      }
      const settled = await Promise.allSettled(batch);
      const failed = settled.find((s) => s.status === 'rejected');
      if (failed) throw failed.reason;
    }
  } catch (error: unknown) {
    await close();
    throw error;
  }
  return { modules: started(), close };
}

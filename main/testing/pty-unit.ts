import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FaultPlan } from '../emulator/faults';
import { MemoryBroker } from '../emulator/memory-broker';
import { VirtualModule } from '../emulator/virtual-module';
import { startPtyPair, type PtyPair } from '../transport/pty-pair';
import { SerialTransport } from '../transport/serial';

export interface PtyUnitOptions {
  readonly index?: number;
  readonly bootDelayMs?: number;
  readonly faults?: FaultPlan;
}

/**
 * A virtual module on a real pseudo-terminal that a test can unplug and plug back in at the same path, and whose
 * received bytes are kept (to check what went over the wire, in order). Each plug-in is a new socat pair and a
 * freshly booted module with the same identity, as the same unit put back into the same hub port.
 */
export interface PtyUnit {
  /** The path the station opens; the same after every replug. */
  readonly path: string;
  /** The module of the current plug-in. */
  readonly module: VirtualModule;
  /** Everything the modules received from the station so far, as latin1 text. */
  received(): string;
  /** Pulls the cable: the module stops, socat dies and `path` vanishes. */
  unplug(): Promise<void>;
  /** Plugs it back in at the same path and powers the module on. */
  replug(): Promise<void>;
  close(): Promise<void>;
}

interface Plug {
  readonly pair: PtyPair;
  readonly port: SerialTransport;
  readonly module: VirtualModule;
}

export async function startPtyUnit(options: PtyUnitOptions = {}): Promise<PtyUnit> {
  const dir = await mkdtemp(join(tmpdir(), 'fleet-unit-'));
  const paths = { a: join(dir, 'station'), b: join(dir, 'module') };
  const broker = new MemoryBroker();
  const chunks: Buffer[] = [];
  let plug: Plug | undefined;

  const plugIn = async (): Promise<void> => {
    const pair = await startPtyPair(paths);
    const port = await SerialTransport.open({ path: pair.b });
    const module = new VirtualModule({
      index: options.index ?? 0,
      baud: 115200,
      sessionFactory: broker.createSession,
      bootDelayMs: options.bootDelayMs ?? 20,
      ...(options.faults === undefined ? {} : { faults: options.faults }),
    });
    port.onData((chunk) => {
      chunks.push(Buffer.from(chunk));
      module.receive(chunk);
    });
    module.onOutput((bytes) => {
      port.write(bytes).catch(() => undefined);
    });
    plug = { pair, port, module };
    module.powerOn();
  };
  const pull = async (): Promise<void> => {
    const current = plug;
    plug = undefined;
    if (current === undefined) return;
    current.module.unplug();
    current.module.dispose();
    await current.port.close();
    await current.pair.unplug();
  };

  await plugIn();
  return {
    path: paths.a,
    get module(): VirtualModule {
      if (plug === undefined) throw new Error('the unit is unplugged');
      return plug.module;
    },
    received: () => Buffer.concat(chunks).toString('latin1'),
    unplug: pull,
    replug: plugIn,
    close: async () => {
      await pull();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

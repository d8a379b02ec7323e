import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Emitter } from '../base';
import type { FaultPlan } from '../emulator/faults';
import { MemoryBroker } from '../emulator/memory-broker';
import type { HostMap, MqttClientSessionFactory } from '../emulator/net/types';
import { VirtualModule } from '../emulator/virtual-module';
import { startPtyPair, type PtyPair } from '../transport/pty-pair';
import { SerialTransport } from '../transport/serial';

export interface PtyUnitOptions {
  readonly index?: number;
  /** With `index`, fixes the module's identity (main/emulator/identity.ts). */
  readonly seed?: number;
  readonly bootDelayMs?: number;
  readonly faults?: FaultPlan;
  /** The UART's speed, which paces the module's bytes (default 115200). */
  readonly baud?: number;
  /** The module's MQTT client sessions: by default an in-memory broker of its own. */
  readonly sessionFactory?: MqttClientSessionFactory;
  /** Where the module's host names lead (with a real session factory). */
  readonly hostMap?: HostMap;
  /**
   * The path the station opens (a link to the pty): by default `station` in a temp folder of the unit's own. A
   * given path (`/tmp/x/dev/ttyUSB3`) is the unit's hub port; its folder must exist, and only the link is removed.
   */
  readonly path?: string;
  /** Power the module on when it is plugged in (default). With false, call `module.powerOn()`. */
  readonly autoPowerOn?: boolean;
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
  /** Whether the unit is plugged in now. */
  readonly plugged: boolean;
  /** Everything the modules received from the station so far, as latin1 text. */
  received(): string;
  /** How many bytes the modules received from the station so far. */
  receivedBytes(): number;
  /** Told of every chunk the module receives from the station, as it arrives (before the module sees it). */
  onReceive(listener: (chunk: Buffer) => void): { dispose(): void };
  /**
   * Resolves when the bytes received after this call contain `text` (a command the station sent); the bytes of one
   * command may come in several chunks.
   */
  waitForReceived(text: string): Promise<void>;
  /** Resolves when the module's output after this call contains `text` (an answer, a URC). */
  waitForOutput(text: string): Promise<void>;
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

/** Resolves when the text of the chunks an event delivers after the call contains `text`. */
function waitForText(event: Emitter<Buffer>, text: string): Promise<void> {
  return new Promise((resolve) => {
    // Keep only what could still hold the beginning of `text`.
    let tail = '';
    const listener = event.event((chunk) => {
      tail += chunk.toString('latin1');
      if (tail.includes(text)) {
        listener.dispose();
        resolve();
        return;
      }
      tail = tail.slice(Math.max(0, tail.length - text.length));
    });
  });
}

export async function startPtyUnit(options: PtyUnitOptions = {}): Promise<PtyUnit> {
  const own = options.path === undefined ? await mkdtemp(join(tmpdir(), 'fleet-unit-')) : undefined;
  const paths =
    options.path === undefined
      ? { a: join(own ?? '', 'station'), b: join(own ?? '', 'module') }
      : { a: options.path, b: `${options.path}.module` };
  const sessionFactory = options.sessionFactory ?? new MemoryBroker().createSession;
  const chunks: Buffer[] = [];
  let bytes = 0;
  const received = new Emitter<Buffer>('pty-unit.received');
  const output = new Emitter<Buffer>('pty-unit.output');
  let plug: Plug | undefined;

  const plugIn = async (): Promise<void> => {
    const pair = await startPtyPair(paths);
    const port = await SerialTransport.open({ path: pair.b, baudRate: options.baud ?? 115200 });
    const module = new VirtualModule({
      index: options.index ?? 0,
      seed: options.seed ?? 0,
      baud: options.baud ?? 115200,
      sessionFactory,
      bootDelayMs: options.bootDelayMs ?? 20,
      ...(options.hostMap === undefined ? {} : { hostMap: options.hostMap }),
      ...(options.faults === undefined ? {} : { faults: options.faults }),
    });
    port.onData((chunk) => {
      const copy = Buffer.from(chunk);
      chunks.push(copy);
      bytes += copy.length;
      received.fire(copy);
      module.receive(chunk);
    });
    module.onOutput((out) => {
      output.fire(Buffer.from(out));
      port.write(out).catch(() => undefined);
    });
    const current: Plug = { pair, port, module };
    plug = current;
    // A module unplugged by its own fault plan (or the test calling module.unplug()) takes its port with it.
    module.onUnplug(() => {
      if (plug === current) void pull();
    });
    if (options.autoPowerOn !== false) module.powerOn();
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
    get plugged(): boolean {
      return plug !== undefined;
    },
    received: () => Buffer.concat(chunks).toString('latin1'),
    receivedBytes: () => bytes,
    onReceive: (listener) => received.event(listener),
    waitForReceived: (text) => waitForText(received, text),
    waitForOutput: (text) => waitForText(output, text),
    unplug: pull,
    replug: plugIn,
    close: async () => {
      await pull();
      received.dispose();
      output.dispose();
      if (own !== undefined) await rm(own, { recursive: true, force: true });
      else await Promise.all([rm(paths.a, { force: true }), rm(paths.b, { force: true })]);
    },
  };
}

import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import * as at from '../commands';
import { AtError } from '../vocab/errors';
import type { AtRequest } from '../vocab/request';
import { ParserPool } from '../worker/pool';
import { InProcessTransport } from '../../emulator/in-process-transport';
import { MemoryBroker } from '../../emulator/memory-broker';
import { startPtyModule } from '../../emulator/pty-module';
import { VirtualModule } from '../../emulator/virtual-module';
import { SerialTransport } from '../../transport/serial';
import { AtEngine } from './engine';
import { inThreadParserLink } from './parser-link';

/**
 * Issue 8 acceptance: random late replies, dropped replies and noise, with random command sequences, against the
 * virtual module. Each command's right answer is known from the module's identity, so every `ok` is checked
 * against it: none may carry the lines of another command. Afterwards (faults off) the port must work again.
 */

interface Command {
  readonly name: string;
  request(): AtRequest<unknown>;
  right(value: unknown, module: VirtualModule): boolean;
}

const COMMANDS: readonly Command[] = [
  { name: '+CSQ', request: at.csq, right: (v, m) => (v as { rssi: number }).rssi === m.identity.rssi },
  { name: '+CPIN', request: at.cpinQuery, right: (v) => (v as { state: string }).state === 'READY' },
  { name: '+CGSN', request: at.cgsn, right: (v, m) => v === m.identity.imei },
  { name: '+GSN', request: at.gsn, right: (v, m) => v === m.identity.imei },
  { name: 'I', request: at.ati, right: (v, m) => (v as { revision: string }).revision === m.identity.revision },
  { name: '+QCCID', request: at.qccid, right: (v, m) => v === m.identity.iccid },
  { name: '+CIMI', request: at.cimi, right: (v, m) => v === m.identity.imsi },
  { name: '+QGMR', request: at.qgmr, right: (v, m) => typeof v === 'string' && v.startsWith(m.identity.revision) },
  { name: '+CEREG', request: at.ceregQuery, right: (v) => (v as { stat: number }).stat === 1 },
  { name: '+QFLST', request: () => at.qflst(), right: (v) => JSON.stringify(v) === JSON.stringify(FILES) },
  { name: '', request: at.at, right: (v) => v === undefined },
];
const FILES = [{ name: 'UFS:ca.pem', size: 12 }];

/**
 * Line noise: random bytes, CR and LF included, where every piece between line ends holds a byte that is not
 * text (a control byte), as bit errors on a UART give. (Printable bytes that happen to form a plausible line can
 * only be caught by a parse function that is strict about the lines it expects.)
 */
const lineNoise = fc
  .array(
    fc.tuple(
      fc.uint8Array({ maxLength: 10 }).map((bytes) => bytes.filter((b) => b !== 0x0d && b !== 0x0a)),
      fc.constantFrom(0x00, 0x01, 0x08, 0x13, 0x1a, 0x1b, 0x7f),
      fc.nat(10),
      fc.constantFrom('\r\n', '\r', '\n', ''),
    ),
    { minLength: 1, maxLength: 3 },
  )
  .map((pieces) =>
    Uint8Array.from(
      pieces.flatMap(([bytes, control, at, end]) => {
        const piece = [...bytes];
        piece.splice(Math.min(at, piece.length), 0, control);
        return [...piece, ...Array.from(end, (c) => c.charCodeAt(0))];
      }),
    ),
  );

const faultArbitrary = fc.record({
  late: fc.dictionary(
    fc.constantFrom(...COMMANDS.map((c) => c.name).filter((n) => n !== '')),
    fc.integer({ min: 50, max: 1200 }),
    { maxKeys: 2 },
  ),
  drop: fc.subarray(['+CSQ', '+CGSN', 'I', '+QCCID', '+CIMI']),
  /** Noise bursts, each this many ms after the sequence starts. */
  noise: fc.array(fc.integer({ min: 0, max: 400 }), { maxLength: 6 }),
  garbage: lineNoise,
});

const sequenceArbitrary = fc.array(
  fc.array(fc.integer({ min: 0, max: COMMANDS.length - 1 }), { minLength: 1, maxLength: 6 }),
  {
    minLength: 1,
    maxLength: 3,
  },
);

interface Rig {
  readonly module: VirtualModule;
  readonly engine: AtEngine;
}

/** Runs commands until one is answered right again (the faults are off); false if that takes too long. */
async function recovers({ module, engine }: Rig): Promise<boolean> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const imei = await engine.run(at.cgsn()).catch(() => null);
    if (imei !== null) return imei === module.identity.imei;
  }
  return false;
}

/** The property: faults on, batches of commands back to back, every ok checked; faults off, the port recovers. */
function property(rig: Rig) {
  const { module, engine } = rig;
  return fc.asyncProperty(faultArbitrary, sequenceArbitrary, async (faults, batches) => {
    module.setFaults({ lateResponse: faults.late, dropResponseOn: faults.drop });
    const timers = faults.noise.map((ms) => setTimeout(() => module.injectGarbage(faults.garbage), ms));
    const wrong: string[] = [];
    try {
      for (const batch of batches) {
        const commands = batch.map((i) => COMMANDS[i] ?? COMMANDS[0]);
        const results = await Promise.allSettled(commands.map((c) => engine.run(c?.request() ?? at.at())));
        results.forEach((result, k) => {
          const command = commands[k];
          if (command === undefined) return;
          if (result.status === 'fulfilled') {
            if (!command.right(result.value, module)) wrong.push(`AT${command.name}: ${JSON.stringify(result.value)}`);
          } else {
            expect(result.reason).toBeInstanceOf(AtError);
            expect(['timeout', 'bad-response']).toContain((result.reason as AtError).code);
          }
        });
      }
    } finally {
      for (const timer of timers) clearTimeout(timer);
      module.setFaults({});
    }
    expect(wrong).toEqual([]);
    expect(await recovers(rig)).toBe(true);
  });
}

async function uploadCa(engine: AtEngine): Promise<void> {
  await engine.run(at.qfupl('ca.pem', new TextEncoder().encode('-----CA-----')));
}

describe("no ok carries another command's answer (property, issue 8)", () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('in-process: under random late replies, dropped replies and noise', async () => {
    const module = new VirtualModule({ sessionFactory: new MemoryBroker().createSession, bootDelayMs: 2, baud: 0 });
    cleanups.push(() => module.dispose());
    module.powerOn();
    await module.whenReady();
    const engine = new AtEngine({
      transport: new InProcessTransport(module),
      parser: inThreadParserLink(),
      resync: { timeoutMs: 150, attempts: 2 },
    });
    cleanups.push(() => engine.dispose());
    await uploadCa(engine);
    await fc.assert(property({ module, engine }), { numRuns: 16 });
  }, 120_000);

  it('on a real pty, with the parser in its worker', async () => {
    const pool = new ParserPool({ workers: 1 });
    cleanups.push(() => pool.dispose());
    const device = await startPtyModule({ sessionFactory: new MemoryBroker().createSession, bootDelayMs: 5 });
    cleanups.push(() => device.close());
    await device.module.whenReady();
    const port = await SerialTransport.open({ path: device.path });
    cleanups.push(() => port.close());
    const engine = new AtEngine({ transport: port, parser: pool.open(device.path), resync: { attempts: 2 } });
    cleanups.push(() => engine.dispose());
    // A pseudo-terminal can take a moment before its first bytes flow: wait until the port answers.
    expect(await recovers({ module: device.module, engine })).toBe(true);
    await uploadCa(engine);
    await fc.assert(property({ module: device.module, engine }), { numRuns: 3 });
  }, 120_000);
});

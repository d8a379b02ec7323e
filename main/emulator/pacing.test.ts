import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { TestHost } from '../testing/test-host';
import { InProcessTransport } from './in-process-transport';
import { MemoryBroker } from './memory-broker';
import type { NetworkPacing } from './net/types';
import { Wire } from './net/wire';
import { BusyTime, FAST_PACING, ModuleTiming, REALISTIC_PACING, pacingModel, type PacingModel } from './pacing';
import { VirtualModule } from './virtual-module';

const BAUD = 115_200;
const wireMs = (bytes: number): number => (bytes * 10_000) / BAUD;
const lowest = (): number => 0;
const highest = (): number => 1;

describe('busy time', () => {
  it('counts the union of the intervals, an overlap once, a stretch in progress up to now', () => {
    let now = 0;
    const busy = new BusyTime(() => now);
    busy.add(0, 10);
    busy.add(5, 15); // overlaps the first: 5 more
    busy.add(12, 14); // inside: nothing more
    busy.add(20, 30); // a new stretch after an idle gap
    now = 25;
    expect(busy.ms).toBe(20); // 15, and the second stretch up to now
    now = 40;
    expect(busy.ms).toBe(25);
    busy.addFromNow(3);
    busy.add(43, 43); // empty
    now = 50;
    expect(busy.ms).toBe(28);
  });
});

describe('the realistic model', () => {
  const range = (name: string, form: 'exec' | 'read' | 'write' | 'test' = 'exec') => [
    REALISTIC_PACING.commandMs(name, form, lowest),
    REALISTIC_PACING.commandMs(name, form, highest),
  ];

  it('takes longer for the SIM, the network and the flash than for settings held in RAM', () => {
    expect(range('+QMTCFG', 'write')).toEqual([8, 20]);
    expect(range('+CSQ')).toEqual([8, 20]);
    expect(range('+CPIN', 'read')).toEqual([20, 50]);
    expect(range('+QIACT', 'write')).toEqual([150, 400]);
    expect(range('+QIACT', 'read')).toEqual([8, 20]);
    expect(range('+QFDEL', 'write')).toEqual([30, 80]);
    expect(range('+QFUPL', 'write')).toEqual([15, 40]);
    expect(range('+QMTOPEN', 'write')).toEqual([10, 30]);
    // A file written to flash: a fixed cost plus its bytes at 100 kB/s.
    expect(REALISTIC_PACING.inputMs('+QFUPL', 2000, lowest)).toBe(40);
    expect(REALISTIC_PACING.inputMs('+QMTPUBEX', 100, highest)).toBe(15);
    expect(pacingModel('realistic')).toBe(REALISTIC_PACING);
    expect(pacingModel('fast')).toBe(FAST_PACING);
    expect(FAST_PACING.network).toBeUndefined();
  });

  it('draws the same times for the same module, other times for another', () => {
    const draws = (seed: number): number[] => {
      const timing = new ModuleTiming(REALISTIC_PACING, seed);
      const network = timing.network;
      if (network === undefined) throw new Error('the realistic model has a network');
      return [
        timing.commandMs('+CPIN', 'read'),
        timing.commandMs('+QMTCFG', 'write'),
        timing.inputMs('+QFUPL', 1000),
        network.packetDelayMs(),
        network.tlsHandshakeMs(2),
      ];
    };
    expect(draws(1234)).toEqual(draws(1234));
    expect(draws(1234)).not.toEqual(draws(1235));
    const [cpin, cfg, upload, packet, tls] = draws(1234);
    expect(cpin).toBeGreaterThanOrEqual(20);
    expect(cfg).toBeLessThanOrEqual(20);
    expect(upload).toBeGreaterThanOrEqual(30);
    expect(packet).toBeGreaterThanOrEqual(30);
    expect(packet).toBeLessThanOrEqual(50);
    // Two round trips and the client certificate's crypto.
    expect(tls).toBeGreaterThanOrEqual(4 * 30 + 140);
    expect(tls).toBeLessThanOrEqual(4 * 50 + 220);
  });
});

describe('a module on a model', () => {
  const modules: VirtualModule[] = [];
  afterEach(() => {
    for (const module of modules.splice(0)) module.dispose();
  });

  async function timed(pacing: PacingModel | undefined, command: string) {
    const module = new VirtualModule({
      sessionFactory: new MemoryBroker().createSession,
      bootDelayMs: 5,
      baud: BAUD,
      ...(pacing !== undefined ? { pacing } : {}),
    });
    modules.push(module);
    const host = new TestHost(new InProcessTransport(module));
    module.powerOn();
    await host.until('+QIND: SMS DONE\r\n');
    expect(module.pacing).toBe(pacing ?? FAST_PACING);
    const busyBefore = module.busyMs;
    const started = performance.now();
    const answer = await host.command(command);
    return { answer, ms: performance.now() - started, busy: module.busyMs - busyBefore };
  }

  it('counts the wire time both ways and its processing, as scheduled, in its busy time', async () => {
    const command = 'AT+CPIN?';
    const { answer, ms, busy } = await timed(REALISTIC_PACING, command);
    expect(answer).toContain('+CPIN: READY');
    const wire = wireMs(command.length + 1) + wireMs(answer.length);
    // The SIM takes 20-50 ms; the echo leaves while the command arrives (an overlap counted once).
    expect(busy).toBeGreaterThanOrEqual(20 + wireMs(answer.length - command.length - 1));
    expect(busy).toBeLessThanOrEqual(50 + wire + 0.001);
    // The answer came no sooner than the module was busy (a timer may fire a fraction of a millisecond early).
    expect(ms).toBeGreaterThanOrEqual(busy - 2);
  });

  it('answers in a few milliseconds by default (the fast model of the test suite)', async () => {
    const { answer, busy } = await timed(undefined, 'AT+CPIN?');
    expect(answer).toContain('+CPIN: READY');
    expect(busy).toBeLessThanOrEqual(8 + wireMs(answer.length + 9) + 0.001);
  });
});

describe('the modeled network of an MQTT link', () => {
  const closers: (() => void)[] = [];
  afterEach(() => {
    for (const close of closers.splice(0)) close();
  });

  async function linked(): Promise<{ client: Socket; server: Socket }> {
    const server: Server = createServer();
    const accepted = new Promise<Socket>((resolve) => server.once('connection', resolve));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    const client = connect(address.port, '127.0.0.1');
    const peer = await accepted;
    closers.push(() => {
      client.destroy();
      peer.destroy();
      server.close();
    });
    return { client, server: peer };
  }

  function network(delayMs: number): { pacing: NetworkPacing; busy: BusyTime } {
    const busy = new BusyTime();
    return {
      busy,
      pacing: {
        packetDelayMs: () => delayMs,
        lookupMs: () => 2 * delayMs,
        tcpHandshakeMs: () => 2 * delayMs,
        tlsHandshakeMs: () => 4 * delayMs,
        busy: (start, end) => busy.add(start, end),
        now: () => busy.now(),
      },
    };
  }

  it('delays every packet one way, in order, and counts the waits someone has for an answer', async () => {
    const { client, server } = await linked();
    const { pacing, busy } = network(25);
    const wire = new Wire(client, pacing);
    const heard: string[] = [];
    const arrived = new Promise<number>((resolve) => {
      server.on('data', (chunk: Buffer) => {
        heard.push(chunk.toString());
        if (heard.join('') === 'onetwo') resolve(performance.now());
      });
    });
    const sent = performance.now();
    await Promise.all([wire.write(Buffer.from('one')), wire.write(Buffer.from('two'), false)]);
    expect((await arrived) - sent).toBeGreaterThanOrEqual(24);
    expect(heard.join('')).toBe('onetwo');
    // The acknowledgement nobody waits for is not counted; the other packet's 25 ms are.
    expect(busy.ms).toBeGreaterThanOrEqual(24.9);
    expect(busy.ms).toBeLessThanOrEqual(25.1);

    const received = new Promise<number>((resolve) => wire.onData(() => resolve(performance.now())));
    const back = performance.now();
    server.write('answer');
    expect((await received) - back).toBeGreaterThanOrEqual(24);
    expect(busy.ms).toBeGreaterThanOrEqual(49);
  });
});

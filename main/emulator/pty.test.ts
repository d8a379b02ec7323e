import { afterEach, describe, expect, it } from 'vitest';
import { SerialTransport } from '../transport/serial';
import { formatQfuplChecksum } from './checksum';
import { MemoryBroker } from './memory-broker';
import { startPtyModule, startVirtualFleet, type PtyModule } from './pty-module';
import { EXAMPLE_WITHOUT_SSL, exampleWithSsl } from './spec-examples';
import { runSteps } from '../testing/spec-runner';
import { TestHost } from '../testing/test-host';

/**
 * The important paths over REAL pseudo-terminals (socat + serialport on both ends): the station-side port is
 * opened exactly as a USB port would be.
 */

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function ptyModule(broker = new MemoryBroker()) {
  const pty: PtyModule = await startPtyModule({
    sessionFactory: broker.createSession,
    autoPowerOn: false,
    bootDelayMs: 10,
  });
  cleanups.push(() => pty.close());
  const station = await SerialTransport.open({ path: pty.path, presenceCheckMs: 50 });
  cleanups.push(() => station.close());
  const host = new TestHost(station);
  pty.module.powerOn();
  await host.until('\r\n+QIND: SMS DONE\r\n');
  return { pty, host, broker };
}

describe('virtual module on a pseudo-terminal', () => {
  it('boots with RDY and the SIM URCs, then answers AT with echo', async () => {
    const { host } = await ptyModule();
    expect(host.all).toBe('\r\nRDY\r\n\r\n+CFUN: 1\r\n\r\n+CPIN: READY\r\n\r\n+QUSIM: 1\r\n\r\n+QIND: SMS DONE\r\n');
    expect(await host.command('AT')).toBe('AT\r\r\nOK\r\n');
  });

  it('plays spec example 5.1 line by line with the documented answers', async () => {
    const { host, broker } = await ptyModule();
    const results = await runSteps(host, EXAMPLE_WITHOUT_SSL, (t, p, q) => broker.publish(t, p, q));
    for (const r of results) expect(r.got).toBe(r.want);
  });

  it('plays spec example 5.2 (SSL, three uploads) with the documented answers', async () => {
    const { host, broker } = await ptyModule();
    const results = await runSteps(host, exampleWithSsl(formatQfuplChecksum), (t, p, q) => broker.publish(t, p, q));
    for (const r of results) expect(r.got).toBe(r.want);
  });

  it('unplug makes the station port close with an error', async () => {
    const { host, pty } = await ptyModule();
    await pty.unplug();
    const error = await host.closedWith();
    expect(error).toBeInstanceOf(Error);
    expect(pty.module.powerState).toBe('unplugged');
  });

  it('unplug in the middle of an upload loses the partial file', async () => {
    const { host, pty } = await ptyModule();
    expect(await host.command('AT+QFUPL="UFS:big.pem",4000,10')).toBe(
      'AT+QFUPL="UFS:big.pem",4000,10\r\r\nCONNECT\r\n',
    );
    await host.send(Buffer.alloc(1000, 0x41));
    await pty.unplug();
    expect(await host.closedWith()).toBeInstanceOf(Error);
    expect(pty.module.state.files.has('big.pem')).toBe(false);
  });

  it('paces output at the baud rate: a reply never arrives faster than the wire allows', async () => {
    const { host } = await ptyModule();
    await host.command('ATE0');
    const started = performance.now();
    const reply = await host.command('AT+QMTCFG=?');
    const elapsed = performance.now() - started;
    const floorMs = (Buffer.byteLength(reply) * 10 * 1000) / 115200;
    expect(reply.split('\r\n').filter((l) => l.startsWith('+QMTCFG:'))).toHaveLength(16);
    expect(elapsed).toBeGreaterThanOrEqual(floorMs);
  });

  it('starts a fleet of distinct modules on distinct ports', async () => {
    const fleet = await startVirtualFleet({
      count: 3,
      sessionFactory: new MemoryBroker().createSession,
      bootDelayMs: 5,
      autoPowerOn: false,
    });
    cleanups.push(() => fleet.close());
    expect(new Set(fleet.modules.map((m) => m.path)).size).toBe(3);
    expect(new Set(fleet.modules.map((m) => m.module.identity.imei)).size).toBe(3);
    const imeis: string[] = [];
    for (const m of fleet.modules) {
      const station = await SerialTransport.open({ path: m.path });
      cleanups.push(() => station.close());
      const host = new TestHost(station);
      // Commands before RDY get no answer: power on once the port listens, and wait for the boot URCs.
      m.module.powerOn();
      await host.until('+QIND: SMS DONE\r\n');
      await host.command('ATE0');
      imeis.push((await host.command('AT+GSN')).trim().split('\r\n')[0] ?? '');
    }
    expect(imeis).toEqual(fleet.modules.map((m) => m.module.identity.imei));
  });
});

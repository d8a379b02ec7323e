import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMosquitto, type Mosquitto } from '../testing/mosquitto';
import { SerialTransport } from '../transport/serial';
import { formatQfuplChecksum } from './checksum';
import { createMqttClientSession } from './net/session';
import { startPtyModule } from './pty-module';
import { EXAMPLE_WITHOUT_SSL, exampleWithSsl } from './spec-examples';
import { runSteps, withUrcsSorted } from '../testing/spec-runner';
import { TestHost } from '../testing/test-host';

/**
 * The whole stack a station meets: the virtual module behind a real pseudo-terminal, its real MQTT client
 * session (TCP/TLS), a real Mosquitto. The cloud host names of the spec's examples are mapped to the broker.
 */

let broker: Mosquitto;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  broker = await startMosquitto({ tls: { requireCertificate: true } });
});
afterAll(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  await broker.stop();
});

async function module(hostMap: Map<string, { host: string; port: number }>) {
  const pty = await startPtyModule({
    sessionFactory: createMqttClientSession,
    hostMap,
    autoPowerOn: false,
    bootDelayMs: 5,
  });
  cleanups.push(() => pty.close());
  const station = await SerialTransport.open({ path: pty.path });
  cleanups.push(() => station.close());
  const host = new TestHost(station);
  pty.module.powerOn();
  await host.until('+QIND: SMS DONE\r\n');
  return { host, pty };
}

describe('with a real Mosquitto over a real pseudo-terminal', () => {
  it('spec example 5.1 (plain TCP, aliauth) answers exactly as documented', async () => {
    const { host } = await module(
      new Map([['iot-as-mqtt.cn-shanghai.aliyuncs.com', { host: broker.host, port: broker.port }]]),
    );
    const results = await runSteps(host, EXAMPLE_WITHOUT_SSL, (t, p, q) => broker.publish(t, p, q));
    for (const r of results) expect(r.got).toBe(r.want);
  });

  it('spec example 5.2 (TLS with client certificate) answers as documented, URCs after a self-addressed QoS 1 publish in either order', async () => {
    const { host } = await module(
      new Map([['a1zgnxur10j8ux.iot.us-east-1.amazonaws.com', { host: broker.host, port: broker.tlsPort }]]),
    );
    const certs = broker.certs;
    const steps = exampleWithSsl(formatQfuplChecksum, {
      ca: Buffer.from(certs.caPem.pem),
      cert: Buffer.from(certs.clientCert.pem),
      key: Buffer.from(certs.clientKey.pem),
    });
    const results = await runSteps(host, steps, (t, p, q) => broker.publish(t, p, q));
    for (const r of results) {
      const { got, want } = withUrcsSorted(r);
      expect(got).toBe(want);
    }
  });

  it('a TLS handshake with the wrong CA shows as OK then +QMTOPEN: 0,-1', async () => {
    const { host } = await module(new Map([['secure.example', { host: broker.host, port: broker.tlsPort }]]));
    await host.command('ATE0');
    const ca = Buffer.from(broker.certs.otherCa.pem);
    expect(await host.command(`AT+QFUPL="UFS:other.pem",${ca.length},10`)).toBe('\r\nCONNECT\r\n');
    await host.send(ca);
    await host.until('\r\nOK\r\n');
    expect(await host.command('AT+QSSLCFG="cacert",1,"UFS:other.pem"')).toBe('\r\nOK\r\n');
    expect(await host.command('AT+QSSLCFG="seclevel",1,1')).toBe('\r\nOK\r\n');
    expect(await host.command('AT+QMTCFG="ssl",0,1,1')).toBe('\r\nOK\r\n');
    expect(await host.command('AT+QMTOPEN=0,"secure.example",8883')).toBe('\r\nOK\r\n');
    expect(await host.until('\r\n+QMTOPEN: 0,-1\r\n')).toBe('\r\n+QMTOPEN: 0,-1\r\n');
  });

  it('a message from another client arrives as +QMTRECV and a module publish reaches mosquitto_sub', async () => {
    const { host } = await module(new Map([['broker.example', { host: broker.host, port: broker.port }]]));
    await host.command('ATE0');
    expect(await host.command('AT+QMTOPEN=1,"broker.example",1883')).toBe('\r\nOK\r\n');
    await host.until('\r\n+QMTOPEN: 1,0\r\n');
    expect(await host.command('AT+QMTCONN=1,"rt-1"')).toBe('\r\nOK\r\n');
    await host.until('\r\n+QMTCONN: 1,0,0\r\n');
    expect(await host.command('AT+QMTSUB=1,5,"down/rt-1",1,"bcast/#",0')).toBe('\r\nOK\r\n');
    expect(await host.until('\r\n+QMTSUB: 1,5,0,1,0\r\n')).toBe('\r\n+QMTSUB: 1,5,0,1,0\r\n');
    await broker.publish('down/rt-1', 'a,"b"\r\nc', 0);
    expect(await host.until('c"\r\n')).toBe('\r\n+QMTRECV: 1,0,"down/rt-1","a,"b"\r\nc"\r\n');
    const sub = await broker.subscribe('up/rt-1', 1);
    cleanups.push(() => sub.stop());
    expect(await host.command('AT+QMTPUBEX=1,3,1,0,"up/rt-1",5')).toBe('\r\n> ');
    await host.send('hello');
    expect(await host.until('\r\n+QMTPUBEX: 1,3,0\r\n')).toBe('\r\nOK\r\n\r\n+QMTPUBEX: 1,3,0\r\n');
    const [received] = await sub.waitFor(1);
    expect(received?.payload.toString()).toBe('hello');
  });

  it('injected faults reach the real session: CONNACK refused (5), network loss (+QMTSTAT 7)', async () => {
    const { host, pty } = await module(new Map([['broker.example', { host: broker.host, port: broker.port }]]));
    await host.command('ATE0');
    pty.module.setFaults({ forceConnackCode: 5 });
    expect(await host.command('AT+QMTOPEN=0,"broker.example",1883')).toBe('\r\nOK\r\n');
    await host.until('\r\n+QMTOPEN: 0,0\r\n');
    expect(await host.command('AT+QMTCONN=0,"refused-1"')).toBe('\r\nOK\r\n');
    expect(await host.until('\r\n+QMTCONN: 0,0,5\r\n')).toBe('\r\n+QMTCONN: 0,0,5\r\n');
    // The refused client's link then closes (the real session may report +QMTSTAT for it at any moment), so
    // from here on only the awaited URCs are checked.
    pty.module.setFaults({});
    await host.send('AT+QMTOPEN=1,"broker.example",1883\r');
    await host.until('\r\n+QMTOPEN: 1,0\r\n');
    await host.send('AT+QMTCONN=1,"lossy-1"\r');
    await host.until('\r\n+QMTCONN: 1,0,0\r\n');
    pty.module.dropLink(1);
    expect(await host.until('\r\n+QMTSTAT: 1,7\r\n')).toBe('\r\n+QMTSTAT: 1,7\r\n');
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeFinal } from '../decode/describe';
import { AtEngine, inThreadParserLink, type TranscriptEntry, type UrcNotice } from '../engine';
import { AtCommandError } from '../vocab/errors';
import { InProcessTransport } from '../../emulator/in-process-transport';
import { createMqttClientSession } from '../../emulator/net/session';
import { VirtualModule } from '../../emulator/virtual-module';
import { startMosquitto, type Mosquitto } from '../../testing/mosquitto';
import * as at from './index';

/**
 * The command library end to end: its builders run through the real transaction engine and parser against the
 * virtual module, whose MQTT sessions talk TLS to a real Mosquitto started here. Every typed result below came
 * from real bytes; secrets are checked against the engine's transcript.
 */

const PASSWORD = 'Pa55w0rd-never-logged';
let broker: Mosquitto;
let module: VirtualModule;
let engine: AtEngine;
const transcript: TranscriptEntry[] = [];
const enc = (text: string): Uint8Array => new TextEncoder().encode(text);

/** The next +QMTRECV of client 0 (subscribe before causing it). */
function nextRecv(): Promise<UrcNotice> {
  return new Promise((resolve) => {
    const watch = engine.onClientUrc('+QMTRECV', 0, (event) => {
      watch.dispose();
      resolve(event);
    });
  });
}

beforeAll(async () => {
  broker = await startMosquitto({ tls: { requireCertificate: true }, passwords: { station: PASSWORD } });
  module = new VirtualModule({ sessionFactory: createMqttClientSession, bootDelayMs: 2, baud: 0 });
  engine = new AtEngine({ transport: new InProcessTransport(module), parser: inThreadParserLink(), describeFinal });
  engine.onTranscript((entry) => transcript.push(entry));
  const booted = new Promise<void>((resolve) => {
    const watch = engine.onUrc('+QIND', (event) => {
      if (event.kind === 'urc' && event.params[0] === 'SMS DONE') {
        watch.dispose();
        resolve();
      }
    });
  });
  module.powerOn();
  await booted;
});

afterAll(async () => {
  engine.dispose();
  module.dispose();
  await broker.stop();
});

describe('command library against the virtual module and a real Mosquitto over TLS', () => {
  it('identity, SIM and network queries parse', async () => {
    await engine.run(at.echo(false));
    await engine.run(at.at());
    await engine.run(at.cmee(1));
    const info = await engine.run(at.ati());
    expect(info.manufacturer).toBe('Quectel');
    expect(['EC200U', 'EC600U', 'EG500U', 'EG700U']).toContain(info.model);
    expect(await engine.run(at.gsn())).toBe(module.identity.imei);
    expect(await engine.run(at.cgsn())).toBe(module.identity.imei);
    expect(await engine.run(at.qccid())).toBe(module.identity.iccid);
    expect(await engine.run(at.cimi())).toBe(module.identity.imsi);
    expect((await engine.run(at.qgmr())).length).toBeGreaterThan(5);
    expect((await engine.run(at.csq())).rssi).toBeGreaterThanOrEqual(0);
    expect(await engine.run(at.cpinQuery())).toMatchObject({ ready: true });
    expect((await engine.run(at.ceregQuery())).registered).toBe(true);
    expect(await engine.run(at.cfunQuery())).toBe(1);
  });

  it('uploads certificates and the key with checksums verified; a duplicate is +CME ERROR 407', async () => {
    const { caPem, clientCert, clientKey } = broker.certs;
    expect(await engine.run(at.qfupl('ca.pem', enc(caPem.pem)))).toMatchObject({ size: enc(caPem.pem).length });
    await engine.run(at.qfupl('client.pem', enc(clientCert.pem)));
    await engine.run(at.qfupl('client.key', enc(clientKey.pem)));
    const files = await engine.run(at.qflst());
    expect(files.map((file) => file.name)).toEqual(
      expect.arrayContaining(['UFS:ca.pem', 'UFS:client.pem', 'UFS:client.key']),
    );
    const duplicate = engine.run(at.qfupl('ca.pem', enc(caPem.pem)));
    await expect(duplicate).rejects.toBeInstanceOf(AtCommandError);
    await expect(duplicate).rejects.toMatchObject({ detail: { cmeCode: 407 } });
    // The private key's body never reaches the transcript.
    const keyBody = clientKey.pem.split('\n')[1] ?? '';
    expect(keyBody.length).toBeGreaterThan(10);
    expect(JSON.stringify(transcript)).not.toContain(keyBody);
  });

  it('configures the SSL context and reads it back', async () => {
    await engine.run(at.qsslcfg(2, { param: 'cacert', value: 'ca.pem' }));
    await engine.run(at.qsslcfg(2, { param: 'clientcert', value: 'client.pem' }));
    await engine.run(at.qsslcfg(2, { param: 'clientkey', value: 'client.key' }));
    await engine.run(at.qsslcfg(2, { param: 'seclevel', value: 2 }));
    await engine.run(at.qsslcfg(2, { param: 'sslversion', value: 4 }));
    await engine.run(at.qsslcfg(2, { param: 'ciphersuite', value: 0xffff }));
    await engine.run(at.qsslcfg(2, { param: 'ignorelocaltime', value: true }));
    expect(await engine.run(at.qsslcfgQuery(2, 'seclevel'))).toEqual({ param: 'seclevel', contextId: 2, value: 2 });
    expect((await engine.run(at.qsslcfgQuery(2, 'cacert'))).value).toBe('UFS:ca.pem');
  });

  it('opens, connects, subscribes, publishes, receives, unsubscribes and disconnects', async () => {
    await engine.run(at.qmtcfg(0, { name: 'ssl', enable: true, contextId: 2 }));
    await engine.run(at.qmtcfg(0, { name: 'version', vsn: 4 }));
    await engine.run(at.qmtcfg(0, { name: 'recv/mode', msgRecvMode: 0, msgLenEnable: true }));
    await engine.run(at.qmtcfg(0, { name: 'keepalive', seconds: 60 }));
    expect((await engine.run(at.qmtcfgQuery(0, 'version'))).values).toEqual({ vsn: 4 });
    expect((await engine.run(at.qmtcfgQuery(0, 'ssl'))).values).toEqual({ enable: 1, contextId: 2 });

    expect(await engine.run(at.qmtopen(0, '127.0.0.1', broker.tlsPort))).toMatchObject({ result: 0, ok: true });
    expect(await engine.run(at.qmtopenQuery())).toEqual([{ clientIdx: 0, host: '127.0.0.1', port: broker.tlsPort }]);
    const conn = await engine.run(at.qmtconn(0, 'fleet-dev-1', { username: 'station', password: PASSWORD }));
    expect(conn).toMatchObject({ result: 0, retCode: 0, retCodeText: 'Connection Accepted', ok: true });
    expect(await engine.run(at.qmtconnQuery())).toEqual([{ clientIdx: 0, state: 3, stateText: 'MQTT is connected' }]);

    const sub = await engine.run(
      at.qmtsub(0, 1, [
        { topic: 'fleet/in/#', qos: 1 },
        { topic: 'fleet/cmd', qos: 2 },
      ]),
    );
    expect(sub).toMatchObject({ result: 0, grantedQos: [1, 2], ok: true });

    const watcher = await broker.subscribe('fleet/out', 1);
    const payload = 'quotes " and, commas\r\nand lines';
    expect(await engine.run(at.qmtpubex(0, 2, 1, 'fleet/out', payload))).toMatchObject({
      msgid: 2,
      result: 0,
      ok: true,
    });
    const [message] = await watcher.waitFor(1);
    expect(message?.payload.toString()).toBe(payload);
    await watcher.stop();

    const arrival = nextRecv();
    await broker.publish('fleet/in/a', 'hello "device", bye', 1);
    const recv = await arrival;
    expect(recv).toMatchObject({ kind: 'recv', topic: 'fleet/in/a' });
    if (recv.kind === 'recv') expect(new TextDecoder().decode(recv.payload)).toBe('hello "device", bye');

    expect(await engine.run(at.qmtuns(0, 3, ['fleet/in/#', 'fleet/cmd']))).toMatchObject({
      msgid: 3,
      result: 0,
      ok: true,
    });
    expect(await engine.run(at.qmtdisc(0))).toMatchObject({ result: 0, ok: true });
    expect(JSON.stringify(transcript)).not.toContain(PASSWORD);
  });

  it('a wrong password is refused with the CONNACK words', async () => {
    expect(await engine.run(at.qmtopen(2, '127.0.0.1', broker.port))).toMatchObject({ ok: true });
    const refused = await engine.run(at.qmtconn(2, 'fleet-dev-2', { username: 'station', password: 'wrong' }));
    expect(refused.ok).toBe(false);
    expect(refused.retCodeText).toMatch(/^Connection Refused: (Bad User Name or Password|Not Authorized)$/);
  });

  it('close ends an open network', async () => {
    expect(await engine.run(at.qmtopen(1, '127.0.0.1', broker.port))).toMatchObject({ ok: true });
    expect(await engine.run(at.qmtclose(1))).toMatchObject({ result: 0, resultText: 'Closed successfully', ok: true });
    expect((await engine.run(at.qmtopenQuery())).some((open) => open.clientIdx === 1)).toBe(false);
  });
});

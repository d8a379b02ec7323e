import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as at from '../at/commands';
import { describeFinal } from '../at/decode/describe';
import { AtEngine, inThreadParserLink, type TranscriptEntry, type UrcNotice } from '../at/engine';
import { AtCommandError } from '../at/vocab/errors';
import { InProcessTransport } from '../emulator/in-process-transport';
import { createMqttClientSession } from '../emulator/net/session';
import { VirtualModule } from '../emulator/virtual-module';
import { startMosquitto, type Mosquitto } from '../testing/mosquitto';
import { compilePlan, type ProvisioningPlan } from './compile';
import { issueExample, writeIn } from './fixtures/profiles';
import { loadProfile } from './load';
import { qmtcfgDifference, sslDifference } from './readback';

/**
 * A compiled plan carried out by hand on a virtual module, through the real engine and parser, against a real
 * Mosquitto that checks the client certificate and the unit's own password: proof that what the compiler
 * produces is what a module accepts, reads back the same, and gets a unit onto the broker. (The batch runner is
 * the production form of these steps.)
 */

const PASSWORD = 'unit-password-Zx81';
let broker: Mosquitto;
let module: VirtualModule;
let engine: AtEngine;
let dir: string;
const transcript: TranscriptEntry[] = [];

function nextRecv(): Promise<UrcNotice> {
  return new Promise((resolve) => {
    const watch = engine.onClientUrc('+QMTRECV', 0, (event) => {
      watch.dispose();
      resolve(event);
    });
  });
}

beforeAll(async () => {
  module = new VirtualModule({ sessionFactory: createMqttClientSession, bootDelayMs: 2, baud: 0 });
  broker = await startMosquitto({ tls: { requireCertificate: true }, passwords: { [module.identity.imei]: PASSWORD } });
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
  await engine.run(at.echo(false));
  dir = await mkdtemp(join(tmpdir(), 'fleet-plan-'));
});

afterAll(async () => {
  engine.dispose();
  module.dispose();
  await broker.stop();
  await rm(dir, { recursive: true, force: true });
});

async function plan(): Promise<ProvisioningPlan> {
  const { caPem, clientCert, clientKey, otherCa } = broker.certs;
  await writeIn(dir, 'certs/ca.pem', caPem.pem.replace(/\n/g, '\r\n'));
  await writeIn(dir, 'certs/client.pem', clientCert.pem);
  await writeIn(dir, 'certs/client.key', clientKey.pem);
  await writeIn(dir, 'certs/wrong-ca.pem', otherCa.pem);
  const profile = issueExample();
  profile.broker = { host: '127.0.0.1', port: broker.tlsPort };
  profile.verify = { topic: 'fleet/{imei}/selftest', qos: 1, negative: { cacert: 'certs/wrong-ca.pem' } };
  const loaded = await loadProfile(await writeIn(dir, 'line-a.json', profile));
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
  const imei = await engine.run(at.gsn());
  const compiled = compilePlan(loaded.profile, {
    imei,
    iccid: await engine.run(at.qccid()),
    imsi: await engine.run(at.cimi()),
    row: { credential_id: 'c-1', password: PASSWORD },
    runId: 'run-1',
    nonce: 'a1b2c3',
  });
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.errors));
  return compiled.value;
}

async function removeStale(name: string): Promise<void> {
  try {
    await engine.run(at.qfdel(name));
  } catch (error) {
    // +CME ERROR 405: no such file, nothing stale to remove.
    if (!(error instanceof AtCommandError && error.detail.cmeCode === 405)) throw error;
  }
}

describe('a compiled plan on a virtual module against Mosquitto (mutual TLS, per-device password)', () => {
  it('uploads, configures, reads back the same, and makes the round trip; the wrong CA is refused', async () => {
    const steps = await plan();
    const ssl = steps.ssl;
    if (ssl === undefined) throw new Error('expected an ssl context');

    for (const upload of steps.uploads.filter((file) => file.role !== 'verify.negative.cacert')) {
      await removeStale(upload.ufsName);
      const stored = await engine.run(at.qfupl(upload.ufsName, upload.bytes, { secret: upload.secret }));
      expect(stored).toEqual({ size: upload.bytes.length, checksum: upload.checksum });
    }
    for (const setting of ssl.settings) await engine.run(at.qsslcfg(ssl.contextId, setting));
    for (const setting of steps.mqtt) await engine.run(at.qmtcfg(steps.clientIdx, setting));

    for (const setting of ssl.settings) {
      const reading = await engine.run(at.qsslcfgQuery(ssl.contextId, setting.param));
      expect(sslDifference(ssl.contextId, setting, reading)).toBeUndefined();
    }
    for (const setting of steps.mqtt) {
      const reading = await engine.run(at.qmtcfgQuery(steps.clientIdx, setting.name));
      expect(qmtcfgDifference(setting, reading)).toBeUndefined();
    }

    expect(await engine.run(at.qmtopen(steps.clientIdx, steps.open.host, steps.open.port))).toMatchObject({ ok: true });
    const conn = await engine.run(at.qmtconn(steps.clientIdx, steps.connect.clientId, steps.connect));
    expect(conn).toMatchObject({ ok: true, retCode: 0 });
    const { verify } = steps;
    expect(await engine.run(at.qmtsub(steps.clientIdx, 1, [{ topic: verify.topic, qos: verify.qos }]))).toMatchObject({
      ok: true,
    });
    const arrival = nextRecv();
    await engine.run(at.qmtpubex(steps.clientIdx, 2, verify.qos, verify.topic, verify.payload));
    const recv = await arrival;
    expect(recv.kind === 'recv' && new TextDecoder().decode(recv.payload)).toBe(verify.payload);
    expect(verify.payload).toContain('a1b2c3');
    await engine.run(at.qmtdisc(steps.clientIdx));
    await engine.run(at.qmtclose(steps.clientIdx));

    // A changed setting is named by the comparison (the readback step's failure message).
    const keepalive = steps.mqtt.find((setting) => setting.name === 'keepalive');
    if (keepalive === undefined) throw new Error('no keepalive');
    await engine.run(at.qmtcfg(steps.clientIdx, { name: 'keepalive', seconds: 30 }));
    const changed = await engine.run(at.qmtcfgQuery(steps.clientIdx, 'keepalive'));
    expect(qmtcfgDifference(keepalive, changed)).toBe('keepalive: seconds: wrote 60, read 30');
    await engine.run(at.qmtcfg(steps.clientIdx, keepalive));

    const negative = verify.negative;
    if (negative === undefined) throw new Error('expected a negative check');
    await removeStale(negative.upload.ufsName);
    await engine.run(at.qfupl(negative.upload.ufsName, negative.upload.bytes));
    await engine.run(at.qsslcfg(negative.contextId, negative.apply));
    const refused = await engine.run(at.qmtopen(steps.clientIdx, steps.open.host, steps.open.port));
    expect(refused).toMatchObject({ ok: false, result: -1 });
    await engine.run(at.qsslcfg(negative.contextId, negative.restore));
    const restored = await engine.run(at.qsslcfgQuery(negative.contextId, 'cacert'));
    expect(sslDifference(negative.contextId, negative.restore, restored)).toBeUndefined();

    const logged = JSON.stringify(transcript);
    for (const secret of steps.secrets) expect(logged).not.toContain(secret);
    const keyBody = broker.certs.clientKey.pem.split('\n')[1] ?? '';
    expect(keyBody.length).toBeGreaterThan(10);
    expect(logged).not.toContain(keyBody);
  });
});
